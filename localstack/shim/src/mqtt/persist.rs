//! Persistence of broker state: persistent sessions and retained messages live in the Store's
//! broker table, so they survive a restart of `thingcore serve` — and a kill -9.
//!
//! The hub hands over what changed in numbered batches, one at a time (group commit: what
//! changes while one batch is written goes in the next); one task writes each batch, its
//! writes concurrently (they are to distinct keys), and reports [`BatchDone`]. The hub holds
//! the acknowledgements of those changes until then (`thingcore::broker::commit`), so an
//! acknowledged QoS 1/2 message, subscription or retained message is stored before its
//! client hears so. Changes no acknowledgement waits for (a delivery's progress) are written
//! behind, every 50 ms. A clean shutdown writes everything before it exits.

use futures::StreamExt;
use std::sync::Arc;
use thingcore::broker::{Broker, Message, Session};
use thingcore::store::{Expect, Key, Put, Query, Store, Table};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Partition of persistent sessions; the sort key is the client id.
pub const SESSIONS_PK: &str = "mqtt-session";
/// Partition of retained messages; the sort key is the topic.
pub const RETAINED_PK: &str = "mqtt-retained";
/// Writes of one batch in flight at once.
const WRITE_CONCURRENCY: usize = 16;

/// One write for the persister.
#[derive(Debug)]
pub enum PersistOp {
    /// Write a session, ending at `expires_at` (epoch ms) if it has not been written again.
    PutSession {
        /// The session.
        session: Box<Session>,
        /// When it ends.
        expires_at: Option<u64>,
    },
    /// Forget a session.
    DeleteSession(String),
    /// Write a retained message.
    PutRetained(Arc<Message>),
    /// Forget the retained message of a topic.
    DeleteRetained(String),
}

/// What a write was about, to mark it changed again when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersistKey {
    /// A client's session.
    Session(String),
    /// A topic's retained message.
    Retained(String),
}

impl PersistOp {
    fn key(&self) -> PersistKey {
        match self {
            PersistOp::PutSession { session, .. } => PersistKey::Session(session.client_id.clone()),
            PersistOp::DeleteSession(client_id) => PersistKey::Session(client_id.clone()),
            PersistOp::PutRetained(message) => PersistKey::Retained(message.topic.clone()),
            PersistOp::DeleteRetained(topic) => PersistKey::Retained(topic.clone()),
        }
    }
}

/// A batch written: its number, and the writes that failed (none when it committed).
#[derive(Debug)]
pub struct BatchDone {
    /// The batch's number.
    pub batch: u64,
    /// What could not be written.
    pub failed: Vec<PersistKey>,
}

/// The sending side of the persister task.
pub struct Persister {
    tx: Option<mpsc::Sender<(u64, Vec<PersistOp>)>>,
    task: Option<JoinHandle<()>>,
}

impl Persister {
    /// Starts the persister task over `store`; each batch's outcome comes on the receiver.
    pub fn start(store: Arc<dyn Store>) -> (Self, mpsc::Receiver<BatchDone>) {
        // The hub has one batch in flight, and at shutdown a last one behind it.
        let (tx, mut rx) = mpsc::channel::<(u64, Vec<PersistOp>)>(2);
        let (done_tx, done_rx) = mpsc::channel(2);
        let task = tokio::spawn(async move {
            while let Some((batch, ops)) = rx.recv().await {
                let failed = write_batch(store.as_ref(), ops).await;
                if !failed.is_empty() {
                    tracing::error!(
                        batch,
                        failed = failed.len(),
                        "persisting broker state failed"
                    );
                }
                // One batch is in flight at a time, so this never finds the channel full while
                // the hub runs; at shutdown nobody listens, and the batch is written all the same.
                let _ = done_tx.try_send(BatchDone { batch, failed });
            }
        });
        (
            Self {
                tx: Some(tx),
                task: Some(task),
            },
            done_rx,
        )
    }

    /// Hands over batch `batch`. The hub sends one batch at a time (and a last one at
    /// shutdown), so the channel never fills; if it did, the batch is reported failed.
    pub fn submit(&self, batch: u64, ops: Vec<PersistOp>) -> Result<(), Vec<PersistKey>> {
        let Some(tx) = &self.tx else {
            return Err(ops.iter().map(PersistOp::key).collect());
        };
        tx.try_send((batch, ops)).map_err(|error| {
            let (_, ops) = match error {
                mpsc::error::TrySendError::Full(sent) | mpsc::error::TrySendError::Closed(sent) => {
                    sent
                }
            };
            ops.iter().map(PersistOp::key).collect()
        })
    }

    /// Waits until every batch handed over is written.
    pub async fn finish(&mut self) {
        self.tx.take();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Writes `ops` (distinct keys, so in any order); returns the keys whose write failed.
async fn write_batch(store: &dyn Store, ops: Vec<PersistOp>) -> Vec<PersistKey> {
    futures::stream::iter(ops)
        .map(|op| async move {
            let key = op.key();
            match apply(store, op).await {
                Ok(()) => None,
                Err(error) => {
                    tracing::warn!(%error, ?key, "persisting broker state failed");
                    Some(key)
                }
            }
        })
        .buffer_unordered(WRITE_CONCURRENCY)
        .filter_map(|failed| async move { failed })
        .collect()
        .await
}

async fn apply(store: &dyn Store, op: PersistOp) -> thingcore::Result<()> {
    match op {
        PersistOp::PutSession {
            session,
            expires_at,
        } => {
            let body = serde_json::to_vec(&session)
                .map_err(|e| thingcore::Error::storage("encoding a session", e))?;
            let mut put = Put::new(
                Table::Broker,
                Key::new(SESSIONS_PK, &session.client_id),
                body,
            );
            if let Some(at) = expires_at {
                put = put.expires_at(at.div_ceil(1000));
            }
            store.put(put).await.map(|_| ())
        }
        PersistOp::DeleteSession(client_id) => store
            .delete(
                Table::Broker,
                &Key::new(SESSIONS_PK, client_id),
                Expect::Any,
            )
            .await
            .map(|_| ()),
        PersistOp::PutRetained(message) => {
            let body = serde_json::to_vec(message.as_ref())
                .map_err(|e| thingcore::Error::storage("encoding a retained message", e))?;
            let mut put = Put::new(Table::Broker, Key::new(RETAINED_PK, &message.topic), body);
            if let Some(at) = message.expires_at {
                put = put.expires_at(at.div_ceil(1000));
            }
            store.put(put).await.map(|_| ())
        }
        PersistOp::DeleteRetained(topic) => store
            .delete(Table::Broker, &Key::new(RETAINED_PK, topic), Expect::Any)
            .await
            .map(|_| ()),
    }
}

/// Reads persisted sessions and retained messages into `broker`; returns how many of each.
/// Records that do not decode are logged and skipped, not fatal.
///
/// # Errors
/// A Store that cannot be read.
pub async fn restore(store: &dyn Store, broker: &mut Broker) -> thingcore::Result<(usize, usize)> {
    let mut sessions = 0;
    for item in read_partition(store, SESSIONS_PK).await? {
        match serde_json::from_slice::<Session>(&item.body) {
            Ok(session) => {
                let expires_at = item.expires_at.map(|secs| secs * 1000);
                broker.restore_session(session, expires_at);
                sessions += 1;
            }
            Err(error) => {
                tracing::warn!(client_id = %item.key.sk, %error, "skipping a session that does not decode")
            }
        }
    }
    let mut retained = 0;
    for item in read_partition(store, RETAINED_PK).await? {
        match serde_json::from_slice::<Message>(&item.body) {
            Ok(message) => {
                broker.restore_retained(message);
                retained += 1;
            }
            Err(error) => {
                tracing::warn!(topic = %item.key.sk, %error, "skipping a retained message that does not decode")
            }
        }
    }
    Ok((sessions, retained))
}

async fn read_partition(
    store: &dyn Store,
    pk: &str,
) -> thingcore::Result<Vec<thingcore::store::Item>> {
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let page = store
            .query(
                &Query::partition(Table::Broker, pk)
                    .limit(1000)
                    .start(token.take()),
            )
            .await?;
        items.extend(page.items);
        match page.next {
            Some(next) => token = Some(next),
            None => return Ok(items),
        }
    }
}
