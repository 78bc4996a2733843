//! Resolution: parameters, pseudo parameters, conditions, mappings and intrinsic functions.
//!
//! Resources are resolved in dependency order, so a `Ref` or `Fn::GetAtt` always finds the
//! identity (name, ARN) of the resource it names already computed. Names and ARNs Switchback can
//! predict are literal: `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`. What is known only when
//! the plan is applied — a version's ARN (`...:NAME:N`) and a state machine's revision id — is a
//! [`Placeholder`](crate::plan::Placeholder) written into the string, which the apply step fills
//! in (`Placeholder::fill`); a placeholder survives `Fn::Sub` and `Fn::Join` like any text.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::diagnostic::{Diagnostics, child};
use crate::load::Document;
use crate::plan::Placeholder;

/// The outcome of evaluating one value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Eval {
    /// A value.
    Value(Value),
    /// `Ref: AWS::NoValue` (or an `Fn::If` that chose it): the property or item disappears.
    NoValue,
    /// Something was wrong; it has been reported.
    Failed,
}

/// What `Ref` and `Fn::GetAtt` give for one resource.
#[derive(Debug, Clone, Default)]
pub(crate) struct Identity {
    pub(crate) resource_type: String,
    pub(crate) reference: String,
    pub(crate) attributes: BTreeMap<String, String>,
    /// For a version, the ARN of its state machine (to name the aliases that route to it).
    pub(crate) state_machine_arn: Option<String>,
    /// Whether Switchback runs this type.
    pub(crate) managed: bool,
}

/// The values intrinsics are evaluated against.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    pub(crate) parameters: BTreeMap<String, Value>,
    pub(crate) pseudo: BTreeMap<&'static str, Value>,
    pub(crate) conditions: BTreeMap<String, bool>,
    pub(crate) mappings: Map<String, Value>,
    pub(crate) identities: BTreeMap<String, Identity>,
    /// Every resource the template declares (after the SAM transform), with its type.
    pub(crate) declared: BTreeMap<String, String>,
    pub(crate) region: String,
    pub(crate) account: String,
    pub(crate) stack_name: String,
}

const UNRESOLVED: &str = "Template format error: Unresolved resource dependencies";

fn unresolved(name: &str) -> String {
    format!("{UNRESOLVED} [{name}] in the Resources block of the template")
}

impl Resolver {
    /// Evaluates every intrinsic in `value` (found at `pointer` of `document`).
    pub(crate) fn eval(
        &self,
        value: &Value,
        pointer: &str,
        document: &Document,
        diagnostics: &mut Diagnostics,
    ) -> Eval {
        match value {
            Value::Object(entries) if crate::sam::is_intrinsic(entries) => {
                let Some((name, argument)) = entries.iter().next() else {
                    return Eval::Failed;
                };
                self.intrinsic(name, argument, &child(pointer, name), document, diagnostics)
            }
            Value::Object(entries) => {
                let mut out = Map::new();
                let mut failed = false;
                for (key, entry) in entries {
                    match self.eval(entry, &child(pointer, key), document, diagnostics) {
                        Eval::Value(value) => {
                            out.insert(key.clone(), value);
                        }
                        Eval::NoValue => {}
                        Eval::Failed => failed = true,
                    }
                }
                if failed {
                    Eval::Failed
                } else {
                    Eval::Value(Value::Object(out))
                }
            }
            Value::Array(items) => {
                let mut out = Vec::new();
                let mut failed = false;
                for (index, item) in items.iter().enumerate() {
                    match self.eval(
                        item,
                        &child(pointer, &index.to_string()),
                        document,
                        diagnostics,
                    ) {
                        Eval::Value(value) => out.push(value),
                        Eval::NoValue => {}
                        Eval::Failed => failed = true,
                    }
                }
                if failed {
                    Eval::Failed
                } else {
                    Eval::Value(Value::Array(out))
                }
            }
            other => Eval::Value(other.clone()),
        }
    }

    fn intrinsic(
        &self,
        name: &str,
        argument: &Value,
        pointer: &str,
        document: &Document,
        diagnostics: &mut Diagnostics,
    ) -> Eval {
        let fail = |diagnostics: &mut Diagnostics, message: String| {
            diagnostics.error(document, pointer, message);
            Eval::Failed
        };
        match name {
            "Ref" => {
                let Value::String(target) = argument else {
                    return fail(
                        diagnostics,
                        "Template error: every Ref object must have a single String value.".into(),
                    );
                };
                if target == "AWS::NoValue" {
                    return Eval::NoValue;
                }
                match self.reference(target) {
                    Some(value) => Eval::Value(value),
                    None => fail(diagnostics, self.dangling(target)),
                }
            }
            "Fn::GetAtt" => {
                let (resource, attribute) = match argument {
                    Value::Array(parts) if parts.len() == 2 => {
                        let attribute = match self.eval(&parts[1], &child(pointer, "1"), document, diagnostics) {
                            Eval::Value(Value::String(attribute)) => attribute,
                            Eval::Failed => return Eval::Failed,
                            _ => return fail(diagnostics, "Template error: every Fn::GetAtt object requires two non-empty parameters".into()),
                        };
                        match &parts[0] {
                            Value::String(resource) => (resource.clone(), attribute),
                            _ => return fail(diagnostics, "Template error: every Fn::GetAtt object requires two non-empty parameters".into()),
                        }
                    }
                    Value::String(dotted) => match dotted.split_once('.') {
                        Some((resource, attribute)) => (resource.to_owned(), attribute.to_owned()),
                        None => return fail(diagnostics, "Template error: every Fn::GetAtt object requires two non-empty parameters".into()),
                    },
                    _ => return fail(diagnostics, "Template error: every Fn::GetAtt object requires two non-empty parameters".into()),
                };
                match self.attribute(&resource, &attribute) {
                    Ok(value) => Eval::Value(Value::String(value)),
                    Err(message) => fail(diagnostics, message),
                }
            }
            "Fn::Sub" => self.sub(argument, pointer, document, diagnostics),
            "Fn::Join" => {
                let Value::Array(parts) = argument else {
                    return fail(diagnostics, "Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.".into());
                };
                if parts.len() != 2 || !parts[0].is_string() {
                    return fail(diagnostics, "Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.".into());
                }
                let delimiter = parts[0].as_str().unwrap_or_default();
                match self.eval(&parts[1], &child(pointer, "1"), document, diagnostics) {
                    Eval::Value(Value::Array(items)) => {
                        let mut texts = Vec::new();
                        for item in &items {
                            match text(item) {
                                Some(text) => texts.push(text),
                                None => return fail(diagnostics, "Template error: every Fn::Join object requires a list of strings to be joined".into()),
                            }
                        }
                        Eval::Value(Value::String(texts.join(delimiter)))
                    }
                    Eval::Failed => Eval::Failed,
                    _ => fail(diagnostics, "Template error: every Fn::Join object requires a list of strings to be joined".into()),
                }
            }
            "Fn::Select" => {
                let Value::Array(parts) = argument else {
                    return fail(diagnostics, "Template error: Fn::Select requires a list argument with two elements: an integer index and a list".into());
                };
                if parts.len() != 2 {
                    return fail(diagnostics, "Template error: Fn::Select requires a list argument with two elements: an integer index and a list".into());
                }
                let index = match self.eval(&parts[0], &child(pointer, "0"), document, diagnostics) {
                    Eval::Value(value) => match text(&value).and_then(|text| text.parse::<usize>().ok()) {
                        Some(index) => index,
                        None => return fail(diagnostics, "Template error: Fn::Select requires a list argument with two elements: an integer index and a list".into()),
                    },
                    _ => return Eval::Failed,
                };
                match self.eval(&parts[1], &child(pointer, "1"), document, diagnostics) {
                    Eval::Value(Value::Array(items)) => match items.get(index) {
                        Some(item) => Eval::Value(item.clone()),
                        None => fail(diagnostics, format!("Template error: Fn::Select cannot select nonexistent value at index {index}")),
                    },
                    Eval::Failed => Eval::Failed,
                    _ => fail(diagnostics, "Template error: Fn::Select requires a list argument with two elements: an integer index and a list".into()),
                }
            }
            "Fn::Split" => {
                let Value::Array(parts) = argument else {
                    return fail(diagnostics, "Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.".into());
                };
                if parts.len() != 2 || !parts[0].is_string() {
                    return fail(diagnostics, "Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.".into());
                }
                let delimiter = parts[0].as_str().unwrap_or_default();
                match self.eval(&parts[1], &child(pointer, "1"), document, diagnostics) {
                    Eval::Value(Value::String(source)) => {
                        if Placeholder::find(&source).next().is_some() {
                            return fail(diagnostics, "Fn::Split cannot split a value switchback knows only when it deploys (a version's ARN)".into());
                        }
                        if delimiter.is_empty() {
                            return fail(
                                diagnostics,
                                "Template error: Fn::Split requires a non-empty delimiter".into(),
                            );
                        }
                        Eval::Value(Value::Array(
                            source
                                .split(delimiter)
                                .map(|part| Value::String(part.into()))
                                .collect(),
                        ))
                    }
                    Eval::Failed => Eval::Failed,
                    _ => fail(
                        diagnostics,
                        "Template error: every Fn::Split object requires a string to be split"
                            .into(),
                    ),
                }
            }
            "Fn::If" => {
                let Value::Array(parts) = argument else {
                    return fail(
                        diagnostics,
                        "Template error: Fn::If requires a list argument with three elements"
                            .into(),
                    );
                };
                if parts.len() != 3 {
                    return fail(
                        diagnostics,
                        "Template error: Fn::If requires a list argument with three elements"
                            .into(),
                    );
                }
                let Value::String(condition) = &parts[0] else {
                    return fail(
                        diagnostics,
                        "Template error: Fn::If requires a condition name as its first element"
                            .into(),
                    );
                };
                match self.conditions.get(condition) {
                    Some(true) => self.eval(&parts[1], &child(pointer, "1"), document, diagnostics),
                    Some(false) => {
                        self.eval(&parts[2], &child(pointer, "2"), document, diagnostics)
                    }
                    None => fail(
                        diagnostics,
                        format!(
                            "Template format error: Unresolved Condition dependencies [{condition}] in the Resources block of the template"
                        ),
                    ),
                }
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => {
                match self.condition_value(
                    &single(name, argument),
                    &pointer[..pointer.rfind('/').unwrap_or(0)],
                    document,
                    diagnostics,
                ) {
                    Some(flag) => Eval::Value(Value::Bool(flag)),
                    None => Eval::Failed,
                }
            }
            "Fn::FindInMap" => self.find_in_map(argument, pointer, document, diagnostics),
            "Fn::Base64" => match self.eval(argument, pointer, document, diagnostics) {
                Eval::Value(value) => match text(&value) {
                    Some(text) => Eval::Value(Value::String(base64(text.as_bytes()))),
                    None => fail(
                        diagnostics,
                        "Template error: Fn::Base64 requires a string".into(),
                    ),
                },
                other => other,
            },
            "Fn::GetAZs" | "Fn::ImportValue" | "Fn::Cidr" => fail(
                diagnostics,
                format!(
                    "{name} is not supported by switchback: it needs a live AWS account (availability zones, other stacks' exports, VPC ranges)"
                ),
            ),
            "Fn::Transform" | "Fn::Length" | "Fn::ToJsonString" | "Fn::ForEach" => fail(
                diagnostics,
                format!(
                    "{name} is not supported by switchback: it needs a CloudFormation macro or the AWS::LanguageExtensions transform"
                ),
            ),
            _ => fail(
                diagnostics,
                format!("Template format error: Encountered unsupported function: {name}"),
            ),
        }
    }

    /// `Ref` of a parameter, a pseudo parameter or a resource.
    fn reference(&self, name: &str) -> Option<Value> {
        if let Some(value) = self.parameters.get(name) {
            return Some(value.clone());
        }
        if let Some(value) = self.pseudo.get(name) {
            return Some(value.clone());
        }
        self.identities
            .get(name)
            .map(|identity| Value::String(identity.reference.clone()))
    }

    fn dangling(&self, name: &str) -> String {
        if name.starts_with("AWS::") {
            return format!(
                "Template format error: Unrecognized parameter type or pseudo parameter: {name}"
            );
        }
        unresolved(name)
    }

    /// `Fn::GetAtt` of a resource.
    pub(crate) fn attribute(&self, resource: &str, attribute: &str) -> Result<String, String> {
        let Some(identity) = self.identities.get(resource) else {
            return Err(format!(
                "Template error: instance of Fn::GetAtt references undefined resource {resource}"
            ));
        };
        match identity.attributes.get(attribute) {
            Some(value) => Ok(value.clone()),
            None => Err(format!(
                "Template error: resource {resource} does not support attribute type {attribute} in Fn::GetAtt"
            )),
        }
    }

    fn sub(
        &self,
        argument: &Value,
        pointer: &str,
        document: &Document,
        diagnostics: &mut Diagnostics,
    ) -> Eval {
        let (template, variables) = match argument {
            Value::String(template) => (template.as_str(), Map::new()),
            Value::Array(parts)
                if parts.len() == 2 && parts[0].is_string() && parts[1].is_object() =>
            {
                let mut variables = Map::new();
                let Some(declared) = parts[1].as_object() else {
                    return Eval::Failed;
                };
                for (name, value) in declared {
                    match self.eval(
                        value,
                        &child(&child(pointer, "1"), name),
                        document,
                        diagnostics,
                    ) {
                        Eval::Value(value) => {
                            variables.insert(name.clone(), value);
                        }
                        _ => return Eval::Failed,
                    }
                }
                (parts[0].as_str().unwrap_or_default(), variables)
            }
            _ => {
                diagnostics.error(
                    document,
                    pointer,
                    "Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string",
                );
                return Eval::Failed;
            }
        };
        let mut out = String::new();
        let mut rest = template;
        let mut failed = false;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
                continue;
            }
            let name = name.trim();
            let value = if let Some(value) = variables.get(name) {
                text(value).ok_or_else(|| {
                    format!(
                        "Template error: variable {name} in Fn::Sub expression must be a string"
                    )
                })
            } else if let Some(value) = self.reference(name) {
                text(&value).ok_or_else(|| {
                    format!("Template error: variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, periods, and colons ({name} is a list)")
                })
            } else if let Some((resource, attribute)) = name.split_once('.') {
                self.attribute(resource, attribute)
            } else {
                Err(self.dangling(name))
            };
            match value {
                Ok(value) => out.push_str(&value),
                Err(message) => {
                    diagnostics.error(document, pointer, message);
                    failed = true;
                }
            }
        }
        out.push_str(rest);
        if failed {
            Eval::Failed
        } else {
            Eval::Value(Value::String(out))
        }
    }

    fn find_in_map(
        &self,
        argument: &Value,
        pointer: &str,
        document: &Document,
        diagnostics: &mut Diagnostics,
    ) -> Eval {
        let Value::Array(parts) = argument else {
            diagnostics.error(
                document,
                pointer,
                "Template error: Fn::FindInMap requires 3 arguments",
            );
            return Eval::Failed;
        };
        if parts.len() != 3 {
            diagnostics.error(
                document,
                pointer,
                "Template error: Fn::FindInMap requires 3 arguments",
            );
            return Eval::Failed;
        }
        let mut keys = Vec::new();
        for (index, part) in parts.iter().enumerate() {
            match self.eval(
                part,
                &child(pointer, &index.to_string()),
                document,
                diagnostics,
            ) {
                Eval::Value(value) => match text(&value) {
                    Some(key) => keys.push(key),
                    None => {
                        diagnostics.error(
                            document,
                            pointer,
                            "Template error: every Fn::FindInMap argument must be a string",
                        );
                        return Eval::Failed;
                    }
                },
                _ => return Eval::Failed,
            }
        }
        let found = self
            .mappings
            .get(&keys[0])
            .and_then(|map| map.get(&keys[1]))
            .and_then(|second| second.get(&keys[2]));
        match found {
            Some(value) => Eval::Value(value.clone()),
            None if !self.mappings.contains_key(&keys[0]) => {
                diagnostics.error(document, pointer, format!("Template error: Mapping named '{}' is not present in the 'Mappings' section of template", keys[0]));
                Eval::Failed
            }
            None => {
                diagnostics.error(
                    document,
                    pointer,
                    format!(
                        "Template error: Unable to get mapping for {}::{}::{}",
                        keys[0], keys[1], keys[2]
                    ),
                );
                Eval::Failed
            }
        }
    }

    /// Evaluates a condition (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`).
    pub(crate) fn condition_value(
        &self,
        value: &Value,
        pointer: &str,
        document: &Document,
        diagnostics: &mut Diagnostics,
    ) -> Option<bool> {
        let entries = value.as_object().filter(|entries| entries.len() == 1);
        let Some((name, argument)) = entries.and_then(|entries| entries.iter().next()) else {
            diagnostics.error(document, pointer, "Template format error: Conditions can only be boolean operations on parameters and other conditions");
            return None;
        };
        let inner = child(pointer, name);
        let list = |count: std::ops::RangeInclusive<usize>,
                    diagnostics: &mut Diagnostics|
         -> Option<Vec<Value>> {
            match argument {
                Value::Array(items) if count.contains(&items.len()) => Some(items.clone()),
                _ => {
                    diagnostics.error(
                        document,
                        &inner,
                        format!(
                            "Template error: {name} requires a list of {} to {} elements",
                            count.start(),
                            count.end()
                        ),
                    );
                    None
                }
            }
        };
        match name.as_str() {
            "Condition" => match argument.as_str().and_then(|name| self.conditions.get(name)) {
                Some(flag) => Some(*flag),
                None => {
                    diagnostics.error(document, &inner, format!("Template format error: Unresolved Condition dependencies [{}] in the Conditions block of the template", argument.as_str().unwrap_or("?")));
                    None
                }
            },
            "Fn::Equals" => {
                let items = list(2..=2, diagnostics)?;
                let mut texts = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    match self.eval(
                        item,
                        &child(&inner, &index.to_string()),
                        document,
                        diagnostics,
                    ) {
                        Eval::Value(value) => {
                            texts.push(text(&value).unwrap_or_else(|| value.to_string()))
                        }
                        _ => return None,
                    }
                }
                Some(texts[0] == texts[1])
            }
            "Fn::Not" => {
                let items = list(1..=1, diagnostics)?;
                self.condition_value(&items[0], &child(&inner, "0"), document, diagnostics)
                    .map(|flag| !flag)
            }
            "Fn::And" | "Fn::Or" => {
                let items = list(2..=10, diagnostics)?;
                let mut flags = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    flags.push(self.condition_value(
                        item,
                        &child(&inner, &index.to_string()),
                        document,
                        diagnostics,
                    )?);
                }
                Some(if name == "Fn::And" {
                    flags.iter().all(|flag| *flag)
                } else {
                    flags.iter().any(|flag| *flag)
                })
            }
            _ => {
                diagnostics.error(
                    document,
                    &inner,
                    format!("Template format error: {name} is not allowed in a condition"),
                );
                None
            }
        }
    }

    /// A stable, generated physical name, as CloudFormation makes one when a template gives none
    /// (`<stack>-<LogicalId>-<SUFFIX>`), but derived from the stack and the logical id instead of
    /// drawn at random, so a re-deploy finds the same resource.
    pub(crate) fn generated_name(
        &self,
        logical_id: &str,
        with_stack: bool,
        max_len: usize,
    ) -> String {
        let suffix = suffix(&format!("{}/{logical_id}", self.stack_name));
        let head = if with_stack {
            format!("{}-{logical_id}", self.stack_name)
        } else {
            logical_id.to_owned()
        };
        let room = max_len.saturating_sub(suffix.len() + 1);
        let head: String = head.chars().take(room).collect();
        format!("{head}-{suffix}")
    }
}

fn single(name: &str, value: &Value) -> Value {
    let mut entries = Map::new();
    entries.insert(name.to_owned(), value.clone());
    Value::Object(entries)
}

/// A value as text, for `Fn::Join`, `Fn::Sub` and friends: strings, numbers and booleans.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// 12 upper-case letters and digits from a SHA-256 of `seed`.
pub(crate) fn suffix(seed: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    Sha256::digest(seed.as_bytes())
        .iter()
        .take(12)
        .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * index)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The resources a value refers to (`Ref`, `Fn::GetAtt`, `${...}` in `Fn::Sub`), whatever
/// branch of an `Fn::If` they are in, as CloudFormation orders resources.
pub(crate) fn references(
    value: &Value,
    resources: &BTreeMap<String, String>,
    out: &mut BTreeSet<String>,
) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(entries) => {
                if entries.len() == 1 {
                    match entries.iter().next() {
                        Some((key, Value::String(name)))
                            if key == "Ref" && resources.contains_key(name) =>
                        {
                            out.insert(name.clone());
                        }
                        Some((key, argument)) if key == "Fn::GetAtt" => {
                            let name = match argument {
                                Value::Array(parts) => {
                                    parts.first().and_then(Value::as_str).map(str::to_owned)
                                }
                                Value::String(dotted) => {
                                    dotted.split('.').next().map(str::to_owned)
                                }
                                _ => None,
                            };
                            if let Some(name) = name.filter(|name| resources.contains_key(name)) {
                                out.insert(name);
                            }
                        }
                        Some((key, argument)) if key == "Fn::Sub" => {
                            let template = match argument {
                                Value::String(template) => Some(template.as_str()),
                                Value::Array(parts) => parts.first().and_then(Value::as_str),
                                _ => None,
                            };
                            let variables: Vec<&String> = match argument {
                                Value::Array(parts) => parts
                                    .get(1)
                                    .and_then(Value::as_object)
                                    .map(|map| map.keys().collect())
                                    .unwrap_or_default(),
                                _ => Vec::new(),
                            };
                            for name in sub_names(template.unwrap_or_default()) {
                                let resource = name.split('.').next().unwrap_or_default();
                                if !variables.iter().any(|variable| **variable == name)
                                    && resources.contains_key(resource)
                                {
                                    out.insert(resource.to_owned());
                                }
                            }
                        }
                        _ => {}
                    }
                }
                pending.extend(entries.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
}

/// The `${name}`s of an `Fn::Sub` template (not the `${!literal}`s).
fn sub_names(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            names.push(name.trim().to_owned());
        }
        rest = &after[end + 1..];
    }
    names
}

/// Orders resources so each comes after those it depends on, keeping the template's order
/// otherwise. Returns the cycle's members when there is one.
pub(crate) fn dependency_order(
    ids: &[String],
    dependencies: &HashMap<String, BTreeSet<String>>,
) -> Result<Vec<String>, Vec<String>> {
    let mut order = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    while order.len() < ids.len() {
        let next = ids.iter().find(|id| {
            !placed.contains(id.as_str())
                && dependencies.get(*id).is_none_or(|needed| {
                    needed
                        .iter()
                        .all(|need| placed.contains(need.as_str()) || !ids.contains(need))
                })
        });
        match next {
            Some(id) => {
                placed.insert(id);
                order.push(id.clone());
            }
            None => {
                let cycle = ids
                    .iter()
                    .filter(|id| !placed.contains(id.as_str()))
                    .cloned()
                    .collect();
                return Err(cycle);
            }
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"hello world"), "aGVsbG8gd29ybGQ=");
    }
}
