//! Things in static thing groups: AddThingToThingGroup, RemoveThingFromThingGroup,
//! ListThingsInThingGroup, ListThingGroupsForThing.
//!
//! Memberships are kept both ways (`thing-group-things#{group}`, `thing-thing-groups#{thing}`)
//! and written in one transaction that touches the thing and the group, so a racing delete of
//! either notices and starts over.

use super::error::ServiceError;
use super::repo::{self, Loaded};
use super::things::thing_not_found;
use super::{contention, keys, RegistryService};
use serde::Deserialize;
use serde_json::{json, Value};
use thingcore::registry::group::{self, AddThing};
use thingcore::registry::{
    RegistryError, ResourceArn, StoredThing, StoredThingGroup, ThingGroupName, ThingName,
};
use thingcore::store::Key;

/// The body of AddThingToThingGroup and RemoveThingFromThingGroup: each side by name or ARN.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipRequest {
    /// `thingGroupName`.
    pub thing_group_name: Option<String>,
    /// `thingGroupArn`.
    pub thing_group_arn: Option<String>,
    /// `thingName`.
    pub thing_name: Option<String>,
    /// `thingArn`.
    pub thing_arn: Option<String>,
    /// `overrideDynamicGroups` (there are no dynamic groups here).
    pub override_dynamic_groups: Option<bool>,
}

impl RegistryService {
    fn resolve_pair(
        &self,
        name: Option<&str>,
        arn: Option<&str>,
        what: &str,
    ) -> Result<String, ServiceError> {
        let from_arn = match arn {
            None => None,
            Some(arn) => match (self.config.parse_arn(&format!("{what}Arn"), arn)?, what) {
                (ResourceArn::ThingGroup(g), "thingGroup") => Some(g.as_str().to_string()),
                (ResourceArn::Thing(t), "thing") => Some(t.as_str().to_string()),
                _ => {
                    return Err(RegistryError::invalid(format!(
                        "{what}Arn {arn} does not name a {what}"
                    ))
                    .into())
                }
            },
        };
        match (name, from_arn) {
            (Some(name), Some(from_arn)) if name != from_arn => Err(RegistryError::invalid(
                format!("{what}Name and {what}Arn name different resources"),
            )
            .into()),
            (Some(name), _) => Ok(name.to_string()),
            (None, Some(from_arn)) => Ok(from_arn),
            (None, None) => {
                Err(RegistryError::invalid(format!("{what}Name or {what}Arn is required")).into())
            }
        }
    }

    /// The group and thing a membership request names (by names or ARNs), validated.
    ///
    /// # Errors
    /// `InvalidRequestException` for missing, malformed or disagreeing names and ARNs.
    pub fn resolve_membership(
        &self,
        request: &MembershipRequest,
    ) -> Result<(ThingGroupName, ThingName), ServiceError> {
        let group = self.resolve_pair(
            request.thing_group_name.as_deref(),
            request.thing_group_arn.as_deref(),
            "thingGroup",
        )?;
        let thing = self.resolve_pair(
            request.thing_name.as_deref(),
            request.thing_arn.as_deref(),
            "thing",
        )?;
        Ok((ThingGroupName::parse(&group)?, ThingName::parse(&thing)?))
    }

    /// AddThingToThingGroup (by names or ARNs).
    ///
    /// # Errors
    /// `InvalidRequestException` (bad input, too many groups, same hierarchy),
    /// `ResourceNotFoundException` for an unknown thing or group.
    pub async fn add_thing_to_thing_group(
        &self,
        request: MembershipRequest,
    ) -> Result<Value, ServiceError> {
        let (group_name, thing_name) = self.resolve_membership(&request)?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let thing: Loaded<StoredThing> = self
                .require(keys::thing(thing_name.as_str()), || {
                    thing_not_found(thing_name.as_str())
                })
                .await?;
            let target = self.require_group(&group_name).await?;
            let mut current = Vec::new();
            for name in self
                .gather_keys(&keys::thing_groups(thing_name.as_str()), repo::MAX_GATHERED)
                .await?
            {
                if let Some(found) = self
                    .load::<StoredThingGroup>(keys::thing_group(&name))
                    .await?
                {
                    current.push(found.value);
                }
            }
            match group::decide_add_thing(thing_name.as_str(), &current, &target.value)? {
                AddThing::AlreadyMember => return Ok(json!({})),
                AddThing::Add => {}
            }
            let ops = vec![
                repo::touch(&thing),
                repo::touch(&target),
                repo::link(
                    Key::new(keys::group_things(group_name.as_str()), thing_name.as_str()),
                    None,
                ),
                repo::link(
                    Key::new(keys::thing_groups(thing_name.as_str()), group_name.as_str()),
                    None,
                ),
            ];
            if self.commit(ops).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("thing {thing_name}")))
    }

    /// RemoveThingFromThingGroup (by names or ARNs); removing a non-member changes nothing.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException` for an unknown thing or group.
    pub async fn remove_thing_from_thing_group(
        &self,
        request: MembershipRequest,
    ) -> Result<Value, ServiceError> {
        let (group_name, thing_name) = self.resolve_membership(&request)?;
        self.require::<StoredThing>(keys::thing(thing_name.as_str()), || {
            thing_not_found(thing_name.as_str())
        })
        .await?;
        self.require_group(&group_name).await?;
        self.commit(vec![
            repo::unlink(Key::new(
                keys::group_things(group_name.as_str()),
                thing_name.as_str(),
            )),
            repo::unlink(Key::new(
                keys::thing_groups(thing_name.as_str()),
                group_name.as_str(),
            )),
        ])
        .await?;
        Ok(json!({}))
    }

    /// ListThingsInThingGroup (with the things of all descendants when `recursive`).
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn list_things_in_thing_group(
        &self,
        name: &str,
        recursive: bool,
        max_results: usize,
        next_token: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let name = ThingGroupName::parse(name)?;
        self.require_group(&name).await?;
        let (things, next) = if recursive {
            let mut groups = vec![name.as_str().to_string()];
            groups.extend(self.descendants(name.as_str()).await?);
            let mut things = Vec::new();
            for group in groups {
                things.extend(
                    self.gather_keys(&keys::group_things(&group), repo::MAX_GATHERED)
                        .await?,
                );
            }
            repo::page_of(things, max_results, next_token)?
        } else {
            self.key_page(
                &keys::group_things(name.as_str()),
                "",
                max_results,
                next_token,
            )
            .await?
        };
        let mut out = json!({ "things": things });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }

    /// ListThingGroupsForThing.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException` for an unknown thing.
    pub async fn list_thing_groups_for_thing(
        &self,
        thing: &str,
        max_results: usize,
        next_token: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let thing = ThingName::parse(thing)?;
        self.require::<StoredThing>(keys::thing(thing.as_str()), || {
            thing_not_found(thing.as_str())
        })
        .await?;
        let (names, next) = self
            .key_page(
                &keys::thing_groups(thing.as_str()),
                "",
                max_results,
                next_token,
            )
            .await?;
        let mut out = json!({ "thingGroups": self.names_and_arns(&names) });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }
}
