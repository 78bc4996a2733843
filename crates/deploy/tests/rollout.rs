//! The rollout reducer, path by path, driven by a fake runtime with a fake clock: [`Env`]
//! performs each effect (the alias's routing, the next tick), reads the alias and the alarms at
//! each tick, and renders the timeline as one line per entry (`2:00 shifted to 100% (v2 100%)`,
//! minutes:seconds after the start) so each test reads as a table.

use std::collections::BTreeMap;

use deploy::{
    AlarmReading, AlarmState, Deployment, Effect, Entry, Error, Event, Input, Kind, Preference,
    Route, Routing, Spec, Status,
};

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;
const ALIAS: &str = "arn:aws:states:us-east-1:111111111111:stateMachine:m:main";
const MINUTE: i64 = 60_000;

fn minutes(n: i64) -> i64 {
    T0 + n * MINUTE
}

fn routing(routes: &[(u64, u8)]) -> Routing {
    Routing::new(
        routes
            .iter()
            .map(|&(version, weight)| Route { version, weight })
            .collect(),
    )
    .unwrap()
}

fn preference(kind: Kind, interval: Option<u32>, percentage: Option<u32>) -> Preference {
    Preference {
        interval_minutes: interval,
        percentage,
        alarms: Some(vec!["errors".to_owned(), "latency".to_owned()]),
        ..Preference::new(kind)
    }
}

fn linear(percentage: u32, interval: u32) -> Preference {
    preference(Kind::Linear, Some(interval), Some(percentage))
}

fn canary(percentage: u32, interval: u32) -> Preference {
    preference(Kind::Canary, Some(interval), Some(percentage))
}

fn all_at_once(interval: Option<u32>) -> Preference {
    preference(Kind::AllAtOnce, interval, None)
}

/// A fake runtime around one deployment of `main` from version 1 to version 2.
struct Env {
    deployment: Deployment,
    now: i64,
    /// The alias's routing as the store has it.
    alias: Routing,
    /// The alarms as CloudWatch has them; absent ones do not exist.
    alarms: BTreeMap<String, (AlarmState, String)>,
    /// When the next tick fires, and which alarms it reads.
    next_tick: Option<(i64, Vec<String>)>,
    /// The times of the ticks applied.
    ticks: Vec<i64>,
    /// Every input applied, with its time: the journal.
    journal: Vec<(i64, serde_json::Value)>,
}

impl Env {
    fn new(preference: Preference) -> Env {
        Env::from(
            Deployment::new(Spec {
                alias_arn: ALIAS.to_owned(),
                target: 2,
                preference,
            })
            .unwrap(),
            Routing::single(1),
        )
    }

    fn from(deployment: Deployment, alias: Routing) -> Env {
        Env {
            deployment,
            now: T0,
            alias,
            alarms: BTreeMap::new(),
            next_tick: None,
            ticks: Vec::new(),
            journal: Vec::new(),
        }
    }

    fn apply(&mut self, input: Input) -> Result<(), Error> {
        let journaled = input.to_json();
        let step = self.deployment.apply(input, self.now)?;
        self.journal.push((self.now, journaled));
        for effect in step.effects {
            match effect {
                Effect::SetRouting { routing } => self.alias = routing,
                Effect::ScheduleTick { at_ms, alarms } => {
                    assert!(at_ms >= self.now, "a tick in the past");
                    self.next_tick = Some((at_ms, alarms));
                }
                Effect::Finished(outcome) => {
                    assert_eq!(outcome.status, self.deployment.status());
                    self.next_tick = None;
                }
            }
        }
        Ok(())
    }

    fn start(&mut self) {
        let routing = self.alias.clone();
        self.apply(Input::Start { routing }).unwrap();
    }

    /// Fires the next tick: reads the alias and the alarms it names.
    fn tick(&mut self) -> bool {
        let Some((at_ms, names)) = self.next_tick.take() else {
            return false;
        };
        self.now = at_ms;
        self.ticks.push(at_ms);
        let alarms = names
            .iter()
            .filter_map(|name| {
                self.alarms.get(name).map(|(state, reason)| AlarmReading {
                    name: name.clone(),
                    state: *state,
                    reason: Some(reason.clone()),
                })
            })
            .collect();
        let routing = self.alias.clone();
        self.apply(Input::Tick { routing, alarms }).unwrap();
        true
    }

    /// Fires every tick due up to `until_ms`, then sets the clock there.
    fn run_to(&mut self, until_ms: i64) {
        while self
            .next_tick
            .as_ref()
            .is_some_and(|(at_ms, _)| *at_ms <= until_ms)
        {
            self.tick();
        }
        self.now = self.now.max(until_ms);
    }

    /// Fires ticks until the deployment ends (at most a week of them).
    fn run(&mut self) {
        for _ in 0..7 * 24 * 60 {
            if !self.tick() {
                return;
            }
        }
        panic!("the deployment never ended");
    }

    fn set_alarm(&mut self, name: &str, state: AlarmState, reason: &str) {
        self.alarms
            .insert(name.to_owned(), (state, reason.to_owned()));
    }

    fn timeline(&self) -> Vec<String> {
        self.deployment.timeline().iter().map(render).collect()
    }
}

fn clock(at_ms: i64) -> String {
    let seconds = (at_ms - T0) / 1000;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

fn render(entry: &Entry) -> String {
    let what = match &entry.event {
        Event::Started { origin, target } => format!("started {origin} -> v{target}"),
        Event::Shifted {
            routing,
            target_weight,
        } => format!("shifted to {target_weight}% ({routing})"),
        Event::AlarmChanged {
            alarm,
            state,
            reason,
        } => format!(
            "alarm {alarm} {}: {}",
            serde_json::to_value(state).unwrap().as_str().unwrap(),
            reason.as_deref().unwrap_or("-")
        ),
        Event::Watching { until_ms } => format!("watching until {}", clock(*until_ms)),
        Event::RolledBack { routing } => format!("rolled back to {routing}"),
        Event::Promoted => "promoted".to_owned(),
        Event::Finished(outcome) => match &outcome.message {
            Some(message) => format!("{}: {message}", outcome.status),
            None => outcome.status.to_string(),
        },
    };
    format!("{} {what}", clock(entry.at_ms))
}

/// Checks the whole timeline of a run.
fn check(env: &Env, expected: &[&str]) {
    let actual = env.timeline();
    assert_eq!(
        actual,
        expected,
        "\nactual timeline:\n{}\n",
        actual.join("\n")
    );
}

/// A deployment that runs untouched from start to end, with its timeline.
fn check_run(preference: Preference, expected: &[&str]) -> Env {
    let mut env = Env::new(preference);
    env.start();
    env.run();
    check(&env, expected);
    env
}

// --- Preflight -----------------------------------------------------------------------------

#[test]
fn preflight_two_versions_fail_linear_and_canary() {
    for (preference, kind) in [(linear(50, 2), "LINEAR"), (canary(10, 5), "CANARY")] {
        let mut env = Env::from(
            Deployment::new(Spec {
                alias_arn: ALIAS.to_owned(),
                target: 3,
                preference,
            })
            .unwrap(),
            routing(&[(1, 80), (2, 20)]),
        );
        env.start();
        assert_eq!(env.deployment.status(), Status::Failed);
        check(
            &env,
            &[
                "0:00 started v1 80%, v2 20% -> v3",
                &format!(
                    "0:00 FAILED: Failed to start deployment of type '{kind}', invalid initial \
                     state detected. Expected the alias to be routing 100% of traffic towards one \
                     version, but it is currently routing traffic towards two. Update the alias \
                     to route 100% of traffic towards one version and try the deployment again."
                ),
            ],
        );
        assert_eq!(
            env.alias,
            routing(&[(1, 80), (2, 20)]),
            "the alias is untouched"
        );
        assert!(env.next_tick.is_none());
    }
}

#[test]
fn preflight_all_at_once_accepts_two_versions() {
    let mut env = Env::from(
        Deployment::new(Spec {
            alias_arn: ALIAS.to_owned(),
            target: 3,
            preference: Preference::new(Kind::AllAtOnce),
        })
        .unwrap(),
        routing(&[(1, 80), (2, 20)]),
    );
    env.start();
    env.run();
    check(
        &env,
        &[
            "0:00 started v1 80%, v2 20% -> v3",
            "0:00 shifted to 100% (v3 100%)",
            "0:00 SUCCEEDED",
        ],
    );
    assert_eq!(env.alias, Routing::single(3));
}

#[test]
fn preflight_linear_beyond_2100_minutes_fails() {
    let mut env = Env::new(linear(1, 22));
    env.start();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 FAILED: The linear deployment configured is estimated to take 2200 minutes, \
             which exceeds the maximum allowable deployment time of 2100 minutes. Configure the \
             deployment preference to use a higher shift percentage or lower time interval and \
             try again.",
        ],
    );
    assert_eq!(env.alias, Routing::single(1));
}

#[test]
fn preflight_missing_interval_or_percentage_fails() {
    let mut env = Env::new(preference(Kind::Canary, Some(5), None));
    env.start();
    assert_eq!(env.deployment.status(), Status::Failed);
    assert!(
        env.deployment
            .message()
            .unwrap()
            .starts_with("Deployments of type 'CANARY' require a percentage")
    );
}

#[test]
fn preflight_target_already_at_100_is_a_no_op_success() {
    for preference in [linear(50, 2), canary(10, 5), all_at_once(Some(5))] {
        let mut env = Env::from(
            Deployment::new(Spec {
                alias_arn: ALIAS.to_owned(),
                target: 1,
                preference,
            })
            .unwrap(),
            Routing::single(1),
        );
        env.start();
        check(
            &env,
            &[
                "0:00 started v1 100% -> v1",
                "0:00 SUCCEEDED: The alias already routes 100% of traffic to version 1: nothing \
                 to deploy.",
            ],
        );
        assert!(env.next_tick.is_none());
    }
}

#[test]
fn the_schema_rules_refuse_the_deployment() {
    let error = Deployment::new(Spec {
        alias_arn: ALIAS.to_owned(),
        target: 2,
        preference: linear(100, 0),
    })
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "2 validation errors detected: \
         Value '0' at 'interval' failed to satisfy constraint: Member must have value greater than or equal to 1; \
         Value '100' at 'percentage' failed to satisfy constraint: Member must have value less than or equal to 99"
    );
}

// --- The happy paths -----------------------------------------------------------------------

#[test]
fn linear_50_percent_every_2_minutes() {
    let env = check_run(
        linear(50, 2),
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 50% (v1 50%, v2 50%)",
            "2:00 shifted to 100% (v2 100%)",
            "2:00 SUCCEEDED",
        ],
    );
    assert_eq!(env.ticks, [minutes(0), minutes(1), minutes(2)]);
    assert_eq!(env.alias, Routing::single(2));
    assert_eq!(env.deployment.shifts(), 2);
    assert_eq!(env.deployment.checks(), 3);
    assert_eq!(env.deployment.finished_ms(), Some(minutes(2)));
}

#[test]
fn linear_10_percent_every_minute_takes_10_steps() {
    let mut expected = vec!["0:00 started v1 100% -> v2".to_owned()];
    for step in 1..10 {
        expected.push(format!(
            "{}:00 shifted to {}% (v1 {}%, v2 {}%)",
            step - 1,
            step * 10,
            100 - step * 10,
            step * 10
        ));
    }
    expected.push("9:00 shifted to 100% (v2 100%)".to_owned());
    expected.push("9:00 SUCCEEDED".to_owned());
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let env = check_run(linear(10, 1), &expected);
    assert_eq!(env.deployment.shifts(), 10);
    assert_eq!(env.ticks.len(), 10);
}

#[test]
fn linear_33_percent_ends_with_a_1_percent_step() {
    check_run(
        linear(33, 3),
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 33% (v1 67%, v2 33%)",
            "3:00 shifted to 66% (v1 34%, v2 66%)",
            "6:00 shifted to 99% (v1 1%, v2 99%)",
            "9:00 shifted to 100% (v2 100%)",
            "9:00 SUCCEEDED",
        ],
    );
}

#[test]
fn canary_10_percent_for_5_minutes_takes_two_steps() {
    let env = check_run(
        canary(10, 5),
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 10% (v1 90%, v2 10%)",
            "5:00 shifted to 100% (v2 100%)",
            "5:00 SUCCEEDED",
        ],
    );
    assert_eq!(env.ticks, (0..=5).map(minutes).collect::<Vec<_>>());
}

#[test]
fn all_at_once_without_interval_is_aws_exact() {
    let mut env = Env::new(all_at_once(None));
    // An alarm already in ALARM does not matter: AWS's ALL_AT_ONCE checks none.
    env.set_alarm("errors", AlarmState::Alarm, "Threshold Crossed");
    env.start();
    assert_eq!(env.next_tick.as_ref().unwrap().1, Vec::<String>::new());
    env.run();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 100% (v2 100%)",
            "0:00 SUCCEEDED",
        ],
    );
}

#[test]
fn all_at_once_with_interval_watches_its_alarms() {
    let env = check_run(
        all_at_once(Some(3)),
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 100% (v2 100%)",
            "0:00 watching until 3:00",
            "3:00 SUCCEEDED",
        ],
    );
    assert_eq!(env.ticks, (0..=3).map(minutes).collect::<Vec<_>>());
}

#[test]
fn all_at_once_with_interval_rolls_back_when_an_alarm_fires() {
    let mut env = Env::new(all_at_once(Some(3)));
    env.set_alarm("errors", AlarmState::Ok, "fine");
    env.start();
    env.run_to(minutes(1) + 30_000);
    env.set_alarm(
        "errors",
        AlarmState::Alarm,
        "Threshold Crossed: 1 datapoint",
    );
    env.run();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 alarm errors OK: fine",
            "0:00 shifted to 100% (v2 100%)",
            "0:00 watching until 3:00",
            "2:00 alarm errors ALARM: Threshold Crossed: 1 datapoint",
            "2:00 rolled back to v1 100%",
            "2:00 ROLLED_BACK: Aborting deployment. The following CloudWatch alarms are in an \
             'ALARM' state: [errors].",
        ],
    );
    assert_eq!(env.alias, Routing::single(1));
}

// --- Alarms ----------------------------------------------------------------------------------

#[test]
fn an_alarm_at_the_first_check_aborts_before_any_shift() {
    let mut env = Env::new(linear(50, 2));
    env.set_alarm("errors", AlarmState::Alarm, "Threshold Crossed");
    env.set_alarm("latency", AlarmState::Alarm, "Threshold Crossed too");
    env.start();
    env.run();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 alarm errors ALARM: Threshold Crossed",
            "0:00 alarm latency ALARM: Threshold Crossed too",
            "0:00 ROLLED_BACK: Aborting deployment. The following CloudWatch alarms are in an \
             'ALARM' state: [errors, latency].",
        ],
    );
    assert_eq!(env.alias, Routing::single(1));
    assert_eq!(env.deployment.shifts(), 0);
}

#[test]
fn an_alarm_firing_between_steps_rolls_back_within_one_check() {
    let mut env = Env::new(linear(50, 2));
    env.set_alarm("errors", AlarmState::Ok, "fine");
    env.set_alarm("latency", AlarmState::InsufficientData, "no data");
    env.start();
    env.run_to(minutes(1) + 10_000);
    assert_eq!(env.alias, routing(&[(1, 50), (2, 50)]));
    env.set_alarm("errors", AlarmState::Alarm, "Threshold Crossed");
    env.run();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 alarm errors OK: fine",
            "0:00 alarm latency INSUFFICIENT_DATA: no data",
            "0:00 shifted to 50% (v1 50%, v2 50%)",
            "2:00 alarm errors ALARM: Threshold Crossed",
            "2:00 rolled back to v1 100%",
            "2:00 ROLLED_BACK: Aborting deployment. The following CloudWatch alarms are in an \
             'ALARM' state: [errors].",
        ],
    );
    assert_eq!(env.alias, Routing::single(1));
    assert_eq!(env.deployment.status(), Status::RolledBack);
}

#[test]
fn alarms_are_checked_every_minute_and_before_each_shift() {
    let mut env = Env::new(linear(20, 7));
    env.start();
    env.run();
    assert_eq!(env.deployment.status(), Status::Succeeded);
    assert_eq!(env.ticks.first(), Some(&T0));
    for pair in env.ticks.windows(2) {
        assert!(
            pair[1] - pair[0] <= 60_000,
            "a gap of {} ms",
            pair[1] - pair[0]
        );
    }
    // Each shift happened in a tick, i.e. right after that tick's alarm check.
    for entry in env.deployment.timeline() {
        if let Event::Shifted { .. } = entry.event {
            assert!(env.ticks.contains(&entry.at_ms));
        }
    }
    // 5 shifts at 0, 7, 14, 21, 28 minutes; one tick a minute.
    assert_eq!(env.deployment.shifts(), 5);
    assert_eq!(env.ticks.len(), 29);
    // Every tick asks for both alarms.
    let mut env = Env::new(linear(20, 7));
    env.start();
    assert_eq!(
        env.next_tick,
        Some((T0, vec!["errors".to_owned(), "latency".to_owned()]))
    );
}

#[test]
fn an_alarm_back_to_ok_is_recorded_once() {
    let mut env = Env::new(canary(10, 3));
    env.set_alarm("errors", AlarmState::InsufficientData, "no data");
    env.start();
    env.run_to(minutes(1));
    env.set_alarm("errors", AlarmState::Ok, "back to normal");
    env.run();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 alarm errors INSUFFICIENT_DATA: no data",
            "0:00 shifted to 10% (v1 90%, v2 10%)",
            "2:00 alarm errors OK: back to normal",
            "3:00 shifted to 100% (v2 100%)",
            "3:00 SUCCEEDED",
        ],
    );
}

#[test]
fn an_alarm_not_in_the_preference_is_ignored() {
    let mut env = Env::new(linear(50, 1));
    env.start();
    let step = env
        .deployment
        .apply(
            Input::Tick {
                routing: Routing::single(1),
                alarms: vec![AlarmReading {
                    name: "other".to_owned(),
                    state: AlarmState::Alarm,
                    reason: None,
                }],
            },
            T0,
        )
        .unwrap();
    assert_eq!(env.deployment.status(), Status::InProgress);
    assert!(matches!(step.effects[0], Effect::SetRouting { .. }));
}

// --- Drift -----------------------------------------------------------------------------------

#[test]
fn drift_fails_the_deployment_and_leaves_the_alias_alone() {
    let mut env = Env::new(linear(50, 2));
    env.start();
    env.run_to(minutes(0));
    env.alias = routing(&[(1, 70), (2, 30)]);
    env.run();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 50% (v1 50%, v2 50%)",
            "1:00 FAILED: Failed to continue deployment of type 'LINEAR', drift detected. \
             Expected routing configuration: '[RoutingConfigurationVersion(stateMachineVersionArn=\
             arn:aws:states:us-east-1:111111111111:stateMachine:m:1, weight=50), \
             RoutingConfigurationVersion(stateMachineVersionArn=arn:aws:states:us-east-1:\
             111111111111:stateMachine:m:2, weight=50)]', actual routing configuration: \
             '[RoutingConfigurationVersion(stateMachineVersionArn=arn:aws:states:us-east-1:\
             111111111111:stateMachine:m:1, weight=70), RoutingConfigurationVersion(\
             stateMachineVersionArn=arn:aws:states:us-east-1:111111111111:stateMachine:m:2, \
             weight=30)]'. Ensure that UpdateStateMachineAlias is not being invoked elsewhere and \
             try the deployment again.",
        ],
    );
    assert_eq!(env.alias, routing(&[(1, 70), (2, 30)]));
}

#[test]
fn drift_is_seen_between_ticks_too() {
    let mut env = Env::new(canary(10, 5));
    env.start();
    env.run_to(minutes(0));
    // The same routing in another order is not drift.
    env.apply(Input::ObservedRouting {
        routing: routing(&[(2, 10), (1, 90)]),
    })
    .unwrap();
    assert_eq!(env.deployment.status(), Status::InProgress);
    env.apply(Input::ObservedRouting {
        routing: Routing::single(1),
    })
    .unwrap();
    assert_eq!(env.deployment.status(), Status::Failed);
    assert!(
        env.deployment
            .message()
            .unwrap()
            .starts_with("Failed to continue deployment of type 'CANARY', drift detected.")
    );
}

#[test]
fn drift_before_the_first_shift() {
    let mut env = Env::new(linear(50, 2));
    env.start();
    env.alias = Routing::single(3);
    env.run();
    assert_eq!(env.deployment.status(), Status::Failed);
    assert_eq!(env.deployment.shifts(), 0);
}

// --- By hand ---------------------------------------------------------------------------------

#[test]
fn stop_rolls_back() {
    let mut env = Env::new(linear(10, 1));
    env.start();
    env.run_to(minutes(2) + 30_000);
    env.apply(Input::Stop {
        cause: Some("looks wrong".to_owned()),
    })
    .unwrap();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 10% (v1 90%, v2 10%)",
            "1:00 shifted to 20% (v1 80%, v2 20%)",
            "2:00 shifted to 30% (v1 70%, v2 30%)",
            "2:30 rolled back to v1 100%",
            "2:30 STOPPED: Deployment stopped: looks wrong",
        ],
    );
    assert_eq!(env.alias, Routing::single(1));
    assert!(env.next_tick.is_none());
}

#[test]
fn stop_before_the_start_changes_nothing() {
    let mut env = Env::new(linear(10, 1));
    env.apply(Input::Stop { cause: None }).unwrap();
    check(&env, &["0:00 STOPPED: Deployment stopped."]);
    assert_eq!(env.alias, Routing::single(1));
}

#[test]
fn promote_goes_to_100_at_once() {
    let mut env = Env::new(Preference {
        bake_minutes: Some(30),
        ..linear(10, 1)
    });
    env.start();
    env.run_to(minutes(1) + 30_000);
    env.apply(Input::Promote).unwrap();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 10% (v1 90%, v2 10%)",
            "1:00 shifted to 20% (v1 80%, v2 20%)",
            "1:30 promoted",
            "1:30 SUCCEEDED",
        ],
    );
    assert_eq!(env.alias, Routing::single(2));
}

#[test]
fn promote_during_the_bake_ends_it() {
    let mut env = Env::new(Preference {
        bake_minutes: Some(30),
        ..canary(10, 1)
    });
    env.start();
    env.run_to(minutes(5));
    env.apply(Input::Promote).unwrap();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 10% (v1 90%, v2 10%)",
            "1:00 shifted to 100% (v2 100%)",
            "1:00 watching until 31:00",
            "5:00 promoted",
            "5:00 SUCCEEDED",
        ],
    );
}

#[test]
fn the_transition_table_refuses_the_rest() {
    let mut env = Env::new(linear(50, 1));
    let tick = || Input::Tick {
        routing: Routing::single(1),
        alarms: vec![],
    };
    let refused = |env: &mut Env, input: Input| env.deployment.apply(input, T0).unwrap_err();
    assert_eq!(
        refused(&mut env, tick()).to_string(),
        "a deployment in status PENDING cannot take Tick"
    );
    assert!(matches!(
        refused(&mut env, Input::Promote),
        Error::InvalidTransition {
            status: Status::Pending,
            input: "Promote"
        }
    ));
    env.start();
    let start = Input::Start {
        routing: Routing::single(1),
    };
    assert!(matches!(
        refused(&mut env, start.clone()),
        Error::InvalidTransition {
            status: Status::InProgress,
            input: "Start"
        }
    ));
    env.run();
    let before = env.deployment.clone();
    for input in [start, tick(), Input::Promote, Input::Stop { cause: None }] {
        let name = input.name();
        assert_eq!(
            refused(&mut env, input),
            Error::InvalidTransition {
                status: Status::Succeeded,
                input: name
            }
        );
    }
    assert_eq!(env.deployment, before, "a refused input changes nothing");
}

// --- Bake time -------------------------------------------------------------------------------

#[test]
fn bake_time_after_100_percent() {
    let env = check_run(
        Preference {
            bake_minutes: Some(3),
            ..linear(50, 2)
        },
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 50% (v1 50%, v2 50%)",
            "2:00 shifted to 100% (v2 100%)",
            "2:00 watching until 5:00",
            "5:00 SUCCEEDED",
        ],
    );
    assert_eq!(env.ticks, (0..=5).map(minutes).collect::<Vec<_>>());
}

#[test]
fn an_alarm_during_the_bake_rolls_back() {
    let mut env = Env::new(Preference {
        bake_minutes: Some(10),
        ..canary(25, 2)
    });
    env.start();
    env.run_to(minutes(6));
    env.set_alarm("latency", AlarmState::Alarm, "p99 above 2 s");
    env.run();
    check(
        &env,
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 25% (v1 75%, v2 25%)",
            "2:00 shifted to 100% (v2 100%)",
            "2:00 watching until 12:00",
            "7:00 alarm latency ALARM: p99 above 2 s",
            "7:00 rolled back to v1 100%",
            "7:00 ROLLED_BACK: Aborting deployment. The following CloudWatch alarms are in an \
             'ALARM' state: [latency].",
        ],
    );
    assert_eq!(env.alias, Routing::single(1));
}

#[test]
fn all_at_once_watches_its_interval_then_bakes() {
    check_run(
        Preference {
            bake_minutes: Some(2),
            ..all_at_once(Some(3))
        },
        &[
            "0:00 started v1 100% -> v2",
            "0:00 shifted to 100% (v2 100%)",
            "0:00 watching until 5:00",
            "5:00 SUCCEEDED",
        ],
    );
}

// --- Restarts --------------------------------------------------------------------------------

/// The uninterrupted run every restart test compares with.
fn linear_10_every_minute() -> Env {
    let mut env = Env::new(linear(10, 1));
    env.set_alarm("errors", AlarmState::Ok, "fine");
    env.start();
    env.run();
    env
}

#[test]
fn a_restart_from_the_stored_state_repeats_and_skips_nothing() {
    let reference = linear_10_every_minute();
    for stop_at in [0, 1, 4, 8] {
        let mut env = Env::new(linear(10, 1));
        env.set_alarm("errors", AlarmState::Ok, "fine");
        env.start();
        env.run_to(minutes(stop_at) + 30_000);
        // The server stops; the stored state is all that is left.
        let stored = serde_json::to_string(&env.deployment.to_json()).unwrap();
        let restored = Deployment::from_json(&serde_json::from_str(&stored).unwrap()).unwrap();
        assert_eq!(restored, env.deployment);
        let mut resumed = Env::from(restored, env.alias.clone());
        resumed.alarms = env.alarms.clone();
        resumed.now = env.now;
        // The restarted server schedules the tick the deployment wants.
        let next = resumed.deployment.next_tick_ms().unwrap();
        resumed.next_tick = Some((next, resumed.deployment.preference().alarm_names().to_vec()));
        resumed.run();
        assert_eq!(
            resumed.timeline(),
            reference.timeline(),
            "stopped at {stop_at}"
        );
        assert_eq!(resumed.deployment, reference.deployment);
    }
}

#[test]
fn a_restart_after_downtime_shifts_once_and_continues() {
    let mut env = Env::new(linear(10, 1));
    env.start();
    env.run_to(minutes(2) + 30_000);
    let restored = Deployment::from_json(&env.deployment.to_json()).unwrap();
    let mut resumed = Env::from(restored, env.alias.clone());
    // The server was down for ten minutes: the wanted tick is long past.
    resumed.next_tick = Some((minutes(12), vec![]));
    resumed.run();
    let timeline = resumed.timeline();
    assert_eq!(
        timeline[1..6],
        [
            "0:00 shifted to 10% (v1 90%, v2 10%)",
            "1:00 shifted to 20% (v1 80%, v2 20%)",
            "2:00 shifted to 30% (v1 70%, v2 30%)",
            "12:00 shifted to 40% (v1 60%, v2 40%)",
            "13:00 shifted to 50% (v1 50%, v2 50%)",
        ]
    );
    assert_eq!(timeline.last().unwrap(), "18:00 SUCCEEDED");
    assert_eq!(resumed.deployment.shifts(), 10);
}

#[test]
fn replaying_the_journal_rebuilds_the_state() {
    let mut env = Env::new(Preference {
        bake_minutes: Some(2),
        ..linear(25, 1)
    });
    env.start();
    env.run_to(minutes(3));
    env.set_alarm("errors", AlarmState::Alarm, "Threshold Crossed");
    env.run();
    assert_eq!(env.deployment.status(), Status::RolledBack);
    let mut replayed = Deployment::new(Spec {
        alias_arn: ALIAS.to_owned(),
        target: 2,
        preference: env.deployment.preference().clone(),
    })
    .unwrap();
    for (at_ms, journaled) in &env.journal {
        let text = serde_json::to_string(journaled).unwrap();
        let input = Input::from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        replayed.apply(input, *at_ms).unwrap();
    }
    assert_eq!(replayed, env.deployment);
}

#[test]
fn the_stored_state_is_versioned_camel_case_json() {
    let mut env = Env::new(linear(50, 2));
    env.start();
    env.run_to(minutes(0));
    let stored = env.deployment.to_json();
    let keys: Vec<&str> = stored
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys[..3], ["v", "aliasArn", "target"]);
    assert_eq!(stored["v"], 1);
    assert_eq!(stored["status"], "IN_PROGRESS");
    assert_eq!(
        stored["preference"],
        serde_json::json!({"kind": "LINEAR", "intervalMinutes": 2, "percentage": 50,
                           "alarms": ["errors", "latency"]})
    );
    assert_eq!(
        stored["expected"],
        serde_json::json!([{"version": 1, "weight": 50}, {"version": 2, "weight": 50}])
    );
    assert_eq!(stored["lastShiftMs"], T0);
    assert_eq!(stored["nextTickMs"], T0 + 60_000);
    assert_eq!(
        stored["timeline"][1],
        serde_json::json!({"atMs": T0, "event": {"type": "Shifted",
            "routing": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}],
            "targetWeight": 50}})
    );
}

// --- Ticks out of schedule -------------------------------------------------------------------

#[test]
fn an_early_tick_only_checks() {
    let mut env = Env::new(linear(50, 2));
    env.start();
    env.run_to(minutes(0));
    env.now = minutes(0) + 20_000;
    env.apply(Input::Tick {
        routing: env.alias.clone(),
        alarms: vec![],
    })
    .unwrap();
    assert_eq!(env.deployment.shifts(), 1);
    assert_eq!(env.deployment.next_tick_ms(), Some(minutes(1) + 20_000));
    assert_eq!(env.deployment.next_shift_ms(), Some(minutes(2)));
    env.run();
    assert_eq!(env.deployment.finished_ms(), Some(minutes(2)));
}
