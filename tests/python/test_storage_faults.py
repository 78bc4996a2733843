"""Issue 11's storage faults: a data directory Switchback cannot use is refused at start with a
message that says why, and the file in it is left byte for byte as it was; a disk that fills up
while the server runs makes writes fail with `ServiceUnavailable` (nothing half-written), reads
go on, and once there is room again every execution carries on from its last committed step.

The read-only directory and the full disk are made in a mount namespace of the test's own
(`unshare --mount --map-root-user`: a bind mount remounted read-only, a 4 MiB tmpfs), so the test
needs neither root nor a spare disk. The full disk is filled from outside through
`/proc/<pid>/root`, which reaches into the server's namespace.
"""
import errno
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import tempfile
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE, free_port, make_client


def sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def serve(binary, data_dir, *, wrap=None, timeout=20):
    """Runs `switchback serve` until it exits (it should refuse to start); answers its exit
    code and what it printed."""
    command = [binary, "serve", "--bind", f"127.0.0.1:{free_port()}", "--data-dir", data_dir]
    if wrap:
        command = wrap(command)
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout + result.stderr


def make_store(binary, data_dir):
    """A data directory written by this build: a server started and stopped on it."""
    port = free_port()
    process = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}",
                                "--data-dir", data_dir],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_up(f"http://127.0.0.1:{port}", process)
    process.terminate()
    assert process.wait(10) == 0


def wait_up(endpoint, process):
    import urllib.request
    deadline = time.time() + 30
    while time.time() < deadline:
        assert process.poll() is None, f"the server exited with {process.returncode}"
        try:
            with urllib.request.urlopen(endpoint + "/health", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server did not come up")


def in_namespace(script):
    """Wraps a command so that it runs after `script` in a mount namespace of its own."""
    def wrap(command):
        quoted = " ".join(f"'{part}'" for part in command)
        return ["unshare", "--mount", "--map-root-user", "sh", "-c", f"{script} && exec {quoted}"]
    return wrap


def test_refuses_a_corrupted_file_and_leaves_it(binary, tmp_path):
    data_dir = tmp_path / "garbage"
    data_dir.mkdir()
    database = data_dir / "switchback.db"
    database.write_bytes(os.urandom(16384))
    before = sha256(database)
    code, output = serve(binary, str(data_dir))
    assert code != 0
    assert "is not a usable SQLite database" in output, output
    assert sha256(database) == before
    assert sorted(os.listdir(data_dir)) == ["switchback.db"]


def test_refuses_a_damaged_switchback_database(binary, tmp_path):
    data_dir = str(tmp_path / "damaged")
    make_store(binary, data_dir)
    database = os.path.join(data_dir, "switchback.db")
    # Everything into the main file, so that the damage below is not undone by the log.
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    size = os.path.getsize(database)
    assert size >= 4 * 4096, size
    # Page 3 onwards hold tables and indexes; zeroes over one of them break its b-tree.
    with open(database, "r+b") as handle:
        handle.seek(2 * 4096)
        handle.write(b"\xff" * 4096)
    before = sha256(database)
    code, output = serve(binary, data_dir)
    assert code != 0
    assert "corrupted" in output or "not a usable SQLite database" in output, output
    assert sha256(database) == before


def test_refuses_another_programs_database_and_leaves_it(binary, tmp_path):
    data_dir = tmp_path / "foreign"
    data_dir.mkdir()
    database = data_dir / "switchback.db"
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    connection.execute("INSERT INTO customers (name) VALUES ('ada')")
    connection.commit()
    connection.close()
    before = sha256(database)
    code, output = serve(binary, str(data_dir))
    assert code != 0
    assert "another program" in output and "customers" in output, output
    assert sha256(database) == before
    # Not even switched to write-ahead logging.
    assert sorted(os.listdir(data_dir)) == ["switchback.db"]


def test_refuses_a_database_from_a_newer_version(binary, tmp_path):
    data_dir = str(tmp_path / "newer")
    make_store(binary, data_dir)
    database = os.path.join(data_dir, "switchback.db")
    connection = sqlite3.connect(database)
    connection.execute("INSERT INTO schema_version (version) VALUES (1000)")
    connection.commit()
    connection.close()
    code, output = serve(binary, data_dir)
    assert code != 0
    assert "schema version 1000, newer than" in output, output
    connection = sqlite3.connect(database)
    assert connection.execute("SELECT MAX(version) FROM schema_version").fetchone() == (1000,)
    connection.close()


def test_refuses_a_read_only_data_directory(binary, tmp_path):
    written = str(tmp_path / "written")
    make_store(binary, written)
    before = sha256(os.path.join(written, "switchback.db"))
    read_only = f"mount --bind {written} {written} && mount -o remount,bind,ro {written}"
    code, output = serve(binary, written, wrap=in_namespace(read_only))
    assert code != 0
    assert "read-only" in output, output
    assert sha256(os.path.join(written, "switchback.db")) == before

    empty = str(tmp_path / "empty")
    os.mkdir(empty)
    read_only = f"mount --bind {empty} {empty} && mount -o remount,bind,ro {empty}"
    code, output = serve(binary, os.path.join(empty, "data"), wrap=in_namespace(read_only))
    assert code != 0
    assert "Read-only file system" in output, output


def test_a_new_data_directory_is_private(binary, tmp_path):
    data_dir = str(tmp_path / "private")
    make_store(binary, data_dir)
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    for name in os.listdir(data_dir):
        path = os.path.join(data_dir, name)
        if name.startswith("switchback.db"):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name


def activity_machine(activity_arn):
    return json.dumps({
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": activity_arn, "TimeoutSeconds": 600,
                     "ResultPath": "$.result", "Next": "Done"},
            "Done": {"Type": "Pass", "End": True},
        },
    })


def code_of(error):
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_full_disk_fails_writes_and_loses_nothing(binary, tmp_path):
    mount_point = str(tmp_path / "small")
    os.mkdir(mount_point)
    port = free_port()
    command = in_namespace(f"mount -t tmpfs -o size=4m tmpfs {mount_point}")(
        [binary, "serve", "--bind", f"127.0.0.1:{port}", "--data-dir", mount_point])
    log = open(tmp_path / "server.log", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_up(endpoint, process)
        sfn = make_client(endpoint)
        activity = sfn.create_activity(name="disk")["activityArn"]
        machine = sfn.create_state_machine(name="disk", definition=activity_machine(activity),
                                           roleArn=ROLE)["stateMachineArn"]
        started = {}
        for n in range(5):
            arn = sfn.start_execution(stateMachineArn=machine, name=f"before-{n}",
                                      input=json.dumps({"n": n}))["executionArn"]
            started[arn] = n
        tokens = {}
        while len(tokens) < 5:
            task = sfn.get_activity_task(activityArn=activity, workerName="w")
            if task.get("taskToken"):
                tokens[json.loads(task["input"])["n"]] = task["taskToken"]

        # Fill the server's tmpfs from outside, through its root in /proc.
        filler_path = f"/proc/{process.pid}/root{mount_point}/filler"
        with open(filler_path, "wb") as filler:
            chunk = b"\0" * 65536
            while True:
                try:
                    filler.write(chunk)
                    filler.flush()
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
                    break

        # Writes fail with ServiceUnavailable (a few may still fit in the log's free room).
        refused_starts = []
        for n in range(200):
            name = f"during-{n}"
            try:
                arn = sfn.start_execution(stateMachineArn=machine, name=name,
                                          input=json.dumps({"n": 100 + n}))["executionArn"]
                started[arn] = 100 + n
            except ClientError as error:
                assert code_of(error) == ("ServiceUnavailable", 503), error.response
                refused_starts.append(name)
                if len(refused_starts) >= 3:
                    break
        assert refused_starts, "no write failed on a full disk"
        reported = set()
        refused_reports = 0
        for n, token in sorted(tokens.items()):
            try:
                sfn.send_task_success(taskToken=token, output=json.dumps({"done": n}))
                reported.add(n)
            except ClientError as error:
                # Sent twice (the SDK retries a 503 once): the token survives a refused report.
                assert code_of(error) == ("ServiceUnavailable", 503), error.response
                refused_reports += 1
        assert refused_reports + len(reported) == len(tokens)
        # Reads still work, and say what was committed.
        listed = sfn.list_executions(stateMachineArn=machine)["executions"]
        assert {item["executionArn"] for item in listed} == set(started)
        assert process.poll() is None, "the server exited on a full disk"

        os.remove(filler_path)

        # Every report refused is taken now (the execution was rebuilt from its journal).
        for n, token in sorted(tokens.items()):
            if n in reported:
                continue
            deadline = time.time() + 20
            while True:
                try:
                    sfn.send_task_success(taskToken=token, output=json.dumps({"done": n}))
                    reported.add(n)
                    break
                except ClientError as error:
                    assert code_of(error) == ("ServiceUnavailable", 503), error.response
                    assert time.time() < deadline, "the report is still refused with room"
                    time.sleep(0.2)
        # The starts that were refused did not happen; sent again, they do.
        for name in refused_starts:
            with pytest.raises(ClientError) as raised:
                sfn.describe_execution(executionArn=f"{machine.replace(':stateMachine:', ':execution:')}:{name}")
            assert code_of(raised.value)[0] == "ExecutionDoesNotExist"
        # Workers finish the rest (the executions started while the disk filled included).
        deadline = time.time() + 60
        while time.time() < deadline:
            statuses = {arn: sfn.describe_execution(executionArn=arn)["status"] for arn in started}
            if all(status == "SUCCEEDED" for status in statuses.values()):
                break
            task = sfn.get_activity_task(activityArn=activity, workerName="w2")
            if task.get("taskToken"):
                n = json.loads(task["input"])["n"]
                try:
                    sfn.send_task_success(taskToken=task["taskToken"],
                                          output=json.dumps({"done": n}))
                except ClientError as error:
                    # A copy of a task already reported (offered again by the rebuild).
                    assert code_of(error)[0] == "TaskTimedOut", error.response
        assert all(status == "SUCCEEDED" for status in statuses.values()), statuses
        for arn, n in started.items():
            described = sfn.describe_execution(executionArn=arn)
            assert json.loads(described["output"]) == {"n": n, "result": {"done": n}}
            events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            assert [event["id"] for event in events] == list(range(1, len(events) + 1))
            kinds = [event["type"] for event in events]
            assert kinds.count("ActivityScheduled") == 1, kinds
            assert kinds.count("ActivitySucceeded") == 1, kinds
            assert kinds[-1] == "ExecutionSucceeded", kinds
        # It was refused, not dropped: a start refused on the full disk works now.
        arn = sfn.start_execution(stateMachineArn=machine, name=refused_starts[0],
                                  input=json.dumps({"n": 999}))["executionArn"]
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    finally:
        process.kill()
        process.wait()
        log.close()
