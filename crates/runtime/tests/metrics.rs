//! The metrics the runtime records (issue 5): a STANDARD execution's `AWS/States` execution
//! metrics and the activity metrics of its task, from start to close.

use std::time::Duration;

use metrics::{Dimensions, MetricId, Statistic};
use runtime::{Config, Runtime, StartRequest};

mod common;

use common::{ACTIVITY, store_with_activity, wait_for_end};

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

fn sum(runtime: &Runtime, name: &str, dimensions: Dimensions, statistic: Statistic) -> f64 {
    let metric = MetricId::new("AWS/States", name, dimensions);
    let now = runtime.observer().now_ms();
    runtime.observer().with_series(|series| {
        series
            .datapoints(&metric, now - 3_600_000, now + 60_000, 3_660_000, false)
            .iter()
            .filter_map(|datapoint| datapoint.aggregate.statistic(&statistic))
            .sum()
    })
}

#[tokio::test]
async fn an_activity_execution_records_execution_and_activity_metrics() {
    let store = store_with_activity().await;
    let runtime = Runtime::new(store.clone(), Config::default());
    let definition = format!(
        r#"{{"StartAt":"Work","States":{{"Work":{{"Type":"Task","Resource":"{ACTIVITY}","End":true}}}}}}"#
    );
    let started = runtime
        .start_execution(StartRequest {
            state_machine_arn: MACHINE.to_owned(),
            state_machine_name: "m".to_owned(),
            definition,
            role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
            input: "{}".to_owned(),
            state_machine_version_arn: Some(format!("{MACHINE}:4")),
            ..StartRequest::default()
        })
        .await
        .unwrap();
    let task = runtime
        .get_activity_task(ACTIVITY, None, Duration::from_secs(5))
        .await
        .unwrap()
        .expect("a task");
    runtime
        .send_task_failure(&task.task_token, Some("Oops".into()), None)
        .await
        .unwrap();
    wait_for_end(&store, &started.execution_arn).await;
    let machine = || Dimensions::new([("StateMachineArn", MACHINE)]).unwrap();
    let version = Dimensions::new([("StateMachineArn", MACHINE), ("Version", "4")]).unwrap();
    let activity = || Dimensions::new([("ActivityArn", ACTIVITY)]).unwrap();
    assert_eq!(
        sum(&runtime, "ExecutionsStarted", machine(), Statistic::Sum),
        1.0
    );
    assert_eq!(
        sum(
            &runtime,
            "ExecutionsStarted",
            machine(),
            Statistic::SampleCount
        ),
        2.0
    );
    assert_eq!(
        sum(&runtime, "ExecutionsFailed", version, Statistic::Sum),
        1.0
    );
    assert_eq!(
        sum(&runtime, "ExecutionTime", machine(), Statistic::SampleCount),
        1.0
    );
    assert_eq!(
        sum(&runtime, "ActivitiesScheduled", activity(), Statistic::Sum),
        1.0
    );
    assert_eq!(
        sum(&runtime, "ActivitiesStarted", activity(), Statistic::Sum),
        1.0
    );
    assert_eq!(
        sum(&runtime, "ActivitiesFailed", activity(), Statistic::Sum),
        1.0
    );
    assert_eq!(
        sum(
            &runtime,
            "ActivityRunTime",
            activity(),
            Statistic::SampleCount
        ),
        1.0
    );
    // STANDARD executions emit no EXPRESS billing metric.
    assert_eq!(
        sum(
            &runtime,
            "ExpressExecutionBilledDuration",
            machine(),
            Statistic::SampleCount
        ),
        0.0
    );
}

#[tokio::test]
async fn a_missed_heartbeat_counts_as_activities_heartbeat_timed_out() {
    let store = store_with_activity().await;
    // At 100x, a heartbeat of 1 s is missed after 10 ms; the task's own timeout is far off.
    let runtime = common::runtime(store.clone(), 100.0);
    let definition = format!(
        r#"{{"StartAt":"Work","States":{{"Work":{{"Type":"Task","Resource":"{ACTIVITY}","HeartbeatSeconds":1,"TimeoutSeconds":3600,"End":true}}}}}}"#
    );
    let started = runtime
        .start_execution(StartRequest {
            state_machine_arn: MACHINE.to_owned(),
            state_machine_name: "m".to_owned(),
            definition,
            role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
            input: "{}".to_owned(),
            ..StartRequest::default()
        })
        .await
        .unwrap();
    runtime
        .get_activity_task(ACTIVITY, None, Duration::from_secs(5))
        .await
        .unwrap()
        .expect("a task");
    wait_for_end(&store, &started.execution_arn).await;
    let activity = || Dimensions::new([("ActivityArn", ACTIVITY)]).unwrap();
    assert_eq!(
        sum(
            &runtime,
            "ActivitiesHeartbeatTimedOut",
            activity(),
            Statistic::Sum
        ),
        1.0
    );
    assert_eq!(
        sum(&runtime, "ActivitiesTimedOut", activity(), Statistic::Sum),
        0.0
    );
}
