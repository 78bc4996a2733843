//! Loading: YAML or JSON text into a JSON value, with a line and column for every node.
//!
//! YAML goes through `saphyr-parser`'s event stream straight into `serde_json::Value` (no
//! intermediate YAML tree), which lets the loader bound the nesting depth and the expansion of
//! aliases itself: no input makes it recurse without limit or panic. CloudFormation's short-form
//! tags become their long forms as they are read (`!GetAtt Role.Arn` is
//! `{"Fn::GetAtt": ["Role", "Arn"]}`), so later stages see one shape only. Scalars follow the
//! YAML 1.2 core schema (saphyr's resolution): `Version: 1.10` is the number 1.1 and `yes` is a
//! string, which the loader points out in warnings because CloudFormation's own reader differs
//! on some of them; quoting a value keeps it a string everywhere.
//!
//! JSON templates are read by `serde_json` (the value), then by the YAML reader for positions
//! only (JSON is YAML 1.2 for everything templates hold).

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr::{Scalar, ScalarStyle, Tag};
use saphyr_parser::{Event, Parser, Span, SpannedEventReceiver};
use serde_json::{Map, Number, Value};

use crate::diagnostic::{Diagnostic, Location, Severity, child};

/// The deepest nesting a template may have (serde_json's own limit for JSON text).
pub const MAX_DEPTH: usize = 128;

/// The largest template CloudFormation accepts, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;

/// How many nodes aliases (`*anchor`) may copy in all, against "billion laughs" documents.
const ALIAS_BUDGET: usize = 100_000;

/// A loaded document: its JSON value and where each of its nodes was written.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The file name used in diagnostics.
    pub file: String,
    /// The document, with CloudFormation's short forms turned into long forms.
    pub value: Value,
    /// JSON pointer → where the value starts.
    locations: HashMap<String, Location>,
    /// JSON pointer → where the key naming the value starts (mapping entries only).
    key_locations: HashMap<String, Location>,
}

impl Document {
    /// A document with no known positions (values built in memory).
    pub fn unlocated(file: impl Into<String>, value: Value) -> Self {
        Document {
            file: file.into(),
            value,
            ..Document::default()
        }
    }

    /// Where the value at `pointer` starts; for a value the loader did not see (one the SAM
    /// transform made), where its nearest located ancestor starts; 1:1 without any.
    pub fn locate(&self, pointer: &str) -> Location {
        let mut current = pointer;
        loop {
            if let Some(location) = self.locations.get(current) {
                return *location;
            }
            match current.rfind('/') {
                Some(index) => current = &current[..index],
                None => return Location { line: 1, column: 1 },
            }
        }
    }

    /// Where the key of the mapping entry at `pointer` starts (the value's own position when it
    /// has no key, such as a list item).
    pub fn locate_key(&self, pointer: &str) -> Location {
        match self.key_locations.get(pointer) {
            Some(location) => *location,
            None => self.locate(pointer),
        }
    }

    /// Makes the values under `to` (and `to` itself) report the positions of those under `from`:
    /// the SAM transform moves a property (`Logging` → `LoggingConfiguration`) and errors about
    /// the moved value must still point at what the user wrote.
    pub(crate) fn copy_locations(&mut self, from: &str, to: &str) {
        let prefix = format!("{from}/");
        let copied: Vec<(String, Location)> = self
            .locations
            .iter()
            .filter(|(pointer, _)| pointer.as_str() == from || pointer.starts_with(&prefix))
            .map(|(pointer, location)| (format!("{to}{}", &pointer[from.len()..]), *location))
            .collect();
        let copied_keys: Vec<(String, Location)> = self
            .key_locations
            .iter()
            .filter(|(pointer, _)| pointer.as_str() == from || pointer.starts_with(&prefix))
            .map(|(pointer, location)| (format!("{to}{}", &pointer[from.len()..]), *location))
            .collect();
        self.locations.extend(copied);
        self.key_locations.extend(copied_keys);
    }
}

/// Loads a template (or a definition file) from text: JSON when it starts with `{` or `[`, YAML
/// otherwise. Returns the document when it could be read, and every problem found (warnings for
/// YAML caveats may come with a document).
pub fn load(file: &str, text: &str) -> (Option<Document>, Vec<Diagnostic>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let problem = |location: Location, message: String| Diagnostic {
        severity: Severity::Error,
        file: file.to_owned(),
        location,
        pointer: String::new(),
        message,
    };
    if text.len() > MAX_TEMPLATE_BYTES {
        let message = format!(
            "Template may not exceed {MAX_TEMPLATE_BYTES} bytes in size (it has {})",
            text.len()
        );
        return (
            None,
            vec![problem(Location { line: 1, column: 1 }, message)],
        );
    }
    if text.trim_start().starts_with(['{', '[']) {
        return match serde_json::from_str::<Value>(text) {
            Ok(value) => {
                // Positions only: the value is serde_json's.
                let (located, _) = load_yaml(file, text);
                let mut document = located.unwrap_or_default();
                document.file = file.to_owned();
                document.value = value;
                (Some(document), Vec::new())
            }
            Err(error) => {
                let location = Location {
                    line: error.line().max(1),
                    column: error.column().max(1),
                };
                let message = error.to_string();
                let message = match message.rfind(" at line ") {
                    Some(index) => message[..index].to_owned(),
                    None => message,
                };
                (
                    None,
                    vec![problem(
                        location,
                        format!("the JSON does not parse: {message}"),
                    )],
                )
            }
        };
    }
    load_yaml(file, text)
}

fn load_yaml(file: &str, text: &str) -> (Option<Document>, Vec<Diagnostic>) {
    let mut builder = Builder::default();
    // The events are pulled one by one: `Parser::load` recurses once per nesting level, which
    // a deep enough document turns into a stack overflow.
    for event in Parser::new_from_str(text) {
        match event {
            Ok((event, span)) => builder.on_event(event, span),
            Err(error) => {
                let marker = error.marker();
                builder.problem(
                    Location {
                        line: marker.line().max(1),
                        column: marker.col() + 1,
                    },
                    format!("the YAML does not parse: {}", error.info()),
                );
            }
        }
        if builder.stopped {
            break;
        }
    }
    let diagnostics: Vec<Diagnostic> = builder
        .problems
        .iter()
        .map(|(severity, location, message)| Diagnostic {
            severity: *severity,
            file: file.to_owned(),
            location: *location,
            pointer: String::new(),
            message: message.clone(),
        })
        .collect();
    let has_errors = diagnostics
        .iter()
        .any(|item| item.severity == Severity::Error);
    let document = match builder.root {
        Some(value) if !has_errors => Some(Document {
            file: file.to_owned(),
            value,
            locations: builder.locations,
            key_locations: builder.key_locations,
        }),
        _ => None,
    };
    if document.is_none() && !has_errors {
        let empty = Diagnostic {
            severity: Severity::Error,
            file: file.to_owned(),
            location: Location { line: 1, column: 1 },
            pointer: String::new(),
            message: "the template is empty".to_owned(),
        };
        return (None, vec![empty]);
    }
    (document, diagnostics)
}

/// A collection being read.
#[derive(Debug)]
enum Container {
    Sequence(Vec<Value>),
    /// The entries so far, and the key waiting for its value.
    Mapping(Map<String, Value>, Option<String>),
}

#[derive(Debug)]
struct Frame {
    container: Container,
    /// The pointer of the collection's own content (inside the long form when tagged).
    pointer: String,
    /// Where the collection sits in its parent (its slot), to insert it when it ends.
    anchor: usize,
    /// The long form to wrap the collection in when it ends (`Fn::Join` for `!Join [...]`).
    intrinsic: Option<&'static str>,
}

/// The event receiver that builds the JSON value.
#[derive(Debug, Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    documents: usize,
    anchors: HashMap<usize, Value>,
    aliased_nodes: usize,
    locations: HashMap<String, Location>,
    key_locations: HashMap<String, Location>,
    problems: Vec<(Severity, Location, String)>,
    /// Set after an error that leaves the tree unusable: the rest of the stream is only parsed.
    stopped: bool,
}

/// Where the next node goes.
enum Slot {
    Root,
    Item(String),
    Key,
    Value(String),
}

impl Builder {
    fn problem(&mut self, location: Location, message: String) {
        self.problems.push((Severity::Error, location, message));
        self.stopped = true;
    }

    fn warning(&mut self, location: Location, message: String) {
        self.problems.push((Severity::Warning, location, message));
    }

    fn slot(&self) -> Slot {
        match self.stack.last() {
            None => Slot::Root,
            Some(frame) => match &frame.container {
                Container::Sequence(items) => {
                    Slot::Item(child(&frame.pointer, &items.len().to_string()))
                }
                Container::Mapping(_, None) => Slot::Key,
                Container::Mapping(_, Some(key)) => Slot::Value(child(&frame.pointer, key)),
            },
        }
    }

    /// Puts a finished node in its parent (or makes it the document).
    fn insert(&mut self, value: Value, anchor: usize, location: Location) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_some() {
                    self.problem(
                        location,
                        "a template holds one YAML document, this one has more".into(),
                    );
                } else {
                    self.root = Some(value);
                }
            }
            Some(frame) => match &mut frame.container {
                Container::Sequence(items) => items.push(value),
                Container::Mapping(entries, key) => {
                    if let Some(key) = key.take() {
                        entries.insert(key, value);
                    }
                }
            },
        }
    }

    /// Takes a scalar (or an alias) read where a mapping key is expected.
    fn key(&mut self, key: Value, location: Location) {
        let text = match key {
            Value::String(text) => text,
            Value::Null => "null".to_owned(),
            Value::Bool(flag) => flag.to_string(),
            Value::Number(number) => number.to_string(),
            Value::Array(_) | Value::Object(_) => {
                self.problem(
                    location,
                    "a mapping key must be a plain value, not a list or a mapping".into(),
                );
                return;
            }
        };
        let Some(frame) = self.stack.last_mut() else {
            return;
        };
        let pointer = child(&frame.pointer, &text);
        if let Container::Mapping(entries, pending) = &mut frame.container {
            if entries.contains_key(&text) {
                let message = format!("the key '{text}' appears twice in this mapping");
                self.problem(location, message);
                return;
            }
            *pending = Some(text);
        }
        self.key_locations.insert(pointer, location);
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
        location: Location,
    ) {
        let intrinsic = match tag.as_deref() {
            Some(tag) if !tag.is_yaml_core_schema() => match intrinsic_name(tag) {
                Ok(name) => Some(name),
                Err(message) => return self.problem(location, message),
            },
            _ => None,
        };
        let core_tag = tag.as_ref().filter(|tag| tag.is_yaml_core_schema());
        let Some(scalar) = Scalar::parse_from_cow_and_metadata(text.clone(), style, core_tag)
        else {
            let tag = core_tag
                .map(|tag| format!("{}{}", tag.handle, tag.suffix))
                .unwrap_or_default();
            return self.problem(location, format!("'{text}' cannot be read as {tag}"));
        };
        let value = match scalar {
            Scalar::Null => Value::Null,
            Scalar::Boolean(flag) => Value::Bool(flag),
            Scalar::Integer(number) => Value::Number(number.into()),
            Scalar::FloatingPoint(number) => match Number::from_f64(number.into_inner()) {
                Some(number) => Value::Number(number),
                None => Value::String(text.to_string()),
            },
            Scalar::String(text) => Value::String(text.into_owned()),
        };
        if style == ScalarStyle::Plain && tag.is_none() {
            self.caveats(&text, &value, location);
        }
        let slot = self.slot();
        if let Slot::Key = slot {
            if intrinsic.is_some() {
                return self.problem(
                    location,
                    "a mapping key cannot be an intrinsic function".into(),
                );
            }
            return self.key(value, location);
        }
        let pointer = self.slot_pointer(slot);
        self.locations.insert(pointer.clone(), location);
        let value = match intrinsic {
            None => value,
            Some(name) => {
                let inner = child(&pointer, name);
                self.locations.insert(inner.clone(), location);
                match wrap_scalar(name, value) {
                    Ok(value) => {
                        if name == "Fn::GetAtt" {
                            self.locations.insert(child(&inner, "0"), location);
                            self.locations.insert(child(&inner, "1"), location);
                        }
                        value
                    }
                    Err(message) => return self.problem(location, message),
                }
            }
        };
        self.insert(value, anchor, location);
    }

    /// The YAML 1.2 readings that surprise: a number whose text is not kept, and the YAML 1.1
    /// booleans that 1.2 reads as strings.
    fn caveats(&mut self, text: &str, value: &Value, location: Location) {
        match value {
            Value::Number(number) if number.to_string() != text => self.warning(
                location,
                format!(
                    "the unquoted value {text} is read as the number {number} (YAML 1.2): quote it to keep it as written"
                ),
            ),
            Value::String(string)
                if ["yes", "no", "on", "off", "y", "n"].contains(&string.to_ascii_lowercase().as_str()) =>
            {
                self.warning(
                    location,
                    format!(
                        "the unquoted value {text} is read as a string (YAML 1.2), but as a boolean by YAML 1.1 readers: quote it, or write true or false"
                    ),
                )
            }
            _ => {}
        }
    }

    fn slot_pointer(&self, slot: Slot) -> String {
        match slot {
            Slot::Root | Slot::Key => String::new(),
            Slot::Item(pointer) | Slot::Value(pointer) => pointer,
        }
    }

    fn start(
        &mut self,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
        location: Location,
        sequence: bool,
    ) {
        if self.stack.len() >= MAX_DEPTH {
            return self.problem(
                location,
                format!("the document is nested more than {MAX_DEPTH} levels deep"),
            );
        }
        let intrinsic = match tag.as_deref() {
            Some(tag) if !tag.is_yaml_core_schema() => match intrinsic_name(tag) {
                Ok(name) => Some(name),
                Err(message) => return self.problem(location, message),
            },
            _ => None,
        };
        let slot = self.slot();
        if let Slot::Key = slot {
            return self.problem(
                location,
                "a mapping key must be a plain value, not a list or a mapping".into(),
            );
        }
        let mut pointer = self.slot_pointer(slot);
        self.locations.insert(pointer.clone(), location);
        if let Some(name) = intrinsic {
            pointer = child(&pointer, name);
            self.locations.insert(pointer.clone(), location);
        }
        let container = if sequence {
            Container::Sequence(Vec::new())
        } else {
            Container::Mapping(Map::new(), None)
        };
        self.stack.push(Frame {
            container,
            pointer,
            anchor,
            intrinsic,
        });
    }

    fn end(&mut self, location: Location) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let value = match frame.container {
            Container::Sequence(items) => Value::Array(items),
            Container::Mapping(entries, _) => Value::Object(entries),
        };
        let value = match frame.intrinsic {
            None => value,
            Some("Ref" | "Condition") => {
                return self.problem(
                    location,
                    "!Ref and !Condition take a name, not a list or a mapping".into(),
                );
            }
            Some(name) => single(name, value),
        };
        self.insert(value, frame.anchor, location);
    }

    fn alias(&mut self, id: usize, location: Location) {
        let Some(value) = self.anchors.get(&id).cloned() else {
            return self.problem(location, "this alias names no anchor".into());
        };
        self.aliased_nodes += count_nodes(&value);
        if self.aliased_nodes > ALIAS_BUDGET {
            return self.problem(
                location,
                format!("aliases copy more than {ALIAS_BUDGET} nodes"),
            );
        }
        match self.slot() {
            Slot::Key => self.key(value, location),
            slot => {
                let pointer = self.slot_pointer(slot);
                self.locations.insert(pointer, location);
                self.insert(value, 0, location);
            }
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, event: Event<'input>, span: Span) {
        if self.stopped {
            return;
        }
        let location = Location {
            line: span.start.line().max(1),
            column: span.start.col() + 1,
        };
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.problem(
                        location,
                        "a template holds one YAML document, this one has more".into(),
                    );
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.scalar(text, style, anchor, tag, location)
            }
            Event::SequenceStart(anchor, tag) => self.start(anchor, tag, location, true),
            Event::MappingStart(anchor, tag) => self.start(anchor, tag, location, false),
            Event::SequenceEnd | Event::MappingEnd => self.end(location),
            Event::Alias(id) => self.alias(id, location),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// Counts the nodes of a value, iteratively (values are at most [`MAX_DEPTH`] deep anyway).
fn count_nodes(value: &Value) -> usize {
    let mut count = 0;
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        count += 1;
        match value {
            Value::Array(items) => pending.extend(items),
            Value::Object(entries) => pending.extend(entries.values()),
            _ => {}
        }
    }
    count
}

/// The long form of a short-form tag: `!Ref` → `Ref`, `!Sub` → `Fn::Sub`.
fn intrinsic_name(tag: &Tag) -> Result<&'static str, String> {
    let written = format!("{}{}", tag.handle, tag.suffix);
    if tag.handle != "!" {
        return Err(format!("unknown tag {written}"));
    }
    let name = match tag.suffix.as_str() {
        "Ref" => "Ref",
        "Condition" => "Condition",
        "GetAtt" => "Fn::GetAtt",
        "Sub" => "Fn::Sub",
        "Join" => "Fn::Join",
        "If" => "Fn::If",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "Equals" => "Fn::Equals",
        "Not" => "Fn::Not",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "FindInMap" => "Fn::FindInMap",
        "Base64" => "Fn::Base64",
        // Read, then refused where they are used (with the long forms): see `resolve`.
        "GetAZs" => "Fn::GetAZs",
        "ImportValue" => "Fn::ImportValue",
        "Cidr" => "Fn::Cidr",
        "Transform" => "Fn::Transform",
        "Length" => "Fn::Length",
        "ToJsonString" => "Fn::ToJsonString",
        _ => {
            return Err(format!(
                "unknown tag {written}: CloudFormation has no such intrinsic function"
            ));
        }
    };
    Ok(name)
}

/// The long form of a tagged scalar.
fn wrap_scalar(name: &'static str, value: Value) -> Result<Value, String> {
    if name == "Fn::GetAtt" {
        let Value::String(text) = &value else {
            return Err("!GetAtt takes LogicalId.Attribute or [LogicalId, Attribute]".into());
        };
        let Some((resource, attribute)) = text.split_once('.') else {
            return Err(format!("!GetAtt {text}: expected LogicalId.Attribute"));
        };
        return Ok(single(
            name,
            Value::Array(vec![resource.into(), attribute.into()]),
        ));
    }
    Ok(single(name, value))
}

fn single(name: &str, value: Value) -> Value {
    let mut entries = Map::new();
    entries.insert(name.to_owned(), value);
    Value::Object(entries)
}
