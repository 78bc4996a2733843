//! Gradual deployments driven by the runtime (issue 6), on fast deployment clocks: LINEAR to
//! the end, an alarm rolling back, stop and promote by hand, drift, and a crash in the middle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use deploy::{AlarmReading, AlarmState, Deployment, Event, Kind, Preference};
use runtime::deployments::{AlarmStates, DeploymentError, DeploymentRequest};
use runtime::{Config, Runtime};
use serde_json::Value;
use store::mem::MemStore;
use store::suite::{alias, publish, state_machine};
use store::{
    AliasUpdate, Aliases, DeploymentRecord, Deployments, Published, Route, StateMachines, Versions,
};

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:orders";
const MAIN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:orders:main";

fn v(number: u64) -> String {
    format!("{MACHINE}:{number}")
}

/// Alarm states set by the test.
#[derive(Default)]
struct TestAlarms {
    states: Mutex<HashMap<String, (AlarmState, String)>>,
    broken: Mutex<bool>,
}

impl TestAlarms {
    fn set(&self, name: &str, state: AlarmState, reason: &str) {
        self.states
            .lock()
            .unwrap()
            .insert(name.to_owned(), (state, reason.to_owned()));
    }
}

#[async_trait]
impl AlarmStates for TestAlarms {
    async fn states(&self, names: &[String]) -> Result<Vec<AlarmReading>, String> {
        if *self.broken.lock().unwrap() {
            return Err("the alarm store is gone".to_owned());
        }
        let states = self.states.lock().unwrap();
        Ok(names
            .iter()
            .filter_map(|name| {
                states.get(name).map(|(state, reason)| AlarmReading {
                    name: name.clone(),
                    state: *state,
                    reason: Some(reason.clone()),
                })
            })
            .collect())
    }
}

/// A store with `orders` versions 1 and 2 and alias `main` routing all to version 1.
async fn store() -> Arc<MemStore> {
    let store = Arc::new(MemStore::new());
    let mut machine = state_machine("orders");
    store.create_state_machine(machine.clone()).await.unwrap();
    for revision in ["r1", "r2"] {
        machine.revision_id = revision.to_owned();
        machine.definition = format!(
            r#"{{"Comment":"{revision}","StartAt":"P","States":{{"P":{{"Type":"Pass","End":true}}}}}}"#
        );
        store.update_state_machine(machine.clone()).await.unwrap();
        let published = store.publish_version(publish(MACHINE, None)).await.unwrap();
        assert!(matches!(published, Published::Created(_)));
    }
    store
        .create_alias(alias(MACHINE, "main", &[(&v(1), 100)], 1_000), 10)
        .await
        .unwrap();
    store
}

fn runtime(store: Arc<MemStore>, time_scale: f64, alarms: Option<Arc<TestAlarms>>) -> Runtime {
    let runtime = Runtime::new(
        store,
        Config {
            time_scale,
            ..Config::default()
        },
    );
    if let Some(alarms) = alarms {
        runtime.set_alarm_source(alarms);
    }
    runtime
}

fn linear(percentage: u32, interval: u32, alarms: &[&str]) -> DeploymentRequest {
    DeploymentRequest {
        alias_arn: MAIN.to_owned(),
        target_version_arn: v(2),
        preference: Preference {
            interval_minutes: Some(interval),
            percentage: Some(percentage),
            alarms: (!alarms.is_empty())
                .then(|| alarms.iter().map(|name| (*name).to_owned()).collect()),
            ..Preference::new(Kind::Linear)
        },
        client_token: None,
    }
}

async fn routing(store: &MemStore) -> Vec<(String, u32)> {
    let mut routes: Vec<_> = store
        .get_alias(MAIN)
        .await
        .unwrap()
        .routing
        .into_iter()
        .map(|route| (route.version_arn, route.weight))
        .collect();
    routes.sort();
    routes
}

async fn wait_for_end(store: &MemStore, id: &str) -> DeploymentRecord {
    for _ in 0..1000 {
        let record = store.get_deployment(id).await.unwrap();
        if !record.is_open() {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("deployment {id} did not end");
}

fn state(record: &DeploymentRecord) -> Deployment {
    Deployment::from_json(&serde_json::from_str::<Value>(&record.state).unwrap()).unwrap()
}

/// The target weights of the shifts, in order.
fn shifts(record: &DeploymentRecord) -> Vec<u8> {
    state(record)
        .timeline()
        .iter()
        .filter_map(|entry| match &entry.event {
            Event::Shifted { target_weight, .. } => Some(*target_weight),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn linear_succeeds_at_100_after_the_right_steps() {
    let store = store().await;
    let alarms = Arc::new(TestAlarms::default());
    alarms.set("errors", AlarmState::Ok, "fine");
    // 1 minute = 100 ms: the deployment takes 2 minutes.
    let runtime = runtime(Arc::clone(&store), 600.0, Some(alarms));
    let started = runtime
        .start_deployment(linear(50, 2, &["errors"]))
        .await
        .unwrap();
    // The first shift happened in the start's own transaction.
    assert_eq!(started.status, "IN_PROGRESS");
    assert_eq!(started.seq, 1);
    assert_eq!(routing(&store).await, vec![(v(1), 50), (v(2), 50)]);
    assert_eq!(runtime.driving(), 1);
    let done = wait_for_end(&store, &started.id).await;
    assert_eq!(done.status, "SUCCEEDED");
    assert_eq!(routing(&store).await, vec![(v(2), 100)]);
    assert_eq!(shifts(&done), vec![50, 100]);
    let deployment = state(&done);
    // Two minutes on the deployment's clock, checking alarms at least every minute.
    let elapsed = deployment.finished_ms().unwrap() - deployment.started_ms().unwrap();
    assert!((120_000..130_000).contains(&elapsed), "{elapsed}");
    assert!(deployment.checks() >= 2);
    assert_eq!(done.origin_version_arn, Some(v(1)));
    assert_eq!(done.next_tick_ms, None);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(runtime.driving(), 0);
}

#[tokio::test]
async fn an_alarm_rolls_back_to_the_origin() {
    let store = store().await;
    let alarms = Arc::new(TestAlarms::default());
    alarms.set("errors", AlarmState::Ok, "fine");
    alarms.set("latency", AlarmState::Ok, "fine");
    // 1 minute = 1 s: time to raise the alarm before the second shift.
    let runtime = runtime(Arc::clone(&store), 60.0, Some(Arc::clone(&alarms)));
    let started = runtime
        .start_deployment(linear(50, 2, &["errors", "latency"]))
        .await
        .unwrap();
    assert_eq!(routing(&store).await, vec![(v(1), 50), (v(2), 50)]);
    alarms.set(
        "errors",
        AlarmState::Alarm,
        "Threshold Crossed: 1 datapoint [1.0]",
    );
    let done = wait_for_end(&store, &started.id).await;
    assert_eq!(done.status, "ROLLED_BACK");
    assert_eq!(routing(&store).await, vec![(v(1), 100)]);
    let deployment = state(&done);
    assert_eq!(
        deployment.message(),
        Some(
            "Aborting deployment. The following CloudWatch alarms are in an 'ALARM' state: \
             [errors]."
        )
    );
    assert_eq!(shifts(&done), vec![50]);
    assert!(deployment.timeline().iter().any(|entry| matches!(
        &entry.event,
        Event::AlarmChanged { alarm, state: AlarmState::Alarm, reason: Some(reason) }
            if alarm == "errors" && reason.starts_with("Threshold Crossed")
    )));
}

#[tokio::test]
async fn stop_rolls_back_and_promote_goes_to_100() {
    let store = store().await;
    let runtime = runtime(Arc::clone(&store), 60.0, None);
    let started = runtime.start_deployment(linear(10, 10, &[])).await.unwrap();
    assert_eq!(routing(&store).await, vec![(v(1), 90), (v(2), 10)]);
    let stopped = runtime
        .stop_deployment(&started.id, Some("by hand".to_owned()))
        .await
        .unwrap();
    assert_eq!(stopped.status, "STOPPED");
    assert_eq!(routing(&store).await, vec![(v(1), 100)]);
    // Ended: nothing more to do.
    assert!(matches!(
        runtime.promote_deployment(&started.id).await,
        Err(DeploymentError::Conflict(_))
    ));
    assert!(matches!(
        runtime.stop_deployment("nope", None).await,
        Err(DeploymentError::DeploymentDoesNotExist(_))
    ));

    let again = runtime.start_deployment(linear(10, 10, &[])).await.unwrap();
    let promoted = runtime.promote_deployment(&again.id).await.unwrap();
    assert_eq!(promoted.status, "SUCCEEDED");
    assert_eq!(routing(&store).await, vec![(v(2), 100)]);
    // Already at 100 % on the target: a no-op that succeeds at once.
    let noop = runtime.start_deployment(linear(10, 10, &[])).await.unwrap();
    assert_eq!(noop.status, "SUCCEEDED");
}

#[tokio::test]
async fn one_open_deployment_per_alias_and_alarms_need_a_source() {
    let store = store().await;
    let runtime = runtime(Arc::clone(&store), 60.0, None);
    assert!(matches!(
        runtime.start_deployment(linear(10, 10, &["errors"])).await,
        Err(DeploymentError::AlarmsUnavailable(message)) if message.contains("no alarm source")
    ));
    assert_eq!(routing(&store).await, vec![(v(1), 100)]);
    runtime.start_deployment(linear(10, 10, &[])).await.unwrap();
    assert!(matches!(
        runtime.start_deployment(linear(10, 10, &[])).await,
        Err(DeploymentError::Conflict(_))
    ));
    let mut missing = linear(10, 10, &[]);
    missing.target_version_arn = v(9);
    assert!(matches!(
        runtime.start_deployment(missing).await,
        Err(DeploymentError::ResourceDoesNotExist(arn)) if arn == v(9)
    ));
    let mut elsewhere = linear(10, 10, &[]);
    elsewhere.target_version_arn = format!("{MACHINE}x:2");
    assert!(matches!(
        runtime.start_deployment(elsewhere).await,
        Err(DeploymentError::Validation(_))
    ));
    assert!(matches!(
        runtime.start_deployment(linear(0, 10, &[])).await,
        Err(DeploymentError::Validation(message)) if message.contains("percentage")
    ));
}

#[tokio::test]
async fn drift_fails_the_deployment() {
    let store = store().await;
    let runtime = runtime(Arc::clone(&store), 60.0, None);
    let started = runtime.start_deployment(linear(10, 10, &[])).await.unwrap();
    // Someone else changes the alias: a plain UpdateStateMachineAlias.
    store
        .update_alias(AliasUpdate {
            arn: MAIN.to_owned(),
            description: None,
            routing: Some(vec![
                Route {
                    version_arn: v(1),
                    weight: 70,
                },
                Route {
                    version_arn: v(2),
                    weight: 30,
                },
            ]),
            updated_ms: 2_000,
        })
        .await
        .unwrap();
    runtime.observe_alias(MAIN);
    let done = wait_for_end(&store, &started.id).await;
    assert_eq!(done.status, "FAILED");
    assert!(
        state(&done).message().unwrap().contains("drift detected"),
        "{:?}",
        state(&done).message()
    );
    // The alias is left as the other party set it.
    assert_eq!(routing(&store).await, vec![(v(1), 70), (v(2), 30)]);
}

#[test]
fn a_restart_continues_from_the_recorded_step() {
    let store = std::thread::spawn(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(store())
    })
    .join()
    .unwrap();
    // LINEAR 25 % every 2 minutes, 1 minute = 100 ms: crash after the second shift.
    let before = Arc::clone(&store);
    let id = std::thread::spawn(move || {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let id = tokio.block_on(async {
            let runtime = runtime(Arc::clone(&before), 600.0, None);
            let started = runtime.start_deployment(linear(25, 2, &[])).await.unwrap();
            loop {
                let record = before.get_deployment(&started.id).await.unwrap();
                if shifts(&record).len() >= 2 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            started.id
        });
        drop(tokio);
        id
    })
    .join()
    .unwrap();
    let crashed = std::thread::spawn({
        let store = Arc::clone(&store);
        let id = id.clone();
        move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move { store.get_deployment(&id).await.unwrap() })
        }
    })
    .join()
    .unwrap();
    assert_eq!(crashed.status, "IN_PROGRESS");
    let recorded = shifts(&crashed);
    assert!(recorded.len() >= 2 && recorded.len() < 4, "{recorded:?}");

    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let runtime = runtime(Arc::clone(&store), 600.0, None);
            assert_eq!(runtime.recover_deployments().await.unwrap(), 1);
            // Recovering twice drives it once.
            runtime.recover_deployments().await.unwrap();
            assert_eq!(runtime.driving(), 1);
            let done = wait_for_end(&store, &id).await;
            assert_eq!(done.status, "SUCCEEDED");
            // No step repeated, none skipped.
            assert_eq!(shifts(&done), vec![25, 50, 75, 100]);
            assert_eq!(routing(&store).await, vec![(v(2), 100)]);
            assert!(done.seq > crashed.seq);
        });
}

#[tokio::test]
async fn canary_rolls_back_during_the_bake_time() {
    let store = store().await;
    let alarms = Arc::new(TestAlarms::default());
    alarms.set("errors", AlarmState::Ok, "fine");
    // 1 minute = 100 ms: CANARY 10 % for 1 minute, then 100 %, then a 20-minute bake.
    let runtime = runtime(Arc::clone(&store), 600.0, Some(Arc::clone(&alarms)));
    let mut request = linear(10, 1, &["errors"]);
    request.preference.kind = Kind::Canary;
    request.preference.bake_minutes = Some(20);
    let started = runtime.start_deployment(request).await.unwrap();
    assert_eq!(routing(&store).await, vec![(v(1), 90), (v(2), 10)]);
    // Wait for 100 %: the bake begins.
    for _ in 0..200 {
        if routing(&store).await == vec![(v(2), 100)] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let baking = store.get_deployment(&started.id).await.unwrap();
    assert_eq!(baking.status, "IN_PROGRESS");
    assert!(state(&baking).watch_until_ms().is_some());
    alarms.set("errors", AlarmState::Alarm, "Threshold Crossed");
    let done = wait_for_end(&store, &started.id).await;
    assert_eq!(done.status, "ROLLED_BACK");
    assert_eq!(shifts(&done), vec![10, 100]);
    assert_eq!(routing(&store).await, vec![(v(1), 100)]);
}

#[tokio::test]
async fn drift_is_seen_at_the_next_check_without_being_told() {
    let store = store().await;
    // 1 minute = 50 ms: the next check comes within 50 ms.
    let runtime = runtime(Arc::clone(&store), 1200.0, None);
    let started = runtime.start_deployment(linear(10, 10, &[])).await.unwrap();
    store
        .update_alias(AliasUpdate {
            arn: MAIN.to_owned(),
            description: None,
            routing: Some(vec![Route {
                version_arn: v(2),
                weight: 100,
            }]),
            updated_ms: 2_000,
        })
        .await
        .unwrap();
    let done = wait_for_end(&store, &started.id).await;
    assert_eq!(done.status, "FAILED");
    assert_eq!(routing(&store).await, vec![(v(2), 100)]);
}

#[tokio::test]
async fn alarms_that_cannot_be_read_stop_the_deployment() {
    let store = store().await;
    let alarms = Arc::new(TestAlarms::default());
    let runtime = runtime(Arc::clone(&store), 1200.0, Some(Arc::clone(&alarms)));
    let started = runtime
        .start_deployment(linear(10, 10, &["errors"]))
        .await
        .unwrap();
    assert_eq!(routing(&store).await, vec![(v(1), 90), (v(2), 10)]);
    *alarms.broken.lock().unwrap() = true;
    let done = wait_for_end(&store, &started.id).await;
    assert_eq!(done.status, "STOPPED");
    assert!(
        state(&done)
            .message()
            .unwrap()
            .contains("the alarm store is gone")
    );
    assert_eq!(routing(&store).await, vec![(v(1), 100)]);
}

#[tokio::test]
async fn stored_alarms_read_the_alarms_of_the_store() {
    use runtime::deployments::StoredAlarms;
    use store::{AlarmHistoryRecord, AlarmRecord, Alarms};

    let store = Arc::new(MemStore::new());
    let record = AlarmRecord {
        name: "errors".to_owned(),
        config: "{}".to_owned(),
        config_updated_ms: 1,
        state_value: "ALARM".to_owned(),
        state_reason: "Threshold Crossed".to_owned(),
        state_reason_data: None,
        state_updated_ms: 1,
    };
    let history = AlarmHistoryRecord {
        alarm_name: "errors".to_owned(),
        timestamp_ms: 1,
        item_type: "ConfigurationUpdate".to_owned(),
        summary: "Alarm \"errors\" created".to_owned(),
        data: "{}".to_owned(),
    };
    store.put_alarm(record, history).await.unwrap();
    let alarms = StoredAlarms::new(store);
    let readings = alarms
        .states(&["errors".to_owned(), "missing".to_owned()])
        .await
        .unwrap();
    // A missing alarm is left out, as CloudWatch's DescribeAlarms does.
    assert_eq!(
        readings,
        vec![AlarmReading {
            name: "errors".to_owned(),
            state: AlarmState::Alarm,
            reason: Some("Threshold Crossed".to_owned()),
        }]
    );
}
