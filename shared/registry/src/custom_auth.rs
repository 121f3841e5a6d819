//! Custom authentication: a client's token through its custom authorizer, and
//! TestInvokeAuthorizer.
//!
//! The steps are AWS IoT's: find the authorizer (named by the client, else the default); refuse
//! it if INACTIVE; take the token from where the authorizer's token key name says; when signing
//! is enabled, require the token and its signature and verify the signature (RSA SHA-256,
//! base64) with one of the authorizer's `tokenSigningPublicKeys`; invoke the function with
//! AWS IoT's event (at most [`AUTHORIZER_TIMEOUT`]); check its answer
//! ([`AuthorizerDecision::from_response`]) and build the principal's [`Authorization`] from the
//! policy documents it returned.
//!
//! Who runs the function is a port, [`AuthorizerFunctions`]: `thingcore serve` runs the
//! ready-made JWT authorizer in process or calls a Lambda Invoke API endpoint.

use super::error::ServiceError;
use super::RegistryService;
use async_trait::async_trait;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use thingcore::policy::custom_authorizer::{
    authorizer_event, AuthorizerAnswerError, AuthorizerDecision, AuthorizerInput, HttpInput,
    MqttInput,
};
use thingcore::policy::{AuthContext, Authorization, Principal};
use thingcore::registry::{AuthorizerStatus, RegistryError, StoredAuthorizer};
use x509_parser::der_parser::asn1_rs::BitString;
use x509_parser::oid_registry::OID_PKCS1_SHA256WITHRSA;
use x509_parser::prelude::{AlgorithmIdentifier, FromDer, SubjectPublicKeyInfo};

/// AWS IoT's limit on an authorizer function's run.
pub const AUTHORIZER_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs authorizer functions.
#[async_trait]
pub trait AuthorizerFunctions: Send + Sync + std::fmt::Debug {
    /// Invokes the function `function_arn` with `event` and returns its answer.
    ///
    /// # Errors
    /// Why the function could not be run or did not answer (for the log).
    async fn invoke(&self, function_arn: &str, event: Value) -> Result<Value, String>;
}

/// Authorizer functions on Lambda (or whatever `AWS_ENDPOINT_URL_LAMBDA` names): synchronous
/// Invoke.
#[async_trait]
impl AuthorizerFunctions for thingcore_aws::lambda::LambdaInvoker {
    async fn invoke(&self, function_arn: &str, event: Value) -> Result<Value, String> {
        self.invoke_json(function_arn, &event)
            .await
            .map_err(|e| e.to_string())
    }
}

/// What a client presented for custom authentication.
#[derive(Debug, Clone, Default)]
pub struct CustomAuthRequest {
    /// The authorizer the client named; the default authorizer when `None`.
    pub authorizer_name: Option<String>,
    /// Where the token key name is looked up: the MQTT username's query parameters, or the
    /// HTTP request's headers and query parameters.
    pub presented: Vec<(String, String)>,
    /// `x-amz-customauthorizer-signature`, when sent.
    pub signature: Option<String>,
    /// The rest of the event (protocol data); its token fields are filled in here.
    pub input: AuthorizerInput,
    /// The MQTT client id, for `${iot:ClientId}`.
    pub client_id: Option<String>,
}

/// Why custom authentication failed.
#[derive(Debug, thiserror::Error)]
pub enum CustomAuthError {
    /// The client named no authorizer and no default is set.
    #[error("no authorizer named and no default authorizer set")]
    NoAuthorizer,
    /// The named authorizer does not exist.
    #[error("authorizer {0} does not exist")]
    UnknownAuthorizer(String),
    /// The authorizer is INACTIVE.
    #[error("authorizer {0} is inactive")]
    Inactive(String),
    /// Signing is enabled and no token was found under the token key name.
    #[error("no token under the token key name {0:?}")]
    MissingToken(Option<String>),
    /// Signing is enabled and no signature was sent.
    #[error("no token signature (x-amz-customauthorizer-signature)")]
    MissingSignature,
    /// The signature does not verify with any of the authorizer's keys.
    #[error("the token signature does not verify")]
    BadSignature,
    /// The function could not be run, failed or timed out.
    #[error("the authorizer function failed: {0}")]
    Function(String),
    /// The function refused or answered badly.
    #[error(transparent)]
    Answer(#[from] AuthorizerAnswerError),
    /// The registry failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl CustomAuthError {
    /// Whether the client's credentials were refused (CONNACK 0x86 / HTTP 401), rather than the
    /// core or the function failing (CONNACK 0x87 / HTTP 403 or 5xx).
    pub fn is_bad_credentials(&self) -> bool {
        matches!(
            self,
            CustomAuthError::MissingToken(_)
                | CustomAuthError::MissingSignature
                | CustomAuthError::BadSignature
                | CustomAuthError::Answer(AuthorizerAnswerError::NotAuthenticated)
        )
    }
}

/// A principal a custom authorizer accepted.
#[derive(Debug, Clone)]
pub struct CustomPrincipal {
    /// The authorizer's name.
    pub authorizer_name: String,
    /// What the function granted.
    pub decision: AuthorizerDecision,
    /// The principal's rights.
    pub authorization: Authorization,
}

/// Verifies `signature` (base64) over `token` with one of `keys` (PEM public keys).
fn signature_verifies(token: &str, signature: &str, keys: &[&str]) -> bool {
    let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let algorithm = AlgorithmIdentifier::new(OID_PKCS1_SHA256WITHRSA, None);
    let bits = BitString::new(0, &signature);
    keys.iter().any(|pem| {
        let Ok((_, pem)) = x509_parser::pem::parse_x509_pem(pem.as_bytes()) else {
            return false;
        };
        let Ok((_, key)) = SubjectPublicKeyInfo::from_der(&pem.contents) else {
            return false;
        };
        x509_parser::verify::verify_signature(&key, &algorithm, &bits, token.as_bytes()).is_ok()
    })
}

impl RegistryService {
    /// The authorizer a client names, or the default.
    async fn authorizer_for(
        &self,
        name: Option<&str>,
    ) -> Result<StoredAuthorizer, CustomAuthError> {
        let found = match name {
            Some(name) => self
                .authorizer(name)
                .await
                .map_err(|_| CustomAuthError::UnknownAuthorizer(name.to_string()))?
                .ok_or_else(|| CustomAuthError::UnknownAuthorizer(name.to_string()))?,
            None => self
                .default_authorizer()
                .await?
                .ok_or(CustomAuthError::NoAuthorizer)?,
        };
        if found.status != AuthorizerStatus::Active {
            return Err(CustomAuthError::Inactive(found.name.as_str().to_string()));
        }
        Ok(found)
    }

    /// Authenticates a client through a custom authorizer run by `functions`.
    ///
    /// # Errors
    /// [`CustomAuthError`], with the reason to log.
    pub async fn custom_authenticate(
        &self,
        functions: &dyn AuthorizerFunctions,
        request: CustomAuthRequest,
    ) -> Result<CustomPrincipal, CustomAuthError> {
        let authorizer = self
            .authorizer_for(request.authorizer_name.as_deref())
            .await?;
        let token = authorizer.token_key_name.as_deref().and_then(|key| {
            request
                .presented
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
        });
        let decision = self
            .invoke_authorizer(
                functions,
                &authorizer,
                token,
                request.signature.as_deref(),
                request.input,
            )
            .await?;
        let mut context = AuthContext::new(
            Principal::CustomAuthorizer {
                principal_id: decision.principal_id.clone(),
            },
            self.config.region.clone(),
            self.config.account_id.clone(),
            i64::try_from(self.now_secs()).unwrap_or(i64::MAX),
        );
        context.client_id = request.client_id.filter(|c| !c.is_empty());
        let authorization = Authorization::new(&decision.policies, context);
        Ok(CustomPrincipal {
            authorizer_name: authorizer.name.as_str().to_string(),
            decision,
            authorization,
        })
    }

    /// Checks the token's signature as the authorizer requires, invokes its function and checks
    /// the answer.
    async fn invoke_authorizer(
        &self,
        functions: &dyn AuthorizerFunctions,
        authorizer: &StoredAuthorizer,
        token: Option<String>,
        signature: Option<&str>,
        mut input: AuthorizerInput,
    ) -> Result<AuthorizerDecision, CustomAuthError> {
        input.signature_verified = false;
        if !authorizer.signing_disabled {
            let token = token
                .as_deref()
                .ok_or_else(|| CustomAuthError::MissingToken(authorizer.token_key_name.clone()))?;
            let signature = signature.ok_or(CustomAuthError::MissingSignature)?;
            let keys: Vec<&str> = authorizer
                .token_signing_public_keys
                .values()
                .map(String::as_str)
                .collect();
            if !signature_verifies(token, signature, &keys) {
                return Err(CustomAuthError::BadSignature);
            }
            input.signature_verified = true;
        }
        input.token = token;
        if input.connection_id.is_empty() {
            input.connection_id = uuid::Uuid::new_v4().to_string();
        }
        let event = authorizer_event(&input);
        let answer = tokio::time::timeout(
            AUTHORIZER_TIMEOUT,
            functions.invoke(&authorizer.function_arn, event),
        )
        .await
        .map_err(|_| CustomAuthError::Function("timed out after 5 seconds".into()))?
        .map_err(CustomAuthError::Function)?;
        Ok(AuthorizerDecision::from_response(&answer)?)
    }

    /// TestInvokeAuthorizer: runs the authorizer `name` on a test request.
    ///
    /// # Errors
    /// `ResourceNotFoundException`, `InvalidRequestException` (inactive authorizer, missing
    /// token), `UnauthorizedException` (bad signature), `InvalidResponseException` (the
    /// function's answer), `InternalFailureException` (no [`AuthorizerFunctions`] configured,
    /// see [`RegistryService::with_authorizer_functions`]).
    pub async fn test_invoke_authorizer(
        &self,
        name: &str,
        request: TestInvokeAuthorizerRequest,
    ) -> Result<Value, ServiceError> {
        let authorizer = self
            .authorizer(name)
            .await?
            .ok_or_else(|| RegistryError::not_found(format!("Authorizer {name} does not exist")))?;
        if authorizer.status != AuthorizerStatus::Active {
            return Err(RegistryError::invalid(format!("Authorizer {name} is INACTIVE")).into());
        }
        let functions = self.authorizer_functions.clone().ok_or_else(|| {
            RegistryError::InternalFailure(
                "This registry has no way to invoke authorizer functions configured".into(),
            )
        })?;
        let mut input = AuthorizerInput::default();
        if let Some(tls) = request.tls_context {
            input.tls = true;
            input.tls_server_name = tls.server_name;
        }
        if let Some(mqtt) = request.mqtt_context {
            let password = match mqtt.password {
                Some(text) => Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|_| {
                            RegistryError::invalid("mqttContext.password is not base64")
                        })?,
                ),
                None => None,
            };
            input.mqtt = Some(MqttInput {
                username: mqtt.username,
                password,
                client_id: mqtt.client_id,
            });
        }
        if let Some(http) = request.http_context {
            input.http = Some(HttpInput {
                headers: http.headers.into_iter().collect(),
                query_string: http.query_string.unwrap_or_default(),
            });
        }
        let outcome = self
            .invoke_authorizer(
                functions.as_ref(),
                &authorizer,
                request.token,
                request.token_signature.as_deref(),
                input,
            )
            .await;
        match outcome {
            Ok(decision) => Ok(json!({
                "isAuthenticated": true,
                "principalId": decision.principal_id,
                "policyDocuments": decision.policy_texts,
                "refreshAfterInSeconds": decision.refresh_after_secs,
                "disconnectAfterInSeconds": decision.disconnect_after_secs,
            })),
            Err(CustomAuthError::Answer(AuthorizerAnswerError::NotAuthenticated)) => {
                Ok(json!({"isAuthenticated": false, "policyDocuments": []}))
            }
            Err(CustomAuthError::MissingToken(_) | CustomAuthError::MissingSignature) => {
                Err(RegistryError::invalid(
                    "This authorizer has signing enabled: token and tokenSignature are required",
                )
                .into())
            }
            Err(CustomAuthError::BadSignature) => {
                Err(RegistryError::Unauthorized("The token signature is not valid".into()).into())
            }
            Err(CustomAuthError::Answer(error)) => {
                Err(RegistryError::InvalidResponse(error.to_string()).into())
            }
            Err(CustomAuthError::Function(error)) => Err(RegistryError::InvalidResponse(format!(
                "The authorizer function failed: {error}"
            ))
            .into()),
            Err(CustomAuthError::Service(error)) => Err(error),
            Err(other) => Err(RegistryError::invalid(other.to_string()).into()),
        }
    }
}

/// The body of TestInvokeAuthorizer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestInvokeAuthorizerRequest {
    /// `token`.
    pub token: Option<String>,
    /// `tokenSignature` (base64).
    pub token_signature: Option<String>,
    /// `httpContext`.
    pub http_context: Option<TestHttpContext>,
    /// `mqttContext`.
    pub mqtt_context: Option<TestMqttContext>,
    /// `tlsContext`.
    pub tls_context: Option<TestTlsContext>,
}

/// `httpContext`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestHttpContext {
    /// `headers`.
    #[serde(default)]
    pub headers: HashMap<String, String>,
    /// `queryString`.
    pub query_string: Option<String>,
}

/// `mqttContext`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestMqttContext {
    /// `username`.
    pub username: Option<String>,
    /// `password` (a blob: base64 on the wire).
    pub password: Option<String>,
    /// `clientId`.
    pub client_id: Option<String>,
}

/// `tlsContext`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestTlsContext {
    /// `serverName`.
    pub server_name: Option<String>,
}

/// An [`AuthorizerFunctions`] shared between the doors.
pub type SharedAuthorizerFunctions = Arc<dyn AuthorizerFunctions>;
