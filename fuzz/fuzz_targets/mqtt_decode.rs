//! The MQTT decoder as the server meets it: any bytes a client sends, decoded the way the
//! broker's read loop does — before CONNECT (`None`: only a CONNECT, of any version), and as
//! the later packets of an MQTT 3.1.1 and of an MQTT 5 connection — one packet after another
//! from the same buffer. Nothing may panic, and every packet that decodes:
//!
//! - encodes again for its version (a CONNECT in its own protocol) to `encoded_len` bytes
//!   that decode, whole, to an equal packet;
//! - is `Incomplete` when only a prefix of it has arrived, so the read loop waits for more.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use thingcore::mqtt::{decode, encode, encoded_len, DecodeError, Packet, ProtocolVersion};

/// The broker's default Maximum Packet Size (broker config: 144 KiB).
const MAX_PACKET: usize = 128 * 1024 + 16 * 1024;

/// More packets than this from one input add nothing the first ones did not reach.
const MAX_PACKETS: usize = 16;

fuzz_target!(|data: &[u8]| {
    for first in [None, Some(ProtocolVersion::V311), Some(ProtocolVersion::V5)] {
        read_loop(data, first);
    }
});

/// Decodes packets from the front of `data` until one does not decode, as a connection that
/// starts in `version` would.
fn read_loop(data: &[u8], mut version: Option<ProtocolVersion>) {
    let mut rest = data;
    for _ in 0..MAX_PACKETS {
        let (packet, used) = match decode(rest, version, MAX_PACKET) {
            Ok(decoded) => decoded,
            Err(error) => {
                // What an MQTT 5 peer is told before the connection closes.
                let _ = error.reason_code();
                return;
            }
        };
        assert!(used > 0 && used <= rest.len(), "decode used {used} bytes");
        let effective = match (&packet, version) {
            (Packet::Connect(connect), _) => connect.protocol,
            (_, Some(v)) => v,
            (_, None) => panic!("decoded {packet:?} before CONNECT"),
        };
        prefixes_are_incomplete(&rest[..used], version, &packet);
        round_trip(&packet, effective, version);
        // After CONNECT the connection speaks the CONNECT's protocol.
        version = Some(version.unwrap_or(effective));
        rest = &rest[used..];
    }
}

/// Every proper prefix of a packet that decodes is `Incomplete`: the first bytes, where the
/// fixed header is read, and the last, where the body is.
fn prefixes_are_incomplete(packet_bytes: &[u8], version: Option<ProtocolVersion>, packet: &Packet) {
    let n = packet_bytes.len();
    let short = (0..n.min(6)).chain(n.saturating_sub(2)..n);
    for len in short {
        match decode(&packet_bytes[..len], version, MAX_PACKET) {
            Err(DecodeError::Incomplete) => {}
            other => panic!("{len} of {n} bytes of {packet:?} gave {other:?}"),
        }
    }
}

/// `packet`, decoded as `decoded_as`, encodes for `version` and decodes back to itself.
fn round_trip(packet: &Packet, version: ProtocolVersion, decoded_as: Option<ProtocolVersion>) {
    let mut out = BytesMut::new();
    encode(packet, version, &mut out);
    assert_eq!(
        out.len(),
        encoded_len(packet, version),
        "encoded_len disagrees with encode for {packet:?}"
    );
    // The size the broker checks against a client's Maximum Packet Size is exact, so the
    // limit here only has to be large enough.
    match decode(&out, decoded_as, usize::MAX) {
        Ok((again, used)) => {
            assert_eq!(used, out.len(), "re-decoding {packet:?} left bytes over");
            assert_eq!(&again, packet, "encoded as {:02x?}", &out[..]);
        }
        Err(error) => panic!(
            "{packet:?} encoded as {:02x?} does not decode: {error:?}",
            &out[..]
        ),
    }
}
