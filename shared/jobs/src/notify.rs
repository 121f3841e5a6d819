//! The device side's notifications, exactly AWS's topics and payloads:
//!
//! - `$aws/things/{thing}/jobs/notify` `{"timestamp", "jobs": {"QUEUED": [...],
//!   "IN_PROGRESS": [...]}}` whenever a job execution joins or leaves the thing's pending list;
//! - `$aws/things/{thing}/jobs/notify-next` `{"timestamp", "execution": {...}}` (no
//!   `execution` when none is left) whenever the thing's next pending execution changes.

use crate::error::ServiceError;
use crate::{keys, JobsService};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use thingcore::jobs::execution::next_pending;
use thingcore::jobs::{JobExecutionStatus, StoredJob, StoredJobExecution};

/// A message to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The topic.
    pub topic: String,
    /// The JSON payload.
    pub payload: Value,
}

/// An operation's answer and the notifications its change causes.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed<T> {
    /// The answer.
    pub result: T,
    /// What to publish, in order.
    pub notifications: Vec<Notification>,
}

/// `$aws/things/{thing}/jobs/notify`'s payload for a thing's `executions`.
pub fn pending_payload(executions: &[StoredJobExecution], now: u64) -> Value {
    let mut jobs = Map::new();
    for status in [JobExecutionStatus::InProgress, JobExecutionStatus::Queued] {
        let mut of: Vec<&StoredJobExecution> =
            executions.iter().filter(|e| e.status == status).collect();
        of.sort_by(|a, b| (a.queued_at, &a.job_id).cmp(&(b.queued_at, &b.job_id)));
        if !of.is_empty() {
            let list: Vec<Value> = of.iter().map(|e| e.to_device_summary()).collect();
            jobs.insert(status.as_str().to_string(), Value::Array(list));
        }
    }
    json!({ "timestamp": now, "jobs": jobs })
}

/// The pending list as `notify` shows it: which executions, and in which status (AWS sends
/// a ListNotification when an execution is queued, changes to a non-terminal status, or
/// reaches a terminal one).
fn pending_ids(executions: &[StoredJobExecution]) -> BTreeSet<(String, u64, &'static str)> {
    executions
        .iter()
        .filter(|e| e.status.is_pending())
        .map(|e| {
            (
                e.job_id.as_str().to_string(),
                e.execution_number,
                e.status.as_str(),
            )
        })
        .collect()
}

fn next_id(executions: &[StoredJobExecution]) -> Option<(String, u64)> {
    next_pending(executions).map(|e| (e.job_id.as_str().to_string(), e.execution_number))
}

impl JobsService {
    /// A thing's executions (one partition read).
    pub(crate) async fn thing_executions(
        &self,
        thing: &str,
    ) -> Result<Vec<StoredJobExecution>, ServiceError> {
        Ok(self
            .gather::<StoredJobExecution>(&keys::thing_executions(thing))
            .await?
            .into_iter()
            .map(|l| l.value)
            .collect())
    }

    /// The notifications for `thing` after one of its executions changed from `before` (absent
    /// when it was created) to its state now in the Store.
    pub(crate) async fn notifications_for(
        &self,
        thing: &str,
        job_id: &str,
        before: Option<&StoredJobExecution>,
    ) -> Result<Vec<Notification>, ServiceError> {
        let after = self.thing_executions(thing).await?;
        let mut earlier: Vec<StoredJobExecution> = after
            .iter()
            .filter(|e| e.job_id.as_str() != job_id)
            .cloned()
            .collect();
        earlier.extend(before.cloned());
        let now = self.now_secs();
        let mut out = Vec::new();
        if pending_ids(&earlier) != pending_ids(&after) {
            out.push(Notification {
                topic: format!("$aws/things/{thing}/jobs/notify"),
                payload: pending_payload(&after, now),
            });
        }
        if next_id(&earlier) != next_id(&after) {
            let execution = match next_pending(&after) {
                Some(next) => {
                    let job = self
                        .load::<StoredJob>(keys::job(next.job_id.as_str()))
                        .await?;
                    let document = job.as_ref().and_then(|j| j.value.document.clone());
                    Some(next.to_device_execution(document.as_deref(), now))
                }
                None => None,
            };
            let mut payload = json!({ "timestamp": now });
            if let Some(execution) = execution {
                payload["execution"] = execution;
            }
            out.push(Notification {
                topic: format!("$aws/things/{thing}/jobs/notify-next"),
                payload,
            });
        }
        Ok(out)
    }
}
