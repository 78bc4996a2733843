"""Nested executions (states:startExecution) end to end, through boto3 and the aws CLI."""
import json
import threading
import time

from conftest import ROLE
from test_api import unique, wait_done


def create(sfn, prefix, definition):
    return sfn.create_state_machine(name=unique(prefix), definition=json.dumps(definition),
                                    roleArn=ROLE)["stateMachineArn"]


def call(resource_suffix, child, parameters=None, **state):
    params = {"StateMachineArn": child,
              "Input": {"order.$": "$.order",
                        "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}}
    params.update(parameters or {})
    return {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": f"arn:aws:states:::states:startExecution{resource_suffix}",
        "Parameters": params, "End": True, **state}}}


def test_sync_parent_and_child_through_boto3(sfn):
    child = create(sfn, "child", {"StartAt": "Price", "States": {"Price": {
        "Type": "Pass", "Parameters": {"total.$": "States.MathAdd($.order, 1)"}, "End": True}}})
    version = sfn.publish_state_machine_version(stateMachineArn=child)["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="main", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )["stateMachineAliasArn"]
    for suffix, target in ((".sync", child), (".sync:2", alias)):
        parent = create(sfn, "parent", call(suffix, target))
        execution = sfn.start_execution(stateMachineArn=parent,
                                        input='{"order": 41}')["executionArn"]
        described = wait_done(sfn, execution)
        assert described["status"] == "SUCCEEDED", described
        output = json.loads(described["output"])
        assert output["Status"] == "SUCCEEDED"
        child_output = output["Output"] if suffix == ".sync:2" else json.loads(output["Output"])
        assert child_output == {"total": 42}
        # The child is an execution like any other, linked to its parent through its input.
        child_execution = sfn.describe_execution(executionArn=output["ExecutionArn"])
        assert json.loads(child_execution["input"])[
            "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == execution
        if target == alias:
            assert child_execution["stateMachineAliasArn"] == alias
            assert child_execution["stateMachineVersionArn"] == version
        types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
        assert types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]


def test_a_failing_child_and_a_stopped_parent_through_the_aws_cli(aws):
    failing = aws("create-state-machine", "--name", unique("failing"), "--role-arn", ROLE,
                  "--definition", json.dumps({"StartAt": "F", "States": {"F": {
                      "Type": "Fail", "Error": "Out.Of.Stock", "Cause": "none left"}}})
                  )["stateMachineArn"]
    parent = aws("create-state-machine", "--name", unique("parent"), "--role-arn", ROLE,
                 "--definition", json.dumps(call(".sync", failing)))["stateMachineArn"]
    execution = aws("start-execution", "--state-machine-arn", parent,
                    "--input", '{"order": 1}')["executionArn"]
    deadline = time.time() + 30
    while time.time() < deadline:
        described = aws("describe-execution", "--execution-arn", execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.TaskFailed"
    cause = json.loads(described["cause"])
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "Out.Of.Stock", "none left")

    slow = aws("create-state-machine", "--name", unique("slow"), "--role-arn", ROLE,
               "--definition", json.dumps({"StartAt": "W", "States": {"W": {
                   "Type": "Wait", "Seconds": 100000, "End": True}}}))["stateMachineArn"]
    parent = aws("create-state-machine", "--name", unique("parent"), "--role-arn", ROLE,
                 "--definition", json.dumps(call(".sync", slow)))["stateMachineArn"]
    execution = aws("start-execution", "--state-machine-arn", parent,
                    "--input", '{"order": 1}')["executionArn"]
    children = []
    while time.time() < deadline and not children:
        children = aws("list-executions", "--state-machine-arn", slow)["executions"]
        time.sleep(0.05)
    assert children, "the child did not start"
    aws("stop-execution", "--execution-arn", execution, "--error", "Cancelled")
    assert aws("describe-execution", "--execution-arn", execution)["status"] == "ABORTED"
    while time.time() < deadline:
        child = aws("describe-execution", "--execution-arn", children[0]["executionArn"])
        if child["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert child["status"] == "ABORTED"


def test_a_child_completes_its_parents_callback(sfn):
    activity = sfn.create_activity(name=unique("approve"))["activityArn"]
    # The child asks a worker for approval, then hands the answer to its parent's token.
    child = create(sfn, "approver", {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": activity, "End": True}}})
    parent = create(sfn, "parent", call(".waitForTaskToken", child,
                                        {"Input": {"token.$": "$$.Task.Token"}},
                                        HeartbeatSeconds=600))
    execution = sfn.start_execution(stateMachineArn=parent, input='{"order": 3}')["executionArn"]

    def worker():
        task = sfn.get_activity_task(activityArn=activity, workerName="approver")
        token = json.loads(task["input"])["token"]
        sfn.send_task_success(taskToken=token, output='{"approved": true}')
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(30)
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"approved": True}
