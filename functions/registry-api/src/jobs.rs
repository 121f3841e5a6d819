//! The Jobs operations of the `iot` model's control plane, routed to
//! [`JobsService`](thingcore_jobs::JobsService) as botocore lays them out (method,
//! `requestUri`, and where each input travels). Their exceptions are the Jobs ones
//! (`InvalidStateTransitionException`, `VersionConflictException`, `ConflictException`...).

use crate::http::{Call, Routed};
use thingcore_jobs::executions::ExecutionsQuery;
use thingcore_jobs::jobs::ListJobsQuery;
use thingcore_jobs::{JobsService, ServiceError};

macro_rules! run {
    ($e:expr) => {
        Routed::Jobs(async { $e }.await)
    };
}

/// Routes a Jobs request; [`Routed::NoRoute`] for a path that is not a Jobs operation's.
pub(crate) async fn dispatch(s: &JobsService, c: &Call<'_>) -> Routed {
    let segments = c.segments();
    match (c.method(), segments.as_slice()) {
        // Jobs.
        ("GET", ["jobs"]) => run!({
            let query = ListJobsQuery {
                status: c.query("status").map(str::to_string),
                target_selection: c.query("targetSelection").map(str::to_string),
                thing_group_name: c.query("thingGroupName").map(str::to_string),
                max_results: c.max_results()?,
                next_token: c.query("nextToken").map(str::to_string),
            };
            s.list_jobs(query).await
        }),
        ("PUT", ["jobs", id]) => run!(s.create_job(id, c.body()?).await),
        ("GET", ["jobs", id]) => run!({
            c.flag("beforeSubstitution")?;
            s.describe_job(id).await
        }),
        ("PATCH", ["jobs", id]) => run!(s.update_job(id, c.body()?).await),
        ("DELETE", ["jobs", id]) => {
            run!(s.delete_job(id, c.flag("force")?.unwrap_or(false)).await)
        }
        ("PUT", ["jobs", id, "cancel"]) => run!(
            s.cancel_job(id, c.flag("force")?.unwrap_or(false), c.body()?)
                .await
        ),
        ("GET", ["jobs", id, "job-document"]) => run!(
            s.get_job_document(id, c.flag("beforeSubstitution")?.unwrap_or(false))
                .await
        ),
        ("POST", ["jobs", id, "targets"]) => {
            run!(s.associate_targets_with_job(id, c.body()?).await)
        }
        // Job executions.
        ("GET", ["jobs", id, "things"]) => run!({
            let query = executions_query(c)?;
            s.list_job_executions_for_job(id, query).await
        }),
        ("GET", ["things", thing, "jobs"]) => run!({
            let mut query = executions_query(c)?;
            query.job_id = c.query("jobId").map(str::to_string);
            s.list_job_executions_for_thing(thing, query).await
        }),
        ("GET", ["things", thing, "jobs", id]) => run!(
            s.describe_job_execution(id, thing, c.number("executionNumber")?)
                .await
        ),
        ("PUT", ["things", thing, "jobs", id, "cancel"]) => run!(
            s.cancel_job_execution(id, thing, c.flag("force")?.unwrap_or(false), c.body()?)
                .await
        ),
        ("DELETE", ["things", thing, "jobs", id, "executionNumber", number]) => run!(
            s.delete_job_execution(id, thing, number, c.flag("force")?.unwrap_or(false))
                .await
        ),
        // Job templates.
        ("GET", ["job-templates"]) => run!(
            s.list_job_templates(c.max_results()?, c.query("nextToken"))
                .await
        ),
        ("PUT", ["job-templates", id]) => run!(s.create_job_template(id, c.body()?).await),
        ("GET", ["job-templates", id]) => run!(s.describe_job_template(id).await),
        ("DELETE", ["job-templates", id]) => run!(s.delete_job_template(id).await),
        (_, path) if is_jobs_path(path) => Routed::WrongMethod,
        _ => Routed::NoRoute,
    }
}

fn executions_query(c: &Call<'_>) -> Result<ExecutionsQuery, ServiceError> {
    Ok(ExecutionsQuery {
        status: c.query("status").map(str::to_string),
        job_id: None,
        max_results: c.max_results()?,
        next_token: c.query("nextToken").map(str::to_string),
    })
}

/// Whether some Jobs operation lives at this path (under another method).
fn is_jobs_path(path: &[&str]) -> bool {
    matches!(
        path,
        ["jobs"]
            | ["jobs", _]
            | ["jobs", _, "cancel" | "job-document" | "targets" | "things"]
            | ["things", _, "jobs"]
            | ["things", _, "jobs", _]
            | ["things", _, "jobs", _, "cancel"]
            | ["things", _, "jobs", _, "executionNumber", _]
            | ["job-templates"]
            | ["job-templates", _]
    )
}
