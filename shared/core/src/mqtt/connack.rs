//! CONNACK (MQTT 5.0 §3.2, 3.1.1 §3.2): acknowledge flags, reason (return) code, properties.

use bytes::Bytes;

use super::error::{malformed, protocol, DecodeError};
use super::properties::{self, id, once, Property, PropertySet};
use super::read::Reader;
use super::write::{put_u8, Sink};
use super::{ProtocolVersion, UserProperties};

/// A CONNACK packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnAck {
    /// Whether the server resumed a session it had for this client.
    pub session_present: bool,
    /// The MQTT 5 reason code, or the 3.1.1 return code (0..=5) for a 3.1.x peer.
    pub reason_code: u8,
    /// MQTT 5 CONNACK properties; empty for 3.1.x.
    pub properties: ConnAckProperties,
}

/// MQTT 5 CONNACK properties (§3.2.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnAckProperties {
    /// The session expiry the server uses, when it differs from the client's.
    pub session_expiry_interval: Option<u32>,
    /// How many QoS 1 and 2 messages the server handles at once (never 0).
    pub receive_maximum: Option<u16>,
    /// The highest QoS the server supports (0 or 1; absent means 2).
    pub maximum_qos: Option<u8>,
    /// Whether the server supports retained messages.
    pub retain_available: Option<bool>,
    /// The largest packet the server accepts (never 0).
    pub maximum_packet_size: Option<u32>,
    /// The client identifier the server assigned to a client that sent an empty one.
    pub assigned_client_identifier: Option<String>,
    /// The highest topic alias the server accepts from the client.
    pub topic_alias_maximum: Option<u16>,
    /// Human-readable diagnostics.
    pub reason_string: Option<String>,
    /// User properties.
    pub user_properties: UserProperties,
    /// Whether the server supports wildcard subscriptions.
    pub wildcard_subscription_available: Option<bool>,
    /// Whether the server supports subscription identifiers.
    pub subscription_identifiers_available: Option<bool>,
    /// Whether the server supports shared subscriptions.
    pub shared_subscription_available: Option<bool>,
    /// Keep alive the client must use instead of its own.
    pub server_keep_alive: Option<u16>,
    /// Basis for response topics, when the client asked for it.
    pub response_information: Option<String>,
    /// Another server the client should use.
    pub server_reference: Option<String>,
    /// The extended authentication method.
    pub authentication_method: Option<String>,
    /// Authentication data of the method.
    pub authentication_data: Option<Bytes>,
}

impl PropertySet for ConnAckProperties {
    fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError> {
        let name = property.name();
        let p = self;
        match property {
            Property::SessionExpiryInterval(v) => once(&mut p.session_expiry_interval, v, name),
            Property::ReceiveMaximum(v) => once(&mut p.receive_maximum, v, name),
            Property::MaximumQos(v) => once(&mut p.maximum_qos, v, name),
            Property::RetainAvailable(v) => once(&mut p.retain_available, v, name),
            Property::MaximumPacketSize(v) => once(&mut p.maximum_packet_size, v, name),
            Property::AssignedClientIdentifier(v) => {
                once(&mut p.assigned_client_identifier, v, name)
            }
            Property::TopicAliasMaximum(v) => once(&mut p.topic_alias_maximum, v, name),
            Property::ReasonString(v) => once(&mut p.reason_string, v, name),
            Property::User(k, v) => {
                p.user_properties.push((k, v));
                Ok(())
            }
            Property::WildcardSubscriptionAvailable(v) => {
                once(&mut p.wildcard_subscription_available, v, name)
            }
            Property::SubscriptionIdentifierAvailable(v) => {
                once(&mut p.subscription_identifiers_available, v, name)
            }
            Property::SharedSubscriptionAvailable(v) => {
                once(&mut p.shared_subscription_available, v, name)
            }
            Property::ServerKeepAlive(v) => once(&mut p.server_keep_alive, v, name),
            Property::ResponseInformation(v) => once(&mut p.response_information, v, name),
            Property::ServerReference(v) => once(&mut p.server_reference, v, name),
            Property::AuthenticationMethod(v) => once(&mut p.authentication_method, v, name),
            Property::AuthenticationData(v) => once(&mut p.authentication_data, v, name),
            other => Err(other.not_allowed(context)),
        }
    }

    fn write_entries<S: Sink>(&self, s: &mut S) {
        use properties::{put_byte, put_data, put_flag, put_four, put_text, put_two, put_user};
        let p = self;
        put_four(s, id::SESSION_EXPIRY_INTERVAL, p.session_expiry_interval);
        put_two(s, id::RECEIVE_MAXIMUM, p.receive_maximum);
        put_byte(s, id::MAXIMUM_QOS, p.maximum_qos);
        put_flag(s, id::RETAIN_AVAILABLE, p.retain_available);
        put_four(s, id::MAXIMUM_PACKET_SIZE, p.maximum_packet_size);
        let assigned = p.assigned_client_identifier.as_deref();
        put_text(s, id::ASSIGNED_CLIENT_IDENTIFIER, assigned);
        put_two(s, id::TOPIC_ALIAS_MAXIMUM, p.topic_alias_maximum);
        put_text(s, id::REASON_STRING, p.reason_string.as_deref());
        put_user(s, &p.user_properties);
        let wildcard = p.wildcard_subscription_available;
        put_flag(s, id::WILDCARD_SUBSCRIPTION_AVAILABLE, wildcard);
        let sub_ids = p.subscription_identifiers_available;
        put_flag(s, id::SUBSCRIPTION_IDENTIFIER_AVAILABLE, sub_ids);
        let shared = p.shared_subscription_available;
        put_flag(s, id::SHARED_SUBSCRIPTION_AVAILABLE, shared);
        put_two(s, id::SERVER_KEEP_ALIVE, p.server_keep_alive);
        put_text(
            s,
            id::RESPONSE_INFORMATION,
            p.response_information.as_deref(),
        );
        put_text(s, id::SERVER_REFERENCE, p.server_reference.as_deref());
        put_text(
            s,
            id::AUTHENTICATION_METHOD,
            p.authentication_method.as_deref(),
        );
        put_data(s, id::AUTHENTICATION_DATA, p.authentication_data.as_deref());
    }
}

/// Whether `code` is a CONNACK reason code of MQTT 5 (§3.2.2.2).
fn valid_v5_reason(code: u8) -> bool {
    matches!(
        code,
        0x00 | 0x80..=0x8A | 0x8C | 0x90 | 0x95 | 0x97 | 0x99..=0x9D | 0x9F
    )
}

impl ConnAck {
    /// Decodes a CONNACK body.
    pub(crate) fn decode(r: &mut Reader, v: ProtocolVersion) -> Result<ConnAck, DecodeError> {
        let flags = r.u8("connect acknowledge flags")?;
        if flags & 0xFE != 0 {
            return Err(malformed("CONNACK reserved flags are set"));
        }
        let session_present = flags & 0x01 != 0;
        let reason_code = r.u8("connect reason code")?;
        let valid = if v.is_v5() {
            valid_v5_reason(reason_code)
        } else {
            reason_code <= 5
        };
        if !valid {
            return Err(protocol(format!(
                "0x{reason_code:02X} is not a CONNACK code"
            )));
        }
        if session_present && reason_code != 0 {
            return Err(protocol("Session Present set on a refused connection"));
        }
        let properties = if v.is_v5() {
            properties::read(r, "CONNACK")?
        } else {
            ConnAckProperties::default()
        };
        Ok(ConnAck {
            session_present,
            reason_code,
            properties,
        })
    }

    /// Writes the body for a peer speaking `v`.
    pub(crate) fn write<S: Sink>(&self, v: ProtocolVersion, s: &mut S) {
        put_u8(s, u8::from(self.session_present));
        put_u8(s, self.reason_code);
        if v.is_v5() {
            properties::write(&self.properties, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{connack_v3, reason, Packet};
    use super::*;

    fn plain(session_present: bool, reason_code: u8) -> Packet {
        let properties = ConnAckProperties::default();
        Packet::ConnAck(ConnAck {
            session_present,
            reason_code,
            properties,
        })
    }

    #[test]
    fn v311_connack_byte_for_byte() {
        let accepted = [0x20, 0x02, 0x01, 0x00];
        assert_eq!(
            decode_one(&accepted, Some(V311)),
            Ok(plain(true, connack_v3::ACCEPTED))
        );
        assert_eq!(encoded(&plain(true, 0), V311), accepted);
        let refused = [0x20, 0x02, 0x00, 0x05];
        let expected = plain(false, connack_v3::NOT_AUTHORIZED);
        assert_eq!(decode_one(&refused, Some(V31)), Ok(expected));
    }

    #[test]
    fn v5_connack_byte_for_byte_and_round_trip() {
        let wire = [0x20, 0x03, 0x00, 0x87, 0x00];
        assert_eq!(
            decode_one(&wire, Some(V5)),
            Ok(plain(false, reason::NOT_AUTHORIZED))
        );
        assert_eq!(encoded(&plain(false, reason::NOT_AUTHORIZED), V5), wire);
        round_trip(&Packet::ConnAck(connack(V5)), V5);
        // For a 3.1.1 peer the properties are dropped.
        assert_eq!(
            encoded(&Packet::ConnAck(connack(V5)), V311),
            [0x20, 0x02, 0x01, 0x00]
        );
    }

    #[test]
    fn connack_flags_and_codes_are_checked() {
        assert_malformed(&[0x20, 0x02, 0x02, 0x00], Some(V311)); // reserved flag
        assert_malformed(&[0x20, 0x03, 0x80, 0x00, 0x00], Some(V5));
        assert_protocol(&[0x20, 0x02, 0x00, 0x06], Some(V311)); // return code 6
        assert_protocol(&[0x20, 0x03, 0x00, 0x8B, 0x00], Some(V5)); // not a CONNACK reason
        assert_protocol(&[0x20, 0x02, 0x01, 0x04], Some(V311)); // session present, refused
        assert_protocol(&[0x20, 0x03, 0x01, 0x80, 0x00], Some(V5));
        assert_malformed(&[0x20, 0x03, 0x00, 0x00, 0x00], Some(V311)); // trailing byte
        assert_malformed(&[0x20, 0x02, 0x00, 0x00], Some(V5)); // no property length
        assert_malformed(&[0x20, 0x01, 0x00], Some(V311));
    }

    #[test]
    fn connack_properties_are_checked() {
        let with = |props: &[u8]| frame(0x20, &cat(&[&[0x00, 0x00, props.len() as u8], props]));
        assert!(decode_one(&with(b"\x24\x01"), Some(V5)).is_ok());
        assert_protocol(&with(b"\x24\x02"), Some(V5)); // Maximum QoS 2
        assert_protocol(&with(b"\x25\x02"), Some(V5)); // Retain Available 2
        assert_protocol(&with(b"\x28\x01\x28\x01"), Some(V5)); // twice
        assert_protocol(&with(b"\x21\x00\x00"), Some(V5)); // Receive Maximum 0
        assert_malformed(&with(b"\x23\x00\x01"), Some(V5)); // Topic Alias
        assert_malformed(&with(b"\x17\x01"), Some(V5)); // Request Problem Information
    }
}
