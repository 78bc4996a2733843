//! Tagging: TagResource, UntagResource and ListTagsForResource, on state machines and
//! activities.
//!
//! Keys and values are checked by the model (key 1..128 characters, value up to 256); this
//! module adds AWS's other rules: at most 50 tags per resource (`TooManyTags`) and no key in the
//! reserved `aws:` prefix. A version ARN, or a resource that does not exist, is
//! `ResourceNotFound` (recorded).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::arn::{self, Kind};
use crate::error::Error;

/// The most tags a resource can have.
pub const MAX_TAGS: usize = 50;

/// One tag as the API sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct TagInput {
    key: String,
    #[serde(default)]
    value: String,
}

/// `TagResource` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceInput {
    resource_arn: String,
    tags: Vec<TagInput>,
}

/// `UntagResource` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagResourceInput {
    resource_arn: String,
    tag_keys: Vec<String>,
}

/// `ListTagsForResource` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsInput {
    resource_arn: String,
}

/// Checks tags to add to a resource that has `existing` keys.
pub fn check(arn: &str, existing: &[String], tags: &[TagInput]) -> Result<(), Error> {
    if let Some(tag) = tags
        .iter()
        .find(|tag| tag.key.to_ascii_lowercase().starts_with("aws:"))
    {
        return Err(Error::Validation(format!(
            "Tag keys starting with 'aws:' are reserved for AWS use: '{}'",
            tag.key
        )));
    }
    let mut keys: Vec<&str> = existing.iter().map(String::as_str).collect();
    keys.extend(tags.iter().map(|tag| tag.key.as_str()));
    keys.sort_unstable();
    keys.dedup();
    if keys.len() > MAX_TAGS {
        return Err(Error::TooManyTags(arn.to_owned()));
    }
    Ok(())
}

/// Stores tags (already checked) on a resource.
pub async fn store(state: &AppState, arn: &str, tags: Vec<TagInput>) -> Result<(), Error> {
    if tags.is_empty() {
        return Ok(());
    }
    let pairs = tags.into_iter().map(|tag| (tag.key, tag.value)).collect();
    state.runtime.store().tag(arn, pairs).await?;
    Ok(())
}

/// Removes every tag of a deleted resource.
pub async fn forget(state: &AppState, arn: &str) -> Result<(), Error> {
    let store = state.runtime.store();
    let keys: Vec<String> = store
        .tags(arn)
        .await?
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    if !keys.is_empty() {
        store.untag(arn, keys).await?;
    }
    Ok(())
}

/// Checks that a taggable resource exists.
async fn existing(state: &AppState, resource_arn: &str) -> Result<(), Error> {
    let parsed = arn::expect(
        resource_arn,
        &[
            Kind::StateMachine,
            Kind::QualifiedStateMachine,
            Kind::Activity,
        ],
    )?;
    let store = state.runtime.store();
    let found = match parsed.kind {
        Kind::StateMachine => store.get_state_machine(resource_arn).await.map(|_| ()),
        Kind::Activity => store.get_activity(resource_arn).await.map(|_| ()),
        _ => Err(store::Error::NotFound(resource_arn.to_owned())),
    };
    match found {
        Ok(()) => Ok(()),
        Err(store::Error::NotFound(_)) => Err(Error::ResourceNotFound(resource_arn.to_owned())),
        Err(error) => Err(error.into()),
    }
}

/// `TagResource`.
pub async fn tag(state: &AppState, input: TagResourceInput) -> Result<Value, Error> {
    existing(state, &input.resource_arn).await?;
    let existing_keys: Vec<String> = state
        .runtime
        .store()
        .tags(&input.resource_arn)
        .await?
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    check(&input.resource_arn, &existing_keys, &input.tags)?;
    store(state, &input.resource_arn, input.tags).await?;
    Ok(json!({}))
}

/// `UntagResource`.
pub async fn untag(state: &AppState, input: UntagResourceInput) -> Result<Value, Error> {
    existing(state, &input.resource_arn).await?;
    if !input.tag_keys.is_empty() {
        state
            .runtime
            .store()
            .untag(&input.resource_arn, input.tag_keys)
            .await?;
    }
    Ok(json!({}))
}

/// `ListTagsForResource`.
pub async fn list(state: &AppState, input: ListTagsInput) -> Result<Value, Error> {
    existing(state, &input.resource_arn).await?;
    let tags: Vec<Value> = state
        .runtime
        .store()
        .tags(&input.resource_arn)
        .await?
        .into_iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect();
    Ok(json!({ "tags": tags }))
}
