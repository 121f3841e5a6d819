//! The gateway function in process at `/ws`: `/ws` WebSocket clients speak the gateway's JSON frames
//! (`thingcore::gateway`) to the very [`GatewayService`] Lambda runs, with the Store of `thingcore
//! serve` and two local adapters — the socket itself as the Management API
//! ([`WsConnections`]), and the MQTT hub as the [`Router`] (`HubRouter`). The hub hands every
//! routed message back to [`GatewayService::deliver`], so MQTT clients and `/ws` clients see
//! each other's messages, and `/ws` publishes reach the shadow service and the rules engine.

use crate::mqtt::HubHandle;
use axum::extract::ws::{Message as WsMessage, WebSocket};
use futures::{SinkExt, StreamExt};
use gateway::{ConnectInfo, GatewayConfig, GatewayError, GatewayService, Router};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use thingcore::broker::{BrokerConfig, Message};
use thingcore::gateway::{ConnectionPublisher, ErrorCode, PostError, ServerFrame};
use thingcore::store::Store;
use thingcore::SystemClock;
use tokio::sync::mpsc;

/// The topic filters the gateway observes on the hub (`#` does not match `$` topics).
pub const GATEWAY_TOPICS: [&str; 2] = ["#", "$aws/#"];

/// The open `/ws` sockets by connection id: the local Management API.
#[derive(Debug, Default)]
pub struct WsConnections {
    senders: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
    /// Open while any socket is: the hub's gate for handing messages to the gateway.
    any: Arc<AtomicBool>,
}

impl WsConnections {
    fn add(&self, id: &str, tx: mpsc::UnboundedSender<String>) {
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
        let sent = self
            .senders
            .lock()
            .ok()
            .and_then(|senders| senders.get(connection_id).cloned())
            .is_some_and(|tx| tx.send(frame.to_string()).is_ok());
        if sent {
            Ok(())
        } else {
            Err(PostError::Gone(connection_id.to_string()))
        }
    }
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
    /// The gateway over `store`, routing through `hub`. Local connections have no expiry: a
    /// socket lives as long as it is open, and a connection left behind by a crash is removed
    /// the first time a delivery finds it gone.
    pub fn new(store: Arc<dyn Store>, hub: HubHandle, broker: BrokerConfig) -> Self {
        let connections = Arc::new(WsConnections::default());
        let service = GatewayService::new(
            store,
            connections.clone(),
            GatewayConfig {
                broker,
                connection_ttl_secs: None,
            },
            Arc::new(SystemClock),
        );
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
    pub fn start(&self, observed: Vec<mpsc::UnboundedReceiver<Arc<Message>>>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Arc<Message>>();
        for mut observed in observed {
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(message) = observed.recv().await {
                    if tx.send(message).is_err() {
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

    /// Serves one upgraded `/ws` socket until it closes: `$connect`, a `$default` per text
    /// frame, `$disconnect`.
    pub async fn serve(self, socket: WebSocket, source_ip: Option<String>) {
        let connection_id = new_connection_id();
        let (tx, mut outbound) = mpsc::unbounded_channel::<String>();
        self.connections.add(&connection_id, tx.clone());
        let info = ConnectInfo {
            connection_id: connection_id.clone(),
            source_ip,
            principal: None,
        };
        let (mut sink, mut stream) = socket.split();
        if let Err(error) = self.service.connect(info).await {
            tracing::error!(%error, "refusing a /ws connection");
            self.connections.remove(&connection_id);
            let _ = sink.send(WsMessage::Close(None)).await;
            return;
        }
        let writer = tokio::spawn(async move {
            while let Some(frame) = outbound.recv().await {
                if sink.send(WsMessage::Text(frame.into())).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        while let Some(Ok(message)) = stream.next().await {
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
                let _ = tx.send(frame.to_text());
            }
        }
        self.connections.remove(&connection_id);
        if let Err(error) = self.service.disconnect(&connection_id).await {
            tracing::warn!(%error, connection_id, "forgetting a /ws connection failed");
        }
        drop(tx);
        let _ = writer.await;
    }
}

/// A connection id like API Gateway's: unique, no spaces.
fn new_connection_id() -> String {
    format!("ws-{}", uuid::Uuid::new_v4().simple())
}

/// `GET /ws` with `Upgrade: websocket`: the WebSocket gateway's JSON frames, in process.
pub async fn websocket(
    axum::extract::State(state): axum::extract::State<crate::http::AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    upgrade: axum::extract::ws::WebSocketUpgrade,
) -> axum::response::Response {
    // API Gateway's WebSocket frames are at most 32 KiB, messages 128 KiB; ours carry a
    // payload of up to the broker's limit as JSON (base64 grows it by a third).
    let max = state.config.max_payload_bytes * 2 + 4096;
    upgrade
        .max_message_size(max)
        .on_upgrade(move |socket| state.gateway.serve(socket, Some(peer.ip().to_string())))
}
