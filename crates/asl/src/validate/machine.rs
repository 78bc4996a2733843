//! The walk over a definition: the top level, every state, and the machines nested in Parallel
//! branches and Map processors, followed per machine by the graph checks (targets, terminal
//! state, reachability).

use std::collections::{HashSet, VecDeque};

use serde_json::{Map, Value};

use super::paths::{self, Roots};
use super::{Diagnostic, Kind, MAX_DEPTH, MachineType, Options, Severity, jsonata};

/// The query language a state is evaluated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    /// `JSONPath` (the default).
    JsonPath,
    /// `JSONata`.
    Jsonata,
}

impl Lang {
    fn name(self) -> &'static str {
        match self {
            Lang::JsonPath => "JSONPath",
            Lang::Jsonata => "JSONata",
        }
    }
}

/// Which query language a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    Both,
    JsonPath,
    Jsonata,
}

use Only::{Both, JsonPath as JP, Jsonata as JA};

/// The fields every state may have.
const COMMON_FIELDS: [(&str, Only); 3] =
    [("Type", Both), ("Comment", Both), ("QueryLanguage", Both)];

/// The state types, in the order AWS lists them in its message.
const STATE_TYPES: [&str; 8] = [
    "Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map",
];

/// The fields each state type allows besides [`COMMON_FIELDS`], and their query language.
fn type_fields(state_type: &str) -> &'static [(&'static str, Only)] {
    match state_type {
        "Pass" => &[
            ("Next", Both),
            ("End", Both),
            ("InputPath", JP),
            ("OutputPath", JP),
            ("Parameters", JP),
            ("Result", Both),
            ("ResultPath", JP),
            ("Assign", Both),
            ("Output", JA),
        ],
        "Task" => &[
            ("Next", Both),
            ("End", Both),
            ("Resource", Both),
            ("InputPath", JP),
            ("OutputPath", JP),
            ("Parameters", JP),
            ("ResultSelector", JP),
            ("ResultPath", JP),
            ("Arguments", JA),
            ("Output", JA),
            ("Assign", Both),
            ("Retry", Both),
            ("Catch", Both),
            ("TimeoutSeconds", Both),
            ("TimeoutSecondsPath", JP),
            ("HeartbeatSeconds", Both),
            ("HeartbeatSecondsPath", JP),
            ("Credentials", Both),
        ],
        "Choice" => &[
            ("Choices", Both),
            ("Default", Both),
            ("InputPath", JP),
            ("OutputPath", JP),
            ("Assign", Both),
            ("Output", JA),
        ],
        "Wait" => &[
            ("Next", Both),
            ("End", Both),
            ("Seconds", Both),
            ("Timestamp", Both),
            ("SecondsPath", JP),
            ("TimestampPath", JP),
            ("InputPath", JP),
            ("OutputPath", JP),
            ("Assign", Both),
            ("Output", JA),
        ],
        "Succeed" => &[("InputPath", JP), ("OutputPath", JP), ("Output", JA)],
        "Fail" => &[
            ("Error", Both),
            ("ErrorPath", JP),
            ("Cause", Both),
            ("CausePath", JP),
        ],
        "Parallel" => &[
            ("Next", Both),
            ("End", Both),
            ("Branches", Both),
            ("InputPath", JP),
            ("OutputPath", JP),
            ("Parameters", JP),
            ("ResultSelector", JP),
            ("ResultPath", JP),
            ("Arguments", JA),
            ("Output", JA),
            ("Assign", Both),
            ("Retry", Both),
            ("Catch", Both),
        ],
        "Map" => &[
            ("Next", Both),
            ("End", Both),
            ("ItemProcessor", Both),
            ("Iterator", Both),
            ("ItemsPath", JP),
            ("Items", JA),
            ("ItemSelector", Both),
            ("Parameters", JP),
            ("ItemReader", Both),
            ("ItemBatcher", Both),
            ("ResultWriter", Both),
            ("MaxConcurrency", Both),
            ("MaxConcurrencyPath", JP),
            ("ToleratedFailureCount", Both),
            ("ToleratedFailureCountPath", JP),
            ("ToleratedFailurePercentage", Both),
            ("ToleratedFailurePercentagePath", JP),
            ("Label", Both),
            ("InputPath", JP),
            ("OutputPath", JP),
            ("ResultSelector", JP),
            ("ResultPath", JP),
            ("Output", JA),
            ("Assign", Both),
            ("Retry", Both),
            ("Catch", Both),
        ],
        _ => &[],
    }
}

/// The largest number of seconds AWS accepts in Task timeouts and Wait.
const MAX_SECONDS: i64 = 99_999_999;

/// Where a nested machine sits, which decides the fields it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Root,
    Branch,
    Processor,
}

/// What the graph checks need to know about one state.
#[derive(Debug, Default)]
pub(super) struct StateInfo {
    /// `End: true`, Succeed or Fail.
    terminal: bool,
    /// Every state this one may transition to, with the location of the field naming it.
    pub(super) targets: Vec<(String, String)>,
}

/// The validator's working state: options, the diagnostics so far and the names seen.
pub(super) struct Checker<'o> {
    options: &'o Options,
    diagnostics: Vec<Diagnostic>,
    /// Every state name seen so far in the whole machine.
    names: HashSet<String>,
    /// The top-level QueryLanguage, inherited by every state that sets none (also inside
    /// Parallel branches and Map processors, whatever the enclosing state says).
    top_lang: Lang,
}

/// Validates a whole definition (a JSON object).
pub(super) fn check_definition(definition: &Value, options: &Options) -> Vec<Diagnostic> {
    let Some(object) = definition.as_object() else {
        return Vec::new();
    };
    let top_lang = match object.get("QueryLanguage") {
        Some(Value::String(text)) if text == "JSONata" => Lang::Jsonata,
        _ => Lang::JsonPath,
    };
    let mut checker = Checker {
        options,
        diagnostics: Vec::new(),
        names: HashSet::new(),
        top_lang,
    };
    checker.machine(object, "", Container::Root, 0);
    checker.diagnostics
}

/// The pointer of a field inside the object at `at`.
pub(super) fn field_at(at: &str, field: &str) -> String {
    format!("{at}/{field}")
}

/// The pointer of the object at `at`: `/` for the root.
pub(super) fn here(at: &str) -> String {
    if at.is_empty() {
        "/".to_owned()
    } else {
        at.to_owned()
    }
}

/// JSON type names as the messages print them.
pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

impl Checker<'_> {
    /// Records a diagnostic.
    pub(super) fn push(
        &mut self,
        kind: Kind,
        message: impl Into<String>,
        location: Option<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::error(kind.code(), message, location));
    }

    /// Records a warning.
    fn warn(&mut self, kind: Kind, message: String, location: &str) {
        self.diagnostics.push(Diagnostic {
            severity: Severity::Warning,
            code: kind.code(),
            message,
            location: Some(location.to_owned()),
        });
    }

    /// Records a `SCHEMA_VALIDATION_FAILED` at `location`.
    pub(super) fn schema(&mut self, message: impl Into<String>, location: String) {
        self.push(Kind::SchemaValidationFailed, message, Some(location));
    }

    /// Records a type mismatch (AWS's wording for it is not recorded; this follows the style
    /// of its `The field 'Type' should have one of these values` message).
    pub(super) fn wrong_type(&mut self, expected: &str, location: String) {
        let field = location.rsplit('/').next().unwrap_or_default();
        self.schema(
            format!("The field '{field}' should be of type {expected}"),
            location,
        );
    }

    /// `Field 'X' is not supported` (recorded wording).
    pub(super) fn unsupported(&mut self, field: &str, at: &str) {
        self.schema(format!("Field '{field}' is not supported"), here(at));
    }

    /// `These fields are required: [A, B]` for the missing ones among `fields` (recorded).
    pub(super) fn require(&mut self, object: &Map<String, Value>, fields: &[&str], at: &str) {
        let missing: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|field| !object.contains_key(*field))
            .collect();
        if !missing.is_empty() {
            self.schema(
                format!("These fields are required: [{}]", missing.join(", ")),
                here(at),
            );
        }
    }

    /// `There should only be one of the following fields: [A, B]` when more than one of
    /// `fields` is present (wording measured by others against AWS for Map fields).
    pub(super) fn at_most_one(&mut self, object: &Map<String, Value>, fields: &[&str], at: &str) {
        let present: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|field| object.contains_key(*field))
            .collect();
        if present.len() > 1 {
            self.schema(
                format!(
                    "There should only be one of the following fields: [{}]",
                    present.join(", ")
                ),
                here(at),
            );
        }
    }

    /// Checks that only `allowed` fields appear in `object`.
    pub(super) fn only_fields(&mut self, object: &Map<String, Value>, allowed: &[&str], at: &str) {
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) {
                self.unsupported(key, at);
            }
        }
    }

    /// A string field; `false` (after reporting) when it has another type.
    pub(super) fn string_field<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        field: &str,
        at: &str,
    ) -> Option<&'v str> {
        match object.get(field)? {
            Value::String(text) => Some(text),
            _ => {
                self.wrong_type("String", field_at(at, field));
                None
            }
        }
    }

    /// An integer field within `min..=max`.
    pub(super) fn integer_field(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        min: i64,
        max: i64,
        at: &str,
    ) -> Option<i64> {
        let value = object.get(field)?;
        let location = field_at(at, field);
        let Some(number) = value.as_i64().or_else(|| {
            // 5.0 is accepted as an integer, 5.5 is not.
            value
                .as_f64()
                .filter(|number| number.fract() == 0.0 && number.abs() < 9.0e15)
                .map(|number| number as i64)
        }) else {
            if value.is_u64() {
                self.schema(format!("Maximum value is {max}"), location);
            } else {
                self.wrong_type("Integer", location);
            }
            return None;
        };
        if number < min {
            self.schema(format!("Minimum value is {min}"), location);
            None
        } else if number > max {
            self.schema(format!("Maximum value is {max}"), location);
            None
        } else {
            Some(number)
        }
    }

    /// A number field within `min..=max` (messages print the bounds as decimals, as AWS does
    /// for ToleratedFailurePercentage).
    pub(super) fn number_field(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        min: f64,
        max: Option<f64>,
        at: &str,
    ) -> Option<f64> {
        let value = object.get(field)?;
        let location = field_at(at, field);
        let Some(number) = value.as_f64() else {
            self.wrong_type("Number", location);
            return None;
        };
        if number < min {
            self.schema(format!("Minimum value is {min:?}"), location);
            None
        } else if let Some(max) = max.filter(|max| number > *max) {
            self.schema(format!("Maximum value is {max:?}"), location);
            None
        } else {
            Some(number)
        }
    }

    /// A value that is a JSONata expression or literal of the field's type (JSONata-mode numbers,
    /// timestamps, ...): returns `true` when it was an expression (and checks it).
    pub(super) fn maybe_expression(&mut self, value: &Value, location: &str) -> bool {
        match value {
            Value::String(text) => match jsonata::shape(text) {
                jsonata::Shape::Literal => false,
                _ => {
                    self.jsonata_string(text, location);
                    true
                }
            },
            _ => false,
        }
    }

    /// Checks one string of a JSONata-mode field.
    pub(super) fn jsonata_string(&mut self, text: &str, location: &str) {
        match jsonata::shape(text) {
            jsonata::Shape::Literal => {}
            jsonata::Shape::BadSurround => self.push(
                Kind::InvalidJsonataExpression,
                "JSONata expressions must be written as \"{% <expression> %}\" on one line",
                Some(location.to_owned()),
            ),
            jsonata::Shape::Expression(expression) => {
                if let Err(message) = jsonata::check_expression(expression) {
                    self.push(
                        Kind::InvalidJsonataExpression,
                        message,
                        Some(location.to_owned()),
                    );
                }
            }
        }
    }

    /// Checks every string inside a JSONata-mode template (Output, Arguments, Assign, ...).
    /// Locations follow AWS's runtime locations: `/Output/a/b`, `[i]` for array elements.
    pub(super) fn jsonata_template(&mut self, value: &Value, location: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.too_deep(location);
            return;
        }
        match value {
            Value::String(text) => self.jsonata_string(text, location),
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.jsonata_template(item, &format!("{location}[{index}]"), depth + 1);
                }
            }
            Value::Object(object) => {
                for (key, item) in object {
                    self.jsonata_template(item, &field_at(location, key), depth + 1);
                }
            }
            _ => {}
        }
    }

    /// Checks a JSONPath-mode payload template (Parameters, ResultSelector, ItemSelector,
    /// Credentials, Assign): every key ending in `.$` holds a path or an intrinsic call, and no
    /// two keys of one object are the same once `.$` is dropped. AWS reports at the template's
    /// own field, not at the nested key (recorded: `/States/IntrinsicEscape/Parameters`).
    pub(super) fn payload_template(&mut self, value: &Value, field_location: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.too_deep(field_location);
            return;
        }
        match value {
            Value::Array(items) => {
                for item in items {
                    self.payload_template(item, field_location, depth + 1);
                }
            }
            Value::Object(object) => {
                let mut seen: HashSet<&str> = HashSet::new();
                for (key, item) in object {
                    let bare = key.strip_suffix(".$").unwrap_or(key);
                    if !seen.insert(bare) {
                        self.schema(
                            format!("The field '{bare}' is defined more than once (with and without '.$')"),
                            field_location.to_owned(),
                        );
                    }
                    if key.ends_with(".$") {
                        let valid = item.as_str().is_some_and(paths::is_path_or_call);
                        if !valid {
                            self.schema(
                                format!(
                                    "The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
                                ),
                                field_location.to_owned(),
                            );
                        }
                    } else {
                        if item.as_str().is_some_and(looks_like_path) {
                            self.warn(
                                Kind::NoDollar,
                                format!(
                                    "The value of the field '{key}' looks like a JSONPath, but the field name does not end with '.$', so it is used as a literal string"
                                ),
                                field_location,
                            );
                        }
                        self.payload_template(item, field_location, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    /// A template field in the state's query language.
    fn template_field(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        lang: Lang,
        at: &str,
        depth: usize,
    ) {
        let Some(value) = object.get(field) else {
            return;
        };
        let location = field_at(at, field);
        match lang {
            Lang::JsonPath => self.payload_template(value, &location, depth + 1),
            Lang::Jsonata => self.jsonata_template(value, &location, depth + 1),
        }
    }

    fn too_deep(&mut self, location: &str) {
        self.push(
            Kind::TooDeeplyNested,
            format!("The definition is nested more than {MAX_DEPTH} levels deep"),
            Some(location.to_owned()),
        );
    }

    /// A path field: a JSONPath (or, with `reference`, a reference path) from allowed roots.
    /// `null` is allowed where `nullable`.
    pub(super) fn path_field(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        reference: bool,
        roots: Roots,
        nullable: bool,
        at: &str,
    ) {
        let Some(value) = object.get(field) else {
            return;
        };
        let location = field_at(at, field);
        match value {
            Value::Null if nullable => {}
            Value::String(text) => {
                if reference {
                    if !paths::is_reference_path(text, roots) {
                        self.schema("Value is not a Reference Path", location);
                    }
                } else if !paths::is_path(text, roots) {
                    self.schema(
                        format!("The value for the field '{field}' must be a valid JSONPath"),
                        location,
                    );
                }
            }
            _ => self.wrong_type("String", location),
        }
    }

    /// A (sub-)machine: `StartAt` + `States`, then the graph checks.
    fn machine(
        &mut self,
        object: &Map<String, Value>,
        at: &str,
        container: Container,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            self.too_deep(&here(at));
            return;
        }
        let allowed: &[&str] = match container {
            Container::Root => &[
                "Comment",
                "StartAt",
                "States",
                "Version",
                "TimeoutSeconds",
                "QueryLanguage",
            ],
            Container::Branch => &["Comment", "StartAt", "States"],
            Container::Processor => &["Comment", "StartAt", "States", "ProcessorConfig"],
        };
        self.only_fields(object, allowed, at);
        self.require(object, &["States", "StartAt"], at);
        self.string_field(object, "Comment", at);
        if container == Container::Root {
            self.string_field(object, "Version", at);
            self.integer_field(object, "TimeoutSeconds", 0, MAX_SECONDS, at);
            if let Some(value) = object.get("QueryLanguage") {
                self.query_language_value(value, &field_at(at, "QueryLanguage"));
            }
        }
        if container == Container::Processor {
            self.processor_config(object, at);
        }
        let start_at = self.string_field(object, "StartAt", at);
        let Some(states_value) = object.get("States") else {
            return;
        };
        let Some(states) = states_value.as_object() else {
            self.wrong_type("Object", field_at(at, "States"));
            return;
        };
        let mut infos: Vec<(&String, StateInfo)> = Vec::new();
        for (name, state) in states {
            let state_at = format!("{at}/States/{name}");
            let n_chars = name.chars().count();
            if n_chars == 0 || n_chars > 80 {
                self.push(
                    Kind::InvalidStateName,
                    format!("State name '{name}' must be between 1 and 80 characters long"),
                    Some(state_at.clone()),
                );
            }
            if !self.names.insert(name.clone()) {
                self.push(
                    Kind::DuplicateStateName,
                    format!("Duplicate State name: {name}"),
                    Some(state_at.clone()),
                );
            }
            let info = self.state(state, &state_at, depth);
            infos.push((name, info));
        }
        self.graph(start_at, states, &infos, at);
    }

    /// Targets exist, some state ends the machine, and every state can be reached.
    fn graph(
        &mut self,
        start_at: Option<&str>,
        states: &Map<String, Value>,
        infos: &[(&String, StateInfo)],
        at: &str,
    ) {
        if let Some(start) = start_at
            && !states.contains_key(start)
        {
            self.push(
                Kind::MissingTransitionTarget,
                format!("Missing 'Next' target: {start}"),
                Some(field_at(at, "StartAt")),
            );
        }
        for (_, info) in infos {
            for (target, location) in &info.targets {
                if !states.contains_key(target) {
                    self.push(
                        Kind::MissingTransitionTarget,
                        format!("Missing 'Next' target: {target}"),
                        Some(location.clone()),
                    );
                }
            }
        }
        if !infos.iter().any(|(_, info)| info.terminal) {
            // AWS reports only this, without location, and skips the reachability walk.
            self.push(
                Kind::MissingEndState,
                "Workflow has no terminal state",
                None,
            );
            return;
        }
        let Some(start) = start_at.filter(|start| states.contains_key(*start)) else {
            return;
        };
        let mut reached: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<&str> = VecDeque::from([start]);
        reached.insert(start);
        while let Some(name) = queue.pop_front() {
            let Some((_, info)) = infos.iter().find(|(state, _)| state.as_str() == name) else {
                continue;
            };
            for (target, _) in &info.targets {
                if states.contains_key(target) && reached.insert(target.as_str()) {
                    queue.push_back(target.as_str());
                }
            }
        }
        for (name, _) in infos {
            if !reached.contains(name.as_str()) {
                self.push(
                    Kind::MissingTransitionTarget,
                    format!("State \"{name}\" is not reachable."),
                    Some(format!("{at}/States/{name}")),
                );
            }
        }
    }

    fn query_language_value(&mut self, value: &Value, location: &str) {
        if !matches!(value.as_str(), Some("JSONPath" | "JSONata")) {
            self.schema(
                "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]",
                location.to_owned(),
            );
        }
    }

    fn processor_config(&mut self, object: &Map<String, Value>, at: &str) {
        let Some(value) = object.get("ProcessorConfig") else {
            return;
        };
        let location = field_at(at, "ProcessorConfig");
        let Some(config) = value.as_object() else {
            self.wrong_type("Object", location);
            return;
        };
        self.only_fields(config, &["Mode", "ExecutionType"], &location);
        if let Some(mode) = self.string_field(config, "Mode", &location)
            && !matches!(mode, "INLINE" | "DISTRIBUTED")
        {
            self.schema(
                "The field 'Mode' should have one of these values: [INLINE, DISTRIBUTED]",
                field_at(&location, "Mode"),
            );
        }
        if let Some(execution_type) = self.string_field(config, "ExecutionType", &location)
            && !matches!(execution_type, "STANDARD" | "EXPRESS")
        {
            self.schema(
                "The field 'ExecutionType' should have one of these values: [STANDARD, EXPRESS]",
                field_at(&location, "ExecutionType"),
            );
        }
    }

    /// One state.
    fn state(&mut self, state: &Value, at: &str, depth: usize) -> StateInfo {
        let mut info = StateInfo::default();
        let Some(object) = state.as_object() else {
            self.wrong_type("Object", at.to_owned());
            return info;
        };
        let state_type = match object.get("Type") {
            None => None,
            Some(Value::String(name)) if STATE_TYPES.contains(&name.as_str()) => {
                Some(name.as_str())
            }
            Some(_) => {
                self.schema(
                    format!(
                        "The field 'Type' should have one of these values: [{}]",
                        STATE_TYPES.join(", ")
                    ),
                    field_at(at, "Type"),
                );
                None
            }
        };
        let lang = self.state_lang(object, at);
        let mut required: Vec<&str> = Vec::new();
        if !object.contains_key("Type") {
            required.push("Type");
        }
        match state_type {
            Some("Task") => required.push("Resource"),
            Some("Choice") => required.push("Choices"),
            Some("Parallel") => required.push("Branches"),
            _ => {}
        }
        if !required.is_empty() {
            self.require(object, &required, at);
        }
        self.string_field(object, "Comment", at);

        // Transitions, read for every state so that the graph checks stay quiet about states
        // whose Type is wrong.
        let has_flow = !matches!(state_type, Some("Choice" | "Succeed" | "Fail"));
        if let Some(next) = object.get("Next") {
            match next {
                Value::String(target) => info.targets.push((target.clone(), field_at(at, "Next"))),
                _ => self.wrong_type("String", field_at(at, "Next")),
            }
        }
        let end = match object.get("End") {
            Some(Value::Bool(end)) => *end,
            Some(_) => {
                self.wrong_type("Boolean", field_at(at, "End"));
                false
            }
            None => false,
        };
        info.terminal = end || matches!(state_type, Some("Succeed" | "Fail"));

        let Some(state_type) = state_type else {
            return info;
        };
        // Field sets.
        let fields = type_fields(state_type);
        for key in object.keys() {
            let only = COMMON_FIELDS
                .iter()
                .chain(fields.iter())
                .find(|(field, _)| field == key)
                .map(|(_, only)| *only);
            match only {
                None => self.unsupported(key, at),
                Some(Only::JsonPath) if lang == Lang::Jsonata => self.wrong_lang(key, lang, at),
                Some(Only::Jsonata) if lang == Lang::JsonPath => self.wrong_lang(key, lang, at),
                Some(_) => {}
            }
        }
        if has_flow {
            let has_next = object.contains_key("Next");
            if has_next && object.contains_key("End") {
                self.schema(
                    "There should only be one of the following fields: [Next, End]",
                    here(at),
                );
            } else if !has_next && !end {
                self.schema("One of these fields is required: [Next, End]", here(at));
            }
        }

        // Input and output (JSONPath).
        if lang == Lang::JsonPath {
            self.path_field(object, "InputPath", false, Roots::Any, true, at);
            self.path_field(object, "OutputPath", false, Roots::Any, true, at);
            self.path_field(object, "ResultPath", true, Roots::InputOnly, true, at);
            if matches!(state_type, "Pass" | "Task" | "Parallel") {
                self.template_field(object, "Parameters", lang, at, depth);
            }
            if matches!(state_type, "Task" | "Parallel" | "Map") {
                self.template_field(object, "ResultSelector", lang, at, depth);
            }
        } else {
            self.template_field(object, "Arguments", lang, at, depth);
            self.template_field(object, "Output", lang, at, depth);
        }
        self.assign(object, lang, at, depth);

        if state_type == "Pass"
            && lang == Lang::JsonPath
            && object
                .get("Result")
                .is_some_and(|result| has_dollar_key(result, 0))
        {
            self.warn(
                Kind::PassResultIsStatic,
                "The Pass state's Result has fields ending in '.$'; Result is static and they are not evaluated (use Parameters)".to_owned(),
                &field_at(at, "Result"),
            );
        }
        match state_type {
            "Task" => self.task(object, lang, at, depth),
            "Choice" => self.choice(object, lang, at, &mut info, depth),
            "Wait" => self.wait(object, lang, at),
            "Fail" => self.fail(object, lang, at),
            "Parallel" => self.parallel(object, at, depth),
            "Map" => self.map(object, lang, at, depth),
            _ => {}
        }
        if matches!(state_type, "Task" | "Parallel" | "Map") {
            self.retry(object, at);
            self.catch(object, lang, at, &mut info, depth);
        }
        info
    }

    /// The state's effective query language, checking its own `QueryLanguage`.
    fn state_lang(&mut self, object: &Map<String, Value>, at: &str) -> Lang {
        let Some(value) = object.get("QueryLanguage") else {
            return self.top_lang;
        };
        self.query_language_value(value, &field_at(at, "QueryLanguage"));
        match value.as_str() {
            Some("JSONPath") => {
                if self.top_lang == Lang::Jsonata {
                    self.schema(
                        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                        here(at),
                    );
                    return Lang::Jsonata;
                }
                Lang::JsonPath
            }
            Some("JSONata") => Lang::Jsonata,
            _ => self.top_lang,
        }
    }

    fn wrong_lang(&mut self, field: &str, lang: Lang, at: &str) {
        let other = match lang {
            Lang::JsonPath => Lang::Jsonata,
            Lang::Jsonata => Lang::JsonPath,
        };
        self.schema(
            format!(
                "The QueryLanguage is set to '{}', but field '{field}' is only supported for the '{}' QueryLanguage",
                lang.name(),
                other.name()
            ),
            here(at),
        );
    }

    /// `Assign`: an object; JSONPath `.$` keys hold paths or calls, JSONata strings may be
    /// expressions.
    fn assign(&mut self, object: &Map<String, Value>, lang: Lang, at: &str, depth: usize) {
        let Some(value) = object.get("Assign") else {
            return;
        };
        let location = field_at(at, "Assign");
        let Some(assignments) = value.as_object() else {
            self.wrong_type("Object", location);
            return;
        };
        for key in assignments.keys() {
            let name = key.strip_suffix(".$").unwrap_or(key);
            if name == "states" {
                self.schema("The variable name 'states' is reserved", location.clone());
            }
        }
        match lang {
            Lang::JsonPath => self.payload_template(value, &location, depth + 1),
            Lang::Jsonata => self.jsonata_template(value, &location, depth + 1),
        }
    }

    fn task(&mut self, object: &Map<String, Value>, lang: Lang, at: &str, depth: usize) {
        match object.get("Resource") {
            Some(Value::String(resource)) => self.resource(resource, &field_at(at, "Resource")),
            Some(value) if is_cloudformation_intrinsic(value) => {}
            Some(_) => self.wrong_type("String", field_at(at, "Resource")),
            None => {}
        }
        let timeout = self.seconds_pair(object, "TimeoutSeconds", 1, lang, at);
        let heartbeat = self.seconds_pair(object, "HeartbeatSeconds", 1, lang, at);
        if let (Some(timeout), Some(heartbeat)) = (timeout, heartbeat)
            && heartbeat >= timeout
        {
            self.schema(
                "HeartbeatSeconds must be smaller than TimeoutSeconds",
                field_at(at, "HeartbeatSeconds"),
            );
        }
        if let Some(value) = object.get("Credentials") {
            let location = field_at(at, "Credentials");
            match value.as_object() {
                None => self.wrong_type("Object", location),
                Some(credentials) => {
                    if !credentials.contains_key("RoleArn")
                        && !credentials.contains_key("RoleArn.$")
                    {
                        self.schema(
                            "The field 'RoleArn' is required but was missing",
                            location.clone(),
                        );
                    }
                    self.at_most_one(credentials, &["RoleArn", "RoleArn.$"], &location);
                    match lang {
                        Lang::JsonPath => self.payload_template(value, &location, depth + 1),
                        Lang::Jsonata => self.jsonata_template(value, &location, depth + 1),
                    }
                }
            }
        }
    }

    /// `<field>` and `<field>Path`: at most one; the number within range (JSONata: or an
    /// expression); the path a reference path. Returns the literal number.
    fn seconds_pair(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        min: i64,
        lang: Lang,
        at: &str,
    ) -> Option<i64> {
        let path_field = format!("{field}Path");
        self.at_most_one(object, &[field, &path_field], at);
        if lang == Lang::JsonPath {
            self.path_field(object, &path_field, true, Roots::Any, false, at);
        }
        let value = object.get(field)?;
        if lang == Lang::Jsonata && self.maybe_expression(value, &field_at(at, field)) {
            return None;
        }
        self.integer_field(object, field, min, MAX_SECONDS, at)
    }

    /// A Task `Resource`: a URI; Lambda function ARNs well formed; EXPRESS restrictions.
    fn resource(&mut self, resource: &str, location: &str) {
        if !is_resource_uri(resource) {
            self.push(
                Kind::InvalidResource,
                format!(
                    "The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
                ),
                Some(location.to_owned()),
            );
            return;
        }
        if self.options.machine_type == MachineType::Express {
            let parts: Vec<&str> = resource.split(':').collect();
            let service_action = parts.get(6).copied().unwrap_or("");
            if parts.get(2) == Some(&"states") && parts.get(5) == Some(&"activity") {
                self.schema(
                    "Express state machine does not support Activity ARN",
                    location.to_owned(),
                );
            } else if resource.ends_with(".waitForTaskToken") {
                // AWS's message ends with a space (recorded).
                self.schema(
                    "Express state machine does not support '.waitForTaskToken' service integration ",
                    location.to_owned(),
                );
            } else if service_action.contains(".sync") {
                self.schema(
                    "Express state machine does not support '.sync' service integration",
                    location.to_owned(),
                );
            }
        }
    }

    fn wait(&mut self, object: &Map<String, Value>, lang: Lang, at: &str) {
        let fields = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"];
        let present = fields
            .iter()
            .filter(|field| object.contains_key(**field))
            .count();
        if present == 0 {
            self.schema(
                "One of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath]",
                here(at),
            );
        }
        self.at_most_one(object, &fields, at);
        if lang == Lang::JsonPath {
            self.path_field(object, "SecondsPath", true, Roots::Any, false, at);
            self.path_field(object, "TimestampPath", true, Roots::Any, false, at);
        }
        if let Some(value) = object.get("Seconds")
            && !(lang == Lang::Jsonata && self.maybe_expression(value, &field_at(at, "Seconds")))
        {
            self.integer_field(object, "Seconds", 0, MAX_SECONDS, at);
        }
        if let Some(value) = object.get("Timestamp") {
            let location = field_at(at, "Timestamp");
            if !(lang == Lang::Jsonata && self.maybe_expression(value, &location)) {
                match value.as_str() {
                    None => self.wrong_type("String", location),
                    Some(text) if !super::rules::is_rfc3339(text) => {
                        self.schema("String does not match RFC3339 timestamp", location);
                    }
                    Some(_) => {}
                }
            }
        }
    }

    fn fail(&mut self, object: &Map<String, Value>, lang: Lang, at: &str) {
        for (field, path_field) in [("Error", "ErrorPath"), ("Cause", "CausePath")] {
            self.at_most_one(object, &[field, path_field], at);
            if let Some(value) = object.get(field) {
                let location = field_at(at, field);
                match value {
                    Value::String(text) if lang == Lang::Jsonata => {
                        self.jsonata_string(text, &location);
                    }
                    Value::String(_) => {}
                    _ => self.wrong_type("String", location),
                }
            }
            if lang == Lang::JsonPath
                && let Some(value) = object.get(path_field)
            {
                let valid = value
                    .as_str()
                    .is_some_and(|text| paths::is_path(text, Roots::Any) || paths::is_call(text));
                if !valid {
                    self.schema(
                        format!(
                            "The value for the field '{path_field}' must be a valid JSONPath or a valid intrinsic function call"
                        ),
                        field_at(at, path_field),
                    );
                }
            }
        }
    }

    fn parallel(&mut self, object: &Map<String, Value>, at: &str, depth: usize) {
        let Some(value) = object.get("Branches") else {
            return;
        };
        let location = field_at(at, "Branches");
        let Some(branches) = value.as_array() else {
            self.wrong_type("Array", location);
            return;
        };
        if branches.is_empty() {
            self.schema("Value cannot be empty", location);
            return;
        }
        for (index, branch) in branches.iter().enumerate() {
            let branch_at = format!("{location}[{index}]");
            match branch.as_object() {
                Some(branch) => self.machine(branch, &branch_at, Container::Branch, depth + 1),
                None => self.wrong_type("Object", branch_at),
            }
        }
    }

    fn map(&mut self, object: &Map<String, Value>, lang: Lang, at: &str, depth: usize) {
        // The processor: ItemProcessor, or the legacy Iterator.
        self.at_most_one(object, &["ItemProcessor", "Iterator"], at);
        if !object.contains_key("ItemProcessor") && !object.contains_key("Iterator") {
            self.schema("These fields are required: [ItemProcessor]", here(at));
        }
        for field in ["ItemProcessor", "Iterator"] {
            if let Some(value) = object.get(field) {
                let location = field_at(at, field);
                match value.as_object() {
                    Some(processor) => {
                        self.machine(processor, &location, Container::Processor, depth + 1);
                    }
                    None => self.wrong_type("Object", location),
                }
            }
        }
        // Items.
        self.at_most_one(object, &["ItemsPath", "Items"], at);
        self.at_most_one(object, &["ItemSelector", "Parameters"], at);
        match lang {
            Lang::JsonPath => {
                self.path_field(object, "ItemsPath", true, Roots::Any, false, at);
                self.template_field(object, "ItemSelector", lang, at, depth);
                self.template_field(object, "Parameters", lang, at, depth);
            }
            Lang::Jsonata => {
                if let Some(items) = object.get("Items") {
                    let location = field_at(at, "Items");
                    match items {
                        Value::Array(_) => self.jsonata_template(items, &location, depth + 1),
                        Value::String(text) if jsonata::shape(text) != jsonata::Shape::Literal => {
                            self.jsonata_string(text, &location);
                        }
                        _ => self.wrong_type("Array", location),
                    }
                }
                self.template_field(object, "ItemSelector", lang, at, depth);
            }
        }
        // Numbers and their paths.
        self.map_number(object, "MaxConcurrency", 0.0, None, true, lang, at);
        self.map_number(object, "ToleratedFailureCount", 0.0, None, true, lang, at);
        self.map_number(
            object,
            "ToleratedFailurePercentage",
            0.0,
            Some(100.0),
            false,
            lang,
            at,
        );
        if let Some(label) = self.string_field(object, "Label", at) {
            self.label(label, &field_at(at, "Label"));
        }
        self.item_reader(object, lang, at, depth);
        self.item_batcher(object, lang, at, depth);
        self.result_writer(object, lang, at, depth);
    }

    /// A Map number field and its `…Path` twin (which may not read the Context object).
    #[allow(clippy::too_many_arguments)] // One call per field; a struct would only rename them.
    fn map_number(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        min: f64,
        max: Option<f64>,
        integer: bool,
        lang: Lang,
        at: &str,
    ) {
        let path_field = format!("{field}Path");
        self.at_most_one(object, &[field, &path_field], at);
        if lang == Lang::JsonPath {
            self.path_field(object, &path_field, true, Roots::NoContext, false, at);
        }
        let Some(value) = object.get(field) else {
            return;
        };
        if lang == Lang::Jsonata && self.maybe_expression(value, &field_at(at, field)) {
            return;
        }
        if integer {
            self.integer_field(object, field, min as i64, i64::from(i32::MAX), at);
        } else {
            self.number_field(object, field, min, max, at);
        }
    }

    /// A Map `Label`: 1 to 40 characters, none of them forbidden.
    fn label(&mut self, label: &str, location: &str) {
        let message = if label.is_empty() {
            Some("Label cannot be empty".to_owned())
        } else if label.chars().count() > 40 {
            Some("Label cannot exceed 40 characters".to_owned())
        } else {
            label
                .chars()
                .find(|c| is_forbidden_label_char(*c))
                .map(|c| format!("Label contains invalid character: {}", python_repr(c)))
        };
        if let Some(message) = message {
            self.push(Kind::InvalidLabelName, message, Some(location.to_owned()));
        }
    }

    fn item_reader(&mut self, object: &Map<String, Value>, lang: Lang, at: &str, depth: usize) {
        let Some(value) = object.get("ItemReader") else {
            return;
        };
        let location = field_at(at, "ItemReader");
        let Some(reader) = value.as_object() else {
            self.wrong_type("Object", location);
            return;
        };
        self.resource_config(reader, "ReaderConfig", lang, &location, depth);
        if let Some(config_value) = reader.get("ReaderConfig") {
            let config_at = field_at(&location, "ReaderConfig");
            match config_value.as_object() {
                None => self.wrong_type("Object", config_at),
                Some(config) => {
                    self.only_fields(
                        config,
                        &[
                            "InputType",
                            "CSVHeaderLocation",
                            "CSVHeaders",
                            "CSVDelimiter",
                            "MaxItems",
                            "MaxItemsPath",
                            "ManifestType",
                        ],
                        &config_at,
                    );
                    self.at_most_one(config, &["MaxItems", "MaxItemsPath"], &config_at);
                    if lang == Lang::JsonPath {
                        self.path_field(
                            config,
                            "MaxItemsPath",
                            true,
                            Roots::NoContext,
                            false,
                            &config_at,
                        );
                    }
                    if let Some(max_items) = config.get("MaxItems")
                        && !(lang == Lang::Jsonata
                            && self.maybe_expression(max_items, &field_at(&config_at, "MaxItems")))
                    {
                        self.integer_field(config, "MaxItems", 0, 100_000_000, &config_at);
                    }
                }
            }
        }
    }

    fn result_writer(&mut self, object: &Map<String, Value>, lang: Lang, at: &str, depth: usize) {
        let Some(value) = object.get("ResultWriter") else {
            return;
        };
        let location = field_at(at, "ResultWriter");
        match value.as_object() {
            None => self.wrong_type("Object", location),
            Some(writer) => self.resource_config(writer, "WriterConfig", lang, &location, depth),
        }
    }

    /// The common shape of ItemReader and ResultWriter: Resource, Parameters|Arguments and a
    /// config object.
    fn resource_config(
        &mut self,
        object: &Map<String, Value>,
        config: &str,
        lang: Lang,
        at: &str,
        depth: usize,
    ) {
        self.only_fields(object, &["Resource", "Parameters", "Arguments", config], at);
        if let Some(resource) = self.string_field(object, "Resource", at)
            && !is_resource_uri(resource)
        {
            self.push(
                Kind::InvalidResource,
                format!(
                    "The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
                ),
                Some(field_at(at, "Resource")),
            );
        }
        for (field, only) in [("Parameters", Lang::JsonPath), ("Arguments", Lang::Jsonata)] {
            if object.contains_key(field) {
                if lang == only {
                    self.template_field(object, field, lang, at, depth);
                } else {
                    self.wrong_lang(field, lang, at);
                }
            }
        }
    }

    fn item_batcher(&mut self, object: &Map<String, Value>, lang: Lang, at: &str, depth: usize) {
        let Some(value) = object.get("ItemBatcher") else {
            return;
        };
        let location = field_at(at, "ItemBatcher");
        let Some(batcher) = value.as_object() else {
            self.wrong_type("Object", location);
            return;
        };
        self.only_fields(
            batcher,
            &[
                "MaxItemsPerBatch",
                "MaxItemsPerBatchPath",
                "MaxInputBytesPerBatch",
                "MaxInputBytesPerBatchPath",
                "BatchInput",
            ],
            &location,
        );
        for (field, max) in [
            ("MaxItemsPerBatch", i64::from(i32::MAX)),
            ("MaxInputBytesPerBatch", 262_144),
        ] {
            let path_field = format!("{field}Path");
            self.at_most_one(batcher, &[field, &path_field], &location);
            if batcher.contains_key(&path_field) {
                if lang == Lang::JsonPath {
                    self.path_field(
                        batcher,
                        &path_field,
                        true,
                        Roots::NoContext,
                        false,
                        &location,
                    );
                } else {
                    self.wrong_lang(&path_field, lang, &location);
                }
            }
            if let Some(number) = batcher.get(field)
                && !(lang == Lang::Jsonata
                    && self.maybe_expression(number, &field_at(&location, field)))
            {
                self.integer_field(batcher, field, 0, max, &location);
            }
        }
        self.template_field(batcher, "BatchInput", lang, &location, depth);
    }

    fn retry(&mut self, object: &Map<String, Value>, at: &str) {
        let Some(value) = object.get("Retry") else {
            return;
        };
        let location = field_at(at, "Retry");
        let Some(retriers) = value.as_array() else {
            self.wrong_type("Array", location);
            return;
        };
        let n_retriers = retriers.len();
        for (index, retrier) in retriers.iter().enumerate() {
            let retrier_at = format!("{location}[{index}]");
            let Some(retrier) = retrier.as_object() else {
                self.wrong_type("Object", retrier_at);
                continue;
            };
            self.only_fields(
                retrier,
                &[
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ],
                &retrier_at,
            );
            self.require(retrier, &["ErrorEquals"], &retrier_at);
            self.error_equals(retrier, index + 1 == n_retriers, "retrier", &retrier_at);
            self.string_field(retrier, "Comment", &retrier_at);
            self.integer_field(retrier, "IntervalSeconds", 1, MAX_SECONDS, &retrier_at);
            self.integer_field(retrier, "MaxAttempts", 0, MAX_SECONDS, &retrier_at);
            self.number_field(retrier, "BackoffRate", 1.0, None, &retrier_at);
            self.integer_field(retrier, "MaxDelaySeconds", 1, 31_622_400, &retrier_at);
            if let Some(strategy) = self.string_field(retrier, "JitterStrategy", &retrier_at)
                && !matches!(strategy, "FULL" | "NONE")
            {
                self.schema(
                    "The field 'JitterStrategy' should have one of these values: [FULL, NONE]",
                    field_at(&retrier_at, "JitterStrategy"),
                );
            }
        }
    }

    fn catch(
        &mut self,
        object: &Map<String, Value>,
        lang: Lang,
        at: &str,
        info: &mut StateInfo,
        depth: usize,
    ) {
        let Some(value) = object.get("Catch") else {
            return;
        };
        let location = field_at(at, "Catch");
        let Some(catchers) = value.as_array() else {
            self.wrong_type("Array", location);
            return;
        };
        let n_catchers = catchers.len();
        for (index, catcher) in catchers.iter().enumerate() {
            let catcher_at = format!("{location}[{index}]");
            let Some(catcher) = catcher.as_object() else {
                self.wrong_type("Object", catcher_at);
                continue;
            };
            for key in catcher.keys() {
                let only = match key.as_str() {
                    "ErrorEquals" | "Next" | "Comment" | "Assign" => Some(Only::Both),
                    "ResultPath" => Some(Only::JsonPath),
                    "Output" => Some(Only::Jsonata),
                    _ => None,
                };
                match only {
                    None => self.unsupported(key, &catcher_at),
                    Some(Only::JsonPath) if lang == Lang::Jsonata => {
                        self.wrong_lang(key, lang, &catcher_at);
                    }
                    Some(Only::Jsonata) if lang == Lang::JsonPath => {
                        self.wrong_lang(key, lang, &catcher_at);
                    }
                    Some(_) => {}
                }
            }
            self.require(catcher, &["ErrorEquals", "Next"], &catcher_at);
            self.error_equals(catcher, index + 1 == n_catchers, "catcher", &catcher_at);
            self.string_field(catcher, "Comment", &catcher_at);
            if let Some(next) = self.string_field(catcher, "Next", &catcher_at) {
                info.targets
                    .push((next.to_owned(), field_at(&catcher_at, "Next")));
            }
            if lang == Lang::JsonPath {
                self.path_field(
                    catcher,
                    "ResultPath",
                    true,
                    Roots::InputOnly,
                    true,
                    &catcher_at,
                );
            } else {
                self.template_field(catcher, "Output", lang, &catcher_at, depth);
            }
            self.assign(catcher, lang, &catcher_at, depth);
        }
    }

    /// `ErrorEquals`: a non-empty array of strings; `States.ALL` alone and in the last
    /// retrier/catcher.
    fn error_equals(&mut self, object: &Map<String, Value>, is_last: bool, what: &str, at: &str) {
        let Some(value) = object.get("ErrorEquals") else {
            return;
        };
        let location = field_at(at, "ErrorEquals");
        let Some(errors) = value.as_array() else {
            self.wrong_type("Array", location);
            return;
        };
        if errors.is_empty() {
            self.schema("Value cannot be empty", location);
            return;
        }
        let mut has_all = false;
        for (index, error) in errors.iter().enumerate() {
            match error.as_str() {
                Some("States.ALL") => has_all = true,
                Some(_) => {}
                None => self.wrong_type("String", format!("{location}[{index}]")),
            }
        }
        if has_all && errors.len() > 1 {
            self.schema(
                "States.ALL must appear alone in ErrorEquals",
                location.clone(),
            );
        }
        if has_all && !is_last {
            self.schema(
                format!("A {what} with States.ALL must be the last one"),
                location,
            );
        }
    }

    /// The Choice state: its rules (in [`super::rules`]) and Default.
    fn choice(
        &mut self,
        object: &Map<String, Value>,
        lang: Lang,
        at: &str,
        info: &mut StateInfo,
        depth: usize,
    ) {
        if let Some(value) = object.get("Choices") {
            let location = field_at(at, "Choices");
            match value.as_array() {
                None => self.wrong_type("Array", location),
                Some(rules) if rules.is_empty() => self.schema("Value cannot be empty", location),
                Some(rules) => {
                    for (index, rule) in rules.iter().enumerate() {
                        let rule_at = format!("{location}[{index}]");
                        self.top_rule(rule, lang, &rule_at, info, depth);
                    }
                }
            }
        }
        if let Some(default) = self.string_field(object, "Default", at) {
            info.targets
                .push((default.to_owned(), field_at(at, "Default")));
        }
    }

    /// One top-level Choice rule: the rule itself plus `Next`, `Assign`, `Output`.
    fn top_rule(&mut self, rule: &Value, lang: Lang, at: &str, info: &mut StateInfo, depth: usize) {
        let Some(object) = rule.as_object() else {
            self.wrong_type("Object", at.to_owned());
            return;
        };
        self.require(object, &["Next"], at);
        if let Some(next) = self.string_field(object, "Next", at) {
            info.targets.push((next.to_owned(), field_at(at, "Next")));
        }
        self.assign(object, lang, at, depth);
        match lang {
            Lang::JsonPath => self.rule(object, true, at, depth),
            Lang::Jsonata => self.jsonata_rule(object, at, depth),
        }
    }

    fn jsonata_rule(&mut self, object: &Map<String, Value>, at: &str, depth: usize) {
        for key in object.keys() {
            match key.as_str() {
                "Condition" | "Next" | "Comment" | "Assign" | "Output" => {}
                other if super::rules::is_jsonpath_rule_field(other) => {
                    self.wrong_lang(other, Lang::Jsonata, at);
                }
                other => self.unsupported(other, at),
            }
        }
        self.require(object, &["Condition"], at);
        self.string_field(object, "Comment", at);
        if let Some(condition) = object.get("Condition") {
            let location = field_at(at, "Condition");
            match condition {
                Value::Bool(_) => {}
                Value::String(text) => self.jsonata_string(text, &location),
                _ => self.wrong_type("String", location),
            }
        }
        self.template_field(object, "Output", Lang::Jsonata, at, depth);
    }
}

/// True when `resource` is an acceptable Task/ItemReader/ResultWriter `Resource`.
///
/// AWS accepts any URI here at the schema level (statelint's fixtures use `foo:bar`), then
/// checks what it can recognise. A whole-string CloudFormation placeholder such as
/// `${lambdaArn}` is accepted too: CloudFormation/SAM substitute it before AWS sees the
/// definition (`DefinitionSubstitutions`), and the asl-validator corpus treats it as valid.
fn is_resource_uri(resource: &str) -> bool {
    if resource.len() > 3
        && resource.starts_with("${")
        && resource.ends_with('}')
        && !resource[2..resource.len() - 1].contains(['{', '}'])
    {
        return true;
    }
    let Some((scheme, rest)) = resource.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() || resource.chars().any(char::is_whitespace) {
        return false;
    }
    let parts: Vec<&str> = resource.split(':').collect();
    if parts.first() == Some(&"arn")
        && parts.get(2) == Some(&"lambda")
        && parts.get(5) == Some(&"function")
    {
        return is_lambda_function(&parts[6..]);
    }
    true
}

/// True for a CloudFormation intrinsic such as `{"Ref": "Fn"}` or `{"Fn::GetAtt": [...]}`
/// standing for a `Resource`: CloudFormation resolves it before AWS sees the definition, and
/// the asl-validator corpus accepts it (`valid-task-intrisic-function.json`).
fn is_cloudformation_intrinsic(value: &Value) -> bool {
    value.as_object().is_some_and(|object| {
        object.len() == 1
            && object
                .keys()
                .all(|key| key == "Ref" || key.starts_with("Fn::"))
    })
}

/// `<name>[:<qualifier>]` of a Lambda function ARN: the name 1–64 of `[A-Za-z0-9-_]`, the
/// qualifier `$LATEST` or 1–128 of `[A-Za-z0-9-_]`.
fn is_lambda_function(parts: &[&str]) -> bool {
    let word = |text: &str, max: usize| {
        !text.is_empty()
            && text.len() <= max
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    match parts {
        [name] => word(name, 64),
        [name, qualifier] => word(name, 64) && (*qualifier == "$LATEST" || word(qualifier, 128)),
        _ => false,
    }
}

/// The characters AWS refuses in names and labels: blanks, brackets, wildcards, special
/// characters and control characters.
fn is_forbidden_label_char(c: char) -> bool {
    c.is_whitespace()
        || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
        || ('\u{0}'..='\u{1f}').contains(&c)
        || ('\u{7f}'..='\u{9f}').contains(&c)
}

/// How AWS's message quotes a character (the recorded messages use Python's `repr`).
fn python_repr(c: char) -> String {
    match c {
        '\n' => "'\\n'".to_owned(),
        '\r' => "'\\r'".to_owned(),
        '\t' => "'\\t'".to_owned(),
        '\\' => "'\\\\'".to_owned(),
        '\'' => "\"'\"".to_owned(),
        c if (c as u32) < 0x20 || (0x7f..=0xa0).contains(&(c as u32)) => {
            format!("'\\x{:02x}'", c as u32)
        }
        c => format!("'{c}'"),
    }
}

/// True for a literal that reads like a JSONPath (`$`, `$.x`, `$$.x`, `$[0]`).
fn looks_like_path(text: &str) -> bool {
    text == "$"
        || text == "$$"
        || ["$.", "$[", "$$.", "$$["]
            .iter()
            .any(|prefix| text.starts_with(prefix))
}

/// True when `value` holds, at any depth, an object key ending in `.$`.
fn has_dollar_key(value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Value::Object(object) => object
            .iter()
            .any(|(key, item)| key.ends_with(".$") || has_dollar_key(item, depth + 1)),
        Value::Array(items) => items.iter().any(|item| has_dollar_key(item, depth + 1)),
        _ => false,
    }
}
