//! Tagging: limits and errors beyond the recorded LocalStack sequences.

mod common;

use common::{Api, PASS_RESULT};
use serde_json::json;

#[tokio::test]
async fn tags_on_activities_and_their_limits() {
    let api = Api::new();
    let activity = api
        .call(
            "CreateActivity",
            json!({"name": "a", "tags": [{"key": "team", "value": "x"}]}),
        )
        .await
        .ok()["activityArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = api
        .call("ListTagsForResource", json!({"resourceArn": activity}))
        .await
        .ok();
    assert_eq!(listed, json!({"tags": [{"key": "team", "value": "x"}]}));

    let forty_nine: Vec<_> = (0..49)
        .map(|index| json!({"key": format!("k{index:02}"), "value": "v"}))
        .collect();
    api.call(
        "TagResource",
        json!({"resourceArn": activity, "tags": forty_nine}),
    )
    .await
    .ok();
    let answer = api
        .call(
            "TagResource",
            json!({"resourceArn": activity, "tags": [{"key": "one-too-many", "value": "v"}]}),
        )
        .await;
    answer.err("TooManyTags");
    assert_eq!(answer.body["resourceName"], activity.as_str());
    // Replacing an existing key is not one more tag.
    api.call(
        "TagResource",
        json!({"resourceArn": activity, "tags": [{"key": "team", "value": "y"}]}),
    )
    .await
    .ok();

    let answer = api
        .call(
            "TagResource",
            json!({"resourceArn": activity, "tags": [{"key": "aws:reserved", "value": "v"}]}),
        )
        .await;
    answer.err("ValidationException");
    let answer = api
        .call(
            "TagResource",
            json!({"resourceArn": activity, "tags": [{"key": "k".repeat(129), "value": "v"}]}),
        )
        .await;
    assert!(
        answer
            .err("ValidationException")
            .contains("at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128")
    );
    let answer = api
        .call(
            "TagResource",
            json!({"resourceArn": activity, "tags": [{"key": "k", "value": "v".repeat(257)}]}),
        )
        .await;
    answer.err("ValidationException");

    // Deleting a resource drops its tags.
    api.call("DeleteActivity", json!({"activityArn": activity}))
        .await
        .ok();
    api.call("CreateActivity", json!({"name": "a"})).await.ok();
    let listed = api
        .call("ListTagsForResource", json!({"resourceArn": activity}))
        .await
        .ok();
    assert_eq!(listed, json!({"tags": []}));
}

#[tokio::test]
async fn tagging_errors() {
    let api = Api::new();
    let missing = common::machine_arn("missing");
    let answer = api
        .call("ListTagsForResource", json!({"resourceArn": missing}))
        .await;
    assert_eq!(
        answer.err("ResourceNotFound"),
        format!("Resource not found: '{missing}'")
    );
    let answer = api
        .call(
            "UntagResource",
            json!({"resourceArn": "nope", "tagKeys": []}),
        )
        .await;
    answer.err("InvalidArn");
    let machine = api.create_machine("m", PASS_RESULT, "STANDARD").await;
    let answer = api
        .call("TagResource", json!({"resourceArn": machine}))
        .await;
    assert_eq!(
        answer.err("ValidationException"),
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"
    );
    let too_many: Vec<_> = (0..51)
        .map(|index| json!({"key": format!("k{index}"), "value": "v"}))
        .collect();
    let answer = api
        .call(
            "CreateStateMachine",
            json!({"name": "n", "definition": PASS_RESULT, "roleArn": common::ROLE, "tags": too_many}),
        )
        .await;
    answer.err("TooManyTags");
}
