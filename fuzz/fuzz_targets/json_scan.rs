//! The SQL payload reader's JSON scanner, against serde_json as the oracle. For any bytes:
//!
//! - the scanner takes them as one JSON document exactly when
//!   `serde_json::from_slice::<serde_json::Value>` does;
//! - a statement that reads only some top-level keys sees the payload as one that reads all of
//!   it does: the same object with only those members (duplicates and order kept), or the same
//!   array or `Binary` when it is not a JSON object.

#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use thingcore::sql::fuzzing::{json_is_valid, payload, payload_keys};
use thingcore::sql::{Many, Value};

fuzz_target!(|data: &[u8]| {
    let serde = serde_json::from_slice::<serde_json::Value>(data);
    assert_eq!(
        json_is_valid(data),
        serde.is_ok(),
        "scanner and serde_json disagree (serde_json: {serde:?})"
    );

    let whole = payload(data);
    for keys in key_sets(&whole) {
        let lazy = payload_keys(data, &keys);
        assert_eq!(
            lazy,
            only(&whole, &keys),
            "reading only {keys:?} differs from reading everything"
        );
    }
});

/// Key sets a statement might read: the first key, every other key, all of them in reverse,
/// and one that is not there.
fn key_sets(whole: &Value<'_>) -> Vec<Vec<String>> {
    let present: Vec<String> = match whole {
        Value::Object(members) => members
            .as_slice()
            .iter()
            .map(|(k, _)| k.to_string())
            .collect(),
        _ => Vec::new(),
    };
    let mut sets = vec![vec!["\u{0}absent".to_owned()]];
    if let Some(first) = present.first() {
        sets.push(vec![first.clone()]);
        sets.push(present.iter().step_by(2).cloned().collect());
        sets.push(present.iter().rev().cloned().collect());
    }
    sets
}

/// What reading only `keys` must give: an object keeps the members under them, in order;
/// anything else is unchanged.
fn only<'a>(whole: &Value<'a>, keys: &[String]) -> Value<'a> {
    match whole {
        Value::Object(members) => Value::Object(Many::Owned(
            members
                .as_slice()
                .iter()
                .filter(|(k, _)| keys.iter().any(|wanted| wanted == k.as_ref()))
                .map(|(k, v)| (Cow::Owned(k.to_string()), v.clone()))
                .collect(),
        )),
        other => other.clone(),
    }
}
