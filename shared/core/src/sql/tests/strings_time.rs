//! "Functions": strings (with Unicode), regular expressions, parse_time and time_to_epoch.

use super::{check, ctx, s, value_in, U};
use crate::sql::Value;

fn i(v: i64) -> Value<'static> {
    Value::Int(v)
}

fn b(v: bool) -> Value<'static> {
    Value::Bool(v)
}

#[test]
fn string_function_examples() {
    // "Functions": chr ... upper, the page's own examples.
    check(
        &[
            ("chr(65)", s("A")),
            ("chr(49)", s("1")),
            ("chr(65.9)", s("A")),
            ("chr('66')", s("B")),
            ("chr(200)", U),
            ("chr(true)", U),
            (r#"endswith("cat","at")"#, b(true)),
            ("endswith(123, 3)", b(true)),
            ("endswith('a', null)", U),
            (r#"indexof("abcd", "bc")"#, i(1)),
            (r#"indexof("abcd", "x")"#, i(-1)),
            (r#"length("hi")"#, i(2)),
            ("length(false)", i(5)),
            (r#"lower("HELLO")"#, s("hello")),
            (r#"lower(["HELLO"])"#, s(r#"["hello"]"#)),
            (r#"lpad("hello", 2)"#, s("  hello")),
            ("lpad(1, 3)", s("   1")),
            ("lpad('a', -4)", s("a")),
            ("lpad('a', 1.9)", s(" a")),
            ("lpad('a', true)", U),
            ("length(lpad('a', 5000))", i(1001)),
            (r#"Ltrim(" h i ")"#, s("h i ")),
            (r#"numbytes("hi")"#, i(2)),
            (r#"numbytes("€")"#, i(3)),
            (r#"replace("abcd", "bc", "x")"#, s("axd")),
            (r#"replace("abcdabcd", "b", "x")"#, s("axcdaxcd")),
            ("replace(1212, 1, 3)", s("3232")),
            (r#"rpad("hello", 2)"#, s("hello  ")),
            ("rpad(1, 3)", s("1   ")),
            (r#"rtrim(" h i ")"#, s(" h i")),
            (r#"startswith("ranger","ran")"#, b(true)),
            ("startswith(missing, 'a')", U),
            (r#"substring("012345", 0)"#, s("012345")),
            (r#"substring("012345", 2)"#, s("2345")),
            (r#"substring("012345", 2.745)"#, s("2345")),
            ("substring(123, 2)", s("3")),
            (r#"substring("012345", -1)"#, s("012345")),
            ("substring(true, 1.2)", s("rue")),
            ("substring(false, -2.411E247)", s("false")),
            (r#"substring("012345", 1, 3)"#, s("12")),
            (r#"substring("012345", -50, 50)"#, s("012345")),
            (r#"substring("012345", 3, 1)"#, s("")),
            (r#"Trim(" hi ")"#, s("hi")),
            (r#"upper("hello")"#, s("HELLO")),
            (r#"upper(["hello"])"#, s(r#"["HELLO"]"#)),
        ],
        "{}",
    );
}

#[test]
fn string_functions_count_characters_not_bytes() {
    let p = r#"{"w": "héllo😀", "jp": "日本語テキスト", "de": "straße"}"#;
    check(
        &[
            ("length(w)", i(6)),
            ("numbytes(w)", i(10)),
            ("substring(w, 1, 3)", s("él")),
            ("substring(w, 5)", s("😀")),
            ("get(w, 5)", s("😀")),
            ("indexof(jp, 'テ')", i(3)),
            ("upper(de)", s("STRASSE")),
            ("lower('ÉTÉ')", s("été")),
            ("lpad('é', 2)", s("  é")),
            ("trim('\\t héllo \\n')", s("héllo")),
            ("replace(jp, '語', 'go')", s("日本goテキスト")),
            ("startswith(jp, '日本')", b(true)),
            ("concat(w, 1)", s("héllo😀1")),
            ("regexp_substr(jp, '本.テ')", s("本語テ")),
        ],
        p,
    );
}

#[test]
fn regexp_functions() {
    // "Functions": regexp_matches, regexp_replace, regexp_substr.
    check(
        &[
            (r#"regexp_matches("aaaa", "a{2,}")"#, b(true)),
            (r#"regexp_matches("aaaa", "b")"#, b(false)),
            (r#"regexp_replace("abcd", "bc", "x")"#, s("axd")),
            (r#"regexp_replace("abcd", "b(.*)d", "$1")"#, s("ac")),
            (r#"regexp_substr("hihihello", "hi")"#, s("hi")),
            (r#"regexp_substr("hihihello", "(hi)*")"#, s("hihi")),
            // Java's replacement syntax: $1 then a literal x; \$ is a dollar sign.
            ("regexp_replace('abcd', '(b)', '$1x')", s("abxcd")),
            ("regexp_replace('abcd', 'b', '\\\\$')", s("a$cd")),
            (
                "regexp_replace('abcd', '(?<mid>bc)', '[${mid}]')",
                s("a[bc]d"),
            ),
            ("regexp_replace('abcd', 'b', '$2')", U),
            ("regexp_replace('abcd', 'b', '$')", U),
            // Invalid patterns (including Java-only look-around) are Undefined.
            ("regexp_matches('abc', '(')", U),
            ("regexp_matches('abc', '(?=a)')", U),
            ("regexp_substr('abc', 'x')", U),
            ("regexp_matches(12345, '^\\\\d+$')", b(true)),
            ("regexp_matches('ABC', '(?i)abc')", b(true)),
            ("regexp_matches(null, 'a')", U),
            // A pattern that is not a literal is compiled per evaluation.
            ("regexp_matches('a1', pat)", b(true)),
            ("regexp_matches('a1', bad)", U),
        ],
        r#"{"pat": "^[a-z]\\d$", "bad": "[z-a]"}"#,
    );
}

#[test]
fn parse_time_examples() {
    // "Functions", parse_time: the page's examples.
    let mut at = ctx();
    check(
        &[
            (
                r#"parse_time("yyyy.MM.dd G 'at' HH:mm:ss z", 100000000, "America/Belize" )"#,
                s("1970.01.01 AD at 21:46:40 CST"),
            ),
            (r#"parse_time("yyyy", timestamp(), "UTC")"#, s("2016")),
            (
                "parse_time('yyyy-MM-dd HH:mm:ss.SSS', 1481825251155)",
                s("2016-12-15 18:07:31.155"),
            ),
            (
                "parse_time(\"yyyy-MM-dd'T'HH:mm:ss.SSSZZ\", 1585903518123, '+01:00')",
                s("2020-04-03T09:45:18.123+01:00"),
            ),
            (
                "parse_time('EEEE, d MMMM yy h:mm a', 1585903518000, 'Asia/Tokyo')",
                s("Friday, 3 April 20 5:45 PM"),
            ),
            (
                "parse_time('EEE MMM dd Z', 0, 'America/New_York')",
                s("Wed Dec 31 -0500"),
            ),
            ("parse_time('D e k K', 0)", s("1 4 24 0")),
            ("parse_time('qqq', 0)", U),
            ("parse_time('yyyy', 0, 'Mars/Olympus')", U),
            ("parse_time('yyyy', 'soon')", U),
            // '' is a quote, 'text' is literal: Java's pattern quoting.
            (
                "parse_time(\"''yyyy'' 'at' 'o''clock'\", 0)",
                s("'1970' at o'clock"),
            ),
        ],
        "{}",
    );
    at.timestamp_ms = 1_497_028_786_000;
    assert_eq!(
        value_in(
            r#"parse_time("yyyy.MM.dd G 'at' HH:mm:ss z", timestamp() )"#,
            "{}",
            &at
        ),
        s("2017.06.09 AD at 17:19:46 UTC")
    );
}

#[test]
fn time_to_epoch_examples() {
    // "Functions", time_to_epoch: the page's examples, then more patterns.
    check(
        &[
            (
                r#"time_to_epoch("2020-04-03 09:45:18 UTC+01:00", "yyyy-MM-dd HH:mm:ss VV")"#,
                i(1_585_903_518_000),
            ),
            (
                r#"time_to_epoch("18 December 2015", "dd MMMM yyyy")"#,
                i(1_450_396_800_000),
            ),
            (
                r#"time_to_epoch("2007-12-03 10:15:30.592 America/Los_Angeles", "yyyy-MM-dd HH:mm:ss.SSS z")"#,
                i(1_196_705_730_592),
            ),
            (
                "time_to_epoch('2020-04-03T08:45:18Z', \"yyyy-MM-dd'T'HH:mm:ssX\")",
                i(1_585_903_518_000),
            ),
            (
                "time_to_epoch('03/04/2020 09:45 PM', 'MM/dd/yyyy hh:mm a')",
                i(1_583_358_300_000),
            ),
            (
                "time_to_epoch('20200403', 'yyyyMMdd')",
                i(1_585_872_000_000),
            ),
            (
                "time_to_epoch('2007-12-03 10:15:30 PST', 'yyyy-MM-dd HH:mm:ss z')",
                i(1_196_705_730_000),
            ),
            (
                "time_to_epoch('2020-04-03 +0100', 'yyyy-MM-dd Z')",
                i(1_585_868_400_000),
            ),
            ("time_to_epoch('2020-13-03', 'yyyy-MM-dd')", U),
            ("time_to_epoch('2020-04-03 extra', 'yyyy-MM-dd')", U),
            ("time_to_epoch('x', 'yyyy')", U),
            ("time_to_epoch(null, 'yyyy')", U),
        ],
        "{}",
    );
}
