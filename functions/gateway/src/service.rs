//! [`GatewayService`]: the gateway's operations — a connection arrives or leaves, a client
//! frame arrives, a routed message is delivered to the subscribers it matches. Hosts (Lambda,
//! `thingcore serve`) call these with what their transport received.

use crate::error::GatewayError;
use crate::refresh::RightsRefresher;
use crate::repo::GatewayRepo;
use crate::router::Router;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use thingcore::broker::{BrokerConfig, Message};
use thingcore::gateway::index::{delivery_qos, ConnectionRecord, RetainedRecord};
use thingcore::gateway::{
    parse_request, ClientFrame, ConnectionPublisher, ConnectionRights, Delivery, PostError,
    Request, RightsContext, ServerFrame,
};
use thingcore::mqtt::QoS;
use thingcore::policy::{Authorization, IotAction};
use thingcore::route::{may_receive, publish_door, service_route, subscribe_door, Refusal};
use thingcore::store::Store;
use thingcore::Clock;

/// Most retained messages sent for one subscription.
pub const MAX_RETAINED_PER_SUBSCRIBE: usize = 100;
/// Posts in flight at once during a fan-out.
pub const FAN_OUT_CONCURRENCY: usize = 16;

/// Who connected, as the host knows it.
#[derive(Debug, Clone, Default)]
pub struct ConnectInfo {
    /// The connection id (API Gateway's, or the shim's).
    pub connection_id: String,
    /// The client's address.
    pub source_ip: Option<String>,
    /// The authorizer's principal.
    pub principal: Option<String>,
    /// What the connection may do (`None`: an open connection).
    pub rights: Option<ConnectionRights>,
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
    /// Subscribers whose policies do not allow `iot:Receive` on the topic.
    pub refused: usize,
}

/// How the gateway behaves.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Limits shared with the MQTT broker (payload size, topic rules, subscriptions).
    pub broker: BrokerConfig,
    /// Seconds connection items live after `$connect` (`None`: until `$disconnect`).
    pub connection_ttl_secs: Option<u64>,
    /// The core's region, in the ARNs policies name.
    pub region: String,
    /// The core's account id, in the ARNs policies name.
    pub account_id: String,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            broker: BrokerConfig::default(),
            connection_ttl_secs: Some(thingcore::gateway::index::CONNECTION_TTL_SECS),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
        }
    }
}

/// What happened to one subscriber in a fan-out.
enum Outcome {
    Delivered,
    Gone,
    Refused,
    Failed,
}

/// The gateway. Cheap to clone.
#[derive(Clone)]
pub struct GatewayService {
    repo: GatewayRepo,
    publisher: Arc<dyn ConnectionPublisher>,
    config: Arc<GatewayConfig>,
    clock: Arc<dyn Clock>,
    refresher: Option<Arc<dyn RightsRefresher>>,
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
            refresher: None,
        }
    }

    /// Asks `refresher` again when a connection's `refreshAt` has passed (without one, rights
    /// last until `disconnectAt`).
    pub fn with_refresher(mut self, refresher: Arc<dyn RightsRefresher>) -> Self {
        self.refresher = Some(refresher);
        self
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

    /// `$connect`: checks `iot:Connect` for the connection's client id and records the
    /// connection with its rights.
    ///
    /// # Errors
    /// [`GatewayError::InvalidConnectionId`]; [`GatewayError::Refused`] and
    /// [`GatewayError::BrokenPolicy`] (the host refuses the connection: 403);
    /// [`GatewayError::SessionEnded`] for rights already expired; [`GatewayError::Store`].
    pub async fn connect(&self, info: ConnectInfo) -> Result<(), GatewayError> {
        self.check_connect(&info)?;
        let record = ConnectionRecord {
            connection_id: info.connection_id,
            connected_at: self.clock.now_millis(),
            source_ip: info.source_ip,
            principal: info.principal,
            subscriptions: Vec::new(),
            rights: info.rights,
        };
        self.repo.put_connection(&record).await
    }

    /// The `$connect` door alone, without recording anything: a host that must answer
    /// before it has a socket (an HTTP 403 instead of an upgrade) asks this first.
    ///
    /// # Errors
    /// As [`GatewayService::connect`], without [`GatewayError::Store`].
    pub fn check_connect(&self, info: &ConnectInfo) -> Result<(), GatewayError> {
        if !thingcore::gateway::index::valid_connection_id(&info.connection_id) {
            return Err(GatewayError::InvalidConnectionId(
                info.connection_id.clone(),
            ));
        }
        let Some(rights) = &info.rights else {
            return Ok(());
        };
        if rights.expired(self.clock.now_millis()) {
            return Err(GatewayError::SessionEnded(info.connection_id.clone()));
        }
        let authorization = rights.authorization(self.rights_context(&info.source_ip))?;
        if !authorization.allows(IotAction::Connect, &rights.client_id) {
            return Err(Refusal::NotAuthorized {
                action: IotAction::Connect.as_str(),
                resource: rights.client_id.clone(),
            }
            .into());
        }
        Ok(())
    }

    fn rights_context<'a>(&'a self, source_ip: &'a Option<String>) -> RightsContext<'a> {
        RightsContext {
            region: &self.config.region,
            account_id: &self.config.account_id,
            source_ip: source_ip.as_deref(),
            now_millis: self.clock.now_millis(),
        }
    }

    /// Loads a connection's compiled rights for a door (`None`: open): a session past
    /// `disconnectAt` is closed, rights past `refreshAt` are asked for again (a refusal closes
    /// the connection), stored policies that no longer parse refuse everything.
    async fn admit(&self, connection_id: &str) -> Result<Option<Authorization>, GatewayError> {
        let (mut record, version) = self.repo.connection(connection_id).await?;
        let now = self.clock.now_millis();
        if let Some(rights) = &record.rights {
            if rights.expired(now) {
                self.end_session(connection_id, "its session ended").await;
                return Err(GatewayError::SessionEnded(connection_id.to_string()));
            }
            if let (true, Some(refresher)) = (rights.refresh_due(now), &self.refresher) {
                match refresher.refresh(rights).await {
                    Ok(renewed) => {
                        record.rights = Some(renewed);
                        // Another invocation may have refreshed it first; either answer holds.
                        if let Err(error) = self.repo.replace_connection(&record, version).await {
                            tracing::debug!(%error, connection_id, "keeping refreshed rights failed");
                        }
                    }
                    Err(reason) => {
                        self.end_session(connection_id, &reason).await;
                        return Err(GatewayError::SessionEnded(connection_id.to_string()));
                    }
                }
            }
        }
        match &record.rights {
            Some(rights) => Ok(Some(
                rights.authorization(self.rights_context(&record.source_ip))?,
            )),
            None => Ok(None),
        }
    }

    /// Closes a connection whose session ended or whose rights were revoked, and forgets it.
    async fn end_session(&self, connection_id: &str, reason: &str) {
        tracing::info!(connection_id, reason, "closing a gateway connection");
        match self.publisher.close(connection_id).await {
            Ok(()) | Err(PostError::Gone(_)) => {}
            Err(error) => tracing::warn!(%error, connection_id, "closing a connection failed"),
        }
        if let Err(error) = self.repo.remove_connection(connection_id).await {
            tracing::warn!(%error, connection_id, "forgetting a closed connection failed");
        }
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
                let admitted = self.admit(connection_id).await?;
                let authorization = admitted.as_ref();
                subscribe_door(authorization, &filter, &filter)?;
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
                let receivable = retained
                    .into_iter()
                    .filter(|r| may_receive(authorization, &r.topic));
                frames.extend(receivable.map(|r| {
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
                let admitted = self.admit(connection_id).await?;
                publish_door(admitted.as_ref(), &publish.topic, publish.retain)?;
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
    /// and posts it to every connection with a matching subscription whose policies allow
    /// `iot:Receive` on the topic (once per connection, at the highest QoS of its matching
    /// subscriptions), at most [`FAN_OUT_CONCURRENCY`] posts at a time. Connections found
    /// gone (410, or their item expired) are removed with their subscriptions. A Basic Ingest
    /// message reaches no subscriber.
    ///
    /// # Errors
    /// [`GatewayError::Store`] when the retained message or the index cannot be read/written.
    pub async fn deliver(&self, message: &Message) -> Result<FanOutReport, GatewayError> {
        if !service_route(&message.topic).reaches_subscribers() {
            return Ok(FanOutReport::default());
        }
        if message.retain {
            self.retain(message).await?;
        }
        let mut targets: HashMap<String, (u8, Vec<String>)> = HashMap::new();
        for subscription in self.repo.subscribers(&message.topic).await? {
            let (qos, filters) = targets.entry(subscription.connection_id).or_default();
            *qos = (*qos).max(subscription.qos);
            filters.push(subscription.filter);
        }
        let posts = targets
            .into_iter()
            .map(|(connection_id, (qos, filters))| async move {
                self.deliver_to(&connection_id, &filters, message, qos)
                    .await
            });
        let outcomes: Vec<Outcome> = futures::stream::iter(posts)
            .buffer_unordered(FAN_OUT_CONCURRENCY)
            .collect()
            .await;
        let mut report = FanOutReport::default();
        for outcome in outcomes {
            match outcome {
                Outcome::Delivered => report.delivered += 1,
                Outcome::Gone => report.gone += 1,
                Outcome::Refused => report.refused += 1,
                Outcome::Failed => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// One subscriber of a fan-out: the delivery door, then the post.
    async fn deliver_to(
        &self,
        connection_id: &str,
        filters: &[String],
        message: &Message,
        qos: u8,
    ) -> Outcome {
        match self.admit(connection_id).await {
            Ok(admitted) if may_receive(admitted.as_ref(), &message.topic) => {}
            Ok(_) => return Outcome::Refused,
            Err(GatewayError::UnknownConnection(_) | GatewayError::InvalidConnectionId(_)) => {
                // Its item expired or was removed: its index items are all that is left.
                for filter in filters {
                    if let Err(error) = self
                        .repo
                        .remove_subscription_item(connection_id, filter)
                        .await
                    {
                        tracing::warn!(%error, connection_id, "removing a stale subscription failed");
                    }
                }
                return Outcome::Gone;
            }
            Err(GatewayError::SessionEnded(_)) => return Outcome::Gone,
            Err(error @ GatewayError::BrokenPolicy(_)) => {
                tracing::warn!(%error, connection_id, "not delivering: the policy does not parse");
                return Outcome::Refused;
            }
            Err(error) => {
                tracing::warn!(%error, connection_id, "reading a subscriber failed");
                return Outcome::Failed;
            }
        }
        let frame = ServerFrame::Message(Delivery {
            topic: message.topic.clone(),
            payload: message.payload.to_vec(),
            qos: delivery_qos(message.qos, qos),
            retain: false,
        })
        .to_text();
        match self.publisher.post(connection_id, &frame).await {
            Ok(()) => Outcome::Delivered,
            Err(PostError::Gone(_)) => {
                if let Err(error) = self.repo.remove_connection(connection_id).await {
                    tracing::warn!(%error, connection_id, "removing a gone connection failed");
                }
                Outcome::Gone
            }
            Err(error) => {
                tracing::warn!(%error, "posting a message failed");
                Outcome::Failed
            }
        }
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
