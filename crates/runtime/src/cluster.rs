//! One node of several sharing a database (`store::Cluster`, PostgreSQL). The node that starts
//! an execution drives it; a command for an execution driven elsewhere (a stop, a task report)
//! takes it over here (`Runtime::mailbox`): the claim moves its ownership in the database, the
//! journal rebuilds it, and the node that drove it finds its next step fenced and lets it go.
//! A node renews its lease every `renew_every` (`Runtime::run_cluster`) and claims what dead
//! nodes drove; a node whose lease ran out (paused, cut off from the database) gives up every
//! execution it held and joins again as a new node.
//!
//! Not shared across nodes yet (docs/design/multi-node.md): activity tasks are offered to the
//! workers polling the node that drives their execution, and a `.sync` parent hears of its
//! child's end when both run on the same node or when it is rebuilt.

use std::sync::Arc;
use std::time::Duration;

use crate::{ActivityQueue, ActivityTask, Command, CommandSender, Error, Runtime, lock};

/// How many orphaned executions one claim takes.
const CLAIM_BATCH: usize = 256;

/// How often a node reads the metrics the other nodes flushed.
const METRICS_EVERY: Duration = Duration::from_secs(1);

/// How far back each read looks: a batch committed late (its number taken before one read
/// already) is still seen.
const METRICS_WINDOW_MS: i64 = 60_000;

/// The batches of the other nodes' metrics this node has added to its series, by number,
/// with when it read each (forgotten past twice the window).
#[derive(Default)]
struct SharedMetrics {
    seen: std::collections::HashMap<i64, std::time::Instant>,
}

impl SharedMetrics {
    async fn absorb(
        &mut self,
        observer: &crate::observe::Observer,
        cluster: &dyn store::Cluster,
    ) -> Result<(), store::Error> {
        let now = std::time::Instant::now();
        let keep = Duration::from_millis(2 * METRICS_WINDOW_MS as u64);
        self.seen.retain(|_, read| now.duration_since(*read) < keep);
        for (seq, rows) in cluster.metric_deltas(METRICS_WINDOW_MS).await? {
            if self.seen.insert(seq, now).is_none() {
                observer.absorb(rows);
            }
        }
        Ok(())
    }
}

impl Runtime {
    /// Makes this runtime one node of a cluster, hearing the others' notices; `run_cluster`
    /// keeps it there.
    pub async fn set_cluster(&self, cluster: Arc<dyn store::Cluster>) -> Result<(), Error> {
        *lock(&self.shared.cluster) = Some(cluster.clone());
        // Not the alarms' evaluator until the first renewal says this node leads.
        self.shared
            .leading
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let runtime = self.downgrade();
        cluster
            .listen(Arc::new(move |notice| {
                if let Some(runtime) = runtime.upgrade() {
                    runtime.heard(notice);
                }
            }))
            .await?;
        Ok(())
    }

    /// Whether `node` is this node's id in its cluster.
    fn is_this_node(&self, node: i64) -> bool {
        self.cluster()
            .is_some_and(|cluster| cluster.node_id() == node)
    }

    /// What another node said.
    fn heard(&self, notice: store::Notice) {
        match notice {
            store::Notice::Claimed {
                execution_arn,
                node,
            } => {
                let mine = self.is_this_node(node);
                if mine {
                    return;
                }
                if let Some(sender) = lock(&self.shared.running).get(&execution_arn) {
                    tracing::debug!(execution = %execution_arn, node, "another node took the execution over");
                    let _ = sender.send(Command::LetGo);
                }
            }
            store::Notice::DeploymentClaimed { id, node } => {
                let mine = self.is_this_node(node);
                if !mine {
                    lock(&self.shared.deployments).let_go(&id);
                }
            }
            store::Notice::ActivityTask { activity_arn } => {
                // One poller per node looks: the first to take the task wins it.
                if let Some(queue) = lock(&self.shared.activities).get(&activity_arn) {
                    queue.notify.notify_one();
                }
            }
        }
    }

    /// Offers a started activity task again in a cluster, where `task_tokens` marks it started:
    /// only when the node that handed it out died (its answer to the worker may have died with
    /// it, as on one node after a crash), so that an execution that merely moved between live
    /// nodes does not hand its task to a second worker.
    pub(crate) fn reoffer(
        &self,
        cluster: Arc<dyn store::Cluster>,
        activity_arn: String,
        task: ActivityTask,
    ) {
        let runtime = self.clone();
        tokio::spawn(async move {
            match cluster.reoffer_token(&task.task_token).await {
                Ok(true) => runtime.offer(&activity_arn, task),
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(activity = %activity_arn, %error, "cannot offer a started activity task again");
                }
            }
        });
    }

    /// Tells the workers polling other nodes that a task of this activity waits.
    pub(crate) fn announce_activity_task(&self, activity_arn: &str) {
        let Some(cluster) = self.cluster() else {
            return;
        };
        let activity_arn = activity_arn.to_owned();
        tokio::spawn(async move {
            if let Err(error) = cluster.announce_activity_task(&activity_arn).await {
                tracing::warn!(activity = %activity_arn, %error, "cannot announce an activity task");
            }
        });
    }

    /// Hands a task from this node's queue to a worker, in a cluster: once this node has taken
    /// its token (`taken`: taken already) and the task's start is committed. `None` when
    /// another node's worker has it, or it ended.
    pub(crate) async fn start_shared_task(
        &self,
        cluster: &dyn store::Cluster,
        task: ActivityTask,
        worker_name: &Option<String>,
        take: bool,
    ) -> Result<Option<ActivityTask>, Error> {
        if take && !cluster.take_token(&task.task_token).await? {
            return Ok(None);
        }
        let started = match self.task_started(&task.task_token, worker_name.clone()) {
            Some(answer) => match answer.await {
                Ok(Ok(true)) => true,
                Ok(Err(store::Error::NotOwner(_))) | Ok(Ok(false)) | Err(_) => false,
                Ok(Err(error)) => {
                    let _ = cluster.release_token(&task.task_token).await;
                    return Err(error.into());
                }
            },
            None => false,
        };
        if !started {
            let _ = cluster.release_token(&task.task_token).await;
            return Ok(None);
        }
        if let Err(error) = cluster.token_started(&task.task_token).await {
            // The start is committed: the worker gets the task. Unmarked, it may be offered
            // once more should this node die before its lease runs out.
            tracing::warn!(%error, "cannot mark an activity task started");
        }
        Ok(Some(task))
    }

    /// Takes a task of this activity scheduled by an execution another node drives: the
    /// execution comes here (its rebuild queues the task on this node), then the task starts.
    pub(crate) async fn take_remote_task(
        &self,
        cluster: &dyn store::Cluster,
        queue: &ActivityQueue,
        activity_arn: &str,
        worker_name: &Option<String>,
    ) -> Result<Option<ActivityTask>, Error> {
        let Some((token, execution_arn)) = cluster.take_activity_task(activity_arn).await? else {
            return Ok(None);
        };
        if let Err(error) = self.mailbox(&execution_arn).await {
            let _ = cluster.release_token(&token).await;
            return Err(error);
        }
        let task = {
            let mut pending = lock(&queue.pending);
            let found = pending.iter().position(|task| task.task_token == token);
            found.and_then(|index| pending.remove(index))
        };
        match task {
            Some(task) => {
                self.start_shared_task(cluster, task, worker_name, false)
                    .await
            }
            None => {
                // Not waiting any more (it ended, the execution was stopped).
                let _ = cluster.release_token(&token).await;
                Ok(None)
            }
        }
    }

    /// The cluster this node is part of, if any.
    pub fn cluster(&self) -> Option<Arc<dyn store::Cluster>> {
        lock(&self.shared.cluster).clone()
    }

    /// Keeps this node in its cluster for as long as the task runs: renews the lease every
    /// `renew_every`, and claims and resumes what no live node drives (at once, then at each
    /// renewal). Does nothing outside a cluster.
    pub async fn run_cluster(self, renew_every: Duration) {
        let mut tick = tokio::time::interval(renew_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut metrics_tick = tokio::time::interval(METRICS_EVERY);
        metrics_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shared = SharedMetrics::default();
        loop {
            let Some(cluster) = self.cluster() else {
                return;
            };
            tokio::select! {
                _ = tick.tick() => {}
                _ = metrics_tick.tick() => {
                    if let Err(error) = shared.absorb(self.observer(), cluster.as_ref()).await {
                        tracing::warn!(%error, "cannot read the other nodes' metrics");
                    }
                    self.look_for_remote_children();
                    continue;
                }
            }
            match cluster.renew().await {
                Ok(()) => {}
                Err(store::Error::NotOwner(reason)) => {
                    tracing::warn!(
                        %reason,
                        "this node gives up every execution it drove and joins the cluster again"
                    );
                    self.abandon_all();
                    match cluster.rejoin().await {
                        Ok(node) => tracing::info!(node, "joined the cluster again"),
                        Err(error) => {
                            tracing::error!(%error, "cannot join the cluster again");
                            continue;
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot renew this node's lease");
                    continue;
                }
            }
            match cluster.leader().await {
                Ok(leader) => {
                    let leading = leader == Some(cluster.node_id());
                    let was = self
                        .shared
                        .leading
                        .swap(leading, std::sync::atomic::Ordering::Relaxed);
                    if leading && !was {
                        tracing::info!("this node evaluates the alarms now");
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot tell which node leads"),
            }
            if let Err(error) = self.claim_orphans(cluster.as_ref()).await {
                tracing::warn!(%error, "cannot claim the executions of dead nodes");
            }
            if let Err(error) = self.claim_orphan_deployments(cluster.as_ref()).await {
                tracing::warn!(%error, "cannot claim the deployments of dead nodes");
            }
        }
    }

    /// The `.sync` tasks here whose child runs on another node hear of its end from the
    /// store: each second, every watched child not running here is read (a notice per
    /// execution end would cost every end a NOTIFY, measured at an eighth of the throughput).
    fn look_for_remote_children(&self) {
        let remote: Vec<String> = {
            let running = lock(&self.shared.running);
            lock(&self.shared.watchers)
                .keys()
                .filter(|child| !running.contains_key(*child))
                .cloned()
                .collect()
        };
        if remote.is_empty() {
            return;
        }
        let runtime = self.clone();
        tokio::spawn(async move {
            for child in remote {
                runtime.deliver_child(&child).await;
            }
        });
    }

    /// Whether this node evaluates the alarms (see `Shared::leading`).
    pub fn evaluates_alarms(&self) -> bool {
        self.shared
            .leading
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Claims every open execution no live node drives and resumes it here; answers how many
    /// resumed.
    pub async fn claim_orphans(&self, cluster: &dyn store::Cluster) -> Result<usize, Error> {
        let mut resumed = 0;
        loop {
            let claimed = cluster.claim_orphans(CLAIM_BATCH).await?;
            let full = claimed.len() == CLAIM_BATCH;
            for arn in claimed {
                match self.resume_claimed(&arn).await {
                    Ok(true) => resumed += 1,
                    Ok(false) => {}
                    Err(error) => {
                        tracing::error!(execution = %arn, %error, "cannot resume a claimed execution");
                    }
                }
            }
            if !full {
                if resumed > 0 {
                    tracing::info!(resumed, "took over the executions of dead nodes");
                }
                return Ok(resumed);
            }
        }
    }

    /// Claims every open deployment no live node drives and drives it here; answers how many.
    pub async fn claim_orphan_deployments(
        &self,
        cluster: &dyn store::Cluster,
    ) -> Result<usize, Error> {
        let mut resumed = 0;
        for id in cluster.claim_orphan_deployments(usize::MAX >> 1).await? {
            match self.shared.store.get_deployment(&id).await {
                Ok(record) if record.is_open() => {
                    if self.drive_stored(record) {
                        resumed += 1;
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(deployment = %id, %error, "cannot resume a claimed deployment");
                }
            }
        }
        if resumed > 0 {
            tracing::info!(resumed, "took over the deployments of dead nodes");
        }
        Ok(resumed)
    }

    /// Takes a deployment another node drives over (a command for it arrived here); answers
    /// its driver's mailbox here, `None` outside a cluster or when it has ended.
    pub(crate) async fn take_deployment_over(
        &self,
        id: &str,
    ) -> Result<
        Option<tokio::sync::mpsc::UnboundedSender<crate::deployments::Command>>,
        crate::deployments::DeploymentError,
    > {
        let Some(cluster) = self.cluster() else {
            return Ok(None);
        };
        if !cluster.claim_deployment(id).await? {
            return Ok(None);
        }
        let record = self.shared.store.get_deployment(id).await?;
        if !record.is_open() || !self.drive_stored(record) {
            return Ok(None);
        }
        Ok(lock(&self.shared.deployments).sender(id))
    }

    async fn resume_claimed(&self, arn: &str) -> Result<bool, Error> {
        let _claiming = self.shared.claiming.lock().await;
        if lock(&self.shared.running).contains_key(arn) {
            return Ok(false);
        }
        let record = self.shared.store.get_execution(arn).await?;
        if record.end.is_some() {
            return Ok(false);
        }
        self.resume(&record).await?;
        Ok(true)
    }

    /// The mailbox of an open execution this node drives. In a cluster, an execution another
    /// node drives is taken over first (claimed, then rebuilt from its journal). `None` when
    /// it is not running here and cannot be (it ended, it does not exist).
    pub(crate) async fn mailbox(&self, arn: &str) -> Result<Option<CommandSender>, Error> {
        if let Some(sender) = lock(&self.shared.running).get(arn).cloned() {
            return Ok(Some(sender));
        }
        let Some(cluster) = self.cluster() else {
            return Ok(None);
        };
        let _claiming = self.shared.claiming.lock().await;
        if let Some(sender) = lock(&self.shared.running).get(arn).cloned() {
            return Ok(Some(sender));
        }
        if !cluster.claim(arn).await? {
            return Ok(None);
        }
        tracing::debug!(execution = %arn, "took the execution over from another node");
        let record = self.shared.store.get_execution(arn).await?;
        if record.end.is_some() {
            return Ok(None);
        }
        self.resume(&record).await?;
        Ok(lock(&self.shared.running).get(arn).cloned())
    }

    /// Makes sure the execution that handed out `token` runs here when it is open: in a
    /// cluster a token this node does not know may be another node's.
    pub(crate) async fn reach_token(&self, token: &str) -> Result<(), Error> {
        if lock(&self.shared.tokens).contains_key(token) {
            return Ok(());
        }
        let Some(cluster) = self.cluster() else {
            return Ok(());
        };
        if let Some(arn) = cluster.token_execution(token).await? {
            self.mailbox(&arn).await?;
        }
        Ok(())
    }

    /// Forgets a parked execution that ended on another node: its mailbox (when it is still
    /// this one) and its tokens.
    pub(crate) fn forget_parked(&self, arn: &str, sender: &CommandSender) {
        self.count_unparked();
        self.forget_tokens_of(arn);
        let mut running = lock(&self.shared.running);
        if running
            .get(arn)
            .is_some_and(|current| current.0.same_channel(&sender.0))
        {
            running.remove(arn);
        }
    }

    /// Gives up every execution in memory, committing nothing more: this node's lease ran out,
    /// so other nodes may drive them already. Each actor and parked execution ends at its next
    /// wake-up (`Shared::epoch`); what they registered is forgotten here at once.
    fn abandon_all(&self) {
        self.shared.epoch.send_modify(|epoch| *epoch += 1);
        lock(&self.shared.running).clear();
        for (_, mut entry) in lock(&self.shared.tokens).drain() {
            if let Some(handle) = entry.heartbeat.take() {
                handle.abort();
            }
        }
        for queue in lock(&self.shared.activities).values() {
            lock(&queue.pending).clear();
        }
        lock(&self.shared.watchers).clear();
        lock(&self.shared.deployments).clear();
        lock(&self.shared.children).clear();
        self.shared
            .parked
            .store(0, std::sync::atomic::Ordering::Relaxed);
    }
}
