//! MQTT clients through custom authorizers: the [`CustomAuthenticator`].
//!
//! A client asks for custom authentication by its CONNECT username
//! (`name?x-amz-customauthorizer-name=...&{tokenKeyName}=...&x-amz-customauthorizer-signature=...`);
//! on a listener that requires credentials, a client without a certificate that asks for no
//! authorizer goes to the default authorizer when one is set. Everyone else goes to the
//! listener's own authenticator (client certificates), or is let in anonymously on an open
//! listener. The registry decides (`thingcore_registry::custom_auth`); this only translates
//! the CONNECT and the answer.

use super::auth::{
    AuthOutcome, Authenticator, ConnectRequest, Credentials, Refusal, SessionLimits,
};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use thingcore::policy::custom_authorizer::{AuthorizerInput, MqttCustomAuth, MqttInput};
use thingcore_registry::custom_auth::{CustomAuthRequest, SharedAuthorizerFunctions};
use thingcore_registry::RegistryService;

/// Custom authorizers first, then `fallback`.
#[derive(Debug, Clone)]
pub struct CustomAuthenticator {
    registry: RegistryService,
    functions: SharedAuthorizerFunctions,
    /// Who decides for clients that ask for no authorizer; `None`: let them in anonymously.
    fallback: Option<Arc<dyn Authenticator>>,
}

impl CustomAuthenticator {
    /// Custom authorizers run by `functions`, then `fallback` (or anonymous when `None`).
    pub fn new(
        registry: RegistryService,
        functions: SharedAuthorizerFunctions,
        fallback: Option<Arc<dyn Authenticator>>,
    ) -> Self {
        Self {
            registry,
            functions,
            fallback,
        }
    }

    async fn wants_custom(
        &self,
        credentials: &Credentials,
        parsed: Option<&MqttCustomAuth>,
    ) -> bool {
        if parsed.is_some_and(MqttCustomAuth::asks_for_custom_auth) {
            return true;
        }
        // A listener that requires credentials: no certificate → the default authorizer.
        self.fallback.is_some()
            && credentials.client_certificates.is_empty()
            && matches!(self.registry.default_authorizer().await, Ok(Some(_)))
    }
}

#[async_trait]
impl Authenticator for CustomAuthenticator {
    async fn authenticate(
        &self,
        credentials: &Credentials,
        connect: &ConnectRequest,
    ) -> AuthOutcome {
        let parsed = connect.username.as_deref().map(MqttCustomAuth::parse);
        if !self.wants_custom(credentials, parsed.as_ref()).await {
            return match &self.fallback {
                Some(fallback) => fallback.authenticate(credentials, connect).await,
                None => AuthOutcome::Anonymous,
            };
        }
        let parsed = parsed.unwrap_or_default();
        let client_id = Some(connect.client_id.clone()).filter(|c| !c.is_empty());
        let request = CustomAuthRequest {
            authorizer_name: parsed.authorizer_name().map(str::to_string),
            presented: parsed.query.clone(),
            signature: parsed.signature().map(str::to_string),
            input: AuthorizerInput {
                tls: credentials.server_name.is_some(),
                tls_server_name: credentials.server_name.clone(),
                mqtt: Some(MqttInput {
                    username: connect.username.clone(),
                    password: connect.password.clone(),
                    client_id: client_id.clone(),
                }),
                ..AuthorizerInput::default()
            },
            client_id,
        };
        match self
            .registry
            .custom_authenticate(self.functions.as_ref(), request)
            .await
        {
            Ok(principal) => AuthOutcome::Accepted {
                principal: principal.decision.principal_id.clone(),
                authorization: credentials.complete(principal.authorization),
                session: Some(SessionLimits {
                    disconnect_after: Duration::from_secs(principal.decision.disconnect_after_secs),
                    refresh_after: Duration::from_secs(principal.decision.refresh_after_secs),
                }),
            },
            Err(error) => AuthOutcome::Refused {
                refusal: if error.is_bad_credentials() {
                    Refusal::BadCredentials
                } else {
                    Refusal::NotAuthorized
                },
                reason: format!("custom authorizer: {error}"),
            },
        }
    }
}
