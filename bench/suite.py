#!/usr/bin/env python3
"""The benchmark suite of issue 10: six workloads, each beside its reference in the same run.

Run it through `scripts/bench` (which builds the binaries first). Standard library only.

    scripts/bench                          # everything: medians of 3, about 10 minutes
    REPEATS=1 DURATION=3 PARKED=20000 scripts/bench   # a quick look
    SKIP_MOTO=1 scripts/bench              # without the moto reference
    NO_WRITE=1 scripts/bench               # print, do not touch docs/BENCHMARKS.md

Workloads (the issue's numbering):
  1. StartSyncExecution of the seed workflow (EXPRESS) through alias `main`: wrk, closed loop,
     1 and 8 connections; then `loadgen` open-loop at half the saturation rate for the p99.
  2. StartExecution of the seed workflow (STANDARD, durable): wrk, 8 connections, unique names;
     afterwards none may be left RUNNING.
  3. StartSyncExecution of a Map of 100 items, each a Parallel of two Pass states (EXPRESS).
  4. PARKED (100,000) STANDARD executions started into a Wait until one timestamp; memory while
     parked; time from the timestamp until none is RUNNING.
  5. GetExecutionHistory (maxResults 1000) of an execution with at least 1,000 events.
  6. The in-process interpreter: criterion's `seed_alias/execution` (2 state transitions).

References measured in the same run: a bare axum endpoint (`crates/api/examples/bare.rs`, the same
HTTP stack answering a fixed body) under the same generator and connections; moto's Step
Functions (StartExecution, as moto has no StartSyncExecution and no aliases) under the same
generator; and the previous suite run recorded in docs/BENCHMARKS.md.
"""
import datetime
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_wrk import proc  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
SHARED = os.environ.get("SHARED_BENCH", os.path.join(ROOT, "..", "shared", "bench"))
SEED = os.path.join(ROOT, "..", "shared", "examples", "seed", "statemachine", "alias.asl.json")
DOC = os.path.join(ROOT, "docs", "BENCHMARKS.md")
RELEASE = os.path.join(ROOT, "target", "release")
ROLE = "arn:aws:iam::123456789012:role/DummyStepFunctionsRole"

DURATION = min(int(os.environ.get("DURATION", "10")), 30)
REPEATS = min(int(os.environ.get("REPEATS", "3")), 5)
PARKED = min(int(os.environ.get("PARKED", "100000")), 200000)
SKIP_MOTO = os.environ.get("SKIP_MOTO") == "1"
SKIP_CRITERION = os.environ.get("SKIP_CRITERION") == "1"
NO_WRITE = os.environ.get("NO_WRITE") == "1"
OUT = os.environ.get("OUT") or os.path.join(
    ROOT, "target", "bench", "suite-" + time.strftime("%Y%m%dT%H%M%S"))

# Where each figure of the issue must land; None: reported, no target.
TARGETS = {
    "w1_vs_bare": 0.5, "w1_vs_moto": 100.0, "w1_p99_half_ms": 5.0,
    "w2_per_s": 5000.0, "w4_bytes_per_parked": 2048.0, "w4_drain_s": 30.0,
    "w6_ns_per_transition": 500.0, "idle_rss_mb": 30.0,
}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_status(pid):
    """VmRSS and VmHWM (kB) and cpu_s of a process: run_wrk.py's reading of /proc."""
    return proc(pid)


def proc_cpu(pid):
    return proc(pid)["cpu_s"]


def wait_http(url, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    raise SystemExit(f"nothing answers on {url}")


# moto picks the service by the credential scope of the Authorization header; it checks no
# signature. Switchback is sent no Authorization header (it verifies signatures when it has
# credentials to verify them with).
MOTO_AUTH = ("AWS4-HMAC-SHA256 Credential=testing/20261202/us-east-1/states/aws4_request, "
             "SignedHeaders=host;x-amz-date, Signature=00")


def sfn(port, target, body, auth=None):
    headers = {"Content-Type": "application/x-amz-json-1.0",
               "X-Amz-Target": f"AWSStepFunctions.{target}"}
    if auth:
        headers["Authorization"] = auth
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/", data=json.dumps(body).encode(), method="POST",
        headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{target} answered {error.code}: {error.read().decode()[:500]}")


class Server:
    def __init__(self, name, argv, port, env=None, health="/"):
        self.name, self.port = name, port
        self.log = open(os.path.join(OUT, f"{name}.log"), "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})
        wait_http(f"http://127.0.0.1:{port}{health}")
        time.sleep(0.5)
        self.idle_rss_kb = proc_status(self.proc.pid)["VmRSS"]

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wrk(server, script, conns, env, label):
    """One wrk run through bench/run_wrk.py; returns its JSON result."""
    out = os.path.join(OUT, f"wrk-{label}.json")
    threads = min(conns, 2)
    subprocess.run(
        [sys.executable, os.path.join(BENCH, "run_wrk.py"), "--server-pid", str(server.pid),
         "--label", label, "--out", out, "--", "wrk", f"-t{threads}", f"-c{conns}",
         f"-d{DURATION}s", "--timeout", "5s", "-s", os.path.join(BENCH, script),
         f"http://127.0.0.1:{server.port}/"],
        check=True, env={**os.environ, "BENCH_DIR": BENCH, **env}, stdout=subprocess.DEVNULL)
    with open(out) as f:
        result = json.load(f)
    errors = sum(result["errors"].values())
    log(f"  {label}: {result['calls_per_s']:.0f} calls/s, p50 {result['p50_ms']:.3f} ms, "
        f"p99 {result['p99_ms']:.3f} ms, server {result['server']['cpu_ms_per_call']:.4f} ms "
        f"CPU/call, client CPU {result['client_cpu_util_pct']}%, errors {errors}")
    return result


def loadgen(port, target, body, **options):
    argv = [os.path.join(RELEASE, "loadgen"), "--url", f"http://127.0.0.1:{port}/",
            "--target", target, "--body", body]
    for key, value in options.items():
        argv += [f"--{key}", str(value)]
    done = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=600)
    return json.loads(done.stdout)


def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


def repeat(fn):
    return [fn(i) for i in range(REPEATS)]


def create_machine(port, name, definition, kind, auth=None):
    return sfn(port, "CreateStateMachine", {
        "name": name, "type": kind, "roleArn": ROLE,
        "definition": json.dumps(definition)}, auth)["stateMachineArn"]


def map_definition():
    def branch(side):
        return {"StartAt": f"{side}1", "States": {f"{side}1": {"Type": "Pass", "Next": f"{side}2"},
                                                  f"{side}2": {"Type": "Pass", "End": True}}}
    return {"StartAt": "Items", "States": {
        "Items": {"Type": "Pass", "Parameters": {"items.$": "States.ArrayRange(1, 100, 1)"},
                  "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                 "ItemProcessor": {"StartAt": "Both", "States": {
                     "Both": {"Type": "Parallel", "End": True,
                              "Branches": [branch("A"), branch("B")]}}}}}}


def history_definition(items):
    return {"StartAt": "Items", "States": {
        "Items": {"Type": "Pass", "Parameters": {"items.$": f"States.ArrayRange(1, {items}, 1)"},
                  "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                 "ItemProcessor": {"StartAt": "One", "States": {
                     "One": {"Type": "Pass", "End": True}}}}}}


def running_count_is_zero(port, machine):
    page = sfn(port, "ListExecutions", {"stateMachineArn": machine, "statusFilter": "RUNNING",
                                        "maxResults": 1})
    return not page["executions"]


def machine_info():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "crates"], cwd=ROOT).returncode
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (+ uncommitted changes)" if dirty else ""),
        "cpu": f"{os.cpu_count()} × {model}", "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "load_before": open("/proc/loadavg").read().split()[:3],
        "duration_s": DURATION, "repeats": REPEATS,
    }


def previous_figures():
    try:
        text = open(DOC).read()
    except FileNotFoundError:
        return None
    found = re.findall(r"<!-- suite-figures (\{.*?\}) -->", text)
    # Runs are added newest first.
    return json.loads(found[0]) if found else None


def criterion_seed():
    """Workload 6: criterion's median of the seed execution, in ns per transition."""
    subprocess.run(["cargo", "bench", "-q", "-p", "engine", "--bench", "interpreter", "--",
                    "seed_alias/execution", "--warm-up-time", "1", "--measurement-time", "3"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    path = os.path.join(ROOT, "target", "criterion", "seed_alias", "execution", "new",
                        "estimates.json")
    with open(path) as f:
        median_ns = json.load(f)["median"]["point_estimate"]
    return median_ns


def main():
    os.makedirs(OUT, exist_ok=True)
    info = machine_info()
    log(f"== suite: results in {OUT}")
    data_dir = tempfile.mkdtemp(prefix="switchback-suite.")
    servers = []
    figures, rows = {}, []
    try:
        sb_port, bare_port = free_port(), free_port()
        switchback = Server("switchback", [os.path.join(RELEASE, "switchback"), "serve",
                                           "--bind", f"127.0.0.1:{sb_port}",
                                           "--data-dir", data_dir], sb_port, health="/health")
        servers.append(switchback)
        bare = Server("bare", [os.path.join(RELEASE, "examples", "bare"),
                               f"127.0.0.1:{bare_port}"], bare_port)
        servers.append(bare)
        moto = None
        if not SKIP_MOTO:
            moto_port = free_port()
            venv = os.environ.get("VENV", os.path.join(ROOT, "target", "bench", "venv-moto"))
            subprocess.run(["bash", os.path.join(SHARED, "start-moto.sh")], cwd=OUT, check=True,
                           env={**os.environ, "PORT": str(moto_port), "VENV": venv},
                           stdout=subprocess.DEVNULL)
            moto_pid = int(open(os.path.join(OUT, "moto.pid")).read())
            moto = type("Moto", (), {"pid": moto_pid, "port": moto_port, "name": "moto"})()
            moto.idle_rss_kb = proc_status(moto_pid)["VmRSS"]
            info["moto"] = subprocess.run(
                [os.path.join(venv, "bin", "python"), "-c", "import moto; print(moto.__version__)"],
                capture_output=True, text=True).stdout.strip()
        figures["idle_rss_mb"] = round(switchback.idle_rss_kb / 1024, 1)
        info["wrk"] = " ".join(subprocess.run(["wrk", "-v"], capture_output=True,
                                              text=True).stdout.split()[:2])

        seed = json.load(open(SEED))
        tag = str(int(time.time()))
        # Workload 1: the seed through alias main, EXPRESS.
        express = create_machine(sb_port, f"seed-express-{tag}", seed, "EXPRESS")
        version = sfn(sb_port, "PublishStateMachineVersion", {"stateMachineArn": express})
        alias = sfn(sb_port, "CreateStateMachineAlias", {
            "name": "main", "routingConfiguration": [
                {"stateMachineVersionArn": version["stateMachineVersionArn"], "weight": 100}]}
        )["stateMachineAliasArn"]
        check = sfn(sb_port, "StartSyncExecution", {"stateMachineArn": alias,
                                                     "input": '{"type":"B"}'})
        assert check["status"] == "SUCCEEDED", check
        log("== workload 1: StartSyncExecution through alias main (EXPRESS)")
        w1 = {c: [] for c in (1, 8)}
        bare_runs = {c: [] for c in (1, 8)}
        moto_runs = []
        moto_arn = None
        if moto:
            moto_arn = create_machine(moto.port, f"seed-express-{tag}", seed, "EXPRESS", MOTO_AUTH)
        for rep in range(REPEATS):
            for conns in (1, 8):
                bare_runs[conns].append(wrk(bare, "bare.lua", conns, {}, f"bare-c{conns}-r{rep}"))
                w1[conns].append(wrk(switchback, "start_sync.lua", conns,
                                     {"STATE_MACHINE_ARN": alias}, f"w1-c{conns}-r{rep}"))
            if moto:
                moto_runs.append(wrk(moto, "start_execution.lua", 8,
                                     {"STATE_MACHINE_ARN": moto_arn, "RUN_ID": f"m{tag}{rep}",
                                      "AUTHORIZATION": MOTO_AUTH},
                                     f"moto-express-c8-r{rep}"))
        saturation = median_of(w1[8], "calls_per_s")
        bare8 = median_of(bare_runs[8], "calls_per_s")
        figures["w1_per_s"] = round(saturation)
        figures["bare_per_s"] = round(bare8)
        figures["w1_vs_bare"] = round(saturation / bare8, 2)
        # The generator's share of the two cores, beside each figure it drove.
        figures["w1_client_cpu_pct"] = median_of(w1[8], "client_cpu_util_pct")
        figures["bare_client_cpu_pct"] = median_of(bare_runs[8], "client_cpu_util_pct")
        rows.append(("1", "StartSyncExecution via alias, 8 conns", f"{saturation:,.0f} calls/s "
                     f"(wrk: {figures['w1_client_cpu_pct']:.0f} % of a core)",
                     f"bare endpoint {bare8:,.0f}/s (wrk: {figures['bare_client_cpu_pct']:.0f} %)",
                     f"{saturation / bare8:.2f}", "≥ 0.50"))
        w1c1 = median_of(w1[1], "calls_per_s")
        bare1 = median_of(bare_runs[1], "calls_per_s")
        rows.append(("1", "StartSyncExecution via alias, 1 conn", f"{w1c1:,.0f} calls/s",
                     f"bare endpoint {bare1:,.0f}/s", f"{w1c1 / bare1:.2f}", ""))
        if moto_runs:
            moto_rate = median_of(moto_runs, "calls_per_s")
            figures["moto_per_s"] = round(moto_rate, 1)
            figures["w1_vs_moto"] = round(saturation / moto_rate)
            rows.append(("1", "… against moto (its EXPRESS StartExecution, 8 conns)",
                         f"{saturation:,.0f} calls/s", f"moto {moto_rate:,.0f}/s",
                         f"{saturation / moto_rate:,.0f}×", "≥ 100×"))
        half = max(saturation / 2, 1.0)
        body = json.dumps({"stateMachineArn": alias, "input": '{"type":"B"}'})
        paced = repeat(lambda i: loadgen(sb_port, "AWSStepFunctions.StartSyncExecution", body,
                                         rate=round(half), connections=32, duration=DURATION))
        p99 = median_of(paced, "p99_ms")
        figures["w1_p99_half_ms"] = round(p99, 3)
        figures["w1_p50_half_ms"] = round(median_of(paced, "p50_ms"), 3)
        achieved = median_of(paced, "calls_per_s")
        log(f"  open loop at {half:,.0f}/s: achieved {achieved:,.0f}/s, p50 "
            f"{figures['w1_p50_half_ms']} ms, p99 {p99} ms")
        rows.append(("1", f"p99 at half saturation ({half:,.0f} calls/s offered, open loop)",
                     f"{p99:.2f} ms (p50 {figures['w1_p50_half_ms']:.2f})",
                     f"achieved {achieved:,.0f}/s", "", "< 5 ms"))

        # Workload 2: the seed, STANDARD, durable.
        log("== workload 2: StartExecution (STANDARD, durable)")
        standard = create_machine(sb_port, f"seed-standard-{tag}", seed, "STANDARD")
        w2 = repeat(lambda i: wrk(switchback, "start_execution.lua", 8,
                                  {"STATE_MACHINE_ARN": standard, "RUN_ID": f"s{tag}{i}"},
                                  f"w2-c8-r{i}"))
        moto_std = []
        if moto:
            moto_std_arn = create_machine(moto.port, f"seed-standard-{tag}", seed, "STANDARD",
                                          MOTO_AUTH)
            moto_std = repeat(lambda i: wrk(moto, "start_execution.lua", 8,
                                            {"STATE_MACHINE_ARN": moto_std_arn,
                                             "RUN_ID": f"ms{tag}{i}",
                                             "AUTHORIZATION": MOTO_AUTH}, f"moto-standard-c8-r{i}"))
        time.sleep(1)
        assert running_count_is_zero(sb_port, standard), "STANDARD executions left RUNNING"
        rate2 = median_of(w2, "calls_per_s")
        figures["w2_per_s"] = round(rate2)
        figures["w2_vs_bare"] = round(rate2 / bare8, 3)
        ref = f"bare endpoint {bare8:,.0f}/s"
        rows.append(("2", "StartExecution STANDARD, completed and committed, 8 conns",
                     f"{rate2:,.0f} executions/s", ref, f"{rate2 / bare8:.2f}", "≥ 5,000/s"))
        if moto_std:
            m2 = median_of(moto_std, "calls_per_s")
            figures["w2_vs_moto"] = round(rate2 / m2)
            rows.append(("2", "… against moto (STANDARD StartExecution, 8 conns)",
                         f"{rate2:,.0f}/s", f"moto {m2:,.0f}/s", f"{rate2 / m2:,.0f}×", ""))

        # Workload 3: a Map of 100 items, each a Parallel of two Pass states.
        log("== workload 3: Map of 100 × Parallel(Pass, Pass), StartSyncExecution")
        mapped = create_machine(sb_port, f"map100-{tag}", map_definition(), "EXPRESS")
        check = sfn(sb_port, "StartSyncExecution", {"stateMachineArn": mapped, "input": "{}"})
        assert check["status"] == "SUCCEEDED", check
        w3 = repeat(lambda i: wrk(switchback, "start_sync.lua", 8,
                                  {"STATE_MACHINE_ARN": mapped, "INPUT": "{}"}, f"w3-c8-r{i}"))
        rate3 = median_of(w3, "calls_per_s")
        # 2 top-level states + 100 × (Parallel + 2 × 2 Pass) = 502 transitions per execution.
        figures["w3_per_s"] = round(rate3, 1)
        figures["w3_transitions_per_s"] = round(rate3 * 502)
        rows.append(("3", "Map of 100 × Parallel of two Pass, StartSyncExecution, 8 conns",
                     f"{rate3:,.0f} executions/s ({rate3 * 502 / 1e6:.2f} M transitions/s)",
                     f"bare endpoint {bare8:,.0f}/s", f"{rate3 / bare8:.3f}", ""))

        # Workload 5 before 4 (4 fills the store with PARKED executions).
        log("== workload 5: GetExecutionHistory of a 1,000-event execution")
        items = 250
        hist_machine = create_machine(sb_port, f"history-{tag}", history_definition(items),
                                      "STANDARD")
        execution = sfn(sb_port, "StartExecution", {"stateMachineArn": hist_machine,
                                                    "input": "{}"})["executionArn"]
        for _ in range(100):
            if sfn(sb_port, "DescribeExecution", {"executionArn": execution})["status"] != "RUNNING":
                break
            time.sleep(0.1)
        page = sfn(sb_port, "GetExecutionHistory", {"executionArn": execution, "maxResults": 1000})
        events = len(page["events"])
        assert events == 1000, f"{events} events on the first page"
        w5 = repeat(lambda i: wrk(switchback, "history.lua", 8,
                                  {"EXECUTION_ARN": execution}, f"w5-c8-r{i}"))
        rate5 = median_of(w5, "calls_per_s")
        figures["w5_per_s"] = round(rate5)
        figures["w5_p99_ms"] = round(median_of(w5, "p99_ms"), 3)
        rows.append(("5", "GetExecutionHistory, 1,000 events a page, 8 conns",
                     f"{rate5:,.0f} pages/s ({rate5 / 1000:.1f} M events/s), p99 "
                     f"{figures['w5_p99_ms']:.2f} ms", f"bare endpoint {bare8:,.0f}/s",
                     f"{rate5 / bare8:.3f}", ""))

        # Workload 4: PARKED executions in a Wait until one timestamp, then released.
        log(f"== workload 4: {PARKED:,} STANDARD executions parked in a Wait, then released")
        park = create_machine(sb_port, f"park-{tag}", {
            "StartAt": "Park", "States": {
                "Park": {"Type": "Wait", "TimestampPath": "$.until", "Next": "Done"},
                "Done": {"Type": "Succeed"}}}, "STANDARD")
        # Leave time to start them all at 60 % of workload 2's rate, and 5 s more.
        lead = PARKED / max(0.6 * rate2, 500.0) + 5
        until = time.time() + lead
        until_text = datetime.datetime.fromtimestamp(
            until, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        rss_before = proc_status(switchback.pid)["VmRSS"]
        cpu_before = proc_cpu(switchback.pid)
        body = json.dumps({"stateMachineArn": park, "name": f"park-{tag}-{{n}}",
                           "input": json.dumps({"until": until_text})})
        started = loadgen(sb_port, "AWSStepFunctions.StartExecution", body, connections=8,
                          count=PARKED)
        parked_at = time.time()
        assert started["ok"] == PARKED, started
        time.sleep(1)
        rss_parked = proc_status(switchback.pid)["VmRSS"]
        per_parked = (rss_parked - rss_before) * 1024 / PARKED
        log(f"  started {PARKED:,} in {started['duration_s']} s ({started['calls_per_s']:,.0f}/s); "
            f"RSS {rss_before / 1024:.0f} → {rss_parked / 1024:.0f} MB: {per_parked:,.0f} B each")
        early = parked_at > until
        while time.time() < until:
            time.sleep(0.05)
        while not running_count_is_zero(sb_port, park):
            time.sleep(0.05)
            if time.time() - until > 120:
                raise SystemExit("parked executions still RUNNING 120 s after their release")
        drain = time.time() - until
        figures["w4_bytes_per_parked"] = round(per_parked)
        figures["w4_drain_s"] = round(drain, 2)
        figures["w4_start_per_s"] = round(started["calls_per_s"])
        figures["w4_cpu_s"] = round(proc_cpu(switchback.pid) - cpu_before, 1)
        rows.append(("4", f"{PARKED:,} parked in a Wait: memory each",
                     f"{per_parked:,.0f} B ({(rss_parked - rss_before) / 1024:,.0f} MB in all)",
                     f"RSS before {rss_before / 1024:.0f} MB", "", "< 2 KB"))
        rows.append(("4", "… all released at one timestamp: until none RUNNING",
                     f"{drain:.1f} s" + (" (parking outlasted the release time)" if early else ""),
                     f"started at {started['calls_per_s']:,.0f}/s", "", "< 30 s"))

        figures["peak_rss_mb"] = round(proc_status(switchback.pid)["VmHWM"] / 1024, 1)
        rows.append(("—", "idle server, resident", f"{figures['idle_rss_mb']} MB",
                     f"bare endpoint {bare.idle_rss_kb / 1024:.1f} MB"
                     + (f", moto {moto.idle_rss_kb / 1024:.0f} MB" if moto else ""), "", "< 30 MB"))
    finally:
        for server in servers:
            server.stop()
        if not SKIP_MOTO and os.path.exists(os.path.join(OUT, "moto.pid")):
            subprocess.run(["kill", open(os.path.join(OUT, "moto.pid")).read().strip()])
        subprocess.run(["rm", "-rf", data_dir])

    if not SKIP_CRITERION:
        log("== workload 6: the interpreter (criterion, seed_alias/execution)")
        median_ns = criterion_seed()
        figures["w6_ns_per_transition"] = round(median_ns / 2)
        rows.append(("6", "interpreter, seed workflow (criterion median ÷ 2 transitions)",
                     f"{median_ns / 2:,.0f} ns per transition", f"{median_ns:,.0f} ns per execution",
                     "", "< 500 ns"))
    info["load_after"] = open("/proc/loadavg").read().split()[:3]
    report(info, figures, rows)


def verdict(key, value):
    target = TARGETS.get(key)
    if target is None or value is None:
        return ""
    lower_is_better = key in ("w1_p99_half_ms", "w4_bytes_per_parked", "w4_drain_s",
                              "w6_ns_per_transition", "idle_rss_mb")
    ok = value < target if lower_is_better else value >= target
    return "met" if ok else "NOT met"


def report(info, figures, rows):
    previous = previous_figures()
    lines = [f"### Suite run of {info['date']}", "",
             f"Commit {info['commit']}; {info['cpu']}, {info['memory_gb']} GB; load "
             f"{' '.join(info['load_before'])} before, {' '.join(info['load_after'])} after; "
             f"{info['repeats']} repeats of {info['duration_s']} s, medians; {info.get('wrk', '')}"
             + (f"; moto {info['moto']}" if info.get("moto") else "") + ". "
             "Command: `scripts/bench`.", "",
             "| # | workload | Switchback | reference (same run) | ratio | target |",
             "|---|---|---|---|---:|---|"]
    for row in rows:
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "| figure | this run | previous run | target | |", "|---|---:|---:|---:|---|"]
    for key, value in figures.items():
        before = previous.get(key) if previous else None
        lines.append(f"| `{key}` | {value} | {before if before is not None else '—'} | "
                     f"{TARGETS.get(key, '—')} | {verdict(key, value)} |")
    lines += ["", "<!-- suite-figures " + json.dumps(figures, sort_keys=True) + " -->", ""]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(OUT, "report.md"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, "figures.json"), "w") as f:
        json.dump({"info": info, "figures": figures}, f, indent=2)
    if NO_WRITE:
        return
    doc = open(DOC).read()
    marker = "<!-- suite-runs: newest first; scripts/bench adds a run below this line -->"
    if marker not in doc:
        doc = doc.rstrip("\n") + "\n\n# Suite runs (issue 10)\n\nEach run of `scripts/bench` " \
              "adds its table here, newest first; the hidden line under each table holds its " \
              "figures, which the next run compares against.\n\n" + marker + "\n"
    doc = doc.replace(marker, marker + "\n\n" + text)
    with open(DOC, "w") as f:
        f.write(doc)
    log(f"== written to {DOC}")


if __name__ == "__main__":
    main()
