//! "Substitution templates".

use super::ctx;
use crate::sql::{
    parse, substitute, EvalContext, NoExternalFunctions, SubstitutionError, Template,
};

fn render(template: &str, payload: &str, c: &EvalContext) -> String {
    substitute(template, payload.as_bytes(), c, &NoExternalFunctions)
        .unwrap_or_else(|e| panic!("{template}: {e}"))
}

#[test]
fn substitution_template_examples() {
    let payload = r#"{"deviceid": "iot123", "temp": 54.98, "humidity": 32.43,
        "coords": {"latitude": 47.615694, "longitude": -122.3359976}}"#;
    let mut c = EvalContext::new("my/iot/topic");
    c.client_id = Some("dev-7".to_owned());
    c.timestamp_ms = 1_481_825_251_155;
    for (template, expected) in [
        ("${topic()}/republish", "my/iot/topic/republish"),
        ("${topic(2)}", "iot"),
        ("device/${deviceid}", "device/iot123"),
        ("${clientId()}", "dev-7"),
        ("${temp}", "54.98"),
        (
            "${coords}",
            r#"{"latitude":47.615694,"longitude":-122.3359976}"#,
        ),
        ("${coords.latitude > 40}", "true"),
        (r#"${parse_time("yyyy", timestamp(), "UTC")}"#, "2016"),
        ("${missing}", ""),
        ("${null}", "null"),
        ("no expressions", "no expressions"),
        ("$5 and ${'}'} and ${ {'a': 1}.a }", "$5 and } and 1"),
        ("${upper(deviceid)}-${temp * 2}", "IOT123-109.96"),
    ] {
        assert_eq!(render(template, payload, &c), expected, "{template}");
    }
}

#[test]
fn templates_parse_once_and_see_set_variables() {
    let statement = parse("SET @c = (f - 32) * 5 / 9 SELECT @c AS celsius FROM 'device/data'")
        .unwrap_or_else(|e| panic!("{e}"));
    let template =
        Template::parse_for(&statement, "temperature-data/${device_id}/temp-${@c}C.json")
            .unwrap_or_else(|e| panic!("{e}"));
    let out = template.render(
        br#"{"f": 212, "device_id": "d1"}"#,
        &ctx(),
        &NoExternalFunctions,
    );
    assert_eq!(out.as_deref(), Ok("temperature-data/d1/temp-100C.json"));
    assert!(Template::parse("${@c}").is_err(), "no SET in scope");
}

#[test]
fn template_errors_have_positions() {
    for (template, line, column) in [
        ("abc ${topic(", 1, 5),
        ("x\n  ${1 +}", 2, 8),
        ("${nope()}", 1, 3),
    ] {
        match substitute(template, b"{}", &ctx(), &NoExternalFunctions) {
            Err(SubstitutionError::Parse(e)) => {
                assert_eq!((e.line, e.column), (line, column), "{template}: {e}");
            }
            other => panic!("{template}: {other:?}"),
        }
    }
}
