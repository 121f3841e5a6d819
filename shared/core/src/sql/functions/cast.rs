//! `cast(value AS type)`: the standard conversions plus numbers to and from booleans
//! ("Functions", cast). Casts AWS cannot make are `Undefined`.

use std::borrow::Cow;

use crate::sql::ast::CastType;
use crate::sql::value::{whole_f64_to_i64, Num, Value};

/// Casts `v` to `to`. `whole_to_int` is SQL 2016-03-23's rule that a whole `Decimal` is
/// an `Int`.
pub(crate) fn cast<'v>(v: Value<'v>, to: CastType, whole_to_int: bool) -> Value<'v> {
    match to {
        CastType::String => match v {
            s @ Value::String(_) => s,
            other => other.to_str().map_or(Value::Undefined, |s| {
                Value::String(Cow::Owned(s.into_owned()))
            }),
        },
        CastType::Int => match v {
            Value::Bool(b) => Value::Int(i64::from(b)),
            other => other.to_int_floor().map_or(Value::Undefined, Value::Int),
        },
        CastType::Double | CastType::Decimal => {
            let d = match v {
                Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
                other => other.to_f64(),
            };
            match d {
                Some(d) if to == CastType::Decimal && whole_to_int => {
                    whole_f64_to_i64(d).map_or(Value::Decimal(d), Value::Int)
                }
                Some(d) => Value::Decimal(d),
                None => Value::Undefined,
            }
        }
        CastType::Bool => match v {
            Value::Bool(b) => Value::Bool(b),
            Value::String(_) => v.to_bool().map_or(Value::Undefined, Value::Bool),
            other => match other.to_num() {
                Some(Num::Int(i)) => Value::Bool(i != 0),
                Some(Num::Dec(d)) => Value::Bool(d != 0.0),
                None => Value::Undefined,
            },
        },
    }
}
