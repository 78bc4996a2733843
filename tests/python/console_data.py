"""Real data for the console's browser tests and screenshots: the seed scenario's rollback (a
`switchback deploy` of the faulty revision under traffic through alias `main`), and a STANDARD
state machine with two versions, an alias at 80/20, and executions that succeed, fail, and
recover from a caught error.
"""
import json
import os
import shutil
import threading
import time

from conftest import ROLE, make_client
from test_seed import MACHINE as SEED_MACHINE, SEED, deploy

ORDERS = {
    "Comment": "Takes an order: refuses bad ones, retries a declined card through its Catch.",
    "StartAt": "Validate",
    "States": {
        "Validate": {"Type": "Pass", "Next": "Route"},
        "Route": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.kind", "StringEquals": "bad", "Next": "Reject"},
                {"Variable": "$.kind", "StringEquals": "declined", "Next": "Charge"},
            ],
            "Default": "Pack",
        },
        "Charge": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "Card", "States": {
                "Card": {"Type": "Fail", "Error": "Card.Declined", "Cause": "insufficient funds"}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
            "Next": "Pack",
        },
        "Recover": {"Type": "Pass", "Result": "invoice sent", "ResultPath": "$.recovered",
                    "Next": "Pack"},
        "Pack": {"Type": "Wait", "Seconds": 1, "Next": "Ship"},
        "Ship": {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Reject": {"Type": "Fail", "Error": "Order.Invalid", "Cause": "the order was refused"},
    },
}


BATCH = {
    "Comment": "A Map whose item processor holds a Parallel, and a long Wait to watch.",
    "StartAt": "Items",
    "States": {
        "Items": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Both",
                "States": {"Both": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                        {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}},
                    ],
                    "End": True}},
            },
            "Next": "Linger",
        },
        "Linger": {"Type": "Wait", "SecondsPath": "$$.Execution.Input.linger", "Next": "Finish"},
        "Finish": {"Type": "Succeed"},
    },
}


def batch(endpoint, linger):
    """The Batch machine and one execution of it that waits `linger` seconds (of the server's
    scaled clock) in Linger after its Map: answers the execution's ARN."""
    sfn = make_client(endpoint)
    arn = sfn.create_state_machine(name="Batch", roleArn=ROLE,
                                   definition=json.dumps(BATCH))["stateMachineArn"]
    return sfn.start_execution(stateMachineArn=arn, input=json.dumps(
        {"items": [1, 2, 3], "linger": linger}))["executionArn"]


def orders_v2():
    definition = json.loads(json.dumps(ORDERS))
    definition["States"]["Ship"] = {"Type": "Pass", "Result": {"carrier": "rail"},
                                    "ResultPath": "$.shipping", "Next": "Done"}
    return definition


def wait_closed(sfn, arns, timeout=30):
    deadline = time.time() + timeout
    pending = set(arns)
    while pending and time.time() < deadline:
        pending = {arn for arn in pending
                   if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"}
        time.sleep(0.05)
    assert not pending, pending


def orders(endpoint):
    """The Orders machine: versions 1 and 2, alias `live` at 80/20, and executions of each kind.
    Answers the machine's ARN and the ARNs of a failed and a recovered execution."""
    sfn = make_client(endpoint)
    machine = sfn.create_state_machine(name="Orders", roleArn=ROLE,
                                       definition=json.dumps(ORDERS), publish=True,
                                       versionDescription="first release")
    arn = machine["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(orders_v2()),
                             publish=True, versionDescription="ships by rail")
    sfn.create_state_machine_alias(
        name="live", routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:1", "weight": 80},
            {"stateMachineVersionArn": f"{arn}:2", "weight": 20}])
    first, arns = {}, []
    for index, kind in enumerate(["good", "bad", "declined", "good", "good", "bad", "declined"]):
        target = f"{arn}:live" if index % 2 else f"{arn}:{1 + (index // 2) % 2}"
        answer = sfn.start_execution(stateMachineArn=target, name=f"order-{index}-{kind}",
                                     input=json.dumps({"kind": kind, "order": index}))
        first.setdefault(kind, answer["executionArn"])
        arns.append(answer["executionArn"])
    wait_closed(sfn, arns)
    return arn, first["bad"], first["declined"], first["good"]


def seed_rollback(binary, endpoint, tmp):
    """The seed scenario: version 1 through `main`, then the faulty revision deployed under
    traffic; the alarm fires and the alias goes back to version 1. Answers deploy's result."""
    first = deploy(binary, _Endpoint(endpoint), os.path.join(SEED, "template.yaml"))
    assert first.returncode == 0, first.stdout + first.stderr
    folder = os.path.join(tmp, "seed")
    shutil.copytree(SEED, folder)
    template = os.path.join(folder, "template.yaml")
    os.chmod(template, 0o644)
    with open(template) as text:
        faulty = text.read().replace("statemachine/alias.asl.json",
                                     "statemachine/alias-defect.asl.json")
    with open(template, "w") as text:
        text.write(faulty)
    sfn = make_client(endpoint)
    stop = threading.Event()

    def traffic():
        while not stop.is_set():
            sfn.start_sync_execution(stateMachineArn=f"{SEED_MACHINE}:main",
                                     input='{"type": "B"}')
            time.sleep(0.01)

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        second = deploy(binary, _Endpoint(endpoint), template)
    finally:
        stop.set()
        thread.join()
    assert second.returncode == 1, second.stdout + second.stderr
    return second


class _Endpoint:
    """What test_seed.deploy reads of a server."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
