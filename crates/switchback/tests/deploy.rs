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

use common::{Server, shared};
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

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
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
    assert!(ran.iter().any(|(version, _)| *version == v2), "{ran:?}");
    for (version, status) in &ran {
        assert!(*version == v1 || *version == v2, "{ran:?}");
        let expected = if *version == v2 {
            "FAILED"
        } else {
            "SUCCEEDED"
        };
        assert_eq!(status, expected, "{ran:?}");
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
