//! Expressions: the precedence levels from OR down to primaries, calls, CASE and nested
//! queries.

use super::{chain, Parser, RESERVED};
use crate::sql::ast::{BinOp, Call, CastType, Expr, Literal, Step, SubQuery};
use crate::sql::error::ParseError;
use crate::sql::functions::{self, regexp, Func};
use crate::sql::lexer::{Tok, Token};
use crate::sql::value::whole_f64_to_i64;

impl Parser<'_> {
    pub(crate) fn expr(&mut self) -> Result<Expr, ParseError> {
        let first = self.and()?;
        if !self.peek_kw("OR") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek_kw("OR") {
            self.advance();
            items.push(self.and()?);
        }
        Ok(Expr::Or(items))
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let first = self.not()?;
        if !self.peek_kw("AND") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek_kw("AND") {
            self.advance();
            items.push(self.not()?);
        }
        Ok(Expr::And(items))
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.peek_kw("NOT") {
            let t = self.advance();
            self.enter(&t)?;
            let e = self.not()?;
            self.leave();
            return Ok(Expr::Not(Box::new(e)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        let mut acc = self.additive()?;
        let mut rest = Vec::new();
        let mut ins = 0;
        let result = loop {
            let op = match self.peek().tok {
                Tok::Eq => BinOp::Eq,
                Tok::Ne => BinOp::Ne,
                Tok::Lt => BinOp::Lt,
                Tok::Le => BinOp::Le,
                Tok::Gt => BinOp::Gt,
                Tok::Ge => BinOp::Ge,
                _ if self.peek_kw("IN") => {
                    let t = self.advance();
                    // Each IN wraps what precedes it: count it as a level of nesting.
                    self.enter(&t)?;
                    ins += 1;
                    let needle = chain(acc, std::mem::take(&mut rest));
                    acc = Expr::In {
                        needle: Box::new(needle),
                        haystack: Box::new(self.additive()?),
                    };
                    continue;
                }
                _ => break chain(acc, rest),
            };
            self.advance();
            rest.push((op, self.additive()?));
        };
        for _ in 0..ins {
            self.leave();
        }
        Ok(result)
    }

    fn additive(&mut self) -> Result<Expr, ParseError> {
        let first = self.multiplicative()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(chain(first, rest)),
            };
            self.advance();
            rest.push((op, self.multiplicative()?));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        let first = self.unary()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                Tok::Percent => BinOp::Mod,
                _ => return Ok(chain(first, rest)),
            };
            self.advance();
            rest.push((op, self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.peek().tok != Tok::Minus {
            return self.postfix();
        }
        let t = self.advance();
        self.enter(&t)?;
        let e = self.unary()?;
        self.leave();
        Ok(match e {
            Expr::Lit(Literal::Int(i)) => match i.checked_neg() {
                Some(n) => Expr::Lit(Literal::Int(n)),
                None => Expr::Lit(Literal::Dec(-(i as f64))),
            },
            Expr::Lit(Literal::Dec(d)) => Expr::Lit(Literal::Dec(-d)),
            other => Expr::Neg(Box::new(other)),
        })
    }

    fn postfix(&mut self) -> Result<Expr, ParseError> {
        let base = self.primary()?;
        let mut steps = Vec::new();
        loop {
            match self.peek().tok {
                Tok::Dot => {
                    self.advance();
                    let t = self.advance();
                    if t.tok != Tok::Ident {
                        return Err(self.err(
                            &t,
                            "expected a key after `.`; keys that are not names (such as `0` or `my-key`) need get(object, 'key')",
                        ));
                    }
                    steps.push(Step::Field(self.text(&t).to_owned()));
                }
                Tok::LBracket => {
                    let t = self.advance();
                    self.enter(&t)?;
                    let index = self.expr()?;
                    self.leave();
                    self.expect(Tok::RBracket, "`]`")?;
                    steps.push(Step::Index(index));
                }
                _ => break,
            }
        }
        Ok(if steps.is_empty() {
            base
        } else {
            Expr::Path {
                base: Box::new(base),
                steps,
            }
        })
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let t = self.advance();
        match t.tok {
            Tok::Int(i) => Ok(Expr::Lit(Literal::Int(i))),
            Tok::Dec(d) => Ok(Expr::Lit(match whole_f64_to_i64(d) {
                Some(i) if self.version.is_2016() => Literal::Int(i),
                _ => Literal::Dec(d),
            })),
            Tok::Str(ref s) => Ok(Expr::Lit(Literal::Str(s.clone()))),
            Tok::Star => {
                self.needs_payload = true;
                Ok(Expr::Payload)
            }
            Tok::Var => {
                let name = self.text(&t).get(1..).unwrap_or_default();
                match self.vars.iter().position(|v| v == name) {
                    Some(i) => Ok(Expr::Var(i)),
                    None => Err(self.err(
                        &t,
                        format!("unknown variable @{name}; set it first with SET @{name} = ..."),
                    )),
                }
            }
            Tok::LParen if self.peek_kw("SELECT") => {
                self.require_2016(&t, "a nested SELECT")?;
                self.enter(&t)?;
                let q = self.subquery()?;
                self.leave();
                Ok(Expr::SubQuery(Box::new(q)))
            }
            Tok::LParen => {
                self.enter(&t)?;
                let e = self.expr()?;
                self.leave();
                self.expect(Tok::RParen, "`)`")?;
                Ok(e)
            }
            Tok::LBracket => {
                self.require_2016(&t, "an array literal")?;
                self.enter(&t)?;
                let items = self.list(Tok::RBracket, "`]`")?;
                self.leave();
                Ok(Expr::Array(items))
            }
            Tok::LBrace => {
                self.require_2016(&t, "an object literal")?;
                self.enter(&t)?;
                let mut members = Vec::new();
                if self.peek().tok == Tok::RBrace {
                    self.advance();
                } else {
                    loop {
                        let k = self.advance();
                        let Tok::Str(key) = k.tok else {
                            return Err(self.unexpected(&k, "a quoted key"));
                        };
                        self.expect(Tok::Colon, "`:`")?;
                        members.push((key, self.expr()?));
                        let sep = self.advance();
                        match sep.tok {
                            Tok::Comma => {}
                            Tok::RBrace => break,
                            _ => return Err(self.unexpected(&sep, "`,` or `}`")),
                        }
                    }
                }
                self.leave();
                Ok(Expr::Object(members))
            }
            Tok::Ident => self.name(t),
            _ => Err(self.err(&t, format!("unexpected {}", self.describe(&t)))),
        }
    }

    /// Comma-separated expressions up to `close` (already past the opening bracket).
    fn list(&mut self, close: Tok, wanted: &str) -> Result<Vec<Expr>, ParseError> {
        let mut items = Vec::new();
        if self.peek().tok == close {
            self.advance();
            return Ok(items);
        }
        loop {
            items.push(self.expr()?);
            let sep = self.advance();
            if sep.tok == close {
                return Ok(items);
            }
            if sep.tok != Tok::Comma {
                return Err(self.unexpected(&sep, &format!("`,` or {wanted}")));
            }
        }
    }

    /// A primary that starts with a name: a keyword literal, CASE, EXISTS, a call, or a key.
    fn name(&mut self, t: Token) -> Result<Expr, ParseError> {
        let text = self.text(&t);
        let upper = text.to_ascii_uppercase();
        match upper.as_str() {
            "TRUE" => return Ok(Expr::Lit(Literal::Bool(true))),
            "FALSE" => return Ok(Expr::Lit(Literal::Bool(false))),
            "NULL" => return Ok(Expr::Lit(Literal::Null)),
            "CASE" => return self.case(&t),
            "EXISTS" => {
                self.require_2016(&t, "EXISTS")?;
                self.expect(Tok::LParen, "`(` after EXISTS")?;
                self.enter(&t)?;
                let q = self.subquery()?;
                self.leave();
                return Ok(Expr::Exists(Box::new(q)));
            }
            _ => {}
        }
        if self.peek().tok == Tok::LParen {
            return self.call(&t, text);
        }
        if RESERVED.contains(&upper.as_str()) {
            return Err(self.err(&t, format!("unexpected keyword {}", self.describe(&t))));
        }
        self.needs_payload = true;
        Ok(Expr::Ident(text.to_owned()))
    }

    fn case(&mut self, t: &Token) -> Result<Expr, ParseError> {
        self.enter(t)?;
        let operand = if self.peek_kw("WHEN") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut whens = Vec::new();
        while self.peek_kw("WHEN") {
            self.advance();
            let w = self.expr()?;
            self.expect_kw("THEN")?;
            whens.push((w, self.expr()?));
        }
        if whens.is_empty() {
            let at = self.peek();
            return Err(self.unexpected(&at, "WHEN (a CASE needs at least one)"));
        }
        let otherwise = if self.peek_kw("ELSE") {
            self.advance();
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        self.expect_kw("END")?;
        self.leave();
        Ok(Expr::Case {
            operand,
            whens,
            otherwise,
        })
    }

    /// `(SELECT ... FROM expr [AS alias] [WHERE ...])`, after the opening parenthesis.
    fn subquery(&mut self) -> Result<SubQuery, ParseError> {
        self.expect_kw("SELECT")?;
        let select = self.select_list()?;
        self.expect_kw("FROM")?;
        let from = self.expr()?;
        let alias = if self.peek_kw("AS") {
            self.advance();
            let a = self.expect(Tok::Ident, "a name after AS")?;
            Some(self.text(&a).to_owned())
        } else {
            None
        };
        let where_ = if self.peek_kw("WHERE") {
            self.advance();
            Some(self.expr()?)
        } else {
            None
        };
        self.expect(Tok::RParen, "`)` to close the nested SELECT")?;
        Ok(SubQuery {
            select,
            from,
            alias,
            where_,
        })
    }

    fn call(&mut self, t: &Token, name: &str) -> Result<Expr, ParseError> {
        let open = self.advance();
        self.enter(&open)?;
        if name.eq_ignore_ascii_case("cast") {
            let e = self.expr()?;
            self.expect_kw("AS")?;
            let ty = self.expect(Tok::Ident, "a type after AS")?;
            let to = match self.text(&ty).to_ascii_lowercase().as_str() {
                "string" | "nvarchar" | "text" | "ntext" | "varchar" => CastType::String,
                "int" | "integer" => CastType::Int,
                "double" => CastType::Double,
                "decimal" => CastType::Decimal,
                "bool" | "boolean" => CastType::Bool,
                _ => return Err(self.err(&ty, format!("cannot cast to {}", self.describe(&ty)))),
            };
            if matches!(to, CastType::Decimal | CastType::Bool) {
                self.require_2016(&ty, "cast to Decimal or Boolean")?;
            }
            self.expect(Tok::RParen, "`)`")?;
            self.leave();
            return Ok(Expr::Cast {
                expr: Box::new(e),
                to,
            });
        }
        let args = self.list(Tok::RParen, "`)`")?;
        self.leave();
        let n = args.len();
        if name.eq_ignore_ascii_case("decode") && n == 6 {
            self.require_2016(t, "decode")?;
            return Ok(Expr::External {
                name: "decode",
                args,
            });
        }
        if let Some(ext) = functions::external(name) {
            if ext.since_2016 {
                self.require_2016(t, ext.name)?;
            }
            if !ext.arities.contains(&n) {
                return Err(self.err(
                    t,
                    format!("{}() takes {:?} arguments, not {n}", ext.name, ext.arities),
                ));
            }
            if ext.name == "get_registry_data" {
                let api_ok = matches!(
                    args.first(),
                    Some(Expr::Lit(Literal::Str(api))) if functions::REGISTRY_DATA_APIS.contains(&api.as_str())
                );
                if !api_ok {
                    return Err(self.err(
                        t,
                        format!(
                            "get_registry_data() takes the API name as a string literal: one of {:?}",
                            functions::REGISTRY_DATA_APIS
                        ),
                    ));
                }
            }
            return Ok(Expr::External {
                name: ext.name,
                args,
            });
        }
        let Some(spec) = functions::builtin(name) else {
            return Err(self.err(t, format!("unknown function {name}()")));
        };
        if spec.since_2016 {
            self.require_2016(t, spec.name)?;
        }
        if n < spec.min || n > spec.max {
            let wanted = match (spec.min, spec.max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(self.err(
                t,
                format!("{}() takes {wanted} arguments, not {n}", spec.name),
            ));
        }
        let regex = match (spec.func, args.get(1)) {
            (Func::Regex(_), Some(Expr::Lit(Literal::Str(p)))) => regexp::compile(p),
            _ => None,
        };
        Ok(Expr::Call(Box::new(Call {
            func: spec.func,
            args,
            regex,
        })))
    }
}
