//! Several nodes sharing one database (a backend that can, PostgreSQL): each node holds a
//! lease it renews, each open execution is driven by one node (its owner), and a step is
//! committed only by the owner (fencing: anyone else gets [`Error::NotOwner`]). A node whose
//! lease expired is dead to the others: any live node claims what it drove and rebuilds it from
//! the journal.

use std::sync::Arc;

use async_trait::async_trait;

use crate::Result;
#[cfg(doc)]
use crate::{Error, StepCommit};

/// A node, as the others see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRecord {
    /// Never reused: a node that joins again (after losing its lease) is another node.
    pub id: i64,
    /// The host name it gave, or what the operator named it.
    pub name: String,
    /// Where it serves the API, when it said.
    pub address: Option<String>,
    /// Its process id, on its own host.
    pub pid: i64,
    /// When it joined, epoch milliseconds of the database's clock.
    pub started_ms: i64,
    /// When it last renewed its lease.
    pub heartbeat_ms: i64,
    /// When its lease runs out unless renewed; past it, the node is dead to the others.
    pub expires_ms: i64,
    /// The database's clock when this was read, to measure ages against.
    pub now_ms: i64,
    /// How many open executions it drives.
    pub executions: u64,
    /// How many open deployments it drives.
    pub deployments: u64,
}

impl NodeRecord {
    /// Whether its lease still runs.
    pub fn alive(&self) -> bool {
        self.expires_ms > self.now_ms
    }
}

/// What one node tells the others, as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// `node` took the execution over ([`Cluster::claim`]): whoever drove it must let it go.
    Claimed {
        /// The execution.
        execution_arn: String,
        /// Its new owner.
        node: i64,
    },
    /// `node` took the deployment over ([`Cluster::claim_deployment`]).
    DeploymentClaimed {
        /// The deployment.
        id: String,
        /// Its new owner.
        node: i64,
    },
    /// A task of this activity was scheduled: a worker polling any node may take it.
    ActivityTask {
        /// The activity.
        activity_arn: String,
    },
}

/// Where a node hears [`Notice`]s.
pub type NoticeHandler = Arc<dyn Fn(Notice) + Send + Sync>;

/// This node's part in a cluster.
#[async_trait]
pub trait Cluster: Send + Sync {
    /// This node's id (it changes when the node joins again).
    fn node_id(&self) -> i64;

    /// Renews the lease. [`Error::NotOwner`] when it had run out: the others may have claimed
    /// this node's work already, so the node must drop all of it and [`Cluster::rejoin`].
    async fn renew(&self) -> Result<()>;

    /// Joins again as a new node (a new id, a new lease); answers the id.
    async fn rejoin(&self) -> Result<i64>;

    /// Ends the lease of `node` now: its process is known to be gone (this node restarted in
    /// its place), so its work need not wait for the lease to run out.
    async fn retire(&self, node: i64) -> Result<()>;

    /// Claims up to `limit` open executions that no live node drives (their owner's lease ran
    /// out, or it left); answers their ARNs, which this node must now rebuild and drive.
    async fn claim_orphans(&self, limit: usize) -> Result<Vec<String>>;

    /// Takes an open execution over from whichever node drives it, because a command for it
    /// arrived here. `false` when it has ended (nothing to drive).
    async fn claim(&self, execution_arn: &str) -> Result<bool>;

    /// Claims up to `limit` open deployments no live node drives; answers their ids.
    async fn claim_orphan_deployments(&self, limit: usize) -> Result<Vec<String>>;

    /// Takes an open deployment over (a stop or a promotion for it arrived here). `false`
    /// when it has ended.
    async fn claim_deployment(&self, id: &str) -> Result<bool>;

    /// The execution that handed out a task token ([`StepCommit::task_tokens`]), while it is
    /// open.
    async fn token_execution(&self, token: &str) -> Result<Option<String>>;

    /// Takes an activity task nobody has taken for a worker polling this node: the oldest
    /// one of `activity_arn` not taken yet, or taken by a node that died before its worker
    /// started it. Answers its token and execution; the execution must be driven here to
    /// start it ([`Cluster::claim`]).
    async fn take_activity_task(&self, activity_arn: &str) -> Result<Option<(String, String)>>;

    /// Takes one activity task (as [`Cluster::take_activity_task`] does) by its token, for a
    /// worker polling the node that drives it; `false` when another node's worker has it.
    async fn take_token(&self, token: &str) -> Result<bool>;

    /// Records that the task taken with `token` started (its worker has it): it is not
    /// offered again while the node that took it lives.
    async fn token_started(&self, token: &str) -> Result<()>;

    /// Offers a started task again, for an execution rebuilt after the node that took it died
    /// (a crash, a lost lease): that node's answer to the worker may have died with it. `true`
    /// when the task may be taken again now; `false` when the node that took it lives (its
    /// worker has the task: the execution only moved) or the token is gone.
    async fn reoffer_token(&self, token: &str) -> Result<bool>;

    /// Gives back a task taken with `token` that did not start, for another worker.
    async fn release_token(&self, token: &str) -> Result<()>;

    /// Tells every node that a task of `activity_arn` waits ([`Notice::ActivityTask`]).
    async fn announce_activity_task(&self, activity_arn: &str) -> Result<()>;

    /// The metric rows other nodes stored in the last `window_ms` (of the database's clock),
    /// each batch as it was flushed, with a number that tells batches apart: every node
    /// adds the others' samples to its own series, so that each answers for all.
    async fn metric_deltas(&self, window_ms: i64) -> Result<Vec<(i64, Vec<crate::MetricRow>)>>;

    /// The live node with the lowest id, which alone evaluates alarms.
    async fn leader(&self) -> Result<Option<i64>>;

    /// Starts hearing the other nodes' notices, for as long as the store lives; a lost
    /// connection is made again (notices sent meanwhile are lost: each is a hint that saves
    /// work, and fencing keeps the rest right without them).
    async fn listen(&self, handler: NoticeHandler) -> Result<()>;

    /// Every node the database knows, live or recently dead, by id.
    async fn nodes(&self) -> Result<Vec<NodeRecord>>;

    /// A clean stop: lets go of every open execution (any live node claims them at once) and
    /// removes this node.
    async fn leave(&self) -> Result<()>;
}
