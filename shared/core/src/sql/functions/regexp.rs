//! `regexp_matches`, `regexp_replace` and `regexp_substr`.
//!
//! AWS evaluates Java regular expressions; we use the `regex` crate, whose syntax agrees for
//! the common cases (classes, repetition, groups, anchors, `(?i)`). Look-around and
//! backreferences, which `regex` does not have, make a pattern invalid, and an invalid pattern
//! makes the result `Undefined`, as AWS documents. Replacements use Java's syntax: `$1`,
//! `${name}`, and `\` to escape.

use std::borrow::Cow;

use regex::{Regex, RegexBuilder};

use super::string::take_str;
use crate::sql::value::Value;

/// A regular-expression function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegexFn {
    Matches,
    Replace,
    Substr,
}

/// Compiles a pattern with bounds on its size, so a hostile pattern cannot take the memory.
pub(crate) fn compile(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .ok()
}

/// Applies `f`. `cached` is the pattern compiled at parse time when it was a literal
/// (`Some(None)`: a literal that does not compile); `None` means compile `args[1]` now.
pub(crate) fn call<'v>(
    f: RegexFn,
    args: &mut [Value<'v>],
    cached: Option<Option<&Regex>>,
) -> Value<'v> {
    let mut taken = args.iter_mut().map(std::mem::take);
    let subject = taken.next().unwrap_or_default();
    let pattern = taken.next().unwrap_or_default();
    let replacement = taken.next().unwrap_or_default();
    let compiled;
    let re = match cached {
        Some(Some(re)) => re,
        Some(None) => return Value::Undefined,
        None => match pattern.to_str().and_then(|p| compile(&p)) {
            Some(re) => {
                compiled = re;
                &compiled
            }
            None => return Value::Undefined,
        },
    };
    let Some(s) = take_str(subject) else {
        return Value::Undefined;
    };
    match f {
        RegexFn::Matches => Value::Bool(re.is_match(&s)),
        RegexFn::Substr => match re.find(&s) {
            Some(m) => Value::String(match &s {
                Cow::Borrowed(b) => Cow::Borrowed(b.get(m.range()).unwrap_or_default()),
                Cow::Owned(_) => Cow::Owned(m.as_str().to_owned()),
            }),
            None => Value::Undefined,
        },
        RegexFn::Replace => {
            let Some(rep) = replacement
                .to_str()
                .and_then(|r| java_replacement(&r, re.captures_len()))
            else {
                return Value::Undefined;
            };
            Value::string(re.replace_all(&s, rep.as_str()).into_owned())
        }
    }
}

/// Translates a Java replacement string (`$1`, `${name}`, `\$`) into the `regex` crate's
/// (`${1}`, `${name}`, `$$`). `None` when Java would reject it (a lone `$`, a group that does
/// not exist, a trailing `\`).
fn java_replacement(java: &str, groups: usize) -> Option<String> {
    let mut out = String::with_capacity(java.len() + 8);
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                '$' => out.push_str("$$"),
                other => out.push(other),
            },
            '$' => match chars.peek().copied() {
                Some('{') => {
                    chars.next();
                    let mut name = String::new();
                    loop {
                        match chars.next()? {
                            '}' => break,
                            ch if ch.is_ascii_alphanumeric() => name.push(ch),
                            _ => return None,
                        }
                    }
                    if name.is_empty() {
                        return None;
                    }
                    out.push_str("${");
                    out.push_str(&name);
                    out.push('}');
                }
                Some(d) if d.is_ascii_digit() => {
                    // Java reads the first digit, then more while the number stays a group.
                    let mut n = d.to_digit(10)? as usize;
                    chars.next();
                    while let Some(next) = chars.peek().and_then(|ch| ch.to_digit(10)) {
                        let longer = n * 10 + next as usize;
                        if longer >= groups {
                            break;
                        }
                        n = longer;
                        chars.next();
                    }
                    if n >= groups {
                        return None;
                    }
                    out.push_str(&format!("${{{n}}}"));
                }
                _ => return None,
            },
            other => out.push(other),
        }
    }
    Some(out)
}
