//! The AWS IoT custom authorizer contract.
//!
//! AWS IoT sends `{"token", "signatureVerified", "protocols", "protocolData": {"tls":
//! {"serverName"}, "http": {"headers", "queryString"}, "mqtt": {"username", "password"
//! (base64), "clientId"}}, "connectionMetadata": {"id"}}` and expects `{"isAuthenticated",
//! "principalId", "disconnectAfterInSeconds", "refreshAfterInSeconds", "policyDocuments"}`.
//!
//! The token is `token` when the authorizer has a token key name; otherwise the MQTT password,
//! or an `Authorization: Bearer` header, or a `token` query parameter. A missing or invalid
//! token is answered with `isAuthenticated: false` (and logged), never with an error.

use crate::claims::{self, MIN_SESSION_SECS};
use crate::error::AuthorizerError;
use crate::jwt::Validator;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What AWS IoT sends.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IotAuthorizerRequest {
    /// The token from the token key name's header, query parameter or username part.
    pub token: Option<String>,
    /// Whether AWS IoT verified the token signature with `tokenSigningPublicKeys`.
    pub signature_verified: Option<bool>,
    /// `tls`, `http`, `mqtt`.
    #[serde(default)]
    pub protocols: Vec<String>,
    /// Per-protocol data.
    pub protocol_data: Option<ProtocolData>,
}

/// `protocolData`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolData {
    /// `http`.
    pub http: Option<HttpData>,
    /// `mqtt`.
    pub mqtt: Option<MqttData>,
}

/// `protocolData.http`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpData {
    /// Request headers.
    #[serde(default)]
    pub headers: HashMap<String, String>,
    /// The raw query string.
    pub query_string: Option<String>,
}

/// `protocolData.mqtt`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MqttData {
    /// The CONNECT username.
    pub username: Option<String>,
    /// The CONNECT password, base64.
    pub password: Option<String>,
    /// The client id.
    pub client_id: Option<String>,
}

/// What the authorizer answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IotAuthorizerResponse {
    /// Whether the client is authenticated.
    pub is_authenticated: bool,
    /// The principal.
    pub principal_id: String,
    /// Seconds until the connection is closed.
    pub disconnect_after_in_seconds: u64,
    /// Seconds until the policies are asked for again.
    pub refresh_after_in_seconds: u64,
    /// Policy documents as JSON text.
    pub policy_documents: Vec<String>,
}

impl IotAuthorizerResponse {
    /// The answer for a refused client.
    pub fn denied() -> Self {
        Self {
            is_authenticated: false,
            principal_id: "unauthenticated".into(),
            disconnect_after_in_seconds: MIN_SESSION_SECS,
            refresh_after_in_seconds: MIN_SESSION_SECS,
            policy_documents: Vec::new(),
        }
    }
}

fn bearer(value: &str) -> &str {
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(value)
        .trim()
}

/// The token a request carries, by the rules in the module documentation.
///
/// # Errors
/// [`AuthorizerError::MissingToken`].
pub fn token_of(request: &IotAuthorizerRequest) -> Result<String, AuthorizerError> {
    if let Some(token) = request.token.as_deref().filter(|t| !t.is_empty()) {
        return Ok(token.to_owned());
    }
    let data = request.protocol_data.as_ref();
    if let Some(password) = data
        .and_then(|d| d.mqtt.as_ref())
        .and_then(|m| m.password.as_deref())
    {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(password)
            .map_err(|_| AuthorizerError::MissingToken)?;
        let text = String::from_utf8(bytes).map_err(|_| AuthorizerError::MissingToken)?;
        if !text.is_empty() {
            return Ok(text);
        }
    }
    if let Some(http) = data.and_then(|d| d.http.as_ref()) {
        if let Some((_, value)) = http
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        {
            return Ok(bearer(value).to_owned());
        }
        if let Some(token) = http.query_string.as_deref().and_then(|q| {
            q.trim_start_matches('?')
                .split('&')
                .find_map(|pair| pair.strip_prefix("token="))
        }) {
            return Ok(token.to_owned());
        }
    }
    Err(AuthorizerError::MissingToken)
}

/// Answers one request.
pub fn handle(
    validator: &Validator,
    request: &IotAuthorizerRequest,
    now_secs: u64,
) -> IotAuthorizerResponse {
    let decided = token_of(request)
        .and_then(|token| validator.validate(&token, now_secs))
        .and_then(|claims| claims::grant(&claims, now_secs));
    match decided {
        Ok(grant) => IotAuthorizerResponse {
            is_authenticated: true,
            principal_id: grant.principal_id,
            disconnect_after_in_seconds: grant.session_secs,
            refresh_after_in_seconds: grant.session_secs,
            policy_documents: grant.policy_documents,
        },
        Err(error) => {
            tracing::info!(%error, "custom authorizer refused a client");
            IotAuthorizerResponse::denied()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::ValidatorConfig;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    const NOW: u64 = 1_795_734_000;

    fn validator() -> Validator {
        Validator::new(ValidatorConfig {
            hs256_secret: Some("s3cret".into()),
            ..ValidatorConfig::default()
        })
        .expect("configured")
    }

    fn token(sub: &str) -> String {
        encode(
            &Header::default(),
            &json!({"sub": sub, "exp": NOW + 3600}),
            &EncodingKey::from_secret(b"s3cret"),
        )
        .expect("encodes")
    }

    fn request(event: serde_json::Value) -> IotAuthorizerRequest {
        serde_json::from_value(event).expect("parses")
    }

    #[test]
    fn a_token_in_the_token_field_or_the_mqtt_password_authenticates() {
        let by_field = request(
            json!({"token": token("dev1"), "signatureVerified": true, "protocols": ["mqtt"]}),
        );
        let answer = handle(&validator(), &by_field, NOW);
        assert!(answer.is_authenticated);
        assert_eq!(answer.principal_id, "dev1");
        assert_eq!(answer.disconnect_after_in_seconds, 3600);
        assert_eq!(answer.policy_documents.len(), 1);

        let password = base64::engine::general_purpose::STANDARD.encode(token("dev2"));
        let by_password = request(json!({"protocols": ["mqtt"], "protocolData": {"mqtt": {
            "username": "dev2?x-amz-customauthorizer-name=jwt", "password": password, "clientId": "dev2"}}}));
        assert_eq!(handle(&validator(), &by_password, NOW).principal_id, "dev2");

        let by_header = request(json!({"protocols": ["http"], "protocolData": {"http": {
            "headers": {"Authorization": format!("Bearer {}", token("dev3"))}, "queryString": ""}}}));
        assert_eq!(handle(&validator(), &by_header, NOW).principal_id, "dev3");
    }

    #[test]
    fn missing_or_bad_tokens_are_not_authenticated() {
        for event in [
            json!({"protocols": ["mqtt"]}),
            json!({"token": "garbage"}),
            json!({"protocols": ["mqtt"], "protocolData": {"mqtt": {"password": "%%%"}}}),
        ] {
            let answer = handle(&validator(), &request(event.clone()), NOW);
            assert_eq!(answer, IotAuthorizerResponse::denied(), "{event}");
        }
        let expired = handle(
            &validator(),
            &request(json!({"token": token("d")})),
            NOW + 7200,
        );
        assert!(!expired.is_authenticated);
    }

    #[test]
    fn the_response_has_aws_field_names() {
        let value = serde_json::to_value(IotAuthorizerResponse::denied()).expect("json");
        for field in [
            "isAuthenticated",
            "principalId",
            "disconnectAfterInSeconds",
            "refreshAfterInSeconds",
            "policyDocuments",
        ] {
            assert!(value.get(field).is_some(), "{field}");
        }
    }
}
