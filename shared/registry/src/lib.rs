//! # thingcore-registry — the AWS IoT registry as a service
//!
//! [`RegistryService`]: the AWS IoT registry's control-plane operations over the Store port.
//! The registry-api function routes HTTP requests to it; the gateway, the rules engine
//! (`get_registry_data`) and `thingcore serve`'s broker (authentication, policies, rules) read
//! through it, so every host sees one registry.
//!
//! Each operation validates its input with the rules of `thingcore::registry`, reads the
//! records it depends on, lets the domain decide, and writes the outcome in one conditional
//! transaction; when another writer got there first it reads again and decides again (see
//! [`repo`]). One file per resource family:
//!
//! - [`things`]: CreateThing, DescribeThing, UpdateThing, DeleteThing, ListThings.
//! - [`thing_types`]: CreateThingType, DescribeThingType, ListThingTypes, DeprecateThingType,
//!   DeleteThingType.
//! - [`groups`]: static thing groups and their hierarchy.
//! - [`membership`]: things in groups (Add/RemoveThingToThingGroup, ListThingsInThingGroup,
//!   ListThingGroupsForThing).
//! - [`certificates`]: device certificates (CreateKeysAndCertificate, CreateCertificateFromCsr,
//!   RegisterCertificate[WithoutCA], Describe/List/Update/DeleteCertificate, ListCertificatesByCA).
//! - [`ca_certificates`]: RegisterCACertificate and the rest of the CA operations.
//! - [`policies`]: policies and their versions.
//! - [`policy_targets`]: policies attached to certificates and thing groups.
//! - [`principals`]: Attach/DetachThingPrincipal, ListThingPrincipals, ListPrincipalThings.
//! - [`authorizers`]: custom authorizers and the default authorizer.
//! - [`custom_auth`]: authenticating a client through a custom authorizer;
//!   TestInvokeAuthorizer.
//! - [`destinations`]: HTTP topic rule destinations and their confirmation.
//! - [`events`]: UpdateEventConfigurations, DescribeEventConfigurations, and the
//!   configurations as other services read them (Jobs publishes its events by them).
//! - [`principal_auth`]: authenticating a client certificate and building its rights; the
//!   auth generation that moves with every registry write.
//!
//! Every committed write moves the auth generation and is told to the host's
//! [`RegistryListener`] before the operation answers.
//!
//! Operations take the wire's values (names as text, bodies as their request types) and
//! answer with the wire's JSON output; the registry-api function's `http` module only routes.
//!
//! [`ca`]: the local CA that signs CreateKeysAndCertificate and CreateCertificateFromCsr
//! certificates, kept in the Store so every host signs with the same one; certificate parsing
//! and signature checks.

pub mod authorizers;
pub mod ca;
pub mod ca_certificates;
pub mod certificates;
pub mod custom_auth;
pub mod destinations;
pub mod error;
pub mod events;
pub mod groups;
pub mod keys;
pub mod membership;
pub mod policies;
pub mod policy_targets;
pub mod principal_auth;
pub mod principals;
pub(crate) mod repo;
pub mod rules;
pub mod thing_types;
pub mod things;

use ca::{LocalCa, StoredLocalCa};
pub use error::ServiceError;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
/// The registry's settings (account, region, endpoint), as `thingcore::registry` defines them.
pub use thingcore::registry::RegistryConfig;
use thingcore::registry::RegistryError;
use thingcore::store::{Expect, Store};
use thingcore::Clock;

/// The endpoint types DescribeEndpoint knows.
pub const ENDPOINT_TYPES: [&str; 4] = [
    "iot:Data",
    "iot:Data-ATS",
    "iot:CredentialProvider",
    "iot:Jobs",
];

/// The AWS IoT registry over a Store.
#[derive(Clone)]
pub struct RegistryService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: Arc<RegistryConfig>,
    ca: Arc<Mutex<Option<Arc<LocalCa>>>>,
    /// Moves with every successful write (see [`principal_auth`]).
    auth_generation: Arc<AtomicU64>,
    /// Runs custom authorizers' functions (TestInvokeAuthorizer), when the host can.
    authorizer_functions: Option<custom_auth::SharedAuthorizerFunctions>,
    /// Sends topic rule destinations' confirmation requests, when the host can.
    confirmations: Option<destinations::Confirmations>,
    /// Told after every committed write (shared by every clone; set once by the host).
    listener: Arc<std::sync::OnceLock<Arc<dyn RegistryListener>>>,
}

/// Told after every committed registry write, and awaited before the operation answers: how a
/// host makes a change apply to the very next message (`thingcore serve` reloads its rules
/// engine and re-authenticates live connections at once instead of on its next poll).
#[async_trait::async_trait]
pub trait RegistryListener: Send + Sync {
    /// The registry changed.
    async fn changed(&self);
}

impl std::fmt::Debug for RegistryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A new resource id (thingId, thingTypeId, thingGroupId): a UUID, as AWS makes them.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new generationId: changes with every write of a certificate or policy.
pub(crate) fn generation_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl RegistryService {
    /// A registry over `store`, timed by `clock`, set up by `config`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: RegistryConfig) -> Self {
        Self {
            store,
            clock,
            config: Arc::new(config),
            ca: Arc::new(Mutex::new(None)),
            auth_generation: Arc::new(AtomicU64::new(0)),
            authorizer_functions: None,
            confirmations: None,
            listener: Arc::new(std::sync::OnceLock::new()),
        }
    }

    /// Tells `listener` about every committed write from now on, through this registry and
    /// every clone of it. Only the first listener set is kept; `false` if one was set before.
    pub fn set_listener(&self, listener: Arc<dyn RegistryListener>) -> bool {
        self.listener.set(listener).is_ok()
    }

    /// Tells the listener, if any, that a write committed.
    pub(crate) async fn notify_changed(&self) {
        if let Some(listener) = self.listener.get() {
            listener.changed().await;
        }
    }

    /// Runs custom authorizers' functions with `functions` (TestInvokeAuthorizer).
    pub fn with_authorizer_functions(
        mut self,
        functions: custom_auth::SharedAuthorizerFunctions,
    ) -> Self {
        self.authorizer_functions = Some(functions);
        self
    }

    /// How the registry is set up.
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// The clock's seconds since the epoch.
    pub fn now_secs(&self) -> u64 {
        self.clock.now_secs()
    }

    /// The local CA's certificate (PEM), creating the CA on first use: what devices trust for
    /// certificates from CreateKeysAndCertificate and CreateCertificateFromCsr.
    ///
    /// # Errors
    /// [`ServiceError`] when the Store or the CA fails.
    pub async fn ca_certificate_pem(&self) -> Result<String, ServiceError> {
        Ok(self.local_ca().await?.certificate().pem.clone())
    }

    /// A TLS server certificate for `hostnames` (DNS names or IP addresses) from the local CA,
    /// with a new key: `(certificate PEM, private key PEM)`.
    ///
    /// # Errors
    /// [`ServiceError`] when the Store or the CA fails.
    pub async fn issue_server_certificate(
        &self,
        hostnames: &[String],
    ) -> Result<(String, String), ServiceError> {
        self.local_ca()
            .await?
            .issue_server_certificate(hostnames, self.now_secs())
            .map_err(ServiceError::Ca)
    }

    /// Notes a registry write: cached authorizations must be checked again.
    pub(crate) fn bump_auth_generation(&self) {
        self.auth_generation.fetch_add(1, Ordering::Relaxed);
    }

    fn cached_ca(&self) -> Option<Arc<LocalCa>> {
        self.ca
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The local CA: from the cache, else from the Store, else made and stored (on condition
    /// that no other host stored one first; if one did, that one is used).
    pub(crate) async fn local_ca(&self) -> Result<Arc<LocalCa>, ServiceError> {
        if let Some(ca) = self.cached_ca() {
            return Ok(ca);
        }
        let key = keys::local_ca();
        let mut made = None;
        for _ in 0..repo::MAX_ATTEMPTS {
            if let Some(stored) = self.load::<StoredLocalCa>(key.clone()).await? {
                made = Some(LocalCa::from_stored(&stored.value).map_err(ServiceError::Ca)?);
                break;
            }
            let (ca, stored) = LocalCa::generate(self.now_secs()).map_err(ServiceError::Ca)?;
            if self
                .commit(vec![repo::put(key.clone(), &stored, Expect::Absent)?])
                .await?
            {
                tracing::info!(certificate_id = %ca.certificate().id, "local CA created");
                made = Some(ca);
                break;
            }
        }
        let ca = Arc::new(made.ok_or_else(|| contention("the local CA"))?);
        *self
            .ca
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(ca.clone());
        Ok(ca)
    }

    /// DescribeEndpoint: the configured address for every known endpoint type (`iot:Data`
    /// when none is given).
    ///
    /// # Errors
    /// `InvalidRequestException` for an unknown endpoint type.
    pub fn describe_endpoint(&self, endpoint_type: Option<&str>) -> Result<Value, ServiceError> {
        let kind = endpoint_type.unwrap_or("iot:Data");
        if !ENDPOINT_TYPES.contains(&kind) {
            return Err(RegistryError::invalid(format!(
                "Endpoint type {kind} is not one of {}",
                ENDPOINT_TYPES.join(", ")
            ))
            .into());
        }
        Ok(json!({ "endpointAddress": self.config.endpoint_address }))
    }
}

/// The refusal when an operation kept losing races.
pub(crate) fn contention(what: impl Into<String>) -> ServiceError {
    ServiceError::Contention(what.into())
}
