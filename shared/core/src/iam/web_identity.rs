//! AssumeRoleWithWebIdentity's decisions, pure: what a token claims, whether its claims are
//! acceptable for a registered provider at a given time, and the condition keys a role's
//! trust policy sees. Signature verification (with the issuer's keys) is the service's, and
//! happens between [`peek_issuer`] and [`check_claims`].
//!
//! The errors are STS's: `InvalidIdentityToken` for a token that is not a JWT, has no usable
//! `iss`/`sub`/`aud`, is not yet valid, or is not for any of the provider's client ids;
//! `ExpiredTokenException` for one past its `exp`. `exp` and `nbf` are allowed
//! [`LEEWAY_SECS`] of clock skew.

use super::IamError;
use base64::Engine as _;
use serde_json::Value;

/// Seconds of clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECS: i64 = 60;

/// A token's claims, once its signature verified and [`check_claims`] accepted them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentity {
    /// `iss`, as the token has it.
    pub issuer: String,
    /// The provider path `iss` names (`token.example.com/t`).
    pub provider_path: String,
    /// `sub`: `SubjectFromWebIdentityToken`.
    pub subject: String,
    /// The token's audience that is one of the provider's client ids: `Audience`.
    pub audience: String,
    /// `amr`, if the token has it (a string or a list).
    pub amr: Vec<String>,
    /// `exp`, epoch seconds.
    pub expires: i64,
}

fn invalid(message: impl Into<String>) -> IamError {
    IamError::InvalidIdentityToken(message.into())
}

/// The claims of a compact JWT, read without verifying anything (to find its issuer).
///
/// # Errors
/// `InvalidIdentityToken` when the token is not three base64url parts with a JSON object
/// in the middle.
pub fn peek_claims(token: &str) -> Result<Value, IamError> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    let [_, payload, _] = parts.as_slice() else {
        return Err(invalid("The ID Token provided is not a valid JWT."));
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| invalid("The ID Token provided is not a valid JWT."))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(claims @ Value::Object(_)) => Ok(claims),
        _ => Err(invalid("The ID Token provided is not a valid JWT.")),
    }
}

/// The `iss` of `claims` and the provider path it names.
///
/// # Errors
/// `InvalidIdentityToken` without a string `iss` that is an `https://` (or `http://`) URL.
pub fn peek_issuer(claims: &Value) -> Result<(String, String), IamError> {
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("The ID Token provided has no issuer (iss)."))?;
    let path = super::oidc::issuer_path(iss)
        .ok_or_else(|| invalid(format!("The issuer {iss} is not a URL.")))?;
    Ok((iss.to_string(), path))
}

/// `value` as a list of strings: a string is a list of one; anything else, none.
fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether `claims` (already verified against the issuer's keys) are acceptable at `now` for
/// a provider whose client ids are `client_ids`.
///
/// # Errors
/// `ExpiredTokenException` past `exp`; `InvalidIdentityToken` without `exp` or `sub`,
/// before `nbf`, or for an audience that is none of `client_ids`.
pub fn check_claims(
    claims: &Value,
    client_ids: &[String],
    now: i64,
) -> Result<WebIdentity, IamError> {
    let (issuer, provider_path) = peek_issuer(claims)?;
    let expires = claims
        .get("exp")
        .and_then(Value::as_f64)
        .map(|exp| exp as i64)
        .ok_or_else(|| invalid("The ID Token provided has no expiration (exp)."))?;
    if expires + LEEWAY_SECS <= now {
        return Err(IamError::ExpiredTokenException(format!(
            "Token expired: current date/time {} must be before the expiration date/time {}",
            super::session::iso8601(u64::try_from(now).unwrap_or(0)),
            super::session::iso8601(u64::try_from(expires).unwrap_or(0)),
        )));
    }
    if let Some(nbf) = claims.get("nbf").and_then(Value::as_f64) {
        if nbf as i64 > now + LEEWAY_SECS {
            return Err(invalid("The ID Token provided is not yet valid (nbf)."));
        }
    }
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|sub| !sub.is_empty())
        .ok_or_else(|| invalid("The ID Token provided has no subject (sub)."))?
        .to_string();
    let audience = string_list(claims.get("aud"))
        .into_iter()
        .find(|aud| client_ids.contains(aud))
        .ok_or_else(|| invalid("Incorrect token audience"))?;
    Ok(WebIdentity {
        issuer,
        provider_path,
        subject,
        audience,
        amr: string_list(claims.get("amr")),
        expires,
    })
}

/// The condition keys a web identity brings to its role's trust policy: `{path}:aud`,
/// `{path}:sub`, `{path}:amr` (when the token has it), `aws:FederatedProvider` (the provider's
/// ARN), `sts:RoleSessionName` and `aws:MultiFactorAuthPresent` (`false`: thingcore has no MFA).
pub fn condition_keys(
    identity: &WebIdentity,
    provider_arn: &str,
    session_name: &str,
) -> Vec<(String, Vec<String>)> {
    let path = &identity.provider_path;
    let mut keys = vec![
        (format!("{path}:aud"), vec![identity.audience.clone()]),
        (format!("{path}:sub"), vec![identity.subject.clone()]),
        ("aws:FederatedProvider".into(), vec![provider_arn.into()]),
        ("sts:RoleSessionName".into(), vec![session_name.into()]),
        ("aws:MultiFactorAuthPresent".into(), vec!["false".into()]),
    ];
    if !identity.amr.is_empty() {
        keys.push((format!("{path}:amr"), identity.amr.clone()));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn jwt(claims: &Value) -> String {
        let b64 = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        format!("{}.{}.sig", b64(&json!({"alg": "RS256"})), b64(claims))
    }

    fn claims() -> Value {
        json!({"iss": "https://token.example.com/", "sub": "device-1", "aud": ["other", "app"],
               "exp": NOW + 600, "amr": "authenticated"})
    }

    #[test]
    fn a_token_is_peeked_for_its_issuer() {
        let peeked = peek_claims(&jwt(&claims())).expect("claims");
        assert_eq!(
            peek_issuer(&peeked).expect("issuer"),
            (
                "https://token.example.com/".to_string(),
                "token.example.com".to_string()
            )
        );
        for bad in ["", "a.b", "a.!!!.c", "a.e30.c"] {
            let outcome = peek_claims(bad).and_then(|c| peek_issuer(&c).map(|_| ()));
            assert_eq!(
                outcome.map_err(|e| e.code()),
                Err("InvalidIdentityToken"),
                "{bad}"
            );
        }
    }

    #[test]
    fn claims_are_checked_as_sts_checks_them() {
        let ids = vec!["app".to_string()];
        let accepted = check_claims(&claims(), &ids, NOW).expect("accepted");
        assert_eq!(accepted.subject, "device-1");
        assert_eq!(accepted.audience, "app");
        assert_eq!(accepted.amr, ["authenticated"]);
        let with = |key: &str, value: Value| {
            let mut c = claims();
            c[key] = value;
            check_claims(&c, &ids, NOW).map_err(|e| e.code())
        };
        let cases = [
            ("exp", json!(NOW - 600), "ExpiredTokenException"),
            ("exp", Value::Null, "InvalidIdentityToken"),
            ("nbf", json!(NOW + 600), "InvalidIdentityToken"),
            ("aud", json!("other"), "InvalidIdentityToken"),
            ("aud", Value::Null, "InvalidIdentityToken"),
            ("sub", json!(""), "InvalidIdentityToken"),
            ("iss", json!("token.example.com"), "InvalidIdentityToken"),
        ];
        for (key, value, code) in cases {
            assert_eq!(with(key, value.clone()), Err(code), "{key}={value}");
        }
        assert!(with("exp", json!(NOW - 30)).is_ok(), "within the leeway");
        assert!(with("nbf", json!(NOW + 30)).is_ok(), "within the leeway");
    }

    #[test]
    fn the_trust_policy_sees_aud_sub_and_amr_under_the_provider_path() {
        let identity = check_claims(&claims(), &["app".into()], NOW).expect("accepted");
        let keys = condition_keys(&identity, "arn:aws:iam::1:oidc-provider/x", "s1");
        let get = |name: &str| keys.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        assert_eq!(get("token.example.com:aud"), Some(vec!["app".into()]));
        assert_eq!(get("token.example.com:sub"), Some(vec!["device-1".into()]));
        assert_eq!(
            get("token.example.com:amr"),
            Some(vec!["authenticated".into()])
        );
        assert_eq!(get("sts:RoleSessionName"), Some(vec!["s1".into()]));
    }
}
