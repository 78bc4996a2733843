"""The Step Functions API through boto3 and the aws CLI, as users call it."""
import json
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE


CHOICE = {
    "StartAt": "Basic Choice",
    "States": {
        "Basic Choice": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.type", "StringEquals": "B", "Next": "Passed"},
                {"Variable": "$.type", "StringEquals": "C", "Next": "Passed"},
                {"Variable": "$.type", "StringEquals": "A", "Next": "Failed"},
            ],
        },
        "Passed": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "Bad", "Cause": "type A"},
    },
}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_done(sfn, arn, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"{arn} still running")


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_the_seed_through_the_aws_cli(aws):
    name = unique("seed")
    created = aws("create-state-machine", "--name", name, "--definition", json.dumps(CHOICE),
                  "--role-arn", ROLE)
    arn = created["stateMachineArn"]
    assert arn.endswith(f":stateMachine:{name}")
    started = aws("start-execution", "--state-machine-arn", arn, "--input", '{"type": "B"}')
    deadline = time.time() + 30
    while True:
        described = aws("describe-execution", "--execution-arn", started["executionArn"])
        if described["status"] != "RUNNING" or time.time() > deadline:
            break
        time.sleep(0.05)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"type": "B"}
    history = aws("get-execution-history", "--execution-arn", started["executionArn"])
    assert [event["type"] for event in history["events"]] == [
        "ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited",
        "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]


def test_start_sync_execution_through_the_aws_cli(aws):
    name = unique("express")
    arn = aws("create-state-machine", "--name", name, "--definition", json.dumps(CHOICE),
              "--role-arn", ROLE, "--type", "EXPRESS")["stateMachineArn"]
    result = aws("start-sync-execution", "--state-machine-arn", arn, "--input", '{"type": "A"}')
    assert result["status"] == "FAILED"
    assert result["error"] == "Bad"
    assert result["cause"] == "type A"


def test_state_machine_lifecycle(sfn):
    name = unique("life")
    created = sfn.create_state_machine(name=name, definition=json.dumps(CHOICE), roleArn=ROLE)
    arn = created["stateMachineArn"]
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["name"] == name
    assert described["type"] == "STANDARD"
    assert described["status"] == "ACTIVE"
    assert json.loads(described["definition"]) == CHOICE
    # The same call again is idempotent; another definition under the name is refused.
    again = sfn.create_state_machine(name=name, definition=json.dumps(CHOICE), roleArn=ROLE)
    assert again["stateMachineArn"] == arn
    other = dict(CHOICE, Comment="changed")
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine(name=name, definition=json.dumps(other), roleArn=ROLE)
    assert error_code(excinfo) == "StateMachineAlreadyExists"
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(other))
    assert "updateDate" in updated
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == other
    names = []
    for page in sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 1}):
        names += [item["name"] for item in page["stateMachines"]]
    assert name in names
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert error_code(excinfo) == "StateMachineDoesNotExist"


def test_bad_input_gets_aws_errors(sfn):
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine(name="bad name!", definition=json.dumps(CHOICE), roleArn=ROLE)
    assert error_code(excinfo) == "InvalidName"
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine(name=unique("bad"), definition='{"StartAt": "X"}', roleArn=ROLE)
    assert error_code(excinfo) == "InvalidDefinition"
    assert "Invalid State Machine Definition" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_execution(executionArn="not-an-arn")
    assert error_code(excinfo) == "InvalidArn"
    arn = sfn.create_state_machine(name=unique("input"), definition=json.dumps(CHOICE),
                                   roleArn=ROLE)["stateMachineArn"]
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=arn, input="{not json")
    assert error_code(excinfo) == "InvalidExecutionInput"
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=arn.replace(":stateMachine:", ":stateMachine:x"))
    assert error_code(excinfo) == "StateMachineDoesNotExist"


def test_validate_state_machine_definition(sfn):
    result = sfn.validate_state_machine_definition(definition=json.dumps(CHOICE))
    assert result["result"] == "OK"
    assert result["diagnostics"] == []
    broken = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}
    result = sfn.validate_state_machine_definition(definition=json.dumps(broken))
    assert result["result"] == "FAIL"
    assert result["diagnostics"][0]["code"] == "MISSING_TRANSITION_TARGET"
    assert result["diagnostics"][0]["location"] == "/States/A/Next"


def test_executions_list_and_history(sfn):
    arn = sfn.create_state_machine(name=unique("hist"), definition=json.dumps(CHOICE),
                                   roleArn=ROLE)["stateMachineArn"]
    started = [sfn.start_execution(stateMachineArn=arn, name=f"e{i}",
                                   input=json.dumps({"type": "BCA"[i % 3]}))
               for i in range(5)]
    for item in started:
        wait_done(sfn, item["executionArn"])
    listed = []
    for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=arn, PaginationConfig={"PageSize": 2}):
        listed += page["executions"]
    assert sorted(item["name"] for item in listed) == [f"e{i}" for i in range(5)]
    failed = sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"]
    assert [item["name"] for item in failed] == ["e2"]
    history = sfn.get_execution_history(executionArn=started[2]["executionArn"],
                                        reverseOrder=True, maxResults=2)
    assert [event["type"] for event in history["events"]] == ["ExecutionFailed", "FailStateEntered"]
    assert history["events"][0]["executionFailedEventDetails"] == {"error": "Bad", "cause": "type A"}
    assert "nextToken" in history
    quiet = sfn.get_execution_history(executionArn=started[0]["executionArn"],
                                      includeExecutionData=False)
    assert "input" not in quiet["events"][0]["executionStartedEventDetails"]
    # Starting again with the same name: the ended execution is not started twice.
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=arn, name="e0", input=json.dumps({"type": "B"}))
    assert error_code(excinfo) == "ExecutionAlreadyExists"


def test_stop_execution(sfn):
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100000, "End": True}}}
    arn = sfn.create_state_machine(name=unique("stop"), definition=json.dumps(wait),
                                   roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    sfn.stop_execution(executionArn=execution, error="Halt", cause="by the test")
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "ABORTED"
    assert described["error"] == "Halt"


def test_activity_worker_round_trip(sfn):
    activity = sfn.create_activity(name=unique("act"))["activityArn"]
    definition = {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "End": True}}}
    arn = sfn.create_state_machine(name=unique("worker"), definition=json.dumps(definition),
                                   roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input='{"n": 20}')["executionArn"]

    def worker():
        task = sfn.get_activity_task(activityArn=activity, workerName="py-worker")
        payload = json.loads(task["input"])
        sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"n": payload["n"] + 1}))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(30)
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"n": 21}
    events = sfn.get_execution_history(executionArn=execution)["events"]
    started = [e for e in events if e["type"] == "ActivityStarted"]
    assert started[0]["activityStartedEventDetails"]["workerName"] == "py-worker"


def test_tags(sfn):
    arn = sfn.create_state_machine(name=unique("tags"), definition=json.dumps(CHOICE),
                                   roleArn=ROLE, tags=[{"key": "team", "value": "a"}])["stateMachineArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "test"}])
    tags = sfn.list_tags_for_resource(resourceArn=arn)["tags"]
    assert sorted((t["key"], t["value"]) for t in tags) == [("env", "test"), ("team", "a")]
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "test"}]


def test_test_state_through_boto3(sfn):
    """TestState with boto3 (the `sync-` host prefix turned off, as for StartSyncExecution)."""
    answer = sfn.test_state(
        definition=json.dumps({"Type": "Pass", "Parameters": {"v.$": "$.value"}, "End": True}),
        input='{"value": 7}', inspectionLevel="DEBUG")
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"v": 7}
    assert json.loads(answer["inspectionData"]["afterParameters"]) == {"v": 7}
    mocked = sfn.test_state(
        definition=json.dumps({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                "ResultSelector": {"p.$": "$.Payload"}, "Next": "After"}),
        input="{}", mock={"result": '{"Payload": 42}'})
    assert mocked["status"] == "SUCCEEDED"
    assert mocked["nextState"] == "After"
    assert json.loads(mocked["output"]) == {"p": 42}


def test_starts_of_one_name_at_once_leave_the_execution_reachable(sfn, server):
    """Starts of the same name and input sent at once (a client retrying while its first try
    is still under way): one execution, and its task token and mailbox survive the starts that
    lost the race (a losing start used to unregister the winner's)."""
    from concurrent.futures import ThreadPoolExecutor

    from conftest import make_client
    activity = sfn.create_activity(name=unique("race"))["activityArn"]
    definition = {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "End": True}}}
    machine = sfn.create_state_machine(name=unique("race"), definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    clients = [make_client(server.endpoint) for _ in range(8)]
    names = [unique("same") for _ in range(25)]
    with ThreadPoolExecutor(len(clients)) as pool:
        for name in names:
            barrier = threading.Barrier(len(clients))

            def start(client, name=name, barrier=barrier):
                barrier.wait()
                return client.start_execution(stateMachineArn=machine, name=name,
                                              input='{"n": 1}')["executionArn"]
            arns = set(pool.map(start, clients))
            assert len(arns) == 1, arns
    listed = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert sorted(e["name"] for e in listed) == sorted(names)
    for _ in names:
        task = sfn.get_activity_task(activityArn=activity, workerName="w")
        sfn.send_task_success(taskToken=task["taskToken"], output='{"done": true}')
    deadline = time.time() + 20
    while time.time() < deadline:
        statuses = [e["status"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]]
        if statuses.count("SUCCEEDED") == len(names):
            break
        time.sleep(0.05)
    assert statuses.count("SUCCEEDED") == len(names), statuses
