"""Starts a Switchback server for the suite and hands out clients pointed at it.

The server binary comes from SWITCHBACK_BIN (scripts/test builds it); each test session gets its
own data directory and a free port on 127.0.0.1. With SWITCHBACK_TEST_BACKEND=postgres every
server keeps its data in PostgreSQL instead (SWITCHBACK_TEST_DATABASE_URL, by default
127.0.0.1:5432 database `test`), in a schema of its own per data directory, dropped afterwards:
scripts/test runs the suite a second time so.
"""
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/switchback-tests"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BACKEND = os.environ.get("SWITCHBACK_TEST_BACKEND", "sqlite")
DATABASE = os.environ.get("SWITCHBACK_TEST_DATABASE_URL",
                          "postgres://postgres@127.0.0.1:5432/test")


def psql(statement):
    """Runs one SQL statement against the test database; answers its output."""
    result = subprocess.run(["psql", DATABASE, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", statement],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"psql against {DATABASE} failed: {result.stderr}"
    return result.stdout


def schema_url(schema):
    """The test database's URL with `search_path` set to `schema`."""
    separator = "&" if "?" in DATABASE else "?"
    return f"{DATABASE}{separator}options={urllib.parse.quote(f'-c search_path={schema}')}"


@pytest.fixture()
def database():
    """A fresh PostgreSQL schema and the URL that selects it (search_path through `options`)."""
    schema = f"switchback_py_{uuid.uuid4().hex[:12]}"
    psql(f"CREATE SCHEMA {schema}")
    yield schema_url(schema), schema
    psql(f"DROP SCHEMA {schema} CASCADE")


class Server:
    def __init__(self, binary, data_dir, port, extra=()):
        self.binary = binary
        self.data_dir = data_dir
        self.port = port
        self.extra = list(extra)
        self.schema = None
        if BACKEND == "postgres" and "--database" not in self.extra:
            self.schema = f"switchback_py_{uuid.uuid4().hex[:12]}"
            psql(f"CREATE SCHEMA {self.schema}")
            self.extra += ["--database", schema_url(self.schema)]
        self.endpoint = f"http://127.0.0.1:{port}"
        self.process = None
        self.log = open(os.path.join(data_dir, "server.log"), "ab")

    def start(self):
        self.spawn()
        return self.wait_up()

    def spawn(self):
        """Starts the process, without waiting for it to serve."""
        self.process = subprocess.Popen(
            [self.binary, "serve", "--bind", f"127.0.0.1:{self.port}",
             "--data-dir", self.data_dir, *self.extra],
            stdout=self.log, stderr=self.log)

    def wait_up(self, timeout=30, poll=0.05):
        """Waits until /health answers; fails if the process exits first."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.endpoint + "/health", timeout=1):
                    return self
            except OSError:
                time.sleep(poll)
        raise RuntimeError(f"the server did not come up within {timeout} s")

    def drop_schema(self):
        """Drops this server's PostgreSQL schema, if it has one (the server must be stopped)."""
        if self.schema:
            psql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            self.schema = None

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def binary():
    path = os.environ.get("SWITCHBACK_BIN")
    if not path or not os.path.exists(path):
        pytest.fail("SWITCHBACK_BIN must name the built switchback binary (scripts/test sets it)")
    return path


@contextlib.contextmanager
def running_server(binary, prefix, extra=("--time-scale", "100")):
    """A server with a data directory of its own, stopped and removed afterwards."""
    data_dir = tempfile.mkdtemp(prefix=prefix)
    srv = Server(binary, data_dir, free_port(), extra).start()
    try:
        yield srv
    finally:
        srv.stop()
        srv.drop_schema()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server(binary):
    with running_server(binary, "switchback-py-") as srv:
        yield srv


def make_client(endpoint):
    # The SDKs put a `sync-` host prefix in front of StartSyncExecution; a local endpoint has no
    # such host, so turn the prefix off.
    config = Config(inject_host_prefix=False, retries={"max_attempts": 1},
                    read_timeout=70)
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="AKIDTEST", aws_secret_access_key="secret",
                        config=config)


@pytest.fixture(scope="session")
def sfn(server):
    return make_client(server.endpoint)


@pytest.fixture(scope="session")
def aws(server):
    """Runs the aws CLI against the server and returns its parsed JSON output."""
    env = dict(os.environ,
               AWS_ACCESS_KEY_ID="AKIDTEST", AWS_SECRET_ACCESS_KEY="secret",
               AWS_DEFAULT_REGION=REGION, AWS_DISABLE_HOST_PREFIX_INJECTION="true",
               AWS_PAGER="")
    cli = shutil.which("aws")
    assert cli, "the aws CLI is not installed"

    def run(*args, check=True):
        result = subprocess.run([cli, "--endpoint-url", server.endpoint, "stepfunctions", *args],
                                env=env, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {result.stderr}")
        if result.returncode != 0:
            return result
        return json.loads(result.stdout) if result.stdout.strip() else {}
    return run


@pytest.fixture(scope="session")
def cloudwatch(server):
    """A boto3 CloudWatch client pointed at the server (it sends AWS JSON 1.0)."""
    return boto3.client("cloudwatch", endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id="AKIDTEST", aws_secret_access_key="secret",
                        config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="session")
def aws_cloudwatch(server):
    """Runs `aws cloudwatch ...` against the server and returns its parsed JSON output."""
    env = dict(os.environ,
               AWS_ACCESS_KEY_ID="AKIDTEST", AWS_SECRET_ACCESS_KEY="secret",
               AWS_DEFAULT_REGION=REGION, AWS_PAGER="")
    cli = shutil.which("aws")
    assert cli, "the aws CLI is not installed"

    def run(*args):
        result = subprocess.run([cli, "--endpoint-url", server.endpoint, "cloudwatch", *args],
                                env=env, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"aws cloudwatch {' '.join(args)} failed: {result.stderr}")
        return json.loads(result.stdout) if result.stdout.strip() else {}
    return run
