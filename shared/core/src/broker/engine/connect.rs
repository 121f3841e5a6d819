//! CONNECT: client id, will, session (clean start, takeover, resumption), CONNACK.

use super::authz::{allows_connect, bind_client_id};
use super::{
    disconnect_packet, event_context, Broker, ConnId, Connection, ConnectionInfo, Output,
    SessionEntry,
};
use crate::broker::events::{self, DisconnectReason};
use crate::broker::session::Session;
use crate::mqtt::{self, reason, ConnAck, ConnAckProperties, Connect, Packet, ProtocolVersion};
use crate::topic::validate_topic_name;

/// Why a CONNECT is refused, as a v5 reason code and a 3.1.1 return code.
struct Refusal {
    v5: u8,
    v3: u8,
}

const IDENTIFIER_REJECTED: Refusal = Refusal {
    v5: reason::CLIENT_IDENTIFIER_NOT_VALID,
    v3: mqtt::connack_v3::IDENTIFIER_REJECTED,
};

impl Broker {
    /// Handles the CONNECT of a new connection.
    pub fn connect(
        &mut self,
        conn: ConnId,
        connect: Connect,
        info: ConnectionInfo,
        now: u64,
    ) -> Vec<Output> {
        let mut out = Vec::new();
        let version = connect.protocol;
        if let Err(refusal) = self.check_connect(&connect) {
            let code = if version.is_v5() {
                refusal.v5
            } else {
                refusal.v3
            };
            out.push(Output::Send(
                conn,
                connack(false, code, ConnAckProperties::default()),
            ));
            out.push(Output::Close(conn));
            return out;
        }

        let mut props = ConnAckProperties::default();
        let client_id = if connect.client_id.is_empty() {
            let assigned = format!("thingcore-{}", self.next_id());
            if version.is_v5() {
                props.assigned_client_identifier = Some(assigned.clone());
            }
            assigned
        } else {
            connect.client_id.clone()
        };

        // Policies: iot:Connect on the client id, iot:Publish on the will topic. Checked before
        // a takeover, so a refused client cannot knock an authorized one off.
        let authorization = bind_client_id(info.authorization, &client_id);
        if !allows_connect(authorization.as_deref(), &client_id, &connect) {
            let code = if version.is_v5() {
                reason::NOT_AUTHORIZED
            } else {
                mqtt::connack_v3::NOT_AUTHORIZED
            };
            out.push(Output::Send(
                conn,
                connack(false, code, ConnAckProperties::default()),
            ));
            out.push(Output::Close(conn));
            return out;
        }

        // Takeover: the old connection is told and closed; its will follows the usual rules.
        let existing = self.sessions.get(&client_id).and_then(|e| e.connection);
        if let Some(old) = existing {
            if self
                .connections
                .get(&old)
                .is_some_and(|c| c.version.is_v5())
            {
                out.push(Output::Send(
                    old,
                    disconnect_packet(reason::SESSION_TAKEN_OVER),
                ));
            }
            out.push(Output::Close(old));
            self.end_connection(
                old,
                DisconnectReason::DuplicateClientId,
                true,
                now,
                &mut out,
            );
        }

        let requested_expiry = if version.is_v5() {
            connect.properties.session_expiry_interval.unwrap_or(0)
        } else if connect.clean_start {
            0
        } else {
            self.config.max_session_expiry
        };
        let expiry = requested_expiry.min(self.config.max_session_expiry);
        if version.is_v5() && expiry != requested_expiry {
            props.session_expiry_interval = Some(expiry);
        }

        if connect.clean_start {
            if let Some(will) = self.pending_wills.remove(&client_id) {
                self.publish_message(will.message, now, &mut out);
            }
            self.end_session(&client_id, now, &mut out);
        } else {
            // A new connection for the session before the will delay passed: no will.
            self.pending_wills.remove(&client_id);
        }
        let session_present = self.sessions.contains_key(&client_id);
        let entry = self.sessions.entry(client_id.clone()).or_insert_with(|| {
            Box::new(SessionEntry {
                session: Session::new(client_id.clone(), expiry),
                connection: None,
                expires_at: None,
                authorization: None,
            })
        });
        entry.session.expiry_interval = expiry;
        entry.authorization = authorization;
        entry.connection = Some(conn);
        entry.expires_at = None;

        let keep_alive = self.config.granted_keep_alive(connect.keep_alive);
        if version.is_v5() {
            if keep_alive != connect.keep_alive {
                props.server_keep_alive = Some(keep_alive);
            }
            props.receive_maximum = Some(self.config.receive_maximum);
            props.maximum_packet_size = Some(self.config.max_packet_bytes as u32);
            props.topic_alias_maximum = Some(self.config.topic_alias_maximum);
        }
        let window = connect
            .properties
            .receive_maximum
            .map_or(self.config.default_inflight_window as usize, usize::from);
        let max_packet_size = connect
            .properties
            .maximum_packet_size
            .map_or(usize::MAX, |n| n as usize);

        let event_version = {
            let v = self.event_versions.entry(client_id.clone()).or_insert(0);
            let current = *v;
            *v += 1;
            current
        };
        let session_number = self.next_number();
        let connection = Connection {
            client_id: client_id.clone(),
            version,
            will: connect.will.map(Box::new),
            window,
            max_packet_size,
            inbound_aliases: None,
            session_number,
            principal: info.principal,
            ip_address: info.ip_address.and_then(|ip| ip.parse().ok()),
            event_version,
        };
        self.connections.insert(conn, Box::new(connection));

        out.push(Output::Accepted {
            conn,
            keep_alive,
            version,
        });
        out.push(Output::Send(
            conn,
            connack(session_present, reason::SUCCESS, props),
        ));
        if let Some(entry) = self.sessions.get_mut(&client_id) {
            for packet in entry.session.resume(now) {
                out.push(Output::Send(conn, packet));
            }
            let before = entry.session.queued_bytes();
            for packet in entry.session.drain(window, now) {
                out.push(Output::Send(conn, packet));
            }
            self.queued_bytes =
                (self.queued_bytes + entry.session.queued_bytes()).saturating_sub(before);
            if entry.session.expiry_interval > 0 {
                out.push(Output::SessionChanged(client_id.clone()));
            }
        }
        if self.config.lifecycle_events {
            if let Some(connection) = self.connections.get(&conn) {
                let ctx = event_context(connection, self.seed, now);
                let (topic, body) = events::connected(&ctx, connection.event_version);
                self.publish_event(topic, body, now, &mut out);
            }
        }
        out
    }

    fn check_connect(&self, connect: &Connect) -> Result<(), Refusal> {
        let id = &connect.client_id;
        if id.is_empty()
            && (connect.protocol == ProtocolVersion::V31
                || (connect.protocol == ProtocolVersion::V311 && !connect.clean_start))
        {
            return Err(IDENTIFIER_REJECTED);
        }
        if id.len() > self.config.max_client_id_bytes {
            return Err(IDENTIFIER_REJECTED);
        }
        if let Some(will) = &connect.will {
            if validate_topic_name(&will.topic, &self.config.topic_limits).is_err() {
                return Err(Refusal {
                    v5: reason::TOPIC_NAME_INVALID,
                    v3: mqtt::connack_v3::NOT_AUTHORIZED,
                });
            }
            if will.payload.len() > self.config.max_payload_bytes {
                return Err(Refusal {
                    v5: reason::PACKET_TOO_LARGE,
                    v3: mqtt::connack_v3::SERVER_UNAVAILABLE,
                });
            }
        }
        if connect.properties.authentication_method.is_some() {
            return Err(Refusal {
                v5: reason::BAD_AUTHENTICATION_METHOD,
                v3: mqtt::connack_v3::NOT_AUTHORIZED,
            });
        }
        Ok(())
    }
}

fn connack(session_present: bool, reason_code: u8, properties: ConnAckProperties) -> Packet {
    Packet::ConnAck(ConnAck {
        session_present,
        reason_code,
        properties,
    })
}
