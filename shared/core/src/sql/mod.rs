//! # AWS IoT SQL
//!
//! The rules engine's language, as AWS IoT Core's "SQL reference" defines it (version
//! 2016-03-23, with 2015-10-08 where it differs cheaply): parse a rule's statement once,
//! then evaluate it against each message.
//!
//! ```
//! use thingcore::sql::{evaluate, parse, EvalContext, NoExternalFunctions, Output};
//!
//! let rule = parse("SELECT temp, topic(2) AS device FROM 'sensors/+' WHERE temp > 30").unwrap();
//! assert_eq!(rule.topic_filter(), "sensors/+");
//! let ctx = EvalContext::new("sensors/kitchen");
//! let out = evaluate(&rule, br#"{"temp": 35}"#, &ctx, &NoExternalFunctions).unwrap();
//! assert_eq!(out, Some(Output::Json(serde_json::json!({"temp": 35, "device": "kitchen"}))));
//! ```
//!
//! A tour, in the order a statement travels:
//!
//! - `lexer` and `parser`: text to a [`Statement`]. Keywords and function names
//!   are case-insensitive; unknown functions, wrong argument counts and features of a later
//!   SQL version are [`ParseError`]s with a line and column, as AWS refuses them at
//!   `CreateTopicRule`. Nesting is bounded (64 levels), so no statement can exhaust the stack.
//! - `ast`: the statement, with flat operator chains.
//! - `payload` and `value`: the payload becomes a [`Value`] — the JSON types plus
//!   `Undefined` and `Binary` — that borrows the payload's bytes; non-JSON payloads stay
//!   raw bytes ("Binary payloads").
//! - `access`: which top-level keys of the payload a statement reads, worked out at parse
//!   time; an evaluation builds only those members and skips the rest of the JSON (checked,
//!   not built), so the payload's size costs little beyond one pass over its bytes.
//! - `eval`: WHERE first (a WHERE that is not `true` builds nothing), then SELECT; type
//!   mismatches, division by zero and missing keys are `Undefined`, never errors, and
//!   `Undefined` members are left out of the output.
//! - `functions`: every function of AWS's reference, one file per family; the ones that call
//!   other services go through [`ExternalFunctions`].
//! - `external`: [`Prefetch`] and [`ExternalResults`], for hosts that resolve external calls
//!   (the Store, other services) asynchronously between evaluation passes.
//! - `template`: substitution templates (`${topic(2)}`) for rule actions.
//! - `fuzzing`, only in the fuzz targets' build (`fuzz/`): the scanner and the payload reader,
//!   for the JSON target's differential checks.
//!
//! Choices where AWS's pages are silent or disagree with themselves:
//!
//! - Decimals are doubles. With 2016-03-23, whole decimals in the payload, in literals and in
//!   `cast(x AS Decimal)` are Ints, and whole decimals are written as integers in the output.
//! - `Int / Int` is an Int (the operator table), although one SET example shows a fraction.
//! - A payload is JSON when it is a JSON object or array; anything else is `Binary`.
//! - `SELECT *, x` on a non-empty binary payload is [`EvalError::BinaryPayloadMerge`].
//! - Unaliased items are named by their last key, their function, or `_N` for the N-th item.
//! - `Undefined` elements are left out of arrays, as members are left out of objects.
//! - Searched `CASE WHEN cond THEN ...`, `!=` and `a[i]` are accepted beyond the documented
//!   forms; `||` and backquoted names are refused with a hint.

mod access;
mod ast;
mod context;
mod error;
mod eval;
mod external;
mod functions;
mod lexer;
mod parser;
mod payload;
mod scan;
mod template;
mod value;

#[cfg(test)]
mod tests;

/// Doors to the payload reader for the fuzz targets in `fuzz/`, which are built with
/// `--cfg fuzzing`. Not part of thingcore's API: no other build has them.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    use super::Value;

    /// Whether the JSON scanner takes `bytes` as exactly one JSON document.
    pub fn json_is_valid(bytes: &[u8]) -> bool {
        let mut scanner = super::scan::Scanner::new(bytes);
        scanner.skip_value(0).is_some() && scanner.at_end()
    }

    /// The payload as a statement that reads all of it sees it (SQL 2016-03-23).
    pub fn payload(bytes: &[u8]) -> Value<'_> {
        super::payload::parse_payload(bytes, true)
    }

    /// The payload as a statement that reads only the top-level `keys` sees it.
    pub fn payload_keys<'a>(bytes: &'a [u8], keys: &[String]) -> Value<'a> {
        super::payload::parse_payload_keys(bytes, true, keys)
    }
}

pub use ast::{SqlVersion, Statement, UnknownSqlVersion};
pub use context::{EvalContext, ExternalFunctions, MqttProperties, NoExternalFunctions};
pub use error::{EvalError, ParseError, SubstitutionError};
pub use eval::Output;
pub use external::{ExternalCall, ExternalResults, Prefetch};
pub use template::Template;
pub use value::{Many, Member, Value};

/// Parses a rule's SQL statement as SQL version 2016-03-23.
///
/// # Errors
///
/// A [`ParseError`] with the line and column of the offending token.
pub fn parse(sql: &str) -> Result<Statement, ParseError> {
    parse_with_version(sql, SqlVersion::default())
}

/// Parses a rule's SQL statement for an `awsIotSqlVersion`.
///
/// # Errors
///
/// A [`ParseError`] with the line and column of the offending token.
pub fn parse_with_version(sql: &str, version: SqlVersion) -> Result<Statement, ParseError> {
    parser::parse_statement(sql, version)
}

/// Evaluates a statement against one message. `Ok(None)` when the WHERE clause is not
/// `true` (the rule's actions do not run); otherwise the SELECT's output.
///
/// # Errors
///
/// An [`EvalError`] when an external function fails, or when `SELECT *, ...` meets a payload
/// that has no keys to add to. Everything else AWS evaluates to `Undefined`, and so do we.
pub fn evaluate(
    statement: &Statement,
    payload: &[u8],
    ctx: &EvalContext,
    external: &dyn ExternalFunctions,
) -> Result<Option<Output>, EvalError> {
    eval::evaluate_statement(statement, payload, ctx, external)
}

/// Renders a substitution template (`"${topic()}/republish"`) for one message: parses it
/// and renders it at once. To render many messages, parse a [`Template`] once instead.
///
/// # Errors
///
/// [`SubstitutionError::Parse`] when the template does not parse, and
/// [`SubstitutionError::Eval`] when an external function fails.
pub fn substitute(
    template: &str,
    payload: &[u8],
    ctx: &EvalContext,
    external: &dyn ExternalFunctions,
) -> Result<String, SubstitutionError> {
    Ok(Template::parse(template)?.render(payload, ctx, external)?)
}
