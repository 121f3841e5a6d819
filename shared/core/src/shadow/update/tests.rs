//! Update scenarios: merge, metadata, versions, deltas, limits, and rejected requests leaving
//! the stored shadow as it was.

use serde_json::{json, Value};

use super::*;
use crate::shadow::{apply_delete, get_response};

const T0: u64 = 1_000;
const T1: u64 = 2_000;

fn limits() -> ShadowLimits {
    ShadowLimits::default()
}

fn update(current: Option<&StoredShadow>, request: Value, now: u64) -> UpdateOutcome {
    apply_update(current, request.to_string().as_bytes(), &limits(), now)
        .unwrap_or_else(|e| panic!("update rejected: {e}"))
}

fn rejected(current: Option<&StoredShadow>, request: &[u8]) -> ShadowError {
    match apply_update(current, request, &limits(), T1) {
        Ok(outcome) => panic!("accepted: {}", outcome.accepted),
        Err(error) => error,
    }
}

fn state(shadow: &StoredShadow) -> Value {
    shadow.state_json()
}

#[test]
fn versions_start_at_one_and_rise_by_one_per_update_even_without_changes() {
    let first = update(None, json!({"state": {"reported": {"a": 1}}}), T0);
    assert_eq!(first.stored.version, 1);
    let second = update(
        Some(&first.stored),
        json!({"state": {"reported": {"a": 1}}}),
        T1,
    );
    assert_eq!(second.stored.version, 2);
    let third = update(Some(&second.stored), json!({"state": {}}), T1);
    assert_eq!(third.stored.version, 3);
    assert_eq!(state(&third.stored), json!({"reported": {"a": 1}}));
    assert_eq!(third.accepted["version"], json!(3));
}

#[test]
fn null_deletes_a_field_and_its_metadata() {
    let first = update(
        None,
        json!({"state": {"desired": {"a": 1, "b": {"c": 2, "d": 3}}}}),
        T0,
    );
    let next = update(
        Some(&first.stored),
        json!({"state": {"desired": {"a": null, "b": {"c": null}, "missing": null}}}),
        T1,
    );
    assert_eq!(state(&next.stored), json!({"desired": {"b": {"d": 3}}}));
    assert_eq!(
        next.stored.metadata_json(),
        json!({"desired": {"b": {"d": {"timestamp": T0}}}})
    );
}

#[test]
fn nested_objects_merge_and_untouched_fields_keep_their_timestamps() {
    let first = update(
        None,
        json!({"state": {"reported": {"color": {"r": 255, "g": 255, "b": 0}}}}),
        T0,
    );
    let next = update(
        Some(&first.stored),
        json!({"state": {"reported": {"color": {"r": 10}, "engine": "ON"}}}),
        T1,
    );
    assert_eq!(
        state(&next.stored),
        json!({"reported": {"color": {"r": 10, "g": 255, "b": 0}, "engine": "ON"}})
    );
    assert_eq!(
        next.stored.metadata_json(),
        json!({"reported": {"color": {"r": {"timestamp": T1}, "g": {"timestamp": T0},
               "b": {"timestamp": T0}}, "engine": {"timestamp": T1}}})
    );
}

#[test]
fn arrays_are_replaced_whole_with_metadata_per_element() {
    let first = update(
        None,
        json!({"state": {"desired": {"colors": ["RED", "GREEN", "BLUE"]}}}),
        T0,
    );
    let next = update(
        Some(&first.stored),
        json!({"state": {"desired": {"colors": ["RED"]}}}),
        T1,
    );
    assert_eq!(state(&next.stored), json!({"desired": {"colors": ["RED"]}}));
    assert_eq!(
        next.stored.metadata_json(),
        json!({"desired": {"colors": [{"timestamp": T1}]}})
    );
}

#[test]
fn values_may_change_type_between_object_and_scalar() {
    let first = update(
        None,
        json!({"state": {"reported": {"a": {"x": 1}, "b": 2}}}),
        T0,
    );
    let next = update(
        Some(&first.stored),
        json!({"state": {"reported": {"a": 5, "b": {"y": null, "z": 1}}}}),
        T1,
    );
    assert_eq!(
        state(&next.stored),
        json!({"reported": {"a": 5, "b": {"z": 1}}})
    );
    assert_eq!(
        next.stored.metadata_json(),
        json!({"reported": {"a": {"timestamp": T1}, "b": {"z": {"timestamp": T1}}}})
    );
}

#[test]
fn empty_objects_sections_and_null_only_objects() {
    // A nested object emptied by deletes stays; an emptied section goes.
    let first = update(
        None,
        json!({"state": {"desired": {"a": {"x": 1}}, "reported": {"b": 1}}}),
        T0,
    );
    let next = update(
        Some(&first.stored),
        json!({"state": {"desired": {"a": {"x": null}}, "reported": {"b": null}}}),
        T1,
    );
    assert_eq!(state(&next.stored), json!({"desired": {"a": {}}}));
    assert_eq!(next.stored.metadata_json(), json!({"desired": {"a": {}}}));
    // An empty section in a request writes nothing; an empty nested object is stored.
    let empty = update(
        None,
        json!({"state": {"desired": {}, "reported": {"e": {}}}}),
        T0,
    );
    assert_eq!(state(&empty.stored), json!({"reported": {"e": {}}}));
    // A new object made only of nulls writes nothing.
    let nulls = update(
        None,
        json!({"state": {"reported": {"n": {"x": null, "y": {"z": null}}}}}),
        T0,
    );
    assert_eq!(state(&nulls.stored), json!({}));
    assert_eq!(nulls.stored.version, 1);
}

#[test]
fn a_null_section_or_state_clears_without_deleting_the_shadow() {
    let first = update(
        None,
        json!({"state": {"desired": {"a": 1}, "reported": {"a": 2}}}),
        T0,
    );
    let no_desired = update(Some(&first.stored), json!({"state": {"desired": null}}), T1);
    assert_eq!(state(&no_desired.stored), json!({"reported": {"a": 2}}));
    assert_eq!(
        no_desired.stored.metadata_json(),
        json!({"reported": {"a": {"timestamp": T0}}})
    );
    let cleared = update(Some(&no_desired.stored), json!({"state": null}), T1);
    assert_eq!(state(&cleared.stored), json!({}));
    assert_eq!(cleared.stored.version, 3);
    // The service answers a null state like this (observed reply, getmoto/moto#9237).
    assert_eq!(
        cleared.accepted,
        json!({"state": null, "metadata": {"timestamp": T1}, "version": 3, "timestamp": T1})
    );
    let got = get_response(Some(&cleared.stored), "lamp", None, None, T1).expect("still exists");
    assert_eq!(got["state"], json!({}));
}

#[test]
fn the_delta_is_published_whole_whenever_desired_and_reported_differ() {
    let first = update(None, json!({"state": {"desired": {"a": 1, "b": 2}}}), T0);
    assert_eq!(
        first.delta,
        Some(
            json!({"state": {"a": 1, "b": 2}, "metadata": {"a": {"timestamp": T0},
               "b": {"timestamp": T0}}, "version": 1, "timestamp": T0})
        )
    );
    // A report that fixes `a` still leaves `b` pending: the delta carries `b`, though this
    // update did not touch it.
    let partial = update(
        Some(&first.stored),
        json!({"state": {"reported": {"a": 1}}, "clientToken": "c1"}),
        T1,
    );
    assert_eq!(
        partial.delta,
        Some(
            json!({"state": {"b": 2}, "metadata": {"b": {"timestamp": T0}},
               "version": 2, "timestamp": T1, "clientToken": "c1"})
        )
    );
    let done = update(
        Some(&partial.stored),
        json!({"state": {"reported": {"b": 2.0, "extra": true}}}),
        T1,
    );
    assert_eq!(done.delta, None);
    let reported_only = update(None, json!({"state": {"reported": {"x": 1}}}), T0);
    assert_eq!(reported_only.delta, None);
}

#[test]
fn a_matching_version_is_accepted_and_a_stale_one_conflicts() {
    let first = update(None, json!({"state": {"desired": {"colors": ["RED"]}}}), T0);
    let error = rejected(
        Some(&first.stored),
        br#"{"state": {"desired": {"colors": ["BLUE"]}}, "version": 2, "clientToken": "x"}"#,
    );
    assert_eq!(
        (error.code, error.message.as_str()),
        (409, "Version conflict")
    );
    assert_eq!(error.client_token.as_deref(), Some("x"));
    let ok = update(
        Some(&first.stored),
        json!({"state": {"desired": {"colors": ["BLUE"]}}, "version": 1}),
        T1,
    );
    assert_eq!(ok.stored.version, 2);
    // A shadow that does not exist is at version 0.
    assert_eq!(rejected(None, br#"{"state": {}, "version": 1}"#).code, 409);
    assert_eq!(
        update(None, json!({"state": {}, "version": 0}), T0)
            .stored
            .version,
        1
    );
}

#[test]
fn a_deleted_shadow_keeps_counting_versions_for_48_hours() {
    let first = update(None, json!({"state": {"reported": {"a": 1}}}), T0);
    let second = update(
        Some(&first.stored),
        json!({"state": {"reported": {"a": 2}}}),
        T0,
    );
    let (tombstone, accepted) =
        apply_delete(Some(&second.stored), "lamp", None, Some("d"), T1).expect("deleted");
    assert_eq!(
        accepted,
        json!({"version": 3, "timestamp": T1, "clientToken": "d"})
    );
    assert_eq!(tombstone.state_json(), json!({}));
    let error = get_response(Some(&tombstone), "lamp", None, None, T1).expect_err("gone");
    assert_eq!(
        (error.code, error.message.as_str()),
        (404, "No shadow exists with name: 'lamp'")
    );
    let again = apply_delete(Some(&tombstone), "lamp", Some("Limits"), None, T1).expect_err("gone");
    assert_eq!(again.message, "No shadow exists with name: 'Limits'");

    let recreated = update(
        Some(&tombstone),
        json!({"state": {"reported": {"b": 1}}}),
        T1 + 10,
    );
    assert_eq!(recreated.stored.version, 4);
    assert_eq!(state(&recreated.stored), json!({"reported": {"b": 1}}));
    assert!(recreated.documents.get("previous").is_none());

    let later = T1 + 48 * 3600;
    assert_eq!(
        update(Some(&tombstone), json!({"state": {}}), later)
            .stored
            .version,
        1
    );
}

#[test]
fn the_state_limit_applies_to_the_merged_document() {
    let small = ShadowLimits {
        max_state_bytes: 30,
        ..ShadowLimits::default()
    };
    let first = apply_update(
        None,
        br#"{"state": {"reported": {"a": "0123456789"}}}"#,
        &small,
        T0,
    )
    .expect("fits");
    let error = apply_update(
        Some(&first.stored),
        br#"{"state": {"desired": {"b": "0123456789"}}, "clientToken": "big"}"#,
        &small,
        T1,
    )
    .expect_err("too big once merged");
    assert_eq!(
        (
            error.code,
            error.message.as_str(),
            error.client_token.as_deref()
        ),
        (
            413,
            "The payload exceeds the maximum size allowed",
            Some("big")
        )
    );
    // Deleting makes room again: the limit is on what is left.
    let shrink = apply_update(
        Some(&first.stored),
        br#"{"state": {"reported": {"a": null}, "desired": {"b": "0123456789"}}}"#,
        &small,
        T1,
    );
    assert!(shrink.is_ok());
}

#[test]
fn every_rejected_update_leaves_the_shadow_as_it_was() {
    let stored = update(None, json!({"state": {"desired": {"a": 1}}}), T0).stored;
    let before = stored.clone();
    let deep = json!({"state": {"desired": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}}})
        .to_string();
    let big = json!({"state": {"reported": {"x": "y".repeat(9000)}}}).to_string();
    let cases: Vec<(&[u8], u16)> = vec![
        (b"nope", 400),
        (b"[]", 400),
        (b"{}", 400),
        (br#"{"state": 1}"#, 400),
        (
            br#"{"state": {"desired": {"a": 2}}, "extra": 1, "version": 9}"#,
            409,
        ),
        (br#"{"state": {"delta": {"a": 2}}}"#, 400),
        (br#"{"state": {"desired": 2}}"#, 400),
        (deep.as_bytes(), 400),
        (big.as_bytes(), 413),
        (&[0xc3, 0x28], 415),
    ];
    for (payload, code) in cases {
        let error = rejected(Some(&stored), payload);
        assert_eq!(error.code, code, "{}", String::from_utf8_lossy(payload));
        assert_eq!(stored, before);
    }
    // And the next valid update builds on the untouched shadow.
    assert_eq!(
        update(Some(&stored), json!({"state": {}}), T1)
            .stored
            .version,
        2
    );
}

#[test]
fn client_tokens_are_echoed_by_every_update_document() {
    let first = update(
        None,
        json!({"state": {"desired": {"a": 1}}, "clientToken": "tok-1"}),
        T0,
    );
    assert_eq!(first.accepted["clientToken"], json!("tok-1"));
    assert_eq!(first.documents["clientToken"], json!("tok-1"));
    assert_eq!(
        first.delta.as_ref().map(|d| d["clientToken"].clone()),
        Some(json!("tok-1"))
    );
    let plain = update(Some(&first.stored), json!({"state": {}}), T1);
    assert!(plain.accepted.get("clientToken").is_none());
    let long = json!({"state": {}, "clientToken": "t".repeat(65)}).to_string();
    let error = rejected(Some(&first.stored), long.as_bytes());
    assert_eq!(
        (error.message.as_str(), error.client_token),
        ("Invalid clientToken", None)
    );
}

#[test]
fn numbers_survive_the_store_and_reporting_the_desired_value_leaves_no_delta() {
    // Found by fuzz/shadow_update: when numbers did not read back exactly from their own JSON
    // text, the shadow changed on each trip through the Store, and a device reporting the
    // very value it was asked for was still sent a delta.
    let desired =
        br#"{"state": {"desired": {"v": 7.780044206454998e-10, "big": 92230368372036854775807}}}"#;
    let first = apply_update(None, desired, &limits(), T0).expect("accepted");
    let text = serde_json::to_vec(&first.stored).expect("serializes");
    let kept: StoredShadow = serde_json::from_slice(&text).expect("reads back");
    assert_eq!(kept, first.stored);

    let reported =
        br#"{"state": {"reported": {"v": 7.780044206454998e-10, "big": 92230368372036854775807}}}"#;
    let next = apply_update(Some(&kept), reported, &limits(), T1).expect("accepted");
    assert_eq!(next.delta, None);
}
