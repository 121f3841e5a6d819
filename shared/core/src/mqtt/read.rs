//! Reading MQTT's data representations (MQTT 5.0 §1.5, 3.1.1 §1.5) from a packet body:
//! integers, variable byte integers, UTF-8 strings, binary data.
//!
//! The body is complete when these run (the fixed header said how long it is), so a field that
//! runs past its end is malformed, never "incomplete".

use bytes::Bytes;

use super::error::{malformed, DecodeError};

/// The largest value a variable byte integer can carry (four bytes of seven bits).
pub(crate) const MAX_VARIABLE_BYTE_INTEGER: u32 = 268_435_455;

/// What [`variable_byte_integer`] found at the front of a byte slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vbi {
    /// A complete integer.
    Value {
        /// The decoded value.
        value: u32,
        /// How many bytes it took.
        len: usize,
        /// False when it used more bytes than needed (MQTT 5 forbids that, [MQTT-1.5.5-1]).
        minimal: bool,
    },
    /// The slice ends before the integer's last byte.
    Short,
    /// A fourth byte that still announces a fifth.
    TooLong,
}

/// Decodes the variable byte integer at the front of `buf` without failing on short input.
pub(crate) fn variable_byte_integer(buf: &[u8]) -> Vbi {
    let mut value = 0u32;
    for (i, &byte) in buf.iter().take(4).enumerate() {
        value |= u32::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            // A longer-than-needed encoding ends in a zero byte; a single 0x00 is fine.
            return Vbi::Value {
                value,
                len: i + 1,
                minimal: i == 0 || byte != 0,
            };
        }
    }
    if buf.len() >= 4 {
        Vbi::TooLong
    } else {
        Vbi::Short
    }
}

/// A cursor over a complete packet body; values are sliced out of it without copying.
#[derive(Debug)]
pub(crate) struct Reader {
    buf: Bytes,
    pos: usize,
}

impl Reader {
    /// A reader positioned at the start of `buf`.
    pub(crate) fn new(buf: Bytes) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Whether every byte has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next `n` bytes as a slice; `what` names the field for the error.
    fn slice(&mut self, n: usize, what: &str) -> Result<&[u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.buf.len());
        let Some(end) = end else {
            return Err(malformed(format!("{what} runs past the end of the packet")));
        };
        let start = self.pos;
        self.pos = end;
        self.buf
            .get(start..end)
            .ok_or_else(|| malformed(format!("{what} runs past the end of the packet")))
    }

    /// The next `n` bytes as a shared slice of the body.
    pub(crate) fn bytes(&mut self, n: usize, what: &str) -> Result<Bytes, DecodeError> {
        let start = self.pos;
        self.slice(n, what)?;
        Ok(self.buf.slice(start..self.pos))
    }

    /// A reader over the next `n` bytes (a properties block), which this one skips.
    pub(crate) fn sub(&mut self, n: usize, what: &str) -> Result<Reader, DecodeError> {
        Ok(Reader::new(self.bytes(n, what)?))
    }

    /// Everything not read yet (a PUBLISH payload).
    pub(crate) fn rest(&mut self) -> Bytes {
        let start = self.pos.min(self.buf.len());
        self.pos = self.buf.len();
        self.buf.slice(start..)
    }

    /// One byte.
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, DecodeError> {
        let s = self.slice(1, what)?;
        Ok(s.first().copied().unwrap_or_default())
    }

    /// A two byte integer, big-endian.
    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, DecodeError> {
        let s = self.slice(2, what)?;
        let mut b = [0u8; 2];
        b.copy_from_slice(s);
        Ok(u16::from_be_bytes(b))
    }

    /// A four byte integer, big-endian.
    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, DecodeError> {
        let s = self.slice(4, what)?;
        let mut b = [0u8; 4];
        b.copy_from_slice(s);
        Ok(u32::from_be_bytes(b))
    }

    /// A variable byte integer in its minimal encoding (only MQTT 5 has them in bodies).
    pub(crate) fn vbi(&mut self, what: &str) -> Result<u32, DecodeError> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        match variable_byte_integer(rest) {
            Vbi::Value {
                value,
                len,
                minimal,
            } => {
                if !minimal {
                    return Err(malformed(format!("{what} is not minimally encoded")));
                }
                self.pos += len;
                Ok(value)
            }
            Vbi::Short => Err(malformed(format!("{what} runs past the end of the packet"))),
            Vbi::TooLong => Err(malformed(format!("{what} is longer than four bytes"))),
        }
    }

    /// Binary data: a two byte length, then that many bytes.
    pub(crate) fn binary(&mut self, what: &str) -> Result<Bytes, DecodeError> {
        let len = self.u16(what)?;
        self.bytes(usize::from(len), what)
    }

    /// A UTF-8 encoded string: well-formed UTF-8 without U+0000 ([MQTT-1.5.4-1], [-2]).
    pub(crate) fn string(&mut self, what: &str) -> Result<String, DecodeError> {
        let len = self.u16(what)?;
        let raw = self.slice(usize::from(len), what)?;
        let text = std::str::from_utf8(raw)
            .map_err(|_| malformed(format!("{what} is not well-formed UTF-8")))?;
        if text.contains('\0') {
            return Err(malformed(format!("{what} contains U+0000")));
        }
        Ok(text.to_owned())
    }

    /// A UTF-8 string pair (a user property).
    pub(crate) fn pair(&mut self, what: &str) -> Result<(String, String), DecodeError> {
        Ok((self.string(what)?, self.string(what)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: &[u8]) -> Reader {
        Reader::new(Bytes::copy_from_slice(bytes))
    }

    #[test]
    fn variable_byte_integers_decode_at_every_width() {
        let cases: [(&[u8], u32); 8] = [
            (&[0x00], 0),
            (&[0x7F], 127),
            (&[0x80, 0x01], 128),
            (&[0xFF, 0x7F], 16_383),
            (&[0x80, 0x80, 0x01], 16_384),
            (&[0xFF, 0xFF, 0x7F], 2_097_151),
            (&[0x80, 0x80, 0x80, 0x01], 2_097_152),
            (&[0xFF, 0xFF, 0xFF, 0x7F], MAX_VARIABLE_BYTE_INTEGER),
        ];
        for (bytes, value) in cases {
            let got = variable_byte_integer(bytes);
            assert_eq!(
                got,
                Vbi::Value {
                    value,
                    len: bytes.len(),
                    minimal: true
                },
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn variable_byte_integer_short_long_and_padded() {
        assert_eq!(variable_byte_integer(&[]), Vbi::Short);
        assert_eq!(variable_byte_integer(&[0x80, 0x80, 0x80]), Vbi::Short);
        assert_eq!(
            variable_byte_integer(&[0x80, 0x80, 0x80, 0x80]),
            Vbi::TooLong
        );
        assert_eq!(
            variable_byte_integer(&[0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            Vbi::TooLong
        );
        assert_eq!(
            variable_byte_integer(&[0x80, 0x00]),
            Vbi::Value {
                value: 0,
                len: 2,
                minimal: false
            }
        );
        assert_eq!(
            reader(&[0x85, 0x00]).vbi("x"),
            Err(malformed("x is not minimally encoded"))
        );
        assert!(matches!(
            reader(&[0x80]).vbi("x"),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn integers_are_big_endian() {
        let mut r = reader(&[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
        assert_eq!(r.u8("a"), Ok(0x01));
        assert_eq!(r.u16("b"), Ok(0x0203));
        assert_eq!(r.u32("c"), Ok(0x0405_0607));
        assert!(r.is_empty());
        assert!(matches!(r.u8("d"), Err(DecodeError::Malformed(_))));
    }

    #[test]
    fn strings_must_be_well_formed_utf8_without_nul() {
        assert_eq!(reader(b"\x00\x03a/b").string("topic"), Ok("a/b".to_owned()));
        assert_eq!(reader(b"\x00\x00").string("topic"), Ok(String::new()));
        let nul = reader(b"\x00\x03a\x00b").string("topic");
        assert_eq!(nul, Err(malformed("topic contains U+0000")));
        // An encoded surrogate (U+D800) and an overlong '/' are not well-formed UTF-8.
        for bad in [
            &b"\x00\x03\xED\xA0\x80"[..],
            b"\x00\x02\xC0\xAF",
            b"\x00\x01\xFF",
        ] {
            let got = reader(bad).string("topic");
            assert_eq!(
                got,
                Err(malformed("topic is not well-formed UTF-8")),
                "{bad:?}"
            );
        }
        // The length claims more than there is: malformed, and nothing is allocated for it.
        let short = reader(b"\xFF\xFFab").string("topic");
        assert_eq!(
            short,
            Err(malformed("topic runs past the end of the packet"))
        );
    }

    #[test]
    fn binary_data_is_sliced_and_rest_takes_the_remainder() {
        let mut r = reader(b"\x00\x02\x00\xFFtail");
        assert_eq!(r.binary("data"), Ok(Bytes::from_static(b"\x00\xFF")));
        assert_eq!(r.remaining(), 4);
        assert_eq!(r.rest(), Bytes::from_static(b"tail"));
        assert!(r.is_empty());
        assert_eq!(r.rest(), Bytes::new());
    }

    #[test]
    fn sub_readers_are_bounded() {
        let mut r = reader(&[0x01, 0x02, 0x03]);
        let mut sub = r.sub(2, "properties").expect("two bytes are there");
        assert_eq!(sub.u16("x"), Ok(0x0102));
        assert!(sub.is_empty());
        assert_eq!(r.remaining(), 1);
        assert!(matches!(
            r.sub(2, "properties"),
            Err(DecodeError::Malformed(_))
        ));
    }
}
