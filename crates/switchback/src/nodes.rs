//! `switchback nodes`: the nodes serving a PostgreSQL database, read from the database itself
//! (any node's view is the same): each one's lease, its age, and how many open executions it
//! drives.

use std::fmt::Write;

use anyhow::{Context, Result};
use store::NodeRecord;

/// The nodes of the cluster on the database at `url`, as a table.
pub async fn list(url: &str) -> Result<String> {
    let store = crate::serve::open_postgres(url).await?;
    let nodes = store::Cluster::nodes(&store)
        .await
        .context("cannot read the nodes")?;
    Ok(table(&nodes))
}

/// Seconds, with a tenth.
fn seconds(milliseconds: i64) -> String {
    format!("{:.1}s", milliseconds as f64 / 1000.0)
}

/// The table `switchback nodes` prints.
pub fn table(nodes: &[NodeRecord]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<6} {:<6} {:<20} {:<28} {:>8} {:>10} {:>10} {:>11} {:>12}",
        "NODE", "STATE", "NAME", "ADDRESS", "PID", "UP", "HEARTBEAT", "EXECUTIONS", "DEPLOYMENTS"
    );
    for node in nodes {
        let state = if node.alive() { "live" } else { "dead" };
        let _ = writeln!(
            out,
            "{:<6} {:<6} {:<20} {:<28} {:>8} {:>10} {:>10} {:>11} {:>12}",
            node.id,
            state,
            node.name,
            node.address.as_deref().unwrap_or("-"),
            node.pid,
            seconds(node.now_ms - node.started_ms),
            format!("{} ago", seconds(node.now_ms - node.heartbeat_ms)),
            node.executions,
            node.deployments,
        );
    }
    if nodes.is_empty() {
        out.push_str("(no node serves this database)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i64, expires_ms: i64) -> NodeRecord {
        NodeRecord {
            id,
            name: format!("host-{id}"),
            address: Some("http://127.0.0.1:8083".to_owned()),
            pid: 4242,
            started_ms: 1_000,
            heartbeat_ms: 9_000,
            expires_ms,
            now_ms: 10_000,
            executions: 7,
            deployments: 1,
        }
    }

    #[test]
    fn the_table_tells_live_nodes_from_dead_ones_with_their_ages() {
        let text = table(&[node(1, 12_000), node(2, 9_500)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("NODE"));
        assert!(lines[1].contains("live") && lines[1].contains("host-1"));
        assert!(lines[1].contains("9.0s") && lines[1].contains("1.0s ago"));
        assert!(lines[2].contains("dead") && lines[2].trim_end().ends_with("7            1"));
        assert!(table(&[]).contains("no node serves"));
    }
}
