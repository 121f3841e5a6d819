//! Writing MQTT's data representations. Every encoder writes into a [`Sink`]: the real buffer,
//! or a [`Counter`] that only adds up lengths, so `encoded_len` and `encode` cannot disagree.

use bytes::BytesMut;

use super::read::MAX_VARIABLE_BYTE_INTEGER;

/// Where encoded bytes go.
pub(crate) trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for BytesMut {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A sink that counts bytes instead of keeping them.
#[derive(Debug, Default)]
pub(crate) struct Counter(pub(crate) usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

/// How many bytes `write` produces.
pub(crate) fn measure(write: impl FnOnce(&mut Counter)) -> usize {
    let mut counter = Counter::default();
    write(&mut counter);
    counter.0
}

/// One byte.
pub(crate) fn put_u8<S: Sink>(s: &mut S, v: u8) {
    s.put(&[v]);
}

/// A two byte integer, big-endian.
pub(crate) fn put_u16<S: Sink>(s: &mut S, v: u16) {
    s.put(&v.to_be_bytes());
}

/// A four byte integer, big-endian.
pub(crate) fn put_u32<S: Sink>(s: &mut S, v: u32) {
    s.put(&v.to_be_bytes());
}

/// A variable byte integer; values above its maximum are written as the maximum (the caller
/// checks sizes with `encoded_len` first).
pub(crate) fn put_vbi<S: Sink>(s: &mut S, v: usize) {
    let mut v = u32::try_from(v)
        .unwrap_or(MAX_VARIABLE_BYTE_INTEGER)
        .min(MAX_VARIABLE_BYTE_INTEGER);
    let mut out = [0u8; 4];
    let mut len = 0;
    for slot in &mut out {
        // Seven bits per byte; the cast keeps exactly those bits.
        let mut byte = (v & 0x7F) as u8;
        v >>= 7;
        if v > 0 {
            byte |= 0x80;
        }
        *slot = byte;
        len += 1;
        if v == 0 {
            break;
        }
    }
    s.put(out.get(..len).unwrap_or(&out));
}

/// The length of `v` as a variable byte integer.
pub(crate) fn vbi_len(v: usize) -> usize {
    match v {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Binary data: a two byte length and the bytes, cut at 65,535 bytes (the most MQTT can carry).
pub(crate) fn put_binary<S: Sink>(s: &mut S, v: &[u8]) {
    let v = v.get(..usize::from(u16::MAX)).unwrap_or(v);
    // Fits: cut to u16::MAX just above.
    put_u16(s, v.len() as u16);
    s.put(v);
}

/// A UTF-8 string: like binary data, cut at a character boundary at or below 65,535 bytes.
pub(crate) fn put_string<S: Sink>(s: &mut S, v: &str) {
    let mut end = v.len().min(usize::from(u16::MAX));
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    put_binary(s, v.get(..end).unwrap_or_default().as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::read::{variable_byte_integer, Vbi};

    #[test]
    fn variable_byte_integers_round_trip_at_the_width_edges() {
        for v in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            268_435_455,
        ] {
            let mut out = BytesMut::new();
            put_vbi(&mut out, v);
            assert_eq!(out.len(), vbi_len(v), "{v}");
            let expected = Vbi::Value {
                value: v as u32,
                len: out.len(),
                minimal: true,
            };
            assert_eq!(variable_byte_integer(&out), expected);
        }
    }

    #[test]
    fn oversized_values_are_clamped_not_corrupted() {
        let mut out = BytesMut::new();
        put_vbi(&mut out, usize::MAX);
        assert_eq!(&out[..], &[0xFF, 0xFF, 0xFF, 0x7F]);

        let long = "é".repeat(40_000); // 80,000 bytes of two-byte characters
        let mut out = BytesMut::new();
        put_string(&mut out, &long);
        assert_eq!(&out[..2], &[0xFF, 0xFE]); // 65,534: the last boundary below 65,535
        assert!(std::str::from_utf8(&out[2..]).is_ok());
    }

    #[test]
    fn counter_measures_what_a_buffer_receives() {
        let mut out = BytesMut::new();
        put_string(&mut out, "hello");
        put_u32(&mut out, 7);
        let counted = measure(|c| {
            put_string(c, "hello");
            put_u32(c, 7);
        });
        assert_eq!(counted, out.len());
        assert_eq!(counted, 11);
    }
}
