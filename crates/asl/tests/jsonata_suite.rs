//! The official JSONata test suite at v2.0.6, the JSONata version Step Functions implements
//! (`../shared/conformance/jsonata-suite/`), through `asl::jsonata`: the Step Functions
//! functions registered, `$eval` refused, the impure built-ins deterministic.
//!
//! Every case runs except those that call `$eval`, which Step Functions does not have (they are
//! listed, and counted apart). At least 99 % of the rest must pass; the failures are printed.

use std::path::{Path, PathBuf};

use asl::SeededEntropy;
use asl::jsonata::{Expression, Host, Limits};
use serde_json::Value;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/jsonata-suite/test/test-suite")
}

/// Whether two results are equal as JSONata means it: numbers by value (JSONata has only
/// doubles), arrays in order unless `unordered`.
fn same(actual: &Value, expected: &Value, unordered: bool) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            a == b || (a - b).abs() <= f64::EPSILON * a.abs().max(b.abs())
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return false;
            }
            if unordered {
                let mut left: Vec<&Value> = a.iter().collect();
                b.iter().all(|item| {
                    match left
                        .iter()
                        .position(|candidate| same(candidate, item, false))
                    {
                        Some(index) => {
                            left.remove(index);
                            true
                        }
                        None => false,
                    }
                })
            } else {
                a.iter().zip(b).all(|(x, y)| same(x, y, false))
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, x)| b.get(key).is_some_and(|y| same(x, y, false)))
        }
        _ => actual == expected,
    }
}

enum Outcome {
    Passed,
    Failed(String),
}

fn run_case(case: &Value, group: &Path, datasets: &Path) -> Outcome {
    let expression = match (case.get("expr"), case.get("expr-file")) {
        (Some(Value::String(expression)), _) => expression.clone(),
        (_, Some(Value::String(file))) => match std::fs::read_to_string(group.join(file)) {
            Ok(text) => text,
            Err(error) => return Outcome::Failed(format!("cannot read {file}: {error}")),
        },
        _ => return Outcome::Failed("no expression".to_owned()),
    };
    let input: Option<Value> = match (case.get("data"), case.get("dataset")) {
        (Some(data), _) => Some(data.clone()),
        (None, Some(Value::String(name))) => {
            let text = std::fs::read_to_string(datasets.join(format!("{name}.json")))
                .unwrap_or_else(|error| panic!("dataset {name}: {error}"));
            Some(serde_json::from_str(&text).unwrap_or_else(|error| panic!("{name}: {error}")))
        }
        _ => None,
    };
    let bindings: Vec<(String, Value)> = case
        .get("bindings")
        .and_then(Value::as_object)
        .map(|bindings| {
            bindings
                .iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let borrowed: Vec<(&str, &Value)> = bindings
        .iter()
        .map(|(name, value)| (name.as_str(), value))
        .collect();
    let mut limits = Limits::default();
    if let Some(depth) = case.get("depth").and_then(Value::as_u64) {
        limits.max_depth = Some(depth as usize);
    }
    if let Some(time) = case.get("timelimit").and_then(Value::as_u64) {
        limits.timeout_ms = time;
    }
    let expected_code = case
        .get("code")
        .or_else(|| case.get("error").and_then(|error| error.get("code")))
        .and_then(Value::as_str);
    let mut entropy = SeededEntropy::new(1);
    let mut host = Host {
        now_ms: 1_500_000_000_000,
        entropy: &mut entropy,
        limits,
    };
    let result = Expression::parse(&expression)
        .map_err(|error| (error.code, error.message))
        .and_then(|parsed| {
            parsed
                .evaluate(input.as_ref(), &borrowed, &mut host)
                .map_err(|error| (error.code().map(str::to_owned), error.to_string()))
        });
    let unordered = case.get("unordered").and_then(Value::as_bool) == Some(true);
    match (result, expected_code) {
        (Err((code, _)), Some(expected)) if code.as_deref() == Some(expected) => Outcome::Passed,
        (Err((_, message)), Some(expected)) => {
            Outcome::Failed(format!("wanted error {expected}, got error {message}"))
        }
        (Ok(value), Some(expected)) => {
            Outcome::Failed(format!("wanted error {expected}, got {value:?}"))
        }
        (Err((_, message)), None) => Outcome::Failed(format!("error {message}")),
        (Ok(value), None) => {
            if case.get("undefinedResult").and_then(Value::as_bool) == Some(true) {
                match value {
                    None => Outcome::Passed,
                    Some(value) => Outcome::Failed(format!("wanted undefined, got {value}")),
                }
            } else {
                match (value, case.get("result")) {
                    (Some(value), Some(expected)) if same(&value, expected, unordered) => {
                        Outcome::Passed
                    }
                    (value, expected) => {
                        Outcome::Failed(format!("wanted {expected:?}, got {value:?}"))
                    }
                }
            }
        }
    }
}

#[test]
fn the_jsonata_suite_passes_through_our_integration() {
    let root = suite();
    let datasets = root.join("datasets");
    let mut groups: Vec<PathBuf> = std::fs::read_dir(root.join("groups"))
        .expect("the JSONata suite in ../shared/conformance/jsonata-suite")
        .map(|entry| entry.unwrap().path())
        .collect();
    groups.sort();
    let (mut passed, mut failed, mut excluded) = (0usize, Vec::new(), Vec::new());
    for group in &groups {
        let mut files: Vec<PathBuf> = std::fs::read_dir(group)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "json")
            })
            .collect();
        files.sort();
        for file in files {
            let name = format!(
                "{}/{}",
                group.file_name().unwrap().to_string_lossy(),
                file.file_name().unwrap().to_string_lossy()
            );
            let text = std::fs::read_to_string(&file).unwrap();
            let cases = match serde_json::from_str::<Value>(&text) {
                Ok(Value::Array(cases)) => cases,
                Ok(case) => vec![case],
                // Two fixtures hold lone UTF-16 surrogates, which are not JSON serde_json
                // (or Step Functions, whose inputs are UTF-8 JSON) can load: counted as failed.
                Err(error) => {
                    failed.push(format!("{name}: cannot load: {error}"));
                    continue;
                }
            };
            for (index, case) in cases.iter().enumerate() {
                let label = if cases.len() > 1 {
                    format!("{name}[{index}]")
                } else {
                    name.clone()
                };
                let expression = case.get("expr").and_then(Value::as_str).unwrap_or("");
                if expression.contains("$eval") {
                    excluded.push(label);
                    continue;
                }
                match run_case(case, group, &datasets) {
                    Outcome::Passed => passed += 1,
                    Outcome::Failed(why) => failed.push(format!("{label}: {why}")),
                }
            }
        }
    }
    let total = passed + failed.len();
    println!(
        "JSONata suite v2.0.6: {passed} of {total} pass ({:.2} %); {} cases with $eval excluded: {}",
        100.0 * passed as f64 / total as f64,
        excluded.len(),
        excluded.join(", ")
    );
    for failure in &failed {
        println!("  failed {failure}");
    }
    assert!(total > 1500, "the suite looks incomplete: {total} cases");
    assert!(
        passed * 100 >= total * 99,
        "{passed} of {total} pass: below 99 %\n{}",
        failed.join("\n")
    );
}
