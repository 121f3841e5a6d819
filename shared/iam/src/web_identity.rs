//! STS AssumeRoleWithWebIdentity: an OpenID Connect token, verified against its issuer's
//! keys, exchanged for a role session.
//!
//! The steps, each refused with STS's error: the token's `iss` must name a registered
//! OpenID Connect provider (`InvalidIdentityToken`); its signature must verify with a key of
//! the issuer's JWKS, which the host's [`IssuerKeys`] finds (`IDPCommunicationError` when
//! it cannot; `InvalidIdentityToken` when no key verifies); its claims must hold now and name
//! one of the provider's client ids (`thingcore::iam::web_identity::check_claims`); and the
//! role's trust policy must allow `sts:AssumeRoleWithWebIdentity` to `Federated` the
//! provider's ARN with the token's `{provider}:aud`/`:sub`/`:amr` (`AccessDenied`). The
//! credentials are a role session's, made as AssumeRole makes them.
//!
//! Accepted signatures: RS256/384/512, PS256/384/512, ES256/384 (never `none` or HMAC, which
//! a JWKS of public keys cannot verify).

use crate::error::Result;
use crate::records::StoredRole;
use crate::sts::{AssumedRole, CallerKey};
use crate::IamService;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::Value;
use thingcore::iam::trust::{TrustCaller, TrustPolicy, TrustRequest};
use thingcore::iam::web_identity::{self, WebIdentity};
use thingcore::iam::{documents, session, IamError};

/// Where an issuer's signing keys come from; the host decides (a JWKS file configured for
/// the issuer, or the issuer's `/.well-known/openid-configuration` → `jwks_uri`).
#[async_trait::async_trait]
pub trait IssuerKeys: Send + Sync {
    /// The issuer's JWKS document (`{"keys": [...]}`), as text.
    ///
    /// # Errors
    /// `IDPCommunicationError` saying why the keys could not be had.
    async fn jwks(&self, issuer: &str) -> std::result::Result<String, IamError>;
}

/// What AssumeRoleWithWebIdentity is given.
#[derive(Debug, Clone, Default)]
pub struct WebIdentityRequest<'a> {
    /// `RoleArn`.
    pub role_arn: &'a str,
    /// `RoleSessionName`.
    pub role_session_name: &'a str,
    /// `WebIdentityToken`.
    pub web_identity_token: &'a str,
    /// `DurationSeconds`.
    pub duration_seconds: Option<i64>,
    /// `Policy` (a session policy).
    pub policy: Option<&'a str>,
}

/// AssumeRoleWithWebIdentity's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentityAssumed {
    /// `Credentials` and `AssumedRoleUser`.
    pub assumed: AssumedRole,
    /// `SubjectFromWebIdentityToken`.
    pub subject: String,
    /// `Provider`: the token's issuer.
    pub provider: String,
    /// `Audience`: the token's audience that is one of the provider's client ids.
    pub audience: String,
}

/// Algorithms a JWKS of public keys can verify.
const ACCEPTED: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

fn invalid(message: impl Into<String>) -> IamError {
    IamError::InvalidIdentityToken(message.into())
}

/// Verifies `token`'s signature with a key of `jwks` (the one its `kid` names, or each key
/// when it names none) and returns its claims; `exp`, `nbf` and `aud` are left to
/// [`web_identity::check_claims`].
///
/// # Errors
/// `InvalidIdentityToken` for an algorithm not accepted, no matching key, or a signature
/// that does not verify; `IDPCommunicationError` for a JWKS that does not parse.
pub fn verify(token: &str, jwks: &str) -> std::result::Result<Value, IamError> {
    let header =
        decode_header(token).map_err(|_| invalid("The ID Token provided is not a valid JWT."))?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(invalid(format!(
            "The ID Token's algorithm {:?} is not accepted.",
            header.alg
        )));
    }
    let set: JwkSet = serde_json::from_str(jwks).map_err(|error| {
        IamError::IdpCommunicationError(format!("The issuer's JWKS does not parse: {error}"))
    })?;
    let candidates: Vec<DecodingKey> = set
        .keys
        .iter()
        .filter(|jwk| match &header.kid {
            Some(kid) => jwk.common.key_id.as_deref() == Some(kid.as_str()),
            None => true,
        })
        .filter_map(|jwk| DecodingKey::from_jwk(jwk).ok())
        .collect();
    if candidates.is_empty() {
        return Err(invalid(format!(
            "No key of the issuer matches the ID Token's key id {:?}.",
            header.kid
        )));
    }
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    candidates
        .iter()
        .find_map(|key| decode::<Value>(token, key, &validation).ok())
        .map(|data| data.claims)
        .ok_or_else(|| invalid("The ID Token's signature does not verify."))
}

impl IamService {
    /// AssumeRoleWithWebIdentity (unsigned: the token is the credential).
    ///
    /// # Errors
    /// `InvalidIdentityToken`, `ExpiredTokenException`, `IDPCommunicationError`,
    /// `AccessDenied`, `ValidationError`, `MalformedPolicyDocument`.
    pub async fn assume_role_with_web_identity(
        &self,
        caller: &CallerKey,
        request: &WebIdentityRequest<'_>,
    ) -> Result<WebIdentityAssumed> {
        session::check_session_name(request.role_session_name)?;
        if let Some(policy) = request.policy {
            documents::parse(documents::DocumentKind::Session, policy)?;
        }
        let token = request.web_identity_token.trim();
        let (issuer, path) = web_identity::peek_issuer(&web_identity::peek_claims(token)?)?;
        let provider = self.oidc_provider_for_path(&path).await?.ok_or_else(|| {
            invalid(format!(
                "No OpenIDConnect provider found in your account for {issuer}"
            ))
        })?;
        let keys = self.issuer_keys.as_ref().ok_or_else(|| {
            IamError::IdpCommunicationError(format!("No keys are configured for {issuer}"))
        })?;
        let jwks = keys.jwks(&issuer).await?;
        let claims = verify(token, &jwks)?;
        let now = i64::try_from(self.now()).unwrap_or(i64::MAX);
        let identity = web_identity::check_claims(&claims, &provider.client_ids, now)?;
        let role = self
            .trusting_role(caller, request, &identity, &provider.arn, now)
            .await?;
        let duration = session::role_duration(request.duration_seconds, role.max_session_duration)?;
        let assumed = self
            .role_session(&role, request.role_session_name, request.policy, duration)
            .await?;
        Ok(WebIdentityAssumed {
            assumed,
            subject: identity.subject,
            provider: identity.issuer,
            audience: identity.audience,
        })
    }

    /// The role, once its trust policy lets the web identity in.
    async fn trusting_role(
        &self,
        caller: &CallerKey,
        request: &WebIdentityRequest<'_>,
        identity: &WebIdentity,
        provider_arn: &str,
        now: i64,
    ) -> Result<StoredRole> {
        let denied = || {
            IamError::AccessDenied(format!(
                "Not authorized to perform sts:AssumeRoleWithWebIdentity on resource: {}",
                request.role_arn
            ))
        };
        let role = self.role_by_arn(request.role_arn, denied).await?;
        let trust = TrustPolicy::parse(&role.assume_role_policy_document)?;
        let federated = TrustCaller::Federated {
            provider: provider_arn.to_string(),
        };
        let asked = TrustRequest {
            caller: &federated,
            action: "sts:AssumeRoleWithWebIdentity",
            role_arn: &role.arn,
            now,
            source_ip: caller.source_ip,
            keys: web_identity::condition_keys(identity, provider_arn, request.role_session_name),
        };
        if !trust.allows(&asked) {
            return Err(denied().into());
        }
        Ok(role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_that_are_not_signed_with_a_public_key_are_refused() {
        // {"alg":"HS256"} . {"sub":"x"} . (anything)
        let hs = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
        assert_eq!(
            verify(hs, r#"{"keys":[]}"#).map_err(|e| e.code()),
            Err("InvalidIdentityToken")
        );
        // {"alg":"none"}
        let none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
        assert_eq!(
            verify(none, r#"{"keys":[]}"#).map_err(|e| e.code()),
            Err("InvalidIdentityToken")
        );
        // {"alg":"RS256"} with an unparsable JWKS, and with no keys.
        let rs = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
        assert_eq!(
            verify(rs, "{").map_err(|e| e.code()),
            Err("IDPCommunicationError")
        );
        assert_eq!(
            verify(rs, r#"{"keys":[]}"#).map_err(|e| e.code()),
            Err("InvalidIdentityToken")
        );
        assert_eq!(
            verify("garbage", r#"{"keys":[]}"#).map_err(|e| e.code()),
            Err("InvalidIdentityToken")
        );
    }
}
