//! One client's session (MQTT §4.1): its subscriptions, the QoS 1 and 2 messages in flight
//! to it, the messages queued for it, and the QoS 2 packet ids it has sent us but not yet
//! released. Pure state: the engine decides when to call what, this keeps the books.
//!
//! Outbound flow control: at most `window` messages are in flight (the client's Receive
//! Maximum); the rest wait in a bounded queue. When the queue is full, new messages are
//! dropped and counted; QoS 0 messages are never queued for an offline client. The session
//! keeps the bytes its queue holds, for the broker-wide bound.

use super::message::Message;
use crate::mqtt::{AckProperties, Packet, PubAck, Publish, QoS, SubscriptionOptions};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// A subscription as the session keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Maximum QoS granted.
    #[serde(with = "super::message::qos_number")]
    pub qos: QoS,
    /// Don't deliver the subscriber's own messages.
    pub no_local: bool,
    /// Keep the RETAIN flag of routed messages.
    pub retain_as_published: bool,
    /// 0: send retained messages at subscribe; 1: only for a new subscription; 2: never.
    pub retain_handling: u8,
    /// The MQTT 5 subscription identifier, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<u32>,
}

impl Subscription {
    /// A subscription from the SUBSCRIBE's options and identifier.
    pub fn new(options: &SubscriptionOptions, identifier: Option<u32>) -> Self {
        Self {
            qos: options.qos,
            no_local: options.no_local,
            retain_as_published: options.retain_as_published,
            retain_handling: options.retain_handling,
            identifier,
        }
    }
}

/// A message on its way to this session's client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The message.
    pub message: Arc<Message>,
    /// The QoS it is delivered with.
    #[serde(with = "super::message::qos_number")]
    pub qos: QoS,
    /// The RETAIN flag it is delivered with.
    pub retain: bool,
    /// Identifiers of the subscriptions it matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscription_identifiers: Vec<u32>,
}

impl Delivery {
    /// The PUBLISH packet that delivers it at `now` with `packet_id`.
    pub fn to_publish(&self, packet_id: Option<u16>, dup: bool, now: u64) -> Publish {
        Publish {
            dup,
            qos: self.qos,
            retain: self.retain,
            topic: self.message.topic.clone(),
            packet_id,
            payload: self.message.payload.clone(),
            properties: self
                .message
                .publish_properties(now, self.subscription_identifiers.clone()),
        }
    }
}

/// Where an outbound QoS 1 or 2 message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InFlightState {
    /// QoS 1 sent, waiting for PUBACK.
    AwaitingPubAck,
    /// QoS 2 sent, waiting for PUBREC.
    AwaitingPubRec,
    /// PUBREL sent, waiting for PUBCOMP.
    AwaitingPubComp,
}

/// An outbound message in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    /// What was sent.
    pub delivery: Delivery,
    /// How far the handshake has come.
    pub state: InFlightState,
}

/// What happened to a message offered to the session.
// Values of this enum are built and consumed once per packet; boxing the packet to even
// out variant sizes would cost an allocation on the hot path for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    /// Send this now.
    Send(Packet),
    /// Kept in the queue for later.
    Queued,
    /// Dropped: the queue is full, or QoS 0 for an offline client.
    Dropped,
}

/// What a PUBREC led to.
// Values of this enum are built and consumed once per packet; boxing the packet to even
// out variant sizes would cost an allocation on the hot path for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PubRecOutcome {
    /// Send this PUBREL.
    Release(Packet),
    /// The client refused the message; it is forgotten (and frees a window slot).
    Ended,
    /// No QoS 2 message with that packet id is in flight.
    Unknown,
}

/// One client's session state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The client id.
    pub client_id: String,
    /// Subscriptions by full filter (including any `$share/{group}/` prefix).
    pub subscriptions: BTreeMap<String, Subscription>,
    /// Outbound QoS 1/2 messages by packet id.
    inflight: BTreeMap<u16, InFlight>,
    /// Messages waiting for a free slot or for the client to come back.
    queue: VecDeque<Delivery>,
    /// QoS 2 packet ids received and acknowledged with PUBREC, not yet released.
    incoming_qos2: BTreeSet<u16>,
    next_packet_id: u16,
    /// Seconds the session outlives its connection (0: ends with it; u32::MAX: never expires).
    pub expiry_interval: u32,
    /// Messages dropped because the queue was full, since the session began.
    pub dropped: u64,
    /// Bytes of the queued messages (payloads and topics); not stored: [`Session::recount`]
    /// sets it again for a session read back.
    #[serde(skip)]
    queued_bytes: usize,
}

/// What a queued delivery is counted as: its payload and topic.
fn queued_size(delivery: &Delivery) -> usize {
    delivery.message.payload.len() + delivery.message.topic.len()
}

impl Session {
    /// A new, empty session.
    pub fn new(client_id: String, expiry_interval: u32) -> Self {
        Self {
            client_id,
            subscriptions: BTreeMap::new(),
            inflight: BTreeMap::new(),
            queue: VecDeque::new(),
            incoming_qos2: BTreeSet::new(),
            next_packet_id: 1,
            expiry_interval,
            dropped: 0,
            queued_bytes: 0,
        }
    }

    /// Bytes of the queued messages (payloads and topics).
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Counts the queue's bytes again (for a session read back from the Store).
    pub fn recount(&mut self) {
        self.queued_bytes = self.queue.iter().map(queued_size).sum();
    }

    /// Number of outbound messages in flight.
    pub fn inflight_len(&self) -> usize {
        self.inflight.len()
    }

    /// Number of queued messages.
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// Number of inbound QoS 2 messages not yet released.
    pub fn incoming_qos2_len(&self) -> usize {
        self.incoming_qos2.len()
    }

    fn allocate_packet_id(&mut self) -> Option<u16> {
        for _ in 0..=u16::MAX {
            let id = self.next_packet_id;
            self.next_packet_id = self.next_packet_id.checked_add(1).unwrap_or(1);
            if !self.inflight.contains_key(&id) {
                return Some(id);
            }
        }
        None
    }

    /// Offers a message to the session. `online` says whether its client is connected;
    /// `window` is the client's Receive Maximum; `max_queue` bounds the queue.
    pub fn offer(
        &mut self,
        delivery: Delivery,
        online: bool,
        window: usize,
        max_queue: usize,
        now: u64,
    ) -> Offer {
        if delivery.qos == QoS::AtMostOnce {
            return if online {
                Offer::Send(Packet::Publish(delivery.to_publish(None, false, now)))
            } else {
                Offer::Dropped
            };
        }
        if online && self.queue.is_empty() && self.inflight.len() < window {
            if let Some(packet) = self.start(delivery.clone(), now) {
                return Offer::Send(packet);
            }
        }
        if self.queue.len() >= max_queue {
            self.dropped += 1;
            return Offer::Dropped;
        }
        self.queued_bytes += queued_size(&delivery);
        self.queue.push_back(delivery);
        Offer::Queued
    }

    fn start(&mut self, delivery: Delivery, now: u64) -> Option<Packet> {
        let id = self.allocate_packet_id()?;
        let publish = delivery.to_publish(Some(id), false, now);
        let state = match delivery.qos {
            QoS::ExactlyOnce => InFlightState::AwaitingPubRec,
            _ => InFlightState::AwaitingPubAck,
        };
        self.inflight.insert(id, InFlight { delivery, state });
        Some(Packet::Publish(publish))
    }

    /// Moves queued messages into flight while the window allows; returns the packets to send.
    /// Expired messages are discarded on the way.
    pub fn drain(&mut self, window: usize, now: u64) -> Vec<Packet> {
        let mut out = Vec::new();
        while self.inflight.len() < window {
            let Some(delivery) = self.queue.pop_front() else {
                break;
            };
            self.queued_bytes = self.queued_bytes.saturating_sub(queued_size(&delivery));
            if delivery.message.is_expired(now) {
                continue;
            }
            match self.start(delivery, now) {
                Some(packet) => out.push(packet),
                None => break,
            }
        }
        out
    }

    /// Handles PUBACK; `true` when it completed a message in flight.
    pub fn puback(&mut self, packet_id: u16) -> bool {
        match self.inflight.get(&packet_id) {
            Some(f) if f.state == InFlightState::AwaitingPubAck => {
                self.inflight.remove(&packet_id);
                true
            }
            _ => false,
        }
    }

    /// Handles PUBREC: release the message, end it (the client refused it with a reason
    /// code of 0x80 or more), or report the packet id unknown.
    pub fn pubrec(&mut self, packet_id: u16, reason_code: u8) -> PubRecOutcome {
        let Some(flight) = self.inflight.get_mut(&packet_id) else {
            return PubRecOutcome::Unknown;
        };
        match flight.state {
            InFlightState::AwaitingPubRec | InFlightState::AwaitingPubComp => {
                if reason_code >= 0x80 {
                    self.inflight.remove(&packet_id);
                    return PubRecOutcome::Ended;
                }
                flight.state = InFlightState::AwaitingPubComp;
                PubRecOutcome::Release(pubrel(packet_id, 0))
            }
            InFlightState::AwaitingPubAck => PubRecOutcome::Unknown,
        }
    }

    /// Handles PUBCOMP; `true` when it completed a message in flight.
    pub fn pubcomp(&mut self, packet_id: u16) -> bool {
        match self.inflight.get(&packet_id) {
            Some(f) if f.state == InFlightState::AwaitingPubComp => {
                self.inflight.remove(&packet_id);
                true
            }
            _ => false,
        }
    }

    /// Records an inbound QoS 2 PUBLISH; `true` when it is new (route it), `false` for a
    /// redelivery of one already received (acknowledge again, don't route twice).
    pub fn receive_qos2(&mut self, packet_id: u16) -> bool {
        self.incoming_qos2.insert(packet_id)
    }

    /// Handles an inbound PUBREL; `true` when the packet id was awaiting release.
    pub fn release_qos2(&mut self, packet_id: u16) -> bool {
        self.incoming_qos2.remove(&packet_id)
    }

    /// What to send when the client reconnects to this session: unacknowledged PUBLISHes
    /// again with DUP set, and PUBRELs for the ones it had received (MQTT §4.4).
    pub fn resume(&self, now: u64) -> Vec<Packet> {
        self.inflight
            .iter()
            .map(|(&id, flight)| match flight.state {
                InFlightState::AwaitingPubComp => pubrel(id, 0),
                _ => Packet::Publish(flight.delivery.to_publish(Some(id), true, now)),
            })
            .collect()
    }

    /// Forgets everything in flight and queued (a clean start).
    pub fn clear_messages(&mut self) {
        self.inflight.clear();
        self.queue.clear();
        self.queued_bytes = 0;
        self.incoming_qos2.clear();
    }
}

fn pubrel(packet_id: u16, reason_code: u8) -> Packet {
    Packet::PubRel(PubAck {
        packet_id,
        reason_code,
        properties: AckProperties::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::Bytes;

    fn delivery(qos: QoS, n: u8) -> Delivery {
        Delivery {
            message: Arc::new(Message {
                topic: "t".into(),
                payload: Bytes::from(vec![n]),
                qos,
                retain: false,
                properties: Default::default(),
                publisher: None,
                received_at: 0,
                expires_at: None,
            }),
            qos,
            retain: false,
            subscription_identifiers: vec![],
        }
    }

    fn publish_id(packet: &Packet) -> Option<u16> {
        match packet {
            Packet::Publish(p) => p.packet_id,
            _ => None,
        }
    }

    #[test]
    fn qos0_is_sent_online_and_dropped_offline() {
        let mut s = Session::new("c".into(), 0);
        assert!(matches!(
            s.offer(delivery(QoS::AtMostOnce, 1), true, 10, 10, 0),
            Offer::Send(_)
        ));
        assert_eq!(
            s.offer(delivery(QoS::AtMostOnce, 1), false, 10, 10, 0),
            Offer::Dropped
        );
        assert_eq!(s.inflight_len(), 0);
    }

    #[test]
    fn the_window_bounds_inflight_and_acks_drain_the_queue() {
        let mut s = Session::new("c".into(), 0);
        let mut ids = Vec::new();
        for n in 0..3 {
            match s.offer(delivery(QoS::AtLeastOnce, n), true, 2, 10, 0) {
                Offer::Send(p) => ids.push(publish_id(&p).expect("id")),
                Offer::Queued => {}
                Offer::Dropped => panic!("dropped"),
            }
        }
        assert_eq!(ids, [1, 2]);
        assert_eq!(s.queue_len(), 1);
        assert!(s.puback(1));
        assert!(!s.puback(1), "a second PUBACK is unknown");
        let sent = s.drain(2, 0);
        assert_eq!(sent.iter().filter_map(publish_id).collect::<Vec<_>>(), [3]);
        assert_eq!(s.queue_len(), 0);
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let mut s = Session::new("c".into(), 60);
        assert_eq!(
            s.offer(delivery(QoS::AtLeastOnce, 0), false, 10, 1, 0),
            Offer::Queued
        );
        assert_eq!(
            s.offer(delivery(QoS::AtLeastOnce, 1), false, 10, 1, 0),
            Offer::Dropped
        );
        assert_eq!(s.dropped, 1);
    }

    #[test]
    fn qos2_outbound_handshake() {
        let mut s = Session::new("c".into(), 0);
        let Offer::Send(p) = s.offer(delivery(QoS::ExactlyOnce, 0), true, 10, 10, 0) else {
            panic!("sent");
        };
        let id = publish_id(&p).expect("id");
        assert!(!s.puback(id), "PUBACK does not complete QoS 2");
        assert!(matches!(
            s.pubrec(id, 0),
            PubRecOutcome::Release(Packet::PubRel(_))
        ));
        assert_eq!(
            s.resume(0),
            vec![pubrel(id, 0)],
            "after PUBREC, resume resends PUBREL"
        );
        assert!(s.pubcomp(id));
        assert_eq!(s.inflight_len(), 0);
        assert_eq!(s.pubrec(99, 0), PubRecOutcome::Unknown);
    }

    #[test]
    fn refused_pubrec_ends_the_message() {
        let mut s = Session::new("c".into(), 0);
        let Offer::Send(p) = s.offer(delivery(QoS::ExactlyOnce, 0), true, 10, 10, 0) else {
            panic!("sent");
        };
        let id = publish_id(&p).expect("id");
        assert_eq!(s.pubrec(id, 0x87), PubRecOutcome::Ended);
        assert_eq!(s.inflight_len(), 0);
    }

    #[test]
    fn resume_resends_with_dup() {
        let mut s = Session::new("c".into(), 60);
        s.offer(delivery(QoS::AtLeastOnce, 0), true, 10, 10, 0);
        let resent = s.resume(0);
        assert!(matches!(&resent[..], [Packet::Publish(p)] if p.dup && p.packet_id == Some(1)));
    }

    #[test]
    fn inbound_qos2_is_routed_once() {
        let mut s = Session::new("c".into(), 0);
        assert!(s.receive_qos2(7));
        assert!(!s.receive_qos2(7), "a redelivered id is not routed again");
        assert!(s.release_qos2(7));
        assert!(!s.release_qos2(7));
        assert!(s.receive_qos2(7), "after release the id may be reused");
    }

    #[test]
    fn packet_ids_skip_those_in_flight_and_wrap() {
        let mut s = Session::new("c".into(), 0);
        s.next_packet_id = u16::MAX;
        let a = s.offer(delivery(QoS::AtLeastOnce, 0), true, 10, 10, 0);
        let b = s.offer(delivery(QoS::AtLeastOnce, 0), true, 10, 10, 0);
        let ids: Vec<_> = [a, b]
            .iter()
            .filter_map(|o| match o {
                Offer::Send(p) => publish_id(p),
                _ => None,
            })
            .collect();
        assert_eq!(ids, [u16::MAX, 1]);
    }

    #[test]
    fn expired_messages_are_not_drained() {
        let mut s = Session::new("c".into(), 60);
        let mut d = delivery(QoS::AtLeastOnce, 0);
        Arc::make_mut(&mut d.message).expires_at = Some(10);
        s.offer(d, false, 10, 10, 0);
        assert!(s.drain(10, 10).is_empty());
        assert_eq!(s.queue_len(), 0);
    }
}
