//! The hub: the one task that owns the [`Broker`]. Everything that changes broker state is an
//! event on its channel, handled in arrival order; outputs go to connections' channels and,
//! coalesced, to the persister. Acknowledgements of stored changes wait in an
//! [`AckGate`] until the persister has committed the batch that stores them.

pub use super::outbox::{Commands, ConnSender};
use super::persist::{BatchDone, PersistKey, PersistOp, Persister};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use thingcore::broker::commit::{self, AckGate, Held};
use thingcore::broker::{Broker, ConnId, ConnectionInfo, DisconnectReason, Message, Output};
use thingcore::mqtt::{Connect, Packet, ProtocolVersion, QoS};
use thingcore::policy::Authorization;
use thingcore::{Clock, SystemClock};
use tokio::sync::{mpsc, oneshot};

/// Bytes of QoS 0 messages that may wait for one slow connection before more are dropped.
pub const SLOW_CONSUMER_LIMIT: usize = 4 * 1024 * 1024;

/// What the hub tells a connection.
// Not boxed: commands wait in a connection's outbox, whose buffers keep their room while the
// connection is busy and give it back when it is quiet, so a box would only add an
// allocation per delivered packet (made on the hub's thread, freed on the connection's).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum ConnCommand {
    /// The CONNECT was accepted.
    Accepted {
        /// Keep-alive in seconds granted.
        keep_alive: u16,
    },
    /// Write this packet.
    Send(Packet),
    /// Close after writing what came before.
    Close,
}

/// A retained message as the HTTP API lists it.
#[derive(Debug, Clone)]
pub struct RetainedInfo {
    /// The message.
    pub message: Arc<Message>,
}

/// Events the hub handles.
#[derive(Debug)]
pub enum HubEvent {
    /// A connection sent CONNECT.
    Connect {
        /// The connection.
        conn: ConnId,
        /// The packet.
        connect: Box<Connect>,
        /// What the transport knows about the peer.
        info: ConnectionInfo,
        /// Where the hub sends the connection's commands.
        sender: ConnSender,
    },
    /// A packet after CONNECT.
    Packet {
        /// The connection.
        conn: ConnId,
        /// The packet.
        packet: Packet,
    },
    /// The connection ended without DISCONNECT, or broke the protocol.
    Lost {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: DisconnectReason,
    },
    /// A message from outside MQTT (HTTP publish).
    Publish {
        /// The message.
        message: Message,
        /// Answered when routed.
        done: oneshot::Sender<()>,
    },
    /// Replace a live connection's rights (its policies changed).
    SetAuthorization {
        /// The connection.
        conn: ConnId,
        /// Its new rights.
        authorization: Option<Arc<Authorization>>,
    },
    /// Disconnect a connection whose credentials were revoked.
    Revoke {
        /// The connection.
        conn: ConnId,
    },
    /// Every retained message.
    ListRetained {
        /// The answer.
        reply: oneshot::Sender<Vec<Arc<Message>>>,
    },
    /// One retained message.
    GetRetained {
        /// Its topic.
        topic: String,
        /// The answer.
        reply: oneshot::Sender<Option<Arc<Message>>>,
    },
}

/// A cheap handle for sending events to the hub.
#[derive(Debug, Clone)]
pub struct HubHandle {
    tx: mpsc::Sender<HubEvent>,
    next_conn: Arc<std::sync::atomic::AtomicU64>,
}

impl HubHandle {
    /// A fresh connection id.
    pub fn next_conn_id(&self) -> ConnId {
        ConnId(self.next_conn.fetch_add(1, Ordering::Relaxed))
    }

    /// Sends an event; `false` when the hub has stopped.
    ///
    /// Queued at once when the hub's channel has room (nearly always); only a full channel
    /// makes a (boxed) waiting future. Every connection task holds this future in its state,
    /// and a channel send future holding the event is close to 1 KiB.
    pub fn send(&self, event: HubEvent) -> impl std::future::Future<Output = bool> + Send + '_ {
        let waiting = match self.tx.try_send(event) {
            Ok(()) => Ok(true),
            Err(mpsc::error::TrySendError::Closed(_)) => Ok(false),
            Err(mpsc::error::TrySendError::Full(event)) => Err(Box::pin(self.tx.send(event))),
        };
        async move {
            match waiting {
                Ok(sent) => sent,
                Err(waiting) => waiting.await.is_ok(),
            }
        }
    }

    /// Publishes a message from outside MQTT; returns once routed.
    pub async fn publish(&self, message: Message) -> bool {
        let (done, wait) = oneshot::channel();
        self.send(HubEvent::Publish { message, done }).await && wait.await.is_ok()
    }

    /// Replaces a live connection's rights; `false` when the hub has stopped.
    pub async fn set_authorization(
        &self,
        conn: ConnId,
        authorization: Option<Arc<Authorization>>,
    ) -> bool {
        self.send(HubEvent::SetAuthorization {
            conn,
            authorization,
        })
        .await
    }

    /// Disconnects a connection whose credentials were revoked.
    pub async fn revoke(&self, conn: ConnId) -> bool {
        self.send(HubEvent::Revoke { conn }).await
    }

    /// Every retained message.
    pub async fn list_retained(&self) -> Vec<Arc<Message>> {
        let (reply, wait) = oneshot::channel();
        if !self.send(HubEvent::ListRetained { reply }).await {
            return Vec::new();
        }
        wait.await.unwrap_or_default()
    }

    /// The retained message of `topic`.
    pub async fn get_retained(&self, topic: String) -> Option<Arc<Message>> {
        let (reply, wait) = oneshot::channel();
        if !self.send(HubEvent::GetRetained { topic, reply }).await {
            return None;
        }
        wait.await.ok().flatten()
    }
}

/// The hub task's state.
pub struct Hub {
    broker: Broker,
    rx: mpsc::Receiver<HubEvent>,
    connections: HashMap<ConnId, (ConnSender, ProtocolVersion)>,
    dirty_sessions: HashSet<String>,
    ended_sessions: HashSet<String>,
    dirty_retained: HashSet<String>,
    persister: Persister,
    /// Outcomes of the batches the persister wrote.
    written: mpsc::Receiver<BatchDone>,
    /// The batch being written, if any (one at a time, so batches commit in order).
    writing: Option<u64>,
    /// Acknowledgements (and HTTP publish answers) waiting for a batch to commit.
    gate: AckGate<oneshot::Sender<()>>,
    clock: Arc<dyn Clock>,
    observers: Vec<Observer>,
}

/// A service that sees the messages routed to `filter` while its gate is open.
struct Observer {
    filter: String,
    gate: Option<Arc<AtomicBool>>,
    tx: mpsc::Sender<Arc<Message>>,
    /// Messages this observer was too far behind to take.
    dropped: u64,
}

/// Messages that may wait for one in-process service (shadows, rules, `/ws`) before newer
/// ones are dropped for it.
pub const OBSERVER_QUEUE: usize = 8192;

/// How often changes no acknowledgement waits for are handed to the persister (those some
/// acknowledgement waits for go as soon as the persister is free).
const PERSIST_INTERVAL: Duration = Duration::from_millis(50);

impl Hub {
    /// A hub over `broker` (already restored from the Store) and its handle.
    pub fn new(
        broker: Broker,
        (persister, written): (Persister, mpsc::Receiver<BatchDone>),
    ) -> (Self, HubHandle) {
        let (tx, rx) = mpsc::channel(4096);
        let hub = Self {
            broker,
            rx,
            connections: HashMap::new(),
            dirty_sessions: HashSet::new(),
            ended_sessions: HashSet::new(),
            dirty_retained: HashSet::new(),
            persister,
            written,
            writing: None,
            gate: AckGate::new(),
            clock: Arc::new(SystemClock),
            observers: Vec::new(),
        };
        let handle = HubHandle {
            tx,
            next_conn: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        };
        (hub, handle)
    }

    /// Every message routed to a topic matching `filter` (a valid topic filter) is also sent
    /// to the returned channel: how in-process services (shadows, rules) see MQTT traffic.
    pub fn observe(&mut self, filter: &str) -> mpsc::Receiver<Arc<Message>> {
        self.observe_when(filter, None)
    }

    /// As [`Hub::observe`], but messages are sent only while `gate` is true: a service with
    /// nothing to do (a rules engine without rules) costs the broker nothing.
    pub fn observe_when(
        &mut self,
        filter: &str,
        gate: Option<Arc<AtomicBool>>,
    ) -> mpsc::Receiver<Arc<Message>> {
        let (tx, rx) = mpsc::channel(OBSERVER_QUEUE);
        self.observers.push(Observer {
            filter: filter.to_string(),
            gate,
            tx,
            dropped: 0,
        });
        rx
    }

    /// Runs until `shutdown` resolves or every handle is dropped; then disconnects every
    /// client, persists what changed, and waits for the persister to finish.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut persist_tick = tokio::time::interval(PERSIST_INTERVAL);
        persist_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut batch = Vec::with_capacity(256);
        loop {
            let deadline = self.broker.next_deadline();
            let sleep_for = deadline
                .map(|at| Duration::from_millis(at.saturating_sub(self.clock.now_millis())))
                .unwrap_or(Duration::from_secs(3600));
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(done) = self.written.recv() => self.batch_done(done),
                received = self.rx.recv_many(&mut batch, 256) => {
                    if received == 0 {
                        break;
                    }
                    for event in batch.drain(..) {
                        self.handle(event);
                    }
                    // Group commit: what these events' acknowledgements wait for goes now
                    // if the persister is free, else with the next batch.
                    if self.gate.waiting() {
                        self.persist();
                    }
                }
                _ = persist_tick.tick() => self.persist(),
                () = tokio::time::sleep(sleep_for) => {
                    let outputs = self.broker.tick(self.clock.now_millis());
                    self.apply(outputs);
                }
            }
        }
        let outputs = self.broker.shutdown(self.clock.now_millis());
        self.apply(outputs);
        // The last batch goes behind any still being written.
        self.writing = None;
        self.persist();
        self.persister.finish().await;
    }

    fn handle(&mut self, event: HubEvent) {
        let now = self.clock.now_millis();
        let outputs = match event {
            HubEvent::Connect {
                conn,
                connect,
                info,
                sender,
            } => {
                self.connections.insert(conn, (sender, connect.protocol));
                self.broker.connect(conn, *connect, info, now)
            }
            HubEvent::Packet { conn, packet } => self.broker.handle(conn, packet, now),
            HubEvent::Lost { conn, reason } => {
                let outputs = self.broker.connection_lost(conn, reason, now);
                self.connections.remove(&conn);
                outputs
            }
            HubEvent::Publish { message, done } => {
                let outputs = self.broker.publish(message, now);
                // "Published" means stored when the message changed what is stored.
                if commit::changes_storage(&outputs) {
                    self.gate.hold(done);
                } else {
                    let _ = done.send(());
                }
                outputs
            }
            HubEvent::SetAuthorization {
                conn,
                authorization,
            } => {
                self.broker.set_authorization(conn, authorization);
                return;
            }
            HubEvent::Revoke { conn } => self.broker.revoke(conn, now),
            HubEvent::ListRetained { reply } => {
                let _ = reply.send(self.broker.retained_messages().cloned().collect());
                return;
            }
            HubEvent::GetRetained { topic, reply } => {
                let _ = reply.send(self.broker.retained(&topic).cloned());
                return;
            }
        };
        self.apply(outputs);
    }

    fn apply(&mut self, outputs: Vec<Output>) {
        for output in self.gate.pass(outputs) {
            match output {
                Output::Accepted {
                    conn, keep_alive, ..
                } => {
                    if let Some((sender, _)) = self.connections.get(&conn) {
                        sender.send(ConnCommand::Accepted { keep_alive });
                    }
                }
                Output::Send(conn, packet) => self.send(conn, packet),
                Output::Close(conn) => {
                    if let Some((sender, _)) = self.connections.remove(&conn) {
                        sender.send(ConnCommand::Close);
                    }
                }
                Output::SessionChanged(client_id) => {
                    self.ended_sessions.remove(&client_id);
                    self.dirty_sessions.insert(client_id);
                }
                Output::SessionEnded(client_id) => {
                    self.dirty_sessions.remove(&client_id);
                    self.ended_sessions.insert(client_id);
                }
                Output::RetainedChanged(topic) => {
                    self.dirty_retained.insert(topic);
                }
                Output::Routed(message) => {
                    for observer in &mut self.observers {
                        let open = observer
                            .gate
                            .as_ref()
                            .is_none_or(|gate| gate.load(Ordering::Relaxed));
                        if open && thingcore::topic::matches(&observer.filter, &message.topic) {
                            // The broker never waits for a service: one that is this far
                            // behind loses the message, counted.
                            if let Err(mpsc::error::TrySendError::Full(_)) =
                                observer.tx.try_send(message.clone())
                            {
                                observer.dropped += 1;
                                if observer.dropped.is_power_of_two() {
                                    tracing::warn!(
                                        filter = %observer.filter,
                                        dropped = observer.dropped,
                                        "a service is behind: messages dropped for it"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes `packet` to `conn`, unless it is a QoS 0 message for a connection that is
    /// already too far behind.
    fn send(&self, conn: ConnId, packet: Packet) {
        if let Some((sender, _)) = self.connections.get(&conn) {
            let droppable = matches!(&packet, Packet::Publish(p) if p.qos == QoS::AtMostOnce);
            if droppable && sender.is_congested() {
                tracing::debug!(?conn, "slow consumer: QoS 0 message dropped");
                return;
            }
            sender.send(ConnCommand::Send(packet));
        }
    }

    /// Hands every change so far to the persister as one batch, unless a batch is still
    /// being written (then they go with the next, when it is done).
    fn persist(&mut self) {
        if self.writing.is_some() {
            return;
        }
        let ops = self.changes();
        let batch = self.gate.seal();
        if ops.is_empty() {
            // Nothing new to store: what waited for this batch was stored by earlier ones.
            self.batch_done(BatchDone {
                batch,
                failed: Vec::new(),
            });
            return;
        }
        match self.persister.submit(batch, ops) {
            Ok(()) => self.writing = Some(batch),
            Err(keys) => self.batch_failed(batch, keys),
        }
    }

    /// A batch was written: what waited for it is released; what failed is changed again,
    /// for the next batch (on the next tick, not at once, so a failing Store is not pressed).
    fn batch_done(&mut self, done: BatchDone) {
        if self.writing == Some(done.batch) {
            self.writing = None;
        }
        if !done.failed.is_empty() {
            self.batch_failed(done.batch, done.failed);
            return;
        }
        for held in self.gate.committed(done.batch) {
            match held {
                Held::Packet(conn, packet) => self.send(conn, *packet),
                Held::Signal(done) => {
                    let _ = done.send(());
                }
            }
        }
        if self.gate.waiting() {
            self.persist();
        }
    }

    fn batch_failed(&mut self, batch: u64, keys: Vec<PersistKey>) {
        self.gate.failed(batch);
        for key in keys {
            match key {
                PersistKey::Session(client_id) => {
                    if self.broker.session(&client_id).is_some() {
                        self.dirty_sessions.insert(client_id);
                    } else {
                        self.ended_sessions.insert(client_id);
                    }
                }
                PersistKey::Retained(topic) => {
                    self.dirty_retained.insert(topic);
                }
            }
        }
    }

    /// The writes that store every change since the last batch.
    fn changes(&mut self) -> Vec<PersistOp> {
        let now = self.clock.now_millis();
        let mut ops = Vec::new();
        for client_id in self.ended_sessions.drain() {
            ops.push(PersistOp::DeleteSession(client_id));
        }
        for client_id in self.dirty_sessions.drain() {
            if let Some(session) = self.broker.session(&client_id) {
                let expires_at = self.broker.session_expires_at(&client_id).or_else(|| {
                    // Connected: if the process dies, the session ends as if the client
                    // had gone now.
                    let interval = u64::from(session.expiry_interval);
                    (session.expiry_interval != u32::MAX).then(|| now + interval * 1000)
                });
                ops.push(PersistOp::PutSession {
                    session: Box::new(session.clone()),
                    expires_at,
                });
            }
        }
        for topic in self.dirty_retained.drain() {
            ops.push(match self.broker.retained(&topic) {
                Some(message) => PersistOp::PutRetained(message.clone()),
                None => PersistOp::DeleteRetained(topic),
            });
        }
        ops
    }
}

#[cfg(test)]
#[path = "commit_tests.rs"]
mod commit_tests;
