//! Where IAM and STS keep their records. Entity names are unique without regard to case, so
//! sort keys are the lower-cased name ([`unique_key`](thingcore::iam::names::unique_key));
//! records keep the name as given. In the registry table:
//!
//! | partition key | sort key | record |
//! |---------------|----------|--------|
//! | `iam-users` | user key | [`StoredUser`](crate::records::StoredUser) |
//! | `iam-groups` | group key | [`StoredGroup`](crate::records::StoredGroup) |
//! | `iam-roles` | role key | [`StoredRole`](crate::records::StoredRole) |
//! | `iam-policies` | policy key | [`StoredPolicy`](crate::records::StoredPolicy) |
//! | `iam-policy-versions#{policy key}` | version number, 10 digits | [`StoredVersion`](crate::records::StoredVersion) |
//! | `iam-inline#{kind}#{entity key}` | policy key | [`StoredInline`](crate::records::StoredInline) |
//! | `iam-attached#{kind}#{entity key}` | policy key | [`Link`](crate::records::Link): the policy's ARN |
//! | `iam-policy-entities#{policy key}` | `{kind}#{entity key}` | [`Link`](crate::records::Link): the entity's name and kind |
//! | `iam-group-members#{group key}` | user key | [`Link`](crate::records::Link): the user's name |
//! | `iam-user-groups#{user key}` | group key | [`Link`](crate::records::Link): the group's name |
//! | `iam-user-keys#{user key}` | access key id | [`Link`](crate::records::Link) |
//! | `iam-access-keys` | access key id | [`StoredAccessKey`](crate::records::StoredAccessKey) |
//! | `iam-oidc-providers` | provider path (URL without scheme), as given | [`StoredOidcProvider`](crate::records::StoredOidcProvider) |
//!
//! and in the broker table (the one whose items expire), temporary credentials:
//!
//! | `iam-sessions` | `ASIA…` id | [`StoredSession`](crate::records::StoredSession), expiring a day after the credentials do |
//!
//! `{kind}` is `user`, `group` or `role`. Names cannot contain `#`, so partitions never
//! collide. Both sides of a relation are written in one transaction, which also rewrites the
//! entity records it joins, so a racing delete fails its condition and reads again.

use thingcore::iam::names::unique_key;
use thingcore::store::Key;

/// Partition of users.
pub const USERS: &str = "iam-users";
/// Partition of groups.
pub const GROUPS: &str = "iam-groups";
/// Partition of roles.
pub const ROLES: &str = "iam-roles";
/// Partition of managed policies.
pub const POLICIES: &str = "iam-policies";
/// Partition of every access key.
pub const ACCESS_KEYS: &str = "iam-access-keys";
/// Partition of OpenID Connect providers.
pub const OIDC_PROVIDERS: &str = "iam-oidc-providers";
/// Partition of temporary credentials (broker table).
pub const SESSIONS: &str = "iam-sessions";

/// A user.
pub fn user(name: &str) -> Key {
    Key::new(USERS, unique_key(name))
}
/// A group.
pub fn group(name: &str) -> Key {
    Key::new(GROUPS, unique_key(name))
}
/// A role.
pub fn role(name: &str) -> Key {
    Key::new(ROLES, unique_key(name))
}
/// A managed policy.
pub fn policy(name: &str) -> Key {
    Key::new(POLICIES, unique_key(name))
}
/// Partition of a policy's versions.
pub fn versions_of(policy: &str) -> String {
    format!("iam-policy-versions#{}", unique_key(policy))
}
/// Version `n` of a policy.
pub fn version(policy: &str, n: u64) -> Key {
    Key::new(versions_of(policy), format!("{n:010}"))
}
/// Partition of an entity's inline policies.
pub fn inline_of(kind: &str, entity: &str) -> String {
    format!("iam-inline#{kind}#{}", unique_key(entity))
}
/// An inline policy.
pub fn inline(kind: &str, entity: &str, policy: &str) -> Key {
    Key::new(inline_of(kind, entity), unique_key(policy))
}
/// Partition of the managed policies attached to an entity.
pub fn attached_of(kind: &str, entity: &str) -> String {
    format!("iam-attached#{kind}#{}", unique_key(entity))
}
/// An attachment, entity side.
pub fn attached(kind: &str, entity: &str, policy: &str) -> Key {
    Key::new(attached_of(kind, entity), unique_key(policy))
}
/// Partition of the entities a policy is attached to.
pub fn entities_of(policy: &str) -> String {
    format!("iam-policy-entities#{}", unique_key(policy))
}
/// An attachment, policy side.
pub fn entity(policy: &str, kind: &str, entity: &str) -> Key {
    Key::new(
        entities_of(policy),
        format!("{kind}#{}", unique_key(entity)),
    )
}
/// Partition of a group's members.
pub fn members_of(group: &str) -> String {
    format!("iam-group-members#{}", unique_key(group))
}
/// Membership, group side.
pub fn member(group: &str, user: &str) -> Key {
    Key::new(members_of(group), unique_key(user))
}
/// Partition of a user's groups.
pub fn groups_of(user: &str) -> String {
    format!("iam-user-groups#{}", unique_key(user))
}
/// Membership, user side.
pub fn user_group(user: &str, group: &str) -> Key {
    Key::new(groups_of(user), unique_key(group))
}
/// Partition of a user's access keys.
pub fn keys_of(user: &str) -> String {
    format!("iam-user-keys#{}", unique_key(user))
}
/// An access key, user side.
pub fn user_key(user: &str, key_id: &str) -> Key {
    Key::new(keys_of(user), key_id)
}
/// An access key.
pub fn access_key(key_id: &str) -> Key {
    Key::new(ACCESS_KEYS, key_id)
}
/// An OpenID Connect provider, by its path (`token.example.com/tenant`).
pub fn oidc_provider(path: &str) -> Key {
    Key::new(OIDC_PROVIDERS, path)
}
/// Temporary credentials.
pub fn session(key_id: &str) -> Key {
    Key::new(SESSIONS, key_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_keyed_without_regard_to_case() {
        assert_eq!(user("Alice"), user("alice"));
        assert_eq!(inline("user", "Bob", "P"), inline("user", "bob", "p"));
        assert!(version("p", 2) < version("p", 10));
    }
}
