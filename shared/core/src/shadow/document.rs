//! The stored shadow: `desired` and `reported` state, the metadata that mirrors them with a
//! `{"timestamp": epochSeconds}` at every leaf, the version, and — after a delete — a
//! tombstone that keeps the version ("Deleting a shadow does not reset its version number to
//! 0", "Interacting with shadows"). This is what the Store keeps, serialized with serde.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::delta::{compute_delta, delta_metadata};
use super::ShadowLimits;

/// A JSON object, as serde_json holds it.
pub type JsonMap = Map<String, Value>;

/// Metadata timestamps mirroring the `desired` and `reported` sections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShadowMetadata {
    /// Mirrors `desired`: objects as objects, arrays element by element, and
    /// `{"timestamp": t}` in place of every other value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<JsonMap>,
    /// Mirrors `reported` the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<JsonMap>,
}

/// One shadow (classic or named) as the Store keeps it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredShadow {
    /// The desired state; `None` when the shadow has no desired section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<JsonMap>,
    /// The reported state; `None` when the shadow has no reported section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<JsonMap>,
    /// When each field was last written.
    #[serde(default)]
    pub metadata: ShadowMetadata,
    /// The document version: 1 after the first accepted update, one more per update and per
    /// delete.
    pub version: u64,
    /// True for a tombstone: the shadow was deleted and only its version is kept.
    #[serde(default)]
    pub deleted: bool,
    /// When the shadow was deleted (epoch seconds), for tombstones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<u64>,
}

impl StoredShadow {
    /// True unless this is a tombstone.
    pub fn is_live(&self) -> bool {
        !self.deleted
    }

    /// The version an update's `version` must match, and the one the next update increments:
    /// the live shadow's, a recent tombstone's, or 0 when there is no shadow or the tombstone
    /// is older than [`ShadowLimits::deleted_version_retention_secs`].
    pub fn current_version(
        shadow: Option<&StoredShadow>,
        limits: &ShadowLimits,
        now_secs: u64,
    ) -> u64 {
        match shadow {
            Some(s) if s.is_live() => s.version,
            Some(s) if s.expires_at(limits).is_none_or(|at| now_secs < at) => s.version,
            _ => 0,
        }
    }

    /// For a tombstone, when it may be forgotten (epoch seconds) — a Store can use it as the
    /// item's expiry. `None` for a live shadow.
    pub fn expires_at(&self, limits: &ShadowLimits) -> Option<u64> {
        if self.is_live() {
            return None;
        }
        let deleted_at = self.deleted_at.unwrap_or(0);
        Some(deleted_at.saturating_add(limits.deleted_version_retention_secs))
    }

    /// `{"desired": …, "reported": …}`, each only when present.
    pub fn state_json(&self) -> Value {
        sections_json(&self.desired, &self.reported)
    }

    /// `{"desired": …, "reported": …}` of the metadata, each only when present.
    pub fn metadata_json(&self) -> Value {
        sections_json(&self.metadata.desired, &self.metadata.reported)
    }

    /// The delta between desired and reported state, when there is one.
    pub fn delta(&self) -> Option<JsonMap> {
        compute_delta(self.desired.as_ref()?, self.reported.as_ref())
    }

    /// The delta and its metadata, when there is a delta.
    pub fn delta_with_metadata(&self) -> Option<(JsonMap, JsonMap)> {
        let delta = self.delta()?;
        let metadata = delta_metadata(&delta, self.metadata.desired.as_ref());
        Some((delta, metadata))
    }

    /// The size that counts toward [`ShadowLimits::max_state_bytes`]: compact JSON of
    /// `desired` plus compact JSON of `reported`.
    pub fn state_bytes(&self) -> usize {
        let size = |section: &Option<JsonMap>| {
            section.as_ref().map_or(0, |s| {
                serde_json::to_string(s).map_or(usize::MAX, |text| text.len())
            })
        };
        size(&self.desired).saturating_add(size(&self.reported))
    }

    /// `{"state", "metadata", "version"}`: how `/update/documents` shows the shadow.
    pub fn snapshot_json(&self) -> Value {
        let mut doc = JsonMap::new();
        doc.insert("state".into(), self.state_json());
        doc.insert("metadata".into(), self.metadata_json());
        doc.insert("version".into(), Value::from(self.version));
        Value::Object(doc)
    }
}

fn sections_json(desired: &Option<JsonMap>, reported: &Option<JsonMap>) -> Value {
    let mut doc = JsonMap::new();
    if let Some(desired) = desired {
        doc.insert("desired".into(), Value::Object(desired.clone()));
    }
    if let Some(reported) = reported {
        doc.insert("reported".into(), Value::Object(reported.clone()));
    }
    Value::Object(doc)
}

/// The metadata of a value written at `now_secs`: objects map field by field, arrays element
/// by element, and every other value (including `null`) becomes `{"timestamp": now_secs}`.
pub fn metadata_for(value: &Value, now_secs: u64) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), metadata_for(v, now_secs)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| metadata_for(v, now_secs)).collect())
        }
        _ => {
            let mut leaf = JsonMap::new();
            leaf.insert("timestamp".into(), Value::from(now_secs));
            Value::Object(leaf)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> JsonMap {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn metadata_has_a_timestamp_per_leaf_and_per_array_element() {
        assert_eq!(
            metadata_for(
                &json!({"color": {"r": 10}, "engine": "ON", "seq": ["RED", {"x": 1}], "e": {}}),
                9
            ),
            json!({"color": {"r": {"timestamp": 9}}, "engine": {"timestamp": 9},
                   "seq": [{"timestamp": 9}, {"x": {"timestamp": 9}}], "e": {}})
        );
        assert_eq!(metadata_for(&Value::Null, 9), json!({"timestamp": 9}));
    }

    #[test]
    fn the_stored_form_round_trips_through_serde() {
        let shadow = StoredShadow {
            desired: Some(map(json!({"color": "RED"}))),
            reported: None,
            metadata: ShadowMetadata {
                desired: Some(map(json!({"color": {"timestamp": 1}}))),
                reported: None,
            },
            version: 3,
            deleted: false,
            deleted_at: None,
        };
        let text = serde_json::to_string(&shadow).expect("serializes");
        assert_eq!(
            serde_json::from_str::<StoredShadow>(&text).expect("deserializes"),
            shadow
        );
        let tombstone: StoredShadow =
            serde_json::from_str(r#"{"version": 4, "deleted": true, "deleted_at": 100}"#)
                .expect("deserializes");
        assert!(!tombstone.is_live());
        assert_eq!(tombstone.state_json(), json!({}));
    }

    #[test]
    fn a_tombstone_keeps_its_version_for_48_hours() {
        let limits = ShadowLimits::default();
        let tombstone = StoredShadow {
            version: 4,
            deleted: true,
            deleted_at: Some(1_000),
            ..StoredShadow::default()
        };
        let expiry = 1_000 + 48 * 3600;
        assert_eq!(tombstone.expires_at(&limits), Some(expiry));
        assert_eq!(
            StoredShadow::current_version(Some(&tombstone), &limits, expiry - 1),
            4
        );
        assert_eq!(
            StoredShadow::current_version(Some(&tombstone), &limits, expiry),
            0
        );
        assert_eq!(StoredShadow::current_version(None, &limits, 5), 0);
    }

    #[test]
    fn state_size_counts_desired_and_reported_but_not_metadata() {
        let shadow = StoredShadow {
            desired: Some(map(json!({"a": 1}))),
            reported: Some(map(json!({"b": "xy"}))),
            metadata: ShadowMetadata {
                desired: Some(map(json!({"a": {"timestamp": 123456789}}))),
                reported: None,
            },
            ..StoredShadow::default()
        };
        assert_eq!(
            shadow.state_bytes(),
            r#"{"a":1}"#.len() + r#"{"b":"xy"}"#.len()
        );
    }
}
