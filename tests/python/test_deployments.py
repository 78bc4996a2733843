"""Gradual deployments of an alias (issue 6) on a real server, with boto3 for Step Functions and
CloudWatch and plain HTTP for Switchback's own operations (`X-Amz-Target: Switchback.*`).

The seed's scenario: LINEAR 50 % every 2 minutes of a faulty version 2 while traffic runs through
`main`; the first failures drive the seed's alarm to ALARM and the deployment rolls back. A good
version 2 goes to 100 % after the expected steps. Then drift, stop, promote and `watch`.

The server runs with `--time-scale 100`: 2 minutes last 1.2 s, an alarm check (60 s) 0.6 s.
"""
import json
import pathlib
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import ROLE, make_client, running_server

SEED = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "examples" / "seed" / "statemachine"


def seed_definition(name="alias.asl.json"):
    path = SEED / name
    if not path.exists():
        pytest.skip(f"{path} is not there")
    return path.read_text()


def seed_alarm(cloudwatch, name, machine):
    """The seed's alarm (../shared/examples/seed/template.yaml) on `machine` through `main`."""
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="AWS/States", MetricName="ExecutionsFailed",
        Dimensions=[{"Name": "StateMachineArn", "Value": machine},
                    {"Name": "Alias", "Value": "main"}],
        Statistic="Sum", ComparisonOperator="GreaterThanOrEqualToThreshold", Threshold=1,
        EvaluationPeriods=1, Period=300, TreatMissingData="notBreaching")


def switchback(server, operation, body):
    request = urllib.request.Request(
        server.endpoint + "/", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Target": f"Switchback.{operation}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{operation}: {error.code} {error.read().decode()}") from None


def machine_with_alias(sfn, prefix):
    """A STANDARD machine on the seed's definition: version 1, version 2 (the same workflow,
    another revision) and alias `main` on version 1."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    definition = seed_definition()
    created = sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE,
                                       type="STANDARD", publish=True)
    machine = created["stateMachineArn"]
    v1 = created["stateMachineVersionArn"]
    changed = json.loads(definition)
    changed["Comment"] = "version 2"
    v2 = sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(changed),
                                  publish=True)["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="main", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]
    )["stateMachineAliasArn"]
    return machine, v1, v2, alias


def start(server, alias, target, **preference):
    return switchback(server, "StartDeployment", {
        "stateMachineAliasArn": alias, "targetVersionArn": target,
        "deploymentPreference": preference})


def describe(server, deployment_id):
    return switchback(server, "DescribeDeployment", {"deploymentId": deployment_id})


def wait_end(server, deployment_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        described = describe(server, deployment_id)
        if described["status"] != "IN_PROGRESS":
            return described
        time.sleep(0.05)
    raise AssertionError(f"deployment {deployment_id} did not end")


def test_the_seed_faulty_version_2_sets_off_the_alarm_and_rolls_back(sfn, cloudwatch, server):
    name = f"SampleAliasMachine-{uuid.uuid4().hex[:8]}"
    machine = sfn.create_state_machine(name=name, definition=seed_definition(), roleArn=ROLE,
                                       type="EXPRESS", publish=True)
    v1 = machine["stateMachineVersionArn"]
    machine = machine["stateMachineArn"]
    alias = sfn.create_state_machine_alias(
        name="main", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]
    )["stateMachineAliasArn"]
    alarm = f"{name}-failures"
    seed_alarm(cloudwatch, alarm, machine)
    v2 = sfn.update_state_machine(stateMachineArn=machine,
                                  definition=seed_definition("alias-defect.asl.json"),
                                  publish=True)["stateMachineVersionArn"]
    started = start(server, alias, v2, type="LINEAR", interval=2, percentage=50, alarms=[alarm])
    assert started["status"] == "IN_PROGRESS" and started["targetWeight"] == 50
    # Traffic through `main`: version 2 fails every {"type": "B"}.
    client = make_client(server.endpoint)
    raw = {}
    client.meta.events.register("after-call.states.StartSyncExecution",
                                lambda http_response, **_: raw.update(
                                    body=json.loads(http_response.content)))
    ran = []
    deadline = time.time() + 20
    while describe(server, started["deploymentId"])["status"] == "IN_PROGRESS":
        assert time.time() < deadline, "the deployment did not end"
        result = client.start_sync_execution(stateMachineArn=alias, input='{"type": "B"}')
        ran.append((raw["body"]["stateMachineVersionArn"], result["status"]))
    done = wait_end(server, started["deploymentId"])
    assert done["status"] == "ROLLED_BACK", done
    assert done["statusMessage"] == (
        "Aborting deployment. The following CloudWatch alarms are in an 'ALARM' state: "
        f"[{alarm}].")
    # Rolled back before the second shift: one shift, then back to version 1.
    assert [e["targetWeight"] for e in done["timeline"] if e["type"] == "Shifted"] == [50]
    assert [e["state"] for e in done["timeline"] if e["type"] == "AlarmChanged"][-1] == "ALARM"
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    assert routing == [{"stateMachineVersionArn": v1, "weight": 100}]
    # Every execution ran one of the two versions, version 2's failed, version 1's succeeded.
    assert {version for version, _ in ran} <= {v1, v2}
    assert any(version == v2 for version, _ in ran), ran
    assert all(status == ("FAILED" if version == v2 else "SUCCEEDED") for version, status in ran)
    # The deployment counts them per version (from the metrics: EXPRESS executions are not kept).
    counted = {e["stateMachineVersionArn"]: (e["executions"], e["failed"])
               for e in describe(server, started["deploymentId"])["executions"]}
    on_v2 = sum(1 for version, _ in ran if version == v2)
    assert counted == {v1: (len(ran) - on_v2, 0), v2: (on_v2, on_v2)}, (counted, ran)
    assert cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"] == "ALARM"
    # After the rollback, `main` runs version 1 only.
    client.start_sync_execution(stateMachineArn=alias, input='{"type": "B"}')
    assert raw["body"]["stateMachineVersionArn"] == v1


def test_a_good_version_2_goes_to_100_percent_under_traffic(sfn, cloudwatch, server):
    machine, v1, v2, alias = machine_with_alias(sfn, "deploy-good")
    alarm = f"{machine.rsplit(':', 1)[1]}-failures"
    seed_alarm(cloudwatch, alarm, machine)
    # LINEAR 50 % every 2 minutes: 1.2 s at the suite's time scale of 100.
    started = start(server, alias, v2, type="LINEAR", interval=2, percentage=50, alarms=[alarm])
    assert started["status"] == "IN_PROGRESS"
    assert started["targetWeight"] == 50
    executions = []
    while describe(server, started["deploymentId"])["status"] == "IN_PROGRESS":
        executions.append(sfn.start_execution(stateMachineArn=alias,
                                              input=json.dumps({"type": "B"}))["executionArn"])
        time.sleep(0.02)
    done = wait_end(server, started["deploymentId"])
    assert done["status"] == "SUCCEEDED"
    assert done["routingConfiguration"] == [{"stateMachineVersionArn": v2, "weight": 100}]
    assert [e["targetWeight"] for e in done["timeline"] if e["type"] == "Shifted"] == [50, 100]
    # Two minutes on the deployment's clock from the first shift to the last.
    shifted = [e["date"] for e in done["timeline"] if e["type"] == "Shifted"]
    assert 120 <= shifted[1] - shifted[0] < 130
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    assert routing == [{"stateMachineVersionArn": v2, "weight": 100}]
    # Every execution records the version that ran it, and both versions ran.
    versions = [sfn.describe_execution(executionArn=arn)["stateMachineVersionArn"]
                for arn in executions]
    assert set(versions) <= {v1, v2}
    assert v1 in versions and v2 in versions, versions
    counted = {entry["stateMachineVersionArn"]: entry["executions"] for entry in done["executions"]}
    assert counted[v1] + counted[v2] == len(executions)
    listed = switchback(server, "ListDeployments", {"stateMachineAliasArn": alias})
    assert [d["deploymentId"] for d in listed["deployments"]] == [started["deploymentId"]]


def test_an_alias_update_during_a_deployment_is_drift(sfn, server):
    _, v1, v2, alias = machine_with_alias(sfn, "deploy-drift")
    started = start(server, alias, v2, type="LINEAR", interval=10, percentage=10)
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])
    done = wait_end(server, started["deploymentId"])
    assert done["status"] == "FAILED"
    assert "drift detected" in done["statusMessage"]
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    assert routing == [{"stateMachineVersionArn": v1, "weight": 100}]


def test_stop_rolls_back_and_promote_completes(sfn, server):
    _, v1, v2, alias = machine_with_alias(sfn, "deploy-hand")
    first = start(server, alias, v2, type="CANARY", interval=30, percentage=10)
    stopped = switchback(server, "StopDeployment", {"deploymentId": first["deploymentId"]})
    assert stopped["status"] == "STOPPED"
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    assert routing == [{"stateMachineVersionArn": v1, "weight": 100}]
    second = start(server, alias, v2, type="CANARY", interval=30, percentage=10)
    promoted = switchback(server, "PromoteDeployment", {"deploymentId": second["deploymentId"]})
    assert promoted["status"] == "SUCCEEDED"
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    assert routing == [{"stateMachineVersionArn": v2, "weight": 100}]


def test_watch_follows_to_the_end(sfn, server, binary):
    _, _, v2, alias = machine_with_alias(sfn, "deploy-watch")
    started = start(server, alias, v2, type="LINEAR", interval=1, percentage=50)
    result = subprocess.run(
        [binary, "deployments", "watch", started["deploymentId"], "--endpoint-url", server.endpoint],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status      SUCCEEDED" in result.stdout


def test_a_client_token_answers_the_same_deployment_after_a_crash(binary):
    """The start is sent again with its token after the server died: the deployment its first
    copy started, not a second one (issue 11; the crash loop found the duplicate without it)."""
    with running_server(binary, "switchback-token-") as srv:
        sfn = make_client(srv.endpoint)
        _, v1, v2, alias = machine_with_alias(sfn, "token")
        body = {"stateMachineAliasArn": alias, "targetVersionArn": v2, "clientToken": "ship-v2",
                "deploymentPreference": {"type": "LINEAR", "percentage": 10, "interval": 60}}
        first = switchback(srv, "StartDeployment", body)
        srv.process.kill()
        srv.process.wait()
        srv.start()
        again = switchback(srv, "StartDeployment", body)
        assert again["deploymentId"] == first["deploymentId"]
        assert again["status"] == "IN_PROGRESS"
        listed = switchback(srv, "ListDeployments", {"stateMachineAliasArn": alias})
        assert [d["deploymentId"] for d in listed["deployments"]] == [first["deploymentId"]]
        routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
        weights = {r["stateMachineVersionArn"]: r["weight"] for r in routing["routingConfiguration"]}
        assert weights == {v1: 90, v2: 10}
        # Another token while it is in progress: the alias is busy.
        with pytest.raises(AssertionError, match="ConflictException"):
            switchback(srv, "StartDeployment", {**body, "clientToken": "other"})
