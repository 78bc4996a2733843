//! Stacks (issue 7): what `switchback deploy` applied from a template, kept on the server so
//! that `switchback stacks ...` and the next deploy can read it.
//!
//! A stack is one record — name, id, status and a JSON document with its template, parameters,
//! outputs and resources (their physical ids) — and its events, newest first. `revision` counts
//! the writes: a put must follow the stored one (`Conflict` otherwise), so two deploys that read
//! the same stack cannot both write it, and the record and the events it brings commit
//! together.

use async_trait::async_trait;

use crate::{Page, PageRequest, Result};

/// One stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackRecord {
    /// Its name (the key).
    pub name: String,
    /// `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID`.
    pub stack_id: String,
    /// CloudFormation's `StackStatus` (`CREATE_COMPLETE`, `UPDATE_IN_PROGRESS`, ...).
    pub status: String,
    /// `StackStatusReason`, if any.
    pub status_reason: Option<String>,
    /// The `ClientRequestToken` of the deploy that wrote it last.
    pub client_request_token: Option<String>,
    /// When it was created.
    pub created_ms: i64,
    /// When it was last written.
    pub updated_ms: i64,
    /// The template, parameters, outputs and resources, as one JSON object's text.
    pub document: String,
    /// The number of writes: 1 for the first.
    pub revision: u64,
}

/// One stack event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEventRecord {
    /// The stack's name.
    pub stack_name: String,
    /// `EventId`, unique.
    pub event_id: String,
    /// When it happened.
    pub timestamp_ms: i64,
    /// The event as CloudFormation shapes it (`LogicalResourceId`, `ResourceStatus`, ...), as
    /// JSON text.
    pub json: String,
}

/// A write of a stack and the events it brings, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackPut {
    /// The stack as it is after the write; its `revision` must follow the stored one (1 for a
    /// new stack).
    pub record: StackRecord,
    /// Events to append, oldest first.
    pub events: Vec<StackEventRecord>,
}

/// Stacks and their events.
#[async_trait]
pub trait Stacks: Send + Sync {
    /// Creates or replaces a stack and appends its events. `Conflict` if `revision` does not
    /// follow the stored one (or is not 1 for a stack that does not exist). A failed put
    /// changes nothing.
    async fn put_stack(&self, put: StackPut) -> Result<()>;
    /// The stack with this name.
    async fn get_stack(&self, name: &str) -> Result<StackRecord>;
    /// Stacks in order of name.
    async fn list_stacks(&self, page: PageRequest) -> Result<Page<StackRecord>>;
    /// Deletes a stack and its events; `NotFound` if it does not exist.
    async fn delete_stack(&self, name: &str) -> Result<()>;
    /// A stack's events, newest first; `NotFound` if the stack does not exist.
    async fn stack_events(&self, name: &str, page: PageRequest) -> Result<Page<StackEventRecord>>;
}

/// The `Conflict` of a put whose revision does not follow `stored` (0: no stack).
pub fn check_revision(name: &str, stored: u64, put: u64) -> Result<()> {
    if put == stored + 1 {
        Ok(())
    } else {
        Err(crate::Error::Conflict(format!(
            "stack {name} is at revision {stored}; a write of revision {put} does not follow it"
        )))
    }
}
