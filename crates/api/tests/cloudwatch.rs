//! The CloudWatch subset through the router (AWS JSON 1.0, `GraniteServiceVersion20100801.*`),
//! without a socket: alarms, their evaluation and history, metric queries, errors in
//! CloudWatch's query-compatible shape, and `GET /metrics`.

mod common;

use axum::body::Body;
use common::{Answer, Api};
use http::{Request, StatusCode};
use serde_json::{Value, json};

const FAIL: &str =
    r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"it broke"}}}"#;

async fn cloudwatch(api: &Api, operation: &str, body: Value) -> Answer {
    let request = Request::post("/")
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-query-mode", "true")
        .header(
            "x-amz-target",
            format!("GraniteServiceVersion20100801.{operation}"),
        )
        .body(Body::from(body.to_string()))
        .unwrap();
    api.send(request).await
}

#[track_caller]
fn query_error(answer: &Answer, code: &str, status: StatusCode) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(
        answer.headers["x-amzn-query-error"].to_str().unwrap(),
        format!("{code};Sender")
    );
    assert!(
        answer.body["__type"]
            .as_str()
            .unwrap()
            .starts_with("com.amazonaws.cloudwatch#"),
        "{}",
        answer.body
    );
}

fn seed_alarm(name: &str, machine_arn: &str) -> Value {
    json!({
        "AlarmName": name,
        "AlarmDescription": "Invocation alarm for Alias State Machine",
        "Namespace": "AWS/States",
        "MetricName": "ExecutionsFailed",
        "Dimensions": [
            {"Name": "StateMachineArn", "Value": machine_arn},
            {"Name": "Alias", "Value": "main"}
        ],
        "Statistic": "Sum",
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1,
        "EvaluationPeriods": 1,
        "Period": 300,
        "TreatMissingData": "notBreaching"
    })
}

async fn alarm(api: &Api, name: &str) -> Value {
    let answer = cloudwatch(api, "DescribeAlarms", json!({"AlarmNames": [name]}))
        .await
        .ok();
    answer["MetricAlarms"][0].clone()
}

#[tokio::test]
async fn failures_through_an_alias_set_off_the_seed_alarm() {
    let api = Api::new();
    let machine = api.create_machine("orders", FAIL, "EXPRESS").await;
    let version = api
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": machine}),
        )
        .await
        .ok()["stateMachineVersionArn"]
        .clone();
    let alias = api
        .call(
            "CreateStateMachineAlias",
            json!({"name": "main", "routingConfiguration": [{"stateMachineVersionArn": version, "weight": 100}]}),
        )
        .await
        .ok()["stateMachineAliasArn"]
        .clone();
    cloudwatch(&api, "PutMetricAlarm", seed_alarm("failures", &machine))
        .await
        .ok();
    let created = alarm(&api, "failures").await;
    assert_eq!(created["StateValue"], "INSUFFICIENT_DATA");
    assert_eq!(created["StateReason"], "Unchecked: Initial alarm creation");
    assert_eq!(
        created["AlarmArn"],
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:failures"
    );
    assert_eq!(created["Dimensions"][1]["Name"], "Alias");

    let answer = api
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": alias, "input": "{}"}),
        )
        .await
        .ok();
    assert_eq!(answer["status"], "FAILED");
    // The newest period of an evaluation ends at the last whole minute: look a minute later.
    let observer = api.state.runtime.observer();
    api::cloudwatch::evaluate_alarms(&api.state).await.unwrap();
    let now = observer.now_ms();
    let later = ((now / 60_000) + 1) * 60_000 + 1;
    let evaluation = observer.with_series(|series| {
        let config = metrics::AlarmConfig {
            name: "failures".into(),
            metric: metrics::MetricId::new(
                "AWS/States",
                "ExecutionsFailed",
                metrics::Dimensions::new([
                    ("StateMachineArn", machine.as_str()),
                    ("Alias", "main"),
                ])
                .unwrap(),
            ),
            statistic: metrics::Statistic::Sum,
            period_s: 300,
            evaluation_periods: 1,
            datapoints_to_alarm: None,
            threshold: 1.0,
            comparison_operator: metrics::ComparisonOperator::GreaterThanOrEqualToThreshold,
            treat_missing_data: metrics::TreatMissingData::NotBreaching,
            evaluate_low_sample_count_percentile: Default::default(),
            actions_enabled: true,
            unit: None,
        };
        metrics::evaluate(&config, series, later, &metrics::AlarmState::initial(now))
    });
    assert_eq!(evaluation.state.value, metrics::StateValue::Alarm);

    // The same metric through the API.
    let statistics = cloudwatch(
        &api,
        "GetMetricStatistics",
        json!({
            "Namespace": "AWS/States",
            "MetricName": "ExecutionsFailed",
            "Dimensions": [{"Name": "Alias", "Value": "main"}, {"Name": "StateMachineArn", "Value": machine}],
            "StartTime": (now - 3_600_000) as f64 / 1000.0,
            "EndTime": (now + 3_600_000) as f64 / 1000.0,
            "Period": 3600,
            "Statistics": ["Sum", "SampleCount"]
        }),
    )
    .await
    .ok();
    let sum: f64 = statistics["Datapoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|datapoint| datapoint["Sum"].as_f64().unwrap())
        .sum();
    assert_eq!(sum, 1.0, "{statistics}");

    let data = cloudwatch(
        &api,
        "GetMetricData",
        json!({
            "StartTime": (now - 3_600_000) as f64 / 1000.0,
            "EndTime": (now + 3_600_000) as f64 / 1000.0,
            "MetricDataQueries": [{
                "Id": "started",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/States",
                        "MetricName": "ExecutionsStarted",
                        "Dimensions": [{"Name": "StateMachineArn", "Value": machine}, {"Name": "Version", "Value": "1"}]
                    },
                    "Period": 7200,
                    "Stat": "SampleCount"
                }
            }]
        }),
    )
    .await
    .ok();
    assert_eq!(
        data["MetricDataResults"][0]["Values"],
        json!([2.0]),
        "{data}"
    );
    assert_eq!(data["MetricDataResults"][0]["StatusCode"], "Complete");

    let listed = cloudwatch(
        &api,
        "ListMetrics",
        json!({"Namespace": "AWS/States", "MetricName": "ExecutionsFailed"}),
    )
    .await
    .ok();
    assert_eq!(listed["Metrics"].as_array().unwrap().len(), 3, "{listed}");

    let text = prometheus(&api).await;
    assert!(
        text.contains(
            "switchback_executions_failed_total{state_machine=\"orders\",version=\"1\",alias=\"main\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains(
        "switchback_http_requests_total{operation=\"StartSyncExecution\",status=\"200\"} 1"
    ));
}

async fn prometheus(api: &Api) -> String {
    let answer = api
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    answer.body.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn set_alarm_state_records_history_and_the_evaluator_decides_again() {
    let api = Api::new();
    cloudwatch(
        &api,
        "PutMetricAlarm",
        json!({
            "AlarmName": "mine", "Namespace": "Mine", "MetricName": "Errors",
            "Statistic": "Maximum", "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 10, "EvaluationPeriods": 1, "Period": 60,
            "TreatMissingData": "notBreaching"
        }),
    )
    .await
    .ok();
    cloudwatch(
        &api,
        "SetAlarmState",
        json!({"AlarmName": "mine", "StateValue": "ALARM", "StateReason": "testing"}),
    )
    .await
    .ok();
    assert_eq!(alarm(&api, "mine").await["StateValue"], "ALARM");
    // No data and notBreaching: the next evaluation puts it back to OK.
    assert_eq!(
        api::cloudwatch::evaluate_alarms(&api.state).await.unwrap(),
        1
    );
    assert_eq!(alarm(&api, "mine").await["StateValue"], "OK");
    let history = cloudwatch(&api, "DescribeAlarmHistory", json!({"AlarmName": "mine"}))
        .await
        .ok();
    let summaries: Vec<&str> = history["AlarmHistoryItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["HistorySummary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "Alarm updated from ALARM to OK",
            "Alarm updated from INSUFFICIENT_DATA to ALARM",
            "Alarm \"mine\" created"
        ]
    );
    let only_state = cloudwatch(
        &api,
        "DescribeAlarmHistory",
        json!({"AlarmName": "mine", "HistoryItemType": "StateUpdate", "ScanBy": "TimestampAscending", "MaxRecords": 1}),
    )
    .await
    .ok();
    assert_eq!(only_state["AlarmHistoryItems"].as_array().unwrap().len(), 1);
    assert_eq!(
        only_state["AlarmHistoryItems"][0]["HistorySummary"],
        "Alarm updated from INSUFFICIENT_DATA to ALARM"
    );
    assert!(only_state["NextToken"].is_string());

    // A metric of one's own goes over the threshold.
    cloudwatch(
        &api,
        "PutMetricData",
        json!({"Namespace": "Mine", "MetricData": [{"MetricName": "Errors", "Values": [3, 30], "Counts": [2, 1]}]}),
    )
    .await
    .ok();
    cloudwatch(&api, "DeleteAlarms", json!({"AlarmNames": ["mine"]}))
        .await
        .ok();
    assert!(
        cloudwatch(&api, "DescribeAlarms", json!({})).await.ok()["MetricAlarms"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn errors_have_cloudwatch_codes() {
    let api = Api::new();
    let answer = cloudwatch(&api, "DeleteAlarms", json!({"AlarmNames": ["none"]})).await;
    query_error(&answer, "ResourceNotFound", StatusCode::NOT_FOUND);
    let answer = cloudwatch(
        &api,
        "SetAlarmState",
        json!({"AlarmName": "none", "StateValue": "OK", "StateReason": "x"}),
    )
    .await;
    query_error(&answer, "ResourceNotFound", StatusCode::NOT_FOUND);
    let mut missing = seed_alarm("a", "arn:aws:states:us-east-1:123456789012:stateMachine:m");
    missing.as_object_mut().unwrap().remove("Period");
    let answer = cloudwatch(&api, "PutMetricAlarm", missing).await;
    query_error(&answer, "MissingParameter", StatusCode::BAD_REQUEST);
    let mut bad_period = seed_alarm("a", "arn:aws:states:us-east-1:123456789012:stateMachine:m");
    bad_period["Period"] = json!(45);
    let answer = cloudwatch(&api, "PutMetricAlarm", bad_period).await;
    query_error(&answer, "ValidationError", StatusCode::BAD_REQUEST);
    let mut both = seed_alarm("a", "arn:aws:states:us-east-1:123456789012:stateMachine:m");
    both["ExtendedStatistic"] = json!("p99");
    let answer = cloudwatch(&api, "PutMetricAlarm", both).await;
    query_error(
        &answer,
        "InvalidParameterCombination",
        StatusCode::BAD_REQUEST,
    );
    let answer = cloudwatch(
        &api,
        "PutMetricData",
        json!({"Namespace": "AWS/States", "MetricData": [{"MetricName": "X", "Value": 1}]}),
    )
    .await;
    query_error(&answer, "InvalidParameterValue", StatusCode::BAD_REQUEST);
    let answer = cloudwatch(
        &api,
        "SetAlarmState",
        json!({"AlarmName": "a", "StateValue": "OK", "StateReason": "x", "StateReasonData": "{nope"}),
    )
    .await;
    query_error(&answer, "InvalidFormat", StatusCode::BAD_REQUEST);
    let answer = cloudwatch(&api, "DescribeAlarms", json!({"NextToken": "bogus"})).await;
    query_error(&answer, "InvalidNextToken", StatusCode::BAD_REQUEST);
    // Step Functions is untouched by the new dispatch.
    let answer = api.call("ListStateMachines", json!({})).await.ok();
    assert_eq!(answer["stateMachines"], json!([]));
}
