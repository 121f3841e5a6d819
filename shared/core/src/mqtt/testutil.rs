//! Test helpers: sample packets with every field set, and round-trip assertions.

use bytes::BytesMut;

use super::*;

/// Shorthands for the three versions.
pub(crate) const V31: ProtocolVersion = ProtocolVersion::V31;
pub(crate) const V311: ProtocolVersion = ProtocolVersion::V311;
pub(crate) const V5: ProtocolVersion = ProtocolVersion::V5;

/// `packet` encoded for `v`.
pub(crate) fn encoded(packet: &Packet, v: ProtocolVersion) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(packet, v, &mut out);
    out.to_vec()
}

/// The session version to decode `packet` with: none before CONNECT.
pub(crate) fn session(packet: &Packet, v: ProtocolVersion) -> Option<ProtocolVersion> {
    match packet {
        Packet::Connect(_) => None,
        _ => Some(v),
    }
}

/// Decodes `buf`, requiring it to be exactly one packet.
pub(crate) fn decode_one(buf: &[u8], v: Option<ProtocolVersion>) -> Result<Packet, DecodeError> {
    let (packet, used) = decode(buf, v, usize::MAX)?;
    assert_eq!(used, buf.len(), "decode used {used} of {} bytes", buf.len());
    Ok(packet)
}

/// The error decoding `buf` gives.
pub(crate) fn decode_err(buf: &[u8], v: Option<ProtocolVersion>) -> DecodeError {
    match decode(buf, v, usize::MAX) {
        Ok((packet, _)) => panic!("expected an error, decoded {packet:?}"),
        Err(e) => e,
    }
}

/// Asserts that `buf` is malformed for `v`.
pub(crate) fn assert_malformed(buf: &[u8], v: Option<ProtocolVersion>) {
    let e = decode_err(buf, v);
    assert!(
        matches!(e, DecodeError::Malformed(_)),
        "expected Malformed, got {e:?}"
    );
}

/// Asserts that `buf` is a protocol error for `v`.
pub(crate) fn assert_protocol(buf: &[u8], v: Option<ProtocolVersion>) {
    let e = decode_err(buf, v);
    assert!(
        matches!(e, DecodeError::Protocol(_)),
        "expected Protocol, got {e:?}"
    );
}

/// Every strict prefix of `buf` decodes to Incomplete.
pub(crate) fn assert_prefixes_incomplete(buf: &[u8], v: Option<ProtocolVersion>) {
    for end in 0..buf.len() {
        let got = decode(&buf[..end], v, usize::MAX);
        assert_eq!(
            got,
            Err(DecodeError::Incomplete),
            "prefix of {end} bytes of {buf:02X?}"
        );
    }
}

/// Encodes `packet` for `v`, checks `encoded_len`, decodes it back to an equal packet and
/// checks every prefix is Incomplete. Returns the bytes.
pub(crate) fn round_trip(packet: &Packet, v: ProtocolVersion) -> Vec<u8> {
    let bytes = encoded(packet, v);
    assert_eq!(
        encoded_len(packet, v),
        bytes.len(),
        "encoded_len of {packet:?}"
    );
    let back = decode_one(&bytes, session(packet, v));
    assert_eq!(back.as_ref(), Ok(packet), "bytes {bytes:02X?}");
    assert_prefixes_incomplete(&bytes, session(packet, v));
    bytes
}

/// Ordered user properties with a repeated key.
pub(crate) fn user_properties() -> UserProperties {
    vec![
        ("region".into(), "eu".into()),
        ("region".into(), "us".into()),
        ("empty".into(), String::new()),
    ]
}

/// A CONNECT with every field set that `v` can carry.
pub(crate) fn connect(v: ProtocolVersion) -> Connect {
    let v5 = v.is_v5();
    let will_properties = if v5 {
        WillProperties {
            will_delay_interval: Some(30),
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(600),
            content_type: Some("text/plain".into()),
            response_topic: Some("replies/dev-1".into()),
            correlation_data: Some(Bytes::from_static(b"\x00\x01corr")),
            user_properties: user_properties(),
        }
    } else {
        WillProperties::default()
    };
    let properties = if v5 {
        ConnectProperties {
            session_expiry_interval: Some(3600),
            receive_maximum: Some(20),
            maximum_packet_size: Some(1 << 20),
            topic_alias_maximum: Some(10),
            request_response_information: Some(true),
            request_problem_information: Some(false),
            user_properties: user_properties(),
            authentication_method: Some("SCRAM-SHA-256".into()),
            authentication_data: Some(Bytes::from_static(b"\x01\x02\x03")),
        }
    } else {
        ConnectProperties::default()
    };
    Connect {
        protocol: v,
        clean_start: true,
        keep_alive: 60,
        client_id: "dev-1".into(),
        will: Some(Will {
            topic: "devices/dev-1/status".into(),
            payload: Bytes::from_static(b"offline"),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: will_properties,
        }),
        username: Some("user".into()),
        password: Some(Bytes::from_static(b"p\x00ss")),
        properties,
    }
}

/// A CONNACK with every field set that `v` can carry.
pub(crate) fn connack(v: ProtocolVersion) -> ConnAck {
    let properties = if v.is_v5() {
        ConnAckProperties {
            session_expiry_interval: Some(7200),
            receive_maximum: Some(100),
            maximum_qos: Some(1),
            retain_available: Some(true),
            maximum_packet_size: Some(65_536),
            assigned_client_identifier: Some("auto-42".into()),
            topic_alias_maximum: Some(16),
            reason_string: Some("welcome".into()),
            user_properties: user_properties(),
            wildcard_subscription_available: Some(true),
            subscription_identifiers_available: Some(false),
            shared_subscription_available: Some(true),
            server_keep_alive: Some(120),
            response_information: Some("resp/".into()),
            server_reference: Some("other.example".into()),
            authentication_method: Some("SCRAM-SHA-256".into()),
            authentication_data: Some(Bytes::from_static(b"server-final")),
        }
    } else {
        ConnAckProperties::default()
    };
    ConnAck {
        session_present: true,
        reason_code: 0,
        properties,
    }
}

/// A PUBLISH at `qos` with every field set that `v` can carry.
pub(crate) fn publish(v: ProtocolVersion, qos: QoS) -> Publish {
    let properties = if v.is_v5() {
        PublishProperties {
            payload_format_indicator: Some(0),
            message_expiry_interval: Some(86_400),
            topic_alias: Some(3),
            response_topic: Some("replies/x".into()),
            correlation_data: Some(Bytes::from_static(b"id-7")),
            user_properties: user_properties(),
            subscription_identifiers: vec![1, 268_435_455, 300],
            content_type: Some("application/json".into()),
        }
    } else {
        PublishProperties::default()
    };
    Publish {
        dup: qos != QoS::AtMostOnce,
        qos,
        retain: true,
        topic: "devices/dev-1/temp".into(),
        packet_id: (qos != QoS::AtMostOnce).then_some(513),
        payload: Bytes::from_static(b"{\"t\":21.5}"),
        properties,
    }
}

/// Ack properties for `v`.
pub(crate) fn ack_properties(v: ProtocolVersion) -> AckProperties {
    if v.is_v5() {
        AckProperties {
            reason_string: Some("because".into()),
            user_properties: user_properties(),
        }
    } else {
        AckProperties::default()
    }
}

/// A PUBACK-family body with every field set that `v` can carry.
pub(crate) fn puback(v: ProtocolVersion, reason_code: u8) -> PubAck {
    let reason_code = if v.is_v5() { reason_code } else { 0 };
    PubAck {
        packet_id: 0xBEEF,
        reason_code,
        properties: ack_properties(v),
    }
}

/// A SUBSCRIBE with three filters and every field set that `v` can carry.
pub(crate) fn subscribe(v: ProtocolVersion) -> Subscribe {
    let v5 = v.is_v5();
    let options = |qos, rh| SubscriptionOptions {
        qos,
        no_local: v5,
        retain_as_published: v5,
        retain_handling: if v5 { rh } else { 0 },
    };
    let properties = if v5 {
        SubscribeProperties {
            subscription_identifier: Some(77),
            user_properties: user_properties(),
        }
    } else {
        SubscribeProperties::default()
    };
    Subscribe {
        packet_id: 10,
        filters: vec![
            SubscribeFilter {
                filter: "a/+/c".into(),
                options: options(QoS::AtMostOnce, 0),
            },
            SubscribeFilter {
                filter: "d/#".into(),
                options: options(QoS::AtLeastOnce, 1),
            },
            SubscribeFilter {
                filter: "e".into(),
                options: options(QoS::ExactlyOnce, 2),
            },
        ],
        properties,
    }
}

/// A SUBACK answering [`subscribe`].
pub(crate) fn suback(v: ProtocolVersion) -> SubAck {
    let reason_codes = if v.is_v5() {
        vec![0x00, 0x01, 0x97]
    } else {
        vec![0x00, 0x01, 0x80]
    };
    SubAck {
        packet_id: 10,
        reason_codes,
        properties: ack_properties(v),
    }
}

/// An UNSUBSCRIBE with two filters.
pub(crate) fn unsubscribe(v: ProtocolVersion) -> Unsubscribe {
    let user_properties = if v.is_v5() {
        user_properties()
    } else {
        Vec::new()
    };
    Unsubscribe {
        packet_id: 11,
        filters: vec!["a/+/c".into(), "d/#".into()],
        user_properties,
    }
}

/// An UNSUBACK answering [`unsubscribe`].
pub(crate) fn unsuback(v: ProtocolVersion) -> UnsubAck {
    let reason_codes = if v.is_v5() {
        vec![0x00, 0x11]
    } else {
        Vec::new()
    };
    UnsubAck {
        packet_id: 11,
        reason_codes,
        properties: ack_properties(v),
    }
}

/// A DISCONNECT with every field set that `v` can carry.
pub(crate) fn disconnect(v: ProtocolVersion) -> Disconnect {
    if !v.is_v5() {
        return Disconnect {
            reason_code: 0,
            properties: DisconnectProperties::default(),
        };
    }
    Disconnect {
        reason_code: reason::SERVER_MOVED,
        properties: DisconnectProperties {
            session_expiry_interval: Some(0),
            reason_string: Some("moving".into()),
            user_properties: user_properties(),
            server_reference: Some("new.example:1883".into()),
        },
    }
}

/// An AUTH with every property.
pub(crate) fn auth() -> Auth {
    Auth {
        reason_code: reason::CONTINUE_AUTHENTICATION,
        properties: AuthProperties {
            authentication_method: Some("SCRAM-SHA-256".into()),
            authentication_data: Some(Bytes::from_static(b"client-final")),
            reason_string: Some("step 2".into()),
            user_properties: user_properties(),
        },
    }
}

/// One packet of every type `v` has, each with every field it can carry.
pub(crate) fn all_packets(v: ProtocolVersion) -> Vec<Packet> {
    let mut packets = vec![
        Packet::Connect(Box::new(connect(v))),
        Packet::ConnAck(connack(v)),
        Packet::Publish(publish(v, QoS::AtMostOnce)),
        Packet::Publish(publish(v, QoS::AtLeastOnce)),
        Packet::Publish(publish(v, QoS::ExactlyOnce)),
        Packet::PubAck(puback(v, reason::NO_MATCHING_SUBSCRIBERS)),
        Packet::PubRec(puback(v, reason::QUOTA_EXCEEDED)),
        Packet::PubRel(puback(v, reason::PACKET_IDENTIFIER_NOT_FOUND)),
        Packet::PubComp(puback(v, reason::SUCCESS)),
        Packet::Subscribe(subscribe(v)),
        Packet::SubAck(suback(v)),
        Packet::Unsubscribe(unsubscribe(v)),
        Packet::UnsubAck(unsuback(v)),
        Packet::PingReq,
        Packet::PingResp,
        Packet::Disconnect(disconnect(v)),
    ];
    if v.is_v5() {
        packets.push(Packet::Auth(auth()));
    }
    packets
}

/// A packet from its first byte and body: the remaining length is filled in.
pub(crate) fn frame(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    write::put_u8(&mut out, first);
    write::put_vbi(&mut out, body.len());
    out.extend_from_slice(body);
    out.to_vec()
}

/// Concatenates byte pieces (for hand-written packets).
pub(crate) fn cat(pieces: &[&[u8]]) -> Vec<u8> {
    pieces.concat()
}
