//! Where Jobs keeps its records in the Store's registry table. Every list the API offers is one
//! partition, read in sort-key order:
//!
//! | partition key | sort key | record |
//! |---------------|----------|--------|
//! | `jobs` | job id | [`StoredJob`](thingcore::jobs::StoredJob) |
//! | `job-executions#{job id}` | thing name | [`StoredJobExecution`](thingcore::jobs::StoredJobExecution), job side |
//! | `thing-job-executions#{thing}` | job id | the same execution, thing side (a thing's pending list is one read) |
//! | `job-templates` | job template id | [`StoredJobTemplate`](thingcore::jobs::StoredJobTemplate) |
//!
//! Job ids, template ids and thing names cannot contain `#`, so these partitions never collide
//! with each other or with the registry's. Both sides of an execution are written in one
//! transaction, the job side on condition of the version read.

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
