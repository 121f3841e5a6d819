//! UNSUBSCRIBE and UNSUBACK (MQTT 5.0 §3.10-3.11, 3.1.1 §3.10-3.11).

use super::ack::AckProperties;
use super::error::{protocol, DecodeError};
use super::properties::{self, Property, PropertySet};
use super::read::Reader;
use super::subscribe::nonzero_packet_id;
use super::write::{measure, put_string, put_u16, put_vbi, Sink};
use super::{ProtocolVersion, UserProperties};

/// An UNSUBSCRIBE packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    /// The packet identifier (never 0).
    pub packet_id: u16,
    /// The topic filters to drop, at least one.
    pub filters: Vec<String>,
    /// MQTT 5 user properties (UNSUBSCRIBE's only property); empty for 3.1.x.
    pub user_properties: UserProperties,
}

/// An UNSUBACK packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubAck {
    /// The packet identifier of the UNSUBSCRIBE.
    pub packet_id: u16,
    /// MQTT 5: one reason code per filter. Not written for (and empty from) 3.1.x.
    pub reason_codes: Vec<u8>,
    /// MQTT 5 properties; empty for 3.1.x.
    pub properties: AckProperties,
}

/// UNSUBSCRIBE's property set: user properties only (§3.10.2.1).
#[derive(Debug, Default)]
struct UnsubscribeProperties(UserProperties);

impl PropertySet for UnsubscribeProperties {
    fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError> {
        match property {
            Property::User(k, v) => {
                self.0.push((k, v));
                Ok(())
            }
            other => Err(other.not_allowed(context)),
        }
    }

    fn write_entries<S: Sink>(&self, s: &mut S) {
        properties::put_user(s, &self.0);
    }
}

impl Unsubscribe {
    /// Decodes an UNSUBSCRIBE body.
    pub(crate) fn decode(r: &mut Reader, v: ProtocolVersion) -> Result<Unsubscribe, DecodeError> {
        let packet_id = nonzero_packet_id(r, "UNSUBSCRIBE")?;
        let user_properties = if v.is_v5() {
            properties::read::<UnsubscribeProperties>(r, "UNSUBSCRIBE")?.0
        } else {
            UserProperties::new()
        };
        let mut filters = Vec::new();
        while !r.is_empty() {
            filters.push(r.string("topic filter")?);
        }
        if filters.is_empty() {
            return Err(protocol("UNSUBSCRIBE without topic filters"));
        }
        Ok(Unsubscribe {
            packet_id,
            filters,
            user_properties,
        })
    }

    /// Writes the body for a peer speaking `v`.
    pub(crate) fn write<S: Sink>(&self, v: ProtocolVersion, s: &mut S) {
        put_u16(s, self.packet_id);
        if v.is_v5() {
            let len = measure(|c| properties::put_user(c, &self.user_properties));
            put_vbi(s, len);
            properties::put_user(s, &self.user_properties);
        }
        for filter in &self.filters {
            put_string(s, filter);
        }
    }
}

/// Whether `code` is an UNSUBACK reason code (§3.11.3).
fn valid_unsuback_code(code: u8) -> bool {
    matches!(code, 0x00 | 0x11 | 0x80 | 0x83 | 0x87 | 0x8F | 0x91)
}

impl UnsubAck {
    /// Decodes an UNSUBACK body (only the packet identifier in 3.1.x).
    pub(crate) fn decode(r: &mut Reader, v: ProtocolVersion) -> Result<UnsubAck, DecodeError> {
        let packet_id = r.u16("packet identifier")?;
        if !v.is_v5() {
            let properties = AckProperties::default();
            return Ok(UnsubAck {
                packet_id,
                reason_codes: Vec::new(),
                properties,
            });
        }
        let properties = properties::read(r, "UNSUBACK")?;
        let reason_codes = r.rest().to_vec();
        if reason_codes.is_empty() {
            return Err(protocol("UNSUBACK without reason codes"));
        }
        if let Some(code) = reason_codes.iter().find(|&&c| !valid_unsuback_code(c)) {
            return Err(protocol(format!(
                "0x{code:02X} is not an UNSUBACK reason code"
            )));
        }
        Ok(UnsubAck {
            packet_id,
            reason_codes,
            properties,
        })
    }

    /// Writes the body for a peer speaking `v`.
    pub(crate) fn write<S: Sink>(&self, v: ProtocolVersion, s: &mut S) {
        put_u16(s, self.packet_id);
        if v.is_v5() {
            properties::write(&self.properties, s);
            s.put(&self.reason_codes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::Packet;
    use super::*;

    #[test]
    fn v311_unsubscribe_and_unsuback_byte_for_byte() {
        let wire = [0xA2, 0x07, 0x00, 0x0B, 0x00, 0x03, b'a', b'/', b'b'];
        let expected = Packet::Unsubscribe(Unsubscribe {
            packet_id: 11,
            filters: vec!["a/b".into()],
            user_properties: Vec::new(),
        });
        assert_eq!(decode_one(&wire, Some(V311)), Ok(expected.clone()));
        assert_eq!(encoded(&expected, V311), wire);
        let ack = Packet::UnsubAck(unsuback(V311));
        assert_eq!(
            decode_one(&[0xB0, 0x02, 0x00, 0x0B], Some(V311)),
            Ok(ack.clone())
        );
        // Reason codes and properties are not written for 3.1.1.
        assert_eq!(
            encoded(&Packet::UnsubAck(unsuback(V5)), V311),
            [0xB0, 0x02, 0x00, 0x0B]
        );
        assert_malformed(&[0xB0, 0x03, 0x00, 0x0B, 0x00], Some(V311));
    }

    #[test]
    fn unsubscribe_and_unsuback_round_trip() {
        for v in [V31, V311, V5] {
            round_trip(&Packet::Unsubscribe(unsubscribe(v)), v);
            round_trip(&Packet::UnsubAck(unsuback(v)), v);
        }
    }

    #[test]
    fn unsubscribe_needs_a_packet_identifier_and_filters() {
        assert_protocol(&[0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, b'a'], Some(V311));
        assert_protocol(&[0xA2, 0x02, 0x00, 0x01], Some(V311));
        assert_protocol(&[0xA2, 0x03, 0x00, 0x01, 0x00], Some(V5));
        assert_malformed(&[0xA2, 0x04, 0x00, 0x01, 0x00, 0x01], Some(V311)); // cut filter
        assert_malformed(&[0xA2, 0x05, 0x00, 0x01, 0x00, 0x01, 0xFF], Some(V311));
        // bad UTF-8
    }

    #[test]
    fn unsubscribe_takes_only_user_properties() {
        let with = |props: &[u8]| {
            frame(
                0xA2,
                &cat(&[b"\x00\x01", &[props.len() as u8], props, b"\x00\x01a"]),
            )
        };
        assert!(decode_one(&with(b"\x26\x00\x01k\x00\x01v"), Some(V5)).is_ok());
        assert_malformed(&with(b"\x0B\x01"), Some(V5)); // Subscription Identifier
        assert_malformed(&with(b"\x1F\x00\x01r"), Some(V5)); // Reason String
    }

    #[test]
    fn v5_unsuback_codes_are_checked() {
        assert_protocol(&[0xB0, 0x03, 0x00, 0x0B, 0x00], Some(V5)); // no codes
        assert_protocol(&[0xB0, 0x04, 0x00, 0x0B, 0x00, 0x10], Some(V5)); // PUBACK's code
        assert!(decode_one(&[0xB0, 0x05, 0x00, 0x0B, 0x00, 0x11, 0x8F], Some(V5)).is_ok());
        assert_malformed(&[0xB0, 0x02, 0x00, 0x0B], Some(V5)); // no property length
    }
}
