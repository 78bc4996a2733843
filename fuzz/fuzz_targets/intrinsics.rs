//! Fuzz target: the `States.*` intrinsic functions (`asl::intrinsics`).
//!
//! The bytes are `call NUL input NUL variables`. The call goes through `Call::parse`; when it
//! parses, every path argument it reports (`Call::paths`) is part of its text, and it is evaluated
//! the way a state evaluates it (`asl::dataflow::evaluate_expression`, whose resolver reads `$`
//! from the input, `$$` from a fixed Context object and `$name` from the variables object) with
//! seeded entropy. Then:
//! - a result is JSON that serialises and parses back to itself;
//! - a failure is `States.IntrinsicFailure` or `States.Runtime` (a path that finds nothing);
//! - evaluating again with the same seed gives the same answer.
#![no_main]

use asl::SeededEntropy;
use asl::dataflow::{Env, evaluate_expression};
use asl::intrinsics::{Call, is_call};
use asl::model::Expression;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

const MAX_INPUT: usize = 64 * 1024;

fn context() -> Value {
    json!({
        "Execution": {
            "Id": "arn:aws:states:us-east-1:123456789012:execution:fuzz:run",
            "Input": {"a": 1, "list": [1, 2, 3]},
            "Name": "run",
            "StartTime": "2026-11-26T12:34:56.000Z",
        },
        "State": {"Name": "S", "EnteredTime": "2026-11-26T12:34:56.000Z", "RetryCount": 0},
        "StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:fuzz", "Name": "fuzz"},
        "Map": {"Item": {"Index": 2, "Value": "x"}},
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let mut parts = data.splitn(3, |byte| *byte == 0);
    let call = parts.next().unwrap_or_default();
    let input = parts.next().unwrap_or_default();
    let variables = parts.next().unwrap_or_default();
    let Ok(source) = std::str::from_utf8(call) else {
        return;
    };
    let Ok(call) = Call::parse(source) else {
        return;
    };
    assert!(is_call(source), "{source} parsed but is_call says no");
    assert_eq!(call.source(), source);
    for path in call.paths() {
        assert!(source.contains(path), "{path} is not in {source}");
        assert!(path.starts_with('$'), "{path} is not a path");
    }
    let input: Value = serde_json::from_slice(input).unwrap_or_else(|_| json!({"a": [1, "b"]}));
    let variables: Map<String, Value> = match serde_json::from_slice(variables) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let seed = data.len() as u64;
    let expression = Expression::Call(call);
    let first = evaluate(&expression, &input, &variables, seed);
    match &first {
        Ok(value) => {
            let text = serde_json::to_string(value).expect("a result serialises");
            let back: Value = serde_json::from_str(&text).expect("a result parses back");
            assert_eq!(&back, value, "{source}: the result round-trips through JSON text");
        }
        Err(failure) => assert!(
            failure.error == "States.IntrinsicFailure" || failure.error == "States.Runtime",
            "{source}: unexpected error {failure:?}"
        ),
    }
    let second = evaluate(&expression, &input, &variables, seed);
    assert_eq!(first, second, "{source}: same seed, same answer");
});

fn evaluate(
    expression: &Expression,
    input: &Value,
    variables: &Map<String, Value>,
    seed: u64,
) -> Result<Value, asl::Failure> {
    let mut entropy = SeededEntropy::new(seed);
    let scopes = [variables];
    let mut env = Env {
        input,
        context: &context,
        variables: &scopes,
        entropy: &mut entropy,
    };
    evaluate_expression(expression, "fuzz.$", &mut env)
}
