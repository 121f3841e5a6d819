//! AWS IoT Jobs, pure: the rules of jobs, job executions and job templates, decided here once
//! and used by `thingcore-jobs` over the Store (control plane, MQTT jobs topics and
//! `iot-jobs-data`).
//!
//! - [`error`]: [`JobsError`], the exceptions of the Jobs operations with the model's statuses,
//!   and the device side's `/rejected` codes.
//! - [`names`]: [`JobId`] and [`JobTemplateId`], validated on construction.
//! - [`status`]: [`JobStatus`], [`JobExecutionStatus`] (terminal and pending), [`TargetSelection`].
//! - [`record`]: the stored records ([`StoredJob`], [`StoredJobExecution`],
//!   [`StoredJobTemplate`]) and their wire shapes; [`JobProcessDetails`].
//! - [`create`]: CreateJob's and CreateJobTemplate's validation: the document (size, JSON,
//!   exactly one source, `${aws:iot:parameter:name}` substitution) and the targets.
//! - [`execution`]: the job execution state machine (device updates, cancels, expected
//!   versions) and job completion.
//! - [`topic`]: the reserved Jobs topics: requests, answers and notifications.
//! - [`events`]: the job and job execution events on `$aws/events/job/...` and
//!   `$aws/events/jobExecution/...` (topics and payloads).
//! - [`config`]: the rollout, abort, timeout, retry and scheduling configurations, typed and
//!   checked.
//! - The scheduler's rules: [`rollout`] (pacing held targets per minute), [`timeouts`] (step
//!   and in-progress timeouts, retries), [`abort`] (abort criteria) and [`schedule`] (what
//!   happens to a job next: start, end, abort, release, completion).

pub mod abort;
pub mod config;
pub mod create;
pub mod error;
pub mod events;
pub mod execution;
pub mod names;
pub mod record;
pub mod rollout;
pub mod schedule;
pub mod status;
pub mod timeouts;
pub mod topic;

pub use config::JobConfigs;
pub use create::{JobDocument, Target};
pub use error::{JobsError, JobsResult};
pub use names::{JobId, JobTemplateId};
pub use record::{JobProcessDetails, StoredJob, StoredJobExecution, StoredJobTemplate};
pub use rollout::SchedulerState;
pub use status::{JobExecutionStatus, JobStatus, TargetSelection};
