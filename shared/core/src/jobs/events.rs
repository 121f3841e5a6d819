//! Jobs events, AWS's topics and payloads ("Jobs events" in the AWS IoT developer guide),
//! published when the event configurations enable `JOB` and `JOB_EXECUTION`:
//!
//! - `$aws/events/job/{jobId}/{completed|canceled|deleted|cancellation_in_progress|deletion_in_progress}`
//!   ([`job_event`]): `eventType` `JOB`, the job's id, status, targets, selection, description,
//!   dates and comment; `jobProcessDetails` (the terminal counts) on `completed` and
//!   `canceled`; `forceCanceled` on `canceled`.
//! - `$aws/events/jobExecution/{jobId}/{succeeded|failed|rejected|canceled|timed_out|removed|deleted}`
//!   ([`execution_event`]): `eventType` `JOB_EXECUTION`, the thing's ARN, the execution's
//!   status (for `deleted`, its status before the deletion) and `statusDetails`.
//!
//! `timestamp` is epoch seconds and the job's `createdAt`, `lastUpdatedAt` and `completedAt`
//! epoch milliseconds, as in AWS's examples. A `completed` event's `status` is the job's,
//! `COMPLETED` (the guide's example shows `SUCCEEDED`, no job status; a documented choice).
//! The caller makes the `eventId` (a UUID on AWS) and passes the clock's now: this is pure.

use super::record::{JobProcessDetails, StoredJob, StoredJobExecution};
use super::status::JobExecutionStatus;
use serde_json::{json, Value};

/// What happened to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOperation {
    /// Every execution of a SNAPSHOT job reached a terminal status.
    Completed,
    /// CancelJob (or the scheduler) finished canceling it.
    Canceled,
    /// DeleteJob finished.
    Deleted,
    /// CancelJob started: the job is CANCELED, its executions not yet.
    CancellationInProgress,
    /// DeleteJob started: the job is DELETION_IN_PROGRESS.
    DeletionInProgress,
}

impl JobOperation {
    /// The `operation` field and the topic's last level.
    pub fn as_str(self) -> &'static str {
        match self {
            JobOperation::Completed => "completed",
            JobOperation::Canceled => "canceled",
            JobOperation::Deleted => "deleted",
            JobOperation::CancellationInProgress => "cancellation_in_progress",
            JobOperation::DeletionInProgress => "deletion_in_progress",
        }
    }

    /// The payload's `status`.
    fn status(self) -> &'static str {
        match self {
            JobOperation::Completed => "COMPLETED",
            JobOperation::Canceled => "CANCELED",
            JobOperation::Deleted => "DELETED",
            JobOperation::CancellationInProgress => "CANCELLATION_IN_PROGRESS",
            JobOperation::DeletionInProgress => "DELETION_IN_PROGRESS",
        }
    }
}

/// What happened to a job execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOperation {
    /// It reached this terminal status.
    Terminal(JobExecutionStatus),
    /// DeleteJobExecution or DeleteJob removed it.
    Deleted,
}

impl ExecutionOperation {
    /// The event for an execution now in `status`: `None` while it is pending.
    pub fn reached(status: JobExecutionStatus) -> Option<Self> {
        status
            .is_terminal()
            .then_some(ExecutionOperation::Terminal(status))
    }

    /// The `operation` field and the topic's last level.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionOperation::Terminal(JobExecutionStatus::Succeeded) => "succeeded",
            ExecutionOperation::Terminal(JobExecutionStatus::Failed) => "failed",
            ExecutionOperation::Terminal(JobExecutionStatus::Rejected) => "rejected",
            ExecutionOperation::Terminal(JobExecutionStatus::TimedOut) => "timed_out",
            ExecutionOperation::Terminal(JobExecutionStatus::Removed) => "removed",
            ExecutionOperation::Terminal(JobExecutionStatus::Canceled) => "canceled",
            // Pending statuses make no event ([`Self::reached`]); named for completeness.
            ExecutionOperation::Terminal(JobExecutionStatus::Queued) => "queued",
            ExecutionOperation::Terminal(JobExecutionStatus::InProgress) => "in_progress",
            ExecutionOperation::Deleted => "deleted",
        }
    }
}

/// `$aws/events/job/{jobId}/{operation}`.
pub fn job_event_topic(job_id: &str, operation: JobOperation) -> String {
    format!("$aws/events/job/{job_id}/{}", operation.as_str())
}

/// `$aws/events/jobExecution/{jobId}/{operation}`.
pub fn execution_event_topic(job_id: &str, operation: ExecutionOperation) -> String {
    format!("$aws/events/jobExecution/{job_id}/{}", operation.as_str())
}

/// The `jobProcessDetails` of a job event: the terminal counts.
fn terminal_counts(details: &JobProcessDetails) -> Value {
    use JobExecutionStatus as S;
    json!({
        "numberOfCanceledThings": details.of(S::Canceled),
        "numberOfRejectedThings": details.of(S::Rejected),
        "numberOfFailedThings": details.of(S::Failed),
        "numberOfRemovedThings": details.of(S::Removed),
        "numberOfSucceededThings": details.of(S::Succeeded),
        "numberOfTimedOutThings": details.of(S::TimedOut),
    })
}

/// A job event: topic and payload. `details` (the counts over the job's executions) is
/// reported on `completed` and `canceled` only.
pub fn job_event(
    job: &StoredJob,
    operation: JobOperation,
    details: Option<&JobProcessDetails>,
    event_id: &str,
    now: u64,
) -> (String, Value) {
    let mut payload = json!({
        "eventType": "JOB",
        "eventId": event_id,
        "timestamp": now,
        "operation": operation.as_str(),
        "jobId": job.job_id,
        "status": operation.status(),
        "targetSelection": job.target_selection,
        "targets": job.targets,
        "createdAt": job.created_at.saturating_mul(1000),
        "lastUpdatedAt": job.last_updated_at.saturating_mul(1000),
    });
    if let Some(description) = &job.description {
        payload["description"] = json!(description);
    }
    if let (JobOperation::Completed, Some(at)) = (operation, job.completed_at) {
        payload["completedAt"] = json!(at.saturating_mul(1000));
    }
    if let Some(comment) = &job.comment {
        payload["comment"] = json!(comment);
    }
    if operation == JobOperation::Canceled {
        payload["forceCanceled"] = json!(job.force_canceled.unwrap_or(false));
    }
    if let (JobOperation::Completed | JobOperation::Canceled, Some(details)) = (operation, details)
    {
        payload["jobProcessDetails"] = terminal_counts(details);
    }
    (job_event_topic(job.job_id.as_str(), operation), payload)
}

/// A job execution event: topic and payload. For [`ExecutionOperation::Deleted`],
/// `execution` is the execution as it was before the deletion.
pub fn execution_event(
    execution: &StoredJobExecution,
    operation: ExecutionOperation,
    event_id: &str,
    now: u64,
) -> (String, Value) {
    let payload = json!({
        "eventType": "JOB_EXECUTION",
        "eventId": event_id,
        "timestamp": now,
        "operation": operation.as_str(),
        "jobId": execution.job_id,
        "thingArn": execution.thing_arn,
        "status": execution.status,
        "statusDetails": execution.status_details,
    });
    (
        execution_event_topic(execution.job_id.as_str(), operation),
        payload,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::names::JobId;
    use crate::jobs::status::JobStatus;
    use JobExecutionStatus as S;

    const THING_ARN: &str = "arn:aws:iot:us-east-1:123456789012:thing/t1";

    fn job() -> StoredJob {
        StoredJob {
            targets: vec![THING_ARN.into()],
            description: Some("firmware".into()),
            created_at: 1_000,
            last_updated_at: 2_000,
            completed_at: Some(2_000),
            ..StoredJob::sample("fw-1", JobStatus::Completed)
        }
    }

    fn execution(status: JobExecutionStatus) -> StoredJobExecution {
        let mut execution = StoredJobExecution::queued(
            JobId::parse("fw-1").unwrap_or_else(|e| panic!("{e}")),
            "t1",
            THING_ARN.into(),
            1_000,
        );
        execution.status = status;
        execution
            .status_details
            .insert("step".into(), "flash".into());
        execution
    }

    #[test]
    fn a_completed_job_reports_its_terminal_counts_and_dates_in_millis() {
        let details = JobProcessDetails::count([S::Succeeded, S::Succeeded, S::Failed]);
        let (topic, payload) = job_event(&job(), JobOperation::Completed, Some(&details), "e-1", 9);
        assert_eq!(topic, "$aws/events/job/fw-1/completed");
        assert_eq!(
            payload,
            json!({
                "eventType": "JOB",
                "eventId": "e-1",
                "timestamp": 9,
                "operation": "completed",
                "jobId": "fw-1",
                "status": "COMPLETED",
                "targetSelection": "SNAPSHOT",
                "targets": [THING_ARN],
                "description": "firmware",
                "createdAt": 1_000_000,
                "lastUpdatedAt": 2_000_000,
                "completedAt": 2_000_000,
                "jobProcessDetails": {
                    "numberOfCanceledThings": 0,
                    "numberOfRejectedThings": 0,
                    "numberOfFailedThings": 1,
                    "numberOfRemovedThings": 0,
                    "numberOfSucceededThings": 2,
                    "numberOfTimedOutThings": 0,
                },
            })
        );
    }

    #[test]
    fn cancel_and_delete_report_their_own_status_and_the_comment() {
        let mut canceled = job();
        canceled.status = JobStatus::Canceled;
        canceled.completed_at = None;
        canceled.force_canceled = Some(true);
        canceled.comment = Some("bad build".into());
        let details = JobProcessDetails::count([S::Canceled]);
        let (topic, payload) =
            job_event(&canceled, JobOperation::Canceled, Some(&details), "e-2", 9);
        assert_eq!(topic, "$aws/events/job/fw-1/canceled");
        assert_eq!(payload["status"], json!("CANCELED"));
        assert_eq!(payload["forceCanceled"], json!(true));
        assert_eq!(payload["comment"], json!("bad build"));
        assert_eq!(
            payload["jobProcessDetails"]["numberOfCanceledThings"],
            json!(1)
        );
        assert!(payload.get("completedAt").is_none());

        for (operation, status) in [
            (
                JobOperation::CancellationInProgress,
                "CANCELLATION_IN_PROGRESS",
            ),
            (JobOperation::DeletionInProgress, "DELETION_IN_PROGRESS"),
            (JobOperation::Deleted, "DELETED"),
        ] {
            let (topic, payload) = job_event(&canceled, operation, Some(&details), "e-3", 9);
            assert_eq!(
                topic,
                format!("$aws/events/job/fw-1/{}", operation.as_str())
            );
            assert_eq!(payload["operation"], json!(operation.as_str()));
            assert_eq!(payload["status"], json!(status));
            assert!(payload.get("jobProcessDetails").is_none(), "{status}");
            assert!(payload.get("forceCanceled").is_none(), "{status}");
        }
    }

    #[test]
    fn an_execution_event_names_the_thing_and_its_status() {
        let (topic, payload) = execution_event(
            &execution(S::Succeeded),
            ExecutionOperation::Terminal(S::Succeeded),
            "e-4",
            9,
        );
        assert_eq!(topic, "$aws/events/jobExecution/fw-1/succeeded");
        assert_eq!(
            payload,
            json!({
                "eventType": "JOB_EXECUTION",
                "eventId": "e-4",
                "timestamp": 9,
                "operation": "succeeded",
                "jobId": "fw-1",
                "thingArn": THING_ARN,
                "status": "SUCCEEDED",
                "statusDetails": {"step": "flash"},
            })
        );
    }

    #[test]
    fn a_deleted_execution_keeps_its_status_before_the_deletion() {
        let (topic, payload) = execution_event(
            &execution(S::InProgress),
            ExecutionOperation::Deleted,
            "e",
            9,
        );
        assert_eq!(topic, "$aws/events/jobExecution/fw-1/deleted");
        assert_eq!(payload["operation"], json!("deleted"));
        assert_eq!(payload["status"], json!("IN_PROGRESS"));
    }

    #[test]
    fn only_terminal_statuses_make_execution_events() {
        let named: Vec<&str> = S::ALL
            .into_iter()
            .filter_map(ExecutionOperation::reached)
            .map(ExecutionOperation::as_str)
            .collect();
        assert_eq!(
            named,
            [
                "succeeded",
                "failed",
                "timed_out",
                "rejected",
                "removed",
                "canceled"
            ]
        );
    }
}
