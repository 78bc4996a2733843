#!/usr/bin/env python3
"""Overload: Switchback under more clients than it serves at once, and under clients that
misbehave. Four scenarios, each checked for correctness as well as measured:

  1. long polls: POLLERS activity workers (asyncio raw sockets, hand-written HTTP/1.1, one
     connection each) wait in GetActivityTask on one activity. While they all wait, the
     latency of ListActivities / DescribeActivity from a separate client (another process) is
     measured against the same figure before the flood; then EXECUTIONS executions of a machine
     whose Task is that activity are started, the workers answer SendTaskSuccess, and every
     execution must SUCCEED with its worker's output, every task handed to exactly one worker.
  2. start flood: STARTERS clients start executions of a Pass machine in a loop for
     START_SECONDS, retrying ThrottlingException with jittered exponential back-off as the SDKs
     do; every start answered 200 must exist and SUCCEED, and ListExecutions must list exactly
     the accepted starts.
  3. slow clients: slowloris connections (a request head a byte a second) must be closed within
     15 s (the server allows 10 s); a body announced with Content-Length 1000 and never finished
     must get 408 RequestTimeoutException after about 30 s and create nothing; idle connections
     that never send a byte must not stop anyone else. A separate client measures latency
     meanwhile and opens a fresh connection every second.
  4. big requests: BIG_CLIENTS clients send, as fast as they can for BIG_SECONDS, StartExecution
     with an input just under the 256 KiB limit, CreateActivity bodies of exactly 1,048,576 bytes
     (padded in a member the model does not know, which is ignored) and of 1,048,577 bytes
     (413 RequestEntityTooLargeException); every answer must be the right one (a throttled
     request is retried), the server's RSS must stay under 1.5 GiB, and a separate client must
     still be answered.

An opt-in fifth, `budget`, holds the shared body budget with bodies that never come: HOGS (256)
connections announce a 1,048,576-byte body and send none of it, while a separate client makes
small calls and an SDK-like client tries StartExecution (5 attempts). The budget is charged by
the bytes that arrive (crates/api/src/limits.rs), so every other request must go on being
served; before that change every request with a body was throttled until the hogs' 30 s body
deadline.

The server's RSS (VmRSS) and open files are read from /proc before, during (sampled, the peak)
and after each scenario. The client raises its open-files soft limit to the hard limit and scales
the levels down, saying so, when the hard limit cannot hold them. Standard library only.

    .venv/bin/python bench/overload.py                     # full levels, about 1.5 minutes
    .venv/bin/python bench/overload.py --pollers 10000 --starters 1000 --json out.json
    .venv/bin/python bench/overload.py --binary /tmp/switchback-sec --scenarios polls,starts
    .venv/bin/python bench/overload.py --endpoint http://127.0.0.1:8083 --server-pid PID
    .venv/bin/python bench/overload.py --scenarios budget      # the body budget held hostage

Without --endpoint the script starts `switchback serve` (--binary, else $SWITCHBACK_BIN, else
target/release/switchback) on a free port and a data directory of its own (--keep keeps it).
It exits 1 when a check failed, after printing what failed. tests/python/test_overload.py runs
the same scenarios at CI levels.
"""
import argparse
import asyncio
import collections
import http.client
import json
import math
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLE = "arn:aws:iam::123456789012:role/switchback-overload"
CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "AWSStepFunctions."

# The server's limits (crates/api/src/limits.rs, server.rs, executions.rs).
MAX_BODY_BYTES = 1_048_576
MAX_INPUT_BYTES = 262_144
HEADER_READ_TIMEOUT_S = 10
BODY_READ_TIMEOUT_S = 30
POLL_S = 60

# What the checks allow.
RESPONSIVE_MEDIAN_MS = 250.0     # a cheap call's median latency under load
RESPONSIVE_FACTOR = 20.0         # ... and at most this many times its median before the load
SLOWLORIS_CUTOFF_S = 15.0        # a head sent a byte a second is cut off within this
BODY_TIMEOUT_WINDOW_S = (25.0, 45.0)  # when an unfinished body's 408 may come
RSS_BOUND_KB = int(1.5 * 1024 * 1024)  # 1.5 GiB

DEFAULTS = dict(pollers=10_000, executions=5_000, starters=1_000, start_seconds=5.0,
                slowloris=200, idle=500, slow_bodies=2, big_clients=32, big_seconds=5.0,
                probe_seconds=3.0)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Target:
    """Where the server listens and its process id (for /proc)."""

    def __init__(self, host, port, pid):
        self.host, self.port, self.pid = host, port, pid


# --- /proc --------------------------------------------------------------------------------

def rss_kb(pid):
    """VmRSS and VmHWM of a process, in kB (run_wrk.py's reading of /proc)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM", "Threads")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    return out


def open_files(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def open_files_limit(pid):
    """The soft open-files limit of another process."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                value = line.split()[3]
                return math.inf if value == "unlimited" else int(value)
    return math.inf


def raise_open_files():
    """Raises this process's open-files soft limit to the hard one; answers the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Watch:
    """Samples the server's RSS (every 0.1 s) and open files (every 0.5 s) in a thread."""

    def __init__(self, pid):
        self.pid = pid
        self.rss_peak_kb = 0
        self.fds_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        tick = 0
        while not self._stop.is_set():
            try:
                self.rss_peak_kb = max(self.rss_peak_kb, rss_kb(self.pid)["VmRSS"])
                if tick % 5 == 0:
                    self.fds_peak = max(self.fds_peak, open_files(self.pid))
            except (OSError, KeyError):
                pass
            tick += 1
            self._stop.wait(0.1)


def server_figures(pid, prefix):
    status = rss_kb(pid)
    return {f"{prefix}_rss_kb": status["VmRSS"], f"{prefix}_fds": open_files(pid),
            f"{prefix}_threads": status.get("Threads")}


# --- figures ------------------------------------------------------------------------------

def percentile(values, p):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values):
    return {"n": len(values), "median_ms": _round(percentile(values, 50)),
            "p99_ms": _round(percentile(values, 99)), "max_ms": _round(max(values, default=None))}


def _round(value):
    return None if value is None else round(value, 2)


def unique_tag():
    return f"{int(time.time()) % 100000}-{random.randrange(16 ** 4):04x}"


def backoff(attempt):
    """Full-jitter exponential back-off, as the SDKs' retry strategies: up to 50 ms, 100 ms, ...
    capped at 2 s."""
    return random.uniform(0, min(2.0, 0.05 * 2 ** attempt))


# --- a hand-written HTTP/1.1 client -------------------------------------------------------

class Http:
    """One keep-alive HTTP/1.1 connection on asyncio streams, requests written by hand."""

    def __init__(self, target):
        self.target = target
        self.reader = self.writer = None

    async def open(self, timeout=30.0):
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.target.host, self.target.port), timeout)

    def close(self):
        if self.writer is not None:
            self.writer.transport.abort()
        self.reader = self.writer = None

    def head(self, operation, length):
        return (f"POST / HTTP/1.1\r\nHost: {self.target.host}:{self.target.port}\r\n"
                f"Content-Type: {CONTENT_TYPE}\r\nX-Amz-Target: {TARGET_PREFIX}{operation}\r\n"
                f"Content-Length: {length}\r\n\r\n").encode()

    async def send(self, operation, body, timeout=30.0):
        """Sends one request; answers (status, headers, body bytes). Any failure closes the
        connection (the next request opens another) and is raised. A keep-alive connection
        the server has closed meanwhile (it closes one idle for 10 s) is opened again first, as
        HTTP client pools do."""
        if self.writer is not None and (self.reader.at_eof() or self.writer.is_closing()):
            self.close()
        if self.writer is None:
            await self.open()
        try:
            return await asyncio.wait_for(self._exchange(self.head(operation, len(body)), body),
                                          timeout)
        except BaseException:
            self.close()
            raise

    async def _exchange(self, head, body):
        self.writer.write(head)
        if body:
            self.writer.write(body)
        # Read while the body goes out: a server may answer (413) and close before it has read
        # a body it refuses, and its answer must not be lost to the failed write.
        reading = asyncio.ensure_future(self.read_response())
        try:
            await self.writer.drain()
        except ConnectionError:
            pass
        except BaseException:
            reading.cancel()
            raise
        try:
            return await reading
        except BaseException:
            reading.cancel()
            raise

    async def read_response(self):
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data += await self.reader.readexactly(size)
                await self.reader.readexactly(2)
                if size == 0:
                    break
        else:
            data = await self.reader.read()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, data


def encode(payload):
    return payload if isinstance(payload, (bytes, bytearray)) else json.dumps(payload).encode()


def decode(data):
    if not data:
        return {}
    try:
        return json.loads(data)
    except ValueError:
        return {"__raw": data[:200].decode("latin-1")}


def is_throttled(status, doc):
    return status == 400 and doc.get("__type") == "ThrottlingException"


async def call(conn, operation, payload, timeout=30.0):
    status, _, data = await conn.send(operation, encode(payload), timeout)
    return status, decode(data)


async def call_retrying(conn, operation, payload, counts, latencies=None, attempts=None,
                        timeout=30.0):
    """A call retried on ThrottlingException with back-off, as an SDK does; throttles are
    counted in counts["throttles"]. After `attempts` tries the throttled answer is returned."""
    body = encode(payload)
    attempt = 0
    while True:
        started = time.perf_counter()
        status, _, data = await conn.send(operation, body, timeout)
        if latencies is not None:
            latencies.append((time.perf_counter() - started) * 1000)
        doc = decode(data)
        if not is_throttled(status, doc):
            return status, doc
        counts["throttles"] += 1
        attempt += 1
        if attempts is not None and attempt >= attempts:
            return status, doc
        await asyncio.sleep(backoff(attempt))


async def must(conn, operation, payload):
    status, doc = await call_retrying(conn, operation, payload, collections.Counter())
    if status != 200:
        raise RuntimeError(f"{operation} answered {status}: {doc}")
    return doc


async def open_all(conns, parallel=256):
    """Opens many connections, `parallel` connects at a time (the listen backlog is 1,024)."""
    gate = asyncio.Semaphore(parallel)

    async def one(conn):
        async with gate:
            for attempt in range(5):
                try:
                    return await conn.open()
                except (OSError, asyncio.TimeoutError):
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))
    await asyncio.gather(*(one(conn) for conn in conns))


async def create_machine(conn, name, states, start):
    definition = {"StartAt": start, "States": states}
    doc = await must(conn, "CreateStateMachine", {
        "name": name, "roleArn": ROLE, "definition": json.dumps(definition)})
    return doc["stateMachineArn"]


async def list_executions(conn, machine_arn, status=None):
    items, token = [], None
    while True:
        payload = {"stateMachineArn": machine_arn, "maxResults": 1000}
        if status:
            payload["statusFilter"] = status
        if token:
            payload["nextToken"] = token
        doc = await must(conn, "ListExecutions", payload)
        items += doc.get("executions", [])
        token = doc.get("nextToken")
        if not token:
            return items


async def describe_all(target, arns, deadline_s, connections=32):
    """DescribeExecution of every ARN, again for those still RUNNING until `deadline_s` has
    passed; answers {arn: (status code, document)}."""
    out = {}
    pending = list(arns)
    end = time.monotonic() + deadline_s
    conns = [Http(target) for _ in range(min(connections, max(1, len(pending))))]
    while pending:
        queue = collections.deque(pending)
        later = []

        async def worker(conn):
            while queue:
                arn = queue.popleft()
                try:
                    status, doc = await call_retrying(conn, "DescribeExecution",
                                                      {"executionArn": arn},
                                                      collections.Counter())
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
                    status, doc = 0, {"error": repr(error)}
                out[arn] = (status, doc)
                if status == 200 and doc.get("status") == "RUNNING" or status == 0:
                    later.append(arn)
        await asyncio.gather(*(worker(conn) for conn in conns))
        pending = later
        if pending:
            if time.monotonic() > end:
                break
            await asyncio.sleep(0.5)
    for conn in conns:
        conn.close()
    return out


# --- the separate client that measures latency --------------------------------------------

class Probe:
    """A client in a process of its own (so that the load generator's event loop and GIL do not
    add to what it measures) calling `calls` in turn on one keep-alive connection every
    `interval` seconds, plus (with fresh_every) a call on a new connection that often."""

    def __init__(self, target, calls, interval=0.01, fresh_every=0.0):
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "probe", target.host, str(target.port),
             json.dumps(calls), str(interval), str(fresh_every)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the probe did not start: {line!r}")

    def stop(self):
        out, _ = self.process.communicate(timeout=120)
        doc = json.loads(out)
        return {"calls": {op: summary(values) for op, values in doc["latencies"].items()},
                "fresh_connection": summary(doc["fresh"]),
                "statuses": doc["statuses"], "errors": doc["errors"][:10],
                "error_count": len(doc["errors"])}

    async def astop(self):
        return await asyncio.to_thread(self.stop)


def probe_main(host, port, calls, interval, fresh_every):
    calls = json.loads(calls)
    interval, fresh_every = float(interval), float(fresh_every)
    latencies = {op: [] for op, _ in calls}
    fresh, statuses, errors = [], collections.Counter(), []
    stop = threading.Event()

    def request(conn, op, payload):
        started = time.perf_counter()
        conn.request("POST", "/", json.dumps(payload),
                     {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + op})
        answer = conn.getresponse()
        data = answer.read()
        elapsed = (time.perf_counter() - started) * 1000
        statuses[f"{op} {answer.status}"] += 1
        if answer.status != 200:
            errors.append(f"{op}: {answer.status} {data[:200]!r}")
            return None
        return elapsed

    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.connect()
    request(conn, *calls[0])  # warm up: not measured
    print("ready", flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    next_fresh = time.monotonic()
    while not stop.is_set():
        for op, payload in calls:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=30)
                    conn.connect()
                elapsed = request(conn, op, payload)
                if elapsed is not None:
                    latencies[op].append(elapsed)
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{op}: {error!r}")
                conn.close()
                conn = None
        if fresh_every and time.monotonic() >= next_fresh:
            next_fresh = time.monotonic() + fresh_every
            other = http.client.HTTPConnection(host, port, timeout=30)
            try:
                started = time.perf_counter()
                other.connect()
                if request(other, *calls[0]) is not None:
                    fresh.append((time.perf_counter() - started) * 1000)
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"fresh connection: {error!r}")
            finally:
                other.close()
        stop.wait(interval)
    try:
        print(json.dumps({"latencies": latencies, "fresh": fresh, "statuses": statuses,
                          "errors": errors}), flush=True)
    except BrokenPipeError:  # the load generator is gone
        pass


def cheap_calls(activity_arn):
    return [["ListActivities", {"maxResults": 10}],
            ["DescribeActivity", {"activityArn": activity_arn}]]


# --- 1. long polls ------------------------------------------------------------------------

async def long_polls(target, pollers, executions, probe_seconds=3.0, starter_connections=64,
                     ramp_timeout=180.0, finish_timeout=None):
    """Scenario 1: `pollers` workers wait in GetActivityTask; responsiveness before and during
    the flood; then `executions` executions whose one Task is the activity."""
    tag = unique_tag()
    admin = Http(target)
    activity = (await must(admin, "CreateActivity", {"name": f"overload-{tag}"}))["activityArn"]
    machine = await create_machine(admin, f"overload-polls-{tag}", {
        "Work": {"Type": "Task", "Resource": activity, "End": True}}, "Work")
    out = {"pollers": pollers, "executions": executions}
    await asyncio.sleep(0.5)
    out.update(server_figures(target.pid, "before"))

    probe = Probe(target, cheap_calls(activity))
    await asyncio.sleep(probe_seconds)
    out["latency_before"] = await probe.astop()

    counts = collections.Counter()
    outstanding = [0]
    by_token = collections.defaultdict(list)     # token -> [worker]
    by_number = collections.defaultdict(list)    # execution number -> [token]
    answered = set()                             # numbers whose SendTaskSuccess got 200
    errors = []
    stop = asyncio.Event()
    conns = [Http(target) for _ in range(pollers)]

    async def worker(index, conn):
        name = f"w{index}"
        poll = encode({"activityArn": activity, "workerName": name})
        while not stop.is_set():
            outstanding[0] += 1
            try:
                status, _, data = await conn.send("GetActivityTask", poll, POLL_S + 30)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
                counts["poll_errors"] += 1
                errors.append(f"{name} GetActivityTask: {error!r}")
                await asyncio.sleep(0.5)
                continue
            finally:
                outstanding[0] -= 1
            doc = decode(data)
            if is_throttled(status, doc):
                counts["poll_throttles"] += 1
                await asyncio.sleep(backoff(counts["poll_throttles"] % 6))
                continue
            if status != 200:
                counts["poll_errors"] += 1
                errors.append(f"{name} GetActivityTask: {status} {doc}")
                continue
            token = doc.get("taskToken")
            if not token:
                counts["empty_polls"] += 1
                continue
            number = json.loads(doc["input"])["n"]
            by_token[token].append(name)
            by_number[number].append(token)
            try:
                status, doc = await call_retrying(
                    conn, "SendTaskSuccess",
                    {"taskToken": token, "output": json.dumps({"n": number, "worker": name})},
                    counts)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
                status, doc = 0, {"error": repr(error)}
            if status == 200:
                answered.add(number)
            else:
                counts["send_errors"] += 1
                errors.append(f"{name} SendTaskSuccess #{number}: {status} {doc}")

    with Watch(target.pid) as watch:
        started = time.monotonic()
        await open_all(conns)
        tasks = [asyncio.ensure_future(worker(i, conn)) for i, conn in enumerate(conns)]
        while outstanding[0] < pollers and time.monotonic() - started < ramp_timeout:
            await asyncio.sleep(0.1)
        out["ramp_s"] = round(time.monotonic() - started, 2)
        await asyncio.sleep(1.0)
        out["polls_waiting"] = outstanding[0]
        out.update(server_figures(target.pid, "flood"))
        probe = Probe(target, cheap_calls(activity))
        await asyncio.sleep(probe_seconds)
        out["latency_during"] = await probe.astop()
        out["polls_waiting_after_probe"] = outstanding[0]
        out["early_answers"] = counts["empty_polls"] + counts["poll_errors"]

        # The executions, started from a pool of connections of their own.
        numbers = collections.deque(range(executions))
        arns = {}
        start_latencies = []
        started = time.monotonic()

        async def starter(conn):
            while numbers:
                number = numbers.popleft()
                try:
                    status, doc = await call_retrying(
                        conn, "StartExecution",
                        {"stateMachineArn": machine, "name": f"e{number}",
                         "input": json.dumps({"n": number})}, counts, start_latencies)
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
                    status, doc = 0, {"error": repr(error)}
                if status == 200:
                    arns[number] = doc["executionArn"]
                else:
                    counts["start_errors"] += 1
                    errors.append(f"StartExecution #{number}: {status} {doc}")
        starters = [Http(target) for _ in range(starter_connections)]
        await asyncio.gather(*(starter(conn) for conn in starters))
        out["start_s"] = round(time.monotonic() - started, 2)
        finish_timeout = finish_timeout or max(60.0, executions / 20)
        while len(answered) < len(arns) and time.monotonic() - started < finish_timeout:
            await asyncio.sleep(0.1)
        out["tasks_done_s"] = round(time.monotonic() - started, 2)
        out["executions_per_s"] = round(len(answered) / max(out["tasks_done_s"], 1e-3), 1)
        out["start_latency"] = summary(start_latencies)
        out["peak_rss_kb"] = watch.rss_peak_kb
        out["peak_fds"] = watch.fds_peak

        described = await describe_all(target, list(arns.values()), 60.0)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for conn in conns + starters:
            conn.close()
    out["peak_rss_kb"] = max(out["peak_rss_kb"], watch.rss_peak_kb)
    out["peak_fds"] = max(out["peak_fds"], watch.fds_peak)

    not_succeeded, wrong_output = {}, {}
    for number, arn in arns.items():
        status, doc = described.get(arn, (0, {}))
        if status != 200 or doc.get("status") != "SUCCEEDED":
            not_succeeded[number] = doc.get("status") or f"{status} {doc}"
            continue
        output = json.loads(doc.get("output") or "{}")
        tokens = by_number.get(number, [])
        workers = by_token.get(tokens[0], []) if tokens else []
        if output.get("n") != number or [output.get("worker")] != workers[:1]:
            wrong_output[number] = {"output": output, "workers": workers}
    out["started"] = len(arns)
    out["tasks_handed_out"] = sum(len(workers) for workers in by_token.values())
    out["duplicate_tokens"] = {t[:16]: w for t, w in by_token.items() if len(w) > 1}
    out["tasks_handed_twice"] = {n: len(t) for n, t in by_number.items() if len(t) > 1}
    out["lost_tasks"] = sorted(set(arns) - set(by_number))
    out["not_succeeded"] = not_succeeded
    out["wrong_output"] = dict(list(wrong_output.items())[:10])
    out["counts"] = dict(counts)
    out["errors"] = errors[:10]
    out["error_count"] = len(errors)
    await asyncio.sleep(2.0)
    out.update(server_figures(target.pid, "after"))
    out["peak_rss_kb"] = max(out["peak_rss_kb"], out["after_rss_kb"])
    admin.close()
    return out


# --- 2. start flood -----------------------------------------------------------------------

async def start_flood(target, starters, seconds, probe_seconds=0.0, attempts=10):
    """Scenario 2: `starters` clients start executions of a Pass machine for `seconds`."""
    tag = unique_tag()
    admin = Http(target)
    activity = (await must(admin, "CreateActivity", {"name": f"overload-probe-{tag}"}))[
        "activityArn"]
    name = f"overload-pass-{tag}"
    machine = await create_machine(admin, name, {"P": {"Type": "Pass", "End": True}}, "P")
    out = {"starters": starters, "seconds": seconds}
    out.update(server_figures(target.pid, "before"))
    if probe_seconds:
        probe = Probe(target, cheap_calls(activity))
        await asyncio.sleep(probe_seconds)
        out["latency_before"] = await probe.astop()

    counts = collections.Counter()
    call_latencies, start_latencies = [], []
    accepted = {}       # name -> ARN
    ambiguous, refused = [], []
    errors = []
    conns = [Http(target) for _ in range(starters)]
    await open_all(conns)
    in_flight = [0, 0]  # now, most

    async def starter(index, conn, deadline):
        number = 0
        while time.monotonic() < deadline:
            execution = f"s{index}-{number}"
            number += 1
            began = time.perf_counter()
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
            try:
                status, doc = await call_retrying(
                    conn, "StartExecution",
                    {"stateMachineArn": machine, "name": execution, "input": "{}"},
                    counts, call_latencies, attempts=attempts)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
                ambiguous.append(execution)
                errors.append(f"{execution}: {error!r}")
                continue
            finally:
                in_flight[0] -= 1
            if status == 200:
                accepted[execution] = doc["executionArn"]
                start_latencies.append((time.perf_counter() - began) * 1000)
            elif is_throttled(status, doc):
                counts["gave_up"] += 1
            else:
                refused.append(execution)
                errors.append(f"{execution}: {status} {doc}")

    with Watch(target.pid) as watch:
        probe = Probe(target, cheap_calls(activity))
        began = time.monotonic()
        await asyncio.gather(*(starter(i, conn, began + seconds) for i, conn in enumerate(conns)))
        elapsed = time.monotonic() - began
        out["latency_during"] = await probe.astop()
        for conn in conns:
            conn.close()
        out["accepted"] = len(accepted)
        out["starts_per_s"] = round(len(accepted) / elapsed, 1)
        out["most_in_flight"] = in_flight[1]
        out["call_latency"] = summary(call_latencies)
        out["start_latency"] = summary(start_latencies)
        out["throttles"] = counts["throttles"]
        out["gave_up"] = counts["gave_up"]
        out["ambiguous"] = len(ambiguous)
        out["refused"] = len(refused)
        out["errors"] = errors[:10]
        out["error_count"] = len(errors)

        verify_began = time.monotonic()
        described = await describe_all(target, list(accepted.values()), 60.0)
        listed = await list_executions(admin, machine)
    out["verify_s"] = round(time.monotonic() - verify_began, 1)
    out["peak_rss_kb"] = watch.rss_peak_kb
    out["peak_fds"] = watch.fds_peak
    missing, not_succeeded = [], {}
    for execution, arn in accepted.items():
        status, doc = described.get(arn, (0, {}))
        if status == 400 and doc.get("__type") == "ExecutionDoesNotExist":
            missing.append(execution)
        elif status != 200 or doc.get("status") != "SUCCEEDED":
            not_succeeded[execution] = doc.get("status") or f"{status} {doc}"
    listed_arns = {item["executionArn"] for item in listed}
    out["listed"] = len(listed)
    out["missing"] = missing[:20]
    out["missing_count"] = len(missing)
    out["not_succeeded"] = dict(list(not_succeeded.items())[:20])
    out["not_succeeded_count"] = len(not_succeeded)
    out["listed_not_accepted"] = len(listed_arns - set(accepted.values()))
    out["accepted_not_listed"] = len(set(accepted.values()) - listed_arns)
    # An ambiguous start (the connection failed) may or may not exist; say which.
    prefix = machine.replace(":stateMachine:", ":execution:")
    out["ambiguous_that_exist"] = sum(
        1 for execution in ambiguous if f"{prefix}:{execution}" in listed_arns)
    await asyncio.sleep(2.0)
    out.update(server_figures(target.pid, "after"))
    out["peak_rss_kb"] = max(out["peak_rss_kb"], out["after_rss_kb"])
    admin.close()
    return out


# --- 3. slow clients ----------------------------------------------------------------------

async def slow_clients(target, slowloris, idle, slow_bodies=2, probe_seconds=2.0,
                       on_slowloris_done=None):
    """Scenario 3: slowloris heads, never-finished bodies and idle connections;
    `on_slowloris_done` is called once the slowloris and idle connections are gone (the
    unfinished bodies take 20 s longer)."""
    tag = unique_tag()
    admin = Http(target)
    activity = (await must(admin, "CreateActivity", {"name": f"overload-slow-{tag}"}))[
        "activityArn"]
    machine = await create_machine(admin, f"overload-slow-{tag}",
                                   {"P": {"Type": "Pass", "End": True}}, "P")
    out = {"slowloris": slowloris, "idle": idle, "slow_bodies": slow_bodies}
    out.update(server_figures(target.pid, "before"))
    if probe_seconds:
        probe = Probe(target, cheap_calls(activity))
        await asyncio.sleep(probe_seconds)
        out["latency_before"] = await probe.astop()

    loris_closed, loris_open = [], [0]
    idle_closed = []
    bodies = []

    async def wait_closed(reader, limit):
        """Seconds until the server closes the connection (EOF or reset), None if it did not
        within `limit`; raises if it sent something instead."""
        data = await asyncio.wait_for(reader.read(4096), limit)
        if data:
            raise AssertionError(f"the server answered: {data[:200]!r}")

    async def loris(index):
        conn = Http(target)
        await conn.open()
        head = conn.head("ListActivities", 2)
        began = time.monotonic()
        closed = asyncio.ensure_future(wait_closed(conn.reader, SLOWLORIS_CUTOFF_S + 10))
        try:
            for byte in head[:-1]:  # never the last byte of the head
                if closed.done():
                    break
                conn.writer.write(bytes([byte]))
                await asyncio.sleep(1.0)
            await closed
            loris_closed.append(time.monotonic() - began)
        except asyncio.TimeoutError:
            loris_open[0] += 1
        except (OSError, AssertionError):
            # A write into a closed connection: cut off (the read side says when).
            try:
                await closed
            except (OSError, asyncio.IncompleteReadError):
                pass
            except (asyncio.TimeoutError, AssertionError):
                loris_open[0] += 1
                return
            loris_closed.append(time.monotonic() - began)
        finally:
            closed.cancel()
            conn.close()

    async def sleeper(index):
        reader, writer = await asyncio.open_connection(target.host, target.port)
        began = time.monotonic()
        try:
            await wait_closed(reader, BODY_READ_TIMEOUT_S + 15)
            idle_closed.append(time.monotonic() - began)
        except (OSError, asyncio.IncompleteReadError):
            idle_closed.append(time.monotonic() - began)
        except asyncio.TimeoutError:
            pass
        finally:
            writer.transport.abort()

    async def slow_body(index):
        """A CreateActivity or StartExecution whose announced 1,000-byte body never ends."""
        if index % 2 == 0:
            operation = "CreateActivity"
            name = f"overload-unfinished-{tag}-{index}"
            body = json.dumps({"name": name, "padding": "x" * 1000})
            check = ("DescribeActivity",
                     {"activityArn": activity.rsplit(":", 1)[0] + ":" + name},
                     "ActivityDoesNotExist")
        else:
            operation = "StartExecution"
            name = f"unfinished-{index}"
            body = json.dumps({"stateMachineArn": machine, "name": name, "input": "{}",
                               "padding": "x" * 1000})
            execution = machine.replace(":stateMachine:", ":execution:") + ":" + name
            check = ("DescribeExecution", {"executionArn": execution}, "ExecutionDoesNotExist")
        body = body.encode()[:1000]
        conn = Http(target)
        await conn.open()
        conn.writer.write(conn.head(operation, 1000) + body[:100])
        began = time.monotonic()
        reading = asyncio.ensure_future(conn.read_response())
        result = {"operation": operation}
        try:
            for byte in body[100:999]:  # never the last byte
                if reading.done():
                    break
                await asyncio.sleep(2.0)
                if reading.done():
                    break
                conn.writer.write(bytes([byte]))
            status, _, data = await asyncio.wait_for(reading, BODY_TIMEOUT_WINDOW_S[1] + 10)
            result.update(status=status, type=decode(data).get("__type"),
                          message=decode(data).get("message"))
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
            result["error"] = repr(error)
        finally:
            reading.cancel()
            conn.close()
        result["seconds"] = round(time.monotonic() - began, 1)
        checker = Http(target)
        status, doc = await call(checker, check[0], check[1])
        checker.close()
        result["created"] = not (status == 400 and doc.get("__type") == check[2])
        bodies.append(result)

    with Watch(target.pid) as watch:
        probe = Probe(target, cheap_calls(activity), fresh_every=1.0)
        loris_tasks = [asyncio.ensure_future(loris(i)) for i in range(slowloris)]
        idle_tasks = [asyncio.ensure_future(sleeper(i)) for i in range(idle)]
        body_tasks = [asyncio.ensure_future(slow_body(i)) for i in range(slow_bodies)]
        await asyncio.sleep(1.0)
        out.update(server_figures(target.pid, "held"))
        await asyncio.gather(*loris_tasks, *idle_tasks)
        out["latency_during_slowloris"] = await probe.astop()
        if on_slowloris_done:
            on_slowloris_done()
        probe = Probe(target, cheap_calls(activity), fresh_every=1.0)
        await asyncio.gather(*body_tasks)
        out["latency_during_slow_bodies"] = await probe.astop()
    out["peak_rss_kb"] = watch.rss_peak_kb
    out["peak_fds"] = watch.fds_peak
    out["slowloris_closed"] = len(loris_closed)
    out["slowloris_not_closed"] = loris_open[0]
    out["slowloris_closed_after_s"] = {
        "min": _round(min(loris_closed, default=None)),
        "median": _round(percentile(loris_closed, 50)),
        "max": _round(max(loris_closed, default=None))}
    out["idle_closed"] = len(idle_closed)
    out["idle_closed_after_s"] = {
        "min": _round(min(idle_closed, default=None)),
        "max": _round(max(idle_closed, default=None))}
    out["slow_body_answers"] = bodies
    await asyncio.sleep(1.0)
    out.update(server_figures(target.pid, "after"))
    out["peak_rss_kb"] = max(out["peak_rss_kb"], out["after_rss_kb"])
    admin.close()
    return out


# --- 4. big requests ----------------------------------------------------------------------

def padded(prefix, size):
    """A JSON object of exactly `size` bytes: `prefix` (an object's text without its closing
    brace) plus a "padding" member the model does not know."""
    head = prefix.rstrip("}") + ',"padding":"'
    body = (head + "x" * (size - len(head) - 2) + '"}').encode()
    assert len(body) == size and json.loads(body)
    return body


async def big_requests(target, clients, seconds):
    """Scenario 4: StartExecution inputs just under 256 KiB, 1,048,576-byte and 1,048,577-byte
    bodies, as fast as `clients` clients can send them."""
    tag = unique_tag()
    admin = Http(target)
    activity_name = f"overload-big-{tag}"
    activity = (await must(admin, "CreateActivity", {"name": activity_name}))["activityArn"]
    machine = await create_machine(admin, f"overload-big-{tag}", {
        "P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}, "P")
    execution_input = json.dumps({"pad": "y" * (MAX_INPUT_BYTES - 200)})
    assert MAX_INPUT_BYTES - 200 < len(execution_input.encode()) <= MAX_INPUT_BYTES
    quoted_input = json.dumps(execution_input)
    exact = padded(json.dumps({"name": activity_name}), MAX_BODY_BYTES)
    over = padded(json.dumps({"name": activity_name}), MAX_BODY_BYTES + 1)
    kinds = ["start", "exact", "over"]
    expected = {"start": 200, "exact": 200, "over": 413}
    sample = f'{{"stateMachineArn":"{machine}","name":"b0-0","input":{quoted_input}}}'
    out = {"clients": clients, "seconds": seconds, "start_body_bytes": len(sample.encode()),
           "input_bytes": len(execution_input.encode())}
    out.update(server_figures(target.pid, "before"))

    counts = collections.Counter()
    latencies = {kind: [] for kind in kinds}
    accepted = []
    wrong = []
    sent_bytes = [0]

    async def client(index, deadline):
        conn = Http(target)
        number = 0
        while time.monotonic() < deadline:
            kind = kinds[(index + number) % 3]
            number += 1
            if kind == "start":
                body = (f'{{"stateMachineArn":"{machine}","name":"b{index}-{number}",'
                        f'"input":{quoted_input}}}').encode()
            else:
                body = exact if kind == "exact" else over
            attempt = 0
            while True:
                began = time.perf_counter()
                try:
                    operation = "StartExecution" if kind == "start" else "CreateActivity"
                    status, headers, data = await conn.send(operation, body, 60)
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
                    counts[f"{kind} transport error"] += 1
                    wrong.append(f"{kind} ({len(body)} bytes): {error!r}")
                    break
                sent_bytes[0] += len(body)
                doc = decode(data)
                if conn.writer is not None and (status == 413 or is_throttled(status, doc)):
                    # The server does not read a body it refuses, so it cannot keep the
                    # connection; see whether it says so before it closes it.
                    if "close" not in headers.get("connection", "").lower():
                        try:
                            await asyncio.wait_for(conn.reader.read(), 1.0)
                            counts[f"{status} then closed without Connection: close"] += 1
                        except (OSError, asyncio.IncompleteReadError):
                            counts[f"{status} then closed without Connection: close"] += 1
                        except asyncio.TimeoutError:
                            counts[f"{status} connection kept"] += 1
                    conn.close()
                if is_throttled(status, doc):
                    counts["throttles"] += 1
                    attempt += 1
                    await asyncio.sleep(backoff(attempt))
                    continue
                latencies[kind].append((time.perf_counter() - began) * 1000)
                counts[f"{kind} {status}"] += 1
                good = status == expected[kind] and (
                    kind != "over" or doc.get("__type") == "RequestEntityTooLargeException")
                if not good:
                    wrong.append(f"{kind} ({len(body)} bytes): {status} {doc}"[:300])
                elif kind == "start":
                    accepted.append(doc["executionArn"])
                break
        conn.close()

    with Watch(target.pid) as watch:
        probe = Probe(target, cheap_calls(activity))
        began = time.monotonic()
        await asyncio.gather(*(client(i, began + seconds) for i in range(clients)))
        elapsed = time.monotonic() - began
        out["latency_during"] = await probe.astop()
        out["peak_rss_kb"] = watch.rss_peak_kb
        listed = []
        end = time.monotonic() + 60
        while time.monotonic() < end:
            listed = await list_executions(admin, machine)
            if not any(item["status"] == "RUNNING" for item in listed):
                break
            await asyncio.sleep(0.5)
    out["peak_rss_kb"] = max(out["peak_rss_kb"], watch.rss_peak_kb)
    out["peak_fds"] = watch.fds_peak
    out["requests"] = sum(len(v) for v in latencies.values())
    out["requests_per_s"] = round(out["requests"] / elapsed, 1)
    out["mib_per_s"] = round(sent_bytes[0] / elapsed / 2 ** 20, 1)
    out["latency"] = {kind: summary(values) for kind, values in latencies.items()}
    out["counts"] = dict(counts)
    out["throttles"] = counts["throttles"]
    out["wrong_answers"] = wrong[:10]
    out["wrong_count"] = len(wrong)
    statuses = collections.Counter(item["status"] for item in listed)
    listed_arns = {item["executionArn"] for item in listed}
    out["accepted_starts"] = len(accepted)
    out["listed"] = len(listed)
    out["listed_statuses"] = dict(statuses)
    out["accepted_not_listed"] = len(set(accepted) - listed_arns)
    out["listed_not_accepted"] = len(listed_arns - set(accepted))
    activities = [a for a in (await list_all_activities(admin)) if a["name"] == activity_name]
    out["activities_named"] = len(activities)
    await asyncio.sleep(2.0)
    out.update(server_figures(target.pid, "after"))
    out["peak_rss_kb"] = max(out["peak_rss_kb"], out["after_rss_kb"])
    admin.close()
    return out


# --- opt-in: the body budget held by bodies that never come ------------------------------

async def body_budget(target, hogs=256, hold_seconds=10.0):
    """Opt-in scenario `budget`: `hogs` connections each announce a 1,048,576-byte
    CreateActivity body and send none of it (each holds 1 MiB of the 256 MiB body budget until
    its 30 s body deadline), while a separate client calls ListActivities / DescribeActivity
    (2-byte and ~90-byte bodies) and an SDK-like client tries StartExecution (5 attempts with
    back-off)."""
    tag = unique_tag()
    admin = Http(target)
    activity = (await must(admin, "CreateActivity", {"name": f"overload-budget-{tag}"}))[
        "activityArn"]
    machine = await create_machine(admin, f"overload-budget-{tag}",
                                   {"P": {"Type": "Pass", "End": True}}, "P")
    admin.close()
    out = {"hogs": hogs, "hold_seconds": hold_seconds}
    conns = [Http(target) for _ in range(hogs)]
    await open_all(conns)
    for conn in conns:
        conn.writer.write(conn.head("CreateActivity", MAX_BODY_BYTES))
    await asyncio.sleep(0.5)
    probe = Probe(target, cheap_calls(activity), interval=0.05)
    counts = collections.Counter()
    starts = []
    began = time.monotonic()
    client = Http(target)
    while time.monotonic() - began < hold_seconds:
        tried = time.monotonic()
        status, doc = await call_retrying(client, "StartExecution",
                                          {"stateMachineArn": machine, "input": "{}"},
                                          counts, attempts=5)
        starts.append({"status": status, "type": doc.get("__type"),
                       "seconds": round(time.monotonic() - tried, 2)})
        await asyncio.sleep(0.5)
    client.close()
    during = await probe.astop()
    for conn in conns:
        conn.close()
    await asyncio.sleep(0.5)
    probe = Probe(target, cheap_calls(activity), interval=0.05)
    await asyncio.sleep(1.0)
    after = await probe.astop()
    out["during_statuses"] = during["statuses"]
    out["after_statuses"] = after["statuses"]
    out["sdk_starts"] = len(starts)
    out["sdk_starts_accepted"] = sum(1 for start in starts if start["status"] == 200)
    out["sdk_start_throttles"] = counts["throttles"]
    return out


async def list_all_activities(conn):
    items, token = [], None
    while True:
        payload = {"maxResults": 1000, **({"nextToken": token} if token else {})}
        doc = await must(conn, "ListActivities", payload)
        items += doc.get("activities", [])
        token = doc.get("nextToken")
        if not token:
            return items


# --- checks -------------------------------------------------------------------------------

def responsive(before, during, name):
    """Problems with a cheap call's latency under load, against the same before it."""
    problems = []
    for op, figures in during["calls"].items():
        median = figures["median_ms"]
        if median is None:
            problems.append(f"{name}: no {op} answered")
            continue
        if median > RESPONSIVE_MEDIAN_MS:
            problems.append(f"{name}: {op} median {median} ms > {RESPONSIVE_MEDIAN_MS} ms")
        base = before["calls"][op]["median_ms"] if before else None
        if base and median > RESPONSIVE_FACTOR * max(base, 0.05):
            problems.append(f"{name}: {op} median {median} ms > {RESPONSIVE_FACTOR}x the "
                            f"{base} ms before")
    if during["error_count"]:
        problems.append(f"{name}: the separate client got {during['error_count']} errors: "
                        f"{during['errors'][:3]}")
    return problems


def problems_of(name, r):
    """What a scenario's figures say went wrong (empty: nothing)."""
    p = []
    if name == "polls":
        if r["polls_waiting"] < r["pollers"]:
            p.append(f"polls: only {r['polls_waiting']} of {r['pollers']} polls were waiting")
        if r["early_answers"]:
            p.append(f"polls: {r['early_answers']} polls answered before any task was there")
        p += responsive(r["latency_before"], r["latency_during"], "polls")
        if r["started"] != r["executions"]:
            p.append(f"polls: only {r['started']} of {r['executions']} executions started")
        for key in ("duplicate_tokens", "tasks_handed_twice", "lost_tasks", "not_succeeded",
                    "wrong_output"):
            if r[key]:
                p.append(f"polls: {key}: {str(r[key])[:300]}")
        if r["error_count"]:
            p.append(f"polls: {r['error_count']} errors: {r['errors'][:3]}")
    elif name == "starts":
        for key in ("missing_count", "not_succeeded_count", "listed_not_accepted",
                    "accepted_not_listed", "refused", "ambiguous"):
            if r[key]:
                p.append(f"starts: {key} = {r[key]}")
        if r["listed"] != r["accepted"] + r["ambiguous_that_exist"]:
            p.append(f"starts: {r['listed']} executions listed, {r['accepted']} accepted")
        if r["accepted"] == 0:
            p.append("starts: nothing was accepted")
        if r["errors"]:
            p.append(f"starts: errors: {r['errors'][:3]}")
        if r["latency_during"]["error_count"]:
            p.append(f"starts: the separate client got errors: {r['latency_during']['errors']}")
    elif name == "slow":
        if r["slowloris_not_closed"]:
            p.append(f"slow: {r['slowloris_not_closed']} slowloris connections were not closed "
                     f"within {SLOWLORIS_CUTOFF_S + 10} s")
        late = r["slowloris_closed_after_s"]["max"]
        if late is not None and late > SLOWLORIS_CUTOFF_S:
            p.append(f"slow: a slowloris connection was closed only after {late} s")
        for answer in r["slow_body_answers"]:
            low, high = BODY_TIMEOUT_WINDOW_S
            if answer.get("status") != 408 or answer.get("type") != "RequestTimeoutException":
                p.append(f"slow: an unfinished body got {answer}")
            elif not low <= answer["seconds"] <= high:
                p.append(f"slow: an unfinished body's 408 came after {answer['seconds']} s")
            if answer["created"]:
                p.append(f"slow: an unfinished {answer['operation']} created something")
        during = r["latency_during_slowloris"]
        p += responsive(r.get("latency_before"), during, "slow")
        if not during["fresh_connection"]["n"]:
            p.append("slow: no fresh connection was answered while the slow clients held theirs")
        if r["latency_during_slow_bodies"]["error_count"]:
            p.append(f"slow: errors while the bodies hung: "
                     f"{r['latency_during_slow_bodies']['errors'][:3]}")
    elif name == "budget":
        refused = sum(n for key, n in r["during_statuses"].items() if not key.endswith(" 200"))
        answered = sum(r["during_statuses"].values())
        if refused:
            p.append(f"budget: {refused} of {answered} small requests were refused while "
                     f"{r['hogs']} connections held announced 1 MiB bodies they never sent; "
                     f"{r['sdk_starts_accepted']} of {r['sdk_starts']} SDK-like StartExecution "
                     f"calls (5 attempts each) got through")
    elif name == "big":
        if r["wrong_count"]:
            p.append(f"big: {r['wrong_count']} wrong answers: {r['wrong_answers'][:3]}")
        for kind, code in (("start", 200), ("exact", 200), ("over", 413)):
            if not r["counts"].get(f"{kind} {code}"):
                p.append(f"big: no {kind} request was answered {code}")
        if r["peak_rss_kb"] > RSS_BOUND_KB:
            p.append(f"big: the server's RSS reached {r['peak_rss_kb']} kB > {RSS_BOUND_KB} kB")
        if r["accepted_not_listed"] or r["listed_not_accepted"]:
            p.append(f"big: accepted/listed differ: {r['accepted_not_listed']} accepted not "
                     f"listed, {r['listed_not_accepted']} listed not accepted")
        if set(r["listed_statuses"]) - {"SUCCEEDED"}:
            p.append(f"big: executions not SUCCEEDED: {r['listed_statuses']}")
        if r["activities_named"] != 1:
            p.append(f"big: {r['activities_named']} activities of the padded name")
        if r["latency_during"]["error_count"]:
            p.append(f"big: the separate client got errors: {r['latency_during']['errors']}")
        if (r["latency_during"]["calls"]["ListActivities"]["median_ms"] or 1e9) > \
                RESPONSIVE_MEDIAN_MS:
            p.append(f"big: ListActivities median {r['latency_during']['calls']} ms under load")
    return p


# --- the table ----------------------------------------------------------------------------

def mib(kb):
    return "-" if kb is None else f"{kb / 1024:.0f} MiB"


def lat(figures):
    if not figures or figures.get("median_ms") is None:
        return "-"
    return f"{figures['median_ms']:.1f} / {figures['p99_ms']:.1f} ms"


def table(results):
    rows = []

    def row(scenario, figure, value):
        rows.append((scenario, figure, str(value)))

    r = results.get("polls")
    if r:
        row("1 polls", "pollers waiting (of asked)", f"{r['polls_waiting']} ({r['pollers']})")
        row("", "ramp to all waiting", f"{r['ramp_s']} s")
        for op in r["latency_before"]["calls"]:
            row("", f"{op} median/p99 before", lat(r["latency_before"]["calls"][op]))
            row("", f"{op} median/p99 during", lat(r["latency_during"]["calls"][op]))
        row("", "executions started / succeeded",
            f"{r['started']} / {r['started'] - len(r['not_succeeded'])}")
        row("", "tasks handed out / twice / lost",
            f"{r['tasks_handed_out']} / {len(r['tasks_handed_twice'])} / {len(r['lost_tasks'])}")
        row("", "all tasks done after", f"{r['tasks_done_s']} s ({r['executions_per_s']}/s)")
        row("", "StartExecution median/p99", lat(r["start_latency"]))
        row("", "throttles / empty polls / errors",
            f"{r['counts'].get('throttles', 0) + r['counts'].get('poll_throttles', 0)} / "
            f"{r['counts'].get('empty_polls', 0)} / {r['error_count']}")
        row("", "server RSS before/peak/after",
            f"{mib(r['before_rss_kb'])} / {mib(r['peak_rss_kb'])} / {mib(r['after_rss_kb'])}")
        row("", "server open files before/flood/after",
            f"{r['before_fds']} / {r['flood_fds']} / {r['after_fds']}")
    r = results.get("starts")
    if r:
        row("2 starts", "clients / most in flight", f"{r['starters']} / {r['most_in_flight']}")
        row("", "accepted starts", f"{r['accepted']} in {r['seconds']} s "
                                   f"({r['starts_per_s']}/s)")
        row("", "StartExecution call median/p99", lat(r["call_latency"]))
        row("", "start (with retries) median/p99", lat(r["start_latency"]))
        row("", "throttles / gave up / errors",
            f"{r['throttles']} / {r['gave_up']} / {r['error_count']}")
        row("", "listed / missing / not SUCCEEDED",
            f"{r['listed']} / {r['missing_count']} / {r['not_succeeded_count']}")
        for op, figures in r["latency_during"]["calls"].items():
            row("", f"{op} median/p99 during", lat(figures))
        row("", "server RSS before/peak/after",
            f"{mib(r['before_rss_kb'])} / {mib(r['peak_rss_kb'])} / {mib(r['after_rss_kb'])}")
    r = results.get("slow")
    if r:
        row("3 slow", "slowloris / idle / slow bodies",
            f"{r['slowloris']} / {r['idle']} / {r['slow_bodies']}")
        row("", "server open files while held", r["held_fds"])
        s = r["slowloris_closed_after_s"]
        row("", "slowloris closed (min/median/max)",
            f"{r['slowloris_closed']} ({s['min']} / {s['median']} / {s['max']} s)")
        i = r["idle_closed_after_s"]
        row("", "idle closed (min/max)", f"{r['idle_closed']} ({i['min']} / {i['max']} s)")
        for answer in r["slow_body_answers"]:
            row("", f"unfinished {answer['operation']} body",
                f"{answer.get('status')} {answer.get('type')} after {answer['seconds']} s, "
                f"created: {answer['created']}")
        if r.get("latency_before"):
            for op, figures in r["latency_before"]["calls"].items():
                row("", f"{op} median/p99 before", lat(figures))
        for op, figures in r["latency_during_slowloris"]["calls"].items():
            row("", f"{op} median/p99 during", lat(figures))
        row("", "fresh connection + call median/p99",
            lat(r["latency_during_slowloris"]["fresh_connection"]))
        row("", "server RSS before/peak/after",
            f"{mib(r['before_rss_kb'])} / {mib(r['peak_rss_kb'])} / {mib(r['after_rss_kb'])}")
    r = results.get("big")
    if r:
        row("4 big", "clients", r["clients"])
        row("", "requests (MiB/s sent)", f"{r['requests']} in {r['seconds']} s "
                                         f"({r['requests_per_s']}/s, {r['mib_per_s']} MiB/s)")
        row("", "answers", ", ".join(f"{k}: {v}" for k, v in sorted(r["counts"].items())))
        for kind, figures in r["latency"].items():
            row("", f"{kind} median/p99", lat(figures))
        row("", "wrong answers / throttles", f"{r['wrong_count']} / {r['throttles']}")
        row("", "big starts accepted / listed", f"{r['accepted_starts']} / {r['listed']} "
                                                f"{r['listed_statuses']}")
        for op, figures in r["latency_during"]["calls"].items():
            row("", f"{op} median/p99 during", lat(figures))
        row("", "server RSS before/peak/after",
            f"{mib(r['before_rss_kb'])} / {mib(r['peak_rss_kb'])} / {mib(r['after_rss_kb'])}")
    r = results.get("budget")
    if r:
        row("budget", "connections holding 1 MiB unsent", f"{r['hogs']} for {r['hold_seconds']} s")
        row("", "small requests meanwhile", r["during_statuses"])
        row("", "SDK-like starts accepted", f"{r['sdk_starts_accepted']} of {r['sdk_starts']} "
                                            f"({r['sdk_start_throttles']} throttles)")
        row("", "small requests after", r["after_statuses"])
    width = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{width[0]}}  {b:<{width[1]}}  {c}" for a, b, c in rows)


# --- the server ---------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`switchback serve` on a free port and a data directory of its own."""

    def __init__(self, binary, keep=False):
        self.data_dir = tempfile.mkdtemp(prefix="switchback-overload-")
        self.keep = keep
        self.port = free_port()
        self.log_path = os.path.join(self.data_dir, "server.log")
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                [binary, "serve", "--bind", f"127.0.0.1:{self.port}", "--data-dir",
                 self.data_dir], stdout=log_file, stderr=log_file)
        deadline = time.time() + 30
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with {self.process.returncode}; see "
                                 f"{self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1):
                    break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("the server did not come up")
                time.sleep(0.05)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def scale_to_limit(args, limit, server_limit):
    """Lowers the levels that need more connections than the open-files limits allow."""
    room = min(limit, server_limit) - 300
    for key, extra in (("pollers", 64), ("starters", 0), ("big_clients", 0)):
        if getattr(args, key) + extra > room:
            new = max(1, room - extra)
            log(f"the open-files limit ({limit} here, {server_limit} for the server) cannot "
                f"hold {getattr(args, key)} {key.replace('_', ' ')}: running with {new}")
            setattr(args, key, new)
    if args.slowloris + args.idle > room:
        share = room / (args.slowloris + args.idle)
        args.slowloris, args.idle = int(args.slowloris * share), int(args.idle * share)
        log(f"the open-files limit cannot hold the slow clients: {args.slowloris} slowloris, "
            f"{args.idle} idle")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.environ.get("SWITCHBACK_BIN") or os.path.join(
        ROOT, "target", "release", "switchback"))
    parser.add_argument("--endpoint", help="a running server (with --server-pid)")
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--scenarios", default="polls,starts,slow,big",
                        help="any of polls,starts,slow,big and the opt-in budget "
                        "(comma-separated)")
    parser.add_argument("--hogs", type=int, default=256,
                        help="budget: connections announcing 1 MiB bodies they never send")
    for key, value in DEFAULTS.items():
        parser.add_argument("--" + key.replace("_", "-"), type=type(value), default=value)
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(scenarios) - {"polls", "starts", "slow", "big", "budget"}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")

    limit = raise_open_files()
    server = None
    if args.endpoint:
        if not args.server_pid:
            parser.error("--endpoint needs --server-pid (its RSS is read from /proc)")
        host, port = args.endpoint.split("//", 1)[-1].rstrip("/").rsplit(":", 1)
        target = Target(host, int(port), args.server_pid)
    else:
        if not os.path.exists(args.binary):
            parser.error(f"no server binary at {args.binary} (--binary or SWITCHBACK_BIN)")
        server = Server(args.binary, keep=args.keep)
        target = Target("127.0.0.1", server.port, server.process.pid)
        log(f"server pid {target.pid} on port {target.port}, data in {server.data_dir}")
    server_limit = open_files_limit(target.pid)
    scale_to_limit(args, limit, server_limit)

    results = {"command": " ".join([os.path.basename(sys.executable), *sys.argv]),
               "levels": {k: getattr(args, k) for k in DEFAULTS},
               "open_files_limit": {"client": limit, "server": server_limit},
               "cpus": os.cpu_count()}
    problems = []
    began = time.monotonic()
    try:
        for name in scenarios:
            log(f"scenario {name} ...")
            scenario_began = time.monotonic()
            if name == "polls":
                result = asyncio.run(long_polls(target, args.pollers, args.executions,
                                                args.probe_seconds))
            elif name == "starts":
                result = asyncio.run(start_flood(target, args.starters, args.start_seconds,
                                                 args.probe_seconds))
            elif name == "slow":
                result = asyncio.run(slow_clients(target, args.slowloris, args.idle,
                                                  args.slow_bodies, args.probe_seconds))
            elif name == "big":
                result = asyncio.run(big_requests(target, args.big_clients, args.big_seconds))
            else:
                result = asyncio.run(body_budget(target, args.hogs))
            result["scenario_s"] = round(time.monotonic() - scenario_began, 1)
            results[name] = result
            found = problems_of(name, result)
            problems += found
            log(f"scenario {name}: {result['scenario_s']} s, "
                f"{'ok' if not found else '; '.join(found)}")
            if server and server.process.poll() is not None:
                problems.append(f"the server exited ({server.process.returncode}) during {name}")
                break
    finally:
        results["total_s"] = round(time.monotonic() - began, 1)
        results["problems"] = problems
        if server:
            results["server_log"] = server.log_path if args.keep or problems else None
            if problems:
                server.keep = True
            server.stop()
    print(table({k: v for k, v in results.items()
                 if k in ("polls", "starts", "slow", "big", "budget")}))
    print(f"total {results['total_s']} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=str)
    if problems:
        print("PROBLEMS:")
        for problem in problems:
            print("  " + problem)
        if server:
            print(f"server log: {server.log_path}")
        return 1
    print("every check passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "probe":
        probe_main(*sys.argv[2:])
    else:
        sys.exit(main(sys.argv[1:]))
