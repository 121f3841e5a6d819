//! Tests across packet types: the fixed header, framing of several packets, round trips of
//! every packet in every version, truncation and garbage.

use super::testutil::*;
use super::*;

#[test]
fn every_packet_round_trips_in_every_version() {
    for v in [V31, V311, V5] {
        for packet in all_packets(v) {
            round_trip(&packet, v);
        }
    }
}

#[test]
fn remaining_length_of_five_bytes_is_malformed() {
    let e = decode_err(&[0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], Some(V311));
    assert_eq!(
        e,
        DecodeError::Malformed("remaining length is longer than four bytes".into())
    );
    // Four bytes with the continuation bit: known bad before any fifth byte arrives.
    assert_malformed(&[0x30, 0x80, 0x80, 0x80, 0x80], Some(V5));
    // Three bytes with the continuation bit: a fourth may still come.
    assert_eq!(
        decode(&[0x30, 0x80, 0x80, 0x80], Some(V5), usize::MAX),
        Err(DecodeError::Incomplete)
    );
}

#[test]
fn packet_too_large_is_reported_before_the_body_arrives() {
    // PUBLISH announcing 200 bytes of body: 203 bytes in all.
    let header = [0x30, 0xC8, 0x01];
    let got = decode(&header, Some(V311), 100);
    assert_eq!(
        got,
        Err(DecodeError::PacketTooLarge {
            size: 203,
            max: 100
        })
    );
    assert_eq!(
        got.map(|_| ()).unwrap_err().reason_code(),
        reason::PACKET_TOO_LARGE
    );
    // The limit counts the fixed header: a 4-byte PUBACK fits 4 and not 3.
    let puback = [0x40, 0x02, 0x00, 0x01];
    assert!(decode(&puback, Some(V311), 4).is_ok());
    assert_eq!(
        decode(&puback, Some(V311), 3),
        Err(DecodeError::PacketTooLarge { size: 4, max: 3 })
    );
}

#[test]
fn fixed_header_flags_are_checked_per_packet_type() {
    // (first byte with wrong flags) for every type but PUBLISH, checked on the first byte.
    let wrong = [
        0x11, 0x28, 0x41, 0x52, 0x60, 0x63, 0x74, 0x80, 0x8A, 0x91, 0xA0, 0xB2, 0xC1, 0xD8, 0xE1,
        0xF1,
    ];
    for byte in wrong {
        let v = if byte >> 4 == 1 { None } else { Some(V5) };
        assert_malformed(&[byte], v);
    }
    // And the right flags pass.
    assert_eq!(
        decode_one(&[0x62, 0x02, 0x00, 0x01], Some(V311)).map(|_| ()),
        Ok(())
    );
    assert_eq!(decode_one(&[0xC0, 0x00], Some(V311)), Ok(Packet::PingReq));
    assert_eq!(decode_one(&[0xD0, 0x00], Some(V5)), Ok(Packet::PingResp));
}

#[test]
fn publish_with_qos_3_or_dup_at_qos_0_is_malformed() {
    for v in [V311, V5] {
        assert_malformed(&[0x36], Some(v));
        assert_malformed(&[0x3E, 0x05, 0x00, 0x01, b'a', 0x00, 0x01], Some(v));
        assert_eq!(
            decode_err(&[0x38, 0x03, 0x00, 0x01, b'a'], Some(v)),
            DecodeError::Malformed("PUBLISH with DUP set and QoS 0".into())
        );
    }
}

#[test]
fn before_connect_only_connect_is_accepted() {
    assert_protocol(&[0xC0, 0x00], None);
    assert_protocol(&[0x30], None);
    assert_malformed(&[0x00, 0x00], None);
    assert_malformed(&[0x00], Some(V5));
    // A second CONNECT is the broker's business: it decodes.
    let connect = encoded(&Packet::Connect(Box::new(connect(V311))), V311);
    assert!(decode_one(&connect, Some(V311)).is_ok());
}

#[test]
fn auth_does_not_exist_before_mqtt_5() {
    for v in [V31, V311] {
        assert_malformed(&[0xF0, 0x00], Some(v));
        assert_eq!(encoded(&Packet::Auth(auth()), v), Vec::<u8>::new());
        assert_eq!(encoded_len(&Packet::Auth(auth()), v), 0);
    }
    assert_eq!(
        decode_one(&[0xF0, 0x00], Some(V5)),
        Ok(Packet::Auth(Auth {
            reason_code: 0,
            properties: AuthProperties::default(),
        }))
    );
}

#[test]
fn pings_have_no_body() {
    assert_malformed(&[0xC0, 0x01, 0x00], Some(V311));
    assert_malformed(&[0xD0, 0x01, 0x00], Some(V5));
    assert_eq!(encoded(&Packet::PingReq, V5), vec![0xC0, 0x00]);
    assert_eq!(encoded(&Packet::PingResp, V311), vec![0xD0, 0x00]);
}

#[test]
fn padded_remaining_length_is_malformed_in_mqtt_5_only() {
    // PINGREQ with remaining length 0 written in two bytes.
    assert_eq!(
        decode_one(&[0xC0, 0x80, 0x00], Some(V311)),
        Ok(Packet::PingReq)
    );
    assert_malformed(&[0xC0, 0x80, 0x00], Some(V5));
    // A CONNECT's own level decides.
    let small = |protocol| Connect {
        protocol,
        clean_start: true,
        keep_alive: 0,
        client_id: "c".into(),
        will: None,
        username: None,
        password: None,
        properties: ConnectProperties::default(),
    };
    for (v, padded_ok) in [(V31, true), (V311, true), (V5, false)] {
        let mut bytes = encoded(&Packet::Connect(Box::new(small(v))), v);
        let len = bytes[1];
        assert!(len < 0x80);
        bytes.splice(1..2, [len | 0x80, 0x00]);
        if padded_ok {
            assert_eq!(
                decode_one(&bytes, None),
                Ok(Packet::Connect(Box::new(small(v))))
            );
        } else {
            assert_malformed(&bytes, None);
        }
    }
}

#[test]
fn packets_in_one_buffer_decode_one_after_another() {
    for v in [V311, V5] {
        let packets = all_packets(v)
            .into_iter()
            .filter(|p| !matches!(p, Packet::Connect(_)));
        let packets: Vec<Packet> = packets.collect();
        let mut buf = Vec::new();
        for p in &packets {
            buf.extend(encoded(p, v));
        }
        let mut at = 0;
        for p in &packets {
            let (got, used) = decode(&buf[at..], Some(v), usize::MAX).expect("decodes");
            assert_eq!(&got, p);
            at += used;
        }
        assert_eq!(at, buf.len());
        assert_eq!(
            decode(&buf[at..], Some(v), usize::MAX),
            Err(DecodeError::Incomplete)
        );
    }
}

#[test]
fn payload_is_a_slice_of_the_copied_body() {
    let bytes = encoded(&Packet::Publish(publish(V5, QoS::AtLeastOnce)), V5);
    let Ok(Packet::Publish(p)) = decode_one(&bytes, Some(V5)) else {
        panic!("not a PUBLISH");
    };
    let correlation = p.properties.correlation_data.expect("set");
    // Both point into one allocation: the copied body.
    let payload_at = p.payload.as_ptr() as usize;
    let correlation_at = correlation.as_ptr() as usize;
    assert!(correlation_at < payload_at && payload_at - correlation_at < bytes.len());
}

/// A xorshift64 generator: deterministic garbage without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Whatever decodes must re-encode to bytes that decode to the same packet. Returns whether
/// `buf` decoded.
fn check_stable(buf: &[u8], v: Option<ProtocolVersion>, max: usize) -> bool {
    let decoded = decode(buf, v, max);
    if let Ok((packet, used)) = decoded.clone() {
        assert!(used <= buf.len() && used <= max);
        let version = match (&packet, v) {
            (Packet::Connect(c), _) => c.protocol,
            (_, Some(v)) => v,
            (_, None) => panic!("non-CONNECT decoded before CONNECT: {packet:?}"),
        };
        let again = encoded(&packet, version);
        assert_eq!(decode_one(&again, v), Ok(packet), "from {buf:02X?}");
    }
    decoded.is_ok()
}

#[test]
fn random_bytes_never_panic() {
    // First bytes with valid flags, and bytes that MQTT fields often hold, so that a good
    // share of the garbage gets past the fixed header into the packet decoders.
    const FIRST: [u8; 18] = [
        0x10, 0x20, 0x30, 0x32, 0x34, 0x3B, 0x40, 0x50, 0x62, 0x70, 0x82, 0x90, 0xA2, 0xB0, 0xC0,
        0xD0, 0xE0, 0xF0,
    ];
    const COMMON: [u8; 14] = [
        0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, b'a', b'/', 0x0B, 0x1F, 0x26, 0x80,
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let versions = [None, Some(V31), Some(V311), Some(V5)];
    let mut decoded = 0;
    for i in 0..20_000 {
        let len = rng.below(64);
        let mut buf: Vec<u8> = (0..len)
            .map(|_| match i % 3 {
                0 => rng.next() as u8,
                _ => COMMON[rng.below(COMMON.len())],
            })
            .collect();
        if len >= 2 && i % 5 != 0 {
            buf[0] = FIRST[rng.below(FIRST.len())];
            buf[1] = (len - 2) as u8;
        }
        let version = versions[rng.below(versions.len())];
        decoded += usize::from(check_stable(&buf, version, 1 << 16));
    }
    assert!(
        decoded > 50,
        "only {decoded} inputs decoded: the garbage is too shallow"
    );
}

#[test]
fn mutated_packets_never_panic() {
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    let mut decoded = 0;
    for v in [V311, V5] {
        for packet in all_packets(v) {
            let good = encoded(&packet, v);
            let session = session(&packet, v);
            for _ in 0..500 {
                let mut buf = good.clone();
                for _ in 0..1 + rng.below(3) {
                    let at = 2 + rng.below(buf.len().saturating_sub(2).max(1));
                    if let Some(b) = buf.get_mut(at) {
                        *b = rng.next() as u8;
                    }
                }
                decoded += usize::from(check_stable(&buf, session, usize::MAX));
                // Cut short but keep the header honest: malformed or decoded, never a panic.
                let cut = rng.below(buf.len().max(1));
                let mut short = buf[..cut.max(2).min(buf.len())].to_vec();
                if short.len() >= 2 && short[1] < 0x80 {
                    short[1] = (short.len() - 2) as u8;
                    decoded += usize::from(check_stable(&short, session, usize::MAX));
                }
            }
        }
    }
    assert!(
        decoded > 1_000,
        "only {decoded} mutations decoded: they are too shallow"
    );
}

#[test]
fn every_prefix_of_a_packet_is_incomplete() {
    // Round trips already check this for every sample; here also packets whose remaining
    // length takes two and three bytes, and several packets back to back.
    for (payload_len, v) in [(200, V311), (20_000, V5)] {
        let mut p = publish(v, QoS::ExactlyOnce);
        p.payload = Bytes::from(vec![0xA5; payload_len]);
        let bytes = round_trip(&Packet::Publish(p), v);
        assert!(
            bytes[1] & 0x80 != 0,
            "remaining length takes more than one byte"
        );
    }
    let mut two = encoded(&Packet::PingReq, V5);
    two.extend(encoded(&Packet::PubAck(puback(V5, 0)), V5));
    for end in 0..2 {
        assert_eq!(
            decode(&two[..end], Some(V5), usize::MAX),
            Err(DecodeError::Incomplete)
        );
    }
    assert_eq!(decode(&two, Some(V5), usize::MAX), Ok((Packet::PingReq, 2)));
}
