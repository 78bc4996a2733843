#!/usr/bin/env python3
"""Writes a small seed corpus for parse_validate_run into fuzz/corpus/parse_validate_run/.

Each seed is `definition NUL input NUL choices`: the shared seed definitions and the LocalStack
templates that are plain JSON (the JSON5 ones are skipped), each with `{}` as input and a few
choice bytes. The corpus is generated, not committed (.gitignore lists fuzz/corpus).
"""
import hashlib
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent
shared = root.parent.parent / "shared"
out = root / "corpus" / "parse_validate_run"
out.mkdir(parents=True, exist_ok=True)

sources = sorted((shared / "examples" / "seed").rglob("*.asl.json"))
templates = shared / "conformance/localstack/tests/aws/services/stepfunctions/templates"
for folder in ["base", "scenarios", "intrinsicfunctions", "context_object", "choiceoperators"]:
    sources += sorted((templates / folder).rglob("*.json5"))

# A few shapes the templates lack: tasks with Retry/Catch and timeouts, a Map of Parallels, Wait
# timers. (A loop through a Choice that never blocks is left out on purpose: each run of it fills
# the 25,000-event history and slowed fuzzing sixfold; engine/tests/regressions.rs covers it.)
HANDWRITTEN = [
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

definitions = list(HANDWRITTEN)
for path in sources:
    try:
        definitions.append(json.loads(path.read_text()))
    except (ValueError, UnicodeDecodeError):
        continue

written = 0
for definition in definitions:
    text = json.dumps(definition, separators=(",", ":")).encode()
    for input_text, choices in [(b'{"type":"B","items":[1,"a",{}]}', b"\x00\x03\x81"), (b"{}", b"\x05\x06\x07")]:
        seed = text + b"\x00" + input_text + b"\x00" + choices
        (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
        written += 1
print(f"wrote {written} seeds to {out}")
