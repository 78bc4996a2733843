"""The seed scenario end to end, as the README walks a new user through it: `switchback deploy`
of the seed's template, the seed's own `aws stepfunctions start-execution` through alias `main`,
a deploy of the faulty revision under boto3 traffic that rolls back by itself, and every
execution found in the execution log with the version that ran it.
"""
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from conftest import make_client, running_server

SEED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "examples", "seed")
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:SampleAliasMachine"
LOG = os.path.join("logs", "%2Faws%2Fvendedlogs%2Fstates%2FSampleAliasMachine.log")


@pytest.fixture()
def seed_server(binary):
    # A server of its own: the seed's names must not meet another test's machines.
    with running_server(binary, "switchback-seed-") as srv:
        yield srv


def deploy(binary, server, template):
    return subprocess.run(
        [binary, "deploy", "--template-file", template, "--stack-name", "seed",
         "--endpoint-url", server.endpoint],
        capture_output=True, text=True, timeout=300)


def logged(server):
    """Each execution in the log: its version ARN and how it ended."""
    executions = {}
    with open(os.path.join(server.data_dir, LOG)) as log:
        for line in log:
            record = json.loads(line)
            entry = executions.setdefault(record["execution_arn"], [None, None])
            if record["type"] == "ExecutionStarted":
                entry[0] = record["details"].get("stateMachineVersionArn")
            elif record["type"] in ("ExecutionSucceeded", "ExecutionFailed"):
                entry[1] = record["type"][len("Execution"):].upper()
    return executions


def wait_for_end(server, arn, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        entry = logged(server).get(arn)
        if entry and entry[1]:
            return entry
        time.sleep(0.05)
    raise AssertionError(f"{arn} did not end in the log")


def test_the_readme_walkthrough(binary, seed_server, tmp_path):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDTEST", AWS_SECRET_ACCESS_KEY="secret",
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")

    def aws(*args):
        result = subprocess.run(["aws", "--endpoint-url", seed_server.endpoint, *args],
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}

    # 1. The template as it is: version 1, `main` at 100 %, the alarm in OK.
    first = deploy(binary, seed_server, os.path.join(SEED, "template.yaml"))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "published version 1" in first.stdout
    alias = aws("stepfunctions", "describe-state-machine-alias",
                "--state-machine-alias-arn", f"{MACHINE}:main")
    assert alias["routingConfiguration"] == [
        {"stateMachineVersionArn": f"{MACHINE}:1", "weight": 100}]
    alarms = aws("cloudwatch", "describe-alarms",
                 "--alarm-name-prefix", "seed-AliasStateMachineFailureAlarm-")["MetricAlarms"]
    assert len(alarms) == 1 and alarms[0]["StateValue"] != "ALARM", alarms

    # 2. The seed's own command.
    started = aws("stepfunctions", "start-execution", "--state-machine-arn", f"{MACHINE}:main",
                  "--input", '{"type": "B"}')
    assert wait_for_end(seed_server, started["executionArn"]) == [f"{MACHINE}:1", "SUCCEEDED"]

    # 3. The faulty revision while type-B traffic runs through `main`.
    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    template = folder / "template.yaml"
    os.chmod(template, 0o644)
    template.write_text(template.read_text().replace(
        "statemachine/alias.asl.json", "statemachine/alias-defect.asl.json"))
    sfn = make_client(seed_server.endpoint)
    stop = threading.Event()
    ran = []

    def traffic():
        while not stop.is_set():
            answer = sfn.start_sync_execution(stateMachineArn=f"{MACHINE}:main",
                                              input='{"type": "B"}')
            # boto3 keeps only the members of AWS's model: the version is read from the log.
            ran.append((answer["executionArn"], answer["status"]))
            time.sleep(0.01)

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        faulty = deploy(binary, seed_server, str(template))
    finally:
        stop.set()
        thread.join()
    assert faulty.returncode == 1, faulty.stdout + faulty.stderr
    assert "published version 2" in faulty.stdout
    assert "The following CloudWatch alarms are in an 'ALARM' state" in faulty.stderr
    alias = aws("stepfunctions", "describe-state-machine-alias",
                "--state-machine-alias-arn", f"{MACHINE}:main")
    assert alias["routingConfiguration"] == [
        {"stateMachineVersionArn": f"{MACHINE}:1", "weight": 100}]
    stacks = subprocess.run([binary, "stacks", "describe", "seed",
                             "--endpoint-url", seed_server.endpoint],
                            capture_output=True, text=True, timeout=60)
    assert "status      UPDATE_ROLLBACK_COMPLETE" in stacks.stdout, stacks.stdout

    # 4. Every execution started is recorded, with its version; `main` succeeds again.
    executions = logged(seed_server)
    versions = set()
    for arn, status in ran:
        version, logged_status = executions[arn]
        assert logged_status == status, arn
        assert status == ("FAILED" if version == f"{MACHINE}:2" else "SUCCEEDED"), arn
        versions.add(version)
    assert versions == {f"{MACHINE}:1", f"{MACHINE}:2"}, versions
    again = aws("stepfunctions", "start-execution", "--state-machine-arn", f"{MACHINE}:main",
                "--input", '{"type": "B"}')
    assert wait_for_end(seed_server, again["executionArn"]) == [f"{MACHINE}:1", "SUCCEEDED"]
