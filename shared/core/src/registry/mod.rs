//! The AWS IoT thing registry, the domain: names and ARNs, the records the registry keeps
//! (things, thing types, static thing groups, certificates, CA certificates, policies) and what
//! each control-plane operation decides about them — pure functions, the clock passed in as
//! `now_secs` and new ids passed in by the caller, no I/O. The registry-api function reads the
//! records from the Store, calls these, and writes the outcome with conditional writes.
//!
//! - [`names`]: [`ThingName`], [`ThingTypeName`], [`ThingGroupName`], [`PolicyName`],
//!   [`CertificateId`], [`PolicyVersionId`], descriptions — the model's patterns and lengths.
//! - [`config`]: [`RegistryConfig`] (region, account, endpoint address, waits) and ARNs.
//! - [`attributes`]: attribute names, values, and `attributePayload` merge rules.
//! - [`thing`], [`thing_type`], [`group`]: things, thing types (deprecation), static thing
//!   groups (hierarchy, membership).
//! - [`certificate`]: device and CA certificates, statuses, delete rules.
//! - [`policies`]: policies and their versions (documents are checked by [`crate::policy`]).
//! - [`principals`]: certificates attached to things, exclusively or not.
//! - [`authorizer`]: custom authorizers (validation, delete rules, descriptions).
//! - [`events`]: the event configurations ([`EventType`], [`EventConfigurations`]): which
//!   `$aws/events/...` events are published.
//! - [`paging`]: page sizes. [`error`]: [`RegistryError`], AWS's exceptions.
//!
//! Records are stored as camelCase JSON; ARNs are not stored but built from the
//! [`RegistryConfig`], so a registry's data does not depend on where it is served.

pub mod attributes;
pub mod authorizer;
pub mod certificate;
pub mod config;
pub mod error;
pub mod events;
pub mod group;
pub mod names;
pub mod paging;
pub mod policies;
pub mod principals;
pub mod thing;
pub mod thing_type;

pub use attributes::{AttributePayload, Attributes};
pub use authorizer::{AuthorizerRequest, AuthorizerStatus, StoredAuthorizer};
pub use certificate::{
    AutoRegistrationStatus, CaCertificateStatus, CertificateMode, CertificateStatus,
    RegistrationConfig, StoredCaCertificate, StoredCertificate, Validity,
};
pub use config::{RegistryConfig, ResourceArn};
pub use error::{RegistryError, RegistryResult};
pub use events::{EventConfigurations, EventType};
pub use group::{StoredThingGroup, ThingGroupProperties};
pub use names::{
    AuthorizerName, CertificateId, PolicyName, PolicyVersionId, ThingGroupName, ThingName,
    ThingTypeName,
};
pub use policies::{StoredPolicy, StoredPolicyVersion};
pub use principals::ThingPrincipalType;
pub use thing::StoredThing;
pub use thing_type::{StoredThingType, ThingTypeProperties};
