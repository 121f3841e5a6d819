//! Where a published message goes after the gateway accepted it: the [`Router`] port.
//!
//! - In `thingcore serve` the router is the MQTT hub: MQTT subscribers, `/ws` subscribers (the
//!   hub hands every message back to [`crate::GatewayService::deliver`]), the shadow service
//!   and the rules engine all see it there.
//! - On Lambda, [`InProcessRouter`] does the same within the invocation: it delivers to the
//!   gateway's subscribers (none for Basic Ingest), hands shadow requests to the
//!   shadow-updater library and Jobs requests to `thingcore-jobs` (both as `thingcore::route`
//!   decides, as the broker does), evaluates topic rules with the rules-evaluator library, and routes what those
//!   publish in turn — up to [`MAX_ROUTE_DEPTH`] hops, so a rule that republishes onto its own
//!   topic cannot loop forever.

use crate::error::GatewayError;
use crate::service::GatewayService;
use futures::future::BoxFuture;
use std::sync::Arc;
use thingcore::broker::Message;
use thingcore::mqtt::{Bytes, QoS};
use thingcore::route::service_route;
use thingcore::Clock;
use thingcore_jobs::JobsService;
use thingcore_rules::{
    execute, ActionError, ActionSinks, Publisher, RuleMessage, RulesEngine, SinkConfig,
};
use thingcore_shadows::ShadowService;

/// Hops a message may travel through services that publish (shadow replies, republish)
/// before the router drops it.
pub const MAX_ROUTE_DEPTH: usize = 8;

/// Routes an accepted message to everything that should see it.
#[async_trait::async_trait]
pub trait Router: Send + Sync {
    /// Routes `message`.
    ///
    /// # Errors
    /// [`GatewayError`] when the message could not be routed (nothing was delivered then).
    async fn route(&self, message: Message) -> Result<(), GatewayError>;
}

/// The Lambda router: the gateway's subscribers, the shadow service and the rules engine, in
/// process.
#[derive(Clone)]
pub struct InProcessRouter {
    gateway: GatewayService,
    shadows: Option<ShadowService>,
    jobs: Option<JobsService>,
    rules: Option<(Arc<RulesEngine>, SinkConfig)>,
    clock: Arc<dyn Clock>,
}

impl InProcessRouter {
    /// Routes to the gateway's subscribers only.
    pub fn new(gateway: GatewayService, clock: Arc<dyn Clock>) -> Self {
        Self {
            gateway,
            shadows: None,
            jobs: None,
            rules: None,
            clock,
        }
    }

    /// Also hands shadow requests to `shadows`.
    pub fn with_shadows(mut self, shadows: ShadowService) -> Self {
        self.shadows = Some(shadows);
        self
    }

    /// Also answers the Jobs device MQTT API (`$aws/things/{thing}/jobs/...`) with `jobs`.
    pub fn with_jobs(mut self, jobs: JobsService) -> Self {
        self.jobs = Some(jobs);
        self
    }

    /// Also evaluates topic rules with `rules`, running their actions with the standard sinks
    /// (republish routed one hop further; SQS, SNS... with `aws`).
    pub fn with_rules(mut self, rules: Arc<RulesEngine>, aws: SinkConfig) -> Self {
        self.rules = Some((rules, aws));
        self
    }

    fn route_at(&self, message: Message, depth: usize) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move {
            if depth > MAX_ROUTE_DEPTH {
                tracing::warn!(topic = %message.topic, "message dropped: routed through too many hops");
                return Ok(());
            }
            // The one routing decision, as the broker makes it (`thingcore::route`).
            let route = service_route(&message.topic);
            let report = self.gateway.deliver(&message).await?;
            tracing::debug!(topic = %message.topic, ?report, "delivered");
            if let Some(shadows) = &self.shadows {
                if route.shadow_request().is_some() {
                    let replies = thingcore_shadows::mqtt::handle_request(
                        shadows,
                        &message.topic,
                        &message.payload,
                    )
                    .await
                    .unwrap_or_default();
                    let replies = replies.into_iter().map(|r| (r.topic, r.payload));
                    self.route_service_messages(replies, depth, "shadow reply")
                        .await;
                }
            }
            if let Some(jobs) = &self.jobs {
                if route.jobs_request().is_some() {
                    let answers = thingcore_jobs::mqtt::handle_request(
                        jobs,
                        &message.topic,
                        &message.payload,
                    )
                    .await
                    .unwrap_or_default();
                    let answers = answers.into_iter().map(|a| (a.topic, a.payload));
                    self.route_service_messages(answers, depth, "jobs answer")
                        .await;
                }
            }
            if let Some((rules, aws)) = &self.rules {
                if depth == 0 {
                    if let Err(error) = rules.refresh().await {
                        tracing::warn!(%error, "reloading topic rules failed");
                    }
                }
                let work = rules
                    .evaluate_async(&RuleMessage::from_broker(&message, None))
                    .await;
                if !work.is_empty() {
                    let publisher = Arc::new(HopPublisher {
                        router: self.clone(),
                        depth: depth + 1,
                    });
                    let sinks =
                        ActionSinks::standard(publisher, self.clock.clone(), aws, rules.store());
                    for work in work {
                        execute(work, &sinks).await;
                    }
                }
            }
            Ok(())
        })
    }
}

impl InProcessRouter {
    /// Routes what a device service (shadows, Jobs) answered, one hop further: QoS 1, as AWS
    /// IoT's services publish. A failure is logged; the request was handled.
    async fn route_service_messages(
        &self,
        messages: impl Iterator<Item = (String, serde_json::Value)>,
        depth: usize,
        what: &str,
    ) {
        for (topic, payload) in messages {
            let message = Message {
                topic,
                payload: Bytes::from(payload.to_string()),
                qos: QoS::AtLeastOnce,
                retain: false,
                properties: Default::default(),
                publisher: None,
                received_at: self.clock.now_millis(),
                expires_at: None,
            };
            if let Err(error) = self.route_at(message, depth + 1).await {
                tracing::warn!(%error, "routing a {what} failed");
            }
        }
    }
}

#[async_trait::async_trait]
impl Router for InProcessRouter {
    async fn route(&self, message: Message) -> Result<(), GatewayError> {
        self.route_at(message, 0).await
    }
}

/// Republish actions' messages, routed one hop further.
struct HopPublisher {
    router: InProcessRouter,
    depth: usize,
}

#[async_trait::async_trait]
impl Publisher for HopPublisher {
    async fn publish(&self, message: Message) -> Result<(), ActionError> {
        self.router
            .route_at(message, self.depth)
            .await
            .map_err(|e| ActionError::failed(e.to_string()))
    }
}
