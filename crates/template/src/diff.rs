//! What a deploy changes: the previous plan (rebuilt from the stack's stored template and
//! parameters, or kept from the last deploy) against the desired one.
//!
//! Placeholders compare as text, so a version's `{{switchback:MachineVersion.Arn}}` is "the same"
//! in both plans; what makes it differ is its state machine's revision. The rules, as
//! CloudFormation applies them to the resources SAM generates:
//! - a state machine whose definition, role, logging or tracing changed gets a new revision
//!   (its name or type changing replaces it);
//! - a version is immutable: a new revision of its state machine (or any change of its own)
//!   publishes a new one — the old one is retained;
//! - an alias whose target version is newly published moves: gradually when it has a LINEAR or
//!   CANARY `DeploymentPreference`, at once otherwise.

use std::collections::BTreeSet;

use crate::plan::{DeploymentType, Placeholder, Plan, Resource, Routing, Spec};

/// The changes a deploy makes, each list in plan order (deletions in reverse).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    /// Resources to create.
    pub create: Vec<Change>,
    /// Resources to update, replace, publish again or deploy to.
    pub update: Vec<Change>,
    /// Resources to delete (or, with `DeletionPolicy: Retain`, to let go of).
    pub delete: Vec<Change>,
    /// The logical ids left as they are.
    pub unchanged: Vec<String>,
}

impl Changes {
    /// Whether the deploy changes nothing.
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.update.is_empty() && self.delete.is_empty()
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The resource's logical id.
    pub logical_id: String,
    /// Its CloudFormation type.
    pub resource_type: &'static str,
    /// What happens to it.
    pub action: Action,
    /// The properties that differ (empty for creations and deletions).
    pub properties: Vec<&'static str>,
}

/// What happens to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create it.
    Create,
    /// Update it in place.
    Modify,
    /// Delete it and create it again (a create-only property changed).
    Replace,
    /// Publish a new version (the previous one is retained).
    PublishVersion,
    /// Move an alias to its new version gradually (LINEAR or CANARY).
    GradualDeployment,
    /// Delete it.
    Delete,
    /// Drop it from the stack but leave it in place (`DeletionPolicy: Retain`).
    Retain,
}

/// The changes that take `previous` to `desired`.
pub fn diff(previous: &Plan, desired: &Plan) -> Changes {
    let mut changes = Changes::default();
    // Placeholders (`Id.Attribute`) whose value this deploy changes.
    let mut moved: BTreeSet<String> = BTreeSet::new();
    for resource in &desired.resources {
        let id = &resource.logical_id;
        let resource_type = resource.spec.resource_type();
        let Some(before) = previous.resource(id) else {
            let action = if matches!(resource.spec, Spec::Version(_)) {
                Action::PublishVersion
            } else {
                Action::Create
            };
            mark_moved(resource, &mut moved);
            changes.create.push(Change {
                logical_id: id.clone(),
                resource_type,
                action,
                properties: Vec::new(),
            });
            continue;
        };
        if before.spec.resource_type() != resource_type {
            mark_moved(resource, &mut moved);
            let change = Change {
                logical_id: id.clone(),
                resource_type,
                action: Action::Replace,
                properties: vec!["Type"],
            };
            changes.update.push(change);
            continue;
        }
        let old = fields(&before.spec);
        let new = fields(&resource.spec);
        let properties: Vec<&'static str> = new
            .iter()
            .zip(&old)
            .filter(|((_, new_value), (_, old_value))| {
                new_value != old_value || mentions(new_value, &moved)
            })
            .map(|((name, _), _)| *name)
            .collect();
        if properties.is_empty() {
            changes.unchanged.push(id.clone());
            continue;
        }
        let action = match &resource.spec {
            Spec::StateMachine(_)
                if properties
                    .iter()
                    .any(|name| ["Name", "Type"].contains(name)) =>
            {
                Action::Replace
            }
            Spec::StateMachine(_) => Action::Modify,
            Spec::Version(_) => Action::PublishVersion,
            Spec::Alias(_) if properties.contains(&"Name") => Action::Replace,
            Spec::Alias(alias) => match &alias.routing {
                Routing::Deployment(preference)
                    if preference.deployment_type != DeploymentType::AllAtOnce
                        && properties == ["Routing"]
                        && target_moved(before, resource, &moved) =>
                {
                    Action::GradualDeployment
                }
                _ => Action::Modify,
            },
            Spec::Activity(_) | Spec::Alarm(_) | Spec::LogGroup(_)
                if properties.contains(&"Name") =>
            {
                Action::Replace
            }
            _ => Action::Modify,
        };
        match (&resource.spec, action) {
            (Spec::StateMachine(_), Action::Replace) => mark_moved(resource, &mut moved),
            (Spec::StateMachine(_), _)
                if properties.iter().any(|name| REVISION_FIELDS.contains(name)) =>
            {
                moved.insert(format!("{id}.StateMachineRevisionId"));
            }
            (Spec::Version(_), _) | (_, Action::Replace) => mark_moved(resource, &mut moved),
            _ => {}
        }
        changes.update.push(Change {
            logical_id: id.clone(),
            resource_type,
            action,
            properties,
        });
    }
    for before in previous.resources.iter().rev() {
        if desired.resource(&before.logical_id).is_none() {
            let action = if before.retain {
                Action::Retain
            } else {
                Action::Delete
            };
            let resource_type = before.spec.resource_type();
            changes.delete.push(Change {
                logical_id: before.logical_id.clone(),
                resource_type,
                action,
                properties: Vec::new(),
            });
        }
    }
    changes
}

/// The state machine fields that make a new revision.
const REVISION_FIELDS: &[&str] = &["Definition", "RoleArn", "Logging", "Tracing"];

/// Every placeholder attribute of a created or replaced resource takes a new value.
fn mark_moved(resource: &Resource, moved: &mut BTreeSet<String>) {
    for attribute in ["Arn", "StateMachineRevisionId"] {
        moved.insert(format!("{}.{attribute}", resource.logical_id));
    }
}

fn mentions(value: &str, moved: &BTreeSet<String>) -> bool {
    Placeholder::find(value).any(|placeholder| {
        moved.contains(&format!(
            "{}.{}",
            placeholder.logical_id, placeholder.attribute
        ))
    })
}

/// Whether an alias's target version is a new one (not just a change of its other settings).
fn target_moved(before: &Resource, after: &Resource, moved: &BTreeSet<String>) -> bool {
    let (Spec::Alias(old), Spec::Alias(new)) = (&before.spec, &after.spec) else {
        return false;
    };
    let (old_targets, new_targets) = (old.routing.version_arns(), new.routing.version_arns());
    old_targets != new_targets || new_targets.iter().any(|arn| mentions(arn, moved))
}

/// A resource's comparable fields, by the property names users know.
fn fields(spec: &Spec) -> Vec<(&'static str, String)> {
    let show = |value: &dyn std::fmt::Debug| format!("{value:?}");
    match spec {
        Spec::StateMachine(machine) => vec![
            ("Name", show(&machine.name)),
            ("Type", show(&machine.machine_type)),
            ("Definition", show(&machine.definition)),
            ("RoleArn", show(&machine.role_arn)),
            ("Logging", show(&machine.logging)),
            ("Tracing", show(&machine.tracing)),
            ("Tags", show(&machine.tags)),
        ],
        Spec::Version(version) => vec![
            ("StateMachineArn", show(&version.state_machine_arn)),
            ("StateMachineRevisionId", show(&version.revision_id)),
            ("Description", show(&version.description)),
        ],
        Spec::Alias(alias) => vec![
            ("Name", show(&alias.name)),
            ("Description", show(&alias.description)),
            ("Routing", show(&alias.routing)),
        ],
        Spec::Activity(activity) => vec![
            ("Name", show(&activity.name)),
            ("Tags", show(&activity.tags)),
        ],
        Spec::Alarm(alarm) => {
            let mut rest = alarm.clone();
            rest.name = String::new();
            rest.arn = String::new();
            vec![("Name", show(&alarm.name)), ("Configuration", show(&rest))]
        }
        Spec::LogGroup(group) => vec![
            ("Name", show(&group.name)),
            ("RetentionInDays", show(&group.retention_in_days)),
            ("KmsKeyId", show(&group.kms_key_id)),
            ("LogGroupClass", show(&group.log_group_class)),
            ("Tags", show(&group.tags)),
        ],
    }
}
