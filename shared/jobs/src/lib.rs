//! # thingcore-jobs — the AWS IoT Jobs service
//!
//! [`JobsService`]: jobs, job executions and job templates over the Store port, for the
//! control plane (registry-api) and the device side (the `$aws/things/{thing}/jobs/...` topics
//! and the `iot-jobs-data` API). The rules (states, transitions, validation) are in
//! `thingcore::jobs`; each operation reads what it depends on, lets core decide, and writes
//! the outcome in conditional transactions, reading again when it lost a race ([`repo`]).
//! Things and thing groups are the registry's ([`RegistryService`]), read through it.
//!
//! - [`jobs`]: CreateJob, DescribeJob, ListJobs, UpdateJob, CancelJob, DeleteJob,
//!   GetJobDocument, AssociateTargetsWithJob; [`JobsService::thing_added_to_group`] for
//!   CONTINUOUS jobs.
//! - [`targets`]: a job's targets as thing names (groups expanded recursively).
//! - [`executions`]: ListJobExecutionsForJob, ListJobExecutionsForThing,
//!   DescribeJobExecution, CancelJobExecution, DeleteJobExecution.
//! - [`templates`]: CreateJobTemplate, DescribeJobTemplate, ListJobTemplates,
//!   DeleteJobTemplate.
//! - [`device`]: the device side: get pending, start next, describe, update.
//! - [`mqtt`]: the device MQTT API: a request on a jobs topic, its `/accepted` or `/rejected`
//!   answer.
//! - [`notify`]: the `jobs/notify` and `jobs/notify-next` messages a change causes.
//! - [`events`]: the job and job execution events (`$aws/events/job/...`,
//!   `$aws/events/jobExecution/...`) a change causes when the event configurations enable them.
//! - [`scheduler`]: [`JobsService::tick`], the scheduler's driver: rollout pacing,
//!   scheduled starts and ends, timeouts, retries, aborts.
//! - [`keys`]: where the records live; [`error`]: [`ServiceError`].
//!
//! Control-plane operations answer with the wire's JSON output and hand the notifications they
//! cause to the host's [`NotificationSink`], if one is set; device operations return them
//! ([`Changed`]) so the host publishes them with its answer.
//! Job events are notifications like the others: they go through the host's broker, so any
//! subscriber (and the rules engine) sees them.

pub mod device;
pub mod error;
pub(crate) mod events;
pub mod executions;
pub mod jobs;
pub mod keys;
pub mod mqtt;
pub mod notify;
pub(crate) mod repo;
pub mod scheduler;
pub mod targets;
pub mod templates;

pub use error::ServiceError;
pub use notify::{Changed, Notification};
pub use scheduler::TickReport;
use std::sync::{Arc, OnceLock};
use thingcore::registry::RegistryConfig;
use thingcore::store::Store;
use thingcore::Clock;
use thingcore_registry::RegistryService;

/// Receives the notifications control-plane operations cause (`thingcore serve` publishes them
/// on its broker).
#[async_trait::async_trait]
pub trait NotificationSink: Send + Sync {
    /// Publishes `notifications`, in order.
    async fn publish(&self, notifications: Vec<Notification>);
}

/// The AWS IoT Jobs service over a Store.
#[derive(Clone)]
pub struct JobsService {
    store: Arc<dyn Store>,
    registry: RegistryService,
    clock: Arc<dyn Clock>,
    sink: Arc<OnceLock<Arc<dyn NotificationSink>>>,
}

impl std::fmt::Debug for JobsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobsService").finish_non_exhaustive()
    }
}

impl JobsService {
    /// Jobs over `store`, timed by `clock`, for the things and groups of `registry` (whose
    /// configuration makes the ARNs).
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, registry: RegistryService) -> Self {
        Self {
            store,
            registry,
            clock,
            sink: Arc::new(OnceLock::new()),
        }
    }

    /// Hands the notifications of control-plane operations to `sink` from now on, through this
    /// service and every clone. Only the first sink is kept; `false` if one was set before.
    pub fn set_notification_sink(&self, sink: Arc<dyn NotificationSink>) -> bool {
        self.sink.set(sink).is_ok()
    }

    /// The account, region and ARNs (the registry's).
    pub fn config(&self) -> &RegistryConfig {
        self.registry.config()
    }

    /// The clock's seconds since the epoch.
    pub fn now_secs(&self) -> u64 {
        self.clock.now_secs()
    }

    /// `arn:aws:iot:{region}:{account}:job/{id}`.
    pub fn job_arn(&self, job_id: &str) -> String {
        self.arn("job", job_id)
    }

    /// `arn:aws:iot:{region}:{account}:jobtemplate/{id}`.
    pub fn job_template_arn(&self, id: &str) -> String {
        self.arn("jobtemplate", id)
    }

    fn arn(&self, kind: &str, id: &str) -> String {
        let config = self.config();
        format!(
            "arn:{}:iot:{}:{}:{kind}/{id}",
            config.partition(),
            config.region,
            config.account_id
        )
    }

    /// Hands notifications to the sink, if any (a host calls this with what a device
    /// operation returned when it has no answer topic of its own to publish them with, as
    /// on the `iot-jobs-data` API).
    pub async fn deliver(&self, notifications: Vec<Notification>) {
        if notifications.is_empty() {
            return;
        }
        if let Some(sink) = self.sink.get() {
            sink.publish(notifications).await;
        }
    }
}

/// The refusal when an operation kept losing races.
pub(crate) fn contention(what: impl Into<String>) -> ServiceError {
    ServiceError::Contention(what.into())
}
