"""Issue 3's crash test: 200 STANDARD executions parked in Wait states and activity tasks survive
two `kill -9`s of the server, and every one of them completes exactly once with a correct history.

The test runs its own server (its own data directory and port, not the session fixture), at a
time scale that makes the waits last 2 to 7 seconds: long enough to outlive the first kill, short
enough that the whole test takes a few tens of seconds.

1. Two state machines: Wait → activity Task → Pass, and a Parallel of a Wait branch and an
   activity branch. 200 executions (half each), named, each input with its id and its wait.
2. Before the first kill: some activity tasks are polled; a few are completed, a few tokens are
   kept unanswered. The last starts are still in flight when the server is killed.
3. Restart on the same data directory. The starts that got no answer are sent again (same name
   and input: either the execution exists and is returned, or it is created). The kept tokens
   still work (task tokens are drawn from the execution's seeded entropy, so a replay gives the
   same ones); the tokens completed before the crash get `TaskTimedOut`.
4. Workers complete every activity task, and record every token handed out and every completion
   the server acknowledged: a token handed out again after an acknowledged completion, or two
   acknowledged completions for one execution, fail the test.
5. A second `kill -9` in the middle of the worker phase, and a restart; the workers go on.
6. Every execution SUCCEEDED with the expected output, its history is well formed, and the
   server lists exactly 200 executions.
"""
import collections
import json
import os
import random
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

from conftest import ROLE, Server, free_port, make_client

TIME_SCALE = "10"
EXECUTIONS = 200
# Errors a client sees while the server is down or dies under it.
DOWN = (BotoConnectionError, HTTPClientError)


def serial_definition(activity):
    return {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Work"},
            "Work": {"Type": "Task", "Resource": activity, "ResultPath": "$.result",
                     "TimeoutSeconds": 3600, "HeartbeatSeconds": 600, "Next": "Done"},
            "Done": {"Type": "Pass", "Parameters": {"id.$": "$.id", "result.$": "$.result"},
                     "End": True},
        },
    }


def parallel_definition(activity):
    return {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Nap", "States": {
                        "Nap": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Woke"},
                        "Woke": {"Type": "Pass", "Result": "waited", "End": True}}},
                    {"StartAt": "Job", "States": {
                        "Job": {"Type": "Task", "Resource": activity,
                                "TimeoutSeconds": 3600, "End": True}}},
                ],
                "ResultPath": "$.branches",
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "Parameters": {"id.$": "$.id", "branches.$": "$.branches"},
                     "End": True},
        },
    }


SERIAL_TYPES = [
    "ExecutionStarted", "WaitStateEntered", "WaitStateExited", "TaskStateEntered",
    "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
    "PassStateEntered", "PassStateExited", "ExecutionSucceeded",
]
PARALLEL_TYPES = sorted([
    "ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted",
    "WaitStateEntered", "WaitStateExited", "PassStateEntered", "PassStateExited",
    "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
    "TaskStateExited", "ParallelStateSucceeded", "ParallelStateExited",
    "PassStateEntered", "PassStateExited", "ExecutionSucceeded",
])


def worker_output(task_input):
    return json.dumps({"echo": json.loads(task_input)["id"]})


def retry(call, deadline_s=30):
    """Calls `call` until the server answers (it may be down or restarting)."""
    deadline = time.time() + deadline_s
    while True:
        try:
            return call()
        except DOWN:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


class Ledger:
    """What the workers were handed and what the server acknowledged, shared between threads."""

    def __init__(self):
        self.lock = threading.Lock()
        # Called (once) by the worker whose acknowledged completion reaches the count: the
        # second kill comes right after an acknowledgement, when a commit that had not
        # finished yet would be lost.
        self.kill_at = None
        self.kill = None
        self.killed = threading.Event()
        self.acknowledged = {}  # token -> execution id, for every 200 to SendTaskSuccess
        self.completions = collections.Counter()  # execution id -> acknowledged completions
        self.handed_after_completion = []  # tokens handed out again after an acknowledged 200
        self.handed = collections.Counter()  # token -> times handed out

    def hand(self, token):
        with self.lock:
            self.handed[token] += 1
            if token in self.acknowledged:
                self.handed_after_completion.append(token)

    def ack(self, token, execution_id):
        with self.lock:
            self.acknowledged[token] = execution_id
            self.completions[execution_id] += 1
            if self.kill and len(self.completions) >= self.kill_at and not self.killed.is_set():
                self.kill()
                self.killed.set()


def complete(client, ledger, token, task_input):
    """Sends SendTaskSuccess until the server answers; True when it acknowledged it."""
    execution_id = json.loads(task_input)["id"]
    try:
        retry(lambda: client.send_task_success(taskToken=token,
                                               output=worker_output(task_input)))
    except ClientError as error:
        # The task ended already: a retry after a crash hid the first answer, or another
        # worker that was handed the task again completed it first.
        assert error.response["Error"]["Code"] == "TaskTimedOut", error.response
        return False
    ledger.ack(token, execution_id)
    return True


def worker(endpoint, activity, name, ledger, stop):
    client = make_client(endpoint)
    while not stop.is_set():
        try:
            task = client.get_activity_task(activityArn=activity, workerName=name)
        except DOWN:
            time.sleep(0.05)
            continue
        token = task.get("taskToken")
        if not token:
            continue
        ledger.hand(token)
        complete(client, ledger, token, task["input"])


def kill(server):
    server.process.kill()
    server.process.wait()


def check_history(sfn, arn, serial):
    events = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    ids = [event["id"] for event in events]
    assert ids == list(range(1, len(events) + 1)), (arn, ids)
    types = [event["type"] for event in events]
    assert types.count("ExecutionStarted") == 1 and types[0] == "ExecutionStarted", (arn, types)
    terminal = [t for t in types if t in (
        "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut")]
    assert terminal == ["ExecutionSucceeded"] and types[-1] == "ExecutionSucceeded", (arn, types)
    for event in events:
        assert event["previousEventId"] < event["id"], (arn, event)
    entered = collections.Counter()
    exited = collections.Counter()
    for event in events:
        if event["type"].endswith("StateEntered"):
            entered[event["stateEnteredEventDetails"]["name"]] += 1
        elif event["type"].endswith("StateExited"):
            exited[event["stateExitedEventDetails"]["name"]] += 1
    assert entered == exited, (arn, types)
    # No retries in these machines: one attempt, so one of each activity event.
    for kind in ("ActivityScheduled", "ActivityStarted", "ActivitySucceeded"):
        assert types.count(kind) == 1, (arn, types)
    if serial:
        assert types == SERIAL_TYPES, (arn, types)
    else:
        assert sorted(types) == PARALLEL_TYPES, (arn, types)
    return events


@pytest.fixture
def crash_server(binary):
    data_dir = tempfile.mkdtemp(prefix="switchback-crash-")
    server = Server(binary, data_dir, free_port(), ["--time-scale", TIME_SCALE])
    yield server
    if server.process and server.process.poll() is None:
        kill(server)
    if os.environ.get("SWITCHBACK_KEEP_CRASH_DIR"):
        print(f"crash test data kept in {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_executions_survive_kill_9(crash_server):
    began = time.time()
    rng = random.Random(3)
    server = crash_server.start()
    sfn = make_client(server.endpoint)
    activity_a = sfn.create_activity(name="crash-serial")["activityArn"]
    activity_b = sfn.create_activity(name="crash-parallel")["activityArn"]
    machines = {
        "serial": sfn.create_state_machine(
            name="crash-serial", roleArn=ROLE,
            definition=json.dumps(serial_definition(activity_a)))["stateMachineArn"],
        "parallel": sfn.create_state_machine(
            name="crash-parallel", roleArn=ROLE,
            definition=json.dumps(parallel_definition(activity_b)))["stateMachineArn"],
    }
    # Waits of 20 to 70 s at time scale 10: 2 to 7 s.
    plan = []
    for i in range(EXECUTIONS):
        kind = "serial" if i % 2 == 0 else "parallel"
        name = f"crash-{i:03d}"
        body = json.dumps({"id": i, "wait": rng.randint(20, 70)})
        plan.append((i, kind, name, body))

    started = {}  # name -> ARN, for every start the server answered
    started_lock = threading.Lock()

    def start(item, client):
        _, kind, name, body = item
        arn = client.start_execution(stateMachineArn=machines[kind], name=name,
                                     input=body)["executionArn"]
        with started_lock:
            started[name] = arn

    # Most starts before the kill, answered.
    clients = [make_client(server.endpoint) for _ in range(8)]
    first, last = plan[:160], plan[160:]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda pair: start(pair[1], clients[pair[0] % 8]), enumerate(first)))
    assert len(started) == 160

    # Poll some activity tasks (the parallel executions offer theirs at once): complete a few,
    # keep a few unanswered.
    poller = make_client(server.endpoint)
    done_before, held = [], []
    while len(done_before) + len(held) < 30:
        task = poller.get_activity_task(activityArn=activity_b, workerName="before")
        assert task.get("taskToken"), "the parallel executions offer their tasks at once"
        if len(done_before) < 15:
            poller.send_task_success(taskToken=task["taskToken"],
                                     output=worker_output(task["input"]))
            done_before.append(task)
        else:
            held.append(task)

    # The last starts are in flight when the server dies.
    def start_tolerant(pair):
        try:
            start(pair[1], clients[pair[0] % 8])
        except DOWN:
            pass

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(start_tolerant, pair) for pair in enumerate(last)]
        while len(started) < 170:
            time.sleep(0.001)
        kill(server)
        for future in futures:
            future.result()
    killed_at = time.time()

    # ---- first restart ---------------------------------------------------------------------
    server.start()
    restart_took = time.time() - killed_at
    listed = lambda: [  # noqa: E731
        item for arn in machines.values()
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn)
        for item in page["executions"]]
    running = [item for item in listed() if item["status"] == "RUNNING"]
    # Waits outlived the kill: most executions are still waiting or on their task.
    assert len(running) >= 150, (len(running), restart_took)
    for item in plan:
        if item[2] not in started:
            start(item, sfn)
    assert len(started) == EXECUTIONS

    # A token handed out before the crash still works; one completed before it does not.
    for task in held:
        sfn.send_task_success(taskToken=task["taskToken"], output=worker_output(task["input"]))
    for task in done_before:
        with pytest.raises(ClientError) as excinfo:
            sfn.send_task_success(taskToken=task["taskToken"], output="{}")
        assert excinfo.value.response["Error"]["Code"] == "TaskTimedOut"

    ledger = Ledger()
    for task in done_before + held:
        ledger.ack(task["taskToken"], json.loads(task["input"])["id"])
    ledger.kill_at = 110
    ledger.kill = lambda: kill(server)

    stop = threading.Event()
    workers = [
        threading.Thread(target=worker, args=(server.endpoint, activity, f"w{n}", ledger, stop),
                         daemon=True)
        for n, activity in enumerate([activity_a, activity_b] * 3)
    ]
    for thread in workers:
        thread.start()

    # ---- second kill, in the middle of the worker phase --------------------------------------
    assert ledger.killed.wait(30), len(ledger.completions)
    server.start()

    deadline = time.time() + 40
    while time.time() < deadline:
        try:
            running = [item for item in listed() if item["status"] == "RUNNING"]
        except DOWN:
            running = [None]
        if not running:
            break
        time.sleep(0.2)
    stop.set()
    assert not running, f"{len(running)} executions still running"

    # ---- checks -----------------------------------------------------------------------------
    assert ledger.handed_after_completion == []
    assert max(ledger.completions.values()) == 1, [
        (execution, n) for execution, n in ledger.completions.items() if n > 1]
    everything = listed()
    assert len(everything) == EXECUTIONS
    assert sorted(item["name"] for item in everything) == sorted(item[2] for item in plan)
    for i, kind, name, body in plan:
        arn = started[name]
        described = sfn.describe_execution(executionArn=arn)
        assert described["status"] == "SUCCEEDED", described
        output = json.loads(described["output"])
        if kind == "serial":
            assert output == {"id": i, "result": {"echo": i}}, (name, output)
        else:
            assert output == {"id": i, "branches": ["waited", {"echo": i}]}, (name, output)
        check_history(sfn, arn, kind == "serial")
    kill(server)
    for thread in workers:
        thread.join(5)
    print(f"crash test: {time.time() - began:.1f} s, first restart took {restart_took:.2f} s, "
          f"{sum(ledger.handed.values())} tasks handed out to the workers")
