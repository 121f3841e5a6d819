//! The event configurations: UpdateEventConfigurations and DescribeEventConfigurations, one
//! record (`keys::event_configurations`), and [`RegistryService::event_configurations`] for
//! the services that publish events by them (Jobs). What is decided (types, merging, the
//! output) is `thingcore::registry::events`'.

use crate::error::ServiceError;
use crate::repo::{self, Loaded};
use crate::{contention, keys, RegistryService};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use thingcore::registry::events::Configuration;
use thingcore::registry::EventConfigurations;
use thingcore::store::Expect;

/// UpdateEventConfigurations' body.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateEventConfigurationsRequest {
    /// `eventConfigurations`: event type name → `{"Enabled": bool}`.
    #[serde(default)]
    pub event_configurations: Option<BTreeMap<String, Configuration>>,
}

impl RegistryService {
    /// The event configurations (all off when never updated): one read.
    ///
    /// # Errors
    /// Store failures.
    pub async fn event_configurations(&self) -> Result<EventConfigurations, ServiceError> {
        Ok(self
            .load::<EventConfigurations>(keys::event_configurations())
            .await?
            .map(|found| found.value)
            .unwrap_or_default())
    }

    /// UpdateEventConfigurations: `{}`.
    ///
    /// # Errors
    /// `InvalidRequestException` for an unknown event type (nothing is changed then).
    pub async fn update_event_configurations(
        &self,
        request: UpdateEventConfigurationsRequest,
    ) -> Result<Value, ServiceError> {
        let updates = request.event_configurations.unwrap_or_default();
        let key = keys::event_configurations();
        for _ in 0..repo::MAX_ATTEMPTS {
            let found: Option<Loaded<EventConfigurations>> = self.load(key.clone()).await?;
            let current = found.as_ref().map(|f| f.value.clone()).unwrap_or_default();
            let next = current.update(&updates, self.now_secs())?;
            let op = match &found {
                Some(found) => repo::replace(found, &next)?,
                None => repo::put(key.clone(), &next, Expect::Absent)?,
            };
            if self.commit(vec![op]).await? {
                tracing::info!(enabled = ?next.enabled.keys().collect::<Vec<_>>(), "event configurations updated");
                return Ok(json!({}));
            }
        }
        Err(contention("the event configurations"))
    }

    /// DescribeEventConfigurations: every event type with `Enabled`, and `creationDate` and
    /// `lastModifiedDate` once updated.
    ///
    /// # Errors
    /// Store failures.
    pub async fn describe_event_configurations(&self) -> Result<Value, ServiceError> {
        Ok(self.event_configurations().await?.to_description())
    }
}
