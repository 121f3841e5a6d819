//! The Device Shadow service in process: requests published on `$aws/things/+/shadow/#` reach
//! the shadow-updater handler, and its replies are published through the hub. Requests for
//! one thing are handled in order ([`crate::thing_workers`]).

use crate::mqtt::HubHandle;
use crate::thing_workers::{self, service_message};
use std::sync::Arc;
use thingcore::broker::Message;
use thingcore_shadows::{mqtt, Outbound, ShadowService};
use tokio::sync::mpsc;

/// The topic filter of shadow requests and replies.
pub const SHADOW_TOPICS: &str = "$aws/things/+/shadow/#";

/// The thing a message is a shadow request about: the one routing decision, so only shadow
/// requests reach the service (the filter also passes its own answers).
fn shadow_thing(message: &Message) -> Option<String> {
    let route = thingcore::route::service_route(&message.topic);
    route.shadow_request().map(|r| r.thing_name.to_string())
}

/// Starts the workers; they stop when `requests` closes.
pub fn start(service: ShadowService, hub: HubHandle, requests: mpsc::Receiver<Arc<Message>>) {
    thing_workers::start(requests, shadow_thing, move |message| {
        let service = service.clone();
        let hub = hub.clone();
        Box::pin(async move {
            if let Some(replies) =
                mqtt::handle_request(&service, &message.topic, &message.payload).await
            {
                publish_all(&hub, replies).await;
            }
        })
    });
}

/// Publishes the service's replies (QoS 1, like AWS IoT's shadow service).
pub async fn publish_all(hub: &HubHandle, replies: Vec<Outbound>) {
    for reply in replies {
        hub.publish(service_message(reply.topic, &reply.payload))
            .await;
    }
}
