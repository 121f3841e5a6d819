//! # MQTT packets: bytes ↔ [`Packet`], for MQTT 3.1, 3.1.1 and 5.0
//!
//! The codec is pure: it never touches a socket. The broker's connection loop hands
//! [`decode`] the bytes it has; [`DecodeError::Incomplete`] means "read more and retry",
//! every other error ends the connection (MQTT 5 peers first get [`DecodeError::reason_code`]).
//! Outgoing packets go through [`encode`], sized beforehand with [`encoded_len`] when the
//! client set a Maximum Packet Size. A tour, in the order a packet's bytes are met:
//!
//! - `mod.rs` (here): the packet types shared by all versions, the fixed header (type, flags,
//!   remaining length) and the three entry points.
//! - `error`: [`DecodeError`], the one error type, and its reason codes.
//! - `read` / `write`: MQTT's data representations (integers, variable byte integers,
//!   UTF-8 strings, binary data). Encoders write into a sink that either appends to a buffer
//!   or counts, so [`encoded_len`] and [`encode`] cannot disagree.
//! - `properties`: MQTT 5 properties; each packet's property struct says which it takes.
//! - One file per packet family: `connect` (CONNECT), `will` (its Will), `connack`, `publish`,
//!   `ack` (PUBACK, PUBREC, PUBREL, PUBCOMP), `subscribe` (SUBSCRIBE, SUBACK),
//!   `unsubscribe` (UNSUBSCRIBE, UNSUBACK), `disconnect` (DISCONNECT, AUTH).
//! - [`reason`] and [`connack_v3`]: the reason and return codes, by their spec names.
//!
//! One set of types serves every version: MQTT 5 fields are empty or default when talking
//! 3.1.1, and [`encode`] leaves them out for a 3.1.1 peer. Decoding copies the packet's body
//! once into a [`Bytes`]; payloads, passwords and binary properties are slices of it.
//!
//! What the codec does not decide: topic name and filter syntax (wildcards, `$share`), topic
//! alias values, client identifier rules, a second CONNECT, which direction a packet may
//! travel. Those are the broker's, with the reason codes the spec gives them.

#![warn(missing_docs)]

mod ack;
mod connack;
mod connect;
mod disconnect;
mod error;
mod properties;
mod publish;
mod read;
pub mod reason;
mod subscribe;
mod unsubscribe;
mod will;
mod write;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

pub use bytes::Bytes;
use bytes::BytesMut;

pub use ack::{AckProperties, PubAck};
pub use connack::{ConnAck, ConnAckProperties};
pub use connect::{Connect, ConnectProperties};
pub use disconnect::{Auth, AuthProperties, Disconnect, DisconnectProperties};
pub use error::DecodeError;
pub use publish::{Publish, PublishProperties};
pub use subscribe::{SubAck, Subscribe, SubscribeFilter, SubscribeProperties, SubscriptionOptions};
pub use unsubscribe::{UnsubAck, Unsubscribe};
pub use will::{Will, WillProperties};

use ack::AckKind;
use error::{malformed, protocol};
use read::{variable_byte_integer, Reader, Vbi};
use write::{measure, put_u8, put_vbi, vbi_len, Sink};

/// The largest remaining length MQTT can express (256 MB); a packet's body never exceeds it.
pub const MAX_REMAINING_LENGTH: usize = read::MAX_VARIABLE_BYTE_INTEGER as usize;

/// Quality of service of a message or a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum QoS {
    /// QoS 0: delivered at most once, never acknowledged.
    #[default]
    AtMostOnce = 0,
    /// QoS 1: delivered at least once (PUBLISH, PUBACK).
    AtLeastOnce = 1,
    /// QoS 2: delivered exactly once (PUBLISH, PUBREC, PUBREL, PUBCOMP).
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS with wire value `v`, or None for 3 and above.
    pub fn from_u8(v: u8) -> Option<QoS> {
        match v {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }

    /// The wire value (0, 1 or 2).
    pub fn as_u8(self) -> u8 {
        self as u8
    }
}

/// The protocol a client connected with; it decides the wire format of every later packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolVersion {
    /// MQTT 3.1, protocol name "MQIsdp", level 3; handled exactly like 3.1.1.
    V31,
    /// MQTT 3.1.1, protocol name "MQTT", level 4.
    V311,
    /// MQTT 5.0, protocol name "MQTT", level 5.
    V5,
}

impl ProtocolVersion {
    /// Whether this is MQTT 5 (properties, reason codes, AUTH).
    pub fn is_v5(self) -> bool {
        self == ProtocolVersion::V5
    }

    /// The protocol level byte of a CONNECT (3, 4 or 5).
    pub fn level(self) -> u8 {
        match self {
            ProtocolVersion::V31 => 3,
            ProtocolVersion::V311 => 4,
            ProtocolVersion::V5 => 5,
        }
    }
}

/// User properties: ordered, duplicates allowed.
pub type UserProperties = Vec<(String, String)>;

/// One MQTT control packet, whatever the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// CONNECT: a client opens a session.
    Connect(Box<Connect>),
    /// CONNACK: the server's answer to CONNECT.
    ConnAck(ConnAck),
    /// PUBLISH: an application message.
    Publish(Publish),
    /// PUBACK: acknowledges a QoS 1 PUBLISH.
    PubAck(PubAck),
    /// PUBREC: first answer to a QoS 2 PUBLISH.
    PubRec(PubAck),
    /// PUBREL: releases a QoS 2 message after PUBREC.
    PubRel(PubAck),
    /// PUBCOMP: completes a QoS 2 exchange.
    PubComp(PubAck),
    /// SUBSCRIBE: a client asks for topic filters.
    Subscribe(Subscribe),
    /// SUBACK: one result per requested filter.
    SubAck(SubAck),
    /// UNSUBSCRIBE: a client drops topic filters.
    Unsubscribe(Unsubscribe),
    /// UNSUBACK: answers UNSUBSCRIBE.
    UnsubAck(UnsubAck),
    /// PINGREQ: keep-alive probe from the client.
    PingReq,
    /// PINGRESP: the server's answer to PINGREQ.
    PingResp,
    /// DISCONNECT: either side closes (only the client in 3.1.1).
    Disconnect(Disconnect),
    /// AUTH: extended authentication exchange (MQTT 5 only).
    Auth(Auth),
}

/// MQTT 3.1.1 CONNACK return codes (MQTT 3.1.1 §3.2.2.3).
pub mod connack_v3 {
    /// Connection accepted.
    pub const ACCEPTED: u8 = 0;
    /// The server does not support the level of the MQTT protocol requested.
    pub const UNACCEPTABLE_PROTOCOL_VERSION: u8 = 1;
    /// The client identifier is well-formed UTF-8 but not allowed by the server.
    pub const IDENTIFIER_REJECTED: u8 = 2;
    /// The network connection is up but the MQTT service is unavailable.
    pub const SERVER_UNAVAILABLE: u8 = 3;
    /// The user name or password is malformed.
    pub const BAD_USERNAME_OR_PASSWORD: u8 = 4;
    /// The client is not authorized to connect.
    pub const NOT_AUTHORIZED: u8 = 5;
}

// Control packet types (MQTT 5.0 §2.1.2).
const CONNECT: u8 = 1;
const CONNACK: u8 = 2;
const PUBLISH: u8 = 3;
const PUBACK: u8 = 4;
const PUBREC: u8 = 5;
const PUBREL: u8 = 6;
const PUBCOMP: u8 = 7;
const SUBSCRIBE: u8 = 8;
const SUBACK: u8 = 9;
const UNSUBSCRIBE: u8 = 10;
const UNSUBACK: u8 = 11;
const PINGREQ: u8 = 12;
const PINGRESP: u8 = 13;
const DISCONNECT: u8 = 14;
const AUTH: u8 = 15;

/// Checks the first byte of a packet (type and flags), as soon as it arrives.
fn check_first_byte(byte: u8, version: Option<ProtocolVersion>) -> Result<(), DecodeError> {
    let kind = byte >> 4;
    let flags = byte & 0x0F;
    if kind == 0 {
        return Err(malformed("packet type 0 is reserved"));
    }
    let Some(version) = version else {
        if kind == CONNECT {
            return check_flags(kind, flags, 0);
        }
        return Err(protocol(format!("packet type {kind} before CONNECT")));
    };
    match kind {
        PUBLISH => {
            if flags & 0x06 == 0x06 {
                return Err(malformed("PUBLISH with QoS 3"));
            }
            if flags & 0x08 != 0 && flags & 0x06 == 0 {
                return Err(malformed("PUBLISH with DUP set and QoS 0"));
            }
            Ok(())
        }
        PUBREL | SUBSCRIBE | UNSUBSCRIBE => check_flags(kind, flags, 0b0010),
        AUTH if !version.is_v5() => Err(malformed("packet type 15 is reserved before MQTT 5")),
        _ => check_flags(kind, flags, 0),
    }
}

/// Fixed header flags other than PUBLISH's are fixed per packet type ([MQTT-2.1.3-1]).
fn check_flags(kind: u8, flags: u8, expected: u8) -> Result<(), DecodeError> {
    if flags != expected {
        return Err(malformed(format!(
            "fixed header flags 0x{flags:X} for packet type {kind} (must be 0x{expected:X})"
        )));
    }
    Ok(())
}

/// Decodes one packet from the front of `buf`. Returns the packet and how many bytes it used.
///
/// `version` is None before CONNECT: then only a CONNECT is acceptable. `max_packet_size`
/// bounds the whole packet, fixed header included. Bytes after the packet are left alone, so
/// several packets in one buffer decode one after another.
///
/// # Errors
///
/// [`DecodeError::Incomplete`] when `buf` holds only part of a packet (read more and call
/// again); [`DecodeError::PacketTooLarge`] as soon as the fixed header announces more than
/// `max_packet_size`; otherwise the variant saying what is wrong with the packet.
pub fn decode(
    buf: &[u8],
    version: Option<ProtocolVersion>,
    max_packet_size: usize,
) -> Result<(Packet, usize), DecodeError> {
    let Some((&first, after_first)) = buf.split_first() else {
        return Err(DecodeError::Incomplete);
    };
    check_first_byte(first, version)?;
    let (remaining, len_bytes, minimal) = match variable_byte_integer(after_first) {
        Vbi::Value {
            value,
            len,
            minimal,
        } => (value as usize, len, minimal),
        Vbi::Short => return Err(DecodeError::Incomplete),
        Vbi::TooLong => return Err(malformed("remaining length is longer than four bytes")),
    };
    let size = 1 + len_bytes + remaining;
    if size > max_packet_size {
        return Err(DecodeError::PacketTooLarge {
            size,
            max: max_packet_size,
        });
    }
    let Some(body) = buf.get(1 + len_bytes..size) else {
        return Err(DecodeError::Incomplete);
    };
    let mut r = Reader::new(Bytes::copy_from_slice(body));
    let kind = first >> 4;
    let packet = match version {
        None => Packet::Connect(Box::new(Connect::decode(&mut r)?)),
        Some(v) => decode_body(kind, first & 0x0F, v, &mut r)?,
    };
    if !r.is_empty() {
        return Err(malformed(format!(
            "{} unexpected bytes after the fields of packet type {kind}",
            r.remaining()
        )));
    }
    let effective = match &packet {
        Packet::Connect(c) => c.protocol,
        _ => version.unwrap_or(ProtocolVersion::V5),
    };
    if !minimal && effective.is_v5() {
        return Err(malformed("remaining length is not minimally encoded"));
    }
    Ok((packet, size))
}

/// Decodes the body of a packet of type `kind` (already checked by `check_first_byte`).
fn decode_body(
    kind: u8,
    flags: u8,
    v: ProtocolVersion,
    r: &mut Reader,
) -> Result<Packet, DecodeError> {
    Ok(match kind {
        CONNECT => Packet::Connect(Box::new(Connect::decode(r)?)),
        CONNACK => Packet::ConnAck(ConnAck::decode(r, v)?),
        PUBLISH => Packet::Publish(Publish::decode(r, flags, v)?),
        PUBACK => Packet::PubAck(PubAck::decode(r, v, AckKind::PubAck)?),
        PUBREC => Packet::PubRec(PubAck::decode(r, v, AckKind::PubRec)?),
        PUBREL => Packet::PubRel(PubAck::decode(r, v, AckKind::PubRel)?),
        PUBCOMP => Packet::PubComp(PubAck::decode(r, v, AckKind::PubComp)?),
        SUBSCRIBE => Packet::Subscribe(Subscribe::decode(r, v)?),
        SUBACK => Packet::SubAck(SubAck::decode(r, v)?),
        UNSUBSCRIBE => Packet::Unsubscribe(Unsubscribe::decode(r, v)?),
        UNSUBACK => Packet::UnsubAck(UnsubAck::decode(r, v)?),
        PINGREQ => Packet::PingReq,
        PINGRESP => Packet::PingResp,
        DISCONNECT => Packet::Disconnect(Disconnect::decode(r, v)?),
        AUTH => Packet::Auth(Auth::decode(r)?),
        _ => return Err(malformed(format!("packet type {kind} is reserved"))),
    })
}

/// The first byte of `packet`: type and flags.
fn first_byte(packet: &Packet) -> u8 {
    let (kind, flags) = match packet {
        Packet::Connect(_) => (CONNECT, 0),
        Packet::ConnAck(_) => (CONNACK, 0),
        Packet::Publish(p) => (PUBLISH, p.flags()),
        Packet::PubAck(_) => (PUBACK, 0),
        Packet::PubRec(_) => (PUBREC, 0),
        Packet::PubRel(_) => (PUBREL, 0b0010),
        Packet::PubComp(_) => (PUBCOMP, 0),
        Packet::Subscribe(_) => (SUBSCRIBE, 0b0010),
        Packet::SubAck(_) => (SUBACK, 0),
        Packet::Unsubscribe(_) => (UNSUBSCRIBE, 0b0010),
        Packet::UnsubAck(_) => (UNSUBACK, 0),
        Packet::PingReq => (PINGREQ, 0),
        Packet::PingResp => (PINGRESP, 0),
        Packet::Disconnect(_) => (DISCONNECT, 0),
        Packet::Auth(_) => (AUTH, 0),
    };
    (kind << 4) | flags
}

/// Writes the body of `packet` (everything after the remaining length).
fn write_body<S: Sink>(packet: &Packet, v: ProtocolVersion, s: &mut S) {
    match packet {
        Packet::Connect(p) => p.write(s),
        Packet::ConnAck(p) => p.write(v, s),
        Packet::Publish(p) => p.write(v, s),
        Packet::PubAck(p) | Packet::PubRec(p) | Packet::PubRel(p) | Packet::PubComp(p) => {
            p.write(v, s);
        }
        Packet::Subscribe(p) => p.write(v, s),
        Packet::SubAck(p) => p.write(v, s),
        Packet::Unsubscribe(p) => p.write(v, s),
        Packet::UnsubAck(p) => p.write(v, s),
        Packet::PingReq | Packet::PingResp => {}
        Packet::Disconnect(p) => p.write(v, s),
        Packet::Auth(p) => p.write(s),
    }
}

/// Whether `packet` exists in `version` at all (AUTH is MQTT 5 only).
fn exists_in(packet: &Packet, version: ProtocolVersion) -> bool {
    version.is_v5() || !matches!(packet, Packet::Auth(_))
}

/// Encodes `packet` for a peer speaking `version`, appending to `out`.
///
/// MQTT 5-only fields are dropped for 3.1.x (properties, reason codes on acks); a 3.1.1
/// SUBACK code or CONNACK return code is written as given. A CONNECT is written in its own
/// `protocol`. AUTH does not exist before MQTT 5: for a 3.1.x peer nothing is written.
/// DUP is written only with QoS > 0 ([MQTT-3.3.1-2]). Strings and binary data longer than
/// 65,535 bytes are cut to that (strings at a character boundary): check sizes first.
pub fn encode(packet: &Packet, version: ProtocolVersion, out: &mut BytesMut) {
    if !exists_in(packet, version) {
        return;
    }
    let body = measure(|c| write_body(packet, version, c));
    out.reserve(1 + vbi_len(body) + body);
    put_u8(out, first_byte(packet));
    put_vbi(out, body);
    write_body(packet, version, out);
}

/// The size [`encode`] would produce, fixed header included.
///
/// Lets the broker respect a client's Maximum Packet Size, dropping reason string and user
/// properties first as the spec allows, and check [`MAX_REMAINING_LENGTH`].
pub fn encoded_len(packet: &Packet, version: ProtocolVersion) -> usize {
    if !exists_in(packet, version) {
        return 0;
    }
    let body = measure(|c| write_body(packet, version, c));
    1 + vbi_len(body) + body
}
