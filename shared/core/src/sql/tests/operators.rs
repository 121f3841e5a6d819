//! "Operators": each operator's table of operand types, Undefined propagation, division by
//! zero, precedence and associativity.

use serde_json::json;

use super::{check, j, s, value, U};
use crate::sql::Value;

const P: &str = r#"{"t": 5, "d": 2.5, "s5": "5", "sx": "abc", "b": true, "n": null,
    "arr": [1, 2, 3, "three", 5.7, null], "o": {"a": 1, "b": [1, 2]}}"#;

#[test]
fn logical_operators() {
    // AND, OR: Booleans or case-insensitive "true"/"false" strings; anything else Undefined.
    check(
        &[
            ("true AND true", Value::Bool(true)),
            ("true AND false", Value::Bool(false)),
            ("'TRUE' AND 'true'", Value::Bool(true)),
            ("'true' AND false", Value::Bool(false)),
            ("b AND true", Value::Bool(true)),
            ("1 AND true", U),
            ("'yes' AND true", U),
            ("null AND true", U),
            ("missing AND true", U),
            ("false AND missing", U),
            ("false OR false", Value::Bool(false)),
            ("false OR 'True'", Value::Bool(true)),
            ("true OR 5", U),
            ("NOT true", Value::Bool(false)),
            ("NOT 'false'", Value::Bool(true)),
            ("NOT 0", U),
            ("NOT missing", U),
        ],
        P,
    );
}

#[test]
fn comparison_operators() {
    // > >= < <=: both sides converted to Decimal; strings must convert.
    check(
        &[
            ("t > 3", Value::Bool(true)),
            ("t >= 5", Value::Bool(true)),
            ("t < 5", Value::Bool(false)),
            ("t <= 5.0", Value::Bool(true)),
            ("d > 2", Value::Bool(true)),
            ("s5 > 4", Value::Bool(true)),
            ("'5E1' > 49", Value::Bool(true)),
            ("'-1.2' < 0", Value::Bool(true)),
            ("sx > 1", U),
            ("'a' < 'b'", U),
            ("b > 0", U),
            ("n < 1", U),
            ("missing > 1", U),
            ("arr > 1", U),
            (
                "9223372036854775807 > 9223372036854775806",
                Value::Bool(true),
            ),
        ],
        P,
    );
}

#[test]
fn equality_operators() {
    check(
        &[
            ("t = 5", Value::Bool(true)),
            ("t = 5.0", Value::Bool(true)),
            ("d = 2.5", Value::Bool(true)),
            ("s5 = 5", Value::Bool(false)),
            ("s5 = '5'", Value::Bool(true)),
            ("b = true", Value::Bool(true)),
            ("b = 'true'", Value::Bool(false)),
            ("n = null", Value::Bool(true)),
            ("n <> null", Value::Bool(false)),
            ("[1, 2] = [1, 2]", Value::Bool(true)),
            ("[1, 2] = [2, 1]", Value::Bool(false)),
            ("[1, 2.0] = [1, 2]", Value::Bool(true)),
            ("o = {'b': [1, 2], 'a': 1}", Value::Bool(true)),
            ("o = {'a': 1}", Value::Bool(false)),
            ("o <> {'a': 2, 'b': [1, 2]}", Value::Bool(true)),
            ("1 <> 'a'", Value::Bool(true)),
            ("1 != 2", Value::Bool(true)),
            ("missing = 1", U),
            ("1 = missing", U),
            ("missing <> missing", U),
        ],
        P,
    );
}

#[test]
fn in_operator() {
    // IN: is the value an element of the array (elements may have any types)?
    check(
        &[
            ("3 in arr", Value::Bool(true)),
            ("'three' IN arr", Value::Bool(true)),
            ("5.7 IN arr", Value::Bool(true)),
            ("null IN arr", Value::Bool(true)),
            ("4 IN arr", Value::Bool(false)),
            ("[1, 2] IN [[1, 2], 3]", Value::Bool(true)),
            ("o IN [{'a': 1, 'b': [1, 2]}]", Value::Bool(true)),
            ("missing IN arr", U),
            ("3 IN t", U),
            ("1 + 2 IN arr", Value::Bool(true)),
        ],
        P,
    );
}

#[test]
fn plus_operator() {
    // "+" adds numbers and concatenates when either side is a String.
    check(
        &[
            ("1 + 2", Value::Int(3)),
            ("1 + 2.5", Value::Decimal(3.5)),
            ("d + d", Value::Decimal(5.0)),
            ("'a' + 1", s("a1")),
            ("1 + 'a'", s("1a")),
            ("s5 + 1", s("51")),
            ("'x' + true", s("xtrue")),
            ("'x' + [1, 'a']", s(r#"x[1,"a"]"#)),
            ("'x' + d", s("x2.5")),
            ("'x' + null", U),
            ("'x' + missing", U),
            ("true + 1", U),
            ("[1] + 1", U),
            ("null + 1", U),
            (
                "9223372036854775807 + 1",
                Value::Decimal(9_223_372_036_854_775_808.0),
            ),
        ],
        P,
    );
}

#[test]
fn minus_times_divide_modulo() {
    check(
        &[
            ("5 - 2", Value::Int(3)),
            ("5 - 2.5", Value::Decimal(2.5)),
            ("s5 - 2", Value::Decimal(3.0)),
            ("sx - 2", U),
            ("b - 1", U),
            ("2 * 3", Value::Int(6)),
            ("'2' * 3", Value::Decimal(6.0)),
            ("d * 2", Value::Decimal(5.0)),
            ("7 / 2", Value::Int(3)),
            ("-7 / 2", Value::Int(-3)),
            ("7.5 / 2.5", Value::Decimal(3.0)),
            ("'6' / 4", Value::Decimal(1.5)),
            ("7 % 3", Value::Int(1)),
            ("-7 % 3", Value::Int(-1)),
            ("7.5 % 2", Value::Decimal(1.5)),
            ("'7' % 2", Value::Decimal(1.0)),
            ("-t", Value::Int(-5)),
            ("-s5", Value::Decimal(-5.0)),
            ("-sx", U),
            ("- -t", Value::Int(5)),
        ],
        P,
    );
}

#[test]
fn division_by_zero_is_undefined() {
    check(
        &[
            ("1 / 0", U),
            ("1.5 / 0", U),
            ("1 / 0.0", U),
            ("t % 0", U),
            ("d % 0", U),
            ("mod(1, 0)", U),
            ("'1' / '0'", U),
            ("-9223372036854775807 - 1", Value::Int(i64::MIN)),
            (
                "(-9223372036854775807 - 1) / -1",
                Value::Decimal(9_223_372_036_854_775_808.0),
            ),
            ("(-9223372036854775807 - 1) % -1", Value::Int(0)),
        ],
        P,
    );
}

#[test]
fn undefined_propagates() {
    // "Data types": functions with invalid arguments and operators on Undefined are Undefined.
    let table: Vec<(String, Value<'static>)> = [
        "missing + 1",
        "missing - 1",
        "missing * 2",
        "missing / 2",
        "missing % 2",
        "-missing",
        "abs(missing)",
        "upper(missing)",
        "concat('a', missing)",
        "missing.x",
        "missing[0]",
        "get(missing, 0)",
        "md5(missing)",
        "cast(missing AS String)",
        "CASE missing WHEN 1 THEN 2 END",
        "floor([1,2,3])",
        "substring(missing, 1)",
    ]
    .iter()
    .map(|e| ((*e).to_owned(), U))
    .collect();
    let table: Vec<(&str, Value<'static>)> =
        table.iter().map(|(e, v)| (e.as_str(), v.clone())).collect();
    check(&table, P);
    check(&[("isUndefined(missing + 1)", Value::Bool(true))], P);
}

#[test]
fn precedence_and_associativity() {
    check(
        &[
            ("1 + 2 * 3", Value::Int(7)),
            ("(1 + 2) * 3", Value::Int(9)),
            ("10 - 4 - 3", Value::Int(3)),
            ("100 / 10 / 5", Value::Int(2)),
            ("2 * 3 % 4", Value::Int(2)),
            ("1 + 2 = 3", Value::Bool(true)),
            ("1 + 2 = 3 AND 2 > 1", Value::Bool(true)),
            ("NOT true AND false", Value::Bool(false)),
            ("NOT (true AND false)", Value::Bool(true)),
            ("true OR false AND false", Value::Bool(true)),
            ("(true OR false) AND false", Value::Bool(false)),
            ("-2 * 3", Value::Int(-6)),
            ("- (2 + 3)", Value::Int(-5)),
            ("2 - -3", Value::Int(5)),
            ("o.b[1] * 2", Value::Int(4)),
        ],
        P,
    );
}

#[test]
fn long_operator_chains_do_not_nest() {
    // A chain of 20,000 additions is a flat list, not a deep tree.
    let expr = vec!["1"; 20_000].join(" + ");
    assert_eq!(value(&expr, "{}"), Value::Int(20_000));
    let ors = vec!["false"; 5_000].join(" OR ");
    assert_eq!(value(&format!("{ors} OR true"), "{}"), Value::Bool(true));
    assert_eq!(
        value("[1, 'a', {'b': null}]", "{}"),
        j(json!([1, "a", {"b": null}]))
    );
}
