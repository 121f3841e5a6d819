//! MQTT 5 properties (MQTT 5.0 §2.2.2): the identifiers, reading one property with its
//! value checks, and the [`PropertySet`] each packet's property struct implements.
//!
//! Which properties a packet allows is decided in one place, the packet's
//! [`PropertySet::apply`]: anything it does not take is "not allowed in this packet".

use bytes::Bytes;

use super::error::{malformed, protocol, DecodeError};
use super::read::Reader;
use super::write::{measure, put_binary, put_string, put_u16, put_u32, put_u8, put_vbi, Sink};
use super::UserProperties;

/// Property identifiers (MQTT 5.0 §2.2.2.2).
pub(crate) mod id {
    pub(crate) const PAYLOAD_FORMAT_INDICATOR: u8 = 0x01;
    pub(crate) const MESSAGE_EXPIRY_INTERVAL: u8 = 0x02;
    pub(crate) const CONTENT_TYPE: u8 = 0x03;
    pub(crate) const RESPONSE_TOPIC: u8 = 0x08;
    pub(crate) const CORRELATION_DATA: u8 = 0x09;
    pub(crate) const SUBSCRIPTION_IDENTIFIER: u8 = 0x0B;
    pub(crate) const SESSION_EXPIRY_INTERVAL: u8 = 0x11;
    pub(crate) const ASSIGNED_CLIENT_IDENTIFIER: u8 = 0x12;
    pub(crate) const SERVER_KEEP_ALIVE: u8 = 0x13;
    pub(crate) const AUTHENTICATION_METHOD: u8 = 0x15;
    pub(crate) const AUTHENTICATION_DATA: u8 = 0x16;
    pub(crate) const REQUEST_PROBLEM_INFORMATION: u8 = 0x17;
    pub(crate) const WILL_DELAY_INTERVAL: u8 = 0x18;
    pub(crate) const REQUEST_RESPONSE_INFORMATION: u8 = 0x19;
    pub(crate) const RESPONSE_INFORMATION: u8 = 0x1A;
    pub(crate) const SERVER_REFERENCE: u8 = 0x1C;
    pub(crate) const REASON_STRING: u8 = 0x1F;
    pub(crate) const RECEIVE_MAXIMUM: u8 = 0x21;
    pub(crate) const TOPIC_ALIAS_MAXIMUM: u8 = 0x22;
    pub(crate) const TOPIC_ALIAS: u8 = 0x23;
    pub(crate) const MAXIMUM_QOS: u8 = 0x24;
    pub(crate) const RETAIN_AVAILABLE: u8 = 0x25;
    pub(crate) const USER_PROPERTY: u8 = 0x26;
    pub(crate) const MAXIMUM_PACKET_SIZE: u8 = 0x27;
    pub(crate) const WILDCARD_SUBSCRIPTION_AVAILABLE: u8 = 0x28;
    pub(crate) const SUBSCRIPTION_IDENTIFIER_AVAILABLE: u8 = 0x29;
    pub(crate) const SHARED_SUBSCRIPTION_AVAILABLE: u8 = 0x2A;
}

/// One decoded property with a checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Property {
    PayloadFormatIndicator(u8),
    MessageExpiryInterval(u32),
    ContentType(String),
    ResponseTopic(String),
    CorrelationData(Bytes),
    SubscriptionIdentifier(u32),
    SessionExpiryInterval(u32),
    AssignedClientIdentifier(String),
    ServerKeepAlive(u16),
    AuthenticationMethod(String),
    AuthenticationData(Bytes),
    RequestProblemInformation(bool),
    WillDelayInterval(u32),
    RequestResponseInformation(bool),
    ResponseInformation(String),
    ServerReference(String),
    ReasonString(String),
    ReceiveMaximum(u16),
    TopicAliasMaximum(u16),
    TopicAlias(u16),
    MaximumQos(u8),
    RetainAvailable(bool),
    User(String, String),
    MaximumPacketSize(u32),
    WildcardSubscriptionAvailable(bool),
    SubscriptionIdentifierAvailable(bool),
    SharedSubscriptionAvailable(bool),
}

/// The spec's name of property `id`, or None for an identifier MQTT 5 does not define.
fn name_of(id: u32) -> Option<&'static str> {
    let Ok(id) = u8::try_from(id) else {
        return None;
    };
    Some(match id {
        id::PAYLOAD_FORMAT_INDICATOR => "Payload Format Indicator",
        id::MESSAGE_EXPIRY_INTERVAL => "Message Expiry Interval",
        id::CONTENT_TYPE => "Content Type",
        id::RESPONSE_TOPIC => "Response Topic",
        id::CORRELATION_DATA => "Correlation Data",
        id::SUBSCRIPTION_IDENTIFIER => "Subscription Identifier",
        id::SESSION_EXPIRY_INTERVAL => "Session Expiry Interval",
        id::ASSIGNED_CLIENT_IDENTIFIER => "Assigned Client Identifier",
        id::SERVER_KEEP_ALIVE => "Server Keep Alive",
        id::AUTHENTICATION_METHOD => "Authentication Method",
        id::AUTHENTICATION_DATA => "Authentication Data",
        id::REQUEST_PROBLEM_INFORMATION => "Request Problem Information",
        id::WILL_DELAY_INTERVAL => "Will Delay Interval",
        id::REQUEST_RESPONSE_INFORMATION => "Request Response Information",
        id::RESPONSE_INFORMATION => "Response Information",
        id::SERVER_REFERENCE => "Server Reference",
        id::REASON_STRING => "Reason String",
        id::RECEIVE_MAXIMUM => "Receive Maximum",
        id::TOPIC_ALIAS_MAXIMUM => "Topic Alias Maximum",
        id::TOPIC_ALIAS => "Topic Alias",
        id::MAXIMUM_QOS => "Maximum QoS",
        id::RETAIN_AVAILABLE => "Retain Available",
        id::USER_PROPERTY => "User Property",
        id::MAXIMUM_PACKET_SIZE => "Maximum Packet Size",
        id::WILDCARD_SUBSCRIPTION_AVAILABLE => "Wildcard Subscription Available",
        id::SUBSCRIPTION_IDENTIFIER_AVAILABLE => "Subscription Identifier Available",
        id::SHARED_SUBSCRIPTION_AVAILABLE => "Shared Subscription Available",
        _ => return None,
    })
}

/// A byte that must be 0 or 1 ([MQTT-3.1.2.11.6] and the like: other values are a
/// Protocol Error).
fn flag(r: &mut Reader, name: &str) -> Result<bool, DecodeError> {
    match r.u8(name)? {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(protocol(format!("{name} must be 0 or 1, not {v}"))),
    }
}

/// A value that must not be 0 (Receive Maximum, Maximum Packet Size, Subscription Identifier).
fn nonzero<T: Default + PartialEq>(v: T, name: &str) -> Result<T, DecodeError> {
    if v == T::default() {
        return Err(protocol(format!("{name} must not be 0")));
    }
    Ok(v)
}

impl Property {
    /// Reads one property: identifier, then a value of the identifier's type.
    pub(crate) fn read(r: &mut Reader) -> Result<Property, DecodeError> {
        let raw = r.vbi("property identifier")?;
        let name = name_of(raw)
            .ok_or_else(|| malformed(format!("unknown property identifier 0x{raw:02X}")))?;
        let id = u8::try_from(raw).unwrap_or_default();
        Ok(match id {
            id::PAYLOAD_FORMAT_INDICATOR => Property::PayloadFormatIndicator(r.u8(name)?),
            id::MESSAGE_EXPIRY_INTERVAL => Property::MessageExpiryInterval(r.u32(name)?),
            id::CONTENT_TYPE => Property::ContentType(r.string(name)?),
            id::RESPONSE_TOPIC => Property::ResponseTopic(r.string(name)?),
            id::CORRELATION_DATA => Property::CorrelationData(r.binary(name)?),
            id::SUBSCRIPTION_IDENTIFIER => {
                Property::SubscriptionIdentifier(nonzero(r.vbi(name)?, name)?)
            }
            id::SESSION_EXPIRY_INTERVAL => Property::SessionExpiryInterval(r.u32(name)?),
            id::ASSIGNED_CLIENT_IDENTIFIER => Property::AssignedClientIdentifier(r.string(name)?),
            id::SERVER_KEEP_ALIVE => Property::ServerKeepAlive(r.u16(name)?),
            id::AUTHENTICATION_METHOD => Property::AuthenticationMethod(r.string(name)?),
            id::AUTHENTICATION_DATA => Property::AuthenticationData(r.binary(name)?),
            id::REQUEST_PROBLEM_INFORMATION => Property::RequestProblemInformation(flag(r, name)?),
            id::WILL_DELAY_INTERVAL => Property::WillDelayInterval(r.u32(name)?),
            id::REQUEST_RESPONSE_INFORMATION => {
                Property::RequestResponseInformation(flag(r, name)?)
            }
            id::RESPONSE_INFORMATION => Property::ResponseInformation(r.string(name)?),
            id::SERVER_REFERENCE => Property::ServerReference(r.string(name)?),
            id::REASON_STRING => Property::ReasonString(r.string(name)?),
            id::RECEIVE_MAXIMUM => Property::ReceiveMaximum(nonzero(r.u16(name)?, name)?),
            id::TOPIC_ALIAS_MAXIMUM => Property::TopicAliasMaximum(r.u16(name)?),
            id::TOPIC_ALIAS => Property::TopicAlias(r.u16(name)?),
            id::MAXIMUM_QOS => Property::MaximumQos(u8::from(flag(r, name)?)),
            id::RETAIN_AVAILABLE => Property::RetainAvailable(flag(r, name)?),
            id::USER_PROPERTY => {
                let (key, value) = r.pair(name)?;
                Property::User(key, value)
            }
            id::MAXIMUM_PACKET_SIZE => Property::MaximumPacketSize(nonzero(r.u32(name)?, name)?),
            id::WILDCARD_SUBSCRIPTION_AVAILABLE => {
                Property::WildcardSubscriptionAvailable(flag(r, name)?)
            }
            id::SUBSCRIPTION_IDENTIFIER_AVAILABLE => {
                Property::SubscriptionIdentifierAvailable(flag(r, name)?)
            }
            _ => Property::SharedSubscriptionAvailable(flag(r, name)?),
        })
    }

    /// The property's identifier.
    fn id(&self) -> u8 {
        match self {
            Property::PayloadFormatIndicator(_) => id::PAYLOAD_FORMAT_INDICATOR,
            Property::MessageExpiryInterval(_) => id::MESSAGE_EXPIRY_INTERVAL,
            Property::ContentType(_) => id::CONTENT_TYPE,
            Property::ResponseTopic(_) => id::RESPONSE_TOPIC,
            Property::CorrelationData(_) => id::CORRELATION_DATA,
            Property::SubscriptionIdentifier(_) => id::SUBSCRIPTION_IDENTIFIER,
            Property::SessionExpiryInterval(_) => id::SESSION_EXPIRY_INTERVAL,
            Property::AssignedClientIdentifier(_) => id::ASSIGNED_CLIENT_IDENTIFIER,
            Property::ServerKeepAlive(_) => id::SERVER_KEEP_ALIVE,
            Property::AuthenticationMethod(_) => id::AUTHENTICATION_METHOD,
            Property::AuthenticationData(_) => id::AUTHENTICATION_DATA,
            Property::RequestProblemInformation(_) => id::REQUEST_PROBLEM_INFORMATION,
            Property::WillDelayInterval(_) => id::WILL_DELAY_INTERVAL,
            Property::RequestResponseInformation(_) => id::REQUEST_RESPONSE_INFORMATION,
            Property::ResponseInformation(_) => id::RESPONSE_INFORMATION,
            Property::ServerReference(_) => id::SERVER_REFERENCE,
            Property::ReasonString(_) => id::REASON_STRING,
            Property::ReceiveMaximum(_) => id::RECEIVE_MAXIMUM,
            Property::TopicAliasMaximum(_) => id::TOPIC_ALIAS_MAXIMUM,
            Property::TopicAlias(_) => id::TOPIC_ALIAS,
            Property::MaximumQos(_) => id::MAXIMUM_QOS,
            Property::RetainAvailable(_) => id::RETAIN_AVAILABLE,
            Property::User(..) => id::USER_PROPERTY,
            Property::MaximumPacketSize(_) => id::MAXIMUM_PACKET_SIZE,
            Property::WildcardSubscriptionAvailable(_) => id::WILDCARD_SUBSCRIPTION_AVAILABLE,
            Property::SubscriptionIdentifierAvailable(_) => id::SUBSCRIPTION_IDENTIFIER_AVAILABLE,
            Property::SharedSubscriptionAvailable(_) => id::SHARED_SUBSCRIPTION_AVAILABLE,
        }
    }

    /// The spec's name of the property, for error messages.
    pub(crate) fn name(&self) -> &'static str {
        name_of(u32::from(self.id())).unwrap_or("property")
    }

    /// The error for a property that `context` does not allow.
    pub(crate) fn not_allowed(&self, context: &str) -> DecodeError {
        malformed(format!(
            "{} (0x{:02X}) is not allowed in {context}",
            self.name(),
            self.id()
        ))
    }
}

/// Stores `v` in a property that may appear at most once.
pub(crate) fn once<T>(slot: &mut Option<T>, v: T, name: &str) -> Result<(), DecodeError> {
    if slot.is_some() {
        return Err(protocol(format!("{name} appears more than once")));
    }
    *slot = Some(v);
    Ok(())
}

/// A packet's (or the Will's) property struct.
pub(crate) trait PropertySet: Default {
    /// Takes one property, or refuses it: not allowed here (malformed), or twice (protocol).
    fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError>;

    /// Checks between properties, run after the last one (e.g. data without a method).
    fn check(&self) -> Result<(), DecodeError> {
        Ok(())
    }

    /// Writes every property that is set, without the property length.
    fn write_entries<S: Sink>(&self, s: &mut S);
}

/// Reads a properties block (length, then properties) for the packet named `context`.
pub(crate) fn read<P: PropertySet>(r: &mut Reader, context: &str) -> Result<P, DecodeError> {
    let len = r.vbi("property length")?;
    let mut block = r.sub(usize::try_from(len).unwrap_or(usize::MAX), "properties")?;
    let mut set = P::default();
    while !block.is_empty() {
        let property = Property::read(&mut block)?;
        set.apply(property, context)?;
    }
    set.check()?;
    Ok(set)
}

/// Writes a properties block: the property length, then the properties.
pub(crate) fn write<P: PropertySet, S: Sink>(set: &P, s: &mut S) {
    put_vbi(s, measure(|c| set.write_entries(c)));
    set.write_entries(s);
}

/// Whether writing `set` would write no property at all.
pub(crate) fn is_empty<P: PropertySet>(set: &P) -> bool {
    measure(|c| set.write_entries(c)) == 0
}

/// Writes a byte property when set.
pub(crate) fn put_byte<S: Sink>(s: &mut S, id: u8, v: Option<u8>) {
    if let Some(v) = v {
        put_u8(s, id);
        put_u8(s, v);
    }
}

/// Writes a 0/1 byte property when set.
pub(crate) fn put_flag<S: Sink>(s: &mut S, id: u8, v: Option<bool>) {
    put_byte(s, id, v.map(u8::from));
}

/// Writes a two byte integer property when set.
pub(crate) fn put_two<S: Sink>(s: &mut S, id: u8, v: Option<u16>) {
    if let Some(v) = v {
        put_u8(s, id);
        put_u16(s, v);
    }
}

/// Writes a four byte integer property when set.
pub(crate) fn put_four<S: Sink>(s: &mut S, id: u8, v: Option<u32>) {
    if let Some(v) = v {
        put_u8(s, id);
        put_u32(s, v);
    }
}

/// Writes a variable byte integer property.
pub(crate) fn put_variable<S: Sink>(s: &mut S, id: u8, v: u32) {
    put_u8(s, id);
    put_vbi(s, usize::try_from(v).unwrap_or(usize::MAX));
}

/// Writes a UTF-8 string property when set.
pub(crate) fn put_text<S: Sink>(s: &mut S, id: u8, v: Option<&str>) {
    if let Some(v) = v {
        put_u8(s, id);
        put_string(s, v);
    }
}

/// Writes a binary data property when set.
pub(crate) fn put_data<S: Sink>(s: &mut S, id: u8, v: Option<&[u8]>) {
    if let Some(v) = v {
        put_u8(s, id);
        put_binary(s, v);
    }
}

/// Writes every user property, in order.
pub(crate) fn put_user<S: Sink>(s: &mut S, v: &UserProperties) {
    for (key, value) in v {
        put_u8(s, id::USER_PROPERTY);
        put_string(s, key);
        put_string(s, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Result<Property, DecodeError> {
        Property::read(&mut Reader::new(Bytes::copy_from_slice(bytes)))
    }

    #[test]
    fn every_identifier_has_a_name_and_reads_back() {
        let cases: [(&[u8], Property); 6] = [
            (&[0x01, 0x01], Property::PayloadFormatIndicator(1)),
            (&[0x0B, 0x80, 0x01], Property::SubscriptionIdentifier(128)),
            (&[0x13, 0x00, 0x3C], Property::ServerKeepAlive(60)),
            (&[0x24, 0x00], Property::MaximumQos(0)),
            (
                &[0x26, 0, 1, b'k', 0, 1, b'v'],
                Property::User("k".into(), "v".into()),
            ),
            (&[0x2A, 0x01], Property::SharedSubscriptionAvailable(true)),
        ];
        for (bytes, expected) in cases {
            assert_eq!(one(bytes), Ok(expected.clone()));
            assert_eq!(name_of(u32::from(expected.id())), Some(expected.name()));
        }
    }

    #[test]
    fn unknown_identifiers_are_malformed() {
        for bytes in [
            &[0x00, 0x00][..],
            &[0x04, 0x00],
            &[0x2B, 0x00],
            &[0x80, 0x01, 0x00],
        ] {
            assert!(
                matches!(one(bytes), Err(DecodeError::Malformed(_))),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn out_of_range_values_are_protocol_errors() {
        for bytes in [
            &[0x0B, 0x00][..],               // Subscription Identifier 0
            &[0x21, 0x00, 0x00],             // Receive Maximum 0
            &[0x27, 0x00, 0x00, 0x00, 0x00], // Maximum Packet Size 0
            &[0x24, 0x02],                   // Maximum QoS 2
            &[0x17, 0x02],                   // Request Problem Information 2
            &[0x25, 0xFF],                   // Retain Available 255
        ] {
            assert!(
                matches!(one(bytes), Err(DecodeError::Protocol(_))),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn truncated_values_are_malformed() {
        for bytes in [
            &[0x02, 0x00, 0x00][..],
            &[0x03, 0x00, 0x05, b'a'],
            &[0x0B, 0x80],
        ] {
            assert!(
                matches!(one(bytes), Err(DecodeError::Malformed(_))),
                "{bytes:?}"
            );
        }
    }

    #[derive(Default)]
    struct OnlyReasonString(Option<String>);

    impl PropertySet for OnlyReasonString {
        fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError> {
            let name = property.name();
            match property {
                Property::ReasonString(v) => once(&mut self.0, v, name),
                other => Err(other.not_allowed(context)),
            }
        }
        fn write_entries<S: Sink>(&self, s: &mut S) {
            put_text(s, id::REASON_STRING, self.0.as_deref());
        }
    }

    fn block(bytes: &[u8]) -> Result<OnlyReasonString, DecodeError> {
        read(&mut Reader::new(Bytes::copy_from_slice(bytes)), "TEST")
    }

    #[test]
    fn blocks_check_length_duplicates_and_allowed_properties() {
        let ok = block(&[0x04, 0x1F, 0x00, 0x01, b'x']).map(|s| s.0);
        assert_eq!(ok, Ok(Some("x".to_owned())));
        let twice = block(&[0x08, 0x1F, 0x00, 0x01, b'x', 0x1F, 0x00, 0x01, b'y']);
        assert!(matches!(twice, Err(DecodeError::Protocol(_))));
        let not_allowed = block(&[0x03, 0x23, 0x00, 0x01]).err();
        let expected = malformed("Topic Alias (0x23) is not allowed in TEST");
        assert_eq!(not_allowed, Some(expected));
        // The property length claims more bytes than the packet has.
        let long = block(&[0x05, 0x1F, 0x00, 0x01, b'x']);
        assert!(matches!(long, Err(DecodeError::Malformed(_))));
        // A property that runs past the end of its block, though the packet goes on.
        let mut r = Reader::new(Bytes::from_static(&[0x02, 0x1F, 0x00, 0x01, b'x']));
        let cut = read::<OnlyReasonString>(&mut r, "TEST");
        assert!(matches!(cut, Err(DecodeError::Malformed(_))));
    }

    #[test]
    fn writing_a_block_puts_its_length_first() {
        let mut out = bytes::BytesMut::new();
        write(&OnlyReasonString(Some("ab".into())), &mut out);
        assert_eq!(&out[..], &[0x05, 0x1F, 0x00, 0x02, b'a', b'b']);
        assert!(is_empty(&OnlyReasonString(None)));
    }
}
