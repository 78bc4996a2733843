//! Switchback's deployment operations (`X-Amz-Target: Switchback.*`) over the router, on a fast
//! clock, with a test alarm source.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::{AppState, router};
use async_trait::async_trait;
use axum::body::Body;
use common::{Answer, Api, ROLE};
use deploy::{AlarmReading, AlarmState};
use http::Request;
use runtime::deployments::AlarmStates;
use runtime::{Config, Runtime};
use serde_json::{Value, json};
use store::mem::MemStore;

const PASS: &str = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
const PASS_2: &str =
    r#"{"Comment": "v2", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;

#[derive(Default)]
struct Alarms(Mutex<HashMap<String, AlarmState>>);

#[async_trait]
impl AlarmStates for Alarms {
    async fn states(&self, names: &[String]) -> Result<Vec<AlarmReading>, String> {
        let states = self.0.lock().unwrap();
        Ok(names
            .iter()
            .filter_map(|name| {
                states.get(name).map(|state| AlarmReading {
                    name: name.clone(),
                    state: *state,
                    reason: Some(format!("set to {state:?} by the test")),
                })
            })
            .collect())
    }
}

fn api(time_scale: f64, alarms: Option<Arc<Alarms>>) -> Api {
    let runtime = Runtime::new(
        Arc::new(MemStore::new()),
        Config {
            time_scale,
            ..Config::default()
        },
    );
    if let Some(alarms) = alarms {
        runtime.set_alarm_source(alarms);
    }
    let state = AppState::new(runtime);
    Api {
        app: router(state.clone()),
        state,
    }
}

async fn call(api: &Api, operation: &str, body: Value) -> Answer {
    let request = Request::post("/")
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("Switchback.{operation}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    api.send(request).await
}

/// Machine `m` with versions 1 and 2 and alias `main` on version 1; answers (alias, v1, v2).
async fn setup(api: &Api) -> (String, String, String) {
    let created = api
        .call(
            "CreateStateMachine",
            json!({"name": "m", "definition": PASS, "roleArn": ROLE, "publish": true}),
        )
        .await
        .ok();
    let machine = created["stateMachineArn"].as_str().unwrap().to_owned();
    api.call(
        "UpdateStateMachine",
        json!({"stateMachineArn": machine, "definition": PASS_2, "publish": true}),
    )
    .await
    .ok();
    let v1 = format!("{machine}:1");
    let main = api
        .call(
            "CreateStateMachineAlias",
            json!({"name": "main", "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}]}),
        )
        .await
        .ok();
    (
        main["stateMachineAliasArn"].as_str().unwrap().to_owned(),
        v1,
        format!("{machine}:2"),
    )
}

async fn wait_end(api: &Api, id: &str) -> Value {
    for _ in 0..500 {
        let described = call(api, "DescribeDeployment", json!({"deploymentId": id}))
            .await
            .ok();
        if !matches!(described["status"].as_str(), Some("IN_PROGRESS")) {
            return described;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("deployment {id} did not end");
}

#[tokio::test]
async fn linear_with_alarms_succeeds_and_is_described_and_listed() {
    let alarms = Arc::new(Alarms::default());
    alarms
        .0
        .lock()
        .unwrap()
        .insert("errors".to_owned(), AlarmState::Ok);
    let api = api(600.0, Some(alarms));
    let (main, v1, v2) = setup(&api).await;
    let started = call(
        &api,
        "StartDeployment",
        json!({"stateMachineAliasArn": main, "targetVersionArn": v2,
               "deploymentPreference": {"type": "LINEAR", "interval": 2, "percentage": 50, "alarms": ["errors"]}}),
    )
    .await
    .ok();
    assert_eq!(started["status"], "IN_PROGRESS");
    assert_eq!(started["targetWeight"], 50);
    assert_eq!(started["originVersionArn"], json!(v1));
    assert_eq!(
        started["deploymentPreference"],
        json!({"type": "LINEAR", "interval": 2, "percentage": 50, "alarms": ["errors"]})
    );
    assert_eq!(
        started["alarms"],
        json!([{"name": "errors", "state": "OK", "reason": "set to Ok by the test"}])
    );
    assert!(started["nextStepInSeconds"].as_f64().unwrap() <= 120.0);
    let alias = api
        .call(
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": main}),
        )
        .await
        .ok();
    assert_eq!(alias["routingConfiguration"].as_array().unwrap().len(), 2);
    let id = started["deploymentId"].as_str().unwrap();
    let done = wait_end(&api, id).await;
    assert_eq!(done["status"], "SUCCEEDED");
    assert_eq!(
        done["routingConfiguration"],
        json!([{"stateMachineVersionArn": v2, "weight": 100}])
    );
    let types: Vec<&str> = done["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["Started", "AlarmChanged", "Shifted", "Shifted", "Finished"]
    );
    assert_eq!(
        done["executions"],
        json!([
            {"stateMachineVersionArn": v1, "executions": 0, "failed": 0},
            {"stateMachineVersionArn": v2, "executions": 0, "failed": 0},
        ])
    );
    let listed = call(
        &api,
        "ListDeployments",
        json!({"stateMachineAliasArn": main}),
    )
    .await
    .ok();
    assert_eq!(listed["deployments"][0]["deploymentId"], json!(id));
    assert_eq!(listed["deployments"][0]["status"], "SUCCEEDED");
}

#[tokio::test]
async fn alarms_without_a_source_are_refused_and_errors_are_clear() {
    let api = api(60.0, None);
    let (main, _, v2) = setup(&api).await;
    let answer = call(
        &api,
        "StartDeployment",
        json!({"stateMachineAliasArn": main, "targetVersionArn": v2,
               "deploymentPreference": {"type": "CANARY", "interval": 5, "percentage": 10, "alarms": ["errors"]}}),
    )
    .await;
    assert!(
        answer
            .err("ValidationException")
            .contains("no alarm source")
    );
    let answer = call(
        &api,
        "StartDeployment",
        json!({"stateMachineAliasArn": main, "targetVersionArn": v2,
               "deploymentPreference": {"type": "SOMETIMES"}}),
    )
    .await;
    assert!(answer.err("ValidationException").contains("enum value set"));
    let answer = call(&api, "DescribeDeployment", json!({"deploymentId": "nope"})).await;
    assert_eq!(
        answer.err("DeploymentDoesNotExist"),
        "Deployment Does Not Exist: 'nope'"
    );
    let answer = call(&api, "Nope", json!({})).await;
    answer.err("UnknownOperationException");
}

#[tokio::test]
async fn stop_promote_and_drift() {
    let api = api(60.0, None);
    let (main, v1, v2) = setup(&api).await;
    let start = || {
        call(
            &api,
            "StartDeployment",
            json!({"stateMachineAliasArn": main, "targetVersionArn": v2,
                   "deploymentPreference": {"type": "LINEAR", "interval": 10, "percentage": 10}}),
        )
    };
    let first = start().await.ok();
    let id = first["deploymentId"].as_str().unwrap();
    // One deployment per alias at a time.
    start().await.err("ConflictException");
    let stopped = call(&api, "StopDeployment", json!({"deploymentId": id}))
        .await
        .ok();
    assert_eq!(stopped["status"], "STOPPED");
    assert_eq!(
        stopped["routingConfiguration"],
        json!([{"stateMachineVersionArn": v1, "weight": 100}])
    );
    call(&api, "PromoteDeployment", json!({"deploymentId": id}))
        .await
        .err("ConflictException");

    // Someone else updates the alias: the deployment fails, the update stands.
    let second = start().await.ok();
    let id = second["deploymentId"].as_str().unwrap();
    api.call(
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": main,
               "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}]}),
    )
    .await
    .ok();
    let failed = wait_end(&api, id).await;
    assert_eq!(failed["status"], "FAILED");
    assert!(
        failed["statusMessage"]
            .as_str()
            .unwrap()
            .contains("drift detected")
    );

    let third = start().await.ok();
    let promoted = call(
        &api,
        "PromoteDeployment",
        json!({"deploymentId": third["deploymentId"]}),
    )
    .await
    .ok();
    assert_eq!(promoted["status"], "SUCCEEDED");
    let alias = api
        .call(
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": main}),
        )
        .await
        .ok();
    assert_eq!(
        alias["routingConfiguration"],
        json!([{"stateMachineVersionArn": v2, "weight": 100}])
    );
}

#[tokio::test]
async fn executions_through_the_alias_are_counted_per_version() {
    let api = api(60.0, None);
    let (main, v1, v2) = setup(&api).await;
    let started = call(
        &api,
        "StartDeployment",
        json!({"stateMachineAliasArn": main, "targetVersionArn": v2,
               "deploymentPreference": {"type": "LINEAR", "interval": 10, "percentage": 50}}),
    )
    .await
    .ok();
    let id = started["deploymentId"].as_str().unwrap();
    for _ in 0..20 {
        let execution = api.start(&main, json!({})).await;
        api.wait_end(&execution).await;
    }
    let described = call(&api, "DescribeDeployment", json!({"deploymentId": id}))
        .await
        .ok();
    let counts = described["executions"].as_array().unwrap();
    assert_eq!(counts[0]["stateMachineVersionArn"], json!(v1));
    assert_eq!(counts[1]["stateMachineVersionArn"], json!(v2));
    let total: u64 = counts
        .iter()
        .map(|count| count["executions"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 20);
    // Both versions ran (the chance that a 50/50 draw picks one version 20 times is 2 in 2^20).
    assert!(
        counts
            .iter()
            .all(|count| count["executions"].as_u64() > Some(0))
    );
    assert!(counts.iter().all(|count| count["failed"] == 0));
    call(&api, "StopDeployment", json!({"deploymentId": id}))
        .await
        .ok();
}

#[tokio::test]
async fn a_client_token_makes_the_start_idempotent() {
    let api = api(60.0, None);
    let (main, _, v2) = setup(&api).await;
    let request = |token: &str, kind: &str| {
        json!({"stateMachineAliasArn": main, "targetVersionArn": v2, "clientToken": token,
               "deploymentPreference": {"type": kind, "interval": 30, "percentage": 10}})
    };
    let first = call(&api, "StartDeployment", request("t-1", "LINEAR"))
        .await
        .ok();
    assert_eq!(first["status"], "IN_PROGRESS");
    // Sent again (its answer was lost, say): the same deployment, not a second one, and not
    // the ConflictException of an alias with a deployment in progress.
    let again = call(&api, "StartDeployment", request("t-1", "LINEAR"))
        .await
        .ok();
    assert_eq!(again["deploymentId"], first["deploymentId"]);
    // The same token for another deployment is a conflict.
    let other = call(&api, "StartDeployment", request("t-1", "CANARY")).await;
    assert!(
        other
            .err("ConflictException")
            .contains("clientToken already started deployment")
    );
    // Once it ended, the token still answers it.
    let id = first["deploymentId"].as_str().unwrap();
    call(&api, "StopDeployment", json!({"deploymentId": id}))
        .await
        .ok();
    let after = call(&api, "StartDeployment", request("t-1", "LINEAR"))
        .await
        .ok();
    assert_eq!(after["deploymentId"], first["deploymentId"]);
    assert_eq!(after["status"], "STOPPED");
    let count = || async {
        call(
            &api,
            "ListDeployments",
            json!({"stateMachineAliasArn": main}),
        )
        .await
        .ok()["deployments"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count().await, 1);
    // A new token starts a new deployment.
    let second = call(&api, "StartDeployment", request("t-2", "LINEAR"))
        .await
        .ok();
    assert_ne!(second["deploymentId"], first["deploymentId"]);

    // Bad tokens get AWS's ClientToken validation, and nothing is started.
    for (token, message) in [
        (
            "",
            "2 validation errors detected: Value '' at 'clientToken' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [!-~]+",
        ),
        (
            "with space",
            "1 validation error detected: Value 'with space' at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [!-~]+",
        ),
    ] {
        let answer = call(&api, "StartDeployment", request(token, "LINEAR")).await;
        assert_eq!(answer.err("ValidationException"), message);
    }
    let long = "x".repeat(65);
    let answer = call(&api, "StartDeployment", request(&long, "LINEAR")).await;
    assert!(
        answer
            .err("ValidationException")
            .ends_with("Member must have length less than or equal to 64")
    );
    assert_eq!(count().await, 2);
}
