//! Fuzz target: JSONata expressions (`asl::jsonata`).
//!
//! The bytes are `expression NUL input NUL variables`. The expression goes through
//! `Expression::parse`; when it parses, it is evaluated over the input (`{}` when the bytes are
//! not JSON) with `$states` bound to `{input, context}` and each member of the variables object
//! bound as a variable, a fixed `now` and seeded entropy, under the engine's limits (but a
//! 2-second wall clock instead of 10, to stay well inside libFuzzer's `-timeout`, and sequences of
//! 100,000 instead of 10 million). Then:
//! - the variables it reads from outside are among those it reads, and never `states`;
//! - a result is JSON that serialises and parses back to itself;
//! - evaluating again with the same seed and time gives the same answer (unless either run hit
//!   the wall-clock limit, D1012, which depends on the machine).
#![no_main]

use asl::SeededEntropy;
use asl::jsonata::{EvalError, Expression, Host, Limits};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

const MAX_INPUT: usize = 64 * 1024;

/// 2026-11-26T12:34:56Z.
const NOW_MS: i64 = 1_795_696_496_000;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let mut parts = data.splitn(3, |byte| *byte == 0);
    let source = parts.next().unwrap_or_default();
    let input = parts.next().unwrap_or_default();
    let variables = parts.next().unwrap_or_default();
    let Ok(source) = std::str::from_utf8(source) else {
        return;
    };
    let Ok(expression) = Expression::parse(source) else {
        return;
    };
    assert_eq!(expression.source(), source);
    let outside = expression.variables();
    for name in &outside {
        assert_ne!(name, "states", "{source}: $states is not an outside variable");
        assert!(
            expression.reads().contains(name),
            "{source}: {name} read from outside but not in reads()"
        );
    }

    let input: Value = serde_json::from_slice(input).unwrap_or_else(|_| json!({}));
    let variables: Map<String, Value> = match serde_json::from_slice(variables) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let states = json!({
        "input": input,
        "context": {
            "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:fuzz:run",
                          "Input": input, "Name": "run", "StartTime": "2026-11-26T12:34:56.000Z"},
            "State": {"Name": "S", "EnteredTime": "2026-11-26T12:34:56.000Z"},
            "StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:fuzz", "Name": "fuzz"},
        },
    });
    let mut bindings: Vec<(&str, &Value)> = variables
        .iter()
        .filter(|(name, _)| name.as_str() != "states")
        .map(|(name, value)| (name.as_str(), value))
        .collect();
    bindings.push(("states", &states));

    let seed = data.len() as u64;
    let first = evaluate(&expression, &input, &bindings, seed);
    if let Ok(Some(value)) = &first {
        let text = serde_json::to_string(value).expect("a result serialises");
        let back: Value = serde_json::from_str(&text).expect("a result parses back");
        assert_eq!(&back, value, "{source}: the result round-trips through JSON text");
    }
    if timed_out(&first) {
        return;
    }
    let second = evaluate(&expression, &input, &bindings, seed);
    if !timed_out(&second) {
        assert_eq!(first, second, "{source}: same seed and time, same answer");
    }
});

fn timed_out(result: &Result<Option<Value>, EvalError>) -> bool {
    matches!(result, Err(error) if error.code() == Some("D1012"))
}

fn evaluate(
    expression: &Expression,
    input: &Value,
    bindings: &[(&str, &Value)],
    seed: u64,
) -> Result<Option<Value>, EvalError> {
    let mut entropy = SeededEntropy::new(seed);
    let mut host = Host {
        now_ms: NOW_MS,
        entropy: &mut entropy,
        // Sequences of up to 100,000 rather than JSONata's 10 million: `[1..10000000]` is
        // within JSONata's limits and takes seconds under the sanitizer, without telling the
        // fuzzer anything (jsonata-core checks its wall clock between steps, not while it
        // fills a range).
        limits: Limits {
            timeout_ms: 2_000,
            max_sequence: 100_000,
            ..Limits::default()
        },
    };
    expression.evaluate(Some(input), bindings, &mut host)
}
