//! Replays a LocalStack-format corpus (`manifest.json`, templates and snapshots recorded against
//! AWS) through the engine, and says, entry by entry, whether we do what AWS did.
//!
//! Only the entries that need nothing but ASL are run: `execution-history` and `choice-cases`.
//! An entry that needs a feature not built yet is *skipped*, with the feature named; everything
//! else either passes or fails with a one-line reason.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use asl::model::{Kind, StateMachine};
use engine::{ExecutionInfo, HistoryEvent, Status};
use serde_json::{Map, Value};

use crate::local::{self, NoIntegrations, VirtualClock};

/// How one entry went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Everything matched.
    Passed,
    /// Something differed; the reason says what.
    Failed(String),
    /// Not run: it needs the named feature.
    Skipped(String),
}

/// One entry's result.
#[derive(Debug, Clone)]
pub struct EntryResult {
    /// The entry's key in the manifest.
    pub key: String,
    /// Its kind (`execution-history`, `choice-cases`).
    pub kind: String,
    /// How it went.
    pub verdict: Verdict,
}

/// The results of a whole corpus.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One result per entry run or skipped.
    pub entries: Vec<EntryResult>,
}

impl Report {
    /// How many entries of `kind` (all kinds with `None`) passed, failed and were skipped.
    pub fn counts(&self, kind: Option<&str>) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for entry in &self.entries {
            if kind.is_some_and(|kind| kind != entry.kind) {
                continue;
            }
            match entry.verdict {
                Verdict::Passed => counts.0 += 1,
                Verdict::Failed(_) => counts.1 += 1,
                Verdict::Skipped(_) => counts.2 += 1,
            }
        }
        counts
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in &self.entries {
            if let Verdict::Failed(reason) = &entry.verdict {
                writeln!(f, "FAIL {}: {reason}", entry.key)?;
            }
        }
        let mut skipped: HashMap<&str, usize> = HashMap::new();
        for entry in &self.entries {
            if let Verdict::Skipped(reason) = &entry.verdict {
                *skipped.entry(reason.as_str()).or_default() += 1;
            }
        }
        let mut reasons: Vec<_> = skipped.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (reason, count) in reasons {
            writeln!(f, "skipped {count}: {reason}")?;
        }
        for kind in ["execution-history", "choice-cases"] {
            let (passed, failed, skipped) = self.counts(Some(kind));
            writeln!(
                f,
                "{kind}: {passed} passed, {failed} failed, {skipped} skipped"
            )?;
        }
        let (passed, failed, skipped) = self.counts(None);
        write!(f, "{passed} passed, {failed} failed, {skipped} skipped")
    }
}

/// Reads the `entries` of the corpus's `manifest.json`.
pub fn manifest_entries(dir: &Path) -> Result<Vec<Value>> {
    let manifest_path = dir.join("manifest.json");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("cannot read {}", manifest_path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", manifest_path.display()))?;
    match manifest.get("entries") {
        Some(Value::Array(entries)) => Ok(entries.clone()),
        _ => bail!("{} has no `entries` array", manifest_path.display()),
    }
}

/// Ports of entries whose test changed the template in code: per entry key, text replacements
/// that turn the template file into the definition the test created (worked out from the test's
/// parameters and the recorded history).
#[derive(Debug, Clone, Default)]
pub struct Ports {
    replacements: HashMap<String, Vec<(String, String)>>,
}

impl Ports {
    /// Reads a ports file: `{"ports": {"<key>": {"replace": [["old", "new"], ...]}}}`.
    pub fn read(path: &Path) -> Result<Ports> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let value: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        let mut ports = Ports::default();
        let entries = value
            .get("ports")
            .and_then(Value::as_object)
            .with_context(|| format!("{} has no `ports` object", path.display()))?;
        for (key, port) in entries {
            let pairs = port
                .get("replace")
                .and_then(Value::as_array)
                .with_context(|| format!("the port of {key} has no `replace` list"))?
                .iter()
                .map(|pair| match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(old), Value::String(new)]) => {
                        Ok((old.clone(), new.clone()))
                    }
                    _ => bail!("the port of {key} has a replacement that is not [old, new]"),
                })
                .collect::<Result<Vec<_>>>()?;
            ports.replacements.insert(key.clone(), pairs);
        }
        Ok(ports)
    }

    fn apply(&self, key: &str, template: &str) -> Option<String> {
        let pairs = self.replacements.get(key)?;
        let mut text = template.to_owned();
        for (old, new) in pairs {
            text = text.replace(old, new);
        }
        Some(text)
    }
}

/// Runs every supported entry of the corpus in `dir`.
pub fn run_corpus(dir: &Path) -> Result<Report> {
    run_corpus_with(dir, &Ports::default())
}

/// Runs every supported entry of the corpus in `dir`, with ports for changed templates.
pub fn run_corpus_with(dir: &Path, ports: &Ports) -> Result<Report> {
    let entries = manifest_entries(dir)?;
    let mut snapshots = Snapshots::default();
    let mut report = Report::default();
    for entry in &entries {
        let key = entry.get("key").and_then(Value::as_str).unwrap_or_default();
        let kind = entry
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind != "execution-history" && kind != "choice-cases" {
            continue;
        }
        let verdict = match run_entry(dir, entry, kind, &mut snapshots, ports) {
            Ok(verdict) => verdict,
            Err(error) => Verdict::Failed(format!("{error:#}")),
        };
        report.entries.push(EntryResult {
            key: key.to_owned(),
            kind: kind.to_owned(),
            verdict,
        });
    }
    Ok(report)
}

/// The snapshot files read so far, by path: entries share them.
#[derive(Debug, Default)]
pub struct Snapshots(HashMap<PathBuf, Value>);

fn recorded<'a>(dir: &Path, entry: &Value, snapshots: &'a mut Snapshots) -> Result<&'a Value> {
    let snapshots = &mut snapshots.0;
    let file = entry
        .get("snapshot_file")
        .and_then(Value::as_str)
        .context("the entry names no snapshot_file")?;
    let path = dir.join(file);
    if !snapshots.contains_key(&path) {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let value: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        snapshots.insert(path.clone(), value);
    }
    let key = entry.get("key").and_then(Value::as_str).unwrap_or_default();
    snapshots[&path]
        .get(key)
        .and_then(|snapshot| snapshot.get("recorded-content"))
        .with_context(|| format!("{} has no recorded content for the key", path.display()))
}

/// Reads a template (JSON5, as the corpus writes them) as JSON.
pub fn read_template(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Parses JSON5 text into JSON.
pub fn parse_json5(text: &str) -> Result<Value> {
    json5::from_str::<Value>(text).map_err(|error| anyhow::anyhow!("not JSON5: {error}"))
}

/// The features a machine needs that are not built yet, named for the skip reason.
pub fn missing_feature(machine: &StateMachine) -> Option<String> {
    if let Some(feature) = engine::unsupported(machine) {
        return Some(format!("needs {feature} (issue 8)"));
    }
    missing_in_states(machine)
}

fn missing_in_states(machine: &StateMachine) -> Option<String> {
    for state in &machine.states {
        match &state.kind {
            Kind::Task(_) => return Some("needs task integrations (issue 9)".to_owned()),
            Kind::Map(map) if map.uses_s3 => {
                return Some(
                    "needs S3 (a Distributed Map's ItemReader or ResultWriter)".to_owned(),
                );
            }
            _ => {}
        }
        for sub in state.sub_machines() {
            if let Some(reason) = missing_in_states(sub) {
                return Some(reason);
            }
        }
    }
    None
}

fn build(definition: &Value) -> Result<StateMachine> {
    let diagnostics = asl::validate::validate_value(definition, &Default::default());
    if let Some(first) = diagnostics
        .iter()
        .find(|diagnostic| diagnostic.severity == asl::validate::Severity::Error)
    {
        bail!(
            "the definition was refused: {}: {} at {}",
            first.code,
            first.message,
            first.location.as_deref().unwrap_or("/")
        );
    }
    StateMachine::from_value(definition).map_err(|error| anyhow::anyhow!("{error}"))
}

fn info(index: usize) -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: format!(
            "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_{index}idx>"
        ),
        name: format!("<ExecArnPart_{index}idx>"),
        state_machine_arn:
            "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>".to_owned(),
        state_machine_name: "<ArnPart_0idx>".to_owned(),
        role_arn: "snf_role_arn".to_owned(),
        region: "<region>".to_owned(),
        start_time_ms: 1_700_000_000_000,
    }
}

fn execute(
    machine: &Arc<StateMachine>,
    input: Value,
    input_text: Option<String>,
    index: usize,
) -> local::Outcome {
    let mut clock = VirtualClock::new(1_700_000_000_000);
    let mut entropy = asl::SeededEntropy::new(index as u64);
    local::run(
        machine.clone(),
        info(index),
        input,
        input_text,
        &mut clock,
        &mut NoIntegrations,
        &mut entropy,
    )
}

/// The execution input an entry gives: an object is sent as its JSON text, a string as it is.
fn execution_input(input: Option<&Value>) -> Result<(Value, Option<String>)> {
    match input {
        None => Ok((Value::Object(Map::new()), None)),
        Some(Value::String(text)) => serde_json::from_str(text)
            .map(|value| (value, Some(text.clone())))
            .with_context(|| format!("the input {text:?} is not JSON")),
        Some(other) => Ok((other.clone(), None)),
    }
}

/// True when the first state's recorded input is the execution's input in other spacing.
fn first_state_input_rewritten(events: &[Value]) -> bool {
    let (Some(started), Some(entered)) = (events.first(), events.get(1)) else {
        return false;
    };
    let (Some(sent), Some(seen)) = (
        started["executionStartedEventDetails"]["input"].as_str(),
        entered["stateEnteredEventDetails"]["input"].as_str(),
    ) else {
        return false;
    };
    sent != seen
        && serde_json::from_str::<Value>(sent).ok() == serde_json::from_str::<Value>(seen).ok()
}

/// True when the recording replaced part of a value with a placeholder (`date`, `<timestamp>`),
/// so that the original cannot be sent again.
fn has_placeholder(value: &Value) -> bool {
    match value {
        Value::String(text) => {
            text == "date" || text == "timestamp" || (text.starts_with('<') && text.ends_with('>'))
        }
        Value::Array(items) => items.iter().any(has_placeholder),
        Value::Object(object) => object.values().any(has_placeholder),
        _ => false,
    }
}

/// One execution of an `execution-history` entry: what to send, and what AWS answered.
#[derive(Debug, Clone)]
pub struct PlannedExecution {
    /// The snapshot key of its recorded history (`get_execution_history`, `exec_hist_resp_1`,
    /// ...); `reverseOrder[True]` in it means the history was read newest first.
    pub match_key: String,
    /// The input.
    pub input: Value,
    /// The exact text to send, when the recording gave the input as text; otherwise the input
    /// is sent as compact JSON (no input at all when the entry gave none: then `input` is `{}`).
    pub input_text: Option<String>,
    /// True when the entry gave no input.
    pub no_input: bool,
    /// The manifest's summary of the execution: `status`, `output`, `error`, `cause`.
    pub summary: Value,
    /// The recorded history events, when the snapshot holds them for `match_key`.
    pub events: Option<Vec<Value>>,
}

impl PlannedExecution {
    /// True when the recorded history was read newest first.
    pub fn reverse_order(&self) -> bool {
        self.match_key.contains("reverseOrder[True]")
    }

    /// The text to send as the execution input (`None`: send no input).
    pub fn input_to_send(&self) -> Option<String> {
        if self.no_input {
            return None;
        }
        Some(
            self.input_text
                .clone()
                .unwrap_or_else(|| self.input.to_string()),
        )
    }
}

/// An `execution-history` entry ready to run: the definition, and the executions to start on it
/// in order.
#[derive(Debug, Clone)]
pub struct HistoryCase {
    /// The definition as JSON (the template is JSON5).
    pub definition: Value,
    /// The typed machine.
    pub machine: Arc<StateMachine>,
    /// The executions, in the order the recording started them.
    pub executions: Vec<PlannedExecution>,
}

/// What to do with an `execution-history` entry.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// Run it.
    Run(HistoryCase),
    /// Do not: it needs the named feature, or its recording cannot be replayed.
    Skip(String),
}

/// Decides whether an `execution-history` entry can run, and if so reads what it needs: the
/// selection and skip rules every replay (in process or over HTTP) shares. An entry whose test
/// changed the template in code runs when `ports` has its port.
pub fn prepare_history(
    dir: &Path,
    entry: &Value,
    snapshots: &mut Snapshots,
    ports: &Ports,
) -> Result<Prepared> {
    let template = entry
        .get("templates")
        .and_then(Value::as_array)
        .and_then(|templates| templates.first())
        .and_then(Value::as_str)
        .context("the entry names no template")?;
    let mut template_text = read_template(&dir.join(template))?;
    let mutated = entry
        .get("template_mutated_in_test_code")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let has_placeholders = entry
        .get("template_placeholders")
        .and_then(Value::as_array)
        .is_some_and(|placeholders| !placeholders.is_empty());
    // A port applies to its entry whether or not the manifest saw the test change the
    // template (one test substitutes a fixture's expression without the manifest knowing).
    let key = entry.get("key").and_then(Value::as_str).unwrap_or_default();
    match ports.apply(key, &template_text) {
        Some(ported) => template_text = ported,
        None if mutated || has_placeholders => {
            return Ok(Prepared::Skip(
                "the test changed the template in code (not ported)".to_owned(),
            ));
        }
        None => {}
    }
    let definition = parse_json5(&template_text)?;
    let machine = Arc::new(build(&definition)?);
    if let Some(reason) = missing_feature(&machine) {
        return Ok(Prepared::Skip(reason));
    }
    let executions = entry
        .get("executions")
        .and_then(Value::as_array)
        .context("the entry lists no executions")?;
    for execution in executions {
        match execution.get("status").and_then(Value::as_str) {
            Some("NOT_TERMINAL_IN_SNAPSHOT") => {
                return Ok(Prepared::Skip(
                    "the recording did not wait for the execution to end".to_owned(),
                ));
            }
            Some("ABORTED") => {
                return Ok(Prepared::Skip(
                    "the test stopped the execution through the API (issue 3)".to_owned(),
                ));
            }
            _ => {}
        }
        if execution.get("input").is_some_and(has_placeholder) {
            return Ok(Prepared::Skip(
                "the recorded input was normalised (dates), so it cannot be sent again".to_owned(),
            ));
        }
        if execution
            .get("output")
            .is_some_and(|output| output.to_string().contains("RandomNumberGenerated"))
        {
            return Ok(Prepared::Skip(
                "the test replaced random numbers in the recording".to_owned(),
            ));
        }
    }
    let content = recorded(dir, entry, snapshots)?;
    let mut planned = Vec::new();
    for execution in executions {
        let match_key = execution
            .get("match_key")
            .and_then(Value::as_str)
            .unwrap_or("get_execution_history")
            .to_owned();
        let (input, input_text) = execution_input(execution.get("input"))?;
        let events = match content
            .get(&match_key)
            .and_then(|value| value.get("events"))
        {
            Some(Value::Array(events)) => Some(events.clone()),
            Some(_) => bail!("recorded events are not a list"),
            None => None,
        };
        if let Some(events) = &events
            && first_state_input_rewritten(events)
        {
            return Ok(Prepared::Skip(
                "AWS re-serialized the input for the first state (recordings since July 2024); \
                 Switchback keeps the caller's text, as the earlier recordings show"
                    .to_owned(),
            ));
        }
        // The recorded ExecutionStarted holds the text AWS was sent, when it is not an object
        // (those were parsed by the recording): send that text, spacing and all.
        let (input, input_text) = match events
            .as_ref()
            .and_then(|events| events.first())
            .and_then(|first| first["executionStartedEventDetails"]["input"].as_str())
        {
            Some(text) if serde_json::from_str::<Value>(text).ok().as_ref() == Some(&input) => {
                (input, Some(text.to_owned()))
            }
            _ => (input, input_text),
        };
        planned.push(PlannedExecution {
            match_key,
            input,
            input_text,
            no_input: execution.get("input").is_none(),
            summary: execution.clone(),
            events,
        });
    }
    Ok(Prepared::Run(HistoryCase {
        definition,
        machine,
        executions: planned,
    }))
}

fn run_entry(
    dir: &Path,
    entry: &Value,
    kind: &str,
    snapshots: &mut Snapshots,
    ports: &Ports,
) -> Result<Verdict> {
    if kind == "choice-cases" {
        let template = entry
            .get("templates")
            .and_then(Value::as_array)
            .and_then(|templates| templates.first())
            .and_then(Value::as_str)
            .context("the entry names no template")?;
        let template_text = read_template(&dir.join(template))?;
        return run_choice_cases(dir, entry, &template_text, snapshots);
    }
    let case = match prepare_history(dir, entry, snapshots, ports)? {
        Prepared::Run(case) => case,
        Prepared::Skip(reason) => return Ok(Verdict::Skipped(reason)),
    };
    for (index, execution) in case.executions.iter().enumerate() {
        let outcome = execute(
            &case.machine,
            execution.input.clone(),
            execution.input_text.clone(),
            index,
        );
        let observed = Observed::from_outcome(&outcome, execution.reverse_order());
        if let Err(reason) = check_execution(execution, &observed) {
            bail!("execution {index}{reason}");
        }
    }
    Ok(Verdict::Passed)
}

/// What an execution did, seen from outside: its end and its history, normalised the way the
/// recordings were ([`normalise`]).
#[derive(Debug, Clone)]
pub struct Observed {
    /// `SUCCEEDED`, `FAILED`, ...
    pub status: String,
    /// The error of a failed, timed-out or aborted execution.
    pub error: Option<String>,
    /// The cause of a failed, timed-out or aborted execution.
    pub cause: Option<String>,
    /// The output of a succeeded execution, normalised.
    pub output: Option<Value>,
    /// The history events in the order they were read, normalised.
    pub events: Vec<Value>,
}

impl Observed {
    /// The view of an in-process run; `reverse` lists the events newest first.
    pub fn from_outcome(outcome: &local::Outcome, reverse: bool) -> Observed {
        let (error, cause) = match &outcome.status {
            Status::Failed { error, cause }
            | Status::TimedOut { error, cause }
            | Status::Aborted { error, cause } => (error.clone(), cause.clone()),
            _ => (None, None),
        };
        let mut events: Vec<Value> = outcome.history.iter().map(normalise_event).collect();
        // The output as the history shows it, normalised as the recording was.
        let output = match &outcome.status {
            Status::Succeeded { .. } => events
                .iter()
                .rev()
                .find(|event| event.get("type") == Some(&Value::from("ExecutionSucceeded")))
                .and_then(|event| {
                    event
                        .get("executionSucceededEventDetails")
                        .and_then(|details| details.get("output"))
                        .cloned()
                }),
            _ => None,
        };
        if reverse {
            events.reverse();
        }
        Observed {
            status: outcome.status.as_str().to_owned(),
            error,
            cause,
            output,
            events,
        }
    }
}

/// Compares one execution with the recording: the manifest's summary (status, output, error,
/// cause), then the history when the snapshot holds it. The error names what differed, after
/// a `: ` (or ` (<match key>): ` for the history).
pub fn check_execution(expected: &PlannedExecution, observed: &Observed) -> Result<(), String> {
    check_quick(&expected.summary, observed).map_err(|reason| format!(": {reason}"))?;
    if let Some(events) = &expected.events {
        compare_events(events, &observed.events)
            .map_err(|reason| format!(" ({}): {reason}", expected.match_key))?;
    }
    Ok(())
}

/// Compares status, output, error and cause with the manifest's summary of the execution.
fn check_quick(expected: &Value, observed: &Observed) -> Result<(), String> {
    if let Some(status) = expected.get("status").and_then(Value::as_str)
        && status != observed.status
    {
        let detail = if observed.status == "FAILED" {
            format!(
                " ({}: {})",
                observed.error.as_deref().unwrap_or(""),
                observed.cause.as_deref().unwrap_or("")
            )
        } else {
            String::new()
        };
        return Err(format!(
            "status {} where AWS gave {status}{detail}",
            observed.status
        ));
    }
    for (name, ours) in [("error", &observed.error), ("cause", &observed.cause)] {
        if let Some(theirs) = expected.get(name)
            && !matches_recorded(theirs, &Value::String(ours.clone().unwrap_or_default()))
        {
            return Err(format!("{name} {ours:?} where AWS gave {theirs}"));
        }
    }
    if let (Some(theirs), "SUCCEEDED") = (expected.get("output"), observed.status.as_str()) {
        let ours = observed.output.clone().unwrap_or(Value::Null);
        if !matches_recorded(theirs, &ours) {
            return Err(format!("output {ours} where AWS gave {theirs}"));
        }
    }
    Ok(())
}

/// Normalises one of our events the way the recordings were normalised.
fn normalise_event(event: &HistoryEvent) -> Value {
    let mut json = event.to_json();
    normalise(&mut json);
    json
}

/// Normalises a response the way the recordings were: a string that starts with `{` and parses
/// as a JSON object becomes that object (the `input` and `output` of events and executions).
pub fn normalise(value: &mut Value) {
    match value {
        Value::String(text) if text.starts_with('{') => {
            if let Ok(parsed @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
                *value = parsed;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        Value::Object(object) => object.values_mut().for_each(normalise),
        _ => {}
    }
}

/// AWS changed where a Distributed Map's `MapStateExited` links in November 2024: from
/// `MapRunSucceeded` to `MapRunStarted`, as Switchback does. A recording made before links it to
/// `MapRunSucceeded`; that one difference is not a failure.
fn map_exit_before_the_change(
    expected: &[Value],
    theirs: &Value,
    ours: &[Value],
    mine: &Value,
) -> bool {
    let type_of = |events: &[Value], id: &Value| {
        events
            .iter()
            .find(|event| event.get("id") == Some(id))
            .and_then(|event| event["type"].as_str().map(str::to_owned))
    };
    theirs["type"] == "MapStateExited"
        && type_of(expected, &theirs["previousEventId"]).as_deref() == Some("MapRunSucceeded")
        && type_of(ours, &mine["previousEventId"]).as_deref() == Some("MapRunStarted")
}

/// Compares our history (normalised events, in the order read) with the recorded one.
pub fn compare_events(expected: &[Value], ours: &[Value]) -> Result<(), String> {
    let ordered = expected
        .iter()
        .all(|event| event.get("id").is_some_and(Value::is_u64));
    if ordered {
        for (index, theirs) in expected.iter().enumerate() {
            let Some(mine) = ours.get(index) else {
                return Err(format!(
                    "history ends after {} events where AWS has {} (next: {})",
                    ours.len(),
                    expected.len(),
                    theirs.get("type").unwrap_or(&Value::Null)
                ));
            };
            if let Err(path) = diff(theirs, mine, String::new())
                && !(path == "/previousEventId"
                    && map_exit_before_the_change(expected, theirs, ours, mine))
            {
                return Err(format!(
                    "event {} differs at {path}: AWS {} / ours {}",
                    index + 1,
                    compact(theirs),
                    compact(mine)
                ));
            }
        }
        if ours.len() > expected.len() {
            return Err(format!(
                "history has {} events where AWS has {} (extra: {})",
                ours.len(),
                expected.len(),
                ours[expected.len()].get("type").unwrap_or(&Value::Null)
            ));
        }
        return Ok(());
    }
    // The recording sorted interleaved branch events and left out their ids: match each
    // recorded event to a distinct one of ours.
    let mut used = vec![false; ours.len()];
    for theirs in expected {
        let without_ids = !theirs.get("id").is_some_and(Value::is_u64);
        let found = ours.iter().enumerate().position(|(index, mine)| {
            if used[index] {
                return false;
            }
            if !without_ids {
                return diff(theirs, mine, String::new()).is_ok();
            }
            let strip = |event: &Value| {
                let mut event = event.clone();
                if let Value::Object(object) = &mut event {
                    object.remove("id");
                    object.remove("previousEventId");
                }
                event
            };
            diff(&strip(theirs), &strip(mine), String::new()).is_ok()
        });
        match found {
            Some(index) => used[index] = true,
            None => {
                return Err(format!(
                    "no event of ours matches AWS's {}",
                    compact(theirs)
                ));
            }
        }
    }
    Ok(())
}

fn compact(value: &Value) -> String {
    let mut text = serde_json::to_string(value).unwrap_or_default();
    if text.len() > 300 {
        let mut end = 300;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// True when our value matches the recorded one, placeholders included.
pub fn matches_recorded(theirs: &Value, ours: &Value) -> bool {
    diff(theirs, ours, String::new()).is_ok()
}

/// Where our value first differs from the recorded one, as a path.
fn diff(theirs: &Value, ours: &Value, path: String) -> Result<(), String> {
    match (theirs, ours) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                if key == "timestamp" {
                    continue;
                }
                match actual.get(key) {
                    Some(mine) => diff(value, mine, format!("{path}/{key}"))?,
                    None => return Err(format!("{path}/{key} (missing)")),
                }
            }
            for key in actual.keys() {
                if key != "timestamp" && !expected.contains_key(key) {
                    return Err(format!("{path}/{key} (extra)"));
                }
            }
            Ok(())
        }
        (Value::Array(expected), Value::Array(actual)) => {
            if expected.len() != actual.len() {
                return Err(format!("{path} (length)"));
            }
            for (index, (value, mine)) in expected.iter().zip(actual).enumerate() {
                diff(value, mine, format!("{path}/{index}"))?;
            }
            Ok(())
        }
        (Value::String(expected), Value::String(actual)) => {
            if placeholder_match(expected, actual) {
                Ok(())
            } else {
                Err(path)
            }
        }
        // Some recordings hold a document their test parsed (an array of names, a list of
        // objects, a number) where the response had its JSON text: compare the text's value.
        (Value::Array(_) | Value::Object(_) | Value::Number(_), Value::String(actual)) => {
            match serde_json::from_str::<Value>(actual) {
                Ok(parsed @ (Value::Array(_) | Value::Object(_) | Value::Number(_))) => {
                    diff(theirs, &parsed, path)
                }
                _ => Err(path),
            }
        }
        (Value::String(expected), _) if expected == "timestamp" => Ok(()),
        (expected, actual) if expected == actual => Ok(()),
        _ => Err(path),
    }
}

/// Recorded strings may hold placeholders (`<region>`, `date`, `<ArnPart_0idx>`) where AWS's
/// response had a value that changes from run to run.
fn placeholder_match(expected: &str, actual: &str) -> bool {
    if expected == actual {
        return true;
    }
    if expected == "date" || expected == "datetime" || expected == "timestamp" {
        return true;
    }
    if expected == "uuid" {
        return actual.len() == 36 && actual.chars().filter(|c| *c == '-').count() == 4;
    }
    if expected == "map_run_arn" {
        return actual.contains(":mapRun:");
    }
    // `<...>` tokens match any run of characters.
    let mut pieces = Vec::new();
    let mut rest = expected;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        pieces.push(&rest[..open]);
        rest = &rest[open + close + 1..];
    }
    if pieces.is_empty() {
        return false;
    }
    pieces.push(rest);
    let mut position = 0;
    for (index, piece) in pieces.iter().enumerate() {
        if index == 0 {
            if !actual.starts_with(piece) {
                return false;
            }
            position = piece.len();
        } else if index == pieces.len() - 1 {
            return actual.len() >= position + piece.len() && actual[position..].ends_with(piece);
        } else {
            match actual[position..].find(piece) {
                Some(found) => position += found + piece.len(),
                None => return false,
            }
        }
    }
    true
}

fn run_choice_cases(
    dir: &Path,
    entry: &Value,
    template_text: &str,
    snapshots: &mut Snapshots,
) -> Result<Verdict> {
    let substitutions = entry
        .get("substitutions")
        .and_then(Value::as_object)
        .context("the entry has no substitutions")?;
    let operator = substitutions
        .get("%ComparisonOperatorType%")
        .and_then(Value::as_str)
        .context("the entry names no operator")?;
    let literal = substitutions
        .get("\"$.Value\"")
        .is_some_and(|value| !value.is_null());
    let template = template_text.replace("%ComparisonOperatorType%", operator);
    let cases = recorded(dir, entry, snapshots)?
        .get("cases")
        .and_then(Value::as_array)
        .context("the snapshot has no cases")?
        .clone();
    for (index, case) in cases.iter().enumerate() {
        let input = case.get("input").cloned().unwrap_or(Value::Null);
        if has_placeholder(&input) {
            // The recording replaced the timestamps with `date`: this case cannot be sent again.
            continue;
        }
        let text = if literal {
            let value = input.get("Value").cloned().unwrap_or(Value::Null);
            template.replace("\"$.Value\"", &serde_json::to_string(&value)?)
        } else {
            template.clone()
        };
        let definition = parse_json5(&text)?;
        let machine = Arc::new(build(&definition)?);
        let outcome = execute(&machine, input.clone(), None, index);
        let expected = case.get("output").cloned().unwrap_or(Value::Null);
        match &outcome.status {
            Status::Succeeded { output } if *output == expected => {}
            other => bail!("case {index} with input {input}: {other:?} where AWS gave {expected}"),
        }
    }
    Ok(Verdict::Passed)
}
