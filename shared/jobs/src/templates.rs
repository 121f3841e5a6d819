//! Job templates: CreateJobTemplate (from a document, a `documentSource` or an existing job's
//! `jobArn`), DescribeJobTemplate, ListJobTemplates, DeleteJobTemplate.

use crate::error::ServiceError;
use crate::jobs::{check_text, configs_of};
use crate::repo::{self, Loaded};
use crate::{keys, JobsService};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use thingcore::jobs::create::check_document;
use thingcore::jobs::record::JOB_CONFIG_FIELDS;
use thingcore::jobs::{JobTemplateId, JobsError, StoredJobTemplate};
use thingcore::store::Expect;

/// The configurations a template keeps.
const TEMPLATE_CONFIG_FIELDS: [&str; 6] = [
    "presignedUrlConfig",
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "timeoutConfig",
    "jobExecutionsRetryConfig",
    "maintenanceWindows",
];

/// CreateJobTemplate's body (`tags` accepted and not kept).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateJobTemplateRequest {
    /// `jobArn`: copy this job's document and configurations.
    pub job_arn: Option<String>,
    /// `document`.
    pub document: Option<String>,
    /// `documentSource`.
    pub document_source: Option<String>,
    /// `description` (required).
    pub description: Option<String>,
    /// `tags`.
    pub tags: Option<Vec<Value>>,
    /// Everything else: the configurations.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

fn template_not_found(id: &str) -> JobsError {
    JobsError::not_found(format!("Job template {id} does not exist"))
}

impl JobsService {
    /// CreateJobTemplate.
    ///
    /// # Errors
    /// `InvalidRequestException` (bad id, description or document; not exactly one of
    /// `jobArn`, `document`, `documentSource`), `ResourceNotFoundException` for an unknown
    /// job, `ConflictException` for a template id in use.
    pub async fn create_job_template(
        &self,
        id: &str,
        request: CreateJobTemplateRequest,
    ) -> Result<Value, ServiceError> {
        let id = JobTemplateId::parse(id)?;
        let description = request
            .description
            .clone()
            .ok_or_else(|| JobsError::invalid("description is required"))?;
        check_text("description", Some(&description), 2028)?;
        let sources = [
            request.job_arn.is_some(),
            request.document.is_some(),
            request.document_source.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(JobsError::invalid(
                "Exactly one of jobArn, document and documentSource must be given",
            )
            .into());
        }
        let mut configs = Map::new();
        let (mut document, mut document_source) =
            (request.document.clone(), request.document_source.clone());
        if let Some(arn) = &request.job_arn {
            let job_id = arn
                .strip_prefix(&self.job_arn(""))
                .ok_or_else(|| JobsError::not_found(format!("Job {arn} does not exist")))?;
            let job = self.require_job(job_id).await?.value;
            document = job.document_before_substitution.or(job.document);
            document_source = job.document_source;
            configs = configs_of(&job.configs, &JOB_CONFIG_FIELDS[..5])?;
        }
        if let Some(document) = &document {
            check_document(document)?;
        }
        configs.extend(configs_of(&request.rest, &TEMPLATE_CONFIG_FIELDS)?);
        let arn = self.job_template_arn(id.as_str());
        let template = StoredJobTemplate {
            job_template_id: id.clone(),
            job_template_arn: arn.clone(),
            description,
            document,
            document_source,
            configs,
            created_at: self.now_secs(),
        };
        let op = repo::put(keys::job_template(id.as_str()), &template, Expect::Absent)?;
        if !self.commit(vec![op]).await? {
            return Err(JobsError::Conflict {
                message: format!("Job template {id} already exists"),
                resource_id: id.to_string(),
            }
            .into());
        }
        Ok(json!({ "jobTemplateArn": arn, "jobTemplateId": id }))
    }

    async fn require_template(&self, id: &str) -> Result<Loaded<StoredJobTemplate>, ServiceError> {
        let id = JobTemplateId::parse(id)?;
        self.load(keys::job_template(id.as_str()))
            .await?
            .ok_or_else(|| template_not_found(id.as_str()).into())
    }

    /// DescribeJobTemplate.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn describe_job_template(&self, id: &str) -> Result<Value, ServiceError> {
        Ok(self.require_template(id).await?.value.to_description())
    }

    /// ListJobTemplates, in id order.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad token.
    pub async fn list_job_templates(
        &self,
        max_results: usize,
        next_token: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let (templates, next) = self
            .filtered_page(
                keys::JOB_TEMPLATES,
                max_results,
                next_token,
                |t: StoredJobTemplate| Some(t.to_summary()),
            )
            .await?;
        let mut out = json!({ "jobTemplates": templates });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }

    /// DeleteJobTemplate.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn delete_job_template(&self, id: &str) -> Result<Value, ServiceError> {
        let found = self.require_template(id).await?;
        self.commit(vec![repo::delete(
            found.key,
            Expect::Version(found.version),
        )])
        .await?;
        Ok(json!({}))
    }
}
