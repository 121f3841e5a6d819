//! Timeouts and retries of job executions:
//!
//! - an IN_PROGRESS execution times out (TIMED_OUT) at the earlier of its step timer
//!   (`stepTimeoutInMinutes` from StartNextPendingJobExecution or UpdateJobExecution, reset by
//!   each new one, `-1` clears it) and its in-progress timer (`timeoutConfig`, started when
//!   the execution first went IN_PROGRESS, never reset);
//! - a FAILED or TIMED_OUT execution is retried while `jobExecutionsRetryConfig` allows: it
//!   goes back to QUEUED as a new attempt, `retryAttempt` one more, the same
//!   `executionNumber` (our reading: one execution per job and thing, as DeleteJobExecution
//!   names it), `versionNumber` one more. The criterion of the failure's own type counts,
//!   else the `ALL` one; an attempt is made while `retryAttempt` is below its
//!   `numberOfRetries`.

use super::config::{FailureType, RetryCriteria};
use super::record::StoredJobExecution;
use super::status::JobExecutionStatus;

/// When `execution` times out, if it runs a timer.
pub fn timeout_at(execution: &StoredJobExecution) -> Option<u64> {
    if execution.status != JobExecutionStatus::InProgress {
        return None;
    }
    [execution.step_timeout_at, execution.in_progress_timeout_at]
        .into_iter()
        .flatten()
        .min()
}

/// `execution` TIMED_OUT at `now`, when a timer ran out.
pub fn timed_out(execution: &StoredJobExecution, now: u64) -> Option<StoredJobExecution> {
    let at = timeout_at(execution)?;
    if now < at {
        return None;
    }
    let mut next = execution.clone();
    next.status = JobExecutionStatus::TimedOut;
    next.step_timeout_at = None;
    next.in_progress_timeout_at = None;
    next.last_updated_at = now;
    next.version_number += 1;
    Some(next)
}

/// How many retries `criteria` allow after a failure in `status`.
pub fn retries_allowed(criteria: &[RetryCriteria], status: JobExecutionStatus) -> u64 {
    let own = criteria
        .iter()
        .find(|c| c.failure_type != FailureType::All && c.failure_type.matches(status));
    let all = criteria.iter().find(|c| c.failure_type == FailureType::All);
    own.or(all)
        .filter(|c| c.failure_type.matches(status))
        .map_or(0, |c| c.number_of_retries)
}

/// The next attempt of a FAILED or TIMED_OUT `execution` at `now`, if `criteria` allow one.
pub fn retry(
    execution: &StoredJobExecution,
    criteria: &[RetryCriteria],
    now: u64,
) -> Option<StoredJobExecution> {
    if !matches!(
        execution.status,
        JobExecutionStatus::Failed | JobExecutionStatus::TimedOut
    ) || execution.retry_attempt >= retries_allowed(criteria, execution.status)
    {
        return None;
    }
    let mut next = execution.clone();
    next.status = JobExecutionStatus::Queued;
    next.retry_attempt += 1;
    next.started_at = None;
    next.step_timeout_at = None;
    next.in_progress_timeout_at = None;
    next.queued_at = now;
    next.last_updated_at = now;
    next.version_number += 1;
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::names::JobId;
    use JobExecutionStatus as S;

    fn execution(
        status: JobExecutionStatus,
        step: Option<u64>,
        whole: Option<u64>,
    ) -> StoredJobExecution {
        let job = JobId::parse("j").unwrap_or_else(|e| panic!("{e}"));
        let mut e = StoredJobExecution::queued(job, "t", "arn:t".into(), 100);
        e.status = status;
        e.step_timeout_at = step;
        e.in_progress_timeout_at = whole;
        e
    }

    #[test]
    fn the_earlier_timer_times_an_execution_out() {
        // (status, step timer, in-progress timer, now, timed out)
        let table = [
            (S::InProgress, Some(500), Some(900), 499, false),
            (S::InProgress, Some(500), Some(900), 500, true),
            (S::InProgress, None, Some(900), 899, false),
            (S::InProgress, None, Some(900), 900, true),
            (S::InProgress, Some(950), Some(900), 920, true),
            (S::InProgress, None, None, 10_000, false),
            (S::Queued, Some(500), None, 10_000, false),
            (S::Succeeded, Some(500), None, 10_000, false),
        ];
        for (status, step, whole, now, expected) in table {
            let decided = timed_out(&execution(status, step, whole), now);
            assert_eq!(
                decided.is_some(),
                expected,
                "{status:?} {step:?} {whole:?} {now}"
            );
            if let Some(next) = decided {
                assert_eq!(next.status, S::TimedOut);
                assert_eq!((next.version_number, next.last_updated_at), (2, now));
                assert_eq!(timeout_at(&next), None);
            }
        }
    }

    #[test]
    fn retries_count_the_failures_own_criterion_then_all() {
        let c = |failure_type, number_of_retries| RetryCriteria {
            failure_type,
            number_of_retries,
        };
        // (criteria, status, allowed)
        let table = [
            (vec![c(FailureType::Failed, 2)], S::Failed, 2),
            (vec![c(FailureType::Failed, 2)], S::TimedOut, 0),
            (vec![c(FailureType::All, 3)], S::TimedOut, 3),
            (
                vec![c(FailureType::All, 3), c(FailureType::TimedOut, 1)],
                S::TimedOut,
                1,
            ),
            (
                vec![c(FailureType::All, 3), c(FailureType::TimedOut, 1)],
                S::Failed,
                3,
            ),
            (vec![], S::Failed, 0),
        ];
        for (criteria, status, allowed) in table {
            assert_eq!(
                retries_allowed(&criteria, status),
                allowed,
                "{criteria:?} {status:?}"
            );
        }
    }

    #[test]
    fn a_retry_queues_a_new_attempt_until_the_retries_run_out() {
        let criteria = [RetryCriteria {
            failure_type: FailureType::All,
            number_of_retries: 2,
        }];
        let mut e = execution(S::TimedOut, None, None);
        e.started_at = Some(150);
        for attempt in 1..=2 {
            let next = retry(&e, &criteria, 300).unwrap_or_else(|| panic!("attempt {attempt}"));
            assert_eq!(next.status, S::Queued);
            assert_eq!(next.retry_attempt, attempt);
            assert_eq!(next.execution_number, 1);
            assert_eq!((next.started_at, next.queued_at), (None, 300));
            e = next;
            e.status = S::Failed;
        }
        assert!(retry(&e, &criteria, 400).is_none());
        assert!(retry(&execution(S::Rejected, None, None), &criteria, 400).is_none());
        assert!(retry(&execution(S::Succeeded, None, None), &criteria, 400).is_none());
    }
}
