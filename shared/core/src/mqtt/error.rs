//! The one error type of the MQTT codec, and the reason code each error maps to.

use super::reason;

/// Why bytes did not decode into a packet.
///
/// Only [`DecodeError::Incomplete`] is not the peer's fault; every other variant ends the
/// connection (in MQTT 5 with a DISCONNECT or CONNACK carrying [`DecodeError::reason_code`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// More bytes are needed; not an error of the peer. The socket loop reads more and retries.
    #[error("incomplete packet: more bytes are needed")]
    Incomplete,

    /// The fixed header announced a packet larger than the limit; reported as soon as the
    /// remaining length is known, before its bytes arrive.
    #[error("packet of {size} bytes exceeds the maximum of {max} bytes")]
    PacketTooLarge {
        /// Size of the announced packet, fixed header included.
        size: usize,
        /// The limit it exceeds.
        max: usize,
    },

    /// Bytes that do not form a packet: bad remaining length, bad flags, bad UTF-8, truncated
    /// fields, unknown property, property not allowed in the packet, QoS 3, trailing bytes...
    #[error("malformed packet: {0}")]
    Malformed(String),

    /// A well-formed packet that breaks a protocol rule: duplicate property, packet
    /// identifier 0, empty SUBSCRIBE, a value out of its range...
    #[error("protocol error: {0}")]
    Protocol(String),

    /// A CONNECT with a protocol name or level this codec does not speak.
    ///
    /// Carries the level so the broker can answer with the right CONNACK.
    #[error("unsupported protocol level {level}")]
    UnsupportedProtocol {
        /// The protocol level byte of the CONNECT.
        level: u8,
    },
}

impl DecodeError {
    /// The MQTT 5 reason code to report this error with (in a DISCONNECT or CONNACK).
    pub fn reason_code(&self) -> u8 {
        match self {
            DecodeError::Incomplete | DecodeError::Malformed(_) => reason::MALFORMED_PACKET,
            DecodeError::PacketTooLarge { .. } => reason::PACKET_TOO_LARGE,
            DecodeError::Protocol(_) => reason::PROTOCOL_ERROR,
            DecodeError::UnsupportedProtocol { .. } => reason::UNSUPPORTED_PROTOCOL_VERSION,
        }
    }
}

/// Shorthand for a [`DecodeError::Malformed`].
pub(crate) fn malformed(message: impl Into<String>) -> DecodeError {
    DecodeError::Malformed(message.into())
}

/// Shorthand for a [`DecodeError::Protocol`].
pub(crate) fn protocol(message: impl Into<String>) -> DecodeError {
    DecodeError::Protocol(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_maps_to_its_reason_code() {
        assert_eq!(DecodeError::Incomplete.reason_code(), 0x81);
        let too_large = DecodeError::PacketTooLarge { size: 10, max: 5 };
        assert_eq!(too_large.reason_code(), 0x95);
        assert_eq!(malformed("x").reason_code(), 0x81);
        assert_eq!(protocol("x").reason_code(), 0x82);
        assert_eq!(
            DecodeError::UnsupportedProtocol { level: 6 }.reason_code(),
            0x84
        );
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let too_large = DecodeError::PacketTooLarge { size: 10, max: 5 };
        assert_eq!(
            too_large.to_string(),
            "packet of 10 bytes exceeds the maximum of 5 bytes"
        );
        assert_eq!(malformed("bad").to_string(), "malformed packet: bad");
    }
}
