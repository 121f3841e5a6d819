//! The HTTP API route `POST /topics/{topic}` (the AWS IoT data plane's Publish) as an API
//! Gateway HTTP API (payload 2.0) event: the same checks as `thingcore serve`'s route
//! (`thingcore::broker::http_publish`), then the message goes to the [`Router`].

use crate::router::Router;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use base64::Engine;
use http::{HeaderMap, Method};
use serde_json::json;
use thingcore::broker::http_publish::{publish_request, PublishRequest};
use thingcore::broker::BrokerConfig;
use thingcore::mqtt::Bytes;
use thingcore::policy::Authorization;
use thingcore::route::{publish_door, Refusal};
use thingcore::Error;
use thingcore_lambda::apigw::json_response;

/// Handles one request: 200 `{}` once routed, or AWS's error status, `x-amzn-ErrorType` and
/// `{"message"}`. With `authorization` (the HTTP API authorizer's policy), the publish door
/// is asked first, as on every other door: a refusal is 401 `UnauthorizedException`, as
/// AWS IoT's Publish answers.
pub async fn handle(
    request: &ApiGatewayV2httpRequest,
    config: &BrokerConfig,
    now_millis: u64,
    router: &dyn Router,
    authorization: Option<&Authorization>,
) -> ApiGatewayV2httpResponse {
    match publish(request, config, now_millis, router, authorization).await {
        Ok(()) => json_response(200, &json!({}), None),
        Err(Refused::Door(refusal)) => json_response(
            401,
            &json!({ "message": refusal.to_string() }),
            Some("UnauthorizedException"),
        ),
        Err(Refused::Request(error)) => {
            if error.http_status() >= 500 {
                tracing::error!(%error, "publish failed");
            }
            json_response(
                error.http_status(),
                &json!({ "message": error.to_string() }),
                Some(error.aws_error_type()),
            )
        }
    }
}

/// Why a publish was not made.
enum Refused {
    /// The request is bad, or routing failed.
    Request(Error),
    /// The caller's policy does not allow it.
    Door(Refusal),
}

impl From<Error> for Refused {
    fn from(error: Error) -> Self {
        Refused::Request(error)
    }
}

async fn publish(
    request: &ApiGatewayV2httpRequest,
    config: &BrokerConfig,
    now_millis: u64,
    router: &dyn Router,
    authorization: Option<&Authorization>,
) -> Result<(), Refused> {
    if request.request_context.http.method != Method::POST {
        return Err(Error::invalid("method", "only POST publishes").into());
    }
    let topic = topic_of(request)?;
    let payload = match &request.body {
        None => Bytes::new(),
        Some(body) if request.is_base64_encoded => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .map_err(|_| Error::invalid("body", "is not base64 although isBase64Encoded"))?,
        ),
        Some(body) => Bytes::from(body.clone().into_bytes()),
    };
    let query = |name: &str| request.query_string_parameters.first(name);
    let header = |name: &str| header(&request.headers, name);
    let message = publish_request(
        PublishRequest {
            topic: &topic,
            qos: query("qos"),
            retain: query("retain"),
            content_type: query("contentType"),
            response_topic: query("responseTopic"),
            message_expiry: query("messageExpiry"),
            user_properties: header("x-amz-mqtt5-user-properties"),
            payload_format_indicator: header("x-amz-mqtt5-payload-format-indicator"),
            correlation_data: header("x-amz-mqtt5-correlation-data"),
            payload,
        },
        config,
        now_millis,
    )?;
    // Reserved topics were refused above (an invalid topic); here the policy decides.
    if let Err(refusal) = publish_door(authorization, &message.topic, message.retain) {
        return Err(Refused::Door(refusal));
    }
    router
        .route(message)
        .await
        .map_err(|e| Refused::Request(Error::storage("routing the message", e)))
}

/// The `{topic}` label: the route's path parameter, else the raw path after `/topics/`,
/// percent-decoded (`a%2Fb` is `a/b`).
fn topic_of(request: &ApiGatewayV2httpRequest) -> Result<String, Error> {
    if let Some(topic) = request.path_parameters.get("topic") {
        return Ok(topic.clone());
    }
    let path = request.raw_path.as_deref().unwrap_or_default();
    let Some(raw) = path.strip_prefix("/topics/") else {
        return Err(Error::ResourceNotFound(format!("no route for {path}")));
    };
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|topic| topic.into_owned())
        .map_err(|_| Error::invalid("topic", "is not UTF-8 once percent-decoded"))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
