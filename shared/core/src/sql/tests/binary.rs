//! "Binary payloads": non-JSON payloads are raw bytes.

use serde_json::json;

use super::{ctx, json, run_with};
use crate::sql::{evaluate, parse, EvalError, NoExternalFunctions, Output};

const RAW: &[u8] = &[0xde, 0xad, 0xbe, 0xef, 0x00, b'{'];

#[test]
fn select_star_of_binary_is_the_raw_bytes() {
    assert_eq!(
        run_with("SELECT * FROM 'topic/subtopic'", RAW, &ctx()),
        Some(Output::Binary(RAW.to_vec()))
    );
    assert_eq!(
        run_with("SELECT VALUE * FROM 'a'", RAW, &ctx()),
        Some(Output::Binary(RAW.to_vec()))
    );
    // Text and bare JSON scalars are not JSON documents (the "WHERE clause" page calls the
    // payload `80` non-JSON).
    assert_eq!(
        run_with("SELECT * FROM 'a'", b"hello", &ctx()),
        Some(Output::Binary(b"hello".to_vec()))
    );
    assert_eq!(
        run_with("SELECT * FROM 'a'", b"80", &ctx()),
        Some(Output::Binary(b"80".to_vec()))
    );
}

#[test]
fn functions_of_a_binary_payload() {
    // Allowed: only functions in the SELECT.
    let out = run_with(
        "SELECT encode(*, 'base64') AS data, timestamp() AS ts FROM 'topic/subtopic'",
        RAW,
        &ctx(),
    );
    assert_eq!(
        out,
        Some(Output::Json(
            json!({"data": "3q2+7wB7", "ts": 1_481_825_251_155_u64})
        ))
    );
    let mut at_1200 = ctx();
    at_1200.timestamp_ms = 1200;
    assert!(run_with(
        "SELECT * FROM 'topic/subtopic' WHERE timestamp() % 12 = 0",
        RAW,
        &at_1200
    )
    .is_some());
}

#[test]
fn json_names_of_a_binary_payload_are_undefined() {
    assert_eq!(
        run_with(
            "SELECT * FROM 'a' WHERE device_type = 'thermostat'",
            RAW,
            &ctx()
        ),
        None
    );
    assert_eq!(
        run_with("SELECT device_type FROM 'a'", RAW, &ctx()),
        Some(Output::Json(json!({})))
    );
}

#[test]
fn star_with_other_items_needs_json_or_an_empty_payload() {
    let statement = parse("SELECT *, timestamp() AS timestamp FROM 'topic/subtopic'")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        evaluate(&statement, RAW, &ctx(), &NoExternalFunctions),
        Err(EvalError::BinaryPayloadMerge)
    );
    assert_eq!(
        evaluate(&statement, b"[1, 2]", &ctx(), &NoExternalFunctions),
        Err(EvalError::NonObjectPayloadMerge)
    );
    assert_eq!(
        evaluate(&statement, b"", &ctx(), &NoExternalFunctions),
        Ok(Some(Output::Json(
            json!({"timestamp": 1_481_825_251_155_u64})
        )))
    );
}

#[test]
fn decoding_a_binary_payload() {
    // "WHERE clause", example with a non-JSON payload.
    let sql = "SELECT decode(encode(*, 'base64'), 'base64') AS value FROM 'topic/subtopic' WHERE decode(encode(*, 'base64'), 'base64') > 50";
    assert_eq!(
        run_with(sql, b"80", &ctx()),
        Some(Output::Json(json!({"value": 80})))
    );
    assert_eq!(run_with(sql, b"20", &ctx()), None);
    // encode(*) of a JSON payload encodes its bytes exactly as received.
    assert_eq!(
        json(
            "SELECT encode(*, 'base64') AS e FROM 'a'",
            r#"{"encoded":1}"#
        ),
        json!({"e": "eyJlbmNvZGVkIjoxfQ=="})
    );
}
