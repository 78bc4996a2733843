//! A real `switchback serve` driven by the AWS SDK for Rust (`aws-sdk-sfn`): state machines,
//! executions, histories, activities, tags, typed errors, SigV4 end to end, and the process
//! itself (refusing an open bind without credentials, SIGTERM, data surviving a restart).
//!
//! Each test starts its own server on its own port with its own data directory.

mod common;

use std::process::Command;

use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::operation::create_state_machine::CreateStateMachineError;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::describe_state_machine::DescribeStateMachineError;
use aws_sdk_sfn::operation::list_executions::ListExecutionsError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::types::{
    ExecutionStatus, HistoryEventType, StateMachineStatus, StateMachineType, SyncExecutionStatus,
    Tag,
};
use common::{ROLE, Server, shared, wait_done};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The seed workflow of the shared examples.
fn seed() -> String {
    std::fs::read_to_string(shared("examples/seed/statemachine/alias.asl.json"))
        .expect("the seed definition")
}

fn choice() -> Value {
    json!({
        "StartAt": "Basic Choice",
        "States": {
            "Basic Choice": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.type", "StringEquals": "B", "Next": "Passed"},
                    {"Variable": "$.type", "StringEquals": "A", "Next": "Failed"}
                ]
            },
            "Passed": {"Type": "Succeed"},
            "Failed": {"Type": "Fail", "Error": "Bad", "Cause": "type A"}
        }
    })
}

fn server(data: &TempDir) -> Server {
    Server::start(data.path(), &["--time-scale", "100"])
}

async fn create(client: &aws_sdk_sfn::Client, name: &str, definition: &str) -> String {
    client
        .create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn(ROLE)
        .send()
        .await
        .expect("CreateStateMachine works")
        .state_machine_arn
}

async fn start(client: &aws_sdk_sfn::Client, machine: &str, name: &str, input: &str) -> String {
    client
        .start_execution()
        .state_machine_arn(machine)
        .name(name)
        .input(input)
        .send()
        .await
        .expect("StartExecution works")
        .execution_arn
}

#[tokio::test]
async fn state_machine_lifecycle() {
    let data = TempDir::new().unwrap();
    let server = server(&data);
    let client = server.client();
    let definition = choice().to_string();
    let arn = create(&client, "life", &definition).await;
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:life"
    );

    let described = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.name(), "life");
    assert_eq!(described.r#type(), &StateMachineType::Standard);
    assert_eq!(described.status(), Some(&StateMachineStatus::Active));
    assert_eq!(described.role_arn(), ROLE);
    assert_eq!(
        serde_json::from_str::<Value>(described.definition()).unwrap(),
        choice()
    );

    // The same call again is idempotent.
    assert_eq!(create(&client, "life", &definition).await, arn);

    let changed = json!({"Comment": "changed", "StartAt": "P",
                         "States": {"P": {"Type": "Pass", "End": true}}})
    .to_string();
    let updated = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(&changed)
        .send()
        .await
        .unwrap();
    assert!(updated.update_date().secs() > 0);
    let described = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.definition(), changed);

    // Paged one by one, through the SDK's paginator.
    for name in ["life-2", "life-3"] {
        create(&client, name, &definition).await;
    }
    let mut names = Vec::new();
    let mut pages = client
        .list_state_machines()
        .max_results(1)
        .into_paginator()
        .send();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        page_count += 1;
        names.extend(
            page.state_machines()
                .iter()
                .map(|item| item.name().to_owned()),
        );
    }
    names.sort();
    assert_eq!(names, ["life", "life-2", "life-3"]);
    assert!(page_count >= 3, "{page_count} pages");

    client
        .delete_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let error = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(
            error,
            DescribeStateMachineError::StateMachineDoesNotExist(_)
        ),
        "{error:?}"
    );
    assert_eq!(
        error.message(),
        Some(format!("State Machine Does Not Exist: '{arn}'").as_str())
    );
}

#[tokio::test]
async fn the_seed_workflow() {
    let data = TempDir::new().unwrap();
    let server = server(&data);
    let client = server.client();
    let machine = create(&client, "seed", &seed()).await;

    let b = start(&client, &machine, "b", r#"{"type":"B"}"#).await;
    let described = wait_done(&client, &b).await;
    assert_eq!(described.status(), &ExecutionStatus::Succeeded);
    assert_eq!(described.output(), Some(r#"{"type":"B"}"#));

    let a = start(&client, &machine, "a", r#"{"type":"A"}"#).await;
    let described = wait_done(&client, &a).await;
    assert_eq!(described.status(), &ExecutionStatus::Failed);

    let e = start(&client, &machine, "e", r#"{"type":"E"}"#).await;
    let described = wait_done(&client, &e).await;
    assert_eq!(described.status(), &ExecutionStatus::Failed);
    assert_eq!(described.error(), Some("States.NoChoiceMatched"));
    let history = client
        .get_execution_history()
        .execution_arn(&e)
        .send()
        .await
        .unwrap();
    let types: Vec<&str> = history
        .events()
        .iter()
        .map(|event| event.r#type().as_str())
        .collect();
    assert_eq!(
        types,
        ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]
    );
    let failed = history.events()[2]
        .execution_failed_event_details()
        .expect("failure details");
    assert_eq!(failed.error(), Some("States.NoChoiceMatched"));
}

#[tokio::test]
async fn start_sync_execution_on_express() {
    let data = TempDir::new().unwrap();
    let server = server(&data);
    let client = server.client();
    let machine = client
        .create_state_machine()
        .name("express")
        .definition(choice().to_string())
        .role_arn(ROLE)
        .r#type(StateMachineType::Express)
        .send()
        .await
        .unwrap()
        .state_machine_arn;

    let result = client
        .start_sync_execution()
        .state_machine_arn(&machine)
        .input(r#"{"type": "B"}"#)
        .send()
        .await
        .expect("StartSyncExecution reaches the server despite the sync- host prefix");
    assert_eq!(result.status(), &SyncExecutionStatus::Succeeded);
    assert_eq!(result.output(), Some(r#"{"type": "B"}"#));
    assert!(result.execution_arn().contains(":express:express:"));

    let result = client
        .start_sync_execution()
        .state_machine_arn(&machine)
        .input(r#"{"type": "A"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(result.status(), &SyncExecutionStatus::Failed);
    assert_eq!(result.error(), Some("Bad"));
    assert_eq!(result.cause(), Some("type A"));
}

#[tokio::test]
async fn history_paging_and_list_filters() {
    let data = TempDir::new().unwrap();
    let server = server(&data);
    let client = server.client();
    let machine = create(&client, "hist", &choice().to_string()).await;
    let mut executions = Vec::new();
    for index in 0..5 {
        let kind = ["B", "B", "A", "B", "A"][index];
        let arn = start(
            &client,
            &machine,
            &format!("e{index}"),
            &json!({"type": kind}).to_string(),
        )
        .await;
        wait_done(&client, &arn).await;
        executions.push(arn);
    }

    // All of a history, two events a page, oldest first.
    let mut events = Vec::new();
    let mut pages = client
        .get_execution_history()
        .execution_arn(&executions[0])
        .max_results(2)
        .into_paginator()
        .send();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        page_count += 1;
        events.extend(page.unwrap().events().to_vec());
    }
    let ids: Vec<i64> = events.iter().map(|event| event.id()).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    assert_eq!(page_count, 3);
    assert_eq!(events[0].r#type(), &HistoryEventType::ExecutionStarted);
    let started = events[0].execution_started_event_details().unwrap();
    assert_eq!(started.input(), Some(r#"{"type":"B"}"#));
    assert_eq!(started.role_arn(), Some(ROLE));
    assert_eq!(events[5].r#type(), &HistoryEventType::ExecutionSucceeded);
    assert_eq!(events[2].previous_event_id(), 2);

    // Newest first, one page at a time by hand.
    let page = client
        .get_execution_history()
        .execution_arn(&executions[2])
        .reverse_order(true)
        .max_results(2)
        .send()
        .await
        .unwrap();
    let types: Vec<&HistoryEventType> = page.events().iter().map(|event| event.r#type()).collect();
    assert_eq!(
        types,
        [
            &HistoryEventType::ExecutionFailed,
            &HistoryEventType::FailStateEntered
        ]
    );
    let failed = page.events()[0].execution_failed_event_details().unwrap();
    assert_eq!(
        (failed.error(), failed.cause()),
        (Some("Bad"), Some("type A"))
    );
    let token = page.next_token().expect("more events").to_owned();
    let next = client
        .get_execution_history()
        .execution_arn(&executions[2])
        .reverse_order(true)
        .max_results(2)
        .next_token(token)
        .send()
        .await
        .unwrap();
    let ids: Vec<i64> = next.events().iter().map(|event| event.id()).collect();
    assert_eq!(ids, [3, 2]);

    // Without execution data.
    let quiet = client
        .get_execution_history()
        .execution_arn(&executions[0])
        .include_execution_data(false)
        .send()
        .await
        .unwrap();
    let started = quiet.events()[0].execution_started_event_details().unwrap();
    assert_eq!(started.input(), None);

    // ListExecutions: all, paged; by status.
    let mut names = Vec::new();
    let mut pages = client
        .list_executions()
        .state_machine_arn(&machine)
        .max_results(2)
        .into_paginator()
        .items()
        .send();
    while let Some(item) = pages.next().await {
        names.push(item.unwrap().name().to_owned());
    }
    names.sort();
    assert_eq!(names, ["e0", "e1", "e2", "e3", "e4"]);
    let failed = client
        .list_executions()
        .state_machine_arn(&machine)
        .status_filter(ExecutionStatus::Failed)
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = failed.executions().iter().map(|item| item.name()).collect();
    names.sort();
    assert_eq!(names, ["e2", "e4"]);
    assert!(
        failed
            .executions()
            .iter()
            .all(|item| item.status() == &ExecutionStatus::Failed && item.stop_date().is_some())
    );
    let running = client
        .list_executions()
        .state_machine_arn(&machine)
        .status_filter(ExecutionStatus::Running)
        .send()
        .await
        .unwrap();
    assert!(running.executions().is_empty());
}

#[tokio::test]
async fn typed_errors() {
    let data = TempDir::new().unwrap();
    let server = server(&data);
    let client = server.client();
    let machine = create(&client, "errors", &choice().to_string()).await;

    let missing = machine.replace(":errors", ":nope");
    let error = client
        .start_execution()
        .state_machine_arn(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(error, StartExecutionError::StateMachineDoesNotExist(_)),
        "{error:?}"
    );

    let error = client
        .describe_execution()
        .execution_arn("not-an-arn")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(error, DescribeExecutionError::InvalidArn(_)),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("InvalidArn"));

    let error = client
        .create_state_machine()
        .name("broken")
        .definition(r#"{"StartAt": "X"}"#)
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match &error {
        CreateStateMachineError::InvalidDefinition(invalid) => assert!(
            invalid
                .message()
                .unwrap_or_default()
                .starts_with("Invalid State Machine Definition"),
            "{invalid:?}"
        ),
        other => panic!("expected InvalidDefinition, got {other:?}"),
    }

    let first = start(&client, &machine, "once", r#"{"type":"B"}"#).await;
    wait_done(&client, &first).await;
    let error = client
        .start_execution()
        .state_machine_arn(&machine)
        .name("once")
        .input(r#"{"type":"A"}"#)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(error, StartExecutionError::ExecutionAlreadyExists(_)),
        "{error:?}"
    );

    let error = client
        .start_execution()
        .state_machine_arn(&machine)
        .input("{not json")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(error, StartExecutionError::InvalidExecutionInput(_)),
        "{error:?}"
    );

    // A member out of the model's range: a Coral-style ValidationException.
    let error = client
        .list_executions()
        .state_machine_arn(&machine)
        .max_results(1001)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match &error {
        ListExecutionsError::ValidationException(invalid) => assert_eq!(
            invalid.message(),
            Some(
                "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy \
                 constraint: Member must have value less than or equal to 1000"
            )
        ),
        other => panic!("expected ValidationException, got {other:?}"),
    }
}

#[tokio::test]
async fn activity_worker_round_trip() {
    let data = TempDir::new().unwrap();
    let server = server(&data);
    let client = server.client();
    let activity = client
        .create_activity()
        .name("work")
        .send()
        .await
        .unwrap()
        .activity_arn;
    let definition = json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "End": true}}});
    let machine = create(&client, "worker", &definition.to_string()).await;
    let execution = start(&client, &machine, "job", r#"{"n": 20}"#).await;

    let task = client
        .get_activity_task()
        .activity_arn(&activity)
        .worker_name("rust-worker")
        .send()
        .await
        .unwrap();
    let token = task.task_token().expect("a task is waiting");
    let input: Value = serde_json::from_str(task.input().unwrap()).unwrap();
    let output = json!({"n": input["n"].as_i64().unwrap() + 1});
    client
        .send_task_success()
        .task_token(token)
        .output(output.to_string())
        .send()
        .await
        .unwrap();

    let described = wait_done(&client, &execution).await;
    assert_eq!(described.status(), &ExecutionStatus::Succeeded);
    assert_eq!(described.output(), Some(r#"{"n":21}"#));
    let history = client
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let started = history
        .events()
        .iter()
        .find_map(|event| event.activity_started_event_details())
        .expect("an ActivityStarted event");
    assert_eq!(started.worker_name(), Some("rust-worker"));

    // The token is spent.
    let error = client
        .send_task_success()
        .task_token(token)
        .output("{}")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("TaskTimedOut"), "{error:?}");
}

#[tokio::test]
async fn tags() {
    let data = TempDir::new().unwrap();
    let server = server(&data);
    let client = server.client();
    let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build();
    let machine = client
        .create_state_machine()
        .name("tagged")
        .definition(choice().to_string())
        .role_arn(ROLE)
        .tags(tag("team", "a"))
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    client
        .tag_resource()
        .resource_arn(&machine)
        .tags(tag("env", "test"))
        .send()
        .await
        .unwrap();
    let listed = client
        .list_tags_for_resource()
        .resource_arn(&machine)
        .send()
        .await
        .unwrap();
    let mut pairs: Vec<(&str, &str)> = listed
        .tags()
        .iter()
        .map(|tag| (tag.key().unwrap(), tag.value().unwrap()))
        .collect();
    pairs.sort();
    assert_eq!(pairs, [("env", "test"), ("team", "a")]);
    client
        .untag_resource()
        .resource_arn(&machine)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let listed = client
        .list_tags_for_resource()
        .resource_arn(&machine)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.tags(), [tag("env", "test")]);

    let error = client
        .list_tags_for_resource()
        .resource_arn(machine.replace(":tagged", ":gone"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ResourceNotFound"), "{error:?}");
}

/// A credentials file with one key pair, in the data directory.
fn credentials_file(data: &TempDir) -> std::path::PathBuf {
    let path = data.path().join("credentials");
    std::fs::write(
        &path,
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            common::ACCESS_KEY,
            common::SECRET_KEY
        ),
    )
    .unwrap();
    path
}

#[tokio::test]
async fn sigv4_end_to_end() {
    let data = TempDir::new().unwrap();
    let credentials = credentials_file(&data);
    let server = Server::start(
        data.path(),
        &["--credentials", credentials.to_str().unwrap()],
    );

    // The right keys: every operation works, StartSyncExecution too (the prefix is undone
    // before signing, so the signed host is the one the server sees).
    let client = server.client();
    let machine = client
        .create_state_machine()
        .name("signed")
        .definition(choice().to_string())
        .role_arn(ROLE)
        .r#type(StateMachineType::Express)
        .send()
        .await
        .expect("a signed request is accepted");
    let result = client
        .start_sync_execution()
        .state_machine_arn(machine.state_machine_arn())
        .input(r#"{"type":"B"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(result.status(), &SyncExecutionStatus::Succeeded);

    // The right key with a wrong secret.
    let error = server
        .client_with(common::ACCESS_KEY, "not-the-secret")
        .list_state_machines()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidSignatureException"), "{error:?}");
    assert_eq!(
        error.raw_response().map(|raw| raw.status().as_u16()),
        Some(400)
    );

    // A key the server does not know.
    let error = server
        .client_with("AKIDUNKNOWN", common::SECRET_KEY)
        .list_state_machines()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some("UnrecognizedClientException"),
        "{error:?}"
    );
    assert_eq!(
        error.message(),
        Some("The security token included in the request is invalid.")
    );
}

/// A clock `offset` away from the real one, which the SDK signs with.
#[derive(Debug)]
struct Skewed {
    ahead: bool,
    offset: std::time::Duration,
}

impl aws_smithy_async::time::TimeSource for Skewed {
    fn now(&self) -> std::time::SystemTime {
        let now = std::time::SystemTime::now();
        if self.ahead {
            now + self.offset
        } else {
            now - self.offset
        }
    }
}

/// Issue 11: the SDK's signatures are refused outside five minutes of the server's clock and
/// for another region, with AWS's errors.
#[tokio::test]
async fn sigv4_clock_skew_and_region() {
    let data = TempDir::new().unwrap();
    let credentials = credentials_file(&data);
    let server = Server::start(
        data.path(),
        &["--credentials", credentials.to_str().unwrap()],
    );
    let skewed = |ahead: bool, minutes: u64| {
        let config = common::config(&server.endpoint, common::ACCESS_KEY, common::SECRET_KEY)
            .time_source(Skewed {
                ahead,
                offset: std::time::Duration::from_secs(minutes * 60),
            })
            .build();
        aws_sdk_sfn::Client::from_conf(config)
    };
    for ahead in [false, true] {
        skewed(ahead, 4).list_activities().send().await.unwrap();
        let error = skewed(ahead, 6).list_activities().send().await.unwrap_err();
        assert_eq!(error.code(), Some("InvalidSignatureException"), "{error:?}");
        let message = error.message().unwrap_or_default();
        let expected = if ahead {
            "Signature not yet current"
        } else {
            "Signature expired"
        };
        assert!(
            message.starts_with(expected) && message.contains("5 min."),
            "{message}"
        );
    }
    let config = common::config(&server.endpoint, common::ACCESS_KEY, common::SECRET_KEY)
        .region(aws_sdk_sfn::config::Region::new("eu-west-1"))
        .build();
    let error = aws_sdk_sfn::Client::from_conf(config)
        .create_activity()
        .name("elsewhere")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidSignatureException"), "{error:?}");
    assert_eq!(
        error.message(),
        Some("Credential should be scoped to a valid region, not 'eu-west-1'.")
    );
    let listed = server.client().list_activities().send().await.unwrap();
    assert!(listed.activities().is_empty(), "{listed:?}");
}

#[test]
fn an_open_bind_needs_credentials() {
    let data = TempDir::new().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_switchback"))
        .args(["serve", "--bind", "0.0.0.0:0", "--data-dir"])
        .arg(data.path())
        .env_remove("SWITCHBACK_CREDENTIALS")
        .env_remove("SWITCHBACK_ALLOW_UNAUTHENTICATED")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to serve 0.0.0.0:0 without credentials")
            && stderr.contains("--allow-unauthenticated"),
        "{stderr}"
    );
}

/// Starts `serve --allow-unauthenticated --bind 0.0.0.0:PORT` and says whether `/health`
/// answered (probed on loopback only: 0.0.0.0 includes it); `None` when the server exited (the
/// port was taken meanwhile).
fn serve_open_bind(data: &TempDir) -> Option<bool> {
    let port = std::net::TcpListener::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchback"))
        .args(["serve", "--allow-unauthenticated", "--bind"])
        .arg(format!("0.0.0.0:{port}"))
        .arg("--data-dir")
        .arg(data.path())
        .env_remove("SWITCHBACK_CREDENTIALS")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut healthy = Some(false);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            healthy = None;
            break;
        }
        if let Some((200, _)) = common::http_get(port, "/health") {
            healthy = Some(true);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait().unwrap();
    healthy
}

#[test]
fn allow_unauthenticated_serves_an_open_bind() {
    let data = TempDir::new().unwrap();
    let healthy = (0..3).find_map(|_| serve_open_bind(&data));
    assert_eq!(healthy, Some(true), "no answer on /health");
}

#[tokio::test]
async fn sigterm_stops_cleanly_and_data_survives_a_restart() {
    let data = TempDir::new().unwrap();
    let server = server(&data);
    let client = server.client();
    let machine = create(&client, "durable", &choice().to_string()).await;
    let execution = start(&client, &machine, "kept", r#"{"type":"B"}"#).await;
    wait_done(&client, &execution).await;
    let status = server.terminate();
    assert_eq!(
        status.code(),
        Some(0),
        "SIGTERM must stop the server cleanly"
    );

    let server = self::server(&data);
    let client = server.client();
    let listed = client.list_state_machines().send().await.unwrap();
    let names: Vec<&str> = listed
        .state_machines()
        .iter()
        .map(|item| item.name())
        .collect();
    assert_eq!(names, ["durable"]);
    let described = client
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(described.status(), &ExecutionStatus::Succeeded);
    assert_eq!(described.output(), Some(r#"{"type":"B"}"#));
}

/// Seconds since the epoch, now.
fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn validation_activities_stop_and_timestamps() {
    let data = TempDir::new().unwrap();
    let server = server(&data);
    let client = server.client();
    let before = now_secs();

    let valid = client
        .validate_state_machine_definition()
        .definition(choice().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(valid.result().as_str(), "OK");
    assert!(valid.diagnostics().is_empty());
    let broken = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}});
    let invalid = client
        .validate_state_machine_definition()
        .definition(broken.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.result().as_str(), "FAIL");
    let diagnostic = &invalid.diagnostics()[0];
    assert_eq!(diagnostic.severity().as_str(), "ERROR");
    assert_eq!(diagnostic.code(), "MISSING_TRANSITION_TARGET");
    assert_eq!(diagnostic.location(), Some("/States/A/Next"));

    // Activities: describe, list, a failed task, a heartbeat, delete.
    let activity = client
        .create_activity()
        .name("chores")
        .send()
        .await
        .unwrap();
    let activity_arn = activity.activity_arn();
    let created = activity.creation_date().secs();
    assert!(
        (before - 1..=now_secs() + 1).contains(&created),
        "creationDate {created} is not now ({before})"
    );
    let described = client
        .describe_activity()
        .activity_arn(activity_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.name(), "chores");
    assert_eq!(described.creation_date().secs(), created);
    let listed = client.list_activities().send().await.unwrap();
    assert_eq!(listed.activities().len(), 1);
    assert_eq!(listed.activities()[0].activity_arn(), activity_arn);

    let definition = json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity_arn, "HeartbeatSeconds": 3600, "End": true}}});
    let machine = create(&client, "chores", &definition.to_string()).await;
    let execution = start(&client, &machine, "failing", "{}").await;
    let task = client
        .get_activity_task()
        .activity_arn(activity_arn)
        .send()
        .await
        .unwrap();
    let token = task.task_token().expect("a task");
    client
        .send_task_heartbeat()
        .task_token(token)
        .send()
        .await
        .unwrap();
    client
        .send_task_failure()
        .task_token(token)
        .error("Broken")
        .cause("the worker gave up")
        .send()
        .await
        .unwrap();
    let described = wait_done(&client, &execution).await;
    assert_eq!(described.status(), &ExecutionStatus::Failed);
    assert_eq!(described.error(), Some("Broken"));
    assert_eq!(described.cause(), Some("the worker gave up"));
    let started = described.start_date().secs();
    assert!((before - 1..=now_secs() + 1).contains(&started));
    let stopped = described.stop_date().expect("a stop date").secs();
    assert!(stopped >= started);
    let for_execution = client
        .describe_state_machine_for_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(for_execution.state_machine_arn(), machine);
    assert_eq!(
        serde_json::from_str::<Value>(for_execution.definition()).unwrap(),
        definition
    );

    // StopExecution on a waiting execution.
    let waiting = start(&client, &machine, "stopped", "{}").await;
    client
        .stop_execution()
        .execution_arn(&waiting)
        .error("Halt")
        .cause("by the test")
        .send()
        .await
        .unwrap();
    let described = client
        .describe_execution()
        .execution_arn(&waiting)
        .send()
        .await
        .unwrap();
    assert_eq!(described.status(), &ExecutionStatus::Aborted);
    assert_eq!(described.error(), Some("Halt"));
    assert_eq!(described.cause(), Some("by the test"));

    client
        .delete_activity()
        .activity_arn(activity_arn)
        .send()
        .await
        .unwrap();
    let error = client
        .describe_activity()
        .activity_arn(activity_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ActivityDoesNotExist"), "{error:?}");
}
