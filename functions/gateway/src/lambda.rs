//! The Lambda entry: which API Gateway event arrived, and the answer Lambda returns.
//!
//! - WebSocket API events (`requestContext.eventType` `CONNECT`, `DISCONNECT`, `MESSAGE`; routes
//!   `$connect`, `$disconnect`, `$default`): the connection is recorded or forgotten, or the
//!   frame is handled and its replies posted back to the caller through the Management API.
//!   The answer is `{"statusCode": 200}`; a `$connect` its policy refuses answers 403, one that
//!   fails otherwise 500 (either refuses the connection).
//! - The connection's rights come from the `$connect` authorizer's context
//!   ([`rights_from_authorizer`]): `principalId`, `iotPolicy` (the IoT policy document, as the
//!   `authorizer` function puts it there), and optionally `disconnectAfterInSeconds` and
//!   `refreshAfterInSeconds`; the client id is the `clientId` query parameter, else the
//!   principal. An authorizer that sends no `iotPolicy` grants nothing: such connections are
//!   refused (`iot:Connect` is denied). Without an authorizer the API is open. With
//!   `refreshAfterInSeconds`, the authorizer is asked again once it passes
//!   ([`crate::refresh::AuthorizerRefresher`]) with the `$connect` request's headers and query
//!   parameters, kept with the connection for that (tokens included: the table is the
//!   gateway's own, as the rights it stores).
//! - HTTP API (payload 2.0) events: `POST /topics/{topic}` ([`crate::http`]), checked against
//!   the HTTP API authorizer's `iotPolicy` when there is one.

use crate::router::Router;
use crate::service::{ConnectInfo, GatewayConfig, GatewayService};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayWebsocketProxyRequest};
use base64::Engine;
use serde_json::{json, Value};
use thingcore::gateway::{ConnectionPrincipal, ConnectionRights, ErrorCode, RightsContext};
use thingcore::policy::Authorization;

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
        let authorization = http_authorization(gateway, &event);
        let request: ApiGatewayV2httpRequest =
            serde_json::from_value(event).map_err(|e| format!("not an HTTP API event: {e}"))?;
        let response = crate::http::handle(
            &request,
            &gateway.config().broker,
            gateway.now_millis(),
            router,
            authorization.as_ref(),
        )
        .await;
        return serde_json::to_value(response).map_err(|e| e.to_string());
    }
    if event.pointer("/requestContext/connectionId").is_some() {
        // A WebSocket API's REQUEST authorizer context is flat (`authorizer.principalId`),
        // unlike the HTTP API's `authorizer.lambda` the event type models: read it here.
        let rights = rights_from_authorizer(&event, gateway.config(), gateway.now_millis());
        let principal = event
            .pointer("/requestContext/authorizer/principalId")
            .and_then(Value::as_str)
            .map(str::to_string);
        let request: ApiGatewayWebsocketProxyRequest =
            serde_json::from_value(event).map_err(|e| format!("not a WebSocket API event: {e}"))?;
        return Ok(websocket(gateway, router, &request, principal, rights).await);
    }
    Err("unknown event shape: expected an API Gateway WebSocket or HTTP API event".into())
}

/// The rights a `$connect` event's authorizer context grants (see the module documentation);
/// `None` without an authorizer (an open API). When the authorizer asks to be asked again
/// (`refreshAfterInSeconds`), the request it authorized is kept in `refresh_with` for the
/// [`crate::refresh::AuthorizerRefresher`].
pub fn rights_from_authorizer(
    event: &Value,
    config: &GatewayConfig,
    now_millis: u64,
) -> Option<ConnectionRights> {
    let context = event.pointer("/requestContext/authorizer")?;
    let client_id = event
        .pointer("/queryStringParameters/clientId")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty());
    let mut rights = rights_from_context(context, client_id, now_millis)?;
    if rights.refresh_at.is_some() {
        rights.refresh_with = Some(authorizer_request(event, config));
    }
    Some(rights)
}

/// The rights an authorizer's context grants: `principalId`, `iotPolicy`, and the session's
/// `disconnectAfterInSeconds` and `refreshAfterInSeconds` from `now_millis`; the client id is
/// `client_id`, else the principal. `None` without a `principalId`.
pub fn rights_from_context(
    context: &Value,
    client_id: Option<&str>,
    now_millis: u64,
) -> Option<ConnectionRights> {
    let principal_id = context.get("principalId").and_then(Value::as_str)?;
    let policies = context
        .get("iotPolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .into_iter()
        .collect();
    // API Gateway hands context values on as strings; a number is accepted too.
    let seconds = |field: &str| match context.get(field) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse::<u64>().ok(),
        _ => None,
    };
    let at = |secs: u64| now_millis.saturating_add(secs.saturating_mul(1000));
    Some(ConnectionRights {
        client_id: client_id.unwrap_or(principal_id).to_string(),
        principal: ConnectionPrincipal::CustomAuthorizer(principal_id.to_string()),
        policies,
        disconnect_at: seconds("disconnectAfterInSeconds").map(at),
        refresh_at: seconds("refreshAfterInSeconds").map(at),
        refresh_with: None,
    })
}

/// The REQUEST authorizer event API Gateway sent for this `$connect`, rebuilt from the
/// `$connect` event: its headers and query parameters (where the token is) and the route's
/// ARN in this gateway's region and account, so the authorizer can be asked again as it was
/// asked first.
fn authorizer_request(event: &Value, config: &GatewayConfig) -> Value {
    let field = |pointer: &str| event.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    let method_arn = format!(
        "arn:aws:execute-api:{region}:{account}:{api}/{stage}/$connect",
        region = config.region,
        account = config.account_id,
        api = field("/requestContext/apiId"),
        stage = field("/requestContext/stage"),
    );
    json!({
        "type": "REQUEST",
        "methodArn": method_arn,
        "headers": event.get("headers").cloned().unwrap_or(Value::Null),
        "queryStringParameters": event.get("queryStringParameters").cloned().unwrap_or(Value::Null),
        "requestContext": {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "apiId": field("/requestContext/apiId"),
            "stage": field("/requestContext/stage"),
            "connectionId": field("/requestContext/connectionId"),
        },
    })
}

/// What an HTTP API request's Lambda authorizer allows (its context, at
/// `requestContext.authorizer.lambda`: `principalId` and `iotPolicy`, as the `authorizer`
/// function answers); `None` without an authorizer. A policy that does not parse allows
/// nothing.
fn http_authorization(gateway: &GatewayService, event: &Value) -> Option<Authorization> {
    let context = event.pointer("/requestContext/authorizer/lambda")?;
    let mut rights = rights_from_context(context, None, gateway.now_millis())?;
    // A request is judged by its policy alone: it has no session to end.
    rights.disconnect_at = None;
    rights.refresh_at = None;
    let source_ip = event
        .pointer("/requestContext/http/sourceIp")
        .and_then(Value::as_str)
        .map(str::to_string);
    let config = gateway.config();
    let at = RightsContext {
        region: &config.region,
        account_id: &config.account_id,
        source_ip: source_ip.as_deref(),
        now_millis: gateway.now_millis(),
    };
    Some(rights.authorization(at).unwrap_or_else(|error| {
        tracing::warn!(%error, "the authorizer's policy does not parse: allowing nothing");
        let context = thingcore::policy::AuthContext::new(
            rights.principal.to_policy_principal(),
            at.region,
            at.account_id,
            0,
        );
        Authorization::new(&[], context)
    }))
}

/// Handles one WebSocket API event; `principal` and `rights` are the authorizer's, when there
/// is one.
pub async fn websocket(
    gateway: &GatewayService,
    router: &dyn Router,
    request: &ApiGatewayWebsocketProxyRequest,
    principal: Option<String>,
    rights: Option<ConnectionRights>,
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
                rights,
            };
            match gateway.connect(info).await {
                Ok(()) => json!({ "statusCode": 200 }),
                Err(error) if error.code() == ErrorCode::NotAuthorized => {
                    tracing::info!(%error, "refusing a connection");
                    json!({ "statusCode": 403 })
                }
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
