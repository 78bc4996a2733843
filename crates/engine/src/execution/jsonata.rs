//! States written in JSONata (`QueryLanguage: JSONata`, aws-semantics.md §6.7): `Output`,
//! `Arguments`, `Condition`, `Seconds`/`Timestamp` and `Error`/`Cause` as `{% %}` expressions
//! over `$states` (`input`, `context`, and `result` or `errorOutput` after a state's work),
//! evaluated by [`asl::jsonata`].
//!
//! A failing expression, or one that gives nothing (`undefined`), fails the state with
//! `States.QueryEvaluationError` and AWS's cause, after an `EvaluationFailed` event.
//!
//! `unsupported` names what an execution cannot run (it then fails at once and says so).

use std::sync::Arc;

use asl::jsonata::{Expression, Host, Limits};
use asl::model::{Catcher, Condition, Kind, QueryLanguage, StateMachine, Wait};
use asl::{Entropy, Failure};
use serde_json::{Map, Value, json};

use super::{Execution, Phase, Timer, state_failure};
use crate::history::Details;

/// What a machine uses that the engine does not run yet, if anything: an execution of it
/// fails at once with `States.Runtime` and a cause that names it.
pub fn unsupported(machine: &StateMachine) -> Option<&'static str> {
    jsonata_unsupported(machine)
}

fn jsonata_unsupported(machine: &StateMachine) -> Option<&'static str> {
    for state in &machine.states {
        // A JSONPath state may not take its timeouts from a string (validation refuses it).
        if state.query_language == QueryLanguage::JsonPath
            && let Kind::Task(task) = &state.kind
            && (task.timeout_expression.is_some() || task.heartbeat_expression.is_some())
        {
            return Some("TimeoutSeconds and HeartbeatSeconds as strings in JSONPath states");
        }
        for sub in state.sub_machines() {
            if let Some(feature) = jsonata_unsupported(sub) {
                return Some(feature);
            }
        }
    }
    None
}

/// The expression of a `"{% <expression> %}"` string (the surround AWS requires), if it is one.
fn expression_of(text: &str) -> Option<&str> {
    text.strip_prefix("{%")?.strip_suffix("%}").map(str::trim)
}

/// What `$states` holds for the current state beyond its input and the Context object:
/// `result` or `errorOutput`. Each expression gets only the parts it reads.
#[derive(Clone, Copy)]
pub(super) struct States<'a> {
    extra: Option<(&'a str, &'a Value)>,
}

impl Execution {
    /// `$states` for the current state of `thread`, with `extra` (`result` or `errorOutput`).
    pub(super) fn states_binding<'a>(
        &self,
        _thread: usize,
        extra: Option<(&'a str, &'a Value)>,
    ) -> States<'a> {
        States { extra }
    }

    /// The `$states` an expression sees: the parts of it the expression reads.
    fn states_value(
        &self,
        thread: usize,
        states: &States<'_>,
        uses: asl::jsonata::StatesUse,
    ) -> Value {
        let mut object = Map::new();
        if uses.input {
            object.insert("input".to_owned(), self.threads[thread].input.clone());
        }
        if uses.context {
            // `Execution` holds the execution's whole input: only when the expression reads it.
            let context = self.context_with(thread, uses.context_execution);
            object.insert("context".to_owned(), context);
        }
        if let Some((key, value)) = states.extra {
            let wanted = match key {
                "result" => uses.result,
                "errorOutput" => uses.error_output,
                _ => true,
            };
            if wanted {
                object.insert(key.to_owned(), value.clone());
            }
        }
        Value::Object(object)
    }

    /// Evaluates a JSONata-mode field: each `{% %}` string in it, at any depth of objects and
    /// arrays, is evaluated over `$states`; everything else is taken literally. `field` names
    /// the place for error causes (`Output`, `Arguments/FunctionName`).
    pub(super) fn jsonata_value(
        &self,
        thread: usize,
        template: &Value,
        field: &str,
        states: &States<'_>,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        match template {
            Value::String(text) => match expression_of(text) {
                Some(source) => self.evaluate_expression(thread, source, field, states, entropy),
                None => Ok(template.clone()),
            },
            Value::Object(object) => {
                let mut out = Map::with_capacity(object.len());
                for (key, value) in object {
                    let place = format!("{field}/{key}");
                    out.insert(
                        key.clone(),
                        self.jsonata_value(thread, value, &place, states, entropy)?,
                    );
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    self.jsonata_value(thread, item, &format!("{field}/{index}"), states, entropy)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    fn evaluate_expression(
        &self,
        thread: usize,
        source: &str,
        field: &str,
        states: &States<'_>,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        let threw = |message: &str| {
            Failure::new(
                "States.QueryEvaluationError",
                format!(
                    "The JSONata expression '{source}' specified for the field '{field}' threw an \
                     error during evaluation. {message}"
                ),
            )
        };
        let cached = self.expressions.borrow().get(source).cloned();
        let expression = match cached {
            Some(expression) => expression,
            None => {
                let expression =
                    Expression::parse(source).map_err(|error| threw(&error.message))?;
                self.expressions
                    .borrow_mut()
                    .insert(source.to_owned(), expression.clone());
                expression
            }
        };
        let mut host = Host {
            now_ms: self.now,
            entropy,
            limits: Limits::default(),
        };
        let states = self.states_value(thread, states, expression.states_use());
        // Only the variables the expression reads are converted for it.
        let visible = self.visible_variables(thread);
        let mut bindings: Vec<(&str, &Value)> = visible
            .into_iter()
            .filter(|(name, _)| expression.reads().iter().any(|read| read == name))
            .collect();
        bindings.push(("states", &states));
        match expression.evaluate(None, &bindings, &mut host) {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(Failure::new(
                "States.QueryEvaluationError",
                format!(
                    "The JSONata expression '{source}' specified for the field '{field}' returned \
                     nothing (undefined)."
                ),
            )),
            Err(error) => Err(threw(&error.to_string())),
        }
    }

    /// A JSONata expression failed in the current state of `thread`: record
    /// `EvaluationFailed` and send the failure to Retry and Catch.
    fn jsonata_failed(&mut self, thread: usize, failure: Failure, entropy: &mut dyn Entropy) {
        let t = &self.threads[thread];
        let state = t.machine.states[t.state].name.clone();
        let failure = state_failure(&state, t.entered_event, failure);
        let location = failure
            .cause
            .split("specified for the field '")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_default()
            .to_owned();
        // AWS links it to the event before the state was entered; what follows it follows it.
        let mut details = json!({"error": failure.error, "cause": failure.cause});
        if !location.is_empty() {
            details["location"] = json!(location);
        }
        details["state"] = json!(&*state);
        let entered_after = self.threads[thread].entered_after;
        let id = self.emit_in(
            thread,
            entered_after,
            "EvaluationFailed",
            Details::Other(details),
        );
        self.threads[thread].last_event = id;
        // A Map or Parallel state that fails records `MapStateFailed` / `ParallelStateFailed`.
        let t = &self.threads[thread];
        if matches!(
            t.machine.states[t.state].kind,
            Kind::Map(_) | Kind::Parallel(_)
        ) {
            self.handle_children_failure(thread, failure, entropy);
        } else {
            self.handle_failure(thread, failure, entropy);
        }
    }

    /// Stages an `Assign` of the current state over `$states` (with `extra`).
    fn stage_jsonata_assign(
        &mut self,
        thread: usize,
        assign: Option<&Value>,
        extra: Option<(&str, &Value)>,
        entropy: &mut dyn Entropy,
    ) -> Result<(), Failure> {
        let Some(assign) = assign else {
            return Ok(());
        };
        let states = self.states_binding(thread, extra);
        let assigned =
            self.evaluate_assign(thread, assign, &Value::Null, Some(&states), entropy)?;
        self.stage_assign(thread, assigned)
    }

    /// A state's `Output` over `$states` (with `extra`), or `default` without one.
    fn jsonata_output(
        &self,
        thread: usize,
        extra: Option<(&str, &Value)>,
        default: Value,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        let t = &self.threads[thread];
        match &t.machine.states[t.state].output {
            Some(output) => {
                let states = self.states_binding(thread, extra);
                self.jsonata_value(thread, output, "Output", &states, entropy)
            }
            None => Ok(default),
        }
    }

    /// Exits the state with `output` and goes on.
    fn exit_and_go_on(&mut self, thread: usize, output: Value) {
        let t = &self.threads[thread];
        let state = &t.machine.states[t.state];
        let (type_name, transition) = (state.kind.type_name(), state.transition);
        self.exit_state(thread, type_name, &output);
        self.transition(thread, transition, output);
    }

    /// The work of a state written in JSONata.
    pub(super) fn do_work_jsonata(&mut self, thread: usize, entropy: &mut dyn Entropy) {
        let machine = Arc::clone(&self.threads[thread].machine);
        let state = &machine.states[self.threads[thread].state];
        let input = self.threads[thread].input.clone();
        match &state.kind {
            Kind::Pass(_) => {
                let output = self
                    .jsonata_output(thread, None, input, entropy)
                    .and_then(|output| {
                        self.stage_jsonata_assign(thread, state.assign.as_ref(), None, entropy)?;
                        Ok(output)
                    });
                match output {
                    Ok(output) => self.exit_and_go_on(thread, output),
                    Err(failure) => self.jsonata_failed(thread, failure, entropy),
                }
            }
            Kind::Succeed => match self.jsonata_output(thread, None, input, entropy) {
                Ok(output) => {
                    self.exit_state(thread, "Succeed", &output);
                    self.finish_thread(thread, Ok(output));
                }
                Err(failure) => self.jsonata_failed(thread, failure, entropy),
            },
            Kind::Fail(fail) => {
                let states = self.states_binding(thread, None);
                let mut text = |value: &Option<String>, field: &str| match value {
                    None => Ok(None),
                    Some(text) => self
                        .jsonata_value(
                            thread,
                            &Value::String(text.clone()),
                            field,
                            &states,
                            entropy,
                        )
                        .map(|value| match value {
                            Value::String(text) => Some(text),
                            other => Some(other.to_string()),
                        }),
                };
                let error = text(&fail.error, "Error");
                let cause = text(&fail.cause, "Cause");
                match (error, cause) {
                    (Ok(error), Ok(cause)) => {
                        self.threads[thread].phase = Phase::Finished;
                        self.finish_thread(thread, Err((error, cause)));
                    }
                    (Err(failure), _) | (_, Err(failure)) => {
                        self.jsonata_failed(thread, failure, entropy);
                    }
                }
            }
            Kind::Choice(choice) => {
                let states = self.states_binding(thread, None);
                let mut next = None;
                let mut chosen = None;
                for (index, rule) in choice.choices.iter().enumerate() {
                    let Condition::Jsonata(condition) = &rule.condition else {
                        continue;
                    };
                    let field = format!("Choices/{index}/Condition");
                    let value = self.jsonata_value(
                        thread,
                        &Value::String(condition.clone()),
                        &field,
                        &states,
                        entropy,
                    );
                    match value {
                        Ok(Value::Bool(true)) => {
                            next = Some(rule.next);
                            chosen = Some(rule);
                            break;
                        }
                        Ok(Value::Bool(false)) => {}
                        Ok(other) => {
                            let failure = Failure::new(
                                "States.QueryEvaluationError",
                                format!(
                                    "The JSONata expression '{}' specified for the field \
                                     '{field}' returned an unexpected result type. Expected \
                                     'boolean', but was '{}' for value: {other}",
                                    expression_of(condition).unwrap_or(condition),
                                    type_name(&other)
                                ),
                            );
                            return self.jsonata_failed(thread, failure, entropy);
                        }
                        Err(failure) => return self.jsonata_failed(thread, failure, entropy),
                    }
                }
                let Some(next) = next.or(choice.default) else {
                    let t = &self.threads[thread];
                    let failure = Failure::new(
                        "States.NoChoiceMatched",
                        format!(
                            "An error occurred while executing the state '{}' (entered at the \
                             event id #{}). No Choice Rule matched and no Default specified",
                            state.name, t.entered_event
                        ),
                    );
                    return self.handle_failure(thread, failure, entropy);
                };
                let rule_assign = chosen.and_then(|rule| rule.assign.as_ref());
                let output = self
                    .jsonata_output(thread, None, input, entropy)
                    .and_then(|output| {
                        self.stage_jsonata_assign(thread, state.assign.as_ref(), None, entropy)?;
                        self.stage_jsonata_assign(thread, rule_assign, None, entropy)?;
                        Ok(output)
                    });
                match output {
                    Ok(output) => {
                        self.exit_state(thread, "Choice", &output);
                        self.go_to(thread, next, output);
                    }
                    Err(failure) => self.jsonata_failed(thread, failure, entropy),
                }
            }
            Kind::Wait(Wait::Jsonata { field, value }) => {
                let states = self.states_binding(thread, None);
                let fire_at = self
                    .jsonata_value(thread, value, field, &states, entropy)
                    .and_then(|value| self.wait_deadline(field, &value));
                match fire_at {
                    Ok(fire_at) => {
                        let timer = self.start_timer(Timer::Wait(thread), fire_at);
                        self.threads[thread].phase = Phase::Waiting { timer };
                    }
                    Err(failure) => self.jsonata_failed(thread, failure, entropy),
                }
            }
            Kind::Task(task) => {
                self.draw_task_token(thread, &task.resource, entropy);
                let arguments = match &task.arguments {
                    Some(arguments) => {
                        let states = self.states_binding(thread, None);
                        self.jsonata_value(thread, arguments, "Arguments", &states, entropy)
                    }
                    // Without Arguments a task gets the state's input.
                    None => Ok(input),
                };
                let arguments = match arguments {
                    Ok(arguments) => arguments,
                    Err(failure) => return self.jsonata_failed(thread, failure, entropy),
                };
                let states = self.states_binding(thread, None);
                let mut seconds = |fixed: &Option<asl::model::Seconds>,
                                   expression: &Option<String>,
                                   field: &str|
                 -> Result<Option<u64>, Failure> {
                    if let Some(asl::model::Seconds::Fixed(value)) = fixed {
                        return Ok(Some(*value));
                    }
                    let Some(expression) = expression else {
                        return Ok(None);
                    };
                    let written = Value::String(expression.clone());
                    let value = self.jsonata_value(thread, &written, field, &states, entropy)?;
                    match value.as_f64() {
                        Some(number) if number >= 1.0 && number.fract() == 0.0 => {
                            Ok(Some(number as u64))
                        }
                        _ => Err(unexpected_type(&written, field, "positive integer", &value)),
                    }
                };
                let timeout = seconds(&task.timeout, &task.timeout_expression, "TimeoutSeconds");
                let heartbeat = seconds(
                    &task.heartbeat,
                    &task.heartbeat_expression,
                    "HeartbeatSeconds",
                );
                match (timeout, heartbeat) {
                    (Ok(timeout), Ok(heartbeat)) => {
                        self.schedule_task(thread, &task.resource, arguments, timeout, heartbeat);
                    }
                    (Err(failure), _) | (_, Err(failure)) => {
                        self.jsonata_failed(thread, failure, entropy);
                    }
                }
            }
            Kind::Parallel(parallel) => {
                let branch_input = match &parallel.arguments {
                    Some(arguments) => {
                        let states = self.states_binding(thread, None);
                        self.jsonata_value(thread, arguments, "Arguments", &states, entropy)
                    }
                    None => Ok(input),
                };
                match branch_input {
                    Ok(branch_input) => {
                        self.launch_parallel(thread, parallel.branches.len(), branch_input);
                    }
                    Err(failure) => self.jsonata_failed(thread, failure, entropy),
                }
            }
            Kind::Map(map) => {
                if let Err(failure) = self.start_map_jsonata(thread, map, input, entropy) {
                    self.jsonata_failed(thread, failure, entropy);
                }
            }
            // A Wait holds `Wait::Jsonata` in JSONata mode.
            _ => {
                let failure = Failure::new(
                    "States.Runtime",
                    format!(
                        "{} states in JSONata are not supported by Switchback yet",
                        state.kind.type_name()
                    ),
                );
                self.handle_failure(thread, failure, entropy);
            }
        }
    }

    /// Starts a Map state written in JSONata: `Items` (or the input) as the items, each
    /// iteration's input from `ItemSelector` (over `$states`, with the item in
    /// `$states.context.Map.Item`), `MaxConcurrency` and the tolerated failures as numbers or
    /// expressions.
    fn start_map_jsonata(
        &mut self,
        thread: usize,
        map: &asl::model::MapState,
        input: Value,
        entropy: &mut dyn Entropy,
    ) -> Result<(), Failure> {
        if map.uses_s3 {
            return Err(super::s3_unsupported());
        }
        let fields = map.jsonata.clone().unwrap_or_default();
        // An ItemBatcher's BatchInput is evaluated over the state's input.
        let batch_source = map.item_batcher.is_some().then(|| input.clone());
        let states = self.states_binding(thread, None);
        let items = match &fields.items {
            Some(items) => {
                let value = self.jsonata_value(thread, items, "Items", &states, entropy)?;
                match value {
                    Value::Array(items) => items,
                    other => {
                        return Err(unexpected_type(items, "Items", "array", &other));
                    }
                }
            }
            None => match input {
                Value::Array(items) => items,
                other => {
                    return Err(Failure::new(
                        "States.QueryEvaluationError",
                        format!(
                            "Map state input must be an array but was: {}",
                            super::display_value(&other)
                        ),
                    ));
                }
            },
        };
        let mut number = |field: &str, value: &Option<Value>| -> Result<Option<f64>, Failure> {
            let Some(value) = value else {
                return Ok(None);
            };
            let result = self.jsonata_value(thread, value, field, &states, entropy)?;
            match result.as_f64() {
                Some(number) if number >= 0.0 => Ok(Some(number)),
                _ => Err(unexpected_type(value, field, "number", &result)),
            }
        };
        let max_concurrency =
            number("MaxConcurrency", &fields.max_concurrency)?.map_or(0, |value| value as usize);
        let tolerated_count = number("ToleratedFailureCount", &fields.tolerated_failure_count)?
            .map(|value| value as u64);
        let tolerated_percentage = number(
            "ToleratedFailurePercentage",
            &fields.tolerated_failure_percentage,
        )?;
        if tolerated_percentage.is_some_and(|value| value > 100.0) {
            return Err(Failure::new(
                "States.Runtime",
                "ToleratedFailurePercentage must be between 0 and 100.",
            ));
        }
        let mut inputs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            match &fields.item_selector {
                None => inputs.push(item.clone()),
                Some(selector) => {
                    let saved = self.threads[thread].map_item.take();
                    self.threads[thread].map_item = Some((index, item.clone()));
                    let states = self.states_binding(thread, None);
                    let value =
                        self.jsonata_value(thread, selector, "ItemSelector", &states, entropy);
                    self.threads[thread].map_item = saved;
                    inputs.push(value?);
                }
            }
        }
        let (items, inputs) = match &batch_source {
            Some(source) => self.batch(thread, map, source, items, inputs, entropy)?,
            None => (items, inputs),
        };
        let map_run = self.map_run_arn(thread, map, entropy);
        self.launch_batches(
            thread,
            items,
            inputs,
            (max_concurrency, tolerated_count, tolerated_percentage),
            map_run,
            map.item_batcher.is_some(),
        );
        Ok(())
    }

    /// A Wait state written in JSONata has waited: its `Output` (or its input) goes on.
    pub(super) fn finish_wait_jsonata(&mut self, thread: usize, entropy: &mut dyn Entropy) {
        let input = self.threads[thread].input.clone();
        let machine = Arc::clone(&self.threads[thread].machine);
        let assign = machine.states[self.threads[thread].state].assign.as_ref();
        let output = self
            .jsonata_output(thread, None, input, entropy)
            .and_then(|output| {
                self.stage_jsonata_assign(thread, assign, None, entropy)?;
                Ok(output)
            });
        match output {
            Ok(output) => {
                self.exit_and_go_on(thread, output);
                self.queue.push_back(thread);
            }
            Err(failure) => self.jsonata_failed(thread, failure, entropy),
        }
    }

    /// A Task state written in JSONata produced `result`: its `Output` over `$states.result`
    /// (or the result itself) goes on.
    pub(super) fn finish_work_jsonata(
        &mut self,
        thread: usize,
        result: Value,
        entropy: &mut dyn Entropy,
    ) {
        let machine = Arc::clone(&self.threads[thread].machine);
        let assign = machine.states[self.threads[thread].state].assign.as_ref();
        let output = self
            .jsonata_output(thread, Some(("result", &result)), result.clone(), entropy)
            .and_then(|output| {
                self.stage_jsonata_assign(thread, assign, Some(("result", &result)), entropy)?;
                Ok(output)
            });
        match output {
            Ok(output) => {
                let text = self.output_text(thread, &output);
                if text.len() > super::MAX_PAYLOAD_BYTES {
                    let t = &self.threads[thread];
                    let failure = Failure::new(
                        "States.DataLimitExceeded",
                        format!(
                            "The state/task '{}' returned a result with a size exceeding the \
                             maximum number of bytes service limit.",
                            t.machine.states[t.state].name
                        ),
                    );
                    return self.handle_failure(thread, failure, entropy);
                }
                let t = &self.threads[thread];
                let state = &t.machine.states[t.state];
                let (type_name, transition) = (state.kind.type_name(), state.transition);
                self.exit_state_with_text(thread, type_name, text);
                self.transition(thread, transition, output);
            }
            Err(failure) => self.jsonata_failed(thread, failure, entropy),
        }
    }

    /// A catcher of a state written in JSONata caught `error_output` (`Error`, `Cause`): its
    /// `Output` over `$states.errorOutput` (or the error output itself) goes to its `Next`.
    pub(super) fn catch_jsonata(
        &mut self,
        thread: usize,
        catcher: &Catcher,
        error_output: Value,
        type_name: &str,
        entropy: &mut dyn Entropy,
    ) {
        let output = match &catcher.output {
            Some(output) => {
                let states = self.states_binding(thread, Some(("errorOutput", &error_output)));
                self.jsonata_value(thread, output, "Output", &states, entropy)
            }
            None => Ok(error_output.clone()),
        }
        .and_then(|output| {
            let extra = Some(("errorOutput", &error_output));
            self.stage_jsonata_assign(thread, catcher.assign.as_ref(), extra, entropy)?;
            Ok(output)
        });
        match output {
            Ok(output) => {
                self.exit_state(thread, type_name, &output);
                self.go_to(thread, catcher.next, output);
                self.queue.push_back(thread);
            }
            Err(failure) => {
                // A catcher's own Output failing ends the thread, as a failing ResultPath does.
                let t = &self.threads[thread];
                let failure =
                    state_failure(&t.machine.states[t.state].name, t.entered_event, failure);
                self.finish_thread(thread, Err((Some(failure.error), Some(failure.cause))));
            }
        }
    }

    /// When a JSONata Wait ends: `Seconds` (a non-negative integer) from now, or `Timestamp`
    /// (an ISO-8601 string).
    fn wait_deadline(&self, field: &str, value: &Value) -> Result<i64, Failure> {
        let unexpected = |expected: &str| {
            Failure::new(
                "States.QueryEvaluationError",
                format!(
                    "The {field} field returned an unexpected result type. Expected '{expected}', \
                     but was '{}' for value: {value}",
                    type_name(value)
                ),
            )
        };
        if field == "Seconds" {
            let seconds = value
                .as_f64()
                .filter(|seconds| *seconds >= 0.0 && seconds.fract() == 0.0)
                .ok_or_else(|| unexpected("integer"))?;
            Ok(self
                .now
                .saturating_add((seconds as i64).saturating_mul(1000)))
        } else {
            value
                .as_str()
                .and_then(asl::choice::parse_timestamp)
                .map(|at| at.timestamp_millis())
                .ok_or_else(|| unexpected("timestamp"))
        }
    }
}

/// AWS's cause for a field whose expression gave a value of the wrong type.
pub(crate) fn unexpected_type(
    written: &Value,
    field: &str,
    expected: &str,
    value: &Value,
) -> Failure {
    let expression = match written {
        Value::String(text) => expression_of(text).unwrap_or(text).to_owned(),
        other => other.to_string(),
    };
    Failure::new(
        "States.QueryEvaluationError",
        format!(
            "The JSONata expression '{expression}' specified for the field '{field}' returned an \
             unexpected result type. Expected '{expected}', but was '{}' for value: {value}",
            type_name(value)
        ),
    )
}

/// The JSON type name AWS's causes use.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
