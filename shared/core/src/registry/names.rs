//! Names and ids of registry resources, validated on construction with the patterns and lengths
//! of botocore's `iot` model, so that a bad name cannot travel inward:
//!
//! | type | pattern | length |
//! |------|---------|--------|
//! | [`ThingName`], [`ThingTypeName`], [`ThingGroupName`] | `[a-zA-Z0-9:_-]+` | 1–128 |
//! | [`PolicyName`] | `[\w+=,.@-]+` | 1–128 |
//! | [`AuthorizerName`] | `[\w=,@-]+` | 1–128 |
//! | [`CertificateId`] | `(0x)?[a-fA-F0-9]+` | 64 (kept lowercase) |
//! | [`PolicyVersionId`] | `[0-9]+` | |
//! | description | `[\p{Graph}\x20]*` (printable ASCII) | 0–2028 |
//!
//! Refusals read like AWS's own: `1 validation error detected: Value '…' at 'thingName' failed
//! to satisfy constraint: …`, as an `InvalidRequestException`.

use super::error::{RegistryError, RegistryResult};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest thing, thing type, thing group and policy name.
pub const MAX_NAME_LEN: usize = 128;
/// Longest thing type or thing group description.
pub const MAX_DESCRIPTION_LEN: usize = 2028;
/// Length of a certificate id (hex SHA-256).
pub const CERTIFICATE_ID_LEN: usize = 64;

/// The refusal AWS sends for a value that breaks a constraint of the model.
pub fn constraint_error(field: &str, value: &str, constraint: &str) -> RegistryError {
    let shown: String = value.chars().take(256).collect();
    RegistryError::invalid(format!(
        "1 validation error detected: Value '{shown}' at '{field}' failed to satisfy constraint: \
         {constraint}"
    ))
}

fn check(
    field: &str,
    value: &str,
    max: usize,
    allowed: fn(u8) -> bool,
    pattern: &str,
) -> RegistryResult<()> {
    if value.is_empty() || value.len() > max {
        return Err(constraint_error(
            field,
            value,
            &format!("Member must have length between 1 and {max}"),
        ));
    }
    if !value.bytes().all(allowed) {
        return Err(constraint_error(
            field,
            value,
            &format!("Member must satisfy regular expression pattern: {pattern}"),
        ));
    }
    Ok(())
}

fn is_thing_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-')
}

fn is_policy_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'=' | b',' | b'.' | b'@' | b'-')
}

fn is_authorizer_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'=' | b',' | b'@' | b'-')
}

macro_rules! registry_name {
    ($(#[$doc:meta])* $name:ident, $field:literal, $allowed:expr, $pattern:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The wire name of the field this name usually travels in.
            pub const FIELD: &'static str = $field;

            /// Validates `value` as it arrives in the field named [`Self::FIELD`].
            ///
            /// # Errors
            /// `InvalidRequestException` when it is empty, too long or breaks the pattern.
            pub fn parse(value: &str) -> RegistryResult<Self> {
                Self::parse_field(value, $field)
            }

            /// Validates `value` as it arrives in the field named `field`.
            ///
            /// # Errors
            /// `InvalidRequestException` when it is empty, too long or breaks the pattern.
            pub fn parse_field(value: &str, field: &str) -> RegistryResult<Self> {
                check(field, value, MAX_NAME_LEN, $allowed, $pattern)?;
                Ok(Self(value.to_string()))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = RegistryError;
            fn try_from(value: String) -> RegistryResult<Self> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }
    };
}

registry_name!(
    /// A thing's name: `[a-zA-Z0-9:_-]+`, 1–128 characters.
    ThingName,
    "thingName",
    is_thing_name_byte,
    "[a-zA-Z0-9:_-]+"
);
registry_name!(
    /// A thing type's name: `[a-zA-Z0-9:_-]+`, 1–128 characters.
    ThingTypeName,
    "thingTypeName",
    is_thing_name_byte,
    "[a-zA-Z0-9:_-]+"
);
registry_name!(
    /// A thing group's name: `[a-zA-Z0-9:_-]+`, 1–128 characters.
    ThingGroupName,
    "thingGroupName",
    is_thing_name_byte,
    "[a-zA-Z0-9:_-]+"
);
registry_name!(
    /// A policy's name: `[\w+=,.@-]+`, 1–128 characters.
    PolicyName,
    "policyName",
    is_policy_name_byte,
    "[\\w+=,.@-]+"
);

registry_name!(
    /// A custom authorizer's name: `[\w=,@-]+`, 1–128 characters.
    AuthorizerName,
    "authorizerName",
    is_authorizer_name_byte,
    "[\\w=,@-]+"
);

/// A certificate's id: the lowercase hex SHA-256 of its DER encoding, as AWS IoT makes them.
/// Input may be upper or lower case (the model's pattern is `(0x)?[a-fA-F0-9]+`, 64 long).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CertificateId(String);

impl CertificateId {
    /// Validates an id as it arrives in the field named `field`; keeps it lowercase.
    ///
    /// # Errors
    /// `InvalidRequestException` when it is not 64 characters of the pattern.
    pub fn parse_field(value: &str, field: &str) -> RegistryResult<Self> {
        if value.len() != CERTIFICATE_ID_LEN {
            return Err(constraint_error(
                field,
                value,
                "Member must have length greater than or equal to 64 and less than or equal to 64",
            ));
        }
        let digits = value.strip_prefix("0x").unwrap_or(value);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(constraint_error(
                field,
                value,
                "Member must satisfy regular expression pattern: (0x)?[a-fA-F0-9]+",
            ));
        }
        Ok(Self(value.to_ascii_lowercase()))
    }

    /// Validates an id given as `certificateId`.
    ///
    /// # Errors
    /// As [`CertificateId::parse_field`].
    pub fn parse(value: &str) -> RegistryResult<Self> {
        Self::parse_field(value, "certificateId")
    }

    /// The id of a certificate whose SHA-256 digest is `digest`.
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        let mut hex = String::with_capacity(CERTIFICATE_ID_LEN);
        for byte in digest {
            hex.push_str(&format!("{byte:02x}"));
        }
        Self(hex)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CertificateId {
    type Error = RegistryError;
    fn try_from(value: String) -> RegistryResult<Self> {
        Self::parse(&value)
    }
}

impl From<CertificateId> for String {
    fn from(id: CertificateId) -> String {
        id.0
    }
}

/// A policy version id: `[0-9]+`, the decimal number of the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyVersionId(pub u64);

impl PolicyVersionId {
    /// Validates `policyVersionId`.
    ///
    /// # Errors
    /// `InvalidRequestException` when it is not a decimal number.
    pub fn parse(value: &str) -> RegistryResult<Self> {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(constraint_error(
                "policyVersionId",
                value,
                "Member must satisfy regular expression pattern: [0-9]+",
            ));
        }
        value
            .parse()
            .map(PolicyVersionId)
            .map_err(|_| RegistryError::invalid(format!("Policy version {value} is out of range")))
    }
}

impl fmt::Display for PolicyVersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Checks a thing type or thing group description: printable ASCII and spaces, at most 2028.
///
/// # Errors
/// `InvalidRequestException` naming `field`.
pub fn validate_description(field: &str, value: &str) -> RegistryResult<()> {
    if value.len() > MAX_DESCRIPTION_LEN {
        return Err(constraint_error(
            field,
            value,
            &format!("Member must have length less than or equal to {MAX_DESCRIPTION_LEN}"),
        ));
    }
    if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(constraint_error(
            field,
            value,
            "Member must satisfy regular expression pattern: [\\p{Graph}\\x20]*",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thing_names_follow_the_model() {
        assert!(ThingName::parse("my:thing_1-a").is_ok());
        assert!(ThingName::parse(&"a".repeat(128)).is_ok());
        for bad in ["", "a b", "a/b", "é", "a#b"] {
            assert!(ThingName::parse(bad).is_err(), "{bad:?}");
        }
        let long = "a".repeat(129);
        let Err(error) = ThingGroupName::parse_field(&long, "parentGroupName") else {
            panic!("129 characters must be refused");
        };
        assert_eq!(error.aws_error_type(), "InvalidRequestException");
        assert!(
            error.to_string().contains("at 'parentGroupName'"),
            "{error}"
        );
    }

    #[test]
    fn policy_names_allow_their_extra_characters() {
        assert!(PolicyName::parse("a+b=c,d.e@f-g_h").is_ok());
        assert!(PolicyName::parse("a:b").is_err());
        assert!(PolicyName::parse("a b").is_err());
    }

    #[test]
    fn certificate_ids_are_64_hex_and_kept_lowercase() {
        let upper = "AB".repeat(32);
        let id = CertificateId::parse(&upper).map(|id| id.to_string());
        assert_eq!(id.ok(), Some("ab".repeat(32)));
        assert!(CertificateId::parse(&"a".repeat(63)).is_err());
        assert!(CertificateId::parse(&"g".repeat(64)).is_err());
        assert_eq!(
            CertificateId::from_digest(&[0xab; 32]).as_str(),
            "ab".repeat(32)
        );
    }

    #[test]
    fn names_validate_when_deserialized() {
        assert!(serde_json::from_str::<ThingName>("\"ok\"").is_ok());
        assert!(serde_json::from_str::<ThingName>("\"not ok\"").is_err());
    }

    #[test]
    fn versions_and_descriptions() {
        assert_eq!(PolicyVersionId::parse("12").ok(), Some(PolicyVersionId(12)));
        assert!(PolicyVersionId::parse("1a").is_err());
        assert!(PolicyVersionId::parse("99999999999999999999999").is_err());
        assert!(validate_description("d", "Hello, world! ~").is_ok());
        assert!(validate_description("d", "tab\there").is_err());
        assert!(validate_description("d", &"x".repeat(2029)).is_err());
    }
}
