"""Metrics and alarms end to end (issue 5): an EXPRESS machine whose executions through alias
`main` fail sets off an alarm like the seed's, which goes back to OK once the failures age out;
boto3, the aws CLI and `/metrics` all show it.

The server runs with `--time-scale 100`: its metric clock (metric timestamps, alarm evaluation)
runs a hundred times faster than the wall clock, so a 300-second period lasts 3 seconds.
"""
import datetime
import json
import time
import urllib.request
import uuid

import botocore.exceptions
import pytest

from conftest import ROLE

FAIL = json.dumps({"StartAt": "Boom", "States": {
    "Boom": {"Type": "Fail", "Error": "Orders.Broken", "Cause": "the seed's defect"}}})

# One time-scaled period of the seed's alarm (300 s at --time-scale 100), in wall-clock seconds.
PERIOD = 3.0


def wait_for_state(cloudwatch, name, value, timeout):
    started = time.time()
    while True:
        alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        if alarm["StateValue"] == value:
            return alarm, time.time() - started
        if time.time() - started > timeout:
            raise AssertionError(f"{name} stayed {alarm['StateValue']} ({alarm['StateReason']})")
        time.sleep(0.05)


@pytest.fixture
def alias_machine(sfn):
    name = f"alarmed-{uuid.uuid4().hex[:8]}"
    machine = sfn.create_state_machine(name=name, definition=FAIL, roleArn=ROLE,
                                       type="EXPRESS")["stateMachineArn"]
    version = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="main", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )["stateMachineAliasArn"]
    return name, machine, alias


def seed_alarm(cloudwatch, name, machine):
    # As ../shared/examples/seed/template.yaml gives it (Ref of the state machine is its ARN).
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        AlarmDescription="Invocation alarm for Alias State Machine",
        Namespace="AWS/States",
        MetricName="ExecutionsFailed",
        Dimensions=[{"Name": "StateMachineArn", "Value": machine},
                    {"Name": "Alias", "Value": "main"}],
        Statistic="Sum",
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Threshold=1,
        EvaluationPeriods=1,
        Period=300,
        TreatMissingData="notBreaching",
    )


def test_failures_through_the_alias_set_off_the_alarm_until_they_age_out(
        sfn, cloudwatch, aws_cloudwatch, server, alias_machine):
    name, machine, alias = alias_machine
    alarm_name = f"{name}-failures"
    seed_alarm(cloudwatch, alarm_name, machine)
    # No data yet, and missing data is not breaching: OK at the first evaluation.
    wait_for_state(cloudwatch, alarm_name, "OK", timeout=PERIOD)

    for _ in range(3):
        assert sfn.start_sync_execution(stateMachineArn=alias, input="{}")["status"] == "FAILED"
    alarm, waited = wait_for_state(cloudwatch, alarm_name, "ALARM", timeout=PERIOD + 2)
    assert waited <= PERIOD + 2
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [3.0 ")
    assert json.loads(alarm["StateReasonData"])["evaluatedDatapoints"][0]["value"] == 3.0
    assert alarm["Dimensions"] == [{"Name": "StateMachineArn", "Value": machine},
                                   {"Name": "Alias", "Value": "main"}]

    # The metric itself, around the metric clock's now (the alarm's last change).
    now = alarm["StateUpdatedTimestamp"]
    statistics = cloudwatch.get_metric_statistics(
        Namespace="AWS/States", MetricName="ExecutionsFailed",
        Dimensions=[{"Name": "Alias", "Value": "main"},
                    {"Name": "StateMachineArn", "Value": machine}],
        StartTime=now - datetime.timedelta(hours=1), EndTime=now + datetime.timedelta(hours=1),
        Period=3600, Statistics=["Sum", "SampleCount"])
    assert sum(point["Sum"] for point in statistics["Datapoints"]) == 3.0
    assert all(point["Unit"] == "Count" for point in statistics["Datapoints"])

    # The aws CLI sees the same.
    described = aws_cloudwatch("describe-alarms", "--alarm-names", alarm_name)
    assert described["MetricAlarms"][0]["StateValue"] == "ALARM"
    cli_statistics = aws_cloudwatch(
        "get-metric-statistics", "--namespace", "AWS/States",
        "--metric-name", "ExecutionsFailed",
        "--dimensions", f"Name=StateMachineArn,Value={machine}", "Name=Alias,Value=main",
        "--start-time", (now - datetime.timedelta(hours=1)).isoformat(),
        "--end-time", (now + datetime.timedelta(hours=1)).isoformat(),
        "--period", "3600", "--statistics", "Sum")
    assert sum(point["Sum"] for point in cli_statistics["Datapoints"]) == 3.0

    # The counters on /metrics.
    with urllib.request.urlopen(server.endpoint + "/metrics") as response:
        text = response.read().decode()
    labels = f'state_machine="{name}",version="1",alias="main"'
    assert f"switchback_executions_failed_total{{{labels}}} 3" in text
    assert f"switchback_executions_started_total{{{labels}}} 3" in text
    assert f"switchback_execution_time_seconds_count{{{labels}}} 3" in text

    # The failures leave the evaluation range (N + 2 = 3 periods) and the alarm is OK again.
    wait_for_state(cloudwatch, alarm_name, "OK", timeout=4 * PERIOD + 5)
    history = cloudwatch.describe_alarm_history(AlarmName=alarm_name,
                                                HistoryItemType="StateUpdate")
    summaries = [item["HistorySummary"] for item in history["AlarmHistoryItems"]]
    assert summaries == ["Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
                         "Alarm updated from INSUFFICIENT_DATA to OK"]
    cloudwatch.delete_alarms(AlarmNames=[alarm_name])


def test_list_metrics_and_errors(cloudwatch, sfn, alias_machine):
    name, machine, alias = alias_machine
    sfn.start_sync_execution(stateMachineArn=alias, input="{}")
    listed = cloudwatch.list_metrics(
        Namespace="AWS/States", MetricName="ExecutionsStarted",
        Dimensions=[{"Name": "StateMachineArn", "Value": machine}])["Metrics"]
    dimension_sets = sorted(sorted(d["Name"] for d in metric["Dimensions"]) for metric in listed)
    assert dimension_sets == [["Alias", "StateMachineArn"], ["StateMachineArn"],
                              ["StateMachineArn", "Version"]]

    cloudwatch.put_metric_data(Namespace=f"Tests/{name}", MetricData=[
        {"MetricName": "Latency", "Values": [10, 20], "Counts": [3, 1], "Unit": "Milliseconds"}])
    mine = cloudwatch.list_metrics(Namespace=f"Tests/{name}")["Metrics"]
    assert mine == [{"Namespace": f"Tests/{name}", "MetricName": "Latency", "Dimensions": []}]

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cloudwatch.delete_alarms(AlarmNames=[f"{name}-none"])
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cloudwatch.put_metric_alarm(
            AlarmName=f"{name}-bad", Namespace="AWS/States", MetricName="ExecutionsFailed",
            Statistic="Sum", ComparisonOperator="GreaterThanOrEqualToThreshold", Threshold=1,
            EvaluationPeriods=1, Period=45)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(cloudwatch.exceptions.InvalidParameterValueException):
        cloudwatch.put_metric_data(Namespace="AWS/States",
                                   MetricData=[{"MetricName": "X", "Value": 1}])
