//! Thing types: CreateThingType, DescribeThingType, ListThingTypes, DeprecateThingType,
//! DeleteThingType. The five-minute wait between deprecation and deletion is
//! [`RegistryConfig::thing_type_delete_wait_secs`](thingcore::registry::RegistryConfig),
//! judged by the injected clock.

use super::error::ServiceError;
use super::repo::{self, Loaded};
use super::things::thing_type_not_found;
use super::{contention, keys, new_id, RegistryService};
use serde::Deserialize;
use serde_json::{json, Value};
use thingcore::registry::thing_type::{self, CreateThingType};
use thingcore::registry::{StoredThingType, ThingTypeName, ThingTypeProperties};
use thingcore::store::Expect;

/// CreateThingType's body (`tags` are accepted and not kept).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateThingTypeRequest {
    /// `thingTypeProperties`.
    pub thing_type_properties: Option<ThingTypeProperties>,
    /// `tags`.
    pub tags: Option<Vec<Value>>,
}

/// DeprecateThingType's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeprecateThingTypeRequest {
    /// `undoDeprecate`.
    pub undo_deprecate: Option<bool>,
}

impl RegistryService {
    fn thing_type_definition(&self, found: &StoredThingType) -> Value {
        let mut metadata = json!({
            "deprecated": found.deprecated,
            "creationDate": found.creation_date,
        });
        if let Some(date) = found.deprecation_date {
            metadata["deprecationDate"] = json!(date);
        }
        json!({
            "thingTypeName": found.thing_type_name,
            "thingTypeArn": self.config.thing_type_arn(found.thing_type_name.as_str()),
            "thingTypeProperties": found.thing_type_properties,
            "thingTypeMetadata": metadata,
        })
    }

    /// CreateThingType.
    ///
    /// # Errors
    /// `InvalidRequestException` for bad properties, `ResourceAlreadyExistsException` for a
    /// different type of that name.
    pub async fn create_thing_type(
        &self,
        name: &str,
        request: CreateThingTypeRequest,
    ) -> Result<Value, ServiceError> {
        let name = ThingTypeName::parse(name)?;
        let properties = request.thing_type_properties.unwrap_or_default();
        for _ in 0..repo::MAX_ATTEMPTS {
            let key = keys::thing_type(name.as_str());
            let existing: Option<Loaded<StoredThingType>> = self.load(key.clone()).await?;
            let decision = thing_type::decide_create(
                existing.as_ref().map(|l| &l.value),
                name.clone(),
                properties.clone(),
                new_id(),
                self.now_secs(),
                &self.config,
            )?;
            let found = match decision {
                CreateThingType::Existing(found) => found,
                CreateThingType::Create(found) => {
                    if !self
                        .commit(vec![repo::put(key, &found, Expect::Absent)?])
                        .await?
                    {
                        continue;
                    }
                    found
                }
            };
            return Ok(json!({
                "thingTypeName": found.thing_type_name,
                "thingTypeArn": self.config.thing_type_arn(found.thing_type_name.as_str()),
                "thingTypeId": found.thing_type_id,
            }));
        }
        Err(contention(format!("thing type {name}")))
    }

    async fn require_thing_type(
        &self,
        name: &str,
    ) -> Result<(ThingTypeName, Loaded<StoredThingType>), ServiceError> {
        let name = ThingTypeName::parse(name)?;
        let found = self
            .require(keys::thing_type(name.as_str()), || {
                thing_type_not_found(name.as_str())
            })
            .await?;
        Ok((name, found))
    }

    /// DescribeThingType.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad name, `ResourceNotFoundException`.
    pub async fn describe_thing_type(&self, name: &str) -> Result<Value, ServiceError> {
        let (_, found) = self.require_thing_type(name).await?;
        let mut out = self.thing_type_definition(&found.value);
        out["thingTypeId"] = json!(found.value.thing_type_id);
        Ok(out)
    }

    /// ListThingTypes, optionally only the type named `thing_type_name`.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad name or `nextToken`.
    pub async fn list_thing_types(
        &self,
        max_results: usize,
        next_token: Option<&str>,
        thing_type_name: Option<&str>,
    ) -> Result<Value, ServiceError> {
        if let Some(name) = thing_type_name {
            let name = ThingTypeName::parse(name)?;
            let found: Option<Loaded<StoredThingType>> =
                self.load(keys::thing_type(name.as_str())).await?;
            let types: Vec<Value> = found
                .iter()
                .map(|f| self.thing_type_definition(&f.value))
                .collect();
            return Ok(json!({ "thingTypes": types }));
        }
        let (types, next) = self
            .filtered_page(keys::THING_TYPES, "", max_results, next_token, |item| {
                let found: StoredThingType = repo::decode(item)?;
                Ok(Some(self.thing_type_definition(&found)))
            })
            .await?;
        let mut out = json!({ "thingTypes": types });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }

    /// DeprecateThingType (or undo it).
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad name, `ResourceNotFoundException`.
    pub async fn deprecate_thing_type(
        &self,
        name: &str,
        request: DeprecateThingTypeRequest,
    ) -> Result<Value, ServiceError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let (_, found) = self.require_thing_type(name).await?;
            let next = thing_type::deprecate(
                &found.value,
                request.undo_deprecate.unwrap_or(false),
                self.now_secs(),
            );
            if next == found.value || self.commit(vec![repo::replace(&found, &next)?]).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("thing type {name}")))
    }

    /// DeleteThingType.
    ///
    /// # Errors
    /// `ResourceNotFoundException`; `InvalidRequestException` when the type is not deprecated,
    /// was deprecated too recently, or still has things.
    pub async fn delete_thing_type(&self, name: &str) -> Result<Value, ServiceError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, found) = self.require_thing_type(name).await?;
            let has_things = !self.is_empty(&keys::type_things(name.as_str())).await?;
            thing_type::check_delete(
                &found.value,
                self.now_secs(),
                self.config.thing_type_delete_wait_secs,
                has_things,
            )?;
            if self.commit(vec![repo::delete(&found)]).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("thing type {name}")))
    }
}
