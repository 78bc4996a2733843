//! `switchback versions` and `switchback aliases`: a state machine's published versions and its
//! aliases' routing, read from a data directory and printed as tables.
//!
//! They read the store directly (SQLite in WAL mode lets them read while a server writes), so
//! they work without credentials or a running server.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use store::{AliasRecord, PageRequest, StateMachineRecord, Store, VersionRecord};

/// The state machine named by an ARN or by its name.
pub async fn find_machine(store: &dyn Store, name_or_arn: &str) -> Result<StateMachineRecord> {
    if name_or_arn.starts_with("arn:") {
        return store
            .get_state_machine(name_or_arn)
            .await
            .with_context(|| format!("no state machine {name_or_arn}"));
    }
    let mut page = PageRequest::default();
    loop {
        let listed = store.list_state_machines(page.clone()).await?;
        if let Some(machine) = listed
            .items
            .into_iter()
            .find(|machine| machine.name == name_or_arn)
        {
            return Ok(machine);
        }
        match listed.next_token {
            Some(token) => page.token = Some(token),
            None => bail!("no state machine named {name_or_arn}"),
        }
    }
}

/// Every version of a machine, newest first.
pub async fn all_versions(store: &dyn Store, machine_arn: &str) -> Result<Vec<VersionRecord>> {
    let mut versions = Vec::new();
    let mut page = PageRequest {
        limit: 1000,
        token: None,
    };
    loop {
        let listed = store.list_versions(machine_arn, page.clone()).await?;
        versions.extend(listed.items);
        match listed.next_token {
            Some(token) => page.token = Some(token),
            None => return Ok(versions),
        }
    }
}

/// Every alias of a machine, in order of creation.
pub async fn all_aliases(store: &dyn Store, machine_arn: &str) -> Result<Vec<AliasRecord>> {
    let mut aliases = Vec::new();
    let mut page = PageRequest {
        limit: 1000,
        token: None,
    };
    loop {
        let listed = store.list_aliases(machine_arn, None, page.clone()).await?;
        aliases.extend(listed.items);
        match listed.next_token {
            Some(token) => page.token = Some(token),
            None => return Ok(aliases),
        }
    }
}

fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|time| time.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// Lays out rows under a header, each column as wide as its widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|cell| cell.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if index + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

/// The versions table: number, creation date, revision, the aliases routing to it (with their
/// weights), and the description.
pub fn versions_table(versions: &[VersionRecord], aliases: &[AliasRecord]) -> String {
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|version| {
            let routed: Vec<String> = aliases
                .iter()
                .filter_map(|alias| {
                    alias
                        .routing
                        .iter()
                        .find(|route| route.version_arn == version.arn)
                        .map(|route| format!("{} {}%", alias.name, route.weight))
                })
                .collect();
            vec![
                version.number.to_string(),
                date(version.created_ms),
                if version.revision_id.is_empty() {
                    "INITIAL".to_owned()
                } else {
                    version.revision_id.clone()
                },
                if routed.is_empty() {
                    "-".to_owned()
                } else {
                    routed.join(", ")
                },
                version.description.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &["VERSION", "CREATED", "REVISION", "ALIASES", "DESCRIPTION"],
        &rows,
    )
}

/// The aliases table: name, routing (`version weight%` entries), update date and description.
pub fn aliases_table(aliases: &[AliasRecord]) -> String {
    let rows: Vec<Vec<String>> = aliases
        .iter()
        .map(|alias| {
            let routing: Vec<String> = alias
                .routing
                .iter()
                .map(|route| {
                    let number = route.version_arn.rsplit(':').next().unwrap_or_default();
                    format!("v{number} {}%", route.weight)
                })
                .collect();
            vec![
                alias.name.clone(),
                routing.join(", "),
                date(alias.updated_ms),
                alias.description.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["ALIAS", "ROUTING", "UPDATED", "DESCRIPTION"], &rows)
}

/// What `switchback versions` prints.
pub async fn versions_report(store: &dyn Store, name_or_arn: &str) -> Result<String> {
    let machine = find_machine(store, name_or_arn).await?;
    let versions = all_versions(store, &machine.arn).await?;
    let aliases = all_aliases(store, &machine.arn).await?;
    if versions.is_empty() {
        return Ok(format!("{} has no published versions\n", machine.name));
    }
    Ok(versions_table(&versions, &aliases))
}

/// What `switchback aliases` prints.
pub async fn aliases_report(store: &dyn Store, name_or_arn: &str) -> Result<String> {
    let machine = find_machine(store, name_or_arn).await?;
    let aliases = all_aliases(store, &machine.arn).await?;
    if aliases.is_empty() {
        return Ok(format!("{} has no aliases\n", machine.name));
    }
    Ok(aliases_table(&aliases))
}

#[cfg(test)]
mod tests {
    use store::mem::MemStore;
    use store::{AliasCreated, Aliases, Published, Route, StateMachines, Versions};

    use super::*;

    #[tokio::test]
    async fn tables_of_versions_and_aliases() {
        let store = MemStore::new();
        let mut machine = store::suite::state_machine("seed");
        machine.revision_id = String::new();
        store.create_state_machine(machine.clone()).await.unwrap();
        assert_eq!(
            versions_report(&store, "seed").await.unwrap(),
            "seed has no published versions\n"
        );
        let Published::Created(v1) = store
            .publish_version(store::suite::publish(&machine.arn, None))
            .await
            .unwrap()
        else {
            panic!("not published");
        };
        machine.revision_id = "rev-2".to_owned();
        machine.definition = machine.definition.replace("P", "Q");
        store.update_state_machine(machine.clone()).await.unwrap();
        let mut second = store::suite::publish(&machine.arn, None);
        second.description = Some("B fails".to_owned());
        let Published::Created(v2) = store.publish_version(second).await.unwrap() else {
            panic!("not published");
        };
        let mut main = store::suite::alias(&machine.arn, "main", &[], 0);
        main.description = None;
        main.routing = vec![
            Route {
                version_arn: v1.arn.clone(),
                weight: 50,
            },
            Route {
                version_arn: v2.arn.clone(),
                weight: 50,
            },
        ];
        assert!(matches!(
            store.create_alias(main, 100).await.unwrap(),
            AliasCreated::Created(_)
        ));
        let versions = versions_report(&store, &machine.arn).await.unwrap();
        assert_eq!(
            versions,
            "VERSION  CREATED              REVISION  ALIASES   DESCRIPTION\n\
             2        1970-01-01 00:00:05  rev-2     main 50%  B fails\n\
             1        1970-01-01 00:00:05  INITIAL   main 50%\n"
        );
        let aliases = aliases_report(&store, "seed").await.unwrap();
        assert_eq!(
            aliases,
            "ALIAS  ROUTING         UPDATED              DESCRIPTION\n\
             main   v1 50%, v2 50%  1970-01-01 00:00:00\n"
        );
        assert!(aliases_report(&store, "nobody").await.is_err());
    }
}
