//! The Lambda entry: which API Gateway event arrived, and the answer Lambda returns.
//!
//! - WebSocket API events (`requestContext.eventType` `CONNECT`, `DISCONNECT`, `MESSAGE`; routes
//!   `$connect`, `$disconnect`, `$default`): the connection is recorded or forgotten, or the
//!   frame is handled and its replies posted back to the caller through the Management API.
//!   The answer is `{"statusCode": 200}` (a failed `$connect` answers 500, refusing it).
//! - HTTP API (payload 2.0) events: `POST /topics/{topic}` ([`crate::http`]).

use crate::router::Router;
use crate::service::{ConnectInfo, GatewayService};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayWebsocketProxyRequest};
use base64::Engine;
use serde_json::{json, Value};

/// Handles one Lambda event.
///
/// # Errors
/// An event of neither shape, as a message for Lambda's error response.
pub async fn handle(
    gateway: &GatewayService,
    router: &dyn Router,
    event: Value,
) -> Result<Value, String> {
    if event.pointer("/requestContext/http").is_some() {
        let request: ApiGatewayV2httpRequest =
            serde_json::from_value(event).map_err(|e| format!("not an HTTP API event: {e}"))?;
        let response = crate::http::handle(
            &request,
            &gateway.config().broker,
            gateway.now_millis(),
            router,
        )
        .await;
        return serde_json::to_value(response).map_err(|e| e.to_string());
    }
    if event.pointer("/requestContext/connectionId").is_some() {
        // A WebSocket API's REQUEST authorizer context is flat (`authorizer.principalId`),
        // unlike the HTTP API's `authorizer.lambda` the event type models: read it here.
        let principal = event
            .pointer("/requestContext/authorizer/principalId")
            .and_then(Value::as_str)
            .map(str::to_string);
        let request: ApiGatewayWebsocketProxyRequest =
            serde_json::from_value(event).map_err(|e| format!("not a WebSocket API event: {e}"))?;
        return Ok(websocket(gateway, router, &request, principal).await);
    }
    Err("unknown event shape: expected an API Gateway WebSocket or HTTP API event".into())
}

/// Handles one WebSocket API event; `principal` is the authorizer's, when there is one.
pub async fn websocket(
    gateway: &GatewayService,
    router: &dyn Router,
    request: &ApiGatewayWebsocketProxyRequest,
    principal: Option<String>,
) -> Value {
    let context = &request.request_context;
    let connection_id = context.connection_id.clone().unwrap_or_default();
    let kind = context
        .event_type
        .clone()
        .or_else(|| context.route_key.clone())
        .unwrap_or_default();
    match kind.as_str() {
        "CONNECT" | "$connect" => {
            let info = ConnectInfo {
                connection_id,
                source_ip: context.identity.source_ip.clone(),
                principal,
            };
            match gateway.connect(info).await {
                Ok(()) => json!({ "statusCode": 200 }),
                Err(error) => {
                    tracing::error!(%error, "refusing a connection");
                    json!({ "statusCode": 500 })
                }
            }
        }
        "DISCONNECT" | "$disconnect" => {
            if let Err(error) = gateway.disconnect(&connection_id).await {
                tracing::error!(%error, connection_id, "forgetting a connection failed");
            }
            json!({ "statusCode": 200 })
        }
        _ => {
            let text = match (&request.body, request.is_base64_encoded) {
                (Some(body), true) => base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .unwrap_or_default(),
                (Some(body), false) => body.clone(),
                (None, _) => String::new(),
            };
            let frames = gateway.handle_frame(&connection_id, &text, router).await;
            if let Err(error) = gateway.reply(&connection_id, &frames).await {
                tracing::warn!(%error, connection_id, "replying to a frame failed");
            }
            json!({ "statusCode": 200 })
        }
    }
}
