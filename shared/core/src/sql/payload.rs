//! Reading a payload: JSON becomes a [`Value`] that borrows the payload's strings wherever
//! they need no unescaping; anything else stays raw bytes ("Binary payloads").

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::scan::Scanner;
use super::value::{whole_f64_to_i64, Many, Value};

/// Parses `bytes` as one JSON document. `whole_to_int` reads `10.0` as the `Int` 10, as SQL
/// version 2016-03-23 does ("Data types"). `None` when the bytes are not JSON.
pub(crate) fn parse_json(bytes: &[u8], whole_to_int: bool) -> Option<Value<'_>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Seed { whole_to_int }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// The payload as the SQL sees it: a JSON object or array becomes that value; anything
/// else — empty, a bare scalar such as `80` (which the "WHERE clause" page calls non-JSON),
/// text, or bytes — is `Binary`.
pub(crate) fn parse_payload(bytes: &[u8], whole_to_int: bool) -> Value<'_> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{' | b'[')) {
        if let Some(v) = parse_json(bytes, whole_to_int) {
            return v;
        }
    }
    Value::Binary(Cow::Borrowed(bytes))
}

/// As [`parse_payload`], for a statement that reads only the top-level `keys`: of a JSON
/// object only those members are built (the others are checked to be JSON and skipped by
/// [`Scanner`]), so the result is what [`parse_payload`] gives as far as those keys are
/// concerned.
pub(crate) fn parse_payload_keys<'a>(
    bytes: &'a [u8],
    whole_to_int: bool,
    keys: &[String],
) -> Value<'a> {
    let mut scanner = Scanner::new(bytes);
    if scanner.peek() != Some(b'{') {
        return parse_payload(bytes, whole_to_int);
    }
    match wanted_members(&mut scanner, whole_to_int, keys) {
        Some(members) if scanner.at_end() => Value::Object(Many::Owned(members)),
        _ => Value::Binary(Cow::Borrowed(bytes)),
    }
}

/// Reads the object at the scanner, keeping the members under `keys` only; `None` when it is
/// not valid JSON.
fn wanted_members<'a>(
    scanner: &mut Scanner<'a>,
    whole_to_int: bool,
    keys: &[String],
) -> Option<Vec<(Cow<'a, str>, Value<'a>)>> {
    let mut members = Vec::with_capacity(keys.len());
    scanner.eat(b'{')?;
    if scanner.peek()? == b'}' {
        scanner.eat(b'}')?;
        return Some(members);
    }
    loop {
        let key = scanner.string()?;
        scanner.eat(b':')?;
        let key = if key.escaped {
            Cow::Owned(unescape(key.content)?)
        } else {
            // Compared as bytes: most keys are not wanted and need no conversion.
            Cow::Borrowed(key.content)
        };
        if keys.iter().any(|wanted| wanted.as_bytes() == key.as_ref()) {
            let key = match key {
                Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).ok()?),
                Cow::Owned(b) => Cow::Owned(String::from_utf8(b).ok()?),
            };
            members.push((key, member_value(scanner, whole_to_int)?));
        } else {
            scanner.skip_value(1)?;
        }
        match scanner.peek()? {
            b',' => scanner.eat(b',')?,
            b'}' => {
                scanner.eat(b'}')?;
                return Some(members);
            }
            _ => return None,
        }
    }
}

/// Reads the value of a wanted member: plain integers and strings without escapes directly,
/// anything else with serde_json from the span the scanner checked.
fn member_value<'a>(scanner: &mut Scanner<'a>, whole_to_int: bool) -> Option<Value<'a>> {
    match scanner.peek()? {
        b'"' => {
            let s = scanner.string()?;
            if !s.escaped {
                let text = std::str::from_utf8(s.content).ok()?;
                return Some(Value::String(Cow::Borrowed(text)));
            }
            Some(Value::String(Cow::Owned(
                String::from_utf8(unescape(s.content)?).ok()?,
            )))
        }
        b'-' | b'0'..=b'9' => {
            let (text, integer) = scanner.number()?;
            // `-0` is serde_json's `-0.0`, a float.
            if integer && !text.starts_with(b"-0") {
                if let Some(i) = std::str::from_utf8(text).ok().and_then(|t| t.parse().ok()) {
                    return Some(Value::Int(i));
                }
            }
            parse_json(text, whole_to_int)
        }
        _ => {
            let start = scanner.pos();
            scanner.skip_value(1)?;
            parse_json(scanner.span(start)?, whole_to_int)
        }
    }
}

/// The string an escaped string literal's content stands for, as UTF-8 bytes.
fn unescape(content: &[u8]) -> Option<Vec<u8>> {
    let mut quoted = Vec::with_capacity(content.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(content);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted)
        .ok()
        .map(String::into_bytes)
}

#[derive(Clone, Copy)]
struct Seed {
    whole_to_int: bool,
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Value<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value<'de>, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value<'de>, E> {
        Ok(i64::try_from(v).map_or(Value::Decimal(v as f64), Value::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value<'de>, E> {
        if self.whole_to_int {
            if let Some(i) = whole_f64_to_i64(v) {
                return Ok(Value::Int(i));
            }
        }
        Ok(Value::Decimal(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(v.to_owned())))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Borrowed(v)))
    }

    fn visit_string<E>(self, v: String) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value<'de>, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(Value::Array(Many::Owned(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(k) = map.next_key_seed(KeySeed)? {
            let v = map.next_value_seed(self)?;
            members.push((k, v));
        }
        Ok(Value::Object(Many::Owned(members)))
    }
}

/// Reads an object key, borrowing it from the payload when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}
