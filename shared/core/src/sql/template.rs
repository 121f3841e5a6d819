//! Substitution templates: action fields such as `"${topic()}/republish"` or
//! `"${temperature}"`, whose `${expression}` parts are evaluated against the message
//! ("Substitution templates"). Like AWS, an expression sees the original payload, functions
//! and operators, not the aliases of the SELECT; it may use the statement's SET variables when
//! the template is parsed with [`Template::parse_for`].

use super::ast::{Expr, SqlVersion, Statement};
use super::context::{EvalContext, ExternalFunctions};
use super::error::{EvalError, ParseError};
use super::eval::{compute_vars, document, eval, Env, Shared};
use super::parser::parse_expression;
use super::value::Value;

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Expr(Expr),
}

/// A parsed substitution template: parse once, render per message.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
    sets: Vec<(String, Expr)>,
    version: SqlVersion,
    needs_payload: bool,
}

impl Template {
    /// Parses a template whose expressions follow SQL version 2016-03-23.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] (positions within the template) when a `${` is not closed or an
    /// expression does not parse.
    pub fn parse(template: &str) -> Result<Self, ParseError> {
        Self::parse_inner(template, Vec::new(), SqlVersion::default(), false)
    }

    /// Parses a template for the actions of `statement`: its expressions may read the
    /// statement's SET variables (`${@name}`) and follow its SQL version.
    ///
    /// # Errors
    ///
    /// As [`Template::parse`].
    pub fn parse_for(statement: &Statement, template: &str) -> Result<Self, ParseError> {
        Self::parse_inner(
            template,
            statement.sets.clone(),
            statement.version,
            statement.needs_payload,
        )
    }

    fn parse_inner(
        template: &str,
        sets: Vec<(String, Expr)>,
        version: SqlVersion,
        sets_read_payload: bool,
    ) -> Result<Self, ParseError> {
        let names: Vec<String> = sets.iter().map(|(n, _)| n.clone()).collect();
        let mut needs_payload = sets_read_payload;
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while let Some(found) = template.get(i..).and_then(|rest| rest.find("${")) {
            let open = i + found;
            text.push_str(template.get(i..open).unwrap_or_default());
            let start = open + 2;
            let end = closing_brace(template, start)
                .ok_or_else(|| ParseError::at(template, open, "`${` is not closed by `}`"))?;
            let (e, reads) = parse_expression(template, start, end, version, names.clone())?;
            needs_payload |= reads;
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Expr(e));
            i = end + 1;
        }
        text.push_str(template.get(i..).unwrap_or_default());
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Self {
            parts,
            sets,
            version,
            needs_payload,
        })
    }

    /// Renders the template for one message. An expression that is Undefined renders as the
    /// empty string (AWS: "Undefined is converted to an empty string when serialized by
    /// itself"); strings render as their text, `null` as `null`, other values as JSON.
    ///
    /// # Errors
    ///
    /// An [`EvalError`] when an external function fails.
    pub fn render(
        &self,
        payload: &[u8],
        ctx: &EvalContext,
        external: &dyn ExternalFunctions,
    ) -> Result<String, EvalError> {
        let doc = document(payload, self.needs_payload, self.version);
        let shared = Shared::new(ctx, external, payload, self.version);
        let vars = compute_vars(&self.sets, &doc, &shared)?;
        let env = Env::top(&doc, &vars, &shared);
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr(e) => match eval(e, &env)? {
                    Value::Null => out.push_str("null"),
                    v => {
                        if let Some(s) = v.to_str() {
                            out.push_str(&s);
                        }
                    }
                },
            }
        }
        Ok(out)
    }
}

/// The byte offset of the `}` that closes a `${` whose expression starts at `start`: braces
/// of object literals nest, and braces inside quoted strings do not count.
fn closing_brace(s: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.get(start..)?.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '{' => depth += 1,
            '}' if depth == 0 => return Some(start + i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}
