"""Versions and aliases through boto3: the seed's alias flow, and weighted routing."""
import json
import pathlib
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE, make_client

SEED = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "examples" / "seed" / "statemachine"


def definition(name):
    path = SEED / name
    if not path.exists():
        pytest.skip(f"{path} is not there")
    return path.read_text()


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def raw_sync_client(server):
    """A client whose StartSyncExecution answers keep the raw body: boto3 drops the members
    AWS's model lacks, and the version an express execution ran is one of them."""
    client = make_client(server.endpoint)
    raw = {}

    def keep(http_response, **_):
        raw["body"] = json.loads(http_response.content)

    client.meta.events.register("after-call.states.StartSyncExecution", keep)
    return client, raw


def test_the_seed_alias_flow(sfn, server):
    name = unique("SampleAliasMachine")
    created = sfn.create_state_machine(name=name, definition=definition("alias.asl.json"),
                                       roleArn=ROLE, type="EXPRESS")
    machine = created["stateMachineArn"]
    v1 = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    assert v1 == f"{machine}:1"
    main = sfn.create_state_machine_alias(
        name="main", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]
    )["stateMachineAliasArn"]
    assert main == f"{machine}:main"

    client, raw = raw_sync_client(server)
    first = client.start_sync_execution(stateMachineArn=main, input='{"type": "B"}')
    assert first["status"] == "SUCCEEDED"
    assert raw["body"]["stateMachineVersionArn"] == v1
    assert raw["body"]["stateMachineAliasArn"] == main

    updated = sfn.update_state_machine(stateMachineArn=machine,
                                       definition=definition("alias-defect.asl.json"))
    assert updated["revisionId"]
    v2 = sfn.publish_state_machine_version(stateMachineArn=machine,
                                           revisionId=updated["revisionId"],
                                           description="B fails")["stateMachineVersionArn"]
    assert v2 == f"{machine}:2"
    # Version 1 keeps its definition.
    assert json.loads(sfn.describe_state_machine(stateMachineArn=v1)["definition"]) == \
        json.loads(definition("alias.asl.json"))
    sfn.update_state_machine_alias(
        stateMachineAliasArn=main,
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 50},
                              {"stateMachineVersionArn": v2, "weight": 50}])
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=main)
    assert [route["weight"] for route in described["routingConfiguration"]] == [50, 50]

    runs = 400
    counts = {v1: 0, v2: 0}
    for _ in range(runs):
        answer = client.start_sync_execution(stateMachineArn=main, input='{"type": "B"}')
        version = raw["body"]["stateMachineVersionArn"]
        assert raw["body"]["stateMachineAliasArn"] == main
        counts[version] += 1
        # B succeeds on version 1 and fails on version 2.
        assert answer["status"] == ("SUCCEEDED" if version == v1 else "FAILED"), (version, answer)
    # Binomial(400, 0.5): mean 200, sigma 10; allow 4 sigma.
    assert 160 <= counts[v1] <= 240, counts

    versions = sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]
    assert [item["stateMachineVersionArn"] for item in versions] == [v2, v1]
    with pytest.raises(ClientError) as excinfo:
        sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    assert "[main]" in excinfo.value.response["Error"]["Message"]
    sfn.delete_state_machine(stateMachineArn=machine)


def test_standard_executions_through_an_alias_report_their_version(sfn):
    name = unique("AliasStandard")
    machine = sfn.create_state_machine(name=name, definition=definition("alias.asl.json"),
                                       roleArn=ROLE, publish=True)
    v1 = machine["stateMachineVersionArn"]
    machine = machine["stateMachineArn"]
    v2 = sfn.update_state_machine(stateMachineArn=machine,
                                  definition=definition("alias-defect.asl.json"),
                                  publish=True)["stateMachineVersionArn"]
    main = sfn.create_state_machine_alias(
        name="main", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 50},
                                           {"stateMachineVersionArn": v2, "weight": 50}]
    )["stateMachineAliasArn"]
    started = [sfn.start_execution(stateMachineArn=main, input='{"type": "B"}')["executionArn"]
               for _ in range(20)]
    for arn in started:
        for _ in range(600):
            described = sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                break
        assert described["stateMachineArn"] == machine
        assert described["stateMachineAliasArn"] == main
        version = described["stateMachineVersionArn"]
        assert described["status"] == ("SUCCEEDED" if version == v1 else "FAILED")
    listed = sfn.list_executions(stateMachineArn=main)["executions"]
    assert sorted(item["executionArn"] for item in listed) == sorted(started)
    for version in (v1, v2):
        items = sfn.list_executions(stateMachineArn=version)["executions"]
        assert all(item["stateMachineVersionArn"] == version for item in items)
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 20
