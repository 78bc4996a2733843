"""Issue 11's crash loop: a mixed workload on a real `switchback serve`, `kill -9`ed at random
moments and restarted on the same data directory and port, then a checker that reads every
history back and proves that nothing was lost or duplicated.

Shared by `test_crash_loop.py` (a short run in CI) and `scripts/crash-loop` (long runs by hand).

The workload (STANDARD state machines, `--time-scale` makes the waits short):

* `serial`   Wait (some long enough to park the execution) -> activity Task (HeartbeatSeconds, Retry on `Flaky`) -> Pass. Some inputs are
             flaky (the worker fails attempt 0 with `Flaky`, the retry succeeds), some fatal (the
             worker fails every attempt with `Fatal`, which nothing retries: the execution fails).
* `parallel` Parallel of a Wait branch, an activity branch (another activity) and a callback
             branch (`lambda:invoke.waitForTaskToken` on a tiny Lambda endpoint run here; the
             token is answered later with SendTaskSuccess).
* `map`      an inline Map over a few items, an activity task per item, one item sometimes flaky.
* `routed`   two published versions and an alias with weighted routing; started through it.
* `deployed` two good versions and alias `live`; a LINEAR gradual deployment (Switchback's
             `StartDeployment`) runs across the kills and, in long runs, another after it.
* `canary`   a good version 1 and a faulty version 2 (a Fail state) and alias `canary`; a CANARY
             deployment with an alarm on the alias's failures, so it rolls back (or, if the
             failures reach the alarm too late, finishes): either way exactly once.

Workers poll the activities, heartbeat while they work (some work longer than the heartbeat
window) and complete their tasks; everything a client was handed or had acknowledged is kept in a
`Ledger`. Every request is re-sent while the server is down; a start re-sent after no answer uses
the same name and input.

The kills come 0.2 to 2.0 s apart (uniform). Some are aimed (shares in `Settings`): right after a
client was answered (what it was told must survive), 1 to 10 ms after a start or a completion was
sent (no answer: the client sends it again), while the server calls the Lambda endpoint (the call
is made, its TaskSubmitted not committed), or again while a restart recovers.

The kill schedule and the workload come from one seed (`Settings.seed`), printed by both callers,
so a failing schedule can be replayed (thread timing is not replayable, the schedule is).
"""
import collections
import json
import math
import os
import queue
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

from conftest import REGION, ROLE, Server, free_port

# Errors a client sees while the server is down or dies under it.
DOWN = (BotoConnectionError, HTTPClientError, ConnectionError, OSError)
TERMINAL_EXECUTION_EVENTS = {
    "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
ACTIVITY_CLOSES = {"ActivitySucceeded", "ActivityFailed", "ActivityTimedOut"}
TASK_CLOSES = {"TaskSucceeded", "TaskFailed", "TaskTimedOut"}
# A history timestamp has millisecond precision; a poll that began this long after the close
# of its task, by the same host's clock, must not be handed the task.
CLOSE_TOLERANCE_S = 0.05


@dataclass
class Settings:
    kills: int = 12
    seed: int = 1
    executions: int = 72
    time_scale: float = 20.0
    gap_min: float = 0.2
    gap_max: float = 2.0
    # Share of restarts that are killed again while they recover (before /health answers).
    early_kill_share: float = 0.1
    # Share of kills made the moment a client is answered (a start, an acknowledged
    # completion): what the client was told must survive the crash.
    answer_kill_share: float = 0.15
    # Share of kills made 1 to 10 ms after a start or a completion was sent: while the server
    # handles it, so the client gets no answer and must send it again.
    inflight_kill_share: float = 0.15
    # Share of kills made when the Lambda endpoint is called with a callback task's token,
    # before it answers: the call was made, its TaskSubmitted is not committed.
    callback_kill_share: float = 0.1
    work_workers: int = 8
    job_workers: int = 3
    drain_timeout: float = 60.0
    binary: str = ""
    data_dir: str = ""
    keep_data: bool = False
    log: object = None  # callable(str) for progress lines

    def say(self, line):
        if self.log:
            self.log(line)


def make_client(endpoint):
    """A Step Functions client that sends each request once: the harness re-sends by itself,
    and must know when a request may have reached the server before its answer was lost
    (conftest's client lets botocore retry once, out of sight)."""
    config = Config(inject_host_prefix=False, retries={"total_max_attempts": 1},
                    read_timeout=70, connect_timeout=5)
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="AKIDTEST", aws_secret_access_key="secret",
                        config=config)


# ---- the state machines --------------------------------------------------------------------

HEARTBEAT_SECONDS = 40  # 2 s at time scale 20; long tasks work 2.5 to 3.5 s, heartbeating
RETRY = [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 1}]


def activity_task(activity, step, extra, result_path=None, nxt=None):
    parameters = {"id.$": "$.id", "step": step, "attempt.$": "$$.State.RetryCount",
                  "flaky.$": "$.flaky", **extra}
    state = {"Type": "Task", "Resource": activity, "Parameters": parameters,
             "TimeoutSeconds": 3600, "HeartbeatSeconds": HEARTBEAT_SECONDS, "Retry": RETRY}
    if result_path:
        state["ResultPath"] = result_path
    if nxt:
        state["Next"] = nxt
    else:
        state["End"] = True
    return state


def serial_definition(activity):
    return {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Work"},
        "Work": activity_task(activity, "Work", {"fatal.$": "$.fatal"}, "$.result", "Done"),
        "Done": {"Type": "Pass", "Parameters": {"id.$": "$.id", "result.$": "$.result"},
                 "End": True},
    }}


def parallel_definition(activity):
    return {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "ResultPath": "$.branches", "Next": "Done", "Branches": [
            {"StartAt": "Nap", "States": {
                "Nap": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Woke"},
                "Woke": {"Type": "Pass", "Result": "waited", "End": True}}},
            {"StartAt": "Job", "States": {"Job": activity_task(activity, "Job", {})}},
            {"StartAt": "Callback", "States": {"Callback": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "crashloop-callback",
                               "Payload": {"token.$": "$$.Task.Token", "id.$": "$.id"}},
                "TimeoutSeconds": 3600, "End": True}}},
        ]},
        "Done": {"Type": "Pass", "Parameters": {"id.$": "$.id", "branches.$": "$.branches"},
                 "End": True},
    }}


def map_definition(activity):
    return {"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
                 "ItemSelector": {"id.$": "$.id", "index.$": "$$.Map.Item.Index",
                                  "x.$": "$$.Map.Item.Value.x",
                                  "flaky.$": "$$.Map.Item.Value.flaky"},
                 "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Item",
                                   "States": {"Item": activity_task(
                                       activity, "Item", {"index.$": "$.index", "x.$": "$.x"})}},
                 "ResultPath": "$.results", "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"id.$": "$.id", "items.$": "$.results"},
                 "End": True},
    }}


def versioned_definition(version, faulty=False):
    if faulty:
        last = {"Type": "Fail", "Error": "Defect", "Cause": f"version {version} is faulty"}
    else:
        last = {"Type": "Pass", "Parameters": {"id.$": "$.id", "version": version}, "End": True}
    return {"Comment": f"version {version}", "StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Last"}, "Last": last}}


# ---- what the worker does, and what each execution must end with ---------------------------

def task_key(task_input):
    """Identifies one attempt of one task: (execution id, state, map index, attempt)."""
    doc = json.loads(task_input)
    return (doc["id"], doc["step"], doc.get("index"), doc["attempt"])


def worker_answer(doc):
    """('failure', error, cause) or ('success', output) for a task input."""
    if doc.get("fatal"):
        return ("failure", "Fatal", f"id {doc['id']}")
    if doc.get("flaky") and doc["attempt"] == 0:
        return ("failure", "Flaky", f"first attempt of {doc['id']}/{doc['step']}")
    output = {"echo": doc["id"], "step": doc["step"], "attempt": doc["attempt"]}
    if "x" in doc:
        output["index"] = doc["index"]
        output["double"] = doc["x"] * 2
    return ("success", json.dumps(output, sort_keys=True))


def callback_output(execution_id):
    return json.dumps({"callback": execution_id})


@dataclass
class Item:
    """One planned execution."""
    id: int
    kind: str
    name: str
    input: str
    doc: dict


def plan_workload(settings):
    rng = random.Random(f"{settings.seed}-workload")
    kinds = (["serial"] * 6 + ["parallel"] * 4 + ["map"] * 4 + ["routed"] * 2
             + ["deployed"] * 2 + ["canary"] * 2)
    items = []
    for i in range(settings.executions):
        kind = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        # 0.5 to 2 s at time scale 20; now and then 2.5 to 4 s, long enough for the execution
        # to be parked (its actor dropped until the timer is due, `runtime::Config::park_after`).
        wait = rng.randint(50, 80) if rng.random() < 0.2 else rng.randint(10, 40)
        doc = {"id": i, "wait": wait}
        if kind == "serial":
            roll = rng.random()
            doc["flaky"] = roll < 0.3
            doc["fatal"] = 0.3 <= roll < 0.4
        elif kind == "parallel":
            doc["flaky"] = rng.random() < 0.3
        elif kind == "map":
            n = rng.randint(2, 4)
            flaky = rng.randrange(n) if rng.random() < 0.5 else -1
            doc = {"id": i, "items": [{"x": rng.randint(1, 100), "flaky": k == flaky}
                                      for k in range(n)]}
        items.append(Item(i, kind, f"cl-{kind}-{i:05d}", json.dumps(doc), doc))
    return items


def work_seconds(seed, key):
    """How long a worker works on a task: mostly short, some longer than the heartbeat window."""
    rng = random.Random(f"{seed}-work-{key}")
    if rng.random() < 0.15:
        return rng.uniform(2.5, 3.5)
    return rng.uniform(0.02, 0.5)


def expected_end(item, version=None):
    """(status, output or (error, cause)) of an execution, given the version it ran."""
    doc = item.doc
    if item.kind == "serial":
        if doc["fatal"]:
            return "FAILED", ("Fatal", f"id {item.id}")
        return "SUCCEEDED", {"id": item.id, "result": {
            "echo": item.id, "step": "Work", "attempt": 1 if doc["flaky"] else 0}}
    if item.kind == "parallel":
        return "SUCCEEDED", {"id": item.id, "branches": [
            "waited", {"echo": item.id, "step": "Job", "attempt": 1 if doc["flaky"] else 0},
            {"callback": item.id}]}
    if item.kind == "map":
        return "SUCCEEDED", {"id": item.id, "items": [
            {"echo": item.id, "step": "Item", "attempt": 1 if entry["flaky"] else 0,
             "index": k, "double": entry["x"] * 2}
            for k, entry in enumerate(doc["items"])]}
    if item.kind == "canary" and version == 2:
        return "FAILED", ("Defect", "version 2 is faulty")
    return "SUCCEEDED", {"id": item.id, "version": version}


def expected_types(item, version=None):
    """The history's event types: a list when their order is fixed, else a Counter."""
    doc = item.doc
    if item.kind == "serial":
        head = ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "TaskStateEntered",
                "ActivityScheduled", "ActivityStarted"]
        if doc["fatal"]:
            return head + ["ActivityFailed", "ExecutionFailed"]
        if doc["flaky"]:
            head += ["ActivityFailed", "ActivityScheduled", "ActivityStarted"]
        return head + ["ActivitySucceeded", "TaskStateExited", "PassStateEntered",
                       "PassStateExited", "ExecutionSucceeded"]
    if item.kind in ("routed", "deployed", "canary"):
        head = ["ExecutionStarted", "WaitStateEntered", "WaitStateExited"]
        if item.kind == "canary" and version == 2:
            return head + ["FailStateEntered", "ExecutionFailed"]
        return head + ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    counts = collections.Counter()
    if item.kind == "parallel":
        attempts = 2 if doc["flaky"] else 1
        counts.update({
            "ExecutionStarted": 1, "ParallelStateEntered": 1, "ParallelStateStarted": 1,
            "WaitStateEntered": 1, "WaitStateExited": 1, "PassStateEntered": 2,
            "PassStateExited": 2, "TaskStateEntered": 2, "TaskStateExited": 2,
            "ActivityScheduled": attempts, "ActivityStarted": attempts,
            "ActivityFailed": attempts - 1, "ActivitySucceeded": 1,
            "TaskScheduled": 1, "TaskStarted": 1, "TaskSubmitted": 1, "TaskSucceeded": 1,
            "ParallelStateSucceeded": 1, "ParallelStateExited": 1, "ExecutionSucceeded": 1})
    else:
        n = len(doc["items"])
        flaky = sum(1 for entry in doc["items"] if entry["flaky"])
        counts.update({
            "ExecutionStarted": 1, "MapStateEntered": 1, "MapStateStarted": 1,
            "MapIterationStarted": n, "TaskStateEntered": n, "ActivityScheduled": n + flaky,
            "ActivityStarted": n + flaky, "ActivityFailed": flaky, "ActivitySucceeded": n,
            "TaskStateExited": n, "MapIterationSucceeded": n, "MapStateSucceeded": 1,
            "MapStateExited": 1, "PassStateEntered": 1, "PassStateExited": 1,
            "ExecutionSucceeded": 1})
    return +counts


# ---- client side records -------------------------------------------------------------------

class Ledger:
    """What the clients were handed and what the server acknowledged, shared between threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.handouts = []      # (token, key, poll began, poll answered, worker)
        self.acks = collections.defaultdict(list)  # token -> [(time, key, answer)]
        self.refused = []       # (token, key, time, error code, re-sent?, probe?)
        self.callbacks = []     # (token, execution id, time) per Lambda invocation
        self.abandoned = 0      # tasks a worker dropped because a heartbeat said they ended
        self.heartbeats = 0
        self.resent = 0         # completions sent again after no answer
        self.problems = []      # violations seen as they happened

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def hand(self, token, key, began, answered, worker):
        with self.lock:
            self.handouts.append((token, key, began, answered, worker))

    def ack(self, token, key, answer, resent):
        with self.lock:
            self.acks[token].append((time.time(), key, answer))
            self.resent += resent

    def refuse(self, token, key, code, resent, probe):
        with self.lock:
            self.refused.append((token, key, time.time(), code, resent, probe))


def client_call(call, deadline_s=120):
    """Calls `call` until the server answers. Returns (result, resent): resent is True when an
    earlier attempt failed in a way that may have reached the server."""
    deadline = time.time() + deadline_s
    resent = False
    while True:
        try:
            return call(), resent
        except ClientError as error:
            error.resent = resent
            raise
        except DOWN:
            if time.time() > deadline:
                raise
            resent = True
            time.sleep(0.05)


def error_code(error):
    return error.response.get("Error", {}).get("Code", "")


def guarded(ledger, name, target, *args):
    """Runs a harness thread; an exception in it is a violation, not a silent death."""
    def run():
        try:
            target(*args)
        except Exception:  # noqa: BLE001 - reported as a problem of the run
            ledger.problem(f"harness thread {name} died: {traceback.format_exc()}")
    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


# ---- the server under test -----------------------------------------------------------------

class CrashServer(Server):
    """conftest's Server, started in two steps (`spawn`, then `wait_up`, so a restart can be
    killed again while it recovers) and killed with SIGKILL."""

    def wait_up(self, timeout=60, poll=0.02):
        return super().wait_up(timeout, poll)

    def kill9(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
        if self.process:
            self.process.wait()

    def log_tail(self, lines=30):
        self.log.flush()
        with open(os.path.join(self.data_dir, "server.log"), "rb") as handle:
            return b"\n".join(handle.read().splitlines()[-lines:]).decode(errors="replace")


def switchback_call(endpoint, operation, body, timeout=30):
    """One of Switchback's own operations (`X-Amz-Target: Switchback.*`): (status, document)."""
    request = urllib.request.Request(
        endpoint + "/", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Target": f"Switchback.{operation}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, {"raw": text.decode(errors="replace")}


class LambdaEndpoint:
    """A Lambda Invoke endpoint: function `crashloop-callback` records the task token it is
    given and queues it for the callback thread, which answers it a little later."""

    def __init__(self, ledger, seed, on_invoke):
        self.ledger = ledger
        self.due = queue.PriorityQueue()
        rng_lock = threading.Lock()
        rng = random.Random(f"{seed}-callbacks")
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                try:
                    length = int(self.headers.get("content-length", 0))
                    payload = json.loads(self.rfile.read(length) or b"{}")
                    if not self.path.endswith("/functions/crashloop-callback/invocations"):
                        self.answer(404, {"message": "Function not found"})
                        return
                    token, execution_id = payload["token"], payload["id"]
                    now = time.time()
                    endpoint.ledger.callbacks.append((token, execution_id, now))
                    with rng_lock:
                        delay = rng.uniform(0.1, 1.5)
                    endpoint.due.put((now + delay, token, execution_id))
                    on_invoke()
                    self.answer(200, {"accepted": execution_id})
                except (OSError, ValueError, KeyError):
                    pass  # the server died while it called

            def answer(self, status, document):
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self):
        self.http.shutdown()
        self.http.server_close()


# ---- the run -------------------------------------------------------------------------------

@dataclass
class DeploymentRun:
    """One gradual deployment the harness started, and what it saw of it."""
    machine: str
    alias: str
    origin: str
    target: str
    preference: dict
    sent_at: float
    answered_at: float = 0.0
    id: str = ""
    observed: list = field(default_factory=list)  # (time, status, targetWeight)
    ended_at: float = 0.0  # when a poll first saw it ended
    final: dict = field(default_factory=dict)


@dataclass
class Report:
    seed: int
    kills: int = 0
    early_kills: int = 0
    restarts: list = field(default_factory=list)  # seconds from kill to /health
    executions: int = 0
    events: int = 0
    handouts: int = 0
    acks: int = 0
    callbacks: int = 0
    deployments: list = field(default_factory=list)  # (machine, status, shifts)
    versions: dict = field(default_factory=dict)
    # How often the kills hit work in flight.
    starts_resent: int = 0
    completions_resent: int = 0
    handed_again: int = 0       # tokens handed out more than once (offered again after a kill)
    refused: int = 0            # completions answered TaskTimedOut (re-sent, duplicate, probe)
    callbacks_again: int = 0    # callback tokens the Lambda endpoint was given more than once
    heartbeats: int = 0
    answer_kills: int = 0       # kills made right after a client was answered
    inflight_kills: int = 0     # kills made while a start or a completion was in flight
    callback_kills: int = 0     # kills made while the server called the Lambda endpoint
    warnings: list = field(default_factory=list)  # WARN lines of the server log
    violations: list = field(default_factory=list)
    seconds: float = 0.0
    data_dir: str = ""

    def summary(self):
        restarts = sorted(self.restarts)
        median = restarts[len(restarts) // 2] if restarts else 0.0
        lines = [
            f"seed {self.seed}: {self.kills} kill -9s survived ({self.early_kills} during "
            f"recovery, {self.answer_kills} right after an answer, {self.inflight_kills} with a "
            f"request in flight, {self.callback_kills} during a Lambda call), restarts median "
            f"{median:.2f} s, max {max(restarts, default=0):.2f} s",
            f"{self.executions} executions, {self.events} history events checked, "
            f"{self.handouts} activity tasks handed out, {self.acks} completions acknowledged, "
            f"{self.callbacks} callback invocations, {self.heartbeats} heartbeats",
            f"in flight at the kills: {self.starts_resent} starts and {self.completions_resent} "
            f"completions re-sent, {self.handed_again} "
            f"tokens handed out again, {self.callbacks_again} callbacks invoked again, "
            f"{self.refused} completions refused as already done",
            "deployments: " + ", ".join(
                f"{kind} {status} x{n}" for (kind, status), n in sorted(collections.Counter(
                    (m, s) for m, s, _ in self.deployments).items())),
            "versions run through aliases: " + ", ".join(
                f"{k} {dict(sorted(v.items()))}" for k, v in sorted(self.versions.items())),
            f"{len(self.violations)} violations, {self.seconds:.1f} s",
        ]
        if self.warnings:
            lines.append(f"{len(self.warnings)} WARN lines in the server log, first: "
                         + " | ".join(self.warnings[:3]))
        lines += [f"VIOLATION: {v}" for v in self.violations[:50]]
        if len(self.violations) > 50:
            lines.append(f"... and {len(self.violations) - 50} more")
        return "\n".join(lines)


class CrashLoop:
    def __init__(self, settings):
        self.s = settings
        self.ledger = Ledger()
        self.report = Report(seed=settings.seed)
        self.stop = threading.Event()
        self.killing = threading.Event()  # set while the kill phase runs
        self.kills_left = settings.kills
        self.items = plan_workload(settings)
        self.by_id = {item.id: item for item in self.items}
        self.started = {}  # name -> dict(arn, first_sent, answered, resent)
        self.started_lock = threading.Lock()
        self.schedule = queue.Queue()  # (due time, item) for the driver
        self.deployments = collections.defaultdict(list)  # machine kind -> [DeploymentRun]
        self.deploy_lock = threading.Lock()
        self.threads = []
        # An armed kill: "answer" (the next answer a client gets kills the server) or
        # "inflight" (the next start or completion sent does, a few ms later).
        self.armed = None
        self.kill_rng = random.Random(f"{settings.seed}-inflight")
        self.arm_lock = threading.Lock()
        self.fired = threading.Event()

    # -- set-up -------------------------------------------------------------------------------

    def setup(self):
        s = self.s
        self.data_dir = s.data_dir or tempfile.mkdtemp(prefix="switchback-crashloop-")
        self.report.data_dir = self.data_dir
        self.lam = LambdaEndpoint(self.ledger, s.seed, self.invoked)
        self.server = CrashServer(s.binary, self.data_dir, free_port(), [
            "--time-scale", str(s.time_scale), "--lambda-endpoint", self.lam.url])
        self.server.spawn()
        self.server.wait_up()
        self.endpoint = self.server.endpoint
        sfn = make_client(self.endpoint)
        self.activities = {
            "work": sfn.create_activity(name="crashloop-work")["activityArn"],
            "job": sfn.create_activity(name="crashloop-job")["activityArn"],
        }
        self.machines = {}
        self.targets = {}  # kind -> the ARN executions are started on
        self.versions = {}  # kind -> {number: version ARN}
        self.aliases = {}
        for kind, definition in [("serial", serial_definition(self.activities["work"])),
                                 ("parallel", parallel_definition(self.activities["job"])),
                                 ("map", map_definition(self.activities["work"]))]:
            arn = sfn.create_state_machine(name=f"crashloop-{kind}", roleArn=ROLE,
                                           definition=json.dumps(definition))["stateMachineArn"]
            self.machines[kind] = self.targets[kind] = arn
        for kind, alias in [("routed", "weighted"), ("deployed", "live"), ("canary", "canary")]:
            created = sfn.create_state_machine(
                name=f"crashloop-{kind}", roleArn=ROLE, publish=True,
                definition=json.dumps(versioned_definition(1)))
            machine = created["stateMachineArn"]
            v1 = created["stateMachineVersionArn"]
            v2 = sfn.update_state_machine(
                stateMachineArn=machine, publish=True,
                definition=json.dumps(versioned_definition(2, faulty=kind == "canary"))
            )["stateMachineVersionArn"]
            routing = ([{"stateMachineVersionArn": v1, "weight": 70},
                        {"stateMachineVersionArn": v2, "weight": 30}] if kind == "routed"
                       else [{"stateMachineVersionArn": v1, "weight": 100}])
            alias_arn = sfn.create_state_machine_alias(
                name=alias, routingConfiguration=routing)["stateMachineAliasArn"]
            self.machines[kind] = machine
            self.versions[kind] = {1: v1, 2: v2}
            self.aliases[kind] = alias_arn
            self.targets[kind] = alias_arn
        cloudwatch = boto3.client(
            "cloudwatch", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id="AKIDTEST", aws_secret_access_key="secret",
            config=Config(retries={"total_max_attempts": 1}))
        self.alarms = {}
        for kind, alias in [("deployed", "live"), ("canary", "canary")]:
            name = f"crashloop-{kind}-failures"
            cloudwatch.put_metric_alarm(
                AlarmName=name, Namespace="AWS/States", MetricName="ExecutionsFailed",
                Dimensions=[{"Name": "StateMachineArn", "Value": self.machines[kind]},
                            {"Name": "Alias", "Value": alias}],
                Statistic="Sum", ComparisonOperator="GreaterThanOrEqualToThreshold",
                Threshold=1, EvaluationPeriods=1, Period=60, TreatMissingData="notBreaching")
            self.alarms[kind] = name

    def preference(self, kind):
        if kind == "deployed":
            # 25 % a minute: 3 s a step at time scale 20, four shifts in 9 s.
            return {"type": "LINEAR", "interval": 1, "percentage": 25,
                    "alarms": [self.alarms[kind]]}
        # Half the traffic on the faulty version at once, the rest a minute later, and the
        # alarm watched for 3 minutes after 100 %.
        return {"type": "CANARY", "interval": 1, "percentage": 50, "bakeMinutes": 3,
                "alarms": [self.alarms[kind]]}

    # -- the clients --------------------------------------------------------------------------

    def driver(self):
        client = self.client()
        while True:
            entry = self.schedule.get()
            if entry is None:
                return
            due, item = entry
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            self.start_one(client, item)

    def start_one(self, client, item):
        target = self.targets[item.kind]
        first_sent = time.time()
        try:
            answer, resent = client_call(lambda: client.start_execution(
                stateMachineArn=target, name=item.name, input=item.input), deadline_s=300)
            arn = answer["executionArn"]
        except ClientError as error:
            if not (error.resent and error_code(error) == "ExecutionAlreadyExists"):
                self.ledger.problem(f"StartExecution {item.name}: {error_code(error)} "
                                    f"{error} (re-sent: {error.resent})")
                return
            # The first attempt took and the execution has ended since: same input?
            resent = True
            arn = (self.machines[item.kind].replace(":stateMachine:", ":execution:")
                   + ":" + item.name)
            described, _ = client_call(lambda: client.describe_execution(executionArn=arn))
            if described["input"] != item.input:
                self.ledger.problem(f"{item.name} exists with another input: "
                                    f"{described['input']}")
        with self.started_lock:
            self.started[item.name] = {"arn": arn, "first_sent": first_sent,
                                       "answered": time.time(), "resent": resent}
        self.answered()

    def answered(self):
        """A client was just answered: fire an armed kill now."""
        with self.arm_lock:
            if self.armed == "answer":
                self.armed = None
                self.server.process.kill()
                self.fired.set()

    def invoked(self):
        """The server called the Lambda endpoint: an armed kill fires before it is answered."""
        with self.arm_lock:
            if self.armed == "callback":
                self.armed = None
                self.server.process.kill()
                self.fired.set()

    def sending(self, **_):
        """A start or a completion is being sent: an armed kill fires while it is handled."""
        with self.arm_lock:
            if self.armed != "inflight":
                return
            self.armed = None
            process = self.server.process
            delay = self.kill_rng.uniform(0.001, 0.010)

        def fire():
            process.kill()
            self.fired.set()
        threading.Timer(delay, fire).start()

    def client(self):
        """A client whose starts and completions can fire an armed in-flight kill."""
        client = make_client(self.endpoint)
        for operation in ("StartExecution", "SendTaskSuccess", "SendTaskFailure"):
            client.meta.events.register(f"before-send.states.{operation}", self.sending)
        return client

    def worker(self, activity, name):
        client = self.client()
        rng = random.Random(f"{self.s.seed}-{name}")
        while not self.stop.is_set():
            began = time.time()
            try:
                task = client.get_activity_task(activityArn=activity, workerName=name)
            except DOWN:
                time.sleep(0.05)
                continue
            except ClientError as error:
                self.ledger.problem(f"GetActivityTask: {error}")
                time.sleep(0.2)
                continue
            token = task.get("taskToken")
            if not token:
                continue
            key = task_key(task["input"])
            self.ledger.hand(token, key, began, time.time(), name)
            if not self.work(client, token, work_seconds(self.s.seed, key)):
                continue
            answer = worker_answer(json.loads(task["input"]))
            acked = self.complete(client, token, key, answer)
            # Now and then, the same completion again: a second 200 would be a duplicate.
            if acked and rng.random() < 0.1:
                self.complete(client, token, key, answer, probe=True)

    def work(self, client, token, seconds):
        """Works `seconds`, heartbeating; False when a heartbeat says the task has ended."""
        end = time.time() + seconds
        while True:
            left = end - time.time()
            if left <= 0:
                return True
            time.sleep(min(0.25, left))
            if time.time() >= end:
                return True
            try:
                client.send_task_heartbeat(taskToken=token)
                with self.ledger.lock:
                    self.ledger.heartbeats += 1
            except DOWN:
                continue
            except ClientError as error:
                if error_code(error) == "TaskTimedOut":
                    with self.ledger.lock:
                        self.ledger.abandoned += 1
                    return False
                self.ledger.problem(f"SendTaskHeartbeat: {error}")
                return False

    def complete(self, client, token, key, answer, probe=False):
        """Sends the task's answer until the server answers; True when it acknowledged it."""
        if answer[0] == "success":
            call = lambda: client.send_task_success(taskToken=token, output=answer[1])  # noqa: E731
        else:
            call = lambda: client.send_task_failure(  # noqa: E731
                taskToken=token, error=answer[1], cause=answer[2])
        try:
            _, resent = client_call(call, deadline_s=300)
        except ClientError as error:
            self.ledger.resent += error.resent
            code = error_code(error)
            if code != "TaskTimedOut":
                self.ledger.problem(f"completion of {key}: {code} {error}")
            self.ledger.refuse(token, key, code, error.resent, probe)
            return False
        self.ledger.ack(token, key, answer, resent)
        self.answered()
        return True

    def callbacks(self):
        client = self.client()
        while not self.stop.is_set():
            try:
                due, token, execution_id = self.lam.due.get(timeout=0.2)
            except queue.Empty:
                continue
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            key = (execution_id, "Callback", None, 0)
            self.complete(client, token, key, ("success", callback_output(execution_id)))

    def deployer(self, kind):
        """Runs gradual deployments of `kind`'s alias, one after another while kills remain."""
        client = make_client(self.endpoint)
        alias = self.aliases[kind]
        first = True
        while first or (self.killing.is_set() and self.kills_left >= 12):
            if not first:
                # The next one a little later (an alarm in ALARM ends one at once).
                time.sleep(2.0)
            first = False
            routing, _ = client_call(
                lambda: client.describe_state_machine_alias(stateMachineAliasArn=alias))
            routes = routing["routingConfiguration"]
            if len(routes) != 1 or routes[0]["weight"] != 100:
                self.ledger.problem(f"{kind}: alias not on one version before a deployment: "
                                    f"{routes}")
                return
            origin = routes[0]["stateMachineVersionArn"]
            target = self.versions[kind][2 if origin == self.versions[kind][1] else 1]
            run = DeploymentRun(kind, alias, origin, target, self.preference(kind), time.time())
            with self.deploy_lock:
                self.deployments[kind].append(run)
            if not self.start_deployment(run):
                return
            self.follow(run)

    def start_deployment(self, run):
        # A token of its own per deployment: the same start sent again after a crash (its first
        # copy may have committed) answers the deployment that copy started, never a second.
        with self.deploy_lock:
            token = f"{run.machine}-{len(self.deployments[run.machine])}"
        body = {"stateMachineAliasArn": run.alias, "targetVersionArn": run.target,
                "deploymentPreference": run.preference, "clientToken": token}
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                status, answer = switchback_call(self.endpoint, "StartDeployment", body)
            except DOWN:
                time.sleep(0.05)
                continue
            if status == 200:
                run.id, run.answered_at = answer["deploymentId"], time.time()
                return True
            self.ledger.problem(f"StartDeployment {run.machine}: {status} {answer}")
            return False
        self.ledger.problem(f"StartDeployment {run.machine}: no answer for 300 s")
        return False

    def follow(self, run):
        while True:
            try:
                status, answer = switchback_call(self.endpoint, "DescribeDeployment",
                                                 {"deploymentId": run.id})
            except DOWN:
                time.sleep(0.05)
                continue
            if status != 200:
                self.ledger.problem(f"DescribeDeployment {run.id}: {status} {answer}")
                return
            run.observed.append((time.time(), answer["status"], answer["targetWeight"]))
            if answer["status"] != "IN_PROGRESS":
                run.ended_at = time.time()
                return
            if self.stop.is_set():
                return
            time.sleep(0.1)

    # -- the kill loop ------------------------------------------------------------------------

    def kill_and_restart(self, rng):
        began = time.time()
        self.server.kill9()
        self.report.kills += 1
        while True:
            self.server.spawn()
            if rng.random() < self.s.early_kill_share and self.kills_left > 1:
                # Killed again while it recovers (before it listens).
                time.sleep(rng.uniform(0.0, 0.08))
                self.server.kill9()
                self.report.kills += 1
                self.report.early_kills += 1
                self.kills_left -= 1
                continue
            break
        try:
            self.server.wait_up()
        except RuntimeError as error:
            raise RuntimeError(f"the server did not restart after kill {self.report.kills}: "
                               f"{error}\n{self.server.log_tail()}") from None
        self.report.restarts.append(time.time() - began)

    def run(self):
        try:
            return self.run_and_check()
        finally:
            self.teardown()

    def run_and_check(self):
        began = time.time()
        s = self.s
        try:
            self.setup()
            kill_rng = random.Random(f"{s.seed}-kills")
            for kind in ("deployed", "canary"):
                self.threads.append(guarded(self.ledger, f"deploy-{kind}", self.deployer, kind))
            self.killing.set()
            for n in range(s.work_workers):
                self.threads.append(guarded(self.ledger, f"work-{n}", self.worker,
                                            self.activities["work"], f"work-{n}"))
            for n in range(s.job_workers):
                self.threads.append(guarded(self.ledger, f"job-{n}", self.worker,
                                            self.activities["job"], f"job-{n}"))
            self.threads.append(guarded(self.ledger, "callbacks", self.callbacks))
            driver = guarded(self.ledger, "driver", self.driver)
            planned, total = 0, len(self.items)
            kills = s.kills
            while self.kills_left > 0:
                gap = kill_rng.uniform(s.gap_min, s.gap_max)
                # The executions of this gap, spread over it.
                done = kills - self.kills_left + 1
                upto = min(total, math.ceil(total * done / kills))
                now = time.time()
                batch = self.items[planned:upto]
                for due in sorted(now + kill_rng.uniform(0, gap) for _ in batch):
                    self.schedule.put((due, batch.pop(0)))
                planned = upto
                roll, mode = kill_rng.random(), None
                for name, share in [("answer", s.answer_kill_share),
                                    ("inflight", s.inflight_kill_share),
                                    ("callback", s.callback_kill_share)]:
                    if mode is None and roll < share:
                        mode = name
                    roll -= share
                # A callback kill is armed for the whole gap: the Lambda endpoint is called
                # when a parallel execution starts, and this gap's starts come during it.
                if mode != "callback":
                    time.sleep(gap)
                if mode:
                    self.fired.clear()
                    with self.arm_lock:
                        self.armed = mode
                    if self.fired.wait(gap + 2.0 if mode == "callback" else 2.0):
                        setattr(self.report, f"{mode}_kills",
                                getattr(self.report, f"{mode}_kills") + 1)
                    with self.arm_lock:
                        self.armed = None
                self.kill_and_restart(kill_rng)
                self.kills_left -= 1
                if self.report.kills % 50 == 0:
                    s.say(f"{self.report.kills} kills, {len(self.started)} started")
            self.killing.clear()
            for item in self.items[planned:]:
                self.schedule.put((time.time(), item))
            self.schedule.put(None)
            self.drain(driver)
        except Exception:  # noqa: BLE001 - a run that cannot go on is a violation
            self.report.violations.append(traceback.format_exc())
        finally:
            self.stop.set()
        if not self.report.violations:
            try:
                Checker(self).check()
            except Exception:  # noqa: BLE001
                self.report.violations.append("checker failed: " + traceback.format_exc())
        self.report.violations = self.ledger.problems + self.report.violations
        self.report.seconds = time.time() - began
        return self.report

    def drain(self, driver):
        """After the last kill: every start answered, every deployment and execution ended."""
        deadline = time.time() + self.s.drain_timeout
        driver.join(max(0.0, deadline - time.time()))
        if driver.is_alive():
            raise RuntimeError(f"the starts did not finish: {len(self.started)} of "
                               f"{len(self.items)} answered")
        client = make_client(self.endpoint)
        while time.time() < deadline:
            open_deployments = [d for runs in self.deployments.values() for d in runs
                                if d.id and not d.ended_at]
            running = 0
            for arn in set(self.machines.values()):
                for page in client.get_paginator("list_executions").paginate(
                        stateMachineArn=arn, statusFilter="RUNNING"):
                    running += len(page["executions"])
            if not running and not open_deployments:
                return
            time.sleep(0.2)
        raise RuntimeError(
            f"not everything ended {self.s.drain_timeout} s after the last kill: {running} "
            f"executions still running, deployments open: {[d.id for d in open_deployments]}\n"
            + self.running_report(client))

    def running_report(self, client):
        lines = []
        for arn in set(self.machines.values()):
            for page in client.get_paginator("list_executions").paginate(
                    stateMachineArn=arn, statusFilter="RUNNING"):
                for listed in page["executions"][:5]:
                    events = client.get_execution_history(
                        executionArn=listed["executionArn"], reverseOrder=True,
                        maxResults=3)["events"]
                    lines.append(f"  {listed['name']}: last events "
                                 f"{[e['type'] for e in events]}")
        return "\n".join(lines)

    def scan_log(self):
        """Every ERROR line and panic of the server is a violation; WARN lines are reported."""
        with open(os.path.join(self.data_dir, "server.log"), "rb") as handle:
            text = re.sub(r"\x1b\[[0-9;]*m", "", handle.read().decode(errors="replace"))
        for line in text.splitlines():
            if " ERROR " in line or "panicked" in line:
                self.report.violations.append(f"server log: {line[:400]}")
            elif " WARN " in line:
                self.report.warnings.append(line[:300])

    def teardown(self):
        self.stop.set()
        self.schedule.put(None)
        server = getattr(self, "server", None)
        if server is None:
            return
        server.kill9()
        for thread in self.threads:
            thread.join(2)
        self.lam.close()
        server.log.close()
        self.scan_log()
        if self.s.keep_data or self.report.violations:
            self.s.say(f"data and server log kept in {self.data_dir}")
        else:
            shutil.rmtree(self.data_dir, ignore_errors=True)


# ---- the checker ---------------------------------------------------------------------------

def history_problems(name, events, status):
    """The shape every history must have, whatever its workflow."""
    problems = []
    ids = [e["id"] for e in events]
    if ids != list(range(1, len(events) + 1)):
        problems.append(f"{name}: event ids are not 1..{len(events)}: {ids}")
    by_id = {e["id"]: e for e in events}
    types = [e["type"] for e in events]
    for e in events:
        if not 0 <= e["previousEventId"] < e["id"]:
            problems.append(f"{name}: event {e['id']} points to {e['previousEventId']}")
    for a, b in zip(events, events[1:]):
        if b["timestamp"] < a["timestamp"]:
            problems.append(f"{name}: event {b['id']} is older than event {a['id']}")
    if types.count("ExecutionStarted") != 1 or types[:1] != ["ExecutionStarted"]:
        problems.append(f"{name}: not one ExecutionStarted first: {types}")
    terminal = [t for t in types if t in TERMINAL_EXECUTION_EVENTS]
    if len(terminal) != 1 or types[-1] not in TERMINAL_EXECUTION_EVENTS:
        problems.append(f"{name}: not one terminal event last: {types}")
    # Entered/Exited pair up per state name; only a failed execution leaves states open.
    open_states = collections.Counter()
    for e in events:
        if e["type"].endswith("StateEntered"):
            open_states[e["stateEnteredEventDetails"]["name"]] += 1
        elif e["type"].endswith("StateExited"):
            state = e["stateExitedEventDetails"]["name"]
            open_states[state] -= 1
            if open_states[state] < 0:
                problems.append(f"{name}: {state} exited (event {e['id']}) before it entered")
    left = +open_states
    if status == "SUCCEEDED" and left:
        problems.append(f"{name}: states entered and never exited: {dict(left)}")
    if status == "FAILED" and sum(left.values()) > 1:
        problems.append(f"{name}: more than the failing state left open: {dict(left)}")
    # Each scheduled task: at most one start, at most one outcome, after its start.
    for scheduled_type, follow, closes in [
            ("ActivityScheduled", {"ActivityStarted"} | ACTIVITY_CLOSES, ACTIVITY_CLOSES),
            ("TaskScheduled", {"TaskStarted", "TaskSubmitted"} | TASK_CLOSES, TASK_CLOSES)]:
        per_task = collections.defaultdict(list)
        for e in events:
            if e["type"] not in follow:
                continue
            cursor = by_id.get(e["previousEventId"])
            while cursor is not None and cursor["type"] in follow:
                cursor = by_id.get(cursor["previousEventId"])
            if cursor is None or cursor["type"] != scheduled_type:
                problems.append(f"{name}: {e['type']} {e['id']} follows no {scheduled_type}")
                continue
            per_task[cursor["id"]].append(e["type"])
        for e in events:
            if e["type"] != scheduled_type:
                continue
            seen = per_task.get(e["id"], [])
            outcomes = [t for t in seen if t in closes]
            starts = [t for t in seen if t.endswith("Started")]
            if len(outcomes) > 1 or len(starts) > 1 or (
                    status == "SUCCEEDED" and len(outcomes) != 1):
                problems.append(f"{name}: {scheduled_type} {e['id']} has {seen}")
    return problems


def close_details(event):
    for key in ("activitySucceededEventDetails", "activityFailedEventDetails",
                "activityTimedOutEventDetails", "taskSucceededEventDetails",
                "taskFailedEventDetails", "taskTimedOutEventDetails"):
        if key in event:
            return event[key]
    return {}


def tasks_of(events, execution_id):
    """key -> (close event or None) for every activity and callback task of a history."""
    by_id = {e["id"]: e for e in events}
    scheduled = {}
    keys = collections.Counter()
    for e in events:
        if e["type"] == "ActivityScheduled":
            key = task_key(e["activityScheduledEventDetails"]["input"])
            keys[key] += 1
            scheduled[e["id"]] = key
        elif e["type"] == "TaskScheduled":
            key = (execution_id, "Callback", None, 0)
            keys[key] += 1
            scheduled[e["id"]] = key
    closes = {key: None for key in scheduled.values()}
    for e in events:
        if e["type"] in ACTIVITY_CLOSES | TASK_CLOSES:
            cursor = by_id.get(e["previousEventId"])
            while cursor is not None and cursor["id"] not in scheduled:
                cursor = by_id.get(cursor["previousEventId"])
            if cursor is not None:
                closes[scheduled[cursor["id"]]] = e
    return closes, keys


class Checker:
    def __init__(self, loop):
        self.loop = loop
        self.client = make_client(loop.endpoint)
        self.problems = loop.report.violations

    def check(self):
        self.check_executions()
        self.check_deployments()
        self.loop.report.handouts = len(self.loop.ledger.handouts)
        self.loop.report.acks = sum(len(v) for v in self.loop.ledger.acks.values())
        ledger, report = self.loop.ledger, self.loop.report
        report.callbacks = len(ledger.callbacks)
        report.heartbeats = ledger.heartbeats
        report.starts_resent = sum(1 for s in self.loop.started.values() if s["resent"])
        report.handed_again = sum(1 for n in collections.Counter(
            h[0] for h in ledger.handouts).values() if n > 1)
        report.callbacks_again = sum(1 for n in collections.Counter(
            c[0] for c in ledger.callbacks).values() if n > 1)
        report.refused = len(ledger.refused)
        report.completions_resent = ledger.resent

    def history(self, arn):
        events = []
        paginator = self.client.get_paginator("get_execution_history")
        for page in paginator.paginate(executionArn=arn, PaginationConfig={"PageSize": 20}):
            events += page["events"]
        return events

    def check_executions(self):
        loop, problems = self.loop, self.problems
        # ListExecutions: each planned execution once, nothing else, nothing running.
        listed = collections.Counter()
        for kind, machine in loop.machines.items():
            for page in self.client.get_paginator("list_executions").paginate(
                    stateMachineArn=machine):
                for entry in page["executions"]:
                    listed[entry["name"]] += 1
                    if entry["status"] == "RUNNING":
                        problems.append(f"{entry['name']} is still RUNNING")
        planned = {item.name for item in loop.items}
        for name, count in listed.items():
            if count != 1:
                problems.append(f"{name} listed {count} times")
            if name not in planned:
                problems.append(f"{name} exists but was never started")
        for name in planned - set(listed):
            problems.append(f"{name} is missing from ListExecutions")
        self.close_times = {}  # key -> close timestamp (epoch seconds)
        self.closes = {}
        for item in loop.items:
            started = loop.started.get(item.name)
            if not started:
                problems.append(f"{item.name} never got an answer to its start")
                continue
            self.check_execution(item, started)
        loop.report.executions = len(listed)
        self.check_ledger()

    def check_execution(self, item, started):
        loop, problems = self.loop, self.problems
        described = self.client.describe_execution(executionArn=started["arn"])
        version = None
        if item.kind in loop.aliases:
            alias = described.get("stateMachineAliasArn")
            version_arn = described.get("stateMachineVersionArn")
            numbers = {arn: n for n, arn in loop.versions[item.kind].items()}
            if alias != loop.aliases[item.kind] or version_arn not in numbers:
                problems.append(f"{item.name}: alias {alias}, version {version_arn}")
                return
            version = numbers[version_arn]
            counts = loop.report.versions.setdefault(item.kind, collections.Counter())
            counts[f"v{version}"] += 1
            started["version"] = version
        if described["input"] != item.input:
            problems.append(f"{item.name}: input {described['input']!r}")
        status, expected = expected_end(item, version)
        if described["status"] != status:
            problems.append(f"{item.name}: {described['status']} instead of {status}: "
                            f"{described.get('error')} {described.get('cause')}")
        elif status == "SUCCEEDED":
            output = json.loads(described["output"])
            if output != expected:
                problems.append(f"{item.name}: output {output} instead of {expected}")
        elif (described.get("error"), described.get("cause")) != expected:
            problems.append(f"{item.name}: failed with {described.get('error')} "
                            f"{described.get('cause')} instead of {expected}")
        events = self.history(started["arn"])
        loop.report.events += len(events)
        problems.extend(history_problems(item.name, events, described["status"]))
        types = [e["type"] for e in events]
        wanted = expected_types(item, version)
        if isinstance(wanted, list) and types != wanted:
            problems.append(f"{item.name}: events {types} instead of {wanted}")
        if isinstance(wanted, collections.Counter) and collections.Counter(types) != wanted:
            diff = dict((collections.Counter(types) - wanted) + (wanted - collections.Counter(types)))
            problems.append(f"{item.name}: events differ from the workflow's by {diff}")
        closes, keys = tasks_of(events, item.id)
        for key, count in keys.items():
            if count > 1:
                problems.append(f"{item.name}: task {key} scheduled {count} times")
        for key, event in closes.items():
            self.closes[key] = event
            if event is not None:
                self.close_times[key] = event["timestamp"].timestamp()

    def check_ledger(self):
        ledger, problems = self.loop.ledger, self.problems
        acked_keys = collections.Counter()
        for token, acks in ledger.acks.items():
            if len(acks) > 1:
                problems.append(f"token {token[:16]}... of {acks[0][1]} acknowledged "
                                f"{len(acks)} times")
            for at, key, answer in acks:
                acked_keys[key] += 1
                event = self.closes.get(key)
                if event is None:
                    problems.append(f"acknowledged completion of {key} is not in the history")
                    continue
                details = close_details(event)
                if answer[0] == "success":
                    if not event["type"].endswith("Succeeded") or \
                            json.loads(details.get("output", "null")) != json.loads(answer[1]):
                        problems.append(f"acknowledged success of {key} became {event['type']} "
                                        f"{details}")
                elif event["type"] != "ActivityFailed" or details.get("error") != answer[1]:
                    problems.append(f"acknowledged failure of {key} became {event['type']} "
                                    f"{details}")
        for key, count in acked_keys.items():
            if count > 1:
                problems.append(f"task {key} had {count} acknowledged completions")
        first_ack = {token: min(at for at, _, _ in acks) for token, acks in ledger.acks.items()}
        for token, key, began, answered, worker in ledger.handouts:
            if token in first_ack and began > first_ack[token]:
                problems.append(f"token of {key} handed to {worker} at {began:.3f}, after its "
                                f"completion was acknowledged at {first_ack[token]:.3f}")
            closed = self.close_times.get(key)
            if closed is not None and began > closed + CLOSE_TOLERANCE_S:
                problems.append(f"task {key} handed to {worker} by a poll that began at "
                                f"{began:.3f}, after the history closed it at {closed:.3f}")
            if key not in self.closes:
                problems.append(f"task {key} handed to {worker} is in no history")
        # A refused completion needs someone else to have closed the task: another holder of
        # the task acknowledged, a re-sent completion whose first answer was lost (it may have
        # committed), or a timeout.
        maybe_committed = {key for _, key, _, _, resent, _ in ledger.refused if resent}
        for token, key, at, code, resent, probe in ledger.refused:
            event = self.closes.get(key)
            if event is None:
                problems.append(f"completion of {key} refused ({code}) and the task never "
                                f"closed")
            elif not (probe or resent or acked_keys[key] or key in maybe_committed
                      or event["type"].endswith("TimedOut")):
                problems.append(f"completion of {key} refused ({code}) at {at:.3f} though "
                                f"nobody else completed it; the history closed it with "
                                f"{event['type']} at {event['timestamp'].timestamp():.3f}")

    def check_deployments(self):
        loop, problems = self.loop, self.problems
        for kind, runs in loop.deployments.items():
            ids, token = [], None
            while True:
                body = {"stateMachineAliasArn": loop.aliases[kind], "maxResults": 50}
                if token:
                    body["nextToken"] = token
                status, listed = switchback_call(loop.endpoint, "ListDeployments", body)
                if status != 200:
                    problems.append(f"{kind}: ListDeployments {status} {listed}")
                    break
                ids += [d["deploymentId"] for d in listed["deployments"]]
                token = listed.get("nextToken")
                if not token:
                    break
            ours = [run.id for run in runs]
            if sorted(ids) != sorted(ours) or len(set(ids)) != len(ids):
                problems.append(f"{kind}: deployments listed {ids}, started {ours}")
            previous_end = None
            for run in runs:
                self.check_deployment(kind, run)
                self.check_routing_windows(kind, previous_end, run)
                previous_end = run
            self.check_routing_windows(kind, previous_end, None)
            if runs:
                routing = self.client.describe_state_machine_alias(
                    stateMachineAliasArn=loop.aliases[kind])["routingConfiguration"]
                final = runs[-1].final
                want = [{"stateMachineVersionArn": final.get("finalVersion"), "weight": 100}]
                if routing != want:
                    problems.append(f"{kind}: alias routes {routing} after the last deployment "
                                    f"{final.get('status')}, expected {want}")

    def check_deployment(self, kind, run):
        loop, problems = self.loop, self.problems
        if not run.id:
            problems.append(f"{kind}: a deployment was started and never found")
            return
        status, described = switchback_call(loop.endpoint, "DescribeDeployment",
                                            {"deploymentId": run.id})
        if status != 200:
            problems.append(f"{kind} {run.id}: DescribeDeployment {status} {described}")
            return
        run.final = described
        timeline = described["timeline"]
        types = [entry["type"] for entry in timeline]
        final_status = described["status"]
        shifted = [entry["targetWeight"] for entry in timeline if entry["type"] == "Shifted"]
        pref = run.preference
        if pref["type"] == "LINEAR":
            steps = list(range(pref["percentage"], 100, pref["percentage"])) + [100]
        else:
            steps = [pref["percentage"], 100]
        where = f"{kind} deployment {run.id}"
        loop.report.deployments.append((kind, final_status, shifted))
        if types.count("Started") != 1 or types[0] != "Started":
            problems.append(f"{where}: not one Started first: {types}")
        if types.count("Finished") != 1 or types[-1] != "Finished":
            problems.append(f"{where}: not one Finished last: {types}")
        elif timeline[-1].get("status") != final_status:
            problems.append(f"{where}: Finished {timeline[-1]} but status {final_status}")
        if shifted != steps[:len(shifted)]:
            problems.append(f"{where}: shifts {shifted}, the preference makes {steps}")
        if described["shifts"] != len(shifted):
            problems.append(f"{where}: shifts {described['shifts']} but {len(shifted)} Shifted")
        origin_number = int(run.origin.rsplit(":", 1)[1])
        target_number = int(run.target.rsplit(":", 1)[1])
        if final_status == "SUCCEEDED":
            if shifted != steps or "RolledBack" in types:
                problems.append(f"{where}: SUCCEEDED with shifts {shifted} and {types}")
            described["finalVersion"] = run.target
            routing_wanted = [{"version": target_number, "weight": 100}]
        elif final_status == "ROLLED_BACK":
            # An alarm already in ALARM at the start ends it before its first shift: there is
            # nothing to roll back then.
            if types.count("RolledBack") != (1 if shifted else 0):
                problems.append(f"{where}: ROLLED_BACK with {types}")
            message = ("Aborting deployment. The following CloudWatch alarms are in an 'ALARM' "
                       f"state: [{loop.alarms[kind]}].")
            if described.get("statusMessage") != message:
                problems.append(f"{where}: rolled back with {described.get('statusMessage')!r}")
            if kind == "deployed":
                problems.append(f"{where}: a good version was rolled back")
            described["finalVersion"] = run.origin
            routing_wanted = [{"version": origin_number, "weight": 100}]
        else:
            problems.append(f"{where}: ended {final_status} {described.get('statusMessage')}")
            return
        rolled = [entry["routing"] for entry in timeline if entry["type"] == "RolledBack"]
        if rolled and rolled[0] != routing_wanted:
            problems.append(f"{where}: rolled back to {rolled[0]}")
        if described.get("routingConfiguration") != [
                {"stateMachineVersionArn": described["finalVersion"], "weight": 100}]:
            problems.append(f"{where}: routing {described.get('routingConfiguration')}")
        # What the client saw: IN_PROGRESS with a weight that never goes down, then the end.
        seen = [(s, w) for _, s, w in run.observed]
        ended = [s for s, _ in seen if s != "IN_PROGRESS"]
        if not ended or any(s != final_status for s in ended):
            problems.append(f"{where}: observed ends {ended}, final {final_status}")
        for (s1, w1), (s2, w2) in zip(seen, seen[1:]):
            if s1 != "IN_PROGRESS" and s2 == "IN_PROGRESS":
                problems.append(f"{where}: went back to IN_PROGRESS after {s1}")
                break
            if s1 == s2 == "IN_PROGRESS" and w2 < w1:
                problems.append(f"{where}: target weight went from {w1} down to {w2}")
                break

    def check_routing_windows(self, kind, before, after):
        """Executions started through the alias between the end of one deployment (as a client
        saw it) and the start of the next ran the version the first one left in place."""
        if before is None or not before.final.get("finalVersion"):
            return
        number = {arn: n for n, arn in self.loop.versions[kind].items()}[
            before.final["finalVersion"]]
        for item in self.loop.items:
            if item.kind != kind:
                continue
            started = self.loop.started.get(item.name)
            if not started or "version" not in started:
                continue
            if started["first_sent"] > before.ended_at and (
                    after is None or started["answered"] < after.sent_at):
                if started["version"] != number:
                    self.problems.append(
                        f"{item.name} started after deployment {before.id} ended "
                        f"{before.final['status']} ran version {started['version']}, "
                        f"not {number}")


def run(settings):
    return CrashLoop(settings).run()
