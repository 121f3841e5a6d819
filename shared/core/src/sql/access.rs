//! Which parts of the payload a statement reads, worked out once at parse time so that each
//! evaluation parses only those ("lazy JSON access").
//!
//! A statement that names only top-level keys (`temp`, `device.name`, `readings[2]`) needs
//! only their values: the rest of the payload is checked to be JSON and skipped without being
//! built. A statement that reads `*` at the top level (or hands it to a function) needs the
//! whole document; a statement that reads nothing does not parse the payload at all.

use super::ast::{Expr, Select, SelectItem, Statement, Step, SubQuery};

/// What an evaluation needs of the payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum PayloadAccess {
    /// Nothing: the payload is not parsed.
    #[default]
    Nothing,
    /// The values of these top-level keys (a JSON object's other members are skipped).
    Keys(Vec<String>),
    /// The whole document.
    Whole,
}

impl PayloadAccess {
    /// What `statement` reads at its top level: its SET expressions, SELECT and WHERE, and the
    /// FROM expressions of its nested queries.
    pub(crate) fn of(statement: &Statement) -> Self {
        let mut access = PayloadAccess::Nothing;
        for (_, e) in &statement.sets {
            access.expr(e, true);
        }
        access.select(&statement.select, true);
        if let Some(w) = &statement.where_ {
            access.expr(w, true);
        }
        access
    }

    fn key(&mut self, name: &str) {
        match self {
            PayloadAccess::Whole => {}
            PayloadAccess::Nothing => *self = PayloadAccess::Keys(vec![name.to_owned()]),
            PayloadAccess::Keys(keys) => {
                if !keys.iter().any(|k| k == name) {
                    keys.push(name.to_owned());
                }
            }
        }
    }

    fn select(&mut self, select: &Select, top: bool) {
        match select {
            Select::Value(e) => self.expr(e, top),
            Select::Items(items) => {
                for item in items {
                    match item {
                        SelectItem::Star => self.whole(top),
                        SelectItem::Expr { expr, .. } => self.expr(expr, top),
                    }
                }
            }
        }
    }

    fn whole(&mut self, top: bool) {
        if top {
            *self = PayloadAccess::Whole;
        }
    }

    fn subquery(&mut self, q: &SubQuery, top: bool) {
        // The FROM expression is read where the query stands; its SELECT and WHERE read the
        // elements, not the payload.
        self.expr(&q.from, top);
        self.select(&q.select, false);
        if let Some(w) = &q.where_ {
            self.expr(w, false);
        }
    }

    /// Walks `e`; `top` is whether names in it are keys of the payload (rather than of a
    /// nested query's element).
    fn expr(&mut self, e: &Expr, top: bool) {
        match e {
            Expr::Lit(_) | Expr::Var(_) => {}
            Expr::Payload => self.whole(top),
            Expr::Ident(name) => {
                if top {
                    self.key(name);
                }
            }
            Expr::Path { base, steps } => {
                self.expr(base, top);
                for step in steps {
                    if let Step::Index(ix) = step {
                        self.expr(ix, top);
                    }
                }
            }
            Expr::Neg(x) | Expr::Not(x) => self.expr(x, top),
            Expr::Cast { expr, .. } => self.expr(expr, top),
            Expr::Chain { first, rest } => {
                self.expr(first, top);
                for (_, x) in rest {
                    self.expr(x, top);
                }
            }
            Expr::And(items) | Expr::Or(items) | Expr::Array(items) => {
                for x in items {
                    self.expr(x, top);
                }
            }
            Expr::In { needle, haystack } => {
                self.expr(needle, top);
                self.expr(haystack, top);
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                if let Some(op) = operand {
                    self.expr(op, top);
                }
                for (w, t) in whens {
                    self.expr(w, top);
                    self.expr(t, top);
                }
                if let Some(o) = otherwise {
                    self.expr(o, top);
                }
            }
            Expr::Call(call) => {
                for x in &call.args {
                    self.expr(x, top);
                }
            }
            Expr::External { args, .. } => {
                for x in args {
                    self.expr(x, top);
                }
            }
            Expr::Object(members) => {
                for (_, x) in members {
                    self.expr(x, top);
                }
            }
            Expr::SubQuery(q) | Expr::Exists(q) => self.subquery(q, top),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PayloadAccess;
    use crate::sql::parse;

    fn access(sql: &str) -> PayloadAccess {
        let statement = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        statement.access.clone()
    }

    fn keys(names: &[&str]) -> PayloadAccess {
        PayloadAccess::Keys(names.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn statements_read_only_the_keys_they_name() {
        let table = [
            ("SELECT topic(2) AS t FROM 'a/+'", PayloadAccess::Nothing),
            ("SELECT temp FROM 'a' WHERE temp > 30", keys(&["temp"])),
            (
                "SELECT a.b[i].c AS x FROM 'a' WHERE upper(d) = 'X'",
                keys(&["a", "i", "d"]),
            ),
            (
                "SELECT (SELECT v FROM items WHERE v > lim) AS big FROM 'a'",
                keys(&["items"]),
            ),
            (
                "SELECT VALUE {'k': k, 'l': [m, n]} FROM 'a'",
                keys(&["k", "m", "n"]),
            ),
            ("SET @t = temp SELECT @t AS t FROM 'a'", keys(&["temp"])),
            ("SELECT * FROM 'a' WHERE temp > 1", PayloadAccess::Whole),
            ("SELECT get(*, 'k') AS k FROM 'a'", PayloadAccess::Whole),
            (
                "SELECT encode(*, 'base64') AS raw FROM 'a'",
                PayloadAccess::Whole,
            ),
            (
                "SELECT (SELECT * FROM items) AS all_items FROM 'a'",
                keys(&["items"]),
            ),
        ];
        for (sql, expected) in table {
            assert_eq!(access(sql), expected, "{sql}");
        }
    }

    #[test]
    fn reading_some_keys_gives_what_reading_the_whole_payload_gives() {
        let statements = [
            "SELECT temp, topic(1) AS t FROM 'a' WHERE temp > 30",
            "SELECT a.b[1] AS x, upper(s) AS s, isUndefined(missing) AS m FROM 'a'",
            "SELECT VALUE {'t': temp, 'd': dup} FROM 'a'",
            "SELECT (SELECT VALUE v FROM items WHERE v > 1) AS big FROM 'a'",
            "SELECT dup AS d, pad FROM 'a'",
            "SELECT temp AS t, s, a, other FROM 'a'",
        ];
        let payloads: [&[u8]; 23] = [
            br#"{"temp": 35, "a": {"b": [1, 2]}, "s": "x", "items": [{"v": 1}, {"v": 2}]}"#,
            br#"{"temp": 35, "dup": 1, "dup": 2, "other": [1, {"z": null}]}"#,
            br#"{"temp": 35.0, "pad": "\u00e9\n", "k\"q": 7}"#,
            br#"{"temp": 35, "broken": [1, 2}"#,
            br#"{"temp": 35} trailing"#,
            br#"{"temp": 35, "bad": tru}"#,
            br#"{"temp": 35, "a": "\ud800"}"#,
            br#"[{"temp": 35}]"#,
            b"not json at all",
            b"",
            b"  {\"temp\" : 40 }  ",
            br#"{"temp": 35, "deep": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}"#,
            br#"{"temp": -0, "dup": -0.0, "s": "caf\u00e9", "a": {"b": [1, "\ud83d\ude00"]}}"#,
            br#"{"te\u006dp": 40, "t\u0065mp": 41, "items": [{"v": 2}]}"#,
            br#"{"temp": 35, "x": 1e400}"#,
            br#"{"temp": 99999999999999999999, "dup": -99999999999999999999, "s": "a\"b"}"#,
            br#"{"temp": 35.0, "dup": 1E2, "pad": 0e400, "items": []}"#,
            b"{\"temp\": 35, \"pad\": \"tab\\tok\", \"other\": \"ctl\x01\"}",
            b"{\"temp\": 35, \"s\": \"caf\xc3\xa9\", \"other\": \"bad \xff\"}",
            br#"{"temp": 35, "dup": "\udc00"}"#,
            br#"{"temp": 35, "a": [1, 2], "a": {"b": [3, 4]}}"#,
            br#"{}"#,
            b"{\"temp\":\t35\r\n}",
        ];
        let ctx = crate::sql::EvalContext::new("a");
        for sql in statements {
            let lazy = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert!(matches!(lazy.access, PayloadAccess::Keys(_)), "{sql}");
            let mut whole = lazy.clone();
            whole.access = PayloadAccess::Whole;
            for payload in payloads {
                let none = &crate::sql::NoExternalFunctions;
                assert_eq!(
                    crate::sql::evaluate(&lazy, payload, &ctx, none),
                    crate::sql::evaluate(&whole, payload, &ctx, none),
                    "{sql} on {}",
                    String::from_utf8_lossy(payload)
                );
            }
        }
    }
}
