//! # thingcore-iam — IAM and STS
//!
//! [`IamService`]: users, groups, roles, customer-managed and inline policies, access keys and
//! temporary credentials over the Store port, as AWS's IAM and STS Query APIs offer them
//! (`thingcore serve` answers `POST /` signed `iam` or `sts` with it).
//!
//! Each operation checks its input with the rules of `thingcore::iam`, reads what it depends
//! on, lets the core decide, and writes the outcome in one conditional transaction, reading
//! again when another writer got there first ([`repo`]). One file per resource family:
//!
//! - [`users`]: Create/Get/List/DeleteUser, tags on users.
//! - [`groups`]: Create/Get/List/DeleteGroup, Add/RemoveUserToGroup, ListGroupsForUser.
//! - [`roles`]: Create/Get/List/DeleteRole, UpdateAssumeRolePolicy, tags on roles.
//! - [`policies`]: customer-managed policies and their versions.
//! - [`attachments`]: Attach/Detach{User,Group,Role}Policy, ListAttached{User,Group,Role}Policies.
//! - [`inline`] (inline policies): Put/Get/Delete/List{User,Group,Role}Policy.
//! - [`access_keys`] (long-term keys): Create/List/Update/DeleteAccessKey.
//! - [`oidc_providers`]: OpenID Connect providers (Create/Get/List/Delete, client ids,
//!   thumbprints).
//! - [`sts`]: GetCallerIdentity, AssumeRole, GetSessionToken.
//! - [`web_identity`]: AssumeRoleWithWebIdentity, with the issuers' keys the host finds
//!   ([`web_identity::IssuerKeys`]).
//! - [`identity`]: who an access key is and which policy documents apply to it — what
//!   enforcement asks.
//!
//! [`keys`] lays out the Store; [`records`] are what is stored; [`error`] is the crate's one
//! error type.

pub mod access_keys;
pub mod attachments;
pub mod error;
pub mod groups;
pub mod identity;
pub mod inline;
pub mod keys;
pub mod oidc_providers;
pub mod policies;
pub mod records;
pub(crate) mod repo;
pub mod roles;
pub mod sts;
pub mod users;
pub mod web_identity;

pub use error::{Result, ServiceError};
pub use identity::{Identity, IdentityKind};
use std::sync::Arc;
use thingcore::store::Store;
use thingcore::Clock;

/// Where IAM lives: the account and region its ARNs name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamConfig {
    /// The account id (12 digits).
    pub account_id: String,
    /// The region (STS is regional; IAM ARNs carry none).
    pub region: String,
}

/// IAM and STS over a Store.
#[derive(Clone)]
pub struct IamService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: Arc<IamConfig>,
    issuer_keys: Option<Arc<dyn web_identity::IssuerKeys>>,
}

impl std::fmt::Debug for IamService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One page of a list: the records and, when there are more, the `Marker` of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    /// The records of this page.
    pub items: Vec<T>,
    /// `Marker` for the next page; `None` when `IsTruncated` is false.
    pub marker: Option<String>,
}

/// Where a list starts and how long its page is, as the request gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paging {
    /// `Marker`.
    pub marker: Option<String>,
    /// `MaxItems`.
    pub max_items: Option<i64>,
}

impl IamService {
    /// IAM over `store`, telling time by `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: IamConfig) -> Self {
        Self {
            store,
            clock,
            config: Arc::new(config),
            issuer_keys: None,
        }
    }

    /// The same service, finding web identity issuers' keys with `keys`
    /// (AssumeRoleWithWebIdentity answers `IDPCommunicationError` without).
    pub fn with_issuer_keys(mut self, keys: Arc<dyn web_identity::IssuerKeys>) -> Self {
        self.issuer_keys = Some(keys);
        self
    }

    /// The account and region.
    pub fn config(&self) -> &IamConfig {
        &self.config
    }

    /// Now, in epoch seconds.
    pub(crate) fn now(&self) -> u64 {
        self.clock.now_secs()
    }

    /// Fresh entropy for identifiers and secrets (`n` blocks of 16 random bytes).
    pub(crate) fn entropy(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
            .collect()
    }
}
