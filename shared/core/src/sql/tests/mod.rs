//! Tests of the SQL layer, in tables built from AWS's documentation: each table names the
//! page its cases come from. Where we decided a case AWS leaves open, the test says so.

mod binary;
mod context_fns;
mod functions;
mod fuzz;
mod operators;
mod parse_errors;
mod select;
mod strings_time;
mod templates;

use super::eval::{eval, Env, Shared};
use super::parser::parse_expression;
use super::payload::parse_payload;
use super::*;

/// The context most tests evaluate in: topic `topic/subtopic`, a fixed clock and seed.
pub(super) fn ctx() -> EvalContext {
    let mut c = EvalContext::new("topic/subtopic");
    c.timestamp_ms = 1_481_825_251_155;
    c.client_id = Some("client-1".to_owned());
    c.random_seed = 42;
    c
}

/// Runs a statement against a payload in [`ctx`].
pub(super) fn run_with(sql: &str, payload: &[u8], c: &EvalContext) -> Option<Output> {
    let statement = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    evaluate(&statement, payload, c, &NoExternalFunctions).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Runs a statement and returns its JSON output (panics on no output or binary output).
pub(super) fn json(sql: &str, payload: &str) -> serde_json::Value {
    match run_with(sql, payload.as_bytes(), &ctx()) {
        Some(Output::Json(j)) => j,
        other => panic!("{sql}: expected JSON output, got {other:?}"),
    }
}

/// The value of one expression against a payload, with its exact type (no output
/// normalisation), as SQL 2016-03-23 computes it in [`ctx`].
pub(super) fn value_in(expr: &str, payload: &str, c: &EvalContext) -> Value<'static> {
    let version = SqlVersion::V2016_03_23;
    let (e, _) = parse_expression(expr, 0, expr.len(), version, Vec::new())
        .unwrap_or_else(|err| panic!("{expr}: {err}"));
    let doc = parse_payload(payload.as_bytes(), true);
    let shared = Shared::new(c, &NoExternalFunctions, payload.as_bytes(), version);
    let env = Env::top(&doc, &[], &shared);
    eval(&e, &env)
        .unwrap_or_else(|err| panic!("{expr}: {err}"))
        .into_owned()
}

/// [`value_in`] with the default context.
pub(super) fn value(expr: &str, payload: &str) -> Value<'static> {
    value_in(expr, payload, &ctx())
}

/// Shorthands for expected values.
pub(super) fn s(text: &str) -> Value<'static> {
    Value::string(text)
}

pub(super) fn j(json: serde_json::Value) -> Value<'static> {
    Value::from_json(&json)
}

pub(super) const U: Value<'static> = Value::Undefined;

/// Asserts each `(expression, expected)` pair against `payload`; decimals compare to within
/// a relative 1e-12 (AWS computes them in Java, we in Rust: the last digit may differ).
pub(super) fn check(table: &[(&str, Value<'static>)], payload: &str) {
    for (expr, expected) in table {
        let got = value(expr, payload);
        let same = match (&got, expected) {
            (Value::Decimal(a), Value::Decimal(b)) => {
                (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
            }
            _ => got == *expected,
        };
        assert!(same, "{expr}: expected {expected:?}, got {got:?}");
    }
}
