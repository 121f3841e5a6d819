//! Jobs: CreateJob, DescribeJob, ListJobs, UpdateJob, CancelJob, DeleteJob, GetJobDocument,
//! AssociateTargetsWithJob, and [`JobsService::thing_added_to_group`] for CONTINUOUS jobs.
//!
//! A job and its executions can outgrow one transaction (the Store's limit is 100 writes), so
//! multi-execution changes are made in steps that are each safe to see half done: the job
//! record first (created, CANCELED or DELETION_IN_PROGRESS), then its executions in
//! conditional batches, each batch read again and redone when it lost a race.
//!
//! A job with a rollout or scheduling configuration queues nothing at creation: its target
//! things are held (`keys::job_held`) and the scheduler ([`crate::scheduler`]) releases them,
//! the first step at once unless the job is SCHEDULED for later.

use crate::error::ServiceError;
use crate::events::Events;
use crate::notify::Notification;
use crate::repo::{self, Loaded, EXECUTIONS_PER_TRANSACTION};
use crate::{contention, keys, JobsService};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use thingcore::jobs::create::{decide_document, MAX_TARGETS};
use thingcore::jobs::events::{ExecutionOperation, JobOperation};
use thingcore::jobs::execution::{cancel_for_job, cancel_job, check_delete_job};
use thingcore::jobs::record::JOB_CONFIG_FIELDS;
use thingcore::jobs::{
    JobConfigs, JobId, JobProcessDetails, JobStatus, JobsError, SchedulerState, StoredJob,
    StoredJobExecution, StoredJobTemplate, TargetSelection,
};
use thingcore::store::Expect;

/// Longest job description and comment (the model's).
const MAX_DESCRIPTION_LEN: usize = 2028;
/// Longest reason code (the model's).
const MAX_REASON_CODE_LEN: usize = 128;

/// CreateJob's body. `tags` and `namespaceId` are accepted and not kept; the configurations
/// are kept as sent and returned by DescribeJob.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateJobRequest {
    /// `targets`.
    #[serde(default)]
    pub targets: Vec<String>,
    /// `document`.
    pub document: Option<String>,
    /// `documentSource`.
    pub document_source: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `targetSelection`.
    pub target_selection: Option<String>,
    /// `jobTemplateArn`.
    pub job_template_arn: Option<String>,
    /// `documentParameters`.
    #[serde(default)]
    pub document_parameters: BTreeMap<String, String>,
    /// `tags`.
    pub tags: Option<Vec<Value>>,
    /// Everything else: the configurations.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// UpdateJob's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateJobRequest {
    /// `description`.
    pub description: Option<String>,
    /// Everything else: the configurations.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// CancelJob's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelJobRequest {
    /// `reasonCode`.
    pub reason_code: Option<String>,
    /// `comment`.
    pub comment: Option<String>,
}

/// AssociateTargetsWithJob's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociateTargetsRequest {
    /// `targets`.
    #[serde(default)]
    pub targets: Vec<String>,
    /// `comment`.
    pub comment: Option<String>,
}

/// ListJobs' filters and page.
#[derive(Debug, Default, Clone)]
pub struct ListJobsQuery {
    /// `status`.
    pub status: Option<String>,
    /// `targetSelection`.
    pub target_selection: Option<String>,
    /// `thingGroupName`: only jobs targeting this group.
    pub thing_group_name: Option<String>,
    /// `maxResults`.
    pub max_results: usize,
    /// `nextToken`.
    pub next_token: Option<String>,
}

pub(crate) fn check_text(field: &str, value: Option<&str>, max: usize) -> Result<(), JobsError> {
    match value {
        Some(text) if text.len() > max => Err(JobsError::invalid(format!(
            "{field} must have at most {max} characters"
        ))),
        _ => Ok(()),
    }
}

/// The configurations among `rest` (the fields `JOB_CONFIG_FIELDS` names), checked to be
/// objects.
pub(crate) fn configs_of(
    rest: &Map<String, Value>,
    fields: &[&str],
) -> Result<Map<String, Value>, JobsError> {
    let mut out = Map::new();
    for field in fields {
        match rest.get(*field) {
            None | Some(Value::Null) => {}
            Some(value @ Value::Object(_)) => {
                out.insert(field.to_string(), value.clone());
            }
            Some(_) => return Err(JobsError::invalid(format!("{field} must be an object"))),
        }
    }
    Ok(out)
}

pub(crate) fn job_not_found(job_id: &str) -> JobsError {
    JobsError::not_found(format!("Job {job_id} does not exist"))
}

impl JobsService {
    /// The job `job_id`, or `ResourceNotFoundException`.
    pub(crate) async fn require_job(
        &self,
        job_id: &str,
    ) -> Result<Loaded<StoredJob>, ServiceError> {
        let id = JobId::parse(job_id)?;
        self.load(keys::job(id.as_str()))
            .await?
            .ok_or_else(|| job_not_found(id.as_str()).into())
    }

    /// Every execution of a job, with versions.
    pub(crate) async fn job_executions(
        &self,
        job_id: &str,
    ) -> Result<Vec<Loaded<StoredJobExecution>>, ServiceError> {
        self.gather(&keys::job_executions(job_id)).await
    }

    async fn template_by_arn(&self, arn: &str) -> Result<StoredJobTemplate, ServiceError> {
        let prefix = self.job_template_arn("");
        let id = arn
            .strip_prefix(&prefix)
            .ok_or_else(|| JobsError::not_found(format!("Job template {arn} does not exist")))?;
        let id = thingcore::jobs::JobTemplateId::parse(id)?;
        let found: Option<Loaded<StoredJobTemplate>> =
            self.load(keys::job_template(id.as_str())).await?;
        Ok(found
            .ok_or_else(|| JobsError::not_found(format!("Job template {arn} does not exist")))?
            .value)
    }

    /// CreateJob: one QUEUED execution per target thing (groups expanded recursively now).
    ///
    /// # Errors
    /// `InvalidRequestException` (bad id, document, targets), `ResourceNotFoundException`
    /// (unknown thing, group or template), `ResourceAlreadyExistsException`,
    /// `LimitExceededException` (too many targets).
    pub async fn create_job(
        &self,
        job_id: &str,
        request: CreateJobRequest,
    ) -> Result<Value, ServiceError> {
        let job_id = JobId::parse(job_id)?;
        let selection = match request.target_selection.as_deref() {
            None => TargetSelection::default(),
            Some(text) => TargetSelection::parse("targetSelection", text)?,
        };
        check_text(
            "description",
            request.description.as_deref(),
            MAX_DESCRIPTION_LEN,
        )?;
        let template = match request.job_template_arn.as_deref() {
            Some(arn) => Some(self.template_by_arn(arn).await?),
            None => None,
        };
        let document = decide_document(
            request.document.as_deref(),
            request.document_source.as_deref(),
            template.as_ref(),
            &request.document_parameters,
        )?;
        let mut configs = template
            .as_ref()
            .map(|t| configs_of(&t.configs, &JOB_CONFIG_FIELDS))
            .transpose()?
            .unwrap_or_default();
        configs.extend(configs_of(&request.rest, &JOB_CONFIG_FIELDS)?);
        let typed = JobConfigs::parse(&configs)?;
        let key = keys::job(job_id.as_str());
        let already = || JobsError::ResourceAlreadyExists {
            message: format!("Job {job_id} already exists"),
            resource_id: job_id.to_string(),
            resource_arn: self.job_arn(job_id.as_str()),
        };
        if self.load::<StoredJob>(key.clone()).await?.is_some() {
            return Err(already().into());
        }
        let things = self.resolve_targets(&request.targets).await?;
        let now = self.now_secs();
        let complete = things.is_empty() && selection == TargetSelection::Snapshot;
        let held = typed.is_scheduled() && !things.is_empty();
        let start_at = typed
            .scheduling
            .and_then(|s| s.start_at)
            .filter(|at| *at > now);
        let mut job = StoredJob {
            job_arn: self.job_arn(job_id.as_str()),
            job_id: job_id.clone(),
            status: if complete {
                JobStatus::Completed
            } else if held && start_at.is_some() {
                JobStatus::Scheduled
            } else {
                JobStatus::InProgress
            },
            target_selection: selection,
            targets: request.targets.clone(),
            description: request.description,
            document: document.document,
            document_before_substitution: document.before_substitution,
            document_source: document.document_source,
            job_template_arn: request.job_template_arn,
            document_parameters: request.document_parameters,
            configs,
            force_canceled: None,
            reason_code: None,
            comment: None,
            created_at: now,
            last_updated_at: now,
            completed_at: complete.then_some(now),
            scheduler: SchedulerState::default(),
        };
        if held {
            // The scheduler releases the targets: held now, due at the start (or now).
            let due = start_at.unwrap_or(now);
            job.scheduler = SchedulerState {
                held: things.len() as u64,
                window_start: now,
                due_at: Some(due),
                ..SchedulerState::default()
            };
            if !self
                .commit(vec![repo::put(key, &job, Expect::Absent)?])
                .await?
            {
                return Err(already().into());
            }
            self.hold(job_id.as_str(), &things).await?;
            let entry = keys::DueEntry {
                job_id: job_id.to_string(),
                thing_name: None,
            };
            let due_key = keys::job_due(due, job_id.as_str());
            self.commit(vec![repo::put(due_key.clone(), &entry, Expect::Any)?])
                .await?;
            if start_at.is_none() {
                self.step_job(job_id.as_str(), Some(&due_key)).await?;
            }
            return Ok(job.to_reference());
        }
        if !self
            .commit(vec![repo::put(key, &job, Expect::Absent)?])
            .await?
        {
            return Err(already().into());
        }
        let mut notifications = self.queue_executions(&job, &things).await?;
        if complete {
            // Nothing to run: the job is complete as it is created.
            let events = self.events().await;
            let details = JobProcessDetails::default();
            notifications.extend(events.job(&job, JobOperation::Completed, Some(&details)));
        }
        self.deliver(notifications).await;
        Ok(job.to_reference())
    }

    /// Queues an execution of `job` on each of `things` that has none, and returns the
    /// notifications.
    pub(crate) async fn queue_executions(
        &self,
        job: &StoredJob,
        things: &[String],
    ) -> Result<Vec<Notification>, ServiceError> {
        let now = self.now_secs();
        let mut queued = Vec::new();
        for chunk in things.chunks(EXECUTIONS_PER_TRANSACTION) {
            let mut done = false;
            for _ in 0..repo::MAX_ATTEMPTS {
                let mut ops = Vec::new();
                let mut fresh = Vec::new();
                for thing in chunk {
                    let key = keys::execution(job.job_id.as_str(), thing);
                    if self.load::<StoredJobExecution>(key).await?.is_some() {
                        continue;
                    }
                    let execution = StoredJobExecution::queued(
                        job.job_id.clone(),
                        thing,
                        self.config().thing_arn(thing),
                        now,
                    );
                    ops.extend(repo::put_execution(&execution, Expect::Absent)?);
                    fresh.push(thing.clone());
                }
                if ops.is_empty() || self.commit(ops).await? {
                    queued.extend(fresh);
                    done = true;
                    break;
                }
            }
            if !done {
                return Err(contention(format!("executions of job {}", job.job_id)));
            }
        }
        let mut notifications = Vec::new();
        for thing in &queued {
            notifications.extend(
                self.notifications_for(thing, job.job_id.as_str(), None)
                    .await?,
            );
        }
        Ok(notifications)
    }

    /// DescribeJob, with `jobProcessDetails` counted from the executions.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn describe_job(&self, job_id: &str) -> Result<Value, ServiceError> {
        let job = self.require_job(job_id).await?.value;
        let executions = self.job_executions(job.job_id.as_str()).await?;
        let details = JobProcessDetails::count(executions.iter().map(|e| e.value.status));
        let mut out = json!({ "job": job.to_job(&details) });
        if let Some(source) = &job.document_source {
            out["documentSource"] = json!(source);
        }
        Ok(out)
    }

    /// ListJobs, in job id order.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad filter or token.
    pub async fn list_jobs(&self, query: ListJobsQuery) -> Result<Value, ServiceError> {
        let status = query
            .status
            .as_deref()
            .map(|s| JobStatus::parse("status", s))
            .transpose()?;
        let selection = query
            .target_selection
            .as_deref()
            .map(|s| TargetSelection::parse("targetSelection", s))
            .transpose()?;
        let group_arn = query
            .thing_group_name
            .as_deref()
            .map(|g| self.config().thing_group_arn(g));
        let (jobs, next) = self
            .filtered_page(
                keys::JOBS,
                query.max_results,
                query.next_token.as_deref(),
                |job: StoredJob| {
                    let keep = status.is_none_or(|s| job.status == s)
                        && selection.is_none_or(|s| job.target_selection == s)
                        && group_arn
                            .as_ref()
                            .is_none_or(|arn| job.targets.contains(arn));
                    keep.then(|| job.to_summary())
                },
            )
            .await?;
        let mut out = json!({ "jobs": jobs });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }

    /// UpdateJob: the description and configurations.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn update_job(
        &self,
        job_id: &str,
        request: UpdateJobRequest,
    ) -> Result<Value, ServiceError> {
        check_text(
            "description",
            request.description.as_deref(),
            MAX_DESCRIPTION_LEN,
        )?;
        let configs = configs_of(&request.rest, &JOB_CONFIG_FIELDS[..5])?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let found = self.require_job(job_id).await?;
            if found.value.status == JobStatus::DeletionInProgress {
                return Err(job_not_found(job_id).into());
            }
            let mut job = found.value.clone();
            if request.description.is_some() {
                job.description = request.description.clone();
            }
            job.configs.extend(configs.clone());
            JobConfigs::parse(&job.configs)?;
            job.last_updated_at = self.now_secs();
            let op = repo::put(found.key.clone(), &job, Expect::Version(found.version))?;
            if self.commit(vec![op]).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("job {job_id}")))
    }

    /// CancelJob: the job CANCELED, its QUEUED executions too, its IN_PROGRESS ones with
    /// `force`. With the events on: `cancellation_in_progress`, each execution's `canceled`,
    /// then `canceled`.
    ///
    /// # Errors
    /// `InvalidRequestException` (a completed job, bad reason or comment),
    /// `ResourceNotFoundException`.
    pub async fn cancel_job(
        &self,
        job_id: &str,
        force: bool,
        request: CancelJobRequest,
    ) -> Result<Value, ServiceError> {
        check_text(
            "reasonCode",
            request.reason_code.as_deref(),
            MAX_REASON_CODE_LEN,
        )?;
        check_text("comment", request.comment.as_deref(), MAX_DESCRIPTION_LEN)?;
        let mut canceled = None;
        for _ in 0..repo::MAX_ATTEMPTS {
            let found = self.require_job(job_id).await?;
            let job = cancel_job(
                &found.value,
                force,
                request.reason_code.clone(),
                request.comment.clone(),
                self.now_secs(),
            )?;
            let op = repo::put(found.key.clone(), &job, Expect::Version(found.version))?;
            if self.commit(vec![op]).await? {
                canceled = Some(job);
                break;
            }
        }
        let job = canceled.ok_or_else(|| contention(format!("job {job_id}")))?;
        let notifications = self.cancel_executions(&job, force).await?;
        self.deliver(notifications).await;
        Ok(job.to_reference())
    }

    /// The executions of `job`, just CANCELED, canceled as CancelJob does (IN_PROGRESS ones
    /// with `force`); the notifications, between the job's `cancellation_in_progress` and
    /// `canceled` events when those are on.
    pub(crate) async fn cancel_executions(
        &self,
        job: &StoredJob,
        force: bool,
    ) -> Result<Vec<Notification>, ServiceError> {
        let job_id = job.job_id.as_str();
        let events = self.events().await;
        let mut notifications: Vec<Notification> = events
            .job(job, JobOperation::CancellationInProgress, None)
            .into_iter()
            .collect();
        notifications.extend(
            self.rewrite_executions(job_id, &events, |e, now| cancel_for_job(e, force, now))
                .await?,
        );
        let details = self.details_for(&events, job_id).await?;
        notifications.extend(events.job(job, JobOperation::Canceled, details.as_ref()));
        Ok(notifications)
    }

    /// Rewrites (or, for `None`, leaves) every execution of a job with `change`, in
    /// conditional batches, and returns the notifications, with the `events` of the
    /// executions that became terminal.
    pub(crate) async fn rewrite_executions(
        &self,
        job_id: &str,
        events: &Events,
        change: impl Fn(&StoredJobExecution, u64) -> Option<StoredJobExecution>,
    ) -> Result<Vec<Notification>, ServiceError> {
        let mut changed = Vec::new();
        for _ in 0..repo::MAX_ATTEMPTS {
            let now = self.now_secs();
            let mut lost = false;
            let executions = self.job_executions(job_id).await?;
            let todo: Vec<_> = executions
                .iter()
                .filter_map(|l| change(&l.value, now).map(|next| (l, next)))
                .collect();
            for batch in todo.chunks(EXECUTIONS_PER_TRANSACTION) {
                let mut ops = Vec::new();
                for (before, after) in batch {
                    ops.extend(repo::put_execution(after, Expect::Version(before.version))?);
                }
                if self.commit(ops).await? {
                    changed.extend(
                        batch
                            .iter()
                            .map(|(before, after)| (before.value.clone(), after.clone())),
                    );
                } else {
                    lost = true;
                }
            }
            if !lost {
                let befores: Vec<StoredJobExecution> =
                    changed.iter().map(|(before, _)| before.clone()).collect();
                let mut notifications = self.notify_all(job_id, &befores).await?;
                notifications.extend(
                    changed
                        .iter()
                        .filter_map(|(_, after)| events.reached(after)),
                );
                return Ok(notifications);
            }
        }
        Err(contention(format!("executions of job {job_id}")))
    }

    /// The notifications for the things whose executions of `job_id` were `before`.
    pub(crate) async fn notify_all(
        &self,
        job_id: &str,
        before: &[StoredJobExecution],
    ) -> Result<Vec<Notification>, ServiceError> {
        let mut out = Vec::new();
        for execution in before {
            out.extend(
                self.notifications_for(&execution.thing_name, job_id, Some(execution))
                    .await?,
            );
        }
        Ok(out)
    }

    /// DeleteJob: the job and all its executions. A job in progress needs `force`. With the
    /// events on: `deletion_in_progress`, each execution's `deleted`, then `deleted`.
    ///
    /// # Errors
    /// `InvalidStateTransitionException` without `force` for a job in progress;
    /// `ResourceNotFoundException`.
    pub async fn delete_job(&self, job_id: &str, force: bool) -> Result<Value, ServiceError> {
        let mut marked = None;
        for _ in 0..repo::MAX_ATTEMPTS {
            let found = self.require_job(job_id).await?;
            check_delete_job(&found.value, force)?;
            let mut job = found.value.clone();
            job.status = JobStatus::DeletionInProgress;
            job.last_updated_at = self.now_secs();
            let op = repo::put(found.key.clone(), &job, Expect::Version(found.version))?;
            if self.commit(vec![op]).await? {
                marked = Some((found.key, job));
                break;
            }
        }
        let (key, job) = marked.ok_or_else(|| contention(format!("job {job_id}")))?;
        let events = self.events().await;
        let mut removed = Vec::new();
        let mut emptied = false;
        for _ in 0..repo::MAX_ATTEMPTS {
            let executions = self.job_executions(job_id).await?;
            if executions.is_empty() {
                emptied = true;
                break;
            }
            for batch in executions.chunks(EXECUTIONS_PER_TRANSACTION) {
                let ops = batch
                    .iter()
                    .flat_map(|l| repo::delete_execution(&l.value, Expect::Version(l.version)))
                    .collect();
                if self.commit(ops).await? {
                    removed.extend(batch.iter().map(|l| l.value.clone()));
                }
            }
        }
        let mut notifications: Vec<Notification> = events
            .job(&job, JobOperation::DeletionInProgress, None)
            .into_iter()
            .collect();
        notifications.extend(self.notify_all(job_id, &removed).await?);
        notifications.extend(
            removed
                .iter()
                .filter_map(|e| events.execution(e, ExecutionOperation::Deleted)),
        );
        self.deliver(notifications).await;
        if !emptied {
            // The job stays DELETION_IN_PROGRESS; DeleteJob with force finishes it.
            return Err(contention(format!("executions of job {job_id}")));
        }
        self.commit(vec![repo::delete(key, Expect::Any)]).await?;
        let deleted = events.job(&job, JobOperation::Deleted, None);
        self.deliver(deleted.into_iter().collect()).await;
        Ok(json!({}))
    }

    /// GetJobDocument (the substituted document, or the one before substitution).
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn get_job_document(
        &self,
        job_id: &str,
        before_substitution: bool,
    ) -> Result<Value, ServiceError> {
        let job = self.require_job(job_id).await?.value;
        let document = if before_substitution {
            job.document_before_substitution
        } else {
            job.document
        };
        Ok(json!({ "document": document.unwrap_or_default() }))
    }

    /// AssociateTargetsWithJob: more targets for a CONTINUOUS job in progress (at most
    /// [`MAX_TARGETS`] in all), their things queued now.
    ///
    /// # Errors
    /// `InvalidRequestException` for a SNAPSHOT job or one not in progress,
    /// `LimitExceededException`, `ResourceNotFoundException`.
    pub async fn associate_targets_with_job(
        &self,
        job_id: &str,
        request: AssociateTargetsRequest,
    ) -> Result<Value, ServiceError> {
        check_text("comment", request.comment.as_deref(), MAX_DESCRIPTION_LEN)?;
        let things = self.resolve_targets(&request.targets).await?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let found = self.require_job(job_id).await?;
            let mut job = found.value.clone();
            if job.target_selection != TargetSelection::Continuous {
                return Err(JobsError::invalid(format!(
                    "Job {job_id} is not CONTINUOUS: targets can only be added to CONTINUOUS jobs"
                ))
                .into());
            }
            if job.status != JobStatus::InProgress {
                return Err(JobsError::invalid(format!(
                    "Job {job_id} is {}, not IN_PROGRESS",
                    job.status.as_str()
                ))
                .into());
            }
            for target in &request.targets {
                if !job.targets.contains(target) {
                    job.targets.push(target.clone());
                }
            }
            if job.targets.len() > MAX_TARGETS {
                return Err(JobsError::LimitExceeded(format!(
                    "Job {job_id} would have {} targets, more than {MAX_TARGETS}",
                    job.targets.len()
                ))
                .into());
            }
            if request.comment.is_some() {
                job.comment = request.comment.clone();
            }
            job.last_updated_at = self.now_secs();
            let op = repo::put(found.key.clone(), &job, Expect::Version(found.version))?;
            if self.commit(vec![op]).await? {
                let notifications = self.queue_executions(&job, &things).await?;
                self.deliver(notifications).await;
                return Ok(job.to_reference());
            }
        }
        Err(contention(format!("job {job_id}")))
    }

    /// AddThingToThingGroup's follow-up on a host: [`Self::thing_added_to_group`], its
    /// notifications handed to the notification sink.
    ///
    /// # Errors
    /// As [`Self::thing_added_to_group`].
    pub async fn apply_thing_added_to_group(
        &self,
        thing: &str,
        group: &str,
    ) -> Result<(), ServiceError> {
        let notifications = self.thing_added_to_group(thing, group).await?;
        self.deliver(notifications).await;
        Ok(())
    }

    /// A thing joined `group`: every CONTINUOUS job in progress that targets the group or one
    /// of its ancestors queues an execution on it (once). For the host to call after
    /// AddThingToThingGroup; the notifications are returned.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown group.
    pub async fn thing_added_to_group(
        &self,
        thing: &str,
        group: &str,
    ) -> Result<Vec<Notification>, ServiceError> {
        let described = self.registry.describe_thing_group(group).await?;
        let mut arns = vec![self.config().thing_group_arn(group)];
        if let Some(ancestors) =
            described["thingGroupMetadata"]["rootToParentThingGroups"].as_array()
        {
            arns.extend(
                ancestors
                    .iter()
                    .filter_map(|a| a["groupArn"].as_str().map(str::to_string)),
            );
        }
        let jobs = self.gather::<StoredJob>(keys::JOBS).await?;
        let mut notifications = Vec::new();
        for job in jobs {
            let job = job.value;
            if job.target_selection != TargetSelection::Continuous
                || !job.targets.iter().any(|t| arns.contains(t))
            {
                continue;
            }
            let paced = JobConfigs::parse(&job.configs).is_ok_and(|c| c.is_scheduled());
            if paced && matches!(job.status, JobStatus::InProgress | JobStatus::Scheduled) {
                // A paced or scheduled job: the newcomer waits its turn with the other held
                // targets, and the scheduler releases it at the rollout's pace.
                self.hold_joiner(job.job_id.as_str(), thing).await?;
            } else if job.status == JobStatus::InProgress {
                notifications.extend(self.queue_executions(&job, &[thing.to_string()]).await?);
            }
        }
        Ok(notifications)
    }
}
