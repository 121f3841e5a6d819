//! The Device Shadow service in process: requests published on `$aws/things/+/shadow/#` reach
//! the shadow-updater handler, and its replies are published through the hub. Requests for
//! one thing are handled in order (one worker per shard of thing names).

use crate::mqtt::HubHandle;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use thingcore::broker::Message;
use thingcore::mqtt::{Bytes, QoS};
use thingcore::{Clock, SystemClock};
use thingcore_shadows::{mqtt, Outbound, ShadowService};
use tokio::sync::mpsc;

/// The topic filter of shadow requests and replies.
pub const SHADOW_TOPICS: &str = "$aws/things/+/shadow/#";
/// Workers handling shadow requests in parallel (each keeps its things' requests in order).
const SHARDS: usize = 4;
/// Requests waiting for one worker; a full worker holds the dispatcher back, and then the
/// hub drops for the shadow service (counted), never waiting itself.
const SHARD_QUEUE: usize = 1024;

/// Starts the workers; they stop when `requests` closes.
pub fn start(service: ShadowService, hub: HubHandle, mut requests: mpsc::Receiver<Arc<Message>>) {
    let mut shards = Vec::with_capacity(SHARDS);
    for _ in 0..SHARDS {
        let (tx, mut rx) = mpsc::channel::<Arc<Message>>(SHARD_QUEUE);
        let service = service.clone();
        let hub = hub.clone();
        tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                if let Some(replies) =
                    mqtt::handle_request(&service, &message.topic, &message.payload).await
                {
                    publish_all(&hub, replies).await;
                }
            }
        });
        shards.push(tx);
    }
    tokio::spawn(async move {
        while let Some(message) = requests.recv().await {
            // The one routing decision: only shadow requests reach the service (the filter
            // also passes its own answers).
            let route = thingcore::route::service_route(&message.topic);
            let Some(request) = route.shadow_request() else {
                continue;
            };
            let thing = request.thing_name.as_str();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            thing.hash(&mut hasher);
            let shard = (hasher.finish() % SHARDS as u64) as usize;
            // A busy worker holds the dispatcher back (bounded), never the hub.
            let _ = shards[shard].send(message).await;
        }
    });
}

/// Publishes the service's replies (QoS 1, like AWS IoT's shadow service).
pub async fn publish_all(hub: &HubHandle, replies: Vec<Outbound>) {
    for reply in replies {
        let message = Message {
            topic: reply.topic,
            payload: Bytes::from(reply.payload.to_string()),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Default::default(),
            publisher: None,
            received_at: SystemClock.now_millis(),
            expires_at: None,
        };
        hub.publish(message).await;
    }
}
