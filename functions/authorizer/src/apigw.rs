//! The API Gateway REQUEST authorizer: WebSocket `$connect` (payload 1.0: `type`, `methodArn`,
//! `headers`, `queryStringParameters`) and HTTP APIs (payload 2.0: `version`, `routeArn`,
//! `headers`, `queryStringParameters`), answered with an IAM policy allowing
//! `execute-api:Invoke` on the whole API (so a cached answer serves every route) and the grant
//! in `context` (`sub`, `principalId`, `iotPolicy`, and `disconnectAfterInSeconds`: the token's
//! remaining life, after which the gateway closes the connection).
//!
//! The token is `Authorization: Bearer <jwt>` or, for browsers that cannot set headers on a
//! WebSocket, the `token` query parameter. Without a valid token the handler fails with
//! `Unauthorized`, which API Gateway answers with 401.

use crate::claims;
use crate::error::AuthorizerError;
use crate::jwt::Validator;
use serde_json::{json, Value};

/// Whether `event` is an API Gateway authorizer event.
pub fn is_apigw_event(event: &Value) -> bool {
    event.get("methodArn").is_some()
        || event.get("routeArn").is_some()
        || event.get("type").and_then(Value::as_str) == Some("REQUEST")
}

fn token_of(event: &Value) -> Result<String, AuthorizerError> {
    if let Some(headers) = event.get("headers").and_then(Value::as_object) {
        if let Some(value) = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, v)| v.as_str())
        {
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .unwrap_or(value)
                .trim();
            if !token.is_empty() {
                return Ok(token.to_owned());
            }
        }
    }
    event
        .get("queryStringParameters")
        .and_then(|q| q.get("token"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or(AuthorizerError::MissingToken)
}

/// `arn:aws:execute-api:{region}:{account}:{api}/*` from a method or route ARN.
fn api_wildcard(arn: &str) -> String {
    match arn.split_once('/') {
        Some((api, _)) => format!("{api}/*"),
        None => arn.to_owned(),
    }
}

/// Answers one event.
///
/// # Errors
/// [`AuthorizerError`] for a missing or invalid token or unusable claims (API Gateway: 401),
/// and for an event without `methodArn`/`routeArn`.
pub fn handle(
    validator: &Validator,
    event: &Value,
    now_secs: u64,
) -> Result<Value, AuthorizerError> {
    let arn = event
        .get("routeArn")
        .or_else(|| event.get("methodArn"))
        .and_then(Value::as_str)
        .ok_or_else(|| AuthorizerError::BadEvent("no routeArn or methodArn".into()))?;
    let token = token_of(event)?;
    let claims = validator.validate(&token, now_secs)?;
    let grant = claims::grant(&claims, now_secs)?;
    Ok(json!({
        "principalId": grant.principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Action": "execute-api:Invoke",
                "Effect": "Allow",
                "Resource": api_wildcard(arn),
            }]
        },
        "context": {
            "sub": grant.subject,
            "principalId": grant.principal_id,
            "iotPolicy": grant.policy_documents.first().cloned().unwrap_or_default(),
            "disconnectAfterInSeconds": grant.session_secs,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::ValidatorConfig;
    use jsonwebtoken::{encode, EncodingKey, Header};

    const NOW: u64 = 1_795_734_000;

    fn validator() -> Validator {
        Validator::new(ValidatorConfig {
            hs256_secret: Some("s3cret".into()),
            ..ValidatorConfig::default()
        })
        .expect("configured")
    }

    fn token() -> String {
        encode(
            &Header::default(),
            &json!({"sub": "user-1", "exp": NOW + 60}),
            &EncodingKey::from_secret(b"s3cret"),
        )
        .expect("encodes")
    }

    fn sample(name: &str) -> Value {
        let path = format!(
            "{}/../../events/authorizer/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("sample event");
        serde_json::from_str(&text).expect("sample parses")
    }

    #[test]
    fn an_http_api_v2_event_with_a_bearer_token_is_allowed_on_the_api() {
        let mut event = sample("http-api-v2.json");
        event["headers"]["authorization"] = json!(format!("Bearer {}", token()));
        assert!(is_apigw_event(&event));
        let answer = handle(&validator(), &event, NOW).expect("allowed");
        assert_eq!(answer["principalId"], "user1");
        assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Allow");
        assert_eq!(
            answer["policyDocument"]["Statement"][0]["Resource"],
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/*"
        );
        assert_eq!(answer["context"]["sub"], "user-1");
        assert!(answer["context"]["disconnectAfterInSeconds"].as_u64() > Some(0));
    }

    #[test]
    fn a_websocket_connect_event_takes_the_token_from_the_query() {
        let mut event = sample("websocket-connect.json");
        event["queryStringParameters"]["token"] = json!(token());
        let answer = handle(&validator(), &event, NOW).expect("allowed");
        assert_eq!(
            answer["policyDocument"]["Statement"][0]["Resource"],
            "arn:aws:execute-api:us-east-1:123456789012:wsapi123/*"
        );
    }

    #[test]
    fn no_token_or_a_bad_one_is_unauthorized() {
        let event = sample("http-api-v2.json");
        assert_eq!(
            handle(&validator(), &event, NOW),
            Err(AuthorizerError::MissingToken)
        );
        let mut bad = sample("websocket-connect.json");
        bad["queryStringParameters"]["token"] = json!("nope");
        assert!(matches!(
            handle(&validator(), &bad, NOW),
            Err(AuthorizerError::InvalidToken(_))
        ));
    }
}
