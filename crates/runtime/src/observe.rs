//! What the runtime records about the executions it runs (issue 5): the `AWS/States` metrics
//! Step Functions emits (`metrics::stepfunctions`, where the dimension-value decisions are
//! written), kept in one in-memory [`metrics::Series`] that queries and alarms read, made durable
//! in batches, plus the counters and histograms `GET /metrics` exposes.
//!
//! # The metric clock
//!
//! Metric timestamps come from a *metric clock* that runs `--time-scale` times faster than the
//! wall clock, from the moment the runtime started (or from the newest stored metric, if that is
//! later, so a restart never goes back in time). At scale 1 it is the wall clock. Alarms are
//! evaluated on the same clock, so an alarm with a 300 s period over data that ages out after
//! `3 × 300 s` behaves at `--time-scale 100` as it would on AWS, a hundred times faster.
//! Durations (`ExecutionTime`) are the wall-clock durations of the executions.
//!
//! # Durability
//!
//! Every sample goes into the series and into a pending table of per-bucket rows (one row per
//! metric and bucket, holding each distinct value with its count). [`Observer::flush`] writes
//! the pending rows in one store transaction and prunes rows older than the retention window;
//! `serve` flushes every second and at shutdown, so a crash loses at most the last second of
//! metrics, and recording never waits for the disk. [`Observer::load`] rebuilds the series from
//! the stored rows at start-up.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use metrics::stepfunctions::{self, ExecutionRef, ExecutionStatus};
use metrics::{Dimensions, MetricId, Sample, Series, SeriesOptions, Unit};
use store::{MetricRow, Store};

/// The upper bounds of the execution-time histogram, in seconds.
const EXECUTION_TIME_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0, 300.0, 3600.0,
];

/// The upper bounds of the store-commit histogram, in seconds.
const COMMIT_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// What is known of an execution when it records metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionMeta {
    /// The unqualified state machine ARN.
    pub state_machine_arn: String,
    /// The version number it runs, when started through a version or an alias.
    pub version: Option<String>,
    /// The alias name it was started through.
    pub alias: Option<String>,
    /// EXPRESS or not.
    pub express: bool,
    /// When it started, wall-clock epoch milliseconds.
    pub start_ms: i64,
    /// Where its execution log goes, if it has one (`crate::logs`).
    pub logging: Option<std::sync::Arc<crate::logs::Logging>>,
    /// The mock configuration's test case it runs (`Name#TestCase`), if any (`crate::mocks`).
    pub test_case: Option<String>,
    /// How many times each state's task was invoked, for the mocked answers.
    pub mock_invocations: std::collections::HashMap<String, u64>,
    /// This run is a redrive (`RedrivenExecutions<Status>` when it closes).
    pub redriven: bool,
}

impl ExecutionMeta {
    /// The meta of an execution from the ARNs it was started with.
    pub fn new(
        state_machine_arn: &str,
        version_arn: Option<&str>,
        alias_arn: Option<&str>,
        express: bool,
        start_ms: i64,
    ) -> ExecutionMeta {
        let last = |arn: &str| arn.rsplit(':').next().unwrap_or_default().to_owned();
        ExecutionMeta {
            state_machine_arn: stepfunctions::unqualified_arn(state_machine_arn).to_owned(),
            version: version_arn.map(last),
            alias: alias_arn.map(last),
            express,
            start_ms,
            logging: None,
            test_case: None,
            mock_invocations: Default::default(),
            redriven: false,
        }
    }

    fn reference(&self) -> ExecutionRef<'_> {
        ExecutionRef {
            state_machine_arn: &self.state_machine_arn,
            version: self.version.as_deref(),
            alias: self.alias.as_deref(),
            express: self.express,
        }
    }

    fn labels(&self) -> Labels {
        Labels {
            state_machine: self
                .state_machine_arn
                .rsplit(':')
                .next()
                .unwrap_or_default()
                .to_owned(),
            version: self.version.clone().unwrap_or_default(),
            alias: self.alias.clone().unwrap_or_default(),
        }
    }
}

/// A task of an execution between its `…Scheduled` event and its end: what its metrics need.
#[derive(Debug, Clone)]
struct OpenTask {
    /// `Activity`, `LambdaFunction` or `Service`, and the ARN its metrics are dimensioned by.
    kind: &'static str,
    arn: String,
    scheduled_ms: i64,
    started_ms: Option<i64>,
}

/// Follows an execution's tasks through its history events, by the previous-event chain of
/// their thread (scheduled → started → closed), for the activity, Lambda and service
/// integration metrics. One per execution actor.
#[derive(Debug, Default)]
pub struct TaskTracker {
    /// By the id of the task's latest event.
    open: HashMap<u64, OpenTask>,
    /// The step being recorded was a missed heartbeat: its `…TimedOut` event counts as
    /// `ActivitiesHeartbeatTimedOut` (the history records `States.Timeout` either way, as AWS
    /// does, so only the runtime knows).
    pub heartbeat_timeout: bool,
}

fn resource<'a>(kind: &'static str, arn: &'a str) -> stepfunctions::TaskResource<'a> {
    match kind {
        "Activity" => stepfunctions::TaskResource::Activity(arn),
        "LambdaFunction" => stepfunctions::TaskResource::LambdaFunction(arn),
        _ => stepfunctions::TaskResource::ServiceIntegration(arn),
    }
}

/// The Prometheus labels of an execution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Labels {
    state_machine: String,
    version: String,
    alias: String,
}

#[derive(Debug, Clone, Default)]
struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.buckets.len() != bounds.len() {
            self.buckets = vec![0; bounds.len()];
        }
        for (bucket, bound) in self.buckets.iter_mut().zip(bounds) {
            if value <= *bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum += value;
    }
}

#[derive(Debug, Clone, Default)]
struct ExecutionCounters {
    started: u64,
    /// Closed executions by status (`succeeded`, `failed`, `aborted`, `timed_out`).
    closed: BTreeMap<&'static str, u64>,
    time: Histogram,
}

/// One pending row: the unit and every distinct value with its count.
type PendingBuckets = BTreeMap<i64, (Unit, Vec<(f64, u64)>)>;

/// What happened to the executions of one identity in one second, not yet in the series.
#[derive(Debug, Default)]
struct Tally {
    started: u64,
    redriven: u64,
    /// (status, duration in ms, a redriven run) → how many closed so.
    closed: Vec<((ExecutionStatus, i64, bool), u64)>,
}

/// The executions of one state machine, version, alias and type.
#[derive(Debug)]
struct ExecutionEntry {
    meta: ExecutionMeta,
    labels: Labels,
    counters: ExecutionCounters,
    /// By the second (metric clock) they happened in.
    tallies: BTreeMap<i64, Tally>,
}

#[derive(Debug, Default)]
struct Inner {
    series: Series,
    pending: HashMap<MetricId, PendingBuckets>,
    /// By unqualified state machine ARN.
    executions: HashMap<String, Vec<ExecutionEntry>>,
    /// Whether some entry has tallies the series does not hold yet.
    unsettled: bool,
    commits: Histogram,
    /// Requests served, by (operation, status code).
    requests: HashMap<(&'static str, u16), u64>,
}

impl Inner {
    /// The entry of an execution's identity, made on first use (always `Some`).
    fn entry(&mut self, meta: &ExecutionMeta) -> Option<&mut ExecutionEntry> {
        let same = |entry: &ExecutionEntry| {
            entry.meta.version == meta.version
                && entry.meta.alias == meta.alias
                && entry.meta.express == meta.express
        };
        if !self
            .executions
            .contains_key(meta.state_machine_arn.as_str())
        {
            self.executions
                .insert(meta.state_machine_arn.clone(), Vec::new());
        }
        let entries = self.executions.get_mut(meta.state_machine_arn.as_str())?;
        let index = match entries.iter().position(same) {
            Some(index) => index,
            None => {
                entries.push(ExecutionEntry {
                    meta: meta.clone(),
                    labels: meta.labels(),
                    counters: ExecutionCounters::default(),
                    tallies: BTreeMap::new(),
                });
                entries.len() - 1
            }
        };
        entries.get_mut(index)
    }

    /// Moves every tally into the series (and the pending rows), with the emission functions
    /// of `metrics::stepfunctions`: one `record_many` per metric, second and distinct value.
    fn settle(&mut self) {
        if !self.unsettled {
            return;
        }
        self.unsettled = false;
        let mut samples: Vec<(MetricId, Sample, u64)> = Vec::new();
        for entries in self.executions.values_mut() {
            for entry in entries {
                let reference = entry.meta.reference();
                for (second_ms, tally) in std::mem::take(&mut entry.tallies) {
                    if tally.started > 0 {
                        for (metric, sample) in
                            stepfunctions::execution_started(&reference, second_ms)
                        {
                            samples.push((metric, sample, tally.started));
                        }
                    }
                    if tally.redriven > 0 {
                        for (metric, sample) in
                            stepfunctions::execution_redriven(&reference, second_ms)
                        {
                            samples.push((metric, sample, tally.redriven));
                        }
                    }
                    for ((status, duration_ms, redriven), count) in tally.closed {
                        for (metric, sample) in stepfunctions::execution_closed(
                            &reference,
                            status,
                            second_ms - duration_ms,
                            second_ms,
                            redriven,
                        ) {
                            samples.push((metric, sample, count));
                        }
                    }
                }
            }
        }
        for (metric, sample, count) in samples {
            self.record_many(&metric, sample, count);
        }
    }

    fn record(&mut self, metric: &MetricId, sample: Sample) {
        self.record_many(metric, sample, 1);
    }

    fn record_many(&mut self, metric: &MetricId, sample: Sample, count: u64) {
        if self.series.record_many(metric, sample, count).is_err() {
            // Older than the retention window, or not finite: CloudWatch would drop it too.
            return;
        }
        let bucket_ms = sample.at_ms.div_euclid(self.series.options().resolution_ms)
            * self.series.options().resolution_ms;
        let buckets = match self.pending.get_mut(metric) {
            Some(buckets) => buckets,
            None => self.pending.entry(metric.clone()).or_default(),
        };
        let (unit, values) = buckets
            .entry(bucket_ms)
            .or_insert_with(|| (sample.unit, Vec::new()));
        *unit = sample.unit;
        match values.iter_mut().find(|(value, _)| *value == sample.value) {
            Some((_, known)) => *known += count,
            None => values.push((sample.value, count)),
        }
    }
}

/// The metrics of a runtime: shared by every execution, the API and the alarm evaluator.
#[derive(Debug)]
pub struct Observer {
    inner: Mutex<Inner>,
    /// Wall-clock milliseconds when the metric clock was (re)based.
    wall_origin_ms: AtomicI64,
    /// The metric clock's reading at `wall_origin_ms`.
    metric_origin_ms: AtomicI64,
    /// When the stored rows were last pruned (wall clock): an idle flush writes nothing but a
    /// prune a minute.
    pruned_ms: AtomicI64,
    time_scale: f64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Observer {
    /// An empty observer whose metric clock starts now and runs `time_scale` times faster than
    /// the wall clock.
    pub fn new(options: SeriesOptions, time_scale: f64) -> Observer {
        let now = crate::now_ms();
        Observer {
            inner: Mutex::new(Inner {
                series: Series::new(options),
                ..Inner::default()
            }),
            wall_origin_ms: AtomicI64::new(now),
            metric_origin_ms: AtomicI64::new(now),
            pruned_ms: AtomicI64::new(now),
            time_scale: if time_scale.is_finite() && time_scale > 0.0 {
                time_scale
            } else {
                1.0
            },
        }
    }

    /// The metric clock, epoch milliseconds (see the module docs).
    pub fn now_ms(&self) -> i64 {
        self.metric_time(crate::now_ms())
    }

    fn metric_time(&self, wall_ms: i64) -> i64 {
        let wall_origin = self.wall_origin_ms.load(Ordering::Relaxed);
        let metric_origin = self.metric_origin_ms.load(Ordering::Relaxed);
        metric_origin + ((wall_ms - wall_origin) as f64 * self.time_scale) as i64
    }

    /// How many times faster than the wall clock the metric clock runs.
    pub fn time_scale(&self) -> f64 {
        self.time_scale
    }

    /// Records samples (their timestamps on the metric clock).
    pub fn record(&self, samples: impl IntoIterator<Item = (MetricId, Sample)>) {
        let mut inner = lock(&self.inner);
        for (metric, sample) in samples {
            inner.record(&metric, sample);
        }
    }

    /// Reads the series (queries, alarm evaluation), under the lock: keep `read` short.
    pub fn with_series<T>(&self, read: impl FnOnce(&Series) -> T) -> T {
        let mut inner = lock(&self.inner);
        inner.settle();
        read(&inner.series)
    }

    /// The second (of the metric clock) an event now falls in.
    fn second_now(&self) -> i64 {
        self.now_ms().div_euclid(1000) * 1000
    }

    /// An execution started. The hot path: a count under the lock; the samples reach the
    /// series when something reads it or at the next flush (`settle`).
    pub fn execution_started(&self, meta: &ExecutionMeta) {
        let second_ms = self.second_now();
        let mut inner = lock(&self.inner);
        inner.unsettled = true;
        let Some(entry) = inner.entry(meta) else {
            return;
        };
        entry.counters.started += 1;
        entry.tallies.entry(second_ms).or_default().started += 1;
    }

    /// An execution closed with this status (`SUCCEEDED`, `FAILED`, `ABORTED`, `TIMED_OUT`).
    pub fn execution_closed(&self, meta: &ExecutionMeta, status: &str, stop_ms: i64) {
        let (status, label) = match status {
            "SUCCEEDED" => (ExecutionStatus::Succeeded, "succeeded"),
            "FAILED" => (ExecutionStatus::Failed, "failed"),
            "ABORTED" => (ExecutionStatus::Aborted, "aborted"),
            "TIMED_OUT" => (ExecutionStatus::TimedOut, "timed_out"),
            _ => return,
        };
        let duration_ms = (stop_ms - meta.start_ms).max(0);
        let second_ms = self.second_now();
        let mut inner = lock(&self.inner);
        inner.unsettled = true;
        let Some(entry) = inner.entry(meta) else {
            return;
        };
        *entry.counters.closed.entry(label).or_default() += 1;
        entry
            .counters
            .time
            .observe(EXECUTION_TIME_BUCKETS, duration_ms as f64 / 1000.0);
        let closed = &mut entry.tallies.entry(second_ms).or_default().closed;
        let key = (status, duration_ms, meta.redriven);
        match closed.iter_mut().find(|(found, _)| *found == key) {
            Some((_, count)) => *count += 1,
            None => closed.push((key, 1)),
        }
    }

    /// A STANDARD execution was redriven (`ExecutionsRedriven`).
    pub fn execution_redriven(&self, meta: &ExecutionMeta) {
        let second_ms = self.second_now();
        let mut inner = lock(&self.inner);
        inner.unsettled = true;
        let Some(entry) = inner.entry(meta) else {
            return;
        };
        entry.tallies.entry(second_ms).or_default().redriven += 1;
    }

    /// The server answered a request for `operation` with this status code. The caller keeps
    /// the operation names to a known set (each is a Prometheus series).
    pub fn request(&self, operation: &'static str, status: u16) {
        *lock(&self.inner)
            .requests
            .entry((operation, status))
            .or_default() += 1;
    }

    /// Records the activity, Lambda and service-integration metrics of a step's events.
    pub fn task_events(&self, tracker: &mut TaskTracker, events: &[engine::HistoryEvent]) {
        let mut samples = Vec::new();
        for event in events {
            let event_type = event.event_type;
            let Some((kind, what)) = ["Activity", "LambdaFunction", "Task"]
                .iter()
                .find_map(|kind| Some((*kind, event_type.strip_prefix(kind)?)))
            else {
                continue;
            };
            let kind = if kind == "Task" { "Service" } else { kind };
            match what {
                "Scheduled" => {
                    let details = event.details_json().unwrap_or_default();
                    let text = |key: &str| details.get(key).and_then(|value| value.as_str());
                    let arn = match kind {
                        "Service" => format!(
                            "arn:aws:states:::{}:{}",
                            text("resourceType").unwrap_or_default(),
                            text("resource").unwrap_or_default()
                        ),
                        _ => text("resource").unwrap_or_default().to_owned(),
                    };
                    samples.push(stepfunctions::task_event(
                        &resource(kind, &arn),
                        stepfunctions::TaskEvent::Scheduled,
                        self.now_ms(),
                    ));
                    tracker.open.insert(
                        event.id,
                        OpenTask {
                            kind,
                            arn,
                            scheduled_ms: event.timestamp_ms,
                            started_ms: None,
                        },
                    );
                }
                "Started" => {
                    if let Some(mut task) = tracker.open.remove(&event.previous_event_id) {
                        samples.push(stepfunctions::task_event(
                            &resource(task.kind, &task.arn),
                            stepfunctions::TaskEvent::Started,
                            self.now_ms(),
                        ));
                        task.started_ms = Some(event.timestamp_ms);
                        tracker.open.insert(event.id, task);
                    }
                }
                "Succeeded" | "Failed" | "TimedOut" => {
                    let outcome = match what {
                        "Succeeded" => stepfunctions::TaskOutcome::Succeeded,
                        "Failed" => stepfunctions::TaskOutcome::Failed,
                        _ if tracker.heartbeat_timeout => {
                            stepfunctions::TaskOutcome::HeartbeatTimedOut
                        }
                        _ => stepfunctions::TaskOutcome::TimedOut,
                    };
                    // A task scheduled before a restart is not tracked: it closes unseen.
                    if let Some(task) = tracker.open.remove(&event.previous_event_id) {
                        let now_ms = self.now_ms();
                        let shift = now_ms - event.timestamp_ms;
                        samples.extend(stepfunctions::task_closed(
                            &resource(task.kind, &task.arn),
                            outcome,
                            task.scheduled_ms + shift,
                            task.started_ms.map(|started_ms| started_ms + shift),
                            now_ms,
                        ));
                    }
                }
                _ => {}
            }
        }
        if !samples.is_empty() {
            self.record(samples);
        }
    }

    /// A store commit took this long.
    pub fn store_commit(&self, seconds: f64) {
        lock(&self.inner).commits.observe(COMMIT_BUCKETS, seconds);
    }

    /// Writes the pending rows to the store and prunes the series and the stored rows to the
    /// retention window.
    pub async fn flush(&self, store: &dyn Store) -> store::Result<()> {
        let now_ms = self.now_ms();
        let (rows, horizon_ms) = {
            let mut inner = lock(&self.inner);
            inner.settle();
            inner.series.prune(now_ms);
            let options = inner.series.options();
            let pending = std::mem::take(&mut inner.pending);
            let rows: Vec<MetricRow> = pending
                .into_iter()
                .flat_map(|(metric, buckets)| {
                    buckets
                        .into_iter()
                        .map(move |(bucket_ms, (unit, values))| MetricRow {
                            namespace: metric.namespace.clone(),
                            name: metric.name.clone(),
                            dimensions: metric
                                .dimensions
                                .iter()
                                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                                .collect(),
                            unit: unit.as_str().to_owned(),
                            bucket_ms,
                            values,
                        })
                })
                .collect();
            (rows, now_ms - options.retention_ms)
        };
        let wall_ms = crate::now_ms();
        if rows.is_empty() && wall_ms - self.pruned_ms.load(Ordering::Relaxed) < 60_000 {
            return Ok(());
        }
        self.pruned_ms.store(wall_ms, Ordering::Relaxed);
        store.put_metric_rows(rows, horizon_ms).await
    }

    /// Rebuilds the series from the stored rows of the retention window, and moves the metric
    /// clock past the newest of them.
    pub async fn load(&self, store: &dyn Store) -> store::Result<usize> {
        let retention_ms = lock(&self.inner).series.options().retention_ms;
        let newest = store.metric_rows(i64::MIN).await?;
        let newest_ms = newest.last().map(|row| row.bucket_ms);
        if let Some(newest_ms) = newest_ms {
            let now = self.now_ms();
            if newest_ms + 1000 > now {
                // Set before serving starts: nothing reads the clock concurrently.
                self.metric_origin_ms
                    .store(newest_ms + 1000, Ordering::Relaxed);
                self.wall_origin_ms
                    .store(crate::now_ms(), Ordering::Relaxed);
            }
        }
        let horizon_ms = self.now_ms() - retention_ms;
        Ok(self.absorb(newest.into_iter().filter(|row| row.bucket_ms >= horizon_ms)))
    }

    /// Adds stored rows to the series, and to nothing that is flushed: rows read back at
    /// start, or another node's (`cluster`). Answers how many rows it read.
    pub fn absorb(&self, rows: impl IntoIterator<Item = store::MetricRow>) -> usize {
        let mut loaded = 0;
        let mut inner = lock(&self.inner);
        for row in rows {
            let Ok(dimensions) = Dimensions::new(row.dimensions) else {
                continue;
            };
            let metric = MetricId::new(row.namespace, row.name, dimensions);
            let unit = row.unit.parse().unwrap_or_default();
            for (value, count) in row.values {
                for _ in 0..count {
                    // Into the series only: the rows are stored already.
                    let _ = inner.series.record(
                        &metric,
                        Sample {
                            at_ms: row.bucket_ms,
                            value,
                            unit,
                        },
                    );
                }
            }
            loaded += 1;
        }
        loaded
    }

    /// The Prometheus text exposition of the execution counters and histograms and the store
    /// commit latency (the API adds its own HTTP counters).
    pub fn prometheus(&self, open_executions: usize) -> String {
        let inner = lock(&self.inner);
        let mut executions: Vec<(&Labels, &ExecutionCounters)> = inner
            .executions
            .values()
            .flatten()
            .map(|entry| (&entry.labels, &entry.counters))
            .collect();
        executions.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = String::new();
        let label_text = |labels: &Labels| {
            format!(
                "state_machine=\"{}\",version=\"{}\",alias=\"{}\"",
                escape(&labels.state_machine),
                escape(&labels.version),
                escape(&labels.alias)
            )
        };
        out.push_str(
            "# HELP switchback_executions_started_total Executions started.\n\
             # TYPE switchback_executions_started_total counter\n",
        );
        for (labels, counters) in &executions {
            let _ = writeln!(
                out,
                "switchback_executions_started_total{{{}}} {}",
                label_text(labels),
                counters.started
            );
        }
        for (status, help) in [
            ("succeeded", "Executions that succeeded."),
            ("failed", "Executions that failed."),
            ("aborted", "Executions that were aborted."),
            ("timed_out", "Executions that timed out."),
        ] {
            let name = format!("switchback_executions_{status}_total");
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, counters) in &executions {
                let _ = writeln!(
                    out,
                    "{name}{{{}}} {}",
                    label_text(labels),
                    counters.closed.get(status).copied().unwrap_or(0)
                );
            }
        }
        let name = "switchback_execution_time_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} How long executions ran, start to close.\n# TYPE {name} histogram"
        );
        for (labels, counters) in &executions {
            histogram(
                &mut out,
                name,
                &label_text(labels),
                EXECUTION_TIME_BUCKETS,
                &counters.time,
            );
        }
        let _ = writeln!(
            out,
            "# HELP switchback_http_requests_total API requests answered.\n\
             # TYPE switchback_http_requests_total counter"
        );
        let mut requests: Vec<_> = inner.requests.iter().collect();
        requests.sort();
        for ((operation, status), count) in requests {
            let _ = writeln!(
                out,
                "switchback_http_requests_total{{operation=\"{}\",status=\"{status}\"}} {count}",
                escape(operation)
            );
        }
        let name = "switchback_store_commit_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} How long a store commit of an execution step took.\n# TYPE {name} histogram"
        );
        histogram(&mut out, name, "", COMMIT_BUCKETS, &inner.commits);
        let _ = writeln!(
            out,
            "# HELP switchback_open_executions Executions running in this process.\n\
             # TYPE switchback_open_executions gauge\n\
             switchback_open_executions {open_executions}"
        );
        out
    }
}

fn histogram(out: &mut String, name: &str, labels: &str, bounds: &[f64], histogram: &Histogram) {
    let separator = if labels.is_empty() { "" } else { "," };
    for (index, bound) in bounds.iter().enumerate() {
        let count = histogram.buckets.get(index).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{separator}le=\"{bound}\"}} {count}"
        );
    }
    let _ = writeln!(
        out,
        "{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {}",
        histogram.count
    );
    let braces = |text: &str| {
        if text.is_empty() {
            String::new()
        } else {
            format!("{{{text}}}")
        }
    };
    let _ = writeln!(out, "{name}_sum{} {}", braces(labels), histogram.sum);
    let _ = writeln!(out, "{name}_count{} {}", braces(labels), histogram.count);
}

/// Escapes a label value for the text format (backslash, quote, newline).
pub fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(alias: Option<&str>) -> ExecutionMeta {
        ExecutionMeta::new(
            "arn:aws:states:us-east-1:123456789012:stateMachine:Orders",
            alias.map(|_| "arn:aws:states:us-east-1:123456789012:stateMachine:Orders:2"),
            alias
                .map(|alias| {
                    format!("arn:aws:states:us-east-1:123456789012:stateMachine:Orders:{alias}")
                })
                .as_deref(),
            true,
            1_000,
        )
    }

    #[test]
    fn a_redrive_records_the_redrive_metrics() {
        let observer = Observer::new(SeriesOptions::default(), 1.0);
        let mut meta = meta(None);
        meta.express = false;
        observer.execution_started(&meta);
        observer.execution_closed(&meta, "FAILED", 1_040);
        meta.redriven = true;
        observer.execution_redriven(&meta);
        observer.execution_closed(&meta, "SUCCEEDED", 1_090);
        let names: Vec<String> = observer.with_series(|series| {
            let mut names: Vec<String> = series
                .metrics()
                .map(|metric| metric.name.to_string())
                .filter(|name| name.contains("Redriv"))
                .collect();
            names.sort();
            names.dedup();
            names
        });
        assert_eq!(names, ["ExecutionsRedriven", "RedrivenExecutionsSucceeded"]);
    }

    #[test]
    fn alias_starts_record_every_dimension_set() {
        let observer = Observer::new(SeriesOptions::default(), 1.0);
        let meta = meta(Some("main"));
        assert_eq!(meta.version.as_deref(), Some("2"));
        assert_eq!(meta.alias.as_deref(), Some("main"));
        observer.execution_started(&meta);
        observer.execution_closed(&meta, "FAILED", 1_040);
        let mut names: Vec<String> = observer.with_series(|series| {
            series
                .metrics()
                .filter(|metric| metric.name == "ExecutionsFailed")
                .map(|metric| {
                    metric
                        .dimensions
                        .iter()
                        .map(|(name, value)| format!("{name}={value}"))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect()
        });
        names.sort();
        let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:Orders";
        assert_eq!(
            names,
            [
                format!("Alias=main,StateMachineArn={arn}"),
                format!("StateMachineArn={arn}"),
                format!("StateMachineArn={arn},Version=2"),
            ]
        );
        let text = observer.prometheus(0);
        assert!(text.contains(
            "switchback_executions_failed_total{state_machine=\"Orders\",version=\"2\",alias=\"main\"} 1"
        ));
        assert!(text.contains(
            "switchback_execution_time_seconds_bucket{state_machine=\"Orders\",version=\"2\",alias=\"main\",le=\"0.05\"} 1"
        ));
    }

    #[tokio::test]
    async fn flushed_rows_rebuild_the_series() {
        let store = store::mem::MemStore::new();
        let observer = Observer::new(SeriesOptions::default(), 1.0);
        for _ in 0..3 {
            let meta = meta(None);
            observer.execution_started(&meta);
            observer.execution_closed(&meta, "SUCCEEDED", 1_100);
        }
        observer.flush(&store).await.unwrap();
        let reloaded = Observer::new(SeriesOptions::default(), 1.0);
        assert!(reloaded.load(&store).await.unwrap() > 0);
        let sum = |observer: &Observer| {
            let metric = MetricId::new(
                "AWS/States",
                "ExecutionsSucceeded",
                Dimensions::new([(
                    "StateMachineArn",
                    "arn:aws:states:us-east-1:123456789012:stateMachine:Orders",
                )])
                .unwrap(),
            );
            let now = observer.now_ms();
            observer.with_series(|series| {
                series
                    .datapoints(&metric, now - 60_000, now + 60_000, 120_000, false)
                    .iter()
                    .map(|datapoint| datapoint.aggregate.sum())
                    .sum::<f64>()
            })
        };
        assert_eq!(sum(&observer), 3.0);
        assert_eq!(sum(&reloaded), 3.0);
        // Flushing again writes nothing new.
        observer.flush(&store).await.unwrap();
        assert_eq!(sum(&reloaded), 3.0);
    }
}
