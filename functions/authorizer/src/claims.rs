//! What a valid token may do: its claims as an AWS IoT policy and a principal.
//!
//! - `sub` is required; it is the principal (`principalId` keeps its ASCII letters and digits,
//!   as the model's `[a-zA-Z0-9]+` wants) and the name the default policy is about. A `sub`
//!   with policy wildcards or variables (`*`, `?`, `$`, `{`, `}`) is refused.
//! - `iot_policy` (a policy document, as an object or a string) replaces the default policy;
//!   it must parse as `thingcore::policy` parses policies.
//! - The default policy: connect as client `sub`; publish and receive on `{sub}/*` and on its
//!   thing's shadow topics; subscribe to the same filters; get, update and delete its shadows.
//! - The session lasts until the token expires, within AWS's bounds for
//!   `disconnectAfterInSeconds` and `refreshAfterInSeconds` (300 s to 24 h).

use crate::error::AuthorizerError;
use serde_json::{json, Value};
use thingcore::policy::PolicyDocument;

/// Shortest `disconnectAfterInSeconds` / `refreshAfterInSeconds` AWS IoT accepts.
pub const MIN_SESSION_SECS: u64 = 300;
/// Longest.
pub const MAX_SESSION_SECS: u64 = 86_400;

/// What the authorizer grants a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// `principalId`.
    pub principal_id: String,
    /// The token's `sub`.
    pub subject: String,
    /// The policy documents, as JSON text.
    pub policy_documents: Vec<String>,
    /// Seconds until the connection is closed (the token's remaining life, bounded).
    pub session_secs: u64,
}

/// The default policy of `sub`.
pub fn device_policy(sub: &str) -> Value {
    let arn = |kind: &str, rest: &str| format!("arn:aws:iot:*:*:{kind}/{rest}");
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": arn("client", sub)},
            {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
             "Resource": [arn("topic", &format!("{sub}/*")),
                          arn("topic", &format!("$aws/things/{sub}/shadow/*"))]},
            {"Effect": "Allow", "Action": "iot:Subscribe",
             "Resource": [arn("topicfilter", &format!("{sub}/*")),
                          arn("topicfilter", &format!("$aws/things/{sub}/shadow/*"))]},
            {"Effect": "Allow",
             "Action": ["iot:GetThingShadow", "iot:UpdateThingShadow", "iot:DeleteThingShadow"],
             "Resource": [arn("thing", sub), arn("thing", &format!("{sub}/*"))]}
        ]
    })
}

/// The grant for valid `claims` at `now_secs`.
///
/// # Errors
/// [`AuthorizerError::BadClaims`] without a usable `sub` or with an `iot_policy` that does not
/// parse.
pub fn grant(claims: &Value, now_secs: u64) -> Result<Grant, AuthorizerError> {
    let bad = |why: &str| AuthorizerError::BadClaims(why.to_owned());
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .ok_or_else(|| bad("sub must be a string of 1 to 128 characters"))?;
    if sub.contains(['*', '?', '$', '{', '}']) {
        return Err(bad("sub must not contain *, ?, $, { or }"));
    }
    let principal_id: String = sub.chars().filter(char::is_ascii_alphanumeric).collect();
    if principal_id.is_empty() {
        return Err(bad("sub needs at least one letter or digit"));
    }
    let policy = match claims.get("iot_policy") {
        None | Some(Value::Null) => device_policy(sub).to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    PolicyDocument::parse(&policy)
        .map_err(|e| AuthorizerError::BadClaims(format!("iot_policy: {e}")))?;
    let remaining = claims
        .get("exp")
        .and_then(Value::as_u64)
        .map_or(MAX_SESSION_SECS, |exp| exp.saturating_sub(now_secs));
    Ok(Grant {
        principal_id,
        subject: sub.to_owned(),
        policy_documents: vec![policy],
        session_secs: remaining.clamp(MIN_SESSION_SECS, MAX_SESSION_SECS),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use thingcore::policy::{AuthContext, Authorization, IotAction, Principal};

    fn authorization(grant: &Grant, client_id: &str) -> Authorization {
        let documents: Vec<PolicyDocument> = grant
            .policy_documents
            .iter()
            .map(|d| PolicyDocument::parse(d).expect("parses"))
            .collect();
        let mut context = AuthContext::new(
            Principal::CustomAuthorizer {
                principal_id: grant.principal_id.clone(),
            },
            "us-east-1",
            "000000000000",
            0,
        );
        context.client_id = Some(client_id.to_owned());
        Authorization::new(&documents, context)
    }

    #[test]
    fn the_default_policy_confines_a_device_to_its_own_topics_and_shadow() {
        let grant = grant(&json!({"sub": "sensor-1", "exp": 1000}), 0).expect("grant");
        assert_eq!(grant.principal_id, "sensor1");
        assert_eq!(grant.session_secs, 1000);
        let auth = authorization(&grant, "sensor-1");
        assert!(auth.allows(IotAction::Connect, "sensor-1"));
        assert!(!auth.allows(IotAction::Connect, "sensor-2"));
        assert!(auth.allows(IotAction::Publish, "sensor-1/temp"));
        assert!(!auth.allows(IotAction::Publish, "sensor-2/temp"));
        assert!(auth.allows(IotAction::Subscribe, "sensor-1/#"));
        assert!(auth.allows(IotAction::Publish, "$aws/things/sensor-1/shadow/update"));
        assert!(auth
            .decide_shadow(IotAction::UpdateThingShadow, "sensor-1", None)
            .is_allowed());
    }

    #[test]
    fn an_iot_policy_claim_replaces_the_default() {
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]});
        let grant = grant(&json!({"sub": "admin", "iot_policy": policy}), 0).expect("grant");
        assert!(authorization(&grant, "anyone").allows(IotAction::Publish, "any/topic"));
        assert_eq!(grant.session_secs, MAX_SESSION_SECS);
    }

    #[test]
    fn unusable_claims_are_refused() {
        for claims in [
            json!({}),
            json!({"sub": ""}),
            json!({"sub": "a*"}),
            json!({"sub": "${iot:ClientId}"}),
            json!({"sub": "--"}),
            json!({"sub": "a", "iot_policy": {"Statement": []}}),
        ] {
            assert!(
                matches!(grant(&claims, 0), Err(AuthorizerError::BadClaims(_))),
                "{claims}"
            );
        }
    }

    #[test]
    fn sessions_stay_within_aws_bounds() {
        let short = grant(&json!({"sub": "a", "exp": 10}), 0).expect("grant");
        assert_eq!(short.session_secs, MIN_SESSION_SECS);
    }
}
