//! Replays the shared LocalStack corpus (recorded against AWS) through the engine, and checks
//! that the runner works on any folder in that format.

use std::path::{Path, PathBuf};

use switchback::conformance::{Ports, Verdict, run_corpus, run_corpus_with};

fn shared(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(path)
}

/// Raise these as the engine learns more; never lower them.
const EXECUTION_HISTORY_FLOOR: usize = 153;
const CHOICE_CASES: usize = 25;

#[test]
fn shared_localstack_corpus() {
    let ports = Ports::read(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/conformance/localstack-ports.json"),
    )
    .expect("the ports load");
    let report =
        run_corpus_with(&shared("conformance/localstack"), &ports).expect("the corpus loads");
    println!("{report}");
    let (passed, failed, _) = report.counts(Some("execution-history"));
    assert_eq!(failed, 0, "execution-history entries failed:\n{report}");
    assert!(
        passed >= EXECUTION_HISTORY_FLOOR,
        "only {passed} execution-history entries passed (floor {EXECUTION_HISTORY_FLOOR})"
    );
    let (passed, failed, skipped) = report.counts(Some("choice-cases"));
    assert_eq!(
        (passed, failed, skipped),
        (CHOICE_CASES, 0, 0),
        "choice-cases must all pass:\n{report}"
    );
}

/// A corpus of one entry, written to a temporary folder: the runner must read any folder in the
/// LocalStack format, and must fail an entry whose recording differs from what we do.
fn tiny_corpus(name: &str, expected_output: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchback-corpus-{}-{name}", std::process::id()));
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("templates/pass.json5"),
        r#"{StartAt: "P", States: {P: {Type: "Pass", Result: {"x": 1}, End: true,},},}"#,
    )
    .unwrap();
    let key = "tiny::test_pass";
    let snapshot = serde_json::json!({
        key: {"recorded-content": {"get_execution_history": {"events": [
            {"id": 1, "previousEventId": 0, "timestamp": "timestamp", "type": "ExecutionStarted",
             "executionStartedEventDetails": {"input": {}, "inputDetails": {"truncated": false},
                                              "roleArn": "snf_role_arn"}},
            {"id": 2, "previousEventId": 0, "timestamp": "timestamp", "type": "PassStateEntered",
             "stateEnteredEventDetails": {"name": "P", "input": {},
                                          "inputDetails": {"truncated": false}}},
            {"id": 3, "previousEventId": 2, "timestamp": "timestamp", "type": "PassStateExited",
             "stateExitedEventDetails": {"name": "P", "output": serde_json::from_str::<serde_json::Value>(expected_output).unwrap(),
                                         "outputDetails": {"truncated": false}}},
            {"id": 4, "previousEventId": 3, "timestamp": "timestamp", "type": "ExecutionSucceeded",
             "executionSucceededEventDetails": {"output": serde_json::from_str::<serde_json::Value>(expected_output).unwrap(),
                                                "outputDetails": {"truncated": false}}}
        ]}}}
    });
    std::fs::write(dir.join("snapshot.json"), snapshot.to_string()).unwrap();
    let manifest = serde_json::json!({"entries": [{
        "key": key, "kind": "execution-history", "snapshot_file": "snapshot.json",
        "templates": ["templates/pass.json5"], "template_placeholders": [],
        "template_mutated_in_test_code": false,
        "executions": [{"match_key": "get_execution_history", "input": {}, "status": "SUCCEEDED"}]
    }]});
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
    dir
}

#[test]
fn any_folder_in_the_format() {
    let dir = tiny_corpus("pass", r#"{"x": 1}"#);
    let report = run_corpus(&dir).unwrap();
    assert_eq!(report.entries.len(), 1);
    assert_eq!(report.entries[0].verdict, Verdict::Passed, "{report}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_differing_recording_fails() {
    let dir = tiny_corpus("fail", r#"{"x": 2}"#);
    let report = run_corpus(&dir).unwrap();
    match &report.entries[0].verdict {
        Verdict::Failed(reason) => assert!(reason.contains("output"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(
        report
            .to_string()
            .ends_with("0 passed, 1 failed, 0 skipped")
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_corpus_is_an_error() {
    let error = run_corpus(Path::new("/nonexistent/corpus")).unwrap_err();
    assert!(format!("{error:#}").contains("manifest.json"));
}
