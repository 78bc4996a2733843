//! TestState (aws-semantics.md §6.11): one state run on its own, with what each step of its
//! data flow made of the input (`inspectionData`), pure like the rest of the engine.
//!
//! A Task, Parallel or Map state does no work here: its result is the mock's (`mock.result`), or
//! it fails with the mock's error (`mock.errorOutput`), which its Retry (`RETRIABLE`, with the
//! retrier's index and delay) and Catch (`CAUGHT_ERROR`, with the catcher's `Next`) see. Pass,
//! Wait, Choice, Succeed and Fail need no mock and take none. The data flow is the engine's:
//! `asl::dataflow` in JSONPath, `asl::jsonata` with `$states` and the variables in JSONata.
//!
//! Which steps `inspectionData` shows follows AWS's recordings: JSONPath Pass, Task and the like
//! every step from `afterInputPath` to `afterResultPath` (a Pass with `Result` skips the two
//! before it), Choice, Wait, Succeed and Fail the input and `afterInputPath`, a mocked Parallel or
//! Map `afterResultSelector` and `afterResultPath`; a JSONata state its input (and the variables).

use serde_json::{Map, Value, json};

use asl::dataflow::{self, Env};
use asl::jsonata::{Expression, Host, Limits};
use asl::model::{Kind, QueryLanguage, ResultPath, StateMachine};
use asl::{Entropy, Failure};

/// What a task state's work gives in a test: a result, or an error.
#[derive(Debug, Clone, PartialEq)]
pub enum Mock {
    /// `mock.result`.
    Result(Value),
    /// `mock.errorOutput`.
    Error {
        /// `error`.
        error: String,
        /// `cause`.
        cause: String,
    },
    /// No mock: a Task state stops at its call, answered as [`TestStateError::Call`], for
    /// the caller to perform it and test again with the answer as the mock. Other states run
    /// as without a mock.
    Capture,
}

/// The call a Task state makes: its resource and its parameters (`Parameters` or
/// `Arguments` evaluated).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskCall {
    /// The state's `Resource`.
    pub resource: String,
    /// What the integration is given.
    pub parameters: Value,
}

/// One TestState call.
#[derive(Debug, Clone)]
pub struct TestStateRequest<'a> {
    /// The definition: one state, or a whole state machine with `state_name`.
    pub definition: &'a Value,
    /// The state to test in a whole state machine.
    pub state_name: Option<&'a str>,
    /// The state's input.
    pub input: Value,
    /// `variables`.
    pub variables: Map<String, Value>,
    /// `mock`.
    pub mock: Option<Mock>,
    /// `stateConfiguration.retrierRetryCount`: how many retries were made already.
    pub retrier_retry_count: u64,
    /// The Context object the state sees.
    pub context: Value,
    /// Now, epoch milliseconds (`$now()`, the timestamps of the Context object).
    pub now_ms: i64,
}

/// `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    /// The state ended; `output` and perhaps `nextState`.
    Succeeded,
    /// The state failed; `error` and `cause`.
    Failed,
    /// The state failed and a retrier would retry it.
    Retriable,
    /// The state failed and a catcher caught it; `nextState` is the catcher's.
    CaughtError,
}

impl TestStatus {
    /// AWS's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Succeeded => "SUCCEEDED",
            TestStatus::Failed => "FAILED",
            TestStatus::Retriable => "RETRIABLE",
            TestStatus::CaughtError => "CAUGHT_ERROR",
        }
    }
}

/// `inspectionData`: the document after each step, the steps that ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inspection {
    /// `input`.
    pub input: Option<Value>,
    /// `afterInputPath`.
    pub after_input_path: Option<Value>,
    /// `afterParameters`.
    pub after_parameters: Option<Value>,
    /// `afterArguments`.
    pub after_arguments: Option<Value>,
    /// `result`.
    pub result: Option<Value>,
    /// `afterResultSelector`.
    pub after_result_selector: Option<Value>,
    /// `afterResultPath`.
    pub after_result_path: Option<Value>,
    /// `variables`, after the state's own assignments; `None` when there are none.
    pub variables: Option<Map<String, Value>>,
    /// `errorDetails`: the retrier or catcher that took the error, and a retry's delay.
    pub error_details: Option<ErrorDetails>,
}

/// `inspectionData.errorDetails`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ErrorDetails {
    /// `retryIndex`.
    pub retry_index: Option<usize>,
    /// `retryBackoffIntervalSeconds`.
    pub retry_backoff_interval_seconds: Option<u64>,
    /// `catchIndex`.
    pub catch_index: Option<usize>,
}

/// The outcome of a TestState call.
#[derive(Debug, Clone, PartialEq)]
pub struct TestStateOutcome {
    /// `status`.
    pub status: TestStatus,
    /// `output`.
    pub output: Option<Value>,
    /// `error`.
    pub error: Option<String>,
    /// `cause`.
    pub cause: Option<String>,
    /// `nextState`.
    pub next_state: Option<String>,
    /// `inspectionData`.
    pub inspection: Inspection,
}

/// Why a TestState call is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TestStateError {
    /// `InvalidDefinition`.
    #[error("{0}")]
    InvalidDefinition(String),
    /// `ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// Not a refusal: with [`Mock::Capture`], the Task state's call, to be performed first.
    #[error("the task calls {}", .0.resource)]
    Call(TaskCall),
}

/// Finds the state to test: the definition itself, or `name` anywhere in the machine.
/// Answers the state and whether it is written in JSONata.
fn find_state<'a>(
    definition: &'a Value,
    name: Option<&str>,
) -> Result<(&'a Value, bool), TestStateError> {
    fn language(object: &Value, inherited: bool) -> bool {
        match object.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => true,
            Some("JSONPath") => false,
            _ => inherited,
        }
    }
    fn search<'a>(machine: &'a Value, name: &str, inherited: bool) -> Option<(&'a Value, bool)> {
        let jsonata = language(machine, inherited);
        let states = machine.get("States")?.as_object()?;
        if let Some(state) = states.get(name) {
            return Some((state, language(state, jsonata)));
        }
        for state in states.values() {
            let inner = language(state, jsonata);
            for branch in state
                .get("Branches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(found) = search(branch, name, inner) {
                    return Some(found);
                }
            }
            for key in ["ItemProcessor", "Iterator"] {
                if let Some(found) = state
                    .get(key)
                    .and_then(|processor| search(processor, name, inner))
                {
                    return Some(found);
                }
            }
        }
        None
    }
    match name {
        None => Ok((definition, language(definition, false))),
        Some(name) => search(definition, name, false).ok_or_else(|| {
            TestStateError::Validation(format!("State '{name}' not found in definition"))
        }),
    }
}

/// The names a state goes to: its `Next`, `Default`, Choice rules' and catchers' `Next`.
fn targets(state: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut push = |value: Option<&Value>| {
        if let Some(name) = value.and_then(Value::as_str) {
            names.push(name.to_owned());
        }
    };
    push(state.get("Next"));
    push(state.get("Default"));
    for list in ["Choices", "Catch"] {
        for item in state
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            push(item.get("Next"));
        }
    }
    names
}

/// The state as the model of a machine of its own, its targets stood in for by Succeed states.
fn model(state: &Value, jsonata: bool) -> Result<(StateMachine, usize), TestStateError> {
    const NAME: &str = "StateName";
    let mut states = Map::new();
    let mut own = state.clone();
    if jsonata && let Some(object) = own.as_object_mut() {
        object.insert("QueryLanguage".to_owned(), json!("JSONata"));
    }
    states.insert(NAME.to_owned(), own);
    for target in targets(state) {
        if target != NAME {
            states.insert(target, json!({"Type": "Succeed"}));
        }
    }
    let machine = json!({"StartAt": NAME, "States": states});
    let machine = StateMachine::from_value(&machine)
        .map_err(|error| TestStateError::InvalidDefinition(error.to_string()))?;
    let index = machine
        .states
        .iter()
        .position(|state| &*state.name == NAME)
        .unwrap_or(0);
    Ok((machine, index))
}

/// Runs one state as TestState does.
pub fn test_state(
    request: &TestStateRequest<'_>,
    entropy: &mut dyn Entropy,
) -> Result<TestStateOutcome, TestStateError> {
    let (state_value, jsonata) = find_state(request.definition, request.state_name)?;
    let kind = state_value
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let takes_mock = matches!(kind, "Task" | "Parallel" | "Map");
    let mock = match &request.mock {
        Some(Mock::Capture) if kind != "Task" => &None,
        other => other,
    };
    match (mock, takes_mock) {
        (Some(_), false) => {
            return Err(TestStateError::Validation(format!(
                "A mock is not supported for {kind} states"
            )));
        }
        (None, true) if kind != "Task" => {
            return Err(TestStateError::InvalidDefinition(
                "TestState API does not support Map or Parallel states without a mock".to_owned(),
            ));
        }
        (None, true) => {
            return Err(TestStateError::Validation(
                "Switchback runs no task integration in TestState yet: give a mock (result or \
                 errorOutput)"
                    .to_owned(),
            ));
        }
        _ => {}
    }
    let (machine, index) = model(state_value, jsonata)?;
    let state = &machine.states[index];
    let mut run = Run {
        request,
        machine: &machine,
        variables: request.variables.clone(),
        inspection: Inspection {
            input: Some(request.input.clone()),
            ..Inspection::default()
        },
        entropy,
        call: None,
    };
    let outcome = if state.query_language == QueryLanguage::Jsonata {
        run.jsonata(index)
    } else {
        run.jsonpath(index)
    };
    let mut outcome = outcome?;
    if let Some(call) = run.call.take() {
        return Err(TestStateError::Call(call));
    }
    if !run.variables.is_empty() {
        run.inspection.variables = Some(run.variables.clone());
    }
    outcome.inspection = run.inspection;
    Ok(outcome)
}

struct Run<'a, 'r> {
    request: &'a TestStateRequest<'r>,
    machine: &'a StateMachine,
    variables: Map<String, Value>,
    inspection: Inspection,
    entropy: &'a mut dyn Entropy,
    /// The Task state's call, under [`Mock::Capture`].
    call: Option<TaskCall>,
}

fn succeeded(output: Value, next: Option<String>) -> TestStateOutcome {
    TestStateOutcome {
        status: TestStatus::Succeeded,
        output: Some(output),
        error: None,
        cause: None,
        next_state: next,
        inspection: Inspection::default(),
    }
}

fn failed(failure: Failure) -> TestStateOutcome {
    TestStateOutcome {
        status: TestStatus::Failed,
        output: None,
        error: Some(failure.error).filter(|error| !error.is_empty()),
        cause: Some(failure.cause).filter(|cause| !cause.is_empty()),
        next_state: None,
        inspection: Inspection::default(),
    }
}

impl Run<'_, '_> {
    fn next_of(&self, index: usize) -> Option<String> {
        match self.machine.states[index].transition {
            asl::model::Transition::Next(next) => Some(self.machine.states[next].name.to_string()),
            _ => None,
        }
    }

    fn name_of(&self, index: usize) -> String {
        self.machine.states[index].name.to_string()
    }

    fn with_env<R>(&mut self, input: &Value, f: impl FnOnce(&mut Env<'_>) -> R) -> R {
        let context = self.request.context.clone();
        let context = move || context.clone();
        let scopes = [&self.variables];
        let variables: &[&Map<String, Value>] = if self.variables.is_empty() {
            &[]
        } else {
            &scopes
        };
        let mut env = Env {
            input,
            context: &context,
            variables,
            entropy: &mut *self.entropy,
        };
        f(&mut env)
    }

    /// A state written in JSONPath.
    fn jsonpath(&mut self, index: usize) -> Result<TestStateOutcome, TestStateError> {
        let state = &self.machine.states[index];
        let input = self.request.input.clone();
        let failure_of = |failure: Failure| Ok(failed(failure));
        let effective = match self.with_env(&input, |env| {
            dataflow::apply_selector(&state.input_path, env)
        }) {
            Ok(value) => value,
            Err(failure) => return failure_of(failure),
        };
        let output_path = state.output_path.clone();
        let finish = |run: &mut Self, document: Value| -> Result<Value, Failure> {
            run.with_env(&document, |env| dataflow::apply_selector(&output_path, env))
        };
        match &state.kind {
            Kind::Pass(pass) => {
                let result = match (&pass.result, &pass.parameters) {
                    (Some(result), _) => {
                        self.inspection.result = Some(result.clone());
                        result.clone()
                    }
                    (None, parameters) => {
                        self.inspection.after_input_path = Some(effective.clone());
                        let after = match parameters {
                            Some(parameters) => match self.with_env(&effective, |env| {
                                dataflow::evaluate_template(parameters, env)
                            }) {
                                Ok(value) => value,
                                Err(failure) => return failure_of(failure),
                            },
                            None => effective.clone(),
                        };
                        self.inspection.after_parameters = Some(after.clone());
                        after
                    }
                };
                self.finish_result(index, &input, result, None, &pass.result_path, finish)
            }
            Kind::Task(task) => {
                self.inspection.after_input_path = Some(effective.clone());
                let after = match &task.parameters {
                    Some(parameters) => match self.with_env(&effective, |env| {
                        dataflow::evaluate_template(parameters, env)
                    }) {
                        Ok(value) => value,
                        Err(failure) => return failure_of(failure),
                    },
                    None => effective.clone(),
                };
                self.inspection.after_parameters = Some(after.clone());
                match self.request.mock.clone() {
                    Some(Mock::Capture) => {
                        self.call = Some(TaskCall {
                            resource: task.resource.clone(),
                            parameters: after,
                        });
                        Ok(failed(Failure::new("States.Runtime", "the task is called")))
                    }
                    Some(Mock::Result(result)) => {
                        self.inspection.result = Some(result.clone());
                        let selector = task.result_selector.clone();
                        self.finish_result(
                            index,
                            &input,
                            result,
                            selector.as_ref(),
                            &task.result_path,
                            finish,
                        )
                    }
                    Some(Mock::Error { error, cause }) => {
                        Ok(self.task_failed(index, &input, Failure::new(error, cause)))
                    }
                    None => Ok(failed(Failure::new("States.Runtime", "no mock"))),
                }
            }
            Kind::Parallel(_) | Kind::Map(_) => {
                let (selector, result_path) = match &state.kind {
                    Kind::Parallel(parallel) => (
                        parallel.result_selector.clone(),
                        parallel.result_path.clone(),
                    ),
                    Kind::Map(map) => (map.result_selector.clone(), map.result_path.clone()),
                    _ => unreachable!("matched above"),
                };
                match self.request.mock.clone() {
                    Some(Mock::Result(result)) => {
                        if matches!(state.kind, Kind::Parallel(_)) {
                            let branches = match &state.kind {
                                Kind::Parallel(parallel) => parallel.branches.len(),
                                _ => 0,
                            };
                            match &result {
                                Value::Array(items) if items.len() == branches => {}
                                Value::Array(items) => {
                                    return Err(TestStateError::Validation(format!(
                                        "The mocked result of a Parallel state must be an array of {branches} items, one per branch, but has {}",
                                        items.len()
                                    )));
                                }
                                _ => {
                                    return Err(TestStateError::Validation(
                                        "The mocked result of a Parallel state must be an array"
                                            .to_owned(),
                                    ));
                                }
                            }
                        }
                        self.finish_result(
                            index,
                            &input,
                            result,
                            selector.as_ref(),
                            &result_path,
                            finish,
                        )
                    }
                    Some(Mock::Error { error, cause }) => {
                        Ok(self.task_failed(index, &input, Failure::new(error, cause)))
                    }
                    None | Some(Mock::Capture) => {
                        Ok(failed(Failure::new("States.Runtime", "no mock")))
                    }
                }
            }
            Kind::Succeed | Kind::Wait(_) => {
                // A Wait does not wait here: TestState answers at once.
                self.inspection.after_input_path = Some(effective.clone());
                if let Some(assign) = state.assign.clone()
                    && let Err(failure) = self.assign_jsonpath(&assign, &effective)
                {
                    return failure_of(failure);
                }
                let next = self.next_of(index);
                match finish(self, effective) {
                    Ok(output) => Ok(succeeded(output, next)),
                    Err(failure) => failure_of(failure),
                }
            }
            Kind::Fail(fail) => {
                self.inspection.after_input_path = Some(effective.clone());
                let mut field =
                    |fixed: &Option<String>, path: &Option<asl::model::Expression>, name: &str| {
                        self.with_env(&effective, |env| {
                            dataflow::fail_field(fixed, path, name, env)
                        })
                    };
                let error = field(&fail.error, &fail.error_path, "ErrorPath");
                let cause = field(&fail.cause, &fail.cause_path, "CausePath");
                match (error, cause) {
                    (Ok(error), Ok(cause)) => Ok(TestStateOutcome {
                        status: TestStatus::Failed,
                        output: None,
                        error,
                        cause,
                        next_state: None,
                        inspection: Inspection::default(),
                    }),
                    (Err(failure), _) | (_, Err(failure)) => failure_of(failure),
                }
            }
            Kind::Choice(choice) => {
                self.inspection.after_input_path = Some(effective.clone());
                let mut chosen = None;
                for rule in &choice.choices {
                    match self.with_env(&effective, |env| {
                        asl::choice::evaluate(&rule.condition, env)
                    }) {
                        Ok(true) => {
                            chosen = Some(rule);
                            break;
                        }
                        Ok(false) => {}
                        Err(failure) => return failure_of(failure),
                    }
                }
                let next = chosen.map(|rule| rule.next).or(choice.default);
                let Some(next) = next else {
                    return failure_of(Failure::new(
                        "States.NoChoiceMatched",
                        "No Choice Rule matched and no Default specified",
                    ));
                };
                let mut assigned = Map::new();
                for assign in [
                    state.assign.clone(),
                    chosen.and_then(|rule| rule.assign.clone()),
                ]
                .into_iter()
                .flatten()
                {
                    // The state's and the rule's Assign both read the variables as they were
                    // before the state.
                    match self.evaluate_assign_jsonpath(&assign, &effective) {
                        Ok(values) => assigned.extend(values),
                        Err(failure) => return failure_of(failure),
                    }
                }
                self.variables.extend(assigned);
                let next = self.name_of(next);
                match finish(self, effective) {
                    Ok(output) => Ok(succeeded(output, Some(next))),
                    Err(failure) => failure_of(failure),
                }
            }
        }
    }

    /// ResultSelector, Assign, ResultPath and OutputPath over a result.
    fn finish_result(
        &mut self,
        index: usize,
        input: &Value,
        result: Value,
        selector: Option<&asl::model::Template>,
        result_path: &ResultPath,
        finish: impl FnOnce(&mut Self, Value) -> Result<Value, Failure>,
    ) -> Result<TestStateOutcome, TestStateError> {
        let selected = match selector {
            Some(template) => {
                match self.with_env(&result, |env| dataflow::evaluate_template(template, env)) {
                    Ok(value) => value,
                    Err(failure) => return Ok(failed(failure)),
                }
            }
            None => result,
        };
        self.inspection.after_result_selector = Some(selected.clone());
        if let Some(assign) = self.machine.states[index].assign.clone()
            && let Err(failure) = self.assign_jsonpath(&assign, &selected)
        {
            return Ok(failed(failure));
        }
        let merged = match dataflow::apply_result_path(result_path, input, selected) {
            Ok(value) => value,
            Err(failure) => return Ok(failed(failure)),
        };
        self.inspection.after_result_path = Some(merged.clone());
        let next = self.next_of(index);
        match finish(self, merged) {
            Ok(output) => Ok(succeeded(output, next)),
            Err(failure) => Ok(failed(failure)),
        }
    }

    fn assign_jsonpath(&mut self, assign: &Value, document: &Value) -> Result<(), Failure> {
        let assigned = self.evaluate_assign_jsonpath(assign, document)?;
        self.variables.extend(assigned);
        Ok(())
    }

    /// The variables a JSONPath Assign would set, against the variables as they are now.
    fn evaluate_assign_jsonpath(
        &mut self,
        assign: &Value,
        document: &Value,
    ) -> Result<Map<String, Value>, Failure> {
        let template = asl::model::build_template(assign, "/Assign")
            .map_err(|error| Failure::new("States.Runtime", error.to_string()))?;
        let value = self.with_env(document, |env| dataflow::evaluate_template(&template, env))?;
        Ok(match value {
            Value::Object(values) => values,
            _ => Map::new(),
        })
    }

    /// A task's mocked error: a retrier that would retry it, a catcher that catches it, or a
    /// failure.
    fn task_failed(&mut self, index: usize, input: &Value, failure: Failure) -> TestStateOutcome {
        let state = &self.machine.states[index];
        let (retriers, catchers) = match &state.kind {
            Kind::Task(task) => (&task.retry, &task.catch),
            Kind::Parallel(parallel) => (&parallel.retry, &parallel.catch),
            Kind::Map(map) => (&map.retry, &map.catch),
            _ => return failed(failure),
        };
        if let Some((retry_index, retrier)) = retriers.iter().enumerate().find(|(_, retrier)| {
            crate::execution::error_matches(&retrier.error_equals, &failure.error)
        }) && self.request.retrier_retry_count < retrier.max_attempts
        {
            let exponent = i32::try_from(self.request.retrier_retry_count).unwrap_or(i32::MAX);
            let mut seconds = retrier.interval_seconds as f64 * retrier.backoff_rate.powi(exponent);
            if let Some(max) = retrier.max_delay_seconds {
                seconds = seconds.min(max as f64);
            }
            self.inspection.error_details = Some(ErrorDetails {
                retry_index: Some(retry_index),
                retry_backoff_interval_seconds: Some(seconds as u64),
                catch_index: None,
            });
            return TestStateOutcome {
                status: TestStatus::Retriable,
                output: None,
                error: Some(failure.error),
                cause: Some(failure.cause),
                next_state: None,
                inspection: Inspection::default(),
            };
        }
        let caught = catchers.iter().enumerate().find(|(_, catcher)| {
            crate::execution::error_matches(&catcher.error_equals, &failure.error)
        });
        let Some((catch_index, catcher)) = caught else {
            return failed(failure);
        };
        self.inspection.error_details = Some(ErrorDetails {
            catch_index: Some(catch_index),
            ..ErrorDetails::default()
        });
        let error_output = json!({"Error": failure.error, "Cause": failure.cause});
        // A JSONata catcher's Assign is evaluated by `task_failed_jsonata`, over
        // `$states.errorOutput`.
        if self.machine.states[index].query_language != QueryLanguage::Jsonata
            && let Some(assign) = catcher.assign.clone()
            && let Err(failure) = self.assign_jsonpath(&assign, &error_output)
        {
            return failed(failure);
        }
        match dataflow::apply_result_path(&catcher.result_path, input, error_output) {
            Ok(output) => TestStateOutcome {
                status: TestStatus::CaughtError,
                output: Some(output),
                error: Some(failure.error),
                cause: Some(failure.cause),
                next_state: Some(self.name_of(catcher.next)),
                inspection: Inspection::default(),
            },
            Err(failure) => failed(failure),
        }
    }

    /// Evaluates a JSONata field (each `{% %}` string at any depth) over `$states`.
    fn jsonata_value(
        &mut self,
        template: &Value,
        field: &str,
        states: &Value,
    ) -> Result<Value, Failure> {
        match template {
            Value::String(text) => {
                let Some(source) = text
                    .strip_prefix("{%")
                    .and_then(|rest| rest.strip_suffix("%}"))
                else {
                    return Ok(template.clone());
                };
                let source = source.trim();
                let threw = |message: &str| {
                    Failure::new(
                        "States.QueryEvaluationError",
                        format!(
                            "The JSONata expression '{source}' specified for the field '{field}' threw an error during evaluation. {message}"
                        ),
                    )
                };
                let expression =
                    Expression::parse(source).map_err(|error| threw(&error.message))?;
                let mut bindings: Vec<(&str, &Value)> = self
                    .variables
                    .iter()
                    .map(|(name, value)| (name.as_str(), value))
                    .collect();
                bindings.push(("states", states));
                let mut host = Host {
                    now_ms: self.request.now_ms,
                    entropy: &mut *self.entropy,
                    limits: Limits::default(),
                };
                match expression.evaluate(None, &bindings, &mut host) {
                    Ok(Some(value)) => Ok(value),
                    Ok(None) => Err(Failure::new(
                        "States.QueryEvaluationError",
                        format!(
                            "The JSONata expression '{source}' specified for the field '{field}' returned nothing (undefined)."
                        ),
                    )),
                    Err(error) => Err(threw(&error.to_string())),
                }
            }
            Value::Object(object) => {
                let mut out = Map::with_capacity(object.len());
                for (key, value) in object {
                    out.insert(
                        key.clone(),
                        self.jsonata_value(value, &format!("{field}/{key}"), states)?,
                    );
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (position, item) in items.iter().enumerate() {
                    out.push(self.jsonata_value(item, &format!("{field}/{position}"), states)?);
                }
                Ok(Value::Array(out))
            }
            other => Ok(other.clone()),
        }
    }

    fn states(&self, extra: Option<(&str, &Value)>) -> Value {
        let mut states = json!({"input": self.request.input, "context": self.request.context});
        if let Some((key, value)) = extra {
            states[key] = value.clone();
        }
        states
    }

    /// Evaluates a JSONata Assign over `$states` (variables as they were before it).
    fn assign_jsonata(&mut self, assign: &Value, states: &Value) -> Result<(), Failure> {
        let assigned = self.evaluate_assign_jsonata(assign, states)?;
        self.variables.extend(assigned);
        Ok(())
    }

    /// The variables a JSONata Assign would set, against the variables as they are now.
    fn evaluate_assign_jsonata(
        &mut self,
        assign: &Value,
        states: &Value,
    ) -> Result<Map<String, Value>, Failure> {
        let mut assigned = Map::new();
        if let Value::Object(fields) = assign {
            for (name, value) in fields {
                assigned.insert(
                    name.clone(),
                    self.jsonata_value(value, &format!("Assign/{name}"), states)?,
                );
            }
        }
        Ok(assigned)
    }

    /// A state written in JSONata.
    fn jsonata(&mut self, index: usize) -> Result<TestStateOutcome, TestStateError> {
        let state = self.machine.states[index].clone();
        let input = self.request.input.clone();
        let plain = self.states(None);
        let output = |run: &mut Self, states: &Value, default: Value| -> Result<Value, Failure> {
            match &state.output {
                Some(output) => run.jsonata_value(output, "Output", states),
                None => Ok(default),
            }
        };
        let outcome = (|| -> Result<TestStateOutcome, Failure> {
            match &state.kind {
                Kind::Pass(_) | Kind::Succeed | Kind::Wait(_) => {
                    let value = output(self, &plain, input.clone())?;
                    if let Some(assign) = &state.assign {
                        self.assign_jsonata(assign, &plain)?;
                    }
                    Ok(succeeded(value, self.next_of(index)))
                }
                Kind::Fail(fail) => {
                    let mut text =
                        |value: &Option<String>, field: &str| -> Result<Option<String>, Failure> {
                            match value {
                                None => Ok(None),
                                Some(text) => Ok(Some(
                                    match self.jsonata_value(
                                        &Value::String(text.clone()),
                                        field,
                                        &plain,
                                    )? {
                                        Value::String(text) => text,
                                        other => other.to_string(),
                                    },
                                )),
                            }
                        };
                    let error = text(&fail.error, "Error")?;
                    let cause = text(&fail.cause, "Cause")?;
                    Ok(TestStateOutcome {
                        status: TestStatus::Failed,
                        output: None,
                        error,
                        cause,
                        next_state: None,
                        inspection: Inspection::default(),
                    })
                }
                Kind::Choice(choice) => {
                    let mut chosen = None;
                    for (position, rule) in choice.choices.iter().enumerate() {
                        let asl::model::Condition::Jsonata(condition) = &rule.condition else {
                            continue;
                        };
                        let value = self.jsonata_value(
                            &Value::String(condition.clone()),
                            &format!("Choices/{position}/Condition"),
                            &plain,
                        )?;
                        match value {
                            Value::Bool(true) => {
                                chosen = Some(rule);
                                break;
                            }
                            Value::Bool(false) => {}
                            other => {
                                return Err(crate::execution::unexpected_type(
                                    &Value::String(condition.clone()),
                                    &format!("Choices/{position}/Condition"),
                                    "boolean",
                                    &other,
                                ));
                            }
                        }
                    }
                    let Some(next) = chosen.map(|rule| rule.next).or(choice.default) else {
                        return Err(Failure::new(
                            "States.NoChoiceMatched",
                            "No Choice Rule matched and no Default specified",
                        ));
                    };
                    let value = output(self, &plain, input.clone())?;
                    let mut assigned = Map::new();
                    for assign in [
                        state.assign.as_ref(),
                        chosen.and_then(|rule| rule.assign.as_ref()),
                    ]
                    .into_iter()
                    .flatten()
                    {
                        assigned.extend(self.evaluate_assign_jsonata(assign, &plain)?);
                    }
                    self.variables.extend(assigned);
                    Ok(succeeded(value, Some(self.name_of(next))))
                }
                Kind::Task(_) | Kind::Parallel(_) | Kind::Map(_) => {
                    let arguments = match &state.kind {
                        Kind::Task(task) => task.arguments.clone(),
                        Kind::Parallel(parallel) => parallel.arguments.clone(),
                        _ => None,
                    };
                    let mut parameters = plain.clone();
                    if let (Some(arguments), Kind::Task(_)) = (&arguments, &state.kind) {
                        let after = self.jsonata_value(arguments, "Arguments", &plain)?;
                        self.inspection.after_arguments = Some(after.clone());
                        parameters = after;
                    }
                    match self.request.mock.clone() {
                        Some(Mock::Capture) => {
                            if let Kind::Task(task) = &state.kind {
                                self.call = Some(TaskCall {
                                    resource: task.resource.clone(),
                                    parameters,
                                });
                            }
                            Err(Failure::new("States.Runtime", "the task is called"))
                        }
                        Some(Mock::Result(result)) => {
                            let states = self.states(Some(("result", &result)));
                            let value = output(self, &states, result.clone())?;
                            if let Some(assign) = &state.assign {
                                self.assign_jsonata(assign, &states)?;
                            }
                            Ok(succeeded(value, self.next_of(index)))
                        }
                        Some(Mock::Error { error, cause }) => {
                            Ok(self.task_failed_jsonata(index, Failure::new(error, cause)))
                        }
                        None => Err(Failure::new("States.Runtime", "no mock")),
                    }
                }
            }
        })();
        Ok(outcome.unwrap_or_else(failed))
    }

    fn task_failed_jsonata(&mut self, index: usize, failure: Failure) -> TestStateOutcome {
        let outcome = self.task_failed(index, &Value::Null, failure.clone());
        if outcome.status != TestStatus::CaughtError {
            return outcome;
        }
        // A JSONata catcher's output is its Output over `$states.errorOutput`, or the error
        // output itself.
        let state = &self.machine.states[index];
        let catchers = match &state.kind {
            Kind::Task(task) => &task.catch,
            Kind::Parallel(parallel) => &parallel.catch,
            Kind::Map(map) => &map.catch,
            _ => return outcome,
        };
        let Some(catcher) = self
            .inspection
            .error_details
            .and_then(|details| details.catch_index)
            .and_then(|position| catchers.get(position))
            .cloned()
        else {
            return outcome;
        };
        let error_output = json!({"Error": failure.error, "Cause": failure.cause});
        let states = self.states(Some(("errorOutput", &error_output)));
        // Output and Assign both read the variables as they were before the catcher.
        let output = match &catcher.output {
            Some(output) => self.jsonata_value(output, "Output", &states),
            None => Ok(error_output),
        };
        let output = match (output, &catcher.assign) {
            (Ok(output), Some(assign)) => self.assign_jsonata(assign, &states).map(|()| output),
            (output, _) => output,
        };
        match output {
            Ok(output) => TestStateOutcome {
                output: Some(output),
                ..outcome
            },
            Err(failure) => failed(failure),
        }
    }
}
