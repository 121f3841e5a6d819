//! A validating JSON scanner that steps over values without building them, for statements
//! that read only some top-level keys of a payload ("lazy JSON access").
//!
//! Why by hand: the rest of the payload must still be checked to be JSON (a payload that is
//! not is `Binary`), and serde's visitor machinery spent most of an evaluation doing that.
//! The scanner accepts exactly what `serde_json::from_slice` accepts into a value: RFC 8259's
//! grammar, valid UTF-8 inside strings, `\u` escapes whose surrogates pair, numbers that are
//! finite as `f64`, and fewer than [`MAX_DEPTH`] nested arrays and objects.

/// serde_json's recursion limit: the 128th nested array or object is refused.
pub(crate) const MAX_DEPTH: usize = 128;

/// Bytes that end the fast run inside a string: the closing quote, an escape, a control
/// character (refused) and the first byte of a multi-byte UTF-8 sequence (checked).
const STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b < 0x20 || b >= 0x80 || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    table
};

/// A string's content as the scanner found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawStr<'a> {
    /// The bytes between the quotes, escapes undecoded (checked to be UTF-8).
    pub content: &'a [u8],
    /// Whether `content` has an escape, i.e. differs from the string it stands for.
    pub escaped: bool,
}

/// A cursor over one JSON document.
pub(crate) struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The offset of the next byte to read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Skips whitespace and returns the next byte, if any.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.pos = skip_whitespace(self.bytes, self.pos);
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `expected` after whitespace; `None` when the next byte is anything else.
    pub(crate) fn eat(&mut self, expected: u8) -> Option<()> {
        if self.peek()? == expected {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// The bytes from `start` up to the next byte to read.
    pub(crate) fn span(&self, start: usize) -> Option<&'a [u8]> {
        self.bytes.get(start..self.pos)
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Reads a string (the next byte after whitespace must be its opening quote).
    pub(crate) fn string(&mut self) -> Option<RawStr<'a>> {
        self.eat(b'"')?;
        let start = self.pos;
        let (end, escaped) = string_end(self.bytes, start)?;
        self.pos = end;
        Some(RawStr {
            content: self.bytes.get(start..end - 1)?,
            escaped,
        })
    }

    /// Reads a number; returns its text (ASCII) and whether it is a plain integer (no
    /// fraction, no exponent).
    pub(crate) fn number(&mut self) -> Option<(&'a [u8], bool)> {
        self.peek()?;
        let start = self.pos;
        let (end, integer) = number_end(self.bytes, start)?;
        self.pos = end;
        Some((self.bytes.get(start..end)?, integer))
    }

    /// Steps over one value. `depth` is how many arrays and objects are open around it.
    pub(crate) fn skip_value(&mut self, depth: usize) -> Option<()> {
        self.pos = value_end(self.bytes, self.pos, depth)?;
        Some(())
    }
}

/// The position of the first byte at or after `pos` that is not JSON whitespace (space,
/// tab, line feed, carriage return).
#[inline]
fn skip_whitespace(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = bytes.get(pos) {
        pos += 1;
    }
    pos
}

/// Where the value at `pos` (after whitespace) ends, `depth` arrays and objects being open
/// around it; `None` when it is not valid JSON.
///
/// A loop rather than recursion, with the open containers' kinds as bits: the cursor stays
/// in a register, which is most of the speed.
fn value_end(bytes: &[u8], mut pos: usize, depth: usize) -> Option<usize> {
    let base = depth;
    let mut depth = depth;
    // Bit `n` is set when the container `n + 1` levels inside `base` is an object.
    let mut objects: u128 = 0;
    'value: loop {
        pos = skip_whitespace(bytes, pos);
        match *bytes.get(pos)? {
            b'"' => pos = string_end(bytes, pos + 1)?.0,
            open @ (b'{' | b'[') => {
                depth += 1;
                if depth >= MAX_DEPTH {
                    return None;
                }
                let bit = 1u128 << (depth - base - 1);
                pos = skip_whitespace(bytes, pos + 1);
                if open == b'{' {
                    objects |= bit;
                    if bytes.get(pos) != Some(&b'}') {
                        pos = key_end(bytes, pos)?;
                        continue 'value;
                    }
                } else {
                    objects &= !bit;
                    if bytes.get(pos) != Some(&b']') {
                        continue 'value;
                    }
                }
                pos += 1;
                depth -= 1;
            }
            b't' => pos = literal_end(bytes, pos, b"true")?,
            b'f' => pos = literal_end(bytes, pos, b"false")?,
            b'n' => pos = literal_end(bytes, pos, b"null")?,
            b'-' | b'0'..=b'9' => pos = number_end(bytes, pos)?.0,
            _ => return None,
        }
        // After a value: close containers until one goes on with another member.
        loop {
            if depth == base {
                return Some(pos);
            }
            pos = skip_whitespace(bytes, pos);
            let in_object = objects & (1u128 << (depth - base - 1)) != 0;
            match (*bytes.get(pos)?, in_object) {
                (b',', true) => {
                    pos = key_end(bytes, skip_whitespace(bytes, pos + 1))?;
                    continue 'value;
                }
                (b',', false) => {
                    pos += 1;
                    continue 'value;
                }
                (b'}', true) | (b']', false) => {
                    pos += 1;
                    depth -= 1;
                }
                _ => return None,
            }
        }
    }
}

/// Where an object member's key and its colon end, the key's quote at `pos`.
#[inline]
fn key_end(bytes: &[u8], pos: usize) -> Option<usize> {
    if bytes.get(pos) != Some(&b'"') {
        return None;
    }
    let pos = skip_whitespace(bytes, string_end(bytes, pos + 1)?.0);
    (bytes.get(pos) == Some(&b':')).then_some(pos + 1)
}

/// Where the string whose content starts at `pos` ends (after its closing quote), and
/// whether it has an escape.
///
/// Most strings in a payload are short, plain ASCII: this part, inlined into its callers,
/// finds their closing quote a word at a time and leaves everything else to
/// [`string_end_checked`].
#[inline(always)]
fn string_end(bytes: &[u8], pos: usize) -> Option<(usize, bool)> {
    let mut at = pos;
    while let Some(w) = word_at(bytes, at) {
        let stop = string_stops(w);
        if stop != 0 {
            let k = (stop.trailing_zeros() / 8) as usize;
            if (w >> (8 * k)) as u8 == b'"' {
                return Some((at + k + 1, false));
            }
            break;
        }
        at += 8;
    }
    string_end_checked(bytes, pos)
}

/// The eight bytes at `pos` as a little-endian word, when there are eight.
#[inline(always)]
fn word_at(bytes: &[u8], pos: usize) -> Option<u64> {
    let chunk = bytes.get(pos..pos + 8)?;
    <[u8; 8]>::try_from(chunk).ok().map(u64::from_le_bytes)
}

/// The high bit of each byte of `w` that is a quote, a backslash, a control character or
/// over 0x7F, and perhaps of bytes above such a one (borrows run upwards, so the lowest
/// flagged byte is always a true one).
#[inline(always)]
fn string_stops(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    has_zero(w ^ (ONES * u64::from(b'"')))
        | has_zero(w ^ (ONES * u64::from(b'\\')))
        | (w.wrapping_sub(ONES * 0x20) & !w & HIGHS)
        | (w & HIGHS)
}

/// [`string_end`] for any string: escapes, control characters and UTF-8 checked.
fn string_end_checked(bytes: &[u8], mut pos: usize) -> Option<(usize, bool)> {
    let start = pos;
    let mut escaped = false;
    let mut ascii = true;
    loop {
        pos = plain_string_bytes(bytes, pos);
        let b = *bytes.get(pos)?;
        pos += 1;
        match b {
            b'"' => break,
            b'\\' => {
                escaped = true;
                pos = escape_end(bytes, pos)?;
            }
            0x80.. => ascii = false,
            _ => return None, // a control character
        }
    }
    // Outside strings any byte over 0x7F is a syntax error, so this is the only place
    // UTF-8 needs checking, and only when such a byte was seen.
    if !ascii {
        std::str::from_utf8(bytes.get(start..pos - 1)?).ok()?;
    }
    Some((pos, escaped))
}

/// Where the escape whose backslash came just before `pos` ends.
fn escape_end(bytes: &[u8], pos: usize) -> Option<usize> {
    match *bytes.get(pos)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(pos + 1),
        b'u' => {
            let (unit, pos) = hex4(bytes, pos + 1)?;
            match unit {
                // A trailing surrogate with no leading one.
                0xDC00..=0xDFFF => None,
                // A leading surrogate: a trailing one must follow.
                0xD800..=0xDBFF => {
                    if bytes.get(pos..pos + 2)? != b"\\u" {
                        return None;
                    }
                    let (unit, pos) = hex4(bytes, pos + 2)?;
                    matches!(unit, 0xDC00..=0xDFFF).then_some(pos)
                }
                _ => Some(pos),
            }
        }
        _ => None,
    }
}

/// Four hex digits at `pos` as a UTF-16 unit, and the position after them.
fn hex4(bytes: &[u8], pos: usize) -> Option<(u16, usize)> {
    let mut unit = 0u16;
    for &d in bytes.get(pos..pos + 4)? {
        unit = unit << 4 | (d as char).to_digit(16)? as u16;
    }
    Some((unit, pos + 4))
}

/// Where `word` ends when the bytes at `pos` are exactly it.
#[inline]
fn literal_end(bytes: &[u8], pos: usize, word: &[u8]) -> Option<usize> {
    (bytes.get(pos..pos + word.len())? == word).then_some(pos + word.len())
}

/// Where the run of ASCII digits at `pos` ends.
#[inline]
fn digits_end(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(b'0'..=b'9') = bytes.get(pos) {
        pos += 1;
    }
    pos
}

/// Where the number at `pos` ends, and whether it is a plain integer.
#[inline]
fn number_end(bytes: &[u8], mut pos: usize) -> Option<(usize, bool)> {
    let start = pos;
    if bytes.get(pos) == Some(&b'-') {
        pos += 1;
    }
    pos = match *bytes.get(pos)? {
        b'0' => pos + 1,
        b'1'..=b'9' => digits_end(bytes, pos + 1),
        _ => return None,
    };
    let mut integer = true;
    if bytes.get(pos) == Some(&b'.') {
        integer = false;
        let end = digits_end(bytes, pos + 1);
        if end == pos + 1 {
            return None;
        }
        pos = end;
    }
    let mut exponent = false;
    if let Some(b'e' | b'E') = bytes.get(pos) {
        integer = false;
        exponent = true;
        pos += 1;
        if let Some(b'+' | b'-') = bytes.get(pos) {
            pos += 1;
        }
        let end = digits_end(bytes, pos);
        if end == pos {
            return None;
        }
        pos = end;
    }
    // serde_json refuses a number whose value is infinite as f64; only an exponent or a
    // very long number can be.
    if exponent || pos - start > 300 {
        let value: f64 = std::str::from_utf8(bytes.get(start..pos)?)
            .ok()?
            .parse()
            .ok()?;
        if !value.is_finite() {
            return None;
        }
    }
    Some((pos, integer))
}

/// Where the run of a string's bytes that need no attention, starting at `pos`, ends: at
/// the first quote, backslash, control character or byte over 0x7F (or the end).
fn plain_string_bytes(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(w) = word_at(bytes, pos) {
        let stop = string_stops(w);
        if stop != 0 {
            return pos + (stop.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&b) = bytes.get(pos) {
        if STRING_STOP[b as usize] {
            break;
        }
        pos += 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::{Scanner, MAX_DEPTH};

    /// Whether `json` is one valid document by the scanner.
    fn scans(json: &[u8]) -> bool {
        let mut s = Scanner::new(json);
        s.skip_value(0).is_some() && s.at_end()
    }

    /// Whether serde_json reads `json` into a value.
    fn serde_reads(json: &[u8]) -> bool {
        serde_json::from_slice::<serde_json::Value>(json).is_ok()
    }

    #[test]
    fn accepts_and_refuses_what_serde_json_does() {
        let cases: &[&[u8]] = &[
            b"{}",
            b"[]",
            b" { \"a\" : [1, -2.5e3, 0, -0, 0.0, true, false, null, \"x\"] } ",
            b"{\"a\":1,}",
            b"[1,]",
            b"[01]",
            b"[1.]",
            b"[.5]",
            b"[-]",
            b"[1e]",
            b"[1e+]",
            b"[1E-2]",
            b"[1e400]",
            b"[-1e400]",
            b"[0e400]",
            b"[1e-400]",
            b"[123456789012345678901234567890]",
            // Round to f64::MAX, not past it (found by fuzz/json_scan).
            b"[1.7976931348623158e308]",
            b"[-1.7976931348623158e308]",
            b"[1.7976931348623159e308]",
            b"[tru]",
            b"[nul]",
            b"[\"\\u00e9\\n\\/\"]",
            b"[\"\\ud83d\\ude00\"]",
            b"[\"\\ud800\"]",
            b"[\"\\ud800x\"]",
            b"[\"\\ud800\\n\"]",
            b"[\"\\ud800\\u0041\"]",
            b"[\"\\udc00\"]",
            b"[\"\\u12\"]",
            b"[\"\\uZZZZ\"]",
            b"[\"\\x\"]",
            b"[\"a\tb\"]",
            b"[\"a\x01b\"]",
            b"[\"caf\xc3\xa9\"]",
            b"[\"bad \xc3\"]",
            b"[\"bad \xff\"]",
            b"[\xc3\xa9]",
            b"[\"unterminated]",
            b"{\"a\" 1}",
            b"{1: 2}",
            b"[1 2]",
            b"[1]\x0c",
            b"[1] [2]",
            b"",
            b"   ",
        ];
        for json in cases {
            assert_eq!(
                scans(json),
                serde_reads(json),
                "{}",
                String::from_utf8_lossy(json)
            );
        }
    }

    #[test]
    fn nesting_stops_where_serde_json_stops() {
        for depth in [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1] {
            let json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            assert_eq!(
                scans(json.as_bytes()),
                serde_reads(json.as_bytes()),
                "depth {depth}"
            );
            let json = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            assert_eq!(
                scans(json.as_bytes()),
                serde_reads(json.as_bytes()),
                "object depth {depth}"
            );
        }
    }

    #[test]
    fn every_one_byte_change_of_a_document_is_judged_as_serde_json_judges_it() {
        let base: &[u8] =
            br#"{"t": -12.5e1, "s": "a\"\u00e9\ud83d\ude00", "a": [true, false, null, {}, []], "n": 0}"#;
        let replacements = b" \t\r\n\x0c\x00\"\\/{}[],:-+.eE0159abfnrtux\xc3\xa9\xff";
        for i in 0..base.len() {
            for &r in replacements.iter() {
                let mut json = base.to_vec();
                json[i] = r;
                assert_eq!(
                    scans(&json),
                    serde_reads(&json),
                    "{}",
                    String::from_utf8_lossy(&json)
                );
            }
            let mut cut = base.to_vec();
            cut.remove(i);
            assert_eq!(
                scans(&cut),
                serde_reads(&cut),
                "{}",
                String::from_utf8_lossy(&cut)
            );
        }
    }
}
