//! Things: the stored record and what CreateThing, UpdateThing and DeleteThing decide.
//!
//! - CreateThing is idempotent: the same name with the same type and attributes returns the
//!   existing thing; anything else under that name is `ResourceAlreadyExistsException`.
//! - Every accepted UpdateThing bumps `version` by one; `expectedVersion` must equal the stored
//!   version (`VersionConflictException` otherwise), for updates and deletes alike.
//! - A thing with principals attached cannot be deleted (`InvalidRequestException`, as AWS).

use super::attributes::{self, AttributePayload, Attributes};
use super::config::RegistryConfig;
use super::error::{RegistryError, RegistryResult};
use super::names::{ThingName, ThingTypeName};
use serde::{Deserialize, Serialize};

/// A thing as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredThing {
    /// Its name.
    pub thing_name: ThingName,
    /// Its id (a UUID), fixed at creation.
    pub thing_id: String,
    /// Its type, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thing_type_name: Option<ThingTypeName>,
    /// Its attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// 1 at creation, one more per accepted update.
    pub version: u64,
}

/// What a CreateThing request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewThing {
    /// The name.
    pub name: ThingName,
    /// The type, already checked to exist and to be assignable.
    pub thing_type_name: Option<ThingTypeName>,
    /// The attributes, already validated.
    pub attributes: Attributes,
}

impl NewThing {
    /// A request from its wire parts.
    ///
    /// # Errors
    /// `InvalidRequestException` for bad attributes.
    pub fn new(
        name: ThingName,
        thing_type_name: Option<ThingTypeName>,
        payload: Option<&AttributePayload>,
    ) -> RegistryResult<Self> {
        Ok(Self {
            name,
            thing_type_name,
            attributes: attributes::initial(payload)?,
        })
    }
}

/// The outcome of CreateThing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateThing {
    /// Store this new thing.
    Create(StoredThing),
    /// The same thing exists already: answer with it, write nothing.
    Existing(StoredThing),
}

/// Decides CreateThing given what is stored under the name; `new_id` is used if it is new.
///
/// # Errors
/// `ResourceAlreadyExistsException` when a different thing has the name.
pub fn decide_create(
    existing: Option<&StoredThing>,
    request: NewThing,
    new_id: String,
    config: &RegistryConfig,
) -> RegistryResult<CreateThing> {
    match existing {
        Some(thing)
            if thing.thing_type_name == request.thing_type_name
                && thing.attributes == request.attributes =>
        {
            Ok(CreateThing::Existing(thing.clone()))
        }
        Some(thing) => Err(RegistryError::already_exists(
            format!(
                "Thing {} already exists in account with different attributes",
                thing.thing_name
            ),
            thing.thing_id.clone(),
            config.thing_arn(thing.thing_name.as_str()),
        )),
        None => Ok(CreateThing::Create(StoredThing {
            thing_name: request.name,
            thing_id: new_id,
            thing_type_name: request.thing_type_name,
            attributes: request.attributes,
            version: 1,
        })),
    }
}

/// How UpdateThing changes the type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeChange {
    /// Leave it.
    Keep,
    /// Set this type (checked to exist and to be assignable).
    Set(ThingTypeName),
    /// Remove the type (`removeThingType: true`).
    Remove,
}

impl TypeChange {
    /// The change the wire's `thingTypeName` and `removeThingType` ask for.
    ///
    /// # Errors
    /// `InvalidRequestException` when both are given.
    pub fn from_request(
        thing_type_name: Option<ThingTypeName>,
        remove_thing_type: bool,
    ) -> RegistryResult<Self> {
        match (thing_type_name, remove_thing_type) {
            (Some(_), true) => Err(RegistryError::invalid(
                "Cannot specify both thingTypeName and removeThingType",
            )),
            (Some(name), false) => Ok(TypeChange::Set(name)),
            (None, true) => Ok(TypeChange::Remove),
            (None, false) => Ok(TypeChange::Keep),
        }
    }
}

/// What an UpdateThing request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingUpdate {
    /// The type change.
    pub type_change: TypeChange,
    /// The attribute payload, if any.
    pub attributes: Option<AttributePayload>,
    /// `expectedVersion`, if given.
    pub expected_version: Option<u64>,
}

/// Checks `expectedVersion` against the stored version of thing `name`.
///
/// # Errors
/// `VersionConflictException` when they differ.
pub fn check_expected_version(
    kind: &str,
    name: &str,
    expected: Option<u64>,
    actual: u64,
) -> RegistryResult<()> {
    match expected {
        Some(expected) if expected != actual => Err(RegistryError::VersionConflict(format!(
            "The version for {kind} {name} does not match the expected version."
        ))),
        _ => Ok(()),
    }
}

/// The thing after an accepted UpdateThing, one version further.
///
/// # Errors
/// `VersionConflictException` for a stale `expectedVersion`, `InvalidRequestException` for bad
/// attributes.
pub fn apply_update(thing: &StoredThing, update: &ThingUpdate) -> RegistryResult<StoredThing> {
    check_expected_version(
        "thing",
        thing.thing_name.as_str(),
        update.expected_version,
        thing.version,
    )?;
    let mut next = thing.clone();
    match &update.type_change {
        TypeChange::Keep => {}
        TypeChange::Set(name) => next.thing_type_name = Some(name.clone()),
        TypeChange::Remove => next.thing_type_name = None,
    }
    if let Some(payload) = &update.attributes {
        next.attributes = attributes::apply_payload(&thing.attributes, payload)?;
    }
    next.version = thing.version + 1;
    Ok(next)
}

/// Checks DeleteThing on a stored thing.
///
/// # Errors
/// `VersionConflictException` for a stale `expectedVersion`; `InvalidRequestException` while
/// principals are attached.
pub fn check_delete(
    thing: &StoredThing,
    expected_version: Option<u64>,
    has_principals: bool,
) -> RegistryResult<()> {
    check_expected_version(
        "thing",
        thing.thing_name.as_str(),
        expected_version,
        thing.version,
    )?;
    if has_principals {
        return Err(RegistryError::invalid(format!(
            "Cannot delete. Thing {} is still attached to one or more principals",
            thing.thing_name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> ThingName {
        ThingName::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn request(attrs: &[(&str, &str)]) -> NewThing {
        let attributes = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        NewThing {
            name: name("t1"),
            thing_type_name: None,
            attributes,
        }
    }

    fn created(outcome: RegistryResult<CreateThing>) -> StoredThing {
        match outcome {
            Ok(CreateThing::Create(thing)) => thing,
            other => panic!("expected a new thing, got {other:?}"),
        }
    }

    #[test]
    fn create_is_idempotent_only_when_identical() {
        let config = RegistryConfig::default();
        let thing = created(decide_create(
            None,
            request(&[("a", "1")]),
            "id-1".into(),
            &config,
        ));
        assert_eq!((thing.version, thing.thing_id.as_str()), (1, "id-1"));
        assert!(matches!(
            decide_create(Some(&thing), request(&[("a", "1")]), "id-2".into(), &config),
            Ok(CreateThing::Existing(existing)) if existing.thing_id == "id-1"
        ));
        let Err(error) = decide_create(Some(&thing), request(&[("a", "2")]), "x".into(), &config)
        else {
            panic!("different attributes must conflict");
        };
        assert_eq!(error.aws_error_type(), "ResourceAlreadyExistsException");
        assert_eq!(error.to_body()["resourceId"], "id-1");
    }

    #[test]
    fn updates_check_the_version_and_bump_it() {
        let config = RegistryConfig::default();
        let thing = created(decide_create(
            None,
            request(&[("a", "1")]),
            "id".into(),
            &config,
        ));
        let update = ThingUpdate {
            type_change: TypeChange::Set(
                ThingTypeName::parse("lamp").unwrap_or_else(|e| panic!("{e}")),
            ),
            attributes: None,
            expected_version: Some(1),
        };
        let next = apply_update(&thing, &update).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.version, 2);
        assert_eq!(next.attributes, thing.attributes);
        assert!(next.thing_type_name.is_some());
        let stale = apply_update(&next, &update);
        assert!(matches!(stale, Err(RegistryError::VersionConflict(_))));
        let removed = apply_update(
            &next,
            &ThingUpdate {
                type_change: TypeChange::Remove,
                attributes: None,
                expected_version: None,
            },
        );
        assert_eq!(removed.ok().and_then(|t| t.thing_type_name), None);
    }

    #[test]
    fn type_changes_and_deletes() {
        assert!(TypeChange::from_request(ThingTypeName::parse("x").ok(), true).is_err());
        assert_eq!(
            TypeChange::from_request(None, false).ok(),
            Some(TypeChange::Keep)
        );
        let config = RegistryConfig::default();
        let thing = created(decide_create(None, request(&[]), "id".into(), &config));
        assert!(check_delete(&thing, Some(1), false).is_ok());
        assert!(matches!(
            check_delete(&thing, Some(2), false),
            Err(RegistryError::VersionConflict(_))
        ));
        assert!(matches!(
            check_delete(&thing, None, true),
            Err(RegistryError::InvalidRequest(_))
        ));
    }
}
