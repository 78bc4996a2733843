//! The metrics Step Functions emits in namespace `AWS/States` (`spec/aws-semantics.md` §4), as
//! pure functions from what happened to `(MetricId, Sample)` pairs the caller records.
//!
//! # Decisions on the unverified formats
//!
//! * `StateMachineArn` is always the **unqualified** state machine ARN
//!   (`arn:aws:states:us-east-1:123456789012:stateMachine:Orders`), in every dimension set; a
//!   qualified ARN given here is stripped of its `:version` or `:alias` suffix.
//! * `Version` is the **bare version number** (`"3"`); `Alias` is the **alias name**
//!   (`"main"`).
//! * Every execution emits to `{StateMachineArn}`, so per-state-machine totals are complete. An
//!   execution started through a version also emits to `{StateMachineArn, Version}`; one
//!   started through an alias emits to `{StateMachineArn, Alias}` **and** to
//!   `{StateMachineArn, Version}` with the version the alias routed it to. Nothing is emitted
//!   without dimensions (account level).
//! * `ExecutionsStarted` is emitted twice per execution, as AWS does: value 1 when it starts,
//!   value 0 when it closes (`SampleCount` shows 2 per execution, `Sum` 1).
//! * `ExecutionTime` (Milliseconds) is `ended − started` of the run that closed (for a
//!   redriven execution: since the redrive).
//! * EXPRESS executions emit the same execution metrics, plus
//!   `ExpressExecutionBilledDuration`: the duration rounded up to the next 100 ms, at least
//!   100 ms (AWS bills Express duration in 100 ms increments). `ExpressExecutionMemory` and
//!   `ExpressExecutionBilledMemory` are not emitted: Switchback does not measure memory.
//! * `ExecutionThrottled` is never emitted: Switchback does not throttle state transitions.
//! * Activity, Lambda and service-integration metrics carry their one dimension
//!   (`ActivityArn`, `LambdaFunctionArn`, `ServiceIntegrationResourceArn`); the time metrics
//!   are emitted when the task closes, `…ScheduleTime` and `…RunTime` only if it started.
//! * Every sample's timestamp is the instant of the event (start, redrive or close).

use crate::{Dimensions, MetricId, Sample, Unit};

/// The namespace of every metric here.
pub const NAMESPACE: &str = "AWS/States";

/// What is known of an execution when it emits metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutionRef<'a> {
    /// The state machine ARN; a qualified one is stripped to the unqualified ARN.
    pub state_machine_arn: &'a str,
    /// The version that runs the execution, when it was started through a version or an
    /// alias (bare number, `"3"`).
    pub version: Option<&'a str>,
    /// The alias the execution was started through (its name, `"main"`).
    pub alias: Option<&'a str>,
    /// Whether the state machine is EXPRESS.
    pub express: bool,
}

/// How an execution closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    /// `SUCCEEDED`.
    Succeeded,
    /// `FAILED`.
    Failed,
    /// `ABORTED`.
    Aborted,
    /// `TIMED_OUT`.
    TimedOut,
}

impl ExecutionStatus {
    fn metric_suffix(self) -> &'static str {
        match self {
            ExecutionStatus::Succeeded => "Succeeded",
            ExecutionStatus::Failed => "Failed",
            ExecutionStatus::Aborted => "Aborted",
            ExecutionStatus::TimedOut => "TimedOut",
        }
    }
}

/// The unqualified form of a state machine ARN: the first seven `:`-separated parts
/// (`arn:aws:states:region:account:stateMachine:name`).
pub fn unqualified_arn(arn: &str) -> &str {
    match arn.match_indices(':').nth(6) {
        Some((index, _)) => &arn[..index],
        None => arn,
    }
}

/// The dimension sets an execution's metrics go to (see the module docs).
pub fn dimension_sets(execution: &ExecutionRef<'_>) -> Vec<Dimensions> {
    let arn = unqualified_arn(execution.state_machine_arn).to_owned();
    let with = |name: &str, value: &str| {
        Dimensions::sorted(vec![
            ("StateMachineArn".to_owned(), arn.clone()),
            (name.to_owned(), value.to_owned()),
        ])
    };
    let mut sets = vec![Dimensions::sorted(vec![(
        "StateMachineArn".to_owned(),
        arn.clone(),
    )])];
    if let Some(version) = execution.version {
        sets.push(with("Version", version));
    }
    if let Some(alias) = execution.alias {
        sets.push(with("Alias", alias));
    }
    sets
}

fn emit(sets: &[Dimensions], samples: &[(&str, f64, Unit)], at_ms: i64) -> Vec<(MetricId, Sample)> {
    let mut out = Vec::with_capacity(sets.len() * samples.len());
    for dimensions in sets {
        for (name, value, unit) in samples {
            out.push((
                MetricId::new(NAMESPACE, *name, dimensions.clone()),
                Sample {
                    at_ms,
                    value: *value,
                    unit: *unit,
                },
            ));
        }
    }
    out
}

/// The metrics of an execution that starts: `ExecutionsStarted` = 1.
pub fn execution_started(execution: &ExecutionRef<'_>, at_ms: i64) -> Vec<(MetricId, Sample)> {
    emit(
        &dimension_sets(execution),
        &[("ExecutionsStarted", 1.0, Unit::Count)],
        at_ms,
    )
}

/// The metrics of a STANDARD execution that is redriven: `ExecutionsRedriven` = 1.
pub fn execution_redriven(execution: &ExecutionRef<'_>, at_ms: i64) -> Vec<(MetricId, Sample)> {
    emit(
        &dimension_sets(execution),
        &[("ExecutionsRedriven", 1.0, Unit::Count)],
        at_ms,
    )
}

/// The metrics of an execution that closes: `ExecutionsStarted` = 0, `Executions<Status>` = 1,
/// `ExecutionTime`; `RedrivenExecutions<Status>` = 1 too when the run was a redrive; for
/// EXPRESS, `ExpressExecutionBilledDuration`.
pub fn execution_closed(
    execution: &ExecutionRef<'_>,
    status: ExecutionStatus,
    started_ms: i64,
    ended_ms: i64,
    redriven: bool,
) -> Vec<(MetricId, Sample)> {
    let duration_ms = (ended_ms - started_ms).max(0) as f64;
    let status_metric = format!("Executions{}", status.metric_suffix());
    let redriven_metric = format!("RedrivenExecutions{}", status.metric_suffix());
    let mut samples = vec![
        ("ExecutionsStarted", 0.0, Unit::Count),
        (status_metric.as_str(), 1.0, Unit::Count),
        ("ExecutionTime", duration_ms, Unit::Milliseconds),
    ];
    if redriven && !execution.express {
        samples.push((redriven_metric.as_str(), 1.0, Unit::Count));
    }
    if execution.express {
        let billed_ms = ((duration_ms / 100.0).ceil() * 100.0).max(100.0);
        samples.push((
            "ExpressExecutionBilledDuration",
            billed_ms,
            Unit::Milliseconds,
        ));
    }
    emit(&dimension_sets(execution), &samples, ended_ms)
}

/// The resource a task state ran, with its metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskResource<'a> {
    /// An activity: `Activities*` / `Activity*`, dimension `ActivityArn`.
    Activity(&'a str),
    /// A Lambda function ARN as the resource: `LambdaFunctions*` / `LambdaFunction*`,
    /// dimension `LambdaFunctionArn`.
    LambdaFunction(&'a str),
    /// A service integration: `ServiceIntegrations*` / `ServiceIntegration*`, dimension
    /// `ServiceIntegrationResourceArn`.
    ServiceIntegration(&'a str),
}

impl TaskResource<'_> {
    /// (count prefix, time prefix, dimension name, ARN).
    fn parts(&self) -> (&'static str, &'static str, &'static str, &str) {
        match self {
            TaskResource::Activity(arn) => ("Activities", "Activity", "ActivityArn", arn),
            TaskResource::LambdaFunction(arn) => (
                "LambdaFunctions",
                "LambdaFunction",
                "LambdaFunctionArn",
                arn,
            ),
            TaskResource::ServiceIntegration(arn) => (
                "ServiceIntegrations",
                "ServiceIntegration",
                "ServiceIntegrationResourceArn",
                arn,
            ),
        }
    }

    fn dimensions(&self) -> Dimensions {
        let (_, _, name, arn) = self.parts();
        Dimensions::sorted(vec![(name.to_owned(), arn.to_owned())])
    }
}

/// A task that was scheduled (`…Scheduled`) or started (`…Started`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskEvent {
    /// `ActivitiesScheduled`, ...
    Scheduled,
    /// `ActivitiesStarted`, ...
    Started,
}

/// How a task closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskOutcome {
    /// `…Succeeded`.
    Succeeded,
    /// `…Failed`.
    Failed,
    /// `…TimedOut`.
    TimedOut,
    /// `ActivitiesHeartbeatTimedOut` (other families count it as `…TimedOut`).
    HeartbeatTimedOut,
}

/// The count metric of a task scheduled or started.
pub fn task_event(resource: &TaskResource<'_>, event: TaskEvent, at_ms: i64) -> (MetricId, Sample) {
    let (prefix, _, _, _) = resource.parts();
    let suffix = match event {
        TaskEvent::Scheduled => "Scheduled",
        TaskEvent::Started => "Started",
    };
    (
        MetricId::new(
            NAMESPACE,
            format!("{prefix}{suffix}"),
            resource.dimensions(),
        ),
        Sample {
            at_ms,
            value: 1.0,
            unit: Unit::Count,
        },
    )
}

/// The metrics of a task that closed: the outcome's count, `…Time` (scheduled to closed) and,
/// if it started, `…ScheduleTime` (scheduled to started) and `…RunTime` (started to closed).
pub fn task_closed(
    resource: &TaskResource<'_>,
    outcome: TaskOutcome,
    scheduled_ms: i64,
    started_ms: Option<i64>,
    ended_ms: i64,
) -> Vec<(MetricId, Sample)> {
    let (count_prefix, time_prefix, _, _) = resource.parts();
    let suffix = match (outcome, resource) {
        (TaskOutcome::Succeeded, _) => "Succeeded",
        (TaskOutcome::Failed, _) => "Failed",
        (TaskOutcome::HeartbeatTimedOut, TaskResource::Activity(_)) => "HeartbeatTimedOut",
        (TaskOutcome::TimedOut | TaskOutcome::HeartbeatTimedOut, _) => "TimedOut",
    };
    let dimensions = resource.dimensions();
    let metric = |name: String, at_ms: i64, value: f64, unit: Unit| {
        (
            MetricId::new(NAMESPACE, name, dimensions.clone()),
            Sample { at_ms, value, unit },
        )
    };
    let millis = |from: i64, to: i64| (to - from).max(0) as f64;
    let mut out = vec![
        metric(
            format!("{count_prefix}{suffix}"),
            ended_ms,
            1.0,
            Unit::Count,
        ),
        metric(
            format!("{time_prefix}Time"),
            ended_ms,
            millis(scheduled_ms, ended_ms),
            Unit::Milliseconds,
        ),
    ];
    if let Some(started_ms) = started_ms {
        out.push(metric(
            format!("{time_prefix}ScheduleTime"),
            ended_ms,
            millis(scheduled_ms, started_ms),
            Unit::Milliseconds,
        ));
        out.push(metric(
            format!("{time_prefix}RunTime"),
            ended_ms,
            millis(started_ms, ended_ms),
            Unit::Milliseconds,
        ));
    }
    out
}
