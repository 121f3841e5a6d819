//! The Jobs device MQTT API: a request published on a jobs topic
//! ([`thingcore::jobs::topic`]) becomes a [`JobsService`] device call, and its answer the
//! message on the request topic plus `/accepted`, or its refusal AWS's error response on
//! `/rejected` (`code`, `message`, `timestamp`, and the request's `clientToken` echoed). A
//! change adds the `notify` and `notify-next` messages it causes, after the answer. The
//! broker in `thingcore serve` and the WebSocket gateway both answer with this.

use crate::device::UpdateJobExecutionRequest;
use crate::{JobsService, Notification, ServiceError};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use thingcore::jobs::topic::{JobsOperation, JobsReply, JobsTopic};
use thingcore::jobs::JobsError;

/// The request fields every operation shares.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Common {
    client_token: Option<Value>,
}

/// StartNextPendingJobExecution's payload.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartNext {
    status_details: Option<BTreeMap<String, String>>,
    step_timeout_in_minutes: Option<i64>,
}

/// DescribeJobExecution's payload.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Describe {
    execution_number: Option<u64>,
    include_job_document: Option<bool>,
}

/// Why a payload is refused before the service sees it.
enum BadPayload {
    /// Not JSON (AWS's `InvalidJson`).
    NotJson,
    /// JSON, but not the request's shape (`InvalidRequest`).
    Invalid(String),
}

/// The payload as a JSON object (an empty payload is `{}`).
fn object(payload: &[u8]) -> Result<Map<String, Value>, BadPayload> {
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BadPayload::Invalid(
            "The request payload must be a JSON object".into(),
        )),
        Err(_) => Err(BadPayload::NotJson),
    }
}

fn fields<T: DeserializeOwned>(map: &Map<String, Value>) -> Result<T, BadPayload> {
    serde_json::from_value(Value::Object(map.clone()))
        .map_err(|e| BadPayload::Invalid(format!("The request payload is not valid: {e}")))
}

/// Answers the request published on `topic`, or `None` when `topic` is not a Jobs request.
/// The answer comes first, then any notifications.
pub async fn handle_request(
    service: &JobsService,
    topic: &str,
    payload: &[u8],
) -> Option<Vec<Notification>> {
    let request = JobsTopic::parse(topic)?;
    let parsed = object(payload);
    let client_token = parsed
        .as_ref()
        .ok()
        .and_then(|map| fields::<Common>(map).ok())
        .and_then(|common| common.client_token);
    let outcome = match parsed {
        Ok(map) => answer(service, &request, &map).await,
        Err(bad) => Err(Refused::Payload(bad)),
    };
    let now = service.now_secs();
    Some(match outcome {
        Ok((mut answer, notifications)) => {
            if let (Some(token), Value::Object(map)) = (client_token, &mut answer) {
                map.insert("clientToken".into(), token);
            }
            let mut out = vec![Notification {
                topic: request.reply_topic(JobsReply::Accepted),
                payload: answer,
            }];
            out.extend(notifications);
            out
        }
        Err(refused) => {
            let (code, message) = refused.code_and_message();
            let mut body = json!({ "code": code, "message": message, "timestamp": now });
            if let Some(token) = client_token {
                body["clientToken"] = token;
            }
            vec![Notification {
                topic: request.reply_topic(JobsReply::Rejected),
                payload: body,
            }]
        }
    })
}

/// Why a request was refused.
enum Refused {
    Payload(BadPayload),
    Service(JobsError),
}

impl From<BadPayload> for Refused {
    fn from(bad: BadPayload) -> Self {
        Refused::Payload(bad)
    }
}

impl From<ServiceError> for Refused {
    fn from(error: ServiceError) -> Self {
        Refused::Service(error.into_jobs_error())
    }
}

impl Refused {
    fn code_and_message(&self) -> (&'static str, String) {
        match self {
            Refused::Payload(BadPayload::NotJson) => (
                "InvalidJson",
                "The contents of the request could not be interpreted as valid UTF-8-encoded JSON"
                    .into(),
            ),
            Refused::Payload(BadPayload::Invalid(message)) => ("InvalidRequest", message.clone()),
            Refused::Service(error) => (error.device_code(), error.to_string()),
        }
    }
}

type Answer = (Value, Vec<Notification>);

async fn answer(
    service: &JobsService,
    request: &JobsTopic,
    map: &Map<String, Value>,
) -> Result<Answer, Refused> {
    let thing = request.thing_name.as_str();
    match &request.operation {
        JobsOperation::GetPending => Ok((service.get_pending(thing).await?, Vec::new())),
        JobsOperation::StartNext => {
            let start: StartNext = fields(map)?;
            let changed = service
                .start_next(thing, start.status_details, start.step_timeout_in_minutes)
                .await?;
            Ok((changed.result, changed.notifications))
        }
        JobsOperation::Describe { job_id } => {
            let describe: Describe = fields(map)?;
            let answer = service
                .describe_execution(
                    thing,
                    job_id,
                    describe.include_job_document.unwrap_or(true),
                    describe.execution_number,
                )
                .await?;
            Ok((answer, Vec::new()))
        }
        JobsOperation::Update { job_id } => {
            let update: UpdateJobExecutionRequest = fields(map)?;
            let changed = service.update_execution(thing, job_id, update).await?;
            Ok((changed.result, changed.notifications))
        }
    }
}
