//! The scheduler's driver: [`JobsService::tick`] applies what `thingcore::jobs::schedule` and
//! `thingcore::jobs::timeouts` decide for what is due at the clock's now, and hands the
//! notifications it causes to the sink. A host calls it every few seconds (`thingcore serve`
//! from a background task); tests call it after moving a manual clock.
//!
//! A tick reads only the front of two index partitions sorted by due time ([`keys`]): the
//! executions whose timers ran out (at most [`MAX_TIMEOUTS_PER_TICK`]) and the jobs with work
//! due (at most [`MAX_JOBS_PER_TICK`], each releasing at most one rollout step); what is left
//! waits for the next tick ([`TickReport::more`]).
//!
//! A job's step is written in this order, each safe to see half done: the job (status,
//! counters, next due time, index entries) on condition of the version read; then the released
//! targets' executions (created QUEUED, their held records removed); then cancels and dropped
//! targets. A host that stops between the first two leaves those targets held but no longer
//! counted: they are never notified (the job still completes).

use crate::error::ServiceError;
use crate::keys::{self, DueEntry};
use crate::notify::Notification;
use crate::repo::{self, Loaded};
use crate::{contention, JobsService};
use thingcore::jobs::events::JobOperation;
use thingcore::jobs::schedule::plan;
use thingcore::jobs::timeouts::timed_out;
use thingcore::jobs::{
    JobConfigs, JobExecutionStatus, JobProcessDetails, JobStatus, StoredJob, StoredJobExecution,
};
use thingcore::store::{Expect, Key, Query, Table, WriteOp};

/// Most due jobs one tick steps.
pub const MAX_JOBS_PER_TICK: usize = 20;
/// Most timed-out executions one tick handles.
pub const MAX_TIMEOUTS_PER_TICK: usize = 200;
/// Held records removed per transaction.
const HELD_PER_TRANSACTION: usize = 90;

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Jobs stepped.
    pub jobs: usize,
    /// Targets released (executions queued and notified).
    pub released: u64,
    /// Executions timed out.
    pub timed_out: usize,
    /// Whether due work was left for the next tick.
    pub more: bool,
    /// Due entries that failed (logged; they stay due, and the others go on).
    pub failed: usize,
}

impl TickReport {
    /// Counts and logs a due entry that failed: one bad record must not stop the rest.
    fn failed(&mut self, key: &Key, error: ServiceError) {
        self.failed += 1;
        tracing::warn!(entry = %key, error = %error, source = ?std::error::Error::source(&error), "jobs scheduler entry failed");
    }
}

/// The due entries at the front of index partition `pk`: up to `max` due by `now`, and
/// whether more are due.
async fn due_entries(
    service: &JobsService,
    pk: &str,
    max: usize,
    now: u64,
) -> Result<(Vec<Loaded<DueEntry>>, bool), ServiceError> {
    let query = Query::partition(Table::Registry, pk).limit(max + 1);
    let page = service.store.query(&query).await?;
    let mut due = Vec::new();
    for item in &page.items {
        if keys::due_time(&item.key.sk).is_none_or(|at| at > now) {
            return Ok((due, false));
        }
        if due.len() == max {
            return Ok((due, true));
        }
        due.push(Loaded {
            value: repo::decode(item)?,
            version: item.version,
            key: item.key.clone(),
        });
    }
    Ok((due, false))
}

impl JobsService {
    /// Does the scheduler's work due at the clock's now: times out executions whose timers
    /// ran out (retrying them when the job says so), and steps the jobs that are due (start,
    /// end, abort, rollout release, completion). Notifications go to the sink. An entry whose
    /// work fails is counted in [`TickReport::failed`], logged and left due; the others go on.
    ///
    /// # Errors
    /// Store failures reading the indexes; the work not done stays due for the next tick.
    pub async fn tick(&self) -> Result<TickReport, ServiceError> {
        let now = self.now_secs();
        let mut report = TickReport::default();
        let (timeouts, more) =
            due_entries(self, keys::EXECUTION_TIMEOUTS, MAX_TIMEOUTS_PER_TICK, now).await?;
        report.more |= more;
        for entry in timeouts {
            match self.time_out(&entry, now).await {
                Ok(timed_out) => report.timed_out += usize::from(timed_out),
                Err(error) => report.failed(&entry.key, error),
            }
        }
        let (jobs, more) = due_entries(self, keys::JOBS_DUE, MAX_JOBS_PER_TICK, now).await?;
        report.more |= more;
        for entry in jobs {
            match self.step_job(&entry.value.job_id, Some(&entry.key)).await {
                Ok(released) => {
                    report.released += released;
                    report.jobs += 1;
                }
                Err(error) => report.failed(&entry.key, error),
            }
        }
        Ok(report)
    }

    /// Times out the execution of a timeout entry, if its timer did run out; a stale entry is
    /// removed.
    async fn time_out(&self, entry: &Loaded<DueEntry>, now: u64) -> Result<bool, ServiceError> {
        let thing = entry.value.thing_name.as_deref().unwrap_or_default();
        for _ in 0..repo::MAX_ATTEMPTS {
            let found: Option<Loaded<StoredJobExecution>> = self
                .load(keys::execution(&entry.value.job_id, thing))
                .await?;
            let after = found.as_ref().and_then(|f| timed_out(&f.value, now));
            let (Some(found), Some(after)) = (found, after) else {
                self.commit(vec![repo::delete(
                    entry.key.clone(),
                    Expect::Version(entry.version),
                )])
                .await?;
                return Ok(false);
            };
            if let Some(notifications) = self.write_execution(&found, &after).await? {
                self.deliver(notifications).await;
                return Ok(true);
            }
        }
        Err(contention(format!(
            "job execution {} on {thing}",
            entry.value.job_id
        )))
    }

    /// Steps job `job_id` now: decides with `thingcore::jobs::schedule::plan`, writes the job
    /// and its index entries (removing `entry`, the one that made it due), then releases,
    /// cancels and drops what the plan says. Returns how many targets were released.
    ///
    /// # Errors
    /// Store failures, contention.
    pub(crate) async fn step_job(
        &self,
        job_id: &str,
        entry: Option<&Key>,
    ) -> Result<u64, ServiceError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let now = self.now_secs();
            let Some(found) = self.load::<StoredJob>(keys::job(job_id)).await? else {
                if let Some(entry) = entry {
                    self.commit(vec![repo::delete(entry.clone(), Expect::Any)])
                        .await?;
                }
                self.drop_held(job_id).await?;
                return Ok(0);
            };
            let statuses: Vec<JobExecutionStatus> = self
                .job_executions(job_id)
                .await?
                .iter()
                .map(|l| l.value.status)
                .collect();
            let configs = JobConfigs::parse(&found.value.configs).unwrap_or_default();
            let mut decided = plan(&found.value, &configs, &statuses, now);
            let names = self.held_targets(job_id, decided.release).await?;
            let short = decided.release - names.len() as u64;
            if short > 0 {
                // Fewer held records than counted: the count follows the records.
                let state = &mut decided.job.scheduler;
                state.released -= short;
                state.released_in_window -= short;
                state.held = 0;
            }
            let mut ops = vec![repo::put(
                found.key.clone(),
                &decided.job,
                Expect::Version(found.version),
            )?];
            ops.extend(due_index_ops(
                job_id,
                entry,
                found.value.scheduler.due_at,
                decided.job.scheduler.due_at,
            )?);
            if !self.commit(ops).await? {
                continue;
            }
            let mut notifications = self.release(&decided.job, &names).await?;
            let completed = decided.job.status == JobStatus::Completed
                && found.value.status != JobStatus::Completed;
            if let Some(force) = decided.cancel_executions {
                notifications.extend(self.cancel_executions(&decided.job, force).await?);
            } else if completed {
                let events = self.events().await;
                let details = JobProcessDetails::count(statuses);
                notifications.extend(events.job(
                    &decided.job,
                    JobOperation::Completed,
                    Some(&details),
                ));
            }
            if decided.drop_held {
                self.drop_held(job_id).await?;
            }
            self.deliver(notifications).await;
            return Ok(names.len() as u64);
        }
        Err(contention(format!("job {job_id}")))
    }

    /// Up to `count` held targets of a job, in name order.
    async fn held_targets(&self, job_id: &str, count: u64) -> Result<Vec<String>, ServiceError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut names = Vec::new();
        let mut token = None;
        let want = usize::try_from(count).unwrap_or(usize::MAX);
        while names.len() < want {
            let query = Query::partition(Table::Registry, keys::job_held(job_id))
                .limit((want - names.len()).min(1000))
                .start(token.take());
            let page = self.store.query(&query).await?;
            names.extend(page.items.iter().map(|i| i.key.sk.clone()));
            match page.next {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        Ok(names)
    }

    /// Holds `things` for `job_id`'s rollout (CreateJob of a paced or scheduled job).
    pub(crate) async fn hold(&self, job_id: &str, things: &[String]) -> Result<(), ServiceError> {
        for chunk in things.chunks(HELD_PER_TRANSACTION) {
            let mut ops = Vec::with_capacity(chunk.len());
            for thing in chunk {
                ops.push(repo::put(
                    keys::held(job_id, thing),
                    &serde_json::json!({}),
                    Expect::Any,
                )?);
            }
            if !self.commit(ops).await? {
                return Err(contention(format!("held targets of job {job_id}")));
            }
        }
        Ok(())
    }

    /// Holds `thing`, which joined a targeted group of the paced or scheduled CONTINUOUS job
    /// `job_id`: counted with the job's other held targets and made due now, so the scheduler
    /// releases it at the rollout's pace (a SCHEDULED job stays due at its start). Nothing
    /// when the thing already has an execution of the job or is held already.
    ///
    /// # Errors
    /// Store failures, contention.
    pub(crate) async fn hold_joiner(&self, job_id: &str, thing: &str) -> Result<(), ServiceError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let executed = self
                .load::<StoredJobExecution>(keys::execution(job_id, thing))
                .await?
                .is_some();
            let held = self
                .load::<serde_json::Value>(keys::held(job_id, thing))
                .await?
                .is_some();
            let Some(found) = self.load::<StoredJob>(keys::job(job_id)).await? else {
                return Ok(());
            };
            let running = found.value.status == JobStatus::InProgress;
            if executed || held || !(running || found.value.status == JobStatus::Scheduled) {
                return Ok(());
            }
            let mut job = found.value.clone();
            job.scheduler.held += 1;
            if running {
                let now = self.now_secs();
                job.scheduler.due_at = Some(job.scheduler.due_at.map_or(now, |at| at.min(now)));
            }
            let mut ops = vec![
                repo::put(found.key.clone(), &job, Expect::Version(found.version))?,
                repo::put(
                    keys::held(job_id, thing),
                    &serde_json::json!({}),
                    Expect::Absent,
                )?,
            ];
            ops.extend(due_index_ops(
                job_id,
                None,
                found.value.scheduler.due_at,
                job.scheduler.due_at,
            )?);
            if self.commit(ops).await? {
                if running {
                    self.step_job(job_id, None).await?;
                }
                return Ok(());
            }
        }
        Err(contention(format!("held targets of job {job_id}")))
    }

    /// Queues executions of `job` on `names` and removes their held records.
    async fn release(
        &self,
        job: &StoredJob,
        names: &[String],
    ) -> Result<Vec<Notification>, ServiceError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let notifications = self.queue_executions(job, names).await?;
        let job_id = job.job_id.as_str();
        for chunk in names.chunks(HELD_PER_TRANSACTION) {
            let ops = chunk
                .iter()
                .map(|thing| repo::delete(keys::held(job_id, thing), Expect::Any))
                .collect();
            self.commit(ops).await?;
        }
        Ok(notifications)
    }

    /// Removes every held target of a job.
    async fn drop_held(&self, job_id: &str) -> Result<(), ServiceError> {
        loop {
            let query = Query::partition(Table::Registry, keys::job_held(job_id))
                .limit(HELD_PER_TRANSACTION);
            let page = self.store.query(&query).await?;
            if page.items.is_empty() {
                return Ok(());
            }
            let ops = page
                .items
                .iter()
                .map(|item| repo::delete(item.key.clone(), Expect::Any))
                .collect();
            self.commit(ops).await?;
        }
    }
}

/// The index writes that move a job from its `old` due time (and the `entry` that made it due)
/// to its `new` one.
fn due_index_ops(
    job_id: &str,
    entry: Option<&Key>,
    old: Option<u64>,
    new: Option<u64>,
) -> Result<Vec<WriteOp>, ServiceError> {
    let new_key = new.map(|at| keys::job_due(at, job_id));
    let mut stale: Vec<Key> = entry.cloned().into_iter().collect();
    stale.extend(old.map(|at| keys::job_due(at, job_id)));
    stale.dedup();
    let mut ops: Vec<WriteOp> = stale
        .into_iter()
        .filter(|key| Some(key) != new_key.as_ref())
        .map(|key| repo::delete(key, Expect::Any))
        .collect();
    if let Some(key) = new_key {
        let value = DueEntry {
            job_id: job_id.to_string(),
            thing_name: None,
        };
        ops.push(repo::put(key, &value, Expect::Any)?);
    }
    Ok(ops)
}
