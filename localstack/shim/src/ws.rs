//! The gateway function in process at `/ws`: `/ws` WebSocket clients speak the gateway's JSON frames
//! (`thingcore::gateway`) to the very [`GatewayService`] Lambda runs, with the Store of `thingcore
//! serve` and two local adapters — the socket itself as the Management API
//! ([`WsConnections`]), and the MQTT hub as the [`Router`] (`HubRouter`). The hub hands every
//! routed message back to [`GatewayService::deliver`], so MQTT clients and `/ws` clients see
//! each other's messages, and `/ws` publishes reach the shadow service and the rules engine.
//!
//! A `/ws` connection's rights come from the HTTP listener's authentication, as `/mqtt`'s do:
//! a custom authorizer's answer (its policies, `disconnectAfterInSeconds`, and
//! `refreshAfterInSeconds`, when the registry's authorizer is asked again: [`RegistryRefresher`]),
//! or a presigned URL's key and its policy from `--credentials`. The client id is the `clientId`
//! query parameter, else the principal. A connection its policy refuses (`iot:Connect`) gets
//! 403 instead of an upgrade; anonymous connections in open mode may do everything.

use crate::http_auth::{CustomCaller, HttpAuth};
use crate::mqtt::HubHandle;
use axum::extract::ws::{Message as WsMessage, WebSocket};
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use futures::{SinkExt, StreamExt};
use gateway::refresh::RightsRefresher;
use gateway::{ConnectInfo, GatewayConfig, GatewayError, GatewayService, Router};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use thingcore::auth::Caller;
use thingcore::broker::{BrokerConfig, Message};
use thingcore::gateway::{ConnectionPrincipal, ConnectionRights};
use thingcore::gateway::{ConnectionPublisher, ErrorCode, PostError, ServerFrame};
use thingcore::policy::custom_authorizer::{AuthorizerInput, HttpInput};
use thingcore::store::Store;
use thingcore::Clock;
use thingcore::SystemClock;
use thingcore_registry::custom_auth::{CustomAuthRequest, SharedAuthorizerFunctions};
use thingcore_registry::RegistryService;
use tokio::sync::mpsc;

/// The topic filters the gateway observes on the hub (`#` does not match `$` topics).
pub const GATEWAY_TOPICS: [&str; 2] = ["#", "$aws/#"];

/// What a `/ws` socket's writer is told.
#[derive(Debug)]
enum Outbound {
    /// Send this text frame.
    Frame(String),
    /// Close the socket (its session ended or its rights were revoked).
    Close,
}

/// The open `/ws` sockets by connection id: the local Management API.
#[derive(Debug, Default)]
pub struct WsConnections {
    senders: Mutex<HashMap<String, mpsc::UnboundedSender<Outbound>>>,
    /// Open while any socket is: the hub's gate for handing messages to the gateway.
    any: Arc<AtomicBool>,
}

impl WsConnections {
    fn add(&self, id: &str, tx: mpsc::UnboundedSender<Outbound>) {
        if let Ok(mut senders) = self.senders.lock() {
            senders.insert(id.to_string(), tx);
            self.any.store(true, Ordering::Relaxed);
        }
    }

    fn remove(&self, id: &str) {
        if let Ok(mut senders) = self.senders.lock() {
            senders.remove(id);
            self.any.store(!senders.is_empty(), Ordering::Relaxed);
        }
    }
}

#[async_trait::async_trait]
impl ConnectionPublisher for WsConnections {
    async fn post(&self, connection_id: &str, frame: &str) -> Result<(), PostError> {
        self.send(connection_id, Outbound::Frame(frame.to_string()))
    }

    async fn close(&self, connection_id: &str) -> Result<(), PostError> {
        self.send(connection_id, Outbound::Close)
    }
}

impl WsConnections {
    fn send(&self, connection_id: &str, outbound: Outbound) -> Result<(), PostError> {
        let sent = self
            .senders
            .lock()
            .ok()
            .and_then(|senders| senders.get(connection_id).cloned())
            .is_some_and(|tx| tx.send(outbound).is_ok());
        if sent {
            Ok(())
        } else {
            Err(PostError::Gone(connection_id.to_string()))
        }
    }
}

/// Renews a custom authorizer's rights by asking the registry's authorizer again with what
/// the client presented at `$connect` (kept in `refreshWith`).
pub struct RegistryRefresher {
    registry: RegistryService,
    functions: SharedAuthorizerFunctions,
}

impl RegistryRefresher {
    /// A refresher asking `registry`'s authorizers, run by `functions`.
    pub fn new(registry: RegistryService, functions: SharedAuthorizerFunctions) -> Self {
        Self {
            registry,
            functions,
        }
    }
}

#[async_trait::async_trait]
impl RightsRefresher for RegistryRefresher {
    async fn refresh(&self, rights: &ConnectionRights) -> Result<ConnectionRights, String> {
        let presented = rights
            .refresh_with
            .as_ref()
            .ok_or("nothing kept to ask the authorizer again with")?;
        let request = presented_request(presented)?;
        let principal = self
            .registry
            .custom_authenticate(self.functions.as_ref(), request.clone())
            .await
            .map_err(|e| e.to_string())?;
        let mut renewed = custom_rights(
            rights.client_id.clone(),
            &CustomCaller {
                principal_id: principal.decision.principal_id,
                authorization: Arc::new(principal.authorization),
                policy_texts: principal.decision.policy_texts,
                disconnect_after_secs: principal.decision.disconnect_after_secs,
                refresh_after_secs: principal.decision.refresh_after_secs,
                request,
            },
            SystemClock.now_millis(),
        );
        // The session's end is fixed at connect time, as AWS does.
        renewed.disconnect_at = rights.disconnect_at;
        Ok(renewed)
    }
}

/// Rights from a custom authorizer's answer, for a connection acting as `client_id`.
fn custom_rights(client_id: String, caller: &CustomCaller, now_millis: u64) -> ConnectionRights {
    let at = |secs: u64| now_millis.saturating_add(secs.saturating_mul(1000));
    let request = &caller.request;
    let refresh_with = json!({
        "authorizerName": request.authorizer_name,
        "presented": request.presented,
        "signature": request.signature,
        "headers": request.input.http.as_ref().map(|h| h.headers.clone()),
        "queryString": request.input.http.as_ref().map(|h| h.query_string.clone()),
    });
    ConnectionRights {
        client_id,
        principal: ConnectionPrincipal::CustomAuthorizer(caller.principal_id.clone()),
        policies: caller.policy_texts.clone(),
        disconnect_at: Some(at(caller.disconnect_after_secs)),
        refresh_at: Some(at(caller.refresh_after_secs)),
        refresh_with: Some(refresh_with),
    }
}

/// The request kept in `refreshWith`, rebuilt.
fn presented_request(kept: &serde_json::Value) -> Result<CustomAuthRequest, String> {
    let pairs = |field: &str| -> Vec<(String, String)> {
        serde_json::from_value(kept.get(field).cloned().unwrap_or_default()).unwrap_or_default()
    };
    let text = |field: &str| kept.get(field).and_then(|v| v.as_str()).map(str::to_string);
    Ok(CustomAuthRequest {
        authorizer_name: text("authorizerName"),
        presented: pairs("presented"),
        signature: text("signature"),
        input: AuthorizerInput {
            http: Some(HttpInput {
                headers: pairs("headers"),
                query_string: text("queryString").unwrap_or_default(),
            }),
            ..AuthorizerInput::default()
        },
        client_id: None,
    })
}

/// Routes accepted messages through the MQTT hub. A retained message is stored for `/ws`
/// subscribers before it is routed, so a subscribe that follows the `published` reply finds it.
struct HubRouter {
    hub: HubHandle,
    service: GatewayService,
}

#[async_trait::async_trait]
impl Router for HubRouter {
    async fn route(&self, message: Message) -> Result<(), GatewayError> {
        if message.retain {
            self.service.retain(&message).await?;
        }
        if self.hub.publish(message).await {
            Ok(())
        } else {
            Err(GatewayError::Store(thingcore::Error::Storage {
                message: "the broker is shutting down".into(),
                source: None,
            }))
        }
    }
}

/// The gateway as `thingcore serve` hosts it. Cheap to clone.
#[derive(Clone)]
pub struct LocalGateway {
    service: GatewayService,
    connections: Arc<WsConnections>,
    router: Arc<HubRouter>,
}

impl LocalGateway {
    /// The gateway over `store`, routing through `hub`, evaluating policies in `auth`'s
    /// region and account, and refreshing custom authorizers' rights with `refresher`. Local
    /// connections have no expiry: a socket lives as long as it is open, and a connection left
    /// behind by a crash is removed the first time a delivery finds it gone.
    pub fn new(
        store: Arc<dyn Store>,
        hub: HubHandle,
        broker: BrokerConfig,
        auth: &HttpAuth,
        refresher: Option<Arc<dyn RightsRefresher>>,
    ) -> Self {
        let connections = Arc::new(WsConnections::default());
        let mut service = GatewayService::new(
            store,
            connections.clone(),
            GatewayConfig {
                broker,
                connection_ttl_secs: None,
                region: auth.region.clone(),
                account_id: auth.account_id.clone(),
            },
            Arc::new(SystemClock),
        );
        if let Some(refresher) = refresher {
            service = service.with_refresher(refresher);
        }
        Self {
            router: Arc::new(HubRouter {
                hub,
                service: service.clone(),
            }),
            service,
            connections,
        }
    }

    /// The gate the hub's observer should use: open while any `/ws` socket is.
    pub fn gate(&self) -> Arc<AtomicBool> {
        self.connections.any.clone()
    }

    /// Delivers every message the hub routes to `/ws` subscribers, in order.
    pub fn start(&self, observed: Vec<mpsc::Receiver<Arc<Message>>>) {
        let (tx, mut rx) = mpsc::channel::<Arc<Message>>(crate::mqtt::hub::OBSERVER_QUEUE);
        for mut observed in observed {
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(message) = observed.recv().await {
                    if tx.send(message).await.is_err() {
                        return;
                    }
                }
            });
        }
        let service = self.service.clone();
        tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                if let Err(error) = service.deliver(&message).await {
                    tracing::warn!(%error, topic = %message.topic, "gateway delivery failed");
                }
            }
        });
    }

    /// Serves one upgraded `/ws` socket until it closes: `$connect` (already checked by
    /// [`GatewayService::check_connect`]), a `$default` per text frame, `$disconnect`.
    pub async fn serve(self, socket: WebSocket, info: ConnectInfo) {
        let connection_id = info.connection_id.clone();
        let (tx, mut outbound) = mpsc::unbounded_channel::<Outbound>();
        self.connections.add(&connection_id, tx.clone());
        let (mut sink, mut stream) = socket.split();
        if let Err(error) = self.service.connect(info).await {
            tracing::error!(%error, "refusing a /ws connection");
            self.connections.remove(&connection_id);
            let _ = sink.send(WsMessage::Close(None)).await;
            return;
        }
        let mut writer = tokio::spawn(async move {
            while let Some(outbound) = outbound.recv().await {
                let frame = match outbound {
                    Outbound::Frame(frame) => frame,
                    Outbound::Close => break,
                };
                if sink.send(WsMessage::Text(frame.into())).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        loop {
            let message = tokio::select! {
                message = stream.next() => message,
                // The gateway closed the connection (its session ended).
                _ = &mut writer => break,
            };
            let Some(Ok(message)) = message else { break };
            let frames = match message {
                WsMessage::Text(text) => {
                    self.service
                        .handle_frame(&connection_id, text.as_str(), self.router.as_ref())
                        .await
                }
                WsMessage::Binary(_) => vec![ServerFrame::error(
                    None,
                    None,
                    ErrorCode::MalformedFrame,
                    "the gateway takes JSON text frames, not binary ones",
                )],
                WsMessage::Close(_) => break,
                // Pings are answered by the WebSocket layer.
                _ => continue,
            };
            for frame in frames {
                let _ = tx.send(Outbound::Frame(frame.to_text()));
            }
        }
        self.connections.remove(&connection_id);
        if let Err(error) = self.service.disconnect(&connection_id).await {
            tracing::warn!(%error, connection_id, "forgetting a /ws connection failed");
        }
        drop(tx);
        if !writer.is_finished() {
            let _ = writer.await;
        }
    }
}

/// A connection id like API Gateway's: unique, no spaces.
fn new_connection_id() -> String {
    format!("ws-{}", uuid::Uuid::new_v4().simple())
}

/// The rights a `/ws` connection gets from the HTTP listener's authentication (`None`: open).
fn rights_of(
    caller: Option<&Caller>,
    custom: Option<&CustomCaller>,
    client_id: Option<String>,
    now_millis: u64,
) -> Option<ConnectionRights> {
    if let Some(custom) = custom {
        let client_id = client_id.unwrap_or_else(|| custom.principal_id.clone());
        return Some(custom_rights(client_id, custom, now_millis));
    }
    let Some(Caller::Verified(identity)) = caller else {
        return None;
    };
    // A key configured without a policy may do everything, as on every other door.
    let policy = identity.policy_text.clone()?;
    Some(ConnectionRights {
        client_id: client_id.unwrap_or_else(|| identity.access_key_id.clone()),
        principal: ConnectionPrincipal::IamAccessKey(identity.access_key_id.clone()),
        policies: vec![policy],
        disconnect_at: None,
        refresh_at: None,
        refresh_with: None,
    })
}

/// `GET /ws` with `Upgrade: websocket`: the WebSocket gateway's JSON frames, in process.
pub async fn websocket(
    axum::extract::State(state): axum::extract::State<crate::http::AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
    caller: Option<axum::Extension<Caller>>,
    custom: Option<axum::Extension<CustomCaller>>,
    upgrade: axum::extract::ws::WebSocketUpgrade,
) -> axum::response::Response {
    let client_id = query.get("clientId").filter(|c| !c.is_empty()).cloned();
    let rights = rights_of(
        caller.as_ref().map(|c| &c.0),
        custom.as_ref().map(|c| &c.0),
        client_id,
        SystemClock.now_millis(),
    );
    let principal = rights.as_ref().map(|r| r.principal.id().to_string());
    let info = ConnectInfo {
        connection_id: new_connection_id(),
        source_ip: Some(peer.ip().to_string()),
        principal,
        rights,
    };
    if let Err(error) = state.gateway.service.check_connect(&info) {
        tracing::info!(%error, "refusing a /ws connection");
        let mut response = (
            StatusCode::FORBIDDEN,
            axum::Json(json!({ "message": error.to_string() })),
        )
            .into_response();
        response.headers_mut().insert(
            "x-amzn-ErrorType",
            HeaderValue::from_static("ForbiddenException"),
        );
        return response;
    }
    // API Gateway's WebSocket frames are at most 32 KiB, messages 128 KiB; ours carry a
    // payload of up to the broker's limit as JSON (base64 grows it by a third).
    let max = state.config.max_payload_bytes * 2 + 4096;
    upgrade
        .max_message_size(max)
        .on_upgrade(move |socket| state.gateway.serve(socket, info))
}
