//! Criterion micro-benchmarks of expression evaluation: a JSONPath select (definite and with a
//! filter) and a `States.Format` intrinsic call whose paths resolve through JSONPath.
//!
//! Run with `cargo bench -p asl --bench expressions`. Paths and calls are parsed once, outside the
//! measured loop, as the engine does.

use std::hint::black_box;
use std::time::Duration;

use asl::intrinsics::{Call, Resolver};
use asl::jsonpath::Path;
use asl::{Entropy, Failure, SeededEntropy};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

/// A resolver over one input document, as the engine's `$` paths see it.
struct InputResolver<'a> {
    input: &'a Value,
    entropy: SeededEntropy,
}

impl Resolver for InputResolver<'_> {
    fn resolve(&mut self, path: &str) -> Result<Value, Failure> {
        let parsed =
            Path::parse(path).map_err(|error| Failure::new("States.Runtime", error.to_string()))?;
        parsed
            .select(self.input)
            .ok_or_else(|| Failure::new("States.Runtime", format!("no results for {path}")))
    }

    fn entropy(&mut self) -> &mut dyn Entropy {
        &mut self.entropy
    }
}

fn document() -> Value {
    let books: Vec<Value> = (0..20)
        .map(|index| {
            json!({
                "title": format!("Book {index}"),
                "author": format!("Author {}", index % 5),
                "price": 5.0 + index as f64,
                "tags": ["a", "b", "c"],
            })
        })
        .collect();
    json!({ "store": { "name": "Corner", "book": books }, "customer": { "name": "Ada", "id": 42 } })
}

fn bench_jsonpath(c: &mut Criterion) {
    let document = document();
    let definite = Path::parse("$.store.book[3].title").expect("parses");
    let filter = Path::parse("$.store.book[?(@.price < 10)].title").expect("parses");
    c.bench_function("jsonpath/select_definite", |b| {
        b.iter(|| definite.select(black_box(&document)))
    });
    c.bench_function("jsonpath/select_filter", |b| {
        b.iter(|| filter.select(black_box(&document)))
    });
}

fn bench_format(c: &mut Criterion) {
    let document = document();
    let call = Call::parse("States.Format('Hello {}, you are customer {} of {}', $.customer.name, $.customer.id, $.store.name)")
        .expect("parses");
    let mut resolver = InputResolver {
        input: &document,
        entropy: SeededEntropy::new(7),
    };
    assert_eq!(
        call.eval(&mut resolver),
        Ok(json!("Hello Ada, you are customer 42 of Corner"))
    );
    c.bench_function("intrinsic/states_format", |b| {
        b.iter(|| black_box(&call).eval(&mut resolver))
    });
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_jsonpath, bench_format
}
criterion_main!(benches);
