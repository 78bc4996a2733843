"""RedriveExecution through boto3 and the aws CLI."""
import json

from conftest import ROLE
from test_api import unique, wait_done


def test_a_failed_activity_task_is_redriven_and_completed(sfn, aws):
    activity = sfn.create_activity(name=unique("pack"))["activityArn"]
    definition = {"StartAt": "Pack", "States": {
        "Pack": {"Type": "Task", "Resource": activity, "End": True}}}
    arn = sfn.create_state_machine(name=unique("redrive"), definition=json.dumps(definition),
                                   roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input='{"box": 1}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    sfn.send_task_failure(taskToken=task["taskToken"], error="Tape.Empty", cause="refill")
    failed = wait_done(sfn, execution)
    assert failed["status"] == "FAILED"
    assert failed["redriveStatus"] == "REDRIVABLE"

    answer = aws("redrive-execution", "--execution-arn", execution)
    assert "redriveDate" in answer
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    assert json.loads(task["input"]) == {"box": 1}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"packed": true}')
    done = wait_done(sfn, execution)
    assert done["status"] == "SUCCEEDED"
    assert done["redriveCount"] == 1
    assert json.loads(done["output"]) == {"packed": True}
    redriven = sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")["executions"]
    assert [e["executionArn"] for e in redriven] == [execution]

    again = aws("redrive-execution", "--execution-arn", execution, check=False)
    assert again.returncode != 0
    assert "ExecutionNotRedrivable" in again.stderr


def test_a_distributed_map_run_through_boto3(sfn):
    activity = sfn.create_activity(name=unique("pick"))["activityArn"]
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Pick",
                          "States": {"Pick": {"Type": "Task", "Resource": activity, "End": True}}},
        "End": True}}}
    arn = sfn.create_state_machine(name=unique("dmap"), definition=json.dumps(definition),
                                   roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input='{"items": [1, 2]}')["executionArn"]
    runs = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    assert len(runs) == 1
    map_run = runs[0]["mapRunArn"]
    described = sfn.describe_map_run(mapRunArn=map_run)
    assert described["status"] == "RUNNING"
    assert described["itemCounts"]["total"] == 2
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=2)
    for _ in range(2):
        task = sfn.get_activity_task(activityArn=activity, workerName="w")
        sfn.send_task_success(taskToken=task["taskToken"], output=task["input"])
    done = wait_done(sfn, execution)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [1, 2]
    events = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert "MapRunStarted" in events and "MapRunSucceeded" in events
    assert "ActivityScheduled" not in events
    assert sfn.describe_map_run(mapRunArn=map_run)["itemCounts"]["succeeded"] == 2
