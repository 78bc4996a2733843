"""Execution logs (issue 5): loggingConfiguration is checked as AWS does, and an execution's
records reach the log group's file, which `switchback logs tail` prints."""
import json
import subprocess
import uuid

import pytest

from conftest import ROLE

DEFINITION = json.dumps({"StartAt": "Greet", "States": {
    "Greet": {"Type": "Pass", "Result": {"hello": "world"}, "Next": "Boom"},
    "Boom": {"Type": "Fail", "Error": "Orders.Broken", "Cause": "on purpose"}}})


def group_arn(name):
    return f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/{name}:*"


def logging_configuration(name, level, include_data):
    return {"level": level, "includeExecutionData": include_data,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn(name)}}]}


def tail(binary, server, group):
    result = subprocess.run([binary, "logs", "tail", group, "--data-dir", server.data_dir],
                            capture_output=True, text=True, timeout=30, check=True)
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_records_by_level_reach_the_log_group(sfn, server, binary):
    name = f"logged-{uuid.uuid4().hex[:8]}"
    machine = sfn.create_state_machine(
        name=name, definition=DEFINITION, roleArn=ROLE, type="EXPRESS",
        loggingConfiguration=logging_configuration(name, "ALL", True))["stateMachineArn"]
    described = sfn.describe_state_machine(stateMachineArn=machine)
    assert described["loggingConfiguration"]["level"] == "ALL"
    execution = sfn.start_sync_execution(stateMachineArn=machine, input='{"order": 7}')
    assert execution["status"] == "FAILED"

    records = tail(binary, server, f"/aws/vendedlogs/states/{name}")
    assert [record["type"] for record in records] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "FailStateEntered",
        "ExecutionFailed"]
    first = records[0]
    assert first["id"] == "1" and first["previous_event_id"] == "0"
    assert first["execution_arn"] == execution["executionArn"]
    assert first["event_timestamp"].isdigit()
    assert first["details"]["input"] == '{"order": 7}'
    assert records[-1]["details"] == {"error": "Orders.Broken", "cause": "on purpose"}

    # ERROR without execution data: the failures only, inputs and outputs left out.
    sfn.update_state_machine(stateMachineArn=machine,
                             loggingConfiguration=logging_configuration(name + "-e", "ERROR",
                                                                        False))
    sfn.start_sync_execution(stateMachineArn=machine, input='{"order": 8}')
    records = tail(binary, server, group_arn(name + "-e"))
    assert [record["type"] for record in records] == ["FailStateEntered", "ExecutionFailed"]
    assert "input" not in records[0]["details"]


@pytest.mark.parametrize("configuration", [
    {"level": "ALL"},
    {"level": "ERROR", "destinations": []},
    {"level": "FATAL", "destinations": [
        {"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:s3:::not-a-log-group"}}]},
])
def test_aws_refuses_a_bad_logging_configuration(sfn, configuration):
    with pytest.raises(sfn.exceptions.InvalidLoggingConfiguration):
        sfn.create_state_machine(name=f"unlogged-{uuid.uuid4().hex[:8]}", definition=DEFINITION,
                                 roleArn=ROLE, type="EXPRESS",
                                 loggingConfiguration=configuration)
