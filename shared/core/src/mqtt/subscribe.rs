//! SUBSCRIBE and SUBACK (MQTT 5.0 §3.8-3.9, 3.1.1 §3.8-3.9): a packet identifier,
//! properties, then topic filters with their options, or one reason code per filter.

use super::ack::AckProperties;
use super::error::{malformed, protocol, DecodeError};
use super::properties::{self, id, once, Property, PropertySet};
use super::read::Reader;
use super::write::{put_string, put_u16, put_u8, Sink};
use super::{ProtocolVersion, QoS, UserProperties};

/// A SUBSCRIBE packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// The packet identifier (never 0).
    pub packet_id: u16,
    /// The requested filters, at least one.
    pub filters: Vec<SubscribeFilter>,
    /// MQTT 5 SUBSCRIBE properties; empty for 3.1.x.
    pub properties: SubscribeProperties,
}

/// One topic filter of a SUBSCRIBE, with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeFilter {
    /// The topic filter, as sent (syntax is checked by the broker).
    pub filter: String,
    /// The subscription options.
    pub options: SubscriptionOptions,
}

/// Subscription options (MQTT 5.0 §3.8.3.1); 3.1.x has only the QoS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubscriptionOptions {
    /// The maximum QoS the client wants messages with.
    pub qos: QoS,
    /// Don't send the client its own publications.
    pub no_local: bool,
    /// Keep the RETAIN flag of forwarded messages as published.
    pub retain_as_published: bool,
    /// 0: send retained messages on subscribe, 1: only for a new subscription, 2: never.
    pub retain_handling: u8,
}

/// MQTT 5 SUBSCRIBE properties (§3.8.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubscribeProperties {
    /// Identifier delivered with messages matching these filters (1..=268,435,455).
    pub subscription_identifier: Option<u32>,
    /// User properties.
    pub user_properties: UserProperties,
}

/// A SUBACK packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAck {
    /// The packet identifier of the SUBSCRIBE.
    pub packet_id: u16,
    /// One code per filter, in order; 3.1.1 return codes are 0, 1, 2 and 0x80.
    pub reason_codes: Vec<u8>,
    /// MQTT 5 properties; empty for 3.1.x.
    pub properties: AckProperties,
}

impl PropertySet for SubscribeProperties {
    fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError> {
        let name = property.name();
        match property {
            Property::SubscriptionIdentifier(v) => once(&mut self.subscription_identifier, v, name),
            Property::User(k, v) => {
                self.user_properties.push((k, v));
                Ok(())
            }
            other => Err(other.not_allowed(context)),
        }
    }

    fn write_entries<S: Sink>(&self, s: &mut S) {
        if let Some(sub_id) = self.subscription_identifier {
            properties::put_variable(s, id::SUBSCRIPTION_IDENTIFIER, sub_id);
        }
        properties::put_user(s, &self.user_properties);
    }
}

// Subscription options bits (§3.8.3.1).
const QOS_MASK: u8 = 0x03;
const NO_LOCAL: u8 = 0x04;
const RETAIN_AS_PUBLISHED: u8 = 0x08;
const RETAIN_HANDLING_SHIFT: u8 = 4;

impl SubscriptionOptions {
    /// Decodes the options byte as `v` defines it.
    fn decode(byte: u8, v: ProtocolVersion) -> Result<SubscriptionOptions, DecodeError> {
        if !v.is_v5() {
            // [MQTT-3.8.3-4]: reserved bits set or QoS 3 make the packet malformed.
            if byte & !QOS_MASK != 0 {
                return Err(malformed("SUBSCRIBE requested QoS has reserved bits set"));
            }
            let qos = QoS::from_u8(byte).ok_or_else(|| malformed("SUBSCRIBE with QoS 3"))?;
            return Ok(SubscriptionOptions {
                qos,
                ..SubscriptionOptions::default()
            });
        }
        if byte & 0xC0 != 0 {
            return Err(malformed("subscription options have reserved bits set"));
        }
        let qos = QoS::from_u8(byte & QOS_MASK)
            .ok_or_else(|| protocol("subscription options with QoS 3"))?;
        let retain_handling = (byte >> RETAIN_HANDLING_SHIFT) & 0x03;
        if retain_handling == 3 {
            return Err(protocol("subscription options with Retain Handling 3"));
        }
        Ok(SubscriptionOptions {
            qos,
            no_local: byte & NO_LOCAL != 0,
            retain_as_published: byte & RETAIN_AS_PUBLISHED != 0,
            retain_handling,
        })
    }

    /// The options byte for `v` (3.1.x: the QoS alone).
    fn encode(&self, v: ProtocolVersion) -> u8 {
        let mut byte = self.qos.as_u8();
        if v.is_v5() {
            if self.no_local {
                byte |= NO_LOCAL;
            }
            if self.retain_as_published {
                byte |= RETAIN_AS_PUBLISHED;
            }
            byte |= (self.retain_handling & 0x03) << RETAIN_HANDLING_SHIFT;
        }
        byte
    }
}

/// Reads a packet identifier that must not be 0 ([MQTT-2.2.1-3]).
pub(crate) fn nonzero_packet_id(r: &mut Reader, packet: &str) -> Result<u16, DecodeError> {
    match r.u16("packet identifier")? {
        0 => Err(protocol(format!("{packet} with packet identifier 0"))),
        id => Ok(id),
    }
}

impl Subscribe {
    /// Decodes a SUBSCRIBE body.
    pub(crate) fn decode(r: &mut Reader, v: ProtocolVersion) -> Result<Subscribe, DecodeError> {
        let packet_id = nonzero_packet_id(r, "SUBSCRIBE")?;
        let properties = if v.is_v5() {
            properties::read(r, "SUBSCRIBE")?
        } else {
            SubscribeProperties::default()
        };
        let mut filters = Vec::new();
        while !r.is_empty() {
            let filter = r.string("topic filter")?;
            let options = SubscriptionOptions::decode(r.u8("subscription options")?, v)?;
            filters.push(SubscribeFilter { filter, options });
        }
        if filters.is_empty() {
            return Err(protocol("SUBSCRIBE without topic filters"));
        }
        Ok(Subscribe {
            packet_id,
            filters,
            properties,
        })
    }

    /// Writes the body for a peer speaking `v`.
    pub(crate) fn write<S: Sink>(&self, v: ProtocolVersion, s: &mut S) {
        put_u16(s, self.packet_id);
        if v.is_v5() {
            properties::write(&self.properties, s);
        }
        for f in &self.filters {
            put_string(s, &f.filter);
            put_u8(s, f.options.encode(v));
        }
    }
}

/// Whether `code` is a SUBACK code of `v` (MQTT 5.0 §3.9.3, 3.1.1 [MQTT-3.9.3-2]).
fn valid_suback_code(code: u8, v: ProtocolVersion) -> bool {
    if !v.is_v5() {
        return matches!(code, 0x00..=0x02 | 0x80);
    }
    matches!(
        code,
        0x00..=0x02 | 0x80 | 0x83 | 0x87 | 0x8F | 0x91 | 0x97 | 0x9E | 0xA1 | 0xA2
    )
}

impl SubAck {
    /// Decodes a SUBACK body.
    pub(crate) fn decode(r: &mut Reader, v: ProtocolVersion) -> Result<SubAck, DecodeError> {
        let packet_id = r.u16("packet identifier")?;
        let properties = if v.is_v5() {
            properties::read(r, "SUBACK")?
        } else {
            AckProperties::default()
        };
        let reason_codes = r.rest().to_vec();
        if reason_codes.is_empty() {
            return Err(protocol("SUBACK without reason codes"));
        }
        if let Some(code) = reason_codes.iter().find(|&&c| !valid_suback_code(c, v)) {
            return Err(protocol(format!("0x{code:02X} is not a SUBACK code")));
        }
        Ok(SubAck {
            packet_id,
            reason_codes,
            properties,
        })
    }

    /// Writes the body for a peer speaking `v`; codes are written as given.
    pub(crate) fn write<S: Sink>(&self, v: ProtocolVersion, s: &mut S) {
        put_u16(s, self.packet_id);
        if v.is_v5() {
            properties::write(&self.properties, s);
        }
        s.put(&self.reason_codes);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{reason, Packet};
    use super::*;

    fn one_filter(filter: &str, options: SubscriptionOptions) -> Subscribe {
        Subscribe {
            packet_id: 10,
            filters: vec![SubscribeFilter {
                filter: filter.into(),
                options,
            }],
            properties: SubscribeProperties::default(),
        }
    }

    #[test]
    fn v311_subscribe_byte_for_byte() {
        let wire = [0x82, 0x08, 0x00, 0x0A, 0x00, 0x03, b'a', b'/', b'#', 0x01];
        let options = SubscriptionOptions {
            qos: QoS::AtLeastOnce,
            ..Default::default()
        };
        let expected = Packet::Subscribe(one_filter("a/#", options));
        assert_eq!(decode_one(&wire, Some(V311)), Ok(expected.clone()));
        assert_eq!(encoded(&expected, V311), wire);
    }

    #[test]
    fn v5_subscription_options_byte_for_byte() {
        // Retain Handling 2, Retain As Published, No Local, QoS 1.
        let wire = [0x82, 0x07, 0x00, 0x0A, 0x00, 0x00, 0x01, b'x', 0x2D];
        let options = SubscriptionOptions {
            qos: QoS::AtLeastOnce,
            no_local: true,
            retain_as_published: true,
            retain_handling: 2,
        };
        let expected = Packet::Subscribe(one_filter("x", options));
        assert_eq!(decode_one(&wire, Some(V5)), Ok(expected.clone()));
        assert_eq!(encoded(&expected, V5), wire);
        // For a 3.1.1 peer only the QoS is written.
        assert_eq!(
            encoded(&expected, V311),
            [0x82, 0x06, 0x00, 0x0A, 0x00, 0x01, b'x', 0x01]
        );
    }

    #[test]
    fn subscribe_and_suback_round_trip() {
        for v in [V31, V311, V5] {
            round_trip(&Packet::Subscribe(subscribe(v)), v);
            round_trip(&Packet::SubAck(suback(v)), v);
        }
    }

    #[test]
    fn packet_identifier_zero_and_no_filters_are_protocol_errors() {
        for v in [V311, V5] {
            let props: &[u8] = if v.is_v5() { &[0x00] } else { &[] };
            assert_protocol(
                &frame(0x82, &cat(&[b"\x00\x00", props, b"\x00\x01a\x00"])),
                Some(v),
            );
            assert_protocol(&frame(0x82, &cat(&[b"\x00\x01", props])), Some(v));
            // A filter without its options byte.
            assert_malformed(
                &frame(0x82, &cat(&[b"\x00\x01", props, b"\x00\x01a"])),
                Some(v),
            );
        }
    }

    #[test]
    fn v3_requested_qos_must_be_0_to_2_with_reserved_bits_clear() {
        for byte in [0x03, 0x04, 0x40, 0x80, 0x2D] {
            assert_malformed(
                &[0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b'a', byte],
                Some(V311),
            );
        }
    }

    #[test]
    fn v5_subscription_options_are_checked() {
        let sub = |byte| [0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, b'a', byte];
        assert_malformed(&sub(0x40), Some(V5)); // reserved bit 6
        assert_malformed(&sub(0x80), Some(V5)); // reserved bit 7
        assert_protocol(&sub(0x30), Some(V5)); // Retain Handling 3
        assert_protocol(&sub(0x03), Some(V5)); // QoS 3
        assert!(decode_one(&sub(0x2E), Some(V5)).is_ok());
    }

    #[test]
    fn subscribe_properties_are_checked() {
        let with = |props: &[u8]| {
            frame(
                0x82,
                &cat(&[b"\x00\x01", &[props.len() as u8], props, b"\x00\x01a\x00"]),
            )
        };
        assert!(decode_one(&with(b"\x0B\xFF\xFF\xFF\x7F"), Some(V5)).is_ok());
        assert_protocol(&with(b"\x0B\x00"), Some(V5)); // Subscription Identifier 0
        assert_protocol(&with(b"\x0B\x01\x0B\x02"), Some(V5)); // twice
        assert_malformed(&with(b"\x23\x00\x01"), Some(V5)); // Topic Alias
        assert_malformed(&with(b"\x0B\xFF\xFF\xFF\xFF\x01"), Some(V5)); // five-byte integer
    }

    #[test]
    fn suback_codes_are_checked_per_version() {
        assert_eq!(
            decode_one(&[0x90, 0x05, 0x00, 0x0A, 0x00, 0x02, 0x80], Some(V311)),
            Ok(Packet::SubAck(SubAck {
                packet_id: 10,
                reason_codes: vec![0, 2, 0x80],
                properties: AckProperties::default(),
            }))
        );
        assert_protocol(&[0x90, 0x03, 0x00, 0x0A, 0x97], Some(V311)); // v5-only code
        assert_protocol(&[0x90, 0x03, 0x00, 0x0A, 0x03], Some(V311));
        assert_protocol(&[0x90, 0x02, 0x00, 0x0A], Some(V311)); // no codes
        assert_protocol(&[0x90, 0x03, 0x00, 0x0A, 0x00], Some(V5)); // no codes after properties
        assert_protocol(&[0x90, 0x04, 0x00, 0x0A, 0x00, 0x11], Some(V5)); // UNSUBACK's code
        let code = reason::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED;
        assert!(decode_one(&[0x90, 0x04, 0x00, 0x0A, 0x00, code], Some(V5)).is_ok());
        // A 3.1.1 SUBACK code is written as given.
        let given = SubAck {
            reason_codes: vec![0x97],
            ..suback(V311)
        };
        assert_eq!(
            encoded(&Packet::SubAck(given), V311),
            [0x90, 0x03, 0x00, 0x0A, 0x97]
        );
    }
}
