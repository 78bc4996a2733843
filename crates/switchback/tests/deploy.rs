//! `switchback deploy` on a real `switchback serve` (issue 7): the seed's template deployed
//! (version 1, alias `main` at 100 %, the alarm), deployed again unchanged (nothing changes), then
//! deployed with the faulty definition while traffic of type B runs through `main`: version 2 is
//! published, the deployment starts, the alarm fires, the alias rolls back to version 1 and the
//! command exits non-zero with the reason.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Server, copy_dir, shared};
use serde_json::{Value, json};
use switchback::deployments::call;
use tempfile::TempDir;

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:SampleAliasMachine";

fn sfn(server: &Server, operation: &str, body: Value) -> Value {
    call(
        &server.endpoint,
        &format!("AWSStepFunctions.{operation}"),
        &body,
    )
    .unwrap_or_else(|error| panic!("{operation}: {error:#}"))
}

fn deploy(server: &Server, template: &Path) -> (Output, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_switchback"))
        .arg("deploy")
        .arg("--template-file")
        .arg(template)
        .args(["--stack-name", "seed", "--endpoint-url", &server.endpoint])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

fn stack(server: &Server) -> Value {
    call(
        &server.endpoint,
        "Switchback.DescribeStacks",
        &json!({"StackName": "seed"}),
    )
    .unwrap()["Stacks"][0]
        .clone()
}

/// The stack's resources as (logical id, physical id).
fn stack_resources(server: &Server) -> Vec<(String, String)> {
    call(
        &server.endpoint,
        "Switchback.DescribeStackResources",
        &json!({"StackName": "seed"}),
    )
    .unwrap()["StackResources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resource| {
            (
                resource["LogicalResourceId"].as_str().unwrap().to_owned(),
                resource["PhysicalResourceId"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect()
}

fn stack_event_statuses(server: &Server) -> Vec<String> {
    common::stack_events(&server.endpoint, "seed")
}

fn routing(server: &Server) -> Value {
    sfn(
        server,
        "DescribeStateMachineAlias",
        json!({"stateMachineAliasArn": format!("{MACHINE}:main")}),
    )["routingConfiguration"]
        .clone()
}

fn versions(server: &Server) -> Vec<String> {
    let mut arns: Vec<String> = sfn(
        server,
        "ListStateMachineVersions",
        json!({"stateMachineArn": MACHINE}),
    )["stateMachineVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["stateMachineVersionArn"].as_str().unwrap().to_owned())
        .collect();
    arns.sort();
    arns
}

fn run_b(endpoint: &str) -> Value {
    call(
        endpoint,
        "AWSStepFunctions.StartSyncExecution",
        &json!({"stateMachineArn": format!("{MACHINE}:main"), "input": r#"{"type": "B"}"#}),
    )
    .unwrap()
}

#[test]
fn the_seed_deploys_redeploys_unchanged_and_rolls_back_a_faulty_revision() {
    let data = TempDir::new().unwrap();
    // 2 minutes last 1.2 s, an alarm check (60 s) 0.6 s: traffic reaches version 2 in time.
    let server = Server::start(data.path(), &["--time-scale", "100"]);
    let seed = shared("examples/seed");
    let template = seed.join("template.yaml");

    // 1. The template as it is: version 1, `main` at 100 %, the alarm.
    let (output, stdout, stderr) = deploy(&server, &template);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("AliasStateMachine "), "{stdout}");
    assert!(stdout.contains("published version 1"), "{stdout}");
    assert!(stdout.contains("Stack seed deployed."), "{stdout}");
    assert!(stderr.contains("template.yaml:"), "{stderr}");
    let v1 = format!("{MACHINE}:1");
    assert_eq!(versions(&server), std::slice::from_ref(&v1));
    assert_eq!(
        routing(&server),
        json!([{"stateMachineVersionArn": v1, "weight": 100}])
    );
    let alarms = call(
        &server.endpoint,
        "GraniteServiceVersion20100801.DescribeAlarms",
        &json!({"AlarmNamePrefix": "seed-AliasStateMachineFailureAlarm-"}),
    )
    .unwrap();
    let alarm = &alarms["MetricAlarms"][0];
    assert_eq!(alarm["MetricName"], "ExecutionsFailed", "{alarms}");
    assert_ne!(alarm["StateValue"], "ALARM", "{alarms}");
    // The stack is recorded with each resource's physical id.
    assert_eq!(stack(&server)["StackStatus"], "CREATE_COMPLETE");
    let resources = stack_resources(&server);
    for expected in [
        ("AliasStateMachine", MACHINE.to_owned()),
        ("AliasStateMachineVersion", v1.clone()),
        ("AliasStateMachineAliasmain", format!("{MACHINE}:main")),
    ] {
        assert!(
            resources
                .iter()
                .any(|(id, physical)| (id.as_str(), physical) == (expected.0, &expected.1)),
            "{resources:?}"
        );
    }
    // Type B succeeds on version 1.
    let ran = run_b(&server.endpoint);
    assert_eq!(ran["status"], "SUCCEEDED", "{ran}");
    assert_eq!(ran["stateMachineVersionArn"], json!(v1), "{ran}");

    // 2. Again, unchanged: nothing happens.
    let (output, stdout, stderr) = deploy(&server, &template);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("No changes to deploy"), "{stdout}");
    assert_eq!(versions(&server), std::slice::from_ref(&v1));

    // 3. The faulty revision, under traffic of type B through `main`.
    let folder = TempDir::new().unwrap();
    copy_dir(&seed, folder.path());
    let faulty = folder.path().join("template.yaml");
    let text = std::fs::read_to_string(&faulty).unwrap().replace(
        "statemachine/alias.asl.json",
        "statemachine/alias-defect.asl.json",
    );
    std::fs::write(&faulty, text).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = {
        let stop = Arc::clone(&stop);
        let endpoint = server.endpoint.clone();
        std::thread::spawn(move || {
            let mut ran = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let result = run_b(&endpoint);
                ran.push((
                    result["stateMachineVersionArn"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                    result["status"].as_str().unwrap_or("").to_owned(),
                    result["executionArn"].as_str().unwrap_or("").to_owned(),
                ));
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            ran
        })
    };
    let (output, stdout, stderr) = deploy(&server, &faulty);
    stop.store(true, Ordering::Relaxed);
    let ran = traffic.join().unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("update (Definition)"), "{stdout}");
    assert!(stdout.contains("published version 2"), "{stdout}");
    assert!(stdout.contains("LINEAR 50% every 2 min"), "{stdout}");
    assert!(stdout.contains("ROLLED_BACK"), "{stdout}");
    assert!(
        stderr.contains("rolled back")
            && stderr.contains("The following CloudWatch alarms are in an 'ALARM' state"),
        "{stderr}"
    );
    let v2 = format!("{MACHINE}:2");
    assert_eq!(versions(&server), [v1.clone(), v2.clone()]);
    assert_eq!(
        routing(&server),
        json!([{"stateMachineVersionArn": v1, "weight": 100}])
    );
    // Every execution ran one of the two versions; version 2's failed, version 1's succeeded.
    assert!(ran.iter().any(|(version, _, _)| *version == v2), "{ran:?}");
    for (version, status, _) in &ran {
        assert!(*version == v1 || *version == v2, "{ran:?}");
        let expected = if *version == v2 {
            "FAILED"
        } else {
            "SUCCEEDED"
        };
        assert_eq!(status, expected, "{ran:?}");
    }

    // The stack rolled back as CloudFormation's does: its status and reason, the alias's
    // failure in its events, its resources and template as before.
    let rolled_back = stack(&server);
    assert_eq!(rolled_back["StackStatus"], "UPDATE_ROLLBACK_COMPLETE");
    assert!(
        rolled_back["StackStatusReason"]
            .as_str()
            .unwrap()
            .contains("The following CloudWatch alarms are in an 'ALARM' state"),
        "{rolled_back}"
    );
    let events = stack_event_statuses(&server);
    for expected in [
        "seed UPDATE_ROLLBACK_COMPLETE",
        "AliasStateMachine UPDATE_COMPLETE",
        "seed UPDATE_ROLLBACK_IN_PROGRESS",
        "AliasStateMachineAliasmain UPDATE_FAILED",
        "AliasStateMachineAliasmain UPDATE_IN_PROGRESS",
        "seed UPDATE_IN_PROGRESS",
        "seed CREATE_COMPLETE",
    ] {
        assert!(
            events.iter().any(|event| event == expected),
            "{expected}: {events:?}"
        );
    }
    assert_eq!(events[0], "seed UPDATE_ROLLBACK_COMPLETE", "{events:?}");
    assert_eq!(stack_resources(&server), resources);
    let kept = call(
        &server.endpoint,
        "Switchback.GetTemplate",
        &json!({"StackName": "seed"}),
    )
    .unwrap();
    assert!(
        !kept["TemplateBody"]
            .as_str()
            .unwrap()
            .contains("alias-defect"),
        "{kept}"
    );

    // Every execution started is recorded, with its version and outcome, in the execution log
    // the template configures (EXPRESS executions are kept nowhere else, as on AWS).
    let log = std::fs::read_to_string(
        data.path()
            .join("logs/%2Faws%2Fvendedlogs%2Fstates%2FSampleAliasMachine.log"),
    )
    .unwrap();
    let mut logged: std::collections::HashMap<String, (String, String)> = Default::default();
    for line in log.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let arn = record["execution_arn"].as_str().unwrap().to_owned();
        let entry = logged.entry(arn).or_default();
        match record["type"].as_str().unwrap() {
            "ExecutionStarted" => {
                entry.0 = record["details"]["stateMachineVersionArn"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
            }
            "ExecutionSucceeded" => entry.1 = "SUCCEEDED".to_owned(),
            "ExecutionFailed" => entry.1 = "FAILED".to_owned(),
            _ => {}
        }
    }
    for (version, status, arn) in &ran {
        assert_eq!(
            logged.get(arn),
            Some(&(version.clone(), status.clone())),
            "{arn}"
        );
    }

    // 4. `main` runs version 1 again, and the machine has its previous definition back.
    let ran = run_b(&server.endpoint);
    assert_eq!(ran["status"], "SUCCEEDED", "{ran}");
    assert_eq!(ran["stateMachineVersionArn"], json!(v1), "{ran}");
    let (output, stdout, stderr) = deploy(&server, &template);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("No changes to deploy"), "{stdout}");
}

#[test]
fn errors_point_at_the_template_and_a_preview_changes_nothing() {
    let data = TempDir::new().unwrap();
    let server = Server::start(data.path(), &[]);
    let folder = TempDir::new().unwrap();
    copy_dir(&shared("examples/seed"), folder.path());
    let template = folder.path().join("template.yaml");
    let good = std::fs::read_to_string(&template).unwrap();

    std::fs::write(
        &template,
        good.replace("!Ref AliasStateMachineFailureAlarm", "!Ref Nowhere"),
    )
    .unwrap();
    let (output, stdout, stderr) = deploy(&server, &template);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("template.yaml:41:13: error"), "{stderr}");
    assert!(
        stderr.contains("Nowhere") && stderr.contains("nothing deployed"),
        "{stderr}"
    );

    std::fs::write(&template, &good).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_switchback"))
        .arg("deploy")
        .arg("--template-file")
        .arg(&template)
        .args(["--stack-name", "seed", "--no-execute-changeset"])
        .args(["--endpoint-url", &server.endpoint])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("create") && stdout.contains("nothing applied"),
        "{stdout}"
    );
    let listed = sfn(&server, "ListStateMachines", json!({}));
    assert_eq!(listed["stateMachines"], json!([]), "{listed}");
}

#[test]
fn the_demo_tells_the_seed_story_to_its_end() {
    let output = Command::new(env!("CARGO_BIN_EXE_switchback"))
        .args(["demo", "seed"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    for expected in [
        "SUCCEEDED on version 1",
        "published version 2",
        "ROLLED_BACK",
        "on version 2: FAILED",
        "all of",
        "alias main routes version 1 100%",
        "one more {\"type\": \"B\"} through main: SUCCEEDED on version 1",
        "stack seed is UPDATE_ROLLBACK_COMPLETE",
        "Done:",
    ] {
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
}

/// Issue 11: a `NoEcho` parameter's value is used (an activity's tag holds it) and printed
/// nowhere: not by `deploy`, not by `stacks describe`, not in the stored stack.
#[test]
fn a_no_echo_parameter_is_never_printed() {
    let data = TempDir::new().unwrap();
    let server = Server::start(data.path(), &[]);
    let folder = TempDir::new().unwrap();
    let template = folder.path().join("template.yaml");
    std::fs::write(
        &template,
        "Parameters:\n  Secret: {Type: String, NoEcho: true}\nResources:\n  Work:\n    \
         Type: AWS::StepFunctions::Activity\n    Properties:\n      Name: work\n      \
         Tags: [{Key: token, Value: !Ref Secret}]\n",
    )
    .unwrap();
    let secret = "hunter2-do-not-print";
    let output = Command::new(env!("CARGO_BIN_EXE_switchback"))
        .arg("deploy")
        .arg("--template-file")
        .arg(&template)
        .args(["--stack-name", "seed", "--endpoint-url", &server.endpoint])
        .arg("--parameter-overrides")
        .arg(format!("Secret={secret}"))
        .output()
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{printed}");
    let activities = sfn(&server, "ListActivities", json!({}));
    let tags = sfn(
        &server,
        "ListTagsForResource",
        json!({"resourceArn": activities["activities"][0]["activityArn"]}),
    );
    assert_eq!(tags["tags"], json!([{"key": "token", "value": secret}]));
    let described = Command::new(env!("CARGO_BIN_EXE_switchback"))
        .args([
            "stacks",
            "describe",
            "seed",
            "--endpoint-url",
            &server.endpoint,
        ])
        .output()
        .unwrap();
    let described = String::from_utf8_lossy(&described.stdout).into_owned();
    assert!(described.contains("Secret = ****"), "{described}");
    let stored = stack(&server);
    assert_eq!(
        stored["Parameters"],
        json!([{"ParameterKey": "Secret", "ParameterValue": "****"}])
    );
    for text in [printed, described, stored["Parameters"].to_string()] {
        assert!(!text.contains(secret), "{text}");
    }
}
