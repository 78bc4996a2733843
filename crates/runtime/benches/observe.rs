//! The cost of recording an execution's metrics (issue 5 asks for a few percent at most), next to
//! the cost of the EXPRESS execution itself: `start_sync_execution` of a one-state machine
//! through an alias on the in-memory store (which already includes the recording), and the
//! recording alone (`ExecutionMeta` + start + close, plus its share of settling the tallies into
//! the series, one settle per 1,000 executions — the server settles at most every flush or
//! query).
//!
//! Run with `cargo bench -p runtime --bench observe`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use metrics::SeriesOptions;
use runtime::observe::{ExecutionMeta, Observer};
use runtime::{Config, Runtime, StartRequest};

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Orders";

fn request() -> StartRequest {
    StartRequest {
        state_machine_arn: MACHINE.to_owned(),
        state_machine_name: "Orders".to_owned(),
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        name: None,
        input: "{}".to_owned(),
        state_machine_version_arn: Some(format!("{MACHINE}:1")),
        state_machine_alias_arn: Some(format!("{MACHINE}:main")),
        logging: None,
        test_case: None,
    }
}

fn recording(c: &mut Criterion) {
    let observer = Observer::new(SeriesOptions::default(), 1.0);
    c.bench_function("observe/execution_1000", |b| {
        b.iter(|| {
            for _ in 0..1000 {
                let meta = ExecutionMeta::new(
                    MACHINE,
                    Some(&format!("{MACHINE}:1")),
                    Some(&format!("{MACHINE}:main")),
                    true,
                    1_000,
                );
                observer.execution_started(&meta);
                observer.execution_closed(&meta, "SUCCEEDED", 1_000);
            }
            observer.with_series(|series| black_box(series.metrics().count()));
        })
    });
}

fn start_sync(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime = Runtime::new(Arc::new(store::mem::MemStore::new()), Config::default());
    c.bench_function("start_sync_execution_1000", |b| {
        b.iter(|| {
            tokio.block_on(async {
                for _ in 0..1000 {
                    black_box(runtime.start_sync_execution(request()).await.unwrap());
                }
                runtime
                    .observer()
                    .with_series(|series| black_box(series.metrics().count()));
            })
        })
    });
}

criterion_group!(benches, recording, start_sync);
criterion_main!(benches);
