//! Stacks stored on the server (issue 7), through the built binary: a stack's life (create,
//! drop a resource, delete), a create that fails and rolls back, two deploys of one stack at
//! once, `--no-wait`, and the stack operations' errors.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{Server, copy_dir, shared};
use serde_json::{Value, json};
use switchback::deployments::call;
use tempfile::TempDir;

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Lifecycle";
const ACTIVITY: &str = "arn:aws:states:us-east-1:123456789012:activity:lifecycle-work";

fn switchback(server: &Server, args: &[&str]) -> (Output, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_switchback"))
        .args(args)
        .args(["--endpoint-url", &server.endpoint])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

fn deploy(
    server: &Server,
    template: &Path,
    stack: &str,
    extra: &[&str],
) -> (Output, String, String) {
    let template = template.to_str().unwrap();
    let mut args = vec!["deploy", "--template-file", template, "--stack-name", stack];
    args.extend_from_slice(extra);
    switchback(server, &args)
}

fn api(server: &Server, target: &str, body: Value) -> anyhow::Result<Value> {
    call(&server.endpoint, target, &body)
}

fn stack(server: &Server, name: &str) -> Value {
    api(
        server,
        "Switchback.DescribeStacks",
        json!({"StackName": name}),
    )
    .unwrap()["Stacks"][0]
        .clone()
}

/// The stack's events, newest first, as "LOGICAL_ID STATUS".
fn events(server: &Server, name: &str) -> Vec<String> {
    common::stack_events(&server.endpoint, name)
}

fn logical_ids(server: &Server, name: &str) -> Vec<String> {
    api(
        server,
        "Switchback.DescribeStackResources",
        json!({"StackName": name}),
    )
    .unwrap()["StackResources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resource| resource["LogicalResourceId"].as_str().unwrap().to_owned())
        .collect()
}

/// A CloudFormation template: state machine `Lifecycle`, with the activity when `activity`,
/// and an alarm whose period is `period` (7 is refused by CloudWatch).
fn template(activity: bool, period: u32) -> String {
    let mut resources = json!({
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "StateMachineName": "Lifecycle",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}},
        "Failures": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": "lifecycle-failures", "Namespace": "AWS/States",
            "MetricName": "ExecutionsFailed", "Statistic": "Sum", "Period": period,
            "EvaluationPeriods": 1, "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Dimensions": [{"Name": "StateMachineArn", "Value": {"Ref": "Machine"}}]}},
    });
    if activity {
        resources["Work"] = json!({"Type": "AWS::StepFunctions::Activity",
                                   "Properties": {"Name": "lifecycle-work"}});
    }
    json!({
        "Resources": resources,
        "Outputs": {"MachineArn": {"Value": {"Ref": "Machine"}}},
    })
    .to_string()
}

fn exists(server: &Server, operation: &str, member: &str, arn: &str) -> bool {
    api(
        server,
        &format!("AWSStepFunctions.{operation}"),
        json!({ member: arn }),
    )
    .is_ok()
}

#[test]
fn a_stack_is_created_loses_a_dropped_resource_and_is_deleted() {
    let data = TempDir::new().unwrap();
    let server = Server::start(data.path(), &[]);
    let folder = TempDir::new().unwrap();
    let file = folder.path().join("template.json");

    std::fs::write(&file, template(true, 60)).unwrap();
    let (output, stdout, stderr) = deploy(&server, &file, "life", &[]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let created = stack(&server, "life");
    assert_eq!(created["StackStatus"], "CREATE_COMPLETE", "{created}");
    assert!(
        created["StackId"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:cloudformation:us-east-1:123456789012:stack/life/"),
        "{created}"
    );
    assert_eq!(
        created["Outputs"],
        json!([{"OutputKey": "MachineArn", "OutputValue": MACHINE}])
    );
    let mut ids = logical_ids(&server, "life");
    ids.sort();
    assert_eq!(ids, ["Failures", "Machine", "Work"]);
    assert!(exists(&server, "DescribeActivity", "activityArn", ACTIVITY));
    let (_, listed, _) = switchback(&server, &["stacks", "list"]);
    assert!(
        listed
            .lines()
            .any(|line| line.starts_with("life ") && line.contains("CREATE_COMPLETE")),
        "{listed}"
    );

    // Unchanged: nothing is written, not even an event.
    let events_before = events(&server, "life").len();
    let (output, stdout, _) = deploy(&server, &file, "life", &[]);
    assert!(
        output.status.success() && stdout.contains("No changes to deploy"),
        "{stdout}"
    );
    let events_after = events(&server, "life").len();
    assert_eq!(events_before, events_after);

    // The activity dropped from the template is deleted, after the rest is applied.
    std::fs::write(&file, template(false, 60)).unwrap();
    let (output, stdout, stderr) = deploy(&server, &file, "life", &["--no-execute-changeset"]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout
            .lines()
            .any(|line| line.contains("Work") && line.trim_end().ends_with("delete")),
        "{stdout}"
    );
    assert!(exists(&server, "DescribeActivity", "activityArn", ACTIVITY));
    let (output, stdout, stderr) = deploy(&server, &file, "life", &[]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Work: deleted"), "{stdout}");
    assert!(!exists(
        &server,
        "DescribeActivity",
        "activityArn",
        ACTIVITY
    ));
    assert_eq!(stack(&server, "life")["StackStatus"], "UPDATE_COMPLETE");
    let mut ids = logical_ids(&server, "life");
    ids.sort();
    assert_eq!(ids, ["Failures", "Machine"]);
    let (_, described, _) = switchback(&server, &["stacks", "describe", "life"]);
    for expected in [
        "status      UPDATE_COMPLETE",
        "MachineArn = arn:aws:states:us-east-1:123456789012:stateMachine:Lifecycle",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "DELETE_COMPLETE",
    ] {
        assert!(described.contains(expected), "{expected}: {described}");
    }

    // A new type replaces a state machine, which CloudFormation refuses for a named one; the
    // stack is left as it was.
    let express = template(false, 60).replace(
        r#""StateMachineName":"Lifecycle""#,
        r#""StateMachineName":"Lifecycle","StateMachineType":"EXPRESS""#,
    );
    assert!(express.contains("EXPRESS"), "{express}");
    std::fs::write(&file, express).unwrap();
    let (output, _, stderr) = deploy(&server, &file, "life", &[]);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "CloudFormation cannot update a stack when a custom-named resource requires \
             replacing. Rename Lifecycle and update the stack again."
        ),
        "{stderr}"
    );
    assert_eq!(stack(&server, "life")["StackStatus"], "UPDATE_COMPLETE");

    // `stacks delete`: every resource, then the stack.
    let (output, stdout, stderr) = switchback(&server, &["stacks", "delete", "life"]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Stack life deleted."), "{stdout}");
    assert!(!exists(
        &server,
        "DescribeStateMachine",
        "stateMachineArn",
        MACHINE
    ));
    let alarms = api(
        &server,
        "GraniteServiceVersion20100801.DescribeAlarms",
        json!({"AlarmNames": ["lifecycle-failures"]}),
    )
    .unwrap();
    assert_eq!(alarms["MetricAlarms"], json!([]), "{alarms}");
    let error = api(
        &server,
        "Switchback.DescribeStacks",
        json!({"StackName": "life"}),
    )
    .unwrap_err();
    assert_eq!(
        format!("{error:#}"),
        "ValidationError: Stack with id life does not exist"
    );
    let (output, _, stderr) = switchback(&server, &["stacks", "delete", "life"]);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("Stack with id life does not exist"),
        "{stderr}"
    );
}

#[test]
fn a_create_that_fails_rolls_back_and_must_be_deleted_before_another() {
    let data = TempDir::new().unwrap();
    let server = Server::start(data.path(), &[]);
    let folder = TempDir::new().unwrap();
    let file = folder.path().join("template.json");

    // CloudWatch refuses a period of 7 s once the machine exists: the machine goes again.
    std::fs::write(&file, template(false, 7)).unwrap();
    let (output, stdout, stderr) = deploy(&server, &file, "broken", &[]);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("Machine: created"), "{stdout}");
    assert!(stdout.contains("Machine: deleted"), "{stdout}");
    assert!(stderr.contains("period must be"), "{stderr}");
    assert!(!exists(
        &server,
        "DescribeStateMachine",
        "stateMachineArn",
        MACHINE
    ));
    let failed = stack(&server, "broken");
    assert_eq!(failed["StackStatus"], "ROLLBACK_COMPLETE", "{failed}");
    assert!(logical_ids(&server, "broken").is_empty());
    let mut statuses = events(&server, "broken");
    statuses.reverse();
    assert_eq!(
        statuses,
        [
            "broken CREATE_IN_PROGRESS",
            "Machine CREATE_IN_PROGRESS",
            "Machine CREATE_COMPLETE",
            "Failures CREATE_IN_PROGRESS",
            "Failures CREATE_FAILED",
            "broken ROLLBACK_IN_PROGRESS",
            "Machine DELETE_COMPLETE",
            "broken ROLLBACK_COMPLETE",
        ]
    );

    // As in CloudFormation, a stack in ROLLBACK_COMPLETE is deleted before it is created again.
    std::fs::write(&file, template(false, 60)).unwrap();
    let (output, _, stderr) = deploy(&server, &file, "broken", &[]);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is in ROLLBACK_COMPLETE state and can not be updated"),
        "{stderr}"
    );
    assert!(!exists(
        &server,
        "DescribeStateMachine",
        "stateMachineArn",
        MACHINE
    ));
    let (output, stdout, stderr) = switchback(&server, &["stacks", "delete", "broken"]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let (output, stdout, stderr) = deploy(&server, &file, "broken", &[]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stack(&server, "broken")["StackStatus"], "CREATE_COMPLETE");
}

#[test]
fn another_deploy_may_not_write_a_stack_in_progress() {
    let data = TempDir::new().unwrap();
    let server = Server::start(data.path(), &[]);
    let put = |token: &str, status: &str| {
        api(
            &server,
            "Switchback.PutStack",
            json!({"StackName": "held", "ClientRequestToken": token, "StackStatus": status}),
        )
    };
    let id = put("first", "CREATE_IN_PROGRESS").unwrap()["StackId"]
        .as_str()
        .unwrap()
        .to_owned();
    put("first", "CREATE_IN_PROGRESS").unwrap();
    let error = put("second", "UPDATE_IN_PROGRESS").unwrap_err();
    assert_eq!(
        format!("{error:#}"),
        format!(
            "ValidationError: Stack:{id} is in CREATE_IN_PROGRESS state and can not be updated."
        )
    );
    let error = api(
        &server,
        "Switchback.DeleteStack",
        json!({"StackName": "held", "ClientRequestToken": "second"}),
    )
    .unwrap_err();
    assert!(
        format!("{error:#}").contains("cannot be deleted while in status CREATE_IN_PROGRESS"),
        "{error:#}"
    );
    // Nothing of the refused writes was kept.
    assert_eq!(stack(&server, "held")["StackStatus"], "CREATE_IN_PROGRESS");
    // Once the first deploy is done, the next one may go.
    put("first", "CREATE_COMPLETE").unwrap();
    put("second", "UPDATE_IN_PROGRESS").unwrap();
    assert_eq!(stack(&server, "held")["StackId"], json!(id));

    // Bad requests change nothing.
    for (body, expected) in [
        (
            json!({"StackName": "1bad", "ClientRequestToken": "t", "StackStatus": "CREATE_COMPLETE"}),
            "ValidationError: 1 validation error detected: Value '1bad' at 'stackName'",
        ),
        (
            json!({"StackName": "held", "ClientRequestToken": "second", "StackStatus": "DONE"}),
            "ValidationError: 1 validation error detected: Value 'DONE' at 'stackStatus'",
        ),
        (
            json!({"StackName": "held", "StackStatus": "UPDATE_COMPLETE"}),
            "ValidationError: 1 validation error detected: Value null at 'clientRequestToken'",
        ),
        (
            json!({"StackName": "held", "ClientRequestToken": "second",
                   "StackStatus": "UPDATE_COMPLETE", "Resources": [{"Colour": "red"}]}),
            "ValidationError: Resources: unknown member Colour",
        ),
        (
            json!({"StackName": "held", "ClientRequestToken": "second",
                   "StackStatus": "UPDATE_COMPLETE", "Surprise": 1}),
            "SerializationException",
        ),
    ] {
        let error = api(&server, "Switchback.PutStack", body).unwrap_err();
        assert!(format!("{error:#}").starts_with(expected), "{error:#}");
    }
    assert_eq!(stack(&server, "held")["StackStatus"], "UPDATE_IN_PROGRESS");
    let error = api(
        &server,
        "Switchback.DescribeStackEvents",
        json!({"StackName": "nowhere"}),
    )
    .unwrap_err();
    assert_eq!(
        format!("{error:#}"),
        "ValidationError: Stack with id nowhere does not exist"
    );
    // CloudFormation deletes a stack that does not exist without a word.
    api(
        &server,
        "Switchback.DeleteStack",
        json!({"StackName": "nowhere"}),
    )
    .unwrap();
}

/// A server at 20x with the seed deployed (version 1), and a copy of the seed whose definition
/// is a good version 2: the same workflow with another comment. LINEAR 50 % every 2 minutes runs
/// in about 12 s at 20x; the second shift comes 6 s after the first.
fn seed_with_a_good_version_2() -> (TempDir, Server, TempDir) {
    let data = TempDir::new().unwrap();
    let server = Server::start(data.path(), &["--time-scale", "20"]);
    let folder = TempDir::new().unwrap();
    copy_dir(&shared("examples/seed"), folder.path());
    let file = folder.path().join("template.yaml");
    let (output, stdout, stderr) = deploy(&server, &file, "seed", &[]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let definition = folder.path().join("statemachine/alias.asl.json");
    let mut changed: Value =
        serde_json::from_str(&std::fs::read_to_string(&definition).unwrap()).unwrap();
    changed["Comment"] = json!("version 2");
    std::fs::write(&definition, changed.to_string()).unwrap();
    (data, server, folder)
}

#[test]
fn no_wait_leaves_the_stack_in_progress_until_the_deployment_ends() {
    let (_data, server, folder) = seed_with_a_good_version_2();
    let file = folder.path().join("template.yaml");
    let started = std::time::Instant::now();
    let (output, stdout, stderr) = deploy(&server, &file, "seed", &["--no-wait"]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{stdout}"
    );
    assert!(stdout.contains("is in progress (--no-wait)"), "{stdout}");
    let pending = stack(&server, "seed");
    assert_eq!(pending["StackStatus"], "UPDATE_IN_PROGRESS", "{pending}");
    let deployment = pending["PendingDeployment"]["DeploymentId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another deploy meanwhile is refused, as CloudFormation refuses an update in progress.
    let (output, _, stderr) = deploy(&server, &file, "seed", &[]);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is in UPDATE_IN_PROGRESS state and can not be updated"),
        "{stderr}"
    );

    let (output, _, _) = switchback(&server, &["deployments", "watch", &deployment]);
    assert!(output.status.success());
    let (_, described, _) = switchback(&server, &["stacks", "describe", "seed"]);
    assert!(
        described.contains(&format!("deployment {deployment} succeeded"))
            && described.contains("status      UPDATE_COMPLETE"),
        "{described}"
    );
    let finished = stack(&server, "seed");
    assert!(finished.get("PendingDeployment").is_none(), "{finished}");
    let alias = api(
        &server,
        "AWSStepFunctions.DescribeStateMachineAlias",
        json!({"stateMachineAliasArn":
               "arn:aws:states:us-east-1:123456789012:stateMachine:SampleAliasMachine:main"}),
    )
    .unwrap();
    assert_eq!(
        alias["routingConfiguration"],
        json!([{"stateMachineVersionArn":
                "arn:aws:states:us-east-1:123456789012:stateMachine:SampleAliasMachine:2",
                "weight": 100}])
    );
    // The stack knows version 2 now: deploying the same template again changes nothing.
    let (output, stdout, _) = deploy(&server, &file, "seed", &[]);
    assert!(
        output.status.success() && stdout.contains("No changes to deploy"),
        "{stdout}"
    );
}

#[test]
fn a_renamed_logical_id_keeps_its_resource() {
    let data = TempDir::new().unwrap();
    let server = Server::start(data.path(), &[]);
    let folder = TempDir::new().unwrap();
    let file = folder.path().join("template.json");

    std::fs::write(&file, template(false, 60)).unwrap();
    let (output, stdout, stderr) = deploy(&server, &file, "renamed", &[]);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    // The state machine moves from `Machine` to `Workflow`: the same name, so the same ARN.
    let renamed = template(false, 60)
        .replace(r#""Machine":"#, r#""Workflow":"#)
        .replace(r#"{"Ref":"Machine"}"#, r#"{"Ref":"Workflow"}"#);
    assert_ne!(renamed, template(false, 60));
    std::fs::write(&file, renamed).unwrap();
    let (output, stdout, stderr) = deploy(&server, &file, "renamed", &[]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.lines().any(|line| line.contains("Machine")
            && line.contains("dropped from the stack, kept as Workflow")),
        "{stdout}"
    );
    assert!(exists(
        &server,
        "DescribeStateMachine",
        "stateMachineArn",
        MACHINE
    ));
    let mut ids = logical_ids(&server, "renamed");
    ids.sort();
    assert_eq!(ids, ["Failures", "Workflow"]);
    assert_eq!(stack(&server, "renamed")["StackStatus"], "UPDATE_COMPLETE");
}

#[test]
fn a_dropped_resource_that_cannot_be_deleted_stays_in_the_stack_until_it_can() {
    let data = TempDir::new().unwrap();
    let server = Server::start(data.path(), &[]);
    let folder = TempDir::new().unwrap();
    let file = folder.path().join("template.json");
    let with_version = |version: bool| {
        let mut template: Value = serde_json::from_str(&template(false, 60)).unwrap();
        if version {
            template["Resources"]["Version"] = json!({
                "Type": "AWS::StepFunctions::StateMachineVersion",
                "Properties": {"StateMachineArn": {"Ref": "Machine"}}});
        }
        template.to_string()
    };

    std::fs::write(&file, with_version(true)).unwrap();
    let (output, stdout, stderr) = deploy(&server, &file, "sticky", &[]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let version = format!("{MACHINE}:1");
    assert!(exists(
        &server,
        "DescribeStateMachine",
        "stateMachineArn",
        &version
    ));
    // An alias outside the stack routes to the version, so the version cannot be deleted.
    let alias = api(
        &server,
        "AWSStepFunctions.CreateStateMachineAlias",
        json!({"name": "outside", "routingConfiguration": [
            {"stateMachineVersionArn": version, "weight": 100}]}),
    )
    .unwrap()["stateMachineAliasArn"]
        .as_str()
        .unwrap()
        .to_owned();

    std::fs::write(&file, with_version(false)).unwrap();
    let (output, stdout, stderr) = deploy(&server, &file, "sticky", &[]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Version: DELETE_FAILED"), "{stdout}");
    assert_eq!(stack(&server, "sticky")["StackStatus"], "UPDATE_COMPLETE");
    assert!(
        events(&server, "sticky").contains(&"Version DELETE_FAILED".to_owned()),
        "{:?}",
        events(&server, "sticky")
    );
    let mut ids = logical_ids(&server, "sticky");
    ids.sort();
    assert_eq!(ids, ["Failures", "Machine", "Version"]);

    // Once the alias is gone, the next deploy of the same template deletes the version.
    api(
        &server,
        "AWSStepFunctions.DeleteStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    )
    .unwrap();
    let (output, stdout, stderr) = deploy(&server, &file, "sticky", &[]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Version: deleted"), "{stdout}");
    let mut ids = logical_ids(&server, "sticky");
    ids.sort();
    assert_eq!(ids, ["Failures", "Machine"]);
}

#[test]
fn a_failure_after_a_gradual_deployment_puts_the_aliases_routing_back() {
    let (_data, server, folder) = seed_with_a_good_version_2();
    let file = folder.path().join("template.yaml");
    // Version 2 is deployed (and succeeds); then an alarm applied after the alias fails
    // (CloudWatch refuses a period of 7 s), so the whole update rolls back.
    let template = std::fs::read_to_string(&file).unwrap().replace(
        "\nOutputs:",
        "  LateAlarm:
    Type: AWS::CloudWatch::Alarm
    DependsOn: AliasStateMachineAliasmain
    Properties:
      Namespace: AWS/States
      MetricName: ExecutionsFailed
      Statistic: Sum
      ComparisonOperator: GreaterThanOrEqualToThreshold
      Threshold: 1
      EvaluationPeriods: 1
      Period: 7

Outputs:",
    );
    std::fs::write(&file, template).unwrap();
    let (output, stdout, stderr) = deploy(&server, &file, "seed", &[]);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("period must be"), "{stdout}\n{stderr}");
    assert_eq!(
        stack(&server, "seed")["StackStatus"],
        "UPDATE_ROLLBACK_COMPLETE"
    );
    let alias = api(
        &server,
        "AWSStepFunctions.DescribeStateMachineAlias",
        json!({"stateMachineAliasArn":
               "arn:aws:states:us-east-1:123456789012:stateMachine:SampleAliasMachine:main"}),
    )
    .unwrap();
    assert_eq!(
        alias["routingConfiguration"],
        json!([{"stateMachineVersionArn":
                "arn:aws:states:us-east-1:123456789012:stateMachine:SampleAliasMachine:1",
                "weight": 100}]),
        "{stdout}"
    );
}
