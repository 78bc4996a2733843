//! The deployments table: steps in order, alias routing changed in the same transaction, one
//! open deployment per alias, lists newest first.

use super::{alias, check_paging, created, publish, revise, state_machine};
use crate::{
    DeploymentCommit, DeploymentFilter, DeploymentRecord, Error, PageRequest, Route, RoutingChange,
    Store,
};

pub(super) async fn run_all(store: &dyn Store) {
    deployments_commit_steps_with_routing(store).await;
    deployments_list_newest_first(store).await;
}

fn route(version_arn: &str, weight: u32) -> Route {
    Route {
        version_arn: version_arn.to_owned(),
        weight,
    }
}

/// A deployment record for tests.
pub fn deployment(id: &str, alias_arn: &str, target: &str, created_ms: i64) -> DeploymentRecord {
    let machine = alias_arn
        .rsplit_once(':')
        .map_or("", |(machine, _)| machine);
    DeploymentRecord {
        id: id.to_owned(),
        state_machine_arn: machine.to_owned(),
        alias_arn: alias_arn.to_owned(),
        origin_version_arn: None,
        target_version_arn: target.to_owned(),
        preference: r#"{"kind":"LINEAR","intervalMinutes":2,"percentage":50}"#.to_owned(),
        status: "IN_PROGRESS".to_owned(),
        state: r#"{"v":1}"#.to_owned(),
        timeline: "[]".to_owned(),
        seq: 1,
        created_ms,
        updated_ms: created_ms,
        next_tick_ms: Some(created_ms),
    }
}

async fn deployments_commit_steps_with_routing(store: &dyn Store) {
    let mut machine = state_machine("suite-d-steps");
    store.create_state_machine(machine.clone()).await.unwrap();
    let v1 = created(
        store
            .publish_version(publish(&machine.arn, None))
            .await
            .unwrap(),
    );
    revise(store, &mut machine, "rev-2").await;
    let v2 = created(
        store
            .publish_version(publish(&machine.arn, None))
            .await
            .unwrap(),
    );
    let main = alias(&machine.arn, "main", &[(&v1.arn, 100)], 6_000);
    store.create_alias(main.clone(), 100).await.unwrap();

    let first = deployment("d-1", &main.arn, &v2.arn, 7_000);
    let half = vec![route(&v1.arn, 50), route(&v2.arn, 50)];
    // A routing change that expects another routing than the alias has is a conflict.
    let stale = DeploymentCommit {
        record: first.clone(),
        routing: Some(RoutingChange {
            alias_arn: main.arn.clone(),
            expected: vec![route(&v2.arn, 100)],
            routing: half.clone(),
            updated_ms: 7_000,
        }),
    };
    assert!(matches!(
        store.create_deployment(stale).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        store.get_deployment("d-1").await,
        Err(Error::NotFound(_))
    ));
    let start = DeploymentCommit {
        record: first.clone(),
        routing: Some(RoutingChange {
            alias_arn: main.arn.clone(),
            // Compared as a set: the order does not matter.
            expected: vec![route(&v1.arn, 100)],
            routing: half.clone(),
            updated_ms: 7_000,
        }),
    };
    store.create_deployment(start.clone()).await.unwrap();
    assert_eq!(store.get_deployment("d-1").await.unwrap(), first);
    let alias_now = store.get_alias(&main.arn).await.unwrap();
    assert_eq!(alias_now.routing, half);
    assert_eq!(alias_now.updated_ms, 7_000);
    assert!(matches!(
        store.create_deployment(start).await,
        Err(Error::AlreadyExists(_))
    ));
    // One open deployment per alias.
    let second = DeploymentCommit {
        record: deployment("d-2", &main.arn, &v2.arn, 7_500),
        routing: None,
    };
    assert!(matches!(
        store.create_deployment(second).await,
        Err(Error::Conflict(_))
    ));
    assert!(
        store
            .open_deployments()
            .await
            .unwrap()
            .iter()
            .any(|record| record.id == "d-1")
    );

    // Steps follow one another.
    let mut next = DeploymentRecord {
        seq: 3,
        ..first.clone()
    };
    assert!(matches!(
        store
            .commit_deployment(DeploymentCommit {
                record: next.clone(),
                routing: None
            })
            .await,
        Err(Error::Conflict(_))
    ));
    next.seq = 2;
    next.updated_ms = 8_000;
    next.state = r#"{"v":1,"checks":1}"#.to_owned();
    // A step whose routing check fails changes nothing.
    let reversed = vec![route(&v2.arn, 50), route(&v1.arn, 50)];
    let drifted = DeploymentCommit {
        record: next.clone(),
        routing: Some(RoutingChange {
            alias_arn: main.arn.clone(),
            expected: vec![route(&v1.arn, 100)],
            routing: vec![route(&v2.arn, 100)],
            updated_ms: 8_000,
        }),
    };
    assert!(matches!(
        store.commit_deployment(drifted).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(store.get_deployment("d-1").await.unwrap(), first);
    store
        .commit_deployment(DeploymentCommit {
            record: next.clone(),
            routing: Some(RoutingChange {
                alias_arn: main.arn.clone(),
                expected: reversed,
                routing: vec![route(&v2.arn, 100)],
                updated_ms: 8_000,
            }),
        })
        .await
        .unwrap();
    assert_eq!(store.get_deployment("d-1").await.unwrap(), next);
    assert_eq!(
        store.get_alias(&main.arn).await.unwrap().routing,
        vec![route(&v2.arn, 100)]
    );
    // The end.
    let done = DeploymentRecord {
        seq: 3,
        status: "SUCCEEDED".to_owned(),
        origin_version_arn: Some(v1.arn.clone()),
        timeline: r#"[{"atMs":1}]"#.to_owned(),
        next_tick_ms: None,
        ..next.clone()
    };
    store
        .commit_deployment(DeploymentCommit {
            record: done.clone(),
            routing: None,
        })
        .await
        .unwrap();
    assert_eq!(store.get_deployment("d-1").await.unwrap(), done);
    assert!(
        !store
            .open_deployments()
            .await
            .unwrap()
            .iter()
            .any(|record| record.id == "d-1")
    );
    // Nothing after the end.
    assert!(matches!(
        store
            .commit_deployment(DeploymentCommit {
                record: DeploymentRecord {
                    seq: 4,
                    ..done.clone()
                },
                routing: None
            })
            .await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        store
            .commit_deployment(DeploymentCommit {
                record: deployment("d-none", &main.arn, &v2.arn, 1),
                routing: None
            })
            .await,
        Err(Error::NotFound(_))
    ));
    // Once it ended, the alias can have another.
    store
        .create_deployment(DeploymentCommit {
            record: deployment("d-2", &main.arn, &v1.arn, 9_000),
            routing: None,
        })
        .await
        .unwrap();
}

async fn deployments_list_newest_first(store: &dyn Store) {
    let machine = state_machine("suite-d-list");
    store.create_state_machine(machine.clone()).await.unwrap();
    let v1 = created(
        store
            .publish_version(publish(&machine.arn, None))
            .await
            .unwrap(),
    );
    let mut ids = Vec::new();
    for index in 0..5_i64 {
        let main = alias(&machine.arn, &format!("a{index}"), &[(&v1.arn, 100)], 6_000);
        store.create_alias(main.clone(), 100).await.unwrap();
        let id = format!("d-list-{index}");
        let mut record = deployment(&id, &main.arn, &v1.arn, 10_000 + index % 3);
        record.status = "SUCCEEDED".to_owned();
        store
            .create_deployment(DeploymentCommit {
                record,
                routing: None,
            })
            .await
            .unwrap();
        ids.push((10_000 + index % 3, id));
    }
    ids.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let expected: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
    let filter = DeploymentFilter {
        state_machine_arn: Some(machine.arn.clone()),
        alias_arn: None,
    };
    let listed = check_paging(|page: PageRequest| {
        let filter = filter.clone();
        Box::pin(async move { store.list_deployments(filter, page).await })
    })
    .await;
    let listed: Vec<String> = listed.into_iter().map(|record| record.id).collect();
    assert_eq!(listed, expected);
    let one = store
        .list_deployments(
            DeploymentFilter {
                state_machine_arn: None,
                alias_arn: Some(format!("{}:a1", machine.arn)),
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(one.items.len(), 1);
    assert_eq!(one.items[0].id, "d-list-1");
}
