//! The response state documents ("Device Shadow service documents" → "Response state
//! documents"), and the two operations that only answer: GET and DELETE.

use serde_json::{Map, Value};

use super::document::{metadata_for, StoredShadow};
use super::names::display_name;
use super::request::UpdateRequest;
use super::ShadowError;

fn insert_common(doc: &mut Map<String, Value>, now_secs: u64, client_token: Option<&str>) {
    doc.insert("timestamp".into(), Value::from(now_secs));
    if let Some(token) = client_token {
        doc.insert("clientToken".into(), Value::from(token));
    }
}

/// `/update/accepted`: the request's `state` as sent, metadata for exactly the fields it
/// wrote (a `null` gets a timestamp too), the new version, the timestamp and the client token.
pub fn update_accepted(request: &UpdateRequest, version: u64, now_secs: u64) -> Value {
    let mut doc = Map::new();
    doc.insert("state".into(), request.state.clone());
    doc.insert("metadata".into(), metadata_for(&request.state, now_secs));
    doc.insert("version".into(), Value::from(version));
    insert_common(&mut doc, now_secs, request.client_token.as_deref());
    Value::Object(doc)
}

/// `/update/documents`: `previous` (left out when the update created the shadow) and `current`,
/// each with `state`, `metadata` and `version`; the timestamp and the client token.
pub fn update_documents(
    previous: Option<&StoredShadow>,
    current: &StoredShadow,
    client_token: Option<&str>,
    now_secs: u64,
) -> Value {
    let mut doc = Map::new();
    if let Some(previous) = previous.filter(|p| p.is_live()) {
        doc.insert("previous".into(), previous.snapshot_json());
    }
    doc.insert("current".into(), current.snapshot_json());
    insert_common(&mut doc, now_secs, client_token);
    Value::Object(doc)
}

/// `/update/delta`, when the shadow's desired and reported states differ: the whole delta
/// (fields changed by this update or earlier ones alike), its metadata, the version, the
/// timestamp and the client token. `None` when there is no delta.
pub fn delta_message(
    shadow: &StoredShadow,
    client_token: Option<&str>,
    now_secs: u64,
) -> Option<Value> {
    let (delta, metadata) = shadow.delta_with_metadata()?;
    let mut doc = Map::new();
    doc.insert("state".into(), Value::Object(delta));
    doc.insert("metadata".into(), Value::Object(metadata));
    doc.insert("version".into(), Value::from(shadow.version));
    insert_common(&mut doc, now_secs, client_token);
    Some(Value::Object(doc))
}

/// `/get/accepted` (and the GetThingShadow body): `state` with `desired`, `reported` and
/// `delta` (each only when present), `metadata` likewise, the version, the timestamp and the
/// client token.
///
/// # Errors
/// 404 "No shadow exists with name: '…'" when the shadow was never created or was deleted.
pub fn get_response(
    current: Option<&StoredShadow>,
    thing_name: &str,
    shadow_name: Option<&str>,
    client_token: Option<&str>,
    now_secs: u64,
) -> Result<Value, ShadowError> {
    let shadow = live_or_not_found(current, thing_name, shadow_name, client_token)?;
    let mut state = shadow.state_json();
    let mut metadata = shadow.metadata_json();
    if let Some((delta, delta_meta)) = shadow.delta_with_metadata() {
        if let Value::Object(state) = &mut state {
            state.insert("delta".into(), Value::Object(delta));
        }
        if let Value::Object(metadata) = &mut metadata {
            metadata.insert("delta".into(), Value::Object(delta_meta));
        }
    }
    let mut doc = Map::new();
    doc.insert("state".into(), state);
    doc.insert("metadata".into(), metadata);
    doc.insert("version".into(), Value::from(shadow.version));
    insert_common(&mut doc, now_secs, client_token);
    Ok(Value::Object(doc))
}

/// Deletes a shadow: returns the tombstone to store and the `/delete/accepted` document
/// (`version`, `timestamp`, `clientToken`). The delete counts as a write, so the tombstone and
/// the accepted document carry the version after it; the next update continues from there.
///
/// # Errors
/// 404 when the shadow was never created or is already deleted; 500 if the version counter
/// would overflow.
pub fn apply_delete(
    current: Option<&StoredShadow>,
    thing_name: &str,
    shadow_name: Option<&str>,
    client_token: Option<&str>,
    now_secs: u64,
) -> Result<(StoredShadow, Value), ShadowError> {
    let shadow = live_or_not_found(current, thing_name, shadow_name, client_token)?;
    let version = shadow
        .version
        .checked_add(1)
        .ok_or_else(|| ShadowError::internal().with_client_token(client_token))?;
    let tombstone = StoredShadow {
        version,
        deleted: true,
        deleted_at: Some(now_secs),
        ..StoredShadow::default()
    };
    let mut doc = Map::new();
    doc.insert("version".into(), Value::from(version));
    insert_common(&mut doc, now_secs, client_token);
    Ok((tombstone, Value::Object(doc)))
}

fn live_or_not_found<'a>(
    current: Option<&'a StoredShadow>,
    thing_name: &str,
    shadow_name: Option<&str>,
    client_token: Option<&str>,
) -> Result<&'a StoredShadow, ShadowError> {
    current.filter(|s| s.is_live()).ok_or_else(|| {
        ShadowError::no_shadow(display_name(thing_name, shadow_name))
            .with_client_token(client_token)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::{apply_delete, get_response};
    use crate::shadow::{apply_update, ShadowLimits, UpdateOutcome};

    const T0: u64 = 1_000;
    const T1: u64 = 2_000;

    fn update(
        current: Option<&crate::shadow::StoredShadow>,
        request: Value,
        now: u64,
    ) -> UpdateOutcome {
        apply_update(
            current,
            request.to_string().as_bytes(),
            &ShadowLimits::default(),
            now,
        )
        .unwrap_or_else(|e| panic!("update rejected: {e}"))
    }

    #[test]
    fn documents_show_the_shadow_before_and_after() {
        let first = update(None, json!({"state": {"reported": {"a": 1}}}), T0);
        assert_eq!(
            first.documents,
            json!({"current": {"state": {"reported": {"a": 1}}, "metadata": {"reported":
                   {"a": {"timestamp": T0}}}, "version": 1}, "timestamp": T0})
        );
        let next = update(
            Some(&first.stored),
            json!({"state": {"desired": {"a": 2}}}),
            T1,
        );
        assert_eq!(next.documents["previous"], first.stored.snapshot_json());
        assert_eq!(
            next.documents["current"]["state"],
            json!({"desired": {"a": 2}, "reported": {"a": 1}})
        );
        assert_eq!(next.documents["current"]["version"], json!(2));
    }

    #[test]
    fn get_and_delete_of_a_missing_shadow_are_404_with_the_token() {
        for (shadow_name, shown) in [(None, "lamp"), (Some("Limits"), "Limits")] {
            let get = get_response(None, "lamp", shadow_name, Some("t"), T0).expect_err("absent");
            assert_eq!(
                get.to_json(T0),
                json!({"code": 404, "message": format!("No shadow exists with name: '{shown}'"),
                       "clientToken": "t"})
            );
            let delete = apply_delete(None, "lamp", shadow_name, None, T0).expect_err("absent");
            assert_eq!(
                (delete.code, delete.aws_error_type()),
                (404, "ResourceNotFoundException")
            );
        }
    }
}
