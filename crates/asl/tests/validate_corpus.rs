//! The validator against three corpora in `shared/conformance`: asl-validator's valid/invalid
//! definitions, statelint's fixtures with their expected problem counts, and the validation
//! responses LocalStack recorded against real AWS.
//!
//! Each test prints a summary. (1) and (2) must pass in full; (3) has a floor. A fourth test
//! validates every template AWS accepted unchanged in the LocalStack recordings (123).

use std::fs;
use std::path::{Path, PathBuf};

use asl::validate::{Diagnostic, MachineType, Options, Severity, validate};
use serde_json::Value;

fn conformance(relative: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance"
    ))
    .join(relative)
}

fn errors(diagnostics: &[Diagnostic]) -> Vec<&Diagnostic> {
    diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .collect()
}

fn standard() -> Options {
    Options::default()
}

fn express() -> Options {
    Options {
        machine_type: MachineType::Express,
    }
}

/// Files whose verdict we deliberately differ on, each with the reason and the message we must
/// give instead.
///
/// - `valid-task-credentials.json` has `Credentials` without `RoleArn`; AWS refuses that at
///   create time with `The field 'RoleArn' is required but was missing` (recorded, spec §6.12).
/// - `valid-map-with-item-batcher-jsonata.json` sets `"QueryLanguage": "JSONPath"` on a state
///   inside a Map of a machine whose top level is JSONata. AWS refuses the downgrade for every
///   state, nested ones included (recorded for a top-level state; measured by others for nested
///   ones, which inherit the machine's language whatever their Map says).
const VERDICT_OVERRIDES: [(&str, &str); 2] = [
    (
        "valid-task-credentials.json",
        "The field 'RoleArn' is required but was missing",
    ),
    (
        "valid-map-with-item-batcher-jsonata.json",
        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
    ),
];

#[test]
fn asl_validator_definitions() {
    let dir = conformance("asl-validator/src/__tests__/definitions");
    let mut entries: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("asl-validator corpus")
        .map(|entry| entry.expect("dir entry").path())
        .collect();
    entries.sort();
    let mut failures = Vec::new();
    let (mut n_valid, mut n_invalid) = (0, 0);
    for path in &entries {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        let text = fs::read_to_string(path).expect("definition");
        let diagnostics = validate(&text, &standard());
        let found = errors(&diagnostics);
        if let Some((_, message)) = VERDICT_OVERRIDES.iter().find(|(file, _)| *file == name) {
            n_invalid += 1;
            if !found
                .iter()
                .any(|diagnostic| diagnostic.message == *message)
            {
                failures.push(format!("{name}: expected {message:?}, got {found:#?}"));
            }
            continue;
        }
        if name.starts_with("valid-") {
            n_valid += 1;
            if !found.is_empty() {
                failures.push(format!("{name}: expected valid, got {found:#?}"));
            }
        } else if name.starts_with("invalid-") {
            n_invalid += 1;
            if found.is_empty() {
                failures.push(format!("{name}: expected invalid, got no error"));
            }
        }
    }
    let total = n_valid + n_invalid;
    println!(
        "asl-validator: {}/{total} agree ({n_valid} valid, {n_invalid} invalid files, {} verdict overrides)",
        total - failures.len(),
        VERDICT_OVERRIDES.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// statelint fragments worded differently by AWS, with the AWS wording our messages carry
/// instead. statelint is a linter with its own words; AWS's (recorded or measured) win.
fn aws_wording(fragment: &str) -> String {
    let translations: [(&str, &str); 8] = [
        (
            "may have only one of [\"Error\", \"ErrorPath\"]",
            "There should only be one of the following fields: [Error, ErrorPath]",
        ),
        (
            "may have only one of [\"Cause\", \"CausePath\"]",
            "There should only be one of the following fields: [Cause, CausePath]",
        ),
        (
            "may have only one of [\"TimeoutSeconds\", \"TimeoutSecondsPath\"]",
            "There should only be one of the following fields: [TimeoutSeconds, TimeoutSecondsPath]",
        ),
        (
            "may have only one of [\"HeartbeatSeconds\", \"HeartbeatSecondsPath\"]",
            "There should only be one of the following fields: [HeartbeatSeconds, HeartbeatSecondsPath]",
        ),
        (
            "not one of the allowed values [\"FULL\", \"NONE\"]",
            "should have one of these values: [FULL, NONE]",
        ),
        // statelint says MaxDelaySeconds has floor 0; AWS's range is 1..31622400.
        ("allowed floor is 0", "Minimum value is 1"),
        ("allowed minimum is 1", "Minimum value is 1.0"),
        ("non-empty required", "Value cannot be empty"),
    ];
    if let Some((_, aws)) = translations.iter().find(|(lint, _)| *lint == fragment) {
        return (*aws).to_owned();
    }
    if fragment == "not a JSONPath or intrinsic function expression" {
        return "must be a valid JSONPath or a valid intrinsic function call".to_owned();
    }
    // `"Parameters"` (a field statelint quotes): AWS says `Field 'Parameters' is not supported`.
    if let Some(field) = fragment
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        return format!("'{field}'");
    }
    fragment.to_owned()
}

/// statelint fixtures whose count we deliberately differ on: `(file, our count, a message we
/// must give, reason)`.
///
/// - `task-with-credentials.json`: `Credentials: {"roleArn": ...}` (lower-case `r`). AWS requires
///   `RoleArn` (recorded: `The field 'RoleArn' is required but was missing`) and refuses unknown
///   fields, so we report one problem where statelint reports none.
const COUNT_OVERRIDES: [(&str, usize, &str); 1] = [(
    "test/task-with-credentials.json",
    1,
    "The field 'RoleArn' is required but was missing",
)];

#[test]
fn statelint_fixtures() {
    let expectations: Value = serde_json::from_str(
        &fs::read_to_string(conformance("statelint/expectations.json")).expect("expectations"),
    )
    .expect("expectations JSON");
    let cases = expectations["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    for case in cases {
        let file = case["file"].as_str().expect("file");
        let expected = case["expected_problem_count"].as_u64().expect("count") as usize;
        let text = fs::read_to_string(conformance(&format!("statelint/{file}"))).expect("fixture");
        let diagnostics = validate(&text, &standard());
        let found = errors(&diagnostics);
        if let Some((_, count, message)) = COUNT_OVERRIDES.iter().find(|(name, ..)| *name == file) {
            if found.len() != *count || !found.iter().any(|d| d.message == *message) {
                failures.push(format!(
                    "{file}: expected {count} x {message:?}, got {found:#?}"
                ));
            }
            continue;
        }
        if found.len() != expected {
            failures.push(format!(
                "{file}: expected {expected} problems, got {found:#?}"
            ));
            continue;
        }
        for fragment in case["expected_messages"].as_array().expect("messages") {
            let wanted = aws_wording(fragment.as_str().expect("fragment"));
            if !found
                .iter()
                .any(|diagnostic| diagnostic.message.contains(&wanted))
            {
                failures.push(format!(
                    "{file}: no message contains {wanted:?}: {found:#?}"
                ));
            }
        }
    }
    println!(
        "statelint: {}/{} fixtures agree",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Reads a LocalStack template as compact JSON text.
fn template(relative: &str) -> String {
    let text = fs::read_to_string(conformance(&format!(
        "localstack/tests/aws/services/stepfunctions/templates/{relative}"
    )))
    .expect("template");
    json5_to_json(&text)
        .unwrap_or_else(|| panic!("template {relative} is not JSON5 we can read"))
        .to_string()
}

/// The JSON5 these templates use, read as JSON: comments, trailing commas and unquoted keys.
/// (asl has no JSON5 dependency; this small subset is all the corpus needs.)
fn json5_to_json(text: &str) -> Option<Value> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c == '"' {
            out.push(c);
            index += 1;
            while index < chars.len() && chars[index] != '"' {
                if chars[index] == '\\' {
                    out.push(chars[index]);
                    index += 1;
                }
                if let Some(c) = chars.get(index) {
                    out.push(*c);
                }
                index += 1;
            }
            out.push('"');
            index += 1;
            continue;
        }
        if c == '/' && chars.get(index + 1) == Some(&'/') {
            while index < chars.len() && chars[index] != '\n' {
                index += 1;
            }
            continue;
        }
        if c == '/' && chars.get(index + 1) == Some(&'*') {
            index += 2;
            while index + 1 < chars.len() && !(chars[index] == '*' && chars[index + 1] == '/') {
                index += 1;
            }
            index += 2;
            continue;
        }
        if c == ',' {
            let next = chars[index + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}' | ']')) {
                index += 1;
                continue;
            }
        }
        if (c.is_ascii_alphabetic() || c == '_')
            && matches!(out.trim_end().chars().last(), Some('{' | ','))
        {
            let start = index;
            while index < chars.len()
                && (chars[index].is_ascii_alphanumeric() || chars[index] == '_')
            {
                index += 1;
            }
            let word: String = chars[start..index].iter().collect();
            let is_key = chars[index..].iter().find(|c| !c.is_whitespace()) == Some(&':');
            if is_key {
                out.push('"');
                out.push_str(&word);
                out.push('"');
            } else {
                out.push_str(&word);
            }
            continue;
        }
        out.push(c);
        index += 1;
    }
    serde_json::from_str(&out).ok()
}

/// Every template AWS accepted (the execution-history and choice-case recordings created a
/// state machine from it unchanged) must validate without errors.
#[test]
fn localstack_accepted_templates() {
    let manifest: Value = serde_json::from_str(
        &fs::read_to_string(conformance("localstack/manifest.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    let mut templates: Vec<String> = Vec::new();
    for entry in manifest["entries"].as_array().expect("entries") {
        let kind = entry["kind"].as_str().unwrap_or_default();
        let changed = entry["template_placeholders"]
            .as_array()
            .is_some_and(|placeholders| !placeholders.is_empty())
            || entry["template_mutated_in_test_code"] == Value::Bool(true);
        if !matches!(kind, "execution-history" | "choice-cases") || changed {
            continue;
        }
        for template in entry["templates"].as_array().into_iter().flatten() {
            let path = template.as_str().unwrap_or_default();
            if !templates.iter().any(|seen| seen == path) {
                templates.push(path.to_owned());
            }
        }
    }
    let mut failures = Vec::new();
    for path in &templates {
        let text =
            fs::read_to_string(conformance(&format!("localstack/{path}"))).expect("template");
        let Some(definition) = json5_to_json(&text) else {
            failures.push(format!("{path}: unreadable JSON5"));
            continue;
        };
        let diagnostics = validate(&definition.to_string(), &standard());
        let found = errors(&diagnostics);
        if !found.is_empty() {
            failures.push(format!("{path}: {found:?}"));
        }
    }
    println!(
        "localstack templates: {}/{} accepted as AWS accepted them",
        templates.len() - failures.len(),
        templates.len()
    );
    assert!(
        templates.len() >= 100,
        "only {} templates found",
        templates.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A recorded expectation: the definition, the machine type, and AWS's diagnostics as
/// `(code, message, location)`.
struct Recorded {
    name: String,
    definition: String,
    options: Options,
    diagnostics: Vec<(String, String, Option<String>)>,
}

/// `Invalid State Machine Definition: '<CODE>: <message> at <location>'` into its parts.
fn parse_create_time(message: &str) -> Option<(String, String, Option<String>)> {
    let inner = message
        .split_once("Invalid State Machine Definition: '")?
        .1
        .strip_suffix('\'')?;
    let (code, rest) = inner.split_once(": ")?;
    let (text, location) = rest.rsplit_once(" at ")?;
    let location = (location != "null").then(|| location.to_owned());
    Some((code.to_owned(), text.to_owned(), location))
}

fn snapshot(file: &str) -> Value {
    serde_json::from_str(
        &fs::read_to_string(conformance(&format!(
            "localstack/tests/aws/services/stepfunctions/v2/{file}"
        )))
        .expect("snapshot"),
    )
    .expect("snapshot JSON")
}

fn recorded_entry<'a>(snapshot: &'a Value, key_suffix: &str) -> &'a Value {
    snapshot
        .as_object()
        .expect("snapshot object")
        .iter()
        .find(|(key, _)| key.ends_with(key_suffix))
        .map(|(_, value)| &value["recorded-content"])
        .unwrap_or_else(|| panic!("no snapshot entry {key_suffix}"))
}

/// The first string inside `value` that contains `marker`, from the marker on.
fn find_string(value: &Value, marker: &str) -> Option<String> {
    match value {
        Value::String(text) => text.find(marker).map(|start| text[start..].to_owned()),
        Value::Array(items) => items.iter().find_map(|item| find_string(item, marker)),
        Value::Object(object) => object.values().find_map(|item| find_string(item, marker)),
        _ => None,
    }
}

/// Undoes Python's `repr` of a string (the recorded Map label messages quote one).
fn python_unrepr(text: &str) -> String {
    let inner = &text[1..text.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn localstack_cases() -> Vec<Recorded> {
    let mut cases = Vec::new();

    // ValidateStateMachineDefinition responses (test_sfn_api_validation).
    let validation = snapshot("test_sfn_api_validation.snapshot.json");
    let definitions: [(&str, String, Options); 9] = [
        ("not_a_definition[EMPTY_STRING]", " ".to_owned(), standard()),
        (
            "not_a_definition[NOT_A_DEF]",
            "not a definition".to_owned(),
            standard(),
        ),
        ("not_a_definition[EMPTY_DICT]", "{}".to_owned(), standard()),
        (
            "type_standard[VALID_BASE_PASS]",
            template("validation/statemachines/valid_base_pass.json5"),
            standard(),
        ),
        (
            "type_standard[INVALID_BASE_NO_STARTAT]",
            template("validation/statemachines/invalid_base_no_startat.json5"),
            standard(),
        ),
        (
            "type_standard[VALID_QUERY_LANGUAGE_PASS]",
            template("validation/statemachines/valid_query_language_pass.json5"),
            standard(),
        ),
        (
            "type_express[VALID_BASE_PASS]",
            template("validation/statemachines/valid_base_pass.json5"),
            express(),
        ),
        (
            "type_express[INVALID_DOWNGRADE_QUERY_LANGUAGE]",
            template("validation/statemachines/invalid_downgrade_query_language.json5"),
            express(),
        ),
        (
            "type_express[VALID_QUERY_LANGUAGE_PASS]",
            template("validation/statemachines/valid_query_language_pass.json5"),
            express(),
        ),
    ];
    for (key, definition, options) in definitions {
        let content = recorded_entry(&validation, key);
        let diagnostics = content["validation_response"]["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|diagnostic| {
                (
                    diagnostic["code"].as_str().unwrap_or_default().to_owned(),
                    diagnostic["message"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    diagnostic["location"].as_str().map(str::to_owned),
                )
            })
            .collect();
        cases.push(Recorded {
            name: format!("validate {key}"),
            definition,
            options,
            diagnostics,
        });
    }

    // InvalidDefinition at create time: the message holds the one diagnostic.
    let create_time: Vec<(&str, &str, String, Options)> = vec![
        (
            "test_sfn_api.snapshot.json",
            "test_create_delete_invalid_sm",
            template("base/statemachines/invalid_der.json5"),
            standard(),
        ),
        (
            "scenarios/test_base_scenarios.snapshot.json",
            "test_illegal_escapes[ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION]",
            template("scenarios/statemachines/escape_sequences_illegal_intrinsic_function.json5"),
            standard(),
        ),
        (
            "scenarios/test_base_scenarios.snapshot.json",
            "test_illegal_escapes[ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION_2]",
            template("scenarios/statemachines/escape_sequences_illegal_intrinsic_function_2.json5"),
            standard(),
        ),
        (
            "test_state/test_test_state_machine_scenarios.snapshot.json",
            "test_state_name_invalid_state_definition",
            template("test_state/statemachines/base_invalid_state_definition.json5"),
            standard(),
        ),
        (
            // TestState wraps a single state as `StateName`.
            "test_state/test_state_mock_validation.snapshot.json",
            "test_parallel_state_empty_branches",
            r#"{"StartAt":"StateName","States":{"StateName":{"Type":"Parallel","Branches":[],"End":true}}}"#.to_owned(),
            standard(),
        ),
        (
            // The test's template is not in the corpus; this is its Publish state's shape.
            "test_sfn_api_express.snapshot.json",
            "test_illegal_callbacks[WAIT_FOR_TASK_TOKEN]",
            r#"{"StartAt":"Publish","States":{"Publish":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken","Parameters":{"TopicArn.$":"$.TopicArn","Message":{"TaskToken.$":"$$.Task.Token"}},"End":true}}}"#.to_owned(),
            express(),
        ),
    ];
    // The Wait timestamps the test mutated in code are not recorded; these are one example of
    // each named defect.
    let wait_timestamps = [
        ("NO_T", "2016-03-14 01:59:00Z"),
        ("NO_Z", "2016-03-14T01:59:00"),
        ("INVALID_DATE", "2016-02-30T01:59:00Z"),
        ("INVALID_ISO", "14/03/2016T01:59:00Z"),
    ];
    let mut create_time = create_time;
    let wait_template: Value =
        serde_json::from_str(&template("scenarios/statemachines/wait_timestamp.json5"))
            .expect("wait template");
    let wait_keys: Vec<String> = wait_timestamps
        .iter()
        .map(|(id, _)| format!("test_wait_timestamp_invalid[{id}]"))
        .collect();
    for ((_, timestamp), key) in wait_timestamps.iter().zip(&wait_keys) {
        let mut definition = wait_template.clone();
        definition["States"]["WaitUntil"]["Timestamp"] = Value::from(*timestamp);
        create_time.push((
            "scenarios/test_base_scenarios.snapshot.json",
            key,
            definition.to_string(),
            standard(),
        ));
    }
    for (file, key, definition, options) in create_time {
        let snapshot = snapshot(file);
        let content = recorded_entry(&snapshot, &format!("::{key}"));
        let message = find_string(content, "Invalid State Machine Definition: '")
            .unwrap_or_else(|| panic!("no create-time message for {key}"));
        let parsed =
            parse_create_time(&message).unwrap_or_else(|| panic!("cannot read {key}: {message}"));
        cases.push(Recorded {
            name: format!("create {key}"),
            definition,
            options,
            diagnostics: vec![parsed],
        });
    }

    // Map labels (test_sfn_api_map_run): AWS quotes the definition and the label message.
    let map_run = snapshot("test_sfn_api_map_run.snapshot.json");
    for (key, entry) in map_run.as_object().expect("snapshot") {
        if !key.contains("test_map_state_label_") || !key.contains("fail") {
            continue;
        }
        let content = &entry["recorded-content"];
        let Some(message) = content
            .as_object()
            .and_then(|object| object.values().next())
            .and_then(|value| value["message"].as_str())
        else {
            continue;
        };
        let Some((args, rest)) = message
            .strip_prefix("Error=ValueError Args=[")
            .and_then(|rest| rest.split_once("] in definition '"))
        else {
            continue;
        };
        let definition = rest.strip_suffix("'.").unwrap_or(rest).to_owned();
        cases.push(Recorded {
            name: format!("label {}", key.rsplit("::").next().unwrap_or(key)),
            definition,
            options: standard(),
            diagnostics: vec![(
                "INVALID_LABEL_NAME".to_owned(),
                python_unrepr(args),
                Some("/States/MapState/Label".to_owned()),
            )],
        });
    }
    cases
}

#[test]
fn localstack_recorded_validation() {
    let cases = localstack_cases();
    let mut n_agree = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let diagnostics = validate(&case.definition, &case.options);
        let got: Vec<(String, String, Option<String>)> = errors(&diagnostics)
            .into_iter()
            .map(|diagnostic| {
                (
                    diagnostic.code.to_owned(),
                    diagnostic.message.clone(),
                    diagnostic.location.clone(),
                )
            })
            .collect();
        if got == case.diagnostics {
            n_agree += 1;
        } else {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                case.name, case.diagnostics, got
            ));
        }
    }
    println!(
        "localstack: {n_agree}/{} recorded validation responses agree",
        cases.len()
    );
    for failure in &failures {
        println!("  {failure}");
    }
    // Every recorded response we can reconstruct agrees; the floor leaves room for recordings
    // whose inputs are guesses (the Wait timestamps, the express Publish state).
    assert!(cases.len() >= 80, "only {} cases found", cases.len());
    assert!(n_agree * 100 >= cases.len() * 95, "{}", failures.join("\n"));
}
