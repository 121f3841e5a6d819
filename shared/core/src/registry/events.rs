//! The account's event configurations (UpdateEventConfigurations,
//! DescribeEventConfigurations): which kinds of registry and Jobs events AWS IoT publishes on
//! `$aws/events/...`. Every [`EventType`] is off until enabled; an update changes only the
//! types it names.

use super::error::{RegistryError, RegistryResult};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A kind of event (the model's `EventType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    /// Things created, updated, deleted.
    Thing,
    /// Thing groups created, updated, deleted.
    ThingGroup,
    /// Thing types created, updated, deleted.
    ThingType,
    /// Things added to or removed from groups.
    ThingGroupMembership,
    /// Groups added to or removed from parent groups.
    ThingGroupHierarchy,
    /// Things associated with or dissociated from types.
    ThingTypeAssociation,
    /// Jobs completed, canceled, deleted.
    Job,
    /// Job executions reaching a terminal status, or deleted.
    JobExecution,
    /// Policies.
    Policy,
    /// Certificates.
    Certificate,
    /// CA certificates.
    CaCertificate,
}

impl EventType {
    /// Every type, in the model's order.
    pub const ALL: [EventType; 11] = [
        EventType::Thing,
        EventType::ThingGroup,
        EventType::ThingType,
        EventType::ThingGroupMembership,
        EventType::ThingGroupHierarchy,
        EventType::ThingTypeAssociation,
        EventType::Job,
        EventType::JobExecution,
        EventType::Policy,
        EventType::Certificate,
        EventType::CaCertificate,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Thing => "THING",
            EventType::ThingGroup => "THING_GROUP",
            EventType::ThingType => "THING_TYPE",
            EventType::ThingGroupMembership => "THING_GROUP_MEMBERSHIP",
            EventType::ThingGroupHierarchy => "THING_GROUP_HIERARCHY",
            EventType::ThingTypeAssociation => "THING_TYPE_ASSOCIATION",
            EventType::Job => "JOB",
            EventType::JobExecution => "JOB_EXECUTION",
            EventType::Policy => "POLICY",
            EventType::Certificate => "CERTIFICATE",
            EventType::CaCertificate => "CA_CERTIFICATE",
        }
    }

    /// A type named on the wire.
    ///
    /// # Errors
    /// `InvalidRequestException` for a name that is not an event type.
    pub fn parse(text: &str) -> RegistryResult<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == text)
            .ok_or_else(|| {
                RegistryError::invalid(format!(
                    "{text:?} is not an event type; expected one of {}",
                    Self::ALL.map(EventType::as_str).join(", ")
                ))
            })
    }
}

/// One type's setting in UpdateEventConfigurations (the model's `Configuration`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Configuration {
    /// `Enabled`; a configuration without it leaves the type as it was.
    #[serde(rename = "Enabled")]
    pub enabled: Option<bool>,
}

/// The event configurations as stored (absent from the Store until first updated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventConfigurations {
    /// The types that are on (every other type is off).
    #[serde(default)]
    pub enabled: BTreeMap<EventType, bool>,
    /// `creationDate`: the first update (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<u64>,
    /// `lastModifiedDate`: the latest update (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<u64>,
}

impl EventConfigurations {
    /// Whether events of `kind` are published.
    pub fn is_enabled(&self, kind: EventType) -> bool {
        self.enabled.get(&kind).copied().unwrap_or(false)
    }

    /// The configurations after UpdateEventConfigurations' `eventConfigurations` at `now`:
    /// only the types named change. Nothing changes unless every name is an event type.
    ///
    /// # Errors
    /// `InvalidRequestException` for a name that is not an event type.
    pub fn update(
        &self,
        updates: &BTreeMap<String, Configuration>,
        now: u64,
    ) -> RegistryResult<Self> {
        let mut next = self.clone();
        for (name, configuration) in updates {
            let kind = EventType::parse(name)?;
            if let Some(enabled) = configuration.enabled {
                next.enabled.insert(kind, enabled);
            }
        }
        next.enabled.retain(|_, on| *on);
        next.creation_date = Some(self.creation_date.unwrap_or(now));
        next.last_modified_date = Some(now);
        Ok(next)
    }

    /// DescribeEventConfigurations' output: every type, with the dates once updated.
    pub fn to_description(&self) -> Value {
        let mut configurations = Map::new();
        for kind in EventType::ALL {
            configurations.insert(
                kind.as_str().to_string(),
                json!({ "Enabled": self.is_enabled(kind) }),
            );
        }
        let mut out = json!({ "eventConfigurations": configurations });
        if let Some(at) = self.creation_date {
            out["creationDate"] = json!(at);
        }
        if let Some(at) = self.last_modified_date {
            out["lastModifiedDate"] = json!(at);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn updates(pairs: &[(&str, Option<bool>)]) -> BTreeMap<String, Configuration> {
        pairs
            .iter()
            .map(|(name, enabled)| (name.to_string(), Configuration { enabled: *enabled }))
            .collect()
    }

    #[test]
    fn every_type_is_described_and_off_until_enabled() {
        let described = EventConfigurations::default().to_description();
        let map = described["eventConfigurations"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(map.len(), 11);
        assert!(map.values().all(|c| c == &json!({"Enabled": false})));
        assert!(described.get("creationDate").is_none());
    }

    #[test]
    fn an_update_changes_only_the_types_it_names() {
        let first = EventConfigurations::default()
            .update(
                &updates(&[("JOB", Some(true)), ("JOB_EXECUTION", Some(true))]),
                100,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(first.is_enabled(EventType::Job));
        assert!(first.is_enabled(EventType::JobExecution));
        assert!(!first.is_enabled(EventType::Thing));
        let second = first
            .update(&updates(&[("JOB", Some(false)), ("THING", None)]), 200)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!second.is_enabled(EventType::Job));
        assert!(second.is_enabled(EventType::JobExecution));
        assert!(!second.is_enabled(EventType::Thing));
        let described = second.to_description();
        assert_eq!(
            described["eventConfigurations"]["JOB"]["Enabled"],
            json!(false)
        );
        assert_eq!(
            described["eventConfigurations"]["JOB_EXECUTION"]["Enabled"],
            json!(true)
        );
        assert_eq!(described["creationDate"], json!(100));
        assert_eq!(described["lastModifiedDate"], json!(200));
    }

    #[test]
    fn an_unknown_type_is_refused_and_changes_nothing() {
        let error = EventConfigurations::default()
            .update(&updates(&[("JOB", Some(true)), ("JOBS", Some(true))]), 1)
            .err();
        assert!(matches!(error, Some(RegistryError::InvalidRequest(_))));
        assert!(EventType::parse("job").is_err());
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()).ok(), Some(kind));
            assert_eq!(serde_json::to_value(kind).ok(), Some(json!(kind.as_str())));
        }
    }

    #[test]
    fn the_record_round_trips() {
        let config = EventConfigurations::default()
            .update(&updates(&[("CA_CERTIFICATE", Some(true))]), 5)
            .unwrap_or_else(|e| panic!("{e}"));
        let text = serde_json::to_string(&config).unwrap_or_default();
        let back: EventConfigurations =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, config);
    }
}
