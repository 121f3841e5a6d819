//! [`Broker`]: the whole broker as one state machine.
//!
//! Inputs: a CONNECT ([`Broker::connect`]), any later packet ([`Broker::handle`]), the end of a
//! connection ([`Broker::connection_lost`]), a message from outside MQTT
//! ([`Broker::publish`]), and the passing of time ([`Broker::tick`]). Each returns
//! [`Output`]s in the order they must happen.

mod authz;
mod connect;
mod packets;
mod routing;

use super::config::BrokerConfig;
use super::events::{self, DisconnectReason, EventContext};
use super::message::Message;
use super::session::{Session, Subscription};
use crate::mqtt::{self, Disconnect, DisconnectProperties, Packet, ProtocolVersion, Will};
use crate::policy::Authorization;
use crate::topic::SubscriptionTrie;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Identifies one network connection for the life of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// What the host learns about a connection before its CONNECT.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionInfo {
    /// The peer's IP address.
    pub ip_address: Option<String>,
    /// The authenticated principal, when the transport authenticated one.
    pub principal: Option<String>,
    /// What the connection may do (its policies and context); `None`: an open listener,
    /// everything is allowed. See the `authz` module for where it is checked.
    pub authorization: Option<Arc<Authorization>>,
}

/// What the host must do, in order.
// Values of this enum are built and consumed once per packet; boxing the packet to even
// out variant sizes would cost an allocation on the hot path for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The CONNECT was accepted: enforce this keep-alive (seconds; the host allows 1.5×).
    Accepted {
        /// The connection.
        conn: ConnId,
        /// Granted keep-alive in seconds.
        keep_alive: u16,
        /// Protocol version the connection speaks.
        version: ProtocolVersion,
    },
    /// Write this packet to the connection.
    Send(ConnId, Packet),
    /// Close the connection once what was sent before is written.
    Close(ConnId),
    /// The session of this client changed: persist it (it is persistent).
    SessionChanged(String),
    /// The session of this client ended: delete what was persisted.
    SessionEnded(String),
    /// The retained message of this topic changed (set or cleared): persist it.
    RetainedChanged(String),
    /// A message was routed (for the rules engine and other observers).
    Routed(Arc<Message>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct SubscriberKey {
    client_id: String,
    group: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct SubscriptionEntry {
    filter: String,
    subscription: Subscription,
}

#[derive(Debug)]
pub(super) struct Connection {
    client_id: String,
    version: ProtocolVersion,
    /// Boxed: most clients have none, and the connection is kept for as long as it lasts.
    will: Option<Box<Will>>,
    /// The client's Receive Maximum: most QoS 1/2 messages in flight to it.
    window: usize,
    /// The client's Maximum Packet Size.
    max_packet_size: usize,
    /// Topic aliases the client set toward us.
    /// Made when the client sets its first alias (most never do). Boxed, though a map is
    /// already on the heap: an empty one is 48 bytes inline, a box 8.
    #[allow(clippy::box_collection)]
    inbound_aliases: Option<Box<HashMap<u16, String>>>,
    /// The number in the lifecycle events' `sessionIdentifier` (formatted when an event is
    /// made: a number is 8 bytes, its text a 32-byte allocation, kept per connection).
    session_number: u64,
    /// `None`: anonymous (no allocation for the many clients of an open listener).
    principal: Option<String>,
    ip_address: Option<std::net::IpAddr>,
    /// Lifecycle `versionNumber` of this connection.
    event_version: u64,
}

#[derive(Debug)]
pub(super) struct SessionEntry {
    session: Session,
    connection: Option<ConnId>,
    /// Epoch ms at which an offline session ends.
    expires_at: Option<u64>,
    /// The rights of the client's last connection (None: open); deliveries are checked
    /// against them, also while the session is offline.
    authorization: Option<Arc<Authorization>>,
}

#[derive(Debug)]
struct PendingWill {
    message: Message,
    publish_at: u64,
}

/// The broker.
#[derive(Debug)]
pub struct Broker {
    config: BrokerConfig,
    /// Boxed values: a hash table has up to twice as many slots as entries, and a slot of an
    /// unboxed connection or session is a few hundred bytes (tens of thousands of clients).
    connections: HashMap<ConnId, Box<Connection>>,
    sessions: HashMap<String, Box<SessionEntry>>,
    subscriptions: SubscriptionTrie<SubscriberKey, SubscriptionEntry>,
    shared_cursor: HashMap<(String, String), usize>,
    retained: BTreeMap<String, Arc<Message>>,
    pending_wills: HashMap<String, PendingWill>,
    event_versions: HashMap<String, u64>,
    /// Bytes queued across every session (see [`BrokerConfig::max_queued_bytes`]).
    queued_bytes: usize,
    /// PUBACKs held while the queues are over the broker-wide bound, in arrival order.
    paced_acks: Vec<(ConnId, u16)>,
    seed: u64,
    counter: u64,
}

impl Broker {
    /// A broker with no sessions. `seed` makes session identifiers and assigned client ids
    /// unique across restarts (the host passes the start time or a random number).
    pub fn new(config: BrokerConfig, seed: u64) -> Self {
        Self {
            config,
            connections: HashMap::new(),
            sessions: HashMap::new(),
            subscriptions: SubscriptionTrie::new(),
            shared_cursor: HashMap::new(),
            retained: BTreeMap::new(),
            pending_wills: HashMap::new(),
            event_versions: HashMap::new(),
            queued_bytes: 0,
            paced_acks: Vec::new(),
            seed,
            counter: 0,
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// Number of open connections.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// The session of a client, connected or not.
    pub fn session(&self, client_id: &str) -> Option<&Session> {
        self.sessions.get(client_id).map(|e| &e.session)
    }

    /// When an offline session ends (epoch ms), if it is offline and ends.
    pub fn session_expires_at(&self, client_id: &str) -> Option<u64> {
        self.sessions.get(client_id).and_then(|e| e.expires_at)
    }

    /// The retained message of a topic.
    pub fn retained(&self, topic: &str) -> Option<&Arc<Message>> {
        self.retained.get(topic)
    }

    /// Every retained message, by topic.
    pub fn retained_messages(&self) -> impl Iterator<Item = &Arc<Message>> {
        self.retained.values()
    }

    /// Puts back a persistent session read from the Store at start (offline, ending at
    /// `expires_at` epoch ms if given).
    pub fn restore_session(&mut self, mut session: Session, expires_at: Option<u64>) {
        session.recount();
        self.queued_bytes += session.queued_bytes();
        let client_id = session.client_id.clone();
        for (filter, subscription) in &session.subscriptions {
            self.index_subscription(&client_id, filter, subscription.clone());
        }
        self.sessions.insert(
            client_id,
            Box::new(SessionEntry {
                session,
                connection: None,
                expires_at,
                authorization: None,
            }),
        );
    }

    /// Puts back a retained message read from the Store at start.
    pub fn restore_retained(&mut self, message: Message) {
        self.retained
            .insert(message.topic.clone(), Arc::new(message));
    }

    fn next_id(&mut self) -> String {
        session_identifier(self.seed, self.next_number())
    }

    fn next_number(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// The earliest time (epoch ms) at which [`Broker::tick`] has work: a delayed will or an
    /// expiring session.
    pub fn next_deadline(&self) -> Option<u64> {
        let wills = self.pending_wills.values().map(|w| w.publish_at);
        let sessions = self.sessions.values().filter_map(|e| e.expires_at);
        wills.chain(sessions).min()
    }

    /// Publishes due wills and ends expired sessions.
    pub fn tick(&mut self, now: u64) -> Vec<Output> {
        let mut out = Vec::new();
        let due: Vec<String> = self
            .pending_wills
            .iter()
            .filter(|(_, w)| w.publish_at <= now)
            .map(|(c, _)| c.clone())
            .collect();
        for client_id in due {
            if let Some(will) = self.pending_wills.remove(&client_id) {
                self.publish_message(will.message, now, &mut out);
            }
        }
        let expired: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, e)| e.connection.is_none() && e.expires_at.is_some_and(|at| at <= now))
            .map(|(c, _)| c.clone())
            .collect();
        for client_id in expired {
            self.end_session(&client_id, now, &mut out);
        }
        out
    }

    /// A connection closed without a DISCONNECT from the client, or was closed by the host
    /// (keep-alive, protocol error, shutdown). Publishes the will as due, keeps or ends the
    /// session.
    pub fn connection_lost(
        &mut self,
        conn: ConnId,
        reason: DisconnectReason,
        now: u64,
    ) -> Vec<Output> {
        let mut out = Vec::new();
        self.end_connection(conn, reason, !reason.is_clean(), now, &mut out);
        out
    }

    /// Ends a connection: will, session expiry, lifecycle event. `publish_will` is false when
    /// the client disconnected normally.
    fn end_connection(
        &mut self,
        conn: ConnId,
        reason: DisconnectReason,
        publish_will: bool,
        now: u64,
        out: &mut Vec<Output>,
    ) {
        let Some(connection) = self.connections.remove(&conn) else {
            return;
        };
        let client_id = connection.client_id.clone();
        let expiry = match self.sessions.get_mut(&client_id) {
            Some(entry) if entry.connection == Some(conn) => {
                entry.connection = None;
                let expiry = entry.session.expiry_interval;
                entry.expires_at = (expiry != u32::MAX).then(|| now + u64::from(expiry) * 1000);
                Some(expiry)
            }
            _ => None,
        };
        if publish_will {
            if let Some(will) = &connection.will {
                let message = will_message(will, &client_id, now);
                let delay = will.properties.will_delay_interval.unwrap_or(0);
                let delay = delay.min(expiry.unwrap_or(0));
                if delay == 0 {
                    self.publish_message(message, now, out);
                } else {
                    self.pending_wills.insert(
                        client_id.clone(),
                        PendingWill {
                            message,
                            publish_at: now + u64::from(delay) * 1000,
                        },
                    );
                }
            }
        }
        match expiry {
            Some(0) => self.end_session(&client_id, now, out),
            Some(_) => out.push(Output::SessionChanged(client_id.clone())),
            None => {}
        }
        if self.config.lifecycle_events {
            let ctx = event_context(&connection, self.seed, now);
            let (topic, body) = events::disconnected(&ctx, reason, connection.event_version);
            self.publish_event(topic, body, now, out);
        }
    }

    fn end_session(&mut self, client_id: &str, now: u64, out: &mut Vec<Output>) {
        let Some(entry) = self.sessions.remove(client_id) else {
            return;
        };
        self.queued_bytes = self
            .queued_bytes
            .saturating_sub(entry.session.queued_bytes());
        self.release_paced_acks(out);
        for filter in entry.session.subscriptions.keys() {
            self.unindex_subscription(client_id, filter);
        }
        // A will still waiting is published when its session ends (MQTT 5 §3.1.3.2.2).
        if let Some(will) = self.pending_wills.remove(client_id) {
            self.publish_message(will.message, now, out);
        }
        out.push(Output::SessionEnded(client_id.to_string()));
    }

    /// Closes a connection for a protocol violation: DISCONNECT with `reason_code` for MQTT 5
    /// clients, then close; the will is published.
    fn protocol_close(
        &mut self,
        conn: ConnId,
        reason_code: u8,
        why: DisconnectReason,
        now: u64,
        out: &mut Vec<Output>,
    ) {
        if let Some(connection) = self.connections.get(&conn) {
            if connection.version.is_v5() {
                out.push(Output::Send(conn, disconnect_packet(reason_code)));
            }
        }
        out.push(Output::Close(conn));
        self.end_connection(conn, why, true, now, out);
    }

    /// Closes every connection (shutdown): MQTT 5 clients get DISCONNECT 0x8B.
    pub fn shutdown(&mut self, now: u64) -> Vec<Output> {
        let mut out = Vec::new();
        let conns: Vec<ConnId> = self.connections.keys().copied().collect();
        for conn in conns {
            self.protocol_close(
                conn,
                mqtt::reason::SERVER_SHUTTING_DOWN,
                DisconnectReason::ServerInitiated,
                now,
                &mut out,
            );
        }
        out
    }

    /// Whether the queues hold more than the broker-wide bound: publishers wait.
    pub(super) fn over_queue_budget(&self) -> bool {
        self.queued_bytes > self.config.max_queued_bytes
    }

    /// Bytes queued across every session.
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Sends the PUBACKs that waited for the queues, once they are down to half the bound.
    pub(super) fn release_paced_acks(&mut self, out: &mut Vec<Output>) {
        if self.paced_acks.is_empty() || self.queued_bytes > self.config.max_queued_bytes / 2 {
            return;
        }
        for (conn, packet_id) in std::mem::take(&mut self.paced_acks) {
            out.push(Output::Send(
                conn,
                Packet::PubAck(mqtt::PubAck {
                    packet_id,
                    reason_code: mqtt::reason::SUCCESS,
                    properties: mqtt::AckProperties::default(),
                }),
            ));
        }
    }

    fn publish_event(
        &mut self,
        topic: String,
        body: serde_json::Value,
        now: u64,
        out: &mut Vec<Output>,
    ) {
        let message = Message {
            topic,
            payload: mqtt::Bytes::from(body.to_string()),
            qos: mqtt::QoS::AtMostOnce,
            retain: false,
            properties: Default::default(),
            publisher: None,
            received_at: now,
            expires_at: None,
        };
        self.route(Arc::new(message), now, out);
    }
}

fn event_context(connection: &Connection, seed: u64, now: u64) -> EventContext<'_> {
    EventContext {
        client_id: &connection.client_id,
        session_identifier: session_identifier(seed, connection.session_number),
        principal_identifier: connection.principal.as_deref().unwrap_or("anonymous"),
        ip_address: connection.ip_address.map(|ip| ip.to_string()),
        timestamp: now,
    }
}

fn will_message(will: &Will, client_id: &str, now: u64) -> Message {
    let properties = mqtt::PublishProperties {
        payload_format_indicator: will.properties.payload_format_indicator,
        message_expiry_interval: will.properties.message_expiry_interval,
        topic_alias: None,
        response_topic: will.properties.response_topic.clone(),
        correlation_data: will.properties.correlation_data.clone(),
        user_properties: will.properties.user_properties.clone(),
        subscription_identifiers: Vec::new(),
        content_type: will.properties.content_type.clone(),
    };
    Message::from_publish(
        will.topic.clone(),
        will.payload.clone(),
        will.qos,
        will.retain,
        &properties,
        Some(client_id.to_string()),
        now,
    )
}

/// A server DISCONNECT with a reason code.
pub fn disconnect_packet(reason_code: u8) -> Packet {
    Packet::Disconnect(Disconnect {
        reason_code,
        properties: DisconnectProperties::default(),
    })
}

#[cfg(test)]
mod tests;

/// A unique id from the broker's seed and a number (32 hex digits, as AWS's session ids).
fn session_identifier(seed: u64, number: u64) -> String {
    format!("{seed:016x}{number:016x}")
}
