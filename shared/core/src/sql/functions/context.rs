//! Functions that read the message's surroundings from the [`EvalContext`]: `topic`,
//! `clientid`, `principal`, `traceid`, `sourceip`, `accountid`, `timestamp`, `newuuid`,
//! `sql_version`, `get_mqtt_property` and `get_user_properties`.

use std::borrow::Cow;
use std::cell::Cell;

use super::next_random;
use crate::sql::context::EvalContext;
use crate::sql::value::{base64_encode, Many, Value};
use crate::sql::SqlVersion;

/// A context function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CtxFn {
    AccountId,
    ClientId,
    GetMqttProperty,
    GetUserProperties,
    NewUuid,
    Principal,
    SourceIp,
    SqlVersion,
    Timestamp,
    Topic,
    TraceId,
}

fn text(s: &Option<String>) -> Value<'_> {
    s.as_deref()
        .map_or(Value::Undefined, |s| Value::String(Cow::Borrowed(s)))
}

/// The topic as the rule sees it: for Basic Ingest, without `$aws/rules/{rule}/`.
pub(crate) fn rule_topic(topic: &str) -> &str {
    match topic.strip_prefix("$aws/rules/") {
        Some(rest) => rest.split_once('/').map_or("", |(_, tail)| tail),
        None => topic,
    }
}

/// Applies `f`.
pub(crate) fn call<'v>(
    f: CtxFn,
    args: &[Value<'_>],
    ctx: &'v EvalContext,
    version: SqlVersion,
    rng: &Cell<u64>,
) -> Value<'v> {
    let a = args.first().unwrap_or(&Value::Undefined);
    match f {
        CtxFn::Topic => {
            let topic = rule_topic(&ctx.topic);
            match a {
                Value::Undefined if args.is_empty() => Value::String(Cow::Borrowed(topic)),
                other => other
                    .to_int_floor()
                    .and_then(|n| usize::try_from(n).ok())
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|i| topic.split('/').nth(i))
                    .map_or(Value::Undefined, |level| {
                        Value::String(Cow::Borrowed(level))
                    }),
            }
        }
        CtxFn::ClientId => Value::String(Cow::Borrowed(ctx.client_id.as_deref().unwrap_or("n/a"))),
        CtxFn::Principal => text(&ctx.principal),
        CtxFn::TraceId => text(&ctx.trace_id),
        CtxFn::SourceIp => text(&ctx.source_ip),
        CtxFn::AccountId => text(&ctx.account_id),
        CtxFn::Timestamp => Value::Int(i64::try_from(ctx.timestamp_ms).unwrap_or(i64::MAX)),
        CtxFn::SqlVersion => Value::String(Cow::Borrowed(version.as_str())),
        CtxFn::NewUuid => Value::string(uuid_v4(next_random(rng), next_random(rng))),
        CtxFn::GetMqttProperty => {
            let props = &ctx.mqtt_properties;
            let Value::String(name) = a else {
                return Value::Undefined;
            };
            match name.to_ascii_lowercase().as_str() {
                "content_type" => text(&props.content_type),
                "response_topic" => text(&props.response_topic),
                "format_indicator" => props.payload_format_utf8.map_or(Value::Undefined, |utf8| {
                    Value::String(Cow::Borrowed(if utf8 {
                        "UTF8_DATA"
                    } else {
                        "UNSPECIFIED_BYTES"
                    }))
                }),
                "correlation_data" => props
                    .correlation_data
                    .as_deref()
                    .map_or(Value::Undefined, |d| Value::string(base64_encode(d))),
                _ => Value::Undefined,
            }
        }
        CtxFn::GetUserProperties => user_properties(args, ctx),
    }
}

/// `get_user_properties(key)`: the values of every user property named `key`, in order
/// (Undefined when there is none). Without an argument: every property as a one-member
/// object `{key: value}`, in order.
fn user_properties<'v>(args: &[Value<'_>], ctx: &'v EvalContext) -> Value<'v> {
    let props = &ctx.user_properties;
    match args.first() {
        None => Value::Array(Many::Owned(
            props
                .iter()
                .map(|(k, v)| {
                    Value::Object(Many::Owned(vec![(
                        Cow::Borrowed(k.as_str()),
                        Value::String(Cow::Borrowed(v.as_str())),
                    )]))
                })
                .collect(),
        )),
        Some(key) => {
            let Some(key) = key.to_str() else {
                return Value::Undefined;
            };
            let values: Vec<Value<'v>> = props
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| Value::String(Cow::Borrowed(v.as_str())))
                .collect();
            if values.is_empty() {
                Value::Undefined
            } else {
                Value::Array(Many::Owned(values))
            }
        }
    }
}

/// A random (version 4, RFC 4122 variant) UUID from 128 bits.
fn uuid_v4(hi: u64, lo: u64) -> String {
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}
