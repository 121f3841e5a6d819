//! Who an MQTT client is and what it may do: the [`Authenticator`] seam.
//!
//! A listener gathers [`Credentials`] (the TLS client certificate chain, the TLS server name,
//! the peer's address); after the client's CONNECT the connection asks its listener's
//! [`Authenticator`] with those and the CONNECT's [`ConnectRequest`] (client id, username,
//! password). The answer is an [`AuthOutcome`]: accepted with an [`Authorization`] the broker
//! enforces at every door, or refused with a CONNACK code.
//!
//! [`RegistryAuthenticator`] is the one `thingcore serve` uses: client certificates against the
//! registry (see `thingcore_registry::principal_auth`). Custom authorizers (username
//! `...?x-amz-customauthorizer-name=...`, password token) plug in here as another
//! [`Authenticator`], or inside this one before the certificate check.
//!
//! The same call runs again when the registry changes (see [`super::revocation`]): a refusal
//! then disconnects the client, an acceptance replaces its rights.

use async_trait::async_trait;
use std::net::IpAddr;
use std::sync::Arc;
use thingcore::mqtt::Connect;
use thingcore::policy::Authorization;
use thingcore_registry::principal_auth::AuthenticationError;
use thingcore_registry::RegistryService;

/// What a listener learned about a client before its CONNECT.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// The TLS client certificate chain (DER, the client's own first); empty without TLS or
    /// when the client sent none.
    pub client_certificates: Vec<Vec<u8>>,
    /// The TLS server name (SNI) the client asked for.
    pub server_name: Option<String>,
    /// The peer's address.
    pub source_ip: Option<IpAddr>,
}

impl Credentials {
    /// `authorization` with what the listener learned (source address, TLS server name) in
    /// its policy context, ready for the broker.
    pub fn complete(&self, mut authorization: Authorization) -> Arc<Authorization> {
        authorization.context.source_ip = self.source_ip;
        authorization.context.domain_name = self.server_name.clone();
        Arc::new(authorization)
    }
}

/// The parts of a CONNECT that identify a client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectRequest {
    /// The client id (as sent; empty if the client asked the server to assign one).
    pub client_id: String,
    /// The username, if any (custom authorizers read their name and token from it).
    pub username: Option<String>,
    /// The password, if any.
    pub password: Option<Vec<u8>>,
}

impl ConnectRequest {
    /// The identifying parts of `connect`.
    pub fn from_connect(connect: &Connect) -> Self {
        Self {
            client_id: connect.client_id.clone(),
            username: connect.username.clone(),
            password: connect.password.as_ref().map(|p| p.to_vec()),
        }
    }
}

/// Why a client is refused, as CONNACK says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Bad or missing credentials: v5 0x86, 3.1.1 return code 4.
    BadCredentials,
    /// Authenticated, or not, but not allowed: v5 0x87, 3.1.1 return code 5.
    NotAuthorized,
}

impl Refusal {
    /// The CONNACK reason code for a client of this version.
    pub fn connack_code(self, v5: bool) -> u8 {
        use thingcore::mqtt::{connack_v3, reason};
        match (self, v5) {
            (Refusal::BadCredentials, true) => reason::BAD_USER_NAME_OR_PASSWORD,
            (Refusal::BadCredentials, false) => connack_v3::BAD_USERNAME_OR_PASSWORD,
            (Refusal::NotAuthorized, true) => reason::NOT_AUTHORIZED,
            (Refusal::NotAuthorized, false) => connack_v3::NOT_AUTHORIZED,
        }
    }
}

/// An authenticator's answer.
#[derive(Debug, Clone)]
pub enum AuthOutcome {
    /// Accepted, with these rights.
    Accepted {
        /// The principal as lifecycle events name it (a certificate id, a custom
        /// authorizer's principalId).
        principal: String,
        /// What the client may do.
        authorization: Arc<Authorization>,
        /// For a custom authorizer's principal: when to disconnect and when to ask again.
        /// `None`: the rights come from the registry and are rechecked when it changes.
        session: Option<SessionLimits>,
    },
    /// Accepted without credentials (an open listener): no rights to enforce.
    Anonymous,
    /// Refused.
    Refused {
        /// The CONNACK code.
        refusal: Refusal,
        /// Why, for the log (never sent to the client).
        reason: String,
    },
}

/// A custom authorizer's `disconnectAfterInSeconds` and `refreshAfterInSeconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// When the connection is closed, from its CONNECT.
    pub disconnect_after: std::time::Duration,
    /// When the authorizer is asked again (a refusal then disconnects).
    pub refresh_after: std::time::Duration,
}

/// Decides who a client is and what it may do. Called once per CONNECT and again whenever the
/// registry changes while the client is connected.
#[async_trait]
pub trait Authenticator: Send + Sync + std::fmt::Debug {
    /// Authenticates a client.
    async fn authenticate(
        &self,
        credentials: &Credentials,
        connect: &ConnectRequest,
    ) -> AuthOutcome;
}

/// Client certificates checked against the registry.
#[derive(Debug, Clone)]
pub struct RegistryAuthenticator {
    registry: RegistryService,
}

impl RegistryAuthenticator {
    /// An authenticator over `registry`.
    pub fn new(registry: RegistryService) -> Self {
        Self { registry }
    }
}

#[async_trait]
impl Authenticator for RegistryAuthenticator {
    async fn authenticate(
        &self,
        credentials: &Credentials,
        connect: &ConnectRequest,
    ) -> AuthOutcome {
        if credentials.client_certificates.is_empty() {
            return AuthOutcome::Refused {
                refusal: Refusal::BadCredentials,
                reason: "no client certificate (and no other credentials this listener accepts)"
                    .into(),
            };
        }
        let client_id = Some(connect.client_id.as_str()).filter(|c| !c.is_empty());
        match self
            .registry
            .authenticate_certificate(&credentials.client_certificates, client_id)
            .await
        {
            Ok(principal) => AuthOutcome::Accepted {
                principal: principal.certificate_id,
                authorization: credentials.complete(principal.authorization),
                session: None,
            },
            Err(AuthenticationError::Registry(error)) => AuthOutcome::Refused {
                refusal: Refusal::NotAuthorized,
                reason: format!("the registry could not authenticate the client: {error}"),
            },
            Err(error) => AuthOutcome::Refused {
                refusal: Refusal::NotAuthorized,
                reason: error.to_string(),
            },
        }
    }
}
