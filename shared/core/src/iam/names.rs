//! The names, paths and tags the `iam` model allows, checked before anything is stored.
//!
//! Names of users, groups, roles and policies are unique without regard to case, as in IAM:
//! [`unique_key`] is what the Store is keyed by, while the name keeps the case it was given.

use super::IamError;

/// What kind of entity a name belongs to (its length limit and the member named in errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// A user: 1 to 64 characters.
    User,
    /// A group: 1 to 128 characters.
    Group,
    /// A role: 1 to 64 characters.
    Role,
    /// A managed or inline policy: 1 to 128 characters.
    Policy,
}

impl EntityKind {
    /// The longest name the model allows.
    pub fn max_len(self) -> usize {
        match self {
            EntityKind::User | EntityKind::Role => 64,
            EntityKind::Group | EntityKind::Policy => 128,
        }
    }

    /// The request member that carries the name (`userName`, …), as errors name it.
    pub fn member(self) -> &'static str {
        match self {
            EntityKind::User => "userName",
            EntityKind::Group => "groupName",
            EntityKind::Role => "roleName",
            EntityKind::Policy => "policyName",
        }
    }

    /// The entity's word in messages (`user`, `group`, `role`, `policy`).
    pub fn word(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
            EntityKind::Policy => "policy",
        }
    }
}

/// Whether `c` is in the model's `[\w+=,.@-]`.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

/// Checks an entity name against the model's pattern `[\w+=,.@-]+` and length.
///
/// # Errors
/// `ValidationError` naming the member and the constraint broken.
pub fn check_name(kind: EntityKind, name: &str) -> Result<(), IamError> {
    let len = name.chars().count();
    if len == 0 || len > kind.max_len() {
        return Err(IamError::constraint(
            name,
            kind.member(),
            &format!(
                "Member must have length less than or equal to {} and greater than or equal to 1",
                kind.max_len()
            ),
        ));
    }
    if !name.chars().all(is_name_char) {
        return Err(IamError::constraint(
            name,
            kind.member(),
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        ));
    }
    Ok(())
}

/// The case-insensitive key an entity name is stored and found by.
pub fn unique_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Checks a `Path`: `/`, or `/` … `/` of printable ASCII, at most 512 characters.
///
/// # Errors
/// `ValidationError`.
pub fn check_path(path: &str) -> Result<(), IamError> {
    let printable = path.bytes().all(|b| (0x21..=0x7e).contains(&b));
    let shaped = path == "/" || (path.len() >= 2 && path.starts_with('/') && path.ends_with('/'));
    if path.len() > 512 || !printable || !shaped {
        return Err(IamError::constraint(
            path,
            "path",
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ));
    }
    Ok(())
}

/// Checks a `PathPrefix`: `/` then printable ASCII, at most 512 characters.
///
/// # Errors
/// `ValidationError`.
pub fn check_path_prefix(prefix: &str) -> Result<(), IamError> {
    if prefix.len() > 512
        || !prefix.starts_with('/')
        || !prefix.bytes().all(|b| (0x21..=0x7f).contains(&b))
    {
        return Err(IamError::constraint(
            prefix,
            "pathPrefix",
            "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
        ));
    }
    Ok(())
}

/// Most tags on a user or role.
pub const MAX_TAGS: usize = 50;

/// Checks one tag: key 1 to 128 characters, value at most 256, not starting `aws:`.
///
/// # Errors
/// `ValidationError` for a bad length; `InvalidInput` for a reserved key.
pub fn check_tag(key: &str, value: &str) -> Result<(), IamError> {
    let key_len = key.chars().count();
    if key_len == 0 || key_len > 128 {
        return Err(IamError::constraint(
            key,
            "tags.member.key",
            "Member must have length less than or equal to 128 and greater than or equal to 1",
        ));
    }
    if value.chars().count() > 256 {
        return Err(IamError::constraint(
            value,
            "tags.member.value",
            "Member must have length less than or equal to 256",
        ));
    }
    let allowed = |c: char| {
        c.is_alphanumeric()
            || c.is_whitespace()
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    };
    if !key.chars().all(allowed) || !value.chars().all(allowed) {
        return Err(IamError::constraint(
            key,
            "tags.member.key",
            "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(IamError::InvalidInput(
            "Tag keys starting with 'aws:' are reserved for AWS use".into(),
        ));
    }
    Ok(())
}

/// The page size a `MaxItems` asks for: 1 to 1000, 100 when absent.
///
/// # Errors
/// `ValidationError` outside the range.
pub fn max_items(requested: Option<i64>) -> Result<usize, IamError> {
    match requested {
        None => Ok(100),
        Some(n) if (1..=1000).contains(&n) => Ok(usize::try_from(n).unwrap_or(100)),
        Some(n) => Err(IamError::constraint(
            &n.to_string(),
            "maxItems",
            "Member must have value less than or equal to 1000 and greater than or equal to 1",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_models_pattern_and_lengths() {
        assert!(check_name(EntityKind::User, "alice+ops=1,a.b@c-d_e").is_ok());
        assert!(check_name(EntityKind::User, &"a".repeat(64)).is_ok());
        assert!(check_name(EntityKind::User, &"a".repeat(65)).is_err());
        assert!(check_name(EntityKind::Group, &"a".repeat(128)).is_ok());
        assert!(check_name(EntityKind::Role, &"a".repeat(65)).is_err());
        assert!(check_name(EntityKind::Policy, "").is_err());
        let error = check_name(EntityKind::User, "a/b").expect_err("slash");
        assert_eq!(error.code(), "ValidationError");
        assert!(error.to_string().contains("userName"));
    }

    #[test]
    fn names_are_unique_without_regard_to_case() {
        assert_eq!(unique_key("Alice"), unique_key("ALICE"));
    }

    #[test]
    fn paths_begin_and_end_with_a_slash() {
        assert!(check_path("/").is_ok());
        assert!(check_path("/division/team/").is_ok());
        assert!(check_path("/no-end").is_err());
        assert!(check_path("//").is_ok());
        assert!(check_path("/sp ace/").is_err());
        assert!(check_path_prefix("/div").is_ok());
        assert!(check_path_prefix("div").is_err());
    }

    #[test]
    fn tags_have_bounded_keys_and_values_and_no_aws_prefix() {
        assert!(check_tag("team", "ops").is_ok());
        assert!(check_tag("", "ops").is_err());
        assert!(check_tag("k", &"v".repeat(257)).is_err());
        assert_eq!(
            check_tag("aws:x", "v").map_err(|e| e.code()),
            Err("InvalidInput")
        );
    }

    #[test]
    fn max_items_is_1_to_1000_defaulting_to_100() {
        assert_eq!(max_items(None), Ok(100));
        assert_eq!(max_items(Some(1000)), Ok(1000));
        assert!(max_items(Some(0)).is_err());
        assert!(max_items(Some(1001)).is_err());
    }
}
