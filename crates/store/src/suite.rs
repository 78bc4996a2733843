//! The conformance suite every backend must pass: call [`run_all`] from each backend's tests.

use crate::{
    Error, ExecutionEnd, ExecutionRecord, JournalEntry, StateMachineRecord, StepCommit, Store,
};

/// A state machine record for tests.
pub fn state_machine(name: &str) -> StateMachineRecord {
    StateMachineRecord {
        arn: format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}"),
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

/// An execution record for tests, with its first step.
pub fn execution(machine: &str, name: &str, start_ms: i64) -> (ExecutionRecord, StepCommit) {
    let arn = format!("arn:aws:states:us-east-1:123456789012:execution:{machine}:{name}");
    let record = ExecutionRecord {
        arn: arn.clone(),
        state_machine_arn: format!("arn:aws:states:us-east-1:123456789012:stateMachine:{machine}"),
        name: name.to_owned(),
        status: "RUNNING".to_owned(),
        input: "{}".to_owned(),
        definition: state_machine(machine).definition,
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        start_ms,
        seed: 42,
        end: None,
    };
    let first = StepCommit {
        execution_arn: arn,
        journal: JournalEntry {
            seq: 1,
            at_ms: start_ms,
            input: r#"{"Start":{}}"#.to_owned(),
        },
        events: vec![crate::StoredEvent {
            id: 1,
            json: r#"{"type":"ExecutionStarted"}"#.to_owned(),
        }],
        end: None,
    };
    (record, first)
}

/// Runs every check against a fresh, empty store.
pub async fn run_all(store: &dyn Store) {
    state_machines_round_trip(store).await;
    executions_round_trip(store).await;
}

async fn state_machines_round_trip(store: &dyn Store) {
    let record = state_machine("suite-a");
    store.create_state_machine(record.clone()).await.unwrap();
    assert_eq!(store.get_state_machine(&record.arn).await.unwrap(), record);
    assert!(matches!(
        store.create_state_machine(record.clone()).await,
        Err(Error::AlreadyExists(_))
    ));
    store.delete_state_machine(&record.arn).await.unwrap();
    assert!(matches!(
        store.get_state_machine(&record.arn).await,
        Err(Error::NotFound(_))
    ));
}

async fn executions_round_trip(store: &dyn Store) {
    let (record, first) = execution("suite-m", "e1", 5_000);
    store
        .create_execution(record.clone(), first.clone())
        .await
        .unwrap();
    assert_eq!(store.open_executions().await.unwrap().len(), 1);
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
    let end = ExecutionEnd {
        status: "SUCCEEDED".to_owned(),
        output: Some("{}".to_owned()),
        error: None,
        cause: None,
        stop_ms: 6_000,
    };
    store
        .commit_step(StepCommit {
            execution_arn: record.arn.clone(),
            journal: JournalEntry {
                seq: 2,
                at_ms: 6_000,
                input: "{}".to_owned(),
            },
            events: vec![crate::StoredEvent {
                id: 2,
                json: r#"{"type":"ExecutionSucceeded"}"#.to_owned(),
            }],
            end: Some(end.clone()),
        })
        .await
        .unwrap();
    let stored = store.get_execution(&record.arn).await.unwrap();
    assert_eq!(stored.status, "SUCCEEDED");
    assert_eq!(stored.end, Some(end));
    assert!(store.open_executions().await.unwrap().is_empty());
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
}
