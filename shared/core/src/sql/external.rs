//! Functions that call other services, resolved ahead of evaluation so that the SQL layer
//! stays pure and synchronous.
//!
//! A host that can only reach services asynchronously (the Store, other AWS APIs) evaluates a
//! statement with a [`Prefetch`]: calls it has results for are answered, the others are noted
//! and answered `Undefined` for now. The host resolves the noted [`ExternalCall`]s, adds them
//! to its [`ExternalResults`] and evaluates again, until a pass notes nothing new. Evaluation is
//! deterministic for one message (time and randomness come from the context), so each pass
//! sees the same calls, and a call whose arguments depend on another call's result is found in
//! the pass after that result arrives.

use std::cell::RefCell;

use super::context::ExternalFunctions;
use super::error::EvalError;
use super::value::Value;

/// One call of an external function: its lower-case name and evaluated arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalCall {
    /// The function, e.g. `get_thing_shadow`.
    pub name: String,
    /// The evaluated arguments, in order.
    pub args: Vec<Value<'static>>,
}

impl ExternalCall {
    /// Argument `i` as a string, when it is one.
    pub fn str_arg(&self, i: usize) -> Option<&str> {
        match self.args.get(i) {
            Some(Value::String(s)) => Some(s.as_ref()),
            _ => None,
        }
    }

    fn is(&self, name: &str, args: &[Value<'_>]) -> bool {
        self.name == name && self.args.len() == args.len() && self.args.iter().eq(args.iter())
    }
}

/// The results of the external calls resolved for one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExternalResults {
    results: Vec<(ExternalCall, Result<Value<'static>, EvalError>)>,
}

impl ExternalResults {
    /// No results yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the result of `call` (replacing an earlier one for the same call).
    pub fn insert(&mut self, call: ExternalCall, result: Result<Value<'static>, EvalError>) {
        match self.results.iter_mut().find(|(c, _)| *c == call) {
            Some(slot) => slot.1 = result,
            None => self.results.push((call, result)),
        }
    }

    /// The result of `name(args)`, when resolved.
    pub fn get(
        &self,
        name: &str,
        args: &[Value<'_>],
    ) -> Option<&Result<Value<'static>, EvalError>> {
        self.results
            .iter()
            .find(|(c, _)| c.is(name, args))
            .map(|(_, r)| r)
    }

    /// Number of resolved calls.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// Whether nothing was resolved.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }
}

/// Answers from the results; a call that was not resolved is
/// [`EvalError::ExternalUnavailable`].
impl ExternalFunctions for ExternalResults {
    fn call(&self, name: &str, args: &[Value<'_>]) -> Result<Value<'static>, EvalError> {
        match self.get(name, args) {
            Some(result) => result.clone(),
            None => Err(EvalError::ExternalUnavailable {
                name: name.to_owned(),
            }),
        }
    }
}

/// One evaluation pass: answers from `results` and notes the calls they lack (answered
/// `Undefined` for this pass).
#[derive(Debug)]
pub struct Prefetch<'r> {
    results: &'r ExternalResults,
    missing: RefCell<Vec<ExternalCall>>,
}

impl<'r> Prefetch<'r> {
    /// A pass over `results`.
    pub fn new(results: &'r ExternalResults) -> Self {
        Self {
            results,
            missing: RefCell::new(Vec::new()),
        }
    }

    /// The calls this pass made that have no result yet, each once, in order.
    pub fn into_missing(self) -> Vec<ExternalCall> {
        self.missing.into_inner()
    }
}

impl ExternalFunctions for Prefetch<'_> {
    fn call(&self, name: &str, args: &[Value<'_>]) -> Result<Value<'static>, EvalError> {
        if let Some(result) = self.results.get(name, args) {
            return result.clone();
        }
        let mut missing = self.missing.borrow_mut();
        if !missing.iter().any(|c| c.is(name, args)) {
            missing.push(ExternalCall {
                name: name.to_owned(),
                args: args.iter().map(|a| a.clone().into_owned()).collect(),
            });
        }
        Ok(Value::Undefined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{evaluate, parse, EvalContext, Output};
    use serde_json::json;

    /// A pretend shadow service: thing `t-<n>` has `state.reported.level` = n; the registry
    /// says thing `dev-1` lives in room `lamp-7`.
    fn resolve(call: &ExternalCall) -> Result<Value<'static>, EvalError> {
        match (call.name.as_str(), call.str_arg(0)) {
            ("get_thing_shadow", Some(thing)) => {
                let level: i64 = thing
                    .trim_start_matches(|c: char| !c.is_ascii_digit())
                    .parse()
                    .unwrap_or(0);
                Ok(Value::from_json(
                    &json!({"state": {"reported": {"level": level}}}),
                ))
            }
            ("get_registry_data", Some("DescribeThing")) => {
                Ok(Value::from_json(&json!({"attributes": {"lamp": "t-7"}})))
            }
            _ => Err(EvalError::External {
                name: call.name.clone(),
                message: "no such service".to_owned(),
            }),
        }
    }

    /// What a host does: evaluate, resolve what was missing, evaluate again.
    fn run(sql: &str, payload: &str) -> (Result<Option<Output>, EvalError>, usize) {
        let statement = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let ctx = EvalContext::new("rooms/dev-1");
        let mut results = ExternalResults::new();
        for pass in 1..=4 {
            let prefetch = Prefetch::new(&results);
            let out = evaluate(&statement, payload.as_bytes(), &ctx, &prefetch);
            let missing = prefetch.into_missing();
            if missing.is_empty() {
                return (out, pass);
            }
            for call in missing {
                let result = resolve(&call);
                results.insert(call, result);
            }
        }
        (evaluate(&statement, payload.as_bytes(), &ctx, &results), 5)
    }

    #[test]
    fn calls_are_resolved_between_passes() {
        // In SELECT and WHERE: one call, resolved once, seen by both.
        let (out, passes) = run(
            "SELECT get_thing_shadow(thing, 'arn:aws:iam::1:role/r').state.reported.level AS level \
             FROM 'rooms/+' WHERE get_thing_shadow(thing, 'arn:aws:iam::1:role/r').state.reported.level > 2",
            r#"{"thing": "t-5"}"#,
        );
        assert_eq!(out, Ok(Some(Output::Json(json!({"level": 5})))));
        assert_eq!(passes, 2);
        // WHERE false once the shadow is known.
        let (out, _) = run(
            "SELECT 1 AS x FROM 'rooms/+' WHERE get_thing_shadow(thing, 'r').state.reported.level > 2",
            r#"{"thing": "t-1"}"#,
        );
        assert_eq!(out, Ok(None));
        // A call whose argument is another call's result takes one more pass.
        let (out, passes) = run(
            "SELECT get_thing_shadow(get_registry_data('DescribeThing', topic(2), 'r').attributes.lamp, 'r').state.reported.level AS lamp FROM 'rooms/+'",
            "{}",
        );
        assert_eq!(out, Ok(Some(Output::Json(json!({"lamp": 7})))));
        assert_eq!(passes, 3);
        // A failing service fails the statement, as with a synchronous port.
        let (out, _) = run(
            "SELECT get_dynamodb('t', 'k', 1, 'r') AS row FROM 'rooms/+'",
            "{}",
        );
        assert_eq!(
            out,
            Err(EvalError::External {
                name: "get_dynamodb".to_owned(),
                message: "no such service".to_owned()
            })
        );
    }

    #[test]
    fn unresolved_calls_are_unavailable() {
        let statement = parse("SELECT get_thing_shadow('a', 'r') AS s FROM 'x'")
            .unwrap_or_else(|e| panic!("{e}"));
        let results = ExternalResults::new();
        assert_eq!(
            evaluate(&statement, b"{}", &EvalContext::new("x"), &results),
            Err(EvalError::ExternalUnavailable {
                name: "get_thing_shadow".to_owned()
            })
        );
    }
}
