//! [`Validator`]: JWT validation with `jsonwebtoken`, the clock passed in.
//!
//! HS256 tokens are checked with the configured secret; RS256 and ES256 tokens with the key of
//! a JWKS document whose `kid` matches the token's (or the only key when the token names
//! none). `exp` is required; `exp` and `nbf` are checked against the caller's clock with 60
//! seconds of leeway; `iss` and `aud` when configured. Other algorithms, and `none`, are
//! refused.

use crate::error::AuthorizerError;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::Value;

/// Seconds of clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;

/// Where the keys and expectations come from.
#[derive(Debug, Clone, Default)]
pub struct ValidatorConfig {
    /// The HS256 shared secret.
    pub hs256_secret: Option<String>,
    /// A JWKS document (`{"keys": [...]}`) with RS256/ES256 public keys.
    pub jwks_json: Option<String>,
    /// The required `iss`, if any.
    pub issuer: Option<String>,
    /// The required `aud`, if any.
    pub audience: Option<String>,
}

/// A configured JWT validator.
pub struct Validator {
    secret: Option<DecodingKey>,
    keys: Vec<(Option<String>, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("hs256", &self.secret.is_some())
            .field("jwks_keys", &self.keys.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl Validator {
    /// A validator for `config`.
    ///
    /// # Errors
    /// [`AuthorizerError::Config`] with neither a secret nor a JWKS, or a JWKS that does not
    /// parse.
    pub fn new(config: ValidatorConfig) -> Result<Self, AuthorizerError> {
        let secret = config
            .hs256_secret
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| DecodingKey::from_secret(s.as_bytes()));
        let mut keys = Vec::new();
        if let Some(text) = &config.jwks_json {
            let set: JwkSet = serde_json::from_str(text)
                .map_err(|e| AuthorizerError::Config(format!("the JWKS does not parse: {e}")))?;
            for jwk in &set.keys {
                let key = DecodingKey::from_jwk(jwk).map_err(|e| {
                    AuthorizerError::Config(format!("a JWKS key is not usable: {e}"))
                })?;
                keys.push((jwk.common.key_id.clone(), key));
            }
        }
        if secret.is_none() && keys.is_empty() {
            return Err(AuthorizerError::Config(
                "set an HS256 secret or a JWKS with at least one key".into(),
            ));
        }
        Ok(Self {
            secret,
            keys,
            issuer: config.issuer,
            audience: config.audience,
        })
    }

    /// The claims of `token` when it is valid at `now_secs`.
    ///
    /// # Errors
    /// [`AuthorizerError::InvalidToken`] saying why.
    pub fn validate(&self, token: &str, now_secs: u64) -> Result<Value, AuthorizerError> {
        let invalid = |why: String| AuthorizerError::InvalidToken(why);
        let header = decode_header(token).map_err(|e| invalid(format!("malformed: {e}")))?;
        let key = match header.alg {
            Algorithm::HS256 => self
                .secret
                .as_ref()
                .ok_or_else(|| invalid("HS256 is not configured".into()))?,
            Algorithm::RS256 | Algorithm::ES256 => {
                let found = match &header.kid {
                    Some(kid) => self.keys.iter().find(|(id, _)| id.as_deref() == Some(kid)),
                    None if self.keys.len() == 1 => self.keys.first(),
                    None => None,
                };
                &found
                    .ok_or_else(|| invalid(format!("no key for kid {:?}", header.kid)))?
                    .1
            }
            other => return Err(invalid(format!("algorithm {other:?} is not accepted"))),
        };
        let mut validation = Validation::new(header.alg);
        // The clock is ours: exp and nbf are checked below against `now_secs`.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims = ["exp".to_owned()].into_iter().collect();
        validation.validate_aud = self.audience.is_some();
        if let Some(audience) = &self.audience {
            validation.set_audience(&[audience]);
        }
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
        }
        let data = decode::<Value>(token, key, &validation).map_err(|e| invalid(format!("{e}")))?;
        let claims = data.claims;
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid("exp must be a number of seconds".into()))?;
        if exp + LEEWAY_SECS < now_secs {
            return Err(invalid(format!("expired at {exp}")));
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_u64) {
            if nbf > now_secs + LEEWAY_SECS {
                return Err(invalid(format!("not valid before {nbf}")));
            }
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    const SECRET: &str = "a-shared-secret";
    const NOW: u64 = 1_795_734_000;

    fn hs256(claims: Value, secret: &str) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("encodes")
    }

    fn validator() -> Validator {
        Validator::new(ValidatorConfig {
            hs256_secret: Some(SECRET.into()),
            issuer: Some("https://issuer.example".into()),
            audience: Some("thingcore".into()),
            ..ValidatorConfig::default()
        })
        .expect("configured")
    }

    fn claims(exp: u64) -> Value {
        json!({"sub": "sensor1", "exp": exp, "iss": "https://issuer.example", "aud": "thingcore"})
    }

    #[test]
    fn a_valid_hs256_token_gives_its_claims() {
        let token = hs256(claims(NOW + 600), SECRET);
        let got = validator().validate(&token, NOW).expect("valid");
        assert_eq!(got["sub"], "sensor1");
    }

    #[test]
    fn wrong_secret_expiry_issuer_audience_and_garbage_are_refused() {
        let v = validator();
        for (token, needle) in [
            (
                hs256(claims(NOW + 600), "another-secret"),
                "InvalidSignature",
            ),
            (hs256(claims(NOW - 61), SECRET), "expired"),
            (
                hs256(
                    json!({"sub": "s", "exp": NOW + 600, "iss": "other", "aud": "thingcore"}),
                    SECRET,
                ),
                "Issuer",
            ),
            (
                hs256(
                    json!({"sub": "s", "exp": NOW + 600, "iss": "https://issuer.example", "aud": "x"}),
                    SECRET,
                ),
                "Audience",
            ),
            (
                hs256(
                    json!({"sub": "s", "iss": "https://issuer.example", "aud": "thingcore"}),
                    SECRET,
                ),
                "exp",
            ),
            ("not.a.jwt".to_owned(), "malformed"),
        ] {
            let error = v.validate(&token, NOW).expect_err(needle);
            assert!(
                matches!(&error, AuthorizerError::InvalidToken(why) if why.contains(needle)),
                "{needle}: {error}"
            );
        }
        let late = hs256(
            json!({"sub": "s", "exp": NOW + 600, "nbf": NOW + 120, "iss": "https://issuer.example", "aud": "thingcore"}),
            SECRET,
        );
        assert!(v.validate(&late, NOW).is_err());
    }

    #[test]
    fn a_validator_needs_keys_and_a_parsable_jwks() {
        assert!(matches!(
            Validator::new(ValidatorConfig::default()),
            Err(AuthorizerError::Config(_))
        ));
        assert!(matches!(
            Validator::new(ValidatorConfig {
                jwks_json: Some("{".into()),
                ..ValidatorConfig::default()
            }),
            Err(AuthorizerError::Config(_))
        ));
    }

    #[test]
    fn an_hs256_token_is_refused_when_only_a_jwks_is_configured() {
        let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]});
        let v = Validator::new(ValidatorConfig {
            jwks_json: Some(jwks.to_string()),
            ..ValidatorConfig::default()
        })
        .expect("configured");
        let token = hs256(claims(NOW + 600), SECRET);
        assert!(
            matches!(v.validate(&token, NOW), Err(AuthorizerError::InvalidToken(why)) if why.contains("HS256"))
        );
    }
}
