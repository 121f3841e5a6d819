//! What a gateway connection may do: [`ConnectionRights`], established at `$connect` and kept
//! in the connection's item, so that every later Lambda invocation (a frame, a fan-out to
//! this connection) checks the same policies the broker would.
//!
//! The rights hold the policy documents as text (a custom authorizer's `policyDocuments`, the
//! API Gateway authorizer's `iotPolicy`, a SigV4 identity's policy), the client id the
//! connection acts as (`${iot:ClientId}`), and a custom authorizer's session limits: after
//! `disconnectAt` the connection is closed; after `refreshAt` the host asks the authorizer
//! again, and a refusal closes it. A connection without rights is an open one (the local
//! default, or an API without an authorizer): everything is allowed, as on an open MQTT
//! listener.

use crate::policy::{AuthContext, Authorization, PolicyDocument, PolicyError, Principal};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Who authenticated a gateway connection, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "camelCase")]
pub enum ConnectionPrincipal {
    /// A custom authorizer's (or the API Gateway authorizer's) `principalId`.
    CustomAuthorizer(String),
    /// A SigV4 access key id.
    IamAccessKey(String),
    /// An Amazon Cognito identity id.
    CognitoIdentity(String),
}

impl ConnectionPrincipal {
    /// The principal as policies see it.
    pub fn to_policy_principal(&self) -> Principal {
        match self {
            Self::CustomAuthorizer(id) => Principal::CustomAuthorizer {
                principal_id: id.clone(),
            },
            Self::IamAccessKey(id) => Principal::IamAccessKey {
                access_key_id: id.clone(),
            },
            Self::CognitoIdentity(id) => Principal::CognitoIdentity {
                identity_id: id.clone(),
            },
        }
    }

    /// The principal's id, as logs and lifecycle events name it.
    pub fn id(&self) -> &str {
        match self {
            Self::CustomAuthorizer(id) | Self::IamAccessKey(id) | Self::CognitoIdentity(id) => id,
        }
    }
}

/// What a gateway connection may do, kept with its connection item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRights {
    /// The client id the connection acts as: `${iot:ClientId}` in its policies, and the
    /// resource of `iot:Connect`.
    pub client_id: String,
    /// Who authenticated.
    pub principal: ConnectionPrincipal,
    /// The IoT policy documents in force, as JSON text.
    pub policies: Vec<String>,
    /// Epoch milliseconds after which the connection is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_at: Option<u64>,
    /// Epoch milliseconds after which the authorizer is asked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_at: Option<u64>,
    /// What the host's refresher needs to ask again (the authorizer and the token); opaque
    /// to the gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_with: Option<serde_json::Value>,
}

/// Where the policies are evaluated: the core's region and account, the client's address.
#[derive(Debug, Clone, Copy)]
pub struct RightsContext<'a> {
    /// The core's region.
    pub region: &'a str,
    /// The core's account id.
    pub account_id: &'a str,
    /// The client's address, as the connection item records it.
    pub source_ip: Option<&'a str>,
    /// Now, in epoch milliseconds.
    pub now_millis: u64,
}

impl ConnectionRights {
    /// The compiled [`Authorization`] the doors ask.
    ///
    /// # Errors
    /// [`PolicyError`] when a stored document does not parse (the connection may then do
    /// nothing: hosts refuse with a clear error rather than fall open).
    pub fn authorization(&self, at: RightsContext<'_>) -> Result<Authorization, PolicyError> {
        let documents = self
            .policies
            .iter()
            .map(|text| PolicyDocument::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        let now_secs = i64::try_from(at.now_millis / 1000).unwrap_or(i64::MAX);
        let mut context = AuthContext::new(
            self.principal.to_policy_principal(),
            at.region,
            at.account_id,
            now_secs,
        );
        context.client_id = Some(self.client_id.clone());
        context.source_ip = at.source_ip.and_then(|ip| ip.parse::<IpAddr>().ok());
        Ok(Authorization::new(&documents, context))
    }

    /// Whether the connection's session is over at `now_millis`.
    pub fn expired(&self, now_millis: u64) -> bool {
        self.disconnect_at.is_some_and(|at| now_millis >= at)
    }

    /// Whether the authorizer should be asked again at `now_millis`.
    pub fn refresh_due(&self, now_millis: u64) -> bool {
        self.refresh_at.is_some_and(|at| now_millis >= at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::IotAction;

    const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
         "Resource": "arn:aws:iot:us-east-1:123456789012:topic/dev/${iot:ClientId}/*"},
        {"Effect": "Allow", "Action": "iot:Connect",
         "Resource": "arn:aws:iot:us-east-1:123456789012:client/${iot:ClientId}"},
        {"Effect": "Allow", "Action": "iot:Publish", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
    ]}"#;

    fn rights() -> ConnectionRights {
        ConnectionRights {
            client_id: "d1".into(),
            principal: ConnectionPrincipal::CustomAuthorizer("user1".into()),
            policies: vec![POLICY.into()],
            disconnect_at: Some(10_000),
            refresh_at: Some(5_000),
            refresh_with: None,
        }
    }

    fn at(source_ip: Option<&str>) -> RightsContext<'_> {
        RightsContext {
            region: "us-east-1",
            account_id: "123456789012",
            source_ip,
            now_millis: 1_000,
        }
    }

    #[test]
    fn policies_see_the_client_id_and_the_source_address() {
        let auth = rights().authorization(at(None)).expect("compiles");
        assert!(auth.allows(IotAction::Connect, "d1"));
        assert!(!auth.allows(IotAction::Connect, "d2"));
        assert!(auth.allows(IotAction::Publish, "dev/d1/t"));
        assert!(!auth.allows(IotAction::Publish, "dev/d2/t"));
        let inside = rights()
            .authorization(at(Some("10.1.2.3")))
            .expect("compiles");
        assert!(inside.allows(IotAction::Publish, "dev/d2/t"));
    }

    #[test]
    fn a_document_that_does_not_parse_is_an_error_not_an_open_door() {
        let mut broken = rights();
        broken.policies.push("{not json".into());
        assert!(broken.authorization(at(None)).is_err());
    }

    #[test]
    fn session_limits_are_kept_in_milliseconds() {
        let rights = rights();
        assert!(!rights.refresh_due(4_999));
        assert!(rights.refresh_due(5_000));
        assert!(!rights.expired(9_999));
        assert!(rights.expired(10_000));
    }

    #[test]
    fn stored_form_round_trips() {
        let text = serde_json::to_string(&rights()).expect("serializes");
        assert!(text.contains(r#""principal":{"kind":"customAuthorizer","id":"user1"}"#));
        let back: ConnectionRights = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, rights());
    }
}
