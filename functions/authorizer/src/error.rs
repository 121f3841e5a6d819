//! [`AuthorizerError`]: why a token or an event was refused.

/// Why the authorizer refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizerError {
    /// No token in the request.
    #[error("no token")]
    MissingToken,
    /// The token is not a valid JWT for this authorizer (signature, expiry, issuer, audience,
    /// algorithm, unknown key id).
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The token's claims do not make a policy (no `sub`, a bad `iot_policy`).
    #[error("unusable claims: {0}")]
    BadClaims(String),
    /// The event is neither an IoT custom authorizer request nor an API Gateway one.
    #[error("unrecognized event: {0}")]
    BadEvent(String),
    /// The authorizer is not configured (no secret and no JWKS), or its JWKS does not parse.
    #[error("configuration: {0}")]
    Config(String),
}
