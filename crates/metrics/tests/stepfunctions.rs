//! What Step Functions executions and tasks emit in `AWS/States` (§4 and the decisions in the
//! `stepfunctions` module docs).

use metrics::stepfunctions::{
    ExecutionRef, ExecutionStatus, NAMESPACE, TaskEvent, TaskOutcome, TaskResource,
    execution_closed, execution_redriven, execution_started, task_closed, task_event,
    unqualified_arn,
};
use metrics::{Dimensions, MetricId, Sample, Series, SeriesOptions, Statistic, Unit};

const ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Orders";

fn names(emitted: &[(MetricId, Sample)]) -> Vec<String> {
    emitted
        .iter()
        .map(|(metric, sample)| {
            let dimensions: Vec<String> = metric
                .dimensions
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            format!(
                "{}{{{}}}={}",
                metric.name,
                dimensions.join(","),
                sample.value
            )
        })
        .collect()
}

#[test]
fn dimension_sets_per_way_of_starting() {
    let plain = ExecutionRef {
        state_machine_arn: ARN,
        version: None,
        alias: None,
        express: false,
    };
    assert_eq!(
        names(&execution_started(&plain, 0)),
        [format!("ExecutionsStarted{{StateMachineArn={ARN}}}=1")]
    );

    let qualified = format!("{ARN}:3");
    let version = ExecutionRef {
        state_machine_arn: &qualified,
        version: Some("3"),
        alias: None,
        express: false,
    };
    assert_eq!(
        names(&execution_started(&version, 0)),
        [
            format!("ExecutionsStarted{{StateMachineArn={ARN}}}=1"),
            format!("ExecutionsStarted{{StateMachineArn={ARN},Version=3}}=1"),
        ]
    );

    let qualified = format!("{ARN}:main");
    let alias = ExecutionRef {
        state_machine_arn: &qualified,
        version: Some("2"),
        alias: Some("main"),
        express: true,
    };
    assert_eq!(
        names(&execution_closed(
            &alias,
            ExecutionStatus::Failed,
            1000,
            1234,
            false
        )),
        [
            format!("ExecutionsStarted{{StateMachineArn={ARN}}}=0"),
            format!("ExecutionsFailed{{StateMachineArn={ARN}}}=1"),
            format!("ExecutionTime{{StateMachineArn={ARN}}}=234"),
            format!("ExpressExecutionBilledDuration{{StateMachineArn={ARN}}}=300"),
            format!("ExecutionsStarted{{StateMachineArn={ARN},Version=2}}=0"),
            format!("ExecutionsFailed{{StateMachineArn={ARN},Version=2}}=1"),
            format!("ExecutionTime{{StateMachineArn={ARN},Version=2}}=234"),
            format!("ExpressExecutionBilledDuration{{StateMachineArn={ARN},Version=2}}=300"),
            format!("ExecutionsStarted{{Alias=main,StateMachineArn={ARN}}}=0"),
            format!("ExecutionsFailed{{Alias=main,StateMachineArn={ARN}}}=1"),
            format!("ExecutionTime{{Alias=main,StateMachineArn={ARN}}}=234"),
            format!("ExpressExecutionBilledDuration{{Alias=main,StateMachineArn={ARN}}}=300"),
        ]
    );
}

#[test]
fn every_status_and_redrive() {
    let execution = ExecutionRef {
        state_machine_arn: ARN,
        version: None,
        alias: None,
        express: false,
    };
    for (status, name) in [
        (ExecutionStatus::Succeeded, "ExecutionsSucceeded"),
        (ExecutionStatus::Failed, "ExecutionsFailed"),
        (ExecutionStatus::Aborted, "ExecutionsAborted"),
        (ExecutionStatus::TimedOut, "ExecutionsTimedOut"),
    ] {
        let emitted = execution_closed(&execution, status, 0, 10, true);
        let metric_names: Vec<&str> = emitted
            .iter()
            .map(|(metric, _)| metric.name.as_str())
            .collect();
        let redriven = format!("Redriven{name}");
        assert_eq!(
            metric_names,
            [
                "ExecutionsStarted",
                name,
                "ExecutionTime",
                redriven.as_str()
            ]
        );
        assert!(
            emitted
                .iter()
                .all(|(metric, sample)| metric.namespace == NAMESPACE && sample.at_ms == 10)
        );
        assert_eq!(emitted[2].1.unit, Unit::Milliseconds);
        assert_eq!(emitted[1].1.unit, Unit::Count);
    }
    assert_eq!(
        names(&execution_redriven(&execution, 5)),
        [format!("ExecutionsRedriven{{StateMachineArn={ARN}}}=1")]
    );
    let express = ExecutionRef {
        express: true,
        ..execution
    };
    let emitted = execution_closed(&express, ExecutionStatus::Succeeded, 0, 0, true);
    assert!(
        emitted
            .iter()
            .all(|(metric, _)| !metric.name.starts_with("Redriven")),
        "Express has no redrive metrics"
    );
    assert_eq!(
        emitted.last().unwrap().1.value,
        100.0,
        "billed at least 100 ms"
    );
}

/// Two `ExecutionsStarted` datapoints per execution: SampleCount 2, Sum 1.
#[test]
fn executions_started_twice_per_execution() {
    let execution = ExecutionRef {
        state_machine_arn: ARN,
        version: None,
        alias: None,
        express: false,
    };
    let mut series = Series::new(SeriesOptions::default());
    for (metric, sample) in execution_started(&execution, 1000)
        .into_iter()
        .chain(execution_closed(
            &execution,
            ExecutionStatus::Succeeded,
            1000,
            2000,
            false,
        ))
    {
        series.record(&metric, sample).unwrap();
    }
    let metric = MetricId::new(
        NAMESPACE,
        "ExecutionsStarted",
        Dimensions::new([("StateMachineArn", ARN)]).unwrap(),
    );
    let datapoints = series.datapoints(&metric, 0, 60_000, 60_000, false);
    assert_eq!(
        datapoints[0].aggregate.statistic(&Statistic::SampleCount),
        Some(2.0)
    );
    assert_eq!(
        datapoints[0].aggregate.statistic(&Statistic::Sum),
        Some(1.0)
    );
}

#[test]
fn unqualified_arns() {
    assert_eq!(unqualified_arn(ARN), ARN);
    assert_eq!(unqualified_arn(&format!("{ARN}:main")), ARN);
    assert_eq!(unqualified_arn(&format!("{ARN}:12")), ARN);
}

#[test]
fn task_metrics() {
    let activity = TaskResource::Activity("arn:aws:states:us-east-1:123456789012:activity:Work");
    let (metric, sample) = task_event(&activity, TaskEvent::Scheduled, 5);
    assert_eq!(
        (metric.name.as_str(), sample.value),
        ("ActivitiesScheduled", 1.0)
    );
    assert_eq!(
        metric.dimensions.get("ActivityArn"),
        Some("arn:aws:states:us-east-1:123456789012:activity:Work")
    );
    let closed = task_closed(
        &activity,
        TaskOutcome::HeartbeatTimedOut,
        100,
        Some(150),
        400,
    );
    let got: Vec<(&str, f64)> = closed
        .iter()
        .map(|(m, s)| (m.name.as_str(), s.value))
        .collect();
    assert_eq!(
        got,
        [
            ("ActivitiesHeartbeatTimedOut", 1.0),
            ("ActivityTime", 300.0),
            ("ActivityScheduleTime", 50.0),
            ("ActivityRunTime", 250.0)
        ]
    );
    let lambda = TaskResource::LambdaFunction("arn:aws:lambda:us-east-1:123456789012:function:f");
    let closed = task_closed(&lambda, TaskOutcome::HeartbeatTimedOut, 100, None, 400);
    let got: Vec<&str> = closed.iter().map(|(m, _)| m.name.as_str()).collect();
    assert_eq!(got, ["LambdaFunctionsTimedOut", "LambdaFunctionTime"]);
    let service = TaskResource::ServiceIntegration("arn:aws:states:::sqs:sendMessage");
    let (metric, _) = task_event(&service, TaskEvent::Started, 0);
    assert_eq!(metric.name, "ServiceIntegrationsStarted");
    assert!(
        metric
            .dimensions
            .get("ServiceIntegrationResourceArn")
            .is_some()
    );
}
