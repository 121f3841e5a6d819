//! "Functions": the examples of AWS's reference, then the argument-type tables.

use serde_json::json;

use std::f64::consts::FRAC_PI_2; // the page writes 1.5707963267948966

use super::{check, j, json, s, U};
use crate::sql::Value;

fn b(v: bool) -> Value<'static> {
    Value::Bool(v)
}

fn i(v: i64) -> Value<'static> {
    Value::Int(v)
}

fn d(v: f64) -> Value<'static> {
    Value::Decimal(v)
}

#[test]
fn numeric_function_examples() {
    // "Functions": abs ... trunc, the page's own examples.
    check(
        &[
            ("abs(-5)", i(5)),
            ("abs(-5.5)", d(5.5)),
            ("abs('-5.123')", d(5.123)),
            ("abs(true)", U),
            ("abs(null)", U),
            ("acos(0)", d(FRAC_PI_2)),
            ("acos(2)", U),
            ("asin(0)", d(0.0)),
            ("atan(0)", d(0.0)),
            ("atan2(1, 0)", d(FRAC_PI_2)),
            ("atan2('1', '0')", d(FRAC_PI_2)),
            ("atan2(1, 'x')", U),
            ("ceil(1.2)", i(2)),
            ("ceil(-1.2)", i(-1)),
            ("ceil(3)", i(3)),
            ("ceil('1.5')", i(2)),
            ("ceil('x')", U),
            ("cos(0)", d(1.0)),
            ("cosh(2.3)", d(5.037_220_649_268_761)),
            ("exp(1)", d(std::f64::consts::E)),
            ("exp(100000)", U),
            ("floor(1.2)", i(1)),
            ("floor(-1.2)", i(-2)),
            ("ln(2.718281828459045)", d(1.0)),
            ("ln(0)", U),
            ("log(100)", d(2.0)),
            ("log(-1)", U),
            ("mod(8, 3)", i(2)),
            ("mod(8.5, 3)", d(2.5)),
            ("mod('8', 3)", d(2.0)),
            ("mod(true, 3)", U),
            ("remainder(8, 3)", i(2)),
            ("Nanvl(8, 3)", i(8)),
            ("nanvl(missing, 3)", i(3)),
            ("nanvl(null, 'x')", s("x")),
            ("nanvl('a', 3)", s("a")),
            ("power(2, 5)", d(32.0)),
            ("power('2', 0.5)", d(std::f64::consts::SQRT_2)),
            ("power(true, 2)", U),
            ("Round(1.2)", i(1)),
            ("Round(1.5)", i(2)),
            ("Round(1.7)", i(2)),
            ("Round(-1.1)", i(-1)),
            ("Round(-1.5)", i(-2)),
            ("round(7)", i(7)),
            ("sign(-7)", i(-1)),
            ("sign(0)", i(0)),
            ("sign(13)", i(1)),
            ("sign(-0.5)", i(-1)),
            ("sign('2.5')", i(1)),
            ("sin(0)", d(0.0)),
            ("sinh(2.3)", d(4.936_961_805_545_957)),
            ("sqrt(9)", d(3.0)),
            ("sqrt(-1)", U),
            ("tan(3)", d(-0.142_546_543_074_277_8)),
            ("tanh(2.3)", d(0.980_096_396_266_191_4)),
            ("trunc(2.3, 0)", i(2)),
            ("trunc(2.3123, 2)", d(2.31)),
            ("trunc(2.888, 2)", d(2.88)),
            ("trunc(2.00, 5)", i(2)),
            ("trunc(-2.888, 1)", d(-2.8)),
            ("trunc(2.5, -3)", i(2)),
            ("trunc('1.25', 1)", d(1.2)),
            ("trunc(true, 1)", U),
        ],
        "{}",
    );
}

#[test]
fn rand_is_a_double_in_unit_range() {
    for _ in 0..10 {
        match super::value("rand()", "{}") {
            Value::Decimal(x) => assert!((0.0..1.0).contains(&x), "{x}"),
            other => panic!("rand() gave {other:?}"),
        }
    }
}

#[test]
fn bitwise_function_examples() {
    // "Functions": bitand(13, 5) = 5, bitor(8, 5) = 13, bitxor(13, 5) = 8. The page says
    // bitnot(13) = 2; a 64-bit NOT of 13 is -14, which is what Java's ~13L gives.
    check(
        &[
            ("bitand(13, 5)", i(5)),
            ("bitor(8, 5)", i(13)),
            ("bitxor(13, 5)", i(8)),
            ("bitnot(13)", i(-14)),
            ("bitand(13.9, '5.2')", i(5)),
            ("bitor(-1.5, 0)", i(-2)),
            ("bitand('x', 1)", U),
            ("bitxor(true, 1)", U),
            ("bitnot(null)", U),
        ],
        "{}",
    );
}

#[test]
fn value_function_examples() {
    // "Functions": get, isNull, isUndefined, get_or_default, concat.
    check(
        &[
            (r#"get(["a", "b", "c"], 1)"#, s("b")),
            (r#"get({"a":"b"}, "a")"#, s("b")),
            // The page shows get("abc", 1) = "a"; its own table says 0-based, which gives "b".
            (r#"get("abc", 1)"#, s("b")),
            ("get([1, 2], '1')", i(2)),
            ("get([1, 2], 1.7)", i(2)),
            ("get([1, 2], 2)", U),
            ("get([1, 2], -1)", U),
            ("get({'1': 'x'}, 1)", U),
            ("get(5, 0)", U),
            ("isNull(5)", b(false)),
            ("isNull(Null)", b(true)),
            ("isNull(missing)", b(false)),
            ("isUndefined(5)", b(false)),
            ("isUndefined(floor([1,2,3]))", b(true)),
            ("isUndefined(null)", b(false)),
            ("get_or_default(missing, 'dflt')", s("dflt")),
            ("get_or_default(null, 'dflt')", Value::Null),
            ("get_or_default(1, 'dflt')", i(1)),
            ("concat()", U),
            ("concat(1)", s("1")),
            ("concat([1, 2, 3], 4)", j(json!([1, 2, 3, 4]))),
            (
                r#"concat([1, 2, 3], "hello")"#,
                j(json!([1, 2, 3, "hello"])),
            ),
            (r#"concat("con", "cat")"#, s("concat")),
            (r#"concat(1, "hello")"#, s("1hello")),
            (r#"concat("he","is","man")"#, s("heisman")),
            (
                r#"concat([1, 2, 3], "hello", [4, 5, 6])"#,
                j(json!([1, 2, 3, "hello", 4, 5, 6])),
            ),
            ("concat('a', null)", U),
            ("concat([1], missing)", j(json!([1]))),
        ],
        "{}",
    );
}

#[test]
fn transform_examples() {
    // "Functions", transform: examples 1 to 3.
    let payload =
        r#"{"attributes": {"data1": 1, "data2": 2}, "values": [{"a": 3}, {"b": 4}, {"c": 5}]}"#;
    assert_eq!(
        json(
            "select value transform(\"enrichArray\", attributes, values) from 'A/B'",
            payload
        ),
        json!([{"a": 3, "data1": 1, "data2": 2}, {"b": 4, "data1": 1, "data2": 2}, {"c": 5, "data1": 1, "data2": 2}])
    );
    assert_eq!(
        json("select value transform(\"enrichArray\", {\"key\": attributes.data1}, values) from 'A/B'", payload),
        json!([{"a": 3, "key": 1}, {"b": 4, "key": 1}, {"c": 5, "key": 1}])
    );
    let nested = r#"{"data1": "example", "data2": {"a": "first attribute", "b": "second attribute",
        "c": [{"x": {"someInt": 5, "someString": "hello"}, "y": true},
              {"x": {"someInt": 10, "someString": "world"}, "y": false}]}}"#;
    assert_eq!(
        json("select value transform('enrichArray', (select a, b from data2), (select value c from data2)) from 'A/B'", nested),
        json!([
            {"x": {"someInt": 5, "someString": "hello"}, "y": true, "a": "first attribute", "b": "second attribute"},
            {"x": {"someInt": 10, "someString": "world"}, "y": false, "a": "first attribute", "b": "second attribute"}
        ])
    );
    check(
        &[
            ("transform('other', {}, [])", U),
            ("transform('enrichArray', 1, [])", U),
            (
                "transform('enrichArray', {'k': 1}, [1, {'a': 2}])",
                j(json!([1, {"a": 2, "k": 1}])),
            ),
        ],
        "{}",
    );
}

#[test]
fn cast_tables() {
    // "Functions", cast: the four casting tables.
    check(
        &[
            ("cast(true as Int)", i(1)),
            ("cast(false AS Integer)", i(0)),
            ("cast(5.7 AS Int)", i(5)),
            ("cast(-5.7 AS Int)", i(-6)),
            ("cast('5E-12' AS Int)", i(0)),
            ("cast('-1.2' AS Int)", i(-2)),
            ("cast('x' AS Int)", U),
            ("cast([1] AS Int)", U),
            ("cast(null AS Int)", U),
            ("cast(2 AS Double)", d(2.0)),
            ("cast('2.5' AS Double)", d(2.5)),
            ("cast(true AS Double)", d(1.0)),
            // 2016-03-23: a whole Decimal is an Int.
            ("cast(10.0 AS Decimal)", i(10)),
            ("cast(true AS Decimal)", i(1)),
            ("cast('2.5' AS Decimal)", d(2.5)),
            ("cast({} AS Decimal)", U),
            ("cast(0 AS Boolean)", b(false)),
            ("cast(2.5 AS Bool)", b(true)),
            ("cast('TRUE' AS Bool)", b(true)),
            ("cast('yes' AS Bool)", U),
            ("cast(null AS Boolean)", U),
            ("cast(1 AS String)", s("1")),
            ("cast(1.5 AS varchar)", s("1.5")),
            ("cast(true AS Text)", s("true")),
            ("cast('abc' AS Nvarchar)", s("abc")),
            ("cast([1, 'a', null] AS String)", s(r#"[1,"a",null]"#)),
            ("cast({'a': 'b'} AS Ntext)", s(r#"{"a":"b"}"#)),
            ("cast(null AS String)", U),
            ("cast(missing AS String)", U),
        ],
        "{}",
    );
}
