//! PUBACK, PUBREC, PUBREL and PUBCOMP (MQTT 5.0 §3.4-3.7, 3.1.1 §3.4-3.7): a packet
//! identifier, then in MQTT 5 a reason code and properties, both omissible.
//!
//! Also [`AckProperties`], the reason string and user properties that SUBACK and UNSUBACK
//! carry too.

use super::error::{protocol, DecodeError};
use super::properties::{self, id, once, Property, PropertySet};
use super::read::Reader;
use super::write::{put_u16, put_u8, Sink};
use super::{ProtocolVersion, UserProperties};

/// A PUBACK, PUBREC, PUBREL or PUBCOMP packet (the [`super::Packet`] variant says which).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubAck {
    /// The packet identifier of the exchange.
    pub packet_id: u16,
    /// MQTT 5 reason code; 0 (Success) for 3.1.x.
    pub reason_code: u8,
    /// MQTT 5 properties; empty for 3.1.x.
    pub properties: AckProperties,
}

/// Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AckProperties {
    /// Human-readable diagnostics.
    pub reason_string: Option<String>,
    /// User properties.
    pub user_properties: UserProperties,
}

impl PropertySet for AckProperties {
    fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError> {
        let name = property.name();
        match property {
            Property::ReasonString(v) => once(&mut self.reason_string, v, name),
            Property::User(k, v) => {
                self.user_properties.push((k, v));
                Ok(())
            }
            other => Err(other.not_allowed(context)),
        }
    }

    fn write_entries<S: Sink>(&self, s: &mut S) {
        properties::put_text(s, id::REASON_STRING, self.reason_string.as_deref());
        properties::put_user(s, &self.user_properties);
    }
}

/// Which of the four acknowledgements a [`PubAck`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the spec's packet names all start with "PUB"
pub(crate) enum AckKind {
    PubAck,
    PubRec,
    PubRel,
    PubComp,
}

impl AckKind {
    /// The packet's name.
    fn name(self) -> &'static str {
        match self {
            AckKind::PubAck => "PUBACK",
            AckKind::PubRec => "PUBREC",
            AckKind::PubRel => "PUBREL",
            AckKind::PubComp => "PUBCOMP",
        }
    }

    /// Whether `code` is one of this packet's MQTT 5 reason codes (§3.4.2.1, §3.6.2.1).
    fn allows(self, code: u8) -> bool {
        match self {
            AckKind::PubAck | AckKind::PubRec => {
                matches!(
                    code,
                    0x00 | 0x10 | 0x80 | 0x83 | 0x87 | 0x90 | 0x91 | 0x97 | 0x99
                )
            }
            AckKind::PubRel | AckKind::PubComp => matches!(code, 0x00 | 0x92),
        }
    }
}

impl PubAck {
    /// Decodes the body of a `kind` packet.
    pub(crate) fn decode(
        r: &mut Reader,
        v: ProtocolVersion,
        kind: AckKind,
    ) -> Result<PubAck, DecodeError> {
        let packet_id = r.u16("packet identifier")?;
        let mut ack = PubAck {
            packet_id,
            reason_code: 0,
            properties: AckProperties::default(),
        };
        if !v.is_v5() || r.is_empty() {
            return Ok(ack);
        }
        ack.reason_code = r.u8("reason code")?;
        if !kind.allows(ack.reason_code) {
            let code = ack.reason_code;
            return Err(protocol(format!(
                "0x{code:02X} is not a {} reason code",
                kind.name()
            )));
        }
        // "If the Remaining Length is less than 4 there is no Property Length" (§3.4.2.2.1).
        if !r.is_empty() {
            ack.properties = properties::read(r, kind.name())?;
        }
        Ok(ack)
    }

    /// Writes the body for a peer speaking `v`, in the shortest form MQTT 5 allows.
    pub(crate) fn write<S: Sink>(&self, v: ProtocolVersion, s: &mut S) {
        put_u16(s, self.packet_id);
        if !v.is_v5() {
            return;
        }
        let no_properties = properties::is_empty(&self.properties);
        if self.reason_code == 0 && no_properties {
            return;
        }
        put_u8(s, self.reason_code);
        if !no_properties {
            properties::write(&self.properties, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{reason, Packet};
    use super::*;

    fn plain(packet_id: u16, reason_code: u8) -> PubAck {
        PubAck {
            packet_id,
            reason_code,
            properties: AckProperties::default(),
        }
    }

    #[test]
    fn v311_acks_byte_for_byte() {
        let cases = [
            (0x40, Packet::PubAck(plain(1, 0))),
            (0x50, Packet::PubRec(plain(1, 0))),
            (0x62, Packet::PubRel(plain(1, 0))),
            (0x70, Packet::PubComp(plain(1, 0))),
        ];
        for (first, packet) in cases {
            let wire = [first, 0x02, 0x00, 0x01];
            assert_eq!(decode_one(&wire, Some(V311)), Ok(packet.clone()));
            assert_eq!(encoded(&packet, V311), wire);
            assert_malformed(&[first, 0x03, 0x00, 0x01, 0x00], Some(V311));
            assert_malformed(&[first, 0x01, 0x00], Some(V5));
        }
    }

    #[test]
    fn v5_acks_use_the_shortest_form() {
        let success = Packet::PubAck(plain(7, 0));
        assert_eq!(encoded(&success, V5), [0x40, 0x02, 0x00, 0x07]);
        let no_match = Packet::PubAck(plain(7, reason::NO_MATCHING_SUBSCRIBERS));
        assert_eq!(encoded(&no_match, V5), [0x40, 0x03, 0x00, 0x07, 0x10]);
        // All three forms decode.
        assert_eq!(
            decode_one(&[0x40, 0x02, 0x00, 0x07], Some(V5)),
            Ok(success.clone())
        );
        assert_eq!(
            decode_one(&[0x40, 0x03, 0x00, 0x07, 0x10], Some(V5)),
            Ok(no_match.clone())
        );
        assert_eq!(
            decode_one(&[0x40, 0x04, 0x00, 0x07, 0x10, 0x00], Some(V5)),
            Ok(no_match)
        );
        let with_string = PubAck {
            properties: ack_properties(V5),
            ..plain(7, 0)
        };
        let bytes = round_trip(&Packet::PubComp(with_string), V5);
        assert_eq!(bytes[4], 0x00, "reason code written when properties follow");
    }

    #[test]
    fn acks_round_trip_and_drop_v5_fields_for_v3() {
        for v in [V31, V311, V5] {
            for kind in [
                Packet::PubAck,
                Packet::PubRec,
                Packet::PubRel,
                Packet::PubComp,
            ] {
                round_trip(&kind(puback(v, 0)), v);
            }
        }
        let full = Packet::PubRec(puback(V5, reason::QUOTA_EXCEEDED));
        assert_eq!(encoded(&full, V311), [0x50, 0x02, 0xBE, 0xEF]);
    }

    #[test]
    fn reason_codes_are_checked_per_packet() {
        assert_protocol(&[0x40, 0x03, 0x00, 0x01, 0x92], Some(V5)); // PUBACK: not found
        assert_protocol(&[0x50, 0x03, 0x00, 0x01, 0x04], Some(V5));
        assert_protocol(&[0x62, 0x03, 0x00, 0x01, 0x10], Some(V5)); // PUBREL: no subscribers
        assert_protocol(&[0x70, 0x03, 0x00, 0x01, 0x80], Some(V5));
        assert!(decode_one(&[0x62, 0x03, 0x00, 0x01, 0x92], Some(V5)).is_ok());
        assert!(decode_one(&[0x50, 0x03, 0x00, 0x01, 0x99], Some(V5)).is_ok());
    }

    #[test]
    fn ack_properties_are_checked() {
        let with =
            |props: &[u8]| frame(0x40, &cat(&[&[0x00, 0x01, 0x80, props.len() as u8], props]));
        assert!(decode_one(&with(b"\x1F\x00\x01r"), Some(V5)).is_ok());
        assert_protocol(&with(b"\x1F\x00\x01r\x1F\x00\x01s"), Some(V5));
        assert_malformed(&with(b"\x03\x00\x01c"), Some(V5)); // Content Type
        assert_malformed(&with(b"\x26\x00\x01k"), Some(V5)); // User Property without value
        assert_malformed(&frame(0x40, &[0x00, 0x01, 0x80, 0x00, 0xFF]), Some(V5));
        // trailing
    }
}
