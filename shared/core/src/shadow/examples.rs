//! The examples of AWS's Device Shadow documentation, replayed. Each case names the page (AWS
//! IoT Developer Guide) and section it comes from. Timestamps in AWS's examples are
//! placeholders; ours come from the injected clock.

use serde_json::{json, Map, Value};

use super::*;

const NOW: u64 = 123_456_789;

fn limits() -> ShadowLimits {
    ShadowLimits::default()
}

/// Replays update requests from nothing, each one second after the last.
fn replay(requests: &[Value]) -> StoredShadow {
    let mut shadow: Option<StoredShadow> = None;
    for (i, request) in requests.iter().enumerate() {
        let now = NOW + i as u64;
        match apply_update(
            shadow.as_ref(),
            request.to_string().as_bytes(),
            &limits(),
            now,
        ) {
            Ok(outcome) => shadow = Some(outcome.stored),
            Err(error) => panic!("{request} rejected: {error}"),
        }
    }
    shadow.unwrap_or_default()
}

#[test]
fn updates_from_the_documentation_end_in_the_documented_state() {
    let cases = [
        (
            "Using shadows → Updating a shadow (request, then the device's report)",
            vec![
                json!({"state": {"reported": {"color": {"r": 255, "g": 255, "b": 0}}}}),
                json!({"state": {"desired": {"color": {"r": 10}, "engine": "ON"}}}),
                json!({"state": {"reported": {"color": {"r": 10}, "engine": "ON"}}}),
            ],
            json!({"desired": {"color": {"r": 10}, "engine": "ON"},
                   "reported": {"color": {"r": 10, "g": 255, "b": 0}, "engine": "ON"}}),
            None,
        ),
        (
            "Using shadows → Deleting data",
            vec![
                json!({"state": {"desired": {"lights": {"color": "RED"}, "engine": "ON"},
                                 "reported": {"lights": {"color": "GREEN"}, "engine": "OFF"}}}),
                json!({"state": {"desired": null, "reported": {"engine": null}}}),
            ],
            json!({"reported": {"lights": {"color": "GREEN"}}}),
            None,
        ),
        (
            "Device Shadow service documents → Empty shadow document properties",
            vec![
                json!({"state": {"desired": {"color": "RED"}, "reported": {"color": "GREEN"}}}),
                json!({"state": {"reported": {"color": "red"}, "desired": null}}),
            ],
            json!({"reported": {"color": "red"}}),
            None,
        ),
        (
            "Device Shadow service documents → Array values in shadow documents",
            vec![
                json!({"state": {"desired": {"colors": ["RED", "GREEN", "BLUE"]}}}),
                json!({"state": {"desired": {"colors": ["RED"]}}}),
            ],
            json!({"desired": {"colors": ["RED"]}}),
            Some(json!({"colors": ["RED"]})),
        ),
        (
            "Interacting with shadows → Deleting a property from a shadow document",
            vec![
                json!({"state": {"desired": {"color": {"r": 10}, "engine": "ON"}}}),
                json!({"state": {"desired": {"engine": null}}}),
            ],
            json!({"desired": {"color": {"r": 10}}}),
            Some(json!({"color": {"r": 10}})),
        ),
        (
            "Device Shadow service documents → Delta state (nested objects)",
            vec![
                json!({"state": {"desired": {"lights": {"color": {"r": 255, "g": 255, "b": 255}}},
                                 "reported": {"lights": {"color": {"r": 255, "g": 0, "b": 255}}}}}),
            ],
            json!({"desired": {"lights": {"color": {"r": 255, "g": 255, "b": 255}}},
                   "reported": {"lights": {"color": {"r": 255, "g": 0, "b": 255}}}}),
            Some(json!({"lights": {"color": {"g": 255}}})),
        ),
    ];
    for (source, requests, expected_state, expected_delta) in cases {
        let shadow = replay(&requests);
        assert_eq!(shadow.state_json(), expected_state, "{source}");
        assert_eq!(
            shadow.delta().map(Value::Object),
            expected_delta,
            "{source}"
        );
        assert_eq!(shadow.version, requests.len() as u64, "{source}");
    }
}

#[test]
fn accepted_document_matches_the_accepted_response_format() {
    // "Interacting with shadows" → "Updating a shadow when a client requests a state change",
    // answered with the "/accepted response state document".
    let request =
        br#"{"state": {"desired": {"color": {"r": 10}, "engine": "ON"}}, "clientToken": "token"}"#;
    let outcome = apply_update(None, request, &limits(), NOW).expect("accepted");
    assert_eq!(
        outcome.accepted,
        json!({
            "state": {"desired": {"color": {"r": 10}, "engine": "ON"}},
            "metadata": {"desired": {"color": {"r": {"timestamp": NOW}}, "engine": {"timestamp": NOW}}},
            "timestamp": NOW, "clientToken": "token", "version": 1
        })
    );
    // … and the "/delta response state document".
    assert_eq!(
        outcome.delta,
        Some(json!({
            "state": {"color": {"r": 10}, "engine": "ON"},
            "metadata": {"color": {"r": {"timestamp": NOW}}, "engine": {"timestamp": NOW}},
            "timestamp": NOW, "clientToken": "token", "version": 1
        }))
    );
    // A deleted property is echoed with a timestamp ("Deleting a property from a shadow").
    let deleted = apply_update(
        Some(&outcome.stored),
        br#"{"state": {"desired": {"engine": null}}}"#,
        &limits(),
        NOW + 1,
    )
    .expect("accepted");
    assert_eq!(
        deleted.accepted,
        json!({"state": {"desired": {"engine": null}},
               "metadata": {"desired": {"engine": {"timestamp": NOW + 1}}},
               "timestamp": NOW + 1, "version": 2})
    );
}

#[test]
fn get_returns_state_delta_and_metadata_as_documented() {
    // "Using shadows" → "Retrieving a shadow document": desired and reported written at
    // different times; the response adds the delta and the delta's metadata.
    let shadow = replay(&[
        json!({"state": {"desired": {"lights": {"color": "RED"}, "engine": "ON"}}}),
        json!({"state": {"reported": {"lights": {"color": "GREEN"}, "engine": "ON"}}}),
    ]);
    let got = get_response(Some(&shadow), "lamp", None, Some("t"), NOW + 5).expect("exists");
    assert_eq!(
        got,
        json!({
            "state": {
                "desired": {"lights": {"color": "RED"}, "engine": "ON"},
                "reported": {"lights": {"color": "GREEN"}, "engine": "ON"},
                "delta": {"lights": {"color": "RED"}}
            },
            "metadata": {
                "desired": {"lights": {"color": {"timestamp": NOW}}, "engine": {"timestamp": NOW}},
                "reported": {"lights": {"color": {"timestamp": NOW + 1}}, "engine": {"timestamp": NOW + 1}},
                "delta": {"lights": {"color": {"timestamp": NOW}}}
            },
            "version": 2, "timestamp": NOW + 5, "clientToken": "t"
        })
    );
    // "Device Shadow service documents" → the example document, with an array: its metadata
    // has one timestamp per element.
    let example = replay(&[json!({"state": {
        "desired": {"color": "RED", "sequence": ["RED", "GREEN", "BLUE"]},
        "reported": {"color": "GREEN"}}})]);
    let got = get_response(Some(&example), "lamp", Some("Limits"), None, NOW).expect("exists");
    assert_eq!(
        got["state"]["delta"],
        json!({"color": "RED", "sequence": ["RED", "GREEN", "BLUE"]})
    );
    assert_eq!(
        got["metadata"]["desired"]["sequence"],
        json!([{"timestamp": NOW}, {"timestamp": NOW}, {"timestamp": NOW}])
    );
    assert!(got.get("clientToken").is_none());
}

#[test]
fn optimistic_locking_follows_the_documented_example() {
    // "Interacting with shadows" → "Optimistic locking": a document at version 10.
    let colors = |v: Value| -> Option<Map<String, Value>> { v.as_object().cloned() };
    let stored = StoredShadow {
        desired: colors(json!({"colors": ["RED", "GREEN", "BLUE"]})),
        metadata: ShadowMetadata {
            desired: colors(
                json!({"colors": [{"timestamp": 1}, {"timestamp": 1}, {"timestamp": 1}]}),
            ),
            reported: None,
        },
        version: 10,
        ..StoredShadow::default()
    };
    let stale = br#"{"state": {"desired": {"colors": ["BLUE"]}}, "version": 9, "clientToken": "426bfd96-e720-46d3-95cd-014e3ef12bb6"}"#;
    let error = apply_update(Some(&stored), stale, &limits(), NOW).expect_err("stale");
    assert_eq!(
        error.to_json(NOW),
        json!({"code": 409, "message": "Version conflict", "clientToken": "426bfd96-e720-46d3-95cd-014e3ef12bb6"})
    );
    let fresh = br#"{"state": {"desired": {"colors": ["BLUE"]}}, "version": 10}"#;
    let outcome = apply_update(Some(&stored), fresh, &limits(), NOW).expect("current");
    assert_eq!(
        outcome.stored.state_json(),
        json!({"desired": {"colors": ["BLUE"]}})
    );
    assert_eq!(outcome.stored.version, 11);
}

#[test]
fn delta_messages_follow_the_message_order_example() {
    // "Using shadows" → "Message order": reported blue at version 10, then two desired colors;
    // each delta carries the version it belongs to.
    let stored = StoredShadow {
        reported: json!({"color": "blue"}).as_object().cloned(),
        version: 10,
        ..StoredShadow::default()
    };
    let one = apply_update(
        Some(&stored),
        br#"{"state": {"desired": {"color": "RED"}}, "version": 10}"#,
        &limits(),
        NOW,
    )
    .expect("update 1");
    assert_eq!(
        one.delta.as_ref().map(|d| (&d["state"], &d["version"])),
        Some((&json!({"color": "RED"}), &json!(11)))
    );
    let two = apply_update(
        Some(&one.stored),
        br#"{"state": {"desired": {"color": "GREEN"}}, "version": 11}"#,
        &limits(),
        NOW,
    )
    .expect("update 2");
    assert_eq!(
        two.delta.as_ref().map(|d| (&d["state"], &d["version"])),
        Some((&json!({"color": "GREEN"}), &json!(12)))
    );
}

#[test]
fn update_delta_body_follows_the_mqtt_topic_rules() {
    // "Device Shadow MQTT topics" → /update/delta → "Message body details", rule by rule.
    let cases = [
        (
            "only desired attributes that differ are included",
            json!({"desired": {"a": 1, "b": 2}, "reported": {"a": 1, "b": 3}}),
            Some(json!({"b": 2})),
        ),
        (
            "reported-only attributes are not included",
            json!({"desired": {"a": 1}, "reported": {"a": 1, "z": 9}}),
            None,
        ),
        (
            "desired attributes missing from reported are included",
            json!({"desired": {"a": 1, "n": 5}, "reported": {"a": 1}}),
            Some(json!({"n": 5})),
        ),
    ];
    for (rule, state, expected) in cases {
        let shadow = replay(&[json!({"state": state})]);
        let message = delta_message(&shadow, None, NOW);
        assert_eq!(message.map(|m| m["state"].clone()), expected, "{rule}");
    }
    // "If an attribute is deleted from the reported section but still exists in the desired
    // section, it is included."
    let shadow = replay(&[
        json!({"state": {"desired": {"a": 1}, "reported": {"a": 1}}}),
        json!({"state": {"reported": {"a": null}}}),
    ]);
    assert_eq!(
        delta_message(&shadow, None, NOW).map(|m| m["state"].clone()),
        Some(json!({"a": 1}))
    );
}
