//! The job execution state machine, as AWS IoT's developer guide documents it:
//!
//! - a device moves QUEUED or IN_PROGRESS to IN_PROGRESS, SUCCEEDED, FAILED or REJECTED;
//!   TIMED_OUT, REMOVED and CANCELED are the service's to set;
//! - a terminal execution refuses every change (`TerminalState`), any other move is
//!   `InvalidStateTransition`; an `expectedVersion` other than the execution's is a
//!   `VersionConflict`; every change adds one to `versionNumber`;
//! - CancelJob and CancelJobExecution cancel QUEUED executions, IN_PROGRESS ones only with
//!   `force` (then `forceCanceled`);
//! - a SNAPSHOT job is COMPLETED when every execution is terminal;
//! - a thing's next execution is its oldest IN_PROGRESS one, else its oldest QUEUED one.

use super::error::{JobsError, JobsResult};
use super::record::{StoredJob, StoredJobExecution};
use super::status::{JobExecutionStatus, JobStatus, TargetSelection};
use std::collections::BTreeMap;

/// Longest step timeout, in minutes (7 days).
pub const MAX_STEP_TIMEOUT_MINUTES: i64 = 10_080;
/// Longest `statusDetails` key.
const MAX_DETAILS_KEY: usize = 128;
/// Longest `statusDetails` value.
const MAX_DETAILS_VALUE: usize = 1024;

/// A device's UpdateJobExecution (MQTT `.../jobs/{jobId}/update` or `iot-jobs-data`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceUpdate {
    /// The new status.
    pub status: Option<JobExecutionStatus>,
    /// Replaces the status details when given.
    pub status_details: Option<BTreeMap<String, String>>,
    /// The version the device last saw.
    pub expected_version: Option<u64>,
    /// The execution the device means.
    pub execution_number: Option<u64>,
    /// A new step timeout (`-1` clears it).
    pub step_timeout_in_minutes: Option<i64>,
}

/// Checks `statusDetails` against the model's limits.
///
/// # Errors
/// `InvalidRequestException` for an empty or too long key or value.
pub fn check_status_details(details: &BTreeMap<String, String>) -> JobsResult<()> {
    for (key, value) in details {
        if key.is_empty() || key.len() > MAX_DETAILS_KEY {
            return Err(JobsError::invalid(format!(
                "statusDetails key {key:?} must have 1 to {MAX_DETAILS_KEY} characters"
            )));
        }
        if value.is_empty() || value.len() > MAX_DETAILS_VALUE {
            return Err(JobsError::invalid(format!(
                "statusDetails value of {key:?} must have 1 to {MAX_DETAILS_VALUE} characters"
            )));
        }
    }
    Ok(())
}

fn step_timeout_at(minutes: i64, now: u64) -> JobsResult<Option<u64>> {
    match minutes {
        -1 => Ok(None),
        1..=MAX_STEP_TIMEOUT_MINUTES => Ok(Some(now + minutes.unsigned_abs() * 60)),
        _ => Err(JobsError::invalid(format!(
            "stepTimeoutInMinutes must be between 1 and {MAX_STEP_TIMEOUT_MINUTES}, or -1"
        ))),
    }
}

fn check_version(execution: &StoredJobExecution, expected: Option<u64>) -> JobsResult<()> {
    match expected {
        Some(expected) if expected != execution.version_number => {
            Err(JobsError::VersionConflict(format!(
                "The expected version {expected} is not the job execution's version {}",
                execution.version_number
            )))
        }
        _ => Ok(()),
    }
}

fn refuse_terminal(execution: &StoredJobExecution) -> JobsResult<()> {
    if execution.status.is_terminal() {
        return Err(JobsError::TerminalState(format!(
            "The job execution of {} on {} is already {}",
            execution.job_id,
            execution.thing_name,
            execution.status.as_str()
        )));
    }
    Ok(())
}

/// Applies a device's update to `execution` at `now`; `in_progress_timeout_minutes` is the
/// job's `timeoutConfig`, started when the execution first goes IN_PROGRESS.
///
/// # Errors
/// `ResourceNotFoundException` for another execution number, `TerminalState`,
/// `VersionConflict`, `InvalidStateTransition`, `InvalidRequestException` for bad details
/// or step timeout.
pub fn apply_device_update(
    execution: &StoredJobExecution,
    update: &DeviceUpdate,
    in_progress_timeout_minutes: Option<u64>,
    now: u64,
) -> JobsResult<StoredJobExecution> {
    if let Some(number) = update.execution_number {
        if number != execution.execution_number {
            return Err(JobsError::not_found(format!(
                "Job execution {number} of {} on {} does not exist",
                execution.job_id, execution.thing_name
            )));
        }
    }
    refuse_terminal(execution)?;
    check_version(execution, update.expected_version)?;
    let status = update
        .status
        .ok_or_else(|| JobsError::invalid("status is required"))?;
    if !matches!(
        status,
        JobExecutionStatus::InProgress
            | JobExecutionStatus::Succeeded
            | JobExecutionStatus::Failed
            | JobExecutionStatus::Rejected
    ) {
        return Err(JobsError::InvalidStateTransition(format!(
            "A device cannot move a job execution from {} to {}",
            execution.status.as_str(),
            status.as_str()
        )));
    }
    let mut next = execution.clone();
    if let Some(details) = &update.status_details {
        check_status_details(details)?;
        next.status_details = details.clone();
    }
    if let Some(minutes) = update.step_timeout_in_minutes {
        if status != JobExecutionStatus::InProgress {
            return Err(JobsError::invalid(
                "stepTimeoutInMinutes applies only to an IN_PROGRESS status",
            ));
        }
        next.step_timeout_at = step_timeout_at(minutes, now)?;
    }
    if execution.status == JobExecutionStatus::Queued && status == JobExecutionStatus::InProgress {
        next.started_at = Some(now);
        next.in_progress_timeout_at = in_progress_timeout_minutes.map(|m| now + m * 60);
    }
    if status.is_terminal() {
        next.step_timeout_at = None;
        next.in_progress_timeout_at = None;
    }
    next.status = status;
    next.last_updated_at = now;
    next.version_number += 1;
    Ok(next)
}

/// Cancels `execution` for CancelJobExecution.
///
/// # Errors
/// `InvalidStateTransition` for a terminal execution or an IN_PROGRESS one without `force`;
/// `VersionConflict`; `InvalidRequestException` for bad details.
pub fn cancel_execution(
    execution: &StoredJobExecution,
    force: bool,
    expected_version: Option<u64>,
    status_details: Option<&BTreeMap<String, String>>,
    now: u64,
) -> JobsResult<StoredJobExecution> {
    if execution.status.is_terminal() {
        return Err(JobsError::InvalidStateTransition(format!(
            "The job execution of {} on {} is already {}",
            execution.job_id,
            execution.thing_name,
            execution.status.as_str()
        )));
    }
    check_version(execution, expected_version)?;
    if execution.status == JobExecutionStatus::InProgress && !force {
        return Err(JobsError::InvalidStateTransition(format!(
            "The job execution of {} on {} is IN_PROGRESS: cancel it with force",
            execution.job_id, execution.thing_name
        )));
    }
    let mut next = canceled(execution, force, now);
    if let Some(details) = status_details {
        check_status_details(details)?;
        next.status_details = details.clone();
    }
    Ok(next)
}

fn canceled(execution: &StoredJobExecution, force: bool, now: u64) -> StoredJobExecution {
    let mut next = execution.clone();
    if execution.status == JobExecutionStatus::InProgress && force {
        next.force_canceled = Some(true);
    }
    next.status = JobExecutionStatus::Canceled;
    next.step_timeout_at = None;
    next.in_progress_timeout_at = None;
    next.last_updated_at = now;
    next.version_number += 1;
    next
}

/// What CancelJob does to one execution: QUEUED ones are canceled, IN_PROGRESS ones with
/// `force`; `None` leaves it as it is.
pub fn cancel_for_job(
    execution: &StoredJobExecution,
    force: bool,
    now: u64,
) -> Option<StoredJobExecution> {
    match execution.status {
        JobExecutionStatus::Queued => Some(canceled(execution, force, now)),
        JobExecutionStatus::InProgress if force => Some(canceled(execution, force, now)),
        _ => None,
    }
}

/// The job after CancelJob.
///
/// # Errors
/// `InvalidRequestException` for a COMPLETED job or one being deleted.
pub fn cancel_job(
    job: &StoredJob,
    force: bool,
    reason_code: Option<String>,
    comment: Option<String>,
    now: u64,
) -> JobsResult<StoredJob> {
    if matches!(
        job.status,
        JobStatus::Completed | JobStatus::DeletionInProgress
    ) {
        return Err(JobsError::invalid(format!(
            "Job {} is {} and cannot be canceled",
            job.job_id,
            job.status.as_str()
        )));
    }
    let mut next = job.clone();
    next.status = JobStatus::Canceled;
    next.force_canceled = Some(force || job.force_canceled == Some(true));
    if reason_code.is_some() {
        next.reason_code = reason_code;
    }
    if comment.is_some() {
        next.comment = comment;
    }
    next.last_updated_at = now;
    Ok(next)
}

/// Whether DeleteJob may delete `job`: one in progress (or scheduled) needs `force`.
///
/// # Errors
/// `InvalidStateTransition` without `force` for a job that is not COMPLETED or CANCELED.
pub fn check_delete_job(job: &StoredJob, force: bool) -> JobsResult<()> {
    if force || matches!(job.status, JobStatus::Completed | JobStatus::Canceled) {
        return Ok(());
    }
    Err(JobsError::InvalidStateTransition(format!(
        "Job {} is {}: delete it with force",
        job.job_id,
        job.status.as_str()
    )))
}

/// Whether DeleteJobExecution may delete `execution`: a pending one needs `force`.
///
/// # Errors
/// `InvalidStateTransition` without `force` for a QUEUED or IN_PROGRESS execution.
pub fn check_delete_execution(execution: &StoredJobExecution, force: bool) -> JobsResult<()> {
    if force || execution.status.is_terminal() {
        return Ok(());
    }
    Err(JobsError::InvalidStateTransition(format!(
        "The job execution of {} on {} is {}: delete it with force",
        execution.job_id,
        execution.thing_name,
        execution.status.as_str()
    )))
}

/// Whether `job` is complete given the statuses of all its executions: a SNAPSHOT job in
/// progress, none of its targets still held by the scheduler, whose executions are all
/// terminal.
pub fn is_complete(job: &StoredJob, statuses: &[JobExecutionStatus]) -> bool {
    job.target_selection == TargetSelection::Snapshot
        && job.status == JobStatus::InProgress
        && job.scheduler.held == 0
        && statuses.iter().all(|s| s.is_terminal())
}

/// The job marked COMPLETED at `now`.
pub fn completed(job: &StoredJob, now: u64) -> StoredJob {
    let mut next = job.clone();
    next.status = JobStatus::Completed;
    next.completed_at = Some(now);
    next.last_updated_at = now;
    next
}

/// A thing's next execution among its `executions`: the oldest IN_PROGRESS one, else the
/// oldest QUEUED one (ties by job id).
pub fn next_pending(executions: &[StoredJobExecution]) -> Option<&StoredJobExecution> {
    let oldest = |status| {
        executions
            .iter()
            .filter(move |e| e.status == status)
            .min_by(|a, b| (a.queued_at, &a.job_id).cmp(&(b.queued_at, &b.job_id)))
    };
    oldest(JobExecutionStatus::InProgress).or_else(|| oldest(JobExecutionStatus::Queued))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::names::JobId;
    use JobExecutionStatus as S;

    fn execution(status: JobExecutionStatus) -> StoredJobExecution {
        let job = JobId::parse("j1").unwrap_or_else(|e| panic!("{e}"));
        let mut e = StoredJobExecution::queued(job, "t1", "arn:t1".into(), 100);
        e.status = status;
        e
    }

    fn update(status: JobExecutionStatus) -> DeviceUpdate {
        DeviceUpdate {
            status: Some(status),
            ..DeviceUpdate::default()
        }
    }

    #[test]
    fn devices_move_pending_executions_forward() {
        for from in [S::Queued, S::InProgress] {
            for to in [S::InProgress, S::Succeeded, S::Failed, S::Rejected] {
                let next = apply_device_update(&execution(from), &update(to), None, 200)
                    .unwrap_or_else(|e| panic!("{from:?}->{to:?}: {e}"));
                assert_eq!(next.status, to);
                assert_eq!(next.version_number, 2);
                assert_eq!(next.last_updated_at, 200);
            }
        }
    }

    #[test]
    fn starting_records_the_time_and_timeouts() {
        let mut u = update(S::InProgress);
        u.step_timeout_in_minutes = Some(5);
        let next = apply_device_update(&execution(S::Queued), &u, Some(60), 200)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.started_at, Some(200));
        assert_eq!(next.step_timeout_at, Some(500));
        assert_eq!(next.in_progress_timeout_at, Some(3800));
        u.step_timeout_in_minutes = Some(0);
        assert!(apply_device_update(&execution(S::Queued), &u, None, 200).is_err());
    }

    #[test]
    fn terminal_executions_refuse_every_change() {
        for from in [
            S::Succeeded,
            S::Failed,
            S::TimedOut,
            S::Rejected,
            S::Removed,
            S::Canceled,
        ] {
            assert!(matches!(
                apply_device_update(&execution(from), &update(S::InProgress), None, 200),
                Err(JobsError::TerminalState(_))
            ));
        }
    }

    #[test]
    fn devices_cannot_set_the_services_statuses() {
        for to in [S::Queued, S::TimedOut, S::Removed, S::Canceled] {
            assert!(matches!(
                apply_device_update(&execution(S::InProgress), &update(to), None, 200),
                Err(JobsError::InvalidStateTransition(_))
            ));
        }
    }

    #[test]
    fn a_wrong_expected_version_is_a_conflict() {
        let mut u = update(S::Succeeded);
        u.expected_version = Some(7);
        assert!(matches!(
            apply_device_update(&execution(S::InProgress), &u, None, 200),
            Err(JobsError::VersionConflict(_))
        ));
        u.expected_version = Some(1);
        assert!(apply_device_update(&execution(S::InProgress), &u, None, 200).is_ok());
        u.execution_number = Some(2);
        assert!(matches!(
            apply_device_update(&execution(S::InProgress), &u, None, 200),
            Err(JobsError::ResourceNotFound(_))
        ));
    }

    #[test]
    fn in_progress_executions_cancel_only_with_force() {
        assert!(matches!(
            cancel_execution(&execution(S::InProgress), false, None, None, 200),
            Err(JobsError::InvalidStateTransition(_))
        ));
        let forced = cancel_execution(&execution(S::InProgress), true, None, None, 200)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(forced.status, S::Canceled);
        assert_eq!(forced.force_canceled, Some(true));
        let queued = cancel_execution(&execution(S::Queued), false, Some(1), None, 200)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(queued.force_canceled, None);
        assert!(cancel_execution(&execution(S::Queued), false, Some(3), None, 200).is_err());
        assert!(cancel_execution(&execution(S::Succeeded), true, None, None, 200).is_err());
        assert!(cancel_for_job(&execution(S::InProgress), false, 200).is_none());
        assert!(cancel_for_job(&execution(S::Queued), false, 200).is_some());
        assert!(cancel_for_job(&execution(S::Failed), true, 200).is_none());
    }

    #[test]
    fn the_next_execution_is_the_oldest_in_progress_then_queued() {
        let mut a = execution(S::Queued);
        a.queued_at = 10;
        let mut b = execution(S::InProgress);
        b.queued_at = 50;
        b.job_id = JobId::parse("j2").unwrap_or_else(|e| panic!("{e}"));
        let c = execution(S::Succeeded);
        let all = vec![a.clone(), b.clone(), c];
        assert_eq!(next_pending(&all).map(|e| e.job_id.as_str()), Some("j2"));
        assert_eq!(next_pending(&all[..1]).map(|e| e.queued_at), Some(10));
        assert!(next_pending(&[]).is_none());
    }

    #[test]
    fn pending_deletes_need_force() {
        assert!(check_delete_execution(&execution(S::Queued), false).is_err());
        assert!(check_delete_execution(&execution(S::Queued), true).is_ok());
        assert!(check_delete_execution(&execution(S::Failed), false).is_ok());
    }
}
