//! DISCONNECT (MQTT 5.0 §3.14, 3.1.1 §3.14) and AUTH (MQTT 5.0 §3.15): a reason code and
//! properties, both omissible when the reason is 0 and there are no properties.

use bytes::Bytes;

use super::error::{protocol, DecodeError};
use super::properties::{self, id, once, Property, PropertySet};
use super::read::Reader;
use super::write::{put_u8, Sink};
use super::{ProtocolVersion, UserProperties};

/// A DISCONNECT packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disconnect {
    /// MQTT 5 reason code; 0 (Normal disconnection) for 3.1.x.
    pub reason_code: u8,
    /// MQTT 5 properties; empty for 3.1.x.
    pub properties: DisconnectProperties,
}

/// MQTT 5 DISCONNECT properties (§3.14.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DisconnectProperties {
    /// New session expiry, sent by the client.
    pub session_expiry_interval: Option<u32>,
    /// Human-readable diagnostics.
    pub reason_string: Option<String>,
    /// User properties.
    pub user_properties: UserProperties,
    /// Another server the client should use.
    pub server_reference: Option<String>,
}

impl PropertySet for DisconnectProperties {
    fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError> {
        let name = property.name();
        match property {
            Property::SessionExpiryInterval(v) => once(&mut self.session_expiry_interval, v, name),
            Property::ReasonString(v) => once(&mut self.reason_string, v, name),
            Property::User(k, v) => {
                self.user_properties.push((k, v));
                Ok(())
            }
            Property::ServerReference(v) => once(&mut self.server_reference, v, name),
            other => Err(other.not_allowed(context)),
        }
    }

    fn write_entries<S: Sink>(&self, s: &mut S) {
        properties::put_four(s, id::SESSION_EXPIRY_INTERVAL, self.session_expiry_interval);
        properties::put_text(s, id::REASON_STRING, self.reason_string.as_deref());
        properties::put_user(s, &self.user_properties);
        properties::put_text(s, id::SERVER_REFERENCE, self.server_reference.as_deref());
    }
}

/// An AUTH packet (MQTT 5 only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// Success (0x00), Continue authentication (0x18) or Re-authenticate (0x19).
    pub reason_code: u8,
    /// AUTH properties.
    pub properties: AuthProperties,
}

/// AUTH properties (§3.15.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthProperties {
    /// The extended authentication method.
    pub authentication_method: Option<String>,
    /// Authentication data of the method.
    pub authentication_data: Option<Bytes>,
    /// Human-readable diagnostics.
    pub reason_string: Option<String>,
    /// User properties.
    pub user_properties: UserProperties,
}

impl PropertySet for AuthProperties {
    fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError> {
        let name = property.name();
        match property {
            Property::AuthenticationMethod(v) => once(&mut self.authentication_method, v, name),
            Property::AuthenticationData(v) => once(&mut self.authentication_data, v, name),
            Property::ReasonString(v) => once(&mut self.reason_string, v, name),
            Property::User(k, v) => {
                self.user_properties.push((k, v));
                Ok(())
            }
            other => Err(other.not_allowed(context)),
        }
    }

    fn write_entries<S: Sink>(&self, s: &mut S) {
        let method = self.authentication_method.as_deref();
        properties::put_text(s, id::AUTHENTICATION_METHOD, method);
        let data = self.authentication_data.as_deref();
        properties::put_data(s, id::AUTHENTICATION_DATA, data);
        properties::put_text(s, id::REASON_STRING, self.reason_string.as_deref());
        properties::put_user(s, &self.user_properties);
    }
}

/// Whether `code` is a DISCONNECT reason code (§3.14.2.1).
fn valid_disconnect_reason(code: u8) -> bool {
    matches!(code, 0x00 | 0x04 | 0x80..=0x83 | 0x87 | 0x89 | 0x8B | 0x8D..=0x90 | 0x93..=0xA2)
}

/// Reads the optional reason code and properties shared by DISCONNECT and AUTH.
fn read_reason_and_properties<P: PropertySet>(
    r: &mut Reader,
    name: &str,
    valid: fn(u8) -> bool,
) -> Result<(u8, P), DecodeError> {
    if r.is_empty() {
        return Ok((0, P::default()));
    }
    let code = r.u8("reason code")?;
    if !valid(code) {
        return Err(protocol(format!(
            "0x{code:02X} is not a {name} reason code"
        )));
    }
    // "If the Remaining Length is less than 2, a value of 0 is used" (§3.14.2.2.1).
    let properties = if r.is_empty() {
        P::default()
    } else {
        properties::read(r, name)?
    };
    Ok((code, properties))
}

impl Disconnect {
    /// Decodes a DISCONNECT body (empty in 3.1.x).
    pub(crate) fn decode(r: &mut Reader, v: ProtocolVersion) -> Result<Disconnect, DecodeError> {
        if !v.is_v5() {
            return Ok(Disconnect {
                reason_code: 0,
                properties: DisconnectProperties::default(),
            });
        }
        let (reason_code, properties) =
            read_reason_and_properties(r, "DISCONNECT", valid_disconnect_reason)?;
        Ok(Disconnect {
            reason_code,
            properties,
        })
    }

    /// Writes the body for a peer speaking `v`, in the shortest form allowed.
    pub(crate) fn write<S: Sink>(&self, v: ProtocolVersion, s: &mut S) {
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

impl Auth {
    /// Decodes an AUTH body.
    pub(crate) fn decode(r: &mut Reader) -> Result<Auth, DecodeError> {
        let valid = |code| matches!(code, 0x00 | 0x18 | 0x19);
        let (reason_code, properties) = read_reason_and_properties(r, "AUTH", valid)?;
        Ok(Auth {
            reason_code,
            properties,
        })
    }

    /// Writes the body: empty for Success without properties, else reason code and
    /// properties (the spec only lets both be left out together, §3.15.2.1).
    pub(crate) fn write<S: Sink>(&self, s: &mut S) {
        if self.reason_code == 0 && properties::is_empty(&self.properties) {
            return;
        }
        put_u8(s, self.reason_code);
        properties::write(&self.properties, s);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{reason, Packet};
    use super::*;

    fn plain(reason_code: u8) -> Packet {
        Packet::Disconnect(Disconnect {
            reason_code,
            properties: Default::default(),
        })
    }

    #[test]
    fn disconnect_forms_byte_for_byte() {
        assert_eq!(decode_one(&[0xE0, 0x00], Some(V311)), Ok(plain(0)));
        assert_malformed(&[0xE0, 0x01, 0x00], Some(V311));
        assert_eq!(
            encoded(&Packet::Disconnect(disconnect(V5)), V311),
            [0xE0, 0x00]
        );
        assert_eq!(decode_one(&[0xE0, 0x00], Some(V5)), Ok(plain(0)));
        assert_eq!(encoded(&plain(0), V5), [0xE0, 0x00]);
        let with_will = plain(reason::DISCONNECT_WITH_WILL);
        assert_eq!(
            decode_one(&[0xE0, 0x01, 0x04], Some(V5)),
            Ok(with_will.clone())
        );
        assert_eq!(
            decode_one(&[0xE0, 0x02, 0x04, 0x00], Some(V5)),
            Ok(with_will.clone())
        );
        assert_eq!(encoded(&with_will, V5), [0xE0, 0x01, 0x04]);
    }

    #[test]
    fn disconnect_and_auth_round_trip() {
        for v in [V31, V311, V5] {
            round_trip(&Packet::Disconnect(disconnect(v)), v);
        }
        round_trip(&Packet::Auth(auth()), V5);
        let props_only = DisconnectProperties {
            reason_string: Some("bye".into()),
            ..Default::default()
        };
        round_trip(
            &Packet::Disconnect(Disconnect {
                reason_code: 0,
                properties: props_only,
            }),
            V5,
        );
    }

    #[test]
    fn disconnect_reason_codes_and_properties_are_checked() {
        assert_protocol(&[0xE0, 0x01, 0x01], Some(V5));
        assert_protocol(&[0xE0, 0x01, 0x10], Some(V5));
        assert!(decode_one(&[0xE0, 0x01, reason::SESSION_TAKEN_OVER], Some(V5)).is_ok());
        let with = |props: &[u8]| frame(0xE0, &cat(&[&[0x00, props.len() as u8], props]));
        assert!(decode_one(&with(b"\x1C\x00\x01s"), Some(V5)).is_ok());
        assert_protocol(&with(b"\x1C\x00\x01s\x1C\x00\x01t"), Some(V5));
        assert_malformed(&with(b"\x13\x00\x01"), Some(V5)); // Server Keep Alive
        assert_malformed(&frame(0xE0, &[0x00, 0x00, 0x00]), Some(V5)); // trailing
    }

    #[test]
    fn auth_forms_and_checks() {
        let empty = Packet::Auth(Auth {
            reason_code: 0,
            properties: AuthProperties::default(),
        });
        assert_eq!(encoded(&empty, V5), [0xF0, 0x00]);
        let again = Auth {
            reason_code: reason::RE_AUTHENTICATE,
            properties: Default::default(),
        };
        assert_eq!(
            encoded(&Packet::Auth(again.clone()), V5),
            [0xF0, 0x02, 0x19, 0x00]
        );
        // A reason code without a property length is accepted, like mosquitto does.
        assert_eq!(
            decode_one(&[0xF0, 0x01, 0x19], Some(V5)),
            Ok(Packet::Auth(again))
        );
        assert_protocol(&[0xF0, 0x02, 0x01, 0x00], Some(V5));
        let with = |props: &[u8]| frame(0xF0, &cat(&[&[0x18, props.len() as u8], props]));
        assert_protocol(&with(b"\x15\x00\x01m\x15\x00\x01m"), Some(V5));
        assert_malformed(&with(b"\x11\x00\x00\x00\x01"), Some(V5)); // Session Expiry
    }
}
