//! Where the registry keeps its records in the Store's registry table. Every list the API
//! offers is one partition, read in sort-key order:
//!
//! | partition key | sort key | record |
//! |---------------|----------|--------|
//! | `things` | thing name | [`StoredThing`](thingcore::registry::StoredThing) |
//! | `thing-type-things#{type}` | thing name | index: things of a type |
//! | `thing-types` | type name | [`StoredThingType`](thingcore::registry::StoredThingType) |
//! | `thing-groups` | group name | [`StoredThingGroup`](thingcore::registry::StoredThingGroup) |
//! | `thing-group-children#{group}` | child name | index: child groups |
//! | `thing-group-things#{group}` | thing name | membership, group side |
//! | `thing-thing-groups#{thing}` | group name | membership, thing side |
//! | `certificates` | certificate id | [`StoredCertificate`](thingcore::registry::StoredCertificate) |
//! | `ca-certificate-certificates#{ca id}` | certificate id | index: certificates of a CA |
//! | `ca-certificates` | CA certificate id | [`StoredCaCertificate`](thingcore::registry::StoredCaCertificate) |
//! | `policies` | policy name | [`StoredPolicy`](thingcore::registry::StoredPolicy) |
//! | `policy-versions#{policy}` | version id, 10 digits | [`StoredPolicyVersion`](thingcore::registry::StoredPolicyVersion) |
//! | `policy-targets#{policy}` | target ARN | attachment, policy side |
//! | `target-policies#{target ARN}` | policy name | attachment, target side |
//! | `thing-principals#{thing}` | principal ARN | attachment, thing side |
//! | `principal-things#{principal ARN}` | thing name | attachment, principal side |
//! | `authorizers` | authorizer name | [`StoredAuthorizer`](thingcore::registry::StoredAuthorizer) |
//! | `default-authorizer` | `current` | the default authorizer's name |
//! | `registry-ca` | `local` | the local CA ([`StoredLocalCa`](crate::ca::StoredLocalCa)) |
//! | `event-configurations` | `current` | [`EventConfigurations`](thingcore::registry::EventConfigurations) |
//!
//! Names cannot contain `#`, so partitions never collide. Both sides of a relation are written
//! in one transaction.

use thingcore::store::Key;

/// Partition of things.
pub const THINGS: &str = "things";
/// Partition of thing types.
pub const THING_TYPES: &str = "thing-types";
/// Partition of thing groups.
pub const THING_GROUPS: &str = "thing-groups";
/// Partition of device certificates.
pub const CERTIFICATES: &str = "certificates";
/// Partition of CA certificates.
pub const CA_CERTIFICATES: &str = "ca-certificates";
/// Partition of policies.
pub const POLICIES: &str = "policies";

/// A thing.
pub fn thing(name: &str) -> Key {
    Key::new(THINGS, name)
}
/// A thing type.
pub fn thing_type(name: &str) -> Key {
    Key::new(THING_TYPES, name)
}
/// A thing group.
pub fn thing_group(name: &str) -> Key {
    Key::new(THING_GROUPS, name)
}
/// A device certificate.
pub fn certificate(id: &str) -> Key {
    Key::new(CERTIFICATES, id)
}
/// A CA certificate.
pub fn ca_certificate(id: &str) -> Key {
    Key::new(CA_CERTIFICATES, id)
}
/// A policy.
pub fn policy(name: &str) -> Key {
    Key::new(POLICIES, name)
}
/// Partition of custom authorizers.
pub const AUTHORIZERS: &str = "authorizers";
/// A custom authorizer.
pub fn authorizer(name: &str) -> Key {
    Key::new(AUTHORIZERS, name)
}
/// The default custom authorizer's name.
pub fn default_authorizer() -> Key {
    Key::new("default-authorizer", "current")
}
/// The local CA.
pub fn local_ca() -> Key {
    Key::new("registry-ca", "local")
}
/// The event configurations.
pub fn event_configurations() -> Key {
    Key::new("event-configurations", "current")
}

/// Partition indexing the things of a type.
pub fn type_things(thing_type: &str) -> String {
    format!("thing-type-things#{thing_type}")
}
/// Partition indexing the child groups of a group.
pub fn group_children(group: &str) -> String {
    format!("thing-group-children#{group}")
}
/// Partition of a group's things.
pub fn group_things(group: &str) -> String {
    format!("thing-group-things#{group}")
}
/// Partition of a thing's groups.
pub fn thing_groups(thing: &str) -> String {
    format!("thing-thing-groups#{thing}")
}
/// Partition indexing the certificates registered with a CA.
pub fn ca_certificates_of(ca_id: &str) -> String {
    format!("ca-certificate-certificates#{ca_id}")
}
/// Partition of a policy's versions.
pub fn policy_versions(policy: &str) -> String {
    format!("policy-versions#{policy}")
}
/// Sort key of a policy version: zero-padded so versions sort by number.
pub fn policy_version_sk(version: u64) -> String {
    format!("{version:010}")
}
/// A policy version.
pub fn policy_version(policy: &str, version: u64) -> Key {
    Key::new(policy_versions(policy), policy_version_sk(version))
}
/// Partition of a policy's targets.
pub fn policy_targets(policy: &str) -> String {
    format!("policy-targets#{policy}")
}
/// Partition of a target's policies.
pub fn target_policies(target_arn: &str) -> String {
    format!("target-policies#{target_arn}")
}
/// Partition of a thing's principals.
pub fn thing_principals(thing: &str) -> String {
    format!("thing-principals#{thing}")
}
/// Partition of a principal's things.
pub fn principal_things(principal_arn: &str) -> String {
    format!("principal-things#{principal_arn}")
}
