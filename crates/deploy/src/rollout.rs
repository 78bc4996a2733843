//! The rollout reducer: one gradual deployment of an alias from its origin routing to a target
//! version, as CloudFormation's `AWS::StepFunctions::StateMachineAlias` update handler does it
//! (`spec/aws-semantics.md` §2.3), plus Switchback's additions (issue 6).
//!
//! [`Deployment::apply`] takes an [`Input`] and `now` and returns a [`Step`]: the timeline
//! entries it appended and the [`Effect`]s the caller performs after committing the step. It
//! never reads the clock and never performs anything.
//!
//! # The protocol
//!
//! 1. [`Input::Start`] with the alias's routing as it stands: the handler's checks (a LINEAR or
//!    CANARY deployment needs an interval and a percentage, a LINEAR one must fit 2,100
//!    minutes, the alias must route 100 % to one version) end the deployment FAILED with AWS's
//!    message; an alias already at 100 % on the target ends it SUCCEEDED at once; otherwise it
//!    is IN_PROGRESS and asks for a tick *now* ([`Effect::ScheduleTick`]).
//! 2. Each [`Input::Tick`] is one invocation of AWS's handler: the caller reads the alias's
//!    routing and the states of the alarms the effect named, at `now`, and passes them in. The
//!    reducer then, in AWS's order:
//!    * fails the deployment if the routing is not the one it last set (*drift*: someone else
//!      changed the alias);
//!    * records each alarm whose state changed in the timeline, and if any is in ALARM, routes
//!      100 % back to the origin and ends ROLLED_BACK with `Aborting deployment. The following
//!      CloudWatch alarms are in an 'ALARM' state: [names].`;
//!    * shifts when the interval since the last shift has passed (the first shift at once):
//!      LINEAR `+Percentage` until 100 %, CANARY `Percentage` then 100 %, ALL_AT_ONCE 100 %;
//!    * at 100 %, succeeds, or starts watching (below);
//!    * asks for the next tick at the next shift or the end of the watch, and never more than
//!      60 s away: alarms are checked at least every minute and right before each shift.
//! 3. A tick that comes late shifts once, not once per missed interval, like AWS's handler: a
//!    server that was down continues with the next step and skips none.
//!
//! # Beyond AWS
//!
//! * ALL_AT_ONCE with an `Interval` watches its alarms for one Interval after the switch and
//!   rolls back if one fires (AWS documents this; its handler does not do it). Without an
//!   Interval or a bake time it is AWS's: switch, succeed, no alarm check.
//! * `BakeMinutes`: after 100 %, the alarms are watched that much longer (after ALL_AT_ONCE's
//!   Interval, if both are given) and can still roll back.
//! * [`Input::Stop`] routes back to the origin and ends STOPPED; [`Input::Promote`] routes 100 %
//!   to the target at once and ends SUCCEEDED (skipping the remaining steps and the bake).
//! * [`Input::ObservedRouting`] checks for drift between ticks, e.g. when the server sees an
//!   `UpdateStateMachineAlias` of the alias.
//!
//! # Durability
//!
//! The whole state serialises ([`Deployment::to_json`], versioned) and so does every input
//! ([`Input::to_json`]): the caller persists either the state after each step or the inputs
//! (and replays them: the reducer is deterministic). Effects are absolute (a routing, a time),
//! so performing one twice is harmless; after a restart the caller performs the effects of the
//! last committed step that it had not performed, then schedules a tick at
//! [`Deployment::next_tick_ms`]. Shifts depend only on the recorded time of the last shift, so
//! no step is repeated or skipped.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Kind, Preference, Routing};

/// The longest time between two alarm checks, as CloudFormation's handler polls
/// (`callbackDelaySeconds = 60`).
pub const CHECK_PERIOD_MS: i64 = 60_000;

const MINUTE_MS: i64 = 60_000;

/// Where a deployment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Created, not started.
    Pending,
    /// Shifting traffic or watching alarms.
    InProgress,
    /// 100 % on the target.
    Succeeded,
    /// An alarm fired: the alias routes to the origin again.
    RolledBack,
    /// A check failed (the handler's preflight, or drift): the alias is left as it is.
    Failed,
    /// Stopped by hand: the alias routes to the origin again.
    Stopped,
}

impl Status {
    /// The name as the API writes it: `IN_PROGRESS`, `ROLLED_BACK`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::InProgress => "IN_PROGRESS",
            Status::Succeeded => "SUCCEEDED",
            Status::RolledBack => "ROLLED_BACK",
            Status::Failed => "FAILED",
            Status::Stopped => "STOPPED",
        }
    }

    /// Whether the deployment has ended.
    pub fn is_finished(self) -> bool {
        !matches!(self, Status::Pending | Status::InProgress)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CloudWatch alarm's `StateValue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    /// `OK`.
    Ok,
    /// `ALARM`: rolls the deployment back.
    Alarm,
    /// `INSUFFICIENT_DATA`: does not roll back (AWS counts only `ALARM`).
    InsufficientData,
}

/// One alarm's state as read at a tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmReading {
    /// The alarm's name.
    pub name: String,
    /// Its `StateValue`.
    pub state: AlarmState,
    /// Its `StateReason`, for the timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What the caller feeds the reducer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Input {
    /// Begin, from the alias's routing as it stands now.
    Start {
        /// The alias's current routing (the origin).
        routing: Routing,
    },
    /// A scheduled check (or an extra one: an early tick only checks). The caller read the
    /// alias and the alarms the last [`Effect::ScheduleTick`] named, at `now`.
    Tick {
        /// The alias's routing as read.
        routing: Routing,
        /// The alarms' states. An alarm that does not exist is simply absent (not in ALARM).
        alarms: Vec<AlarmReading>,
    },
    /// The alias's routing, seen between ticks: checked for drift only.
    ObservedRouting {
        /// The alias's routing as read.
        routing: Routing,
    },
    /// Stop by hand: route back to the origin, end STOPPED.
    Stop {
        /// Why, for the timeline and the outcome.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
    },
    /// Promote by hand: 100 % to the target at once, end SUCCEEDED.
    Promote,
}

impl Input {
    /// The variant's name, for [`Error::InvalidTransition`].
    pub fn name(&self) -> &'static str {
        match self {
            Input::Start { .. } => "Start",
            Input::Tick { .. } => "Tick",
            Input::ObservedRouting { .. } => "ObservedRouting",
            Input::Stop { .. } => "Stop",
            Input::Promote => "Promote",
        }
    }
}

/// How a deployment ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// SUCCEEDED, ROLLED_BACK, FAILED or STOPPED.
    pub status: Status,
    /// AWS's message for a failure or rollback, ours for the rest; `None` for a plain success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What the caller performs once the step is committed. Effects are absolute, so performing
/// one twice is harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Effect {
    /// Set the alias's routing to this (a plain `UpdateStateMachineAlias`).
    SetRouting {
        /// The new routing.
        routing: Routing,
    },
    /// At `at_ms`, read the alias's routing and these alarms' states and apply
    /// [`Input::Tick`]. Replaces any tick scheduled before.
    ScheduleTick {
        /// When, in epoch milliseconds (on the server's scaled clock).
        at_ms: i64,
        /// The alarms to read (empty when the deployment does not watch alarms).
        alarms: Vec<String>,
    },
    /// The deployment ended: report it (CLI `watch` exit status, events).
    Finished(Outcome),
}

/// One entry of a deployment's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// When, in epoch milliseconds.
    pub at_ms: i64,
    /// What happened.
    pub event: Event,
}

/// What a timeline entry records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Event {
    /// The deployment started from `origin` towards `target`.
    Started {
        /// The alias's routing at the start.
        origin: Routing,
        /// The target version.
        target: u64,
    },
    /// Traffic shifted: the target now has `target_weight` %.
    Shifted {
        /// The routing set.
        routing: Routing,
        /// The target's share.
        target_weight: u8,
    },
    /// An alarm was seen in a new state (its first reading counts as a change).
    AlarmChanged {
        /// The alarm's name.
        alarm: String,
        /// The state it is in now.
        state: AlarmState,
        /// CloudWatch's reason.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The target has 100 %; the alarms are watched until `until_ms` (ALL_AT_ONCE's Interval,
    /// then the bake time).
    Watching {
        /// When the watch ends and the deployment succeeds.
        until_ms: i64,
    },
    /// Traffic went back to the origin.
    RolledBack {
        /// The routing restored.
        routing: Routing,
    },
    /// Promoted by hand: 100 % to the target.
    Promoted,
    /// The deployment ended.
    Finished(Outcome),
}

/// What one [`Deployment::apply`] produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    /// The timeline entries appended, in order.
    pub timeline: Vec<Entry>,
    /// The effects to perform after the step is committed, in order.
    pub effects: Vec<Effect>,
}

/// What a deployment is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The alias, `arn:...:stateMachine:<name>:<alias>`; version ARNs in AWS's messages are
    /// built from its state machine part.
    pub alias_arn: String,
    /// The version to move the alias to.
    pub target: u64,
    /// How.
    pub preference: Preference,
}

/// One gradual deployment: the reducer's whole state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    alias_arn: String,
    target: u64,
    preference: Preference,
    status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// The alias's routing at the start: what a rollback restores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<Routing>,
    /// The routing the deployment last set (or found): anything else at a tick is drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<Routing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    started_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_shift_ms: Option<i64>,
    #[serde(default)]
    shifts: u32,
    /// Set once the target has 100 % and alarms are still watched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    watch_until_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_check_ms: Option<i64>,
    #[serde(default)]
    checks: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_tick_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    finished_ms: Option<i64>,
    /// Each watched alarm's last reading.
    #[serde(default)]
    alarm_states: BTreeMap<String, AlarmState>,
    #[serde(default)]
    timeline: Vec<Entry>,
}

impl Deployment {
    /// A PENDING deployment. Refuses a preference that breaks the schema's rules
    /// ([`Error::Validation`]); the handler's rules are checked at [`Input::Start`].
    pub fn new(spec: Spec) -> Result<Deployment, Error> {
        spec.preference.validate()?;
        Ok(Deployment {
            alias_arn: spec.alias_arn,
            target: spec.target,
            preference: spec.preference,
            status: Status::Pending,
            message: None,
            origin: None,
            expected: None,
            started_ms: None,
            last_shift_ms: None,
            shifts: 0,
            watch_until_ms: None,
            last_check_ms: None,
            checks: 0,
            next_tick_ms: None,
            finished_ms: None,
            alarm_states: BTreeMap::new(),
            timeline: Vec::new(),
        })
    }

    /// Applies one input at `now_ms`. The transition table, in one place: anything not listed
    /// is an [`Error::InvalidTransition`] and changes nothing.
    pub fn apply(&mut self, input: Input, now_ms: i64) -> Result<Step, Error> {
        let mut step = Step::default();
        match (self.status, input) {
            (Status::Pending, Input::Start { routing }) => self.start(routing, now_ms, &mut step),
            (Status::Pending, Input::Stop { cause }) => {
                self.finish(
                    Status::Stopped,
                    Some(stop_message(cause)),
                    now_ms,
                    &mut step,
                );
            }
            (Status::InProgress, Input::Tick { routing, alarms }) => {
                self.tick(&routing, &alarms, now_ms, &mut step);
            }
            (Status::InProgress, Input::ObservedRouting { routing }) => {
                self.check_drift(&routing, now_ms, &mut step);
            }
            (Status::InProgress, Input::Stop { cause }) => {
                self.roll_back(Status::Stopped, stop_message(cause), now_ms, &mut step);
            }
            (Status::InProgress, Input::Promote) => self.promote(now_ms, &mut step),
            (status, input) => {
                return Err(Error::InvalidTransition {
                    status,
                    input: input.name(),
                });
            }
        }
        self.timeline.extend(step.timeline.iter().cloned());
        Ok(step)
    }

    fn start(&mut self, routing: Routing, now_ms: i64, step: &mut Step) {
        self.started_ms = Some(now_ms);
        self.origin = Some(routing.clone());
        self.expected = Some(routing.clone());
        step.push(
            now_ms,
            Event::Started {
                origin: routing.clone(),
                target: self.target,
            },
        );
        let kind = self.preference.kind;
        if let Some(message) = self.preference.handler_check() {
            return self.finish(Status::Failed, Some(message), now_ms, step);
        }
        if kind != Kind::AllAtOnce && routing.routes().len() > 1 {
            let message = format!(
                "Failed to start deployment of type '{kind}', invalid initial state detected. \
                 Expected the alias to be routing 100% of traffic towards one version, but it is \
                 currently routing traffic towards two. Update the alias to route 100% of \
                 traffic towards one version and try the deployment again."
            );
            return self.finish(Status::Failed, Some(message), now_ms, step);
        }
        if routing.only_version() == Some(self.target) {
            let message = format!(
                "The alias already routes 100% of traffic to version {}: nothing to deploy.",
                self.target
            );
            return self.finish(Status::Succeeded, Some(message), now_ms, step);
        }
        self.status = Status::InProgress;
        // The first handler invocation runs at once.
        self.schedule(now_ms, step);
    }

    /// One invocation of AWS's handler: drift, alarms, then a shift when one is due.
    fn tick(&mut self, routing: &Routing, alarms: &[AlarmReading], now_ms: i64, step: &mut Step) {
        self.last_check_ms = Some(now_ms);
        self.checks += 1;
        if self.check_drift(routing, now_ms, step) {
            return;
        }
        if self.watches_alarms() {
            let firing = self.read_alarms(alarms, now_ms, step);
            if !firing.is_empty() {
                let message = format!(
                    "Aborting deployment. The following CloudWatch alarms are in an 'ALARM' \
                     state: [{}].",
                    firing.join(", ")
                );
                return self.roll_back(Status::RolledBack, message, now_ms, step);
            }
        }
        match self.watch_until_ms {
            Some(until_ms) if now_ms >= until_ms => {
                return self.finish(Status::Succeeded, None, now_ms, step);
            }
            Some(_) => {}
            None => {
                if self.next_shift_ms().is_some_and(|due_ms| now_ms >= due_ms) {
                    self.shift(now_ms, step);
                    if self.status.is_finished() {
                        return;
                    }
                }
            }
        }
        self.schedule(now_ms, step);
    }

    /// Fails the deployment when `routing` is not the one it expects; answers whether it did.
    fn check_drift(&mut self, routing: &Routing, now_ms: i64, step: &mut Step) -> bool {
        let Some(expected) = self.expected.as_ref() else {
            return false;
        };
        if routing == expected {
            return false;
        }
        let message = format!(
            "Failed to continue deployment of type '{}', drift detected. Expected routing \
             configuration: '{}', actual routing configuration: '{}'. Ensure that \
             UpdateStateMachineAlias is not being invoked elsewhere and try the deployment again.",
            self.preference.kind,
            self.java_routing(expected),
            self.java_routing(routing)
        );
        self.finish(Status::Failed, Some(message), now_ms, step);
        true
    }

    /// Records the watched alarms' changes; answers those in ALARM, in the preference's order.
    fn read_alarms(
        &mut self,
        readings: &[AlarmReading],
        now_ms: i64,
        step: &mut Step,
    ) -> Vec<String> {
        let mut firing = Vec::new();
        for name in self.preference.alarm_names() {
            // An alarm that does not exist is absent from the readings: CloudWatch's
            // DescribeAlarms leaves it out, and AWS's handler then treats it as not in ALARM.
            let Some(reading) = readings.iter().find(|reading| &reading.name == name) else {
                continue;
            };
            if self.alarm_states.get(name) != Some(&reading.state) {
                self.alarm_states.insert(name.clone(), reading.state);
                step.push(
                    now_ms,
                    Event::AlarmChanged {
                        alarm: name.clone(),
                        state: reading.state,
                        reason: reading.reason.clone(),
                    },
                );
            }
            if reading.state == AlarmState::Alarm {
                firing.push(name.clone());
            }
        }
        firing
    }

    fn shift(&mut self, now_ms: i64, step: &mut Step) {
        let current = self.target_weight();
        let percentage = self.preference.percentage.unwrap_or(100).min(100) as u8;
        let next = match self.preference.kind {
            Kind::Linear => current.saturating_add(percentage).min(100),
            Kind::Canary if current == 0 => percentage,
            Kind::Canary | Kind::AllAtOnce => 100,
        };
        let routing = Routing::split(self.origin_version(), self.target, next);
        self.expected = Some(routing.clone());
        self.last_shift_ms = Some(now_ms);
        self.shifts += 1;
        step.effects.push(Effect::SetRouting {
            routing: routing.clone(),
        });
        step.push(
            now_ms,
            Event::Shifted {
                routing,
                target_weight: next,
            },
        );
        if next < 100 {
            return;
        }
        let watch_minutes = match self.preference.kind {
            Kind::AllAtOnce => self.preference.interval_minutes.unwrap_or(0),
            Kind::Linear | Kind::Canary => 0,
        } + self.preference.bake_minutes.unwrap_or(0);
        if watch_minutes == 0 {
            return self.finish(Status::Succeeded, None, now_ms, step);
        }
        let until_ms = now_ms + i64::from(watch_minutes) * MINUTE_MS;
        self.watch_until_ms = Some(until_ms);
        step.push(now_ms, Event::Watching { until_ms });
    }

    fn promote(&mut self, now_ms: i64, step: &mut Step) {
        let routing = Routing::single(self.target);
        if self.expected.as_ref() != Some(&routing) {
            self.expected = Some(routing.clone());
            step.effects.push(Effect::SetRouting { routing });
        }
        step.push(now_ms, Event::Promoted);
        self.finish(Status::Succeeded, None, now_ms, step);
    }

    /// Routes back to the origin (when the deployment had changed the alias) and ends.
    fn roll_back(&mut self, status: Status, message: String, now_ms: i64, step: &mut Step) {
        let origin = self.origin.clone().unwrap_or_else(|| Routing::single(0));
        if self.expected.as_ref() != Some(&origin) {
            self.expected = Some(origin.clone());
            step.effects.push(Effect::SetRouting {
                routing: origin.clone(),
            });
            step.push(now_ms, Event::RolledBack { routing: origin });
        }
        self.finish(status, Some(message), now_ms, step);
    }

    fn finish(&mut self, status: Status, message: Option<String>, now_ms: i64, step: &mut Step) {
        self.status = status;
        self.message = message.clone();
        self.finished_ms = Some(now_ms);
        self.next_tick_ms = None;
        let outcome = Outcome { status, message };
        step.push(now_ms, Event::Finished(outcome.clone()));
        step.effects.push(Effect::Finished(outcome));
    }

    /// Asks for the next tick: at the next shift or the end of the watch, at most 60 s away.
    fn schedule(&mut self, now_ms: i64, step: &mut Step) {
        let mut at_ms = now_ms + CHECK_PERIOD_MS;
        if let Some(due_ms) = self.watch_until_ms.or_else(|| self.next_shift_ms()) {
            at_ms = at_ms.min(due_ms.max(now_ms));
        }
        self.next_tick_ms = Some(at_ms);
        let alarms = if self.watches_alarms() {
            self.preference.alarm_names().to_vec()
        } else {
            Vec::new()
        };
        step.effects.push(Effect::ScheduleTick { at_ms, alarms });
    }

    /// ALL_AT_ONCE without an Interval or a bake time checks no alarm, as AWS's handler.
    fn watches_alarms(&self) -> bool {
        self.preference.kind != Kind::AllAtOnce
            || self.preference.interval_minutes.is_some()
            || self.preference.bake_minutes.is_some()
    }

    fn origin_version(&self) -> u64 {
        self.origin
            .as_ref()
            .and_then(|origin| origin.routes().first())
            .map_or(0, |route| route.version)
    }

    /// A routing as AWS's handler prints a `Set<RoutingConfigurationVersion>`.
    fn java_routing(&self, routing: &Routing) -> String {
        let machine_arn = self
            .alias_arn
            .rsplit_once(':')
            .map_or(self.alias_arn.as_str(), |(machine, _)| machine);
        let items: Vec<String> = routing
            .routes()
            .iter()
            .map(|route| {
                format!(
                    "RoutingConfigurationVersion(stateMachineVersionArn={machine_arn}:{}, weight={})",
                    route.version, route.weight
                )
            })
            .collect();
        format!("[{}]", items.join(", "))
    }

    /// The alias ARN.
    pub fn alias_arn(&self) -> &str {
        &self.alias_arn
    }

    /// The target version.
    pub fn target(&self) -> u64 {
        self.target
    }

    /// The preference.
    pub fn preference(&self) -> &Preference {
        &self.preference
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The outcome's message, once finished.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The alias's routing at the start (what a rollback restores).
    pub fn origin(&self) -> Option<&Routing> {
        self.origin.as_ref()
    }

    /// The routing the alias should have now, as far as the deployment knows.
    pub fn expected_routing(&self) -> Option<&Routing> {
        self.expected.as_ref()
    }

    /// The target's current share, in percent.
    pub fn target_weight(&self) -> u8 {
        self.expected
            .as_ref()
            .map_or(0, |routing| routing.weight_of(self.target))
    }

    /// When the deployment started.
    pub fn started_ms(&self) -> Option<i64> {
        self.started_ms
    }

    /// When it ended.
    pub fn finished_ms(&self) -> Option<i64> {
        self.finished_ms
    }

    /// When the last shift happened.
    pub fn last_shift_ms(&self) -> Option<i64> {
        self.last_shift_ms
    }

    /// How many shifts so far.
    pub fn shifts(&self) -> u32 {
        self.shifts
    }

    /// When the next shift is due (the first one at once), while shifting.
    pub fn next_shift_ms(&self) -> Option<i64> {
        if self.status != Status::InProgress || self.watch_until_ms.is_some() {
            return None;
        }
        match self.last_shift_ms {
            None => self.started_ms,
            Some(last_ms) => {
                let interval = self.preference.interval_minutes.unwrap_or(0);
                Some(last_ms + i64::from(interval) * MINUTE_MS)
            }
        }
    }

    /// When the watch after 100 % ends.
    pub fn watch_until_ms(&self) -> Option<i64> {
        self.watch_until_ms
    }

    /// When the last tick checked the alias and the alarms.
    pub fn last_check_ms(&self) -> Option<i64> {
        self.last_check_ms
    }

    /// How many ticks checked the alias and the alarms.
    pub fn checks(&self) -> u64 {
        self.checks
    }

    /// When the next tick is wanted: what a restarted server schedules.
    pub fn next_tick_ms(&self) -> Option<i64> {
        self.next_tick_ms
    }

    /// The watched alarms' last readings.
    pub fn alarm_states(&self) -> &BTreeMap<String, AlarmState> {
        &self.alarm_states
    }

    /// Every timeline entry so far.
    pub fn timeline(&self) -> &[Entry] {
        &self.timeline
    }
}

impl Step {
    fn push(&mut self, at_ms: i64, event: Event) {
        self.timeline.push(Entry { at_ms, event });
    }
}

fn stop_message(cause: Option<String>) -> String {
    match cause {
        Some(cause) => format!("Deployment stopped: {cause}"),
        None => "Deployment stopped.".to_owned(),
    }
}
