//! Custom authorizers as the control plane keeps them: CreateAuthorizer / UpdateAuthorizer
//! validate a request into a [`StoredAuthorizer`]; DescribeAuthorizer and ListAuthorizers
//! render it; DeleteAuthorizer is refused while the authorizer is `ACTIVE` or the default.
//!
//! Validation follows botocore's `iot` model: `authorizerFunctionArn` required (at most 2048
//! characters), `tokenKeyName` `[a-zA-Z0-9_-]+` (1–128), `status` `ACTIVE` or `INACTIVE`
//! (default `ACTIVE`), and — as AWS IoT requires — with signing enabled (the default) both a
//! `tokenKeyName` and at least one PEM public key in `tokenSigningPublicKeys`.

use super::config::RegistryConfig;
use super::error::{RegistryError, RegistryResult};
use super::names::{constraint_error, AuthorizerName};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Longest `authorizerFunctionArn`.
pub const MAX_FUNCTION_ARN_LEN: usize = 2048;
/// Longest `tokenKeyName`.
pub const MAX_TOKEN_KEY_NAME_LEN: usize = 128;

/// Whether an authorizer takes part in authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum AuthorizerStatus {
    /// In use.
    #[default]
    Active,
    /// Kept, not used (and deletable).
    Inactive,
}

impl AuthorizerStatus {
    /// Parses the wire value.
    ///
    /// # Errors
    /// `InvalidRequestException` for anything but `ACTIVE` and `INACTIVE`.
    pub fn parse(text: &str) -> RegistryResult<Self> {
        match text {
            "ACTIVE" => Ok(Self::Active),
            "INACTIVE" => Ok(Self::Inactive),
            other => Err(constraint_error(
                "status",
                other,
                "Member must satisfy enum value set: [ACTIVE, INACTIVE]",
            )),
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
        }
    }
}

/// The body of CreateAuthorizer and UpdateAuthorizer (`tags` accepted, not kept).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerRequest {
    /// `authorizerFunctionArn`.
    pub authorizer_function_arn: Option<String>,
    /// `tokenKeyName`.
    pub token_key_name: Option<String>,
    /// `tokenSigningPublicKeys`: key name → PEM public key.
    pub token_signing_public_keys: Option<BTreeMap<String, String>>,
    /// `status`.
    pub status: Option<String>,
    /// `signingDisabled` (CreateAuthorizer only).
    pub signing_disabled: Option<bool>,
    /// `enableCachingForHttp`.
    pub enable_caching_for_http: Option<bool>,
    /// `tags`.
    pub tags: Option<Vec<Value>>,
}

/// A custom authorizer as stored (camelCase JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAuthorizer {
    /// The name.
    pub name: AuthorizerName,
    /// The Lambda function (ARN or, locally, a function name) that decides.
    pub function_arn: String,
    /// The header, query parameter or MQTT username part that carries the token.
    pub token_key_name: Option<String>,
    /// Key name → PEM public key verifying token signatures.
    pub token_signing_public_keys: BTreeMap<String, String>,
    /// ACTIVE or INACTIVE.
    pub status: AuthorizerStatus,
    /// Whether token signatures are not checked.
    pub signing_disabled: bool,
    /// Whether HTTP results are cached (accepted and reported; not acted on locally).
    pub enable_caching_for_http: bool,
    /// Seconds since the epoch.
    pub creation_date: u64,
    /// Seconds since the epoch.
    pub last_modified_date: u64,
}

/// `arn:{partition}:iot:{region}:{account}:authorizer/{name}`.
pub fn authorizer_arn(config: &RegistryConfig, name: &str) -> String {
    format!(
        "arn:aws:iot:{}:{}:authorizer/{name}",
        config.region, config.account_id
    )
}

fn check_token_key_name(name: &str) -> RegistryResult<()> {
    if name.is_empty() || name.len() > MAX_TOKEN_KEY_NAME_LEN {
        return Err(constraint_error(
            "tokenKeyName",
            name,
            "Member must have length between 1 and 128",
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(constraint_error(
            "tokenKeyName",
            name,
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
        ));
    }
    Ok(())
}

impl StoredAuthorizer {
    /// CreateAuthorizer's decision.
    ///
    /// # Errors
    /// `InvalidRequestException` naming what is wrong.
    pub fn create(
        name: AuthorizerName,
        request: AuthorizerRequest,
        now_secs: u64,
    ) -> RegistryResult<Self> {
        let function_arn = request
            .authorizer_function_arn
            .ok_or_else(|| RegistryError::invalid("authorizerFunctionArn is required"))?;
        let authorizer = Self {
            name,
            function_arn,
            token_key_name: request.token_key_name,
            token_signing_public_keys: request.token_signing_public_keys.unwrap_or_default(),
            status: request
                .status
                .as_deref()
                .map(AuthorizerStatus::parse)
                .transpose()?
                .unwrap_or_default(),
            signing_disabled: request.signing_disabled.unwrap_or(false),
            enable_caching_for_http: request.enable_caching_for_http.unwrap_or(false),
            creation_date: now_secs,
            last_modified_date: now_secs,
        };
        authorizer.validate()?;
        Ok(authorizer)
    }

    /// UpdateAuthorizer's decision: the fields sent replace the stored ones.
    ///
    /// # Errors
    /// `InvalidRequestException` naming what is wrong.
    pub fn update(&self, request: AuthorizerRequest, now_secs: u64) -> RegistryResult<Self> {
        let mut next = self.clone();
        if let Some(arn) = request.authorizer_function_arn {
            next.function_arn = arn;
        }
        if let Some(key) = request.token_key_name {
            next.token_key_name = Some(key);
        }
        if let Some(keys) = request.token_signing_public_keys {
            next.token_signing_public_keys = keys;
        }
        if let Some(status) = request.status.as_deref() {
            next.status = AuthorizerStatus::parse(status)?;
        }
        if let Some(caching) = request.enable_caching_for_http {
            next.enable_caching_for_http = caching;
        }
        next.last_modified_date = now_secs;
        next.validate()?;
        Ok(next)
    }

    fn validate(&self) -> RegistryResult<()> {
        if self.function_arn.is_empty() || self.function_arn.len() > MAX_FUNCTION_ARN_LEN {
            return Err(constraint_error(
                "authorizerFunctionArn",
                &self.function_arn,
                "Member must have length between 1 and 2048",
            ));
        }
        if let Some(key) = &self.token_key_name {
            check_token_key_name(key)?;
        }
        for (name, pem) in &self.token_signing_public_keys {
            if name.is_empty() || name.len() > 128 {
                return Err(RegistryError::invalid(format!(
                    "tokenSigningPublicKeys: key name '{name}' must have 1 to 128 characters"
                )));
            }
            if !pem.trim_start().starts_with("-----BEGIN PUBLIC KEY-----") {
                return Err(RegistryError::invalid(format!(
                    "tokenSigningPublicKeys: '{name}' is not a PEM public key"
                )));
            }
        }
        if !self.signing_disabled {
            if self.token_key_name.is_none() {
                return Err(RegistryError::invalid(
                    "tokenKeyName is required when signing is enabled",
                ));
            }
            if self.token_signing_public_keys.is_empty() {
                return Err(RegistryError::invalid(
                    "tokenSigningPublicKeys is required when signing is enabled",
                ));
            }
        }
        Ok(())
    }

    /// DeleteAuthorizer's decision.
    ///
    /// # Errors
    /// `DeleteConflictException` while it is ACTIVE or the default authorizer.
    pub fn check_delete(&self, is_default: bool) -> RegistryResult<()> {
        if self.status == AuthorizerStatus::Active {
            return Err(RegistryError::DeleteConflict(format!(
                "Cannot delete an ACTIVE authorizer: set authorizer {} to INACTIVE first",
                self.name
            )));
        }
        if is_default {
            return Err(RegistryError::DeleteConflict(format!(
                "Authorizer {} is the default authorizer: clear the default first",
                self.name
            )));
        }
        Ok(())
    }

    /// The `authorizerDescription` of DescribeAuthorizer and DescribeDefaultAuthorizer.
    pub fn description(&self, config: &RegistryConfig) -> Value {
        let mut out = json!({
            "authorizerName": self.name,
            "authorizerArn": authorizer_arn(config, self.name.as_str()),
            "authorizerFunctionArn": self.function_arn,
            "tokenSigningPublicKeys": self.token_signing_public_keys,
            "status": self.status.as_str(),
            "creationDate": self.creation_date,
            "lastModifiedDate": self.last_modified_date,
            "signingDisabled": self.signing_disabled,
            "enableCachingForHttp": self.enable_caching_for_http,
        });
        if let Some(key) = &self.token_key_name {
            out["tokenKeyName"] = json!(key);
        }
        out
    }

    /// `{authorizerName, authorizerArn}`, what create, update, set-default and list answer.
    pub fn summary(&self, config: &RegistryConfig) -> Value {
        json!({
            "authorizerName": self.name,
            "authorizerArn": authorizer_arn(config, self.name.as_str()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";

    fn name(text: &str) -> AuthorizerName {
        AuthorizerName::parse(text).expect("name")
    }

    fn signed_request() -> AuthorizerRequest {
        AuthorizerRequest {
            authorizer_function_arn: Some(
                "arn:aws:lambda:us-east-1:000000000000:function:auth".into(),
            ),
            token_key_name: Some("x-token".into()),
            token_signing_public_keys: Some(BTreeMap::from([("k1".to_owned(), PEM.to_owned())])),
            ..AuthorizerRequest::default()
        }
    }

    #[test]
    fn create_defaults_to_active_with_signing() {
        let a = StoredAuthorizer::create(name("jwt"), signed_request(), 10).expect("valid");
        assert_eq!(a.status, AuthorizerStatus::Active);
        assert!(!a.signing_disabled);
        let d = a.description(&RegistryConfig::default());
        assert_eq!(
            d["authorizerArn"],
            "arn:aws:iot:us-east-1:000000000000:authorizer/jwt"
        );
        assert_eq!(d["tokenKeyName"], "x-token");
        assert_eq!(d["status"], "ACTIVE");
    }

    #[test]
    fn signing_needs_a_token_key_name_and_keys() {
        let mut request = signed_request();
        request.token_signing_public_keys = None;
        let error = StoredAuthorizer::create(name("a"), request, 0).expect_err("no keys");
        assert!(
            error.to_string().contains("tokenSigningPublicKeys"),
            "{error}"
        );
        let unsigned = AuthorizerRequest {
            authorizer_function_arn: Some("f".into()),
            signing_disabled: Some(true),
            ..AuthorizerRequest::default()
        };
        assert!(StoredAuthorizer::create(name("a"), unsigned, 0).is_ok());
    }

    #[test]
    fn bad_fields_are_invalid_requests() {
        for (mutate, needle) in [
            (
                (|r: &mut AuthorizerRequest| r.authorizer_function_arn = None)
                    as fn(&mut AuthorizerRequest),
                "authorizerFunctionArn",
            ),
            (
                |r| r.token_key_name = Some("bad key".into()),
                "tokenKeyName",
            ),
            (|r| r.status = Some("ON".into()), "ACTIVE, INACTIVE"),
            (
                |r| {
                    r.token_signing_public_keys =
                        Some(BTreeMap::from([("k".to_owned(), "not a key".to_owned())]))
                },
                "not a PEM public key",
            ),
        ] {
            let mut request = signed_request();
            mutate(&mut request);
            let error = StoredAuthorizer::create(name("a"), request, 0).expect_err(needle);
            assert!(error.to_string().contains(needle), "{error}");
            assert!(matches!(error, RegistryError::InvalidRequest(_)));
        }
        assert!(AuthorizerName::parse("bad/name").is_err());
    }

    #[test]
    fn update_replaces_what_is_sent_and_delete_needs_inactive_and_not_default() {
        let a = StoredAuthorizer::create(name("jwt"), signed_request(), 10).expect("valid");
        assert!(matches!(
            a.check_delete(false),
            Err(RegistryError::DeleteConflict(_))
        ));
        let b = a
            .update(
                AuthorizerRequest {
                    status: Some("INACTIVE".into()),
                    ..AuthorizerRequest::default()
                },
                20,
            )
            .expect("valid");
        assert_eq!(b.status, AuthorizerStatus::Inactive);
        assert_eq!((b.creation_date, b.last_modified_date), (10, 20));
        assert_eq!(b.function_arn, a.function_arn);
        assert!(b.check_delete(false).is_ok());
        assert!(matches!(
            b.check_delete(true),
            Err(RegistryError::DeleteConflict(_))
        ));
    }
}
