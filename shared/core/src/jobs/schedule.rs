//! The job scheduler's decision: given a job, the statuses of its executions and `now`, what
//! happens next ([`plan`]). The host's scheduler applies it and asks again at `next_due`.
//!
//! In order:
//! 1. a job that is no longer running (CANCELED, COMPLETED, being deleted) drops its held
//!    targets and leaves the scheduler;
//! 2. a SCHEDULED job waits for `schedulingConfig.startTime`, then is IN_PROGRESS and its
//!    rollout starts;
//! 3. at `endTime`, `endBehavior` applies: STOP_ROLLOUT drops the held targets (released
//!    executions run on), CANCEL and FORCE_CANCEL cancel the job as CancelJob would (with
//!    `force` for FORCE_CANCEL);
//! 4. an `abortConfig` criterion met cancels the job (`reasonCode` [`ABORT_REASON_CODE`]);
//! 5. held targets are released at the rollout's pace ([`super::rollout`]);
//! 6. a SNAPSHOT job with nothing held and every execution terminal is COMPLETED.

use super::abort::{abort_comment, criteria_met, ABORT_REASON_CODE};
use super::config::{EndBehavior, JobConfigs};
use super::execution::completed;
use super::record::StoredJob;
use super::rollout::{rate_per_minute, release};
use super::status::{JobExecutionStatus, JobStatus, TargetSelection};

/// What the scheduler does to a job now.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPlan {
    /// The job as it is to be stored (status, scheduler state with `due_at` set).
    pub job: StoredJob,
    /// How many held targets to release (queue and notify) now.
    pub release: u64,
    /// Whether to drop every held target (they are never notified).
    pub drop_held: bool,
    /// Whether to cancel the job's pending executions, and with `force`.
    pub cancel_executions: Option<bool>,
}

impl JobPlan {
    fn idle(job: StoredJob) -> Self {
        Self {
            job,
            release: 0,
            drop_held: false,
            cancel_executions: None,
        }
    }
}

fn canceled(
    job: &mut StoredJob,
    force: bool,
    reason: Option<&str>,
    comment: Option<String>,
    now: u64,
) {
    job.status = JobStatus::Canceled;
    job.force_canceled = Some(force || job.force_canceled == Some(true));
    if let Some(reason) = reason {
        job.reason_code = Some(reason.to_string());
    }
    if comment.is_some() {
        job.comment = comment;
    }
    job.last_updated_at = now;
}

/// Drops the held targets and ends the scheduler's work on the job.
fn stop(mut plan: JobPlan) -> JobPlan {
    plan.drop_held = plan.job.scheduler.held > 0;
    plan.job.scheduler.held = 0;
    plan.job.scheduler.due_at = None;
    plan
}

/// What happens to `job`, whose executions are in `statuses`, at `now`.
pub fn plan(
    job: &StoredJob,
    configs: &JobConfigs,
    statuses: &[JobExecutionStatus],
    now: u64,
) -> JobPlan {
    let mut plan = JobPlan::idle(job.clone());
    let scheduling = configs.scheduling.unwrap_or_default();
    match job.status {
        JobStatus::Canceled | JobStatus::Completed | JobStatus::DeletionInProgress => {
            return stop(plan)
        }
        JobStatus::Scheduled => match scheduling.start_at {
            Some(start) if now < start => {
                plan.job.scheduler.due_at = Some(start);
                return plan;
            }
            _ => {
                plan.job.status = JobStatus::InProgress;
                plan.job.last_updated_at = now;
                plan.job.scheduler.window_start = now;
                plan.job.scheduler.released_in_window = 0;
            }
        },
        JobStatus::InProgress => {}
    }
    if let Some(end) = scheduling.end_at.filter(|end| now >= *end) {
        match scheduling.end_behavior {
            EndBehavior::StopRollout => {
                plan.drop_held = plan.job.scheduler.held > 0;
                plan.job.scheduler.held = 0;
            }
            behavior => {
                let force = behavior == EndBehavior::ForceCancel;
                let comment = format!("The job was canceled at its scheduled end time {end}");
                canceled(&mut plan.job, force, None, Some(comment), now);
                plan.cancel_executions = Some(force);
                return stop(plan);
            }
        }
    }
    if let Some(criteria) = criteria_met(&configs.abort, statuses) {
        let comment = abort_comment(criteria);
        canceled(
            &mut plan.job,
            false,
            Some(ABORT_REASON_CODE),
            Some(comment),
            now,
        );
        plan.cancel_executions = Some(false);
        return stop(plan);
    }
    let succeeded = statuses
        .iter()
        .filter(|s| **s == JobExecutionStatus::Succeeded)
        .count() as u64;
    let rate = rate_per_minute(configs.rollout.as_ref(), job.scheduler.released, succeeded);
    let released = release(&plan.job.scheduler, rate, now);
    plan.release = released.count;
    plan.job.scheduler = released.state;
    let end_pending = scheduling.end_at.filter(|end| now < *end);
    plan.job.scheduler.due_at = match (released.next_at, end_pending) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let all_terminal = statuses.iter().all(|s| s.is_terminal());
    if plan.release == 0
        && plan.job.scheduler.held == 0
        && all_terminal
        && job.target_selection == TargetSelection::Snapshot
        && plan.job.status == JobStatus::InProgress
    {
        plan.job = completed(&plan.job, now);
        plan.job.scheduler.due_at = None;
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::config::{AbortAction, AbortCriteria, FailureType, RolloutConfig, Scheduling};
    use crate::jobs::rollout::SchedulerState;
    use JobExecutionStatus as S;

    fn job(status: JobStatus, held: u64) -> StoredJob {
        StoredJob {
            scheduler: SchedulerState {
                held,
                ..SchedulerState::default()
            },
            ..StoredJob::sample("j", status)
        }
    }

    fn paced(per_minute: u64) -> JobConfigs {
        JobConfigs {
            rollout: Some(RolloutConfig {
                maximum_per_minute: Some(per_minute),
                exponential_rate: None,
            }),
            ..JobConfigs::default()
        }
    }

    fn scheduled(start: Option<u64>, end: Option<u64>, end_behavior: EndBehavior) -> JobConfigs {
        JobConfigs {
            scheduling: Some(Scheduling {
                start_at: start,
                end_at: end,
                end_behavior,
            }),
            ..paced(10)
        }
    }

    #[test]
    fn a_rollout_releases_at_its_pace_then_completes() {
        let configs = paced(100);
        let mut current = job(JobStatus::InProgress, 250);
        let mut statuses = Vec::new();
        // (now, released, due_at)
        for (now, count, due) in [(0, 100, Some(60)), (60, 100, Some(120)), (120, 50, None)] {
            let decided = plan(&current, &configs, &statuses, now);
            assert_eq!(
                (decided.release, decided.job.scheduler.due_at),
                (count, due),
                "at {now}"
            );
            statuses.extend(vec![S::Queued; count as usize]);
            current = decided.job;
        }
        assert_eq!(current.status, JobStatus::InProgress);
        let done = plan(&current, &configs, &vec![S::Succeeded; 250], 200);
        assert_eq!(done.job.status, JobStatus::Completed);
        assert_eq!(done.job.completed_at, Some(200));
    }

    #[test]
    fn scheduled_jobs_start_at_their_start_time_and_end_by_their_behavior() {
        // (behavior, now, status after, released, drops held, cancels executions)
        let table = [
            (
                EndBehavior::StopRollout,
                500,
                JobStatus::Scheduled,
                0,
                false,
                None,
            ),
            (
                EndBehavior::StopRollout,
                1000,
                JobStatus::InProgress,
                10,
                false,
                None,
            ),
            (
                EndBehavior::StopRollout,
                5000,
                JobStatus::Completed,
                0,
                true,
                None,
            ),
            (
                EndBehavior::Cancel,
                5000,
                JobStatus::Canceled,
                0,
                true,
                Some(false),
            ),
            (
                EndBehavior::ForceCancel,
                5000,
                JobStatus::Canceled,
                0,
                true,
                Some(true),
            ),
        ];
        for (behavior, now, status, released, drops, cancels) in table {
            let configs = scheduled(Some(1000), Some(4000), behavior);
            let decided = plan(&job(JobStatus::Scheduled, 30), &configs, &[], now);
            assert_eq!(decided.job.status, status, "{behavior:?} at {now}");
            assert_eq!(decided.release, released, "{behavior:?} at {now}");
            assert_eq!(decided.drop_held, drops, "{behavior:?} at {now}");
            assert_eq!(decided.cancel_executions, cancels, "{behavior:?} at {now}");
        }
        let waiting = plan(
            &job(JobStatus::Scheduled, 30),
            &scheduled(Some(1000), None, EndBehavior::Cancel),
            &[],
            10,
        );
        assert_eq!(waiting.job.scheduler.due_at, Some(1000));
        let running = plan(
            &job(JobStatus::InProgress, 0),
            &scheduled(None, Some(4000), EndBehavior::Cancel),
            &[S::Queued],
            10,
        );
        assert_eq!(running.job.scheduler.due_at, Some(4000));
        let stopped = plan(
            &job(JobStatus::InProgress, 30),
            &scheduled(None, Some(4000), EndBehavior::StopRollout),
            &[S::Succeeded],
            4000,
        );
        assert_eq!(stopped.job.status, JobStatus::Completed);
    }

    #[test]
    fn an_abort_criterion_met_cancels_the_job() {
        let configs = JobConfigs {
            abort: vec![AbortCriteria {
                failure_type: FailureType::Failed,
                action: AbortAction::Cancel,
                threshold_percentage: 50.0,
                min_number_of_executed_things: 2,
            }],
            ..paced(10)
        };
        let decided = plan(
            &job(JobStatus::InProgress, 5),
            &configs,
            &[S::Failed, S::Queued],
            70,
        );
        assert_eq!(decided.job.status, JobStatus::Canceled);
        assert_eq!(decided.job.reason_code.as_deref(), Some(ABORT_REASON_CODE));
        assert_eq!(decided.job.force_canceled, Some(false));
        assert_eq!(decided.cancel_executions, Some(false));
        assert!(decided.drop_held);
        assert_eq!(decided.release, 0);
        let fine = plan(
            &job(JobStatus::InProgress, 5),
            &configs,
            &[S::Succeeded, S::Queued],
            70,
        );
        assert_eq!((fine.job.status, fine.release), (JobStatus::InProgress, 5));
    }

    #[test]
    fn finished_jobs_leave_the_scheduler() {
        for status in [
            JobStatus::Canceled,
            JobStatus::Completed,
            JobStatus::DeletionInProgress,
        ] {
            let decided = plan(&job(status, 7), &paced(10), &[], 0);
            assert_eq!(decided.job.status, status);
            assert!(decided.drop_held);
            assert_eq!((decided.release, decided.job.scheduler.due_at), (0, None));
        }
    }
}
