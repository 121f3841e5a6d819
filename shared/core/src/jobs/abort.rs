//! `abortConfig`: when a criterion is met, the job is canceled (its QUEUED executions too).
//!
//! A criterion is met when at least `minNumberOfExecutedThings` things were notified (have an
//! execution) and failures of its `failureType` are at least `thresholdPercentage` percent of
//! them. Retried executions count as failures only once their retries ran out (until then
//! they are QUEUED again).

use super::config::AbortCriteria;
use super::status::JobExecutionStatus;

/// The `reasonCode` of a job canceled by its abort configuration (our choice; AWS documents
/// none).
pub const ABORT_REASON_CODE: &str = "ABORT_CRITERIA_MET";

/// The first criterion of `criteria` that the statuses of a job's executions meet.
pub fn criteria_met<'c>(
    criteria: &'c [AbortCriteria],
    statuses: &[JobExecutionStatus],
) -> Option<&'c AbortCriteria> {
    let notified = statuses.len() as u64;
    criteria.iter().find(|c| {
        let failures = statuses
            .iter()
            .filter(|s| c.failure_type.matches(**s))
            .count();
        notified >= c.min_number_of_executed_things
            && notified > 0
            && failures as f64 * 100.0 >= c.threshold_percentage * notified as f64
    })
}

/// The comment of a job canceled because `criteria` were met.
pub fn abort_comment(criteria: &AbortCriteria) -> String {
    format!(
        "The job was canceled by its abort configuration: {:?} failures reached {}% of at least {} things",
        criteria.failure_type, criteria.threshold_percentage, criteria.min_number_of_executed_things
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::config::{AbortAction, FailureType};
    use JobExecutionStatus as S;

    fn criteria(failure_type: FailureType, threshold_percentage: f64, min: u64) -> AbortCriteria {
        AbortCriteria {
            failure_type,
            action: AbortAction::Cancel,
            threshold_percentage,
            min_number_of_executed_things: min,
        }
    }

    fn statuses(failed: usize, rejected: usize, ok: usize) -> Vec<JobExecutionStatus> {
        let mut out = vec![S::Failed; failed];
        out.extend(vec![S::Rejected; rejected]);
        out.extend(vec![S::Succeeded; ok]);
        out
    }

    #[test]
    fn a_criterion_is_met_at_its_threshold_once_enough_things_ran() {
        // (criterion, statuses, met)
        let table = [
            (
                criteria(FailureType::Failed, 20.0, 10),
                statuses(2, 0, 8),
                true,
            ),
            (
                criteria(FailureType::Failed, 20.0, 10),
                statuses(1, 0, 9),
                false,
            ),
            (
                criteria(FailureType::Failed, 20.0, 10),
                statuses(2, 0, 3),
                false,
            ),
            (
                criteria(FailureType::Failed, 20.0, 10),
                statuses(0, 5, 5),
                false,
            ),
            (criteria(FailureType::All, 50.0, 4), statuses(1, 1, 2), true),
            (
                criteria(FailureType::Rejected, 10.5, 1),
                statuses(0, 1, 9),
                false,
            ),
            (
                criteria(FailureType::Rejected, 10.0, 1),
                statuses(0, 1, 9),
                true,
            ),
            (criteria(FailureType::TimedOut, 0.0, 1), vec![], false),
        ];
        for (c, s, met) in table {
            let list = [c];
            assert_eq!(criteria_met(&list, &s).is_some(), met, "{c:?} {s:?}");
        }
        let c = criteria(FailureType::Failed, 20.0, 10);
        assert!(abort_comment(&c).contains("20%"));
    }
}
