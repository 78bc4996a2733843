"""`switchback serve --database postgres://...` against the PostgreSQL on 127.0.0.1:5432 (database
`test`, or SWITCHBACK_TEST_DATABASE_URL), each test in a schema of its own: the data lives in
PostgreSQL, survives `kill -9`, and open executions resume on the next start; a newer schema and
a URL that is not PostgreSQL's are refused (several nodes on one database: test_cluster.py). The tests fail, not skip, without PostgreSQL.
"""
import json
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import ROLE, Server, free_port, make_client, psql


@pytest.fixture()
def data_dir():
    path = tempfile.mkdtemp(prefix="switchback-pg-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def node(binary, data_dir, url):
    return Server(binary, data_dir, free_port(), ["--database", url, "--time-scale", "100"])


def serve_once(binary, data_dir, url, timeout=30):
    """Runs `serve` expecting it to refuse to start: (exit code, its output)."""
    process = subprocess.run(
        [binary, "serve", "--bind", f"127.0.0.1:{free_port()}", "--data-dir", data_dir,
         "--database", url], capture_output=True, text=True, timeout=timeout)
    return process.returncode, process.stdout + process.stderr


def test_the_data_lives_in_postgres_and_survives_a_kill(binary, database, data_dir):
    url, schema = database
    server = node(binary, data_dir, url).start()
    try:
        sfn = make_client(server.endpoint)
        # 300 s of Wait is 3 s at --time-scale 100: long enough to kill the node in the middle.
        definition = {"StartAt": "Pause", "States": {
            "Pause": {"Type": "Wait", "Seconds": 300, "Next": "Done"},
            "Done": {"Type": "Pass", "Result": "resumed", "End": True}}}
        machine = sfn.create_state_machine(name="OnPostgres", roleArn=ROLE,
                                           definition=json.dumps(definition))["stateMachineArn"]
        arns = [sfn.start_execution(stateMachineArn=machine, name=f"run-{index}",
                                    input=json.dumps({"index": index}))["executionArn"]
                for index in range(5)]
        assert psql(f"SELECT count(*) FROM {schema}.executions").strip() == "5"
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)
        # The same data directory is not needed: a new one proves the data is in PostgreSQL.
        other_dir = tempfile.mkdtemp(prefix="switchback-pg-other-")
        try:
            server = node(binary, other_dir, url).start()
            sfn = make_client(server.endpoint)
            deadline = time.time() + 60
            while time.time() < deadline:
                statuses = [sfn.describe_execution(executionArn=arn)["status"] for arn in arns]
                if all(status != "RUNNING" for status in statuses):
                    break
                time.sleep(0.1)
            assert statuses == ["SUCCEEDED"] * 5, statuses
            for arn in arns:
                assert sfn.describe_execution(executionArn=arn)["output"] == '"resumed"'
                events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
                assert [event["id"] for event in events] == list(range(1, len(events) + 1))
                types = [event["type"] for event in events]
                assert types.count("ExecutionStarted") == 1
                assert types.count("ExecutionSucceeded") == 1
            assert [item["name"] for item in sfn.list_state_machines()["stateMachines"]] == [
                "OnPostgres"]
        finally:
            server.stop()
            shutil.rmtree(other_dir, ignore_errors=True)
    finally:
        server.stop()


def test_a_database_of_a_newer_build_is_refused(binary, database, data_dir):
    url, schema = database
    node(binary, data_dir, url).start().stop()
    psql(f"INSERT INTO {schema}.schema_version (version) VALUES (99)")
    code, output = serve_once(binary, data_dir, url)
    assert code != 0
    assert "schema version 99" in output and "newer" in output, output
    # Left as it was.
    assert psql(f"SELECT max(version) FROM {schema}.schema_version").strip() == "99"


def test_database_urls_that_cannot_serve(binary, data_dir):
    code, output = serve_once(binary, data_dir, "mysql://root@127.0.0.1/test")
    assert code != 0 and "--database must be a PostgreSQL URL" in output, output
    code, output = serve_once(binary, data_dir,
                              "postgres://postgres:hunter2@127.0.0.1:1/test")
    assert code != 0 and "cannot use the PostgreSQL database" in output, output
    # The password is never printed.
    assert "hunter2" not in output and "postgres:****@" in output, output


def test_a_node_restarted_on_its_data_directory_takes_its_place_at_once(binary, database,
                                                                         data_dir):
    url, schema = database
    server = node(binary, data_dir, url).start()
    try:
        sfn = make_client(server.endpoint)
        definition = {"StartAt": "Pause", "States": {
            "Pause": {"Type": "Wait", "Seconds": 100, "Next": "Done"},
            "Done": {"Type": "Pass", "End": True}}}
        machine = sfn.create_state_machine(name="Restarted", roleArn=ROLE,
                                           definition=json.dumps(definition))["stateMachineArn"]
        arns = [sfn.start_execution(stateMachineArn=machine, name=f"r-{index}")["executionArn"]
                for index in range(3)]
        # A second process on the same data directory is refused while the first runs.
        code, output = serve_once(binary, data_dir, url)
        assert code != 0 and "another switchback process serves from the data directory" in \
            output, output
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)
        restarted = time.time()
        server = node(binary, data_dir, url).start()
        sfn = make_client(server.endpoint)
        # Its lease (10 s) has not run out, but the restarted node takes its place: the
        # executions are resumed before it serves.
        owners = psql(f"SELECT DISTINCT owner FROM {schema}.executions").split()
        assert len(owners) == 1, owners
        deadline = restarted + 8
        while time.time() < deadline and any(
                sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" for arn in arns):
            time.sleep(0.1)
        assert [sfn.describe_execution(executionArn=arn)["status"] for arn in arns] == \
            ["SUCCEEDED"] * 3
    finally:
        server.stop()
