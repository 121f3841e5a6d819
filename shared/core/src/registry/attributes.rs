//! Attributes of things and thing groups: name-value strings with the model's patterns
//! (names `[a-zA-Z0-9_.,@/:#-]+` up to 128, values `[a-zA-Z0-9_.,@/:#=\[\]-]*` up to 800), at
//! most [`MAX_ATTRIBUTES`] of them, and how an `attributePayload` changes them.
//!
//! With `merge: true` the payload's attributes are merged into the stored ones and an empty
//! value removes an attribute (as AWS documents for UpdateThing); otherwise the payload replaces
//! them all. Empty values are never stored.

use super::error::{RegistryError, RegistryResult};
use super::names::constraint_error;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Attributes as stored and sent: name → value, in name order.
pub type Attributes = BTreeMap<String, String>;

/// Most attributes a thing or thing group keeps (AWS IoT's quota for things with a type).
pub const MAX_ATTRIBUTES: usize = 50;
/// Longest attribute name.
pub const MAX_ATTRIBUTE_NAME_LEN: usize = 128;
/// Longest attribute value.
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 800;

/// The wire's `attributePayload`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributePayload {
    /// The attributes to set.
    #[serde(default)]
    pub attributes: Option<Attributes>,
    /// Merge into the stored attributes instead of replacing them.
    #[serde(default)]
    pub merge: Option<bool>,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_.,@/:#-".contains(&b)
}

fn is_value_byte(b: u8) -> bool {
    is_name_byte(b) || b"=[]".contains(&b)
}

/// Checks one attribute name as sent in `field`.
///
/// # Errors
/// `InvalidRequestException` when it is empty, too long or breaks the pattern.
pub fn validate_attribute_name(field: &str, name: &str) -> RegistryResult<()> {
    if name.is_empty() || name.len() > MAX_ATTRIBUTE_NAME_LEN {
        return Err(constraint_error(
            field,
            name,
            "Member must have length between 1 and 128",
        ));
    }
    if !name.bytes().all(is_name_byte) {
        return Err(constraint_error(
            field,
            name,
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.,@/:#-]+",
        ));
    }
    Ok(())
}

/// Checks one attribute value as sent in `field`.
///
/// # Errors
/// `InvalidRequestException` when it is too long or breaks the pattern.
pub fn validate_attribute_value(field: &str, value: &str) -> RegistryResult<()> {
    if value.len() > MAX_ATTRIBUTE_VALUE_LEN {
        return Err(constraint_error(
            field,
            value,
            "Member must have length less than or equal to 800",
        ));
    }
    if !value.bytes().all(is_value_byte) {
        return Err(constraint_error(
            field,
            value,
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.,@/:#=\\[\\]-]*",
        ));
    }
    Ok(())
}

fn validate_all(attributes: &Attributes) -> RegistryResult<()> {
    for (name, value) in attributes {
        validate_attribute_name("attributePayload.attributes", name)?;
        validate_attribute_value("attributePayload.attributes", value)?;
    }
    Ok(())
}

/// The attributes after applying `payload` to `current`: merged when the payload says so (an
/// empty value removes), replaced otherwise.
///
/// # Errors
/// `InvalidRequestException` for a bad name or value or more than [`MAX_ATTRIBUTES`].
pub fn apply_payload(
    current: &Attributes,
    payload: &AttributePayload,
) -> RegistryResult<Attributes> {
    let given = payload.attributes.clone().unwrap_or_default();
    validate_all(&given)?;
    let mut result = if payload.merge.unwrap_or(false) {
        current.clone()
    } else {
        Attributes::new()
    };
    for (name, value) in given {
        if value.is_empty() {
            result.remove(&name);
        } else {
            result.insert(name, value);
        }
    }
    if result.len() > MAX_ATTRIBUTES {
        return Err(RegistryError::invalid(format!(
            "A resource can have at most {MAX_ATTRIBUTES} attributes, this request leaves {}",
            result.len()
        )));
    }
    Ok(result)
}

/// The attributes a create request sets (`merge` has no meaning there).
///
/// # Errors
/// As [`apply_payload`].
pub fn initial(payload: Option<&AttributePayload>) -> RegistryResult<Attributes> {
    match payload {
        None => Ok(Attributes::new()),
        Some(payload) => apply_payload(
            &Attributes::new(),
            &AttributePayload {
                attributes: payload.attributes.clone(),
                merge: None,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Attributes {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn merge_adds_changes_and_removes_with_empty_values() {
        let current = attrs(&[("a", "1"), ("b", "2")]);
        let payload = AttributePayload {
            attributes: Some(attrs(&[("b", ""), ("c", "3"), ("a", "9")])),
            merge: Some(true),
        };
        assert_eq!(
            apply_payload(&current, &payload).ok(),
            Some(attrs(&[("a", "9"), ("c", "3")]))
        );
    }

    #[test]
    fn without_merge_the_payload_replaces() {
        let current = attrs(&[("a", "1")]);
        let payload = AttributePayload {
            attributes: Some(attrs(&[("z", "26"), ("e", "")])),
            merge: None,
        };
        assert_eq!(
            apply_payload(&current, &payload).ok(),
            Some(attrs(&[("z", "26")]))
        );
    }

    #[test]
    fn bad_names_values_and_counts_are_refused() {
        for (name, value) in [("bad name", "v"), ("ok", "bad value"), ("", "v")] {
            let payload = AttributePayload {
                attributes: Some(attrs(&[(name, value)])),
                merge: None,
            };
            assert!(initial(Some(&payload)).is_err(), "{name:?}={value:?}");
        }
        let long = "v".repeat(801);
        assert!(validate_attribute_value("v", &long).is_err());
        let many: Attributes = (0..=MAX_ATTRIBUTES)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        let payload = AttributePayload {
            attributes: Some(many),
            merge: None,
        };
        assert!(initial(Some(&payload)).is_err());
        assert!(validate_attribute_value("v", "a=[b]").is_ok());
    }
}
