//! The job configurations the scheduler acts on, typed from what CreateJob and UpdateJob keep
//! as sent ([`StoredJob::configs`](super::StoredJob)) and checked against the model's ranges:
//! `jobExecutionsRolloutConfig`, `abortConfig`, `timeoutConfig`, `jobExecutionsRetryConfig`
//! and `schedulingConfig` (`maintenanceWindows` are kept, not acted on).

use super::error::{JobsError, JobsResult};
use super::status::JobExecutionStatus;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Most executions a rollout notifies per minute (the model's `maximumPerMinute` maximum).
pub const MAX_PER_MINUTE: u64 = 1000;
/// Most retries a criterion allows (the model's `numberOfRetries` maximum).
pub const MAX_RETRIES: u64 = 10;
/// Longest in-progress timeout, in minutes (7 days, as step timeouts).
pub const MAX_IN_PROGRESS_MINUTES: u64 = 10_080;
/// Shortest scheduled window: `endTime` at least 30 minutes after `startTime`.
pub const MIN_SCHEDULED_SECONDS: u64 = 30 * 60;

/// The kinds of failure abort and retry criteria count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureType {
    /// FAILED executions.
    Failed,
    /// REJECTED executions (abort criteria only).
    Rejected,
    /// TIMED_OUT executions.
    TimedOut,
    /// Any of them.
    All,
}

impl FailureType {
    /// Whether an execution in `status` is a failure of this type.
    pub fn matches(self, status: JobExecutionStatus) -> bool {
        use JobExecutionStatus as S;
        match self {
            FailureType::Failed => status == S::Failed,
            FailureType::Rejected => status == S::Rejected,
            FailureType::TimedOut => status == S::TimedOut,
            FailureType::All => matches!(status, S::Failed | S::Rejected | S::TimedOut),
        }
    }
}

/// `rateIncreaseCriteria`: the rate steps up after every this many things notified or
/// succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateIncreaseCriteria {
    /// `numberOfNotifiedThings`.
    pub number_of_notified_things: Option<u64>,
    /// `numberOfSucceededThings`.
    pub number_of_succeeded_things: Option<u64>,
}

/// `exponentialRate`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExponentialRate {
    /// `baseRatePerMinute`: the rate at the start.
    pub base_rate_per_minute: u64,
    /// `incrementFactor`: what the rate is multiplied by at each step.
    pub increment_factor: f64,
    /// `rateIncreaseCriteria`.
    pub rate_increase_criteria: RateIncreaseCriteria,
}

/// `jobExecutionsRolloutConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutConfig {
    /// `maximumPerMinute`.
    pub maximum_per_minute: Option<u64>,
    /// `exponentialRate`.
    pub exponential_rate: Option<ExponentialRate>,
}

/// One of `abortConfig.criteriaList`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbortCriteria {
    /// `failureType`.
    pub failure_type: FailureType,
    /// `action` (only `CANCEL` exists).
    pub action: AbortAction,
    /// `thresholdPercentage`.
    pub threshold_percentage: f64,
    /// `minNumberOfExecutedThings`.
    pub min_number_of_executed_things: u64,
}

/// What an abort does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AbortAction {
    /// Cancel the job.
    Cancel,
}

/// One of `jobExecutionsRetryConfig.criteriaList`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryCriteria {
    /// `failureType` (FAILED, TIMED_OUT or ALL).
    pub failure_type: FailureType,
    /// `numberOfRetries`.
    pub number_of_retries: u64,
}

/// What happens at a scheduled job's `endTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EndBehavior {
    /// No more things are notified; executions already out run on (the default).
    #[default]
    StopRollout,
    /// The job is canceled: queued executions too.
    Cancel,
    /// The job is canceled with force: in-progress executions too.
    ForceCancel,
}

/// `schedulingConfig`, its times as epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scheduling {
    /// `startTime`.
    pub start_at: Option<u64>,
    /// `endTime`.
    pub end_at: Option<u64>,
    /// `endBehavior`.
    pub end_behavior: EndBehavior,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchedulingWire {
    start_time: Option<String>,
    end_time: Option<String>,
    #[serde(default)]
    end_behavior: EndBehavior,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CriteriaList<T> {
    criteria_list: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TimeoutWire {
    in_progress_timeout_in_minutes: Option<u64>,
}

/// A job's configurations, typed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobConfigs {
    /// `jobExecutionsRolloutConfig`.
    pub rollout: Option<RolloutConfig>,
    /// `abortConfig.criteriaList`.
    pub abort: Vec<AbortCriteria>,
    /// `timeoutConfig.inProgressTimeoutInMinutes`.
    pub in_progress_timeout_minutes: Option<u64>,
    /// `jobExecutionsRetryConfig.criteriaList`.
    pub retry: Vec<RetryCriteria>,
    /// `schedulingConfig`.
    pub scheduling: Option<Scheduling>,
}

fn field<T: DeserializeOwned>(configs: &Map<String, Value>, name: &str) -> JobsResult<Option<T>> {
    match configs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|e| JobsError::invalid(format!("{name} is not valid: {e}"))),
    }
}

fn check(ok: bool, message: &str) -> JobsResult<()> {
    if ok {
        Ok(())
    } else {
        Err(JobsError::invalid(message))
    }
}

/// A `schedulingConfig` time: `yyyy-MM-ddTHH:mm` (seconds and a `Z` allowed), UTC.
///
/// # Errors
/// `InvalidRequestException` for another shape.
pub fn parse_time(field: &str, text: &str) -> JobsResult<u64> {
    let bad = || JobsError::invalid(format!("{field} {text:?} is not a yyyy-MM-ddTHH:mm time"));
    let trimmed = text.strip_suffix('Z').unwrap_or(text);
    let civil: jiff::civil::DateTime = trimmed.parse().map_err(|_| bad())?;
    let zoned = civil.to_zoned(jiff::tz::TimeZone::UTC).map_err(|_| bad())?;
    u64::try_from(zoned.timestamp().as_second()).map_err(|_| bad())
}

fn check_rollout(rollout: &RolloutConfig) -> JobsResult<()> {
    if let Some(max) = rollout.maximum_per_minute {
        check(
            (1..=MAX_PER_MINUTE).contains(&max),
            "maximumPerMinute must be between 1 and 1000",
        )?;
    }
    if let Some(rate) = &rollout.exponential_rate {
        check(
            (1..=MAX_PER_MINUTE).contains(&rate.base_rate_per_minute),
            "baseRatePerMinute must be between 1 and 1000",
        )?;
        check(
            (1.1..=5.0).contains(&rate.increment_factor),
            "incrementFactor must be between 1.1 and 5",
        )?;
        let criteria = rate.rate_increase_criteria;
        let positive = |n: Option<u64>| n.is_none_or(|n| n >= 1);
        check(
            (criteria.number_of_notified_things.is_some()
                || criteria.number_of_succeeded_things.is_some())
                && positive(criteria.number_of_notified_things)
                && positive(criteria.number_of_succeeded_things),
            "rateIncreaseCriteria needs numberOfNotifiedThings or numberOfSucceededThings of at least 1",
        )?;
    }
    Ok(())
}

impl JobConfigs {
    /// The configurations among a job's kept `configs`.
    ///
    /// # Errors
    /// `InvalidRequestException` for a configuration out of the model's shape or ranges.
    pub fn parse(configs: &Map<String, Value>) -> JobsResult<Self> {
        let rollout: Option<RolloutConfig> = field(configs, "jobExecutionsRolloutConfig")?;
        if let Some(rollout) = &rollout {
            check_rollout(rollout)?;
        }
        let abort = field::<CriteriaList<AbortCriteria>>(configs, "abortConfig")?
            .map(|c| c.criteria_list)
            .unwrap_or_default();
        for criteria in &abort {
            check(
                (0.0..=100.0).contains(&criteria.threshold_percentage),
                "thresholdPercentage must be between 0 and 100",
            )?;
            check(
                criteria.min_number_of_executed_things >= 1,
                "minNumberOfExecutedThings must be at least 1",
            )?;
        }
        let in_progress_timeout_minutes = field::<TimeoutWire>(configs, "timeoutConfig")?
            .and_then(|t| t.in_progress_timeout_in_minutes);
        if let Some(minutes) = in_progress_timeout_minutes {
            check(
                (1..=MAX_IN_PROGRESS_MINUTES).contains(&minutes),
                "inProgressTimeoutInMinutes must be between 1 and 10080",
            )?;
        }
        let retry = field::<CriteriaList<RetryCriteria>>(configs, "jobExecutionsRetryConfig")?
            .map(|c| c.criteria_list)
            .unwrap_or_default();
        for criteria in &retry {
            check(
                criteria.failure_type != FailureType::Rejected,
                "a retry failureType is FAILED, TIMED_OUT or ALL",
            )?;
            check(
                criteria.number_of_retries <= MAX_RETRIES,
                "numberOfRetries must be between 0 and 10",
            )?;
        }
        let scheduling = field::<SchedulingWire>(configs, "schedulingConfig")?
            .map(|wire| -> JobsResult<Scheduling> {
                let start_at = wire
                    .start_time
                    .as_deref()
                    .map(|t| parse_time("startTime", t))
                    .transpose()?;
                let end_at = wire
                    .end_time
                    .as_deref()
                    .map(|t| parse_time("endTime", t))
                    .transpose()?;
                if let (Some(start), Some(end)) = (start_at, end_at) {
                    check(
                        end >= start + MIN_SCHEDULED_SECONDS,
                        "endTime must be at least 30 minutes after startTime",
                    )?;
                }
                Ok(Scheduling {
                    start_at,
                    end_at,
                    end_behavior: wire.end_behavior,
                })
            })
            .transpose()?;
        Ok(Self {
            rollout,
            abort,
            in_progress_timeout_minutes,
            retry,
            scheduling,
        })
    }

    /// Whether the scheduler paces or schedules this job's notifications (its targets are
    /// held and released by the scheduler rather than all queued at creation).
    pub fn is_scheduled(&self) -> bool {
        self.rollout.is_some() || self.scheduling.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> JobsResult<JobConfigs> {
        match value {
            Value::Object(map) => JobConfigs::parse(&map),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn every_configuration_is_typed() {
        let configs = parse(json!({
            "jobExecutionsRolloutConfig": {"maximumPerMinute": 100, "exponentialRate": {
                "baseRatePerMinute": 10, "incrementFactor": 2.0,
                "rateIncreaseCriteria": {"numberOfNotifiedThings": 50}}},
            "abortConfig": {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
                "thresholdPercentage": 20.5, "minNumberOfExecutedThings": 10}]},
            "timeoutConfig": {"inProgressTimeoutInMinutes": 30},
            "jobExecutionsRetryConfig": {"criteriaList": [{"failureType": "TIMED_OUT", "numberOfRetries": 2}]},
            "schedulingConfig": {"startTime": "2026-12-07T14:00", "endTime": "2026-12-07T15:00",
                "endBehavior": "CANCEL"},
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            configs.rollout.and_then(|r| r.maximum_per_minute),
            Some(100)
        );
        assert_eq!(configs.abort[0].failure_type, FailureType::Failed);
        assert_eq!(configs.in_progress_timeout_minutes, Some(30));
        assert_eq!(configs.retry[0].number_of_retries, 2);
        let scheduling = configs.scheduling.unwrap_or_default();
        assert_eq!(scheduling.start_at, Some(1_796_652_000));
        assert_eq!(scheduling.end_at, Some(1_796_655_600));
        assert_eq!(scheduling.end_behavior, EndBehavior::Cancel);
        assert!(configs.is_scheduled());
        assert!(!parse(json!({"timeoutConfig": {}}))
            .unwrap_or_default()
            .is_scheduled());
    }

    #[test]
    fn out_of_range_configurations_are_refused() {
        for bad in [
            json!({"jobExecutionsRolloutConfig": {"maximumPerMinute": 0}}),
            json!({"jobExecutionsRolloutConfig": {"maximumPerMinute": 1001}}),
            json!({"jobExecutionsRolloutConfig": {"exponentialRate": {"baseRatePerMinute": 5,
                "incrementFactor": 1.0, "rateIncreaseCriteria": {"numberOfNotifiedThings": 5}}}}),
            json!({"jobExecutionsRolloutConfig": {"exponentialRate": {"baseRatePerMinute": 5,
                "incrementFactor": 2.0, "rateIncreaseCriteria": {}}}}),
            json!({"abortConfig": {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
                "thresholdPercentage": 101, "minNumberOfExecutedThings": 1}]}}),
            json!({"abortConfig": {"criteriaList": [{"failureType": "FAILED", "action": "STOP",
                "thresholdPercentage": 1, "minNumberOfExecutedThings": 1}]}}),
            json!({"timeoutConfig": {"inProgressTimeoutInMinutes": 0}}),
            json!({"jobExecutionsRetryConfig": {"criteriaList": [{"failureType": "ALL", "numberOfRetries": 11}]}}),
            json!({"jobExecutionsRetryConfig": {"criteriaList": [{"failureType": "REJECTED", "numberOfRetries": 1}]}}),
            json!({"schedulingConfig": {"startTime": "tomorrow"}}),
            json!({"schedulingConfig": {"startTime": "2026-12-07T14:00", "endTime": "2026-12-07T14:10"}}),
        ] {
            assert!(
                matches!(parse(bad.clone()), Err(JobsError::InvalidRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn failure_types_match_their_statuses() {
        use JobExecutionStatus as S;
        let table = [
            (FailureType::Failed, S::Failed, true),
            (FailureType::Failed, S::TimedOut, false),
            (FailureType::TimedOut, S::TimedOut, true),
            (FailureType::Rejected, S::Rejected, true),
            (FailureType::All, S::Rejected, true),
            (FailureType::All, S::Canceled, false),
            (FailureType::All, S::Succeeded, false),
        ];
        for (kind, status, expected) in table {
            assert_eq!(kind.matches(status), expected, "{kind:?} {status:?}");
        }
    }
}
