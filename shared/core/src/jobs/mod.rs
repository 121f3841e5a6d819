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

pub mod create;
pub mod error;
pub mod execution;
pub mod names;
pub mod record;
pub mod status;
pub mod topic;

pub use create::{JobDocument, Target};
pub use error::{JobsError, JobsResult};
pub use names::{JobId, JobTemplateId};
pub use record::{JobProcessDetails, StoredJob, StoredJobExecution, StoredJobTemplate};
pub use status::{JobExecutionStatus, JobStatus, TargetSelection};
