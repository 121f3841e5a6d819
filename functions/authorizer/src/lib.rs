//! # authorizer — a ready-made custom authorizer
//!
//! One handler, two contracts, two hosts (Lambda through `main.rs`, `thingcore serve` in
//! process):
//!
//! - [`jwt`]: [`Validator`] checks a JWT — HS256 with a shared secret, RS256/ES256 with the keys
//!   of a JWKS document — its expiry and not-before (60 s leeway), and optionally its issuer and
//!   audience, and returns its claims.
//! - [`claims`]: what a valid token may do, as an AWS IoT policy: an `iot_policy` claim (a
//!   policy document) when the token carries one, else the device policy of its `sub`
//!   (connect as `sub`, publish/receive `topic/{sub}/*`, subscribe `topicfilter/{sub}/*`,
//!   its own shadows).
//! - [`iot`]: the AWS IoT custom authorizer contract (`token`, `signatureVerified`,
//!   `protocols`, `protocolData` → `isAuthenticated`, `principalId`, `policyDocuments`,
//!   `disconnectAfterInSeconds`, `refreshAfterInSeconds`).
//! - [`apigw`]: the API Gateway REQUEST authorizer (payload 1.0 and 2.0, WebSocket `$connect`
//!   and HTTP API) answering with an IAM policy for `execute-api:Invoke`.
//! - [`error`]: the error type, [`AuthorizerError`].

pub mod apigw;
pub mod claims;
pub mod error;
pub mod iot;
pub mod jwt;

pub use error::AuthorizerError;
pub use jwt::{Validator, ValidatorConfig};

/// Handles either event: API Gateway authorizer events (they carry `type` or `routeArn` /
/// `methodArn`) get an IAM policy, anything else is an IoT custom authorizer request.
///
/// # Errors
/// `Unauthorized` for API Gateway events without a valid token (API Gateway answers 401);
/// an event that is neither contract.
pub fn handle(
    validator: &Validator,
    event: serde_json::Value,
    now_secs: u64,
) -> Result<serde_json::Value, AuthorizerError> {
    if apigw::is_apigw_event(&event) {
        apigw::handle(validator, &event, now_secs)
    } else {
        let request: iot::IotAuthorizerRequest =
            serde_json::from_value(event).map_err(|e| AuthorizerError::BadEvent(e.to_string()))?;
        let response = iot::handle(validator, &request, now_secs);
        serde_json::to_value(response).map_err(|e| AuthorizerError::BadEvent(e.to_string()))
    }
}
