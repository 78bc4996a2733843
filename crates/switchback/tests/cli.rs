//! The `switchback` command as a user runs it: exit codes, what it prints, how it reports
//! bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn seed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/examples/seed/statemachine")
        .join(name)
}

fn switchback(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchback"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_temp(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("switchback-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn seed_succeeds_for_b() {
    let definition = seed("alias.asl.json");
    let output = switchback(&[
        "run",
        definition.to_str().unwrap(),
        "--input",
        r#"{"type":"B"}"#,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).trim(), r#"{"type":"B"}"#);
}

#[test]
fn seed_fails_for_a() {
    let definition = seed("alias.asl.json");
    let output = switchback(&[
        "run",
        definition.to_str().unwrap(),
        "--input",
        r#"{"type":"A"}"#,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("FAILED"));
}

#[test]
fn seed_fails_for_e_with_no_choice_matched() {
    let definition = seed("alias.asl.json");
    let output = switchback(&[
        "run",
        definition.to_str().unwrap(),
        "--input",
        r#"{"type":"E"}"#,
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("States.NoChoiceMatched"), "{stderr}");
}

#[test]
fn history_prints_aws_events() {
    let definition = seed("alias.asl.json");
    let output = switchback(&[
        "run",
        definition.to_str().unwrap(),
        "--input",
        r#"{"type":"C"}"#,
        "--history",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let types: Vec<String> = text(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event.get("id").is_some())
        .filter_map(|event| {
            event
                .get("type")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn waits_honour_the_time_scale() {
    let definition = write_temp(
        "wait.json",
        r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 20, "End": true}}}"#,
    );
    let started = std::time::Instant::now();
    let output = switchback(&["run", definition.to_str().unwrap(), "--time-scale", "100"]);
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // 20 s at 100x is 0.2 s of real time.
    assert!(elapsed.as_millis() >= 150, "returned after {elapsed:?}");
    assert!(elapsed.as_secs() < 10, "took {elapsed:?}");
}

#[test]
fn tasks_fail_clearly_until_integrations_exist() {
    let definition = write_temp(
        "task.json",
        r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}"#,
    );
    let output = switchback(&["run", definition.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("task integrations are not built yet"),
        "{stderr}"
    );
}

#[test]
fn bad_usage_exits_2() {
    let definition = seed("alias.asl.json");
    let output = switchback(&["run", definition.to_str().unwrap(), "--input", "{not json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--input is not valid JSON"));

    let output = switchback(&["run", "/nonexistent/definition.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot read"));

    let output = switchback(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn validate_underlines_the_problem() {
    let definition = write_temp(
        "invalid.json",
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"Nowhere\"}\n  }\n}\n",
    );
    let output = switchback(&["validate", definition.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("MISSING_TRANSITION_TARGET"), "{stderr}");
    assert!(stderr.contains("/States/A/Next"), "{stderr}");
    assert!(stderr.contains("\"Nowhere\""), "{stderr}");

    let output = switchback(&["validate", seed("alias.asl.json").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn run_refuses_an_invalid_definition() {
    let definition = write_temp("not-json.json", "not a definition");
    let output = switchback(&["run", definition.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("INVALID_JSON_DESCRIPTION"));
}

#[test]
fn validate_warns_of_a_variable_no_assign_sets_and_run_uses_variables() {
    let definition = write_temp(
        "variables.asl.json",
        r#"{"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"greeting": "hello"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"g.$": "$greeting", "t.$": "$typo"}, "End": true}}}"#,
    );
    let output = switchback(&["validate", definition.to_str().unwrap()]);
    assert!(output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr
            .contains("State 'B' reads the variable $typo, which no Assign in the definition sets")
            && !stderr.contains("$greeting,"),
        "{stderr}"
    );
    // Running it: $greeting is there, $typo is not (a runtime error, as on AWS).
    let output = switchback(&["run", definition.to_str().unwrap(), "--input", "{}"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    let fixed = write_temp(
        "variables-fixed.asl.json",
        r#"{"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"greeting": "hello"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"g.$": "$greeting"}, "End": true}}}"#,
    );
    let output = switchback(&["run", fixed.to_str().unwrap(), "--input", "{}"]);
    assert!(output.status.success());
    assert_eq!(text(&output.stdout).trim(), r#"{"g":"hello"}"#);
}

/// The mock configuration of Step Functions Local's documentation (in the corpus).
fn mock_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/conformance/localstack/tests/aws/services/stepfunctions/\
         local_mocked_service_integrations/mock_config_files/lambda_sqs_integration.json5",
    )
}

#[test]
fn run_answers_tasks_from_a_mock_configuration() {
    let definition = write_temp(
        "LambdaSQSIntegration.asl.json",
        r#"{"StartAt": "LambdaState", "States": {
            "LambdaState": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName": "f"}, "Next": "SQSState",
                            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1,
                                       "MaxAttempts": 3, "BackoffRate": 1}]},
            "SQSState": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                         "Parameters": {"QueueUrl": "q", "MessageBody.$": "$.Payload.body"},
                         "End": true}}}"#,
    );
    let config = mock_config();
    let run = |case: &str| {
        switchback(&[
            "run",
            definition.to_str().unwrap(),
            "--time-scale",
            "1000",
            "--history",
            "--mock-config",
            config.to_str().unwrap(),
            "--test-case",
            case,
        ])
    };
    let output = run("LambdaSQSIntegration#HappyPath");
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.trim_end().ends_with(r#""MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}"#),
        "{stdout}"
    );
    // RetryPath: three mocked failures, then the mocked success; the retries are in the history.
    let output = run("RetryPath");
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert_eq!(
        stdout.matches("\"type\":\"TaskFailed\"").count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("Lambda.TimeoutException"), "{stdout}");
    // HybridPath mocks only the Lambda state: the SQS state has no integration to call.
    let output = run("HybridPath");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout).contains("task integrations are not built yet"));
    // An unknown test case, and --mock-config without --test-case, are refused.
    let output = run("LambdaSQSIntegration#Nope");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr)
            .contains("has no test case 'Nope' (it has: HappyPath, HybridPath, RetryPath)"),
        "{}",
        text(&output.stderr)
    );
    let output = switchback(&[
        "run",
        definition.to_str().unwrap(),
        "--mock-config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--mock-config needs --test-case"));
}

#[test]
fn serve_refuses_unusable_integration_files() {
    let data = std::env::temp_dir().join(format!("switchback-cli-{}-data", std::process::id()));
    let data = data.to_str().unwrap();
    let refused = |flag: &str, value: &str, reason: &str| {
        let output = switchback(&[
            "serve",
            "--data-dir",
            data,
            "--bind",
            "127.0.0.1:0",
            flag,
            value,
        ]);
        assert_ne!(output.status.code(), Some(0));
        let stderr = text(&output.stderr);
        assert!(stderr.contains(reason), "{stderr}");
    };
    refused(
        "--connections",
        "/nonexistent/connections.json",
        "cannot read /nonexistent/connections.json",
    );
    let functions = write_temp("functions.json", r#"{"Functions": {"f": 3}}"#);
    refused(
        "--lambda-functions",
        functions.to_str().unwrap(),
        "the URL of the function 'f' must be a string",
    );
    refused(
        "--lambda-endpoint",
        "lambda.example:9001",
        "--lambda-endpoint must be an http:// or https:// URL",
    );
    let _ = std::fs::remove_dir_all(data);
}
