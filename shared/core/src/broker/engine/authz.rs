//! IoT policy enforcement at every MQTT door, as AWS IoT Core does it.
//!
//! A connection's [`Authorization`] comes with its [`super::ConnectionInfo`]; `None` is an open
//! listener where everything is allowed. It is kept with the session, so messages queued for an
//! offline session are filtered by the rights its client last connected with.
//!
//! | door | action and resource | refused with |
//! |------|---------------------|--------------|
//! | CONNECT | `iot:Connect` on `client/{clientId}` | v5 CONNACK 0x87, 3.1.1 return code 5 |
//! | CONNECT with a will | `iot:Publish` on `topic/{willTopic}` (+ `iot:RetainPublish` if retained) | the same |
//! | PUBLISH | `iot:Publish` on `topic/{topic}` (+ `iot:RetainPublish` if retained) | v5: PUBACK/PUBREC 0x87 (QoS 1/2), QoS 0 dropped; 3.1.1: the connection is closed, as AWS does |
//! | PUBLISH to a topic only the core publishes to (`crate::route`) | — | v5: PUBACK/PUBREC 0x90; 3.1.1: closed |
//! | SUBSCRIBE | `iot:Subscribe` on `topicfilter/{filter}`, per filter | v5 0x87, 3.1.1 0x80 |
//! | SUBSCRIBE to Basic Ingest (`$aws/rules/...`) | — | v5 0x8F, 3.1.1 0x80 |
//! | delivery, retained messages included | `iot:Receive` on `topic/{topic}`, per message | not delivered |
//!
//! Shadow topics (`$aws/things/{thing}/shadow/...`) are ordinary topics here, as on AWS: over
//! MQTT they need `iot:Publish`/`iot:Subscribe`/`iot:Receive` on those topics; the
//! `iot:*ThingShadow` actions are the HTTP data plane's ([`Authorization::decide_shadow`]).
//!
//! The decisions themselves are [`crate::route`]'s doors, which the WebSocket gateway asks too.
//!
//! [`Broker::set_authorization`] replaces a live connection's rights (a changed policy applies
//! to its next operation); [`Broker::revoke`] disconnects it (a revoked certificate).

use super::{disconnect_packet, Broker, ConnId, Output};
use crate::broker::events::DisconnectReason;
use crate::mqtt::{self, reason, Connect};
use crate::policy::{Authorization, IotAction};
use crate::route::Refusal;
use std::sync::Arc;

pub(super) use crate::route::allows;

/// Whether a will on `topic` (retained or not) may be published: the publish door.
fn allows_will(authorization: Option<&Authorization>, topic: &str, retain: bool) -> bool {
    crate::route::publish_door(authorization, topic, retain).is_ok()
}

/// The authorization of a connection for `client_id`: policy variables such as
/// `${iot:ClientId}` must see the id the client connected with, whatever the host filled in.
pub(super) fn bind_client_id(
    authorization: Option<Arc<Authorization>>,
    client_id: &str,
) -> Option<Arc<Authorization>> {
    let mut authorization = authorization?;
    if authorization.context.client_id.as_deref() != Some(client_id) {
        Arc::make_mut(&mut authorization).context.client_id = Some(client_id.to_string());
    }
    Some(authorization)
}

/// Whether a CONNECT (its client id and will) is allowed.
pub(super) fn allows_connect(
    authorization: Option<&Authorization>,
    client_id: &str,
    connect: &Connect,
) -> bool {
    if !allows(authorization, IotAction::Connect, client_id) {
        return false;
    }
    connect
        .will
        .as_ref()
        .is_none_or(|will| allows_will(authorization, &will.topic, will.retain))
}

/// The MQTT 5 reason code for a refused PUBLISH or SUBSCRIBE: a reserved topic is one the
/// client may not use (0x90 for a topic name, 0x8F for a filter), otherwise not authorized.
pub(super) fn refusal_code(refusal: &Refusal) -> u8 {
    match refusal {
        Refusal::Reserved(_) => reason::TOPIC_NAME_INVALID,
        Refusal::NotAuthorized { .. } => reason::NOT_AUTHORIZED,
    }
}

impl Broker {
    /// The rights in force for `client_id`'s session (None: open).
    pub(super) fn authorization_of(&self, client_id: &str) -> Option<Arc<Authorization>> {
        self.sessions
            .get(client_id)
            .and_then(|e| e.authorization.clone())
    }

    /// Replaces the rights of a live connection (and its session): a changed policy applies
    /// to the connection's next operation and next delivery. Returns false when `conn` is
    /// not connected.
    pub fn set_authorization(
        &mut self,
        conn: ConnId,
        authorization: Option<Arc<Authorization>>,
    ) -> bool {
        let Some(client_id) = self.client_of(conn) else {
            return false;
        };
        let authorization = bind_client_id(authorization, &client_id);
        match self.sessions.get_mut(&client_id) {
            Some(entry) if entry.connection == Some(conn) => {
                entry.authorization = authorization;
                true
            }
            _ => false,
        }
    }

    /// Disconnects a connection whose credentials were revoked: MQTT 5 clients get DISCONNECT
    /// 0x87 (not authorized); the will is not published (its rights are gone); the session
    /// stays as its expiry says. The lifecycle event says `FORBIDDEN_ACCESS`.
    pub fn revoke(&mut self, conn: ConnId, now: u64) -> Vec<Output> {
        let mut out = Vec::new();
        let Some(connection) = self.connections.get(&conn) else {
            return out;
        };
        if connection.version.is_v5() {
            out.push(Output::Send(
                conn,
                disconnect_packet(reason::NOT_AUTHORIZED),
            ));
        }
        out.push(Output::Close(conn));
        self.end_connection(
            conn,
            DisconnectReason::ForbiddenAccess,
            false,
            now,
            &mut out,
        );
        out
    }

    /// A PUBLISH that its connection may not make: what AWS does about it. `refusal` says
    /// why: v5 clients get 0x87 (not authorized) or 0x90 (a reserved topic).
    pub(super) fn refuse_publish(
        &mut self,
        conn: ConnId,
        (qos, packet_id): (mqtt::QoS, u16),
        refusal: &Refusal,
        now: u64,
        out: &mut Vec<Output>,
    ) {
        let v5 = self
            .connections
            .get(&conn)
            .is_some_and(|c| c.version.is_v5());
        if !v5 {
            // 3.1.1 has no way to refuse a PUBLISH: AWS IoT closes the connection.
            self.protocol_close(
                conn,
                reason::NOT_AUTHORIZED,
                DisconnectReason::ForbiddenAccess,
                now,
                out,
            );
            return;
        }
        let ack = mqtt::PubAck {
            packet_id,
            reason_code: refusal_code(refusal),
            properties: mqtt::AckProperties::default(),
        };
        match qos {
            mqtt::QoS::AtMostOnce => {}
            mqtt::QoS::AtLeastOnce => out.push(Output::Send(conn, mqtt::Packet::PubAck(ack))),
            mqtt::QoS::ExactlyOnce => out.push(Output::Send(conn, mqtt::Packet::PubRec(ack))),
        }
    }
}
