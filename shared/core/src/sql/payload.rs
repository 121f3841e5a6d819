//! Reading a payload: JSON becomes a [`Value`] that borrows the payload's strings wherever
//! they need no unescaping; anything else stays raw bytes ("Binary payloads").

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

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
/// object only those members are built (the others are checked to be JSON and skipped), so
/// the result is what [`parse_payload`] gives as far as those keys are concerned.
pub(crate) fn parse_payload_keys<'a>(
    bytes: &'a [u8],
    whole_to_int: bool,
    keys: &[String],
) -> Value<'a> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return parse_payload(bytes, whole_to_int);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = KeysSeed {
        value: Seed { whole_to_int },
        keys,
    };
    match seed.deserialize(&mut de) {
        Ok(v) if de.end().is_ok() => v,
        _ => Value::Binary(Cow::Borrowed(bytes)),
    }
}

/// Reads a JSON object, keeping the members under `keys` only.
struct KeysSeed<'k> {
    value: Seed,
    keys: &'k [String],
}

impl<'de> DeserializeSeed<'de> for KeysSeed<'_> {
    type Value = Value<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KeysSeed<'_> {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut members = Vec::with_capacity(self.keys.len());
        while let Some(k) = map.next_key_seed(KeySeed)? {
            if self.keys.iter().any(|wanted| wanted.as_str() == k.as_ref()) {
                let v = map.next_value_seed(self.value)?;
                members.push((k, v));
            } else {
                map.next_value_seed(Skip)?;
            }
        }
        Ok(Value::Object(Many::Owned(members)))
    }
}

/// Reads a JSON value and keeps nothing. Unlike `IgnoredAny` it decodes strings (without
/// allocating unless they have escapes), so a skipped value is refused exactly where building
/// it would be (a lone surrogate `"\ud800"`, for one).
#[derive(Clone, Copy)]
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
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
