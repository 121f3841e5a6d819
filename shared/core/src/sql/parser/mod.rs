//! A recursive-descent parser for AWS IoT SQL, with nesting bounded by [`MAX_DEPTH`] so that
//! no statement can exhaust the stack.
//!
//! Precedence, loosest first (AWS documents none; this is ANSI SQL's): `OR`; `AND`; `NOT`;
//! comparisons `= <> != < <= > >=` and `IN`; `+ -`; `* / %`; unary `-`; then `.name` and
//! `[index]`. Binary operators associate to the left.

mod expr;

use super::access::PayloadAccess;
use super::ast::{BinOp, Expr, Select, SelectItem, SqlVersion, Statement, Step};
use super::error::ParseError;
use super::functions;
use super::lexer::{tokenize_range, Tok, Token};
use crate::topic::{validate_topic_filter, TopicLimits};

/// The deepest nesting of parentheses, calls, literals, CASE, nested queries and unary
/// operators a statement may have.
pub(crate) const MAX_DEPTH: usize = 64;

/// The most segments an alias path (`AS a.b.c`) may have.
const MAX_ALIAS_SEGMENTS: usize = 16;

/// The most SET variables a statement may define ("SET clause" limits).
const MAX_VARIABLES: usize = 10;

const RESERVED: &[&str] = &[
    "AND", "AS", "CASE", "ELSE", "END", "EXISTS", "FALSE", "FROM", "IN", "NOT", "NULL", "OR",
    "SELECT", "SET", "THEN", "TRUE", "WHEN", "WHERE",
];

/// Parser state over one token list.
pub(crate) struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    version: SqlVersion,
    vars: Vec<String>,
    needs_payload: bool,
}

/// Parses a whole statement.
pub(crate) fn parse_statement(src: &str, version: SqlVersion) -> Result<Statement, ParseError> {
    let mut p = Parser::new(src, 0, src.len(), version, Vec::new())?;
    p.statement()
}

/// Parses the expression in bytes `start..end` of `src` (a substitution template's
/// `${...}`), with `vars` as the SET variables in scope. Returns the expression and whether
/// it reads the payload.
pub(crate) fn parse_expression(
    src: &str,
    start: usize,
    end: usize,
    version: SqlVersion,
    vars: Vec<String>,
) -> Result<(Expr, bool), ParseError> {
    let mut p = Parser::new(src, start, end, version, vars)?;
    let e = p.expr()?;
    p.expect_eof()?;
    Ok((e, p.needs_payload))
}

impl<'s> Parser<'s> {
    fn new(
        src: &'s str,
        start: usize,
        end: usize,
        version: SqlVersion,
        vars: Vec<String>,
    ) -> Result<Self, ParseError> {
        Ok(Self {
            src,
            toks: tokenize_range(src, start, end)?,
            pos: 0,
            depth: 0,
            version,
            vars,
            needs_payload: false,
        })
    }

    fn peek(&self) -> Token {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> Token {
        let fallback = Token {
            tok: Tok::Eof,
            start: self.src.len(),
            end: self.src.len(),
        };
        self.toks
            .get(self.pos + ahead)
            .or(self.toks.last())
            .cloned()
            .unwrap_or(fallback)
    }

    fn advance(&mut self) -> Token {
        let t = self.peek();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn text(&self, t: &Token) -> &'s str {
        self.src.get(t.start..t.end).unwrap_or_default()
    }

    fn is_kw(&self, t: &Token, kw: &str) -> bool {
        t.tok == Tok::Ident && self.text(t).eq_ignore_ascii_case(kw)
    }

    fn peek_kw(&self, kw: &str) -> bool {
        self.is_kw(&self.peek(), kw)
    }

    fn describe(&self, t: &Token) -> String {
        match t.tok {
            Tok::Eof => "end of statement".to_owned(),
            _ => format!("`{}`", self.text(t)),
        }
    }

    fn err(&self, t: &Token, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.src, t.start, msg)
    }

    fn unexpected(&self, t: &Token, wanted: &str) -> ParseError {
        self.err(t, format!("expected {wanted}, found {}", self.describe(t)))
    }

    fn expect(&mut self, tok: Tok, wanted: &str) -> Result<Token, ParseError> {
        let t = self.peek();
        if t.tok == tok {
            Ok(self.advance())
        } else {
            Err(self.unexpected(&t, wanted))
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<Token, ParseError> {
        let t = self.peek();
        if self.is_kw(&t, kw) {
            Ok(self.advance())
        } else {
            Err(self.unexpected(&t, kw))
        }
    }

    fn expect_eof(&mut self) -> Result<(), ParseError> {
        let t = self.peek();
        if t.tok == Tok::Eof {
            Ok(())
        } else {
            Err(self.err(&t, format!("unexpected {}", self.describe(&t))))
        }
    }

    fn enter(&mut self, at: &Token) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                at,
                format!("the statement nests more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn require_2016(&self, at: &Token, what: &str) -> Result<(), ParseError> {
        if self.version.is_2016() {
            Ok(())
        } else {
            Err(self.err(at, format!("{what} requires SQL version 2016-03-23")))
        }
    }

    fn statement(&mut self) -> Result<Statement, ParseError> {
        let mut sets = Vec::new();
        if self.peek_kw("SET") {
            let set = self.advance();
            self.require_2016(&set, "SET")?;
            loop {
                let var = self.expect(Tok::Var, "a variable such as @name")?;
                let name = self.text(&var).get(1..).unwrap_or_default().to_owned();
                if self.vars.contains(&name) {
                    return Err(self.err(&var, format!("variable @{name} is set twice")));
                }
                if self.vars.len() == MAX_VARIABLES {
                    return Err(self.err(
                        &var,
                        format!("at most {MAX_VARIABLES} variables may be set"),
                    ));
                }
                self.expect(Tok::Eq, "`=`")?;
                let e = self.expr()?;
                self.vars.push(name.clone());
                sets.push((name, e));
                if self.peek().tok == Tok::Comma {
                    self.advance();
                } else {
                    break;
                }
            }
        }
        self.expect_kw("SELECT")?;
        let select = self.select_list()?;
        let mut from = None;
        if self.peek_kw("FROM") {
            self.advance();
            let t = self.advance();
            match t.tok {
                Tok::Str(ref filter) => {
                    validate_topic_filter(filter, &TopicLimits::default())
                        .map_err(|e| self.err(&t, format!("invalid topic filter: {e}")))?;
                    from = Some(filter.clone());
                }
                Tok::Ident | Tok::Slash => {
                    return Err(self.err(&t, "the topic filter must be quoted, e.g. FROM 'a/b'"))
                }
                _ => return Err(self.unexpected(&t, "a quoted topic filter")),
            }
        }
        let where_ = if self.peek_kw("WHERE") {
            self.advance();
            Some(self.expr()?)
        } else {
            None
        };
        self.expect_eof()?;
        let mut statement = Statement {
            version: self.version,
            sets,
            select,
            from,
            where_,
            needs_payload: self.needs_payload,
            access: PayloadAccess::Nothing,
        };
        statement.access = PayloadAccess::of(&statement);
        Ok(statement)
    }

    fn select_list(&mut self) -> Result<Select, ParseError> {
        if self.peek_kw("VALUE") {
            let next = self.peek_at(1);
            let ends_item = matches!(
                next.tok,
                Tok::Comma | Tok::Eof | Tok::Dot | Tok::LBracket | Tok::RParen
            ) || self.is_kw(&next, "FROM")
                || self.is_kw(&next, "AS");
            if !ends_item {
                self.advance();
                return Ok(Select::Value(self.expr()?));
            }
        }
        let mut items = Vec::new();
        loop {
            let e = self.expr()?;
            if self.peek_kw("AS") {
                self.advance();
                let mut name = Vec::new();
                loop {
                    let t = self.expect(Tok::Ident, "a name after AS")?;
                    name.push(self.text(&t).to_owned());
                    if name.len() > MAX_ALIAS_SEGMENTS {
                        return Err(self.err(&t, "the alias has too many segments"));
                    }
                    if self.peek().tok != Tok::Dot {
                        break;
                    }
                    self.advance();
                }
                items.push(SelectItem::Expr { expr: e, name });
            } else if matches!(e, Expr::Payload) {
                items.push(SelectItem::Star);
            } else {
                let name = vec![self.derived_name(&e, items.len() + 1)];
                items.push(SelectItem::Expr { expr: e, name });
            }
            if self.peek().tok != Tok::Comma {
                return Ok(Select::Items(items));
            }
            self.advance();
        }
    }

    /// The key of a SELECT item without an alias: a name or a path's last key, a function's
    /// name, a variable's name; otherwise `_N` for the N-th item (AWS does not document
    /// this case).
    fn derived_name(&self, e: &Expr, index: usize) -> String {
        match e {
            Expr::Ident(name) => name.clone(),
            Expr::Path { base, steps } => match steps.last() {
                Some(Step::Field(name)) => name.clone(),
                _ => self.derived_name(base, index),
            },
            Expr::Call(call) => functions::BUILTINS
                .iter()
                .find(|s| s.func == call.func)
                .map_or_else(|| format!("_{index}"), |s| s.name.to_owned()),
            Expr::External { name, .. } => (*name).to_owned(),
            Expr::Var(i) => self
                .vars
                .get(*i)
                .cloned()
                .unwrap_or_else(|| format!("_{index}")),
            _ => format!("_{index}"),
        }
    }
}

/// `first` alone, or a left-to-right chain.
fn chain(first: Expr, rest: Vec<(BinOp, Expr)>) -> Expr {
    if rest.is_empty() {
        first
    } else {
        Expr::Chain {
            first: Box::new(first),
            rest,
        }
    }
}
