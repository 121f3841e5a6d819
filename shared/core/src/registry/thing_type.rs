//! Thing types: the stored record and the rules of their life cycle.
//!
//! - CreateThingType is idempotent for identical properties, `ResourceAlreadyExistsException`
//!   otherwise; at most [`MAX_SEARCHABLE_ATTRIBUTES`] searchable attributes.
//! - A deprecated type cannot be given to a thing (`InvalidRequestException`); deprecating again
//!   keeps the first deprecation date; `undoDeprecate` makes it usable again.
//! - DeleteThingType needs the type deprecated for the configured wait (AWS: five minutes) and
//!   no thing of the type left (`InvalidRequestException` otherwise).

use super::attributes::validate_attribute_name;
use super::config::RegistryConfig;
use super::error::{RegistryError, RegistryResult};
use super::names::{validate_description, ThingTypeName};
use serde::{Deserialize, Serialize};

/// Most searchable attributes a thing type declares.
pub const MAX_SEARCHABLE_ATTRIBUTES: usize = 3;

/// The wire's and the store's `thingTypeProperties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThingTypeProperties {
    /// `thingTypeDescription`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thing_type_description: Option<String>,
    /// `searchableAttributes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub searchable_attributes: Option<Vec<String>>,
}

impl ThingTypeProperties {
    /// Checks the description and the searchable attribute names.
    ///
    /// # Errors
    /// `InvalidRequestException` naming what is wrong.
    pub fn validate(&self) -> RegistryResult<()> {
        if let Some(description) = &self.thing_type_description {
            validate_description("thingTypeProperties.thingTypeDescription", description)?;
        }
        if let Some(names) = &self.searchable_attributes {
            if names.len() > MAX_SEARCHABLE_ATTRIBUTES {
                return Err(RegistryError::invalid(format!(
                    "A thing type can have at most {MAX_SEARCHABLE_ATTRIBUTES} searchable \
                     attributes"
                )));
            }
            for name in names {
                validate_attribute_name("thingTypeProperties.searchableAttributes", name)?;
            }
        }
        Ok(())
    }
}

/// A thing type as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredThingType {
    /// Its name.
    pub thing_type_name: ThingTypeName,
    /// Its id (a UUID).
    pub thing_type_id: String,
    /// Description and searchable attributes.
    #[serde(default)]
    pub thing_type_properties: ThingTypeProperties,
    /// Whether it is deprecated.
    #[serde(default)]
    pub deprecated: bool,
    /// Epoch seconds of the deprecation, while deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecation_date: Option<u64>,
    /// Epoch seconds of its creation.
    pub creation_date: u64,
}

/// The outcome of CreateThingType.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateThingType {
    /// Store this new type.
    Create(StoredThingType),
    /// An identical type exists: answer with it.
    Existing(StoredThingType),
}

/// Decides CreateThingType given what is stored under the name.
///
/// # Errors
/// `InvalidRequestException` for bad properties, `ResourceAlreadyExistsException` when a type
/// with other properties has the name.
pub fn decide_create(
    existing: Option<&StoredThingType>,
    name: ThingTypeName,
    properties: ThingTypeProperties,
    new_id: String,
    now_secs: u64,
    config: &RegistryConfig,
) -> RegistryResult<CreateThingType> {
    properties.validate()?;
    match existing {
        Some(found) if found.thing_type_properties == properties => {
            Ok(CreateThingType::Existing(found.clone()))
        }
        Some(found) => Err(RegistryError::already_exists(
            format!("Thing Type {name} already exists with different properties"),
            found.thing_type_id.clone(),
            config.thing_type_arn(name.as_str()),
        )),
        None => Ok(CreateThingType::Create(StoredThingType {
            thing_type_name: name,
            thing_type_id: new_id,
            thing_type_properties: properties,
            deprecated: false,
            deprecation_date: None,
            creation_date: now_secs,
        })),
    }
}

/// Checks that things may be given this type.
///
/// # Errors
/// `InvalidRequestException` when the type is deprecated.
pub fn check_assignable(thing_type: &StoredThingType) -> RegistryResult<()> {
    if thing_type.deprecated {
        return Err(RegistryError::invalid(format!(
            "Can not create a new thing with deprecated thing type: {}",
            thing_type.thing_type_name
        )));
    }
    Ok(())
}

/// The type after DeprecateThingType (`undo` for `undoDeprecate: true`).
pub fn deprecate(thing_type: &StoredThingType, undo: bool, now_secs: u64) -> StoredThingType {
    let mut next = thing_type.clone();
    if undo {
        next.deprecated = false;
        next.deprecation_date = None;
    } else if !next.deprecated {
        next.deprecated = true;
        next.deprecation_date = Some(now_secs);
    }
    next
}

/// Checks DeleteThingType at `now_secs`.
///
/// # Errors
/// `InvalidRequestException` when the type is not deprecated, was deprecated less than
/// `wait_secs` ago, or still has things.
pub fn check_delete(
    thing_type: &StoredThingType,
    now_secs: u64,
    wait_secs: u64,
    has_things: bool,
) -> RegistryResult<()> {
    let name = &thing_type.thing_type_name;
    let since = match (thing_type.deprecated, thing_type.deprecation_date) {
        (true, Some(since)) => since,
        _ => {
            return Err(RegistryError::invalid(format!(
                "Thing type {name} must be deprecated before it can be deleted"
            )))
        }
    };
    let allowed_at = since.saturating_add(wait_secs);
    if now_secs < allowed_at {
        return Err(RegistryError::invalid(format!(
            "Thing type {name} was deprecated less than {wait_secs} seconds ago; it can be \
             deleted in {} seconds",
            allowed_at - now_secs
        )));
    }
    if has_things {
        return Err(RegistryError::invalid(format!(
            "Can not delete thing type {name}: things are still associated with it"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> StoredThingType {
        let config = RegistryConfig::default();
        let name = ThingTypeName::parse("lamp").unwrap_or_else(|e| panic!("{e}"));
        match decide_create(
            None,
            name,
            ThingTypeProperties::default(),
            "id".into(),
            100,
            &config,
        ) {
            Ok(CreateThingType::Create(t)) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn create_is_idempotent_for_identical_properties() {
        let config = RegistryConfig::default();
        let existing = stored();
        let same = decide_create(
            Some(&existing),
            existing.thing_type_name.clone(),
            ThingTypeProperties::default(),
            "other".into(),
            200,
            &config,
        );
        assert!(matches!(same, Ok(CreateThingType::Existing(_))));
        let different = ThingTypeProperties {
            thing_type_description: Some("new".into()),
            searchable_attributes: None,
        };
        let other = decide_create(
            Some(&existing),
            existing.thing_type_name.clone(),
            different,
            "other".into(),
            200,
            &config,
        );
        assert!(matches!(
            other,
            Err(RegistryError::ResourceAlreadyExists { .. })
        ));
    }

    #[test]
    fn properties_are_validated() {
        let too_many = ThingTypeProperties {
            thing_type_description: None,
            searchable_attributes: Some(vec!["a".into(), "b".into(), "c".into(), "d".into()]),
        };
        assert!(too_many.validate().is_err());
        let bad_description = ThingTypeProperties {
            thing_type_description: Some("line\nbreak".into()),
            searchable_attributes: None,
        };
        assert!(bad_description.validate().is_err());
    }

    #[test]
    fn deprecation_gates_assignment_and_deletion() {
        let fresh = stored();
        assert!(check_assignable(&fresh).is_ok());
        assert!(check_delete(&fresh, 10_000, 300, false).is_err());
        let deprecated = deprecate(&fresh, false, 1_000);
        assert!(check_assignable(&deprecated).is_err());
        assert_eq!(
            deprecate(&deprecated, false, 1_100).deprecation_date,
            Some(1_000)
        );
        assert!(check_delete(&deprecated, 1_299, 300, false).is_err());
        assert!(check_delete(&deprecated, 1_300, 300, false).is_ok());
        assert!(check_delete(&deprecated, 1_300, 300, true).is_err());
        let undone = deprecate(&deprecated, true, 1_400);
        assert!(check_assignable(&undone).is_ok());
        assert_eq!(undone.deprecation_date, None);
    }
}
