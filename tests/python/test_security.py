"""Request authentication with `switchback serve --credentials FILE`: every API request must
carry an AWS Signature Version 4 made with a key pair of FILE, for the server's region and the
signing name `states` (`monitoring` for CloudWatch), dated within the allowed clock skew
(five minutes either way unless `--max-clock-skew` says otherwise). A refused request is answered
with AWS's error type and message, with HTTP 400 (what Step Functions, a Coral JSON service,
answers: an SDK error quoted in localstack/localstack#1869 reads "Service: AWSStepFunctions;
Status Code: 400; Error Code: UnrecognizedClientException"; `REFUSED` below), and changes nothing. `GET /health` stays open;
`GET /metrics` needs a signature or a key pair as HTTP Basic credentials. No secret, signature
or Basic token ever reaches the server's log, even at `RUST_LOG=trace`.

Requests are signed with botocore's own `SigV4Auth`, the signer of boto3 and the aws CLI; the
raw ones (tampered, replayed, signed at another time) are sent with `http.client`, so that the
server sees exactly the bytes that were signed, or changed after signing.
"""
import base64
import datetime
import http.client
import json
import os
import re
import shutil
import subprocess
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import REGION, ROLE, running_server

KEY_ID = "AKIDSWITCHBACKDEFAULT"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYdefault0001"
OTHER_KEY_ID = "AKIDSWITCHBACKSECOND"
OTHER_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbsecond0002"
WRONG_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYwrong00003"

MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details.")
INVALID_KEY = "The security token included in the request is invalid."
STAMP = r"(\d{8}T\d{6}Z)"
# The HTTP status of a missing, invalid or unrecognised signature (crates/api/src/error.rs).
REFUSED = 400


@pytest.fixture(scope="module")
def credentials_file(tmp_path_factory):
    """An AWS shared-credentials file with two profiles, as `aws configure` writes it."""
    path = tmp_path_factory.mktemp("credentials") / "credentials"
    path.write_text(f"[default]\naws_access_key_id = {KEY_ID}\n"
                    f"aws_secret_access_key = {SECRET}\n\n"
                    f"[ci]\naws_access_key_id = {OTHER_KEY_ID}\n"
                    f"aws_secret_access_key = {OTHER_SECRET}\n")
    return str(path)


@pytest.fixture(scope="module")
def secured(binary, credentials_file):
    """A server that requires signatures, with the default clock skew."""
    with running_server(binary, "switchback-sec-", ("--credentials", credentials_file)) as srv:
        yield srv


def client(endpoint, key_id=KEY_ID, secret=SECRET, region=REGION, service="stepfunctions"):
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def signed(endpoint, target, body, *, key_id=KEY_ID, secret=SECRET, region=REGION,
           service="states", skew=0, prefix="AWSStepFunctions."):
    """The headers of a POST of `body` to `target`, signed by botocore as if its clock were
    `skew` seconds ahead of the real one."""
    request = AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
        "Host": endpoint.removeprefix("http://"),
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": prefix + target,
    })
    sign(request, key_id, secret, region, service, skew)
    return dict(request.headers.items())


def sign(request, key_id, secret, region, service, skew):
    faked = (datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
             + datetime.timedelta(seconds=skew))
    with mock.patch("botocore.auth.get_current_datetime", return_value=faked):
        SigV4Auth(Credentials(key_id, secret), service, region).add_auth(request)


def send(endpoint, method, path, headers, body=b""):
    """Sends exactly these headers and body; answers the status, the headers and the body
    (parsed when it is JSON)."""
    connection = http.client.HTTPConnection(endpoint.removeprefix("http://"), timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()
    if "json" in headers.get("content-type", ""):
        data = json.loads(data)
    return response.status, headers, data


def post(endpoint, headers, body):
    status, _, data = send(endpoint, "POST", "/", headers, body)
    return status, data


def activity_body(name):
    return json.dumps({"name": name}).encode()


def activity_names(endpoint):
    """The activities that exist, as a client with the right keys lists them."""
    return {activity["name"] for activity in client(endpoint).list_activities()["activities"]}


def refusal(error):
    """The AWS error type, message and HTTP status of a refused boto3 call."""
    return (error.response["Error"]["Code"], error.response["Error"]["Message"],
            error.response["ResponseMetadata"]["HTTPStatusCode"])


def test_signed_requests_with_any_configured_key_pair_are_served(secured):
    """boto3 with the default profile's keys creates and lists activities; the second profile's
    pair is a key of the server too."""
    first = client(secured.endpoint).create_activity(name="first-profile")["activityArn"]
    other = client(secured.endpoint, OTHER_KEY_ID, OTHER_SECRET)
    second = other.create_activity(name="second-profile")["activityArn"]
    listed = {activity["activityArn"] for activity in other.list_activities()["activities"]}
    assert {first, second} <= listed
    assert {"first-profile", "second-profile"} <= activity_names(secured.endpoint)


def test_a_wrong_secret_an_unknown_key_or_no_signature_is_refused(secured):
    """A wrong secret is `InvalidSignatureException`, an access key id the server does not know
    `UnrecognizedClientException`, a request with no `Authorization` header
    `MissingAuthenticationTokenException`: each 400 with AWS's message, and none creates the
    activity it asked for."""
    with pytest.raises(ClientError) as refused:
        client(secured.endpoint, secret=WRONG_SECRET).create_activity(name="wrong-secret")
    code, message, status = refusal(refused.value)
    assert (code, status) == ("InvalidSignatureException", REFUSED)
    assert message.startswith(MISMATCH), message

    with pytest.raises(ClientError) as refused:
        client(secured.endpoint, key_id="AKIDNOBODYKNOWS").create_activity(name="unknown-key")
    assert refusal(refused.value) == ("UnrecognizedClientException", INVALID_KEY, REFUSED)

    status, data = post(secured.endpoint, {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.CreateActivity",
    }, activity_body("unsigned"))
    assert (status, data) == (REFUSED, {"__type": "MissingAuthenticationTokenException",
                                    "message": "Request is missing Authentication Token"})

    names = activity_names(secured.endpoint)
    assert not names & {"wrong-secret", "unknown-key", "unsigned"}, names


def test_a_signature_for_another_region_or_service_is_refused(secured):
    """The credential scope must name the server's region and `states` (`monitoring` for
    CloudWatch's targets): boto3 configured for us-west-2, a request signed for `lambda` and a
    CloudWatch call signed for `states` are refused with AWS's scope messages, and nothing is
    created."""
    with pytest.raises(ClientError) as refused:
        client(secured.endpoint, region="us-west-2").create_activity(name="west")
    assert refusal(refused.value) == (
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'us-west-2'.", REFUSED)

    body = activity_body("lambda-scoped")
    status, data = post(secured.endpoint,
                        signed(secured.endpoint, "CreateActivity", body, service="lambda"), body)
    assert (status, data) == (REFUSED, {
        "__type": "InvalidSignatureException",
        "message": "Credential should be scoped to correct service: 'states'."})
    assert not activity_names(secured.endpoint) & {"west", "lambda-scoped"}

    cloudwatch = client(secured.endpoint, service="cloudwatch")
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []
    status, data = post(secured.endpoint,
                        signed(secured.endpoint, "DescribeAlarms", b"{}",
                               prefix="GraniteServiceVersion20100801."), b"{}")
    assert (status, data) == (REFUSED, {
        "__type": "InvalidSignatureException",
        "message": "Credential should be scoped to correct service: 'monitoring'."})


def test_a_request_changed_after_signing_is_refused(secured):
    """One byte of the body changed, or the signed `X-Amz-Target` turned from a read into a
    write, breaks the signature: `InvalidSignatureException` and nothing created. The same
    request unchanged is served, so the change alone is what was refused."""
    body = activity_body("tampered-a")
    headers = signed(secured.endpoint, "CreateActivity", body)
    status, data = post(secured.endpoint, headers, body.replace(b"-a", b"-b"))
    assert status == REFUSED
    assert data["__type"] == "InvalidSignatureException"
    assert data["message"].startswith(MISMATCH), data

    listing = activity_body("tampered-header")
    headers = signed(secured.endpoint, "ListActivities", listing)
    headers["X-Amz-Target"] = "AWSStepFunctions.CreateActivity"
    status, data = post(secured.endpoint, headers, listing)
    assert status == REFUSED
    assert data["__type"] == "InvalidSignatureException"
    assert data["message"].startswith(MISMATCH), data
    assert "x-amz-target:AWSStepFunctions.CreateActivity" in data["message"], data

    names = activity_names(secured.endpoint)
    assert not names & {"tampered-a", "tampered-b", "tampered-header"}, names

    status, data = post(secured.endpoint, signed(secured.endpoint, "CreateActivity", body), body)
    assert status == 200, data
    assert "tampered-a" in activity_names(secured.endpoint)


def create_signed_at(endpoint, name, skew):
    body = activity_body(name)
    headers = signed(endpoint, "CreateActivity", body, skew=skew)
    status, data = post(endpoint, headers, body)
    return status, data, headers["X-Amz-Date"]


def assert_expired(endpoint, name, skew, minutes):
    """A CreateActivity signed `skew` seconds ago is refused with AWS's expiry message."""
    status, data, date = create_signed_at(endpoint, name, -skew)
    assert status == REFUSED, data
    assert data["__type"] == "InvalidSignatureException"
    match = re.fullmatch(rf"Signature expired: {STAMP} is now earlier than {STAMP} "
                         rf"\({STAMP} - {minutes} min\.\)", data["message"])
    assert match, data["message"]
    assert match.group(1) == date


def assert_not_yet_current(endpoint, name, skew, minutes):
    """A CreateActivity signed `skew` seconds in the future is refused with AWS's message."""
    status, data, date = create_signed_at(endpoint, name, skew)
    assert status == REFUSED, data
    assert data["__type"] == "InvalidSignatureException"
    match = re.fullmatch(rf"Signature not yet current: {STAMP} is still later than {STAMP} "
                         rf"\({STAMP} \+ {minutes} min\.\)", data["message"])
    assert match, data["message"]
    assert match.group(1) == date


def test_the_clock_skew_is_five_minutes_either_way_unless_configured(binary, secured,
                                                                     credentials_file):
    """Signed six minutes ago is `Signature expired`, six minutes ahead `Signature not yet
    current`, and neither creates anything; four minutes either way is served. With
    `--max-clock-skew 900` six minutes ago is served and sixteen minutes either way refused,
    the messages naming the 15 minutes."""
    assert_expired(secured.endpoint, "six-minutes-ago", 360, 5)
    assert_not_yet_current(secured.endpoint, "six-minutes-ahead", 360, 5)
    for name, skew in (("four-minutes-ago", -240), ("four-minutes-ahead", 240)):
        status, data, _ = create_signed_at(secured.endpoint, name, skew)
        assert status == 200, data
    names = activity_names(secured.endpoint)
    assert {"four-minutes-ago", "four-minutes-ahead"} <= names
    assert not names & {"six-minutes-ago", "six-minutes-ahead"}, names

    with running_server(binary, "switchback-skew-",
                        ("--credentials", credentials_file, "--max-clock-skew", "900")) as srv:
        status, data, _ = create_signed_at(srv.endpoint, "six-minutes-ago", -360)
        assert status == 200, data
        assert_expired(srv.endpoint, "sixteen-minutes-ago", 960, 15)
        assert_not_yet_current(srv.endpoint, "sixteen-minutes-ahead", 960, 15)
        assert activity_names(srv.endpoint) == {"six-minutes-ago"}


def test_a_replayed_request_is_served_only_within_the_clock_skew(secured):
    """SigV4 has no nonce: a captured StartExecution sent again byte for byte within the skew is
    served like AWS serves it, and since StartExecution with the same name and input is
    idempotent the replay answers the same execution and starts no other. A request signed
    six minutes ago, what a capture replayed after the window amounts to, is refused and
    starts nothing."""
    sfn = client(secured.endpoint)
    machine = sfn.create_state_machine(name="replayed", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Hold",
        "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }))["stateMachineArn"]
    body = json.dumps({"stateMachineArn": machine, "name": "captured",
                       "input": "{\"n\": 1}"}).encode()
    captured = signed(secured.endpoint, "StartExecution", body)
    first = post(secured.endpoint, captured, body)
    replayed = post(secured.endpoint, captured, body)
    assert first[0] == 200, first
    assert replayed == first
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [execution["name"] for execution in executions] == ["captured"]

    late = json.dumps({"stateMachineArn": machine, "name": "replayed-late",
                       "input": "{\"n\": 1}"}).encode()
    status, data = post(secured.endpoint,
                        signed(secured.endpoint, "StartExecution", late, skew=-360), late)
    assert status == REFUSED, data
    assert data["__type"] == "InvalidSignatureException"
    assert data["message"].startswith("Signature expired: "), data
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1


def aws_cli(endpoint, home, secret):
    """`aws stepfunctions list-activities` with these keys in the environment and no other
    configuration."""
    env = {
        "PATH": os.environ["PATH"], "HOME": str(home),
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
    }
    cli = shutil.which("aws")
    assert cli, "the aws CLI is not installed"
    return subprocess.run([cli, "stepfunctions", "list-activities", "--endpoint-url", endpoint,
                           "--region", REGION, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=60)


def test_the_aws_cli_is_served_with_the_right_keys_only(secured, tmp_path):
    """The aws CLI, signing with the keys of its environment, lists activities; with a wrong
    secret it exits non-zero and names `InvalidSignatureException`."""
    client(secured.endpoint).create_activity(name="for-the-cli")
    result = aws_cli(secured.endpoint, tmp_path, SECRET)
    assert result.returncode == 0, result.stderr
    names = {activity["name"] for activity in json.loads(result.stdout)["activities"]}
    assert "for-the-cli" in names

    result = aws_cli(secured.endpoint, tmp_path, WRONG_SECRET)
    assert result.returncode != 0
    assert ("An error occurred (InvalidSignatureException) when calling the ListActivities "
            "operation: " + MISMATCH) in result.stderr, result.stderr
    assert result.stdout == ""


def basic(key_id, secret):
    return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()


def signed_get(endpoint, path, secret=SECRET):
    request = AWSRequest(method="GET", url=endpoint + path,
                         headers={"Host": endpoint.removeprefix("http://")})
    sign(request, KEY_ID, secret, REGION, "states", 0)
    return dict(request.headers.items())


def assert_prometheus(answer):
    status, headers, data = answer
    assert status == 200, data
    assert headers["content-type"].startswith("text/plain; version=0.0.4"), headers
    assert b"# TYPE " in data, data


def test_metrics_need_credentials_when_the_server_has_them(binary, secured):
    """The rule: `/health` is open to everyone; `/metrics` is open only on a server without
    `--credentials`, and on one with them needs a SigV4-signed GET or a configured key pair as
    HTTP Basic credentials (what Prometheus can send). Anything else is refused with 400."""
    assert send(secured.endpoint, "GET", "/health", {})[0] == 200

    status, _, data = send(secured.endpoint, "GET", "/metrics", {})
    assert (status, data) == (REFUSED, {"__type": "MissingAuthenticationTokenException",
                                    "message": "Request is missing Authentication Token"})
    assert_prometheus(send(secured.endpoint, "GET", "/metrics",
                           {"Authorization": basic(KEY_ID, SECRET)}))
    assert_prometheus(send(secured.endpoint, "GET", "/metrics",
                           {"Authorization": basic(OTHER_KEY_ID, OTHER_SECRET)}))
    status, _, data = send(secured.endpoint, "GET", "/metrics",
                           {"Authorization": basic(KEY_ID, WRONG_SECRET)})
    assert (status, data) == (REFUSED, {"__type": "UnrecognizedClientException",
                                    "message": INVALID_KEY})
    assert_prometheus(send(secured.endpoint, "GET", "/metrics",
                           signed_get(secured.endpoint, "/metrics")))
    status, _, data = send(secured.endpoint, "GET", "/metrics",
                           signed_get(secured.endpoint, "/metrics", WRONG_SECRET))
    assert status == REFUSED
    assert data["__type"] == "InvalidSignatureException"

    with running_server(binary, "switchback-open-", ()) as srv:
        assert_prometheus(send(srv.endpoint, "GET", "/metrics", {}))


def signature_of(headers):
    return re.search(r"Signature=([0-9a-f]{64})", headers["Authorization"]).group(1)


def test_credentials_never_reach_the_log(binary, credentials_file, monkeypatch):
    """At `RUST_LOG=trace`, after served and refused requests (a wrong secret, Basic and signed
    `/metrics`, a wrong Basic secret, an incomplete signature whose message echoes the header),
    the server's log holds none of the secrets, none of the signatures sent and no Basic token,
    although it logged the requests (colours taken out, so that none hides a value)."""
    monkeypatch.setenv("RUST_LOG", "trace")
    with running_server(binary, "switchback-log-", ("--credentials", credentials_file)) as srv:
        good_body = activity_body("logged")
        good = signed(srv.endpoint, "CreateActivity", good_body)
        assert post(srv.endpoint, good, good_body)[0] == 200
        wrong = signed(srv.endpoint, "CreateActivity", good_body, secret=WRONG_SECRET)
        assert post(srv.endpoint, wrong, good_body)[0] == REFUSED
        other = signed(srv.endpoint, "ListActivities", b"{}",
                       key_id=OTHER_KEY_ID, secret=OTHER_SECRET)
        assert post(srv.endpoint, other, b"{}")[0] == 200
        incomplete = dict(good, Authorization=re.sub(r"SignedHeaders=[^,]*, ", "",
                                                     good["Authorization"]))
        status, data = post(srv.endpoint, incomplete, good_body)
        assert (status, data["__type"]) == (400, "IncompleteSignatureException")
        assert signature_of(good) in data["message"]
        tokens = [basic(KEY_ID, SECRET), basic(KEY_ID, WRONG_SECRET)]
        assert send(srv.endpoint, "GET", "/metrics", {"Authorization": tokens[0]})[0] == 200
        assert send(srv.endpoint, "GET", "/metrics", {"Authorization": tokens[1]})[0] == REFUSED
        metrics = signed_get(srv.endpoint, "/metrics")
        assert send(srv.endpoint, "GET", "/metrics", metrics)[0] == 200
        srv.stop()
        with open(os.path.join(srv.data_dir, "server.log"), encoding="utf-8",
                  errors="replace") as handle:
            log = re.sub(r"\x1b\[[0-9;]*m", "", handle.read())

    # Nothing in the binary logs below DEBUG; DEBUG lines show that RUST_LOG took effect.
    assert "DEBUG" in log and "uri=/metrics" in log, log[-2000:]
    forbidden = [SECRET, OTHER_SECRET, WRONG_SECRET,
                 *(signature_of(headers) for headers in (good, wrong, other, metrics)),
                 *(token.removeprefix("Basic ") for token in tokens)]
    leaked = [value for value in forbidden if value in log]
    assert leaked == [], leaked
