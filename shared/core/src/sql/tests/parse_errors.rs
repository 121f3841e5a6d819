//! Malformed statements: each error names the line and column of the offending token.

use crate::sql::{parse, parse_with_version, SqlVersion};

#[test]
fn parse_errors_point_at_the_offending_token() {
    let table: &[(&str, usize, usize, &str)] = &[
        ("SELECT FROM 'a'", 1, 8, "unexpected keyword"),
        ("SELECT a FROM a/b", 1, 15, "must be quoted"),
        ("SELECT a,\n  b FROM 'x' WHERE", 2, 19, "end of statement"),
        ("SELECT foo(1) FROM 'a'", 1, 8, "unknown function foo()"),
        (
            "SELECT abs(1, 2) FROM 'a'",
            1,
            8,
            "abs() takes 1 arguments, not 2",
        ),
        ("SELECT 'abc", 1, 8, "unterminated string"),
        ("SELECT a FROM 'a/#/b'", 1, 15, "invalid topic filter"),
        ("SELECT a || b FROM 'x'", 1, 10, "`||`"),
        ("SELECT `a` FROM 'x'", 1, 8, "backquoted"),
        ("SELECT CASE a END FROM 'x'", 1, 15, "WHEN"),
        ("SELECT a.0 FROM 'x'", 1, 10, "get(object, 'key')"),
        ("SELECT\n  a,\n  (b + FROM 'x'", 3, 8, "unexpected keyword"),
        ("SELECT @v FROM 'x'", 1, 8, "unknown variable @v"),
        ("SELECT cast(a AS Blob) FROM 'x'", 1, 18, "cannot cast"),
        ("SELECT a FROM 'x' WHERE a = = 1", 1, 29, "unexpected `=`"),
        ("SELECT a FROM 'x' garbage", 1, 19, "unexpected `garbage`"),
        ("SELECT {'a' 1} FROM 'x'", 1, 13, "`:`"),
        ("SELECT [1, 2 FROM 'x'", 1, 14, "`,` or `]`"),
        (
            "SELECT get_dynamodb(1, 2, 3, 4, 5) FROM 'x'",
            1,
            8,
            "get_dynamodb()",
        ),
        (
            "SELECT get_registry_data('DescribeThing', 't') FROM 'x'",
            1,
            8,
            "get_registry_data() takes [3] arguments, not 2",
        ),
        (
            "SELECT get_registry_data('DescribeThings', 't', 'arn:aws:iam::1:role/r') FROM 'x'",
            1,
            8,
            "one of [\"DescribeThing\", \"ListThingGroupsForThing\"]",
        ),
        (
            "SELECT get_registry_data(api, 't', 'arn:aws:iam::1:role/r') FROM 'x'",
            1,
            8,
            "string literal",
        ),
        (
            "SELECT get_thing_shadow('t') FROM 'x'",
            1,
            8,
            "get_thing_shadow() takes [2, 3] arguments, not 1",
        ),
        (
            "SELECT 'a' \u{e9}\u{e9} FROM 'x'",
            1,
            12,
            "unexpected character",
        ),
        ("SELECT 12abc FROM 'x'", 1, 10, "must not run into a name"),
        ("SELECT '\\q' FROM 'x'", 1, 9, "unknown escape"),
        ("", 1, 1, "SELECT"),
        ("SELECT (1 + 2 FROM 'x'", 1, 15, "`)`"),
        ("SELECT a FROM ''", 1, 15, "invalid topic filter"),
    ];
    for (sql, line, column, fragment) in table {
        let err = match parse(sql) {
            Err(e) => e,
            Ok(_) => panic!("{sql:?} parsed"),
        };
        assert_eq!((err.line, err.column), (*line, *column), "{sql:?}: {err}");
        assert!(err.message.contains(fragment), "{sql:?}: {err}");
    }
}

#[test]
fn nesting_is_bounded() {
    let nested = |depth: usize| {
        format!(
            "SELECT {}1{} FROM 'x'",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    };
    assert!(parse(&nested(60)).is_ok());
    let err = parse(&nested(10_000))
        .err()
        .unwrap_or_else(|| panic!("deep nesting parsed"));
    assert_eq!((err.line, err.column), (1, 8 + 64), "{err}");
    for deep in [
        format!("SELECT {}1 FROM 'x'", "-".repeat(100_000)),
        format!("SELECT {}true FROM 'x'", "NOT ".repeat(100_000)),
        format!(
            "SELECT {}1{} FROM 'x'",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        format!(
            "SELECT {}1{} FROM 'x'",
            "abs(".repeat(100_000),
            ")".repeat(100_000)
        ),
        format!("SELECT 1{} FROM 'x'", " IN a".repeat(100_000)),
        format!("SELECT {} FROM 'x'", "{'a': ".repeat(100_000)),
        format!(
            "SELECT {}1 FROM 'x'",
            "CASE WHEN true THEN ".repeat(100_000)
        ),
    ] {
        assert!(
            parse(&deep).is_err(),
            "{}",
            deep.get(..40).unwrap_or_default()
        );
    }
    // Long flat paths are fine.
    assert!(parse(&format!("SELECT a{} FROM 'x'", ".b".repeat(10_000))).is_ok());
}

#[test]
fn version_errors_name_the_feature() {
    let err = parse_with_version("SELECT {'a': 1} AS o FROM 'x'", SqlVersion::V2015_10_08)
        .err()
        .unwrap_or_else(|| panic!("parsed"));
    assert_eq!((err.line, err.column), (1, 8));
    assert!(err.message.contains("2016-03-23"), "{err}");
}

#[test]
fn the_deepest_statements_evaluate_without_exhausting_the_stack() {
    // 60 levels of each kind of nesting, evaluated on a test thread's 2 MiB stack in a
    // debug build. `-(` is two levels (the minus and the parenthesis).
    let deep = |open: &str, inner: &str, close: &str| {
        let n = if open == "-(" { 30 } else { 60 };
        format!(
            "SELECT VALUE {}{inner}{} FROM 'x'",
            open.repeat(n),
            close.repeat(n)
        )
    };
    for sql in [
        deep("abs(", "-1", ")"),
        deep("[", "1", "]"),
        deep("{'a': ", "1", "}"),
        deep("NOT ", "true", ""),
        deep("-(", "1", ")"),
        deep("CASE WHEN true THEN ", "1", " END"),
        deep("concat('a', ", "'b'", ")"),
        deep("(SELECT VALUE ", "x", " FROM [{'x': 1}])"),
    ] {
        let statement = crate::sql::parse(&sql).unwrap_or_else(|e| panic!("{e}"));
        let out = crate::sql::evaluate(
            &statement,
            b"{}",
            &super::ctx(),
            &crate::sql::NoExternalFunctions,
        );
        assert!(
            matches!(out, Ok(Some(_))),
            "{}: {out:?}",
            sql.get(..30).unwrap_or_default()
        );
    }
}

#[test]
fn statements_and_templates_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<crate::sql::Statement>();
    shareable::<crate::sql::Template>();
    shareable::<crate::sql::EvalContext>();
}
