//! The typed model of a definition: what the engine runs.
//!
//! [`StateMachine::from_value`] builds it from a definition that [`crate::validate`] accepted. It
//! still checks every shape it reads and answers with an [`Error`] rather than panicking, so a
//! caller that skips validation gets a clear message instead of a crash.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::intrinsics::{self, Call};
use crate::jsonpath::Path;

/// A definition that cannot be turned into a model, with the JSON pointer of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {location}")]
pub struct Error {
    /// What is wrong.
    pub message: String,
    /// A JSON pointer such as `/States/A/Next`.
    pub location: String,
}

/// Which language a state's expressions are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    /// `$.path` fields, `.$` keys and `States.*` intrinsics.
    #[default]
    JsonPath,
    /// `{% expression %}` strings.
    Jsonata,
}

/// A whole state machine, or one Parallel branch, or one Map item processor.
#[derive(Debug, Clone)]
pub struct StateMachine {
    /// The state to start at.
    pub start_at: usize,
    /// The states, in the order the definition lists them.
    pub states: Vec<State>,
    /// The execution timeout (top level only).
    pub timeout_seconds: Option<u64>,
    /// The query language of the machine (states may override it).
    pub query_language: QueryLanguage,
    by_name: HashMap<String, usize>,
}

/// One state, with what every state type shares.
#[derive(Debug, Clone)]
pub struct State {
    /// Its name (shared: every history event of the state carries it).
    pub name: Arc<str>,
    /// The query language in force for this state.
    pub query_language: QueryLanguage,
    /// InputPath (JSONPath mode).
    pub input_path: Selector,
    /// OutputPath (JSONPath mode).
    pub output_path: Selector,
    /// `Assign`, as written (workflow variables).
    pub assign: Option<Value>,
    /// `Output`, as written (JSONata mode).
    pub output: Option<Value>,
    /// Where to go after it, for the types that have `Next`/`End`.
    pub transition: Transition,
    /// What the state does.
    pub kind: Kind,
}

/// `Next` or `End`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Go on to the state with this index.
    Next(usize),
    /// The machine (or branch) ends here.
    End,
    /// The type decides (Choice, Succeed, Fail).
    None,
}

/// InputPath or OutputPath.
#[derive(Debug, Clone)]
pub enum Selector {
    /// Absent: the whole document (`$`).
    Whole,
    /// `null`: an empty object.
    Empty,
    /// A path.
    Path(Path),
}

/// ResultPath.
#[derive(Debug, Clone)]
pub enum ResultPath {
    /// Absent or `$`: the result replaces the input.
    Replace,
    /// `null`: the result is discarded and the input kept.
    Discard,
    /// A reference path where the result is written into the input.
    Path(Path),
}

/// A payload template (Parameters, ResultSelector, ItemSelector): keys ending in `.$` are
/// evaluated, the rest kept as they are.
#[derive(Debug, Clone)]
pub enum Template {
    /// A value kept as it is.
    Literal(Value),
    /// An object whose fields are templates; the `.$` suffix is already removed from keys.
    Object(Vec<(String, Template)>),
    /// An array whose items are templates.
    Array(Vec<Template>),
    /// A dynamic value: a path or an intrinsic call, with the key as written (`x.$`), for messages.
    Dynamic {
        /// The field name as written, `.$` included.
        field: String,
        /// What to evaluate.
        expression: Expression,
    },
}

/// A dynamic value in JSONPath mode.
#[derive(Debug, Clone)]
pub enum Expression {
    /// A path into the input, the Context object or a variable.
    Path(Path),
    /// An intrinsic function call.
    Call(Call),
}

/// A number of seconds given directly or through a path.
#[derive(Debug, Clone)]
pub enum Seconds {
    /// A fixed number.
    Fixed(u64),
    /// A reference path to the number in the input.
    Path(Path),
}

/// What a state does, by type.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A Pass state.
    Pass(Pass),
    /// A Task state.
    Task(Box<Task>),
    /// A Choice state.
    Choice(Choice),
    /// A Wait state.
    Wait(Wait),
    /// A Succeed state.
    Succeed,
    /// A Fail state.
    Fail(Fail),
    /// A Parallel state.
    Parallel(Box<Parallel>),
    /// A Map state.
    Map(Box<MapState>),
}

impl Kind {
    /// The type's name as AWS writes it in history event types (`Pass`, `Task`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Pass(_) => "Pass",
            Kind::Task(_) => "Task",
            Kind::Choice(_) => "Choice",
            Kind::Wait(_) => "Wait",
            Kind::Succeed => "Succeed",
            Kind::Fail(_) => "Fail",
            Kind::Parallel(_) => "Parallel",
            Kind::Map(_) => "Map",
        }
    }
}

/// A Pass state's fields.
#[derive(Debug, Clone)]
pub struct Pass {
    /// `Result`, kept literally.
    pub result: Option<Value>,
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPath,
}

/// A Task state's fields.
#[derive(Debug, Clone)]
pub struct Task {
    /// The resource URI.
    pub resource: String,
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPath,
    /// `TimeoutSeconds` or `TimeoutSecondsPath`.
    pub timeout: Option<Seconds>,
    /// `HeartbeatSeconds` or `HeartbeatSecondsPath`.
    pub heartbeat: Option<Seconds>,
    /// `Arguments`, as written (JSONata mode).
    pub arguments: Option<Value>,
    /// `TimeoutSeconds` given as a JSONata expression (a string), which `timeout` leaves out.
    pub timeout_expression: Option<String>,
    /// `HeartbeatSeconds` given as a JSONata expression, which `heartbeat` leaves out.
    pub heartbeat_expression: Option<String>,
    /// `Credentials`, as written.
    pub credentials: Option<Value>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
}

/// A Choice state's fields.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The rules, in order.
    pub choices: Vec<ChoiceRule>,
    /// `Default`.
    pub default: Option<usize>,
}

/// One top-level Choice rule.
#[derive(Debug, Clone)]
pub struct ChoiceRule {
    /// The condition.
    pub condition: Condition,
    /// Where to go when it holds.
    pub next: usize,
    /// Rule-level `Assign`.
    pub assign: Option<Value>,
}

/// A Choice condition (JSONPath mode).
#[derive(Debug, Clone)]
pub enum Condition {
    /// All must hold.
    And(Vec<Condition>),
    /// One must hold.
    Or(Vec<Condition>),
    /// Must not hold.
    Not(Box<Condition>),
    /// A comparison of the value at `variable`.
    Compare {
        /// The path of the value tested.
        variable: Path,
        /// The operator.
        operator: Operator,
        /// The right-hand side.
        operand: Operand,
    },
    /// A JSONata `Condition` (evaluated by the JSONata layer, later).
    Jsonata(String),
}

/// A comparison operator, without its `Path` suffix (that is in [`Operand`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // The names are AWS's operator names.
pub enum Operator {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

impl Operator {
    /// Every operator, with its name as written in a definition.
    pub const ALL: [(&'static str, Operator); 23] = [
        ("StringEquals", Operator::StringEquals),
        ("StringLessThan", Operator::StringLessThan),
        ("StringGreaterThan", Operator::StringGreaterThan),
        ("StringLessThanEquals", Operator::StringLessThanEquals),
        ("StringGreaterThanEquals", Operator::StringGreaterThanEquals),
        ("StringMatches", Operator::StringMatches),
        ("NumericEquals", Operator::NumericEquals),
        ("NumericLessThan", Operator::NumericLessThan),
        ("NumericGreaterThan", Operator::NumericGreaterThan),
        ("NumericLessThanEquals", Operator::NumericLessThanEquals),
        (
            "NumericGreaterThanEquals",
            Operator::NumericGreaterThanEquals,
        ),
        ("BooleanEquals", Operator::BooleanEquals),
        ("TimestampEquals", Operator::TimestampEquals),
        ("TimestampLessThan", Operator::TimestampLessThan),
        ("TimestampGreaterThan", Operator::TimestampGreaterThan),
        ("TimestampLessThanEquals", Operator::TimestampLessThanEquals),
        (
            "TimestampGreaterThanEquals",
            Operator::TimestampGreaterThanEquals,
        ),
        ("IsNull", Operator::IsNull),
        ("IsPresent", Operator::IsPresent),
        ("IsNumeric", Operator::IsNumeric),
        ("IsString", Operator::IsString),
        ("IsBoolean", Operator::IsBoolean),
        ("IsTimestamp", Operator::IsTimestamp),
    ];

    /// The operator a definition key names: `StringEquals` or `StringEqualsPath` (the bool says
    /// whether it was the `Path` form).
    pub fn from_key(key: &str) -> Option<(Operator, bool)> {
        let (base, is_path) = match key.strip_suffix("Path") {
            Some(base) => (base, true),
            None => (key, false),
        };
        let operator = Operator::ALL
            .iter()
            .find(|(name, _)| *name == base)
            .map(|(_, operator)| *operator)?;
        let path_allowed = !matches!(
            operator,
            Operator::StringMatches
                | Operator::IsNull
                | Operator::IsPresent
                | Operator::IsNumeric
                | Operator::IsString
                | Operator::IsBoolean
                | Operator::IsTimestamp
        );
        if is_path && !path_allowed {
            return None;
        }
        Some((operator, is_path))
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone)]
pub enum Operand {
    /// A literal.
    Value(Value),
    /// A path (the `...Path` operators).
    Path(Path),
}

/// A Wait state's fields.
#[derive(Debug, Clone)]
pub enum Wait {
    /// `Seconds`.
    Seconds(u64),
    /// `Timestamp`.
    Timestamp(String),
    /// `SecondsPath`.
    SecondsPath(Path),
    /// `TimestampPath`.
    TimestampPath(Path),
    /// JSONata mode: `Seconds` or `Timestamp` (`field`), a literal or an expression.
    Jsonata {
        /// `Seconds` or `Timestamp`.
        field: &'static str,
        /// The value as written.
        value: Value,
    },
}

/// A Fail state's fields.
#[derive(Debug, Clone, Default)]
pub struct Fail {
    /// `Error`.
    pub error: Option<String>,
    /// `Cause`.
    pub cause: Option<String>,
    /// `ErrorPath` (a path or a string-returning intrinsic).
    pub error_path: Option<Expression>,
    /// `CausePath`.
    pub cause_path: Option<Expression>,
}

/// A Parallel state's fields.
#[derive(Debug, Clone)]
pub struct Parallel {
    /// The branches, in order.
    pub branches: Vec<Arc<StateMachine>>,
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPath,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// `Arguments`, as written (JSONata mode).
    pub arguments: Option<Value>,
}

/// A Map state's fields.
#[derive(Debug, Clone)]
pub struct MapState {
    /// `ItemProcessor` (or the legacy `Iterator`).
    pub processor: Arc<StateMachine>,
    /// `ProcessorConfig.Mode` is `DISTRIBUTED`.
    pub distributed: bool,
    /// `ItemsPath`.
    pub items_path: Selector,
    /// `ItemSelector` (or the legacy `Parameters`).
    pub item_selector: Option<Template>,
    /// `MaxConcurrency`; 0 means no limit.
    pub max_concurrency: Option<Seconds>,
    /// `ToleratedFailureCount` / `ToleratedFailureCountPath`.
    pub tolerated_failure_count: Option<Seconds>,
    /// `ToleratedFailurePercentage` / `ToleratedFailurePercentagePath`.
    pub tolerated_failure_percentage: Option<Percentage>,
    /// `ItemReader`, `ItemBatcher` or `ResultWriter` are present (distributed features).
    pub uses_distributed_features: bool,
    /// `ItemReader` or `ResultWriter` are present: they read and write S3.
    pub uses_s3: bool,
    /// `ItemBatcher`.
    pub item_batcher: Option<ItemBatcher>,
    /// `Label`.
    pub label: Option<String>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPath,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// The JSONata-mode fields, as written (in JSONata mode only).
    pub jsonata: Option<MapJsonata>,
}

/// A Distributed Map's `ItemBatcher`: how items are grouped into the batches each child
/// execution gets (`{"Items": [...], "BatchInput": ...}`).
#[derive(Debug, Clone, Default)]
pub struct ItemBatcher {
    /// `MaxItemsPerBatch` / `MaxItemsPerBatchPath`.
    pub max_items: Option<Seconds>,
    /// `MaxInputBytesPerBatch` / `MaxInputBytesPerBatchPath`.
    pub max_bytes: Option<Seconds>,
    /// `BatchInput`.
    pub batch_input: Option<Template>,
}

/// A Map state's fields in JSONata mode, as written: literals or `{% %}` expressions.
#[derive(Debug, Clone, Default)]
pub struct MapJsonata {
    /// `Items`.
    pub items: Option<Value>,
    /// `ItemSelector`.
    pub item_selector: Option<Value>,
    /// `MaxConcurrency`.
    pub max_concurrency: Option<Value>,
    /// `ToleratedFailureCount`.
    pub tolerated_failure_count: Option<Value>,
    /// `ToleratedFailurePercentage`.
    pub tolerated_failure_percentage: Option<Value>,
}

/// A percentage given directly or through a path.
#[derive(Debug, Clone)]
pub enum Percentage {
    /// A fixed number, 0 to 100.
    Fixed(f64),
    /// A reference path.
    Path(Path),
}

/// One `Retry` entry.
#[derive(Debug, Clone)]
pub struct Retrier {
    /// The errors it handles.
    pub error_equals: Vec<String>,
    /// The first delay.
    pub interval_seconds: u64,
    /// How many retries at most.
    pub max_attempts: u64,
    /// The multiplier applied to the delay after each retry.
    pub backoff_rate: f64,
    /// The delay's cap.
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy: FULL`.
    pub full_jitter: bool,
}

/// One `Catch` entry.
#[derive(Debug, Clone)]
pub struct Catcher {
    /// The errors it handles.
    pub error_equals: Vec<String>,
    /// Where to go.
    pub next: usize,
    /// Where the error output goes in the input.
    pub result_path: ResultPath,
    /// Catcher-level `Assign`.
    pub assign: Option<Value>,
    /// Catcher-level `Output` (JSONata).
    pub output: Option<Value>,
}

impl StateMachine {
    /// Builds the model of a definition.
    pub fn from_value(definition: &Value) -> Result<StateMachine, Error> {
        let object = as_object(definition, "")?;
        let query_language = match object.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => QueryLanguage::Jsonata,
            _ => QueryLanguage::JsonPath,
        };
        let mut machine = build_machine(object, "", query_language)?;
        machine.timeout_seconds = object.get("TimeoutSeconds").and_then(Value::as_u64);
        Ok(machine)
    }

    /// The index of the state with this name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// True when any state, in any branch, is written in JSONata.
    pub fn uses_jsonata(&self) -> bool {
        self.states.iter().any(|state| {
            state.query_language == QueryLanguage::Jsonata
                || state
                    .sub_machines()
                    .iter()
                    .any(|machine| machine.uses_jsonata())
        })
    }

    /// True when any state, in any branch, assigns workflow variables.
    pub fn uses_variables(&self) -> bool {
        self.states.iter().any(|state| {
            state.assign.is_some()
                || match &state.kind {
                    Kind::Choice(choice) => choice.choices.iter().any(|rule| rule.assign.is_some()),
                    Kind::Task(task) => task.catch.iter().any(|catcher| catcher.assign.is_some()),
                    Kind::Parallel(parallel) => parallel
                        .catch
                        .iter()
                        .any(|catcher| catcher.assign.is_some()),
                    Kind::Map(map) => map.catch.iter().any(|catcher| catcher.assign.is_some()),
                    _ => false,
                }
                || state
                    .sub_machines()
                    .iter()
                    .any(|machine| machine.uses_variables())
        })
    }
}

impl State {
    /// The Parallel branches or Map processor nested in this state.
    pub fn sub_machines(&self) -> Vec<&Arc<StateMachine>> {
        match &self.kind {
            Kind::Parallel(parallel) => parallel.branches.iter().collect(),
            Kind::Map(map) => vec![&map.processor],
            _ => Vec::new(),
        }
    }

    /// The `Retry` list, for the types that have one.
    pub fn retriers(&self) -> &[Retrier] {
        match &self.kind {
            Kind::Task(task) => &task.retry,
            Kind::Parallel(parallel) => &parallel.retry,
            Kind::Map(map) => &map.retry,
            _ => &[],
        }
    }

    /// The `Catch` list, for the types that have one.
    pub fn catchers(&self) -> &[Catcher] {
        match &self.kind {
            Kind::Task(task) => &task.catch,
            Kind::Parallel(parallel) => &parallel.catch,
            Kind::Map(map) => &map.catch,
            _ => &[],
        }
    }
}

fn error(location: &str, message: impl Into<String>) -> Error {
    Error {
        message: message.into(),
        location: if location.is_empty() {
            "/".to_owned()
        } else {
            location.to_owned()
        },
    }
}

fn pointer(base: &str, key: &str) -> String {
    let escaped = key.replace('~', "~0").replace('/', "~1");
    format!("{base}/{escaped}")
}

fn as_object<'a>(value: &'a Value, location: &str) -> Result<&'a Map<String, Value>, Error> {
    value
        .as_object()
        .ok_or_else(|| error(location, "expected a JSON object"))
}

fn build_machine(
    object: &Map<String, Value>,
    location: &str,
    inherited: QueryLanguage,
) -> Result<StateMachine, Error> {
    let query_language = match object.get("QueryLanguage").and_then(Value::as_str) {
        Some("JSONata") => QueryLanguage::Jsonata,
        Some("JSONPath") => QueryLanguage::JsonPath,
        _ => inherited,
    };
    let states_location = pointer(location, "States");
    let states_object = as_object(
        object
            .get("States")
            .ok_or_else(|| error(location, "These fields are required: [States]"))?,
        &states_location,
    )?;
    let by_name: HashMap<String, usize> = states_object
        .keys()
        .enumerate()
        .map(|(index, name)| (name.clone(), index))
        .collect();
    let start_name = object
        .get("StartAt")
        .and_then(Value::as_str)
        .ok_or_else(|| error(location, "These fields are required: [StartAt]"))?;
    let start_at = *by_name.get(start_name).ok_or_else(|| {
        error(
            &pointer(location, "StartAt"),
            format!("Missing 'Next' target: {start_name}"),
        )
    })?;
    let mut states = Vec::with_capacity(states_object.len());
    for (name, state) in states_object {
        let state_location = pointer(&states_location, name);
        states.push(build_state(
            name,
            state,
            &state_location,
            &by_name,
            query_language,
        )?);
    }
    Ok(StateMachine {
        start_at,
        states,
        timeout_seconds: None,
        query_language,
        by_name,
    })
}

/// Reads the fields of one state object.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    location: &'a str,
    by_name: &'a HashMap<String, usize>,
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key)
    }

    fn here(&self, key: &str) -> String {
        pointer(self.location, key)
    }

    fn string(&self, key: &str) -> Result<Option<String>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(error(&self.here(key), "expected a string")),
        }
    }

    fn required_string(&self, key: &str) -> Result<String, Error> {
        self.string(key)?
            .ok_or_else(|| error(self.location, format!("These fields are required: [{key}]")))
    }

    fn target(&self, key: &str) -> Result<Option<usize>, Error> {
        match self.string(key)? {
            None => Ok(None),
            Some(name) => self
                .by_name
                .get(&name)
                .copied()
                .map(Some)
                .ok_or_else(|| error(&self.here(key), format!("Missing 'Next' target: {name}"))),
        }
    }

    fn path(&self, key: &str) -> Result<Option<Path>, Error> {
        match self.string(key)? {
            None => Ok(None),
            Some(text) => Path::parse(&text)
                .map(Some)
                .map_err(|problem| error(&self.here(key), problem.message)),
        }
    }

    fn selector(&self, key: &str) -> Result<Selector, Error> {
        match self.get(key) {
            None => Ok(Selector::Whole),
            Some(Value::Null) => Ok(Selector::Empty),
            Some(_) => Ok(self.path(key)?.map_or(Selector::Whole, Selector::Path)),
        }
    }

    fn result_path(&self, key: &str) -> Result<ResultPath, Error> {
        match self.get(key) {
            None => Ok(ResultPath::Replace),
            Some(Value::Null) => Ok(ResultPath::Discard),
            Some(_) => match self.path(key)? {
                Some(path) if path.source().trim() == "$" => Ok(ResultPath::Replace),
                Some(path) => Ok(ResultPath::Path(path)),
                None => Ok(ResultPath::Replace),
            },
        }
    }

    fn template(&self, key: &str) -> Result<Option<Template>, Error> {
        self.get(key)
            .map(|value| build_template(value, &self.here(key)))
            .transpose()
    }

    fn seconds(&self, key: &str) -> Result<Option<Seconds>, Error> {
        if let Some(value) = self.get(key) {
            return match value.as_u64() {
                Some(seconds) => Ok(Some(Seconds::Fixed(seconds))),
                // JSONata expressions are kept for the JSONata layer; treat them as absent here.
                None if value.is_string() => Ok(None),
                None => Err(error(&self.here(key), "expected a non-negative integer")),
            };
        }
        Ok(self.path(&format!("{key}Path"))?.map(Seconds::Path))
    }

    fn retriers(&self) -> Result<Vec<Retrier>, Error> {
        let Some(list) = self.get("Retry") else {
            return Ok(Vec::new());
        };
        let list = list
            .as_array()
            .ok_or_else(|| error(&self.here("Retry"), "expected an array"))?;
        let mut retriers = Vec::with_capacity(list.len());
        for (index, retrier) in list.iter().enumerate() {
            let location = format!("{}/{index}", self.here("Retry"));
            let object = as_object(retrier, &location)?;
            retriers.push(Retrier {
                error_equals: error_equals(object, &location)?,
                interval_seconds: object
                    .get("IntervalSeconds")
                    .and_then(Value::as_u64)
                    .unwrap_or(1),
                max_attempts: object
                    .get("MaxAttempts")
                    .and_then(Value::as_u64)
                    .unwrap_or(3),
                backoff_rate: object
                    .get("BackoffRate")
                    .and_then(Value::as_f64)
                    .unwrap_or(2.0),
                max_delay_seconds: object.get("MaxDelaySeconds").and_then(Value::as_u64),
                full_jitter: object.get("JitterStrategy").and_then(Value::as_str) == Some("FULL"),
            });
        }
        Ok(retriers)
    }

    fn catchers(&self) -> Result<Vec<Catcher>, Error> {
        let Some(list) = self.get("Catch") else {
            return Ok(Vec::new());
        };
        let list = list
            .as_array()
            .ok_or_else(|| error(&self.here("Catch"), "expected an array"))?;
        let mut catchers = Vec::with_capacity(list.len());
        for (index, catcher) in list.iter().enumerate() {
            let location = format!("{}/{index}", self.here("Catch"));
            let object = as_object(catcher, &location)?;
            let fields = Fields {
                object,
                location: &location,
                by_name: self.by_name,
            };
            catchers.push(Catcher {
                error_equals: error_equals(object, &location)?,
                next: fields
                    .target("Next")?
                    .ok_or_else(|| error(&location, "These fields are required: [Next]"))?,
                result_path: fields.result_path("ResultPath")?,
                assign: object.get("Assign").cloned(),
                output: object.get("Output").cloned(),
            });
        }
        Ok(catchers)
    }
}

fn error_equals(object: &Map<String, Value>, location: &str) -> Result<Vec<String>, Error> {
    let list = object
        .get("ErrorEquals")
        .and_then(Value::as_array)
        .ok_or_else(|| error(location, "These fields are required: [ErrorEquals]"))?;
    list.iter()
        .map(|name| {
            name.as_str()
                .map(str::to_owned)
                .ok_or_else(|| error(&pointer(location, "ErrorEquals"), "expected strings"))
        })
        .collect()
}

fn build_state(
    name: &str,
    value: &Value,
    location: &str,
    by_name: &HashMap<String, usize>,
    inherited: QueryLanguage,
) -> Result<State, Error> {
    let object = as_object(value, location)?;
    let fields = Fields {
        object,
        location,
        by_name,
    };
    let query_language = match object.get("QueryLanguage").and_then(Value::as_str) {
        Some("JSONata") => QueryLanguage::Jsonata,
        Some("JSONPath") => QueryLanguage::JsonPath,
        _ => inherited,
    };
    let transition = match (fields.target("Next")?, object.get("End")) {
        (Some(next), _) => Transition::Next(next),
        (None, Some(Value::Bool(true))) => Transition::End,
        _ => Transition::None,
    };
    let type_name = fields.required_string("Type")?;
    let kind = match type_name.as_str() {
        "Pass" => Kind::Pass(Pass {
            result: object.get("Result").cloned(),
            parameters: fields.template("Parameters")?,
            result_path: fields.result_path("ResultPath")?,
        }),
        "Task" => Kind::Task(Box::new(Task {
            resource: fields.required_string("Resource")?,
            parameters: fields.template("Parameters")?,
            result_selector: fields.template("ResultSelector")?,
            result_path: fields.result_path("ResultPath")?,
            timeout: fields.seconds("TimeoutSeconds")?,
            heartbeat: fields.seconds("HeartbeatSeconds")?,
            arguments: object.get("Arguments").cloned(),
            timeout_expression: object
                .get("TimeoutSeconds")
                .and_then(Value::as_str)
                .map(str::to_owned),
            heartbeat_expression: object
                .get("HeartbeatSeconds")
                .and_then(Value::as_str)
                .map(str::to_owned),
            credentials: object.get("Credentials").cloned(),
            retry: fields.retriers()?,
            catch: fields.catchers()?,
        })),
        "Choice" => Kind::Choice(build_choice(&fields, query_language)?),
        "Wait" => Kind::Wait(build_wait(&fields, query_language)?),
        "Succeed" => Kind::Succeed,
        "Fail" => Kind::Fail(Fail {
            error: fields.string("Error")?,
            cause: fields.string("Cause")?,
            error_path: expression_field(&fields, "ErrorPath")?,
            cause_path: expression_field(&fields, "CausePath")?,
        }),
        "Parallel" => {
            let branches_location = fields.here("Branches");
            let branches = object
                .get("Branches")
                .and_then(Value::as_array)
                .ok_or_else(|| error(location, "These fields are required: [Branches]"))?;
            let mut built = Vec::with_capacity(branches.len());
            for (index, branch) in branches.iter().enumerate() {
                let branch_location = format!("{branches_location}/{index}");
                let branch_object = as_object(branch, &branch_location)?;
                built.push(Arc::new(build_machine(
                    branch_object,
                    &branch_location,
                    query_language,
                )?));
            }
            Kind::Parallel(Box::new(Parallel {
                branches: built,
                parameters: fields.template("Parameters")?,
                result_selector: fields.template("ResultSelector")?,
                result_path: fields.result_path("ResultPath")?,
                retry: fields.retriers()?,
                catch: fields.catchers()?,
                arguments: object.get("Arguments").cloned(),
            }))
        }
        "Map" => Kind::Map(Box::new(build_map(&fields, query_language)?)),
        other => {
            return Err(error(
                &fields.here("Type"),
                format!(
                    "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map] but was '{other}'"
                ),
            ));
        }
    };
    Ok(State {
        name: name.into(),
        query_language,
        input_path: fields.selector("InputPath")?,
        output_path: fields.selector("OutputPath")?,
        assign: object.get("Assign").cloned(),
        output: object.get("Output").cloned(),
        transition,
        kind,
    })
}

fn expression_field(fields: &Fields<'_>, key: &str) -> Result<Option<Expression>, Error> {
    match fields.string(key)? {
        None => Ok(None),
        Some(text) => build_expression(&text, &fields.here(key)).map(Some),
    }
}

fn build_expression(text: &str, location: &str) -> Result<Expression, Error> {
    if intrinsics::is_call(text) {
        Call::parse(text)
            .map(Expression::Call)
            .map_err(|problem| error(location, problem.message))
    } else {
        Path::parse(text)
            .map(Expression::Path)
            .map_err(|problem| error(location, problem.message))
    }
}

/// How deep a payload template may nest before we refuse it (the definition limit keeps real
/// templates far below this; the bound keeps hostile input from exhausting the stack).
const MAX_TEMPLATE_DEPTH: usize = 512;

/// Builds a payload template from its JSON.
pub fn build_template(value: &Value, location: &str) -> Result<Template, Error> {
    build_template_at(value, location, 0)
}

fn build_template_at(value: &Value, location: &str, depth: usize) -> Result<Template, Error> {
    if depth > MAX_TEMPLATE_DEPTH {
        return Err(error(location, "the payload template is nested too deeply"));
    }
    match value {
        Value::Object(object) => {
            let mut fields = Vec::with_capacity(object.len());
            for (key, field) in object {
                let here = pointer(location, key);
                match (key.strip_suffix(".$"), field) {
                    (Some(name), Value::String(text)) => fields.push((
                        name.to_owned(),
                        Template::Dynamic {
                            field: key.clone(),
                            expression: build_expression(text, &here)?,
                        },
                    )),
                    (Some(_), _) => {
                        return Err(error(
                            &here,
                            format!(
                                "The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
                            ),
                        ));
                    }
                    (None, _) => {
                        fields.push((key.clone(), build_template_at(field, &here, depth + 1)?))
                    }
                }
            }
            Ok(Template::Object(fields))
        }
        Value::Array(items) => {
            let mut built = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                built.push(build_template_at(
                    item,
                    &format!("{location}/{index}"),
                    depth + 1,
                )?);
            }
            Ok(Template::Array(built))
        }
        other => Ok(Template::Literal(other.clone())),
    }
}

fn build_choice(fields: &Fields<'_>, query_language: QueryLanguage) -> Result<Choice, Error> {
    let rules = fields
        .get("Choices")
        .and_then(Value::as_array)
        .ok_or_else(|| error(fields.location, "These fields are required: [Choices]"))?;
    let mut choices = Vec::with_capacity(rules.len());
    for (index, rule) in rules.iter().enumerate() {
        let location = format!("{}/{index}", fields.here("Choices"));
        let object = as_object(rule, &location)?;
        let rule_fields = Fields {
            object,
            location: &location,
            by_name: fields.by_name,
        };
        let condition = match (query_language, object.get("Condition")) {
            (QueryLanguage::Jsonata, Some(Value::String(text))) => Condition::Jsonata(text.clone()),
            // A constant (`"Condition": true`) is the expression of its JSON text.
            (QueryLanguage::Jsonata, Some(other)) => Condition::Jsonata(format!("{{% {other} %}}")),
            _ => build_condition(object, &location, 0)?,
        };
        choices.push(ChoiceRule {
            condition,
            next: rule_fields
                .target("Next")?
                .ok_or_else(|| error(&location, "These fields are required: [Next]"))?,
            assign: object.get("Assign").cloned(),
        });
    }
    Ok(Choice {
        choices,
        default: fields.target("Default")?,
    })
}

fn build_condition(
    object: &Map<String, Value>,
    location: &str,
    depth: usize,
) -> Result<Condition, Error> {
    if depth > MAX_TEMPLATE_DEPTH {
        return Err(error(location, "the Choice rule is nested too deeply"));
    }
    let nested = |key: &str| -> Result<Vec<Condition>, Error> {
        let list = object
            .get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| error(&pointer(location, key), "expected an array of rules"))?;
        list.iter()
            .enumerate()
            .map(|(index, rule)| {
                let here = format!("{}/{index}", pointer(location, key));
                build_condition(as_object(rule, &here)?, &here, depth + 1)
            })
            .collect()
    };
    if object.contains_key("And") {
        return Ok(Condition::And(nested("And")?));
    }
    if object.contains_key("Or") {
        return Ok(Condition::Or(nested("Or")?));
    }
    if let Some(inner) = object.get("Not") {
        let here = pointer(location, "Not");
        return Ok(Condition::Not(Box::new(build_condition(
            as_object(inner, &here)?,
            &here,
            depth + 1,
        )?)));
    }
    let variable_text = object
        .get("Variable")
        .and_then(Value::as_str)
        .ok_or_else(|| error(location, "These fields are required: [Variable]"))?;
    let variable = Path::parse(variable_text)
        .map_err(|problem| error(&pointer(location, "Variable"), problem.message))?;
    for (key, value) in object {
        let Some((operator, is_path)) = Operator::from_key(key) else {
            continue;
        };
        let operand = if is_path {
            let text = value
                .as_str()
                .ok_or_else(|| error(&pointer(location, key), "expected a path"))?;
            Operand::Path(
                Path::parse(text)
                    .map_err(|problem| error(&pointer(location, key), problem.message))?,
            )
        } else {
            Operand::Value(value.clone())
        };
        return Ok(Condition::Compare {
            variable,
            operator,
            operand,
        });
    }
    Err(error(location, "the rule has no comparison operator"))
}

fn build_wait(fields: &Fields<'_>, query_language: QueryLanguage) -> Result<Wait, Error> {
    if query_language == QueryLanguage::Jsonata {
        let (field, value) = match (fields.get("Seconds"), fields.get("Timestamp")) {
            (Some(seconds), _) => ("Seconds", seconds.clone()),
            (None, Some(timestamp)) => ("Timestamp", timestamp.clone()),
            (None, None) => ("Seconds", Value::Null),
        };
        return Ok(Wait::Jsonata { field, value });
    }
    if let Some(seconds) = fields.get("Seconds") {
        return seconds
            .as_u64()
            .map(Wait::Seconds)
            .ok_or_else(|| error(&fields.here("Seconds"), "expected a non-negative integer"));
    }
    if let Some(timestamp) = fields.string("Timestamp")? {
        return Ok(Wait::Timestamp(timestamp));
    }
    if let Some(path) = fields.path("SecondsPath")? {
        return Ok(Wait::SecondsPath(path));
    }
    if let Some(path) = fields.path("TimestampPath")? {
        return Ok(Wait::TimestampPath(path));
    }
    Err(error(
        fields.location,
        "A Wait state must have exactly one of Seconds, Timestamp, SecondsPath or TimestampPath",
    ))
}

fn build_item_batcher(
    value: &Value,
    location: &str,
    by_name: &HashMap<String, usize>,
) -> Result<ItemBatcher, Error> {
    let object = as_object(value, location)?;
    let fields = Fields {
        object,
        location,
        by_name,
    };
    Ok(ItemBatcher {
        max_items: fields.seconds("MaxItemsPerBatch")?,
        max_bytes: fields.seconds("MaxInputBytesPerBatch")?,
        batch_input: fields.template("BatchInput")?,
    })
}

fn build_map(fields: &Fields<'_>, query_language: QueryLanguage) -> Result<MapState, Error> {
    let (processor_key, processor_value) =
        match (fields.get("ItemProcessor"), fields.get("Iterator")) {
            (Some(value), _) => ("ItemProcessor", value),
            (None, Some(value)) => ("Iterator", value),
            (None, None) => {
                return Err(error(
                    fields.location,
                    "These fields are required: [ItemProcessor]",
                ));
            }
        };
    let processor_location = fields.here(processor_key);
    let processor_object = as_object(processor_value, &processor_location)?;
    let distributed = processor_object
        .get("ProcessorConfig")
        .and_then(|config| config.get("Mode"))
        .and_then(Value::as_str)
        == Some("DISTRIBUTED");
    let processor = build_machine(processor_object, &processor_location, query_language)?;
    let item_selector = match fields.get("ItemSelector") {
        Some(_) => fields.template("ItemSelector")?,
        None => fields.template("Parameters")?,
    };
    let tolerated_failure_percentage = match fields.get("ToleratedFailurePercentage") {
        Some(value) => value.as_f64().map(Percentage::Fixed),
        None => fields
            .path("ToleratedFailurePercentagePath")?
            .map(Percentage::Path),
    };
    Ok(MapState {
        processor: Arc::new(processor),
        distributed,
        items_path: fields.selector("ItemsPath")?,
        item_selector,
        max_concurrency: fields.seconds("MaxConcurrency")?,
        tolerated_failure_count: fields.seconds("ToleratedFailureCount")?,
        tolerated_failure_percentage,
        uses_distributed_features: ["ItemReader", "ItemBatcher", "ResultWriter"]
            .iter()
            .any(|key| fields.get(key).is_some()),
        uses_s3: ["ItemReader", "ResultWriter"]
            .iter()
            .any(|key| fields.get(key).is_some()),
        item_batcher: match fields.get("ItemBatcher") {
            None => None,
            Some(value) => Some(build_item_batcher(
                value,
                &fields.here("ItemBatcher"),
                fields.by_name,
            )?),
        },
        label: fields.string("Label")?,
        result_selector: fields.template("ResultSelector")?,
        result_path: fields.result_path("ResultPath")?,
        retry: fields.retriers()?,
        catch: fields.catchers()?,
        jsonata: (query_language == QueryLanguage::Jsonata).then(|| MapJsonata {
            items: fields.get("Items").cloned(),
            item_selector: fields.get("ItemSelector").cloned(),
            max_concurrency: fields.get("MaxConcurrency").cloned(),
            tolerated_failure_count: fields.get("ToleratedFailureCount").cloned(),
            tolerated_failure_percentage: fields.get("ToleratedFailurePercentage").cloned(),
        }),
    })
}
