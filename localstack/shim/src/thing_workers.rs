//! Requests to a device service (the Device Shadow service, Jobs) handled in order per thing:
//! one worker per shard of thing names, each with a bounded queue. A busy worker holds the
//! dispatcher back, and then the hub drops for the service (counted), never waiting itself.

use futures::future::BoxFuture;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use thingcore::broker::Message;
use thingcore::mqtt::{Bytes, QoS};
use thingcore::{Clock, SystemClock};
use tokio::sync::mpsc;

/// Workers handling one service's requests in parallel (each keeps its things' requests in
/// order).
const SHARDS: usize = 4;
/// Requests waiting for one worker.
const SHARD_QUEUE: usize = 1024;

/// Starts the workers; they stop when `requests` closes. `thing_of` says which thing a message
/// is a request about (`None`: not a request, e.g. the service's own answer on the same
/// filter); `handle` answers one request.
pub fn start<H>(
    mut requests: mpsc::Receiver<Arc<Message>>,
    thing_of: fn(&Message) -> Option<String>,
    handle: H,
) where
    H: Fn(Arc<Message>) -> BoxFuture<'static, ()> + Clone + Send + Sync + 'static,
{
    let mut shards = Vec::with_capacity(SHARDS);
    for _ in 0..SHARDS {
        let (tx, mut rx) = mpsc::channel::<Arc<Message>>(SHARD_QUEUE);
        let handle = handle.clone();
        tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                handle(message).await;
            }
        });
        shards.push(tx);
    }
    tokio::spawn(async move {
        while let Some(message) = requests.recv().await {
            let Some(thing) = thing_of(&message) else {
                continue;
            };
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            thing.hash(&mut hasher);
            let shard = (hasher.finish() % SHARDS as u64) as usize;
            // A busy worker holds the dispatcher back (bounded), never the hub.
            let _ = shards[shard].send(message).await;
        }
    });
}

/// A service's message: QoS 1, not retained, JSON (AWS IoT's services answer at QoS 1).
pub fn service_message(topic: String, payload: &serde_json::Value) -> Message {
    Message {
        topic,
        payload: Bytes::from(payload.to_string()),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Default::default(),
        publisher: None,
        received_at: SystemClock.now_millis(),
        expires_at: None,
    }
}
