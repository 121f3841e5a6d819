//! [`JobId`] and [`JobTemplateId`]: 1–64 characters of `[a-zA-Z0-9_-]`, as the model says.

use super::error::{JobsError, JobsResult};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest job or job template id.
pub const MAX_ID_LEN: usize = 64;

fn check(field: &str, value: &str) -> JobsResult<()> {
    let shown: String = value.chars().take(256).collect();
    let refuse = |constraint: &str| {
        JobsError::invalid(format!(
            "1 validation error detected: Value '{shown}' at '{field}' failed to satisfy \
             constraint: {constraint}"
        ))
    };
    if value.is_empty() || value.len() > MAX_ID_LEN {
        return Err(refuse("Member must have length between 1 and 64"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(refuse(
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
        ));
    }
    Ok(())
}

macro_rules! id_type {
    ($name:ident, $field:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `value` against the model's length and pattern.
            ///
            /// # Errors
            /// `InvalidRequestException` naming the constraint broken.
            pub fn parse(value: &str) -> JobsResult<Self> {
                check($field, value)?;
                Ok(Self(value.to_string()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = JobsError;
            fn try_from(value: String) -> JobsResult<Self> {
                check($field, &value)?;
                Ok(Self(value))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(JobId, "jobId", "A job's id.");
id_type!(JobTemplateId, "jobTemplateId", "A job template's id.");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_model() {
        assert!(JobId::parse("update-firmware_2").is_ok());
        assert!(JobId::parse(&"a".repeat(64)).is_ok());
        for bad in ["", "has space", "a/b", "a#b", &"a".repeat(65)] {
            assert!(
                matches!(JobId::parse(bad), Err(JobsError::InvalidRequest(_))),
                "{bad:?}"
            );
        }
        assert!(JobTemplateId::parse("t.1").is_err());
    }
}
