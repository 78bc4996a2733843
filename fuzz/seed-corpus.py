#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets into fuzz/corpus/<target>/.

    python3 fuzz/seed-corpus.py            # every target
    python3 fuzz/seed-corpus.py jsonpath   # some targets

Seeds come from the repository's tests and fixtures and from ../shared/conformance (read in
place, never copied into the project). Each target's input format is described in its source
(fuzz/fuzz_targets/<target>.rs); the separators are NUL bytes. The minimised corpora kept in
fuzz/corpus/ were grown from these seeds by fuzzing and `cargo fuzz cmin`.
"""
import hashlib
import json
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent
repo = root.parent
shared = repo.parent / "shared"
conformance = shared / "conformance"
templates = conformance / "localstack/tests/aws/services/stepfunctions/templates"


def writer(target):
    out = root / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    count = [0]

    def write(seed):
        if isinstance(seed, str):
            seed = seed.encode("utf-8", "surrogatepass")
        if len(seed) > 64 * 1024:
            return
        (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
        count[0] += 1

    return write, lambda: print(f"wrote {count[0]} seeds to {out.relative_to(repo)}")


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def rust_strings(path, prefix):
    """The string literals of a Rust file that start with `prefix` (plain and raw strings)."""
    text = path.read_text()
    found = []
    for match in re.finditer(r'r#"(.*?)"#', text, re.S):
        if match.group(1).startswith(prefix):
            found.append(match.group(1))
    for match in re.finditer(r'"((?:[^"\\]|\\.)*)"', text):
        raw = match.group(1)
        if raw.startswith(prefix):
            try:
                found.append(json.loads('"' + raw + '"'))
            except ValueError:
                continue
    return found


def string_values(value):
    """Every string inside a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from string_values(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from string_values(item)


def localstack_strings():
    """Strings from the LocalStack templates, read loosely (they are JSON5)."""
    for path in sorted(templates.rglob("*.json5")):
        text = path.read_text(errors="replace")
        for match in re.finditer(r'"((?:[^"\\]|\\.)*)"', text):
            try:
                yield json.loads('"' + match.group(1) + '"')
            except ValueError:
                continue


def execution_inputs():
    manifest = json.loads((conformance / "localstack/manifest.json").read_text())
    inputs = []
    for entry in manifest["entries"]:
        for execution in entry.get("executions") or []:
            value = execution.get("input")
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    continue
            if value not in inputs:
                inputs.append(value)
    return inputs[:40]


def parse_validate_run():
    write, done = writer("parse_validate_run")
    sources = sorted((shared / "examples" / "seed").rglob("*.asl.json"))
    for folder in ["base", "scenarios", "intrinsicfunctions", "context_object", "choiceoperators"]:
        sources += sorted((templates / folder).rglob("*.json5"))
    sources += sorted((conformance / "asl-validator/src/__tests__/definitions").glob("*.json"))
    # A few shapes the templates lack: tasks with Retry/Catch and timeouts, a Map of Parallels,
    # Wait timers. (A loop through a Choice that never blocks is left out on purpose: each run
    # of it fills the 25,000-event history and slowed fuzzing sixfold; engine/tests/regressions.rs
    # covers it.)
    handwritten = [
        {"StartAt": "T", "TimeoutSeconds": 100, "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5,
                  "HeartbeatSeconds": 2,
                  "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "BackoffRate": 2,
                             "JitterStrategy": "FULL"}],
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "W"}],
                  "End": True},
            "W": {"Type": "Wait", "Seconds": 3, "Next": "F"},
            "F": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}}},
        {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
            "ToleratedFailureCount": 1, "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "Parameters": {"s.$": "States.Format('{}-{}', $.i, $.v)"}, "End": True}}}]}}},
            "End": True}}},
    ]
    definitions = list(handwritten)
    for path in sources:
        try:
            definitions.append(json.loads(path.read_text()))
        except (ValueError, UnicodeDecodeError):
            continue
    for definition in definitions:
        text = compact(definition).encode()
        for input_text, choices in [(b'{"type":"B","items":[1,"a",{}]}', b"\x00\x03\x81"), (b"{}", b"\x05\x06\x07")]:
            write(text + b"\x00" + input_text + b"\x00" + choices)
    done()


def jsonpath():
    write, done = writer("jsonpath")
    suite = (conformance / "json-path-comparison/regression_suite/regression_suite.yaml").read_text()
    selector = None
    for line in suite.splitlines():
        if line.startswith("    selector: "):
            try:
                selector = json.loads(line[len("    selector: "):])
            except ValueError:
                selector = line[len("    selector: "):].strip().strip("'")
        elif line.startswith("    document: ") and selector is not None:
            document = line[len("    document: "):]
            write(selector.encode() + b"\x00" + document.encode())
            selector = None
    document = b'{"a":{"b":[1,{"c":"x"}]},"list":[{"v":1},{"v":"2"},{"v":null}]}'
    for path in rust_strings(repo / "crates/asl/tests/jsonpath.rs", "$"):
        write(path.encode() + b"\x00" + document)
    for text in localstack_strings():
        if text.startswith("$") and len(text) < 200:
            write(text.encode() + b"\x00" + document)
    done()


def intrinsics():
    write, done = writer("intrinsics")
    calls = rust_strings(repo / "crates/asl/tests/intrinsics.rs", "States.")
    calls += [text for text in localstack_strings() if text.startswith("States.") and "(" in text]
    inputs = execution_inputs()[:3] + [{"a": [1, "b"], "s": "a,b,,c", "n": 3, "o": {"k": [1, 2]}}]
    variables = b'{"var":{"x":[1,2,3]},"x":"text"}'
    for call in dict.fromkeys(calls):
        for value in inputs:
            write(call.encode() + b"\x00" + compact(value).encode() + b"\x00" + variables)
    done()


def jsonata():
    write, done = writer("jsonata")
    test_suite = conformance / "jsonata-suite/test/test-suite"
    datasets = {path.stem: path.read_text() for path in (test_suite / "datasets").glob("*.json")}
    for path in sorted((test_suite / "groups").rglob("*.json")):
        try:
            cases = json.loads(path.read_text())
        except ValueError:
            continue
        for case in cases if isinstance(cases, list) else [cases]:
            expression = case.get("expr")
            if not isinstance(expression, str):
                continue
            if "data" in case:
                data = compact(case["data"])
            elif case.get("dataset") in datasets:
                data = datasets[case["dataset"]]
            else:
                data = ""
            bindings = compact(case.get("bindings") or {})
            write("\x00".join([expression, data, bindings]))
    for text in localstack_strings():
        stripped = text.strip()
        if stripped.startswith("{%") and stripped.endswith("%}"):
            write(stripped[2:-2].strip().encode() + b"\x00" + b'{"a":1,"list":[1,2,3]}' + b"\x00{}")
    done()


def template():
    write, done = writer("template")
    definition = b'{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}'
    folders = [repo / "crates/template/test_data/seed", repo / "crates/switchback/demo/seed"]
    for folder in folders:
        text = (folder / "template.yaml").read_bytes()
        for asl in sorted((folder / "statemachine").glob("*.json")):
            write(text + b"\x00" + asl.read_bytes())
        write(text + b"\x00" + definition)
    for text in rust_strings(repo / "crates/template/tests/templates.rs", "\n"):
        write(text.encode() + b"\x00" + definition)
    for text in rust_strings(repo / "crates/template/tests/templates.rs", "Resources"):
        write(text.encode() + b"\x00" + definition)
    for text in rust_strings(repo / "crates/template/tests/templates.rs", "AWSTemplate"):
        write(text.encode() + b"\x00" + definition)
    machine = ("Resources:\n  Machine:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
               "      StateMachineName: !Sub '${AWS::StackName}-m'\n      RoleArn: arn:aws:iam::123456789012:role/r\n"
               "      DefinitionString: '{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Succeed\"}}}'\n")
    write(machine)
    write(json.dumps({"Resources": {"M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "RoleArn": "arn:aws:iam::123456789012:role/r", "Definition": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}}}}}))
    done()


def api_request():
    write, done = writer("api_request")
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
    definition = '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}'
    role = "arn:aws:iam::123456789012:role/r"
    bodies = {
        "CreateStateMachine": {"name": "m", "definition": definition, "roleArn": role, "type": "STANDARD",
                               "tags": [{"key": "k", "value": "v"}], "publish": True, "versionDescription": "d",
                               "loggingConfiguration": {"level": "ALL", "includeExecutionData": True,
                                                        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:g:*"}}]},
                               "tracingConfiguration": {"enabled": False}},
        "DescribeStateMachine": {"stateMachineArn": machine + ":1", "includedData": "ALL_DATA"},
        "UpdateStateMachine": {"stateMachineArn": machine, "definition": definition, "publish": True},
        "DeleteStateMachine": {"stateMachineArn": machine},
        "ListStateMachines": {"maxResults": 10, "nextToken": "c2IxOng"},
        "ValidateStateMachineDefinition": {"definition": definition, "type": "EXPRESS", "severity": "WARNING", "maxResults": 5},
        "StartExecution": {"stateMachineArn": machine, "name": "run", "input": "{}", "traceHeader": "Root=1"},
        "StartSyncExecution": {"stateMachineArn": machine, "input": "[1]"},
        "StopExecution": {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:run", "error": "E", "cause": "C"},
        "DescribeExecution": {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:run"},
        "ListExecutions": {"stateMachineArn": machine, "statusFilter": "RUNNING", "maxResults": 1000},
        "GetExecutionHistory": {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:run",
                                "reverseOrder": True, "includeExecutionData": False, "maxResults": 0},
        "TagResource": {"resourceArn": machine, "tags": [{"key": "k", "value": "v"}, {"key": ""}]},
        "UntagResource": {"resourceArn": machine, "tagKeys": ["k"]},
        "SendTaskFailure": {"taskToken": "t", "error": "e" * 257},
        "SendTaskSuccess": {"taskToken": "t", "output": "{}"},
        "GetActivityTask": {"activityArn": "arn:aws:states:us-east-1:123456789012:activity:a", "workerName": "w"},
        "CreateStateMachineAlias": {"name": "main", "routingConfiguration": [
            {"stateMachineVersionArn": machine + ":1", "weight": 50}, {"stateMachineVersionArn": machine + ":2", "weight": 50}]},
        "UpdateStateMachineAlias": {"stateMachineAliasArn": machine + ":main", "routingConfiguration": [
            {"stateMachineVersionArn": machine + ":1", "weight": 101}]},
        "PublishStateMachineVersion": {"stateMachineArn": machine, "revisionId": "r", "description": "d"},
        "ListStateMachineVersions": {"stateMachineArn": machine, "maxResults": 1001},
        "RedriveExecution": {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:run", "clientToken": "a b"},
        "TestState": {"definition": '{"Type":"Pass"}', "roleArn": role, "input": "{}", "inspectionLevel": "TRACE"},
        "UpdateMapRun": {"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/label:id", "maxConcurrency": -1,
                         "toleratedFailurePercentage": 100.5},
    }
    for operation, body in bodies.items():
        write(operation.encode() + b"\x00" + compact(body).encode())
        write(operation.encode() + b"\x00{}")
    write(b"\x00   ")
    write(b"ListStateMachines\x00{\"maxResults\":\"ten\"}")
    done()


def sigv4():
    write, done = writer("sigv4")
    fixture = json.loads((repo / "crates/sigv4/tests/fixtures/botocore_signed.json").read_text())
    for case in fixture["cases"]:
        headers = "\n".join(f"{name}:{value}" for name, value in case["headers"])
        token = 4 if case.get("session_token") else 0
        fields = [case["method"], case["path"], case["query"], headers, case["body"]]
        request = "\x00".join(fields).encode()
        for flags, offset, mutation in [(token, 0, 0), (token | 2, 5, 17), (token | 1, 256 - 30, 63)]:
            write(bytes([flags, offset, mutation, 0]) + request)
    done()


TARGETS = {
    "parse_validate_run": parse_validate_run,
    "jsonpath": jsonpath,
    "intrinsics": intrinsics,
    "jsonata": jsonata,
    "template": template,
    "api_request": api_request,
    "sigv4": sigv4,
}

for name in sys.argv[1:] or TARGETS:
    TARGETS[name]()
