//! PUBLISH (MQTT 5.0 §3.3, 3.1.1 §3.3): flags in the fixed header, topic name, packet
//! identifier when QoS > 0, properties, and the payload (the rest of the packet).

use bytes::Bytes;

use super::error::{malformed, protocol, DecodeError};
use super::properties::{self, id, once, Property, PropertySet};
use super::read::Reader;
use super::write::{put_string, put_u16, Sink};
use super::{ProtocolVersion, QoS, UserProperties};

/// A PUBLISH packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// Redelivery of an earlier attempt (only with QoS > 0).
    pub dup: bool,
    /// Quality of service.
    pub qos: QoS,
    /// Retained message.
    pub retain: bool,
    /// Topic name; empty only in MQTT 5 with a `topic_alias` (the broker resolves it).
    pub topic: String,
    /// Packet identifier: Some iff `qos` > 0, never 0.
    pub packet_id: Option<u16>,
    /// The application message.
    pub payload: Bytes,
    /// MQTT 5 PUBLISH properties; empty for 3.1.x.
    pub properties: PublishProperties,
}

/// MQTT 5 PUBLISH properties (§3.3.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublishProperties {
    /// 0: unspecified bytes, 1: UTF-8 text.
    pub payload_format_indicator: Option<u8>,
    /// Lifetime of the message in seconds.
    pub message_expiry_interval: Option<u32>,
    /// Alias standing for the topic name on this connection.
    pub topic_alias: Option<u16>,
    /// Topic for a response to this message.
    pub response_topic: Option<String>,
    /// Correlation data for a response.
    pub correlation_data: Option<Bytes>,
    /// User properties.
    pub user_properties: UserProperties,
    /// Identifiers of the subscriptions that matched (server to client only), each non-zero.
    pub subscription_identifiers: Vec<u32>,
    /// Content type of the payload (e.g. a MIME type).
    pub content_type: Option<String>,
}

impl PropertySet for PublishProperties {
    fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError> {
        let name = property.name();
        let p = self;
        match property {
            Property::PayloadFormatIndicator(v) => once(&mut p.payload_format_indicator, v, name),
            Property::MessageExpiryInterval(v) => once(&mut p.message_expiry_interval, v, name),
            Property::TopicAlias(v) => once(&mut p.topic_alias, v, name),
            Property::ResponseTopic(v) => once(&mut p.response_topic, v, name),
            Property::CorrelationData(v) => once(&mut p.correlation_data, v, name),
            Property::User(k, v) => {
                p.user_properties.push((k, v));
                Ok(())
            }
            Property::SubscriptionIdentifier(v) => {
                p.subscription_identifiers.push(v);
                Ok(())
            }
            Property::ContentType(v) => once(&mut p.content_type, v, name),
            other => Err(other.not_allowed(context)),
        }
    }

    fn write_entries<S: Sink>(&self, s: &mut S) {
        use properties::{put_byte, put_data, put_four, put_text, put_two, put_user};
        let p = self;
        put_byte(s, id::PAYLOAD_FORMAT_INDICATOR, p.payload_format_indicator);
        put_four(s, id::MESSAGE_EXPIRY_INTERVAL, p.message_expiry_interval);
        put_two(s, id::TOPIC_ALIAS, p.topic_alias);
        put_text(s, id::RESPONSE_TOPIC, p.response_topic.as_deref());
        put_data(s, id::CORRELATION_DATA, p.correlation_data.as_deref());
        put_user(s, &p.user_properties);
        for &sub_id in &p.subscription_identifiers {
            properties::put_variable(s, id::SUBSCRIPTION_IDENTIFIER, sub_id);
        }
        put_text(s, id::CONTENT_TYPE, p.content_type.as_deref());
    }
}

// PUBLISH fixed header flags (§3.3.1).
const DUP: u8 = 0x08;
const QOS_SHIFT: u8 = 1;
const RETAIN: u8 = 0x01;

impl Publish {
    /// The fixed header flags; DUP only with QoS > 0 ([MQTT-3.3.1-2]).
    pub(crate) fn flags(&self) -> u8 {
        let mut flags = self.qos.as_u8() << QOS_SHIFT;
        if self.dup && self.qos != QoS::AtMostOnce {
            flags |= DUP;
        }
        if self.retain {
            flags |= RETAIN;
        }
        flags
    }

    /// Decodes a PUBLISH body; `flags` were checked with the fixed header (no QoS 3, no DUP
    /// with QoS 0).
    pub(crate) fn decode(
        r: &mut Reader,
        flags: u8,
        v: ProtocolVersion,
    ) -> Result<Publish, DecodeError> {
        let qos = QoS::from_u8((flags >> QOS_SHIFT) & 0x03)
            .ok_or_else(|| malformed("PUBLISH with QoS 3"))?;
        let topic = r.string("topic name")?;
        let packet_id = if qos == QoS::AtMostOnce {
            None
        } else {
            match r.u16("packet identifier")? {
                0 => return Err(protocol("PUBLISH with QoS > 0 and packet identifier 0")),
                id => Some(id),
            }
        };
        let properties: PublishProperties = if v.is_v5() {
            properties::read(r, "PUBLISH")?
        } else {
            PublishProperties::default()
        };
        if topic.is_empty() {
            if !v.is_v5() {
                return Err(malformed("PUBLISH with an empty topic name"));
            }
            if properties.topic_alias.is_none() {
                return Err(protocol(
                    "PUBLISH with an empty topic name and no Topic Alias",
                ));
            }
        }
        Ok(Publish {
            dup: flags & DUP != 0,
            qos,
            retain: flags & RETAIN != 0,
            topic,
            packet_id,
            payload: r.rest(),
            properties,
        })
    }

    /// Writes the body for a peer speaking `v`; a missing packet identifier with QoS > 0 is
    /// written as 0 (a caller bug the peer will reject).
    pub(crate) fn write<S: Sink>(&self, v: ProtocolVersion, s: &mut S) {
        put_string(s, &self.topic);
        if self.qos != QoS::AtMostOnce {
            put_u16(s, self.packet_id.unwrap_or(0));
        }
        if v.is_v5() {
            properties::write(&self.properties, s);
        }
        s.put(&self.payload);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::Packet;
    use super::*;

    fn simple(qos: QoS, packet_id: Option<u16>) -> Publish {
        Publish {
            dup: false,
            qos,
            retain: false,
            topic: "a/b".into(),
            packet_id,
            payload: Bytes::from_static(b"hi"),
            properties: PublishProperties::default(),
        }
    }

    #[test]
    fn qos1_publish_byte_for_byte() {
        let v3 = [
            0x32, 0x09, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x0A, b'h', b'i',
        ];
        let p = Packet::Publish(simple(QoS::AtLeastOnce, Some(10)));
        assert_eq!(decode_one(&v3, Some(V311)), Ok(p.clone()));
        assert_eq!(encoded(&p, V311), v3);
        let v5 = [
            0x32, 0x0A, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x0A, 0x00, b'h', b'i',
        ];
        assert_eq!(decode_one(&v5, Some(V5)), Ok(p.clone()));
        assert_eq!(encoded(&p, V5), v5);
    }

    #[test]
    fn qos0_publish_has_no_packet_identifier_and_may_be_empty() {
        let wire = [0x31, 0x05, 0x00, 0x03, b'a', b'/', b'b'];
        let mut p = simple(QoS::AtMostOnce, None);
        p.retain = true;
        p.payload = Bytes::new();
        assert_eq!(
            decode_one(&wire, Some(V311)),
            Ok(Packet::Publish(p.clone()))
        );
        // DUP is never written with QoS 0.
        p.dup = true;
        assert_eq!(encoded(&Packet::Publish(p), V311), wire);
    }

    #[test]
    fn publish_round_trips_and_drops_properties_for_v3() {
        for v in [V31, V311, V5] {
            for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
                round_trip(&Packet::Publish(publish(v, qos)), v);
            }
        }
        let full = Packet::Publish(publish(V5, QoS::AtLeastOnce));
        let Ok(Packet::Publish(back)) = decode_one(&encoded(&full, V311), Some(V311)) else {
            panic!("decodes as 3.1.1");
        };
        assert_eq!(back, publish(V311, QoS::AtLeastOnce));
    }

    #[test]
    fn packet_identifier_zero_is_a_protocol_error() {
        assert_protocol(
            &[0x32, 0x07, 0x00, 0x01, b'a', 0x00, 0x00, b'x', b'y'],
            Some(V311),
        );
        assert_protocol(&[0x34, 0x06, 0x00, 0x01, b'a', 0x00, 0x00, 0x00], Some(V5));
        // Missing altogether: malformed.
        assert_malformed(&[0x32, 0x03, 0x00, 0x01, b'a'], Some(V311));
    }

    #[test]
    fn empty_topic_needs_a_topic_alias_in_v5_and_is_malformed_before() {
        assert_malformed(&[0x30, 0x04, 0x00, 0x00, b'h', b'i'], Some(V311));
        assert_protocol(&[0x30, 0x05, 0x00, 0x00, 0x00, b'h', b'i'], Some(V5));
        let aliased = [0x30, 0x08, 0x00, 0x00, 0x03, 0x23, 0x00, 0x07, b'h', b'i'];
        let Ok(Packet::Publish(p)) = decode_one(&aliased, Some(V5)) else {
            panic!("an aliased PUBLISH decodes");
        };
        assert_eq!((p.topic.as_str(), p.properties.topic_alias), ("", Some(7)));
        round_trip(&Packet::Publish(p), V5);
    }

    #[test]
    fn topic_must_be_valid_utf8_without_nul() {
        assert_malformed(&[0x30, 0x04, 0x00, 0x02, b'a', 0x00], Some(V311));
        assert_malformed(&[0x30, 0x04, 0x00, 0x02, 0xC0, 0x80], Some(V5));
        assert_malformed(&[0x30, 0x03, 0x00, 0x05, b'a'], Some(V5)); // runs past the end
    }

    #[test]
    fn publish_properties_are_checked() {
        let with = |props: &[u8]| {
            frame(
                0x30,
                &cat(&[b"\x00\x01t", &[props.len() as u8], props, b"payload"]),
            )
        };
        let Ok(Packet::Publish(p)) = decode_one(&with(b"\x0B\x01\x0B\x80\x01"), Some(V5)) else {
            panic!("several Subscription Identifiers are allowed");
        };
        assert_eq!(p.properties.subscription_identifiers, vec![1, 128]);
        assert_protocol(&with(b"\x0B\x00"), Some(V5)); // Subscription Identifier 0
        assert_protocol(&with(b"\x23\x00\x01\x23\x00\x02"), Some(V5)); // Topic Alias twice
        assert_protocol(&with(b"\x03\x00\x01a\x03\x00\x01b"), Some(V5)); // Content Type twice
        assert_malformed(&with(b"\x11\x00\x00\x00\x01"), Some(V5)); // Session Expiry
        assert_malformed(&with(b"\x18\x00\x00\x00\x01"), Some(V5)); // Will Delay Interval
        assert_malformed(&with(b"\x0B\x80\x00"), Some(V5)); // padded variable byte integer
                                                            // A property length longer than the rest of the packet.
        assert_malformed(&frame(0x30, b"\x00\x01t\x10\x01\x01"), Some(V5));
    }
}
