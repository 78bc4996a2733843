//! One small definition per diagnostic the validator gives, checked through the public API:
//! `check(definition, expected)` where `expected` lists `CODE message @ location` lines.

use asl::validate::{MachineType, Options, validate, validate_value};
use proptest::prelude::*;
use serde_json::{Value, json};

fn render(definition: &str, options: &Options) -> Vec<String> {
    validate(definition, options)
        .into_iter()
        .map(|diagnostic| {
            format!(
                "{} {} @ {}",
                diagnostic.code,
                diagnostic.message,
                diagnostic.location.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

fn check(definition: &str, expected: &[&str]) {
    assert_eq!(
        render(definition, &Options::default()),
        expected,
        "{definition}"
    );
}

fn check_express(definition: &str, expected: &[&str]) {
    let options = Options {
        machine_type: MachineType::Express,
    };
    assert_eq!(render(definition, &options), expected, "{definition}");
}

/// A one-state machine around `state` (named `S`).
fn one(state: &str) -> String {
    format!(r#"{{"StartAt":"S","States":{{"S":{state}}}}}"#)
}

#[test]
fn valid_definitions_give_nothing() {
    check(&one(r#"{"Type":"Pass","End":true}"#), &[]);
    check(
        r#"{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsPresent":true},"Next":"D"},{"And":[{"Variable":"$.t","TimestampLessThan":"2024-01-01T00:00:00Z"},{"Variable":"$.n","NumericGreaterThanPath":"$.m"}],"Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}"#,
        &[],
    );
    check(
        &one(
            r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":10,"HeartbeatSeconds":5,"Retry":[{"ErrorEquals":["States.Timeout"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"],"BackoffRate":1.5,"JitterStrategy":"FULL","MaxDelaySeconds":10}],"Credentials":{"RoleArn.$":"$.role"},"End":true}"#,
        ),
        &[],
    );
    check(
        r#"{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.x > 1 %}","Next":"W"}],"Default":"W"},"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","End":true}}}"#,
        &[],
    );
}

#[test]
fn recorded_special_cases() {
    check(
        "",
        &["SCHEMA_VALIDATION_FAILED Definition must be a valid JSON object @ -"],
    );
    check(
        "[]",
        &["SCHEMA_VALIDATION_FAILED Definition must be a valid JSON object @ -"],
    );
    check(
        "{}",
        &["SCHEMA_VALIDATION_FAILED These fields are required: [States, StartAt] @ /"],
    );
    check(
        "not a definition",
        &[
            "INVALID_JSON_DESCRIPTION Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"not a definition\"; line: 1, column: 4] @ [Source: (String)\"not a definition\"; line: 1, column: 4]",
        ],
    );
}

#[test]
fn schema_fields() {
    check(
        r#"{"StartAt":"S","States":{"S":{"Type":"Pass","End":true}},"Extra":1}"#,
        &["SCHEMA_VALIDATION_FAILED Field 'Extra' is not supported @ /"],
    );
    check(
        &one(r#"{"Type":"Nope","End":true}"#),
        &[
            "SCHEMA_VALIDATION_FAILED The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map] @ /States/S/Type",
        ],
    );
    check(
        &one(r#"{"Type":"Task","End":true}"#),
        &["SCHEMA_VALIDATION_FAILED These fields are required: [Resource] @ /States/S"],
    );
    check(
        &one(r#"{"Type":"Wait","Seconds":1,"ResultPath":"$.x","End":true}"#),
        &["SCHEMA_VALIDATION_FAILED Field 'ResultPath' is not supported @ /States/S"],
    );
    check(
        &one(r#"{"Type":"Pass"}"#),
        &[
            "SCHEMA_VALIDATION_FAILED One of these fields is required: [Next, End] @ /States/S",
            "MISSING_END_STATE Workflow has no terminal state @ -",
        ],
    );
    check(
        &one(r#"{"Type":"Parallel","Branches":[],"End":true}"#),
        &["SCHEMA_VALIDATION_FAILED Value cannot be empty @ /States/S/Branches"],
    );
    check(
        &one(r#"{"Type":"Wait","End":true}"#),
        &[
            "SCHEMA_VALIDATION_FAILED One of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath] @ /States/S",
        ],
    );
    check(
        &one(r#"{"Type":"Wait","Timestamp":"2016-03-14T01:59:00","End":true}"#),
        &["SCHEMA_VALIDATION_FAILED String does not match RFC3339 timestamp @ /States/S/Timestamp"],
    );
    check(
        &one(
            r#"{"Type":"Task","Resource":"arn:aws:states:::x","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}"#,
        ),
        &[
            "SCHEMA_VALIDATION_FAILED HeartbeatSeconds must be smaller than TimeoutSeconds @ /States/S/HeartbeatSeconds",
        ],
    );
    check(
        &one(r#"{"Type":"Task","Resource":"arn:aws:states:::x","Credentials":{},"End":true}"#),
        &[
            "SCHEMA_VALIDATION_FAILED The field 'RoleArn' is required but was missing @ /States/S/Credentials",
        ],
    );
}

#[test]
fn retry_and_catch() {
    check(
        &one(
            r#"{"Type":"Task","Resource":"arn:aws:states:::x","Retry":[{"ErrorEquals":["States.ALL","X"]},{"ErrorEquals":["Y"],"MaxAttempts":-1,"IntervalSeconds":0,"BackoffRate":0.5,"JitterStrategy":"HALF"}],"End":true}"#,
        ),
        &[
            "SCHEMA_VALIDATION_FAILED States.ALL must appear alone in ErrorEquals @ /States/S/Retry[0]/ErrorEquals",
            "SCHEMA_VALIDATION_FAILED A retrier with States.ALL must be the last one @ /States/S/Retry[0]/ErrorEquals",
            "SCHEMA_VALIDATION_FAILED Minimum value is 1 @ /States/S/Retry[1]/IntervalSeconds",
            "SCHEMA_VALIDATION_FAILED Minimum value is 0 @ /States/S/Retry[1]/MaxAttempts",
            "SCHEMA_VALIDATION_FAILED Minimum value is 1.0 @ /States/S/Retry[1]/BackoffRate",
            "SCHEMA_VALIDATION_FAILED The field 'JitterStrategy' should have one of these values: [FULL, NONE] @ /States/S/Retry[1]/JitterStrategy",
        ],
    );
    check(
        &one(
            r#"{"Type":"Task","Resource":"arn:aws:states:::x","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Nope"}],"End":true}"#,
        ),
        &["MISSING_TRANSITION_TARGET Missing 'Next' target: Nope @ /States/S/Catch[0]/Next"],
    );
}

#[test]
fn choice_rules() {
    check(
        r#"{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"x","NumericEquals":1,"Next":"D"},{"Not":{"Variable":"$.a","BooleanEquals":"yes","Next":"D"},"Next":"D"},{"Variable":"$.t","TimestampEquals":"yesterday","Next":"D"},{"And":[],"Next":"D"}]},"D":{"Type":"Succeed"}}}"#,
        &[
            "SCHEMA_VALIDATION_FAILED There should only be one of the following fields: [StringEquals, NumericEquals] @ /States/C/Choices[0]",
            "SCHEMA_VALIDATION_FAILED Field 'Next' is not supported @ /States/C/Choices[1]/Not",
            "SCHEMA_VALIDATION_FAILED The field 'BooleanEquals' should be of type Boolean @ /States/C/Choices[1]/Not/BooleanEquals",
            "SCHEMA_VALIDATION_FAILED String does not match RFC3339 timestamp @ /States/C/Choices[2]/TimestampEquals",
            "SCHEMA_VALIDATION_FAILED Value cannot be empty @ /States/C/Choices[3]/And",
        ],
    );
}

#[test]
fn graph() {
    check(
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}"#,
        &["MISSING_END_STATE Workflow has no terminal state @ -"],
    );
    check(
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"},"C":{"Type":"Pass","End":true}}}"#,
        &["MISSING_TRANSITION_TARGET State \"C\" is not reachable. @ /States/C"],
    );
    check(
        r#"{"StartAt":"X","States":{"A":{"Type":"Succeed"}}}"#,
        &["MISSING_TRANSITION_TARGET Missing 'Next' target: X @ /StartAt"],
    );
    check(
        r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"M","States":{"M":{"Type":"Succeed"}}},"End":true}}}"#,
        &["DUPLICATE_STATE_NAME Duplicate State name: M @ /States/M/ItemProcessor/States/M"],
    );
    let long = "x".repeat(81);
    check(
        &format!(r#"{{"StartAt":"{long}","States":{{"{long}":{{"Type":"Succeed"}}}}}}"#),
        &[&format!(
            "INVALID_STATE_NAME State name '{long}' must be between 1 and 80 characters long @ /States/{long}"
        )],
    );
}

#[test]
fn query_languages() {
    check(
        r#"{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}"#,
        &[
            "SCHEMA_VALIDATION_FAILED 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine @ /States/P",
        ],
    );
    check(
        &one(r#"{"Type":"Pass","Output":{"a":1},"End":true}"#),
        &[
            "SCHEMA_VALIDATION_FAILED The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage @ /States/S",
        ],
    );
    check(
        &one(
            r#"{"Type":"Map","ItemProcessor":{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Succeed"}}},"End":true}"#,
        ),
        &[
            "SCHEMA_VALIDATION_FAILED Field 'QueryLanguage' is not supported @ /States/S/ItemProcessor",
        ],
    );
    check(
        &one(
            r#"{"Type":"Pass","QueryLanguage":"JSONata","Output":{"a":["{% 1 + %}"]},"End":true}"#,
        ),
        &["INVALID_JSONATA_EXPRESSION Unexpected end of expression @ /States/S/Output/a[0]"],
    );
}

#[test]
fn paths_and_intrinsics() {
    check(
        &one(
            r#"{"Type":"Pass","Parameters":{"a.$":"States.Nope($.x)","b.$":"$$.Execution.Id","c.$":"States.Format('{}', $.x)"},"End":true}"#,
        ),
        &[
            "SCHEMA_VALIDATION_FAILED The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call @ /States/S/Parameters",
        ],
    );
    check(
        &one(r#"{"Type":"Pass","ResultPath":"$$.x","End":true}"#),
        &["SCHEMA_VALIDATION_FAILED Value is not a Reference Path @ /States/S/ResultPath"],
    );
    check(
        &one(r#"{"Type":"Fail","ErrorPath":"nope"}"#),
        &[
            "SCHEMA_VALIDATION_FAILED The value for the field 'ErrorPath' must be a valid JSONPath or a valid intrinsic function call @ /States/S/ErrorPath",
        ],
    );
}

#[test]
fn resources_and_express() {
    check(
        &one(r#"{"Type":"Task","Resource":"not a uri","End":true}"#),
        &[
            "INVALID_RESOURCE The resource provided not a uri is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. @ /States/S/Resource",
        ],
    );
    let wait = one(
        r#"{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}"#,
    );
    check(&wait, &[]);
    check_express(
        &wait,
        &[
            "SCHEMA_VALIDATION_FAILED Express state machine does not support '.waitForTaskToken' service integration  @ /States/S/Resource",
        ],
    );
    check_express(
        &one(
            r#"{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}"#,
        ),
        &[
            "SCHEMA_VALIDATION_FAILED Express state machine does not support '.sync' service integration @ /States/S/Resource",
        ],
    );
    check_express(
        &one(
            r#"{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","End":true}"#,
        ),
        &[
            "SCHEMA_VALIDATION_FAILED Express state machine does not support Activity ARN @ /States/S/Resource",
        ],
    );
}

#[test]
fn map_fields() {
    check(
        &one(
            r#"{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Succeed"}}},"Label":"a b","ToleratedFailurePercentage":101,"MaxConcurrencyPath":"$$.x","End":true}"#,
        ),
        &[
            "SCHEMA_VALIDATION_FAILED Value is not a Reference Path @ /States/S/MaxConcurrencyPath",
            "SCHEMA_VALIDATION_FAILED Maximum value is 100.0 @ /States/S/ToleratedFailurePercentage",
            "INVALID_LABEL_NAME Label contains invalid character: ' ' @ /States/S/Label",
        ],
    );
}

#[test]
fn too_deep_is_reported_not_overflowed() {
    let mut parameters = json!(1);
    for _ in 0..1_000 {
        parameters = json!([parameters]);
    }
    let definition = json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "Parameters": parameters, "End": true}}});
    let diagnostics = validate_value(&definition, &Options::default());
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, "TOO_DEEPLY_NESTED");
    let text = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    assert_eq!(
        validate(&text, &Options::default())[0].code,
        "TOO_DEEPLY_NESTED"
    );
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[$%{} .a-zA-Z0-9()',]{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("Type"),
            Just("Pass"),
            Just("Map"),
            Just("Choice"),
            Just("Next"),
            Just("End"),
            Just("States"),
            Just("StartAt"),
            Just("Branches"),
            Just("ItemProcessor"),
            Just("{% $x %}"),
            Just("$.a"),
            Just("States.Format('{}', $.a)"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("Type".to_owned()),
                        Just("States".to_owned()),
                        Just("StartAt".to_owned()),
                        Just("Next".to_owned()),
                        Just("End".to_owned()),
                        Just("Choices".to_owned()),
                        Just("Branches".to_owned()),
                        Just("ItemProcessor".to_owned()),
                        Just("Parameters".to_owned()),
                        Just("x.$".to_owned()),
                        Just("S".to_owned()),
                        Just("QueryLanguage".to_owned()),
                        Just("Retry".to_owned()),
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn never_panics_on_any_json(value in arbitrary_json()) {
        let _ = validate_value(&value, &Options::default());
        let _ = validate(&value.to_string(), &Options { machine_type: MachineType::Express });
    }

    #[test]
    fn never_panics_on_any_text(text in "\\PC{0,40}") {
        let _ = validate(&text, &Options::default());
    }
}

#[test]
fn documented_warnings() {
    check(
        &one(r#"{"Type":"Pass","Parameters":{"id":"$.id"},"Result":{"x.$":"$.x"},"End":true}"#),
        &[
            "NO_DOLLAR The value of the field 'id' looks like a JSONPath, but the field name does not end with '.$', so it is used as a literal string @ /States/S/Parameters",
            "PASS_RESULT_IS_STATIC The Pass state's Result has fields ending in '.$'; Result is static and they are not evaluated (use Parameters) @ /States/S/Result",
        ],
    );
}
