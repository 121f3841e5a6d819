//! Hashing and encoding: `md2`, `md5`, `sha1`, `sha224`, `sha256`, `sha384`, `sha512` (hex of
//! the UTF-8 bytes of the argument's string form), `encode(value, 'base64')` and
//! `decode(value, 'base64')`.
//!
//! `encode(*, 'base64')` encodes the payload's raw bytes, JSON or not ("Binary payloads");
//! any other value is converted to a string first. `decode` gives the decoded JSON value when
//! the bytes are a JSON document, else the decoded text, else (bytes that are not UTF-8) the
//! raw bytes as `Binary`; input that is not base64 decodes to `Null`, as AWS documents.

use std::borrow::Cow;

use base64::Engine as _;
use md2::Md2;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use crate::sql::payload::parse_json;
use crate::sql::value::{base64_encode, Value};

/// A hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashFn {
    Md2,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    let digit = |n: u8| char::from(DIGITS.get(usize::from(n)).copied().unwrap_or(b'0'));
    for b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0f));
    }
    out
}

/// The lower-case hex digest of the argument's string form; `Undefined` for `Null` and
/// `Undefined`.
pub(crate) fn hash(f: HashFn, v: &Value<'_>) -> Value<'static> {
    let Some(s) = v.to_str() else {
        return Value::Undefined;
    };
    let data = s.as_bytes();
    let digest = match f {
        HashFn::Md2 => hex(&Md2::digest(data)),
        HashFn::Md5 => hex(&Md5::digest(data)),
        HashFn::Sha1 => hex(&Sha1::digest(data)),
        HashFn::Sha224 => hex(&Sha224::digest(data)),
        HashFn::Sha256 => hex(&Sha256::digest(data)),
        HashFn::Sha384 => hex(&Sha384::digest(data)),
        HashFn::Sha512 => hex(&Sha512::digest(data)),
    };
    Value::string(digest)
}

fn is_base64(scheme: &Value<'_>) -> bool {
    matches!(scheme, Value::String(s) if s.eq_ignore_ascii_case("base64"))
}

/// `encode(value, 'base64')`. `raw` is the payload's bytes when the value was `*`.
pub(crate) fn encode(value: &Value<'_>, scheme: &Value<'_>, raw: Option<&[u8]>) -> Value<'static> {
    if !is_base64(scheme) {
        return Value::Undefined;
    }
    if let Some(bytes) = raw {
        return Value::string(base64_encode(bytes));
    }
    match value {
        Value::Binary(b) => Value::string(base64_encode(b)),
        other => other.to_str().map_or(Value::Undefined, |s| {
            Value::string(base64_encode(s.as_bytes()))
        }),
    }
}

/// `decode(value, 'base64')`; `whole_to_int` as for payloads of SQL 2016-03-23.
pub(crate) fn decode(value: &Value<'_>, scheme: &Value<'_>, whole_to_int: bool) -> Value<'static> {
    if !is_base64(scheme) {
        return Value::Undefined;
    }
    let Some(text) = value.to_str() else {
        return Value::Undefined;
    };
    let engine = &base64::engine::general_purpose::STANDARD;
    let Ok(bytes) = engine.decode(text.trim().as_bytes()) else {
        return Value::Null;
    };
    if let Some(v) = parse_json(&bytes, whole_to_int) {
        return v.into_owned();
    }
    match String::from_utf8(bytes) {
        Ok(s) => Value::String(Cow::Owned(s)),
        Err(e) => Value::Binary(Cow::Owned(e.into_bytes())),
    }
}
