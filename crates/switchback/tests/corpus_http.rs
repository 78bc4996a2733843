//! Replays the shared LocalStack corpus (recorded against AWS) through a real `switchback serve`
//! with the AWS SDK for Rust: the same `execution-history` entries the in-process runner runs
//! (`switchback::conformance::prepare_history` chooses and skips them, with the project's ports
//! of the templates that tests changed in code), now through the wire, the durable runtime and
//! its scaled timers.
//!
//! For each entry: CreateStateMachine with the template (JSON5 read as JSON), StartExecution
//! with each recorded input as text, DescribeExecution until the end, then GetExecutionHistory,
//! every page, compared after the corpus's normalisation with the recording, and the
//! description's status, output, error and cause with the manifest's summary.
//!
//! The history is compared as the server sent it: an interceptor keeps the raw JSON body of each
//! page, while the SDK must still decode every page, and its decoded events must agree with the
//! raw ones (ids, types). The server runs with the recording's account id (`111111111111`); our
//! role ARN is replaced with the recording's `snf_role_arn`, as LocalStack's harness did.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sfn::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_sfn::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sfn::error::BoxError;
use aws_sdk_sfn::types::ExecutionStatus;
use common::{Server, shared};
use serde_json::Value;
use switchback::conformance::{
    self, HistoryCase, Observed, PlannedExecution, Ports, Prepared, Snapshots, Verdict,
};
use tempfile::TempDir;

/// Raise this as the engine learns more; never lower it. The in-process runner's floor.
const EXECUTION_HISTORY_FLOOR: usize = 153;

/// The account id the recordings show.
const ACCOUNT: &str = "111111111111";

/// The role the state machines are created with; the recordings show `snf_role_arn`.
const ROLE: &str = "arn:aws:iam::111111111111:role/switchback-corpus";

/// Keeps the raw body of every response it sees.
#[derive(Debug, Clone, Default)]
struct RawBodies(Arc<Mutex<Vec<Vec<u8>>>>);

impl RawBodies {
    fn take(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for RawBodies {
    fn name(&self) -> &'static str {
        "RawBodies"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context
            .response()
            .body()
            .bytes()
            .ok_or("the response body was not read into memory")?;
        self.0.lock().unwrap().push(body.to_vec());
        Ok(())
    }
}

/// Our response normalised as the recordings were: JSON-object strings parsed, our role ARN
/// named as the recording names it.
fn normalise(mut value: Value) -> Value {
    fn rename_role(value: &mut Value) {
        match value {
            Value::String(text) if text.contains(ROLE) => {
                *text = text.replace(ROLE, "snf_role_arn")
            }
            Value::Array(items) => items.iter_mut().for_each(rename_role),
            Value::Object(object) => object.values_mut().for_each(rename_role),
            _ => {}
        }
    }
    conformance::normalise(&mut value);
    rename_role(&mut value);
    value
}

/// Waits (up to 60 s) for the execution to end.
async fn wait_end(
    client: &aws_sdk_sfn::Client,
    execution_arn: &str,
) -> Result<aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput, String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let described = client
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .map_err(|error| format!("DescribeExecution: {error:?}"))?;
        if described.status() != &ExecutionStatus::Running {
            return Ok(described);
        }
        if Instant::now() > deadline {
            return Err("still running after 60 s".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The whole history, every page, as the server sent it (normalised), checked against what the
/// SDK decoded.
async fn history(
    client: &aws_sdk_sfn::Client,
    execution_arn: &str,
    reverse: bool,
) -> Result<Vec<Value>, String> {
    let raw = RawBodies::default();
    let mut events = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let page = client
            .get_execution_history()
            .execution_arn(execution_arn)
            .reverse_order(reverse)
            .max_results(100)
            .set_next_token(next_token.take())
            .customize()
            .interceptor(raw.clone())
            .send()
            .await
            .map_err(|error| format!("GetExecutionHistory: {error:?}"))?;
        let bodies = raw.take();
        let [body] = bodies.as_slice() else {
            return Err(format!("{} bodies captured for one page", bodies.len()));
        };
        let body: Value = serde_json::from_slice(body)
            .map_err(|error| format!("the history page is not JSON: {error}"))?;
        let raw_events = body
            .get("events")
            .and_then(Value::as_array)
            .ok_or("the history page has no events")?;
        let decoded: Vec<(i64, &str)> = page
            .events()
            .iter()
            .map(|event| (event.id(), event.r#type().as_str()))
            .collect();
        let sent: Vec<(i64, &str)> = raw_events
            .iter()
            .map(|event| {
                (
                    event.get("id").and_then(Value::as_i64).unwrap_or(-1),
                    event.get("type").and_then(Value::as_str).unwrap_or(""),
                )
            })
            .collect();
        if decoded != sent {
            return Err(format!(
                "the SDK decoded {decoded:?} from a page that holds {sent:?}"
            ));
        }
        events.extend(raw_events.iter().cloned().map(normalise));
        match page.next_token() {
            Some(token) => next_token = Some(token.to_owned()),
            None => return Ok(events),
        }
    }
}

async fn run_execution(
    client: &aws_sdk_sfn::Client,
    machine_arn: &str,
    name: &str,
    planned: &PlannedExecution,
) -> Result<(), String> {
    let started = client
        .start_execution()
        .state_machine_arn(machine_arn)
        .name(name)
        .set_input(planned.input_to_send())
        .send()
        .await
        .map_err(|error| format!(": StartExecution: {error:?}"))?;
    let execution_arn = started.execution_arn();
    let described = wait_end(client, execution_arn)
        .await
        .map_err(|reason| format!(": {reason}"))?;
    let events = history(client, execution_arn, planned.reverse_order())
        .await
        .map_err(|reason| format!(": {reason}"))?;
    let observed = Observed {
        status: described.status().as_str().to_owned(),
        error: described.error().map(str::to_owned),
        cause: described.cause().map(str::to_owned),
        output: described
            .output()
            .map(|output| normalise(Value::String(output.to_owned()))),
        events,
    };
    conformance::check_execution(planned, &observed)
}

async fn run_case(
    client: &aws_sdk_sfn::Client,
    index: usize,
    case: &HistoryCase,
) -> Result<(), String> {
    let machine_name = format!("corpus-{index}");
    let machine = client
        .create_state_machine()
        .name(&machine_name)
        .definition(case.definition.to_string())
        .role_arn(ROLE)
        .send()
        .await
        .map_err(|error| format!("CreateStateMachine: {error:?}"))?;
    for (position, planned) in case.executions.iter().enumerate() {
        let name = format!("exec-{position}");
        run_execution(client, machine.state_machine_arn(), &name, planned)
            .await
            .map_err(|reason| format!("execution {position}{reason}"))?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_localstack_corpus_over_http() {
    let corpus = shared("conformance/localstack");
    let ports = Ports::read(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/conformance/localstack-ports.json"),
    )
    .expect("the ports load");
    // What the in-process runner passes: every one of those must pass here too.
    let in_process = conformance::run_corpus_with(&corpus, &ports).expect("the corpus loads");
    let passed_in_process: BTreeSet<String> = in_process
        .entries
        .iter()
        .filter(|entry| entry.kind == "execution-history" && entry.verdict == Verdict::Passed)
        .map(|entry| entry.key.clone())
        .collect();

    let data = TempDir::new().unwrap();
    let server = Server::start(
        data.path(),
        &["--time-scale", "1000", "--account-id", ACCOUNT],
    );
    let client = server.client();

    let mut snapshots = Snapshots::default();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut passed_keys = BTreeSet::new();
    let entries = conformance::manifest_entries(&corpus).expect("the manifest loads");
    for (index, entry) in entries.iter().enumerate() {
        if entry.get("kind").and_then(Value::as_str) != Some("execution-history") {
            continue;
        }
        let key = entry.get("key").and_then(Value::as_str).unwrap_or_default();
        let result = match conformance::prepare_history(&corpus, entry, &mut snapshots, &ports) {
            Ok(Prepared::Skip(_)) => {
                skipped += 1;
                continue;
            }
            Ok(Prepared::Run(case)) => run_case(&client, index, &case).await,
            Err(error) => Err(format!("{error:#}")),
        };
        match result {
            Ok(()) => {
                passed += 1;
                passed_keys.insert(key.to_owned());
            }
            Err(reason) => {
                failed += 1;
                failures.push(format!("FAIL {key}: {reason}"));
            }
        }
    }
    for failure in &failures {
        println!("{failure}");
    }
    println!("execution-history over HTTP: {passed} passed, {failed} failed, {skipped} skipped");

    assert_eq!(
        failed,
        0,
        "entries failed over HTTP:\n{}\nserver log:\n{}",
        failures.join("\n"),
        server.log()
    );
    let missing: Vec<&String> = passed_in_process.difference(&passed_keys).collect();
    assert!(
        missing.is_empty(),
        "passed in process but not over HTTP: {missing:?}"
    );
    assert!(
        passed >= EXECUTION_HISTORY_FLOOR,
        "only {passed} execution-history entries passed over HTTP (floor {EXECUTION_HISTORY_FLOOR})"
    );
}
