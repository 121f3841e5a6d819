//! The states of jobs and job executions, and how a job picks its targets.

use super::error::{JobsError, JobsResult};
use serde::{Deserialize, Serialize};

/// A job's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Executions are queued or running.
    InProgress,
    /// CancelJob was called.
    Canceled,
    /// Every execution of a SNAPSHOT job reached a terminal state.
    Completed,
    /// DeleteJob is removing it.
    DeletionInProgress,
    /// Waiting for its scheduled start.
    Scheduled,
}

/// A job execution's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobExecutionStatus {
    /// Waiting for the device.
    Queued,
    /// The device started it.
    InProgress,
    /// The device finished it.
    Succeeded,
    /// The device failed it.
    Failed,
    /// It ran past its timeout.
    TimedOut,
    /// The device refused it.
    Rejected,
    /// Its thing left the targets of a CONTINUOUS job.
    Removed,
    /// CancelJob or CancelJobExecution stopped it.
    Canceled,
}

impl JobExecutionStatus {
    /// Every status, in the model's order.
    pub const ALL: [JobExecutionStatus; 8] = [
        JobExecutionStatus::Queued,
        JobExecutionStatus::InProgress,
        JobExecutionStatus::Succeeded,
        JobExecutionStatus::Failed,
        JobExecutionStatus::TimedOut,
        JobExecutionStatus::Rejected,
        JobExecutionStatus::Removed,
        JobExecutionStatus::Canceled,
    ];

    /// Whether no further change is possible.
    pub fn is_terminal(self) -> bool {
        !self.is_pending()
    }

    /// Whether it waits for or is run by the device (QUEUED, IN_PROGRESS).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            JobExecutionStatus::Queued | JobExecutionStatus::InProgress
        )
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobExecutionStatus::Queued => "QUEUED",
            JobExecutionStatus::InProgress => "IN_PROGRESS",
            JobExecutionStatus::Succeeded => "SUCCEEDED",
            JobExecutionStatus::Failed => "FAILED",
            JobExecutionStatus::TimedOut => "TIMED_OUT",
            JobExecutionStatus::Rejected => "REJECTED",
            JobExecutionStatus::Removed => "REMOVED",
            JobExecutionStatus::Canceled => "CANCELED",
        }
    }

    /// A status sent in `field`.
    ///
    /// # Errors
    /// `InvalidRequestException` for an unknown status.
    pub fn parse(field: &str, text: &str) -> JobsResult<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                JobsError::invalid(format!("{field} {text:?} is not a job execution status"))
            })
    }
}

impl JobStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::InProgress => "IN_PROGRESS",
            JobStatus::Canceled => "CANCELED",
            JobStatus::Completed => "COMPLETED",
            JobStatus::DeletionInProgress => "DELETION_IN_PROGRESS",
            JobStatus::Scheduled => "SCHEDULED",
        }
    }

    /// A status sent in `field`.
    ///
    /// # Errors
    /// `InvalidRequestException` for an unknown status.
    pub fn parse(field: &str, text: &str) -> JobsResult<Self> {
        [
            JobStatus::InProgress,
            JobStatus::Canceled,
            JobStatus::Completed,
            JobStatus::DeletionInProgress,
            JobStatus::Scheduled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| JobsError::invalid(format!("{field} {text:?} is not a job status")))
    }
}

/// Whether a job runs on its targets once (SNAPSHOT) or also on things that join a targeted
/// group later (CONTINUOUS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetSelection {
    /// Once, on the targets of the moment (the default).
    #[default]
    Snapshot,
    /// Also on things added to a targeted group later.
    Continuous,
}

impl TargetSelection {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetSelection::Snapshot => "SNAPSHOT",
            TargetSelection::Continuous => "CONTINUOUS",
        }
    }

    /// A target selection sent in `field`.
    ///
    /// # Errors
    /// `InvalidRequestException` for anything but SNAPSHOT or CONTINUOUS.
    pub fn parse(field: &str, text: &str) -> JobsResult<Self> {
        match text {
            "SNAPSHOT" => Ok(TargetSelection::Snapshot),
            "CONTINUOUS" => Ok(TargetSelection::Continuous),
            _ => Err(JobsError::invalid(format!(
                "{field} {text:?} is not SNAPSHOT or CONTINUOUS"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_queued_and_in_progress_are_pending() {
        let pending: Vec<_> = JobExecutionStatus::ALL
            .into_iter()
            .filter(|s| s.is_pending())
            .collect();
        assert_eq!(
            pending,
            [JobExecutionStatus::Queued, JobExecutionStatus::InProgress]
        );
        assert!(JobExecutionStatus::Canceled.is_terminal());
    }

    #[test]
    fn statuses_parse_their_wire_names() {
        for s in JobExecutionStatus::ALL {
            assert_eq!(
                JobExecutionStatus::parse("status", s.as_str()).ok(),
                Some(s)
            );
        }
        assert!(JobExecutionStatus::parse("status", "queued").is_err());
        assert_eq!(
            JobStatus::parse("status", "COMPLETED").ok(),
            Some(JobStatus::Completed)
        );
        assert!(TargetSelection::parse("targetSelection", "ONCE").is_err());
        assert_eq!(
            serde_json::to_value(JobStatus::DeletionInProgress).ok(),
            Some(serde_json::json!("DELETION_IN_PROGRESS"))
        );
    }
}
