//! The stored records of jobs, job executions and job templates, and their wire shapes (the
//! model's `Job`, `JobSummary`, `JobExecution`, `JobExecutionSummary`, `JobTemplateSummary`).
//! Times are epoch seconds, as the registry keeps them.

use super::names::{JobId, JobTemplateId};
use super::rollout::SchedulerState;
use super::status::{JobExecutionStatus, JobStatus, TargetSelection};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredJob {
    /// `jobId`.
    pub job_id: JobId,
    /// `jobArn`.
    pub job_arn: String,
    /// `status`.
    pub status: JobStatus,
    /// `targetSelection`.
    pub target_selection: TargetSelection,
    /// `targets`: thing and thing group ARNs, as sent (AssociateTargetsWithJob adds to them).
    pub targets: Vec<String>,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The document the devices get, parameters substituted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// The document before `documentParameters` were substituted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_before_substitution: Option<String>,
    /// `documentSource`, when the document was named by URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_source: Option<String>,
    /// `jobTemplateArn`, when made from a template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_template_arn: Option<String>,
    /// `documentParameters`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub document_parameters: BTreeMap<String, String>,
    /// The configurations kept as sent (`presignedUrlConfig`, `jobExecutionsRolloutConfig`,
    /// `abortConfig`, `timeoutConfig`, `jobExecutionsRetryConfig`, `schedulingConfig`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub configs: Map<String, Value>,
    /// `forceCanceled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_canceled: Option<bool>,
    /// `reasonCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// `comment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `createdAt`.
    pub created_at: u64,
    /// `lastUpdatedAt`.
    pub last_updated_at: u64,
    /// `completedAt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<u64>,
    /// Where the job stands with the scheduler (held targets, pacing window, next due time).
    #[serde(default, skip_serializing_if = "SchedulerState::is_idle")]
    pub scheduler: SchedulerState,
}

/// The configuration fields CreateJob and UpdateJob keep as sent.
pub const JOB_CONFIG_FIELDS: [&str; 6] = [
    "presignedUrlConfig",
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "timeoutConfig",
    "jobExecutionsRetryConfig",
    "schedulingConfig",
];

impl StoredJob {
    /// The model's `Job`, with `jobProcessDetails` counted from the executions.
    pub fn to_job(&self, details: &JobProcessDetails) -> Value {
        let mut out = json!({
            "jobArn": self.job_arn,
            "jobId": self.job_id,
            "targetSelection": self.target_selection,
            "status": self.status,
            "targets": self.targets,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "jobProcessDetails": details.to_value(),
            "isConcurrent": false,
        });
        let optional = [
            ("description", self.description.clone().map(Value::from)),
            ("forceCanceled", self.force_canceled.map(Value::from)),
            ("reasonCode", self.reason_code.clone().map(Value::from)),
            ("comment", self.comment.clone().map(Value::from)),
            ("completedAt", self.completed_at.map(Value::from)),
            (
                "jobTemplateArn",
                self.job_template_arn.clone().map(Value::from),
            ),
        ];
        for (field, value) in optional {
            if let Some(value) = value {
                out[field] = value;
            }
        }
        if !self.document_parameters.is_empty() {
            out["documentParameters"] = json!(self.document_parameters);
        }
        for (field, value) in &self.configs {
            out[field.as_str()] = value.clone();
        }
        out
    }

    /// The model's `JobSummary`.
    pub fn to_summary(&self) -> Value {
        let mut out = json!({
            "jobArn": self.job_arn,
            "jobId": self.job_id,
            "targetSelection": self.target_selection,
            "status": self.status,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "isConcurrent": false,
        });
        if let Some(at) = self.completed_at {
            out["completedAt"] = json!(at);
        }
        out
    }

    /// CreateJob's, CancelJob's and AssociateTargetsWithJob's output.
    pub fn to_reference(&self) -> Value {
        let mut out = json!({ "jobArn": self.job_arn, "jobId": self.job_id });
        if let Some(description) = &self.description {
            out["description"] = json!(description);
        }
        out
    }
}

/// A job execution as stored: one per job and thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredJobExecution {
    /// `jobId`.
    pub job_id: JobId,
    /// The thing's name.
    pub thing_name: String,
    /// `thingArn`.
    pub thing_arn: String,
    /// `status`.
    pub status: JobExecutionStatus,
    /// `forceCanceled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_canceled: Option<bool>,
    /// `statusDetails.detailsMap`.
    #[serde(default)]
    pub status_details: BTreeMap<String, String>,
    /// `queuedAt`.
    pub queued_at: u64,
    /// `startedAt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    /// `lastUpdatedAt`.
    pub last_updated_at: u64,
    /// `executionNumber`: 1 for the first execution of the job on the thing.
    pub execution_number: u64,
    /// `versionNumber`: 1 when queued, one more with every update.
    pub version_number: u64,
    /// When the current step times out (epoch seconds), set by `stepTimeoutInMinutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_timeout_at: Option<u64>,
    /// When the in-progress timeout of the job's `timeoutConfig` ends (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_progress_timeout_at: Option<u64>,
    /// `retryAttempt`.
    #[serde(default)]
    pub retry_attempt: u64,
}

impl StoredJobExecution {
    /// A new QUEUED execution of `job_id` on `thing_name`.
    pub fn queued(job_id: JobId, thing_name: &str, thing_arn: String, now: u64) -> Self {
        Self {
            job_id,
            thing_name: thing_name.to_string(),
            thing_arn,
            status: JobExecutionStatus::Queued,
            force_canceled: None,
            status_details: BTreeMap::new(),
            queued_at: now,
            started_at: None,
            last_updated_at: now,
            execution_number: 1,
            version_number: 1,
            step_timeout_at: None,
            in_progress_timeout_at: None,
            retry_attempt: 0,
        }
    }

    /// Seconds left before the execution times out at `now`, when a timeout runs.
    pub fn seconds_before_timed_out(&self, now: u64) -> Option<u64> {
        if self.status != JobExecutionStatus::InProgress {
            return None;
        }
        [self.step_timeout_at, self.in_progress_timeout_at]
            .into_iter()
            .flatten()
            .min()
            .map(|at| at.saturating_sub(now))
    }

    /// The model's `JobExecution` (DescribeJobExecution).
    pub fn to_execution(&self, now: u64) -> Value {
        let mut out = json!({
            "jobId": self.job_id,
            "status": self.status,
            "statusDetails": { "detailsMap": self.status_details },
            "thingArn": self.thing_arn,
            "queuedAt": self.queued_at,
            "lastUpdatedAt": self.last_updated_at,
            "executionNumber": self.execution_number,
            "versionNumber": self.version_number,
        });
        if let Some(at) = self.started_at {
            out["startedAt"] = json!(at);
        }
        if let Some(forced) = self.force_canceled {
            out["forceCanceled"] = json!(forced);
        }
        if let Some(secs) = self.seconds_before_timed_out(now) {
            out["approximateSecondsBeforeTimedOut"] = json!(secs);
        }
        out
    }

    /// The model's `JobExecutionSummary`.
    pub fn to_summary(&self) -> Value {
        let mut out = json!({
            "status": self.status,
            "queuedAt": self.queued_at,
            "lastUpdatedAt": self.last_updated_at,
            "executionNumber": self.execution_number,
            "retryAttempt": self.retry_attempt,
        });
        if let Some(at) = self.started_at {
            out["startedAt"] = json!(at);
        }
        out
    }

    /// The device side's `JobExecutionSummary` (pending lists, `notify`).
    pub fn to_device_summary(&self) -> Value {
        let mut out = json!({
            "jobId": self.job_id,
            "queuedAt": self.queued_at,
            "lastUpdatedAt": self.last_updated_at,
            "executionNumber": self.execution_number,
            "versionNumber": self.version_number,
        });
        if let Some(at) = self.started_at {
            out["startedAt"] = json!(at);
        }
        out
    }

    /// The device side's `JobExecution` (`notify-next`, DescribeJobExecution, StartNext), with
    /// the job document (a JSON value) when given.
    pub fn to_device_execution(&self, document: Option<&str>, now: u64) -> Value {
        let mut out = json!({
            "jobId": self.job_id,
            "thingName": self.thing_name,
            "status": self.status,
            "statusDetails": self.status_details,
            "queuedAt": self.queued_at,
            "lastUpdatedAt": self.last_updated_at,
            "versionNumber": self.version_number,
            "executionNumber": self.execution_number,
        });
        if let Some(at) = self.started_at {
            out["startedAt"] = json!(at);
        }
        if let Some(secs) = self.seconds_before_timed_out(now) {
            out["approximateSecondsBeforeTimedOut"] = json!(secs);
        }
        if let Some(document) = document {
            out["jobDocument"] =
                serde_json::from_str(document).unwrap_or_else(|_| Value::String(document.into()));
        }
        out
    }
}

/// The model's `JobProcessDetails`: how many executions of a job are in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobProcessDetails {
    counts: BTreeMap<&'static str, u64>,
}

impl JobProcessDetails {
    /// The counts over `statuses`.
    pub fn count(statuses: impl IntoIterator<Item = JobExecutionStatus>) -> Self {
        let mut counts = BTreeMap::new();
        for status in statuses {
            *counts.entry(status.as_str()).or_insert(0) += 1;
        }
        Self { counts }
    }

    /// How many executions are in `status`.
    pub fn of(&self, status: JobExecutionStatus) -> u64 {
        self.counts.get(status.as_str()).copied().unwrap_or(0)
    }

    /// The wire shape.
    pub fn to_value(&self) -> Value {
        use JobExecutionStatus as S;
        json!({
            "numberOfCanceledThings": self.of(S::Canceled),
            "numberOfSucceededThings": self.of(S::Succeeded),
            "numberOfFailedThings": self.of(S::Failed),
            "numberOfRejectedThings": self.of(S::Rejected),
            "numberOfQueuedThings": self.of(S::Queued),
            "numberOfInProgressThings": self.of(S::InProgress),
            "numberOfRemovedThings": self.of(S::Removed),
            "numberOfTimedOutThings": self.of(S::TimedOut),
        })
    }
}

/// A job template as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredJobTemplate {
    /// `jobTemplateId`.
    pub job_template_id: JobTemplateId,
    /// `jobTemplateArn`.
    pub job_template_arn: String,
    /// `description`.
    pub description: String,
    /// `document`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// `documentSource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_source: Option<String>,
    /// The configurations kept as sent (as a job's, plus `maintenanceWindows`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub configs: Map<String, Value>,
    /// `createdAt`.
    pub created_at: u64,
}

impl StoredJobTemplate {
    /// DescribeJobTemplate's output.
    pub fn to_description(&self) -> Value {
        let mut out = json!({
            "jobTemplateArn": self.job_template_arn,
            "jobTemplateId": self.job_template_id,
            "description": self.description,
            "createdAt": self.created_at,
        });
        if let Some(document) = &self.document {
            out["document"] = json!(document);
        }
        if let Some(source) = &self.document_source {
            out["documentSource"] = json!(source);
        }
        for (field, value) in &self.configs {
            out[field.as_str()] = value.clone();
        }
        out
    }

    /// The model's `JobTemplateSummary`.
    pub fn to_summary(&self) -> Value {
        json!({
            "jobTemplateArn": self.job_template_arn,
            "jobTemplateId": self.job_template_id,
            "description": self.description,
            "createdAt": self.created_at,
        })
    }
}

#[cfg(test)]
impl StoredJob {
    /// A SNAPSHOT job `id` in `status` with no targets, created at 0, for the unit tests of the
    /// rules that read jobs (each sets what it looks at with struct update syntax).
    pub(crate) fn sample(id: &str, status: JobStatus) -> Self {
        Self {
            job_id: JobId::parse(id).unwrap_or_else(|e| panic!("{e}")),
            job_arn: format!("arn:aws:iot:us-east-1:123456789012:job/{id}"),
            status,
            target_selection: TargetSelection::Snapshot,
            targets: Vec::new(),
            description: None,
            document: Some("{}".into()),
            document_before_substitution: None,
            document_source: None,
            job_template_arn: None,
            document_parameters: BTreeMap::new(),
            configs: Map::new(),
            force_canceled: None,
            reason_code: None,
            comment: None,
            created_at: 0,
            last_updated_at: 0,
            completed_at: None,
            scheduler: SchedulerState::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn execution() -> StoredJobExecution {
        let job = JobId::parse("j1").unwrap_or_else(|e| panic!("{e}"));
        StoredJobExecution::queued(job, "t1", "arn:t1".into(), 100)
    }

    #[test]
    fn process_details_count_every_status() {
        use JobExecutionStatus as S;
        let details = JobProcessDetails::count([S::Queued, S::Queued, S::Succeeded, S::Canceled]);
        let value = details.to_value();
        assert_eq!(value["numberOfQueuedThings"], json!(2));
        assert_eq!(value["numberOfSucceededThings"], json!(1));
        assert_eq!(value["numberOfCanceledThings"], json!(1));
        assert_eq!(value["numberOfTimedOutThings"], json!(0));
    }

    #[test]
    fn executions_take_the_wire_shapes() {
        let mut e = execution();
        let wire = e.to_execution(100);
        assert_eq!(wire["status"], json!("QUEUED"));
        assert_eq!(wire["statusDetails"], json!({"detailsMap": {}}));
        assert!(wire.get("approximateSecondsBeforeTimedOut").is_none());
        e.status = JobExecutionStatus::InProgress;
        e.step_timeout_at = Some(160);
        assert_eq!(
            e.to_execution(100)["approximateSecondsBeforeTimedOut"],
            json!(60)
        );
        let device = e.to_device_execution(Some(r#"{"op":"reboot"}"#), 100);
        assert_eq!(device["jobDocument"], json!({"op": "reboot"}));
        assert_eq!(device["thingName"], json!("t1"));
    }
}
