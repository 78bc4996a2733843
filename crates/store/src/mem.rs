//! The in-memory backend: for tests, and for what must not outlive the process.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::deployments::same_routing;
use crate::stacks::check_revision;
use crate::{
    Activities, ActivityRecord, AliasCreated, AliasRecord, AliasUpdate, Aliases, DeploymentCommit,
    DeploymentFilter, DeploymentRecord, Deployments, Error, ExecutionFilter, ExecutionRecord,
    Executions, JournalEntry, Page, PageRequest, PublishRequest, Published, Result, Route,
    RoutingChange, StateMachineRecord, StateMachines, StepCommit, StoredEvent, Tags, VersionRecord,
    Versions,
};
use crate::{AlarmHistoryRecord, AlarmRecord, AlarmStateChange, Alarms, MetricData, MetricRow};
use crate::{StackEventRecord, StackPut, StackRecord, Stacks};

#[derive(Debug)]
struct ExecutionData {
    record: ExecutionRecord,
    journal: Vec<JournalEntry>,
    events: Vec<StoredEvent>,
}

#[derive(Debug, Default)]
struct Data {
    state_machines: BTreeMap<String, StateMachineRecord>,
    activities: BTreeMap<String, ActivityRecord>,
    executions: BTreeMap<String, ExecutionData>,
    tags: BTreeMap<String, BTreeMap<String, String>>,
    /// Versions by ARN.
    versions: BTreeMap<String, VersionRecord>,
    /// The last version number each machine used (numbers are never reused).
    last_version: BTreeMap<String, u64>,
    /// Aliases by ARN.
    aliases: BTreeMap<String, AliasRecord>,
    /// Deployments by id.
    deployments: BTreeMap<String, DeploymentRecord>,
    /// Stacks by name, with their events oldest first.
    stacks: BTreeMap<String, (StackRecord, Vec<StackEventRecord>)>,
}

impl Data {
    /// `NotFound` with the first routed version that does not exist.
    fn check_routes(&self, routing: &[Route]) -> Result<()> {
        match routing
            .iter()
            .find(|route| !self.versions.contains_key(&route.version_arn))
        {
            Some(route) => Err(Error::NotFound(route.version_arn.clone())),
            None => Ok(()),
        }
    }
}

/// Everything in a mutex-guarded map.
#[derive(Debug, Default)]
pub struct MemStore {
    data: Mutex<Data>,
    observed: Mutex<Observed>,
}

/// A metric row's key: bucket (first, so rows iterate oldest first), namespace, name,
/// dimensions.
type MetricRowKey = (i64, String, String, Vec<(String, String)>);

/// Metric rows and alarms (issue 5), apart from the workflow data.
#[derive(Debug, Default)]
struct Observed {
    /// Rows by (bucket, namespace, name, dimensions): oldest first.
    metric_rows: BTreeMap<MetricRowKey, MetricRow>,
    alarms: BTreeMap<String, AlarmRecord>,
    /// In order of recording.
    history: Vec<AlarmHistoryRecord>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> MemStore {
        MemStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Data> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.data
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Pages through items already in order, with the token being the key of the last item given.
fn paginate<T: Clone>(items: impl Iterator<Item = (String, T)>, page: &PageRequest) -> Page<T> {
    let limit = page.effective_limit();
    let mut out = Vec::new();
    let mut last_key = None;
    let mut more = false;
    for (key, item) in items {
        if let Some(token) = &page.token
            && key.as_str() <= token.as_str()
        {
            continue;
        }
        if out.len() == limit {
            more = true;
            break;
        }
        last_key = Some(key);
        out.push(item);
    }
    Page {
        items: out,
        next_token: if more { last_key } else { None },
    }
}

fn apply_step(data: &mut ExecutionData, step: StepCommit) -> Result<()> {
    let expected = data.journal.last().map_or(1, |entry| entry.seq + 1);
    if step.journal.seq != expected {
        return Err(Error::Conflict(format!(
            "journal entry {} where {expected} was expected",
            step.journal.seq
        )));
    }
    if data.record.end.is_some() != step.redrive.is_some() {
        return Err(Error::Conflict(if step.redrive.is_some() {
            format!(
                "execution {} has not ended: it cannot be redriven",
                data.record.arn
            )
        } else {
            format!("execution {} has already ended", data.record.arn)
        }));
    }
    // Events follow the last one stored, in increasing order (ids may skip).
    let mut last_event_id = data.events.last().map_or(0, |event| event.id);
    for event in &step.events {
        if event.id <= last_event_id {
            return Err(Error::Conflict(format!(
                "history event {} does not follow event {last_event_id}",
                event.id
            )));
        }
        last_event_id = event.id;
    }
    data.journal.push(step.journal);
    data.events.extend(step.events);
    if let Some(at) = step.redrive {
        data.record.status = "RUNNING".to_owned();
        data.record.end = None;
        data.record.redrive_count += 1;
        data.record.redrive_ms = Some(at);
    }
    if let Some(end) = step.end {
        data.record.status = end.status.clone();
        data.record.end = Some(end);
    }
    Ok(())
}

/// Inserts a record under a key that must not be taken yet (`AlreadyExists` otherwise).
fn insert_new<T>(map: &mut BTreeMap<String, T>, key: String, record: T) -> Result<()> {
    if map.contains_key(&key) {
        return Err(Error::AlreadyExists(key));
    }
    map.insert(key, record);
    Ok(())
}

/// A copy of the record under `key` (`NotFound` otherwise).
fn get_cloned<T: Clone>(map: &BTreeMap<String, T>, key: &str) -> Result<T> {
    map.get(key)
        .cloned()
        .ok_or_else(|| Error::NotFound(key.to_owned()))
}

#[async_trait]
impl StateMachines for MemStore {
    async fn create_state_machine(&self, record: StateMachineRecord) -> Result<()> {
        insert_new(&mut self.lock().state_machines, record.arn.clone(), record)
    }

    async fn get_state_machine(&self, arn: &str) -> Result<StateMachineRecord> {
        get_cloned(&self.lock().state_machines, arn)
    }

    async fn update_state_machine(&self, record: StateMachineRecord) -> Result<()> {
        let mut data = self.lock();
        match data.state_machines.get_mut(&record.arn) {
            Some(existing) => {
                *existing = record;
                Ok(())
            }
            None => Err(Error::NotFound(record.arn)),
        }
    }

    async fn delete_state_machine(&self, arn: &str) -> Result<()> {
        let mut data = self.lock();
        data.state_machines
            .remove(arn)
            .ok_or_else(|| Error::NotFound(arn.to_owned()))?;
        data.versions
            .retain(|_, version| version.state_machine_arn != arn);
        data.aliases
            .retain(|_, alias| alias.state_machine_arn != arn);
        data.last_version.remove(arn);
        Ok(())
    }

    async fn list_state_machines(&self, page: PageRequest) -> Result<Page<StateMachineRecord>> {
        let data = self.lock();
        let mut items: Vec<_> = data
            .state_machines
            .values()
            .map(|record| {
                (
                    format!("{}\u{0}{}", record.name, record.arn),
                    record.clone(),
                )
            })
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(paginate(items.into_iter(), &page))
    }
}

#[async_trait]
impl Versions for MemStore {
    async fn publish_version(&self, request: PublishRequest) -> Result<Published> {
        let mut data = self.lock();
        let machine = data
            .state_machines
            .get(&request.state_machine_arn)
            .cloned()
            .ok_or_else(|| Error::NotFound(request.state_machine_arn.clone()))?;
        if let Some(expected) = &request.expected_revision_id
            && *expected != machine.revision_id
        {
            return Ok(Published::RevisionMismatch(machine.revision_id));
        }
        let mut count = 0;
        for version in data.versions.values() {
            if version.state_machine_arn == machine.arn {
                if version.revision_id == machine.revision_id {
                    return Ok(Published::Existing(version.clone()));
                }
                count += 1;
            }
        }
        if count >= request.max_versions {
            return Ok(Published::QuotaExceeded);
        }
        let number = data.last_version.get(&machine.arn).copied().unwrap_or(0) + 1;
        let record = VersionRecord {
            arn: format!("{}:{number}", machine.arn),
            state_machine_arn: machine.arn.clone(),
            number,
            revision_id: machine.revision_id,
            definition: machine.definition,
            role_arn: machine.role_arn,
            logging_configuration: machine.logging_configuration,
            tracing_configuration: machine.tracing_configuration,
            description: request.description,
            created_ms: request.created_ms,
        };
        data.last_version.insert(machine.arn, number);
        data.versions.insert(record.arn.clone(), record.clone());
        Ok(Published::Created(record))
    }

    async fn get_version(&self, arn: &str) -> Result<VersionRecord> {
        get_cloned(&self.lock().versions, arn)
    }

    async fn list_versions(
        &self,
        state_machine_arn: &str,
        page: PageRequest,
    ) -> Result<Page<VersionRecord>> {
        let data = self.lock();
        let mut items: Vec<_> = data
            .versions
            .values()
            .filter(|version| version.state_machine_arn == state_machine_arn)
            .map(|version| {
                (
                    format!("{:020}", u64::MAX - version.number),
                    version.clone(),
                )
            })
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(paginate(items.into_iter(), &page))
    }

    async fn delete_version(&self, arn: &str) -> Result<()> {
        let mut data = self.lock();
        if !data.versions.contains_key(arn) {
            return Err(Error::NotFound(arn.to_owned()));
        }
        let mut names: Vec<&str> = data
            .aliases
            .values()
            .filter(|alias| alias.routing.iter().any(|route| route.version_arn == arn))
            .map(|alias| alias.name.as_str())
            .collect();
        if !names.is_empty() {
            names.sort_unstable();
            return Err(Error::Conflict(names.join(", ")));
        }
        data.versions.remove(arn);
        Ok(())
    }
}

/// The key aliases are listed by: creation time, then name.
fn alias_key(record: &AliasRecord) -> String {
    format!("{:020}\u{0}{}", record.created_ms, record.name)
}

#[async_trait]
impl Aliases for MemStore {
    async fn create_alias(&self, record: AliasRecord, max_aliases: usize) -> Result<AliasCreated> {
        let mut data = self.lock();
        if !data.state_machines.contains_key(&record.state_machine_arn) {
            return Err(Error::NotFound(record.state_machine_arn));
        }
        if let Some(existing) = data.aliases.get(&record.arn) {
            let same =
                existing.description == record.description && existing.routing == record.routing;
            return Ok(if same {
                AliasCreated::Existing(existing.clone())
            } else {
                AliasCreated::Different(existing.clone())
            });
        }
        data.check_routes(&record.routing)?;
        let count = data
            .aliases
            .values()
            .filter(|alias| alias.state_machine_arn == record.state_machine_arn)
            .count();
        if count >= max_aliases {
            return Ok(AliasCreated::QuotaExceeded);
        }
        data.aliases.insert(record.arn.clone(), record.clone());
        Ok(AliasCreated::Created(record))
    }

    async fn get_alias(&self, arn: &str) -> Result<AliasRecord> {
        get_cloned(&self.lock().aliases, arn)
    }

    async fn update_alias(&self, update: AliasUpdate) -> Result<AliasRecord> {
        let mut data = self.lock();
        if !data.aliases.contains_key(&update.arn) {
            return Err(Error::NotFound(update.arn));
        }
        if let Some(routing) = &update.routing {
            data.check_routes(routing)?;
        }
        let alias = data
            .aliases
            .get_mut(&update.arn)
            .ok_or_else(|| Error::NotFound(update.arn.clone()))?;
        if let Some(description) = update.description {
            alias.description = Some(description);
        }
        if let Some(routing) = update.routing {
            alias.routing = routing;
        }
        alias.updated_ms = update.updated_ms;
        Ok(alias.clone())
    }

    async fn delete_alias(&self, arn: &str) -> Result<()> {
        self.lock()
            .aliases
            .remove(arn)
            .map(|_| ())
            .ok_or_else(|| Error::NotFound(arn.to_owned()))
    }

    async fn list_aliases(
        &self,
        state_machine_arn: &str,
        version_arn: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<AliasRecord>> {
        let data = self.lock();
        let mut items: Vec<_> = data
            .aliases
            .values()
            .filter(|alias| {
                alias.state_machine_arn == state_machine_arn
                    && version_arn.is_none_or(|version| {
                        alias
                            .routing
                            .iter()
                            .any(|route| route.version_arn == version)
                    })
            })
            .map(|alias| (alias_key(alias), alias.clone()))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(paginate(items.into_iter(), &page))
    }
}

#[async_trait]
impl Activities for MemStore {
    async fn create_activity(&self, record: ActivityRecord) -> Result<()> {
        insert_new(&mut self.lock().activities, record.arn.clone(), record)
    }

    async fn get_activity(&self, arn: &str) -> Result<ActivityRecord> {
        get_cloned(&self.lock().activities, arn)
    }

    async fn delete_activity(&self, arn: &str) -> Result<()> {
        self.lock()
            .activities
            .remove(arn)
            .map(|_| ())
            .ok_or_else(|| Error::NotFound(arn.to_owned()))
    }

    async fn list_activities(&self, page: PageRequest) -> Result<Page<ActivityRecord>> {
        let data = self.lock();
        let mut items: Vec<_> = data
            .activities
            .values()
            .map(|record| {
                (
                    format!("{}\u{0}{}", record.name, record.arn),
                    record.clone(),
                )
            })
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(paginate(items.into_iter(), &page))
    }
}

/// The key executions are listed by: newest first, then by ARN. Inverting the start time keeps
/// the order ascending so that the token comparison works as for the other lists.
fn execution_key(record: &ExecutionRecord) -> String {
    format!("{:020}\u{0}{}", i64::MAX - record.start_ms, record.arn)
}

#[async_trait]
impl Executions for MemStore {
    async fn create_execution(&self, record: ExecutionRecord, first: StepCommit) -> Result<()> {
        let mut data = self.lock();
        if data.executions.contains_key(&record.arn) {
            return Err(Error::AlreadyExists(record.arn));
        }
        let mut execution = ExecutionData {
            record,
            journal: Vec::new(),
            events: Vec::new(),
        };
        apply_step(&mut execution, first)?;
        data.executions
            .insert(execution.record.arn.clone(), execution);
        Ok(())
    }

    async fn commit_step(&self, step: StepCommit) -> Result<()> {
        let mut data = self.lock();
        let execution = data
            .executions
            .get_mut(&step.execution_arn)
            .ok_or_else(|| Error::NotFound(step.execution_arn.clone()))?;
        apply_step(execution, step)
    }

    async fn get_execution(&self, arn: &str) -> Result<ExecutionRecord> {
        self.lock()
            .executions
            .get(arn)
            .map(|execution| execution.record.clone())
            .ok_or_else(|| Error::NotFound(arn.to_owned()))
    }

    async fn list_executions(
        &self,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<ExecutionRecord>> {
        let data = self.lock();
        let mut items: Vec<_> =
            data.executions
                .values()
                .map(|execution| &execution.record)
                .filter(|record| {
                    filter
                        .state_machine_arn
                        .as_ref()
                        .is_none_or(|arn| *arn == record.state_machine_arn)
                        && filter
                            .status
                            .as_ref()
                            .is_none_or(|status| *status == record.status)
                        && filter.version_arn.as_ref().is_none_or(|arn| {
                            record.state_machine_version_arn.as_ref() == Some(arn)
                        })
                        && filter
                            .alias_arn
                            .as_ref()
                            .is_none_or(|arn| record.state_machine_alias_arn.as_ref() == Some(arn))
                })
                .map(|record| (execution_key(record), record.clone()))
                .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(paginate(items.into_iter(), &page))
    }

    async fn history(
        &self,
        arn: &str,
        reverse: bool,
        page: PageRequest,
    ) -> Result<Page<StoredEvent>> {
        let data = self.lock();
        let execution = data
            .executions
            .get(arn)
            .ok_or_else(|| Error::NotFound(arn.to_owned()))?;
        // Keys sort as the order asked for: ids padded, inverted when reversed.
        let items = execution.events.iter().map(|event| {
            let key = if reverse {
                format!("{:020}", u64::MAX - event.id)
            } else {
                format!("{:020}", event.id)
            };
            (key, event.clone())
        });
        if reverse {
            let mut items: Vec<_> = items.collect();
            items.reverse();
            Ok(paginate(items.into_iter(), &page))
        } else {
            Ok(paginate(items, &page))
        }
    }

    async fn journal(&self, arn: &str) -> Result<Vec<JournalEntry>> {
        self.lock()
            .executions
            .get(arn)
            .map(|execution| execution.journal.clone())
            .ok_or_else(|| Error::NotFound(arn.to_owned()))
    }

    async fn open_executions(&self) -> Result<Vec<ExecutionRecord>> {
        Ok(self
            .lock()
            .executions
            .values()
            .filter(|execution| execution.record.end.is_none())
            .map(|execution| execution.record.clone())
            .collect())
    }
}

#[async_trait]
impl Tags for MemStore {
    async fn tag(&self, arn: &str, tags: Vec<(String, String)>) -> Result<()> {
        let mut data = self.lock();
        let entry = data.tags.entry(arn.to_owned()).or_default();
        for (key, value) in tags {
            entry.insert(key, value);
        }
        Ok(())
    }

    async fn untag(&self, arn: &str, keys: Vec<String>) -> Result<()> {
        let mut data = self.lock();
        if let Some(entry) = data.tags.get_mut(arn) {
            for key in keys {
                entry.remove(&key);
            }
        }
        Ok(())
    }

    async fn tags(&self, arn: &str) -> Result<Vec<(String, String)>> {
        Ok(self
            .lock()
            .tags
            .get(arn)
            .map(|tags| {
                tags.iter()
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl Data {
    /// Checks a routing change against the alias (its current routing must be the expected one)
    /// and the versions it routes to; changes nothing.
    fn check_routing_change(&self, change: &RoutingChange) -> Result<()> {
        let alias = self
            .aliases
            .get(&change.alias_arn)
            .ok_or_else(|| Error::NotFound(change.alias_arn.clone()))?;
        if !same_routing(&alias.routing, &change.expected) {
            return Err(Error::Conflict(format!(
                "the routing of alias {} changed",
                change.alias_arn
            )));
        }
        self.check_routes(&change.routing)
    }

    fn apply_routing_change(&mut self, change: RoutingChange) {
        if let Some(alias) = self.aliases.get_mut(&change.alias_arn) {
            alias.routing = change.routing;
            alias.updated_ms = change.updated_ms;
        }
    }
}

/// The key deployments are listed by: newest first, then id.
fn deployment_key(record: &DeploymentRecord) -> String {
    format!("{:020}\u{0}{}", i64::MAX - record.created_ms, record.id)
}

#[async_trait]
impl Deployments for MemStore {
    async fn create_deployment(&self, first: DeploymentCommit) -> Result<()> {
        let mut data = self.lock();
        let record = &first.record;
        if data.deployments.contains_key(&record.id) {
            return Err(Error::AlreadyExists(record.id.clone()));
        }
        if !data.aliases.contains_key(&record.alias_arn) {
            return Err(Error::NotFound(record.alias_arn.clone()));
        }
        if let Some(open) = data
            .deployments
            .values()
            .find(|other| other.alias_arn == record.alias_arn && other.is_open())
        {
            return Err(Error::Conflict(format!(
                "alias {} has deployment {} in progress",
                record.alias_arn, open.id
            )));
        }
        if let Some(change) = &first.routing {
            data.check_routing_change(change)?;
        }
        if let Some(change) = first.routing {
            data.apply_routing_change(change);
        }
        data.deployments
            .insert(first.record.id.clone(), first.record);
        Ok(())
    }

    async fn commit_deployment(&self, step: DeploymentCommit) -> Result<()> {
        let mut data = self.lock();
        let stored = data
            .deployments
            .get(&step.record.id)
            .ok_or_else(|| Error::NotFound(step.record.id.clone()))?;
        if step.record.seq != stored.seq + 1 {
            return Err(Error::Conflict(format!(
                "deployment step {} where {} was expected",
                step.record.seq,
                stored.seq + 1
            )));
        }
        if !stored.is_open() {
            return Err(Error::Conflict(format!(
                "deployment {} has already ended",
                stored.id
            )));
        }
        if let Some(change) = &step.routing {
            data.check_routing_change(change)?;
        }
        if let Some(change) = step.routing {
            data.apply_routing_change(change);
        }
        data.deployments.insert(step.record.id.clone(), step.record);
        Ok(())
    }

    async fn get_deployment(&self, id: &str) -> Result<DeploymentRecord> {
        self.lock()
            .deployments
            .get(id)
            .cloned()
            .ok_or_else(|| Error::NotFound(id.to_owned()))
    }

    async fn list_deployments(
        &self,
        filter: DeploymentFilter,
        page: PageRequest,
    ) -> Result<Page<DeploymentRecord>> {
        let data = self.lock();
        let mut items: Vec<_> = data
            .deployments
            .values()
            .filter(|record| {
                filter
                    .state_machine_arn
                    .as_ref()
                    .is_none_or(|arn| *arn == record.state_machine_arn)
                    && filter
                        .alias_arn
                        .as_ref()
                        .is_none_or(|arn| *arn == record.alias_arn)
            })
            .map(|record| (deployment_key(record), record.clone()))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(paginate(items.into_iter(), &page))
    }

    async fn open_deployments(&self) -> Result<Vec<DeploymentRecord>> {
        let data = self.lock();
        let mut open: Vec<_> = data
            .deployments
            .values()
            .filter(|record| record.is_open())
            .cloned()
            .collect();
        open.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        Ok(open)
    }
}

impl MemStore {
    fn observed(&self) -> std::sync::MutexGuard<'_, Observed> {
        self.observed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl MetricData for MemStore {
    async fn put_metric_rows(&self, rows: Vec<MetricRow>, prune_before_ms: i64) -> Result<()> {
        let mut observed = self.observed();
        for row in rows {
            let key = (
                row.bucket_ms,
                row.namespace.clone(),
                row.name.clone(),
                row.dimensions.clone(),
            );
            match observed.metric_rows.get_mut(&key) {
                Some(existing) => {
                    existing.unit = row.unit;
                    crate::observe::merge_values(&mut existing.values, &row.values);
                }
                None => {
                    observed.metric_rows.insert(key, row);
                }
            }
        }
        observed
            .metric_rows
            .retain(|(bucket_ms, ..), _| *bucket_ms >= prune_before_ms);
        Ok(())
    }

    async fn metric_rows(&self, since_ms: i64) -> Result<Vec<MetricRow>> {
        Ok(self
            .observed()
            .metric_rows
            .values()
            .filter(|row| row.bucket_ms >= since_ms)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl Alarms for MemStore {
    async fn put_alarm(&self, record: AlarmRecord, history: AlarmHistoryRecord) -> Result<bool> {
        let mut observed = self.observed();
        let existed = match observed.alarms.get_mut(&record.name) {
            Some(existing) => {
                existing.config = record.config;
                existing.config_updated_ms = record.config_updated_ms;
                true
            }
            None => {
                observed.alarms.insert(record.name.clone(), record);
                false
            }
        };
        observed.history.push(history);
        Ok(existed)
    }

    async fn get_alarm(&self, name: &str) -> Result<AlarmRecord> {
        self.observed()
            .alarms
            .get(name)
            .cloned()
            .ok_or_else(|| Error::NotFound(name.to_owned()))
    }

    async fn list_alarms(&self) -> Result<Vec<AlarmRecord>> {
        Ok(self.observed().alarms.values().cloned().collect())
    }

    async fn delete_alarms(&self, names: Vec<String>) -> Result<()> {
        let mut observed = self.observed();
        for name in &names {
            observed.alarms.remove(name);
        }
        observed
            .history
            .retain(|item| !names.contains(&item.alarm_name));
        Ok(())
    }

    async fn set_alarm_state(&self, change: AlarmStateChange) -> Result<()> {
        let mut observed = self.observed();
        let alarm = observed
            .alarms
            .get_mut(&change.name)
            .ok_or_else(|| Error::NotFound(change.name.clone()))?;
        alarm.state_value = change.state_value;
        alarm.state_reason = change.state_reason;
        alarm.state_reason_data = change.state_reason_data;
        alarm.state_updated_ms = change.state_updated_ms;
        if let Some(history) = change.history {
            observed.history.push(history);
        }
        Ok(())
    }

    async fn alarm_history(&self, name: Option<&str>) -> Result<Vec<AlarmHistoryRecord>> {
        Ok(self
            .observed()
            .history
            .iter()
            .rev()
            .filter(|item| name.is_none_or(|name| item.alarm_name == name))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl Stacks for MemStore {
    async fn put_stack(&self, put: StackPut) -> Result<()> {
        let mut data = self.lock();
        let name = put.record.name.clone();
        let stored = data
            .stacks
            .get(&name)
            .map_or(0, |(record, _)| record.revision);
        check_revision(&name, stored, put.record.revision)?;
        let entry = data
            .stacks
            .entry(name)
            .or_insert_with(|| (put.record.clone(), Vec::new()));
        entry.0 = put.record;
        entry.1.extend(put.events);
        Ok(())
    }

    async fn get_stack(&self, name: &str) -> Result<StackRecord> {
        self.lock()
            .stacks
            .get(name)
            .map(|(record, _)| record.clone())
            .ok_or_else(|| Error::NotFound(name.to_owned()))
    }

    async fn list_stacks(&self, page: PageRequest) -> Result<Page<StackRecord>> {
        let data = self.lock();
        Ok(paginate(
            data.stacks
                .iter()
                .map(|(name, (record, _))| (name.clone(), record.clone())),
            &page,
        ))
    }

    async fn delete_stack(&self, name: &str) -> Result<()> {
        self.lock()
            .stacks
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| Error::NotFound(name.to_owned()))
    }

    async fn stack_events(&self, name: &str, page: PageRequest) -> Result<Page<StackEventRecord>> {
        let data = self.lock();
        let (_, events) = data
            .stacks
            .get(name)
            .ok_or_else(|| Error::NotFound(name.to_owned()))?;
        // Newest first: the key grows as the position falls, so a page token stays valid while
        // events are appended.
        Ok(paginate(
            events
                .iter()
                .enumerate()
                .rev()
                .map(|(index, event)| (format!("{:020}", u64::MAX - index as u64), event.clone())),
            &page,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::MemStore;

    #[tokio::test]
    async fn passes_the_suite() {
        crate::suite::run_all(&MemStore::new()).await;
    }
}
