//! Several nodes on one database (`store::Cluster`): the `nodes` table holds each node's lease,
//! `executions.owner` the node that drives each open execution, and the writer's steps are
//! fenced by it (`write::commit_step`). Leases are measured on the database's clock
//! (`switchback_now_ms()`), so the nodes' own clocks may disagree.
//!
//! These statements go through the pool, not the writer: a renewal must not wait behind a
//! batch of steps, and a claim is one statement whose row locks order it with the steps of the
//! node that loses the execution.

use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use store::{Error, NodeRecord, Notice, NoticeHandler};
use tokio_postgres::{AsyncMessage, NoTls};

use crate::{OrBackend, PgStore, to_i64};

/// Who a node says it is when it joins.
#[derive(Debug, Clone)]
pub struct Membership {
    /// A name for operators (the host name, or `--node-name`).
    pub name: String,
    /// Where it serves the API.
    pub address: Option<String>,
    /// How long its lease runs without a renewal; the others claim its work once it ran out.
    pub lease: Duration,
}

/// How long a dead node stays listed (`switchback nodes`) once it drives nothing.
const DEAD_LISTED_MS: i64 = 60_000;

impl PgStore {
    /// Joins the cluster of nodes serving this database: a row in `nodes` with a lease of
    /// `membership.lease`, which [`store::Cluster::renew`] must renew well before it runs out.
    /// From then on every execution this node starts is its own, and it commits steps only of
    /// executions it owns. Answers the node id.
    pub async fn join(&self, membership: Membership) -> store::Result<i64> {
        *crate::lock(&self.membership) = Some(membership);
        self.register().await
    }

    fn lease_ms(&self) -> store::Result<(i64, Membership)> {
        let membership = crate::lock(&self.membership)
            .clone()
            .ok_or_else(|| Error::Backend("this node has not joined a cluster".to_owned()))?;
        let lease_ms = to_i64(u64::try_from(membership.lease.as_millis()).unwrap_or(u64::MAX))?;
        Ok((lease_ms, membership))
    }

    /// The channel notices travel on: one per schema, since NOTIFY reaches every session of
    /// the database whatever its search path.
    async fn channel(&self) -> store::Result<String> {
        if let Some(channel) = crate::lock(&self.channel).clone() {
            return Ok(channel);
        }
        let channel: String = self
            .client()
            .await?
            .query_one("SELECT 'switchback_' || md5(current_schema())", &[])
            .await
            .or_backend()?
            .get(0);
        *crate::lock(&self.channel) = Some(channel.clone());
        Ok(channel)
    }

    /// Runs a claim of `key` for this node (`$1` the node, `$2` the key, `$3` the channel)
    /// that tells the others in the same transaction (NOTIFY goes out at the commit); answers
    /// whether anything was claimed.
    async fn claim_and_tell(&self, sql: &str, key: &str) -> store::Result<bool> {
        let node = store::Cluster::node_id(self);
        let channel = self.channel().await?;
        let claimed = self
            .client()
            .await?
            .query(sql, &[&node, &key, &channel])
            .await
            .or_backend()?;
        Ok(!claimed.is_empty())
    }

    async fn register(&self) -> store::Result<i64> {
        let (lease_ms, membership) = self.lease_ms()?;
        let pid = i64::from(std::process::id());
        let id: i64 = self
            .client()
            .await?
            .query_one(
                "INSERT INTO nodes (name, address, pid, started_ms, heartbeat_ms, expires_ms) \
                 SELECT $1, $2, $3, now_ms, now_ms, now_ms + $4 \
                 FROM (SELECT switchback_now_ms() AS now_ms) AS clock RETURNING id",
                &[&membership.name, &membership.address, &pid, &lease_ms],
            )
            .await
            .or_backend()?
            .get(0);
        self.node.store(id, Ordering::Release);
        Ok(id)
    }
}

#[async_trait]
impl store::Cluster for PgStore {
    fn node_id(&self) -> i64 {
        self.node.load(Ordering::Acquire)
    }

    async fn renew(&self) -> store::Result<()> {
        let (lease_ms, _) = self.lease_ms()?;
        let node = store::Cluster::node_id(self);
        let renewed = self
            .client()
            .await?
            .execute(
                "UPDATE nodes SET heartbeat_ms = clock.now_ms, expires_ms = clock.now_ms + $2 \
                 FROM (SELECT switchback_now_ms() AS now_ms) AS clock \
                 WHERE id = $1 AND expires_ms > clock.now_ms",
                &[&node, &lease_ms],
            )
            .await
            .or_backend()?;
        if renewed == 0 {
            return Err(Error::NotOwner(format!(
                "the lease of node {node} ran out before it was renewed: the other nodes may \
                 have claimed its executions"
            )));
        }
        Ok(())
    }

    async fn rejoin(&self) -> store::Result<i64> {
        self.register().await
    }

    async fn retire(&self, node: i64) -> store::Result<()> {
        self.client()
            .await?
            .execute(
                "UPDATE nodes SET expires_ms = switchback_now_ms() - 1 WHERE id = $1",
                &[&node],
            )
            .await
            .or_backend()?;
        Ok(())
    }

    async fn claim_orphans(&self, limit: usize) -> store::Result<Vec<String>> {
        let node = store::Cluster::node_id(self);
        let limit = to_i64(limit as u64)?;
        let client = self.client().await?;
        // SKIP LOCKED: nodes claiming at once split the orphans instead of queueing on them.
        let claimed = client
            .query(
                "UPDATE executions SET owner = $1 WHERE id IN ( \
                   SELECT e.id FROM executions e \
                   WHERE e.end_status IS NULL AND (e.owner IS NULL OR e.owner NOT IN ( \
                     SELECT n.id FROM nodes n WHERE n.expires_ms > switchback_now_ms())) \
                   ORDER BY e.id LIMIT $2 FOR UPDATE SKIP LOCKED) \
                 RETURNING arn",
                &[&node, &limit],
            )
            .await
            .or_backend()?;
        client
            .execute(
                "DELETE FROM nodes n WHERE n.expires_ms < switchback_now_ms() - $1 \
                 AND NOT EXISTS (SELECT 1 FROM executions e \
                   WHERE e.owner = n.id AND e.end_status IS NULL)",
                &[&DEAD_LISTED_MS],
            )
            .await
            .or_backend()?;
        Ok(claimed.iter().map(|row| row.get(0)).collect())
    }

    async fn claim(&self, execution_arn: &str) -> store::Result<bool> {
        self.claim_and_tell(
            "WITH claimed AS ( \
               UPDATE executions SET owner = $1 WHERE arn = $2 AND end_status IS NULL \
               RETURNING arn) \
             SELECT pg_notify($3, 'claimed ' || $1::TEXT || ' ' || arn) FROM claimed",
            execution_arn,
        )
        .await
    }

    async fn take_activity_task(
        &self,
        activity_arn: &str,
    ) -> store::Result<Option<(String, String)>> {
        let node = store::Cluster::node_id(self);
        Ok(self
            .client()
            .await?
            .query_opt(
                "WITH taken AS ( \
                   UPDATE task_tokens SET taken_by = $1 WHERE token = ( \
                     SELECT t.token FROM task_tokens t \
                     WHERE t.activity_arn = $2 AND NOT t.started AND (t.taken_by IS NULL \
                       OR t.taken_by NOT IN (SELECT n.id FROM nodes n \
                         WHERE n.expires_ms > switchback_now_ms())) \
                     ORDER BY t.scheduled LIMIT 1 FOR UPDATE SKIP LOCKED) \
                   RETURNING token, execution_id) \
                 SELECT taken.token, e.arn FROM taken JOIN executions e ON e.id = taken.execution_id",
                &[&node, &activity_arn],
            )
            .await
            .or_backend()?
            .map(|row| (row.get(0), row.get(1))))
    }

    async fn take_token(&self, token: &str) -> store::Result<bool> {
        let node = store::Cluster::node_id(self);
        let taken = self
            .client()
            .await?
            .execute(
                "UPDATE task_tokens SET taken_by = $1 WHERE token = $2 AND NOT started \
                 AND (taken_by IS NULL OR taken_by = $1 OR taken_by NOT IN ( \
                   SELECT n.id FROM nodes n WHERE n.expires_ms > switchback_now_ms()))",
                &[&node, &token],
            )
            .await
            .or_backend()?;
        Ok(taken > 0)
    }

    async fn token_started(&self, token: &str) -> store::Result<()> {
        self.client()
            .await?
            .execute(
                "UPDATE task_tokens SET started = true WHERE token = $1",
                &[&token],
            )
            .await
            .or_backend()?;
        Ok(())
    }

    async fn reoffer_token(&self, token: &str) -> store::Result<bool> {
        let reoffered = self
            .client()
            .await?
            .execute(
                "UPDATE task_tokens SET started = false, taken_by = NULL \
                 WHERE token = $1 AND (taken_by IS NULL OR taken_by NOT IN ( \
                   SELECT n.id FROM nodes n WHERE n.expires_ms > switchback_now_ms()))",
                &[&token],
            )
            .await
            .or_backend()?;
        Ok(reoffered > 0)
    }

    async fn release_token(&self, token: &str) -> store::Result<()> {
        let node = store::Cluster::node_id(self);
        self.client()
            .await?
            .execute(
                "UPDATE task_tokens SET taken_by = NULL \
                 WHERE token = $1 AND taken_by = $2 AND NOT started",
                &[&token, &node],
            )
            .await
            .or_backend()?;
        Ok(())
    }

    async fn announce_activity_task(&self, activity_arn: &str) -> store::Result<()> {
        let channel = self.channel().await?;
        self.client()
            .await?
            .execute(
                "SELECT pg_notify($1, 'activity ' || $2::TEXT)",
                &[&channel, &activity_arn],
            )
            .await
            .or_backend()?;
        Ok(())
    }

    async fn metric_deltas(
        &self,
        window_ms: i64,
    ) -> store::Result<Vec<(i64, Vec<store::MetricRow>)>> {
        let node = store::Cluster::node_id(self);
        let rows = self
            .client()
            .await?
            .query(
                "SELECT seq, rows FROM metric_deltas \
                 WHERE node <> $1 AND created_ms >= switchback_now_ms() - $2 ORDER BY seq",
                &[&node, &window_ms],
            )
            .await
            .or_backend()?;
        rows.iter()
            .map(|row| Ok((row.get(0), store::observe::rows_from(row.get(1))?)))
            .collect()
    }

    async fn leader(&self) -> store::Result<Option<i64>> {
        Ok(self
            .client()
            .await?
            .query_one(
                "SELECT min(id) FROM nodes WHERE expires_ms > switchback_now_ms()",
                &[],
            )
            .await
            .or_backend()?
            .get(0))
    }

    async fn listen(&self, handler: NoticeHandler) -> store::Result<()> {
        let channel = self.channel().await?;
        let config = self.config.clone();
        let listener = tokio::spawn(async move {
            let mut attempt: u64 = 0;
            loop {
                match listen_once(&config, &channel, &handler).await {
                    Ok(()) => attempt = 0,
                    Err(error) => {
                        attempt += 1;
                        tracing::warn!(%error, attempt, "the notice listener lost its connection");
                    }
                }
                tokio::time::sleep(Duration::from_millis((100 * attempt).clamp(100, 5_000))).await;
            }
        });
        if let Some(old) = crate::lock(&self.listener).replace(listener) {
            old.abort();
        }
        Ok(())
    }

    async fn claim_orphan_deployments(&self, limit: usize) -> store::Result<Vec<String>> {
        let node = store::Cluster::node_id(self);
        let limit = to_i64(limit as u64)?;
        let claimed = self
            .client()
            .await?
            .query(
                "UPDATE deployments SET owner = $1 WHERE id IN ( \
                   SELECT d.id FROM deployments d \
                   WHERE d.status IN ('PENDING', 'IN_PROGRESS') AND (d.owner IS NULL \
                     OR d.owner NOT IN (SELECT n.id FROM nodes n \
                       WHERE n.expires_ms > switchback_now_ms())) \
                   ORDER BY d.id LIMIT $2 FOR UPDATE SKIP LOCKED) \
                 RETURNING id",
                &[&node, &limit],
            )
            .await
            .or_backend()?;
        Ok(claimed.iter().map(|row| row.get(0)).collect())
    }

    async fn claim_deployment(&self, id: &str) -> store::Result<bool> {
        self.claim_and_tell(
            "WITH claimed AS ( \
               UPDATE deployments SET owner = $1 \
               WHERE id = $2 AND status IN ('PENDING', 'IN_PROGRESS') RETURNING id) \
             SELECT pg_notify($3, 'deployment ' || $1::TEXT || ' ' || id) FROM claimed",
            id,
        )
        .await
    }

    async fn token_execution(&self, token: &str) -> store::Result<Option<String>> {
        Ok(self
            .client()
            .await?
            .query_opt(
                "SELECT e.arn FROM task_tokens t JOIN executions e ON e.id = t.execution_id \
                 WHERE t.token = $1 AND e.end_status IS NULL",
                &[&token],
            )
            .await
            .or_backend()?
            .map(|row| row.get(0)))
    }

    async fn nodes(&self) -> store::Result<Vec<NodeRecord>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT n.id, n.name, n.address, n.pid, n.started_ms, n.heartbeat_ms, \
                   n.expires_ms, switchback_now_ms(), \
                   (SELECT count(*) FROM executions e \
                    WHERE e.owner = n.id AND e.end_status IS NULL), \
                   (SELECT count(*) FROM deployments d \
                    WHERE d.owner = n.id AND d.status IN ('PENDING', 'IN_PROGRESS')) \
                 FROM nodes n ORDER BY n.id",
                &[],
            )
            .await
            .or_backend()?;
        Ok(rows
            .iter()
            .map(|row| NodeRecord {
                id: row.get(0),
                name: row.get(1),
                address: row.get(2),
                pid: row.get(3),
                started_ms: row.get(4),
                heartbeat_ms: row.get(5),
                expires_ms: row.get(6),
                now_ms: row.get(7),
                executions: u64::try_from(row.get::<_, i64>(8)).unwrap_or_default(),
                deployments: u64::try_from(row.get::<_, i64>(9)).unwrap_or_default(),
            })
            .collect())
    }

    async fn leave(&self) -> store::Result<()> {
        let node = store::Cluster::node_id(self);
        let mut client = self.client().await?;
        let transaction = client.transaction().await.or_backend()?;
        transaction
            .execute(
                "UPDATE executions SET owner = NULL WHERE owner = $1 AND end_status IS NULL",
                &[&node],
            )
            .await
            .or_backend()?;
        transaction
            .execute(
                "UPDATE deployments SET owner = NULL WHERE owner = $1 \
                 AND status IN ('PENDING', 'IN_PROGRESS')",
                &[&node],
            )
            .await
            .or_backend()?;
        transaction
            .execute("DELETE FROM nodes WHERE id = $1", &[&node])
            .await
            .or_backend()?;
        transaction.commit().await.or_backend()
    }
}

/// Listens on `channel` until the connection ends, handing each notice to `handler`.
async fn listen_once(
    config: &tokio_postgres::Config,
    channel: &str,
    handler: &NoticeHandler,
) -> store::Result<()> {
    let mut config = config.clone();
    config.application_name("switchback notices");
    let (client, mut connection) = config.connect(NoTls).await.or_backend()?;
    // The connection's messages (the notices among them) come through `poll_message`, polled
    // here; the LISTEN below is sent while this task polls them.
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|context| connection.poll_message(context)).await {
                Some(Ok(AsyncMessage::Notification(notification))) => {
                    if sender.send(notification.payload().to_owned()).is_err() {
                        return Ok(());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error),
                None => return Ok(()),
            }
        }
    });
    let quoted = format!("\"{}\"", channel.replace('"', "\"\""));
    client
        .batch_execute(&format!("LISTEN {quoted}"))
        .await
        .or_backend()?;
    while let Some(payload) = receiver.recv().await {
        if let Some(notice) = parse_notice(&payload) {
            handler(notice);
        }
    }
    drop(client);
    match driver.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(crate::classify(&error)),
        Err(error) => Err(Error::Backend(format!(
            "the notice listener failed: {error}"
        ))),
    }
}

/// A notice's payload: `claimed <node> <execution ARN>` or `activity <activity ARN>`.
fn parse_notice(payload: &str) -> Option<Notice> {
    if let Some(rest) = payload.strip_prefix("deployment ") {
        let (node, id) = rest.split_once(' ')?;
        return Some(Notice::DeploymentClaimed {
            id: id.to_owned(),
            node: node.parse().ok()?,
        });
    }
    if let Some(activity_arn) = payload.strip_prefix("activity ") {
        return Some(Notice::ActivityTask {
            activity_arn: activity_arn.to_owned(),
        });
    }
    let rest = payload.strip_prefix("claimed ")?;
    let (node, execution_arn) = rest.split_once(' ')?;
    Some(Notice::Claimed {
        execution_arn: execution_arn.to_owned(),
        node: node.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_are_read_back_as_sent() {
        assert_eq!(
            parse_notice("claimed 12 arn:aws:states:us-east-1:1:execution:m:e"),
            Some(Notice::Claimed {
                execution_arn: "arn:aws:states:us-east-1:1:execution:m:e".to_owned(),
                node: 12
            })
        );
        assert_eq!(
            parse_notice("activity arn:aws:states:us-east-1:1:activity:a"),
            Some(Notice::ActivityTask {
                activity_arn: "arn:aws:states:us-east-1:1:activity:a".to_owned()
            })
        );
        assert_eq!(parse_notice("claimed x arn"), None);
        assert_eq!(parse_notice("other 1 arn"), None);
    }
}
