//! The HTTP front of `thingcore serve`: health, MQTT over WebSocket at `/mqtt`, and the AWS IoT
//! data-plane routes for publishing and retained messages. Each route translates HTTP into a
//! core call and back; the rules are in `thingcore`.

use crate::mqtt::transport::WsTransport;
use crate::mqtt::{connection, HubHandle};
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use thingcore::broker::http_publish::{self, PublishRequest};
use thingcore::broker::{BrokerConfig, ConnectionInfo};
use thingcore::store::PageToken;
use thingcore::{Clock, Error, SystemClock};
use thingcore_registry::RegistryService;
use thingcore_shadows::ShadowService;

/// What the routes share.
#[derive(Clone)]
pub struct AppState {
    /// The MQTT hub.
    pub hub: HubHandle,
    /// Broker limits (payload size, topics).
    pub config: Arc<BrokerConfig>,
    /// The Device Shadow service (the shadow-updater function answers HTTP with it).
    pub shadows: ShadowService,
    /// The registry (the registry-api function answers HTTP with it).
    pub registry: RegistryService,
    /// IAM and STS (`POST /`, the Query protocol: `crate::iam_routes`).
    pub iam: thingcore_iam::IamService,
    /// AWS IoT Jobs (the registry-api function answers its control plane too).
    pub jobs: thingcore_jobs::JobsService,
    /// SigV4 authentication of every request (`crate::http_auth`).
    pub auth: Arc<crate::http_auth::HttpAuth>,
    /// The gateway function's handler, behind `/ws`.
    pub gateway: crate::ws::LocalGateway,
    /// Authenticates the CONNECT of MQTT-over-WebSocket clients whose upgrade request carried
    /// no credentials (custom authorizers named in the CONNECT username, as the device SDKs'
    /// `websockets_with_custom_authorizer` does), and lists them for revocation.
    pub mqtt_auth: Option<(
        Arc<dyn crate::mqtt::auth::Authenticator>,
        crate::mqtt::revocation::LiveConnections,
    )>,
}

/// The router of the HTTP listener.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/mqtt", get(mqtt_websocket))
        .route("/ws", get(crate::ws::websocket))
        .route("/topics/{*topic}", post(publish))
        .route("/retainedMessage", get(list_retained))
        .route("/retainedMessage/{*topic}", get(get_retained))
        .route("/things/{thing}/shadow", any(shadow_route))
        .route(
            "/api/things/shadow/ListNamedShadowsForThing/{thing}",
            any(shadow_route),
        )
        .route("/ca.pem", get(ca_pem))
        .route(
            "/",
            post(crate::iam_routes::query_route).fallback(registry_route),
        )
        // Every other path is the control plane's: the registry-api handler answers, with
        // AWS's UnknownOperationException for paths it does not know.
        .fallback(registry_route)
        .layer(axum::middleware::from_fn_with_state(
            state.auth.clone(),
            crate::http_auth::authenticate,
        ))
        .with_state(state)
}

/// `GET /health`: 200 `{"status":"ok"}` while the server runs.
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// An AWS-style error response: status, `x-amzn-ErrorType`, and `{"message": ...}`.
pub struct AwsError(pub Error);

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let kind = self.0.aws_error_type();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "request failed");
        }
        let mut response = (status, Json(json!({ "message": self.0.to_string() }))).into_response();
        response
            .headers_mut()
            .insert("x-amzn-ErrorType", HeaderValue::from_static(kind));
        response
    }
}

/// `GET /mqtt` with `Upgrade: websocket`: MQTT over WebSocket, subprotocol `mqtt`.
async fn mqtt_websocket(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: Option<axum::Extension<thingcore::auth::Caller>>,
    custom: Option<axum::Extension<crate::http_auth::CustomCaller>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !offers_mqtt_subprotocol(&headers) {
        tracing::info!(%peer, "MQTT over WebSocket without the mqtt subprotocol: refused");
        return (
            StatusCode::BAD_REQUEST,
            [("x-amzn-ErrorType", "InvalidRequestException")],
            Json(json!({
                "message": "MQTT over WebSocket needs the subprotocol mqtt (Sec-WebSocket-Protocol: mqtt)"
            })),
        )
            .into_response();
    }
    // A presigned URL's access key is the connection's principal, and its policy (from
    // --credentials) the connection's rights at every MQTT door.
    let now = i64::try_from(thingcore::SystemClock.now_millis()).unwrap_or(i64::MAX);
    let mut authorization = caller.as_ref().and_then(|c| {
        c.0.authorization(&state.auth.region, &state.auth.account_id, now)
            .map(std::sync::Arc::new)
    });
    let mut principal = caller
        .filter(|c| c.0 != thingcore::auth::Caller::Anonymous)
        .map(|c| c.0.name().to_owned());
    // Or a custom authorizer's principal and policies.
    if let Some(axum::Extension(custom)) = custom {
        principal = Some(custom.principal_id);
        authorization = Some(custom.authorization);
    }
    let max_packet = state.config.max_packet_bytes;
    // An upgrade without credentials: the CONNECT is authenticated, as on the TCP listeners.
    let connect_auth = match (&principal, &state.mqtt_auth) {
        (None, Some((authenticator, live))) => Some(connection::ListenerAuth {
            authenticator: authenticator.clone(),
            credentials: crate::mqtt::auth::Credentials {
                source_ip: Some(peer.ip()),
                ..Default::default()
            },
            live: live.clone(),
        }),
        _ => None,
    };
    upgrade
        .protocols(MQTT_SUBPROTOCOLS)
        .max_message_size(max_packet + 1024)
        .on_upgrade(move |socket| async move {
            let info = ConnectionInfo {
                ip_address: Some(peer.ip().to_string()),
                principal,
                authorization,
            };
            connection::serve_with(
                WsTransport::new(socket),
                info,
                state.hub,
                max_packet,
                connect_auth,
            )
            .await;
        })
}

/// The WebSocket subprotocols MQTT goes by: `mqtt` (3.1.1 and 5), `mqttv3.1`.
const MQTT_SUBPROTOCOLS: [&str; 2] = ["mqtt", "mqttv3.1"];

/// Whether the upgrade request offers an MQTT subprotocol (AWS IoT requires `mqtt`).
fn offers_mqtt_subprotocol(headers: &HeaderMap) -> bool {
    headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| MQTT_SUBPROTOCOLS.contains(&p.trim()))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The shadow data-plane routes: the request becomes the HTTP API event Lambda would get, the
/// shadow-updater handler answers it, and what it publishes goes through the hub.
async fn shadow_route(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let event = match crate::apigw::to_event(request).await {
        Ok(event) => event,
        Err(response) => return response,
    };
    let (response, outbound) = shadow_updater::http::handle(&state.shadows, &event).await;
    crate::shadows::publish_all(&state.hub, outbound).await;
    crate::apigw::from_response(response)
}

/// The control-plane routes, as HTTP API events to the registry-api handler; the
/// `iot-jobs-data` API, on paths it shares with them, when the request is signed for it or
/// comes unsigned with a client certificate (which the control plane never takes).
async fn registry_route(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Response {
    let signed = signed_service(&request);
    let certificate = signed.is_none()
        && request
            .extensions()
            .get::<crate::http_auth::ClientCertificates>()
            .is_some();
    let jobs_data = thingcore::auth::service::is_jobs_data_request(
        request.method().as_str(),
        request.uri().path(),
        signed.as_deref(),
    ) || (certificate
        && thingcore::auth::jobs_data_action(request.method().as_str(), request.uri().path())
            .is_some());
    let event = match crate::apigw::to_event(request).await {
        Ok(event) => event,
        Err(response) => return response,
    };
    if jobs_data {
        return crate::apigw::from_response(
            registry_api::jobs_data::handle(&state.jobs, &event).await,
        );
    }
    crate::apigw::from_response(
        registry_api::http::handle((&state.registry, &state.jobs), &event).await,
    )
}

/// The service a SigV4-signed request's credential scope names (the middleware has verified
/// it), or `None` for an unsigned request.
fn signed_service(request: &axum::extract::Request) -> Option<String> {
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let signed = thingcore::auth::HttpRequest {
        method: request.method().as_str(),
        path: request.uri().path(),
        query: request.uri().query(),
        headers,
        body: &[],
    };
    thingcore::auth::sigv4::parse(&signed)
        .ok()
        .flatten()
        .map(|info| info.service.to_string())
}

/// `GET /ca.pem`: the local CA's certificate, for devices and clients to trust.
async fn ca_pem(State(state): State<AppState>) -> Response {
    match state.registry.ca_certificate_pem().await {
        Ok(pem) => (
            [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
            pem,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "the local CA is not available");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the local CA is not available",
            )
                .into_response()
        }
    }
}

/// `POST /topics/{topic}`: the data-plane Publish.
async fn publish(
    State(state): State<AppState>,
    Path(topic): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    payload: Bytes,
) -> Result<Json<Value>, AwsError> {
    let q = |name: &str| query.get(name).map(String::as_str);
    let request = PublishRequest {
        topic: &topic,
        qos: q("qos"),
        retain: q("retain"),
        content_type: q("contentType"),
        response_topic: q("responseTopic"),
        message_expiry: q("messageExpiry"),
        user_properties: header(&headers, "x-amz-mqtt5-user-properties"),
        payload_format_indicator: header(&headers, "x-amz-mqtt5-payload-format-indicator"),
        correlation_data: header(&headers, "x-amz-mqtt5-correlation-data"),
        payload,
    };
    let message = http_publish::publish_request(request, &state.config, SystemClock.now_millis())
        .map_err(AwsError)?;
    if !state.hub.publish(message).await {
        return Err(AwsError(Error::Storage {
            message: "the broker is shutting down".into(),
            source: None,
        }));
    }
    Ok(Json(json!({})))
}

/// `GET /retainedMessage?maxResults=&nextToken=`: ListRetainedMessages.
async fn list_retained(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AwsError> {
    let max_results = match query.get("maxResults") {
        None => 200,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=200).contains(&n) => n,
            _ => {
                return Err(AwsError(Error::invalid(
                    "maxResults",
                    "must be between 1 and 200",
                )))
            }
        },
    };
    let after = match query.get("nextToken") {
        None => None,
        Some(token) => Some(
            PageToken::from_wire(token.clone())
                .decode()
                .map_err(AwsError)?,
        ),
    };
    let mut messages = state.hub.list_retained().await;
    messages.sort_by(|a, b| a.topic.cmp(&b.topic));
    let page: Vec<_> = messages
        .iter()
        .filter(|m| {
            after
                .as_deref()
                .is_none_or(|after| m.topic.as_str() > after)
        })
        .take(max_results + 1)
        .collect();
    let more = page.len() > max_results;
    let page = &page[..page.len().min(max_results)];
    let topics: Vec<Value> = page
        .iter()
        .map(|m| {
            json!({
                "topic": m.topic,
                "payloadSize": m.payload.len(),
                "qos": m.qos.as_u8(),
                "lastModifiedTime": m.received_at,
            })
        })
        .collect();
    let mut body = json!({ "retainedTopics": topics });
    if more {
        if let Some(last) = page.last() {
            body["nextToken"] = json!(PageToken::after(&last.topic).as_str());
        }
    }
    Ok(Json(body))
}

/// `GET /retainedMessage/{topic}`: GetRetainedMessage.
async fn get_retained(
    State(state): State<AppState>,
    Path(topic): Path<String>,
) -> Result<Json<Value>, AwsError> {
    let Some(message) = state.hub.get_retained(topic.clone()).await else {
        return Err(AwsError(Error::ResourceNotFound(format!(
            "no retained message on topic {topic}"
        ))));
    };
    let mut body = json!({
        "topic": message.topic,
        "payload": base64::engine::general_purpose::STANDARD.encode(&message.payload),
        "qos": message.qos.as_u8(),
        "lastModifiedTime": message.received_at,
    });
    if let Some(props) = http_publish::encode_user_properties(&message.properties.user_properties) {
        body["userProperties"] = json!(props);
    }
    Ok(Json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_protocols(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                "sec-websocket-protocol",
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        headers
    }

    #[test]
    fn the_mqtt_subprotocol_is_required() {
        assert!(offers_mqtt_subprotocol(&with_protocols(&["mqtt"])));
        assert!(offers_mqtt_subprotocol(&with_protocols(&["wamp, mqtt"])));
        assert!(offers_mqtt_subprotocol(&with_protocols(&[
            "chat", "mqttv3.1"
        ])));
        assert!(!offers_mqtt_subprotocol(&with_protocols(&[])));
        assert!(!offers_mqtt_subprotocol(&with_protocols(&["chat"])));
        assert!(!offers_mqtt_subprotocol(&with_protocols(&["mqtt5x"])));
    }
}
