#!/usr/bin/env python3
"""Durable STANDARD executions on PostgreSQL beside SQLite, in one run: two release servers on
the same machine, one on an SQLite file (`synchronous=FULL`), one on the PostgreSQL at
127.0.0.1:5432 (a fresh schema; the server's own settings, `fsync` and `synchronous_commit` on).
Each gets the same Pass machine; wrk (bench/start_execution.lua, 8 connections, DURATION
seconds) starts executions of it, ROUNDS times in turn, and every accepted start must have
SUCCEEDED before the next round (wrk's count, plus at most the 8 requests in flight when it
stopped). It prints the median starts/s of each and their ratio.

One node; bench/cluster.py measures 1, 2 and 3 nodes on one database.

    bench/postgres.py [--binary target/release/switchback] [--rounds 3] [--duration 10]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))

from conftest import ROLE, Server, free_port, make_client  # noqa: E402

BASE = os.environ.get("SWITCHBACK_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
DEFINITION = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def psql(statement):
    subprocess.run(["psql", BASE, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", statement],
                   check=True, capture_output=True)


def wrk(server, arn, seconds, label):
    out = os.path.join(tempfile.gettempdir(), f"wrk-pg-{label}.json")
    subprocess.run(
        [sys.executable, os.path.join(HERE, "run_wrk.py"), "--server-pid",
         str(server.process.pid), "--label", label, "--out", out, "--", "wrk", "-t2", "-c8",
         f"-d{seconds}s", "--timeout", "5s", "-s", os.path.join(HERE, "start_execution.lua"),
         server.endpoint + "/"],
        check=True, stdout=subprocess.DEVNULL,
        env={**os.environ, "BENCH_DIR": HERE, "STATE_MACHINE_ARN": arn, "RUN_ID": label})
    with open(out) as result:
        return json.load(result)


def drained(sfn, arn):
    """Waits until no execution runs; answers how many succeeded and how many did not."""
    deadline = time.time() + 120
    while sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING",
                              maxResults=1)["executions"]:
        assert time.time() < deadline, "executions still running after 120 s"
        time.sleep(0.2)
    counts = {}
    for status in ("SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"):
        token, total = None, 0
        while True:
            page = sfn.list_executions(stateMachineArn=arn, statusFilter=status,
                                       maxResults=1000, **({"nextToken": token} if token else {}))
            total += len(page["executions"])
            token = page.get("nextToken")
            if not token:
                break
        counts[status] = total
    return counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(HERE, "..", "target", "release",
                                                         "switchback"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    schema = f"switchback_bench_{uuid.uuid4().hex[:10]}"
    psql(f"CREATE SCHEMA {schema}")
    url = f"{BASE}?options={urllib.parse.quote(f'-c search_path={schema}')}"
    dirs = [tempfile.mkdtemp(prefix="switchback-bench-sqlite-"),
            tempfile.mkdtemp(prefix="switchback-bench-pg-")]
    servers = {
        "sqlite": Server(args.binary, dirs[0], free_port()).start(),
        "postgres": Server(args.binary, dirs[1], free_port(), ["--database", url]).start(),
    }
    try:
        arns = {name: make_client(server.endpoint).create_state_machine(
            name="Bench", roleArn=ROLE, definition=DEFINITION)["stateMachineArn"]
            for name, server in servers.items()}
        rates = {name: [] for name in servers}
        accepted = {name: 0 for name in servers}
        for round_ in range(args.rounds):
            for name, server in servers.items():
                result = wrk(server, arns[name], args.duration, f"{name}-{round_}")
                rates[name].append(result["calls_per_s"])
                accepted[name] += result["ok"]
                counts = drained(make_client(server.endpoint), arns[name])
                # wrk stops with up to 8 requests in flight: the server may have accepted them.
                assert accepted[name] <= counts["SUCCEEDED"] <= accepted[name] + 8 * (round_ + 1), (
                    name, counts, accepted[name])
                assert counts["SUCCEEDED"] == sum(counts.values()), (name, counts)
                print(f"{name} round {round_ + 1}: {result['calls_per_s']:.0f} starts/s, "
                      f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
                      f"{counts['SUCCEEDED']} succeeded in all", flush=True)
        sqlite = statistics.median(rates["sqlite"])
        postgres = statistics.median(rates["postgres"])
        print(f"\nmedian of {args.rounds} rounds of {args.duration} s, 8 connections:")
        print(f"  SQLite     {sqlite:8.0f} durable starts/s")
        print(f"  PostgreSQL {postgres:8.0f} durable starts/s  ({postgres / sqlite:.2f}x SQLite)")
    finally:
        for server in servers.values():
            server.stop()
        for path in dirs:
            shutil.rmtree(path, ignore_errors=True)
        psql(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
