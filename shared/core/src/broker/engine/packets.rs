//! Every packet after CONNECT: PUBLISH and its acknowledgements, SUBSCRIBE, UNSUBSCRIBE,
//! PINGREQ, DISCONNECT.

use super::{Broker, ConnId, Output};
use crate::broker::events::{self, DisconnectReason};
use crate::broker::message::Message;
use crate::broker::session::{PubRecOutcome, Subscription};
use crate::mqtt::{
    reason, AckProperties, Packet, PubAck, Publish, QoS, SubAck, Subscribe, UnsubAck, Unsubscribe,
};
use crate::route::{publish_door, service_route, subscribe_door, PublishRoute, Refusal};
use crate::topic::{validate_topic_filter, validate_topic_name, SharedFilter};
use std::sync::Arc;

/// 3.1.1's SUBACK failure return code.
const SUBACK_FAILURE_V3: u8 = 0x80;

impl Broker {
    /// Handles a packet from an accepted connection.
    pub fn handle(&mut self, conn: ConnId, packet: Packet, now: u64) -> Vec<Output> {
        let mut out = Vec::new();
        if !self.connections.contains_key(&conn) {
            out.push(Output::Close(conn));
            return out;
        }
        match packet {
            Packet::Publish(publish) => self.on_publish(conn, publish, now, &mut out),
            Packet::PubAck(ack) => {
                self.with_session(conn, now, &mut out, |s| s.puback(ack.packet_id));
            }
            Packet::PubRec(ack) => self.on_pubrec(conn, ack, now, &mut out),
            Packet::PubRel(ack) => self.on_pubrel(conn, ack, &mut out),
            Packet::PubComp(ack) => {
                self.with_session(conn, now, &mut out, |s| s.pubcomp(ack.packet_id));
            }
            Packet::Subscribe(subscribe) => self.on_subscribe(conn, subscribe, now, &mut out),
            Packet::Unsubscribe(unsubscribe) => {
                self.on_unsubscribe(conn, unsubscribe, now, &mut out)
            }
            Packet::PingReq => out.push(Output::Send(conn, Packet::PingResp)),
            Packet::Disconnect(disconnect) => {
                let requested = disconnect.properties.session_expiry_interval;
                if let Some(expiry) = requested {
                    let client = self.client_of(conn);
                    let was_zero = client
                        .as_ref()
                        .and_then(|c| self.sessions.get(c))
                        .is_some_and(|e| e.session.expiry_interval == 0);
                    if was_zero && expiry != 0 {
                        // MQTT 5 §3.14.2.2.2: a protocol error.
                        self.protocol_close(
                            conn,
                            reason::PROTOCOL_ERROR,
                            DisconnectReason::ClientError,
                            now,
                            &mut out,
                        );
                        return out;
                    }
                    if let Some(entry) = client.and_then(|c| self.sessions.get_mut(&c)) {
                        entry.session.expiry_interval = expiry.min(self.config.max_session_expiry);
                    }
                }
                let with_will = disconnect.reason_code == reason::DISCONNECT_WITH_WILL;
                out.push(Output::Close(conn));
                self.end_connection(
                    conn,
                    DisconnectReason::ClientInitiated,
                    with_will,
                    now,
                    &mut out,
                );
            }
            Packet::Connect(_) | Packet::Auth(_) => {
                self.protocol_close(
                    conn,
                    reason::PROTOCOL_ERROR,
                    DisconnectReason::ClientError,
                    now,
                    &mut out,
                );
            }
            Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp => {
                self.protocol_close(
                    conn,
                    reason::PROTOCOL_ERROR,
                    DisconnectReason::ClientError,
                    now,
                    &mut out,
                );
            }
        }
        out
    }

    pub(super) fn client_of(&self, conn: ConnId) -> Option<String> {
        self.connections.get(&conn).map(|c| c.client_id.clone())
    }

    /// Runs `ack` on the connection's session; when it freed a slot, drains the queue.
    fn with_session(
        &mut self,
        conn: ConnId,
        now: u64,
        out: &mut Vec<Output>,
        ack: impl FnOnce(&mut crate::broker::session::Session) -> bool,
    ) {
        let Some(connection) = self.connections.get(&conn) else {
            return;
        };
        let window = connection.window;
        let client_id = connection.client_id.clone();
        let Some(entry) = self.sessions.get_mut(&client_id) else {
            return;
        };
        if ack(&mut entry.session) {
            let before = entry.session.queued_bytes();
            for packet in entry.session.drain(window, now) {
                out.push(Output::Send(conn, packet));
            }
            self.queued_bytes =
                (self.queued_bytes + entry.session.queued_bytes()).saturating_sub(before);
            if entry.session.expiry_interval > 0 {
                out.push(Output::SessionChanged(client_id.clone()));
            }
            self.release_paced_acks(out);
        }
    }

    fn on_pubrec(&mut self, conn: ConnId, ack: PubAck, now: u64, out: &mut Vec<Output>) {
        let mut reply = None;
        self.with_session(conn, now, out, |s| {
            match s.pubrec(ack.packet_id, ack.reason_code) {
                PubRecOutcome::Release(pubrel) => {
                    reply = Some(pubrel);
                    false
                }
                PubRecOutcome::Ended => true,
                PubRecOutcome::Unknown => {
                    reply = Some(Packet::PubRel(PubAck {
                        packet_id: ack.packet_id,
                        reason_code: reason::PACKET_IDENTIFIER_NOT_FOUND,
                        properties: AckProperties::default(),
                    }));
                    false
                }
            }
        });
        if let Some(packet) = reply {
            out.push(Output::Send(conn, packet));
        }
    }

    fn on_pubrel(&mut self, conn: ConnId, ack: PubAck, out: &mut Vec<Output>) {
        let Some(client_id) = self.client_of(conn) else {
            return;
        };
        let released = self
            .sessions
            .get_mut(&client_id)
            .is_some_and(|e| e.session.release_qos2(ack.packet_id));
        let reason_code = if released {
            reason::SUCCESS
        } else {
            reason::PACKET_IDENTIFIER_NOT_FOUND
        };
        out.push(Output::Send(
            conn,
            Packet::PubComp(PubAck {
                packet_id: ack.packet_id,
                reason_code,
                properties: AckProperties::default(),
            }),
        ));
    }

    fn on_publish(&mut self, conn: ConnId, mut publish: Publish, now: u64, out: &mut Vec<Output>) {
        let Some(connection) = self.connections.get_mut(&conn) else {
            return;
        };
        // Topic aliases (MQTT 5 §3.3.2.3.4).
        if let Some(alias) = publish.properties.topic_alias.take() {
            if alias == 0 || alias > self.config.topic_alias_maximum {
                self.protocol_close(
                    conn,
                    reason::TOPIC_ALIAS_INVALID,
                    DisconnectReason::ClientError,
                    now,
                    out,
                );
                return;
            }
            if publish.topic.is_empty() {
                match connection
                    .inbound_aliases
                    .as_ref()
                    .and_then(|a| a.get(&alias))
                {
                    Some(topic) => publish.topic = topic.clone(),
                    None => {
                        self.protocol_close(
                            conn,
                            reason::PROTOCOL_ERROR,
                            DisconnectReason::ClientError,
                            now,
                            out,
                        );
                        return;
                    }
                }
            } else {
                connection
                    .inbound_aliases
                    .get_or_insert_with(Box::default)
                    .insert(alias, publish.topic.clone());
            }
        }
        if publish.topic.is_empty()
            || validate_topic_name(&publish.topic, &self.config.topic_limits).is_err()
        {
            self.protocol_close(
                conn,
                reason::TOPIC_NAME_INVALID,
                DisconnectReason::ClientError,
                now,
                out,
            );
            return;
        }
        if publish.payload.len() > self.config.max_payload_bytes {
            self.protocol_close(
                conn,
                reason::PACKET_TOO_LARGE,
                DisconnectReason::ClientError,
                now,
                out,
            );
            return;
        }
        let client_id = connection.client_id.clone();
        let packet_id = publish.packet_id.unwrap_or(0);
        let authorization = self.authorization_of(&client_id);
        let route = match publish_door(authorization.as_deref(), &publish.topic, publish.retain) {
            Ok(route) => route,
            Err(refusal) => {
                self.refuse_publish(conn, (publish.qos, packet_id), &refusal, now, out);
                return;
            }
        };
        if publish.qos == QoS::ExactlyOnce {
            let receive_maximum = usize::from(self.config.receive_maximum);
            let Some(entry) = self.sessions.get_mut(&client_id) else {
                return;
            };
            let already = !entry.session.receive_qos2(packet_id);
            if !already && entry.session.incoming_qos2_len() > receive_maximum {
                entry.session.release_qos2(packet_id);
                self.protocol_close(
                    conn,
                    reason::RECEIVE_MAXIMUM_EXCEEDED,
                    DisconnectReason::Throttled,
                    now,
                    out,
                );
                return;
            }
            out.push(Output::Send(conn, ack_packet(Packet::PubRec, packet_id)));
            if already {
                return;
            }
        }
        let message = Message::from_publish(
            publish.topic,
            publish.payload,
            publish.qos,
            publish.retain,
            &publish.properties,
            Some(client_id),
            now,
        );
        self.publish_routed(message, &route, now, out);
        if publish.qos == QoS::AtLeastOnce {
            // Paced only by the broker's memory (or behind others already paced, in order).
            if self.over_queue_budget() || !self.paced_acks.is_empty() {
                self.paced_acks.push((conn, packet_id));
                self.release_paced_acks(out);
            } else {
                out.push(Output::Send(conn, ack_packet(Packet::PubAck, packet_id)));
            }
        }
    }

    /// Publishes a message that did not come from an MQTT connection (HTTP publish, the shadow
    /// service, the rules engine): retained handling, then routing.
    pub fn publish(&mut self, message: Message, now: u64) -> Vec<Output> {
        let mut out = Vec::new();
        self.publish_message(message, now, &mut out);
        out
    }

    /// Publishes a message of the core's own (a will, a service's message): routed as
    /// [`service_route`] says.
    pub(super) fn publish_message(&mut self, message: Message, now: u64, out: &mut Vec<Output>) {
        let route = service_route(&message.topic);
        self.publish_routed(message, &route, now, out);
    }

    /// Retained handling, then routing. A Basic Ingest message goes to the rules engine only:
    /// it is neither retained nor delivered to subscribers.
    fn publish_routed(
        &mut self,
        message: Message,
        route: &PublishRoute,
        now: u64,
        out: &mut Vec<Output>,
    ) {
        if !route.reaches_subscribers() {
            out.push(Output::Routed(Arc::new(message)));
            return;
        }
        if message.retain {
            if message.payload.is_empty() {
                if self.retained.remove(&message.topic).is_some() {
                    out.push(Output::RetainedChanged(message.topic.clone()));
                }
            } else {
                self.retained
                    .insert(message.topic.clone(), Arc::new(message.clone()));
                out.push(Output::RetainedChanged(message.topic.clone()));
            }
        }
        self.route(Arc::new(message), now, out);
    }

    fn on_subscribe(
        &mut self,
        conn: ConnId,
        subscribe: Subscribe,
        now: u64,
        out: &mut Vec<Output>,
    ) {
        let Some(connection) = self.connections.get(&conn) else {
            return;
        };
        let v5 = connection.version.is_v5();
        let client_id = connection.client_id.clone();
        let identifier = subscribe.properties.subscription_identifier;
        let authorization = self.authorization_of(&client_id);
        let mut reason_codes = Vec::with_capacity(subscribe.filters.len());
        let mut retained_for = Vec::new();
        let mut granted = Vec::new();
        for (index, request) in subscribe.filters.iter().enumerate() {
            let failure = |code: u8| if v5 { code } else { SUBACK_FAILURE_V3 };
            let shared = match SharedFilter::parse(&request.filter, &self.config.topic_limits) {
                Ok(shared) => shared,
                Err(_) => {
                    reason_codes.push(failure(reason::TOPIC_FILTER_INVALID));
                    continue;
                }
            };
            if shared.is_none()
                && validate_topic_filter(&request.filter, &self.config.topic_limits).is_err()
            {
                reason_codes.push(failure(reason::TOPIC_FILTER_INVALID));
                continue;
            }
            if shared.is_some() && request.options.no_local {
                self.protocol_close(
                    conn,
                    reason::PROTOCOL_ERROR,
                    DisconnectReason::ClientError,
                    now,
                    out,
                );
                return;
            }
            let inner = shared
                .as_ref()
                .map_or(request.filter.as_str(), |s| &s.filter);
            if let Err(refusal) = subscribe_door(authorization.as_deref(), &request.filter, inner) {
                let code = match refusal {
                    Refusal::Reserved(_) => reason::TOPIC_FILTER_INVALID,
                    Refusal::NotAuthorized { .. } => reason::NOT_AUTHORIZED,
                };
                reason_codes.push(failure(code));
                continue;
            }
            let count = self
                .sessions
                .get(&client_id)
                .map_or(0, |e| e.session.subscriptions.len());
            let exists = self
                .sessions
                .get(&client_id)
                .is_some_and(|e| e.session.subscriptions.contains_key(&request.filter));
            if index >= self.config.max_filters_per_subscribe
                || (!exists && count >= self.config.max_subscriptions_per_session)
            {
                reason_codes.push(failure(reason::QUOTA_EXCEEDED));
                continue;
            }
            let subscription = Subscription::new(&request.options, identifier);
            if let Some(entry) = self.sessions.get_mut(&client_id) {
                entry
                    .session
                    .subscriptions
                    .insert(request.filter.clone(), subscription.clone());
            }
            self.index_subscription(&client_id, &request.filter, subscription.clone());
            reason_codes.push(request.options.qos.as_u8());
            granted.push(request.filter.clone());
            let send_retained = match subscription.retain_handling {
                0 => true,
                1 => !exists,
                _ => false,
            };
            if shared.is_none() && send_retained {
                retained_for.push((request.filter.clone(), subscription));
            }
        }
        out.push(Output::Send(
            conn,
            Packet::SubAck(SubAck {
                packet_id: subscribe.packet_id,
                reason_codes,
                properties: AckProperties::default(),
            }),
        ));
        for (filter, subscription) in retained_for {
            self.send_retained(&client_id, &filter, &subscription, now, out);
        }
        self.subscriptions_changed(conn, &client_id, true, &granted, now, out);
    }

    fn on_unsubscribe(
        &mut self,
        conn: ConnId,
        unsubscribe: Unsubscribe,
        now: u64,
        out: &mut Vec<Output>,
    ) {
        let Some(client_id) = self.client_of(conn) else {
            return;
        };
        let mut reason_codes = Vec::with_capacity(unsubscribe.filters.len());
        let mut removed = Vec::new();
        for filter in &unsubscribe.filters {
            let existed = self
                .sessions
                .get_mut(&client_id)
                .and_then(|e| e.session.subscriptions.remove(filter))
                .is_some();
            if existed {
                self.unindex_subscription(&client_id, filter);
                removed.push(filter.clone());
                reason_codes.push(reason::SUCCESS);
            } else {
                reason_codes.push(reason::NO_SUBSCRIPTION_EXISTED);
            }
        }
        out.push(Output::Send(
            conn,
            Packet::UnsubAck(UnsubAck {
                packet_id: unsubscribe.packet_id,
                reason_codes,
                properties: AckProperties::default(),
            }),
        ));
        self.subscriptions_changed(conn, &client_id, false, &removed, now, out);
    }

    /// After a SUBSCRIBE or UNSUBSCRIBE changed `topics`: persist the session when it outlives
    /// its connection, and publish the lifecycle event.
    fn subscriptions_changed(
        &mut self,
        conn: ConnId,
        client_id: &str,
        subscribed: bool,
        topics: &[String],
        now: u64,
        out: &mut Vec<Output>,
    ) {
        if topics.is_empty() {
            return;
        }
        if self
            .sessions
            .get(client_id)
            .is_some_and(|e| e.session.expiry_interval > 0)
        {
            out.push(Output::SessionChanged(client_id.to_string()));
        }
        self.subscription_event(conn, subscribed, topics, now, out);
    }

    fn subscription_event(
        &mut self,
        conn: ConnId,
        subscribed: bool,
        topics: &[String],
        now: u64,
        out: &mut Vec<Output>,
    ) {
        if !self.config.lifecycle_events {
            return;
        }
        let Some(connection) = self.connections.get(&conn) else {
            return;
        };
        let ctx = super::event_context(connection, self.seed, now);
        let (topic, body) = events::subscriptions(&ctx, subscribed, topics);
        self.publish_event(topic, body, now, out);
    }
}

fn ack_packet(make: fn(PubAck) -> Packet, packet_id: u16) -> Packet {
    make(PubAck {
        packet_id,
        reason_code: reason::SUCCESS,
        properties: AckProperties::default(),
    })
}
