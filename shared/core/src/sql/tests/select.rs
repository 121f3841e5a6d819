//! SELECT, FROM, WHERE, SET, literals, CASE, nested paths and nested queries.

use serde_json::json;

use super::{ctx, json, run_with};
use crate::sql::{evaluate, parse, parse_with_version, NoExternalFunctions, Output, SqlVersion};

#[test]
fn select_clause_examples() {
    // "SELECT clause"
    let payload = r#"{"color":"red", "temperature":50}"#;
    let table = [
        ("SELECT * FROM 'topic/subtopic'", json!({"color":"red", "temperature":50})),
        ("SELECT color FROM 'topic/subtopic'", json!({"color":"red"})),
        ("SELECT color AS my_color FROM 'topic/subtopic'", json!({"my_color":"red"})),
        (
            "SELECT color as my_color, temperature as fahrenheit FROM 'topic/subtopic'",
            json!({"my_color":"red","fahrenheit":50}),
        ),
        (
            "SELECT *, 15 as speed FROM 'topic/subtopic'",
            json!({"color":"red", "temperature":50, "speed":15}),
        ),
        ("SELECT VALUE color FROM 'topic/subtopic'", json!("red")),
        (
            "SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM 'topic/subtopic'",
            json!({"celsius":10,"my_color":"RED"}),
        ),
    ];
    for (sql, expected) in table {
        assert_eq!(json(sql, payload), expected, "{sql}");
    }
    assert_eq!(
        json(
            "SELECT color.red as red_value FROM 'topic/subtopic'",
            r#"{"color":{"red":255,"green":0,"blue":0}, "temperature":50}"#
        ),
        json!({"red_value":255})
    );
}

#[test]
fn where_clause_examples() {
    // "WHERE clause": the rule triggers, the actions do not run, there is no output.
    let sql =
        "SELECT color AS my_color FROM 'topic/subtopic' WHERE temperature > 50 AND color <> 'red'";
    assert_eq!(
        run_with(sql, br#"{"color":"red", "temperature":40}"#, &ctx()),
        None
    );
    // Undefined or non-boolean conditions are not true.
    for cond in ["missing > 1", "1", "'true'", "null", "temperature"] {
        let sql = format!("SELECT * FROM 'a' WHERE {cond}");
        assert_eq!(
            run_with(&sql, br#"{"temperature":40}"#, &ctx()),
            None,
            "{cond}"
        );
    }
    let sql = "SELECT * FROM 'a' WHERE temperature >= 40";
    assert!(run_with(sql, br#"{"temperature":40}"#, &ctx()).is_some());
}

#[test]
fn from_clause_topic_filter() {
    // "FROM clause": the filter, with wildcards, is what the rules engine indexes by.
    for (sql, filter) in [
        ("SELECT * FROM 'topic/subtopic'", "topic/subtopic"),
        ("SELECT * FROM 'sensors/+/temp'", "sensors/+/temp"),
        ("SELECT * FROM \"a/#\"", "a/#"),
        ("select * from '#' where true", "#"),
        ("SELECT *", ""),
    ] {
        assert_eq!(
            parse(sql).map(|s| s.topic_filter().to_owned()),
            Ok(filter.to_owned()),
            "{sql}"
        );
    }
}

#[test]
fn keywords_and_functions_are_case_insensitive() {
    let payload = r#"{"a": 1.2}"#;
    assert_eq!(
        json("select Round(a) as r FrOm 'x' wHeRe TRUE", payload),
        json!({"r": 1})
    );
}

#[test]
fn unaliased_items_are_named_by_their_last_key_or_function() {
    let payload = r#"{"a": {"b": 1}, "c": [1, 2]}"#;
    assert_eq!(
        json("SELECT a.b, c[1], topic(), 1 + 1 FROM 'x'", payload),
        json!({"b": 1, "c": 2, "topic": "topic/subtopic", "_4": 2})
    );
}

#[test]
fn undefined_items_are_left_out() {
    // "Data types": {"foo":null, "bar":undefined} serializes as {"foo":null}.
    assert_eq!(
        json("SELECT foo, bar, NULL AS n FROM 'x'", r#"{"foo": null}"#),
        json!({"foo": null, "n": null})
    );
}

#[test]
fn later_items_replace_earlier_keys_and_aliases_nest() {
    let payload = r#"{"foo": {"bar": "RED"}, "t": 1}"#;
    assert_eq!(
        json("SELECT *, 2 AS t FROM 'x'", payload),
        json!({"foo": {"bar": "RED"}, "t": 2})
    );
    // "JSON extensions": SELECT foo.bar AS bar.baz (we build the nested object).
    assert_eq!(
        json("SELECT foo.bar AS bar.baz FROM 'x'", payload),
        json!({"bar": {"baz": "RED"}})
    );
}

#[test]
fn select_value_outputs_any_value() {
    // "SQL versions": an array as the top-level output.
    let payload = r#"{"a": {"b":"c"}, "arr":[1,2,3,4]}"#;
    assert_eq!(
        json("SELECT VALUE arr FROM 'topic'", payload),
        json!([1, 2, 3, 4])
    );
    assert_eq!(
        json("SELECT VALUE a FROM 'topic'", payload),
        json!({"b": "c"})
    );
    assert_eq!(json("SELECT VALUE 1 + 1 FROM 'topic'", payload), json!(2));
    // Undefined serializes by itself as the empty string: an empty payload.
    assert_eq!(
        run_with(
            "SELECT VALUE missing FROM 'topic'",
            payload.as_bytes(),
            &ctx()
        ),
        Some(Output::Binary(Vec::new()))
    );
    // A key named value is still a key when nothing follows it.
    assert_eq!(
        json("SELECT value FROM 'x'", r#"{"value": 3}"#),
        json!({"value": 3})
    );
}

#[test]
fn literals_examples() {
    // "Literals"
    assert_eq!(
        json(
            "SELECT {'latitude': get(lat_long, 0),'longitude':get(lat_long, 1)} as lat_long FROM 'topic/subtopic'",
            r#"{"lat_long": [47.606,-122.332]}"#
        ),
        json!({"lat_long":{"latitude":47.606,"longitude":-122.332}})
    );
    assert_eq!(
        json(
            "SELECT [lat,long] as lat_long FROM 'topic/subtopic'",
            r#"{"lat": 47.606, "long": -122.332}"#
        ),
        json!({"lat_long": [47.606,-122.332]})
    );
    // Undefined members and elements are left out of constructed values.
    assert_eq!(
        json(
            "SELECT {'a': missing, 'b': 1} AS o, [1, missing, 2] AS l FROM 'x'",
            "{}"
        ),
        json!({"o": {"b": 1}, "l": [1, 2]})
    );
}

#[test]
fn case_statements() {
    // "Case statements"
    let sql = "SELECT CASE color WHEN 'green' THEN 'go' WHEN 'yellow' THEN 'caution' WHEN 'red' THEN 'stop' ELSE 'you are not at a stop light' END as instructions FROM 'topic/subtopic'";
    for (color, expected) in [
        ("yellow", json!({"instructions":"caution"})),
        ("red", json!({"instructions":"stop"})),
        (
            "blue",
            json!({"instructions":"you are not at a stop light"}),
        ),
    ] {
        assert_eq!(json(sql, &format!(r#"{{"color":"{color}"}}"#)), expected);
    }
    // If v is Undefined, the result is Undefined; no match and no ELSE is Undefined.
    assert_eq!(json(sql, "{}"), json!({}));
    assert_eq!(
        json("SELECT CASE 1 WHEN 2 THEN 'x' END AS r FROM 'x'", "{}"),
        json!({})
    );
    // Searched form (an extension: AWS documents the simple form only).
    let searched = "SELECT CASE WHEN t > 30 THEN 'hot' WHEN t > 10 THEN 'mild' ELSE 'cold' END AS feel FROM 'x'";
    assert_eq!(json(searched, r#"{"t": 35}"#), json!({"feel": "hot"}));
    assert_eq!(json(searched, r#"{"t": 20}"#), json!({"feel": "mild"}));
    assert_eq!(json(searched, r#"{"t": 0}"#), json!({"feel": "cold"}));
    // Numbers match across Int and Decimal.
    assert_eq!(
        json(
            "SELECT CASE 1.5 * 2 WHEN 3 THEN 'three' END AS r FROM 'x'",
            "{}"
        ),
        json!({"r": "three"})
    );
}

#[test]
fn nested_paths_into_arrays() {
    let payload = r#"{"a": {"b": [{"c": 1}, {"c": 2}], "m": [[1, 2], [3, 4]]}, "i": 1, "k": "c"}"#;
    let table = [
        ("a.b[0].c", json!(1)),
        ("a.b[1].c", json!(2)),
        ("a.b[i].c", json!(2)),
        ("a.m[1][0]", json!(3)),
        ("a.b[0][k]", json!(1)),
        ("a.b[1]", json!({"c": 2})),
        ("get(a.b, 1).c", json!(2)),
    ];
    for (expr, expected) in table {
        assert_eq!(
            json(&format!("SELECT VALUE {expr} FROM 'x'"), payload),
            expected,
            "{expr}"
        );
    }
    for expr in [
        "a.b[2]",
        "a.b[-1]",
        "a.b.c",
        "a.x.y.z",
        "i.x",
        "a.b['c']",
        "a.b[0].c.d",
    ] {
        assert_eq!(
            run_with(
                &format!("SELECT VALUE {expr} FROM 'x'"),
                payload.as_bytes(),
                &ctx()
            ),
            Some(Output::Binary(Vec::new())),
            "{expr} is Undefined"
        );
    }
}

#[test]
fn nested_object_queries() {
    // "Nested object queries"
    let payload = r#"{ "e": [
        { "n": "temperature", "u": "Cel", "t": 1234, "v": 22.5 },
        { "n": "light", "u": "lm", "t": 1235, "v": 135 },
        { "n": "acidity", "u": "pH", "t": 1235, "v": 7 } ] }"#;
    assert_eq!(
        json(
            "SELECT (SELECT VALUE n FROM e) as sensors FROM 'my/topic'",
            payload
        ),
        json!({"sensors": ["temperature", "light", "acidity"]})
    );
    assert_eq!(
        json(
            "SELECT (SELECT v FROM e WHERE n = 'temperature') as temperature FROM 'my/topic'",
            payload
        ),
        json!({"temperature": [{"v": 22.5}]})
    );
    assert_eq!(
        json("SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v as temperature FROM 'topic'", payload),
        json!({"temperature": 22.5})
    );
    // EXISTS over a nested query with an alias.
    let arr = r#"{"arr":[1, 2, 3]}"#;
    assert!(run_with(
        "select * from 'a/b' where exists (select * from arr as a where a = 3)",
        arr.as_bytes(),
        &ctx()
    )
    .is_some());
    assert!(run_with(
        "select * from 'a/b' where exists (select * from arr as a where a = 4)",
        arr.as_bytes(),
        &ctx()
    )
    .is_none());
    // Over an owned array (a literal) and over an object.
    assert_eq!(
        json(
            "SELECT VALUE (SELECT VALUE x * 2 FROM [{'x': 1}, {'x': 2}]) FROM 'x'",
            "{}"
        ),
        json!([2, 4])
    );
    assert_eq!(
        json(
            "SELECT VALUE (SELECT a, b FROM data2) FROM 'x'",
            r#"{"data2": {"a": 1, "b": 2, "c": 3}}"#
        ),
        json!({"a": 1, "b": 2})
    );
}

#[test]
fn set_clause_examples() {
    // "SET clause" (with a temperature whose conversion is whole: Int / Int is an Int by the
    // operator table, though the page's own example shows 23.89 for 75).
    assert_eq!(
        json(
            "SET @temp_celsius = (temp_fahrenheit - 32) * 5 / 9 SELECT @temp_celsius AS celsius, humidity FROM 'device/data'",
            r#"{"temp_fahrenheit": 77, "humidity": 60}"#
        ),
        json!({"celsius": 25, "humidity": 60})
    );
    assert_eq!(
        json(
            "SET @device_sensor_data = device1.deviceData.sensors SELECT @device_sensor_data.temp_fahrenheit AS temp_fahrenheit, @device_sensor_data.humidity as humidity, device1.deviceId as deviceId FROM 'device/data'",
            r#"{"device1": {"deviceId":"weather_sensor", "deviceData": {"sensors": {"temp_fahrenheit": 75, "humidity": 60}, "location": [47.606,-122.332]}}}"#
        ),
        json!({"temp_fahrenheit":75,"humidity":60,"deviceId":"weather_sensor"})
    );
    assert_eq!(
        json(
            "SET @a = 2, @b = @a * 10 SELECT @b FROM 'x' WHERE @a = 2",
            "{}"
        ),
        json!({"b": 20})
    );
    assert!(parse("SET @a = 1, @a = 2 SELECT 1 FROM 'x'").is_err());
    assert!(parse("SET @b = @a, @a = 1 SELECT 1 FROM 'x'").is_err());
}

#[test]
fn whole_decimals_are_ints_in_2016_and_decimals_in_2015() {
    // "Data types": with 2016-03-23, 10.0 is processed as the Int 10.
    let payload = br#"{"x": 10.0}"#;
    let v2016 = parse("SELECT x, x / 4 AS q FROM 'a'").unwrap_or_else(|e| panic!("{e}"));
    let v2015 = parse_with_version("SELECT x, x / 4 AS q FROM 'a'", SqlVersion::V2015_10_08)
        .unwrap_or_else(|e| panic!("{e}"));
    let run = |s| evaluate(s, payload, &ctx(), &NoExternalFunctions);
    assert_eq!(
        run(&v2016),
        Ok(Some(Output::Json(json!({"x": 10, "q": 2}))))
    );
    assert_eq!(
        run(&v2015),
        Ok(Some(Output::Json(json!({"x": 10.0, "q": 2.5}))))
    );
    assert_eq!(v2015.version(), SqlVersion::V2015_10_08);
    assert_eq!(
        "2015-10-08".parse::<SqlVersion>(),
        Ok(SqlVersion::V2015_10_08)
    );
    assert!("2017-01-01".parse::<SqlVersion>().is_err());
}

#[test]
fn version_2015_refuses_2016_features() {
    for sql in [
        "SELECT {'a': 1} AS o FROM 'x'",
        "SELECT [1] AS o FROM 'x'",
        "SELECT (SELECT VALUE n FROM e) AS s FROM 'x'",
        "SELECT length('a') AS l FROM 'x'",
        "SELECT cast(1 AS Boolean) AS b FROM 'x'",
        "SET @a = 1 SELECT @a FROM 'x'",
    ] {
        assert!(
            parse_with_version(sql, SqlVersion::V2015_10_08).is_err(),
            "{sql}"
        );
        assert!(parse(sql).is_ok(), "{sql} parses in 2016-03-23");
    }
}

#[test]
fn json_extensions_examples() {
    // "JSON extensions"
    assert_eq!(
        json(
            r#"SELECT * from 'iot/rules' WHERE get(get(get(mydata,"item2"),"0"),"my-key") = "myValue""#,
            r#"{"mydata": {"item2": {"0": {"my-key": "myValue"}}}}"#
        ),
        json!({"mydata": {"item2": {"0": {"my-key": "myValue"}}}})
    );
    assert_eq!(
        json(
            "SELECT temp, md5(deviceid) AS hashed_id FROM 'topic/#'",
            r#"{"deviceid": "iot123", "temp": 54.98, "humidity": 32.43}"#
        ),
        json!({"temp": 54.98, "hashed_id": "e37f81fb397e595c4aeb5645b8cbbbd1"})
    );
}

#[test]
fn module_doc_example() {
    // The example at the top of `sql/mod.rs` (doctests are not part of this run).
    let rule = parse("SELECT temp, topic(2) AS device FROM 'sensors/+' WHERE temp > 30")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rule.topic_filter(), "sensors/+");
    let c = crate::sql::EvalContext::new("sensors/kitchen");
    let out = evaluate(&rule, br#"{"temp": 35}"#, &c, &NoExternalFunctions);
    assert_eq!(
        out,
        Ok(Some(Output::Json(json!({"temp": 35, "device": "kitchen"}))))
    );
    assert_eq!(
        Output::Json(json!({"a": 1})).to_bytes(),
        br#"{"a":1}"#.to_vec()
    );
}
