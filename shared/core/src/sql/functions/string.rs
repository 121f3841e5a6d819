//! String functions of AWS's "Functions" page: `chr`, `concat`, `endswith`, `indexof`,
//! `length`, `lower`, `lpad`, `ltrim`, `numbytes`, `replace`, `rpad`, `rtrim`, `startswith`,
//! `substring`, `trim`, `upper`.
//!
//! Non-string arguments are converted with the standard conversions (numbers and booleans as
//! text, arrays and objects as JSON); `Null` and `Undefined` make the result `Undefined`.
//! Lengths and indexes count Unicode characters (AWS documents "characters"; Java would count
//! UTF-16 units, which differ only outside the Basic Multilingual Plane).

use std::borrow::Cow;

use crate::sql::value::{Many, Value};

/// A string function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrFn {
    Chr,
    Concat,
    EndsWith,
    IndexOf,
    Length,
    Lower,
    Lpad,
    Ltrim,
    NumBytes,
    Replace,
    Rpad,
    Rtrim,
    StartsWith,
    Substring,
    Trim,
    Upper,
}

/// Takes the string out of a value: its own text when it is a `String` (still borrowed if it
/// was), else the standard conversion.
pub(crate) fn take_str<'v>(v: Value<'v>) -> Option<Cow<'v, str>> {
    match v {
        Value::String(s) => Some(s),
        other => other.to_str().map(|s| Cow::Owned(s.into_owned())),
    }
}

/// Java's `String.trim` notion of white space: every character up to U+0020.
fn is_space(c: char) -> bool {
    c <= '\u{20}'
}

/// Applies `f` to `args`.
pub(crate) fn call<'v>(f: StrFn, args: &mut [Value<'v>]) -> Value<'v> {
    if f == StrFn::Concat {
        return concat(args);
    }
    let mut taken = args.iter_mut().map(std::mem::take);
    let a = taken.next().unwrap_or_default();
    let b = taken.next().unwrap_or_default();
    let c = taken.next().unwrap_or_default();
    let result = match f {
        StrFn::Chr => a
            .to_int_floor()
            .and_then(|n| u8::try_from(n).ok())
            .filter(u8::is_ascii)
            .map(|n| Value::String(Cow::Owned(char::from(n).to_string()))),
        StrFn::Length => a.to_str().map(|s| Value::Int(s.chars().count() as i64)),
        StrFn::NumBytes => a.to_str().map(|s| Value::Int(s.len() as i64)),
        StrFn::Lower => a.to_str().map(|s| Value::string(s.to_lowercase())),
        StrFn::Upper => a.to_str().map(|s| Value::string(s.to_uppercase())),
        StrFn::Trim => take_str(a).map(|s| trimmed(s, |t| t.trim_matches(is_space))),
        StrFn::Ltrim => take_str(a).map(|s| trimmed(s, |t| t.trim_start_matches(is_space))),
        StrFn::Rtrim => take_str(a).map(|s| trimmed(s, |t| t.trim_end_matches(is_space))),
        StrFn::Lpad => pad(&a, &b, true),
        StrFn::Rpad => pad(&a, &b, false),
        StrFn::StartsWith => match (a.to_str(), b.to_str()) {
            (Some(x), Some(y)) => Some(Value::Bool(x.starts_with(y.as_ref()))),
            _ => None,
        },
        StrFn::EndsWith => match (a.to_str(), b.to_str()) {
            (Some(x), Some(y)) => Some(Value::Bool(x.ends_with(y.as_ref()))),
            _ => None,
        },
        StrFn::IndexOf => match (a.to_str(), b.to_str()) {
            (Some(x), Some(y)) => Some(Value::Int(x.find(y.as_ref()).map_or(-1, |at| {
                x.get(..at).map_or(0, |head| head.chars().count()) as i64
            }))),
            _ => None,
        },
        StrFn::Replace => match (a.to_str(), b.to_str(), c.to_str()) {
            (Some(s), Some(from), Some(to)) => {
                Some(Value::string(s.replace(from.as_ref(), to.as_ref())))
            }
            _ => None,
        },
        StrFn::Substring => substring(a, &b, &c),
        StrFn::Concat => None,
    };
    result.unwrap_or_default()
}

fn trimmed<'v>(s: Cow<'v, str>, cut: impl Fn(&str) -> &str) -> Value<'v> {
    Value::String(match s {
        Cow::Borrowed(b) => Cow::Borrowed(cut(b)),
        Cow::Owned(o) => Cow::Owned(cut(&o).to_owned()),
    })
}

/// `lpad`/`rpad`: pads with spaces; the count is floored and clamped to 0..=1000.
fn pad(a: &Value<'_>, b: &Value<'_>, left: bool) -> Option<Value<'static>> {
    let s = a.to_str()?;
    let n = usize::try_from(b.to_int_floor_saturating()?.clamp(0, 1000)).ok()?;
    let spaces = " ".repeat(n);
    Some(Value::string(if left {
        spaces + &s
    } else {
        s.into_owned() + &spaces
    }))
}

/// `substring(s, from[, to])`: 0-based, `to` exclusive; indexes are floored and clamped to
/// the string; `from >= to` gives the empty string.
fn substring<'v>(a: Value<'v>, b: &Value<'_>, c: &Value<'_>) -> Option<Value<'v>> {
    let s = take_str(a)?;
    let len = s.chars().count() as i64;
    let from = b.to_int_floor_saturating()?.clamp(0, len);
    let to = match c {
        Value::Undefined => len,
        other => other.to_int_floor_saturating()?.clamp(0, len),
    };
    if from >= to {
        return Some(Value::String(Cow::Borrowed("")));
    }
    let byte_at = |n: i64| {
        s.char_indices()
            .nth(usize::try_from(n).unwrap_or(0))
            .map_or(s.len(), |(i, _)| i)
    };
    let (start, end) = (byte_at(from), byte_at(to));
    Some(Value::String(match &s {
        Cow::Borrowed(b) => Cow::Borrowed(b.get(start..end).unwrap_or_default()),
        Cow::Owned(o) => Cow::Owned(o.get(start..end).unwrap_or_default().to_owned()),
    }))
}

/// `concat(...)`: no arguments is `Undefined`; one is returned as it is (a non-array as its
/// string); with an array among them, one array of all elements (arrays flattened one level);
/// otherwise the concatenated strings, `Undefined` if any argument has no string form.
fn concat<'v>(args: &mut [Value<'v>]) -> Value<'v> {
    if args.len() < 2 {
        return match args.first_mut().map(std::mem::take) {
            None => Value::Undefined,
            Some(v @ Value::Array(_)) => v,
            Some(v) => take_str(v).map_or(Value::Undefined, Value::String),
        };
    }
    if args.iter().any(|v| matches!(v, Value::Array(_))) {
        let mut out = Vec::new();
        for v in args.iter_mut() {
            match std::mem::take(v) {
                Value::Array(Many::Borrowed(items)) => {
                    out.extend(items.iter().map(Value::reborrow))
                }
                Value::Array(Many::Owned(items)) => out.extend(items),
                Value::Undefined => {}
                other => out.push(other),
            }
        }
        return Value::Array(Many::Owned(out));
    }
    let mut out = String::new();
    for v in args.iter() {
        match v.to_str() {
            Some(s) => out.push_str(&s),
            None => return Value::Undefined,
        }
    }
    Value::string(out)
}
