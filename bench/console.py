#!/usr/bin/env python3
"""The console with 10,000 executions: how long its pages take to draw in headless Chromium,
side by side with the API calls behind them made by boto3 (the floor: the console cannot be
faster than the data it reads).

A server of its own (`--time-scale 100`) gets one STANDARD machine (Pass, then Choice: one
execution in a hundred ends in a Fail state) and EXECUTIONS executions, started by 16 boto3
threads. Then, ROUNDS times each, in turn:

  * `executions`: #/executions?machine=M until its first 100 rows are drawn, against boto3's
    ListExecutions(maxResults=100);
  * `failed`: the same with the status filter FAILED (100 of 10,000), against ListExecutions
    with statusFilter;
  * `machines`: #/ (the list: versions, aliases, open and recent executions, failure rates),
    against the same calls by boto3 (DescribeStateMachine, ListStateMachineVersions,
    ListStateMachineAliases, two ListExecutions, GetMetricData);
  * `execution`: one execution's page (graph, steps, history), against DescribeExecution,
    GetExecutionHistory and DescribeStateMachineForExecution.

It prints the median of each, and the ratio console / API.

    bench/console.py [--binary target/release/switchback] [--executions 10000] [--rounds 7]
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))

import boto3  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from conftest import ROLE, make_client, running_server  # noqa: E402
from test_console import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DEFINITION = {
    "StartAt": "Work",
    "States": {
        "Work": {"Type": "Pass", "Next": "Check"},
        "Check": {"Type": "Choice",
                  "Choices": [{"Variable": "$.n", "NumericEquals": 0, "Next": "Broken"}],
                  "Default": "Done"},
        "Done": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "Bench.Failure", "Cause": "one in a hundred"},
    },
}


def populate(endpoint, count):
    sfn = make_client(endpoint)
    arn = sfn.create_state_machine(name="Bench", roleArn=ROLE,
                                   definition=json.dumps(DEFINITION))["stateMachineArn"]
    clients = [make_client(endpoint) for _ in range(16)]

    def start(index):
        clients[index % 16].start_execution(stateMachineArn=arn, name=f"run-{index:05d}",
                                            input=json.dumps({"n": index % 100}))

    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(start, range(count)))
    while sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING",
                              maxResults=1)["executions"]:
        time.sleep(0.2)
    print(f"{count} executions started and finished in {time.perf_counter() - began:.1f} s",
          flush=True)
    return arn


def timed(action):
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(HERE, "..", "target", "release",
                                                         "switchback"))
    parser.add_argument("--executions", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with running_server(args.binary, "switchback-bench-console-") as srv:
        arn = populate(srv.endpoint, args.executions)
        sfn = make_client(srv.endpoint)
        cloudwatch = boto3.client("cloudwatch", endpoint_url=srv.endpoint,
                                  region_name="us-east-1", aws_access_key_id="a",
                                  aws_secret_access_key="b")
        one = sfn.list_executions(stateMachineArn=arn, maxResults=1)["executions"][0]
        quoted = urllib.parse.quote(arn, safe="")

        def api_machines():
            for listed in sfn.list_state_machines()["stateMachines"]:
                sfn.describe_state_machine(stateMachineArn=listed["stateMachineArn"])
                sfn.list_state_machine_versions(stateMachineArn=listed["stateMachineArn"])
                sfn.list_state_machine_aliases(stateMachineArn=listed["stateMachineArn"])
                sfn.list_executions(stateMachineArn=listed["stateMachineArn"],
                                    statusFilter="RUNNING", maxResults=1000)
                sfn.list_executions(stateMachineArn=listed["stateMachineArn"], maxResults=5)
            now = time.time()
            cloudwatch.get_metric_data(
                MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {
                    "Namespace": "AWS/States", "MetricName": "ExecutionsStarted",
                    "Dimensions": [{"Name": "StateMachineArn", "Value": arn}]},
                    "Period": 86400, "Stat": "Sum"}}],
                StartTime=now - 86400, EndTime=now)

        def api_execution():
            sfn.describe_execution(executionArn=one["executionArn"])
            sfn.get_execution_history(executionArn=one["executionArn"], maxResults=1000)
            sfn.describe_state_machine_for_execution(executionArn=one["executionArn"])

        cases = {
            "executions": (f"#/executions?machine={quoted}", "#execution-count:has-text('shown')",
                           lambda: sfn.list_executions(stateMachineArn=arn, maxResults=100)),
            "failed": (f"#/executions?machine={quoted}&status=FAILED",
                       "#execution-count:has-text('shown')",
                       lambda: sfn.list_executions(stateMachineArn=arn, maxResults=100,
                                                   statusFilter="FAILED")),
            "machines": ("#/", "table tbody tr a:has-text('Bench')", api_machines),
            "execution": (f"#/executions/{urllib.parse.quote(one['executionArn'], safe='')}",
                          "#steps tbody tr", api_execution),
        }
        results = {name: {"console": [], "api": []} for name in cases}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{srv.endpoint}/console/")
            page.wait_for_selector("table tbody tr")
            for _ in range(args.rounds):
                for name, (route, ready, api) in cases.items():
                    page.goto(f"{srv.endpoint}/console/#/alarms")
                    page.wait_for_selector("h1:has-text('Alarms')")

                    def load():
                        page.evaluate("route => { location.hash = route; }", route)
                        page.wait_for_selector(ready, timeout=60000)

                    results[name]["console"].append(timed(load))
                    results[name]["api"].append(timed(api))
            browser.close()
        print(f"\n{args.executions} executions; median of {args.rounds} rounds "
              f"(ms, console in Chromium vs the same data by boto3)")
        print(f"{'page':<12}{'console':>10}{'api':>10}{'ratio':>8}")
        for name, figures in results.items():
            console = statistics.median(figures["console"])
            api = statistics.median(figures["api"])
            print(f"{name:<12}{console:>10.1f}{api:>10.1f}{console / api:>8.2f}")


if __name__ == "__main__":
    main()
