//! Managed policy versions: `v1`, `v2`, … numbered without reuse, at most five kept, the
//! default version never deleted.

use super::IamError;

/// Most versions a managed policy keeps.
pub const MAX_VERSIONS: usize = 5;

/// The id of version number `n` (`v{n}`).
pub fn version_id(n: u64) -> String {
    format!("v{n}")
}

/// The number in a version id (`v3` → 3).
///
/// # Errors
/// `ValidationError` for an id that is not `v` and a positive number.
pub fn version_number(id: &str) -> Result<u64, IamError> {
    id.strip_prefix('v')
        .filter(|digits| !digits.starts_with('0'))
        .and_then(|digits| digits.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            IamError::constraint(
                id,
                "versionId",
                "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
            )
        })
}

/// Whether a new version may be created when the policy holds `existing` versions.
///
/// # Errors
/// `LimitExceeded` at five.
pub fn check_can_add(policy_arn: &str, existing: usize) -> Result<(), IamError> {
    if existing >= MAX_VERSIONS {
        return Err(IamError::LimitExceeded(format!(
            "A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new \
             version, you must delete an existing version of {policy_arn}."
        )));
    }
    Ok(())
}

/// Whether version `id` may be deleted when `default` is the default version.
///
/// # Errors
/// `DeleteConflict` for the default version.
pub fn check_can_delete(id: &str, default: &str) -> Result<(), IamError> {
    if id == default {
        return Err(IamError::DeleteConflict(
            "Cannot delete the default version of a policy.".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_v_and_a_positive_number() {
        assert_eq!(version_id(1), "v1");
        assert_eq!(version_number("v12"), Ok(12));
        for bad in ["v0", "1", "v", "v01", "vx"] {
            assert!(version_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn at_most_five_versions_and_the_default_stays() {
        assert!(check_can_add("arn", 4).is_ok());
        assert_eq!(
            check_can_add("arn", 5).map_err(|e| e.code()),
            Err("LimitExceeded")
        );
        assert!(check_can_delete("v1", "v2").is_ok());
        assert_eq!(
            check_can_delete("v2", "v2").map_err(|e| e.code()),
            Err("DeleteConflict")
        );
    }
}
