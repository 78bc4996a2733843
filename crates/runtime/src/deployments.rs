//! Gradual deployments of aliases (issue 6): the driver around the pure rollout reducer
//! (`deploy::Deployment`).
//!
//! Each open deployment has one driver, a tokio task that owns its reducer. For every input
//! (a tick, a stop, a promote) the driver applies the reducer, then commits the new state
//! *and* the alias routing the step set in one transaction ([`store::Deployments`]), and only
//! then schedules the next tick. The routing change names the routing the deployment expects the
//! alias to have: if someone else changed the alias meanwhile the commit is refused, and the
//! driver feeds the reducer the routing it finds instead (drift: the deployment FAILS).
//!
//! **Clock.** A deployment runs on its own clock, which starts at its creation time and runs
//! [`Config::time_scale`](crate::Config) times faster than the wall clock: with `--time-scale 60`
//! a LINEAR deployment of 2-minute steps shifts every 2 real seconds. Every time in a
//! deployment's state and timeline is on that clock; the clock is a function of the stored
//! creation time, so it reads the same after a restart.
//!
//! **Durability.** The reducer's whole state is stored with each step (`seq` 1, 2, 3, ...;
//! a commit that does not follow the stored step is refused, so two drivers cannot both
//! commit). The routing change is part of the step's transaction, so there is nothing left to
//! perform after a crash: [`Runtime::recover_deployments`] rebuilds each open deployment from its
//! stored state and schedules its next tick. A shift depends only on the recorded time of the
//! last shift, so a restart repeats no step and skips none.
//!
//! **Alarms** come from an [`AlarmStates`] source the server wires in
//! ([`Runtime::set_alarm_source`]; `switchback serve` wires [`StoredAlarms`], the CloudWatch
//! alarms its evaluator keeps current). Without one, a deployment that names alarms is refused at the
//! start, and one that is recovered without a source is stopped (rolled back) at its next tick:
//! nothing pretends that alarms are OK.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use deploy::{AlarmReading, Deployment, Effect, Input, Preference, Routing, Spec, Status};
use serde_json::Value;
use store::{
    DeploymentCommit, DeploymentRecord, Error as StoreError, Route as StoredRoute, RoutingChange,
};
use tokio::sync::{mpsc, oneshot};

use crate::{Runtime, lock, now_ms, scaled};

/// Where the states of CloudWatch-style alarms come from.
#[async_trait]
pub trait AlarmStates: Send + Sync {
    /// The states of these alarms, now. An alarm that does not exist is left out (it counts as
    /// not in ALARM, as on AWS); an `Err` means the states cannot be read at all.
    async fn states(&self, names: &[String]) -> Result<Vec<AlarmReading>, String>;
}

/// The alarms of the store (CloudWatch's `PutMetricAlarm` alarms, kept current by the server's
/// alarm evaluator): what `switchback serve` wires in.
pub struct StoredAlarms {
    store: Arc<dyn store::Store>,
}

impl StoredAlarms {
    /// Reads the alarms of this store.
    pub fn new(store: Arc<dyn store::Store>) -> StoredAlarms {
        StoredAlarms { store }
    }
}

#[async_trait]
impl AlarmStates for StoredAlarms {
    async fn states(&self, names: &[String]) -> Result<Vec<AlarmReading>, String> {
        let mut readings = Vec::new();
        for name in names {
            let alarm = match self.store.get_alarm(name).await {
                Ok(alarm) => alarm,
                // As CloudWatch's DescribeAlarms: an alarm that does not exist is left out.
                Err(StoreError::NotFound(_)) => continue,
                Err(error) => return Err(error.to_string()),
            };
            let state = match alarm.state_value.as_str() {
                "OK" => deploy::AlarmState::Ok,
                "ALARM" => deploy::AlarmState::Alarm,
                _ => deploy::AlarmState::InsufficientData,
            };
            readings.push(AlarmReading {
                name: name.clone(),
                state,
                reason: Some(alarm.state_reason),
            });
        }
        Ok(readings)
    }
}

/// What deployment operations fail with. The API maps each to an AWS-style error.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// No deployment with this id.
    #[error("Deployment Does Not Exist: '{0}'")]
    DeploymentDoesNotExist(String),
    /// An alias or version that does not exist (the ARN).
    #[error("Request references a resource that does not exist.")]
    ResourceDoesNotExist(String),
    /// A request that breaks the rules (the full message).
    #[error("{0}")]
    Validation(String),
    /// A request that conflicts with the deployment's or the alias's state (the full message).
    #[error("{0}")]
    Conflict(String),
    /// The deployment names alarms and the server has no alarm source.
    #[error("{0}")]
    AlarmsUnavailable(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a deployment starts from.
#[derive(Debug, Clone)]
pub struct DeploymentRequest {
    /// The alias to move.
    pub alias_arn: String,
    /// The version to move it to.
    pub target_version_arn: String,
    /// How.
    pub preference: Preference,
    /// Makes the start idempotent: the same token on the same alias answers the deployment it
    /// started (whatever its status now) instead of starting another one.
    pub client_token: Option<String>,
}

/// A preference as a deployment record keeps it (JSON text).
fn preference_text(preference: &Preference) -> String {
    serde_json::to_value(preference)
        .unwrap_or(Value::Null)
        .to_string()
}

/// The id of the deployment a client token starts on an alias: the same for the same pair on
/// every node and after every restart, so the store itself finds a start sent twice.
fn deployment_id_for(alias_arn: &str, client_token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(b"switchback deployment\0")
        .chain_update(alias_arn.as_bytes())
        .chain_update(b"\0")
        .chain_update(client_token.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    asl::uuid_v4_text(bytes)
}

/// What a driver is asked to do besides its ticks.
pub(crate) enum Command {
    Stop {
        cause: Option<String>,
        reply: oneshot::Sender<Result<(), DeploymentError>>,
    },
    Promote {
        reply: oneshot::Sender<Result<(), DeploymentError>>,
    },
    /// Check the alias's routing now (someone updated it).
    Observe,
    /// Another node took the deployment over (`cluster`): stop driving it here.
    LetGo,
}

/// The registry of drivers: one per open deployment, by id, with its alias.
#[derive(Default)]
pub(crate) struct Drivers {
    by_id: HashMap<String, (String, mpsc::UnboundedSender<Command>)>,
}

impl Drivers {
    /// The mailbox of a deployment's driver here.
    pub(crate) fn sender(&self, id: &str) -> Option<mpsc::UnboundedSender<Command>> {
        self.by_id.get(id).map(|(_, sender)| sender.clone())
    }

    /// Tells the driver of a deployment another node took over to stop.
    pub(crate) fn let_go(&self, id: &str) {
        if let Some((_, sender)) = self.by_id.get(id) {
            let _ = sender.send(Command::LetGo);
        }
    }

    /// Forgets every driver (this node gave its work up); each stops at its next wake-up,
    /// its commits fenced.
    pub(crate) fn clear(&mut self) {
        for (_, sender) in self.by_id.values() {
            let _ = sender.send(Command::LetGo);
        }
        self.by_id.clear();
    }
}

/// The version number of a version ARN (`<machine ARN>:<n>`).
fn version_number(version_arn: &str) -> Option<u64> {
    version_arn.rsplit_once(':')?.1.parse().ok()
}

fn machine_of(alias_arn: &str) -> &str {
    alias_arn
        .rsplit_once(':')
        .map_or(alias_arn, |(machine, _)| machine)
}

fn to_routing(routes: &[StoredRoute]) -> Result<Routing, DeploymentError> {
    let routes = routes
        .iter()
        .map(|route| {
            Ok(deploy::Route {
                version: version_number(&route.version_arn).ok_or_else(|| {
                    DeploymentError::Validation(format!(
                        "Invalid version ARN in the alias's routing: '{}'",
                        route.version_arn
                    ))
                })?,
                weight: u8::try_from(route.weight).unwrap_or(u8::MAX),
            })
        })
        .collect::<Result<Vec<_>, DeploymentError>>()?;
    Routing::new(routes).map_err(|error| DeploymentError::Validation(error.to_string()))
}

fn to_stored(machine_arn: &str, routing: &Routing) -> Vec<StoredRoute> {
    routing
        .routes()
        .iter()
        .map(|route| StoredRoute {
            version_arn: format!("{machine_arn}:{}", route.version),
            weight: u32::from(route.weight),
        })
        .collect()
}

/// The time on a deployment's clock: its creation time, plus the real time since then
/// multiplied by the time scale.
pub fn deployment_clock(created_ms: i64, now_ms: i64, time_scale: f64) -> i64 {
    let scale = if time_scale.is_finite() && time_scale > 0.0 {
        time_scale
    } else {
        1.0
    };
    created_ms + ((now_ms - created_ms) as f64 * scale) as i64
}

/// The record of a deployment as it stands.
fn record_of(deployment: &Deployment, base: &DeploymentRecord, seq: u64) -> DeploymentRecord {
    let machine = machine_of(deployment.alias_arn());
    DeploymentRecord {
        origin_version_arn: deployment
            .origin()
            .and_then(Routing::only_version)
            .map(|version| format!("{machine}:{version}")),
        status: deployment.status().as_str().to_owned(),
        state: deployment.to_json().to_string(),
        timeline: serde_json::to_value(deployment.timeline())
            .unwrap_or(Value::Null)
            .to_string(),
        seq,
        updated_ms: now_ms(),
        next_tick_ms: deployment.next_tick_ms(),
        ..base.clone()
    }
}

/// The routing the step set, if any (the last one wins).
fn routing_set(effects: &[Effect]) -> Option<&Routing> {
    effects.iter().rev().find_map(|effect| match effect {
        Effect::SetRouting { routing } => Some(routing),
        _ => None,
    })
}

impl Runtime {
    /// Wires in the source of alarm states that deployments read.
    pub fn set_alarm_source(&self, source: Arc<dyn AlarmStates>) {
        *lock(&self.shared.alarm_source) = Some(source);
    }

    fn alarm_source(&self) -> Option<Arc<dyn AlarmStates>> {
        lock(&self.shared.alarm_source).clone()
    }

    /// The time on the clock of a deployment created at `created_ms`.
    pub fn deployment_now(&self, created_ms: i64) -> i64 {
        deployment_clock(created_ms, now_ms(), self.shared.config.time_scale)
    }

    /// Starts a deployment: checks the request, applies the reducer's start (and its first
    /// tick, which is due at once), commits the state and the alias's new routing in one
    /// transaction, and hands the deployment to its driver. Answers the stored record.
    pub async fn start_deployment(
        &self,
        request: DeploymentRequest,
    ) -> Result<DeploymentRecord, DeploymentError> {
        let store = &self.shared.store;
        let alias = match store.get_alias(&request.alias_arn).await {
            Ok(alias) => alias,
            Err(StoreError::NotFound(_)) => {
                return Err(DeploymentError::ResourceDoesNotExist(request.alias_arn));
            }
            Err(error) => return Err(error.into()),
        };
        let id = match &request.client_token {
            Some(token) => {
                let id = deployment_id_for(&alias.arn, token);
                if let Some(record) = self.started_by_token(&id, &alias.arn, &request).await? {
                    return Ok(record);
                }
                id
            }
            None => self.new_name(),
        };
        let machine_arn = alias.state_machine_arn.clone();
        let target = version_number(&request.target_version_arn)
            .filter(|_| machine_of(&request.target_version_arn) == machine_arn)
            .ok_or_else(|| {
                DeploymentError::Validation(format!(
                    "Invalid targetVersionArn '{}': expected a version of state machine '{}'",
                    request.target_version_arn, machine_arn
                ))
            })?;
        match store.get_version(&request.target_version_arn).await {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => {
                return Err(DeploymentError::ResourceDoesNotExist(
                    request.target_version_arn,
                ));
            }
            Err(error) => return Err(error.into()),
        }
        let mut deployment = Deployment::new(Spec {
            alias_arn: alias.arn.clone(),
            target,
            preference: request.preference.clone(),
        })
        .map_err(|error| DeploymentError::Validation(error.to_string()))?;
        let alarms = request.preference.alarm_names().to_vec();
        if !alarms.is_empty() && self.alarm_source().is_none() {
            return Err(DeploymentError::AlarmsUnavailable(
                "This server has no alarm source: a deployment that names alarms cannot be \
                 guarded, so it is refused. Start the server with alarms enabled, or deploy \
                 without alarms."
                    .to_owned(),
            ));
        }
        let routing = to_routing(&alias.routing)?;
        let created_ms = now_ms();
        let base = DeploymentRecord {
            id: id.clone(),
            state_machine_arn: machine_arn.clone(),
            alias_arn: alias.arn.clone(),
            origin_version_arn: None,
            target_version_arn: request.target_version_arn.clone(),
            preference: preference_text(&request.preference),
            status: Status::Pending.as_str().to_owned(),
            state: String::new(),
            timeline: "[]".to_owned(),
            seq: 0,
            created_ms,
            updated_ms: created_ms,
            next_tick_ms: None,
        };
        let at = created_ms;
        let mut step = deployment
            .apply(
                Input::Start {
                    routing: routing.clone(),
                },
                at,
            )
            .map_err(|error| DeploymentError::Validation(error.to_string()))?;
        if deployment.next_tick_ms().is_some_and(|due| due <= at) {
            let readings = self.read_alarms(&alarms).await;
            let input = match readings {
                Ok(readings) => Input::Tick {
                    routing: routing.clone(),
                    alarms: readings,
                },
                Err(cause) => Input::Stop { cause: Some(cause) },
            };
            let tick = deployment
                .apply(input, at)
                .map_err(|error| DeploymentError::Validation(error.to_string()))?;
            step.effects.extend(tick.effects);
        }
        let record = record_of(&deployment, &base, 1);
        let change = routing_set(&step.effects).map(|new| RoutingChange {
            alias_arn: alias.arn.clone(),
            expected: alias.routing.clone(),
            routing: to_stored(&machine_arn, new),
            updated_ms: created_ms,
        });
        let created = store
            .create_deployment(DeploymentCommit {
                record: record.clone(),
                routing: change,
            })
            .await;
        if let Err(StoreError::AlreadyExists(_) | StoreError::Conflict(_)) = &created
            && request.client_token.is_some()
            && let Some(record) = self.started_by_token(&id, &alias.arn, &request).await?
        {
            // The same start, sent twice at once: the other copy committed first.
            return Ok(record);
        }
        match created {
            Ok(()) => {}
            Err(StoreError::Conflict(message)) => {
                return Err(DeploymentError::Conflict(format!(
                    "Cannot start a deployment of alias '{}': {message}",
                    alias.arn
                )));
            }
            Err(error) => return Err(error.into()),
        }
        tracing::info!(deployment = %id, alias = %alias.arn, status = %record.status, "deployment started");
        if record.is_open() {
            self.spawn_driver(record.clone(), deployment);
        }
        Ok(record)
    }

    /// The deployment a client token already started (`id` is [`deployment_id_for`] the alias
    /// and the token), if any; `Conflict` when it was started with other parameters.
    async fn started_by_token(
        &self,
        id: &str,
        alias_arn: &str,
        request: &DeploymentRequest,
    ) -> Result<Option<DeploymentRecord>, DeploymentError> {
        let record = match self.shared.store.get_deployment(id).await {
            Ok(record) => record,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let preference = preference_text(&request.preference);
        if record.alias_arn == alias_arn
            && record.target_version_arn == request.target_version_arn
            && record.preference == preference
        {
            return Ok(Some(record));
        }
        Err(DeploymentError::Conflict(format!(
            "Cannot start a deployment of alias '{alias_arn}': its clientToken already started deployment '{id}' with other parameters"
        )))
    }

    /// Continues every open deployment from its stored state; answers how many.
    pub async fn recover_deployments(&self) -> Result<usize, DeploymentError> {
        let open = self.shared.store.open_deployments().await?;
        let mut resumed = 0;
        for record in open {
            if self.drive_stored(record) {
                resumed += 1;
            }
        }
        Ok(resumed)
    }

    /// Continues one deployment from its stored state; false when that cannot be read.
    pub(crate) fn drive_stored(&self, record: DeploymentRecord) -> bool {
        let state = serde_json::from_str::<Value>(&record.state)
            .map_err(|error| error.to_string())
            .and_then(|value| Deployment::from_json(&value).map_err(|e| e.to_string()));
        match state {
            Ok(deployment) => {
                self.spawn_driver(record, deployment);
                true
            }
            Err(error) => {
                tracing::error!(deployment = %record.id, %error, "cannot resume the deployment");
                false
            }
        }
    }

    /// Stops a deployment by hand: the alias routes to the origin again, the deployment ends
    /// STOPPED.
    pub async fn stop_deployment(
        &self,
        id: &str,
        cause: Option<String>,
    ) -> Result<DeploymentRecord, DeploymentError> {
        self.command(id, |reply| Command::Stop { cause, reply })
            .await
    }

    /// Promotes a deployment by hand: 100 % to the target at once, SUCCEEDED.
    pub async fn promote_deployment(&self, id: &str) -> Result<DeploymentRecord, DeploymentError> {
        self.command(id, |reply| Command::Promote { reply }).await
    }

    /// Tells the driver of the alias's open deployment, if any, to check the alias's routing now
    /// (called after an `UpdateStateMachineAlias`).
    pub fn observe_alias(&self, alias_arn: &str) {
        let drivers = lock(&self.shared.deployments);
        for (alias, sender) in drivers.by_id.values() {
            if alias == alias_arn {
                let _ = sender.send(Command::Observe);
            }
        }
    }

    /// How many deployments this process drives.
    pub fn driving(&self) -> usize {
        lock(&self.shared.deployments).by_id.len()
    }

    async fn command(
        &self,
        id: &str,
        make: impl FnOnce(oneshot::Sender<Result<(), DeploymentError>>) -> Command,
    ) -> Result<DeploymentRecord, DeploymentError> {
        let record = match self.shared.store.get_deployment(id).await {
            Ok(record) => record,
            Err(StoreError::NotFound(_)) => {
                return Err(DeploymentError::DeploymentDoesNotExist(id.to_owned()));
            }
            Err(error) => return Err(error.into()),
        };
        let mut sender = lock(&self.shared.deployments)
            .by_id
            .get(id)
            .map(|(_, sender)| sender.clone());
        if sender.is_none() && record.is_open() {
            // In a cluster another node may drive it: take it over, then command it here.
            sender = self.take_deployment_over(id).await?;
        }
        let ended = || {
            DeploymentError::Conflict(format!(
                "Deployment '{id}' has ended ({}): it cannot be changed",
                record.status
            ))
        };
        let Some(sender) = sender.filter(|_| record.is_open()) else {
            return Err(ended());
        };
        let (reply, answer) = oneshot::channel();
        sender.send(make(reply)).map_err(|_| ended())?;
        answer.await.map_err(|_| ended())??;
        Ok(self.shared.store.get_deployment(id).await?)
    }

    async fn read_alarms(&self, names: &[String]) -> Result<Vec<AlarmReading>, String> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        match self.alarm_source() {
            Some(source) => source
                .states(names)
                .await
                .map_err(|error| format!("The alarm states cannot be read: {error}")),
            None => {
                Err("The alarm states cannot be read: this server has no alarm source".to_owned())
            }
        }
    }

    fn spawn_driver(&self, record: DeploymentRecord, deployment: Deployment) {
        let (sender, receiver) = mpsc::unbounded_channel();
        {
            let mut drivers = lock(&self.shared.deployments);
            if drivers.by_id.contains_key(&record.id) {
                return;
            }
            drivers
                .by_id
                .insert(record.id.clone(), (record.alias_arn.clone(), sender));
        }
        let driver = Driver {
            runtime: self.clone(),
            record,
            deployment,
        };
        tokio::spawn(driver.run(receiver));
    }
}

struct Driver {
    runtime: Runtime,
    record: DeploymentRecord,
    deployment: Deployment,
}

/// Why a step was not committed.
enum Refused {
    /// The alias's routing is not the one the deployment expects: drift.
    Drift,
    /// Anything else: the driver stops (a restart continues from the stored step).
    Error(DeploymentError),
}

impl Driver {
    fn now(&self) -> i64 {
        self.runtime.deployment_now(self.record.created_ms)
    }

    async fn run(mut self, mut receiver: mpsc::UnboundedReceiver<Command>) {
        let time_scale = self.runtime.shared.config.time_scale;
        while !self.deployment.status().is_finished() {
            let delay = self
                .deployment
                .next_tick_ms()
                .map(|at| scaled((at - self.now()) as f64, time_scale));
            let sleep = async {
                match delay {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => std::future::pending().await,
                }
            };
            let result = tokio::select! {
                () = sleep => self.tick().await,
                command = receiver.recv() => match command {
                    None => break,
                    Some(Command::Observe) => self.observe().await,
                    Some(Command::LetGo) => {
                        tracing::info!(deployment = %self.record.id, "another node drives the deployment now");
                        break;
                    }
                    Some(Command::Stop { cause, reply }) => {
                        let result = self.manual(Input::Stop { cause }).await;
                        let _ = reply.send(result);
                        Ok(())
                    }
                    Some(Command::Promote { reply }) => {
                        let result = self.manual(Input::Promote).await;
                        let _ = reply.send(result);
                        Ok(())
                    }
                },
            };
            match result {
                Ok(()) => {}
                Err(DeploymentError::Store(StoreError::NotOwner(error))) => {
                    tracing::info!(deployment = %self.record.id, %error, "another node drives the deployment now");
                    break;
                }
                Err(DeploymentError::Store(StoreError::Backend(error))) => {
                    // Nothing was committed and the reducer is as it was: try again shortly.
                    tracing::warn!(deployment = %self.record.id, %error, "a deployment step failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
                Err(error) => {
                    // Another driver committed a step of this deployment, or its state is not
                    // one this build can drive: leave it to that driver or to an operator.
                    tracing::error!(deployment = %self.record.id, %error, "the deployment driver stops");
                    break;
                }
            }
        }
        lock(&self.runtime.shared.deployments)
            .by_id
            .remove(&self.record.id);
        receiver.close();
        while let Ok(command) = receiver.try_recv() {
            let ended = DeploymentError::Conflict(format!(
                "Deployment '{}' has ended ({})",
                self.record.id,
                self.deployment.status()
            ));
            match command {
                Command::Stop { reply, .. } | Command::Promote { reply } => {
                    let _ = reply.send(Err(ended));
                }
                Command::Observe | Command::LetGo => {}
            }
        }
        if self.deployment.status().is_finished() {
            tracing::info!(
                deployment = %self.record.id,
                status = %self.deployment.status(),
                message = self.deployment.message().unwrap_or(""),
                "deployment finished"
            );
        }
    }

    /// The alias's routing now; `None` if the alias is gone.
    async fn read_routing(&self) -> Result<Option<(Vec<StoredRoute>, Routing)>, DeploymentError> {
        match self
            .runtime
            .shared
            .store
            .get_alias(&self.record.alias_arn)
            .await
        {
            Ok(alias) => {
                let routing = to_routing(&alias.routing)?;
                Ok(Some((alias.routing, routing)))
            }
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn tick(&mut self) -> Result<(), DeploymentError> {
        let Some((_, routing)) = self.read_routing().await? else {
            return self.alias_gone().await;
        };
        let names = self.deployment.preference().alarm_names().to_vec();
        let input = match self.runtime.read_alarms(&names).await {
            Ok(alarms) => Input::Tick { routing, alarms },
            Err(cause) => Input::Stop { cause: Some(cause) },
        };
        self.step_or_drift(input).await
    }

    async fn observe(&mut self) -> Result<(), DeploymentError> {
        let Some((_, routing)) = self.read_routing().await? else {
            return self.alias_gone().await;
        };
        self.step_or_drift(Input::ObservedRouting { routing }).await
    }

    async fn manual(&mut self, input: Input) -> Result<(), DeploymentError> {
        if self.read_routing().await?.is_none() {
            self.alias_gone().await?;
            return Err(DeploymentError::Conflict(
                "The alias was deleted: the deployment has ended".to_owned(),
            ));
        }
        self.step_or_drift(input).await
    }

    /// The alias was deleted: the deployment stops, with no routing to restore.
    async fn alias_gone(&mut self) -> Result<(), DeploymentError> {
        let input = Input::Stop {
            cause: Some(format!("The alias '{}' was deleted", self.record.alias_arn)),
        };
        match self.step(input, false).await {
            Ok(()) => Ok(()),
            Err(Refused::Drift) => Ok(()),
            Err(Refused::Error(error)) => Err(error),
        }
    }

    /// Applies an input and commits it; on drift, commits what the reducer makes of the routing
    /// the alias really has instead (it fails the deployment).
    async fn step_or_drift(&mut self, input: Input) -> Result<(), DeploymentError> {
        match self.step(input, true).await {
            Ok(()) => Ok(()),
            Err(Refused::Error(error)) => Err(error),
            Err(Refused::Drift) => {
                let Some((_, routing)) = self.read_routing().await? else {
                    return self.alias_gone().await;
                };
                match self.step(Input::ObservedRouting { routing }, true).await {
                    Ok(()) => Ok(()),
                    Err(Refused::Drift) => Err(DeploymentError::Conflict(
                        "the alias keeps changing".to_owned(),
                    )),
                    Err(Refused::Error(error)) => Err(error),
                }
            }
        }
    }

    async fn step(&mut self, input: Input, set_routing: bool) -> Result<(), Refused> {
        let before = self.deployment.clone();
        let now = self.now();
        let step = self
            .deployment
            .apply(input, now)
            .map_err(|error| Refused::Error(DeploymentError::Conflict(error.to_string())))?;
        let machine = self.record.state_machine_arn.clone();
        let change = routing_set(&step.effects)
            .filter(|_| set_routing)
            .map(|new| RoutingChange {
                alias_arn: self.record.alias_arn.clone(),
                expected: before
                    .expected_routing()
                    .map(|routing| to_stored(&machine, routing))
                    .unwrap_or_default(),
                routing: to_stored(&machine, new),
                updated_ms: now_ms(),
            });
        let record = record_of(&self.deployment, &self.record, self.record.seq + 1);
        match self
            .runtime
            .shared
            .store
            .commit_deployment(DeploymentCommit {
                record: record.clone(),
                routing: change,
            })
            .await
        {
            Ok(()) => {
                self.record = record;
                Ok(())
            }
            Err(error) => {
                self.deployment = before;
                match error {
                    StoreError::Conflict(message) if message.contains("routing") => {
                        Err(Refused::Drift)
                    }
                    StoreError::NotFound(_) => Err(Refused::Drift),
                    other => Err(Refused::Error(other.into())),
                }
            }
        }
    }
}
