//! Static thing groups: the stored record and the hierarchy and membership rules.
//!
//! - A group has at most one parent, fixed at creation; a hierarchy is at most
//!   [`MAX_GROUP_DEPTH`] levels deep. Each group keeps the names from its root down to its
//!   parent, so ancestors and roots are known without walking the tree.
//! - CreateThingGroup is idempotent for an identical group (parent, description, attributes).
//! - A group with child groups cannot be deleted (`InvalidRequestException`, as AWS).
//! - A thing is in at most [`MAX_GROUPS_PER_THING`] groups, and in at most one group of each
//!   hierarchy (AWS: "you can't add a thing to more than one group in the same hierarchy").
//!   Adding a thing to a group it is already in changes nothing.

use super::attributes::{self, AttributePayload, Attributes};
use super::config::RegistryConfig;
use super::error::{RegistryError, RegistryResult};
use super::names::{validate_description, ThingGroupName};
use super::thing::check_expected_version;
use serde::{Deserialize, Serialize};

/// Deepest a group hierarchy goes (a root is level 1).
pub const MAX_GROUP_DEPTH: usize = 7;
/// Most static groups a thing belongs to.
pub const MAX_GROUPS_PER_THING: usize = 10;

/// The wire's `thingGroupProperties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThingGroupProperties {
    /// `thingGroupDescription`.
    #[serde(default)]
    pub thing_group_description: Option<String>,
    /// `attributePayload`.
    #[serde(default)]
    pub attribute_payload: Option<AttributePayload>,
}

/// A thing group as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredThingGroup {
    /// Its name.
    pub thing_group_name: ThingGroupName,
    /// Its id (a UUID).
    pub thing_group_id: String,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thing_group_description: Option<String>,
    /// Its attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// Its parent, if it is not a root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_group_name: Option<ThingGroupName>,
    /// Its ancestors, from the root down to the parent (empty for a root).
    #[serde(default)]
    pub root_to_parent: Vec<ThingGroupName>,
    /// Epoch seconds of its creation.
    pub creation_date: u64,
    /// 1 at creation, one more per accepted update.
    pub version: u64,
}

impl StoredThingGroup {
    /// The root of its hierarchy (itself for a root).
    pub fn root(&self) -> &ThingGroupName {
        self.root_to_parent
            .first()
            .unwrap_or(&self.thing_group_name)
    }

    /// Its level in the hierarchy: 1 for a root.
    pub fn depth(&self) -> usize {
        self.root_to_parent.len() + 1
    }
}

/// The outcome of CreateThingGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateThingGroup {
    /// Store this new group (and index it under its parent).
    Create(StoredThingGroup),
    /// An identical group exists: answer with it.
    Existing(StoredThingGroup),
}

fn validate_properties(properties: &ThingGroupProperties) -> RegistryResult<()> {
    if let Some(description) = &properties.thing_group_description {
        validate_description("thingGroupProperties.thingGroupDescription", description)?;
    }
    Ok(())
}

/// Decides CreateThingGroup given what is stored under the name and the parent group (already
/// looked up: `None` when no parent was asked for).
///
/// # Errors
/// `InvalidRequestException` for bad properties or a hierarchy deeper than
/// [`MAX_GROUP_DEPTH`]; `ResourceAlreadyExistsException` when a different group has the name.
pub fn decide_create(
    existing: Option<&StoredThingGroup>,
    name: ThingGroupName,
    parent: Option<&StoredThingGroup>,
    properties: &ThingGroupProperties,
    new_id: String,
    now_secs: u64,
    config: &RegistryConfig,
) -> RegistryResult<CreateThingGroup> {
    validate_properties(properties)?;
    let attributes = attributes::initial(properties.attribute_payload.as_ref())?;
    let parent_name = parent.map(|p| p.thing_group_name.clone());
    if let Some(found) = existing {
        if found.parent_group_name == parent_name
            && found.thing_group_description == properties.thing_group_description
            && found.attributes == attributes
        {
            return Ok(CreateThingGroup::Existing(found.clone()));
        }
        return Err(RegistryError::already_exists(
            format!("Thing Group {name} already exists with different properties"),
            found.thing_group_id.clone(),
            config.thing_group_arn(name.as_str()),
        ));
    }
    let root_to_parent = match parent {
        None => Vec::new(),
        Some(parent) => {
            if parent.depth() >= MAX_GROUP_DEPTH {
                return Err(RegistryError::invalid(format!(
                    "Thing group {} is at depth {}: a hierarchy is at most {MAX_GROUP_DEPTH} \
                     levels deep",
                    parent.thing_group_name,
                    parent.depth()
                )));
            }
            let mut chain = parent.root_to_parent.clone();
            chain.push(parent.thing_group_name.clone());
            chain
        }
    };
    Ok(CreateThingGroup::Create(StoredThingGroup {
        thing_group_name: name,
        thing_group_id: new_id,
        thing_group_description: properties.thing_group_description.clone(),
        attributes,
        parent_group_name: parent_name,
        root_to_parent,
        creation_date: now_secs,
        version: 1,
    }))
}

/// The group after an accepted UpdateThingGroup, one version further.
///
/// # Errors
/// `VersionConflictException` for a stale `expectedVersion`, `InvalidRequestException` for bad
/// properties.
pub fn apply_update(
    group: &StoredThingGroup,
    properties: &ThingGroupProperties,
    expected_version: Option<u64>,
) -> RegistryResult<StoredThingGroup> {
    check_expected_version(
        "thing group",
        group.thing_group_name.as_str(),
        expected_version,
        group.version,
    )?;
    validate_properties(properties)?;
    let mut next = group.clone();
    if let Some(description) = &properties.thing_group_description {
        next.thing_group_description = Some(description.clone()).filter(|d| !d.is_empty());
    }
    if let Some(payload) = &properties.attribute_payload {
        next.attributes = attributes::apply_payload(&group.attributes, payload)?;
    }
    next.version = group.version + 1;
    Ok(next)
}

/// Checks DeleteThingGroup.
///
/// # Errors
/// `VersionConflictException` for a stale `expectedVersion`; `InvalidRequestException` while the
/// group has child groups.
pub fn check_delete(
    group: &StoredThingGroup,
    expected_version: Option<u64>,
    has_children: bool,
) -> RegistryResult<()> {
    check_expected_version(
        "thing group",
        group.thing_group_name.as_str(),
        expected_version,
        group.version,
    )?;
    if has_children {
        return Err(RegistryError::invalid(format!(
            "Cannot delete thing group {}: it has child groups",
            group.thing_group_name
        )));
    }
    Ok(())
}

/// What AddThingToThingGroup does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddThing {
    /// Record the membership.
    Add,
    /// The thing is already in the group: nothing to do.
    AlreadyMember,
}

/// Decides AddThingToThingGroup for a thing whose current groups are `current`.
///
/// # Errors
/// `InvalidRequestException` when the thing is already in [`MAX_GROUPS_PER_THING`] groups or in
/// another group of the same hierarchy.
pub fn decide_add_thing(
    thing_name: &str,
    current: &[StoredThingGroup],
    group: &StoredThingGroup,
) -> RegistryResult<AddThing> {
    if current
        .iter()
        .any(|g| g.thing_group_name == group.thing_group_name)
    {
        return Ok(AddThing::AlreadyMember);
    }
    if current.len() >= MAX_GROUPS_PER_THING {
        return Err(RegistryError::invalid(format!(
            "Thing {thing_name} is already in {MAX_GROUPS_PER_THING} thing groups, the most a \
             thing can belong to"
        )));
    }
    if let Some(other) = current.iter().find(|g| g.root() == group.root()) {
        return Err(RegistryError::invalid(format!(
            "Thing {thing_name} cannot be added to thing group {}: it is already in thing group \
             {} of the same hierarchy",
            group.thing_group_name, other.thing_group_name
        )));
    }
    Ok(AddThing::Add)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> ThingGroupName {
        ThingGroupName::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn create(n: &str, parent: Option<&StoredThingGroup>) -> RegistryResult<StoredThingGroup> {
        let config = RegistryConfig::default();
        match decide_create(
            None,
            name(n),
            parent,
            &ThingGroupProperties::default(),
            format!("id-{n}"),
            10,
            &config,
        )? {
            CreateThingGroup::Create(group) => Ok(group),
            CreateThingGroup::Existing(group) => Ok(group),
        }
    }

    #[test]
    fn children_know_their_chain_and_depth_is_bounded() {
        let mut chain = vec![create("g1", None).unwrap_or_else(|e| panic!("{e}"))];
        for level in 2..=MAX_GROUP_DEPTH {
            let child =
                create(&format!("g{level}"), chain.last()).unwrap_or_else(|e| panic!("{e}"));
            chain.push(child);
        }
        let deepest = chain.last().unwrap_or_else(|| panic!("empty chain"));
        assert_eq!(deepest.depth(), MAX_GROUP_DEPTH);
        assert_eq!(deepest.root().as_str(), "g1");
        assert_eq!(deepest.parent_group_name, Some(name("g6")));
        assert!(matches!(
            create("too-deep", Some(deepest)),
            Err(RegistryError::InvalidRequest(_))
        ));
    }

    #[test]
    fn create_is_idempotent_only_when_identical() {
        let config = RegistryConfig::default();
        let root = create("root", None).unwrap_or_else(|e| panic!("{e}"));
        let child = create("child", Some(&root)).unwrap_or_else(|e| panic!("{e}"));
        let again = decide_create(
            Some(&child),
            name("child"),
            Some(&root),
            &ThingGroupProperties::default(),
            "x".into(),
            20,
            &config,
        );
        assert!(matches!(again, Ok(CreateThingGroup::Existing(_))));
        let elsewhere = decide_create(
            Some(&child),
            name("child"),
            None,
            &ThingGroupProperties::default(),
            "x".into(),
            20,
            &config,
        );
        assert!(matches!(
            elsewhere,
            Err(RegistryError::ResourceAlreadyExists { .. })
        ));
    }

    #[test]
    fn updates_and_deletes() {
        let group = create("g", None).unwrap_or_else(|e| panic!("{e}"));
        let properties = ThingGroupProperties {
            thing_group_description: Some("lights".into()),
            attribute_payload: None,
        };
        let next = apply_update(&group, &properties, Some(1)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (next.version, next.thing_group_description.as_deref()),
            (2, Some("lights"))
        );
        assert!(matches!(
            apply_update(&next, &properties, Some(1)),
            Err(RegistryError::VersionConflict(_))
        ));
        assert!(check_delete(&next, None, false).is_ok());
        assert!(matches!(
            check_delete(&next, None, true),
            Err(RegistryError::InvalidRequest(_))
        ));
    }

    #[test]
    fn membership_rules() {
        let a = create("a", None).unwrap_or_else(|e| panic!("{e}"));
        let a1 = create("a1", Some(&a)).unwrap_or_else(|e| panic!("{e}"));
        let b = create("b", None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decide_add_thing("t", &[], &a1).ok(), Some(AddThing::Add));
        assert_eq!(
            decide_add_thing("t", std::slice::from_ref(&a1), &a1).ok(),
            Some(AddThing::AlreadyMember)
        );
        assert!(decide_add_thing("t", std::slice::from_ref(&a1), &a).is_err());
        assert_eq!(decide_add_thing("t", &[a1], &b).ok(), Some(AddThing::Add));
        let many: Vec<_> = (0..MAX_GROUPS_PER_THING)
            .map(|i| create(&format!("r{i}"), None).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        assert!(decide_add_thing("t", &many, &b).is_err());
    }
}
