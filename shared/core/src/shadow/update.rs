//! Applying an update ("Interacting with shadows" → "Updating a shadow"): the request's
//! fields are merged into the stored sections — objects recursively, `null` deleting a field,
//! anything else (arrays included) replacing the stored value — the metadata of every written
//! field gets the update's timestamp, and the version goes up by one.
//!
//! Corners (see the module tour in `mod.rs` for the sources): a section left empty is removed;
//! a nested object left empty by deletes stays as `{}`; a new object made only of `null`s
//! writes nothing; `{"state": null}` clears both sections but keeps the shadow.

use serde_json::{Map, Value};

use super::document::{metadata_for, JsonMap, StoredShadow};
use super::request::{SectionPatch, UpdateRequest};
use super::responses::{delta_message, update_accepted, update_documents};
use super::{ShadowError, ShadowLimits};

/// Everything an accepted update produces.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome {
    /// The shadow to store (a conditional write on the previous version keeps it atomic).
    pub stored: StoredShadow,
    /// The `/update/accepted` document (also the HTTP response body).
    pub accepted: Value,
    /// The `/update/documents` document.
    pub documents: Value,
    /// The `/update/delta` document, when desired and reported differ after the update.
    pub delta: Option<Value>,
}

/// Applies an update request to the current shadow (`None`: never created; a tombstone:
/// deleted).
///
/// # Errors
/// Every error of [`UpdateRequest::parse`]; 409 "Version conflict" when the request's `version`
/// is not the current one; 413 when the resulting state is over
/// [`ShadowLimits::max_state_bytes`]. Nothing is changed on error.
pub fn apply_update(
    current: Option<&StoredShadow>,
    request: &[u8],
    limits: &ShadowLimits,
    now_secs: u64,
) -> Result<UpdateOutcome, ShadowError> {
    let request = UpdateRequest::parse(request, limits)?;
    apply_update_request(current, &request, limits, now_secs)
}

/// [`apply_update`] for a request already decoded.
///
/// # Errors
/// 409 on a version mismatch, 413 when the resulting state is too large, 500 if the version
/// counter would overflow.
pub fn apply_update_request(
    current: Option<&StoredShadow>,
    request: &UpdateRequest,
    limits: &ShadowLimits,
    now_secs: u64,
) -> Result<UpdateOutcome, ShadowError> {
    let token = request.client_token.as_deref();
    let base_version = StoredShadow::current_version(current, limits, now_secs);
    if request.version.is_some_and(|v| v != base_version) {
        return Err(ShadowError::version_conflict().with_client_token(token));
    }
    let previous = current.filter(|s| s.is_live());
    let mut next = previous.cloned().unwrap_or_default();
    next.deleted = false;
    next.deleted_at = None;
    merge_section(
        &mut next.desired,
        &mut next.metadata.desired,
        &request.desired,
        now_secs,
    );
    merge_section(
        &mut next.reported,
        &mut next.metadata.reported,
        &request.reported,
        now_secs,
    );
    if next.state_bytes() > limits.max_state_bytes {
        return Err(ShadowError::payload_too_large().with_client_token(token));
    }
    next.version = base_version
        .checked_add(1)
        .ok_or_else(|| ShadowError::internal().with_client_token(token))?;

    let accepted = update_accepted(request, next.version, now_secs);
    let documents = update_documents(previous, &next, token, now_secs);
    let delta = delta_message(&next, token, now_secs);
    Ok(UpdateOutcome {
        stored: next,
        accepted,
        documents,
        delta,
    })
}

fn merge_section(
    state: &mut Option<JsonMap>,
    metadata: &mut Option<JsonMap>,
    patch: &SectionPatch,
    now_secs: u64,
) {
    match patch {
        SectionPatch::Absent => {}
        SectionPatch::Clear => {
            *state = None;
            *metadata = None;
        }
        SectionPatch::Merge(patch) => {
            let fields = state.get_or_insert_with(Map::new);
            let meta = metadata.get_or_insert_with(Map::new);
            merge_object(fields, meta, patch, now_secs);
            if fields.is_empty() {
                *state = None;
                *metadata = None;
            }
        }
    }
}

fn merge_object(state: &mut JsonMap, metadata: &mut JsonMap, patch: &JsonMap, now_secs: u64) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                state.remove(key);
                metadata.remove(key);
            }
            Value::Object(fields) => {
                if let Some(Value::Object(stored)) = state.get_mut(key) {
                    let meta = metadata
                        .entry(key.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if !meta.is_object() {
                        *meta = Value::Object(Map::new());
                    }
                    if let Value::Object(meta) = meta {
                        merge_object(stored, meta, fields, now_secs);
                    }
                } else if let Some(fresh) = without_nulls(fields) {
                    let fresh = Value::Object(fresh);
                    metadata.insert(key.clone(), metadata_for(&fresh, now_secs));
                    state.insert(key.clone(), fresh);
                } else {
                    state.remove(key);
                    metadata.remove(key);
                }
            }
            _ => {
                metadata.insert(key.clone(), metadata_for(value, now_secs));
                state.insert(key.clone(), value.clone());
            }
        }
    }
}

/// A new object to store, its `null` fields (which delete nothing) left out; `None` when it
/// held nulls and nothing else is left.
fn without_nulls(fields: &JsonMap) -> Option<JsonMap> {
    let mut kept = Map::new();
    let mut dropped = false;
    for (key, value) in fields {
        match value {
            Value::Null => dropped = true,
            Value::Object(inner) => match without_nulls(inner) {
                Some(inner) => {
                    kept.insert(key.clone(), Value::Object(inner));
                }
                None => dropped = true,
            },
            other => {
                kept.insert(key.clone(), other.clone());
            }
        }
    }
    (!(dropped && kept.is_empty())).then_some(kept)
}

#[cfg(test)]
mod tests;
