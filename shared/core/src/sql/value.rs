//! The evaluator's value: the JSON types plus AWS IoT SQL's `Undefined` and raw `Binary`
//! payloads ("Data types"), with the standard conversions of that page and the equality of
//! "Operators".
//!
//! Values borrow from the parsed payload and from the statement: reading `a.b[0]` hands out a
//! view of the payload's own strings, arrays and objects ([`Many::Borrowed`], `Cow::Borrowed`),
//! so a field access never copies. Only what an expression computes is owned.

use std::borrow::Cow;
use std::cmp::Ordering;

/// A run of values: borrowed (from a parsed payload or another value) or owned.
#[derive(Debug)]
pub enum Many<'a, T> {
    /// A view of values that live elsewhere.
    Borrowed(&'a [T]),
    /// Values this run owns.
    Owned(Vec<T>),
}

impl<T: Clone> Clone for Many<'_, T> {
    fn clone(&self) -> Self {
        match self {
            Many::Borrowed(s) => Many::Borrowed(s),
            Many::Owned(v) => Many::Owned(v.clone()),
        }
    }
}

impl<T: PartialEq> PartialEq for Many<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T> Many<'_, T> {
    /// The values, wherever they live.
    pub fn as_slice(&self) -> &[T] {
        match self {
            Many::Borrowed(s) => s,
            Many::Owned(v) => v,
        }
    }
}

/// An object member: key and value.
pub type Member<'a> = (Cow<'a, str>, Value<'a>);

/// A value of AWS IoT SQL (2016-03-23), as the "Data types" page lists them.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value<'a> {
    /// Not a value: a missing key, a failed conversion, a function given the wrong types.
    /// It is omitted when serialized into an object.
    #[default]
    Undefined,
    /// JSON `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A whole number (AWS allows 34 digits; we hold 64 bits and fall back to `Decimal`).
    Int(i64),
    /// A number with a fraction (AWS: 34-digit decimal; here a double, as several of AWS's
    /// functions already use).
    Decimal(f64),
    /// A UTF-8 string.
    String(Cow<'a, str>),
    /// An array of values of any types.
    Array(Many<'a, Value<'a>>),
    /// An object; when a key repeats, the last one wins, as in JSON parsers.
    Object(Many<'a, Member<'a>>),
    /// Raw bytes: a payload that is not JSON, or bytes that `decode` produced.
    Binary(Cow<'a, [u8]>),
}

impl<'a> Value<'a> {
    /// A string value that owns its text.
    pub fn string(s: impl Into<String>) -> Value<'static> {
        Value::String(Cow::Owned(s.into()))
    }

    /// Whether this is `Undefined`.
    pub fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    /// AWS's name for this value's type, e.g. `"Int"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Undefined => "Undefined",
            Value::Null => "Null",
            Value::Bool(_) => "Boolean",
            Value::Int(_) => "Int",
            Value::Decimal(_) => "Decimal",
            Value::String(_) => "String",
            Value::Array(_) => "Array",
            Value::Object(_) => "Object",
            Value::Binary(_) => "Binary",
        }
    }

    /// The value under `key`, when this is an object that has it (last duplicate wins).
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Object(m) => m
                .as_slice()
                .iter()
                .rev()
                .find(|(k, _)| k.as_ref() == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A value that views this one without copying it: O(1) whatever the size.
    pub fn reborrow(&'a self) -> Value<'a> {
        match self {
            Value::Undefined => Value::Undefined,
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Decimal(d) => Value::Decimal(*d),
            Value::String(s) => Value::String(Cow::Borrowed(s.as_ref())),
            Value::Array(a) => Value::Array(Many::Borrowed(a.as_slice())),
            Value::Object(m) => Value::Object(Many::Borrowed(m.as_slice())),
            Value::Binary(b) => Value::Binary(Cow::Borrowed(b.as_ref())),
        }
    }

    /// A deep copy that borrows nothing.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Undefined => Value::Undefined,
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::Decimal(d) => Value::Decimal(d),
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Array(a) => Value::Array(Many::Owned(match a {
                Many::Borrowed(s) => s.iter().map(|v| v.clone().into_owned()).collect(),
                Many::Owned(v) => v.into_iter().map(Value::into_owned).collect(),
            })),
            Value::Object(m) => Value::Object(Many::Owned(match m {
                Many::Borrowed(s) => s
                    .iter()
                    .map(|(k, v)| (Cow::Owned(k.to_string()), v.clone().into_owned()))
                    .collect(),
                Many::Owned(v) => v
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            })),
            Value::Binary(b) => Value::Binary(Cow::Owned(b.into_owned())),
        }
    }

    /// The value from a JSON document (numbers with a fraction become `Decimal`).
    pub fn from_json(json: &serde_json::Value) -> Value<'static> {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => n.as_f64().map_or(Value::Undefined, Value::Decimal),
            },
            serde_json::Value::String(s) => Value::string(s.clone()),
            serde_json::Value::Array(a) => {
                Value::Array(Many::Owned(a.iter().map(Value::from_json).collect()))
            }
            serde_json::Value::Object(m) => Value::Object(Many::Owned(
                m.iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Value::from_json(v)))
                    .collect(),
            )),
        }
    }

    /// The value as JSON, or `None` for `Undefined` (and for non-finite decimals, which JSON
    /// cannot hold). `Undefined` members and elements are left out; `Binary` becomes its
    /// UTF-8 text when it is valid UTF-8, else its base64 encoding.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        self.to_json_with(false)
    }

    /// As [`Value::to_json`]; `whole_decimals_as_int` writes `10.0` as `10`, as SQL version
    /// 2016-03-23 does ("Data types").
    pub(crate) fn to_json_with(&self, whole_decimals_as_int: bool) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        Some(match self {
            Value::Undefined => return None,
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Decimal(d) => {
                if whole_decimals_as_int {
                    if let Some(i) = whole_f64_to_i64(*d) {
                        return Some(J::from(i));
                    }
                }
                J::Number(serde_json::Number::from_f64(*d)?)
            }
            Value::String(s) => J::String(s.to_string()),
            Value::Array(a) => J::Array(
                a.as_slice()
                    .iter()
                    .filter_map(|v| v.to_json_with(whole_decimals_as_int))
                    .collect(),
            ),
            Value::Object(m) => {
                let mut map = serde_json::Map::new();
                for (k, v) in m.as_slice() {
                    match v.to_json_with(whole_decimals_as_int) {
                        Some(j) => {
                            map.insert(k.to_string(), j);
                        }
                        None => {
                            map.remove(k.as_ref());
                        }
                    }
                }
                J::Object(map)
            }
            Value::Binary(b) => match std::str::from_utf8(b) {
                Ok(s) => J::String(s.to_owned()),
                Err(_) => J::String(base64_encode(b)),
            },
        })
    }

    /// The number in this value, by the standard conversions: `Int` and `Decimal` as they
    /// are; a `String` that matches AWS's decimal syntax becomes a `Decimal`.
    pub(crate) fn to_num(&self) -> Option<Num> {
        match self {
            Value::Int(i) => Some(Num::Int(*i)),
            Value::Decimal(d) => Some(Num::Dec(*d)),
            Value::String(s) => parse_decimal_str(s).map(Num::Dec),
            _ => None,
        }
    }

    /// The boolean in this value: a `Boolean`, or the strings "true"/"false" in any case.
    pub(crate) fn to_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// The standard conversion to String: numbers and booleans as text, arrays and objects
    /// serialized to JSON, `Null` and `Undefined` not at all. `Binary` converts when it is
    /// valid UTF-8.
    pub(crate) fn to_str(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::String(s) => Some(Cow::Borrowed(s.as_ref())),
            Value::Int(i) => Some(Cow::Owned(i.to_string())),
            Value::Decimal(d) => format_decimal(*d).map(Cow::Owned),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Array(_) | Value::Object(_) => self
                .to_json()
                .and_then(|j| serde_json::to_string(&j).ok())
                .map(Cow::Owned),
            Value::Binary(b) => std::str::from_utf8(b).ok().map(Cow::Borrowed),
            Value::Null | Value::Undefined => None,
        }
    }

    /// The standard conversion to Int, rounding down: `Decimal`s and decimal strings are
    /// floored (as `cast`, `bitand`, `lpad`, `substring` ... do).
    pub(crate) fn to_int_floor(&self) -> Option<i64> {
        match self.to_num()? {
            Num::Int(i) => Some(i),
            Num::Dec(d) => f64_to_i64(d.floor()),
        }
    }

    /// As [`Value::to_int_floor`], but decimals beyond 64 bits saturate instead of failing:
    /// for indexes and counts that are clamped anyway (`substring(s, -2.4E247)`).
    pub(crate) fn to_int_floor_saturating(&self) -> Option<i64> {
        match self.to_num()? {
            Num::Int(i) => Some(i),
            // `as` saturates at the bounds of i64.
            Num::Dec(d) => Some(d.floor() as i64),
        }
    }

    /// The standard conversion to Decimal, as a double.
    pub(crate) fn to_f64(&self) -> Option<f64> {
        self.to_num().map(Num::as_f64)
    }
}

/// A number after the standard conversions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    /// Whole.
    Int(i64),
    /// With a fraction.
    Dec(f64),
}

impl Num {
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Dec(d) => d,
        }
    }
}

/// A `Decimal` result, or `Undefined` when it is not finite (AWS's decimals have no NaN or
/// infinity: "imaginary results are returned as Undefined").
pub(crate) fn decimal(d: f64) -> Value<'static> {
    if d.is_finite() {
        Value::Decimal(d)
    } else {
        Value::Undefined
    }
}

/// `d` as an `i64` when it is finite and within range (fraction dropped).
pub(crate) fn f64_to_i64(d: f64) -> Option<i64> {
    // 2^63 is exactly representable; anything at or above it does not fit.
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&d) {
        Some(d as i64)
    } else {
        None
    }
}

/// `d` as an `i64` when it is a whole number within range.
pub(crate) fn whole_f64_to_i64(d: f64) -> Option<i64> {
    if d.fract() == 0.0 {
        f64_to_i64(d)
    } else {
        None
    }
}

/// Parses a string as AWS converts strings to decimals: it must match
/// `^-?\d+(\.\d+)?((?i)E-?\d+)?$` ("Data types", conversions).
pub(crate) fn parse_decimal_str(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|d| d.is_finite())
}

/// A decimal as text: the shortest form that reads back the same, possibly in scientific
/// notation (e.g. `22.5`, `3.0`, `1e-7`).
pub(crate) fn format_decimal(d: f64) -> Option<String> {
    serde_json::Number::from_f64(d).map(|n| n.to_string())
}

/// Standard base64 with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `=` of "Operators": `None` when either side is `Undefined`; numbers compare across `Int`
/// and `Decimal`; arrays element by element in order; objects by keys and values in any
/// order; values of different types are unequal.
pub(crate) fn sql_eq(a: &Value<'_>, b: &Value<'_>) -> Option<bool> {
    Some(match (a, b) {
        (Value::Undefined, _) | (_, Value::Undefined) => return None,
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Int(_) | Value::Decimal(_), Value::Int(_) | Value::Decimal(_)) => {
            num_cmp(a, b) == Some(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Binary(x), Value::Binary(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            let (x, y) = (x.as_slice(), y.as_slice());
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| sql_eq(p, q) == Some(true))
        }
        (Value::Object(x), Value::Object(_)) => {
            distinct_keys(a) == distinct_keys(b)
                && x.as_slice()
                    .iter()
                    .all(|(k, _)| match (a.get(k), b.get(k)) {
                        (Some(v), Some(w)) => sql_eq(v, w) == Some(true),
                        _ => false,
                    })
        }
        _ => false,
    })
}

/// How many distinct keys an object has.
fn distinct_keys(v: &Value<'_>) -> usize {
    match v {
        Value::Object(m) => {
            let s = m.as_slice();
            s.iter()
                .enumerate()
                .filter(|(i, (k, _))| {
                    !s.get(i + 1..)
                        .unwrap_or_default()
                        .iter()
                        .any(|(k2, _)| k2 == k)
                })
                .count()
        }
        _ => 0,
    }
}

/// Orders two numbers (after the standard conversions): `Int` against `Int` exactly, others
/// as decimals. `None` when either side is not a number.
pub(crate) fn num_cmp(a: &Value<'_>, b: &Value<'_>) -> Option<Ordering> {
    match (a.to_num()?, b.to_num()?) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (x, y) => x.as_f64().partial_cmp(&y.as_f64()),
    }
}

/// `v.key`: the member of an object (moved out when the object is owned, viewed when it is
/// borrowed); `Undefined` for anything else.
pub(crate) fn field<'v>(v: Value<'v>, key: &str) -> Value<'v> {
    match v {
        Value::Object(Many::Borrowed(members)) => members
            .iter()
            .rev()
            .find(|(k, _)| k.as_ref() == key)
            .map_or(Value::Undefined, |(_, v)| v.reborrow()),
        Value::Object(Many::Owned(mut members)) => {
            match members.iter().rposition(|(k, _)| k.as_ref() == key) {
                Some(i) => members.swap_remove(i).1,
                None => Value::Undefined,
            }
        }
        _ => Value::Undefined,
    }
}

/// `get(v, key)` and `v[key]`: an array's element at a 0-based index (converted to Int), a
/// string's character at an index, an object's member under a String key (not converted).
pub(crate) fn element<'v>(v: Value<'v>, key: &Value<'_>) -> Value<'v> {
    match (v, key) {
        (Value::Object(m), Value::String(k)) => field(Value::Object(m), k),
        (Value::Array(items), _) => {
            let Some(i) = key.to_int_floor().and_then(|i| usize::try_from(i).ok()) else {
                return Value::Undefined;
            };
            match items {
                Many::Borrowed(s) => s.get(i).map_or(Value::Undefined, Value::reborrow),
                Many::Owned(mut v) => {
                    if i < v.len() {
                        v.swap_remove(i)
                    } else {
                        Value::Undefined
                    }
                }
            }
        }
        (Value::String(s), _) => {
            let Some(i) = key.to_int_floor().and_then(|i| usize::try_from(i).ok()) else {
                return Value::Undefined;
            };
            s.chars()
                .nth(i)
                .map_or(Value::Undefined, |c| Value::string(c.to_string()))
        }
        _ => Value::Undefined,
    }
}
