//! The stacks table: writes in revision order with their events, lists by name, events newest
//! first, deletion with the events.

use super::check_paging;
use crate::{Error, StackEventRecord, StackPut, StackRecord, Store};

pub(super) async fn run_all(store: &dyn Store) {
    stacks_write_in_revision_order(store).await;
    stacks_list_by_name_and_delete(store).await;
}

/// A stack record for tests.
pub fn stack(name: &str, status: &str, revision: u64, at_ms: i64) -> StackRecord {
    StackRecord {
        name: name.to_owned(),
        stack_id: format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/id"),
        status: status.to_owned(),
        status_reason: None,
        client_request_token: Some("token-1".to_owned()),
        created_ms: 1_000,
        updated_ms: at_ms,
        document: format!(r#"{{"Resources":[],"Revision":{revision}}}"#),
        revision,
    }
}

fn event(name: &str, id: &str, at_ms: i64) -> StackEventRecord {
    StackEventRecord {
        stack_name: name.to_owned(),
        event_id: id.to_owned(),
        timestamp_ms: at_ms,
        json: format!(r#"{{"EventId":"{id}","ResourceStatus":"CREATE_IN_PROGRESS"}}"#),
    }
}

async fn stacks_write_in_revision_order(store: &dyn Store) {
    let name = "suite-stack-order";
    assert!(matches!(
        store.get_stack(name).await,
        Err(Error::NotFound(_))
    ));
    // A new stack starts at revision 1.
    let skipped = StackPut {
        record: stack(name, "CREATE_IN_PROGRESS", 2, 1_000),
        events: vec![event(name, "e0", 1_000)],
    };
    assert!(matches!(
        store.put_stack(skipped).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        store.get_stack(name).await,
        Err(Error::NotFound(_))
    ));
    let first = stack(name, "CREATE_IN_PROGRESS", 1, 1_000);
    store
        .put_stack(StackPut {
            record: first.clone(),
            events: vec![event(name, "e1", 1_000), event(name, "e2", 1_001)],
        })
        .await
        .unwrap();
    assert_eq!(store.get_stack(name).await.unwrap(), first);
    // A second writer that read revision 1 too loses, and its events are not kept.
    let second = stack(name, "CREATE_COMPLETE", 2, 2_000);
    store
        .put_stack(StackPut {
            record: second.clone(),
            events: vec![event(name, "e3", 2_000)],
        })
        .await
        .unwrap();
    let late = StackPut {
        record: stack(name, "UPDATE_IN_PROGRESS", 2, 2_500),
        events: vec![event(name, "lost", 2_500)],
    };
    assert!(matches!(
        store.put_stack(late).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(store.get_stack(name).await.unwrap(), second);
    for _ in 0..3 {
        let ids: Vec<String> = check_paging(|page| store.stack_events(name, page))
            .await
            .into_iter()
            .map(|event| event.event_id)
            .collect();
        assert_eq!(ids, ["e3", "e2", "e1"]);
    }
    // A page token stays valid while events are appended: the next page goes on from it.
    let page = store
        .stack_events(
            name,
            crate::PageRequest {
                limit: 1,
                token: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items[0].event_id, "e3");
    store
        .put_stack(StackPut {
            record: stack(name, "UPDATE_IN_PROGRESS", 3, 3_000),
            events: vec![event(name, "e4", 3_000)],
        })
        .await
        .unwrap();
    let next = store
        .stack_events(
            name,
            crate::PageRequest {
                limit: 1,
                token: page.next_token,
            },
        )
        .await
        .unwrap();
    assert_eq!(next.items[0].event_id, "e2");
    assert!(matches!(
        store
            .stack_events("suite-stack-none", Default::default())
            .await,
        Err(Error::NotFound(_))
    ));
}

async fn stacks_list_by_name_and_delete(store: &dyn Store) {
    for name in ["suite-stack-b", "suite-stack-a", "suite-stack-c"] {
        store
            .put_stack(StackPut {
                record: stack(name, "CREATE_COMPLETE", 1, 1_000),
                events: vec![event(name, &format!("{name}-e"), 1_000)],
            })
            .await
            .unwrap();
    }
    let names: Vec<String> = check_paging(|page| store.list_stacks(page))
        .await
        .into_iter()
        .map(|record| record.name)
        .filter(|name| name.starts_with("suite-stack-") && name.len() == 13)
        .collect();
    assert_eq!(names, ["suite-stack-a", "suite-stack-b", "suite-stack-c"]);
    store.delete_stack("suite-stack-b").await.unwrap();
    assert!(matches!(
        store.get_stack("suite-stack-b").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store
            .stack_events("suite-stack-b", Default::default())
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.delete_stack("suite-stack-b").await,
        Err(Error::NotFound(_))
    ));
    // A stack of the same name starts again at revision 1, with no events of the old one.
    store
        .put_stack(StackPut {
            record: stack("suite-stack-b", "CREATE_IN_PROGRESS", 1, 5_000),
            events: vec![],
        })
        .await
        .unwrap();
    assert!(
        store
            .stack_events("suite-stack-b", Default::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
