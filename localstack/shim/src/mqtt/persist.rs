//! Write-behind persistence of broker state: persistent sessions and retained messages live in
//! the Store's broker table, so they survive a restart of `thingcore serve`.
//!
//! The hub coalesces changes and hands them over every 50 ms; one task writes them in order.
//! An acknowledged QoS 1/2 message reaches the Store within that interval; a clean shutdown
//! writes everything before it exits.

use std::sync::Arc;
use thingcore::broker::{Broker, Message, Session};
use thingcore::store::{Expect, Key, Put, Query, Store, Table};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Partition of persistent sessions; the sort key is the client id.
pub const SESSIONS_PK: &str = "mqtt-session";
/// Partition of retained messages; the sort key is the topic.
pub const RETAINED_PK: &str = "mqtt-retained";

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

/// The sending side of the persister task.
pub struct Persister {
    tx: Option<mpsc::UnboundedSender<PersistOp>>,
    task: Option<JoinHandle<()>>,
}

impl Persister {
    /// Starts the persister task over `store`.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<PersistOp>();
        let task = tokio::spawn(async move {
            while let Some(op) = rx.recv().await {
                if let Err(error) = apply(store.as_ref(), op).await {
                    tracing::error!(%error, "persisting broker state failed");
                }
            }
        });
        Self {
            tx: Some(tx),
            task: Some(task),
        }
    }

    /// Queues a write.
    pub fn submit(&self, op: PersistOp) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(op);
        }
    }

    /// Waits until every queued write is done.
    pub async fn finish(&mut self) {
        self.tx.take();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
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
