//! Static thing groups: CreateThingGroup, DescribeThingGroup, UpdateThingGroup,
//! DeleteThingGroup, ListThingGroups (membership is in [`super::membership`]).
//!
//! Children are indexed under their parent (`thing-group-children#{parent}`); creating a child
//! touches the parent, so a racing delete of the parent notices and starts over. Deleting a
//! group first removes its memberships and policy attachments in bounded transactions (each
//! leaves a consistent registry), then the group itself on condition that nothing was added
//! meanwhile (adding a thing touches the group).

use super::error::ServiceError;
use super::repo::{self, Loaded};
use super::{contention, keys, new_id, RegistryService};
use serde::Deserialize;
use serde_json::{json, Value};
use thingcore::registry::group::{self, CreateThingGroup};
use thingcore::registry::{RegistryError, StoredThingGroup, ThingGroupName, ThingGroupProperties};
use thingcore::store::{Expect, Key};

/// Memberships or attachments removed per transaction while a group is deleted.
const CLEANUP_BATCH: usize = 45;

/// CreateThingGroup's body (`tags` are accepted and not kept).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateThingGroupRequest {
    /// `parentGroupName`.
    pub parent_group_name: Option<String>,
    /// `thingGroupProperties`.
    pub thing_group_properties: Option<ThingGroupProperties>,
    /// `tags`.
    pub tags: Option<Vec<Value>>,
}

/// UpdateThingGroup's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateThingGroupRequest {
    /// `thingGroupProperties` (required).
    pub thing_group_properties: Option<ThingGroupProperties>,
    /// `expectedVersion`.
    pub expected_version: Option<u64>,
}

/// ListThingGroups' query parameters.
#[derive(Debug, Default, Clone)]
pub struct ListThingGroupsQuery {
    /// `maxResults`, already checked.
    pub max_results: usize,
    /// `nextToken`.
    pub next_token: Option<String>,
    /// `parentGroup`.
    pub parent_group: Option<String>,
    /// `namePrefixFilter`.
    pub name_prefix_filter: Option<String>,
    /// `recursive`: with `parentGroup`, all descendants instead of the children.
    pub recursive: bool,
}

pub(crate) fn group_not_found(name: &str) -> RegistryError {
    RegistryError::not_found(format!("Thing group {name} does not exist"))
}

impl RegistryService {
    fn name_and_arn(&self, name: &str) -> Value {
        json!({ "groupName": name, "groupArn": self.config.thing_group_arn(name) })
    }

    pub(crate) fn names_and_arns(&self, names: &[String]) -> Vec<Value> {
        names.iter().map(|n| self.name_and_arn(n)).collect()
    }

    pub(crate) async fn require_group(
        &self,
        name: &ThingGroupName,
    ) -> Result<Loaded<StoredThingGroup>, ServiceError> {
        self.require(keys::thing_group(name.as_str()), || {
            group_not_found(name.as_str())
        })
        .await
    }

    /// The names of every group below `group`, breadth first, at most [`repo::MAX_GATHERED`].
    pub(crate) async fn descendants(&self, group: &str) -> Result<Vec<String>, ServiceError> {
        let mut found = Vec::new();
        let mut next = 0;
        let mut frontier = vec![group.to_string()];
        while let Some(parent) = frontier.get(next).cloned() {
            next += 1;
            for child in self
                .gather_keys(&keys::group_children(&parent), repo::MAX_GATHERED)
                .await?
            {
                if found.len() >= repo::MAX_GATHERED {
                    return Ok(found);
                }
                found.push(child.clone());
                frontier.push(child);
            }
        }
        Ok(found)
    }

    /// CreateThingGroup.
    ///
    /// # Errors
    /// `InvalidRequestException` for bad input, an unknown parent or a hierarchy too deep;
    /// `ResourceAlreadyExistsException` for a different group of that name.
    pub async fn create_thing_group(
        &self,
        name: &str,
        request: CreateThingGroupRequest,
    ) -> Result<Value, ServiceError> {
        let name = ThingGroupName::parse(name)?;
        let parent_name = request
            .parent_group_name
            .as_deref()
            .map(|p| ThingGroupName::parse_field(p, "parentGroupName"))
            .transpose()?;
        let properties = request.thing_group_properties.unwrap_or_default();
        for _ in 0..repo::MAX_ATTEMPTS {
            let existing: Option<Loaded<StoredThingGroup>> =
                self.load(keys::thing_group(name.as_str())).await?;
            let parent = match &parent_name {
                None => None,
                Some(parent) => Some(
                    self.load::<StoredThingGroup>(keys::thing_group(parent.as_str()))
                        .await?
                        .ok_or_else(|| {
                            RegistryError::invalid(format!(
                                "Parent thing group {parent} does not exist"
                            ))
                        })?,
                ),
            };
            let decision = group::decide_create(
                existing.as_ref().map(|l| &l.value),
                name.clone(),
                parent.as_ref().map(|l| &l.value),
                &properties,
                new_id(),
                self.now_secs(),
                &self.config,
            )?;
            let created = match decision {
                CreateThingGroup::Existing(found) => found,
                CreateThingGroup::Create(created) => {
                    let mut ops = vec![repo::put(
                        keys::thing_group(name.as_str()),
                        &created,
                        Expect::Absent,
                    )?];
                    if let Some(parent) = &parent {
                        ops.push(repo::touch(parent));
                        ops.push(repo::link(
                            Key::new(
                                keys::group_children(parent.value.thing_group_name.as_str()),
                                name.as_str(),
                            ),
                            None,
                        ));
                    }
                    if !self.commit(ops).await? {
                        continue;
                    }
                    created
                }
            };
            return Ok(json!({
                "thingGroupName": created.thing_group_name,
                "thingGroupArn": self.config.thing_group_arn(name.as_str()),
                "thingGroupId": created.thing_group_id,
            }));
        }
        Err(contention(format!("thing group {name}")))
    }

    /// DescribeThingGroup.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad name, `ResourceNotFoundException`.
    pub async fn describe_thing_group(&self, name: &str) -> Result<Value, ServiceError> {
        let name = ThingGroupName::parse(name)?;
        let found = self.require_group(&name).await?.value;
        let mut properties = json!({ "attributePayload": { "attributes": found.attributes } });
        if let Some(description) = &found.thing_group_description {
            properties["thingGroupDescription"] = json!(description);
        }
        let mut metadata = json!({ "creationDate": found.creation_date });
        if let Some(parent) = &found.parent_group_name {
            metadata["parentGroupName"] = json!(parent);
            let chain: Vec<String> = found
                .root_to_parent
                .iter()
                .map(|g| g.as_str().to_string())
                .collect();
            metadata["rootToParentThingGroups"] = json!(self.names_and_arns(&chain));
        }
        Ok(json!({
            "thingGroupName": found.thing_group_name,
            "thingGroupId": found.thing_group_id,
            "thingGroupArn": self.config.thing_group_arn(name.as_str()),
            "version": found.version,
            "thingGroupProperties": properties,
            "thingGroupMetadata": metadata,
        }))
    }

    /// UpdateThingGroup.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`, `VersionConflictException`.
    pub async fn update_thing_group(
        &self,
        name: &str,
        request: UpdateThingGroupRequest,
    ) -> Result<Value, ServiceError> {
        let name = ThingGroupName::parse(name)?;
        let properties = request
            .thing_group_properties
            .ok_or_else(|| RegistryError::invalid("thingGroupProperties is required"))?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let current = self.require_group(&name).await?;
            let next = group::apply_update(&current.value, &properties, request.expected_version)?;
            if self.commit(vec![repo::replace(&current, &next)?]).await? {
                return Ok(json!({ "version": next.version }));
            }
        }
        Err(contention(format!("thing group {name}")))
    }

    /// DeleteThingGroup: succeeds for a group that does not exist, as on AWS; takes its things
    /// out of it and detaches its policies.
    ///
    /// # Errors
    /// `InvalidRequestException` while it has child groups, `VersionConflictException`.
    pub async fn delete_thing_group(
        &self,
        name: &str,
        expected_version: Option<u64>,
    ) -> Result<Value, ServiceError> {
        let name = ThingGroupName::parse(name)?;
        let arn = self.config.thing_group_arn(name.as_str());
        for _ in 0..repo::MAX_ATTEMPTS {
            let Some(current) = self
                .load::<StoredThingGroup>(keys::thing_group(name.as_str()))
                .await?
            else {
                return Ok(json!({}));
            };
            let has_children = !self.is_empty(&keys::group_children(name.as_str())).await?;
            group::check_delete(&current.value, expected_version, has_children)?;
            self.remove_relations(&keys::group_things(name.as_str()), |thing| {
                vec![Key::new(keys::thing_groups(thing), name.as_str())]
            })
            .await?;
            self.remove_relations(&keys::target_policies(&arn), |policy| {
                vec![Key::new(keys::policy_targets(policy), arn.as_str())]
            })
            .await?;
            let mut ops = vec![repo::delete(&current)];
            if let Some(parent) = &current.value.parent_group_name {
                ops.push(repo::unlink(Key::new(
                    keys::group_children(parent.as_str()),
                    name.as_str(),
                )));
            }
            if self.commit(ops).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("thing group {name}")))
    }

    /// Empties partition `pk`, removing with each item the other sides `others` names.
    async fn remove_relations(
        &self,
        pk: &str,
        others: impl Fn(&str) -> Vec<Key>,
    ) -> Result<(), ServiceError> {
        loop {
            let page = self.page(pk, "", CLEANUP_BATCH, None).await?;
            if page.items.is_empty() {
                return Ok(());
            }
            let mut ops = Vec::new();
            for item in page.items {
                ops.extend(others(&item.key.sk).into_iter().map(repo::unlink));
                ops.push(repo::unlink(item.key));
            }
            self.commit(ops).await?;
        }
    }

    /// ListThingGroups: all groups (optionally by name prefix), or the children of
    /// `parentGroup` (all its descendants when `recursive`).
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException` for an unknown parent.
    pub async fn list_thing_groups(
        &self,
        query: ListThingGroupsQuery,
    ) -> Result<Value, ServiceError> {
        let prefix = query
            .name_prefix_filter
            .as_deref()
            .map(|p| ThingGroupName::parse_field(p, "namePrefixFilter"))
            .transpose()?;
        let prefix = prefix.as_ref().map_or("", |p| p.as_str());
        let token = query.next_token.as_deref();
        let (names, next) = match &query.parent_group {
            None => {
                self.key_page(keys::THING_GROUPS, prefix, query.max_results, token)
                    .await?
            }
            Some(parent) => {
                let parent = ThingGroupName::parse_field(parent, "parentGroup")?;
                self.require_group(&parent).await?;
                if query.recursive {
                    let all = self.descendants(parent.as_str()).await?;
                    let filtered = all.into_iter().filter(|n| n.starts_with(prefix)).collect();
                    repo::page_of(filtered, query.max_results, token)?
                } else {
                    self.key_page(
                        &keys::group_children(parent.as_str()),
                        prefix,
                        query.max_results,
                        token,
                    )
                    .await?
                }
            }
        };
        let mut out = json!({ "thingGroups": self.names_and_arns(&names) });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }
}
