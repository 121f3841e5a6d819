//! Where Jobs keeps its records in the Store's registry table. Every list the API offers is one
//! partition, read in sort-key order:
//!
//! | partition key | sort key | record |
//! |---------------|----------|--------|
//! | `jobs` | job id | [`StoredJob`](thingcore::jobs::StoredJob) |
//! | `job-executions#{job id}` | thing name | [`StoredJobExecution`](thingcore::jobs::StoredJobExecution), job side |
//! | `thing-job-executions#{thing}` | job id | the same execution, thing side (a thing's pending list is one read) |
//! | `job-templates` | job template id | [`StoredJobTemplate`](thingcore::jobs::StoredJobTemplate) |
//! | `job-held#{job id}` | thing name | a target the rollout has not reached yet (`{}`) |
//! | `jobs-due` | `{epoch seconds, 20 digits}#{job id}` | a job the scheduler has work on then ([`DueEntry`]) |
//! | `job-execution-timeouts` | `{epoch seconds, 20 digits}#{job id}#{thing}` | an IN_PROGRESS execution that times out then ([`DueEntry`]) |
//!
//! The two scheduler indexes sort by due time, so a tick reads only what is due (from the
//! front of one partition) and never scans jobs or executions.
//! Job ids, template ids and thing names cannot contain `#`, so these partitions never collide
//! with each other or with the registry's. Both sides of an execution are written in one
//! transaction, the job side on condition of the version read.

use serde::{Deserialize, Serialize};
use thingcore::store::Key;

/// Partition of jobs.
pub const JOBS: &str = "jobs";
/// Partition of job templates.
pub const JOB_TEMPLATES: &str = "job-templates";

/// A job.
pub fn job(job_id: &str) -> Key {
    Key::new(JOBS, job_id)
}
/// A job template.
pub fn job_template(id: &str) -> Key {
    Key::new(JOB_TEMPLATES, id)
}
/// Partition of a job's executions.
pub fn job_executions(job_id: &str) -> String {
    format!("job-executions#{job_id}")
}
/// Partition of a thing's executions.
pub fn thing_executions(thing: &str) -> String {
    format!("thing-job-executions#{thing}")
}
/// An execution, job side (the record conditions are checked on).
pub fn execution(job_id: &str, thing: &str) -> Key {
    Key::new(job_executions(job_id), thing)
}
/// An execution, thing side.
pub fn thing_execution(thing: &str, job_id: &str) -> Key {
    Key::new(thing_executions(thing), job_id)
}

/// Partition of a job's held targets.
pub fn job_held(job_id: &str) -> String {
    format!("job-held#{job_id}")
}
/// A held target.
pub fn held(job_id: &str, thing: &str) -> Key {
    Key::new(job_held(job_id), thing)
}
/// Partition of the jobs the scheduler has work on, by due time.
pub const JOBS_DUE: &str = "jobs-due";
/// Partition of the IN_PROGRESS executions that time out, by time.
pub const EXECUTION_TIMEOUTS: &str = "job-execution-timeouts";

/// A job due at `at`.
pub fn job_due(at: u64, job_id: &str) -> Key {
    Key::new(JOBS_DUE, format!("{at:020}#{job_id}"))
}
/// An execution timing out at `at`.
pub fn execution_timeout(at: u64, job_id: &str, thing: &str) -> Key {
    Key::new(EXECUTION_TIMEOUTS, format!("{at:020}#{job_id}#{thing}"))
}
/// The due time a scheduler index sort key starts with.
pub fn due_time(sk: &str) -> Option<u64> {
    sk.get(..20).and_then(|digits| digits.parse().ok())
}

/// An entry of a scheduler index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DueEntry {
    /// The job.
    pub job_id: String,
    /// The thing, for an execution's timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thing_name: Option<String>,
}
