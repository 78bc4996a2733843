//! Criterion benchmarks of the execution reducer: whole executions driven in process with a
//! virtual clock, and the parse + validate + build of a definition.
//!
//! Run with `cargo bench -p engine --bench interpreter`. The execution cases report throughput in
//! state transitions (`…StateEntered` events per run), so criterion's `elem/s` figure inverts to
//! nanoseconds per transition.

use std::collections::{BTreeMap, VecDeque};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use asl::model::StateMachine;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use engine::{Effect, Execution, ExecutionInfo, Input, Status};
use serde_json::{Value, json};

/// The seed definition, beside the project root (`/work/shared` next to `/work/main` and each
/// `/work/wt-*`, and in CI).
const SEED_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/examples/seed/statemachine/alias.asl.json"
);

/// A copy of the seed definition, used when the shared folder is not there.
const SEED_FALLBACK: &str = r#"{
    "StartAt": "Basic Choice",
    "States": {
        "Basic Choice": {
            "Type": "Choice",
            "Choices": [
                { "Variable": "$.type", "StringEquals": "B", "Next": "Passed" },
                { "Variable": "$.type", "StringEquals": "C", "Next": "Passed" },
                { "Variable": "$.type", "StringEquals": "D", "Next": "Passed" },
                { "Variable": "$.type", "StringEquals": "A", "Next": "Failed" }
            ]
        },
        "Passed": { "Type": "Succeed" },
        "Failed": { "Type": "Fail" }
    },
    "TimeoutSeconds": 30
}"#;

/// The number of Map items in the Map-of-Parallel case.
const MAP_ITEMS: usize = 1_000;

fn seed_definition() -> String {
    std::fs::read_to_string(SEED_PATH).unwrap_or_else(|_| SEED_FALLBACK.to_owned())
}

/// A Map over `$.items` whose every iteration runs a Parallel of two branches of two Pass states.
fn map_of_parallel_definition() -> Value {
    let branch = |prefix: &str| {
        json!({
            "StartAt": format!("{prefix}1"),
            "States": {
                format!("{prefix}1"): { "Type": "Pass", "Result": { "branch": prefix }, "ResultPath": "$.tag", "Next": format!("{prefix}2") },
                format!("{prefix}2"): { "Type": "Pass", "End": true }
            }
        })
    };
    json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": { "Mode": "INLINE" },
                    "StartAt": "Both",
                    "States": {
                        "Both": { "Type": "Parallel", "Branches": [branch("A"), branch("B")], "End": true }
                    }
                },
                "End": true
            }
        }
    })
}

fn info() -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:bench:run".to_owned(),
        name: "run".to_owned(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:bench".to_owned(),
        state_machine_name: "bench".to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/bench".to_owned(),
        region: "us-east-1".to_owned(),
        start_time_ms: 1_700_000_000_000,
    }
}

/// Runs one execution from Start to its end with a virtual clock: every task fails, timers fire in
/// order. Returns the final status and the number of states entered.
fn run(machine: &Arc<StateMachine>, input: &Value) -> (Status, u64) {
    let mut entropy = asl::SeededEntropy::new(7);
    let mut execution = Execution::new(machine.clone(), info());
    let mut now = 1_700_000_000_000;
    let mut inputs = VecDeque::from([Input::Start {
        input: input.clone(),
        text: None,
    }]);
    let mut timers: BTreeMap<(i64, u64), ()> = BTreeMap::new();
    let mut entered = 0;
    while !execution.is_finished() {
        let next = match inputs.pop_front() {
            Some(next) => next,
            None => match timers.pop_first() {
                Some(((at, timer), ())) => {
                    now = now.max(at);
                    Input::TimerFired { timer }
                }
                None => break,
            },
        };
        let step = execution.apply(next, now, &mut entropy);
        entered += step
            .events
            .iter()
            .filter(|event| event.event_type.ends_with("StateEntered"))
            .count() as u64;
        for effect in step.effects {
            match effect {
                Effect::InvokeTask(request) => inputs.push_back(Input::TaskFailed {
                    task: request.id,
                    error: Some("Bench.NoTasks".to_owned()),
                    cause: None,
                }),
                Effect::StartTimer { id, fire_at_ms } => {
                    timers.insert((fire_at_ms, id), ());
                }
                Effect::CancelTimer { id } => timers.retain(|(_, timer), ()| *timer != id),
                Effect::CancelTask { .. } => {}
            }
        }
    }
    (execution.status().clone(), entered)
}

fn build(text: &str) -> Arc<StateMachine> {
    let value: Value = serde_json::from_str(text).expect("the definition is JSON");
    Arc::new(StateMachine::from_value(&value).expect("the definition builds"))
}

fn bench_seed(c: &mut Criterion) {
    let machine = build(&seed_definition());
    let input = json!({ "type": "B" });
    let (status, transitions) = run(&machine, &input);
    assert!(
        matches!(status, Status::Succeeded { .. }),
        "the seed run ends with {status:?}"
    );
    let mut group = c.benchmark_group("seed_alias");
    group.throughput(Throughput::Elements(transitions));
    group.bench_function("execution", |b| {
        b.iter(|| run(black_box(&machine), black_box(&input)))
    });
    group.finish();
}

fn bench_map_of_parallel(c: &mut Criterion) {
    let machine = Arc::new(
        StateMachine::from_value(&map_of_parallel_definition()).expect("the definition builds"),
    );
    let items: Vec<Value> = (0..MAP_ITEMS).map(|index| json!({ "n": index })).collect();
    let input = json!({ "items": items });
    let (status, transitions) = run(&machine, &input);
    assert!(
        matches!(status, Status::Succeeded { .. }),
        "the Map run ends with {status:?}"
    );
    // 1 Map + per item: 1 Parallel + 2 branches x 2 Pass.
    assert_eq!(transitions, 1 + 5 * MAP_ITEMS as u64);
    let mut group = c.benchmark_group("map_1000_of_parallel");
    group.sample_size(10);
    group.throughput(Throughput::Elements(transitions));
    group.bench_function("execution", |b| {
        b.iter(|| run(black_box(&machine), black_box(&input)))
    });
    group.finish();
}

/// The same Map written in JSONata with variables: `Items` and `ItemSelector` expressions, an
/// `Assign` and an `Output` in each iteration.
fn jsonata_map_definition() -> Value {
    json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Setup",
        "States": {
            "Setup": {"Type": "Pass", "Assign": {"factor": 3}, "Next": "Each"},
            "Each": {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "ItemSelector": {"n": "{% $states.context.Map.Item.Value.n %}",
                                 "index": "{% $states.context.Map.Item.Index %}"},
                "ItemProcessor": {
                    "StartAt": "Scale",
                    "States": {
                        "Scale": {"Type": "Pass", "End": true,
                                  "Assign": {"scaled": "{% $states.input.n * $factor %}"},
                                  "Output": {"n": "{% $states.input.n * $factor %}",
                                             "index": "{% $states.input.index %}"}}
                    }
                },
                "Output": "{% $sum($states.result.n) %}",
                "End": true
            }
        }
    })
}

fn bench_jsonata_map(c: &mut Criterion) {
    let machine = Arc::new(
        StateMachine::from_value(&jsonata_map_definition()).expect("the definition builds"),
    );
    let items: Vec<Value> = (0..MAP_ITEMS).map(|index| json!({ "n": index })).collect();
    let input = json!({ "items": items });
    let (status, transitions) = run(&machine, &input);
    assert!(
        matches!(status, Status::Succeeded { .. }),
        "the JSONata Map run ends with {status:?}"
    );
    // Setup + Map + one Pass per item.
    assert_eq!(transitions, 2 + MAP_ITEMS as u64);
    let mut group = c.benchmark_group("jsonata_map_1000");
    group.sample_size(10);
    group.throughput(Throughput::Elements(transitions));
    group.bench_function("execution", |b| {
        b.iter(|| run(black_box(&machine), black_box(&input)))
    });
    group.finish();
}

fn bench_build(c: &mut Criterion) {
    let text = seed_definition();
    let options = asl::validate::Options::default();
    c.bench_function("seed_alias/parse_validate_build", |b| {
        b.iter(|| {
            let text = black_box(text.as_str());
            let diagnostics = asl::validate::validate(text, &options);
            assert!(diagnostics.is_empty());
            let value: Value = serde_json::from_str(text).expect("JSON");
            StateMachine::from_value(&value).expect("builds")
        })
    });
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_seed, bench_map_of_parallel, bench_jsonata_map, bench_build
}
criterion_main!(benches);
