//! Numeric functions of AWS's "Functions" page: `abs`, the trigonometric and hyperbolic
//! functions, `ceil`, `floor`, `round`, `sign`, `trunc`, `mod`/`remainder`, `power`, `exp`,
//! `ln`, `log`, `sqrt`, `nanvl`, `rand`, and the bitwise `bitand`, `bitor`, `bitxor`, `bitnot`.
//!
//! Arguments go through the standard conversions: strings in AWS's decimal syntax count as
//! `Decimal`s, anything else that is not a number makes the result `Undefined`. Functions that
//! AWS computes "with double precision" return `Decimal`s; results that are not real numbers
//! (`sqrt(-1)`, `ln(0)`) are `Undefined`.

use std::cell::Cell;

use super::arg;
use crate::sql::value::{decimal, f64_to_i64, Num, Value};

/// A numeric function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MathFn {
    Abs,
    Acos,
    Asin,
    Atan,
    Atan2,
    Ceil,
    Cos,
    Cosh,
    Exp,
    Floor,
    Ln,
    Log,
    Mod,
    Nanvl,
    Power,
    Rand,
    Round,
    Sign,
    Sin,
    Sinh,
    Sqrt,
    Tan,
    Tanh,
    Trunc,
    BitAnd,
    BitOr,
    BitXor,
    BitNot,
}

/// Applies `f` to `args`. `rng` feeds `rand()`.
pub(crate) fn call<'v>(f: MathFn, args: &mut [Value<'v>], rng: &Cell<u64>) -> Value<'v> {
    if f == MathFn::Nanvl {
        return nanvl(args);
    }
    let a = arg(args, 0);
    let b = arg(args, 1);
    let unary = |g: fn(f64) -> f64| a.to_f64().map_or(Value::Undefined, |x| decimal(g(x)));
    match f {
        MathFn::Abs => match a.to_num() {
            Some(Num::Int(i)) => i
                .checked_abs()
                .map_or_else(|| decimal((i as f64).abs()), Value::Int),
            Some(Num::Dec(d)) => decimal(d.abs()),
            None => Value::Undefined,
        },
        MathFn::Acos => unary(f64::acos),
        MathFn::Asin => unary(f64::asin),
        MathFn::Atan => unary(f64::atan),
        MathFn::Cos => unary(f64::cos),
        MathFn::Cosh => unary(f64::cosh),
        MathFn::Exp => unary(f64::exp),
        MathFn::Ln => unary(|x| if x > 0.0 { x.ln() } else { f64::NAN }),
        MathFn::Log => unary(|x| if x > 0.0 { x.log10() } else { f64::NAN }),
        MathFn::Sin => unary(f64::sin),
        MathFn::Sinh => unary(f64::sinh),
        MathFn::Sqrt => unary(f64::sqrt),
        MathFn::Tan => unary(f64::tan),
        MathFn::Tanh => unary(f64::tanh),
        MathFn::Atan2 => match (a.to_f64(), b.to_f64()) {
            (Some(y), Some(x)) => decimal(y.atan2(x)),
            _ => Value::Undefined,
        },
        MathFn::Power => match (a.to_f64(), b.to_f64()) {
            (Some(x), Some(y)) => decimal(x.powf(y)),
            _ => Value::Undefined,
        },
        MathFn::Ceil => round_with(a, f64::ceil),
        MathFn::Floor => round_with(a, f64::floor),
        // Half away from zero: round(1.5) = 2, round(-1.5) = -2.
        MathFn::Round => round_with(a, f64::round),
        MathFn::Sign => match a.to_num() {
            Some(Num::Int(i)) => Value::Int(i.signum()),
            Some(Num::Dec(d)) => Value::Int(if d > 0.0 {
                1
            } else if d < 0.0 {
                -1
            } else {
                0
            }),
            None => Value::Undefined,
        },
        MathFn::Mod => modulo(a, b),
        MathFn::Nanvl => Value::Undefined, // handled above
        MathFn::Rand => {
            let bits = super::next_random(rng) >> 11;
            Value::Decimal(bits as f64 / (1u64 << 53) as f64)
        }
        MathFn::Trunc => trunc(a, b),
        MathFn::BitAnd => bits2(a, b, |x, y| x & y),
        MathFn::BitOr => bits2(a, b, |x, y| x | y),
        MathFn::BitXor => bits2(a, b, |x, y| x ^ y),
        MathFn::BitNot => a
            .to_int_floor()
            .map_or(Value::Undefined, |x| Value::Int(!x)),
    }
}

/// `nanvl(a, b)`: `b` when `a` is Undefined, Null or NaN; otherwise `a`.
fn nanvl<'v>(args: &mut [Value<'v>]) -> Value<'v> {
    let second = match args.first() {
        None | Some(Value::Undefined | Value::Null) => true,
        Some(Value::Decimal(d)) => d.is_nan(),
        Some(_) => false,
    };
    args.get_mut(usize::from(second))
        .map(std::mem::take)
        .unwrap_or_default()
}

/// `ceil`, `floor`, `round`: `Int`s pass through; decimals become the nearest `Int` the
/// rounding picks (or stay `Decimal` beyond 64 bits).
fn round_with(a: &Value<'_>, g: fn(f64) -> f64) -> Value<'static> {
    match a.to_num() {
        Some(Num::Int(i)) => Value::Int(i),
        Some(Num::Dec(d)) => {
            let r = g(d);
            f64_to_i64(r).map_or_else(|| decimal(r), Value::Int)
        }
        None => Value::Undefined,
    }
}

/// `%`, `mod`, `remainder`: `Int % Int` is an `Int`; otherwise a `Decimal`. The result has
/// the sign of the dividend (as Java's remainder). A zero divisor is `Undefined`.
pub(crate) fn modulo(a: &Value<'_>, b: &Value<'_>) -> Value<'static> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            if *y == 0 {
                Value::Undefined
            } else {
                Value::Int(x.checked_rem(*y).unwrap_or(0))
            }
        }
        _ => match (a.to_num(), b.to_num()) {
            (Some(x), Some(y)) if y.as_f64() != 0.0 => decimal(x.as_f64() % y.as_f64()),
            _ => Value::Undefined,
        },
    }
}

fn bits2(a: &Value<'_>, b: &Value<'_>, g: fn(i64, i64) -> i64) -> Value<'static> {
    match (a.to_int_floor(), b.to_int_floor()) {
        (Some(x), Some(y)) => Value::Int(g(x, y)),
        _ => Value::Undefined,
    }
}

/// `trunc(x, n)`: `x` cut (not rounded) to `n` decimal places, `n` clamped to 0..=34,
/// trailing zeros dropped; a result without a fraction is an `Int`.
fn trunc(a: &Value<'_>, b: &Value<'_>) -> Value<'static> {
    let Some(places) = b.to_int_floor_saturating() else {
        return Value::Undefined;
    };
    let places = usize::try_from(places.clamp(0, 34)).unwrap_or(0);
    match a.to_num() {
        Some(Num::Int(i)) => Value::Int(i),
        Some(Num::Dec(d)) => {
            // Display of f64 is the shortest text that reads back exactly, never exponential,
            // so cutting digits from it truncates in decimal, as AWS's decimals do.
            let text = format!("{d}");
            let cut = match text.find('.') {
                Some(dot) => {
                    let end = (dot + 1 + places).min(text.len());
                    let kept = text.get(..end).unwrap_or(&text);
                    kept.trim_end_matches('0').trim_end_matches('.').to_owned()
                }
                None => text,
            };
            if !cut.contains('.') {
                if let Ok(i) = cut.parse::<i64>() {
                    return Value::Int(i);
                }
            }
            cut.parse::<f64>().map_or(Value::Undefined, decimal)
        }
        None => Value::Undefined,
    }
}
