//! The in-memory backend: for tests, and for what must not outlive the process.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{
    Activities, ActivityRecord, Error, ExecutionFilter, ExecutionRecord, Executions, JournalEntry,
    Page, PageRequest, Result, StateMachineRecord, StateMachines, StepCommit, StoredEvent, Tags,
};

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
}

/// Everything in a mutex-guarded map.
#[derive(Debug, Default)]
pub struct MemStore {
    data: Mutex<Data>,
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
    if data.record.end.is_some() {
        return Err(Error::Conflict(format!(
            "execution {} has already ended",
            data.record.arn
        )));
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
    if let Some(end) = step.end {
        data.record.status = end.status.clone();
        data.record.end = Some(end);
    }
    Ok(())
}

#[async_trait]
impl StateMachines for MemStore {
    async fn create_state_machine(&self, record: StateMachineRecord) -> Result<()> {
        let mut data = self.lock();
        if data.state_machines.contains_key(&record.arn) {
            return Err(Error::AlreadyExists(record.arn));
        }
        data.state_machines.insert(record.arn.clone(), record);
        Ok(())
    }

    async fn get_state_machine(&self, arn: &str) -> Result<StateMachineRecord> {
        self.lock()
            .state_machines
            .get(arn)
            .cloned()
            .ok_or_else(|| Error::NotFound(arn.to_owned()))
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
        self.lock()
            .state_machines
            .remove(arn)
            .map(|_| ())
            .ok_or_else(|| Error::NotFound(arn.to_owned()))
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
impl Activities for MemStore {
    async fn create_activity(&self, record: ActivityRecord) -> Result<()> {
        let mut data = self.lock();
        if data.activities.contains_key(&record.arn) {
            return Err(Error::AlreadyExists(record.arn));
        }
        data.activities.insert(record.arn.clone(), record);
        Ok(())
    }

    async fn get_activity(&self, arn: &str) -> Result<ActivityRecord> {
        self.lock()
            .activities
            .get(arn)
            .cloned()
            .ok_or_else(|| Error::NotFound(arn.to_owned()))
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
        let mut items: Vec<_> = data
            .executions
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

#[cfg(test)]
mod tests {
    use super::MemStore;

    #[tokio::test]
    async fn passes_the_suite() {
        crate::suite::run_all(&MemStore::new()).await;
    }
}
