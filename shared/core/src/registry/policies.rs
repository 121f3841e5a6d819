//! IoT policies in the registry: a policy record naming its default version, its versions, and
//! the rules of CreatePolicy, CreatePolicyVersion, SetDefaultPolicyVersion and the deletes.
//!
//! - CreatePolicy makes version 1, the default. Version ids grow and are never reused.
//! - A policy has at most [`MAX_POLICY_VERSIONS`] versions (`VersionsLimitExceededException`).
//! - The default version cannot be deleted (`DeleteConflictException`); a policy cannot be
//!   deleted while attached or while it has versions other than the default
//!   (`DeleteConflictException`, AWS's messages).
//! - Documents are checked by [`crate::policy::PolicyDocument::parse`]; a bad one is
//!   `MalformedPolicyException`.

use super::error::{RegistryError, RegistryResult};
use super::names::{PolicyName, PolicyVersionId};
use crate::policy::PolicyDocument;
use serde::{Deserialize, Serialize};

/// Most versions a policy keeps.
pub const MAX_POLICY_VERSIONS: usize = 5;
/// Most policies attached to one target (certificate or thing group).
pub const MAX_POLICIES_PER_TARGET: usize = 10;

/// A policy as the registry keeps it (its documents live in [`StoredPolicyVersion`]s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredPolicy {
    /// Its name.
    pub policy_name: PolicyName,
    /// The version in effect.
    pub default_version_id: u64,
    /// The highest version id handed out so far.
    pub last_version_id: u64,
    /// Epoch seconds of its creation.
    pub creation_date: u64,
    /// Epoch seconds of its last change.
    pub last_modified_date: u64,
    /// Changes with every write.
    pub generation_id: String,
}

/// One version of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredPolicyVersion {
    /// Its id.
    pub version_id: u64,
    /// The document as sent (validated).
    pub policy_document: String,
    /// Epoch seconds of its creation.
    pub creation_date: u64,
}

/// Checks a policy document as CreatePolicy and CreatePolicyVersion do.
///
/// # Errors
/// `MalformedPolicyException` saying what is wrong.
pub fn validate_document(text: &str) -> RegistryResult<PolicyDocument> {
    PolicyDocument::parse(text).map_err(|e| RegistryError::MalformedPolicy(e.to_string()))
}

/// A new policy and its version 1 (the document already validated).
pub fn new_policy(
    name: PolicyName,
    document: String,
    now_secs: u64,
    generation_id: String,
) -> (StoredPolicy, StoredPolicyVersion) {
    (
        StoredPolicy {
            policy_name: name,
            default_version_id: 1,
            last_version_id: 1,
            creation_date: now_secs,
            last_modified_date: now_secs,
            generation_id,
        },
        StoredPolicyVersion {
            version_id: 1,
            policy_document: document,
            creation_date: now_secs,
        },
    )
}

/// The policy and its new version after CreatePolicyVersion, given how many versions it has.
///
/// # Errors
/// `VersionsLimitExceededException` when it has [`MAX_POLICY_VERSIONS`] already.
pub fn add_version(
    policy: &StoredPolicy,
    version_count: usize,
    document: String,
    set_as_default: bool,
    now_secs: u64,
    generation_id: String,
) -> RegistryResult<(StoredPolicy, StoredPolicyVersion)> {
    if version_count >= MAX_POLICY_VERSIONS {
        return Err(RegistryError::VersionsLimitExceeded(format!(
            "The policy {} already has the maximum number of versions ({MAX_POLICY_VERSIONS})",
            policy.policy_name
        )));
    }
    let version_id = policy.last_version_id + 1;
    let mut next = policy.clone();
    next.last_version_id = version_id;
    if set_as_default {
        next.default_version_id = version_id;
    }
    next.last_modified_date = now_secs;
    next.generation_id = generation_id;
    Ok((
        next,
        StoredPolicyVersion {
            version_id,
            policy_document: document,
            creation_date: now_secs,
        },
    ))
}

/// The policy after SetDefaultPolicyVersion to an existing version.
pub fn set_default(
    policy: &StoredPolicy,
    version: PolicyVersionId,
    now_secs: u64,
    generation_id: String,
) -> StoredPolicy {
    let mut next = policy.clone();
    next.default_version_id = version.0;
    next.last_modified_date = now_secs;
    next.generation_id = generation_id;
    next
}

/// Checks DeletePolicy.
///
/// # Errors
/// `DeleteConflictException` while attached or while versions other than the default exist.
pub fn check_delete_policy(
    policy: &StoredPolicy,
    version_count: usize,
    attached: bool,
) -> RegistryResult<()> {
    if attached {
        return Err(RegistryError::DeleteConflict(format!(
            "The policy cannot be deleted as the policy is attached to one or more principals \
             (name={})",
            policy.policy_name
        )));
    }
    if version_count > 1 {
        return Err(RegistryError::DeleteConflict(format!(
            "The policy cannot be deleted as versions other than the default version exist \
             (name={})",
            policy.policy_name
        )));
    }
    Ok(())
}

/// Checks DeletePolicyVersion.
///
/// # Errors
/// `DeleteConflictException` for the default version.
pub fn check_delete_version(policy: &StoredPolicy, version: PolicyVersionId) -> RegistryResult<()> {
    if policy.default_version_id == version.0 {
        return Err(RegistryError::DeleteConflict(format!(
            "Cannot delete the default version {version} of policy {}",
            policy.policy_name
        )));
    }
    Ok(())
}

/// Checks AttachPolicy on a target that has `attached` policies already.
///
/// # Errors
/// `LimitExceededException` when it has [`MAX_POLICIES_PER_TARGET`].
pub fn check_attach(target: &str, attached: usize) -> RegistryResult<()> {
    if attached >= MAX_POLICIES_PER_TARGET {
        return Err(RegistryError::LimitExceeded(format!(
            "Target {target} already has {MAX_POLICIES_PER_TARGET} policies attached, the most \
             it can have"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}"#;

    fn policy() -> StoredPolicy {
        let name = PolicyName::parse("p").unwrap_or_else(|e| panic!("{e}"));
        new_policy(name, DOC.into(), 1, "g1".into()).0
    }

    #[test]
    fn versions_grow_up_to_five() {
        let mut current = policy();
        for count in 1..MAX_POLICY_VERSIONS {
            let (next, version) = add_version(&current, count, DOC.into(), false, 2, "g".into())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(version.version_id, count as u64 + 1);
            assert_eq!(next.default_version_id, 1);
            current = next;
        }
        assert!(matches!(
            add_version(
                &current,
                MAX_POLICY_VERSIONS,
                DOC.into(),
                true,
                3,
                "g".into()
            ),
            Err(RegistryError::VersionsLimitExceeded(_))
        ));
        let (next, _) = add_version(&current, 4, DOC.into(), true, 3, "g".into())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.default_version_id, 6);
    }

    #[test]
    fn delete_rules() {
        let p = policy();
        assert!(check_delete_policy(&p, 1, false).is_ok());
        assert!(matches!(
            check_delete_policy(&p, 1, true),
            Err(RegistryError::DeleteConflict(_))
        ));
        assert!(matches!(
            check_delete_policy(&p, 2, false),
            Err(RegistryError::DeleteConflict(_))
        ));
        assert!(check_delete_version(&p, PolicyVersionId(1)).is_err());
        assert!(check_delete_version(&p, PolicyVersionId(2)).is_ok());
        let moved = set_default(&p, PolicyVersionId(2), 5, "g2".into());
        assert!(check_delete_version(&moved, PolicyVersionId(1)).is_ok());
    }

    #[test]
    fn targets_hold_at_most_ten_policies() {
        assert!(check_attach("t", MAX_POLICIES_PER_TARGET - 1).is_ok());
        assert!(matches!(
            check_attach("t", MAX_POLICIES_PER_TARGET),
            Err(RegistryError::LimitExceeded(_))
        ));
    }

    #[test]
    fn malformed_documents_are_named_so() {
        assert!(validate_document(DOC).is_ok());
        assert!(matches!(
            validate_document("{"),
            Err(RegistryError::MalformedPolicy(_))
        ));
    }
}
