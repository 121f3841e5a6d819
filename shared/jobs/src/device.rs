//! The device side of Jobs, for the host to expose on the `$aws/things/{thing}/jobs/...`
//! topics and the `iot-jobs-data` API: GetPendingJobExecutions, StartNextPendingJobExecution,
//! DescribeJobExecution (a job id or `$next`) and UpdateJobExecution. Answers are the accepted
//! payloads' JSON (without `clientToken`, which the host echoes); changes also return the
//! `notify` and `notify-next` messages they cause ([`Changed`]).

use crate::error::ServiceError;
use crate::notify::Changed;
use crate::repo::{self, Loaded};
use crate::{contention, keys, JobsService};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use thingcore::jobs::execution::{apply_device_update, next_pending, DeviceUpdate};
use thingcore::jobs::{JobExecutionStatus, JobsError, StoredJob, StoredJobExecution};
use thingcore::registry::ThingName;

/// The job id that means "the thing's next pending execution".
pub const NEXT: &str = "$next";

/// UpdateJobExecution's request (MQTT payload or `iot-jobs-data` body).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateJobExecutionRequest {
    /// `status` (required).
    pub status: Option<String>,
    /// `statusDetails`.
    pub status_details: Option<BTreeMap<String, String>>,
    /// `expectedVersion`.
    pub expected_version: Option<u64>,
    /// `executionNumber`.
    pub execution_number: Option<u64>,
    /// `stepTimeoutInMinutes`.
    pub step_timeout_in_minutes: Option<i64>,
    /// `includeJobExecutionState`.
    #[serde(default)]
    pub include_job_execution_state: bool,
    /// `includeJobDocument`.
    #[serde(default)]
    pub include_job_document: bool,
}

/// The job's in-progress timeout (`timeoutConfig.inProgressTimeoutInMinutes`).
fn in_progress_timeout(job: &StoredJob) -> Option<u64> {
    job.configs
        .get("timeoutConfig")
        .and_then(|c| c.get("inProgressTimeoutInMinutes"))
        .and_then(Value::as_u64)
}

impl JobsService {
    /// GetPendingJobExecutions: `{"inProgressJobs", "queuedJobs", "timestamp"}`, oldest first.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad thing name.
    pub async fn get_pending(&self, thing: &str) -> Result<Value, ServiceError> {
        let thing = ThingName::parse(thing)?;
        let mut executions = self.thing_executions(thing.as_str()).await?;
        executions.sort_by(|a, b| (a.queued_at, &a.job_id).cmp(&(b.queued_at, &b.job_id)));
        let of = |status| -> Vec<Value> {
            executions
                .iter()
                .filter(|e| e.status == status)
                .map(StoredJobExecution::to_device_summary)
                .collect()
        };
        Ok(json!({
            "inProgressJobs": of(JobExecutionStatus::InProgress),
            "queuedJobs": of(JobExecutionStatus::Queued),
            "timestamp": self.now_secs(),
        }))
    }

    async fn job_of(&self, execution: &StoredJobExecution) -> Result<StoredJob, ServiceError> {
        let job_id = execution.job_id.as_str();
        Ok(self
            .load::<StoredJob>(keys::job(job_id))
            .await?
            .ok_or_else(|| JobsError::not_found(format!("Job {job_id} does not exist")))?
            .value)
    }

    /// StartNextPendingJobExecution: the thing's next execution, moved to IN_PROGRESS with
    /// `status_details` and `step_timeout_in_minutes` when it was QUEUED (one already
    /// IN_PROGRESS is returned as it is). `{"timestamp"}` alone when nothing is pending.
    ///
    /// # Errors
    /// `InvalidRequestException` for bad details or timeout.
    pub async fn start_next(
        &self,
        thing: &str,
        status_details: Option<BTreeMap<String, String>>,
        step_timeout_in_minutes: Option<i64>,
    ) -> Result<Changed<Value>, ServiceError> {
        let thing = ThingName::parse(thing)?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let executions = self.thing_executions(thing.as_str()).await?;
            let now = self.now_secs();
            let Some(next) = next_pending(&executions) else {
                return Ok(Changed {
                    result: json!({ "timestamp": now }),
                    notifications: Vec::new(),
                });
            };
            let job = self.job_of(next).await?;
            if next.status == JobExecutionStatus::InProgress {
                return Ok(Changed {
                    result: json!({
                        "execution": next.to_device_execution(job.document.as_deref(), now),
                        "timestamp": now,
                    }),
                    notifications: Vec::new(),
                });
            }
            let found = self
                .require_execution(next.job_id.as_str(), thing.as_str())
                .await?;
            let update = DeviceUpdate {
                status: Some(JobExecutionStatus::InProgress),
                status_details: status_details.clone(),
                step_timeout_in_minutes,
                ..DeviceUpdate::default()
            };
            let after = apply_device_update(&found.value, &update, in_progress_timeout(&job), now)?;
            if let Some(notifications) = self.write_execution(&found, &after).await? {
                return Ok(Changed {
                    result: json!({
                        "execution": after.to_device_execution(job.document.as_deref(), now),
                        "timestamp": now,
                    }),
                    notifications,
                });
            }
        }
        Err(contention(format!("job executions of {thing}")))
    }

    /// DescribeJobExecution on the device side: `job_id` or [`NEXT`]; the job document when
    /// `include_document` (the default on AWS). `{"timestamp"}` alone for `$next` when
    /// nothing is pending.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for no such execution (or another `execution_number`),
    /// `InvalidRequestException`.
    pub async fn describe_execution(
        &self,
        thing: &str,
        job_id: &str,
        include_document: bool,
        execution_number: Option<u64>,
    ) -> Result<Value, ServiceError> {
        let thing = ThingName::parse(thing)?;
        let now = self.now_secs();
        let execution = if job_id == NEXT {
            let executions = self.thing_executions(thing.as_str()).await?;
            match next_pending(&executions) {
                Some(next) => next.clone(),
                None => return Ok(json!({ "timestamp": now })),
            }
        } else {
            self.require_execution(job_id, thing.as_str()).await?.value
        };
        if execution_number.is_some_and(|n| n != execution.execution_number) {
            return Err(JobsError::not_found(format!(
                "Job execution {} of {job_id} on {thing} does not exist",
                execution_number.unwrap_or_default()
            ))
            .into());
        }
        let document = if include_document {
            self.job_of(&execution).await?.document
        } else {
            None
        };
        Ok(json!({
            "execution": execution.to_device_execution(document.as_deref(), now),
            "timestamp": now,
        }))
    }

    /// UpdateJobExecution: the device moves its execution (see `thingcore::jobs::execution`).
    /// Answers `{"executionState"?, "jobDocument"?, "timestamp"}`.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`, `VersionConflict`
    /// (`VersionMismatch`), `InvalidStateTransition`, `TerminalState` (`TerminalStateReached`).
    pub async fn update_execution(
        &self,
        thing: &str,
        job_id: &str,
        request: UpdateJobExecutionRequest,
    ) -> Result<Changed<Value>, ServiceError> {
        let status = request
            .status
            .as_deref()
            .ok_or_else(|| JobsError::invalid("status is required"))?;
        let update = DeviceUpdate {
            status: Some(JobExecutionStatus::parse("status", status)?),
            status_details: request.status_details.clone(),
            expected_version: request.expected_version,
            execution_number: request.execution_number,
            step_timeout_in_minutes: request.step_timeout_in_minutes,
        };
        for _ in 0..repo::MAX_ATTEMPTS {
            let found: Loaded<StoredJobExecution> = self.require_execution(job_id, thing).await?;
            let job = self.job_of(&found.value).await?;
            let now = self.now_secs();
            let after = apply_device_update(&found.value, &update, in_progress_timeout(&job), now)?;
            if let Some(notifications) = self.write_execution(&found, &after).await? {
                let mut result = json!({ "timestamp": now });
                if request.include_job_execution_state {
                    result["executionState"] = json!({
                        "status": after.status,
                        "statusDetails": after.status_details,
                        "versionNumber": after.version_number,
                    });
                }
                if request.include_job_document {
                    let document = job.document.as_deref().unwrap_or("{}");
                    result["jobDocument"] = serde_json::from_str(document)
                        .unwrap_or_else(|_| Value::String(document.into()));
                }
                return Ok(Changed {
                    result,
                    notifications,
                });
            }
        }
        Err(contention(format!("job execution {job_id} on {thing}")))
    }
}
