//! The pipeline: load → parameters → SAM transform → conditions → resources in dependency
//! order (resolve, then check into the typed model) → outputs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Diagnostics, child};
use crate::load::{self, Document};
use crate::plan::*;
use crate::resolve::{self, Eval, Identity, Resolver, text};
use crate::sam::{self, DefinitionOrigin, Files};

/// What a plan is made for.
#[derive(Debug, Clone)]
pub struct Options {
    /// The stack (`--stack-name`); part of generated names.
    pub stack_name: String,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account_id: String,
    /// `--parameter-overrides`, parsed with [`parse_overrides`].
    pub parameter_overrides: Vec<(String, String)>,
    /// The folder `DefinitionUri`s are relative to: the template's.
    pub template_folder: PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            stack_name: "stack".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            parameter_overrides: Vec::new(),
            template_folder: PathBuf::from("."),
        }
    }
}

/// Parses `--parameter-overrides` as `sam deploy` takes them: `Key=Value` or
/// `ParameterKey=Key,ParameterValue=Value`.
pub fn parse_overrides(arguments: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for argument in arguments {
        if let Some(rest) = argument.strip_prefix("ParameterKey=") {
            let Some((key, value)) = rest.split_once(",ParameterValue=") else {
                return Err(format!(
                    "{argument}: expected ParameterKey=KEY,ParameterValue=VALUE"
                ));
            };
            out.push((key.to_owned(), value.to_owned()));
        } else if let Some((key, value)) = argument.split_once('=') {
            out.push((key.to_owned(), value.to_owned()));
        } else {
            return Err(format!("{argument}: expected KEY=VALUE"));
        }
    }
    Ok(out)
}

const TOP_LEVEL: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
    "Globals",
];

const RESOURCE_ATTRIBUTES: &[&str] = &[
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
    "CreationPolicy",
    "UpdatePolicy",
];

/// Plans a template: every problem at once, and the plan when there is no error.
pub fn plan(
    file: &str,
    text: &str,
    options: &Options,
    files: &dyn Files,
) -> (Option<Plan>, Vec<Diagnostic>) {
    let (document, problems) = load::load(file, text);
    let mut diagnostics = Diagnostics { items: problems };
    let Some(mut document) = document else {
        return (None, diagnostics.items);
    };
    let plan = plan_document(&mut document, options, files, &mut diagnostics);
    if diagnostics.has_errors() {
        return (None, diagnostics.items);
    }
    (plan, diagnostics.items)
}

fn plan_document(
    document: &mut Document,
    options: &Options,
    files: &dyn Files,
    diagnostics: &mut Diagnostics,
) -> Option<Plan> {
    let Some(top) = document.value.as_object().cloned() else {
        diagnostics.error(
            document,
            "",
            "Template format error: JSON not well-formed. A template is a mapping",
        );
        return None;
    };
    for key in top.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            diagnostics.error(
                document,
                &child("", key),
                format!("Template format error: Invalid template property or properties [{key}]"),
            );
        }
    }
    if top.contains_key("Globals") {
        diagnostics.error(
            document,
            "/Globals",
            "'Globals' is not supported by switchback yet: write the properties on each resource",
        );
    }
    if let Some(version) = top.get("AWSTemplateFormatVersion")
        && version != "2010-09-09"
    {
        diagnostics.error(document, "/AWSTemplateFormatVersion", "Template format error: Unsupported template format version (the only one is '2010-09-09'; quote it in YAML)");
    }
    if top
        .get("Resources")
        .is_none_or(|resources| resources.as_object().is_none_or(|map| map.is_empty()))
    {
        diagnostics.error(
            document,
            "/Resources",
            "Template format error: At least one Resources member must be defined.",
        );
        return None;
    }

    let mut resolver = Resolver {
        region: options.region.clone(),
        account: options.account_id.clone(),
        stack_name: options.stack_name.clone(),
        ..Resolver::default()
    };
    resolver.pseudo = pseudo_parameters(options);
    resolver.parameters = parameters(document, &options.parameter_overrides, diagnostics);
    let parameter_values = resolver.parameters.clone();
    let parameter = |name: &str| parameter_values.get(name).and_then(text);
    let origins = sam::transform(
        document,
        files,
        &options.template_folder,
        &parameter,
        diagnostics,
    );
    let document = &*document;

    if let Some(mappings) = top.get("Mappings") {
        match mappings.as_object() {
            Some(mappings) => resolver.mappings = mappings.clone(),
            None => diagnostics.error(
                document,
                "/Mappings",
                "Template format error: Every Mappings member must be a map",
            ),
        }
    }
    conditions(document, &mut resolver, diagnostics);

    let resources = document
        .value
        .get("Resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (id, resource) in &resources {
        let pointer = child("/Resources", id);
        match resource.get("Type").and_then(Value::as_str) {
            Some(kind) => {
                resolver.declared.insert(id.clone(), kind.to_owned());
            }
            None => diagnostics.error(document, &pointer, format!("Template format error: [{pointer}] Every Resources object must contain a Type member.")),
        }
        if let Some(attributes) = resource.as_object() {
            for key in attributes
                .keys()
                .filter(|key| !RESOURCE_ATTRIBUTES.contains(&key.as_str()))
            {
                diagnostics.error(document, &child(&pointer, key), format!("Template format error: Unrecognized resource attribute {key} in resource {id}"));
            }
        } else {
            diagnostics.error(
                document,
                &pointer,
                format!("Template format error: [{pointer}] Every Resources object must be a map"),
            );
        }
    }

    // Which resources exist, and in which order.
    let mut included = Vec::new();
    let mut dependencies: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (id, resource) in &resources {
        let pointer = child("/Resources", id);
        if !resolver.declared.contains_key(id) {
            continue;
        }
        if let Some(condition) = resource.get("Condition") {
            match condition
                .as_str()
                .and_then(|name| resolver.conditions.get(name))
            {
                Some(true) => {}
                Some(false) => continue,
                None => {
                    let message = format!(
                        "Template format error: Unresolved Condition dependencies [{}] in the Resources block of the template",
                        text(condition).unwrap_or_default()
                    );
                    diagnostics.error(document, &child(&pointer, "Condition"), message);
                    continue;
                }
            }
        }
        let mut needed = BTreeSet::new();
        let depends_on = match resource.get("DependsOn") {
            None => Vec::new(),
            Some(Value::String(name)) => vec![(name.clone(), child(&pointer, "DependsOn"))],
            Some(Value::Array(names)) => names
                .iter()
                .enumerate()
                .filter_map(|(index, name)| {
                    name.as_str().map(|name| {
                        (
                            name.to_owned(),
                            child(&child(&pointer, "DependsOn"), &index.to_string()),
                        )
                    })
                })
                .collect(),
            Some(_) => {
                diagnostics.error(
                    document,
                    &child(&pointer, "DependsOn"),
                    "Template format error: DependsOn must be a string or a list of strings",
                );
                Vec::new()
            }
        };
        for (name, at) in depends_on {
            if resolver.declared.contains_key(&name) {
                needed.insert(name);
            } else {
                diagnostics.error(document, &at, format!("Template format error: Unresolved resource dependencies [{name}] in the Resources block of the template"));
            }
        }
        if let Some(properties) = resource.get("Properties") {
            resolve::references(properties, &resolver.declared, &mut needed);
        }
        needed.remove(id);
        dependencies.insert(id.clone(), needed);
        included.push(id.clone());
    }
    let order = match resolve::dependency_order(&included, &dependencies) {
        Ok(order) => order,
        Err(cycle) => {
            let message = format!(
                "Template format error: Circular dependency between resources: [{}]",
                cycle.join(", ")
            );
            diagnostics.error(document, &child("/Resources", &cycle[0]), message);
            return None;
        }
    };

    // Resolve and check each resource.
    let mut planned = Vec::new();
    let mut unmanaged = Vec::new();
    for id in &order {
        let resource = &resources[id];
        let kind = resolver.declared[id].clone();
        let pointer = child("/Resources", id);
        let properties_pointer = child(&pointer, "Properties");
        let properties = match resource.get("Properties") {
            None => Map::new(),
            Some(value) => match resolver.eval(value, &properties_pointer, document, diagnostics) {
                Eval::Value(Value::Object(properties)) => properties,
                Eval::Value(_) => {
                    diagnostics.error(document, &properties_pointer, format!("Template format error: [{pointer}] Every Properties member must be a map"));
                    Map::new()
                }
                Eval::NoValue => Map::new(),
                Eval::Failed => {
                    // Still give it an identity so references to it report nothing more.
                    resolver
                        .identities
                        .insert(id.clone(), placeholder_identity(id, &kind));
                    continue;
                }
            },
        };
        let errors_before = diagnostics.error_count();
        let mut checker = Properties::new(id, &properties, &properties_pointer, document);
        let spec = match kind.as_str() {
            "AWS::StepFunctions::StateMachine" => {
                state_machine(&mut checker, &resolver, origins.get(id), diagnostics)
                    .map(Spec::StateMachine)
            }
            "AWS::StepFunctions::StateMachineVersion" => {
                version(&mut checker, &resolver, diagnostics).map(Spec::Version)
            }
            "AWS::StepFunctions::StateMachineAlias" => {
                alias(&mut checker, &resolver, diagnostics).map(Spec::Alias)
            }
            "AWS::StepFunctions::Activity" => {
                activity(&mut checker, &resolver, diagnostics).map(Spec::Activity)
            }
            "AWS::CloudWatch::Alarm" => alarm(&mut checker, &resolver, diagnostics)
                .map(|alarm| Spec::Alarm(Box::new(alarm))),
            "AWS::Logs::LogGroup" => {
                log_group(&mut checker, &resolver, diagnostics).map(Spec::LogGroup)
            }
            _ => {
                let identity = unmanaged_identity(id, &kind, &properties, &resolver);
                diagnostics.warning(
                    document,
                    &pointer,
                    format!("{id} ({kind}) is not managed by switchback: it is not created, and references to it get a plausible ARN ({})", identity.reference),
                );
                unmanaged.push(Unmanaged {
                    logical_id: id.clone(),
                    resource_type: kind.clone(),
                    reference: identity.reference.clone(),
                    referenced_by: Vec::new(),
                });
                resolver.identities.insert(id.clone(), identity);
                continue;
            }
        };
        let identity = match &spec {
            Some(spec) => managed_identity(id, spec),
            None => placeholder_identity(id, &kind),
        };
        resolver.identities.insert(id.clone(), identity);
        if let Some(spec) = spec.filter(|_| diagnostics.error_count() == errors_before) {
            let retain = resource.get("DeletionPolicy").and_then(Value::as_str) == Some("Retain");
            planned.push(Resource {
                logical_id: id.clone(),
                depends_on: dependencies
                    .get(id)
                    .map(|set| set.iter().cloned().collect())
                    .unwrap_or_default(),
                retain,
                spec,
            });
        }
    }
    for entry in &mut unmanaged {
        entry.referenced_by = planned
            .iter()
            .filter(|resource| resource.depends_on.contains(&entry.logical_id))
            .map(|resource| resource.logical_id.clone())
            .collect();
    }

    let outputs = outputs(document, &top, &resolver, diagnostics);
    let parameters = resolver
        .parameters
        .iter()
        .map(|(name, value)| {
            let value = if is_no_echo(document, name) {
                NO_ECHO_MASK.to_owned()
            } else {
                match value {
                    Value::Array(items) => {
                        items.iter().filter_map(text).collect::<Vec<_>>().join(",")
                    }
                    other => text(other).unwrap_or_default(),
                }
            };
            (name.clone(), value)
        })
        .collect();
    Some(Plan {
        stack_name: options.stack_name.clone(),
        resources: planned,
        unmanaged,
        outputs,
        parameters,
    })
}

fn pseudo_parameters(options: &Options) -> BTreeMap<&'static str, Value> {
    let stack_id = format!(
        "arn:aws:cloudformation:{}:{}:stack/{}/{}",
        options.region,
        options.account_id,
        options.stack_name,
        resolve::suffix(&options.stack_name).to_lowercase()
    );
    BTreeMap::from([
        ("AWS::Region", Value::String(options.region.clone())),
        ("AWS::AccountId", Value::String(options.account_id.clone())),
        ("AWS::StackName", Value::String(options.stack_name.clone())),
        ("AWS::StackId", Value::String(stack_id)),
        ("AWS::Partition", Value::String("aws".into())),
        ("AWS::URLSuffix", Value::String("amazonaws.com".into())),
        ("AWS::NotificationARNs", Value::Array(Vec::new())),
    ])
}

/// What the plan records for a `NoEcho` parameter's value, as CloudFormation shows it: the
/// value itself is used where the template refers to it and kept nowhere else.
pub const NO_ECHO_MASK: &str = "****";

/// Whether the template declares parameter `name` with `NoEcho: true` (or `"true"`).
fn is_no_echo(document: &Document, name: &str) -> bool {
    match document
        .value
        .get("Parameters")
        .and_then(|declared| declared.get(name))
        .and_then(|declaration| declaration.get("NoEcho"))
    {
        Some(Value::Bool(echo)) => *echo,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The parameters' values: overrides, else defaults; checked against their type and constraints.
fn parameters(
    document: &Document,
    overrides: &[(String, String)],
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, Value> {
    let mut values = BTreeMap::new();
    let declared = match document.value.get("Parameters") {
        None => Map::new(),
        Some(Value::Object(declared)) => declared.clone(),
        Some(_) => {
            diagnostics.error(
                document,
                "/Parameters",
                "Template format error: Parameters must be a map",
            );
            Map::new()
        }
    };
    let unknown: Vec<&str> = overrides
        .iter()
        .filter(|(key, _)| !declared.contains_key(key))
        .map(|(key, _)| key.as_str())
        .collect();
    if !unknown.is_empty() {
        diagnostics.error(
            document,
            "/Parameters",
            format!(
                "Parameters: [{}] do not exist in the template",
                unknown.join(", ")
            ),
        );
    }
    let mut missing = Vec::new();
    for (name, declaration) in &declared {
        let pointer = child("/Parameters", name);
        let Some(declaration) = declaration.as_object() else {
            diagnostics.error(document, &pointer, format!("Template format error: Every Parameters object must contain a Type member ({name})"));
            continue;
        };
        let kind = declaration
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let value = match overrides.iter().rev().find(|(key, _)| key == name) {
            Some((_, value)) => value.clone(),
            None => match declaration.get("Default").and_then(text) {
                Some(value) => value,
                None if declaration.get("Default").is_some_and(Value::is_array) => {
                    declaration["Default"]
                        .as_array()
                        .map(|items| items.iter().filter_map(text).collect::<Vec<_>>().join(","))
                        .unwrap_or_default()
                }
                None => {
                    missing.push(name.as_str());
                    continue;
                }
            },
        };
        let list = kind.starts_with("List<") || kind == "CommaDelimitedList";
        let items: Vec<String> = if list {
            if value.is_empty() {
                Vec::new()
            } else {
                value
                    .split(',')
                    .map(|item| item.trim().to_owned())
                    .collect()
            }
        } else {
            vec![value.clone()]
        };
        match kind {
            "String" | "Number" | "CommaDelimitedList" | "List<Number>" => {}
            _ if kind.starts_with("AWS::SSM::Parameter::") => {
                diagnostics.error(document, &child(&pointer, "Type"), format!("parameter type {kind} is not supported by switchback: it reads SSM Parameter Store"));
                continue;
            }
            _ if kind.starts_with("AWS::") || kind.starts_with("List<AWS::") => {}
            _ => {
                diagnostics.error(
                    document,
                    &child(&pointer, "Type"),
                    format!("Template format error: Unrecognized parameter type: {kind}"),
                );
                continue;
            }
        }
        if kind == "Number" || kind == "List<Number>" {
            for item in &items {
                if item.parse::<f64>().is_err() {
                    diagnostics.error(
                        document,
                        &pointer,
                        format!("Parameter '{name}' must be a number."),
                    );
                }
            }
        }
        if let Some(allowed) = declaration.get("AllowedValues").and_then(Value::as_array) {
            let allowed: Vec<String> = allowed.iter().filter_map(text).collect();
            if items.iter().any(|item| !allowed.contains(item)) {
                diagnostics.error(
                    document,
                    &pointer,
                    format!("Parameter '{name}' must be one of AllowedValues"),
                );
            }
        }
        let length = value.chars().count() as f64;
        for (key, minimum, message) in [
            ("MinLength", true, "must contain at least"),
            ("MaxLength", false, "must contain at most"),
        ] {
            if let Some(bound) = declaration
                .get(key)
                .and_then(|bound| text(bound)?.parse::<f64>().ok())
                && (if minimum {
                    length < bound
                } else {
                    length > bound
                })
            {
                diagnostics.error(
                    document,
                    &pointer,
                    format!("Parameter '{name}' {message} {bound} characters"),
                );
            }
        }
        if kind == "Number" {
            let number = value.parse::<f64>().unwrap_or(0.0);
            if let Some(bound) = declaration
                .get("MinValue")
                .and_then(|bound| text(bound)?.parse::<f64>().ok())
                && number < bound
            {
                diagnostics.error(
                    document,
                    &pointer,
                    format!("Parameter '{name}' must be a number not less than {bound}"),
                );
            }
            if let Some(bound) = declaration
                .get("MaxValue")
                .and_then(|bound| text(bound)?.parse::<f64>().ok())
                && number > bound
            {
                diagnostics.error(
                    document,
                    &pointer,
                    format!("Parameter '{name}' must be a number not greater than {bound}"),
                );
            }
        }
        if declaration.contains_key("AllowedPattern") {
            diagnostics.warning(
                document,
                &child(&pointer, "AllowedPattern"),
                format!("AllowedPattern of parameter '{name}' is not checked by switchback"),
            );
        }
        let value = if list {
            Value::Array(items.into_iter().map(Value::String).collect())
        } else {
            Value::String(value)
        };
        values.insert(name.clone(), value);
    }
    if !missing.is_empty() {
        diagnostics.error(
            document,
            "/Parameters",
            format!("Parameters: [{}] must have values", missing.join(", ")),
        );
    }
    values
}

/// Evaluates the `Conditions`, each after those it names.
fn conditions(document: &Document, resolver: &mut Resolver, diagnostics: &mut Diagnostics) {
    let Some(declared) = document.value.get("Conditions") else {
        return;
    };
    let Some(declared) = declared.as_object() else {
        diagnostics.error(
            document,
            "/Conditions",
            "Template format error: Every Conditions member must be a map",
        );
        return;
    };
    let names: Vec<String> = declared.keys().cloned().collect();
    let mut dependencies = HashMap::new();
    for (name, condition) in declared {
        let mut needed = BTreeSet::new();
        let mut pending = vec![condition];
        while let Some(value) = pending.pop() {
            match value {
                Value::Object(entries) => {
                    if let Some(Value::String(other)) = entries.get("Condition") {
                        needed.insert(other.clone());
                    }
                    pending.extend(entries.values());
                }
                Value::Array(items) => pending.extend(items),
                _ => {}
            }
        }
        dependencies.insert(name.clone(), needed);
    }
    let order = match resolve::dependency_order(&names, &dependencies) {
        Ok(order) => order,
        Err(cycle) => {
            diagnostics.error(
                document,
                &child("/Conditions", &cycle[0]),
                format!(
                    "Template error: circular condition references: [{}]",
                    cycle.join(", ")
                ),
            );
            return;
        }
    };
    for name in order {
        let pointer = child("/Conditions", &name);
        if let Some(flag) =
            resolver.condition_value(&declared[&name], &pointer, document, diagnostics)
        {
            resolver.conditions.insert(name, flag);
        }
    }
}

fn outputs(
    document: &Document,
    top: &Map<String, Value>,
    resolver: &Resolver,
    diagnostics: &mut Diagnostics,
) -> Vec<Output> {
    let mut out = Vec::new();
    let Some(outputs) = top.get("Outputs").and_then(Value::as_object) else {
        return out;
    };
    for (name, output) in outputs {
        let pointer = child("/Outputs", name);
        if let Some(condition) = output.get("Condition").and_then(Value::as_str)
            && !resolver.conditions.get(condition).copied().unwrap_or(false)
        {
            continue;
        }
        let Some(value) = output.get("Value") else {
            diagnostics.error(document, &pointer, format!("Template format error: Every Outputs member must contain a Value object, the {name} member does not"));
            continue;
        };
        if output.get("Export").is_some() {
            diagnostics.warning(
                document,
                &child(&pointer, "Export"),
                "exports are not supported by switchback: the output is kept, not exported",
            );
        }
        let value = match resolver.eval(value, &child(&pointer, "Value"), document, diagnostics) {
            Eval::Value(Value::Array(items)) => {
                items.iter().filter_map(text).collect::<Vec<_>>().join(",")
            }
            Eval::Value(value) => text(&value).unwrap_or_else(|| value.to_string()),
            _ => continue,
        };
        let description = output.get("Description").and_then(text);
        out.push(Output {
            name: name.clone(),
            value,
            description,
        });
    }
    out
}

// --- Identities ----------------------------------------------------------------------------

fn placeholder_identity(id: &str, kind: &str) -> Identity {
    let arn = Placeholder::new(id, "Arn").text();
    Identity {
        resource_type: kind.to_owned(),
        reference: arn.clone(),
        attributes: ["Arn", "Name", "StateMachineRevisionId"]
            .iter()
            .map(|name| (name.to_string(), Placeholder::new(id, name).text()))
            .collect(),
        state_machine_arn: None,
        managed: true,
    }
}

fn managed_identity(id: &str, spec: &Spec) -> Identity {
    let mut identity = Identity {
        resource_type: spec.resource_type().to_owned(),
        managed: true,
        ..Identity::default()
    };
    let mut set = |name: &str, value: String| {
        identity.attributes.insert(name.to_owned(), value);
    };
    let reference = match spec {
        Spec::StateMachine(machine) => {
            set("Arn", machine.arn.clone());
            set("Name", machine.name.clone());
            set(
                "StateMachineRevisionId",
                Placeholder::new(id, "StateMachineRevisionId").text(),
            );
            machine.arn.clone()
        }
        Spec::Version(version) => {
            let arn = Placeholder::new(id, "Arn").text();
            set("Arn", arn.clone());
            identity.state_machine_arn = Some(version.state_machine_arn.clone());
            arn
        }
        Spec::Alias(alias) => {
            set("Arn", alias.arn.clone());
            alias.arn.clone()
        }
        Spec::Activity(activity) => {
            set("Arn", activity.arn.clone());
            set("Name", activity.name.clone());
            activity.arn.clone()
        }
        Spec::Alarm(alarm) => {
            set("Arn", alarm.arn.clone());
            alarm.name.clone()
        }
        Spec::LogGroup(group) => {
            set("Arn", group.arn.clone());
            group.name.clone()
        }
    };
    identity.reference = reference;
    identity
}

/// Plausible `Ref` and `Fn::GetAtt` values for the types Switchback does not run.
fn unmanaged_identity(
    id: &str,
    kind: &str,
    properties: &Map<String, Value>,
    resolver: &Resolver,
) -> Identity {
    let (region, account) = (&resolver.region, &resolver.account);
    let named = |property: &str, with_stack: bool, max: usize| {
        properties
            .get(property)
            .and_then(text)
            .unwrap_or_else(|| resolver.generated_name(id, with_stack, max))
    };
    let mut attributes = BTreeMap::new();
    let reference = match kind {
        "AWS::IAM::Role" => {
            let name = named("RoleName", true, 64);
            let path = properties
                .get("Path")
                .and_then(text)
                .unwrap_or_else(|| "/".into());
            attributes.insert(
                "Arn".into(),
                format!("arn:aws:iam::{account}:role{path}{name}"),
            );
            attributes.insert("RoleId".into(), format!("AROA{}", resolve::suffix(&name)));
            name
        }
        "AWS::Lambda::Function" | "AWS::Serverless::Function" => {
            let name = named("FunctionName", true, 64);
            attributes.insert(
                "Arn".into(),
                format!("arn:aws:lambda:{region}:{account}:function:{name}"),
            );
            name
        }
        "AWS::SNS::Topic" => {
            let name = named("TopicName", true, 256);
            let arn = format!("arn:aws:sns:{region}:{account}:{name}");
            attributes.insert("TopicArn".into(), arn.clone());
            attributes.insert("TopicName".into(), name);
            arn
        }
        "AWS::SQS::Queue" => {
            let name = named("QueueName", true, 80);
            let url = format!("https://sqs.{region}.amazonaws.com/{account}/{name}");
            attributes.insert(
                "Arn".into(),
                format!("arn:aws:sqs:{region}:{account}:{name}"),
            );
            attributes.insert("QueueName".into(), name);
            attributes.insert("QueueUrl".into(), url.clone());
            url
        }
        "AWS::S3::Bucket" => {
            let name = named("BucketName", true, 63).to_lowercase();
            attributes.insert("Arn".into(), format!("arn:aws:s3:::{name}"));
            attributes.insert("DomainName".into(), format!("{name}.s3.amazonaws.com"));
            name
        }
        "AWS::DynamoDB::Table" => {
            let name = named("TableName", true, 255);
            attributes.insert(
                "Arn".into(),
                format!("arn:aws:dynamodb:{region}:{account}:table/{name}"),
            );
            attributes.insert("StreamArn".into(), format!("arn:aws:dynamodb:{region}:{account}:table/{name}/stream/1970-01-01T00:00:00.000"));
            name
        }
        _ => {
            let service = kind.split("::").nth(1).unwrap_or("unknown").to_lowercase();
            let name = resolver.generated_name(id, true, 128);
            attributes.insert(
                "Arn".into(),
                format!(
                    "arn:aws:{service}:{region}:{account}:{}/{name}",
                    id.to_lowercase()
                ),
            );
            name
        }
    };
    Identity {
        resource_type: kind.to_owned(),
        reference,
        attributes,
        state_machine_arn: None,
        managed: false,
    }
}

// --- The typed model -----------------------------------------------------------------------

/// Reads a resource's resolved properties into typed values, reporting in CloudFormation's
/// words (`Properties validation failed for resource X with message: #/Threshold: ...`).
struct Properties<'a> {
    id: &'a str,
    map: &'a Map<String, Value>,
    pointer: &'a str,
    document: &'a Document,
    read: Vec<&'static str>,
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

impl<'a> Properties<'a> {
    fn new(
        id: &'a str,
        map: &'a Map<String, Value>,
        pointer: &'a str,
        document: &'a Document,
    ) -> Self {
        Properties {
            id,
            map,
            pointer,
            document,
            read: Vec::new(),
        }
    }

    fn at(&self, name: &str) -> String {
        child(self.pointer, name)
    }

    fn fail(&self, diagnostics: &mut Diagnostics, path: &str, message: &str) {
        let pointer = if path.is_empty() {
            self.pointer.to_owned()
        } else {
            self.at(path.split('/').next().unwrap_or(path))
        };
        let pointer = if path.contains('/') {
            format!("{}/{}", self.pointer, path)
        } else {
            pointer
        };
        let hash_path = if path.is_empty() {
            "#".to_owned()
        } else {
            format!("#/{path}")
        };
        diagnostics.error(
            self.document,
            &pointer,
            format!(
                "Properties validation failed for resource {} with message: {hash_path}: {message}",
                self.id
            ),
        );
    }

    fn get(&mut self, name: &'static str) -> Option<&'a Value> {
        self.read.push(name);
        self.map.get(name)
    }

    fn string(&mut self, name: &'static str, diagnostics: &mut Diagnostics) -> Option<String> {
        let value = self.get(name)?;
        match value {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => text(value),
            other => {
                self.fail(
                    diagnostics,
                    name,
                    &format!("expected type: String, found: {}", type_name(other)),
                );
                None
            }
        }
    }

    fn required_string(
        &mut self,
        name: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Option<String> {
        if !self.map.contains_key(name) {
            self.read.push(name);
            self.fail(diagnostics, "", &format!("required key [{name}] not found"));
            return None;
        }
        self.string(name, diagnostics)
    }

    fn integer(
        &mut self,
        name: &'static str,
        range: std::ops::RangeInclusive<i64>,
        diagnostics: &mut Diagnostics,
    ) -> Option<i64> {
        let value = self.get(name)?;
        let number = match value {
            Value::Number(number) => number.as_i64(),
            Value::String(text) => text.trim().parse::<i64>().ok(),
            _ => None,
        };
        match number {
            Some(number) if range.contains(&number) => Some(number),
            Some(number) => {
                let (low, high) = (range.start(), range.end());
                self.fail(
                    diagnostics,
                    name,
                    &format!("{number} is not in the range {low} to {high}"),
                );
                None
            }
            None => {
                self.fail(
                    diagnostics,
                    name,
                    &format!("expected type: Integer, found: {}", type_name(value)),
                );
                None
            }
        }
    }

    fn number(&mut self, name: &'static str, diagnostics: &mut Diagnostics) -> Option<f64> {
        let value = self.get(name)?;
        let number = match value {
            Value::Number(number) => number.as_f64(),
            Value::String(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|number| number.is_finite()),
            _ => None,
        };
        if number.is_none() {
            self.fail(
                diagnostics,
                name,
                &format!("expected type: Number, found: {}", type_name(value)),
            );
        }
        number
    }

    fn boolean(&mut self, name: &'static str, diagnostics: &mut Diagnostics) -> Option<bool> {
        boolean_value(self.get(name)?).or_else(|| {
            self.fail(
                diagnostics,
                name,
                &format!(
                    "expected type: Boolean, found: {}",
                    type_name(&self.map[name])
                ),
            );
            None
        })
    }

    fn strings(&mut self, name: &'static str, diagnostics: &mut Diagnostics) -> Vec<String> {
        let Some(value) = self.get(name) else {
            return Vec::new();
        };
        match value {
            Value::Array(items) if items.iter().all(|item| text(item).is_some()) => {
                items.iter().filter_map(text).collect()
            }
            other => {
                self.fail(
                    diagnostics,
                    name,
                    &format!(
                        "expected type: JSONArray of String, found: {}",
                        type_name(other)
                    ),
                );
                Vec::new()
            }
        }
    }

    fn one_of(
        &mut self,
        name: &'static str,
        allowed: &[&str],
        diagnostics: &mut Diagnostics,
    ) -> Option<String> {
        let value = self.string(name, diagnostics)?;
        if !allowed.contains(&value.as_str()) {
            self.fail(
                diagnostics,
                name,
                &format!(
                    "{value} is not a valid enum value (expected one of {})",
                    allowed.join(", ")
                ),
            );
            return None;
        }
        Some(value)
    }

    fn tags(&mut self, name: &'static str, diagnostics: &mut Diagnostics) -> Vec<Tag> {
        let Some(value) = self.get(name) else {
            return Vec::new();
        };
        let tags: Option<Vec<Tag>> = value.as_array().and_then(|items| {
            items
                .iter()
                .map(|item| {
                    Some(Tag {
                        key: text(item.get("Key")?)?,
                        value: text(item.get("Value")?)?,
                    })
                })
                .collect()
        });
        tags.unwrap_or_else(|| {
            self.fail(diagnostics, name, "expected a list of {Key, Value} tags");
            Vec::new()
        })
    }

    /// Reports the properties nobody read.
    fn finish(&self, diagnostics: &mut Diagnostics) {
        for key in self.map.keys() {
            if !self.read.contains(&key.as_str()) {
                let message = format!(
                    "Properties validation failed for resource {} with message: #: extraneous key [{key}] is not permitted",
                    self.id
                );
                diagnostics.error(self.document, &self.at(key), message);
            }
        }
    }
}

fn boolean_value(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn state_machine(
    properties: &mut Properties<'_>,
    resolver: &Resolver,
    origin: Option<&DefinitionOrigin>,
    diagnostics: &mut Diagnostics,
) -> Option<StateMachine> {
    let id = properties.id;
    let name = properties
        .string("StateMachineName", diagnostics)
        .unwrap_or_else(|| resolver.generated_name(id, false, 80));
    let machine_type = match properties
        .one_of("StateMachineType", &["STANDARD", "EXPRESS"], diagnostics)
        .as_deref()
    {
        Some("EXPRESS") => MachineType::Express,
        _ => MachineType::Standard,
    };
    let role_arn = properties.required_string("RoleArn", diagnostics);
    let definition_pointer;
    let definition = match (
        properties.get("Definition"),
        properties.get("DefinitionString"),
        properties.get("DefinitionS3Location"),
    ) {
        (_, _, Some(_)) => {
            properties.fail(diagnostics, "DefinitionS3Location", "DefinitionS3Location is not supported by switchback, which cannot read S3: use Definition or DefinitionString (or a local DefinitionUri with SAM)");
            return None;
        }
        (Some(Value::Object(definition)), None, None) => {
            definition_pointer = properties.at("Definition");
            Value::Object(definition.clone()).to_string()
        }
        (None, Some(Value::String(text)), None) => {
            definition_pointer = properties.at("DefinitionString");
            text.clone()
        }
        (Some(_), Some(_), None) => {
            properties.fail(
                diagnostics,
                "",
                "only one of [Definition, DefinitionString, DefinitionS3Location] may be given",
            );
            return None;
        }
        (None, None, None) => {
            properties.fail(
                diagnostics,
                "",
                "one of [Definition, DefinitionString, DefinitionS3Location] is required",
            );
            return None;
        }
        (Some(other), None, None) | (None, Some(other), None) => {
            let name = if properties.map.contains_key("Definition") {
                "Definition"
            } else {
                "DefinitionString"
            };
            let expected = if name == "Definition" {
                "JSONObject"
            } else {
                "String"
            };
            properties.fail(
                diagnostics,
                name,
                &format!("expected type: {expected}, found: {}", type_name(other)),
            );
            return None;
        }
    };
    let mut definition = definition;
    if let Some(substitutions) = properties.get("DefinitionSubstitutions") {
        match substitutions.as_object() {
            Some(substitutions) => {
                for (key, value) in substitutions {
                    match value {
                        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                            definition = definition
                                .replace(&format!("${{{key}}}"), &text(value).unwrap_or_default());
                        }
                        other => properties.fail(
                            diagnostics,
                            &format!("DefinitionSubstitutions/{key}"),
                            &format!(
                                "expected type: String, Integer or Boolean, found: {}",
                                type_name(other)
                            ),
                        ),
                    }
                }
            }
            None => properties.fail(
                diagnostics,
                "DefinitionSubstitutions",
                &format!(
                    "expected type: JSONObject, found: {}",
                    type_name(substitutions)
                ),
            ),
        }
    }
    validate_definition(
        &definition,
        machine_type,
        origin,
        &definition_pointer,
        properties.document,
        diagnostics,
    );

    let logging = match properties.get("LoggingConfiguration") {
        None => None,
        Some(value) => {
            let level = value
                .get("Level")
                .and_then(text)
                .unwrap_or_else(|| "OFF".into());
            if !["ALL", "ERROR", "FATAL", "OFF"].contains(&level.as_str()) {
                properties.fail(
                    diagnostics,
                    "LoggingConfiguration/Level",
                    &format!("{level} is not a valid enum value"),
                );
            }
            let include_execution_data = value
                .get("IncludeExecutionData")
                .and_then(boolean_value)
                .unwrap_or(false);
            let destinations = value
                .get("Destinations")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| {
                            item.pointer("/CloudWatchLogsLogGroup/LogGroupArn")
                                .and_then(text)
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(Logging {
                level,
                include_execution_data,
                destinations,
            })
        }
    };
    let tracing = properties.get("TracingConfiguration").map(|value| Tracing {
        enabled: value
            .get("Enabled")
            .and_then(boolean_value)
            .unwrap_or(false),
    });
    let tags = properties.tags("Tags", diagnostics);
    if properties.get("EncryptionConfiguration").is_some() {
        diagnostics.warning(
            properties.document,
            &properties.at("EncryptionConfiguration"),
            "EncryptionConfiguration is recorded, not enforced, by switchback",
        );
    }
    properties.finish(diagnostics);
    let arn = format!(
        "arn:aws:states:{}:{}:stateMachine:{name}",
        resolver.region, resolver.account
    );
    Some(StateMachine {
        name,
        arn,
        machine_type,
        definition,
        role_arn: role_arn?,
        logging,
        tracing,
        tags,
    })
}

/// Runs the ASL validator on a definition and points its diagnostics at where the definition
/// was written (its own file for a `DefinitionUri`).
fn validate_definition(
    definition: &str,
    machine_type: MachineType,
    origin: Option<&DefinitionOrigin>,
    fallback_pointer: &str,
    template: &Document,
    diagnostics: &mut Diagnostics,
) {
    let options = asl::validate::Options {
        machine_type: match machine_type {
            MachineType::Standard => asl::validate::MachineType::Standard,
            MachineType::Express => asl::validate::MachineType::Express,
        },
    };
    // A placeholder stands where an ARN will be: checks of its shape would only be noise.
    let deferred = Placeholder::find(definition).next().is_some();
    for found in asl::validate::validate(definition, &options) {
        let message = format!(
            "the definition does not validate: {}: {}",
            found.code, found.message
        );
        let warning = deferred || found.severity == asl::validate::Severity::Warning;
        let location = found.location.clone().unwrap_or_default();
        let (document, pointer) = match origin {
            Some(DefinitionOrigin::File(document)) => (document, location),
            Some(DefinitionOrigin::Template(base)) => (template, format!("{base}{location}")),
            None if fallback_pointer.ends_with("/Definition") => {
                (template, format!("{fallback_pointer}{location}"))
            }
            None => (template, fallback_pointer.to_owned()),
        };
        if warning {
            diagnostics.warning(document, &pointer, message);
        } else {
            diagnostics.error(document, &pointer, message);
        }
    }
}

fn version(
    properties: &mut Properties<'_>,
    resolver: &Resolver,
    diagnostics: &mut Diagnostics,
) -> Option<Version> {
    let state_machine_arn = properties.required_string("StateMachineArn", diagnostics);
    let revision_id = properties.string("StateMachineRevisionId", diagnostics);
    let description = properties.string("Description", diagnostics);
    properties.finish(diagnostics);
    let state_machine_arn = state_machine_arn?;
    let state_machine = resolver
        .identities
        .iter()
        .find(|(_, identity)| {
            identity.managed
                && identity.resource_type == "AWS::StepFunctions::StateMachine"
                && identity.reference == state_machine_arn
        })
        .map(|(id, _)| id.clone());
    Some(Version {
        state_machine_arn,
        state_machine,
        revision_id,
        description,
    })
}

/// The state machine ARN of a version ARN: a placeholder names a version of the template; a
/// literal `arn:...:stateMachine:NAME:N` loses its `:N`.
fn machine_of_version(version_arn: &str, resolver: &Resolver) -> Option<String> {
    if let Some(placeholder) = Placeholder::find(version_arn).next() {
        return resolver
            .identities
            .get(&placeholder.logical_id)?
            .state_machine_arn
            .clone();
    }
    let parts: Vec<&str> = version_arn.split(':').collect();
    (parts.len() == 8 && parts[5] == "stateMachine").then(|| parts[..7].join(":"))
}

fn alias(
    properties: &mut Properties<'_>,
    resolver: &Resolver,
    diagnostics: &mut Diagnostics,
) -> Option<Alias> {
    let id = properties.id;
    let name = properties
        .string("Name", diagnostics)
        .unwrap_or_else(|| resolver.generated_name(id, false, 80));
    if name.is_empty() || name.chars().count() > 80 {
        properties.fail(diagnostics, "Name", "expected minLength: 1, maxLength: 80");
    }
    let description = properties.string("Description", diagnostics);
    let routing = match (
        properties.get("RoutingConfiguration"),
        properties.get("DeploymentPreference"),
    ) {
        (Some(_), Some(_)) | (None, None) => {
            properties.fail(
                diagnostics,
                "",
                "exactly one of [RoutingConfiguration, DeploymentPreference] is required",
            );
            None
        }
        (Some(routes), None) => {
            routing_configuration(properties, routes, diagnostics).map(Routing::Weights)
        }
        (None, Some(preference)) => {
            deployment_preference(properties, preference, diagnostics).map(Routing::Deployment)
        }
    };
    properties.finish(diagnostics);
    let routing = routing?;
    let machine_arn = routing
        .version_arns()
        .first()
        .and_then(|arn| machine_of_version(arn, resolver));
    let arn = match machine_arn {
        Some(machine_arn) => format!("{machine_arn}:{name}"),
        None => Placeholder::new(id, "Arn").text(),
    };
    Some(Alias {
        name,
        arn,
        description,
        routing,
    })
}

fn routing_configuration(
    properties: &Properties<'_>,
    routes: &Value,
    diagnostics: &mut Diagnostics,
) -> Option<Vec<Route>> {
    let Some(items) = routes
        .as_array()
        .filter(|items| (1..=2).contains(&items.len()))
    else {
        properties.fail(
            diagnostics,
            "RoutingConfiguration",
            "expected a list of 1 or 2 {StateMachineVersionArn, Weight}",
        );
        return None;
    };
    let mut out = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let version_arn = item.get("StateMachineVersionArn").and_then(text);
        let weight = item
            .get("Weight")
            .and_then(|weight| text(weight)?.parse::<u8>().ok())
            .filter(|weight| *weight <= 100);
        match (version_arn, weight) {
            (Some(version_arn), Some(weight)) => out.push(Route {
                version_arn,
                weight,
            }),
            _ => properties.fail(
                diagnostics,
                &format!("RoutingConfiguration/{index}"),
                "expected StateMachineVersionArn (String) and Weight (Integer, 0 to 100)",
            ),
        }
    }
    if out.len() == items.len()
        && out.iter().map(|route| u32::from(route.weight)).sum::<u32>() != 100
    {
        properties.fail(
            diagnostics,
            "RoutingConfiguration",
            "the weights must add up to 100",
        );
        return None;
    }
    (out.len() == items.len()).then_some(out)
}

fn deployment_preference(
    properties: &Properties<'_>,
    preference: &Value,
    diagnostics: &mut Diagnostics,
) -> Option<DeploymentPreference> {
    let field = |name: &str| preference.get(name);
    let at = |name: &str| format!("DeploymentPreference/{name}");
    let version_arn = field("StateMachineVersionArn").and_then(text);
    if version_arn.is_none() {
        properties.fail(
            diagnostics,
            "DeploymentPreference",
            "required key [StateMachineVersionArn] not found",
        );
    }
    let deployment_type = match field("Type").and_then(text).as_deref() {
        Some("LINEAR") => Some(DeploymentType::Linear),
        Some("CANARY") => Some(DeploymentType::Canary),
        Some("ALL_AT_ONCE") => Some(DeploymentType::AllAtOnce),
        Some(other) => {
            properties.fail(diagnostics, &at("Type"), &format!("{other} is not a valid enum value (expected one of LINEAR, CANARY, ALL_AT_ONCE)"));
            None
        }
        None => {
            properties.fail(
                diagnostics,
                "DeploymentPreference",
                "required key [Type] not found",
            );
            None
        }
    };
    let integer = |name: &str,
                   range: std::ops::RangeInclusive<i64>,
                   diagnostics: &mut Diagnostics|
     -> Option<i64> {
        let value = field(name)?;
        match text(value).and_then(|text| text.parse::<i64>().ok()) {
            Some(number) if range.contains(&number) => Some(number),
            _ => {
                properties.fail(
                    diagnostics,
                    &at(name),
                    &format!(
                        "expected an integer from {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    };
    let percentage = integer("Percentage", 1..=99, diagnostics).map(|value| value as u8);
    let interval = integer("Interval", 1..=2100, diagnostics).map(|value| value as u32);
    let alarms = match field("Alarms") {
        None => Vec::new(),
        Some(Value::Array(items))
            if items.iter().all(|item| text(item).is_some())
                && (1..=100).contains(&items.len()) =>
        {
            items.iter().filter_map(text).collect()
        }
        Some(_) => {
            properties.fail(diagnostics, &at("Alarms"), "expected 1 to 100 alarm names");
            Vec::new()
        }
    };
    for name in preference
        .as_object()
        .map(|map| map.keys().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if ![
            "StateMachineVersionArn",
            "Type",
            "Percentage",
            "Interval",
            "Alarms",
        ]
        .contains(&name.as_str())
        {
            properties.fail(
                diagnostics,
                &at(name),
                &format!("extraneous key [{name}] is not permitted"),
            );
        }
    }
    let deployment_type = deployment_type?;
    let label = match deployment_type {
        DeploymentType::Linear => "LINEAR",
        DeploymentType::Canary => "CANARY",
        DeploymentType::AllAtOnce => "ALL_AT_ONCE",
    };
    if deployment_type != DeploymentType::AllAtOnce {
        let missing = match (interval, percentage) {
            (None, None) => Some("an interval and percentage"),
            (None, Some(_)) => Some("an interval"),
            (Some(_), None) => Some("a percentage"),
            _ => None,
        };
        if let Some(missing) = missing {
            properties.fail(
                diagnostics,
                "DeploymentPreference",
                &format!("Deployments of type '{label}' require {missing} for traffic shifting"),
            );
            return None;
        }
    }
    if let (DeploymentType::Linear, Some(percentage), Some(interval)) =
        (deployment_type, percentage, interval)
    {
        let minutes = 100u32.div_ceil(u32::from(percentage)) * interval;
        if minutes > 2100 {
            properties.fail(diagnostics, "DeploymentPreference", &format!("The linear deployment configured is estimated to take {minutes} minutes, which exceeds the maximum allowable deployment time of 2100 minutes"));
            return None;
        }
    }
    Some(DeploymentPreference {
        version_arn: version_arn?,
        deployment_type,
        percentage,
        interval,
        alarms,
    })
}

fn activity(
    properties: &mut Properties<'_>,
    resolver: &Resolver,
    diagnostics: &mut Diagnostics,
) -> Option<Activity> {
    let name = properties.required_string("Name", diagnostics);
    let tags = properties.tags("Tags", diagnostics);
    if properties.get("EncryptionConfiguration").is_some() {
        diagnostics.warning(
            properties.document,
            &properties.at("EncryptionConfiguration"),
            "EncryptionConfiguration is recorded, not enforced, by switchback",
        );
    }
    properties.finish(diagnostics);
    let name = name?;
    let arn = format!(
        "arn:aws:states:{}:{}:activity:{name}",
        resolver.region, resolver.account
    );
    Some(Activity { name, arn, tags })
}

fn alarm(
    properties: &mut Properties<'_>,
    resolver: &Resolver,
    diagnostics: &mut Diagnostics,
) -> Option<Alarm> {
    let id = properties.id;
    let name = properties
        .string("AlarmName", diagnostics)
        .unwrap_or_else(|| resolver.generated_name(id, true, 255));
    let description = properties.string("AlarmDescription", diagnostics);
    let actions_enabled = properties
        .boolean("ActionsEnabled", diagnostics)
        .unwrap_or(true);
    let ok_actions = properties.strings("OKActions", diagnostics);
    let alarm_actions = properties.strings("AlarmActions", diagnostics);
    let insufficient_data_actions = properties.strings("InsufficientDataActions", diagnostics);
    let metric_name = properties.string("MetricName", diagnostics);
    let namespace = properties.string("Namespace", diagnostics);
    let statistic = properties.one_of(
        "Statistic",
        &["SampleCount", "Average", "Sum", "Minimum", "Maximum"],
        diagnostics,
    );
    let extended_statistic = properties.string("ExtendedStatistic", diagnostics);
    let dimensions = match properties.get("Dimensions") {
        None => Vec::new(),
        Some(value) => {
            let dimensions: Option<Vec<(String, String)>> = value.as_array().and_then(|items| {
                items
                    .iter()
                    .map(|item| Some((text(item.get("Name")?)?, text(item.get("Value")?)?)))
                    .collect()
            });
            dimensions.unwrap_or_else(|| {
                properties.fail(
                    diagnostics,
                    "Dimensions",
                    "expected a list of {Name, Value}",
                );
                Vec::new()
            })
        }
    };
    let period = properties
        .integer("Period", 1..=i64::from(u32::MAX), diagnostics)
        .map(|value| value as u32);
    let unit = properties.string("Unit", diagnostics);
    let evaluation_periods = if properties.map.contains_key("EvaluationPeriods") {
        properties
            .integer("EvaluationPeriods", 1..=i64::from(u32::MAX), diagnostics)
            .map(|value| value as u32)
    } else {
        properties.read.push("EvaluationPeriods");
        properties.fail(
            diagnostics,
            "",
            "required key [EvaluationPeriods] not found",
        );
        None
    };
    let datapoints_to_alarm = properties
        .integer("DatapointsToAlarm", 1..=i64::from(u32::MAX), diagnostics)
        .map(|value| value as u32);
    let threshold = properties.number("Threshold", diagnostics);
    let comparison_operator = if properties.map.contains_key("ComparisonOperator") {
        properties.one_of(
            "ComparisonOperator",
            &[
                "GreaterThanOrEqualToThreshold",
                "GreaterThanThreshold",
                "LessThanThreshold",
                "LessThanOrEqualToThreshold",
                "LessThanLowerOrGreaterThanUpperThreshold",
                "LessThanLowerThreshold",
                "GreaterThanUpperThreshold",
            ],
            diagnostics,
        )
    } else {
        properties.read.push("ComparisonOperator");
        properties.fail(
            diagnostics,
            "",
            "required key [ComparisonOperator] not found",
        );
        None
    };
    let treat_missing_data = properties.one_of(
        "TreatMissingData",
        &["breaching", "notBreaching", "ignore", "missing"],
        diagnostics,
    );
    let evaluate_low_sample_count_percentile =
        properties.string("EvaluateLowSampleCountPercentile", diagnostics);
    let metrics = properties.get("Metrics").cloned();
    let threshold_metric_id = properties.string("ThresholdMetricId", diagnostics);
    let tags = properties.tags("Tags", diagnostics);
    properties.finish(diagnostics);
    if metrics.is_none() && (metric_name.is_none() || namespace.is_none()) {
        properties.fail(
            diagnostics,
            "",
            "an alarm needs MetricName and Namespace, or Metrics",
        );
    }
    let arn = format!(
        "arn:aws:cloudwatch:{}:{}:alarm:{name}",
        resolver.region, resolver.account
    );
    Some(Alarm {
        name,
        arn,
        description,
        actions_enabled,
        ok_actions,
        alarm_actions,
        insufficient_data_actions,
        metric_name,
        namespace,
        statistic,
        extended_statistic,
        dimensions,
        period,
        unit,
        evaluation_periods: evaluation_periods?,
        datapoints_to_alarm,
        threshold,
        comparison_operator: comparison_operator?,
        treat_missing_data,
        evaluate_low_sample_count_percentile,
        metrics,
        threshold_metric_id,
        tags,
    })
}

const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

fn log_group(
    properties: &mut Properties<'_>,
    resolver: &Resolver,
    diagnostics: &mut Diagnostics,
) -> Option<LogGroup> {
    let id = properties.id;
    let name = properties
        .string("LogGroupName", diagnostics)
        .unwrap_or_else(|| resolver.generated_name(id, true, 512));
    let retention_in_days = properties.integer("RetentionInDays", 1..=3653, diagnostics);
    if let Some(days) = retention_in_days
        && !RETENTION_DAYS.contains(&days)
    {
        properties.fail(
            diagnostics,
            "RetentionInDays",
            &format!("{days} is not a valid enum value"),
        );
    }
    let kms_key_id = properties.string("KmsKeyId", diagnostics);
    let log_group_class = properties.one_of(
        "LogGroupClass",
        &["STANDARD", "INFREQUENT_ACCESS"],
        diagnostics,
    );
    let tags = properties.tags("Tags", diagnostics);
    let _ = properties.get("DataProtectionPolicy");
    properties.finish(diagnostics);
    let arn = format!(
        "arn:aws:logs:{}:{}:log-group:{name}:*",
        resolver.region, resolver.account
    );
    Some(LogGroup {
        name,
        arn,
        retention_in_days: retention_in_days.map(|days| days as u32),
        kms_key_id,
        log_group_class,
        tags,
    })
}
