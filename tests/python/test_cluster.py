"""Several `switchback serve` nodes on one PostgreSQL database (issue 13), each test in a schema
of its own: any node answers any request; the node that starts an execution drives it; a stop or
a task report sent to another node takes the execution over there; when a node is killed the
others claim what it drove once its lease runs out, and every execution still ends exactly once
with a whole history; a node paused past its lease (SIGSTOP) cannot commit when it wakes and
gives its work up. The tests fail, not skip, without PostgreSQL.
"""
import datetime
import json
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import ROLE, Server, free_port, make_client, psql
from crashloop import history_problems

LEASE = "1.5"


@pytest.fixture()
def nodes(binary, database):
    """Starts nodes on the test's database on demand; stops them all at the end."""
    url, _ = database
    started = []

    def start(name, time_scale="100"):
        data_dir = tempfile.mkdtemp(prefix=f"switchback-{name}-")
        server = Server(binary, data_dir, free_port(),
                        ["--database", url, "--time-scale", time_scale, "--node-lease", LEASE,
                         "--node-name", name]).start()
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process and server.process.poll() is not None:
            pass
        else:
            if server.process:
                server.process.send_signal(signal.SIGCONT)
            server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)


def owners(schema):
    """Open executions by owning node id."""
    rows = psql(f"SELECT coalesce(owner, 0), count(*) FROM {schema}.executions "
                "WHERE end_status IS NULL GROUP BY 1")
    return {int(owner): int(count) for owner, count in
            (line.split("|") for line in rows.split())}


def node_id(schema, name):
    return int(psql(f"SELECT max(id) FROM {schema}.nodes WHERE name = '{name}'").strip())


def wait_all_ended(sfn, arns, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        statuses = {arn: sfn.describe_execution(executionArn=arn)["status"] for arn in arns}
        if all(status != "RUNNING" for status in statuses.values()):
            return statuses
        time.sleep(0.2)
    return statuses


def check_histories(sfn, arns, expected_status="SUCCEEDED"):
    problems = []
    for arn in arns:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != expected_status:
            problems.append(f"{arn}: {described['status']}")
            continue
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        problems += history_problems(arn.rsplit(":", 1)[1], events, described["status"])
    assert not problems, "\n".join(problems)


def wait_and_parallel():
    """A Wait (3 s at --time-scale 100), then a Parallel of two Waits and a Map of Passes."""
    return {"StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 300, "Next": "Both"},
        "Both": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.both", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 50, "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 2, "End": True}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "Next": "Done",
                 "ItemProcessor": {"StartAt": "P", "States": {
                     "P": {"Type": "Pass", "End": True}}}},
        "Done": {"Type": "Pass", "Result": "done", "End": True}}}


def callback_definition():
    return {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                       "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": True}}}


def token_of(sfn, arn, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for event in sfn.get_execution_history(executionArn=arn)["events"]:
            if event["type"] == "TaskScheduled":
                parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
                return parameters["MessageBody"]["token"]
        time.sleep(0.05)
    raise AssertionError(f"{arn} scheduled no task")


def open_here(server):
    """`switchback_open_executions` of a node's /metrics: the executions it holds in memory."""
    with urllib.request.urlopen(server.endpoint + "/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("switchback_open_executions "):
                return int(float(line.split()[1]))
    raise AssertionError("no switchback_open_executions in /metrics")


def nodes_table(binary, url):
    result = subprocess.run([binary, "nodes", "--database", url], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_three_nodes_share_the_work_and_survive_two_kills(binary, database, nodes):
    url, schema = database
    servers = [nodes(f"node-{index}") for index in range(3)]
    clients = [make_client(server.endpoint) for server in servers]
    machine = clients[0].create_state_machine(
        name="Shared", roleArn=ROLE, definition=json.dumps(wait_and_parallel()))["stateMachineArn"]
    # Every node answers for what another created.
    assert [m["name"] for m in clients[2].list_state_machines()["stateMachines"]] == ["Shared"]
    arns = []
    for index in range(30):
        sfn = clients[index % 3]
        arns.append(sfn.start_execution(
            stateMachineArn=machine, name=f"run-{index}",
            input=json.dumps({"items": [index, index + 1]}))["executionArn"])
    ids = [node_id(schema, f"node-{index}") for index in range(3)]
    assert owners(schema) == {node: 10 for node in ids}
    table = nodes_table(binary, url)
    assert all(f"node-{index}" in table for index in range(3)) and table.count(" live ") == 3
    servers[0].process.send_signal(signal.SIGKILL)
    servers[0].process.wait(10)
    time.sleep(1.0)
    servers[1].process.send_signal(signal.SIGKILL)
    servers[1].process.wait(10)
    statuses = wait_all_ended(clients[2], arns)
    assert set(statuses.values()) == {"SUCCEEDED"}, statuses
    check_histories(clients[2], arns)
    for arn in arns:
        assert clients[2].describe_execution(executionArn=arn)["output"] == '"done"'
    assert owners(schema) == {}
    table = nodes_table(binary, url)
    assert " live " in table and "node-2" in table, table


def test_a_task_report_or_a_stop_sent_to_another_node_reaches_the_execution(database, nodes):
    _, schema = database
    first, second = nodes("first"), nodes("second")
    one, two = make_client(first.endpoint), make_client(second.endpoint)
    machine = one.create_state_machine(
        name="Callback", roleArn=ROLE,
        definition=json.dumps(callback_definition()))["stateMachineArn"]
    answered = one.start_execution(stateMachineArn=machine, name="answered")["executionArn"]
    stopped = one.start_execution(stateMachineArn=machine, name="stopped")["executionArn"]
    token = token_of(one, answered)
    token_of(one, stopped)
    assert owners(schema) == {node_id(schema, "first"): 2}
    # Sent to the node that does not drive it: it takes the execution over and completes it.
    two.send_task_success(taskToken=token, output=json.dumps({"via": "second"}))
    assert two.describe_execution(executionArn=answered)["status"] == "SUCCEEDED"
    assert one.describe_execution(executionArn=answered)["output"] == '{"via":"second"}'
    # The same token again, on either node: the task is gone.
    for sfn in (one, two):
        with pytest.raises(sfn.exceptions.TaskTimedOut):
            sfn.send_task_success(taskToken=token, output="{}")
    two.stop_execution(executionArn=stopped, error="Halt", cause="from the second node")
    described = one.describe_execution(executionArn=stopped)
    assert described["status"] == "ABORTED" and described["error"] == "Halt"
    check_histories(one, [answered])
    check_histories(one, [stopped], expected_status="ABORTED")
    # The claims told the first node, which let both executions go (nothing to commit).
    deadline = time.time() + 10
    while time.time() < deadline and open_here(first) != 0:
        time.sleep(0.05)
    assert open_here(first) == 0 and open_here(second) == 0
    # Each node's /metrics says which node it is, and the first (lowest id) leads.
    for server, name, leads in ((first, "first", 1), (second, "second", 0)):
        with urllib.request.urlopen(server.endpoint + "/metrics", timeout=10) as response:
            text = response.read().decode()
        assert f'switchback_node{{node="{node_id(schema, name)}"}} 1' in text, text[-500:]
        assert f"switchback_node_leads {leads}" in text, text[-500:]
    # The first node still drives what it starts.
    again = one.start_execution(stateMachineArn=machine, name="again")["executionArn"]
    one.send_task_success(taskToken=token_of(one, again), output="{}")
    assert one.describe_execution(executionArn=again)["status"] == "SUCCEEDED"


def test_a_paused_node_cannot_commit_when_it_wakes_and_gives_its_work_up(database, nodes):
    url, schema = database
    paused, live = nodes("paused"), nodes("live")
    sfn = make_client(live.endpoint)
    machine = sfn.create_state_machine(
        name="Paused", roleArn=ROLE, definition=json.dumps(wait_and_parallel()))["stateMachineArn"]
    on_paused = make_client(paused.endpoint)
    arns = [on_paused.start_execution(stateMachineArn=machine, name=f"run-{index}",
                                      input=json.dumps({"items": [index]}))["executionArn"]
            for index in range(8)]
    paused_id = node_id(schema, "paused")
    assert owners(schema) == {paused_id: 8}
    paused.process.send_signal(signal.SIGSTOP)
    try:
        # Past its lease the live node claims and finishes the paused node's executions.
        statuses = wait_all_ended(sfn, arns, timeout=60)
        assert set(statuses.values()) == {"SUCCEEDED"}, statuses
        histories = {arn: sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
                     for arn in arns}
    finally:
        paused.process.send_signal(signal.SIGCONT)
    # Awake, its timers fire and its steps are fenced; its lease is gone, so it joins again.
    deadline = time.time() + 20
    while time.time() < deadline and node_id(schema, "paused") == paused_id:
        time.sleep(0.1)
    assert node_id(schema, "paused") > paused_id, "the paused node did not join again"
    time.sleep(1.0)
    for arn in arns:
        assert sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"] == \
            histories[arn], f"{arn} changed after the paused node woke"
    check_histories(sfn, arns)
    with open(paused.data_dir + "/server.log", encoding="utf-8", errors="replace") as log:
        text = log.read()
    assert "gives up every execution it drove" in text, text[-3000:]
    # It serves again, as a new node.
    again = on_paused.start_execution(stateMachineArn=machine, name="after",
                                      input=json.dumps({"items": []}))["executionArn"]
    assert wait_all_ended(on_paused, [again]) == {again: "SUCCEEDED"}
    assert "paused" in nodes_table(paused.binary, url)


def activity_definition(activity_arn):
    return {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity_arn, "HeartbeatSeconds": 100000, "End": True}}}


def start_activity_executions(sfn, count):
    """An activity, a machine running one task of it, and `count` executions of the machine."""
    activity = sfn.create_activity(name="work")["activityArn"]
    machine = sfn.create_state_machine(
        name="Activity", roleArn=ROLE,
        definition=json.dumps(activity_definition(activity)))["stateMachineArn"]
    arns = [sfn.start_execution(stateMachineArn=machine, name=f"run-{index}",
                                input=json.dumps({"index": index}))["executionArn"]
            for index in range(count)]
    return activity, arns


def poll_tasks(sfn, activity_arn, count, timeout=60):
    """Polls until `count` tasks arrive; answers them (token, input)."""
    tasks = []
    deadline = time.time() + timeout
    while len(tasks) < count and time.time() < deadline:
        task = sfn.get_activity_task(activityArn=activity_arn, workerName="worker")
        if task.get("taskToken"):
            tasks.append((task["taskToken"], json.loads(task["input"])))
    assert len(tasks) == count, tasks
    return tasks


def no_task_within(server, activity_arn, seconds):
    """True when a poll of `server` brings no task within `seconds` (the poll is cut off)."""
    quick = boto3.client("stepfunctions", endpoint_url=server.endpoint, region_name="us-east-1",
                         aws_access_key_id="test", aws_secret_access_key="test",
                         config=botocore.config.Config(read_timeout=seconds,
                                                       retries={"max_attempts": 1}))
    try:
        task = quick.get_activity_task(activityArn=activity_arn)
    except botocore.exceptions.ReadTimeoutError:
        return True
    return not task.get("taskToken")


def test_workers_polling_any_node_get_the_activity_tasks_once(database, nodes):
    _, schema = database
    first, second = nodes("first"), nodes("second")
    one, two = make_client(first.endpoint), make_client(second.endpoint)
    activity, arns = start_activity_executions(one, 4)
    # The worker polls the node that does not drive the executions: each task comes once.
    tasks = poll_tasks(two, activity, 4)
    assert sorted(task_input["index"] for _, task_input in tasks) == [0, 1, 2, 3]
    for server in (first, second):
        assert no_task_within(server, activity, 2.0)
    for token, task_input in tasks:
        two.send_task_success(taskToken=token, output=json.dumps({"done": task_input["index"]}))
    statuses = wait_all_ended(one, arns)
    assert set(statuses.values()) == {"SUCCEEDED"}, statuses
    check_histories(one, arns)
    for arn in arns:
        types = [e["type"] for e in one.get_execution_history(executionArn=arn)["events"]]
        assert types.count("ActivityStarted") == 1, types
    assert owners(schema) == {}


def test_workers_of_a_killed_node_get_their_tasks_from_another(database, nodes):
    first, second, third = nodes("first"), nodes("second"), nodes("third")
    one, three = make_client(first.endpoint), make_client(third.endpoint)
    activity, arns = start_activity_executions(one, 3)
    # A worker took one task from the first node; then the node is killed.
    (started_token, started_input), = poll_tasks(one, activity, 1)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    # Its workers reconnect elsewhere: the tasks nobody started come to them once the
    # first node's lease ran out; the started one is not offered again, and its worker
    # reports it through another node.
    tasks = poll_tasks(three, activity, 2)
    assert sorted(i["index"] for _, i in tasks) == sorted(
        {0, 1, 2} - {started_input["index"]})
    for token, _ in tasks + [(started_token, started_input)]:
        three.send_task_success(taskToken=token, output="{}")
    statuses = wait_all_ended(three, arns)
    assert set(statuses.values()) == {"SUCCEEDED"}, statuses
    check_histories(three, arns)
    assert second.process.poll() is None


def test_a_deployment_continues_on_another_node_when_its_node_is_killed(nodes):
    from test_deployments import describe, machine_with_alias, start, switchback, wait_end
    first, second = nodes("first"), nodes("second")
    one, two = make_client(first.endpoint), make_client(second.endpoint)
    _, v1, v2, alias = machine_with_alias(one, "cluster")
    # LINEAR 50 % every 2 minutes: 1.2 s at --time-scale 100, three steps to the end.
    started = start(first, alias, v2, type="LINEAR", interval=2, percentage=50)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    ended = wait_end(second, started["deploymentId"], timeout=60)
    assert ended["status"] == "SUCCEEDED", ended
    routing = two.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    assert routing == [{"stateMachineVersionArn": v2, "weight": 100}]
    assert describe(second, started["deploymentId"]) == ended
    # Stopped through a node that does not drive it: it is taken over there and stopped.
    third = nodes("third")
    again = start(second, alias, v1, type="CANARY", interval=30, percentage=10)
    stopped = switchback(third, "StopDeployment", {"deploymentId": again["deploymentId"]})
    assert stopped["status"] == "STOPPED", stopped
    routing = two.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    assert routing == [{"stateMachineVersionArn": v2, "weight": 100}]


def cloudwatch_of(server):
    return boto3.client("cloudwatch", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def failed_sum(cloudwatch, machine):
    now = datetime.datetime.now(datetime.timezone.utc)
    statistics = cloudwatch.get_metric_statistics(
        Namespace="AWS/States", MetricName="ExecutionsFailed",
        Dimensions=[{"Name": "StateMachineArn", "Value": machine}],
        StartTime=now - datetime.timedelta(hours=2), EndTime=now + datetime.timedelta(hours=2),
        Period=3600, Statistics=["Sum"])
    return sum(point["Sum"] for point in statistics["Datapoints"])


def wait_for(check, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_metrics_and_alarms_count_the_executions_of_every_node(nodes):
    first, second = nodes("first"), nodes("second")
    one, two = make_client(first.endpoint), make_client(second.endpoint)
    watch_one, watch_two = cloudwatch_of(first), cloudwatch_of(second)
    definition = {"StartAt": "Fail", "States": {"Fail": {"Type": "Fail", "Error": "Broken"}}}
    machine = one.create_state_machine(name="Failing", roleArn=ROLE,
                                       definition=json.dumps(definition))["stateMachineArn"]
    watch_one.put_metric_alarm(
        AlarmName="failures", Namespace="AWS/States", MetricName="ExecutionsFailed",
        Dimensions=[{"Name": "StateMachineArn", "Value": machine}], Statistic="Sum",
        ComparisonOperator="GreaterThanOrEqualToThreshold", Threshold=5, EvaluationPeriods=1,
        Period=3600, TreatMissingData="notBreaching")
    for index in range(3):
        two.start_execution(stateMachineArn=machine, name=f"second-{index}")
    for index in range(2):
        one.start_execution(stateMachineArn=machine, name=f"first-{index}")
    # Each node's queries answer for both: its own samples and the other's, read back.
    assert wait_for(lambda: failed_sum(watch_one, machine) == 5), failed_sum(watch_one, machine)
    assert wait_for(lambda: failed_sum(watch_two, machine) == 5), failed_sum(watch_two, machine)
    # Neither node alone has 5 failures: the alarm fires only on the sum of both.
    assert wait_for(lambda: watch_two.describe_alarms(AlarmNames=["failures"])[
        "MetricAlarms"][0]["StateValue"] == "ALARM")
    history = watch_one.describe_alarm_history(AlarmName="failures",
                                               HistoryItemType="StateUpdate")
    # Evaluated by one node: each transition once, not once per node.
    summaries = [item["HistorySummary"] for item in history["AlarmHistoryItems"]]
    assert len(summaries) == len(set(summaries)), summaries
    assert sum("to ALARM" in summary for summary in summaries) == 1, summaries


def test_a_sync_parent_hears_of_a_child_that_ended_on_another_node(nodes):
    first, second = nodes("first"), nodes("second")
    one, two = make_client(first.endpoint), make_client(second.endpoint)
    child = one.create_state_machine(name="Child", roleArn=ROLE,
                                     definition=json.dumps(callback_definition()))
    parent_definition = {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child["stateMachineArn"], "Input": {"n": 1}},
        "End": True}}}
    parent = one.create_state_machine(name="Parent", roleArn=ROLE,
                                      definition=json.dumps(parent_definition))
    run = one.start_execution(stateMachineArn=parent["stateMachineArn"],
                              name="parent")["executionArn"]
    assert wait_for(lambda: one.list_executions(
        stateMachineArn=child["stateMachineArn"])["executions"])
    child_arn = one.list_executions(
        stateMachineArn=child["stateMachineArn"])["executions"][0]["executionArn"]
    # The child's report goes to the second node, which takes the child over and ends it there;
    # the parent, still on the first node, hears of the end and goes on.
    two.send_task_success(taskToken=token_of(one, child_arn), output=json.dumps({"child": "ok"}))
    assert wait_all_ended(one, [run], timeout=20) == {run: "SUCCEEDED"}
    output = json.loads(one.describe_execution(executionArn=run)["output"])
    assert output["Output"] == {"child": "ok"}, output
    check_histories(one, [run, child_arn])


class FailoverWorker(threading.Thread):
    """An activity worker on one node that moves to the next when its node goes away, and
    reports each task it got (through whichever node it is on then)."""

    def __init__(self, servers, activity_arn):
        super().__init__(daemon=True)
        self.servers, self.activity_arn = list(servers), activity_arn
        self.done, self.stop, self.errors = [], threading.Event(), []

    def client(self):
        return boto3.client(
            "stepfunctions", endpoint_url=self.servers[0].endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
            config=botocore.config.Config(read_timeout=3, connect_timeout=1,
                                          retries={"max_attempts": 1}))

    def call(self, operation, **kwargs):
        while True:
            try:
                return getattr(self.client(), operation)(**kwargs)
            except (botocore.exceptions.EndpointConnectionError,
                    botocore.exceptions.ConnectionClosedError):
                self.servers.pop(0)
            except botocore.exceptions.ReadTimeoutError:
                return {}

    def run(self):
        while not self.stop.is_set():
            task = self.call("get_activity_task", activityArn=self.activity_arn)
            if task.get("taskToken"):
                try:
                    self.call("send_task_success", taskToken=task["taskToken"],
                              output=json.dumps({"worked": json.loads(task["input"])}))
                    self.done.append(task["taskToken"])
                except Exception as error:  # noqa: BLE001 - recorded for the assertion
                    self.errors.append(repr(error))


def test_a_mixed_workload_and_a_deployment_survive_the_loss_of_two_nodes(nodes):
    from test_deployments import machine_with_alias, start, wait_end
    servers = [nodes(f"node-{index}") for index in range(3)]
    clients = [make_client(server.endpoint) for server in servers]
    first = clients[0]
    waits = first.create_state_machine(
        name="Waits", roleArn=ROLE, definition=json.dumps(wait_and_parallel()))["stateMachineArn"]
    callbacks = first.create_state_machine(
        name="Callbacks", roleArn=ROLE,
        definition=json.dumps(callback_definition()))["stateMachineArn"]
    activity = first.create_activity(name="mixed")["activityArn"]
    tasks = first.create_state_machine(
        name="Tasks", roleArn=ROLE,
        definition=json.dumps(activity_definition(activity)))["stateMachineArn"]
    _, _, v2, alias = machine_with_alias(first, "mixed")
    # A deployment in progress on the first node: 20 % more every 5 minutes (3 s here).
    deployment = start(servers[0], alias, v2, type="LINEAR", interval=5, percentage=20)
    runs = []
    for index in range(18):
        runs.append(clients[index % 3].start_execution(
            stateMachineArn=waits, name=f"wait-{index}",
            input=json.dumps({"items": [index]}))["executionArn"])
    calls = [clients[index % 2].start_execution(stateMachineArn=callbacks,
                                               name=f"call-{index}")["executionArn"]
             for index in range(4)]
    work = [clients[index % 2].start_execution(stateMachineArn=tasks, name=f"task-{index}",
                                              input=json.dumps({"n": index}))["executionArn"]
            for index in range(6)]
    tokens = {arn: token_of(first, arn) for arn in calls}
    # The worker long-polls the first node; when it dies it goes on to the second, then the
    # third.
    worker = FailoverWorker(servers, activity)
    worker.start()
    try:
        time.sleep(0.5)
        servers[0].process.send_signal(signal.SIGKILL)
        servers[0].process.wait(10)
        time.sleep(1.0)
        servers[1].process.send_signal(signal.SIGKILL)
        servers[1].process.wait(10)
        survivor = clients[2]
        for arn, token in tokens.items():
            survivor.send_task_success(taskToken=token, output=json.dumps({"called": arn}))
        statuses = wait_all_ended(survivor, runs + calls + work)
    finally:
        worker.stop.set()
        worker.join(10)
    assert set(statuses.values()) == {"SUCCEEDED"}, statuses
    assert not worker.errors, worker.errors
    assert len(worker.done) == len(work), worker.done
    check_histories(survivor, runs + calls + work)
    for arn in work:
        types = [e["type"] for e in survivor.get_execution_history(executionArn=arn)["events"]]
        assert types.count("ActivityStarted") == 1, types
    ended = wait_end(servers[2], deployment["deploymentId"], timeout=60)
    assert ended["status"] == "SUCCEEDED", ended
    routing = survivor.describe_state_machine_alias(
        stateMachineAliasArn=alias)["routingConfiguration"]
    assert routing == [{"stateMachineVersionArn": v2, "weight": 100}]
