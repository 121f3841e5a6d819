//! Custom authorizers, the pure part: what a client sends, what the authorizer function is
//! asked, and what its answer means.
//!
//! - [`MqttCustomAuth::parse`] reads an MQTT CONNECT username of the form
//!   `name?x-amz-customauthorizer-name=a&tokenKey=t&x-amz-customauthorizer-signature=s`
//!   (every part optional; values percent-decoded).
//! - [`authorizer_event`] builds the event AWS IoT sends the function (`token`,
//!   `signatureVerified`, `protocols`, `protocolData`, `connectionMetadata`).
//! - [`AuthorizerDecision::from_response`] checks the function's answer as AWS IoT does
//!   (`isAuthenticated`, a `principalId` of 1 to 128 letters and digits, at most 10 policy
//!   documents that parse, `disconnectAfterInSeconds` and `refreshAfterInSeconds` between 300
//!   and 86,400) and returns the principal and its policies, or why it is refused.

use crate::policy::{PolicyDocument, PolicyError};
use base64::Engine;
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};
use thiserror::Error;

/// The username query parameter naming the authorizer.
pub const AUTHORIZER_NAME_PARAM: &str = "x-amz-customauthorizer-name";
/// The username query parameter (or HTTP header) carrying the token signature.
pub const SIGNATURE_PARAM: &str = "x-amz-customauthorizer-signature";
/// The fewest seconds an authorizer may grant (`disconnectAfterInSeconds`,
/// `refreshAfterInSeconds`).
pub const MIN_SESSION_SECS: u64 = 300;
/// The most seconds an authorizer may grant.
pub const MAX_SESSION_SECS: u64 = 86_400;
/// The most policy documents an authorizer may return.
pub const MAX_POLICY_DOCUMENTS: usize = 10;

/// The custom authorizer parts of an MQTT CONNECT username.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MqttCustomAuth {
    /// The username before `?` (what the device calls its user name).
    pub username: String,
    /// The query parameters after `?`, decoded, in order.
    pub query: Vec<(String, String)>,
}

impl MqttCustomAuth {
    /// Splits `username` at its first `?` and decodes the query after it.
    pub fn parse(username: &str) -> Self {
        let (name, query) = username.split_once('?').unwrap_or((username, ""));
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let query = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(key), decode(value))
            })
            .collect();
        Self {
            username: name.to_string(),
            query,
        }
    }

    /// The value of query parameter `key`, if present.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The authorizer the client names (`x-amz-customauthorizer-name`), if any.
    pub fn authorizer_name(&self) -> Option<&str> {
        self.param(AUTHORIZER_NAME_PARAM).filter(|n| !n.is_empty())
    }

    /// The token signature (`x-amz-customauthorizer-signature`), if any.
    pub fn signature(&self) -> Option<&str> {
        self.param(SIGNATURE_PARAM).filter(|s| !s.is_empty())
    }

    /// Whether the username asks for custom authentication at all.
    pub fn asks_for_custom_auth(&self) -> bool {
        self.query
            .iter()
            .any(|(k, _)| k.starts_with("x-amz-customauthorizer-"))
    }
}

/// What a device presented to an authorizer, for its event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizerInput {
    /// The token (the token key name's value), when the authorizer has a token key name.
    pub token: Option<String>,
    /// Whether the core verified the token's signature.
    pub signature_verified: bool,
    /// The TLS server name, when the client came over TLS.
    pub tls_server_name: Option<String>,
    /// Whether the client came over TLS.
    pub tls: bool,
    /// MQTT CONNECT data, for MQTT clients.
    pub mqtt: Option<MqttInput>,
    /// HTTP request data, for HTTP clients.
    pub http: Option<HttpInput>,
    /// An id for this connection, for the function's logs.
    pub connection_id: String,
}

/// The MQTT CONNECT's username, password and client id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MqttInput {
    /// The full username, query included (as AWS IoT passes it).
    pub username: Option<String>,
    /// The password bytes (sent base64-encoded).
    pub password: Option<Vec<u8>>,
    /// The client id, when the client sent one.
    pub client_id: Option<String>,
}

/// An HTTP request's headers and query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpInput {
    /// Header name → value.
    pub headers: Vec<(String, String)>,
    /// The query string, with its leading `?`.
    pub query_string: String,
}

/// The event AWS IoT sends an authorizer function for `input`.
pub fn authorizer_event(input: &AuthorizerInput) -> Value {
    let mut event = Map::new();
    if let Some(token) = &input.token {
        event.insert("token".into(), json!(token));
    }
    event.insert("signatureVerified".into(), json!(input.signature_verified));
    let mut protocols = Vec::new();
    let mut data = Map::new();
    if input.tls {
        protocols.push("tls");
        let mut tls = Map::new();
        if let Some(name) = &input.tls_server_name {
            tls.insert("serverName".into(), json!(name));
        }
        data.insert("tls".into(), Value::Object(tls));
    }
    if let Some(http) = &input.http {
        protocols.push("http");
        let headers: Map<String, Value> = http
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        data.insert(
            "http".into(),
            json!({"headers": headers, "queryString": http.query_string}),
        );
    }
    if let Some(mqtt) = &input.mqtt {
        protocols.push("mqtt");
        let mut m = Map::new();
        if let Some(username) = &mqtt.username {
            m.insert("username".into(), json!(username));
        }
        if let Some(password) = &mqtt.password {
            m.insert(
                "password".into(),
                json!(base64::engine::general_purpose::STANDARD.encode(password)),
            );
        }
        if let Some(client_id) = mqtt.client_id.as_ref().filter(|c| !c.is_empty()) {
            m.insert("clientId".into(), json!(client_id));
        }
        data.insert("mqtt".into(), Value::Object(m));
    }
    event.insert("protocols".into(), json!(protocols));
    event.insert("protocolData".into(), Value::Object(data));
    event.insert(
        "connectionMetadata".into(),
        json!({"id": input.connection_id}),
    );
    Value::Object(event)
}

/// Why an authorizer's answer refuses the client.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AuthorizerAnswerError {
    /// `isAuthenticated` is false (or missing).
    #[error("the authorizer did not authenticate the client")]
    NotAuthenticated,
    /// The answer is not what AWS IoT accepts.
    #[error("the authorizer's answer is invalid: {0}")]
    Invalid(String),
    /// One of its policy documents does not parse.
    #[error("the authorizer's policy document {index} is invalid: {error}")]
    BadPolicy {
        /// Which document (from 0).
        index: usize,
        /// Why.
        error: PolicyError,
    },
}

/// What an authorizer granted.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizerDecision {
    /// `principalId`.
    pub principal_id: String,
    /// The policy documents, parsed.
    pub policies: Vec<PolicyDocument>,
    /// The documents as the function sent them (TestInvokeAuthorizer echoes them).
    pub policy_texts: Vec<String>,
    /// Seconds after which the connection is closed.
    pub disconnect_after_secs: u64,
    /// Seconds after which the function is asked again.
    pub refresh_after_secs: u64,
}

fn seconds(response: &Value, field: &str) -> Result<u64, AuthorizerAnswerError> {
    match response.get(field) {
        None | Some(Value::Null) => Ok(MAX_SESSION_SECS),
        Some(value) => {
            let secs = value.as_u64().ok_or_else(|| {
                AuthorizerAnswerError::Invalid(format!("{field} must be a whole number"))
            })?;
            if (MIN_SESSION_SECS..=MAX_SESSION_SECS).contains(&secs) {
                Ok(secs)
            } else {
                Err(AuthorizerAnswerError::Invalid(format!(
                    "{field} must be between {MIN_SESSION_SECS} and {MAX_SESSION_SECS}, got {secs}"
                )))
            }
        }
    }
}

impl AuthorizerDecision {
    /// Checks an authorizer function's `response`.
    ///
    /// # Errors
    /// [`AuthorizerAnswerError`] when the client is not authenticated or the answer is invalid.
    pub fn from_response(response: &Value) -> Result<Self, AuthorizerAnswerError> {
        if !response.is_object() {
            return Err(AuthorizerAnswerError::Invalid(
                "the answer is not a JSON object".into(),
            ));
        }
        match response.get("isAuthenticated") {
            Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) | None => return Err(AuthorizerAnswerError::NotAuthenticated),
            Some(_) => {
                return Err(AuthorizerAnswerError::Invalid(
                    "isAuthenticated must be a boolean".into(),
                ))
            }
        }
        let principal_id = response
            .get("principalId")
            .and_then(Value::as_str)
            .filter(|p| {
                (1..=128).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric())
            })
            .ok_or_else(|| {
                AuthorizerAnswerError::Invalid(
                    "principalId must be 1 to 128 letters and digits".into(),
                )
            })?
            .to_string();
        let texts: Vec<String> = match response.get("policyDocuments") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.clone()),
                    // Functions often return the object itself; AWS's SDK examples stringify.
                    Value::Object(_) => Ok(item.to_string()),
                    _ => Err(AuthorizerAnswerError::Invalid(
                        "policyDocuments must hold JSON policy documents".into(),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(AuthorizerAnswerError::Invalid(
                    "policyDocuments must be a list".into(),
                ))
            }
        };
        if texts.len() > MAX_POLICY_DOCUMENTS {
            return Err(AuthorizerAnswerError::Invalid(format!(
                "at most {MAX_POLICY_DOCUMENTS} policy documents, got {}",
                texts.len()
            )));
        }
        let policies = texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                PolicyDocument::parse(text)
                    .map_err(|error| AuthorizerAnswerError::BadPolicy { index, error })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            principal_id,
            policies,
            policy_texts: texts,
            disconnect_after_secs: seconds(response, "disconnectAfterInSeconds")?,
            refresh_after_secs: seconds(response, "refreshAfterInSeconds")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}"#;

    #[test]
    fn a_username_with_a_query_names_the_authorizer_token_and_signature() {
        let parsed = MqttCustomAuth::parse(
            "dev?x-amz-customauthorizer-name=my%2Dauth&tok=abc%3D&x-amz-customauthorizer-signature=c2ln%2B",
        );
        assert_eq!(parsed.username, "dev");
        assert_eq!(parsed.authorizer_name(), Some("my-auth"));
        assert_eq!(parsed.param("tok"), Some("abc="));
        assert_eq!(parsed.signature(), Some("c2ln+"));
        assert!(parsed.asks_for_custom_auth());
    }

    #[test]
    fn a_plain_username_asks_for_nothing() {
        let parsed = MqttCustomAuth::parse("alice");
        assert_eq!(parsed.username, "alice");
        assert!(parsed.query.is_empty());
        assert!(!parsed.asks_for_custom_auth());
        assert_eq!(parsed.authorizer_name(), None);
        let empty = MqttCustomAuth::parse("?x-amz-customauthorizer-name=");
        assert_eq!(empty.authorizer_name(), None);
        assert!(empty.asks_for_custom_auth());
    }

    #[test]
    fn the_event_has_aws_iots_shape() {
        let event = authorizer_event(&AuthorizerInput {
            token: Some("t".into()),
            signature_verified: true,
            tls: true,
            tls_server_name: Some("localhost".into()),
            mqtt: Some(MqttInput {
                username: Some("u?x-amz-customauthorizer-name=a".into()),
                password: Some(b"pw".to_vec()),
                client_id: Some("c1".into()),
            }),
            http: None,
            connection_id: "id-1".into(),
        });
        assert_eq!(
            event,
            json!({
                "token": "t",
                "signatureVerified": true,
                "protocols": ["tls", "mqtt"],
                "protocolData": {
                    "tls": {"serverName": "localhost"},
                    "mqtt": {"username": "u?x-amz-customauthorizer-name=a", "password": "cHc=", "clientId": "c1"}
                },
                "connectionMetadata": {"id": "id-1"}
            })
        );
    }

    #[test]
    fn an_http_event_carries_headers_and_query() {
        let event = authorizer_event(&AuthorizerInput {
            http: Some(HttpInput {
                headers: vec![("x-token".into(), "v".into())],
                query_string: "?a=1".into(),
            }),
            connection_id: "c".into(),
            ..AuthorizerInput::default()
        });
        assert_eq!(event["protocols"], json!(["http"]));
        assert_eq!(event["protocolData"]["http"]["headers"]["x-token"], "v");
        assert_eq!(event["protocolData"]["http"]["queryString"], "?a=1");
        assert!(event.get("token").is_none());
    }

    #[test]
    fn an_authenticated_answer_grants_its_policies() {
        let decision = AuthorizerDecision::from_response(&json!({
            "isAuthenticated": true,
            "principalId": "device42",
            "disconnectAfterInSeconds": 3600,
            "refreshAfterInSeconds": 300,
            "policyDocuments": [POLICY, serde_json::from_str::<Value>(POLICY).unwrap()]
        }))
        .expect("accepted");
        assert_eq!(decision.principal_id, "device42");
        assert_eq!(decision.policies.len(), 2);
        assert_eq!(decision.disconnect_after_secs, 3600);
        assert_eq!(decision.refresh_after_secs, 300);
    }

    #[test]
    fn refusals_and_invalid_answers_are_told_apart() {
        let cases = [
            (
                json!({"isAuthenticated": false, "principalId": "x"}),
                "not authenticated",
            ),
            (json!({}), "not authenticated"),
            (json!("yes"), "not a JSON object"),
            (
                json!({"isAuthenticated": "true", "principalId": "x"}),
                "boolean",
            ),
            (json!({"isAuthenticated": true}), "principalId"),
            (
                json!({"isAuthenticated": true, "principalId": "a-b"}),
                "principalId",
            ),
            (
                json!({"isAuthenticated": true, "principalId": "x".repeat(129)}),
                "principalId",
            ),
            (
                json!({"isAuthenticated": true, "principalId": "x", "disconnectAfterInSeconds": 10}),
                "between 300",
            ),
            (
                json!({"isAuthenticated": true, "principalId": "x", "refreshAfterInSeconds": 86_401}),
                "between 300",
            ),
            (
                json!({"isAuthenticated": true, "principalId": "x", "policyDocuments": "p"}),
                "list",
            ),
            (
                json!({"isAuthenticated": true, "principalId": "x", "policyDocuments": [1]}),
                "policy documents",
            ),
            (
                json!({"isAuthenticated": true, "principalId": "x", "policyDocuments": vec![POLICY; 11]}),
                "at most 10",
            ),
            (
                json!({"isAuthenticated": true, "principalId": "x", "policyDocuments": ["{nope"]}),
                "document 0",
            ),
        ];
        for (answer, expected) in cases {
            let error = AuthorizerDecision::from_response(&answer).expect_err("refused");
            let text = error.to_string();
            let text = if matches!(error, AuthorizerAnswerError::NotAuthenticated) {
                "not authenticated".to_string()
            } else {
                text
            };
            assert!(text.contains(expected), "{answer}: {text}");
        }
    }

    #[test]
    fn missing_durations_default_to_the_longest() {
        let decision = AuthorizerDecision::from_response(
            &json!({"isAuthenticated": true, "principalId": "x"}),
        )
        .expect("accepted");
        assert_eq!(decision.disconnect_after_secs, MAX_SESSION_SECS);
        assert!(decision.policies.is_empty());
    }
}
