//! The `iot-jobs-data` API (AWS IoT Jobs' device side over HTTPS), as botocore's
//! `iot-jobs-data` model lays it out: GetPendingJobExecutions (`GET /things/{thing}/jobs`),
//! StartNextPendingJobExecution (`PUT /things/{thing}/jobs/$next`), DescribeJobExecution
//! (`GET /things/{thing}/jobs/{jobId}`) and UpdateJobExecution
//! (`POST /things/{thing}/jobs/{jobId}`). The same [`JobsService`] device calls answer the
//! MQTT jobs topics; what a change causes on `notify` and `notify-next` goes to the service's
//! notification sink. Job documents travel as strings here (the model's `JobDocument`), where
//! the MQTT payloads carry them as JSON.
//!
//! The paths are the control plane's too: the host sends a request here when it is signed
//! for `iot-jobs-data` ([`thingcore::auth::service::is_jobs_data_request`]).

use crate::http::Call;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use thingcore_jobs::device::UpdateJobExecutionRequest;
use thingcore_jobs::{JobsService, ServiceError};
use thingcore_lambda::apigw::json_response;

/// StartNextPendingJobExecution's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartNextRequest {
    status_details: Option<BTreeMap<String, String>>,
    step_timeout_in_minutes: Option<i64>,
}

/// Handles one `iot-jobs-data` request.
pub async fn handle(
    jobs: &JobsService,
    request: &ApiGatewayV2httpRequest,
) -> ApiGatewayV2httpResponse {
    let outcome = match Call::new(request) {
        Ok(call) => dispatch(jobs, &call).await,
        Err(error) => Some(Err(error.into())),
    };
    match outcome {
        Some(Ok(mut body)) => {
            documents_as_strings(&mut body);
            json_response(200, &body, None)
        }
        Some(Err(error)) => {
            let error = error.into_jobs_error();
            let (kind, status) = error.jobs_data_error();
            json_response(status, &error.to_body(), Some(kind))
        }
        None => json_response(
            404,
            &json!({ "message": format!("No iot-jobs-data operation matches {}", request.raw_path.as_deref().unwrap_or("/")) }),
            Some("UnknownOperationException"),
        ),
    }
}

async fn dispatch(jobs: &JobsService, c: &Call<'_>) -> Option<Result<Value, ServiceError>> {
    let segments = c.segments();
    Some(match (c.method(), segments.as_slice()) {
        ("GET", ["things", thing, "jobs"]) => jobs.get_pending(thing).await,
        ("PUT", ["things", thing, "jobs", "$next"]) => {
            async {
                let body: StartNextRequest = c.body()?;
                let changed = jobs
                    .start_next(thing, body.status_details, body.step_timeout_in_minutes)
                    .await?;
                jobs.deliver(changed.notifications).await;
                Ok(changed.result)
            }
            .await
        }
        ("GET", ["things", thing, "jobs", job_id]) => {
            async {
                let include = c.flag("includeJobDocument")?.unwrap_or(true);
                let number = c.number("executionNumber")?;
                jobs.describe_execution(thing, job_id, include, number)
                    .await
            }
            .await
        }
        ("POST", ["things", thing, "jobs", job_id]) => {
            async {
                let body: UpdateJobExecutionRequest = c.body()?;
                let changed = jobs.update_execution(thing, job_id, body).await?;
                jobs.deliver(changed.notifications).await;
                Ok(changed.result)
            }
            .await
        }
        _ => return None,
    })
}

/// `jobDocument` as the model's string, at the top level and in `execution`.
fn documents_as_strings(body: &mut Value) {
    let as_string = |value: &mut Value| {
        if let Some(document) = value.get_mut("jobDocument") {
            if !document.is_string() {
                *document = Value::String(document.to_string());
            }
        }
    };
    as_string(body);
    if let Some(execution) = body.get_mut("execution") {
        as_string(execution);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_travel_as_strings() {
        let mut body = json!({"execution": {"jobDocument": {"a": 1}}, "jobDocument": {"b": [2]}});
        documents_as_strings(&mut body);
        assert_eq!(body["execution"]["jobDocument"], json!("{\"a\":1}"));
        assert_eq!(body["jobDocument"], json!("{\"b\":[2]}"));
        let mut plain = json!({"executionState": {"status": "QUEUED"}});
        documents_as_strings(&mut plain);
        assert_eq!(plain, json!({"executionState": {"status": "QUEUED"}}));
    }
}
