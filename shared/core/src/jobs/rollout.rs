//! Rollout pacing: how many of a job's held targets the scheduler releases (queues and
//! notifies) at a moment, per `jobExecutionsRolloutConfig`.
//!
//! - A job with a rollout or scheduling configuration holds its targets: a thing not yet
//!   reached has no execution at all (as on AWS, where executions are created QUEUED as the
//!   rollout reaches them), so a device sees nothing until its slot. DescribeJob counts only
//!   released executions.
//! - Releases happen in minute windows: at most the rate's worth per window, a new window
//!   starting at the first release a minute or more after the last window began.
//! - The rate is `maximumPerMinute`, or with `exponentialRate` `baseRatePerMinute ×
//!   incrementFactor^step` (rounded down), capped by `maximumPerMinute` (else 1000); the step
//!   is how many times `numberOfNotifiedThings` things were notified or
//!   `numberOfSucceededThings` succeeded, whichever is further (the developer guide's table:
//!   50, 100, 200, 400 per minute after 1000, 2000, 3000 notified).
//! - A job without a rollout configuration (only scheduled) is released as fast as the
//!   scheduler goes, [`MAX_RELEASE_PER_STEP`] at a time.

use super::config::{RolloutConfig, MAX_PER_MINUTE};
use serde::{Deserialize, Serialize};

/// Length of a pacing window, in seconds.
pub const WINDOW_SECONDS: u64 = 60;
/// Most targets released in one step of the scheduler, whatever the rate (bounds a tick's work).
pub const MAX_RELEASE_PER_STEP: u64 = 1000;

/// Where a job stands with the scheduler, kept on the job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchedulerState {
    /// Targets not yet released (no execution yet).
    #[serde(default)]
    pub held: u64,
    /// Executions released so far (notified things).
    #[serde(default)]
    pub released: u64,
    /// When the current pacing window began (epoch seconds).
    #[serde(default)]
    pub window_start: u64,
    /// Executions released in the current window.
    #[serde(default)]
    pub released_in_window: u64,
    /// When the scheduler next has work on the job (epoch seconds), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<u64>,
}

impl SchedulerState {
    /// Whether the scheduler never touched the job (kept out of the stored record).
    pub fn is_idle(&self) -> bool {
        *self == Self::default()
    }
}

/// Executions per minute for a rollout that has notified `notified` things, of which
/// `succeeded` succeeded; `None` for an unpaced job.
pub fn rate_per_minute(
    config: Option<&RolloutConfig>,
    notified: u64,
    succeeded: u64,
) -> Option<u64> {
    let config = config?;
    let cap = config.maximum_per_minute.unwrap_or(MAX_PER_MINUTE);
    let Some(rate) = config.exponential_rate else {
        return Some(cap);
    };
    let criteria = rate.rate_increase_criteria;
    let steps = |count: u64, every: Option<u64>| every.filter(|n| *n > 0).map_or(0, |n| count / n);
    let step = steps(notified, criteria.number_of_notified_things)
        .max(steps(succeeded, criteria.number_of_succeeded_things));
    let exponent = i32::try_from(step.min(64)).unwrap_or(64);
    let grown = rate.base_rate_per_minute as f64 * rate.increment_factor.powi(exponent);
    let grown = if grown.is_finite() && grown < cap as f64 {
        grown.floor() as u64
    } else {
        cap
    };
    Some(grown.clamp(1, cap))
}

/// A release decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// How many held targets to release now.
    pub count: u64,
    /// The state after (window moved, counts taken; `held` already lowered by `count`).
    pub state: SchedulerState,
    /// When releasing can go on, if targets stay held.
    pub next_at: Option<u64>,
}

/// What to release at `now` from `state` at `rate` per minute (`None`: unpaced).
pub fn release(state: &SchedulerState, rate: Option<u64>, now: u64) -> Release {
    let mut next = *state;
    if now >= next.window_start.saturating_add(WINDOW_SECONDS) {
        next.window_start = now;
        next.released_in_window = 0;
    }
    let budget = match rate {
        Some(rate) => rate.saturating_sub(next.released_in_window),
        None => u64::MAX,
    };
    let count = next.held.min(budget).min(MAX_RELEASE_PER_STEP);
    next.held -= count;
    next.released += count;
    next.released_in_window += count;
    let next_at = if next.held == 0 {
        None
    } else if count == budget {
        Some(next.window_start + WINDOW_SECONDS)
    } else {
        Some(now)
    };
    Release {
        count,
        state: next,
        next_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::config::{ExponentialRate, RateIncreaseCriteria};

    fn exponential(
        base: u64,
        factor: f64,
        notified: Option<u64>,
        cap: Option<u64>,
    ) -> RolloutConfig {
        RolloutConfig {
            maximum_per_minute: cap,
            exponential_rate: Some(ExponentialRate {
                base_rate_per_minute: base,
                increment_factor: factor,
                rate_increase_criteria: RateIncreaseCriteria {
                    number_of_notified_things: notified,
                    number_of_succeeded_things: Some(10),
                },
            }),
        }
    }

    #[test]
    fn rates_follow_the_developer_guides_table() {
        let guide = exponential(50, 2.0, Some(1000), None);
        let constant = RolloutConfig {
            maximum_per_minute: Some(100),
            exponential_rate: None,
        };
        // (config, notified, succeeded, rate)
        let table = [
            (Some(&guide), 0, 0, Some(50)),
            (Some(&guide), 999, 0, Some(50)),
            (Some(&guide), 1000, 0, Some(100)),
            (Some(&guide), 2000, 0, Some(200)),
            (Some(&guide), 3500, 0, Some(400)),
            (Some(&guide), 0, 25, Some(200)),
            (Some(&guide), 100_000, 0, Some(1000)),
            (Some(&constant), 5000, 5000, Some(100)),
            (None, 0, 0, None),
        ];
        for (config, notified, succeeded, rate) in table {
            assert_eq!(
                rate_per_minute(config, notified, succeeded),
                rate,
                "{notified} notified, {succeeded} succeeded"
            );
        }
        let capped = exponential(50, 3.0, Some(10), Some(120));
        assert_eq!(rate_per_minute(Some(&capped), 10, 0), Some(120));
        let fractional = exponential(3, 1.5, Some(10), None);
        assert_eq!(rate_per_minute(Some(&fractional), 10, 0), Some(4));
    }

    #[test]
    fn releases_are_paced_per_minute_window() {
        let state = SchedulerState {
            held: 250,
            window_start: 1000,
            ..SchedulerState::default()
        };
        // (now, count released, held after, next_at)
        let mut current = state;
        let steps = [
            (1000, 100, 150, Some(1060)),
            (1030, 0, 150, Some(1060)),
            (1060, 100, 50, Some(1120)),
            (1125, 50, 0, None),
            (1200, 0, 0, None),
        ];
        for (now, count, held, next_at) in steps {
            let decided = release(&current, Some(100), now);
            assert_eq!(
                (decided.count, decided.state.held, decided.next_at),
                (count, held, next_at),
                "at {now}"
            );
            current = decided.state;
        }
        assert_eq!(current.released, 250);
    }

    #[test]
    fn unpaced_releases_are_bounded_per_step() {
        let state = SchedulerState {
            held: MAX_RELEASE_PER_STEP + 5,
            ..SchedulerState::default()
        };
        let first = release(&state, None, 10);
        assert_eq!(first.count, MAX_RELEASE_PER_STEP);
        assert_eq!(first.next_at, Some(10));
        let second = release(&first.state, None, 10);
        assert_eq!((second.count, second.next_at), (5, None));
        assert!(SchedulerState::default().is_idle());
    }
}
