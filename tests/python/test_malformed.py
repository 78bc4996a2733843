"""Issue 11's malformed-request catalogue: raw HTTP that no SDK would send, each answered with
AWS's error and none of it changing anything.

Every case is one request, sent with http.client to a server of this module's own (so that the
"nothing changed" snapshot is exact). Around every case the module takes a snapshot of
ListStateMachines, ListActivities, the executions, versions, aliases and tags of a known state
machine (with each one described) and asserts the case left it as it was.

Where the expectations come from (each case names its source in `src`):
- `rec`: AWS's own answers recorded by LocalStack against real AWS
  (/work/shared/conformance/localstack, snapshot files and API-SEQUENCES.md);
- `model`: the API model (/work/shared/spec/stepfunctions-service-2.json): lengths, ranges,
  enums, patterns, required members, which Coral reports as ValidationException in the recorded
  format `1 validation error detected: Value '<v>' at '<path>' failed to satisfy constraint: ...`
  (aws-semantics.md 7.1; the name > 80 wording is also in a real AWS answer quoted in
  github.com/wolfeidau/buildkite-serverless-agent/issues/37);
- `spec`: /work/shared/spec/aws-semantics.md (name rules 1.5, definition messages 6.12, errors 7.1);
- `smithy`: the Smithy protocol compliance tests (smithy-lang/smithy,
  smithy-aws-protocol-tests/model/restJson1/malformedRequests/*.smithy and
  awsJson1_0/content-type.smithy): invalid JSON, a body that is not an object, a value of the
  wrong JSON type, overflow, NaN and null list items are 400 SerializationException;
- `coral`: how Coral's AWS JSON front end answers protocol errors, known from DynamoDB (another
  awsJson1_0 service): dynalite, written against DynamoDB's answers (github.com/architect/dynalite
  index.js: a method other than POST or an unknown content type is 404, unparseable JSON is 400
  SerializationException, an unknown target 400 UnknownOperationException, a body over the limit
  413), real DynamoDB answering 404 to `application/x-amz-json-1.1`
  (github.com/rusoto/rusoto/issues/215, github.com/huseyinbabal/taws/issues/165) and CloudWatch
  Logs answering 400 `{"__type":"UnknownOperationException"}` (github.com/aws/aws-sdk-net/issues/1536).
Where AWS's exact message is not known the case checks the type and that the message names the
problem; where even the type is not known for certain (`types=`), it names the few AWS could send.
"""
import dataclasses
import http.client
import json
import time
import uuid
from typing import Any, Callable, Optional

import pytest

from conftest import ROLE, running_server

JSON10 = "application/x-amz-json-1.0"
SFN = "AWSStepFunctions."
REGION = "us-east-1"
ACCOUNT = "123456789012"
PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:"

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


# --- the wire ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Response:
    status: int
    headers: dict  # lower-case names
    raw: bytes

    def json(self):
        return json.loads(self.raw.decode("utf-8"))


def send(port, target, body=b"{}", content_type=JSON10, method="POST", path="/", headers=None):
    """One raw request. `target` or `content_type` None leaves that header out."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)  # ASCII only: non-ASCII characters are sent as \\u escapes
    if isinstance(body, str):
        body = body.encode("utf-8")
    head = {}
    if content_type is not None:
        head["Content-Type"] = content_type
    if target is not None:
        head["X-Amz-Target"] = target
    head.update(headers or {})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=70)
    try:
        connection.request(method, path, body=body if method != "GET" else None, headers=head)
        answer = connection.getresponse()
        raw = answer.read()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, raw)
    finally:
        connection.close()


def call(port, operation, body=None):
    """A well-formed call that must succeed."""
    response = send(port, SFN + operation, body if body is not None else {})
    assert response.status == 200, (operation, response.status, response.raw[:500])
    return response.json() if response.raw.strip() else {}


def sanitize(error_type):
    """How clients read `__type` (aws-semantics.md 7.1, Smithy): before `:`, after `#`."""
    return error_type.split(":")[0].split("#")[-1]


# --- the world the catalogue must leave alone -------------------------------------------------

class World:
    def __init__(self, server):
        self.port = server.port
        tag = uuid.uuid4().hex[:6]
        self.machine_name = f"known-{tag}"
        created = call(self.port, "CreateStateMachine", {
            "name": self.machine_name, "definition": PASS, "roleArn": ROLE, "publish": True,
            "tags": [{"key": "team", "value": "core"}]})
        self.machine = created["stateMachineArn"]
        self.version = created["stateMachineVersionArn"]
        self.alias = call(self.port, "CreateStateMachineAlias", {
            "name": "live", "routingConfiguration": [
                {"stateMachineVersionArn": self.version, "weight": 100}]})["stateMachineAliasArn"]
        self.activity_name = f"known-activity-{tag}"
        self.activity = call(self.port, "CreateActivity", {
            "name": self.activity_name, "tags": [{"key": "team", "value": "core"}]})["activityArn"]
        self.execution = call(self.port, "StartExecution", {
            "stateMachineArn": self.machine, "name": "first", "input": "{}"})["executionArn"]
        deadline = time.time() + 30
        while call(self.port, "DescribeExecution",
                   {"executionArn": self.execution})["status"] == "RUNNING":
            assert time.time() < deadline, "the known execution did not end"
            time.sleep(0.05)
        self.first_snapshot = self.snapshot()

    def _all(self, operation, body, key):
        items, token = [], None
        while True:
            page = call(self.port, operation, dict(body, **({"nextToken": token} if token else {})))
            items.extend(page.get(key, []))
            token = page.get("nextToken")
            if not token:
                return items

    def snapshot(self):
        port = self.port
        machines = self._all("ListStateMachines", {"maxResults": 1000}, "stateMachines")
        activities = self._all("ListActivities", {"maxResults": 1000}, "activities")
        state = {
            "machines": sorted(json.dumps(m, sort_keys=True) for m in machines),
            "described machines": {
                m["stateMachineArn"]: call(port, "DescribeStateMachine",
                                           {"stateMachineArn": m["stateMachineArn"]})
                for m in machines},
            "activities": sorted(json.dumps(a, sort_keys=True) for a in activities),
            "described activities": {
                a["activityArn"]: call(port, "DescribeActivity", {"activityArn": a["activityArn"]})
                for a in activities},
        }
        for arn in [m["stateMachineArn"] for m in machines]:
            state[f"executions of {arn}"] = self._all(
                "ListExecutions", {"stateMachineArn": arn, "maxResults": 1000}, "executions")
            state[f"versions of {arn}"] = self._all(
                "ListStateMachineVersions", {"stateMachineArn": arn}, "stateMachineVersions")
            aliases = self._all("ListStateMachineAliases", {"stateMachineArn": arn},
                                "stateMachineAliases")
            state[f"aliases of {arn}"] = [
                call(port, "DescribeStateMachineAlias",
                     {"stateMachineAliasArn": a["stateMachineAliasArn"]}) for a in aliases]
            state[f"tags of {arn}"] = call(port, "ListTagsForResource", {"resourceArn": arn})
        for arn in [a["activityArn"] for a in activities]:
            state[f"tags of {arn}"] = call(port, "ListTagsForResource", {"resourceArn": arn})
        state["history of the known execution"] = call(
            port, "GetExecutionHistory", {"executionArn": self.execution})
        return state


@pytest.fixture(scope="module")
def world(binary):
    with running_server(binary, "switchback-malformed-") as server:
        yield World(server)


# --- the catalogue ----------------------------------------------------------------------------

def coral(path, value, constraint, shown=True):
    """Coral's message for one violation (aws-semantics.md 7.1)."""
    where = f"Value '{value}' at '{path}'" if shown else f"Value at '{path}'"
    return f"1 validation error detected: {where} failed to satisfy constraint: Member must {constraint}"


@dataclasses.dataclass
class Case:
    id: str
    src: str
    op: Optional[str]  # the operation; None sends no X-Amz-Target
    body: Any = dataclasses.field(default_factory=dict)  # a value, text, bytes or f(world)
    status: int = 400
    type: Optional[str] = None  # the `__type`, once sanitized
    types: tuple = ()  # when AWS's type is one of these (not known more precisely)
    message: Any = None  # the exact message, or f(world)
    has: tuple = ()  # fragments the message must contain (or f(world) giving them)
    target: Optional[str] = None  # a raw X-Amz-Target, when `op` does not say it
    content_type: Optional[str] = JSON10
    method: str = "POST"
    aws_json: bool = True  # whether AWS answers in its JSON error shape

    def value(self, item, world):
        return item(world) if callable(item) else item


def bad_names():
    recorded = [" ", "<", ">", "{", "}", "[", "]", "?", "*", '"', "%", "\\", "^", "$", ",",
                ";", ":", "/"]
    cases = [Case(f"activity-name-with-{c!r}", "rec", "CreateActivity",
                  {"name": f"activity{c}name"}, type="InvalidName",
                  message=f"Invalid Name: 'activity{c}name'") for c in recorded]
    cases += [
        Case("activity-name-NUL-first", "rec", "CreateActivity", {"name": "\u0000activity"},
             type="InvalidName", message="Invalid Name: '\u0000activity'"),
        Case("activity-name-DEL-last", "rec", "CreateActivity", {"name": "activity\u007f"},
             type="InvalidName", message="Invalid Name: 'activity\u007f'"),
    ]
    spec_only = ["#", "|", "~", "`", "&", "\t", "\n", "\r", "\u001f", "\u0080", "\u0085",
                 "\u009f", "\u2003", "\u3000", "\ufffe", "\uffff"]
    cases += [Case(f"activity-name-with-U+{ord(c):04X}", "spec", "CreateActivity",
                   {"name": f"a{c}b"}, type="InvalidName", message=f"Invalid Name: 'a{c}b'")
              for c in spec_only]
    cases += [
        # U+FFFF as raw UTF-8 (EF BF BF) rather than as an escape.
        Case("activity-name-raw-utf8-U+FFFF", "spec", "CreateActivity",
             '{"name": "a\uffffb"}'.encode("utf-8"), type="InvalidName",
             message="Invalid Name: 'a\uffffb'"),
        # A lone surrogate: names may not hold surrogates (spec 1.5); whether AWS's parser or
        # its name check refuses it is not recorded.
        Case("activity-name-lone-surrogate-escape", "spec", "CreateActivity",
             b'{"name": "a\\ud800b"}', types=("InvalidName", "SerializationException")),
        Case("activity-name-lone-low-surrogate-escape", "spec", "CreateActivity",
             b'{"name": "a\\udc00"}', types=("InvalidName", "SerializationException")),
        Case("machine-name-with-space", "spec", "CreateStateMachine",
             {"name": "bad name", "definition": PASS, "roleArn": ROLE},
             type="InvalidName", message="Invalid Name: 'bad name'"),
        Case("machine-name-with-slash", "spec", "CreateStateMachine",
             {"name": "bad/name", "definition": PASS, "roleArn": ROLE},
             type="InvalidName", message="Invalid Name: 'bad/name'"),
        Case("execution-name-with-colon", "spec", "StartExecution",
             lambda w: {"stateMachineArn": w.machine, "name": "bad:name"},
             type="InvalidName", message="Invalid Name: 'bad:name'"),
        Case("execution-name-with-NUL", "spec", "StartExecution",
             lambda w: {"stateMachineArn": w.machine, "name": "bad\u0000"},
             type="InvalidName", message="Invalid Name: 'bad\u0000'"),
    ]
    return cases


LONG81 = "a" * 81
LONG_TOKEN = "x" * 1025
LONG_EXEC_TOKEN = "x" * 3097
STATUSES = "[SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]"
FAKE_EXECUTION = PREFIX + "execution:nobody:nothing"
ALIAS_PATTERN = r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$"


def alias_case(id_, src, routing, name="fresh", **expect):
    return Case(id_, src, "CreateStateMachineAlias",
                lambda w: {"name": name, "routingConfiguration": routing(w)}, **expect)


CASES = [
    # -- the protocol: content type, target, method ------------------------------------------
    Case("content-type-text-plain", "coral", "CreateActivity", {"name": "ct-text"},
         content_type="text/plain", status=404, aws_json=False),
    Case("content-type-missing", "coral", "CreateActivity", {"name": "ct-none"},
         content_type=None, status=404, aws_json=False),
    Case("content-type-json-1.1", "coral", "CreateActivity", {"name": "ct-11"},
         content_type="application/x-amz-json-1.1", status=404, aws_json=False),
    Case("content-type-form", "coral", "CreateActivity", {"name": "ct-form"},
         content_type="application/x-www-form-urlencoded", status=404, aws_json=False),
    Case("method-GET", "coral", "ListStateMachines", b"", method="GET", status=404,
         aws_json=False),
    Case("method-PUT", "coral", "CreateActivity", {"name": "put"}, method="PUT", status=404,
         aws_json=False),
    Case("target-missing", "coral", None, type="UnknownOperationException"),
    Case("target-empty", "coral", None, target="", type="UnknownOperationException"),
    Case("target-other-service", "coral", None, target="DynamoDB_20120810.ListTables",
         type="UnknownOperationException"),
    Case("target-no-operation", "coral", None, target="AWSStepFunctions",
         type="UnknownOperationException"),
    Case("target-unknown-operation", "coral", None, target="AWSStepFunctions.DescribeEverything",
         type="UnknownOperationException"),
    Case("target-unknown-create", "coral", None, target="AWSStepFunctions.CreateActivities",
         body={"name": "plural"}, type="UnknownOperationException"),

    # -- bodies that are not JSON, or not an object -------------------------------------------
    Case("json-truncated", "smithy", "CreateActivity", '{"name": "trunc"', type="SerializationException"),
    Case("json-unclosed-list", "smithy", "CreateActivity", '{"name": "x", "tags": [{"key": "k"}',
         type="SerializationException"),
    Case("json-trailing-garbage", "smithy", "CreateActivity", '{"name": "trail"}abc',
         type="SerializationException"),
    Case("json-leading-garbage", "smithy", "CreateActivity", 'abc{"name": "lead"}',
         type="SerializationException"),
    Case("json-two-documents", "smithy", "CreateActivity", '{"name": "one"}{"name": "two"}',
         type="SerializationException"),
    Case("json-line-comment", "smithy", "CreateActivity", '{"name": "c" // comment\n}',
         type="SerializationException"),
    Case("json-block-comment", "smithy", "CreateActivity", '{"name": /* c */ "c"}',
         type="SerializationException"),
    Case("json-single-quotes", "smithy", "CreateActivity", "{'name': 'quoted'}",
         type="SerializationException"),
    Case("json-trailing-comma", "smithy", "CreateActivity", '{"name": "comma",}',
         type="SerializationException"),
    Case("json-form-feed-whitespace", "smithy", "ListStateMachines", '{"maxResults" :\u000c10}',
         type="SerializationException"),
    Case("json-NaN", "smithy", "ListStateMachines", '{"maxResults": NaN}', type="SerializationException"),
    Case("json-Infinity", "smithy", "ListStateMachines", '{"maxResults": Infinity}',
         type="SerializationException"),
    Case("json-minus-Infinity", "smithy", "ListStateMachines", '{"maxResults": -Infinity}',
         type="SerializationException"),
    Case("json-hex-number", "smithy", "ListStateMachines", '{"maxResults": 0x42}',
         type="SerializationException"),
    Case("json-bare-word-number", "smithy", "ListStateMachines", '{"maxResults": 2ABC}',
         type="SerializationException"),
    Case("json-invalid-utf8", "smithy", "CreateActivity", b'{"name": "bad\xff\xfe"}',
         type="SerializationException"),
    # Not UTF-8 either, but a lenient decoder reads them as '/' and as a surrogate, which the
    # name rules refuse: AWS answers one of the two.
    Case("json-overlong-utf8", "smithy", "CreateActivity", b'{"name": "bad\xc0\xaf"}',
         types=("SerializationException", "InvalidName")),
    Case("json-utf8-encoded-surrogate", "smithy", "CreateActivity", b'{"name": "bad\xed\xa0\x80"}',
         types=("SerializationException", "InvalidName")),
    Case("json-raw-control-char-in-string", "smithy", "CreateActivity", b'{"name": "a\x01b"}',
         type="SerializationException"),
    Case("body-array", "smithy", "ListStateMachines", '[{"maxResults": 10}]', type="SerializationException"),
    Case("body-empty-array", "smithy", "CreateActivity", "[]", type="SerializationException"),
    Case("body-number", "smithy", "ListStateMachines", "10", type="SerializationException"),
    Case("body-null", "smithy", "ListStateMachines", "null", type="SerializationException"),
    Case("body-string", "smithy", "CreateActivity", '"name"', type="SerializationException"),
    Case("body-true", "smithy", "ListStateMachines", "true", type="SerializationException"),

    # -- members of the wrong JSON type --------------------------------------------------------
    Case("integer-as-string", "smithy", "ListStateMachines", {"maxResults": "10"}, type="SerializationException"),
    Case("integer-as-float", "smithy", "ListStateMachines", {"maxResults": 1.001}, type="SerializationException"),
    # Found by fuzzing: a whole number written as a float passed the model's check and failed the
    # typed input's; both refuse it now, as the wrong type.
    Case("integer-as-negative-zero", "model", "CreateStateMachineAlias",
         {"name": "main", "routingConfiguration": [
             {"stateMachineVersionArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m:1",
              "weight": -0.0}]}, type="SerializationException"),
    Case("integer-as-whole-float", "model", "ListStateMachines", {"maxResults": 10.0},
         type="SerializationException"),
    Case("integer-as-boolean", "smithy", "ListStateMachines", {"maxResults": True}, type="SerializationException"),
    Case("integer-as-list", "smithy", "ListActivities", {"maxResults": [10]}, type="SerializationException"),
    Case("integer-as-string-NaN", "smithy", "ListStateMachines", {"maxResults": "NaN"},
         type="SerializationException"),
    Case("integer-overflow-long", "smithy", "ListStateMachines", '{"maxResults": 9223372000000000000}',
         type="SerializationException"),
    Case("integer-underflow-long", "smithy", "ListStateMachines", '{"maxResults": -9223372000000000000}',
         type="SerializationException"),
    Case("integer-overflow-huge", "smithy", "ListStateMachines", '{"maxResults": 123000000000000000000000}',
         type="SerializationException"),
    Case("integer-overflow-exponent", "smithy", "ListStateMachines", '{"maxResults": 1e40}',
         type="SerializationException"),
    Case("boolean-as-string", "smithy", "CreateStateMachine",
         {"name": "bool-str", "definition": PASS, "roleArn": ROLE, "publish": "true"},
         type="SerializationException"),
    Case("boolean-as-number", "smithy", "GetExecutionHistory",
         lambda w: {"executionArn": w.execution, "reverseOrder": 1}, type="SerializationException"),
    Case("boolean-as-yes", "smithy", "GetExecutionHistory",
         lambda w: {"executionArn": w.execution, "includeExecutionData": "yes"},
         type="SerializationException"),
    Case("string-as-object", "smithy", "CreateActivity", {"name": {"first": "a"}}, type="SerializationException"),
    Case("string-as-list", "smithy", "CreateActivity", {"name": ["a"]}, type="SerializationException"),
    Case("string-as-boolean", "smithy", "DescribeStateMachine", {"stateMachineArn": True},
         type="SerializationException"),
    Case("execution-input-as-object", "smithy", "StartExecution",
         lambda w: {"stateMachineArn": w.machine, "input": {"a": 1}}, type="SerializationException"),
    Case("definition-as-object", "smithy", "CreateStateMachine",
         {"name": "def-obj", "definition": json.loads(PASS), "roleArn": ROLE},
         type="SerializationException"),
    Case("list-as-object", "smithy", "CreateActivity", {"name": "tags-obj", "tags": {"key": "v"}},
         type="SerializationException"),
    Case("list-as-string", "smithy", "UntagResource",
         lambda w: {"resourceArn": w.machine, "tagKeys": "team"}, type="SerializationException"),
    Case("list-null-item", "smithy", "UntagResource",
         lambda w: {"resourceArn": w.machine, "tagKeys": ["team", None]}, type="SerializationException"),
    Case("list-of-structures-null-item", "smithy", "TagResource",
         lambda w: {"resourceArn": w.machine, "tags": [{"key": "k", "value": "v"}, None]},
         type="SerializationException"),
    Case("structure-as-list", "smithy", "CreateStateMachine",
         {"name": "trace-list", "definition": PASS, "roleArn": ROLE,
          "tracingConfiguration": [True]}, type="SerializationException"),
    Case("structure-as-string", "smithy", "CreateActivity",
         {"name": "tag-str", "tags": ["team=core"]}, type="SerializationException"),

    # -- missing and null required members ------------------------------------------------------
    Case("required-missing-name", "model", "CreateActivity", {}, type="ValidationException",
         message="1 validation error detected: Value null at 'name' failed to satisfy "
                 "constraint: Member must not be null"),
    Case("required-null-name", "model", "CreateActivity", {"name": None}, type="ValidationException",
         message="1 validation error detected: Value null at 'name' failed to satisfy "
                 "constraint: Member must not be null"),
    Case("required-missing-arn", "model", "DescribeStateMachine", {}, type="ValidationException",
         message="1 validation error detected: Value null at 'stateMachineArn' failed to "
                 "satisfy constraint: Member must not be null"),
    Case("required-missing-three", "model", "CreateStateMachine", {}, type="ValidationException",
         has=("3 validation errors detected: ", "Value null at 'name'",
              "Value null at 'definition'", "Value null at 'roleArn'", "must not be null")),
    Case("required-missing-role", "model", "CreateStateMachine",
         {"name": "no-role", "definition": PASS}, type="ValidationException",
         message="1 validation error detected: Value null at 'roleArn' failed to satisfy "
                 "constraint: Member must not be null"),
    Case("required-missing-tags", "model", "TagResource", lambda w: {"resourceArn": w.machine},
         type="ValidationException",
         message="1 validation error detected: Value null at 'tags' failed to satisfy "
                 "constraint: Member must not be null"),
    Case("required-missing-token", "model", "SendTaskSuccess", {"output": "{}"},
         type="ValidationException",
         message="1 validation error detected: Value null at 'taskToken' failed to satisfy "
                 "constraint: Member must not be null"),
    Case("required-missing-routing", "model", "CreateStateMachineAlias", {"name": "no-routing"},
         type="ValidationException",
         message="1 validation error detected: Value null at 'routingConfiguration' failed to "
                 "satisfy constraint: Member must not be null"),
    Case("update-with-nothing", "rec", "UpdateStateMachine", lambda w: {"stateMachineArn": w.machine},
         type="MissingRequiredParameter",
         message="Either the definition, the role ARN, the LoggingConfiguration, or the "
                 "TracingConfiguration must be specified"),

    # -- lengths, ranges, enums, patterns -------------------------------------------------------
    Case("activity-name-81", "model", "CreateActivity", {"name": LONG81}, type="ValidationException",
         message=coral("name", LONG81, "have length less than or equal to 80")),
    Case("machine-name-81", "model", "CreateStateMachine",
         {"name": LONG81, "definition": PASS, "roleArn": ROLE}, type="ValidationException",
         message=coral("name", LONG81, "have length less than or equal to 80")),
    Case("execution-name-81", "model", "StartExecution",
         lambda w: {"stateMachineArn": w.machine, "name": LONG81}, type="ValidationException",
         message=coral("name", LONG81, "have length less than or equal to 80")),
    Case("activity-name-empty", "model", "CreateActivity", {"name": ""}, type="ValidationException",
         message=coral("name", "", "have length greater than or equal to 1")),
    Case("role-arn-empty", "model", "CreateStateMachine",
         {"name": "empty-role", "definition": PASS, "roleArn": ""}, type="ValidationException",
         message=coral("roleArn", "", "have length greater than or equal to 1")),
    Case("arn-257", "model", "DescribeStateMachine", {"stateMachineArn": PREFIX + "stateMachine:" + "m" * 208},
         type="ValidationException",
         message=coral("stateMachineArn", PREFIX + "stateMachine:" + "m" * 208,
                       "have length less than or equal to 256")),
    Case("list-machines-max-1001", "rec", "ListStateMachines", {"maxResults": 1001},
         type="ValidationException", message=coral("maxResults", 1001, "have value less than or equal to 1000")),
    Case("list-activities-max-negative", "model", "ListActivities", {"maxResults": -1},
         type="ValidationException", message=coral("maxResults", -1, "have value greater than or equal to 0")),
    Case("list-executions-max-1001", "rec", "ListExecutions",
         lambda w: {"stateMachineArn": w.machine, "maxResults": 1001}, type="ValidationException",
         message=coral("maxResults", 1001, "have value less than or equal to 1000")),
    Case("list-versions-max-1001", "rec", "ListStateMachineVersions",
         lambda w: {"stateMachineArn": w.machine, "maxResults": 1001}, type="ValidationException",
         message=coral("maxResults", 1001, "have value less than or equal to 1000")),
    Case("list-aliases-max-1001", "rec", "ListStateMachineAliases",
         lambda w: {"stateMachineArn": w.machine, "maxResults": 1001}, type="ValidationException",
         message=coral("maxResults", 1001, "have value less than or equal to 1000")),
    Case("history-max-negative", "model", "GetExecutionHistory",
         lambda w: {"executionArn": w.execution, "maxResults": -5}, type="ValidationException",
         message=coral("maxResults", -5, "have value greater than or equal to 0")),
    Case("list-machines-token-1025", "rec", "ListStateMachines", {"nextToken": LONG_TOKEN},
         type="ValidationException", message=coral("nextToken", LONG_TOKEN, "have length less than or equal to 1024")),
    Case("list-executions-token-3097", "rec", "ListExecutions",
         lambda w: {"stateMachineArn": w.machine, "nextToken": LONG_EXEC_TOKEN},
         type="ValidationException",
         message=coral("nextToken", LONG_EXEC_TOKEN, "have length less than or equal to 3096")),
    Case("list-machines-token-empty", "model", "ListStateMachines", {"nextToken": ""},
         type="ValidationException", message=coral("nextToken", "", "have length greater than or equal to 1")),
    Case("list-aliases-bad-token", "rec", "ListStateMachineAliases",
         lambda w: {"stateMachineArn": w.machine, "nextToken": "InvalidToken"},
         type="InvalidToken", message="Invalid Token: 'Invalid token'"),
    Case("list-machines-bad-token", "spec", "ListStateMachines", {"nextToken": "InvalidToken"},
         type="InvalidToken", has=("Invalid Token",)),
    Case("list-activities-bad-token", "spec", "ListActivities", {"nextToken": "garbage=="},
         type="InvalidToken", has=("Invalid Token",)),
    Case("list-executions-bad-token", "spec", "ListExecutions",
         lambda w: {"stateMachineArn": w.machine, "nextToken": "garbage"},
         type="InvalidToken", has=("Invalid Token",)),
    Case("status-filter-lower-case", "rec", "ListExecutions",
         lambda w: {"stateMachineArn": w.machine, "statusFilter": "succeeded"},
         type="ValidationException", message=coral("statusFilter", "succeeded", f"satisfy enum value set: {STATUSES}")),
    Case("status-filter-pending-redrive-with-machine", "spec", "ListExecutions",
         lambda w: {"stateMachineArn": w.machine, "statusFilter": "PENDING_REDRIVE"},
         type="ValidationException"),
    Case("two-violations", "model", "ListExecutions",
         lambda w: {"stateMachineArn": w.machine, "maxResults": 1001, "statusFilter": "DONE"},
         type="ValidationException",
         has=("2 validation errors detected: ", "Value '1001' at 'maxResults' failed to satisfy "
              "constraint: Member must have value less than or equal to 1000",
              "Value 'DONE' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: ")),
    Case("machine-type-lower-case", "model", "CreateStateMachine",
         {"name": "lower-type", "definition": PASS, "roleArn": ROLE, "type": "standard"},
         type="ValidationException",
         has=("1 validation error detected: Value 'standard' at 'type' failed to satisfy constraint: "
              "Member must satisfy enum value set: [", "STANDARD", "EXPRESS")),
    Case("included-data-unknown", "model", "DescribeStateMachine",
         lambda w: {"stateMachineArn": w.machine, "includedData": "ALL"}, type="ValidationException",
         has=("Value 'ALL' at 'includedData' failed to satisfy constraint: Member must satisfy enum value set: [",
              "ALL_DATA", "METADATA_ONLY")),
    Case("inspection-level-unknown", "model", "TestState",
         {"definition": json.dumps({"Type": "Pass", "End": True}), "inspectionLevel": "EVERYTHING"},
         type="ValidationException",
         has=("Value 'EVERYTHING' at 'inspectionLevel' failed to satisfy constraint: "
              "Member must satisfy enum value set: [", "INFO", "DEBUG", "TRACE")),
    Case("validate-severity-unknown", "model", "ValidateStateMachineDefinition",
         {"definition": PASS, "severity": "LOW"}, type="ValidationException",
         has=("Value 'LOW' at 'severity' failed to satisfy constraint: Member must satisfy enum value set: [",
              "ERROR", "WARNING")),
    Case("log-level-unknown", "model", "UpdateStateMachine",
         lambda w: {"stateMachineArn": w.machine, "loggingConfiguration": {"level": "VERBOSE"}},
         type="ValidationException",
         has=("Value 'VERBOSE' at 'loggingConfiguration.level' failed to satisfy constraint: "
              "Member must satisfy enum value set: [",)),
    Case("trace-header-not-ascii", "model", "StartExecution",
         lambda w: {"stateMachineArn": w.machine, "name": "trace", "traceHeader": "Root=\u00e9"},
         type="ValidationException",
         message=coral("traceHeader", "Root=\u00e9", r"satisfy regular expression pattern: \p{ASCII}*")),
    Case("trace-header-257", "model", "StartExecution",
         lambda w: {"stateMachineArn": w.machine, "name": "trace2", "traceHeader": "t" * 257},
         type="ValidationException",
         message=coral("traceHeader", "t" * 257, "have length less than or equal to 256")),
    Case("tag-key-129", "model", "TagResource",
         lambda w: {"resourceArn": w.machine, "tags": [{"key": "k" * 129, "value": "v"}]},
         type="ValidationException",
         message=coral("tags.1.member.key", "k" * 129, "have length less than or equal to 128")),
    Case("tag-key-empty-second", "model", "TagResource",
         lambda w: {"resourceArn": w.activity,
                    "tags": [{"key": "ok", "value": "v"}, {"key": "", "value": "v"}]},
         type="ValidationException",
         message=coral("tags.2.member.key", "", "have length greater than or equal to 1")),
    Case("tag-value-257", "model", "CreateActivity",
         {"name": "long-tag", "tags": [{"key": "k", "value": "v" * 257}]}, type="ValidationException",
         message=coral("tags.1.member.value", "v" * 257, "have length less than or equal to 256")),
    Case("untag-key-129", "model", "UntagResource",
         lambda w: {"resourceArn": w.machine, "tagKeys": ["team", "k" * 129]},
         type="ValidationException",
         message=coral("tagKeys.2.member", "k" * 129, "have length less than or equal to 128")),
    Case("stop-error-257", "model", "StopExecution",
         lambda w: {"executionArn": w.execution, "error": "e" * 257}, type="ValidationException",
         has=("1 validation error detected: ", "at 'error' failed to satisfy constraint: "
              "Member must have length less than or equal to 256")),
    Case("task-failure-cause-32769", "model", "SendTaskFailure",
         {"taskToken": "t", "cause": "c" * 32769}, type="ValidationException",
         has=("at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768",)),
    Case("task-token-2049", "model", "SendTaskHeartbeat", {"taskToken": "t" * 2049},
         type="ValidationException",
         message=coral("taskToken", "t" * 2049, "have length less than or equal to 2048")),
    Case("map-run-percentage-101", "model", "UpdateMapRun",
         {"mapRunArn": PREFIX + "mapRun:nobody/label:0", "toleratedFailurePercentage": 101},
         type="ValidationException",
         has=("at 'toleratedFailurePercentage' failed to satisfy constraint: "
              "Member must have value less than or equal to 100",)),
    Case("map-run-count-negative", "model", "UpdateMapRun",
         {"mapRunArn": PREFIX + "mapRun:nobody/label:0", "toleratedFailureCount": -1},
         type="ValidationException",
         message=coral("toleratedFailureCount", -1, "have value greater than or equal to 0")),
    Case("map-run-concurrency-negative", "model", "UpdateMapRun",
         {"mapRunArn": PREFIX + "mapRun:nobody/label:0", "maxConcurrency": -1},
         type="ValidationException",
         message=coral("maxConcurrency", -1, "have value greater than or equal to 0")),
    Case("redrive-client-token-space", "model", "RedriveExecution",
         lambda w: {"executionArn": w.execution, "clientToken": "a b"}, type="ValidationException",
         message=coral("clientToken", "a b", "satisfy regular expression pattern: [!-~]+")),

    # -- aliases ----------------------------------------------------------------------------------
    alias_case("alias-name-digits", "rec", lambda w: [{"stateMachineVersionArn": w.version, "weight": 100}],
               name="123", type="ValidationException",
               message=coral("name", "123", f"satisfy regular expression pattern: {ALIAS_PATTERN}")),
    alias_case("alias-name-81", "rec", lambda w: [{"stateMachineVersionArn": w.version, "weight": 100}],
               name="A" * 81, type="ValidationException",
               message=coral("name", "A" * 81, "have length less than or equal to 80")),
    alias_case("alias-name-space", "rec", lambda w: [{"stateMachineVersionArn": w.version, "weight": 100}],
               name="INVALID ALIAS", type="ValidationException",
               message=coral("name", "INVALID ALIAS", f"satisfy regular expression pattern: {ALIAS_PATTERN}")),
    alias_case("alias-name-bang", "rec", lambda w: [{"stateMachineVersionArn": w.version, "weight": 100}],
               name="!INVALID", type="ValidationException",
               message=coral("name", "!INVALID", f"satisfy regular expression pattern: {ALIAS_PATTERN}")),
    alias_case("alias-name-at", "rec", lambda w: [{"stateMachineVersionArn": w.version, "weight": 100}],
               name="ALIAS@", type="ValidationException",
               message=coral("name", "ALIAS@", f"satisfy regular expression pattern: {ALIAS_PATTERN}")),
    alias_case("alias-weight-101", "rec", lambda w: [{"stateMachineVersionArn": w.version, "weight": 101}],
               type="ValidationException",
               message=coral("routingConfiguration.1.member.weight", 101, "have value less than or equal to 100")),
    alias_case("alias-weight-negative", "model", lambda w: [{"stateMachineVersionArn": w.version, "weight": -1}],
               type="ValidationException",
               message=coral("routingConfiguration.1.member.weight", -1, "have value greater than or equal to 0")),
    alias_case("alias-weight-as-string", "smithy", lambda w: [{"stateMachineVersionArn": w.version, "weight": "100"}],
               type="SerializationException"),
    alias_case("alias-routing-empty", "model", lambda w: [], type="ValidationException",
               has=("at 'routingConfiguration' failed to satisfy constraint: "
                    "Member must have length greater than or equal to 1",)),
    alias_case("alias-routing-duplicate", "rec",
               lambda w: [{"stateMachineVersionArn": w.version, "weight": 50}] * 2,
               type="ValidationException",
               message=lambda w: "Routing configuration must contain distinct state machine version "
                                 f"ARNs. Received: [{w.version}, {w.version}]"),
    alias_case("alias-routing-unversioned", "rec",
               lambda w: [{"stateMachineVersionArn": w.machine, "weight": 100}],
               type="ValidationException",
               message=lambda w: "Routing configuration must contain state machine version ARNs. "
                                 f"Received: [{w.machine}]"),
    alias_case("alias-routing-sum-70", "rec",
               lambda w: [{"stateMachineVersionArn": w.version, "weight": 70}],
               type="ValidationException",
               message="Sum of routing configuration weights must equal 100. Received: [70]"),

    # -- ARNs -------------------------------------------------------------------------------------
    Case("arn-not-an-arn-describe-machine", "rec", "DescribeStateMachine", {"stateMachineArn": "not_a_valid_arn"},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"),
    Case("arn-not-an-arn-list-executions", "rec", "ListExecutions",
         {"stateMachineArn": "invalid_state_machine_arn"},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'"),
    Case("arn-not-an-arn-history", "rec", "GetExecutionHistory", {"executionArn": "invalid_state_machine_arn"},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'"),
    Case("arn-not-an-arn-describe-activity", "rec", "DescribeActivity", {"activityArn": "no_an_activity_arn"},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'"),
    Case("arn-not-an-arn-get-activity-task", "rec", "GetActivityTask", {"activityArn": "no_an_activity_arn"},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'"),
    Case("arn-not-an-arn-describe-execution", "rec", "DescribeExecution", {"executionArn": "nope"},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: nope'"),
    Case("arn-not-an-arn-start", "rec", "StartExecution", {"stateMachineArn": "nope", "name": "x"},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: nope'"),
    Case("arn-not-an-arn-delete-machine", "rec", "DeleteStateMachine", {"stateMachineArn": "nope"},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: nope'"),
    Case("arn-not-an-arn-stop", "rec", "StopExecution", {"executionArn": "nope"},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: nope'"),
    Case("arn-not-an-arn-tag", "rec", "TagResource", {"resourceArn": "nope", "tags": [{"key": "k", "value": "v"}]},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: nope'"),
    Case("arn-not-an-arn-role", "rec", "CreateStateMachine",
         {"name": "bad-role", "definition": PASS, "roleArn": "not-a-role-arn"},
         type="InvalidArn", message="Invalid Arn: 'Invalid ARN prefix: not-a-role-arn'"),
    Case("arn-other-service", "model", "DescribeStateMachine",
         {"stateMachineArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"},
         type="InvalidArn", has=("Invalid Arn: '",)),
    Case("arn-no-resource-name", "model", "DescribeStateMachine", {"stateMachineArn": PREFIX + "stateMachine:"},
         type="InvalidArn", has=("Invalid Arn: '",)),
    Case("arn-activity-as-machine", "model", "DescribeStateMachine", lambda w: {"stateMachineArn": w.activity},
         type="InvalidArn", has=("Invalid Arn: '",)),
    Case("arn-activity-as-machine-start", "model", "StartExecution",
         lambda w: {"stateMachineArn": w.activity, "name": "act"}, type="InvalidArn", has=("Invalid Arn: '",)),
    Case("arn-activity-as-machine-delete", "model", "DeleteStateMachine",
         lambda w: {"stateMachineArn": w.activity}, type="InvalidArn", has=("Invalid Arn: '",)),
    Case("arn-execution-as-machine-delete", "model", "DeleteStateMachine",
         lambda w: {"stateMachineArn": w.execution}, type="InvalidArn", has=("Invalid Arn: '",)),
    Case("arn-machine-as-execution", "model", "DescribeExecution", lambda w: {"executionArn": w.machine},
         type="InvalidArn", has=("Invalid Arn: '",)),
    Case("arn-machine-as-execution-stop", "model", "StopExecution", lambda w: {"executionArn": w.machine},
         type="InvalidArn", has=("Invalid Arn: '",)),
    Case("arn-machine-as-activity-delete", "model", "DeleteActivity", lambda w: {"activityArn": w.machine},
         type="InvalidArn", has=("Invalid Arn: '",)),
    Case("arn-version-as-activity-delete", "model", "DeleteActivity", lambda w: {"activityArn": w.version},
         type="InvalidArn", has=("Invalid Arn: '",)),
    Case("arn-machine-as-activity-poll", "model", "GetActivityTask", lambda w: {"activityArn": w.machine},
         type="InvalidArn", has=("Invalid Arn: '",)),
    # AWS's answer to a well-formed ARN of another region or account is not recorded: it is one
    # of these, and never the known machine of this region.
    Case("arn-other-region", "spec", "DescribeStateMachine",
         lambda w: {"stateMachineArn": w.machine.replace(REGION, "eu-west-1")},
         types=("StateMachineDoesNotExist", "InvalidArn", "AccessDeniedException")),
    Case("arn-other-account-start", "spec", "StartExecution",
         lambda w: {"stateMachineArn": w.machine.replace(ACCOUNT, "999999999999"), "name": "acct"},
         types=("StateMachineDoesNotExist", "InvalidArn", "AccessDeniedException")),

    # -- definitions and inputs -------------------------------------------------------------------
    Case("definition-not-json", "spec", "CreateStateMachine",
         {"name": "def-text", "definition": "not a definition", "roleArn": ROLE}, type="InvalidDefinition",
         has=("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION",)),
    Case("definition-truncated", "spec", "CreateStateMachine",
         {"name": "def-trunc", "definition": PASS[:-3], "roleArn": ROLE}, type="InvalidDefinition",
         has=("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION",)),
    Case("definition-empty-object", "spec", "CreateStateMachine",
         {"name": "def-empty", "definition": "{}", "roleArn": ROLE}, type="InvalidDefinition",
         has=("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED",)),
    Case("definition-array", "spec", "CreateStateMachine",
         {"name": "def-array", "definition": "[]", "roleArn": ROLE}, type="InvalidDefinition",
         has=("Invalid State Machine Definition: '",)),
    Case("update-definition-not-json", "spec", "UpdateStateMachine",
         lambda w: {"stateMachineArn": w.machine, "definition": "{\"StartAt\": "}, type="InvalidDefinition",
         has=("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION",)),
    Case("input-not-json", "model", "StartExecution",
         lambda w: {"stateMachineArn": w.machine, "name": "nj", "input": "not json"},
         type="InvalidExecutionInput"),
    Case("input-truncated-json", "model", "StartExecution",
         lambda w: {"stateMachineArn": w.machine, "name": "tj", "input": "{\"a\": "},
         type="InvalidExecutionInput"),
    Case("input-json-with-garbage", "model", "StartExecution",
         lambda w: {"stateMachineArn": w.machine, "name": "gj", "input": "{} {}"},
         type="InvalidExecutionInput"),
    # The input limit is 262144 bytes of UTF-8 (API reference of StartExecution: "Length
    # constraints apply to the payload size, and are expressed as bytes in UTF-8 encoding");
    # which type AWS names for it is not recorded.
    Case("input-256KiB-plus-one", "model", "StartExecution",
         lambda w: {"stateMachineArn": w.machine, "name": "big",
                    "input": json.dumps({"x": "a" * (262144 - 8 + 1)})},
         types=("ValidationException", "InvalidExecutionInput")),
    Case("input-256KiB-in-two-byte-characters", "model", "StartExecution",
         lambda w: {"stateMachineArn": w.machine, "name": "big2",
                    "input": json.dumps({"x": "\u00e9" * 140000}, ensure_ascii=False)},
         types=("ValidationException", "InvalidExecutionInput")),

    # -- size -------------------------------------------------------------------------------------
    Case("body-over-1MB", "coral", "CreateActivity",
         lambda w: json.dumps({"name": "huge", "tags": [{"key": "k", "value": "v" * 200}] * 6000}),
         status=413, aws_json=False),
    Case("definition-over-1MiB", "spec", "CreateStateMachine",
         {"name": "huge-def", "roleArn": ROLE,
          "definition": json.dumps({"StartAt": "P", "Comment": "c" * 1048576,
                                    "States": {"P": {"Type": "Pass", "End": True}}})},
         status=413, aws_json=False),
] + bad_names()


def _unique_ids():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    return ids


def check_error(response, case, world):
    label = f"{case.id} ({case.src}): {response.status} {response.raw[:600]!r}"
    assert response.status == case.status, label
    assert response.status < 500, label
    if response.status != 413:  # a body over the limit is refused before a request has an id
        assert response.headers.get("x-amzn-requestid"), f"{label}: no x-amzn-RequestId"
    if not case.aws_json:
        return
    assert response.headers.get("content-type", "").split(";")[0].strip() == JSON10, label
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("__type"), str), label
    error_type = sanitize(body["__type"])
    if "x-amzn-errortype" in response.headers:
        assert sanitize(response.headers["x-amzn-errortype"]) == error_type, label
    if case.type is not None:
        assert error_type == case.type, label
    if case.types:
        assert error_type in case.types, label
    message = body.get("message")
    # Coral's protocol errors (unknown operation, serialization) may come without a message;
    # every error of the Step Functions model has one.
    if error_type not in ("UnknownOperationException", "SerializationException") or message is not None:
        assert isinstance(message, str) and message, label
    expected = case.value(case.message, world)
    if expected is not None:
        assert message == expected, label
    for fragment in case.value(case.has, world):
        assert fragment in message, f"{label}: the message lacks {fragment!r}"


@pytest.mark.parametrize("case", CASES, ids=_unique_ids())
def test_malformed_request(world, case):
    before = world.snapshot()
    body = case.value(case.body, world)
    target = case.target if case.target is not None else (SFN + case.op if case.op else None)
    response = send(world.port, target, body, content_type=case.content_type, method=case.method)
    problems = []
    try:
        check_error(response, case, world)
    except AssertionError as error:
        problems.append(str(error))
    after = world.snapshot()
    if after != before:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        problems.append(f"{case.id} changed the server's state: {changed}")
    assert not problems, "\n".join(problems)


def test_after_the_catalogue_nothing_changed_and_the_server_still_works(world):
    """After the whole catalogue: the state is what it was before it, and the server works."""
    assert world.snapshot() == world.first_snapshot
    name = f"after-{uuid.uuid4().hex[:6]}"
    created = call(world.port, "CreateStateMachine",
                   {"name": name, "definition": PASS, "roleArn": ROLE})
    assert created["stateMachineArn"] == PREFIX + "stateMachine:" + name
    started = call(world.port, "StartExecution",
                   {"stateMachineArn": created["stateMachineArn"], "input": "{\"ok\": true}"})
    assert started["executionArn"].startswith(PREFIX + "execution:" + name + ":")
    call(world.port, "DeleteStateMachine", {"stateMachineArn": created["stateMachineArn"]})


def test_the_catalogue_is_the_catalogue():
    """Every kind of the issue is there, and every case says what it expects."""
    assert len(CASES) >= 150
    for case in CASES:
        assert case.src in ("rec", "model", "spec", "smithy", "coral"), case.id
        assert case.status != 200, case.id
        assert case.type or case.types or not case.aws_json, case.id


# --- what must keep working ---------------------------------------------------------------------

@pytest.mark.parametrize("content_type", [
    "application/x-amz-json-1.0",
    # Smithy's AwsJson10ContentTypeParameters: parameters of the content type are ignored.
    "application/x-amz-json-1.0; charset=utf-8",
    # DynamoDB, the same front end, takes application/json (dynalite; jonsaw/
    # amazon-cognito-identity-dart#41 on real DynamoDB).
    "application/json",
])
def test_accepted_content_types(world, content_type):
    response = send(world.port, SFN + "ListActivities", {}, content_type=content_type)
    assert response.status == 200, response.raw[:300]
    assert any(a["activityArn"] == world.activity for a in response.json()["activities"])


def test_an_empty_body_reads_as_an_empty_object(world):
    """aws-semantics.md 7.1 and the Smithy spec: servers must accept an empty body."""
    response = send(world.port, SFN + "ListStateMachines", b"")
    assert response.status == 200, response.raw[:300]
    assert any(m["stateMachineArn"] == world.machine for m in response.json()["stateMachines"])


def test_unknown_members_are_ignored(world):
    """Members the model does not have change nothing about the answer."""
    plain = call(world.port, "DescribeStateMachine", {"stateMachineArn": world.machine})
    padded = send(world.port, SFN + "DescribeStateMachine",
                  {"stateMachineArn": world.machine, "bogus": {"nested": [1, 2]}, "Name": "x"})
    assert padded.status == 200, padded.raw[:300]
    assert padded.json() == plain


@pytest.mark.parametrize("name", [
    "e\u0301t\u00e9",          # combining acute accent, and a precomposed é
    "a\u200fb\u200e",          # right-to-left and left-to-right marks (not white space)
    "caf\u00e9-\u65e5\u672c",  # Latin-1 and CJK
    "n" * 80,                  # exactly the limit
])
def test_names_the_rules_allow(world, name):
    """Names only the listed characters are refused from (aws-semantics.md 1.5) round-trip."""
    before = world.snapshot()
    for raw in (False, True):  # as \\u escapes, then as raw UTF-8
        body = json.dumps({"name": name}, ensure_ascii=not raw).encode("utf-8")
        created = send(world.port, SFN + "CreateActivity", body)
        assert created.status == 200, created.raw[:300]
        arn = created.json()["activityArn"]
        assert arn == PREFIX + "activity:" + name
        assert call(world.port, "DescribeActivity", {"activityArn": arn})["name"] == name
        call(world.port, "DeleteActivity", {"activityArn": arn})
    assert world.snapshot() == before


def test_unicode_input_round_trips(world):
    """Emoji (a surrogate pair when escaped), NUL and U+FFFF inside an input are just data."""
    data = {"emoji": "\U0001F600", "nul": "\u0000", "edge": "\uffff",
            "rtl": "\u200f\u05e9\u05dc\u05d5\u05dd"}
    # Raw characters in the input text, sent escaped in the body (the emoji as a surrogate pair).
    text = json.dumps(data, ensure_ascii=False)
    machine = call(world.port, "CreateStateMachine", {
        "name": f"unicode-{uuid.uuid4().hex[:6]}", "definition": PASS, "roleArn": ROLE})
    try:
        started = call(world.port, "StartExecution",
                       {"stateMachineArn": machine["stateMachineArn"], "input": text})
        deadline = time.time() + 30
        while True:
            described = call(world.port, "DescribeExecution",
                             {"executionArn": started["executionArn"]})
            if described["status"] != "RUNNING":
                break
            assert time.time() < deadline
            time.sleep(0.05)
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["input"]) == data
        assert json.loads(described["output"]) == data
    finally:
        call(world.port, "DeleteStateMachine", {"stateMachineArn": machine["stateMachineArn"]})
