//! Conformance of `asl::jsonpath` against cburgmer's json-path-comparison regression suite, and
//! property tests.
//!
//! Each query's expected result is Java Jayway's (the implementation closest to AWS): its recorded
//! result where the suite has one, otherwise the consensus, which Jayway then shares. The few
//! queries where AWS (or our contract) is known to differ from Jayway are listed in [`deviation`],
//! each with its reason.

use std::collections::HashMap;

use asl::jsonpath::Path;
use proptest::prelude::*;
use serde_json::Value;

const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/json-path-comparison/regression_suite"
);

/// The number of queries that pass today; the suite fails if fewer pass.
const PASS_FLOOR: usize = 257;

/// A value in the YAML files: JSON, or a bare word such as `NOT_SUPPORTED`.
#[derive(Debug, Clone)]
enum Raw {
    Json(Value),
    Bare(String),
}

/// One `- id:` entry with its `key: value` lines.
type Entry = HashMap<String, Raw>;

/// Reads the flat YAML these files use: `  - id: x` starts an entry, `    key: value` adds to it,
/// and every value sits on one line as JSON or a bare word.
fn read_entries(file: &str) -> Vec<(String, Entry)> {
    let path = format!("{SUITE}/{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    let mut entries: Vec<(String, Entry)> = Vec::new();
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("  - id: ") {
            entries.push((id.trim().to_owned(), HashMap::new()));
        } else if let Some(field) = line.strip_prefix("    ")
            && let Some((key, value)) = field.split_once(": ")
            && let Some((_, entry)) = entries.last_mut()
        {
            let raw = serde_json::from_str(value)
                .map(Raw::Json)
                .unwrap_or_else(|_| Raw::Bare(value.trim().to_owned()));
            entry.insert(key.to_owned(), raw);
        }
    }
    entries
}

/// What a query should give.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Value(Value),
    NotFound,
    NotSupported,
}

/// How we depart from Jayway on a query.
enum Deviation {
    /// Expect the consensus instead of Jayway's recorded result.
    Consensus,
    /// Expect this result (JSON, `NOT_FOUND` or `NOT_SUPPORTED`).
    Expect(&'static str),
    /// Not comparable: the query means something else in Step Functions.
    Skip,
}

/// Queries where we knowingly differ from Jayway's recorded result, with the reason.
fn deviation(id: &str) -> Option<Deviation> {
    use Deviation::{Consensus, Expect, Skip};
    Some(match id {
        // Jayway returns an object of the named members for a union of names; our contract (used by
        // the data-flow module) is an array of matches, which is also the consensus.
        "union_with_duplication_from_object"
        | "union_with_keys"
        | "union_with_keys_after_bracket_notation"
        | "union_with_keys_after_dot_notation_with_wildcard"
        | "union_with_keys_after_recursive_descent"
        | "union_with_keys_on_object_without_key" => Consensus,
        // Jayway refuses `[:]`; the consensus (and we) accept it.
        "union_with_keys_after_array_slice" => Consensus,
        // Jayway slice bugs: a negative start wraps around, the step is ignored, `[:]` and
        // numbers beyond `int` are refused, and a slice of an object is "not found". We follow
        // the consensus (RFC 9535 semantics).
        "array_slice_on_object"
        | "array_slice_with_large_number_for_end"
        | "array_slice_with_large_number_for_start"
        | "array_slice_with_negative_start_and_positive_end_and_range_of_-1"
        | "array_slice_with_negative_start_and_positive_end_and_range_of_0"
        | "array_slice_with_negative_start_and_positive_end_and_range_of_1"
        | "array_slice_with_negative_step"
        | "array_slice_with_negative_step_and_start_greater_than_end"
        | "array_slice_with_open_start_and_end"
        | "array_slice_with_open_start_and_end_and_step_empty"
        | "array_slice_with_open_start_and_end_on_object"
        | "array_slice_with_positive_start_and_negative_end_and_range_of_1"
        | "array_slice_with_step"
        | "array_slice_with_step_but_end_not_aligned"
        | "array_slice_with_step_only" => Consensus,
        // No consensus; RFC 9535 slice semantics rather than Jayway's step-ignoring ones.
        "array_slice_with_large_number_for_end_and_negative_step" => {
            Expect(r#"["third","second","first"]"#)
        }
        "array_slice_with_large_number_for_start_end_negative_step" => {
            Expect(r#"["fifth","forth"]"#)
        }
        "array_slice_with_negative_step_on_partially_overlapping_array" => Expect(r#"["fifth"]"#),
        "array_slice_with_negative_step_only" => Expect(r#"["fifth","third","first"]"#),
        "array_slice_with_open_end_and_negative_step" => {
            Expect(r#"["forth","third","second","first"]"#)
        }
        "array_slice_with_open_start_and_negative_step" => Expect(r#"["fifth","forth"]"#),
        "array_slice_with_step_0" => Expect("[]"),
        "array_slice_with_step_and_leading_zeros" => Expect("[10,20]"),
        // AWS: "`@` does not match scalar values, only objects" (arrays are kept, as Jayway keeps
        // them when testing `@[0]`).
        "filter_expression_with_current_object" => Expect("[[],{}]"),
        "filter_expression_with_equals_on_array_of_numbers" => Expect("[]"),
        "filter_expression_with_tautological_comparison" => Expect("[{},[]]"),
        // AWS supports no functions in paths.
        "filter_expression_with_length_function" | "function_sum" => Consensus,
        // AWS forbids regular expressions and the `in` operators; we do not implement them.
        "filter_expression_with_regular_expression"
        | "filter_expression_with_regular_expression_from_member"
        | "filter_expression_with_in_array_of_values"
        | "filter_expression_with_in_current_object" => Expect("NOT_SUPPORTED"),
        // Jayway reads `===` as `==`; we refuse it.
        "filter_expression_with_triple_equal" => Expect("NOT_SUPPORTED"),
        // Jayway refuses `/` in a name inside a filter; we read `@.key/10` as the name "key/10",
        // as Jayway does for `+`, `-` and `*`.
        "filter_expression_with_division" => Expect(r#"[{"key/10":5}]"#),
        // Jayway returns `[]` for a trailing `^^^`; like the consensus we refuse it.
        "filter_expression_with_parent_axis_operator" => Consensus,
        // Paths must start with `$` in Step Functions.
        "current_with_dot_notation"
        | "dot_notation_without_root"
        | "dot_notation_without_root_and_dot" => Expect("NOT_SUPPORTED"),
        // `$a` is the variable `a` in Step Functions; the caller passes the variable's value.
        "dot_notation_without_dot" => Skip,
        _ => return None,
    })
}

fn outcome_from_raw(raw: Option<&Raw>) -> Outcome {
    match raw {
        None => Outcome::NotSupported,
        Some(Raw::Bare(word)) if word == "NOT_FOUND" => Outcome::NotFound,
        Some(Raw::Bare(_)) => Outcome::NotSupported,
        Some(Raw::Json(value)) => Outcome::Value(value.clone()),
    }
}

/// The consensus, in the shape our path gives (bare value for a definite path).
fn consensus(query: &Entry, definite: bool) -> Option<Outcome> {
    let consensus = query.get("consensus")?;
    if let Raw::Bare(_) = consensus {
        return Some(outcome_from_raw(Some(consensus)));
    }
    if !definite {
        return Some(outcome_from_raw(Some(consensus)));
    }
    if query.contains_key("scalar-not-found-consensus") {
        return Some(Outcome::NotFound);
    }
    if let Some(scalar) = query.get("scalar-consensus") {
        return Some(outcome_from_raw(Some(scalar)));
    }
    match consensus {
        Raw::Json(Value::Array(items)) if items.is_empty() => Some(Outcome::NotFound),
        Raw::Json(Value::Array(items)) if items.len() == 1 => {
            Some(Outcome::Value(items[0].clone()))
        }
        _ => Some(outcome_from_raw(Some(consensus))),
    }
}

/// JSON equality with numbers compared by value (the suite writes `0.0` as `0`).
fn json_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => left.as_f64() == right.as_f64(),
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len() && left.iter().zip(right).all(|(l, r)| json_equal(l, r))
        }
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .all(|(key, l)| right.get(key).is_some_and(|r| json_equal(l, r)))
        }
        _ => left == right,
    }
}

/// Equal, or for unordered results equal as multisets.
fn same(actual: &Outcome, expected: &Outcome, ordered: bool) -> bool {
    match (actual, expected) {
        (Outcome::Value(actual), Outcome::Value(expected)) if ordered => {
            json_equal(actual, expected)
        }
        (Outcome::Value(Value::Array(actual)), Outcome::Value(Value::Array(expected)))
            if !ordered =>
        {
            let mut remaining: Vec<&Value> = expected.iter().collect();
            actual.len() == expected.len()
                && actual.iter().all(|item| {
                    match remaining
                        .iter()
                        .position(|candidate| json_equal(candidate, item))
                    {
                        Some(position) => {
                            remaining.swap_remove(position);
                            true
                        }
                        None => false,
                    }
                })
        }
        (Outcome::Value(actual), Outcome::Value(expected)) => json_equal(actual, expected),
        _ => actual == expected,
    }
}

#[test]
fn jsonpath_comparison_regression_suite() {
    let queries = read_entries("regression_suite.yaml");
    let jayway: HashMap<String, Entry> = read_entries("Java_com.jayway.jsonpath.yaml")
        .into_iter()
        .collect();
    let (mut passed, mut skipped) = (0, 0);
    let mut failures = Vec::new();
    for (id, query) in &queries {
        let Some(Raw::Json(Value::String(selector))) = query.get("selector") else {
            panic!("{id}: no selector");
        };
        let document = match query.get("document") {
            Some(Raw::Json(document)) => document.clone(),
            _ => Value::Null,
        };
        let parsed = Path::parse(selector);
        let definite = parsed.as_ref().is_ok_and(Path::is_definite);
        let expected = match deviation(id) {
            Some(Deviation::Skip) => {
                skipped += 1;
                continue;
            }
            Some(Deviation::Expect(text)) => match text {
                "NOT_FOUND" => Outcome::NotFound,
                "NOT_SUPPORTED" => Outcome::NotSupported,
                json => Outcome::Value(serde_json::from_str(json).expect("deviation is JSON")),
            },
            Some(Deviation::Consensus) => {
                consensus(query, definite).unwrap_or_else(|| panic!("{id}: no consensus"))
            }
            None => match jayway.get(id) {
                Some(recorded) => outcome_from_raw(recorded.get("result")),
                None => match consensus(query, definite) {
                    Some(expected) => expected,
                    None => {
                        skipped += 1;
                        continue;
                    }
                },
            },
        };
        let actual = match &parsed {
            Err(_) => Outcome::NotSupported,
            Ok(path) => match path.select(&document) {
                None => Outcome::NotFound,
                Some(value) => Outcome::Value(value),
            },
        };
        let ordered = !matches!(query.get("ordered"), Some(Raw::Json(Value::Bool(false))))
            && !selector.contains("..");
        if same(&actual, &expected, ordered) {
            passed += 1;
        } else {
            failures.push(format!(
                "{id}: {selector}\n    expected {expected:?}\n    actual   {actual:?}"
            ));
        }
    }
    println!(
        "json-path-comparison: {} queries, {passed} passed, {} failed, {skipped} skipped",
        queries.len(),
        failures.len()
    );
    for failure in &failures {
        println!("FAIL {failure}");
    }
    assert!(
        passed >= PASS_FLOOR,
        "{passed} queries passed, below the floor of {PASS_FLOOR}"
    );
}

/// A name that may need bracket notation.
fn name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z_][a-zA-Z0-9_]{0,6}", "[ -~]{0,6}", "\\PC{0,4}",]
}

/// A definite, assignable segment: a name or a small index.
#[derive(Debug, Clone)]
enum Step {
    Name(String),
    Index(usize),
}

fn render(steps: &[Step]) -> String {
    let mut path = "$".to_owned();
    for step in steps {
        match step {
            Step::Name(name)
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                path.push('.');
                path.push_str(name);
            }
            Step::Name(name) => {
                path.push_str("['");
                for c in name.chars() {
                    if c == '\'' || c == '\\' {
                        path.push('\\');
                    }
                    path.push(c);
                }
                path.push_str("']");
            }
            Step::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// A document in which every index step has an array long enough to write into.
fn document_for(steps: &[Step]) -> Value {
    // Build the skeleton from the outside in, so that each index step finds its array.
    let mut root = Value::Null;
    let mut slot = &mut root;
    for step in steps {
        *slot = match step {
            Step::Name(_) => Value::Object(serde_json::Map::new()),
            Step::Index(index) => Value::Array(vec![Value::Null; index + 1]),
        };
        slot = match (step, slot) {
            (Step::Name(name), Value::Object(members)) => {
                members.entry(name.clone()).or_insert(Value::Null)
            }
            (Step::Index(index), Value::Array(items)) => &mut items[*index],
            _ => unreachable!("the skeleton was just built"),
        };
    }
    root
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn jsonpath_parse_never_panics(source in "\\PC{0,40}") {
        let _ = Path::parse(&source);
    }

    #[test]
    fn jsonpath_parse_never_panics_on_path_like_text(source in "\\$[\\$a-z.\\[\\]'\"@?()*:,0-9 !=<>&|-]{0,40}") {
        if let Ok(path) = Path::parse(&source) {
            let _ = path.select(&serde_json::json!({"a": [1, {"b": "c"}], "b": {"a": null}}));
        }
    }

    #[test]
    fn jsonpath_assign_then_select_gives_the_value(
        steps in prop::collection::vec(
            prop_oneof![name().prop_map(Step::Name), (0usize..3).prop_map(Step::Index)],
            0..6,
        ),
        value in prop_oneof![Just(Value::Null), any::<i64>().prop_map(Value::from), "[a-z]{0,5}".prop_map(Value::from)],
    ) {
        let source = render(&steps);
        let path = Path::parse(&source).map_err(|error| TestCaseError::fail(error.message))?;
        prop_assert!(path.is_reference_path(), "{}", source);
        let mut document = document_for(&steps);
        path.assign(&mut document, value.clone()).map_err(|error| TestCaseError::fail(error.message))?;
        prop_assert_eq!(path.select(&document), Some(value));
    }

    #[test]
    fn jsonpath_assign_creates_intermediate_objects(names in prop::collection::vec(name(), 1..5)) {
        let steps: Vec<Step> = names.into_iter().map(Step::Name).collect();
        let path = Path::parse(&render(&steps)).map_err(|error| TestCaseError::fail(error.message))?;
        let mut document = Value::Object(serde_json::Map::new());
        path.assign(&mut document, Value::from(1)).map_err(|error| TestCaseError::fail(error.message))?;
        prop_assert_eq!(path.select(&document), Some(Value::from(1)));
    }
}
