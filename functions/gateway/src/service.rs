//! [`GatewayService`]: the gateway's operations — a connection arrives or leaves, a client
//! frame arrives, a routed message is delivered to the subscribers it matches. Hosts (Lambda,
//! `thingcore serve`) call these with what their transport received.

use crate::error::GatewayError;
use crate::repo::GatewayRepo;
use crate::router::Router;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use thingcore::broker::{BrokerConfig, Message};
use thingcore::gateway::index::{delivery_qos, ConnectionRecord, RetainedRecord};
use thingcore::gateway::{
    parse_request, ClientFrame, ConnectionPublisher, Delivery, PostError, Request, ServerFrame,
};
use thingcore::mqtt::QoS;
use thingcore::store::Store;
use thingcore::Clock;

/// Most retained messages sent for one subscription.
pub const MAX_RETAINED_PER_SUBSCRIBE: usize = 100;
/// Posts in flight at once during a fan-out.
const FAN_OUT_CONCURRENCY: usize = 16;

/// Who connected, as the host knows it.
#[derive(Debug, Clone, Default)]
pub struct ConnectInfo {
    /// The connection id (API Gateway's, or the shim's).
    pub connection_id: String,
    /// The client's address.
    pub source_ip: Option<String>,
    /// The authorizer's principal.
    pub principal: Option<String>,
}

/// What a fan-out did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FanOutReport {
    /// Frames posted.
    pub delivered: usize,
    /// Connections found gone (410) and removed.
    pub gone: usize,
    /// Posts that failed otherwise.
    pub failed: usize,
}

/// How the gateway behaves.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Limits shared with the MQTT broker (payload size, topic rules, subscriptions).
    pub broker: BrokerConfig,
    /// Seconds connection items live after `$connect` (`None`: until `$disconnect`).
    pub connection_ttl_secs: Option<u64>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            broker: BrokerConfig::default(),
            connection_ttl_secs: Some(thingcore::gateway::index::CONNECTION_TTL_SECS),
        }
    }
}

/// The gateway. Cheap to clone.
#[derive(Clone)]
pub struct GatewayService {
    repo: GatewayRepo,
    publisher: Arc<dyn ConnectionPublisher>,
    config: Arc<GatewayConfig>,
    clock: Arc<dyn Clock>,
}

impl GatewayService {
    /// A gateway keeping its state in `store` and posting frames through `publisher`.
    pub fn new(
        store: Arc<dyn Store>,
        publisher: Arc<dyn ConnectionPublisher>,
        config: GatewayConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repo: GatewayRepo::new(store, config.connection_ttl_secs),
            publisher,
            config: Arc::new(config),
            clock,
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// The Store view (for hosts and tests that inspect state).
    pub fn repo(&self) -> &GatewayRepo {
        &self.repo
    }

    /// The clock, in epoch milliseconds.
    pub fn now_millis(&self) -> u64 {
        self.clock.now_millis()
    }

    /// `$connect`: records the connection.
    ///
    /// # Errors
    /// [`GatewayError::InvalidConnectionId`], [`GatewayError::Store`].
    pub async fn connect(&self, info: ConnectInfo) -> Result<(), GatewayError> {
        if !thingcore::gateway::index::valid_connection_id(&info.connection_id) {
            return Err(GatewayError::InvalidConnectionId(info.connection_id));
        }
        let record = ConnectionRecord {
            connection_id: info.connection_id,
            connected_at: self.clock.now_millis(),
            source_ip: info.source_ip,
            principal: info.principal,
            subscriptions: Vec::new(),
        };
        self.repo.put_connection(&record).await
    }

    /// `$disconnect`: forgets the connection and its subscriptions; `false` if unknown.
    ///
    /// # Errors
    /// [`GatewayError::Store`], [`GatewayError::Contention`].
    pub async fn disconnect(&self, connection_id: &str) -> Result<bool, GatewayError> {
        self.repo.remove_connection(connection_id).await
    }

    /// `$default`: one text frame from `connection_id`. Returns the frames to send back to it,
    /// in order (a reply, an error frame, retained messages after a subscribe). A refused frame
    /// changes nothing and leaves the connection usable.
    pub async fn handle_frame(
        &self,
        connection_id: &str,
        text: &str,
        router: &dyn Router,
    ) -> Vec<ServerFrame> {
        let request = match parse_request(text, &self.config.broker) {
            Ok(request) => request,
            Err(refused) => {
                return vec![ServerFrame::error(
                    refused.id,
                    refused.action,
                    refused.error.code(),
                    refused.error.to_string(),
                )]
            }
        };
        let id = request.id.clone();
        let action = match &request.frame {
            ClientFrame::Subscribe { .. } => "subscribe",
            ClientFrame::Unsubscribe { .. } => "unsubscribe",
            ClientFrame::Publish(_) => "publish",
        };
        match self.execute(connection_id, request, router).await {
            Ok(frames) => frames,
            Err(error) => {
                if matches!(error.code(), thingcore::gateway::ErrorCode::InternalError) {
                    tracing::error!(%error, connection_id, "gateway request failed");
                }
                vec![ServerFrame::error(
                    id,
                    Some(action.to_string()),
                    error.code(),
                    error.to_string(),
                )]
            }
        }
    }

    async fn execute(
        &self,
        connection_id: &str,
        request: Request,
        router: &dyn Router,
    ) -> Result<Vec<ServerFrame>, GatewayError> {
        let Request { id, frame } = request;
        match frame {
            ClientFrame::Subscribe { filter, qos } => {
                let limit = self.config.broker.max_subscriptions_per_session;
                self.repo
                    .subscribe(connection_id, &filter, qos, limit)
                    .await?;
                let mut frames = vec![ServerFrame::Subscribed {
                    id,
                    filter: filter.clone(),
                    qos,
                }];
                let retained = self
                    .repo
                    .retained_matching(&filter, MAX_RETAINED_PER_SUBSCRIBE)
                    .await?;
                frames.extend(retained.into_iter().map(|r| {
                    ServerFrame::Message(Delivery {
                        topic: r.topic,
                        payload: r.payload.to_vec(),
                        qos: delivery_qos(QoS::from_u8(r.qos).unwrap_or_default(), qos.as_u8()),
                        retain: true,
                    })
                }));
                Ok(frames)
            }
            ClientFrame::Unsubscribe { filter } => {
                self.repo.unsubscribe(connection_id, &filter).await?;
                Ok(vec![ServerFrame::Unsubscribed { id, filter }])
            }
            ClientFrame::Publish(publish) => {
                // Only a known connection may publish: a stale id gets an error, not a message.
                self.repo.connection(connection_id).await?;
                let topic = publish.topic.clone();
                let acknowledge = publish.qos == QoS::AtLeastOnce || id.is_some();
                let message = Message {
                    topic: publish.topic,
                    payload: publish.payload,
                    qos: publish.qos,
                    retain: publish.retain,
                    properties: Default::default(),
                    publisher: Some(connection_id.to_string()),
                    received_at: self.clock.now_millis(),
                    expires_at: None,
                };
                router.route(message).await?;
                Ok(if acknowledge {
                    vec![ServerFrame::Published { id, topic }]
                } else {
                    Vec::new()
                })
            }
        }
    }

    /// Keeps `message` as its topic's retained message (an empty payload clears it).
    ///
    /// # Errors
    /// [`GatewayError::Store`].
    pub async fn retain(&self, message: &Message) -> Result<(), GatewayError> {
        self.repo
            .set_retained(&RetainedRecord {
                topic: message.topic.clone(),
                payload: message.payload.clone(),
                qos: message.qos.as_u8(),
                received_at: message.received_at,
            })
            .await
    }

    /// Delivers a routed message: keeps it as its topic's retained message when it is one,
    /// and posts it to every connection with a matching subscription (once per connection, at
    /// the highest QoS of its matching subscriptions). Connections found gone are removed.
    ///
    /// # Errors
    /// [`GatewayError::Store`] when the retained message or the index cannot be read/written.
    pub async fn deliver(&self, message: &Message) -> Result<FanOutReport, GatewayError> {
        if message.retain {
            self.retain(message).await?;
        }
        let mut targets: HashMap<String, u8> = HashMap::new();
        for subscription in self.repo.subscribers(&message.topic).await? {
            let qos = targets.entry(subscription.connection_id).or_default();
            *qos = (*qos).max(subscription.qos);
        }
        let posts = targets.into_iter().map(|(connection_id, qos)| {
            let frame = ServerFrame::Message(Delivery {
                topic: message.topic.clone(),
                payload: message.payload.to_vec(),
                qos: delivery_qos(message.qos, qos),
                retain: false,
            })
            .to_text();
            async move {
                let result = self.publisher.post(&connection_id, &frame).await;
                (connection_id, result)
            }
        });
        let results: Vec<_> = futures::stream::iter(posts)
            .buffer_unordered(FAN_OUT_CONCURRENCY)
            .collect()
            .await;
        let mut report = FanOutReport::default();
        for (connection_id, result) in results {
            match result {
                Ok(()) => report.delivered += 1,
                Err(PostError::Gone(_)) => {
                    report.gone += 1;
                    if let Err(error) = self.repo.remove_connection(&connection_id).await {
                        tracing::warn!(%error, connection_id, "removing a gone connection failed");
                    }
                }
                Err(error) => {
                    report.failed += 1;
                    tracing::warn!(%error, "posting a message failed");
                }
            }
        }
        Ok(report)
    }

    /// Sends `frames` to `connection_id` through the publisher (how Lambda answers a frame).
    /// A gone connection is removed.
    ///
    /// # Errors
    /// The first [`PostError`] other than a gone connection.
    pub async fn reply(
        &self,
        connection_id: &str,
        frames: &[ServerFrame],
    ) -> Result<(), PostError> {
        for frame in frames {
            match self.publisher.post(connection_id, &frame.to_text()).await {
                Ok(()) => {}
                Err(PostError::Gone(_)) => {
                    if let Err(error) = self.repo.remove_connection(connection_id).await {
                        tracing::warn!(%error, connection_id, "removing a gone connection failed");
                    }
                    return Ok(());
                }
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }
}
