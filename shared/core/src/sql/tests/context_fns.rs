//! Context functions, hashing and encoding, and the external-function port.

use std::cell::RefCell;

use serde_json::json;

use super::{check, ctx, j, s, value, value_in, U};
use crate::sql::{
    evaluate, parse, EvalContext, EvalError, ExternalFunctions, MqttProperties,
    NoExternalFunctions, Output, Value,
};

#[test]
fn topic_function() {
    // "Functions", topic: 1-based levels; Basic Ingest's prefix is not part of the topic.
    let mut c = EvalContext::new("things/myThings/thingOne");
    for (expr, expected) in [
        ("topic()", s("things/myThings/thingOne")),
        ("topic(1)", s("things")),
        ("topic(3)", s("thingOne")),
        ("topic(2.9)", s("myThings")),
        ("topic('2')", s("myThings")),
        ("topic(0)", U),
        ("topic(4)", U),
        ("topic(-1)", U),
        ("topic('x')", U),
        ("topic(null)", U),
    ] {
        assert_eq!(value_in(expr, "{}", &c), expected, "{expr}");
    }
    c.topic = "$aws/rules/BuildingManager/Buildings/Building5/Floor2/Room201/Lights".to_owned();
    assert_eq!(
        value_in("topic()", "{}", &c),
        s("Buildings/Building5/Floor2/Room201/Lights")
    );
    assert_eq!(value_in("topic(3)", "{}", &c), s("Floor2"));
}

#[test]
fn identity_functions() {
    let mut c = ctx();
    assert_eq!(value_in("clientid()", "{}", &c), s("client-1"));
    assert_eq!(value_in("principal()", "{}", &c), U);
    assert_eq!(value_in("traceid()", "{}", &c), U);
    assert_eq!(value_in("sourceip()", "{}", &c), U);
    assert_eq!(value_in("accountid()", "{}", &c), U);
    assert_eq!(
        value_in("timestamp()", "{}", &c),
        Value::Int(1_481_825_251_155)
    );
    assert_eq!(value_in("sql_version()", "{}", &c), s("2016-03-23"));
    c.client_id = None;
    c.principal =
        Some("ba67293af50bf2506f5f93469686da660c7c844e7b3950bfb16813e0d31e9373".to_owned());
    c.trace_id = Some("12345678-1234-1234-1234-123456789012".to_owned());
    c.source_ip = Some("203.0.113.7".to_owned());
    c.account_id = Some("123456789012".to_owned());
    assert_eq!(value_in("clientid()", "{}", &c), s("n/a"));
    assert_eq!(
        value_in("principal()", "{}", &c),
        s("ba67293af50bf2506f5f93469686da660c7c844e7b3950bfb16813e0d31e9373")
    );
    assert_eq!(
        value_in("traceid()", "{}", &c),
        s("12345678-1234-1234-1234-123456789012")
    );
    assert_eq!(value_in("sourceip()", "{}", &c), s("203.0.113.7"));
    assert_eq!(value_in("accountid()", "{}", &c), s("123456789012"));
}

#[test]
fn newuuid_is_random_but_deterministic_under_a_seed() {
    let a = value("newuuid()", "{}");
    let Value::String(text) = &a else {
        panic!("newuuid() gave {a:?}");
    };
    assert_eq!(text.len(), 36);
    assert_eq!(text.chars().nth(14), Some('4'), "version 4: {text}");
    assert!(
        matches!(text.chars().nth(19), Some('8' | '9' | 'a' | 'b')),
        "variant: {text}"
    );
    assert_eq!(value("newuuid()", "{}"), a, "same seed, same UUID");
    let two = value("[newuuid(), newuuid()]", "{}");
    let Value::Array(items) = &two else {
        panic!("{two:?}");
    };
    assert_ne!(items.as_slice().first(), items.as_slice().get(1));
    let mut other = ctx();
    other.random_seed = 7;
    assert_ne!(value_in("newuuid()", "{}", &other), a);
}

#[test]
fn mqtt5_properties() {
    let mut c = ctx();
    assert_eq!(value_in("get_mqtt_property('content_type')", "{}", &c), U);
    c.mqtt_properties = MqttProperties {
        content_type: Some("application/json".to_owned()),
        payload_format_utf8: Some(true),
        response_topic: Some("reply/here".to_owned()),
        correlation_data: Some(b"abc".to_vec()),
    };
    c.user_properties = vec![
        ("k".to_owned(), "v1".to_owned()),
        ("other".to_owned(), "x".to_owned()),
        ("k".to_owned(), "v2".to_owned()),
    ];
    for (expr, expected) in [
        ("get_mqtt_property('content_type')", s("application/json")),
        ("get_mqtt_property('format_indicator')", s("UTF8_DATA")),
        ("get_mqtt_property('response_topic')", s("reply/here")),
        ("get_mqtt_property('correlation_data')", s("YWJj")),
        ("get_mqtt_property('nope')", U),
        ("get_user_properties('k')", j(json!(["v1", "v2"]))),
        ("get_user_properties('none')", U),
        (
            "get_user_properties()",
            j(json!([{"k": "v1"}, {"other": "x"}, {"k": "v2"}])),
        ),
    ] {
        assert_eq!(value_in(expr, "{}", &c), expected, "{expr}");
    }
}

#[test]
fn hashing_functions() {
    // "Functions", hashing: md2 and md5 from the page; the SHA family against known vectors.
    check(
        &[
            (r#"md2("hello")"#, s("a9046c73e00331af68917d3804f70655")),
            (r#"md5("hello")"#, s("5d41402abc4b2a76b9719d911017c592")),
            ("sha1('hello')", s("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")),
            ("sha224('hello')", s("ea09ae9cc6768c50fcee903ed054556e5bfc8347907f12598aa24193")),
            ("sha256('hello')", s("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")),
            (
                "sha384('hello')",
                s("59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f"),
            ),
            (
                "sha512('hello')",
                s("9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"),
            ),
            ("md5('')", s("d41d8cd98f00b204e9800998ecf8427e")),
            ("md5(123)", s("202cb962ac59075b964b07152d234b70")),
            ("md5(null)", U),
            ("sha256(missing)", U),
        ],
        "{}",
    );
}

#[test]
fn encode_and_decode() {
    // "Functions", encode and decode (base64).
    check(
        &[
            ("encode('hello', 'base64')", s("aGVsbG8=")),
            ("encode(1.5, 'base64')", s("MS41")),
            ("encode('hello', 'hex')", U),
            ("encode(null, 'base64')", U),
            ("decode('aGVsbG8=', 'base64')", s("hello")),
            (
                "decode('eyJhIjpbMSwyXX0=', 'base64')",
                j(json!({"a": [1, 2]})),
            ),
            ("decode('eyJhIjpbMSwyXX0=', 'base64').a[1]", Value::Int(2)),
            ("decode('!!!', 'base64')", Value::Null),
            ("decode('aGVsbG8=', 'proto')", U),
            ("decode(encode('x', 'base64'), 'BASE64')", s("x")),
            (
                "decode('3q2+7w==', 'base64')",
                Value::Binary(vec![0xde, 0xad, 0xbe, 0xef].into()),
            ),
        ],
        "{}",
    );
    // The page's example: decode a base64 JSON document and read a key of it.
    assert_eq!(
        super::json(
            r#"SELECT decode(encoded_temp,"base64").temperature AS temp from 'topic/subtopic'"#,
            r#"{"encoded_temp": "eyAidGVtcGVyYXR1cmUiOiAzMyB9Cg=="}"#
        ),
        json!({"temp": 33})
    );
}

/// Records calls and answers `aws_lambda` with an object.
#[derive(Default)]
struct Recorder {
    calls: RefCell<Vec<(String, Vec<serde_json::Value>)>>,
}

impl ExternalFunctions for Recorder {
    fn call(&self, name: &str, args: &[Value<'_>]) -> Result<Value<'static>, EvalError> {
        let args = args
            .iter()
            .map(|a| a.to_json().unwrap_or_default())
            .collect();
        self.calls.borrow_mut().push((name.to_owned(), args));
        match name {
            "aws_lambda" => Ok(Value::from_json(&json!({"some": {"value": 42}}))),
            _ => Err(EvalError::External {
                name: name.to_owned(),
                message: "throttled".to_owned(),
            }),
        }
    }
}

#[test]
fn external_functions_go_through_the_port() {
    // "Functions", aws_lambda: the payload's attribute passed as an object literal.
    let statement = parse(
        r#"SELECT aws_lambda("arn:aws:lambda:us-east-1:account_id:function:lambda_function", {"payload":attribute1}).some.value as output FROM 'topic-filter'"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let recorder = Recorder::default();
    let out = evaluate(
        &statement,
        br#"{"attribute1": 21, "attribute2": "value"}"#,
        &ctx(),
        &recorder,
    );
    assert_eq!(out, Ok(Some(Output::Json(json!({"output": 42})))));
    assert_eq!(
        recorder.calls.borrow().as_slice(),
        &[(
            "aws_lambda".to_owned(),
            vec![
                json!("arn:aws:lambda:us-east-1:account_id:function:lambda_function"),
                json!({"payload": 21})
            ]
        )]
    );
    // A failing service stops the rule with its error; no service at all says so.
    let dynamo =
        parse("SELECT get_dynamodb('t', 'id', id, 'arn:aws:iam::1:role/r') AS row FROM 'x'")
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        evaluate(&dynamo, br#"{"id": 1}"#, &ctx(), &recorder),
        Err(EvalError::External {
            name: "get_dynamodb".to_owned(),
            message: "throttled".to_owned()
        })
    );
    assert_eq!(
        evaluate(&dynamo, br#"{"id": 1}"#, &ctx(), &NoExternalFunctions),
        Err(EvalError::ExternalUnavailable {
            name: "get_dynamodb".to_owned()
        })
    );
    // decode with the proto scheme needs S3: it goes to the port too.
    let proto = parse(
        "SELECT VALUE decode(*, 'proto', 'bucket', 'key.desc', 'file.proto', 'Msg') FROM 'x'",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(evaluate(&proto, b"\x08\x01", &ctx(), &recorder).is_err());
    assert_eq!(
        recorder.calls.borrow().last().map(|c| c.0.as_str()),
        Some("decode")
    );
}

#[test]
fn registry_and_shadow_functions_take_aws_arities() {
    // "Functions", get_thing_shadow: the classic form (thing, role) and the named one
    // (thing, shadow, role); get_registry_data(api, thing, role) with the two documented APIs.
    let accepted = [
        r#"SELECT * from 'topic/subtopic' WHERE get_thing_shadow("MyThing","arn:aws:iam::123456789012:role/AllowsThingShadowAccess").state.reported.alarm = 'ON'"#,
        r#"SELECT * from 'topic/subtopic' WHERE get_thing_shadow("MyThing","MyThingShadow","arn:aws:iam::123456789012:role/AllowsThingShadowAccess").state.reported.alarm = 'ON'"#,
        "SELECT get_registry_data('DescribeThing', topic(2), 'arn:aws:iam::1:role/r').attributes.location AS location FROM 'a/+'",
        "SELECT get_registry_data('ListThingGroupsForThing', clientid(), 'arn:aws:iam::1:role/r').thingGroups AS groups FROM 'a/+'",
    ];
    for sql in accepted {
        if let Err(e) = parse(sql) {
            panic!("{sql}: {e}");
        }
    }
    let statement = parse(
        "SELECT get_registry_data('DescribeThing', topic(2), 'arn:aws:iam::1:role/r') AS thing FROM 'a/+'",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let recorder = Recorder::default();
    let _ = evaluate(&statement, b"{}", &EvalContext::new("a/dev-1"), &recorder);
    assert_eq!(
        recorder.calls.borrow().as_slice(),
        &[(
            "get_registry_data".to_owned(),
            vec![
                json!("DescribeThing"),
                json!("dev-1"),
                json!("arn:aws:iam::1:role/r")
            ]
        )]
    );
}
