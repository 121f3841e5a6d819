//! Jobs events: the `$aws/events/job/...` and `$aws/events/jobExecution/...` messages, made
//! when the event configurations (the registry's, UpdateEventConfigurations) enable `JOB` and
//! `JOB_EXECUTION`. An operation reads the configurations once ([`JobsService::events`]),
//! after its writes committed and only when it has something to report; the events join its
//! other notifications, after them. An unreadable configuration means no events, never a
//! failed operation. Topics and payloads are `thingcore::jobs::events`'.

use crate::error::ServiceError;
use crate::notify::Notification;
use crate::JobsService;
use thingcore::jobs::events::{execution_event, job_event, ExecutionOperation, JobOperation};
use thingcore::jobs::{JobProcessDetails, StoredJob, StoredJobExecution};
use thingcore::registry::EventType;

/// Which Jobs events are on, as read for one operation, and its time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Events {
    job: bool,
    execution: bool,
    now: u64,
}

fn event_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn notification((topic, payload): (String, serde_json::Value)) -> Notification {
    Notification { topic, payload }
}

impl Events {
    /// Whether job events are on (the caller counts executions for them only then).
    pub(crate) fn jobs(&self) -> bool {
        self.job
    }

    /// The event of `execution` reaching its (terminal) status; `None` when job execution
    /// events are off or the status is pending.
    pub(crate) fn reached(&self, execution: &StoredJobExecution) -> Option<Notification> {
        let operation = ExecutionOperation::reached(execution.status)?;
        self.execution(execution, operation)
    }

    /// The event of `operation` on `execution`, when job execution events are on.
    pub(crate) fn execution(
        &self,
        execution: &StoredJobExecution,
        operation: ExecutionOperation,
    ) -> Option<Notification> {
        self.execution
            .then(|| notification(execution_event(execution, operation, &event_id(), self.now)))
    }

    /// The event of `operation` on `job`, when job events are on.
    pub(crate) fn job(
        &self,
        job: &StoredJob,
        operation: JobOperation,
        details: Option<&JobProcessDetails>,
    ) -> Option<Notification> {
        self.job
            .then(|| notification(job_event(job, operation, details, &event_id(), self.now)))
    }
}

impl JobsService {
    /// The Jobs events the configurations enable now (one read). Events never fail the change
    /// they report, which has committed: when the configurations cannot be read, the failure
    /// is logged and no event is made.
    pub(crate) async fn events(&self) -> Events {
        let (job, execution) = match self.registry.event_configurations().await {
            Ok(config) => (
                config.is_enabled(EventType::Job),
                config.is_enabled(EventType::JobExecution),
            ),
            Err(error) => {
                tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "event configurations unreadable: no job events");
                (false, false)
            }
        };
        Events {
            job,
            execution,
            now: self.now_secs(),
        }
    }

    /// A job's `jobProcessDetails` for its event, counted when job events are on.
    pub(crate) async fn details_for(
        &self,
        events: &Events,
        job_id: &str,
    ) -> Result<Option<JobProcessDetails>, ServiceError> {
        if !events.jobs() {
            return Ok(None);
        }
        let executions = self.job_executions(job_id).await?;
        Ok(Some(JobProcessDetails::count(
            executions.iter().map(|e| e.value.status),
        )))
    }
}
