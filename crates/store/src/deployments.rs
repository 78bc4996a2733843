//! Gradual deployments of aliases (issue 6): one record per deployment, holding the rollout
//! reducer's whole state (`deploy::Deployment`, as its versioned JSON) and a few columns copied
//! out of it for listing and recovery.
//!
//! The runtime commits each step of a deployment as one [`DeploymentCommit`]: the new record
//! and, when the step moved traffic, the alias's new routing, in one transaction. `seq` counts
//! the steps: a commit must follow the stored one (`Conflict` otherwise), so two drivers of the
//! same deployment cannot both commit a step. A routing change names the routing it expects the
//! alias to have; anything else is `Conflict` (someone else changed the alias: drift).

use async_trait::async_trait;

use crate::{Page, PageRequest, Result, Route};

/// One deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRecord {
    /// Its id (a UUID).
    pub id: String,
    /// The state machine (unqualified ARN).
    pub state_machine_arn: String,
    /// The alias it moves.
    pub alias_arn: String,
    /// The version the alias routed all traffic to at the start, once known.
    pub origin_version_arn: Option<String>,
    /// The version it moves the alias to.
    pub target_version_arn: String,
    /// The deployment preference, as JSON text.
    pub preference: String,
    /// `PENDING`, `IN_PROGRESS`, `SUCCEEDED`, `ROLLED_BACK`, `FAILED` or `STOPPED`.
    pub status: String,
    /// The reducer's state, as its versioned JSON text.
    pub state: String,
    /// The timeline, as a JSON array.
    pub timeline: String,
    /// The number of steps committed: 1 for the first.
    pub seq: u64,
    /// When it was created (real time: the origin of the deployment's scaled clock).
    pub created_ms: i64,
    /// When the last step was committed.
    pub updated_ms: i64,
    /// When the next tick is due, on the deployment's clock; `None` once finished.
    pub next_tick_ms: Option<i64>,
}

impl DeploymentRecord {
    /// Whether the deployment may still change (`PENDING` or `IN_PROGRESS`).
    pub fn is_open(&self) -> bool {
        is_open(&self.status)
    }
}

/// Whether a deployment status is one that may still change.
pub fn is_open(status: &str) -> bool {
    matches!(status, "PENDING" | "IN_PROGRESS")
}

/// An alias routing change made in the same transaction as a deployment step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingChange {
    /// The alias.
    pub alias_arn: String,
    /// The routing the alias must have now (compared as a set); `Conflict` otherwise.
    pub expected: Vec<Route>,
    /// The new routing.
    pub routing: Vec<Route>,
    /// The update time.
    pub updated_ms: i64,
}

/// One step of a deployment, committed in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentCommit {
    /// The deployment as it is after the step.
    pub record: DeploymentRecord,
    /// The alias routing the step set, if it set one.
    pub routing: Option<RoutingChange>,
}

/// Which deployments to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentFilter {
    /// Only this state machine's.
    pub state_machine_arn: Option<String>,
    /// Only this alias's.
    pub alias_arn: Option<String>,
}

/// Whether two routings hold the same entries, in any order.
pub fn same_routing(a: &[Route], b: &[Route]) -> bool {
    let mut a: Vec<_> = a.iter().map(|r| (&r.version_arn, r.weight)).collect();
    let mut b: Vec<_> = b.iter().map(|r| (&r.version_arn, r.weight)).collect();
    a.sort();
    b.sort();
    a == b
}

/// Deployments of aliases.
#[async_trait]
pub trait Deployments: Send + Sync {
    /// Stores a new deployment with its first step. `AlreadyExists` if the id is taken,
    /// `Conflict` if the alias has another open deployment or its routing is not the expected
    /// one, `NotFound` if the alias or a routed version does not exist.
    async fn create_deployment(&self, first: DeploymentCommit) -> Result<()>;
    /// Commits a step. `NotFound` if the deployment does not exist; `Conflict` if its `seq` does
    /// not follow the stored one, if the stored deployment has finished, or if the alias's
    /// routing is not the expected one. A failed commit changes nothing.
    async fn commit_deployment(&self, step: DeploymentCommit) -> Result<()>;
    /// The deployment with this id.
    async fn get_deployment(&self, id: &str) -> Result<DeploymentRecord>;
    /// Deployments, newest first (by creation time, then id).
    async fn list_deployments(
        &self,
        filter: DeploymentFilter,
        page: PageRequest,
    ) -> Result<Page<DeploymentRecord>>;
    /// Every open deployment (to continue after a restart), oldest first.
    async fn open_deployments(&self) -> Result<Vec<DeploymentRecord>>;
}
