//! Things: CreateThing, DescribeThing, UpdateThing, DeleteThing, ListThings.
//!
//! A thing with a type is indexed under `thing-type-things#{type}` (written with the thing, in
//! the same transaction, and the type touched so a racing DeprecateThingType or DeleteThingType
//! is noticed). Deleting a thing removes its type index and group memberships with it.

use super::error::ServiceError;
use super::repo::{self, Loaded};
use super::{contention, keys, new_id, RegistryService};
use serde::Deserialize;
use serde_json::{json, Value};
use thingcore::registry::attributes::{validate_attribute_name, validate_attribute_value};
use thingcore::registry::thing::{self, CreateThing, NewThing, ThingUpdate, TypeChange};
use thingcore::registry::thing_type;
use thingcore::registry::{
    AttributePayload, RegistryError, StoredThing, StoredThingType, ThingGroupName, ThingName,
    ThingTypeName,
};
use thingcore::store::{Expect, Key};

/// CreateThing's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateThingRequest {
    /// `thingTypeName`.
    pub thing_type_name: Option<String>,
    /// `attributePayload`.
    pub attribute_payload: Option<AttributePayload>,
    /// `billingGroupName`: billing groups are not kept, so any name is not found.
    pub billing_group_name: Option<String>,
}

/// UpdateThing's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateThingRequest {
    /// `thingTypeName`.
    pub thing_type_name: Option<String>,
    /// `attributePayload`.
    pub attribute_payload: Option<AttributePayload>,
    /// `expectedVersion`.
    pub expected_version: Option<u64>,
    /// `removeThingType`.
    pub remove_thing_type: Option<bool>,
}

/// ListThings' query parameters.
#[derive(Debug, Default, Clone)]
pub struct ListThingsQuery {
    /// `maxResults`, already checked.
    pub max_results: usize,
    /// `nextToken`.
    pub next_token: Option<String>,
    /// `attributeName`.
    pub attribute_name: Option<String>,
    /// `attributeValue`.
    pub attribute_value: Option<String>,
    /// `thingTypeName`.
    pub thing_type_name: Option<String>,
    /// `usePrefixAttributeValue`.
    pub use_prefix_attribute_value: bool,
}

pub(crate) fn thing_not_found(name: &str) -> RegistryError {
    RegistryError::not_found(format!("Thing {name} does not exist"))
}

pub(crate) fn thing_type_not_found(name: &str) -> RegistryError {
    RegistryError::not_found(format!("Thing type {name} does not exist"))
}

impl RegistryService {
    pub(crate) fn thing_summary(&self, thing: &StoredThing) -> Value {
        let mut out = json!({
            "thingName": thing.thing_name,
            "thingArn": self.config.thing_arn(thing.thing_name.as_str()),
            "attributes": thing.attributes,
            "version": thing.version,
        });
        if let Some(type_name) = &thing.thing_type_name {
            out["thingTypeName"] = json!(type_name);
        }
        out
    }

    async fn assignable_type(
        &self,
        name: &ThingTypeName,
    ) -> Result<Loaded<StoredThingType>, ServiceError> {
        let found: Loaded<StoredThingType> = self
            .require(keys::thing_type(name.as_str()), || {
                thing_type_not_found(name.as_str())
            })
            .await?;
        thing_type::check_assignable(&found.value)?;
        Ok(found)
    }

    /// CreateThing.
    ///
    /// # Errors
    /// `InvalidRequestException` for bad input or a deprecated type,
    /// `ResourceNotFoundException` for an unknown type or billing group,
    /// `ResourceAlreadyExistsException` for a different thing of that name.
    pub async fn create_thing(
        &self,
        name: &str,
        request: CreateThingRequest,
    ) -> Result<Value, ServiceError> {
        let name = ThingName::parse(name)?;
        let type_name = request
            .thing_type_name
            .as_deref()
            .map(ThingTypeName::parse)
            .transpose()?;
        if let Some(billing) = &request.billing_group_name {
            let billing = ThingGroupName::parse_field(billing, "billingGroupName")?;
            return Err(RegistryError::not_found(format!(
                "Billing group {billing} does not exist"
            ))
            .into());
        }
        let new = NewThing::new(
            name.clone(),
            type_name.clone(),
            request.attribute_payload.as_ref(),
        )?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let existing: Option<Loaded<StoredThing>> =
                self.load(keys::thing(name.as_str())).await?;
            let decision = thing::decide_create(
                existing.as_ref().map(|l| &l.value),
                new.clone(),
                new_id(),
                &self.config,
            )?;
            let created = match decision {
                CreateThing::Existing(thing) => return Ok(self.create_output(&thing)),
                CreateThing::Create(thing) => thing,
            };
            let mut ops = vec![repo::put(
                keys::thing(name.as_str()),
                &created,
                Expect::Absent,
            )?];
            if let Some(type_name) = &type_name {
                let found = self.assignable_type(type_name).await?;
                ops.push(repo::touch(&found));
                ops.push(repo::link(
                    Key::new(keys::type_things(type_name.as_str()), name.as_str()),
                    None,
                ));
            }
            if self.commit(ops).await? {
                return Ok(self.create_output(&created));
            }
        }
        Err(contention(format!("thing {name}")))
    }

    fn create_output(&self, thing: &StoredThing) -> Value {
        json!({
            "thingName": thing.thing_name,
            "thingArn": self.config.thing_arn(thing.thing_name.as_str()),
            "thingId": thing.thing_id,
        })
    }

    /// DescribeThing.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad name, `ResourceNotFoundException`.
    pub async fn describe_thing(&self, name: &str) -> Result<Value, ServiceError> {
        let name = ThingName::parse(name)?;
        let thing: Loaded<StoredThing> = self
            .require(keys::thing(name.as_str()), || {
                thing_not_found(name.as_str())
            })
            .await?;
        let thing = thing.value;
        let mut out = json!({
            "defaultClientId": thing.thing_name,
            "thingName": thing.thing_name,
            "thingId": thing.thing_id,
            "thingArn": self.config.thing_arn(thing.thing_name.as_str()),
            "attributes": thing.attributes,
            "version": thing.version,
        });
        if let Some(type_name) = &thing.thing_type_name {
            out["thingTypeName"] = json!(type_name);
        }
        Ok(out)
    }

    /// UpdateThing.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException` (thing or type),
    /// `VersionConflictException` for a stale `expectedVersion`.
    pub async fn update_thing(
        &self,
        name: &str,
        request: UpdateThingRequest,
    ) -> Result<Value, ServiceError> {
        let name = ThingName::parse(name)?;
        let type_name = request
            .thing_type_name
            .as_deref()
            .map(ThingTypeName::parse)
            .transpose()?;
        let update = ThingUpdate {
            type_change: TypeChange::from_request(
                type_name,
                request.remove_thing_type.unwrap_or(false),
            )?,
            attributes: request.attribute_payload,
            expected_version: request.expected_version,
        };
        for _ in 0..repo::MAX_ATTEMPTS {
            let current: Loaded<StoredThing> = self
                .require(keys::thing(name.as_str()), || {
                    thing_not_found(name.as_str())
                })
                .await?;
            let next = thing::apply_update(&current.value, &update)?;
            let mut ops = vec![repo::replace(&current, &next)?];
            let old_type = current.value.thing_type_name.as_ref();
            let new_type = next.thing_type_name.as_ref();
            if old_type != new_type {
                if let Some(old) = old_type {
                    ops.push(repo::unlink(Key::new(
                        keys::type_things(old.as_str()),
                        name.as_str(),
                    )));
                }
                if let Some(new) = new_type {
                    let found = self.assignable_type(new).await?;
                    ops.push(repo::touch(&found));
                    ops.push(repo::link(
                        Key::new(keys::type_things(new.as_str()), name.as_str()),
                        None,
                    ));
                }
            }
            if self.commit(ops).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("thing {name}")))
    }

    /// DeleteThing: succeeds for a thing that does not exist, as on AWS.
    ///
    /// # Errors
    /// `VersionConflictException` for a stale `expectedVersion`, `InvalidRequestException`
    /// while principals are attached.
    pub async fn delete_thing(
        &self,
        name: &str,
        expected_version: Option<u64>,
    ) -> Result<Value, ServiceError> {
        let name = ThingName::parse(name)?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let Some(current) = self.load::<StoredThing>(keys::thing(name.as_str())).await? else {
                return Ok(json!({}));
            };
            let has_principals = !self
                .is_empty(&keys::thing_principals(name.as_str()))
                .await?;
            thing::check_delete(&current.value, expected_version, has_principals)?;
            let mut ops = vec![repo::delete(&current)];
            if let Some(type_name) = &current.value.thing_type_name {
                ops.push(repo::unlink(Key::new(
                    keys::type_things(type_name.as_str()),
                    name.as_str(),
                )));
            }
            for group in self
                .gather_keys(&keys::thing_groups(name.as_str()), repo::MAX_GATHERED)
                .await?
            {
                ops.push(repo::unlink(Key::new(
                    keys::group_things(&group),
                    name.as_str(),
                )));
                ops.push(repo::unlink(Key::new(
                    keys::thing_groups(name.as_str()),
                    group,
                )));
            }
            if self.commit(ops).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("thing {name}")))
    }

    /// ListThings, optionally filtered by type and by an attribute (equal to a value, or
    /// starting with it when `usePrefixAttributeValue` is set).
    ///
    /// # Errors
    /// `InvalidRequestException` for bad filters or a bad `nextToken`.
    pub async fn list_things(&self, query: ListThingsQuery) -> Result<Value, ServiceError> {
        if let Some(name) = &query.attribute_name {
            validate_attribute_name("attributeName", name)?;
        }
        if let Some(value) = &query.attribute_value {
            validate_attribute_value("attributeValue", value)?;
            if query.attribute_name.is_none() {
                return Err(RegistryError::invalid("attributeValue requires attributeName").into());
            }
        }
        let type_name = query
            .thing_type_name
            .as_deref()
            .map(ThingTypeName::parse)
            .transpose()?;
        let matches = |thing: &StoredThing| -> bool {
            if type_name.is_some() && thing.thing_type_name != type_name {
                return false;
            }
            let Some(attribute) = &query.attribute_name else {
                return true;
            };
            match (thing.attributes.get(attribute), &query.attribute_value) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(have), Some(want)) if query.use_prefix_attribute_value => {
                    have.starts_with(want.as_str())
                }
                (Some(have), Some(want)) => have == want,
            }
        };
        let (things, next) = match &type_name {
            None => {
                self.filtered_page(
                    keys::THINGS,
                    "",
                    query.max_results,
                    query.next_token.as_deref(),
                    |item| {
                        let thing: StoredThing = repo::decode(item)?;
                        Ok(matches(&thing).then(|| self.thing_summary(&thing)))
                    },
                )
                .await?
            }
            Some(type_name) => self.things_of_type(type_name, &query, &matches).await?,
        };
        let mut out = json!({ "things": things });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }

    async fn things_of_type(
        &self,
        type_name: &ThingTypeName,
        query: &ListThingsQuery,
        matches: &(dyn Fn(&StoredThing) -> bool + Sync),
    ) -> Result<(Vec<Value>, Option<String>), ServiceError> {
        let index = keys::type_things(type_name.as_str());
        let mut out = Vec::new();
        let mut token = query.next_token.clone();
        loop {
            let page = self
                .page(&index, "", query.max_results, token.as_deref())
                .await?;
            let count = page.items.len();
            for (position, item) in page.items.iter().enumerate() {
                let Some(thing) = self.load::<StoredThing>(keys::thing(&item.key.sk)).await? else {
                    continue;
                };
                if !matches(&thing.value) {
                    continue;
                }
                out.push(self.thing_summary(&thing.value));
                if out.len() == query.max_results {
                    let more = position + 1 < count || page.next.is_some();
                    let next = more.then(|| {
                        thingcore::store::PageToken::after(&item.key.sk)
                            .as_str()
                            .to_string()
                    });
                    return Ok((out, next));
                }
            }
            match page.next {
                Some(next) => token = Some(next.as_str().to_string()),
                None => return Ok((out, None)),
            }
        }
    }
}
