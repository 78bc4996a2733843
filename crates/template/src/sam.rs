//! The SAM transform for `AWS::Serverless::StateMachine`, at the template level as SAM does it.
//!
//! Each serverless state machine `<Id>` becomes `AWS::StepFunctions::StateMachine` `<Id>`, and with
//! `AutoPublishAlias: <alias>` also `AWS::StepFunctions::StateMachineVersion` `<Id>Version`
//! (Retain, no hash suffix: a new revision replaces it, which publishes a new version) and
//! `AWS::StepFunctions::StateMachineAlias` `<Id>Alias<alias>` whose `DeploymentPreference` is the
//! user's (or `ALL_AT_ONCE`) with `StateMachineVersionArn: !Ref <Id>Version`. Without `Role`, SAM
//! generates `AWS::IAM::Role` `<Id>Role`, which Switchback records but does not run.
//!
//! A local `DefinitionUri` is read through the injected [`Files`] (the crate does no I/O),
//! relative to the template's folder, and embedded as `DefinitionString` with its text kept. An
//! inline `Definition` is written as SAM writes it (sorted keys, 4-space indent), each intrinsic
//! inside it moved to `DefinitionSubstitutions` as `${definition_substitution_N}`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::diagnostic::{Diagnostics, child};
use crate::load::{self, Document};

/// The transform a template must declare to use `AWS::Serverless::*` types.
pub const SERVERLESS_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// The SAM resource type this transform expands.
pub const SERVERLESS_STATE_MACHINE: &str = "AWS::Serverless::StateMachine";

/// Reads the files a template names (`DefinitionUri`). Implemented for closures
/// `Fn(&Path) -> Result<String, String>`, the error being a message such as the OS's.
pub trait Files {
    /// The text of the file at `path`.
    fn read(&self, path: &Path) -> Result<String, String>;
}

impl<F: Fn(&Path) -> Result<String, String>> Files for F {
    fn read(&self, path: &Path) -> Result<String, String> {
        self(path)
    }
}

/// Where a state machine's definition was written, to point the definition's own diagnostics
/// at it.
#[derive(Debug, Clone)]
pub(crate) enum DefinitionOrigin {
    /// In its own file (`DefinitionUri`), loaded with positions.
    File(Document),
    /// Inline in the template, at this pointer.
    Template(String),
}

const PROPERTIES: &[&str] = &[
    "Definition",
    "DefinitionUri",
    "DefinitionSubstitutions",
    "Name",
    "Type",
    "Role",
    "RolePath",
    "Policies",
    "PermissionsBoundary",
    "Logging",
    "Tracing",
    "Tags",
    "PropagateTags",
    "Events",
    "AutoPublishAlias",
    "DeploymentPreference",
    "UseAliasAsEventTarget",
];

/// Expands every `AWS::Serverless::StateMachine` of `template` in place. `parameter` gives a
/// parameter's value, for the properties SAM resolves itself (`AutoPublishAlias: !Ref Alias`).
pub(crate) fn transform(
    template: &mut Document,
    files: &dyn Files,
    template_folder: &Path,
    parameter: &dyn Fn(&str) -> Option<String>,
    diagnostics: &mut Diagnostics,
) -> HashMap<String, DefinitionOrigin> {
    let mut origins = HashMap::new();
    let Some(resources) = template
        .value
        .get("Resources")
        .and_then(Value::as_object)
        .cloned()
    else {
        return origins;
    };
    let serverless: Vec<&String> = resources
        .iter()
        .filter(|(_, resource)| {
            resource_type(resource).is_some_and(|kind| kind.starts_with("AWS::Serverless::"))
        })
        .map(|(id, _)| id)
        .collect();
    if serverless.is_empty() {
        return origins;
    }
    if !declares_serverless_transform(&template.value) {
        let mut types: Vec<&str> = serverless
            .iter()
            .filter_map(|id| resource_type(&resources[*id]))
            .collect();
        types.dedup();
        let pointer = child("/Resources", serverless[0]);
        diagnostics.error(
            template,
            &pointer,
            format!(
                "Template format error: Unrecognized resource types: [{}]",
                types.join(", ")
            ),
        );
        return origins;
    }
    let mut expanded = Map::new();
    for (id, resource) in &resources {
        if resource_type(resource) != Some(SERVERLESS_STATE_MACHINE) {
            expanded.insert(id.clone(), resource.clone());
            continue;
        }
        let generated = expand(
            template,
            id,
            resource,
            files,
            template_folder,
            parameter,
            diagnostics,
            &mut origins,
        );
        for (generated_id, generated_resource) in generated {
            if generated_id != *id && resources.contains_key(&generated_id) {
                let message = format!(
                    "Resource with id [{id}] is invalid. The generated resource id {generated_id} is already used in the template"
                );
                diagnostics.error(template, &child("/Resources", id), message);
            }
            expanded.insert(generated_id, generated_resource);
        }
    }
    if let Some(object) = template.value.as_object_mut() {
        object.insert("Resources".into(), Value::Object(expanded));
    }
    origins
}

fn resource_type(resource: &Value) -> Option<&str> {
    resource.get("Type").and_then(Value::as_str)
}

fn declares_serverless_transform(template: &Value) -> bool {
    match template.get("Transform") {
        Some(Value::String(name)) => name == SERVERLESS_TRANSFORM,
        Some(Value::Array(names)) => names.iter().any(|name| name == SERVERLESS_TRANSFORM),
        _ => false,
    }
}

#[allow(clippy::too_many_arguments)] // One call site; a struct would only rename the arguments.
fn expand(
    template: &mut Document,
    id: &str,
    resource: &Value,
    files: &dyn Files,
    template_folder: &Path,
    parameter: &dyn Fn(&str) -> Option<String>,
    diagnostics: &mut Diagnostics,
    origins: &mut HashMap<String, DefinitionOrigin>,
) -> Vec<(String, Value)> {
    let base = child("/Resources", id);
    let properties_pointer = child(&base, "Properties");
    let empty = Map::new();
    let properties = match resource.get("Properties") {
        Some(Value::Object(properties)) => properties,
        None => &empty,
        Some(_) => {
            let message =
                format!("Resource with id [{id}] is invalid. 'Properties' must be a mapping");
            diagnostics.error(template, &properties_pointer, message);
            &empty
        }
    };
    let invalid = |text: &str| format!("Resource with id [{id}] is invalid. {text}");
    for key in properties.keys() {
        if !PROPERTIES.contains(&key.as_str()) {
            let pointer = child(&properties_pointer, key);
            let message = invalid(&format!(
                "property {key} not defined for resource of type {SERVERLESS_STATE_MACHINE}"
            ));
            diagnostics.error(template, &pointer, message);
        }
    }
    let at = |name: &str| child(&properties_pointer, name);
    let mut machine = Map::new();
    let mut substitutions = Map::new();

    // The definition.
    match (properties.get("Definition"), properties.get("DefinitionUri")) {
        (Some(_), Some(_)) => diagnostics.error(
            template,
            &properties_pointer,
            invalid("Specify either 'Definition' or 'DefinitionUri' property and not both."),
        ),
        (None, None) => diagnostics.error(
            template,
            &properties_pointer,
            invalid("Either 'Definition' or 'DefinitionUri' property must be specified."),
        ),
        (Some(Value::Object(definition)), None) => {
            let mut definition = Value::Object(definition.clone());
            let mut counter = 0;
            move_intrinsics(&mut definition, &mut substitutions, &mut counter);
            machine.insert("DefinitionString".into(), Value::String(sam_json(&definition)));
            origins.insert(id.to_owned(), DefinitionOrigin::Template(at("Definition")));
        }
        (Some(_), None) => diagnostics.error(template, &at("Definition"), invalid("'Definition' must be a mapping.")),
        (None, Some(Value::String(uri))) if !uri.starts_with("s3://") => {
            let path: PathBuf = template_folder.join(uri);
            match files.read(&path) {
                Err(error) => diagnostics.error(
                    template,
                    &at("DefinitionUri"),
                    format!("cannot read DefinitionUri {}: {error}", path.display()),
                ),
                Ok(text) => {
                    let file_name = path.display().to_string();
                    let (document, problems) = load::load(&file_name, &text);
                    diagnostics.items.extend(problems);
                    if let Some(document) = document {
                        // A JSON file keeps its own text; a YAML one is written as JSON.
                        let definition_text = if text.trim_start().starts_with('{') {
                            text
                        } else {
                            sam_json(&document.value)
                        };
                        machine.insert("DefinitionString".into(), Value::String(definition_text));
                        origins.insert(id.to_owned(), DefinitionOrigin::File(document));
                    }
                }
            }
        }
        (None, Some(_)) => diagnostics.error(
            template,
            &at("DefinitionUri"),
            "a DefinitionUri in S3 is not supported by switchback, which cannot read S3: point it at a local file (relative to the template)",
        ),
    }
    if let Some(user) = properties.get("DefinitionSubstitutions") {
        match user {
            Value::Object(user) => {
                for (key, value) in user {
                    substitutions.insert(key.clone(), value.clone());
                }
            }
            _ => diagnostics.error(
                template,
                &at("DefinitionSubstitutions"),
                invalid("'DefinitionSubstitutions' must be a mapping."),
            ),
        }
    }
    if !substitutions.is_empty() {
        machine.insert(
            "DefinitionSubstitutions".into(),
            Value::Object(substitutions),
        );
        template.copy_locations(
            &at("DefinitionSubstitutions"),
            &child(&properties_pointer, "DefinitionSubstitutions"),
        );
    }

    // Straight renames.
    for (from, to) in [
        ("Name", "StateMachineName"),
        ("Type", "StateMachineType"),
        ("Logging", "LoggingConfiguration"),
        ("Tracing", "TracingConfiguration"),
    ] {
        if let Some(value) = properties.get(from) {
            machine.insert(to.into(), value.clone());
            template.copy_locations(&at(from), &at(to));
        }
    }

    // The role.
    let mut generated = Vec::new();
    match (properties.get("Role"), properties.get("Policies")) {
        (Some(_), Some(_)) => diagnostics.error(
            template,
            &properties_pointer,
            invalid("Specify either 'Role' or 'Policies' (but not both at the same time) or neither of them"),
        ),
        (Some(role), None) => {
            machine.insert("RoleArn".into(), role.clone());
            template.copy_locations(&at("Role"), &at("RoleArn"));
        }
        (None, policies) => {
            let role_id = format!("{id}Role");
            if policies.is_some() {
                diagnostics.warning(
                    template,
                    &at("Policies"),
                    "'Policies' are recorded in the generated role, not enforced: switchback does not run IAM",
                );
            }
            let mut role_properties = Map::new();
            role_properties.insert(
                "AssumeRolePolicyDocument".into(),
                json!({"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["states.amazonaws.com"]}}]}),
            );
            for name in ["Policies", "RolePath", "PermissionsBoundary"] {
                if let Some(value) = properties.get(name) {
                    let target = if name == "RolePath" { "Path" } else { name };
                    role_properties.insert(target.into(), value.clone());
                }
            }
            role_properties.insert("Tags".into(), json!([{"Key": "stateMachine:createdBy", "Value": "SAM"}]));
            let mut role = Map::new();
            role.insert("Type".into(), "AWS::IAM::Role".into());
            role.insert("Properties".into(), Value::Object(role_properties));
            copy_attribute(resource, &mut role, "Condition");
            template.copy_locations(&base, &child("/Resources", &role_id));
            generated.push((role_id.clone(), Value::Object(role)));
            machine.insert("RoleArn".into(), json!({"Fn::GetAtt": [role_id, "Arn"]}));
        }
    }

    // Tags: SAM's own first.
    let mut tags = vec![json!({"Key": "stateMachine:createdBy", "Value": "SAM"})];
    match properties.get("Tags") {
        None => {}
        Some(Value::Object(user)) => {
            for (key, value) in user {
                tags.push(json!({"Key": key, "Value": value}));
            }
        }
        Some(_) => diagnostics.error(
            template,
            &at("Tags"),
            invalid("'Tags' must be a mapping of strings."),
        ),
    }
    machine.insert("Tags".into(), Value::Array(tags));

    if properties.contains_key("Events") {
        diagnostics.warning(
            template,
            &at("Events"),
            "'Events' are not run by switchback: their event sources are not created",
        );
    }

    // The alias and its version.
    let alias = match properties.get("AutoPublishAlias") {
        None => None,
        Some(Value::String(alias)) => Some(alias.clone()),
        Some(Value::Object(reference))
            if reference.len() == 1 && reference.get("Ref").is_some_and(Value::is_string) =>
        {
            let name = reference["Ref"].as_str().unwrap_or_default();
            let value = parameter(name);
            if value.is_none() {
                diagnostics.error(
                    template,
                    &at("AutoPublishAlias"),
                    invalid(&format!("'AutoPublishAlias' refers to {name}, which is not a parameter with a value.")),
                );
            }
            value
        }
        Some(_) => {
            diagnostics.error(
                template,
                &at("AutoPublishAlias"),
                invalid("'AutoPublishAlias' must be a string or a Ref to a parameter."),
            );
            None
        }
    };
    if let Some(alias) = &alias
        && (alias.is_empty() || !alias.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        diagnostics.error(
            template,
            &at("AutoPublishAlias"),
            invalid("AutoPublishAlias must contain only alphanumeric characters."),
        );
    }
    for dependent in ["DeploymentPreference", "UseAliasAsEventTarget"] {
        if properties.contains_key(dependent)
            && alias.is_none()
            && !properties.contains_key("AutoPublishAlias")
        {
            diagnostics.error(
                template,
                &at(dependent),
                invalid(&format!(
                    "'{dependent}' requires 'AutoPublishAlias' property to be specified."
                )),
            );
        }
    }

    let mut machine_resource = Map::new();
    machine_resource.insert("Type".into(), "AWS::StepFunctions::StateMachine".into());
    machine_resource.insert("Properties".into(), Value::Object(machine));
    for attribute in [
        "Condition",
        "DependsOn",
        "DeletionPolicy",
        "UpdateReplacePolicy",
        "Metadata",
    ] {
        copy_attribute(resource, &mut machine_resource, attribute);
    }
    let mut out = vec![(id.to_owned(), Value::Object(machine_resource))];
    out.extend(generated);

    if let Some(alias) = alias {
        let version_id = format!("{id}Version");
        let mut version = Map::new();
        version.insert(
            "Type".into(),
            "AWS::StepFunctions::StateMachineVersion".into(),
        );
        version.insert(
            "Properties".into(),
            json!({"StateMachineArn": {"Ref": id}, "StateMachineRevisionId": {"Fn::GetAtt": [id, "StateMachineRevisionId"]}}),
        );
        version.insert("DeletionPolicy".into(), "Retain".into());
        version.insert("UpdateReplacePolicy".into(), "Retain".into());
        copy_attribute(resource, &mut version, "Condition");
        template.copy_locations(&at("AutoPublishAlias"), &child("/Resources", &version_id));

        let alias_id = format!("{id}Alias{alias}");
        let alias_pointer = child("/Resources", &alias_id);
        let mut preference = match properties.get("DeploymentPreference") {
            Some(Value::Object(preference)) => preference.clone(),
            Some(_) => {
                diagnostics.error(
                    template,
                    &at("DeploymentPreference"),
                    invalid("'DeploymentPreference' must be a mapping."),
                );
                Map::new()
            }
            None => {
                let mut all_at_once = Map::new();
                all_at_once.insert("Type".into(), "ALL_AT_ONCE".into());
                all_at_once
            }
        };
        preference.insert("StateMachineVersionArn".into(), json!({"Ref": version_id}));
        let mut alias_resource = Map::new();
        alias_resource.insert(
            "Type".into(),
            "AWS::StepFunctions::StateMachineAlias".into(),
        );
        alias_resource.insert(
            "Properties".into(),
            json!({"Name": alias, "DeploymentPreference": Value::Object(preference)}),
        );
        copy_attribute(resource, &mut alias_resource, "Condition");
        template.copy_locations(&at("AutoPublishAlias"), &alias_pointer);
        template.copy_locations(
            &at("AutoPublishAlias"),
            &child(&child(&alias_pointer, "Properties"), "Name"),
        );
        template.copy_locations(
            &at("DeploymentPreference"),
            &child(&child(&alias_pointer, "Properties"), "DeploymentPreference"),
        );
        out.push((version_id, Value::Object(version)));
        out.push((alias_id, Value::Object(alias_resource)));
    }
    out
}

fn copy_attribute(from: &Value, to: &mut Map<String, Value>, attribute: &str) {
    if let Some(value) = from.get(attribute) {
        to.insert(attribute.into(), value.clone());
    }
}

/// Replaces each intrinsic inside an inline definition by `${definition_substitution_N}` and
/// moves it to the substitutions, as SAM does.
fn move_intrinsics(value: &mut Value, substitutions: &mut Map<String, Value>, counter: &mut usize) {
    match value {
        Value::Object(entries) if is_intrinsic(entries) => {
            *counter += 1;
            let name = format!("definition_substitution_{counter}");
            let intrinsic = std::mem::replace(value, Value::String(format!("${{{name}}}")));
            substitutions.insert(name, intrinsic);
        }
        Value::Object(entries) => {
            for entry in entries.values_mut() {
                move_intrinsics(entry, substitutions, counter);
            }
        }
        Value::Array(items) => {
            for item in items {
                move_intrinsics(item, substitutions, counter);
            }
        }
        _ => {}
    }
}

/// Whether a mapping is an intrinsic function call (`{"Ref": ...}`, `{"Fn::...": ...}`).
pub(crate) fn is_intrinsic(entries: &Map<String, Value>) -> bool {
    entries.len() == 1
        && entries
            .keys()
            .all(|key| key == "Ref" || key.starts_with("Fn::"))
}

/// JSON as SAM writes an inline definition: keys sorted, 4-space indent.
pub(crate) fn sam_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(entries) => {
                let mut keys: Vec<&String> = entries.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|key| (key.clone(), sorted(&entries[key])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Writing a `Value` into a `Vec` cannot fail, and the output is UTF-8.
    if serde::Serialize::serialize(&sorted(value), &mut serializer).is_err() {
        return value.to_string();
    }
    String::from_utf8(out).unwrap_or_else(|_| value.to_string())
}
