//! Gradual deployments on a real `switchback serve` (issue 6), driven through the HTTP client of
//! `switchback deployments` and the command itself: `watch` to success (exit 0) and to a stop
//! (exit 1), and a server killed mid-deployment that continues from the recorded step.

mod common;

use std::process::{Command, Stdio};

use common::{ROLE, Server};
use serde_json::{Value, json};
use switchback::deployments::call;
use tempfile::TempDir;

const PASS: &str = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;

fn sfn(server: &Server, operation: &str, body: Value) -> Value {
    call(
        &server.endpoint,
        &format!("AWSStepFunctions.{operation}"),
        &body,
    )
    .unwrap_or_else(|error| panic!("{operation}: {error:#}"))
}

fn switchback(server: &Server, operation: &str, body: Value) -> Value {
    call(&server.endpoint, &format!("Switchback.{operation}"), &body)
        .unwrap_or_else(|error| panic!("{operation}: {error:#}"))
}

/// Machine `orders` with versions 1 and 2 and alias `main` on version 1; answers (alias, v2).
fn setup(server: &Server) -> (String, String) {
    let created = sfn(
        server,
        "CreateStateMachine",
        json!({"name": "orders", "definition": PASS, "roleArn": ROLE, "publish": true}),
    );
    let machine = created["stateMachineArn"].as_str().unwrap().to_owned();
    let v2 = r#"{"Comment": "2", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
    sfn(
        server,
        "UpdateStateMachine",
        json!({"stateMachineArn": machine, "definition": v2, "publish": true}),
    );
    let alias = sfn(
        server,
        "CreateStateMachineAlias",
        json!({"name": "main", "routingConfiguration": [{"stateMachineVersionArn": format!("{machine}:1"), "weight": 100}]}),
    );
    (
        alias["stateMachineAliasArn"].as_str().unwrap().to_owned(),
        format!("{machine}:2"),
    )
}

fn start(server: &Server, alias: &str, target: &str, percentage: u32, interval: u32) -> String {
    let started = switchback(
        server,
        "StartDeployment",
        json!({"stateMachineAliasArn": alias, "targetVersionArn": target,
               "deploymentPreference": {"type": "LINEAR", "percentage": percentage, "interval": interval}}),
    );
    started["deploymentId"].as_str().unwrap().to_owned()
}

fn cli(server: &Server, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchback"));
    command
        .arg("deployments")
        .args(args)
        .arg("--endpoint-url")
        .arg(&server.endpoint)
        .stdin(Stdio::null());
    command
}

fn shifts(described: &Value) -> Vec<u64> {
    described["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["type"] == "Shifted")
        .map(|entry| entry["targetWeight"].as_u64().unwrap())
        .collect()
}

#[test]
fn watch_exits_0_on_success_and_1_on_a_stop() {
    let data = TempDir::new().unwrap();
    // 1 minute = 100 ms.
    let server = Server::start(data.path(), &["--time-scale", "600"]);
    let (alias, v2) = setup(&server);
    let id = start(&server, &alias, &v2, 50, 2);
    let output = cli(&server, &["watch", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("status      SUCCEEDED"), "{text}");
    assert!(text.contains("shifted: target at 100% (v2 100%)"), "{text}");

    // Back to version 1 slowly, stopped by hand while `watch` follows it.
    let back = start(&server, &alias, &alias.replace(":main", ":1"), 10, 10);
    let watch = cli(&server, &["watch", &back])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let stopped = switchback(&server, "StopDeployment", json!({"deploymentId": back}));
    assert_eq!(stopped["status"], "STOPPED");
    let output = watch.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("STOPPED"), "{text}");
    assert!(
        text.contains(&format!("v2 100% [{}]   0% v1", "#".repeat(40))),
        "{text}"
    );

    let listed = cli(&server, &["list"]).output().unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{text}");
    assert!(text.contains(&id) && text.contains(&back), "{text}");
    let described = cli(&server, &["describe", &id]).output().unwrap();
    assert!(String::from_utf8_lossy(&described.stdout).contains("SUCCEEDED"));
    let missing = cli(&server, &["describe", "nope"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("DeploymentDoesNotExist"));
}

#[test]
fn a_killed_server_continues_the_deployment_from_the_recorded_step() {
    let data = TempDir::new().unwrap();
    // 1 minute = 500 ms: LINEAR 25 % every 2 minutes shifts every second.
    let server = Server::start(data.path(), &["--time-scale", "120"]);
    let (alias, v2) = setup(&server);
    let id = start(&server, &alias, &v2, 25, 2);
    let before = switchback(&server, "DescribeDeployment", json!({"deploymentId": id}));
    assert_eq!(shifts(&before), vec![25]);
    // SIGKILL, mid-deployment.
    drop(server);
    let server = Server::start(data.path(), &["--time-scale", "120"]);
    let output = cli(&server, &["watch", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}\n{}", server.log());
    let done = switchback(&server, "DescribeDeployment", json!({"deploymentId": id}));
    assert_eq!(done["status"], "SUCCEEDED");
    // No step repeated, none skipped.
    assert_eq!(shifts(&done), vec![25, 50, 75, 100]);
    let alias = sfn(
        &server,
        "DescribeStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    );
    assert_eq!(
        alias["routingConfiguration"],
        json!([{"stateMachineVersionArn": v2, "weight": 100}])
    );
}
