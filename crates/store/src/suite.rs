//! The conformance suite every backend must pass: call [`run_all`] from each backend's tests.
//!
//! Every check runs against the same store, one after the other, so each uses names of its own
//! and asserts only about what it created (or, for unfiltered lists, about order and paging,
//! which hold whatever else is stored).

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

mod deployments;
mod stacks;

use crate::{
    ActivityRecord, AliasCreated, AliasRecord, AliasUpdate, Error, ExecutionEnd, ExecutionFilter,
    ExecutionRecord, JournalEntry, Page, PageRequest, PublishRequest, Published, Route,
    StateMachineRecord, StepCommit, Store, StoredEvent,
};

const ACCOUNT: &str = "arn:aws:states:us-east-1:123456789012";

/// A state machine record for tests.
pub fn state_machine(name: &str) -> StateMachineRecord {
    StateMachineRecord {
        arn: format!("{ACCOUNT}:stateMachine:{name}"),
        name: name.to_owned(),
        machine_type: "STANDARD".to_owned(),
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        created_ms: 1_000,
        updated_ms: 1_000,
        revision_id: "r1".to_owned(),
        description: None,
        logging_configuration: None,
        tracing_configuration: None,
    }
}

/// An activity record for tests.
pub fn activity(name: &str) -> ActivityRecord {
    ActivityRecord {
        arn: format!("{ACCOUNT}:activity:{name}"),
        name: name.to_owned(),
        created_ms: 2_000,
    }
}

/// An execution record for tests, with its first step.
pub fn execution(machine: &str, name: &str, start_ms: i64) -> (ExecutionRecord, StepCommit) {
    let arn = format!("{ACCOUNT}:execution:{machine}:{name}");
    let record = ExecutionRecord {
        arn: arn.clone(),
        state_machine_arn: format!("{ACCOUNT}:stateMachine:{machine}"),
        name: name.to_owned(),
        status: "RUNNING".to_owned(),
        input: "{}".to_owned(),
        definition: state_machine(machine).definition,
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        start_ms,
        seed: 42,
        end: None,
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        test_case: None,
        redrive_count: 0,
        redrive_ms: None,
    };
    let first = StepCommit {
        execution_arn: arn,
        journal: JournalEntry {
            seq: 1,
            at_ms: start_ms,
            input: r#"{"Start":{}}"#.to_owned(),
        },
        events: vec![StoredEvent {
            id: 1,
            json: r#"{"type":"ExecutionStarted"}"#.to_owned(),
        }],
        end: None,
        redrive: None,
        task_tokens: Vec::new(),
    };
    (record, first)
}

/// A step of execution `arn` with journal entry `seq` and events with the given ids.
pub fn step(arn: &str, seq: u64, event_ids: impl IntoIterator<Item = u64>) -> StepCommit {
    StepCommit {
        execution_arn: arn.to_owned(),
        journal: JournalEntry {
            seq,
            at_ms: 10_000 + seq as i64,
            input: format!(r#"{{"Step":{seq}}}"#),
        },
        events: event_ids
            .into_iter()
            .map(|id| StoredEvent {
                id,
                json: format!(r#"{{"id":{id},"type":"PassStateEntered"}}"#),
            })
            .collect(),
        end: None,
        redrive: None,
        task_tokens: Vec::new(),
    }
}

/// An end with this status.
pub fn end(status: &str, stop_ms: i64) -> ExecutionEnd {
    let succeeded = status == "SUCCEEDED";
    ExecutionEnd {
        status: status.to_owned(),
        output: succeeded.then(|| r#"{"done":true}"#.to_owned()),
        error: (!succeeded).then(|| "States.TaskFailed".to_owned()),
        cause: (!succeeded).then(|| "it broke".to_owned()),
        stop_ms,
    }
}

/// Runs every check against a fresh, empty store.
pub async fn run_all(store: &dyn Store) {
    state_machines_round_trip(store).await;
    state_machines_list_in_order_of_name(store).await;
    activities_round_trip(store).await;
    activities_list_in_order_of_name(store).await;
    lists_default_to_100_items(store).await;
    executions_round_trip(store).await;
    execution_rules(store).await;
    failed_steps_change_nothing(store).await;
    events_and_journal_keep_order(store).await;
    history_pages_both_ways(store).await;
    executions_list_newest_first_with_filters(store).await;
    open_executions_are_those_running(store).await;
    a_redrive_reopens_an_ended_execution(store).await;
    tags_add_replace_remove(store).await;
    concurrent_steps_all_land(store).await;
    large_documents_round_trip(store).await;
    unicode_names_round_trip(store).await;
    versions_publish_list_delete(store).await;
    version_numbers_are_never_reused(store).await;
    concurrent_publishes_get_distinct_numbers(store).await;
    aliases_round_trip(store).await;
    deleting_a_machine_deletes_versions_and_aliases(store).await;
    executions_filter_by_version_and_alias(store).await;
    deployments::run_all(store).await;
    stacks::run_all(store).await;
    metric_rows_merge_and_prune(store).await;
    alarms_round_trip(store).await;
}

/// Polls every future at once (the suite cannot spawn tasks: it has no runtime of its own),
/// so that a backend sees many requests in flight together.
async fn join_all<'a, T>(futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>) -> Vec<T> {
    let mut pending: Vec<_> = futures.into_iter().map(Some).collect();
    let mut outputs: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut waiting = false;
        for (slot, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(context) {
                    Poll::Ready(value) => {
                        *output = Some(value);
                        *slot = None;
                    }
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

pub(crate) type PageFuture<'a, T> =
    Pin<Box<dyn Future<Output = crate::Result<Page<T>>> + Send + 'a>>;

/// Reads a list page by page, `limit` items at a time, checking the shape of every page.
async fn all_pages<'a, T>(
    limit: usize,
    mut fetch: impl FnMut(PageRequest) -> PageFuture<'a, T>,
) -> Vec<T> {
    let effective = PageRequest { limit, token: None }.effective_limit();
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let page = fetch(PageRequest { limit, token }).await.unwrap();
        assert!(page.items.len() <= effective, "a page is over its limit");
        match page.next_token {
            Some(next) => {
                assert_eq!(page.items.len(), effective, "a page with a token is full");
                items.extend(page.items);
                token = Some(next);
            }
            None => {
                items.extend(page.items);
                return items;
            }
        }
    }
}

/// Checks that paging with limits 1, 2 and the default gives the same list, and returns it.
pub(crate) async fn check_paging<'a, T: Debug + PartialEq>(
    mut fetch: impl FnMut(PageRequest) -> PageFuture<'a, T>,
) -> Vec<T> {
    let whole = all_pages(1000, &mut fetch).await;
    for limit in [1, 2, 0] {
        assert_eq!(all_pages(limit, &mut fetch).await, whole, "limit {limit}");
    }
    whole
}

fn is_strictly_sorted<K: PartialOrd>(keys: &[K]) -> bool {
    keys.windows(2).all(|pair| pair[0] < pair[1])
}

async fn state_machines_round_trip(store: &dyn Store) {
    let record = StateMachineRecord {
        description: Some("the first".to_owned()),
        logging_configuration: Some(r#"{"level":"OFF"}"#.to_owned()),
        tracing_configuration: Some(r#"{"enabled":false}"#.to_owned()),
        ..state_machine("suite-a")
    };
    store.create_state_machine(record.clone()).await.unwrap();
    assert_eq!(store.get_state_machine(&record.arn).await.unwrap(), record);
    let again = StateMachineRecord {
        revision_id: "other".to_owned(),
        ..record.clone()
    };
    assert!(matches!(
        store.create_state_machine(again).await,
        Err(Error::AlreadyExists(_))
    ));
    assert_eq!(store.get_state_machine(&record.arn).await.unwrap(), record);

    let updated = StateMachineRecord {
        definition: r#"{"StartAt":"Q","States":{"Q":{"Type":"Succeed"}}}"#.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/other".to_owned(),
        updated_ms: 2_000,
        revision_id: "r2".to_owned(),
        description: None,
        logging_configuration: None,
        ..record.clone()
    };
    store.update_state_machine(updated.clone()).await.unwrap();
    assert_eq!(store.get_state_machine(&record.arn).await.unwrap(), updated);

    let missing = state_machine("suite-missing");
    assert!(matches!(
        store.get_state_machine(&missing.arn).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.update_state_machine(missing.clone()).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.delete_state_machine(&missing.arn).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.get_state_machine(&missing.arn).await,
        Err(Error::NotFound(_))
    ));

    store.delete_state_machine(&record.arn).await.unwrap();
    assert!(matches!(
        store.get_state_machine(&record.arn).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.delete_state_machine(&record.arn).await,
        Err(Error::NotFound(_))
    ));
    // The name is free again.
    store.create_state_machine(record.clone()).await.unwrap();
    assert_eq!(store.get_state_machine(&record.arn).await.unwrap(), record);
}

async fn state_machines_list_in_order_of_name(store: &dyn Store) {
    // Created out of order; "sl-b" twice, in two regions, so the ARN breaks the tie.
    let mut records: Vec<StateMachineRecord> = ["sl-c", "sl-a", "sl-é", "sl-B", "sl-b"]
        .into_iter()
        .map(state_machine)
        .collect();
    records.push(StateMachineRecord {
        arn: "arn:aws:states:eu-west-1:123456789012:stateMachine:sl-b".to_owned(),
        ..state_machine("sl-b")
    });
    for record in &records {
        store.create_state_machine(record.clone()).await.unwrap();
    }
    let whole = check_paging(|page| store.list_state_machines(page)).await;
    let keys: Vec<_> = whole
        .iter()
        .map(|record| (record.name.clone(), record.arn.clone()))
        .collect();
    assert!(is_strictly_sorted(&keys), "{keys:?}");
    // Byte order: upper case before lower case, "é" after every ASCII letter.
    let mut expected: Vec<_> = records
        .iter()
        .map(|record| (record.name.clone(), record.arn.clone()))
        .collect();
    expected.sort();
    let ours: Vec<_> = keys
        .iter()
        .filter(|key| expected.contains(key))
        .cloned()
        .collect();
    assert_eq!(ours, expected);
    assert_eq!(
        expected
            .iter()
            .map(|key| key.0.as_str())
            .collect::<Vec<_>>(),
        ["sl-B", "sl-a", "sl-b", "sl-b", "sl-c", "sl-é"]
    );
    for record in &records {
        let listed = whole.iter().find(|listed| listed.arn == record.arn);
        assert_eq!(listed, Some(record));
    }
    // A deleted machine leaves the list.
    store.delete_state_machine(&records[0].arn).await.unwrap();
    let after = all_pages(0, |page| store.list_state_machines(page)).await;
    assert!(!after.iter().any(|record| record.arn == records[0].arn));
    assert_eq!(after.len(), whole.len() - 1);
}

async fn activities_round_trip(store: &dyn Store) {
    let record = activity("suite-act");
    store.create_activity(record.clone()).await.unwrap();
    assert_eq!(store.get_activity(&record.arn).await.unwrap(), record);
    let again = ActivityRecord {
        created_ms: 9,
        ..record.clone()
    };
    assert!(matches!(
        store.create_activity(again).await,
        Err(Error::AlreadyExists(_))
    ));
    assert_eq!(store.get_activity(&record.arn).await.unwrap(), record);
    let missing = activity("suite-act-missing");
    assert!(matches!(
        store.get_activity(&missing.arn).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.delete_activity(&missing.arn).await,
        Err(Error::NotFound(_))
    ));
    store.delete_activity(&record.arn).await.unwrap();
    assert!(matches!(
        store.get_activity(&record.arn).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.delete_activity(&record.arn).await,
        Err(Error::NotFound(_))
    ));
}

async fn activities_list_in_order_of_name(store: &dyn Store) {
    let records: Vec<ActivityRecord> = ["al-z", "al-m", "al-a", "al-ü", "al-M"]
        .into_iter()
        .map(activity)
        .collect();
    for record in &records {
        store.create_activity(record.clone()).await.unwrap();
    }
    let whole = check_paging(|page| store.list_activities(page)).await;
    let keys: Vec<_> = whole
        .iter()
        .map(|record| (record.name.clone(), record.arn.clone()))
        .collect();
    assert!(is_strictly_sorted(&keys), "{keys:?}");
    let ours: Vec<&str> = whole
        .iter()
        .map(|record| record.name.as_str())
        .filter(|name| records.iter().any(|record| record.name == *name))
        .collect();
    assert_eq!(ours, ["al-M", "al-a", "al-m", "al-z", "al-ü"]);
    for record in &records {
        assert_eq!(
            whole.iter().find(|listed| listed.arn == record.arn),
            Some(record)
        );
    }
}

async fn lists_default_to_100_items(store: &dyn Store) {
    let creates = (0..105)
        .map(|index| store.create_activity(activity(&format!("ad-{index:03}"))))
        .collect();
    for result in join_all(creates).await {
        result.unwrap();
    }
    for limit in [0, 100] {
        let page = store
            .list_activities(PageRequest { limit, token: None })
            .await
            .unwrap();
        assert_eq!(page.items.len(), 100);
        assert!(page.next_token.is_some());
    }
    let everything = store
        .list_activities(PageRequest {
            limit: 1000,
            token: None,
        })
        .await
        .unwrap();
    assert!(everything.items.len() >= 105);
    assert_eq!(everything.next_token, None);
}

async fn executions_round_trip(store: &dyn Store) {
    let (record, first) = execution("suite-m", "e1", 5_000);
    let record = ExecutionRecord {
        input: r#"{"a":[1,2,{"b":null}]}"#.to_owned(),
        seed: u64::MAX,
        ..record
    };
    store
        .create_execution(record.clone(), first.clone())
        .await
        .unwrap();
    assert_eq!(store.get_execution(&record.arn).await.unwrap(), record);
    assert_eq!(
        store.journal(&record.arn).await.unwrap(),
        std::slice::from_ref(&first.journal)
    );
    assert_eq!(
        store
            .history(&record.arn, false, PageRequest::default())
            .await
            .unwrap(),
        Page {
            items: first.events.clone(),
            next_token: None
        }
    );
    assert!(store.open_executions().await.unwrap().contains(&record));
    let out_of_order = StepCommit {
        journal: JournalEntry {
            seq: 3,
            ..first.journal.clone()
        },
        ..first.clone()
    };
    assert!(matches!(
        store.commit_step(out_of_order).await,
        Err(Error::Conflict(_))
    ));
    let finished = end("SUCCEEDED", 6_000);
    store
        .commit_step(StepCommit {
            execution_arn: record.arn.clone(),
            journal: JournalEntry {
                seq: 2,
                at_ms: 6_000,
                input: "{}".to_owned(),
            },
            events: vec![StoredEvent {
                id: 2,
                json: r#"{"type":"ExecutionSucceeded"}"#.to_owned(),
            }],
            end: Some(finished.clone()),
            redrive: None,
            task_tokens: Vec::new(),
        })
        .await
        .unwrap();
    let stored = store.get_execution(&record.arn).await.unwrap();
    assert_eq!(
        stored,
        ExecutionRecord {
            status: "SUCCEEDED".to_owned(),
            end: Some(finished),
            ..record.clone()
        }
    );
    assert!(
        !store
            .open_executions()
            .await
            .unwrap()
            .iter()
            .any(|open| open.arn == record.arn)
    );
    let history = store
        .history(&record.arn, true, Default::default())
        .await
        .unwrap();
    assert_eq!(
        history
            .items
            .iter()
            .map(|event| event.id)
            .collect::<Vec<_>>(),
        [2, 1]
    );
    // A step after the end is a conflict, even with the right sequence number.
    assert!(matches!(
        store.commit_step(step(&record.arn, 3, [3])).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(store.journal(&record.arn).await.unwrap().len(), 2);
}

async fn execution_rules(store: &dyn Store) {
    let (missing, _) = execution("suite-rules", "missing", 1);
    assert!(matches!(
        store.get_execution(&missing.arn).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.commit_step(step(&missing.arn, 2, [2])).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.commit_step(step(&missing.arn, 1, [1])).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.history(&missing.arn, false, Default::default()).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.history(&missing.arn, true, Default::default()).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.journal(&missing.arn).await,
        Err(Error::NotFound(_))
    ));

    // The first step must be entry 1; otherwise nothing is created.
    let (record, first) = execution("suite-rules", "bad-first", 1);
    let bad_first = StepCommit {
        journal: JournalEntry {
            seq: 2,
            ..first.journal.clone()
        },
        ..first.clone()
    };
    assert!(matches!(
        store.create_execution(record.clone(), bad_first).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        store.get_execution(&record.arn).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.journal(&record.arn).await,
        Err(Error::NotFound(_))
    ));
    // Now it can be created.
    store
        .create_execution(record.clone(), first.clone())
        .await
        .unwrap();

    // A second create is refused and changes nothing, whatever its first step.
    let changed = ExecutionRecord {
        input: r#"{"other":1}"#.to_owned(),
        ..record.clone()
    };
    assert!(matches!(
        store.create_execution(changed, first.clone()).await,
        Err(Error::AlreadyExists(_))
    ));
    assert!(matches!(
        store
            .create_execution(record.clone(), step(&record.arn, 7, []))
            .await,
        Err(Error::AlreadyExists(_))
    ));
    assert_eq!(store.get_execution(&record.arn).await.unwrap(), record);
    assert_eq!(store.journal(&record.arn).await.unwrap(), [first.journal]);

    // Deleting the state machine leaves its executions readable.
    let machine = state_machine("suite-rules");
    store.create_state_machine(machine.clone()).await.unwrap();
    store.delete_state_machine(&machine.arn).await.unwrap();
    assert_eq!(store.get_execution(&record.arn).await.unwrap(), record);
    let listed = store
        .list_executions(
            ExecutionFilter {
                state_machine_arn: Some(machine.arn.clone()),
                status: None,
                ..ExecutionFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.items, [record]);
}

async fn failed_steps_change_nothing(store: &dyn Store) {
    let (record, first) = execution("suite-fail", "e", 1);
    store.create_execution(record.clone(), first).await.unwrap();
    store
        .commit_step(step(&record.arn, 2, [2, 3]))
        .await
        .unwrap();
    let journal = store.journal(&record.arn).await.unwrap();
    let history = all_pages(0, |page| store.history(&record.arn, false, page)).await;

    let refused = [
        // A repeated entry, a gap.
        step(&record.arn, 2, [4]),
        step(&record.arn, 4, [4]),
        step(&record.arn, 1, []),
        // Events must follow the last one stored, in increasing order.
        step(&record.arn, 3, [3]),
        step(&record.arn, 3, [2]),
        step(&record.arn, 3, [5, 4]),
        step(&record.arn, 3, [4, 4]),
        // An end with a gap changes no status.
        StepCommit {
            end: Some(end("FAILED", 9)),
            ..step(&record.arn, 5, [4])
        },
    ];
    for commit in refused {
        let result = store.commit_step(commit.clone()).await;
        assert!(matches!(result, Err(Error::Conflict(_))), "{commit:?}");
    }
    assert_eq!(store.journal(&record.arn).await.unwrap(), journal);
    assert_eq!(
        all_pages(0, |page| store.history(&record.arn, false, page)).await,
        history
    );
    assert_eq!(store.get_execution(&record.arn).await.unwrap(), record);
    // Ids may skip, as long as they increase.
    store
        .commit_step(step(&record.arn, 3, [5, 9]))
        .await
        .unwrap();
    store.commit_step(step(&record.arn, 4, [])).await.unwrap();
    store.commit_step(step(&record.arn, 5, [10])).await.unwrap();
    let ids: Vec<u64> = all_pages(0, |page| store.history(&record.arn, false, page))
        .await
        .iter()
        .map(|event| event.id)
        .collect();
    assert_eq!(ids, [1, 2, 3, 5, 9, 10]);
}

async fn events_and_journal_keep_order(store: &dyn Store) {
    let (record, first) = execution("suite-order", "e", 1);
    store
        .create_execution(record.clone(), first.clone())
        .await
        .unwrap();
    let mut expected_journal = vec![first.journal.clone()];
    let mut expected_events = first.events.clone();
    let mut next_event = 2;
    for seq in 2..=12 {
        // 0, 1, 2 or 3 events per step; times that go back and forth are kept as given.
        let count = seq % 4;
        let commit = StepCommit {
            journal: JournalEntry {
                seq,
                at_ms: if seq % 2 == 0 { 50 - seq as i64 } else { 100 },
                input: format!(r#"{{"Input":{seq}}}"#),
            },
            ..step(&record.arn, seq, next_event..next_event + count)
        };
        next_event += count;
        expected_journal.push(commit.journal.clone());
        expected_events.extend(commit.events.clone());
        store.commit_step(commit).await.unwrap();
    }
    assert_eq!(store.journal(&record.arn).await.unwrap(), expected_journal);
    assert_eq!(
        all_pages(0, |page| store.history(&record.arn, false, page)).await,
        expected_events
    );
}

async fn history_pages_both_ways(store: &dyn Store) {
    let (record, first) = execution("suite-pages", "e", 1);
    store.create_execution(record.clone(), first).await.unwrap();
    // 25 events over 8 steps.
    let mut next_event = 2;
    for seq in 2..=9 {
        store
            .commit_step(step(&record.arn, seq, next_event..next_event + 3))
            .await
            .unwrap();
        next_event += 3;
    }
    let forward = check_paging(|page| store.history(&record.arn, false, page)).await;
    let ids: Vec<u64> = forward.iter().map(|event| event.id).collect();
    assert_eq!(ids, (1..=25).collect::<Vec<_>>());
    let backward = check_paging(|page| store.history(&record.arn, true, page)).await;
    let mut reversed = forward.clone();
    reversed.reverse();
    assert_eq!(backward, reversed);

    // Page by page, by hand: the last page has no token.
    let first_page = store
        .history(
            &record.arn,
            true,
            PageRequest {
                limit: 10,
                token: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(first_page.items.first().map(|event| event.id), Some(25));
    assert_eq!(first_page.items.last().map(|event| event.id), Some(16));
    let third_page = store
        .history(
            &record.arn,
            true,
            PageRequest {
                limit: 10,
                token: store
                    .history(
                        &record.arn,
                        true,
                        PageRequest {
                            limit: 10,
                            token: first_page.next_token.clone(),
                        },
                    )
                    .await
                    .unwrap()
                    .next_token,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        third_page
            .items
            .iter()
            .map(|event| event.id)
            .collect::<Vec<_>>(),
        [5, 4, 3, 2, 1]
    );
    assert_eq!(third_page.next_token, None);
    // Exactly a page's worth: no token, no empty page after it.
    let exact = store
        .history(
            &record.arn,
            false,
            PageRequest {
                limit: 25,
                token: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(exact.items.len(), 25);
    assert_eq!(exact.next_token, None);
    // Events added after a page was read show up on the next page.
    let page = store
        .history(
            &record.arn,
            false,
            PageRequest {
                limit: 24,
                token: None,
            },
        )
        .await
        .unwrap();
    store
        .commit_step(step(&record.arn, 10, [26]))
        .await
        .unwrap();
    let rest = store
        .history(
            &record.arn,
            false,
            PageRequest {
                limit: 24,
                token: page.next_token,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.items.iter().map(|event| event.id).collect::<Vec<_>>(),
        [25, 26]
    );
}

async fn executions_list_newest_first_with_filters(store: &dyn Store) {
    let machine = "suite-lx";
    let machine_arn = state_machine(machine).arn;
    // Two pairs of equal start times: the ARN breaks the tie.
    let starts = [
        ("e1", 100),
        ("e2", 300),
        ("e3", 200),
        ("e4", 300),
        ("e5", 50),
    ];
    let creates = starts
        .iter()
        .map(|(name, start_ms)| {
            let (record, first) = execution(machine, name, *start_ms);
            store.create_execution(record, first)
        })
        .collect();
    for result in join_all(creates).await {
        result.unwrap();
    }
    // Same names under another machine, which no filter on `suite-lx` may show.
    for (name, start_ms) in &starts[..2] {
        let (record, first) = execution("suite-lx-other", name, *start_ms);
        store.create_execution(record, first).await.unwrap();
    }
    let arn = |name: &str| execution(machine, name, 0).0.arn;
    let mut e3_end = step(&arn("e3"), 2, [2]);
    e3_end.end = Some(end("SUCCEEDED", 400));
    store.commit_step(e3_end).await.unwrap();
    let mut e5_end = step(&arn("e5"), 2, [2]);
    e5_end.end = Some(end("FAILED", 400));
    store.commit_step(e5_end).await.unwrap();

    let names = |records: &[ExecutionRecord]| -> Vec<String> {
        records.iter().map(|record| record.name.clone()).collect()
    };
    let by_machine = ExecutionFilter {
        state_machine_arn: Some(machine_arn.clone()),
        status: None,
        ..ExecutionFilter::default()
    };
    let listed = check_paging(|page| store.list_executions(by_machine.clone(), page)).await;
    assert_eq!(names(&listed), ["e2", "e4", "e3", "e1", "e5"]);
    assert_eq!(listed[2].status, "SUCCEEDED");
    assert_eq!(listed[2].end, Some(end("SUCCEEDED", 400)));

    for (status, expected) in [
        ("RUNNING", vec!["e2", "e4", "e1"]),
        ("SUCCEEDED", vec!["e3"]),
        ("FAILED", vec!["e5"]),
        ("ABORTED", vec![]),
    ] {
        let filter = ExecutionFilter {
            state_machine_arn: Some(machine_arn.clone()),
            status: Some(status.to_owned()),
            ..ExecutionFilter::default()
        };
        let listed = check_paging(|page| store.list_executions(filter.clone(), page)).await;
        assert_eq!(names(&listed), expected, "{status}");
    }
    let nobody = ExecutionFilter {
        state_machine_arn: Some(state_machine("suite-lx-none").arn),
        status: None,
        ..ExecutionFilter::default()
    };
    assert_eq!(
        store
            .list_executions(nobody, PageRequest::default())
            .await
            .unwrap(),
        Page {
            items: vec![],
            next_token: None
        }
    );

    // Without a filter: everything, newest first, ties by ARN.
    let everything = check_paging(|page| store.list_executions(Default::default(), page)).await;
    let keys: Vec<_> = everything
        .iter()
        .map(|record| (-record.start_ms, record.arn.clone()))
        .collect();
    assert!(is_strictly_sorted(&keys));
    assert_eq!(
        everything
            .iter()
            .filter(|record| record.state_machine_arn == machine_arn)
            .count(),
        5
    );
    // By status alone.
    let running = ExecutionFilter {
        state_machine_arn: None,
        status: Some("RUNNING".to_owned()),
        ..ExecutionFilter::default()
    };
    let listed = check_paging(|page| store.list_executions(running.clone(), page)).await;
    assert!(listed.iter().all(|record| record.status == "RUNNING"));
    assert_eq!(
        listed
            .iter()
            .filter(|record| record.state_machine_arn.ends_with(":suite-lx-other"))
            .count(),
        2
    );
}

async fn open_executions_are_those_running(store: &dyn Store) {
    let (running, first) = execution("suite-open", "running", 1);
    store
        .create_execution(running.clone(), first)
        .await
        .unwrap();
    let (ended, first) = execution("suite-open", "ended", 1);
    store.create_execution(ended.clone(), first).await.unwrap();
    let mut last = step(&ended.arn, 2, [2]);
    last.end = Some(end("ABORTED", 2));
    store.commit_step(last).await.unwrap();
    let open = store.open_executions().await.unwrap();
    assert!(open.contains(&running));
    assert!(!open.iter().any(|record| record.arn == ended.arn));
    assert!(open.iter().all(|record| record.end.is_none()));
    let mut arns: Vec<_> = open.iter().map(|record| record.arn.clone()).collect();
    arns.dedup();
    assert_eq!(arns.len(), open.len());
}

async fn a_redrive_reopens_an_ended_execution(store: &dyn Store) {
    let (record, first) = execution("suite-redrive", "failed", 1);
    store.create_execution(record.clone(), first).await.unwrap();
    // A running execution cannot be redriven.
    let mut early = step(&record.arn, 2, [2]);
    early.redrive = Some(5);
    assert!(matches!(
        store.commit_step(early).await,
        Err(Error::Conflict(_))
    ));
    let mut last = step(&record.arn, 2, [2]);
    last.end = Some(end("FAILED", 2));
    store.commit_step(last).await.unwrap();
    let mut redrive = step(&record.arn, 3, [3, 4]);
    redrive.redrive = Some(50);
    store.commit_step(redrive).await.unwrap();
    let reopened = store.get_execution(&record.arn).await.unwrap();
    assert_eq!(reopened.status, "RUNNING");
    assert_eq!(reopened.end, None);
    assert_eq!((reopened.redrive_count, reopened.redrive_ms), (1, Some(50)));
    assert!(
        store
            .open_executions()
            .await
            .unwrap()
            .iter()
            .any(|open| open.arn == record.arn)
    );
    let mut again = step(&record.arn, 4, [5]);
    again.end = Some(end("SUCCEEDED", 60));
    store.commit_step(again).await.unwrap();
    let ended = store.get_execution(&record.arn).await.unwrap();
    assert_eq!(ended.status, "SUCCEEDED");
    assert_eq!(ended.redrive_count, 1);
    assert_eq!(store.journal(&record.arn).await.unwrap().len(), 4);
}

async fn tags_add_replace_remove(store: &dyn Store) {
    let arn = state_machine("suite-tags").arn;
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    };
    assert_eq!(store.tags(&arn).await.unwrap(), []);
    store
        .tag(
            &arn,
            pairs(&[("team", "a"), ("env", "prod"), ("Émoji", "🚀")]),
        )
        .await
        .unwrap();
    assert_eq!(
        store.tags(&arn).await.unwrap(),
        pairs(&[("env", "prod"), ("team", "a"), ("Émoji", "🚀")])
    );
    store
        .tag(&arn, pairs(&[("team", "b"), ("cost", "")]))
        .await
        .unwrap();
    assert_eq!(
        store.tags(&arn).await.unwrap(),
        pairs(&[
            ("cost", ""),
            ("env", "prod"),
            ("team", "b"),
            ("Émoji", "🚀")
        ])
    );
    store
        .untag(&arn, vec!["env".to_owned(), "absent".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        store.tags(&arn).await.unwrap(),
        pairs(&[("cost", ""), ("team", "b"), ("Émoji", "🚀")])
    );
    // Tags belong to one ARN.
    let other = activity("suite-tags").arn;
    assert_eq!(store.tags(&other).await.unwrap(), []);
    store.tag(&other, pairs(&[("team", "c")])).await.unwrap();
    assert_eq!(
        store.tags(&arn).await.unwrap(),
        pairs(&[("cost", ""), ("team", "b"), ("Émoji", "🚀")])
    );
    store
        .untag(
            &arn,
            vec!["cost".to_owned(), "team".to_owned(), "Émoji".to_owned()],
        )
        .await
        .unwrap();
    assert_eq!(store.tags(&arn).await.unwrap(), []);
    assert_eq!(store.tags(&other).await.unwrap(), pairs(&[("team", "c")]));
    store.untag(&arn, vec![]).await.unwrap();
    store.tag(&arn, vec![]).await.unwrap();
    assert_eq!(store.tags(&arn).await.unwrap(), []);
}

/// 50 executions advance 20 steps each, all at once, with a refused step now and then: every
/// good step lands, in order, and the refused ones do not disturb their neighbours.
async fn concurrent_steps_all_land(store: &dyn Store) {
    const EXECUTIONS: u64 = 50;
    const STEPS: u64 = 20;
    let records: Vec<_> = (0..EXECUTIONS)
        .map(|index| execution("suite-concurrent", &format!("e{index:02}"), index as i64))
        .collect();
    let creates = records
        .iter()
        .map(|(record, first)| store.create_execution(record.clone(), first.clone()))
        .collect();
    for result in join_all(creates).await {
        result.unwrap();
    }
    let chains = records
        .iter()
        .enumerate()
        .map(|(index, (record, _))| {
            let arn = record.arn.clone();
            let chain: Pin<Box<dyn Future<Output = ()> + Send + '_>> = Box::pin(async move {
                for seq in 2..=STEPS + 1 {
                    let ids = [2 * seq - 2, 2 * seq - 1];
                    let mut commit = step(&arn, seq, ids);
                    if seq == STEPS + 1 && index % 2 == 0 {
                        commit.end = Some(end("SUCCEEDED", 99));
                    }
                    store.commit_step(commit).await.unwrap();
                    if seq as usize % 5 == index % 5 {
                        // The same entry again: refused, and nothing else is.
                        let result = store.commit_step(step(&arn, seq, [1_000])).await;
                        assert!(matches!(result, Err(Error::Conflict(_))), "{result:?}");
                    }
                }
            });
            chain
        })
        .collect();
    join_all(chains).await;
    for (index, (record, _)) in records.iter().enumerate() {
        let journal = store.journal(&record.arn).await.unwrap();
        let seqs: Vec<u64> = journal.iter().map(|entry| entry.seq).collect();
        assert_eq!(seqs, (1..=STEPS + 1).collect::<Vec<_>>(), "{}", record.arn);
        let events = all_pages(0, |page| store.history(&record.arn, false, page)).await;
        let ids: Vec<u64> = events.iter().map(|event| event.id).collect();
        assert_eq!(
            ids,
            (1..=2 * STEPS + 1).collect::<Vec<_>>(),
            "{}",
            record.arn
        );
        let stored = store.get_execution(&record.arn).await.unwrap();
        let expected = if index % 2 == 0 {
            "SUCCEEDED"
        } else {
            "RUNNING"
        };
        assert_eq!(stored.status, expected);
    }
}

async fn large_documents_round_trip(store: &dyn Store) {
    // 256 KiB of JSON text with escapes and characters of every UTF-8 length.
    let unit = r#"{"k":"a\"b\\c\n","ü":"€","🚀":[1,2.5e-3,null,true]},"#;
    let body = unit.repeat(256 * 1024 / unit.len() + 1);
    let document = format!("[{}{{}}]", &body[..body.len() - 1]);
    assert!(document.len() >= 256 * 1024);
    let machine = StateMachineRecord {
        definition: document.clone(),
        ..state_machine("suite-large")
    };
    store.create_state_machine(machine.clone()).await.unwrap();
    assert_eq!(
        store.get_state_machine(&machine.arn).await.unwrap(),
        machine
    );
    let (record, mut first) = execution("suite-large", "e", 1);
    let record = ExecutionRecord {
        input: document.clone(),
        definition: document.clone(),
        ..record
    };
    first.journal.input = document.clone();
    first.events[0].json = document.clone();
    store
        .create_execution(record.clone(), first.clone())
        .await
        .unwrap();
    let mut last = step(&record.arn, 2, [2]);
    last.journal.input = document.clone();
    last.events[0].json = document.clone();
    let finished = ExecutionEnd {
        output: Some(document.clone()),
        cause: Some(document.clone()),
        ..end("SUCCEEDED", 2)
    };
    last.end = Some(finished.clone());
    store.commit_step(last.clone()).await.unwrap();
    assert_eq!(
        store.get_execution(&record.arn).await.unwrap(),
        ExecutionRecord {
            status: "SUCCEEDED".to_owned(),
            end: Some(finished),
            ..record.clone()
        }
    );
    assert_eq!(
        store.journal(&record.arn).await.unwrap(),
        [first.journal, last.journal]
    );
    let events = all_pages(1, |page| store.history(&record.arn, false, page)).await;
    assert_eq!(events, [first.events[0].clone(), last.events[0].clone()]);
}

async fn unicode_names_round_trip(store: &dyn Store) {
    let name = "état-機械-🚀";
    let machine = state_machine(name);
    store.create_state_machine(machine.clone()).await.unwrap();
    assert_eq!(
        store.get_state_machine(&machine.arn).await.unwrap(),
        machine
    );
    let listed = all_pages(0, |page| store.list_state_machines(page)).await;
    assert!(listed.contains(&machine));
    let task = activity(name);
    store.create_activity(task.clone()).await.unwrap();
    assert_eq!(store.get_activity(&task.arn).await.unwrap(), task);
    let (record, first) = execution(name, "exécution-実行-🎉", 1);
    store.create_execution(record.clone(), first).await.unwrap();
    assert_eq!(store.get_execution(&record.arn).await.unwrap(), record);
    let filter = ExecutionFilter {
        state_machine_arn: Some(machine.arn.clone()),
        status: Some("RUNNING".to_owned()),
        ..ExecutionFilter::default()
    };
    let listed = all_pages(1, |page| store.list_executions(filter.clone(), page)).await;
    assert_eq!(listed, std::slice::from_ref(&record));
    // Names that differ only in normalisation or case stay distinct.
    let composed = state_machine("caf\u{e9}");
    let decomposed = state_machine("cafe\u{301}");
    store.create_state_machine(composed.clone()).await.unwrap();
    store
        .create_state_machine(decomposed.clone())
        .await
        .unwrap();
    assert_eq!(
        store.get_state_machine(&decomposed.arn).await.unwrap(),
        decomposed
    );
    let upper = activity("CAFÉ");
    let lower = activity("café");
    store.create_activity(upper.clone()).await.unwrap();
    store.create_activity(lower.clone()).await.unwrap();
    assert_eq!(store.get_activity(&upper.arn).await.unwrap(), upper);
}

/// A publish request for tests.
pub fn publish(machine_arn: &str, expected: Option<&str>) -> PublishRequest {
    PublishRequest {
        state_machine_arn: machine_arn.to_owned(),
        expected_revision_id: expected.map(str::to_owned),
        description: None,
        created_ms: 5_000,
        max_versions: 1000,
    }
}

pub(crate) fn created(published: Published) -> crate::VersionRecord {
    match published {
        Published::Created(version) => version,
        other => panic!("not created: {other:?}"),
    }
}

/// An alias record for tests.
pub fn alias(
    machine_arn: &str,
    name: &str,
    routing: &[(&str, u32)],
    created_ms: i64,
) -> AliasRecord {
    AliasRecord {
        arn: format!("{machine_arn}:{name}"),
        state_machine_arn: machine_arn.to_owned(),
        name: name.to_owned(),
        description: Some("d".to_owned()),
        routing: routing
            .iter()
            .map(|(version_arn, weight)| Route {
                version_arn: (*version_arn).to_owned(),
                weight: *weight,
            })
            .collect(),
        created_ms,
        updated_ms: created_ms,
    }
}

/// Changes a machine's definition under a new revision.
pub(crate) async fn revise(store: &dyn Store, machine: &mut StateMachineRecord, revision: &str) {
    machine.revision_id = revision.to_owned();
    machine.definition = format!(
        r#"{{"Comment":"{revision}","StartAt":"P","States":{{"P":{{"Type":"Pass","End":true}}}}}}"#
    );
    store.update_state_machine(machine.clone()).await.unwrap();
}

async fn versions_publish_list_delete(store: &dyn Store) {
    let mut machine = state_machine("suite-v-basic");
    machine.revision_id = String::new();
    store.create_state_machine(machine.clone()).await.unwrap();
    assert!(matches!(
        store
            .publish_version(publish(&format!("{}x", machine.arn), None))
            .await,
        Err(Error::NotFound(_))
    ));
    let mut request = publish(&machine.arn, Some(""));
    request.description = Some("first".to_owned());
    let v1 = created(store.publish_version(request).await.unwrap());
    assert_eq!(v1.number, 1);
    assert_eq!(v1.arn, format!("{}:1", machine.arn));
    assert_eq!(v1.definition, machine.definition);
    assert_eq!(v1.revision_id, "");
    assert_eq!(v1.description.as_deref(), Some("first"));
    assert_eq!(store.get_version(&v1.arn).await.unwrap(), v1);
    // The same revision again is the same version, with or without an expected revision.
    assert_eq!(
        store
            .publish_version(publish(&machine.arn, None))
            .await
            .unwrap(),
        Published::Existing(v1.clone())
    );
    revise(store, &mut machine, "rev-2").await;
    assert_eq!(
        store
            .publish_version(publish(&machine.arn, Some("")))
            .await
            .unwrap(),
        Published::RevisionMismatch("rev-2".to_owned())
    );
    let v2 = created(
        store
            .publish_version(publish(&machine.arn, Some("rev-2")))
            .await
            .unwrap(),
    );
    assert_eq!(v2.number, 2);
    assert_eq!(v2.revision_id, "rev-2");
    assert_eq!(v2.definition, machine.definition);
    // Versions are immutable: a later revision leaves them alone.
    revise(store, &mut machine, "rev-3").await;
    assert_eq!(store.get_version(&v1.arn).await.unwrap(), v1);
    let v3 = created(
        store
            .publish_version(publish(&machine.arn, None))
            .await
            .unwrap(),
    );
    let listed = check_paging(|page| {
        let arn = machine.arn.clone();
        Box::pin(async move { store.list_versions(&arn, page).await })
    })
    .await;
    assert_eq!(listed, [v3.clone(), v2.clone(), v1.clone()]);
    // The quota counts the versions there are.
    let mut full = publish(&machine.arn, None);
    full.max_versions = 3;
    revise(store, &mut machine, "rev-4").await;
    assert_eq!(
        store.publish_version(full).await.unwrap(),
        Published::QuotaExceeded
    );
    store.delete_version(&v2.arn).await.unwrap();
    assert!(matches!(
        store.delete_version(&v2.arn).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.get_version(&v2.arn).await,
        Err(Error::NotFound(_))
    ));
    let listed = all_pages(0, |page| {
        let arn = machine.arn.clone();
        Box::pin(async move { store.list_versions(&arn, page).await })
    })
    .await;
    assert_eq!(listed, [v3, v1]);
}

async fn version_numbers_are_never_reused(store: &dyn Store) {
    let mut machine = state_machine("suite-v-reuse");
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
    store.delete_version(&v2.arn).await.unwrap();
    store.delete_version(&v1.arn).await.unwrap();
    revise(store, &mut machine, "rev-3").await;
    let v3 = created(
        store
            .publish_version(publish(&machine.arn, None))
            .await
            .unwrap(),
    );
    assert_eq!(v3.number, 3);
    // Republishing a revision whose version was deleted makes a new number too.
    revise(store, &mut machine, "rev-2").await;
    let v4 = created(
        store
            .publish_version(publish(&machine.arn, None))
            .await
            .unwrap(),
    );
    assert_eq!(v4.number, 4);
}

async fn concurrent_publishes_get_distinct_numbers(store: &dyn Store) {
    let mut machines = Vec::new();
    for index in 0..4 {
        let machine = state_machine(&format!("suite-v-race-{index}"));
        store.create_state_machine(machine.clone()).await.unwrap();
        machines.push(machine);
    }
    // Each round changes every machine's revision, then publishes each twice at once.
    for round in 0..5 {
        for machine in &mut machines {
            revise(store, machine, &format!("race-{round}")).await;
        }
        let futures: Vec<Pin<Box<dyn Future<Output = crate::Result<Published>> + Send + '_>>> =
            machines
                .iter()
                .flat_map(|machine| [machine.arn.clone(), machine.arn.clone()])
                .map(|arn| {
                    Box::pin(async move { store.publish_version(publish(&arn, None)).await })
                        as Pin<Box<dyn Future<Output = _> + Send>>
                })
                .collect();
        let results = join_all(futures).await;
        for pair in results.chunks(2) {
            let outcomes: Vec<_> = pair.iter().map(|result| result.clone().unwrap()).collect();
            let new = outcomes
                .iter()
                .filter(|outcome| matches!(outcome, Published::Created(_)))
                .count();
            assert_eq!(new, 1, "{outcomes:?}");
        }
    }
    for machine in &machines {
        let versions = all_pages(0, |page| {
            let arn = machine.arn.clone();
            Box::pin(async move { store.list_versions(&arn, page).await })
        })
        .await;
        let numbers: Vec<u64> = versions.iter().map(|version| version.number).collect();
        assert_eq!(numbers, [5, 4, 3, 2, 1]);
        for version in &versions {
            assert!(version.definition.contains(&version.revision_id));
        }
    }
}

async fn aliases_round_trip(store: &dyn Store) {
    let mut machine = state_machine("suite-a-basic");
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
    assert_eq!(
        store.create_alias(main.clone(), 100).await.unwrap(),
        AliasCreated::Created(main.clone())
    );
    assert_eq!(
        store.create_alias(main.clone(), 100).await.unwrap(),
        AliasCreated::Existing(main.clone())
    );
    let other = AliasRecord {
        description: None,
        ..main.clone()
    };
    assert_eq!(
        store.create_alias(other, 100).await.unwrap(),
        AliasCreated::Different(main.clone())
    );
    assert!(matches!(
        store
            .create_alias(
                alias(
                    &machine.arn,
                    "ghost",
                    &[(&format!("{}:99", machine.arn), 100)],
                    6_000
                ),
                100
            )
            .await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(
        store
            .create_alias(alias(&machine.arn, "late", &[(&v1.arn, 100)], 6_500), 1)
            .await
            .unwrap(),
        AliasCreated::QuotaExceeded
    );
    let beta = alias(&machine.arn, "beta", &[(&v1.arn, 50), (&v2.arn, 50)], 7_000);
    store.create_alias(beta.clone(), 100).await.unwrap();
    assert_eq!(store.get_alias(&main.arn).await.unwrap(), main);
    // Versions an alias routes to cannot be deleted; the conflict names the aliases.
    assert_eq!(
        store.delete_version(&v1.arn).await,
        Err(Error::Conflict("beta, main".to_owned()))
    );
    let listed = check_paging(|page| {
        let arn = machine.arn.clone();
        Box::pin(async move { store.list_aliases(&arn, None, page).await })
    })
    .await;
    assert_eq!(listed, [main.clone(), beta.clone()]);
    let to_v2 = all_pages(0, |page| {
        let arn = machine.arn.clone();
        let version = v2.arn.clone();
        Box::pin(async move { store.list_aliases(&arn, Some(&version), page).await })
    })
    .await;
    assert_eq!(to_v2, std::slice::from_ref(&beta));
    let updated = store
        .update_alias(AliasUpdate {
            arn: main.arn.clone(),
            description: Some("new".to_owned()),
            routing: None,
            updated_ms: 8_000,
        })
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("new"));
    assert_eq!(updated.routing, main.routing);
    assert_eq!(updated.created_ms, 6_000);
    assert_eq!(updated.updated_ms, 8_000);
    let updated = store
        .update_alias(AliasUpdate {
            arn: main.arn.clone(),
            description: None,
            routing: Some(vec![Route {
                version_arn: v2.arn.clone(),
                weight: 100,
            }]),
            updated_ms: 9_000,
        })
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("new"));
    assert_eq!(store.get_alias(&main.arn).await.unwrap(), updated);
    assert!(matches!(
        store
            .update_alias(AliasUpdate {
                arn: format!("{}:nobody", machine.arn),
                description: Some("x".to_owned()),
                routing: None,
                updated_ms: 9_000,
            })
            .await,
        Err(Error::NotFound(_))
    ));
    store.delete_alias(&beta.arn).await.unwrap();
    assert!(matches!(
        store.delete_alias(&beta.arn).await,
        Err(Error::NotFound(_))
    ));
    store.delete_version(&v1.arn).await.unwrap();
}

async fn deleting_a_machine_deletes_versions_and_aliases(store: &dyn Store) {
    let machine = state_machine("suite-a-gone");
    store.create_state_machine(machine.clone()).await.unwrap();
    let v1 = created(
        store
            .publish_version(publish(&machine.arn, None))
            .await
            .unwrap(),
    );
    let main = alias(&machine.arn, "main", &[(&v1.arn, 100)], 6_000);
    store.create_alias(main.clone(), 100).await.unwrap();
    store.delete_state_machine(&machine.arn).await.unwrap();
    assert!(matches!(
        store.get_version(&v1.arn).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.get_alias(&main.arn).await,
        Err(Error::NotFound(_))
    ));
    // A machine created again under the name starts again at 1.
    store.create_state_machine(machine.clone()).await.unwrap();
    let again = created(
        store
            .publish_version(publish(&machine.arn, None))
            .await
            .unwrap(),
    );
    assert_eq!(again.number, 1);
    assert!(
        store
            .list_aliases(&machine.arn, None, PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn executions_filter_by_version_and_alias(store: &dyn Store) {
    let machine = "suite-x-versions";
    let machine_arn = state_machine(machine).arn;
    let version_arn = format!("{machine_arn}:1");
    let alias_arn = format!("{machine_arn}:main");
    let mut expected_version = Vec::new();
    let mut expected_alias = Vec::new();
    for index in 0..6 {
        let (mut record, first) = execution(machine, &format!("e{index}"), 10_000 + index);
        if index % 3 != 0 {
            record.state_machine_version_arn = Some(version_arn.clone());
        }
        if index % 3 == 2 {
            record.state_machine_alias_arn = Some(alias_arn.clone());
        }
        store.create_execution(record.clone(), first).await.unwrap();
        assert_eq!(store.get_execution(&record.arn).await.unwrap(), record);
        if record.state_machine_version_arn.is_some() {
            expected_version.insert(0, record.clone());
        }
        if record.state_machine_alias_arn.is_some() {
            expected_alias.insert(0, record.clone());
        }
    }
    let by_version = ExecutionFilter {
        state_machine_arn: Some(machine_arn.clone()),
        version_arn: Some(version_arn),
        ..ExecutionFilter::default()
    };
    let listed = check_paging(|page| store.list_executions(by_version.clone(), page)).await;
    assert_eq!(listed, expected_version);
    let by_alias = ExecutionFilter {
        state_machine_arn: Some(machine_arn.clone()),
        alias_arn: Some(alias_arn),
        ..ExecutionFilter::default()
    };
    let listed = check_paging(|page| store.list_executions(by_alias.clone(), page)).await;
    assert_eq!(listed, expected_alias);
    let all = ExecutionFilter {
        state_machine_arn: Some(machine_arn),
        ..ExecutionFilter::default()
    };
    assert_eq!(
        check_paging(|page| store.list_executions(all.clone(), page))
            .await
            .len(),
        6
    );
}

fn metric_row(name: &str, bucket_ms: i64, values: Vec<(f64, u64)>) -> crate::MetricRow {
    crate::MetricRow {
        namespace: "AWS/States".to_owned(),
        name: name.to_owned(),
        dimensions: vec![(
            "StateMachineArn".to_owned(),
            format!("{ACCOUNT}:stateMachine:m"),
        )],
        unit: "Count".to_owned(),
        bucket_ms,
        values,
    }
}

async fn metric_rows_merge_and_prune(store: &dyn Store) {
    let mine = |rows: Vec<crate::MetricRow>| -> Vec<crate::MetricRow> {
        rows.into_iter()
            .filter(|row| row.name.starts_with("SuiteMetric"))
            .collect()
    };
    store
        .put_metric_rows(
            vec![
                metric_row("SuiteMetricA", 1_000, vec![(1.0, 2), (0.0, 1)]),
                metric_row("SuiteMetricA", 2_000, vec![(1.0, 1)]),
                metric_row("SuiteMetricB", 1_000, vec![(42.5, 1)]),
            ],
            0,
        )
        .await
        .unwrap();
    // The same metric and bucket again: the values merge.
    store
        .put_metric_rows(
            vec![metric_row("SuiteMetricA", 1_000, vec![(1.0, 3), (7.0, 1)])],
            0,
        )
        .await
        .unwrap();
    let rows = mine(store.metric_rows(0).await.unwrap());
    assert_eq!(rows.len(), 3, "{rows:?}");
    let merged = rows
        .iter()
        .find(|row| row.name == "SuiteMetricA" && row.bucket_ms == 1_000)
        .unwrap();
    let mut values = merged.values.clone();
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(values, vec![(0.0, 1), (1.0, 5), (7.0, 1)]);
    assert!(
        rows.windows(2)
            .all(|pair| pair[0].bucket_ms <= pair[1].bucket_ms)
    );
    assert_eq!(mine(store.metric_rows(1_500).await.unwrap()).len(), 1);
    // Pruning drops whole buckets before the horizon.
    store.put_metric_rows(Vec::new(), 1_500).await.unwrap();
    let rows = mine(store.metric_rows(0).await.unwrap());
    assert_eq!(
        rows,
        vec![metric_row("SuiteMetricA", 2_000, vec![(1.0, 1)])]
    );
}

async fn alarms_round_trip(store: &dyn Store) {
    let record = |name: &str, config: &str| crate::AlarmRecord {
        name: name.to_owned(),
        config: config.to_owned(),
        config_updated_ms: 1_000,
        state_value: "INSUFFICIENT_DATA".to_owned(),
        state_reason: "Unchecked: Initial alarm creation".to_owned(),
        state_reason_data: None,
        state_updated_ms: 1_000,
    };
    let history = |name: &str, at: i64, item_type: &str| crate::AlarmHistoryRecord {
        alarm_name: name.to_owned(),
        timestamp_ms: at,
        item_type: item_type.to_owned(),
        summary: format!("{item_type} at {at}"),
        data: "{}".to_owned(),
    };
    assert!(
        !store
            .put_alarm(
                record("suite-b", "{\"v\":1}"),
                history("suite-b", 1_000, "ConfigurationUpdate")
            )
            .await
            .unwrap()
    );
    store
        .put_alarm(
            record("suite-a", "{}"),
            history("suite-a", 1_000, "ConfigurationUpdate"),
        )
        .await
        .unwrap();
    assert!(matches!(
        store.get_alarm("suite-none").await,
        Err(Error::NotFound(_))
    ));
    store
        .set_alarm_state(crate::AlarmStateChange {
            name: "suite-b".to_owned(),
            state_value: "ALARM".to_owned(),
            state_reason: "Threshold Crossed".to_owned(),
            state_reason_data: Some("{\"version\":\"1.0\"}".to_owned()),
            state_updated_ms: 2_000,
            history: Some(history("suite-b", 2_000, "StateUpdate")),
        })
        .await
        .unwrap();
    // A new configuration keeps the state.
    let mut updated = record("suite-b", "{\"v\":2}");
    updated.config_updated_ms = 3_000;
    assert!(
        store
            .put_alarm(updated, history("suite-b", 3_000, "ConfigurationUpdate"))
            .await
            .unwrap()
    );
    let alarm = store.get_alarm("suite-b").await.unwrap();
    assert_eq!(alarm.config, "{\"v\":2}");
    assert_eq!(alarm.config_updated_ms, 3_000);
    assert_eq!(alarm.state_value, "ALARM");
    assert_eq!(
        alarm.state_reason_data.as_deref(),
        Some("{\"version\":\"1.0\"}")
    );
    assert_eq!(alarm.state_updated_ms, 2_000);
    let names: Vec<String> = store
        .list_alarms()
        .await
        .unwrap()
        .into_iter()
        .map(|alarm| alarm.name)
        .filter(|name| name.starts_with("suite-"))
        .collect();
    assert_eq!(names, ["suite-a", "suite-b"]);
    let items: Vec<(i64, String)> = store
        .alarm_history(Some("suite-b"))
        .await
        .unwrap()
        .into_iter()
        .map(|item| (item.timestamp_ms, item.item_type))
        .collect();
    assert_eq!(
        items,
        [
            (3_000, "ConfigurationUpdate".to_owned()),
            (2_000, "StateUpdate".to_owned()),
            (1_000, "ConfigurationUpdate".to_owned())
        ]
    );
    store
        .delete_alarms(vec!["suite-b".to_owned(), "suite-none".to_owned()])
        .await
        .unwrap();
    assert!(matches!(
        store.get_alarm("suite-b").await,
        Err(Error::NotFound(_))
    ));
    assert!(
        store
            .alarm_history(Some("suite-b"))
            .await
            .unwrap()
            .is_empty()
    );
    let change = crate::AlarmStateChange {
        name: "suite-b".to_owned(),
        state_value: "OK".to_owned(),
        state_reason: "gone".to_owned(),
        state_reason_data: None,
        state_updated_ms: 4_000,
        history: None,
    };
    assert!(matches!(
        store.set_alarm_state(change).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(store.alarm_history(Some("suite-a")).await.unwrap().len(), 1);
}
