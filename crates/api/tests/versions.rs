//! Versions and aliases beyond the recorded sequences: starting through an alias, weighted
//! routing, immutability, quotas and concurrent publishing.

mod common;

use common::{Api, ROLE};
use serde_json::{Value, json};

/// Succeeds for `{"type": "B"}`.
const GOOD: &str = r#"{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.type", "StringEquals": "B", "Next": "Passed"}], "Default": "Failed"}, "Passed": {"Type": "Succeed"}, "Failed": {"Type": "Fail", "Error": "Defect"}}}"#;

/// Fails for `{"type": "B"}`.
const DEFECT: &str = r#"{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.type", "StringEquals": "B", "Next": "Failed"}, {"Variable": "$.type", "StringEquals": "C", "Next": "Passed"}], "Default": "Failed"}, "Passed": {"Type": "Succeed"}, "Failed": {"Type": "Fail", "Error": "Defect"}}}"#;

/// A machine with version 1 (GOOD) and version 2 (DEFECT); answers the ARNs.
async fn two_versions(api: &Api, name: &str, machine_type: &str) -> (String, String, String) {
    let created = api
        .call(
            "CreateStateMachine",
            json!({"name": name, "definition": GOOD, "roleArn": ROLE, "type": machine_type, "publish": true}),
        )
        .await
        .ok();
    let machine = created["stateMachineArn"].as_str().unwrap().to_owned();
    let updated = api
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": machine, "definition": DEFECT, "publish": true, "versionDescription": "defect"}),
        )
        .await
        .ok();
    let v2 = updated["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    (machine.clone(), format!("{machine}:1"), v2)
}

async fn alias(api: &Api, name: &str, routing: Value) -> String {
    let created = api
        .call(
            "CreateStateMachineAlias",
            json!({"name": name, "routingConfiguration": routing}),
        )
        .await
        .ok();
    created["stateMachineAliasArn"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_standard_execution_through_an_alias_remembers_version_and_alias() {
    let api = Api::new();
    let (machine, v1, v2) = two_versions(&api, "m", "STANDARD").await;
    let main = alias(
        &api,
        "main",
        json!([{"stateMachineVersionArn": v1, "weight": 100}]),
    )
    .await;
    let execution = api.start(&main, json!({"type": "B"})).await;
    assert!(execution.contains(":execution:m:"), "{execution}");
    let described = api.wait_end(&execution).await;
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(described["stateMachineArn"], json!(machine));
    assert_eq!(described["stateMachineVersionArn"], json!(v1));
    assert_eq!(described["stateMachineAliasArn"], json!(main));
    let history = api.history(&execution).await;
    let details = &history[0]["executionStartedEventDetails"];
    assert_eq!(details["stateMachineVersionArn"], json!(v1));
    assert_eq!(details["stateMachineAliasArn"], json!(main));
    // Through version 2 directly: no alias.
    let direct = api.start(&v2, json!({"type": "B"})).await;
    let described = api.wait_end(&direct).await;
    assert_eq!(described["status"], "FAILED");
    assert_eq!(described["stateMachineVersionArn"], json!(v2));
    assert!(described.get("stateMachineAliasArn").is_none());
    // And the machine itself runs its latest revision, with neither.
    let latest = api.start(&machine, json!({"type": "B"})).await;
    let described = api.wait_end(&latest).await;
    assert_eq!(described["status"], "FAILED");
    assert!(described.get("stateMachineVersionArn").is_none());
    let list = |arn: &str| api.call("ListExecutions", json!({"stateMachineArn": arn}));
    let names = |body: Value| -> Vec<String> {
        body["executions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["executionArn"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(list(&main).await.ok()),
        std::slice::from_ref(&execution)
    );
    assert_eq!(
        names(list(&v1).await.ok()),
        std::slice::from_ref(&execution)
    );
    assert_eq!(names(list(&v2).await.ok()), std::slice::from_ref(&direct));
    assert_eq!(names(list(&machine).await.ok()).len(), 3);
    let item = &list(&main).await.ok()["executions"][0];
    assert_eq!(item["stateMachineAliasArn"], json!(main));
    assert_eq!(item["stateMachineVersionArn"], json!(v1));
    // What ran is the version's definition, whatever the machine is now.
    let ran = api
        .call(
            "DescribeStateMachineForExecution",
            json!({"executionArn": execution}),
        )
        .await
        .ok();
    assert_eq!(ran["definition"], GOOD);
    assert_eq!(ran["stateMachineArn"], json!(machine));
    // A qualifier that names nothing.
    let missing = format!("{machine}:nobody");
    let answer = api
        .call("StartExecution", json!({"stateMachineArn": missing}))
        .await;
    assert_eq!(
        answer.err("StateMachineDoesNotExist"),
        format!("State Machine Does Not Exist: '{missing}'")
    );
    api.call(
        "StartExecution",
        json!({"stateMachineArn": format!("{machine}:9")}),
    )
    .await
    .err("StateMachineDoesNotExist");
}

#[tokio::test]
async fn an_alias_splits_sync_executions_by_weight() {
    let api = Api::new();
    let (_, v1, v2) = two_versions(&api, "split", "EXPRESS").await;
    let main = alias(
        &api,
        "main",
        json!([{"stateMachineVersionArn": v1, "weight": 50}, {"stateMachineVersionArn": v2, "weight": 50}]),
    )
    .await;
    let runs = 400;
    let mut on_v1 = 0;
    for _ in 0..runs {
        let answer = api
            .call(
                "StartSyncExecution",
                json!({"stateMachineArn": main, "input": "{\"type\": \"B\"}"}),
            )
            .await
            .ok();
        assert_eq!(answer["stateMachineAliasArn"], json!(main));
        let version = answer["stateMachineVersionArn"].as_str().unwrap();
        if version == v1 {
            on_v1 += 1;
            assert_eq!(answer["status"], "SUCCEEDED");
        } else {
            assert_eq!(version, v2);
            assert_eq!(answer["status"], "FAILED");
            assert_eq!(answer["error"], "Defect");
        }
    }
    // 200 ± 4σ (σ = 10).
    assert!(
        (160..=240).contains(&on_v1),
        "{on_v1} of {runs} on version 1"
    );
    // Weights 100/0 send everything to the first.
    api.call(
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": main, "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}, {"stateMachineVersionArn": v2, "weight": 0}]}),
    )
    .await
    .ok();
    for _ in 0..50 {
        let answer = api
            .call(
                "StartSyncExecution",
                json!({"stateMachineArn": main, "input": "{\"type\": \"B\"}"}),
            )
            .await
            .ok();
        assert_eq!(answer["stateMachineVersionArn"], json!(v1));
    }
}

#[tokio::test]
async fn versions_are_immutable_and_revisions_follow_changes() {
    let api = Api::new();
    let (machine, v1, v2) = two_versions(&api, "m", "STANDARD").await;
    let describe = |arn: String| {
        let api = &api;
        async move {
            api.call("DescribeStateMachine", json!({"stateMachineArn": arn}))
                .await
                .ok()
        }
    };
    let version_1 = describe(v1.clone()).await;
    assert_eq!(version_1["definition"], GOOD);
    assert!(version_1.get("revisionId").is_none());
    let version_2 = describe(v2.clone()).await;
    assert_eq!(version_2["definition"], DEFECT);
    assert_eq!(version_2["description"], "defect");
    let current = describe(machine.clone()).await;
    assert_eq!(version_2["revisionId"], current["revisionId"]);
    // A logging change is a revision; repeating it is not.
    let logging = json!({"level": "ERROR", "includeExecutionData": true, "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:111111111111:log-group:g:*"}}]});
    let update = || {
        api.call(
            "UpdateStateMachine",
            json!({"stateMachineArn": machine, "loggingConfiguration": logging}),
        )
    };
    let first = update().await.ok();
    assert_ne!(first["revisionId"], current["revisionId"]);
    let again = update().await.ok();
    assert_eq!(again["revisionId"], first["revisionId"]);
    assert_eq!(describe(v2.clone()).await, version_2);
    // The stale revision cannot be published; the current one can, once.
    let stale = api
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": machine, "revisionId": current["revisionId"]}),
        )
        .await;
    assert_eq!(stale.status.as_u16(), 409);
    stale.err("ConflictException");
    let publish = || {
        api.call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": machine, "revisionId": first["revisionId"]}),
        )
    };
    let v3 = publish().await.ok();
    assert_eq!(v3["stateMachineVersionArn"], format!("{machine}:3"));
    assert_eq!(publish().await.ok(), v3);
    assert_eq!(
        describe(format!("{machine}:3")).await["loggingConfiguration"],
        logging
    );
    // INITIAL names the initial revision, which is no longer current.
    api.call(
        "PublishStateMachineVersion",
        json!({"stateMachineArn": machine, "revisionId": "INITIAL"}),
    )
    .await
    .err("ConflictException");
}

#[tokio::test]
async fn quotas_of_versions_and_aliases() {
    let api = Api::new();
    let created = api
        .call(
            "CreateStateMachine",
            json!({"name": "q", "definition": GOOD, "roleArn": ROLE, "publish": true}),
        )
        .await
        .ok();
    let machine = created["stateMachineArn"].as_str().unwrap().to_owned();
    let v1 = format!("{machine}:1");
    for index in 0..100 {
        alias(
            &api,
            &format!("a{index}"),
            json!([{"stateMachineVersionArn": v1, "weight": 100}]),
        )
        .await;
    }
    let answer = api
        .call(
            "CreateStateMachineAlias",
            json!({"name": "one-too-many", "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}]}),
        )
        .await;
    assert_eq!(answer.status.as_u16(), 402);
    answer.err("ServiceQuotaExceededException");
    // The conflict names every alias routing to the version.
    let conflict = api
        .call(
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": v1}),
        )
        .await;
    assert!(conflict.err("ConflictException").contains("[a0, a1, a10, "));
    for index in 2..=1000 {
        let comment = format!(
            r#"{{"Comment": "{index}", "StartAt": "P", "States": {{"P": {{"Type": "Pass", "End": true}}}}}}"#
        );
        api.call(
            "UpdateStateMachine",
            json!({"stateMachineArn": machine, "definition": comment, "publish": true}),
        )
        .await
        .ok();
    }
    let answer = api
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": machine, "definition": GOOD, "publish": true}),
        )
        .await;
    assert_eq!(answer.status.as_u16(), 402);
    answer.err("ServiceQuotaExceededException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_and_publishes_never_share_a_number() {
    let api = Api::new();
    let created = api
        .call(
            "CreateStateMachine",
            json!({"name": "race", "definition": GOOD, "roleArn": ROLE}),
        )
        .await
        .ok();
    let machine = created["stateMachineArn"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for client in 0..2 {
        let app = api.app.clone();
        let state = api.state.clone();
        let machine = machine.clone();
        tasks.push(tokio::spawn(async move {
            let api = Api { app, state };
            let mut published = Vec::new();
            for round in 0..25 {
                let definition = format!(r#"{{"Comment": "{client}-{round}", "StartAt": "P", "States": {{"P": {{"Type": "Pass", "End": true}}}}}}"#);
                let publish = round % 2 == 0;
                let answer = api
                    .call(
                        "UpdateStateMachine",
                        json!({"stateMachineArn": machine, "definition": definition, "publish": publish}),
                    )
                    .await;
                if publish && answer.status.is_success() {
                    published.push(answer.body["stateMachineVersionArn"].clone());
                } else if !answer.status.is_success() {
                    // Another client's update landed between ours and its publication.
                    answer.err("ConflictException");
                }
                let answer = api
                    .call(
                        "PublishStateMachineVersion",
                        json!({"stateMachineArn": machine}),
                    )
                    .await
                    .ok();
                published.push(answer["stateMachineVersionArn"].clone());
            }
            published
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let listed = api
        .call(
            "ListStateMachineVersions",
            json!({"stateMachineArn": machine, "maxResults": 1000}),
        )
        .await
        .ok();
    let versions = listed["stateMachineVersions"].as_array().unwrap();
    let mut numbers: Vec<u64> = versions
        .iter()
        .map(|item| {
            item["stateMachineVersionArn"]
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    let count = numbers.len();
    numbers.dedup();
    assert_eq!(numbers.len(), count);
    assert_eq!(numbers, (1..=count as u64).rev().collect::<Vec<_>>());
    // Each version holds the definition of the revision it names: revisions are distinct
    // definitions here, so no two versions share one.
    let mut seen = std::collections::HashSet::new();
    for item in versions {
        let described = api
            .call(
                "DescribeStateMachine",
                json!({"stateMachineArn": item["stateMachineVersionArn"]}),
            )
            .await
            .ok();
        assert!(seen.insert((
            described["revisionId"].to_string(),
            described["definition"].to_string()
        )));
    }
    let revisions: std::collections::HashSet<_> =
        seen.iter().map(|(revision, _)| revision).collect();
    assert_eq!(revisions.len(), seen.len());
}

#[tokio::test]
async fn deleting_a_machine_lets_its_executions_finish_on_their_version() {
    let api = Api::new();
    let waits = r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "Done"}, "Done": {"Type": "Pass", "Result": "v1", "End": true}}}"#;
    let created = api
        .call(
            "CreateStateMachine",
            json!({"name": "gone", "definition": waits, "roleArn": ROLE, "publish": true}),
        )
        .await
        .ok();
    let machine = created["stateMachineArn"].as_str().unwrap().to_owned();
    let v1 = created["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let main = alias(
        &api,
        "main",
        json!([{"stateMachineVersionArn": v1, "weight": 100}]),
    )
    .await;
    let execution = api.start(&main, json!({})).await;
    api.call("DeleteStateMachine", json!({"stateMachineArn": machine}))
        .await
        .ok();
    let described = api.wait_end(&execution).await;
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(described["output"], "\"v1\"");
    assert_eq!(described["stateMachineVersionArn"], json!(v1));
    for arn in [&v1, &main] {
        api.call("StartExecution", json!({"stateMachineArn": arn}))
            .await
            .err("StateMachineDoesNotExist");
    }
    api.call(
        "ListStateMachineVersions",
        json!({"stateMachineArn": format!("{machine}/label")}),
    )
    .await
    .err("ValidationException");
}
