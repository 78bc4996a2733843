#!/usr/bin/env python3
"""Several nodes on one PostgreSQL (issue 13), side by side in one run with the SQLite single
node: release servers on this machine, each configuration on fresh data.

Throughput: durable STANDARD starts of a Pass machine with 1, 2 and 3 nodes on one PostgreSQL
schema, one wrk per node at once (bench/start_execution.lua, 8 connections each, DURATION
seconds), beside one SQLite node under one wrk; ROUNDS rounds in turn, the median of the summed
starts/s of each configuration and its ratio to SQLite. Every accepted start must have SUCCEEDED
before the next round (wrk's count plus at most the requests in flight when it stopped).

Takeover: two nodes, EXECUTIONS executions waiting on the first (a 1-hour Wait); the first is
`kill -9`ed and the time until the second owns all of them is measured, TAKEOVERS times, with
the default lease (10 s) and with `--node-lease 2`.

All the processes share this machine's cores (2 here), so the nodes compete with each other and
with PostgreSQL for CPU: the figures say what one machine does, not what separate machines would.

    bench/cluster.py [--binary target/release/switchback] [--rounds 3] [--duration 10]
                     [--takeovers 3] [--executions 200]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))

from conftest import ROLE, Server, free_port, make_client, psql, schema_url  # noqa: E402

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600,
                                                    "End": True}}})


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


class Setup:
    """Nodes on fresh data: SQLite (one node) or a fresh PostgreSQL schema (`nodes` nodes)."""

    def __init__(self, binary, nodes, postgres, extra=()):
        self.dirs, self.servers, self.schema = [], [], None
        args = list(extra)
        if postgres:
            self.schema = f"switchback_bench_{uuid.uuid4().hex[:10]}"
            psql(f"CREATE SCHEMA {self.schema}")
            args += ["--database", schema_url(self.schema)]
        for index in range(nodes):
            path = tempfile.mkdtemp(prefix="switchback-bench-cluster-")
            self.dirs.append(path)
            self.servers.append(Server(binary, path, free_port(),
                                       args + ["--node-name", f"node-{index}"]
                                       if postgres else args).start())

    def close(self):
        for server in self.servers:
            server.stop()
        for path in self.dirs:
            shutil.rmtree(path, ignore_errors=True)
        if self.schema:
            psql(f"DROP SCHEMA {self.schema} CASCADE")


def throughput_round(setup, arn, seconds, label):
    """One wrk per node at once; answers the summed starts/s and accepted starts."""
    results = [None] * len(setup.servers)

    def run(index, server):
        results[index] = wrk(server, arn, seconds, f"{label}-{index}")

    threads = [threading.Thread(target=run, args=(index, server))
               for index, server in enumerate(setup.servers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(r["calls_per_s"] for r in results), sum(r["ok"] for r in results)


def throughput(args):
    configurations = {"sqlite, 1 node": (1, False)}
    for nodes in (int(count) for count in args.nodes.split(",")):
        configurations[f"postgres, {nodes} node{'s' if nodes > 1 else ''}"] = (nodes, True)
    setups = {name: Setup(args.binary, nodes, postgres)
              for name, (nodes, postgres) in configurations.items()}
    try:
        arns = {name: make_client(setup.servers[0].endpoint).create_state_machine(
            name="Bench", roleArn=ROLE, definition=PASS)["stateMachineArn"]
            for name, setup in setups.items()}
        rates = {name: [] for name in setups}
        accepted = {name: 0 for name in setups}
        for round_ in range(args.rounds):
            for name, setup in setups.items():
                rate, ok = throughput_round(setup, arns[name], args.duration,
                                            f"{name.replace(', ', '-').replace(' ', '')}-{round_}")
                rates[name].append(rate)
                accepted[name] += ok
                counts = drained(make_client(setup.servers[0].endpoint), arns[name])
                in_flight = 8 * len(setup.servers) * (round_ + 1)
                assert accepted[name] <= counts["SUCCEEDED"] <= accepted[name] + in_flight, (
                    name, counts, accepted[name])
                assert counts["SUCCEEDED"] == sum(counts.values()), (name, counts)
                print(f"{name} round {round_ + 1}: {rate:.0f} starts/s, "
                      f"{counts['SUCCEEDED']} succeeded in all", flush=True)
        base = statistics.median(rates["sqlite, 1 node"])
        print(f"\nthroughput, median of {args.rounds} rounds of {args.duration} s, "
              "8 connections per node:")
        for name in setups:
            median = statistics.median(rates[name])
            print(f"  {name:<20} {median:8.0f} durable starts/s  ({median / base:.2f}x SQLite)")
    finally:
        for setup in setups.values():
            setup.close()


def owned_by(schema, node):
    out = subprocess.run(
        ["psql", os.environ.get("SWITCHBACK_TEST_DATABASE_URL",
                                "postgres://postgres@127.0.0.1:5432/test"), "-qAt", "-c",
         f"SELECT count(*) FROM {schema}.executions e JOIN {schema}.nodes n ON n.id = e.owner "
         f"WHERE e.end_status IS NULL AND n.name = '{node}'"],
        check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def takeover_once(binary, executions, lease):
    extra = ["--node-lease", str(lease)] if lease else []
    setup = Setup(binary, 2, True, extra)
    try:
        first, second = setup.servers
        sfn = make_client(first.endpoint)
        arn = sfn.create_state_machine(name="Waits", roleArn=ROLE,
                                       definition=WAIT)["stateMachineArn"]
        for index in range(executions):
            sfn.start_execution(stateMachineArn=arn, name=f"w-{index}")
        assert owned_by(setup.schema, "node-0") == executions
        killed = time.monotonic()
        first.process.kill()
        first.process.wait(10)
        while owned_by(setup.schema, "node-1") < executions:
            assert time.monotonic() - killed < 120, "no takeover within 120 s"
            time.sleep(0.02)
        took = time.monotonic() - killed
        # The second node drives them: a stop through it answers at once.
        execution = arn.replace(":stateMachine:", ":execution:") + ":w-0"
        make_client(second.endpoint).stop_execution(executionArn=execution)
        return took
    finally:
        setup.close()


def takeover(args):
    print(f"\ntakeover of {args.executions} waiting executions after kill -9, "
          f"median of {args.takeovers}:")
    for lease in (None, 2):
        times = [takeover_once(args.binary, args.executions, lease)
                 for _ in range(args.takeovers)]
        name = "default lease (10 s)" if lease is None else f"--node-lease {lease}"
        print(f"  {name:<22} {statistics.median(times):6.2f} s  "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)})", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(HERE, "..", "target", "release",
                                                         "switchback"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--takeovers", type=int, default=3)
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--nodes", default="1,2,3",
                        help="the PostgreSQL node counts to measure, comma-separated")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-takeover", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_throughput:
        throughput(args)
    if not args.skip_takeover:
        takeover(args)


if __name__ == "__main__":
    main()
