//! A deterministic fuzz: 10,000 pseudo-random statements from a token alphabet. Whatever
//! they are, parsing and evaluating them must not panic.

use crate::sql::{evaluate, parse, parse_with_version, NoExternalFunctions, SqlVersion, Template};

use super::ctx;

const ALPHABET: &[&str] = &[
    "SELECT",
    "SELECT",
    "VALUE",
    "*",
    "*",
    ",",
    "FROM",
    "'a/+'",
    "'#'",
    "WHERE",
    "AS",
    "x",
    "a",
    "b",
    "e",
    "n",
    ".",
    ".",
    "[",
    "]",
    "(",
    ")",
    "(",
    ")",
    "{",
    "}",
    ":",
    "'k'",
    "\"s\"",
    "1",
    "0",
    "-1",
    "2.5",
    "1e3",
    "9223372036854775807",
    "+",
    "-",
    "/",
    "%",
    "=",
    "<>",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "AND",
    "OR",
    "NOT",
    "IN",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "true",
    "false",
    "null",
    "EXISTS",
    "SET",
    "@v",
    "abs(",
    "concat(",
    "get(",
    "substring(",
    "regexp_replace(",
    "cast(",
    "parse_time(",
    "time_to_epoch(",
    "'yyyy-MM-dd'",
    "topic(",
    "newuuid()",
    "encode(",
    "decode(",
    "'base64'",
    "transform(",
    "'enrichArray'",
    "md5(",
    "lpad(",
    "trunc(",
    "bitnot(",
    "'(a)*'",
    "aws_lambda(",
    "'\\u00e9'",
    "'日本'",
    "\u{1f600}",
    "'",
    "`",
    "||",
    "$",
    "${",
    "\n",
];

const PAYLOADS: &[&[u8]] = &[
    br#"{"x": 1, "a": {"b": [1, 2, {"c": "d"}]}, "e": [{"n": 1}, {"n": "t"}], "k": 2.5}"#,
    br#"[1, 2, 3]"#,
    b"\xff\x00binary",
    b"",
];

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

#[test]
fn ten_thousand_random_statements_never_panic() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let c = ctx();
    let mut parsed = 0;
    for round in 0..10_000 {
        let len = 1 + rng.below(40);
        let mut sql = String::new();
        // Half the statements start well-formed, so the fuzz reaches the evaluator.
        if round % 2 == 0 {
            sql.push_str("SELECT ");
        }
        for _ in 0..len {
            sql.push_str(ALPHABET[rng.below(ALPHABET.len())]);
            sql.push(' ');
        }
        if round % 4 == 0 {
            sql.push_str(" FROM 'a'");
        }
        for version in [SqlVersion::V2016_03_23, SqlVersion::V2015_10_08] {
            if let Ok(statement) = parse_with_version(&sql, version) {
                parsed += 1;
                for payload in PAYLOADS {
                    let _ = evaluate(&statement, payload, &c, &NoExternalFunctions);
                }
            }
        }
        if let Ok(t) = Template::parse(&sql) {
            let _ = t.render(PAYLOADS[0], &c, &NoExternalFunctions);
        }
    }
    // The alphabet is rich enough that some statements parse and get evaluated.
    assert!(parsed > 100, "only {parsed} statements parsed");
    assert!(parse("SELECT * FROM 'a'").is_ok());
}
