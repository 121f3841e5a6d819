//! Job executions on the control plane: ListJobExecutionsForJob, ListJobExecutionsForThing,
//! DescribeJobExecution, CancelJobExecution, DeleteJobExecution; and the one way every
//! execution change is written ([`JobsService::write_execution`]), which completes a SNAPSHOT
//! job when its last execution becomes terminal.

use crate::error::ServiceError;
use crate::jobs::job_not_found;
use crate::keys::DueEntry;
use crate::notify::Notification;
use crate::repo::{self, Loaded};
use crate::{contention, keys, JobsService};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use thingcore::jobs::abort::criteria_met;
use thingcore::jobs::events::{ExecutionOperation, JobOperation};
use thingcore::jobs::execution::{
    cancel_execution, check_delete_execution, completed, is_complete,
};
use thingcore::jobs::timeouts::{retry, timeout_at};
use thingcore::jobs::{
    JobConfigs, JobExecutionStatus, JobId, JobProcessDetails, JobStatus, JobsError, StoredJob,
    StoredJobExecution,
};
use thingcore::registry::ThingName;
use thingcore::store::Expect;

/// CancelJobExecution's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelJobExecutionRequest {
    /// `expectedVersion`.
    pub expected_version: Option<u64>,
    /// `statusDetails`.
    pub status_details: Option<BTreeMap<String, String>>,
}

/// A list's page: `max_results` and `next_token`.
#[derive(Debug, Default, Clone)]
pub struct ExecutionsQuery {
    /// `status`.
    pub status: Option<String>,
    /// `jobId` (ListJobExecutionsForThing only).
    pub job_id: Option<String>,
    /// `maxResults`.
    pub max_results: usize,
    /// `nextToken`.
    pub next_token: Option<String>,
}

fn execution_not_found(job_id: &str, thing: &str) -> JobsError {
    JobsError::not_found(format!(
        "Job execution of {job_id} on thing {thing} does not exist"
    ))
}

impl JobsService {
    /// The execution of `job_id` on `thing`, or `ResourceNotFoundException`.
    pub(crate) async fn require_execution(
        &self,
        job_id: &str,
        thing: &str,
    ) -> Result<Loaded<StoredJobExecution>, ServiceError> {
        let job = JobId::parse(job_id)?;
        let thing = ThingName::parse(thing)?;
        self.load(keys::execution(job.as_str(), thing.as_str()))
            .await?
            .ok_or_else(|| execution_not_found(job.as_str(), thing.as_str()).into())
    }

    /// Writes `after` over `before` (read with its version): a terminal change also rewrites
    /// the job (COMPLETED when it was the last pending execution of a SNAPSHOT job, else
    /// unchanged), so racing last executions cannot both miss completing it. A FAILED or
    /// TIMED_OUT `after` that the job's retry configuration retries is stored as its next
    /// attempt (QUEUED) instead; one that meets an abort criterion puts the job in the
    /// scheduler's index, due now. The execution's entry in the timeout index follows its
    /// timers. `false` when a condition failed. On success, the notifications, followed (when
    /// the event configurations enable them) by the execution's event and the job's
    /// `completed`.
    pub(crate) async fn write_execution(
        &self,
        before: &Loaded<StoredJobExecution>,
        after: &StoredJobExecution,
    ) -> Result<Option<Vec<Notification>>, ServiceError> {
        let job_id = after.job_id.as_str();
        let thing = after.thing_name.as_str();
        let now = self.now_secs();
        let mut stored = after.clone();
        let mut ops = Vec::new();
        let mut completed_job = None;
        let mut statuses = Vec::new();
        if after.status.is_terminal() {
            let job: Loaded<StoredJob> = self
                .load(keys::job(job_id))
                .await?
                .ok_or_else(|| job_not_found(job_id))?;
            let configs = JobConfigs::parse(&job.value.configs).unwrap_or_default();
            if let Some(retried) = retry(after, &configs.retry, now) {
                stored = retried;
            }
            statuses = self
                .job_executions(job_id)
                .await?
                .iter()
                .map(|l| {
                    if l.value.thing_name == stored.thing_name {
                        stored.status
                    } else {
                        l.value.status
                    }
                })
                .collect();
            let next = if is_complete(&job.value, &statuses) {
                let next = completed(&job.value, now);
                completed_job = Some(next.clone());
                next
            } else {
                job.value.clone()
            };
            if next.status == JobStatus::InProgress
                && criteria_met(&configs.abort, &statuses).is_some()
            {
                let entry = DueEntry {
                    job_id: job_id.to_string(),
                    thing_name: None,
                };
                ops.push(repo::put(keys::job_due(now, job_id), &entry, Expect::Any)?);
            }
            ops.push(repo::put(
                job.key.clone(),
                &next,
                Expect::Version(job.version),
            )?);
        }
        ops.extend(repo::put_execution(
            &stored,
            Expect::Version(before.version),
        )?);
        let (old, new) = (timeout_at(&before.value), timeout_at(&stored));
        if old != new {
            if let Some(at) = old {
                ops.push(repo::delete(
                    keys::execution_timeout(at, job_id, thing),
                    Expect::Any,
                ));
            }
            if let Some(at) = new {
                let entry = DueEntry {
                    job_id: job_id.to_string(),
                    thing_name: Some(thing.to_string()),
                };
                ops.push(repo::put(
                    keys::execution_timeout(at, job_id, thing),
                    &entry,
                    Expect::Any,
                )?);
            }
        }
        if !self.commit(ops).await? {
            return Ok(None);
        }
        let mut notifications = self
            .notifications_for(thing, job_id, Some(&before.value))
            .await?;
        if stored.status.is_terminal() {
            let events = self.events().await;
            notifications.extend(events.reached(&stored));
            if let Some(job) = &completed_job {
                let details = JobProcessDetails::count(statuses);
                notifications.extend(events.job(job, JobOperation::Completed, Some(&details)));
            }
        }
        Ok(Some(notifications))
    }

    /// ListJobExecutionsForJob.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn list_job_executions_for_job(
        &self,
        job_id: &str,
        query: ExecutionsQuery,
    ) -> Result<Value, ServiceError> {
        let job = self.require_job(job_id).await?.value;
        let status = query
            .status
            .as_deref()
            .map(|s| JobExecutionStatus::parse("status", s))
            .transpose()?;
        let (summaries, next) = self
            .filtered_page(
                &keys::job_executions(job.job_id.as_str()),
                query.max_results,
                query.next_token.as_deref(),
                |e: StoredJobExecution| {
                    status.is_none_or(|s| e.status == s).then(|| {
                        json!({ "thingArn": e.thing_arn, "jobExecutionSummary": e.to_summary() })
                    })
                },
            )
            .await?;
        let mut out = json!({ "executionSummaries": summaries });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }

    /// ListJobExecutionsForThing.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException` for an unknown thing.
    pub async fn list_job_executions_for_thing(
        &self,
        thing: &str,
        query: ExecutionsQuery,
    ) -> Result<Value, ServiceError> {
        let thing = ThingName::parse(thing)?;
        self.registry.describe_thing(thing.as_str()).await?;
        let status = query
            .status
            .as_deref()
            .map(|s| JobExecutionStatus::parse("status", s))
            .transpose()?;
        let job_id = query.job_id.as_deref().map(JobId::parse).transpose()?;
        let (summaries, next) = self
            .filtered_page(
                &keys::thing_executions(thing.as_str()),
                query.max_results,
                query.next_token.as_deref(),
                |e: StoredJobExecution| {
                    let keep = status.is_none_or(|s| e.status == s)
                        && job_id.as_ref().is_none_or(|j| &e.job_id == j);
                    keep.then(
                        || json!({ "jobId": e.job_id, "jobExecutionSummary": e.to_summary() }),
                    )
                },
            )
            .await?;
        let mut out = json!({ "executionSummaries": summaries });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }

    /// DescribeJobExecution (the current execution; another `executionNumber` is not found).
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn describe_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        execution_number: Option<u64>,
    ) -> Result<Value, ServiceError> {
        let found = self.require_execution(job_id, thing).await?.value;
        if execution_number.is_some_and(|n| n != found.execution_number) {
            return Err(execution_not_found(job_id, thing).into());
        }
        Ok(json!({ "execution": found.to_execution(self.now_secs()) }))
    }

    /// CancelJobExecution.
    ///
    /// # Errors
    /// `InvalidStateTransitionException` (terminal, or IN_PROGRESS without `force`),
    /// `VersionConflictException`, `ResourceNotFoundException`, `InvalidRequestException`.
    pub async fn cancel_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        force: bool,
        request: CancelJobExecutionRequest,
    ) -> Result<Value, ServiceError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let found = self.require_execution(job_id, thing).await?;
            let after = cancel_execution(
                &found.value,
                force,
                request.expected_version,
                request.status_details.as_ref(),
                self.now_secs(),
            )?;
            if let Some(notifications) = self.write_execution(&found, &after).await? {
                self.deliver(notifications).await;
                return Ok(json!({}));
            }
        }
        Err(contention(format!("job execution {job_id} on {thing}")))
    }

    /// DeleteJobExecution: a pending execution needs `force`.
    ///
    /// # Errors
    /// `InvalidStateTransitionException`, `ResourceNotFoundException` (also for another
    /// `executionNumber`), `InvalidRequestException`.
    pub async fn delete_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        execution_number: &str,
        force: bool,
    ) -> Result<Value, ServiceError> {
        let number: u64 = execution_number.parse().map_err(|_| {
            JobsError::invalid(format!(
                "executionNumber {execution_number:?} is not a number"
            ))
        })?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let found = self.require_execution(job_id, thing).await?;
            if found.value.execution_number != number {
                return Err(execution_not_found(job_id, thing).into());
            }
            check_delete_execution(&found.value, force)?;
            let ops = repo::delete_execution(&found.value, Expect::Version(found.version)).to_vec();
            if self.commit(ops).await? {
                let mut notifications = self
                    .notifications_for(thing, job_id, Some(&found.value))
                    .await?;
                let events = self.events().await;
                notifications.extend(events.execution(&found.value, ExecutionOperation::Deleted));
                self.deliver(notifications).await;
                return Ok(json!({}));
            }
        }
        Err(contention(format!("job execution {job_id} on {thing}")))
    }
}
