//! CONNECT (MQTT 5.0 §3.1, 3.1.1 §3.1): protocol name and level, flags, keep alive,
//! properties, then client identifier, Will, user name and password.
//!
//! The protocol level decides the format of the rest of the packet, so an unknown one stops
//! decoding at once with [`DecodeError::UnsupportedProtocol`].

use bytes::Bytes;

use super::error::{malformed, protocol, DecodeError};
use super::properties::{self, id, once, Property, PropertySet};
use super::read::Reader;
use super::will::{Will, WillProperties};
use super::write::{put_binary, put_string, put_u16, put_u8, Sink};
use super::{ProtocolVersion, QoS, UserProperties};

/// A CONNECT packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// The protocol the client speaks; also the format this CONNECT is written in.
    pub protocol: ProtocolVersion,
    /// Clean Start (MQTT 5) / Clean Session (3.1.x).
    pub clean_start: bool,
    /// Keep alive in seconds; 0 turns it off.
    pub keep_alive: u16,
    /// The client identifier; may be empty (the server may assign one).
    pub client_id: String,
    /// The Will Message, published if the connection ends without DISCONNECT.
    pub will: Option<Will>,
    /// The user name, if the User Name Flag is set.
    pub username: Option<String>,
    /// The password, if the Password Flag is set.
    pub password: Option<Bytes>,
    /// MQTT 5 CONNECT properties; empty for 3.1.x.
    pub properties: ConnectProperties,
}

/// MQTT 5 CONNECT properties (§3.1.2.11).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectProperties {
    /// Seconds the session outlives the connection (absent: 0).
    pub session_expiry_interval: Option<u32>,
    /// How many QoS 1 and 2 messages the client handles at once (never 0).
    pub receive_maximum: Option<u16>,
    /// The largest packet the client accepts (never 0).
    pub maximum_packet_size: Option<u32>,
    /// The highest topic alias the client accepts from the server.
    pub topic_alias_maximum: Option<u16>,
    /// Whether the client asks for Response Information in the CONNACK.
    pub request_response_information: Option<bool>,
    /// Whether the server may send reason strings and user properties on failures.
    pub request_problem_information: Option<bool>,
    /// User properties.
    pub user_properties: UserProperties,
    /// The extended authentication method.
    pub authentication_method: Option<String>,
    /// Authentication data of the method (only with a method).
    pub authentication_data: Option<Bytes>,
}

impl PropertySet for ConnectProperties {
    fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError> {
        let name = property.name();
        match property {
            Property::SessionExpiryInterval(v) => once(&mut self.session_expiry_interval, v, name),
            Property::ReceiveMaximum(v) => once(&mut self.receive_maximum, v, name),
            Property::MaximumPacketSize(v) => once(&mut self.maximum_packet_size, v, name),
            Property::TopicAliasMaximum(v) => once(&mut self.topic_alias_maximum, v, name),
            Property::RequestResponseInformation(v) => {
                once(&mut self.request_response_information, v, name)
            }
            Property::RequestProblemInformation(v) => {
                once(&mut self.request_problem_information, v, name)
            }
            Property::User(k, v) => {
                self.user_properties.push((k, v));
                Ok(())
            }
            Property::AuthenticationMethod(v) => once(&mut self.authentication_method, v, name),
            Property::AuthenticationData(v) => once(&mut self.authentication_data, v, name),
            other => Err(other.not_allowed(context)),
        }
    }

    fn check(&self) -> Result<(), DecodeError> {
        if self.authentication_data.is_some() && self.authentication_method.is_none() {
            return Err(protocol(
                "Authentication Data without Authentication Method",
            ));
        }
        Ok(())
    }

    fn write_entries<S: Sink>(&self, s: &mut S) {
        properties::put_four(s, id::SESSION_EXPIRY_INTERVAL, self.session_expiry_interval);
        properties::put_two(s, id::RECEIVE_MAXIMUM, self.receive_maximum);
        properties::put_four(s, id::MAXIMUM_PACKET_SIZE, self.maximum_packet_size);
        properties::put_two(s, id::TOPIC_ALIAS_MAXIMUM, self.topic_alias_maximum);
        let rri = self.request_response_information;
        properties::put_flag(s, id::REQUEST_RESPONSE_INFORMATION, rri);
        let rpi = self.request_problem_information;
        properties::put_flag(s, id::REQUEST_PROBLEM_INFORMATION, rpi);
        properties::put_user(s, &self.user_properties);
        let method = self.authentication_method.as_deref();
        properties::put_text(s, id::AUTHENTICATION_METHOD, method);
        let data = self.authentication_data.as_deref();
        properties::put_data(s, id::AUTHENTICATION_DATA, data);
    }
}

// Connect flags (§3.1.2.3).
const RESERVED: u8 = 0x01;
const CLEAN_START: u8 = 0x02;
const WILL: u8 = 0x04;
const WILL_QOS_SHIFT: u8 = 3;
const WILL_RETAIN: u8 = 0x20;
const PASSWORD: u8 = 0x40;
const USERNAME: u8 = 0x80;

/// The protocol name a version's CONNECT carries.
fn protocol_name(v: ProtocolVersion) -> &'static str {
    match v {
        ProtocolVersion::V31 => "MQIsdp",
        ProtocolVersion::V311 | ProtocolVersion::V5 => "MQTT",
    }
}

impl Connect {
    /// Decodes a CONNECT body; its own protocol level decides the format.
    pub(crate) fn decode(r: &mut Reader) -> Result<Connect, DecodeError> {
        let name = r.string("protocol name")?;
        let level = r.u8("protocol level")?;
        let protocol = match (name.as_str(), level) {
            ("MQIsdp", 3) => ProtocolVersion::V31,
            ("MQTT", 4) => ProtocolVersion::V311,
            ("MQTT", 5) => ProtocolVersion::V5,
            _ => return Err(DecodeError::UnsupportedProtocol { level }),
        };
        let v5 = protocol.is_v5();
        let flags = r.u8("connect flags")?;
        if flags & RESERVED != 0 {
            return Err(malformed("CONNECT reserved flag is set"));
        }
        let will_flag = flags & WILL != 0;
        let will_qos = (flags >> WILL_QOS_SHIFT) & 0x03;
        let will_retain = flags & WILL_RETAIN != 0;
        if !will_flag && (will_qos != 0 || will_retain) {
            return Err(malformed(
                "Will QoS or Will Retain set without the Will Flag",
            ));
        }
        let will_qos = QoS::from_u8(will_qos).ok_or_else(|| malformed("Will QoS 3"))?;
        let username_flag = flags & USERNAME != 0;
        let password_flag = flags & PASSWORD != 0;
        if password_flag && !username_flag && !v5 {
            return Err(malformed("Password Flag set without the User Name Flag"));
        }
        let keep_alive = r.u16("keep alive")?;
        let properties = if v5 {
            properties::read(r, "CONNECT")?
        } else {
            ConnectProperties::default()
        };
        let client_id = r.string("client identifier")?;
        let will = if will_flag {
            let properties = if v5 {
                properties::read(r, "Will Properties")?
            } else {
                WillProperties::default()
            };
            let topic = r.string("Will Topic")?;
            let payload = r.binary("Will Payload")?;
            Some(Will {
                topic,
                payload,
                qos: will_qos,
                retain: will_retain,
                properties,
            })
        } else {
            None
        };
        let username = username_flag.then(|| r.string("user name")).transpose()?;
        let password = password_flag.then(|| r.binary("password")).transpose()?;
        Ok(Connect {
            protocol,
            clean_start: flags & CLEAN_START != 0,
            keep_alive,
            client_id,
            will,
            username,
            password,
            properties,
        })
    }

    /// Writes the body in `self.protocol`'s format.
    pub(crate) fn write<S: Sink>(&self, s: &mut S) {
        let v5 = self.protocol.is_v5();
        put_string(s, protocol_name(self.protocol));
        put_u8(s, self.protocol.level());
        let mut flags = 0;
        if self.clean_start {
            flags |= CLEAN_START;
        }
        if let Some(will) = &self.will {
            flags |= WILL | (will.qos.as_u8() << WILL_QOS_SHIFT);
            if will.retain {
                flags |= WILL_RETAIN;
            }
        }
        if self.username.is_some() {
            flags |= USERNAME;
        }
        if self.password.is_some() {
            flags |= PASSWORD;
        }
        put_u8(s, flags);
        put_u16(s, self.keep_alive);
        if v5 {
            properties::write(&self.properties, s);
        }
        put_string(s, &self.client_id);
        if let Some(will) = &self.will {
            if v5 {
                properties::write(&will.properties, s);
            }
            put_string(s, &will.topic);
            put_binary(s, &will.payload);
        }
        if let Some(username) = &self.username {
            put_string(s, username);
        }
        if let Some(password) = &self.password {
            put_binary(s, password);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{decode, reason, Packet};
    use super::*;

    /// A CONNECT without Will, user name or password.
    fn bare(protocol: ProtocolVersion, client_id: &str) -> Connect {
        Connect {
            protocol,
            clean_start: true,
            keep_alive: 60,
            client_id: client_id.into(),
            will: None,
            username: None,
            password: None,
            properties: ConnectProperties::default(),
        }
    }

    #[test]
    fn mosquitto_pub_311_connect_byte_for_byte() {
        let wire = cat(&[
            b"\x10\x1C\x00\x04MQTT\x04\x02\x00\x3C",
            b"\x00\x10mosqpub|4242-dev",
        ]);
        let expected = Packet::Connect(Box::new(bare(V311, "mosqpub|4242-dev")));
        assert_eq!(decode_one(&wire, None), Ok(expected.clone()));
        assert_eq!(encoded(&expected, V311), wire);
    }

    #[test]
    fn mqtt_31_connect_is_mqisdp_level_3() {
        let wire = cat(&[b"\x10\x11\x00\x06MQIsdp\x03\x02\x00\x3C", b"\x00\x03abc"]);
        let expected = Packet::Connect(Box::new(bare(V31, "abc")));
        assert_eq!(decode_one(&wire, None), Ok(expected.clone()));
        assert_eq!(encoded(&expected, V31), wire);
    }

    #[test]
    fn v5_connect_with_properties_byte_for_byte() {
        let wire = cat(&[
            b"\x10\x1D\x00\x04MQTT\x05\xC2\x00\x1E",
            b"\x08\x11\x00\x00\x0E\x10\x21\x00\x14", // Session Expiry 3600, Receive Maximum 20
            b"\x00\x02c1\x00\x01u\x00\x01p",
        ]);
        let mut expected = bare(V5, "c1");
        expected.keep_alive = 30;
        expected.username = Some("u".into());
        expected.password = Some(Bytes::from_static(b"p"));
        expected.properties.session_expiry_interval = Some(3600);
        expected.properties.receive_maximum = Some(20);
        let expected = Packet::Connect(Box::new(expected));
        assert_eq!(decode_one(&wire, None), Ok(expected.clone()));
        assert_eq!(encoded(&expected, V5), wire);
    }

    #[test]
    fn connect_round_trips_with_and_without_optional_parts() {
        for v in [V31, V311, V5] {
            round_trip(&Packet::Connect(Box::new(connect(v))), v);
            round_trip(&Packet::Connect(Box::new(bare(v, ""))), v);
            let mut will_qos2 = connect(v);
            if let Some(will) = &mut will_qos2.will {
                will.qos = QoS::ExactlyOnce;
                will.retain = false;
            }
            will_qos2.password = None;
            round_trip(&Packet::Connect(Box::new(will_qos2)), v);
        }
    }

    #[test]
    fn unknown_protocol_names_and_levels_are_unsupported() {
        let cases: [(&[u8], u8); 5] = [
            (b"\x00\x04MQTT\x03", 3),
            (b"\x00\x04MQTT\x06", 6),
            (b"\x00\x06MQIsdp\x04", 4),
            (b"\x00\x04mqtt\x04", 4),
            (b"\x00\x04HTTP\x01", 1),
        ];
        for (head, level) in cases {
            let wire = frame(0x10, &cat(&[head, b"\x02\x00\x3C\x00\x01c"]));
            let e = decode_err(&wire, None);
            assert_eq!(e, DecodeError::UnsupportedProtocol { level });
            assert_eq!(e.reason_code(), reason::UNSUPPORTED_PROTOCOL_VERSION);
        }
    }

    /// A 3.1.1 (level 4) or v5 CONNECT with `flags` and `rest` after the keep alive.
    fn with_flags(level: u8, flags: u8, rest: &[u8]) -> Vec<u8> {
        frame(
            0x10,
            &cat(&[b"\x00\x04MQTT", &[level, flags], b"\x00\x3C", rest]),
        )
    }

    #[test]
    fn reserved_flag_and_inconsistent_will_flags_are_malformed() {
        for (level, props) in [(4, &b""[..]), (5, b"\x00")] {
            let id = cat(&[props, b"\x00\x01c"]);
            assert!(decode(&with_flags(level, 0x02, &id), None, usize::MAX).is_ok());
            assert_malformed(&with_flags(level, 0x03, &id), None); // reserved bit
            assert_malformed(&with_flags(level, 0x0A, &id), None); // Will QoS 1, no Will Flag
            assert_malformed(&with_flags(level, 0x12, &id), None); // Will QoS 2, no Will Flag
            assert_malformed(&with_flags(level, 0x22, &id), None); // Will Retain, no Will Flag
            let will = cat(&[&id, props, b"\x00\x01t\x00\x00"]);
            assert!(decode(&with_flags(level, 0x16, &will), None, usize::MAX).is_ok());
            assert_malformed(&with_flags(level, 0x1E, &will), None); // Will QoS 3
        }
    }

    #[test]
    fn password_without_user_name_is_malformed_before_v5_only() {
        let v3 = with_flags(4, 0x42, b"\x00\x01c\x00\x02pw");
        assert_eq!(
            decode_err(&v3, None),
            DecodeError::Malformed("Password Flag set without the User Name Flag".into())
        );
        let v31 = frame(
            0x10,
            &cat(&[b"\x00\x06MQIsdp\x03\x42\x00\x3C\x00\x01c\x00\x02pw"]),
        );
        assert_malformed(&v31, None);
        let v5 = with_flags(5, 0x42, b"\x00\x00\x01c\x00\x02pw");
        let Ok(Packet::Connect(c)) = decode_one(&v5, None) else {
            panic!("v5 allows a password without a user name");
        };
        assert_eq!(
            (c.username, c.password),
            (None, Some(Bytes::from_static(b"pw")))
        );
        round_trip(
            &Packet::Connect(Box::new(Connect {
                username: None,
                ..connect(V5)
            })),
            V5,
        );
    }

    #[test]
    fn trailing_bytes_and_truncated_fields_are_malformed() {
        assert_malformed(&with_flags(4, 0x02, b"\x00\x01c\x00"), None);
        assert_malformed(&with_flags(5, 0x02, b"\x00\x00\x01cXY"), None);
        assert_malformed(&with_flags(4, 0x82, b"\x00\x01c"), None); // user name missing
        assert_malformed(&with_flags(4, 0x06, b"\x00\x01c\x00\x01t"), None); // Will Payload missing
        assert_malformed(&frame(0x10, b"\x00\x04MQTT"), None); // no level
        assert_malformed(&frame(0x10, b"\x00\x04MQTT\x04\x02\x00"), None); // short keep alive
    }

    #[test]
    fn client_identifier_must_be_valid_utf8_without_nul() {
        assert_malformed(&with_flags(4, 0x02, b"\x00\x02c\x00"), None);
        assert_malformed(&with_flags(4, 0x02, b"\x00\x02\xC3\x28"), None);
        assert_malformed(&with_flags(4, 0x82, b"\x00\x01c\x00\x01\xFF"), None); // user name
    }

    #[test]
    fn connect_properties_are_checked() {
        let with_props = |props: &[u8]| {
            let mut block = vec![props.len() as u8];
            block.extend_from_slice(props);
            with_flags(5, 0x02, &cat(&[&block, b"\x00\x01c"]))
        };
        assert!(decode(&with_props(b"\x11\x00\x00\x00\x05"), None, usize::MAX).is_ok());
        // Twice: protocol error.
        assert_protocol(
            &with_props(b"\x11\x00\x00\x00\x05\x11\x00\x00\x00\x06"),
            None,
        );
        assert_protocol(&with_props(b"\x15\x00\x01m\x15\x00\x01n"), None);
        // Not a CONNECT property (Topic Alias, Will Delay Interval, Reason String): malformed.
        assert_malformed(&with_props(b"\x23\x00\x01"), None);
        assert_malformed(&with_props(b"\x18\x00\x00\x00\x01"), None);
        assert_malformed(&with_props(b"\x1F\x00\x01r"), None);
        // Unknown identifier.
        assert_malformed(&with_props(b"\x7F\x00"), None);
        // Out of range values.
        assert_protocol(&with_props(b"\x21\x00\x00"), None); // Receive Maximum 0
        assert_protocol(&with_props(b"\x27\x00\x00\x00\x00"), None); // Maximum Packet Size 0
        assert_protocol(&with_props(b"\x19\x02"), None); // Request Response Information 2
                                                         // Authentication Data without Authentication Method.
        assert_protocol(&with_props(b"\x16\x00\x01d"), None);
        // Property length beyond the packet.
        assert_malformed(
            &with_flags(5, 0x02, b"\x09\x11\x00\x00\x00\x05\x00\x01c"),
            None,
        );
    }
}
