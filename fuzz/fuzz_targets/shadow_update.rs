//! Shadow update documents. An input is one or more update request payloads separated by NUL
//! bytes. They are applied in order to a shadow that starts absent, with AWS's default limits,
//! each one second after the last; then the first is applied again to the result, the shadow
//! is read and deleted, and the first is applied once more to the tombstone. Nothing may panic,
//! and every accepted update leaves a shadow that:
//!
//! - is live, one version past the one the update was checked against, within the state size
//!   limit, with no empty section;
//! - has metadata that mirrors its state (objects key by key, arrays element by element, a
//!   `{"timestamp": t}` for every other value);
//! - serializes as the Store keeps it and reads back equal; its reply documents serialize
//!   and parse again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use thingcore::shadow::{apply_delete, apply_update, get_response, ShadowLimits, StoredShadow};

/// At most this many documents from one input.
const MAX_DOCUMENTS: usize = 6;

/// The clock at the first update (epoch seconds).
const START: u64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let limits = ShadowLimits::default();
    let documents: Vec<&[u8]> = data.split(|&b| b == 0).take(MAX_DOCUMENTS).collect();
    let mut now = START;
    let mut shadow: Option<StoredShadow> = None;
    for document in documents.iter().chain(documents.first()) {
        now += 1;
        update(&mut shadow, document, &limits, now);
    }
    now += 1;
    if let Ok(response) = get_response(shadow.as_ref(), "dev-1", None, Some("t"), now) {
        reparse(&response);
    }
    if let Ok((tombstone, accepted)) = apply_delete(shadow.as_ref(), "dev-1", None, None, now) {
        reparse(&accepted);
        shadow = Some(tombstone);
    }
    now += 1;
    if let Some(first) = documents.first() {
        update(&mut shadow, first, &limits, now);
    }
});

/// Applies `document` to `shadow`, checks the outcome and keeps it when accepted.
fn update(shadow: &mut Option<StoredShadow>, document: &[u8], limits: &ShadowLimits, now: u64) {
    let base = StoredShadow::current_version(shadow.as_ref(), limits, now);
    let Ok(outcome) = apply_update(shadow.as_ref(), document, limits, now) else {
        return;
    };
    let stored = outcome.stored;
    assert!(stored.is_live(), "an update left a tombstone");
    assert_eq!(stored.version, base + 1, "the version did not go up by one");
    assert!(
        stored.state_bytes() <= limits.max_state_bytes,
        "the state is over the limit: {} bytes",
        stored.state_bytes()
    );
    for (section, metadata) in [
        (&stored.desired, &stored.metadata.desired),
        (&stored.reported, &stored.metadata.reported),
    ] {
        match (section, metadata) {
            (None, None) => {}
            (Some(state), Some(meta)) => {
                assert!(!state.is_empty(), "an empty section was kept");
                assert!(
                    mirrors_object(state, meta),
                    "metadata does not mirror the state: {state:?} / {meta:?}"
                );
            }
            _ => panic!("section and metadata disagree: {section:?} / {metadata:?}"),
        }
    }
    let bytes = serde_json::to_vec(&stored).expect("a stored shadow serializes");
    let again: StoredShadow = serde_json::from_slice(&bytes).expect("a stored shadow reads back");
    assert_eq!(again, stored, "the stored shadow changed through serde");
    reparse(&outcome.accepted);
    reparse(&outcome.documents);
    if let Some(delta) = &outcome.delta {
        reparse(delta);
    }
    *shadow = Some(stored);
}

/// Whether `meta` mirrors the object `state` key by key.
fn mirrors_object(state: &Map<String, Value>, meta: &Map<String, Value>) -> bool {
    state.len() == meta.len()
        && state
            .iter()
            .all(|(key, value)| meta.get(key).is_some_and(|m| mirrors(value, m)))
}

/// Whether `meta` is the metadata of `state`.
fn mirrors(state: &Value, meta: &Value) -> bool {
    match (state, meta) {
        (Value::Object(s), Value::Object(m)) => mirrors_object(s, m),
        (Value::Array(s), Value::Array(m)) => {
            s.len() == m.len() && s.iter().zip(m).all(|(s, m)| mirrors(s, m))
        }
        (Value::Object(_) | Value::Array(_), _) => false,
        (_, Value::Object(m)) => m.len() == 1 && m.get("timestamp").is_some_and(Value::is_u64),
        _ => false,
    }
}

/// A reply document serializes, and the text parses to the same document.
fn reparse(document: &Value) {
    let text = serde_json::to_vec(document).expect("a reply document serializes");
    let again: Value = serde_json::from_slice(&text).expect("a reply document parses");
    assert_eq!(
        &again, document,
        "a reply document changed through its text"
    );
}
