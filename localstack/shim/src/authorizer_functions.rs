//! Who runs custom authorizers' functions in `thingcore serve`: [`LocalFunctions`].
//!
//! A function named [`BUILTIN_AUTHORIZER`] (by name or by a Lambda ARN ending in it) is the
//! ready-made JWT authorizer of `functions/authorizer`, run in process and configured by the
//! same variables as its Lambda: `THINGCORE_JWT_SECRET` (HS256), `THINGCORE_JWKS` or
//! `THINGCORE_JWKS_FILE` (RS256/ES256), `THINGCORE_JWT_ISSUER`, `THINGCORE_JWT_AUDIENCE`.
//! Other functions are invoked through the Lambda Invoke API with the AWS SDK's own
//! configuration: `AWS_ENDPOINT_URL_LAMBDA` (or `AWS_ENDPOINT_URL`) points it at LocalStack,
//! `cargo lambda watch` or any Invoke-API server.

use anyhow::Context;
use async_trait::async_trait;
use authorizer::{Validator, ValidatorConfig};
use serde_json::Value;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use thingcore_aws::lambda::LambdaInvoker;
use thingcore_registry::custom_auth::{AuthorizerFunctions, AUTHORIZER_TIMEOUT};

/// The function name the in-process JWT authorizer answers to.
pub const BUILTIN_AUTHORIZER: &str = "thingcore-authorizer";

/// Authorizer functions `thingcore serve` can run.
#[derive(Clone)]
pub struct LocalFunctions {
    jwt: Option<Arc<Validator>>,
    remote: Arc<LambdaInvoker>,
}

impl Default for LocalFunctions {
    fn default() -> Self {
        Self {
            jwt: None,
            remote: Arc::new(LambdaInvoker::from_env().with_timeout(AUTHORIZER_TIMEOUT)),
        }
    }
}

impl std::fmt::Debug for LocalFunctions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFunctions")
            .field("jwt_configured", &self.jwt.is_some())
            .finish()
    }
}

/// The function name in a Lambda ARN (`arn:aws:lambda:{region}:{account}:function:{name}[:qualifier]`),
/// or the text itself when it is a plain name.
pub fn function_name(arn: &str) -> &str {
    match arn.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        None => arn,
    }
}

impl LocalFunctions {
    /// The in-process JWT authorizer with `config`.
    ///
    /// # Errors
    /// A key that does not load.
    pub fn with_jwt(config: ValidatorConfig) -> anyhow::Result<Self> {
        Ok(Self {
            jwt: Some(Arc::new(
                Validator::new(config).context("configuring the JWT authorizer")?,
            )),
            ..Self::default()
        })
    }

    /// Configured from the environment (see the module documentation); without a secret or
    /// keys the built-in authorizer refuses every token.
    ///
    /// # Errors
    /// A JWKS file that cannot be read, or keys that do not load.
    pub fn from_env() -> anyhow::Result<Self> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let jwks_json = match (env("THINGCORE_JWKS"), env("THINGCORE_JWKS_FILE")) {
            (Some(text), _) => Some(text),
            (None, Some(path)) => {
                Some(std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?)
            }
            (None, None) => None,
        };
        let hs256_secret = env("THINGCORE_JWT_SECRET");
        if hs256_secret.is_none() && jwks_json.is_none() {
            return Ok(Self::default());
        }
        Self::with_jwt(ValidatorConfig {
            hs256_secret,
            jwks_json,
            issuer: env("THINGCORE_JWT_ISSUER"),
            audience: env("THINGCORE_JWT_AUDIENCE"),
        })
    }

    /// What the banner says about the built-in authorizer.
    pub fn describe(&self) -> String {
        if self.jwt.is_some() {
            format!("{BUILTIN_AUTHORIZER} (JWT, in process)")
        } else {
            format!("{BUILTIN_AUTHORIZER} not configured (set THINGCORE_JWT_SECRET or THINGCORE_JWKS_FILE)")
        }
    }
}

#[async_trait]
impl AuthorizerFunctions for LocalFunctions {
    async fn invoke(&self, function_arn: &str, event: Value) -> Result<Value, String> {
        let name = function_name(function_arn);
        if name != BUILTIN_AUTHORIZER {
            return AuthorizerFunctions::invoke(self.remote.as_ref(), function_arn, event).await;
        }
        let validator = self.jwt.as_ref().ok_or_else(|| {
            format!(
                "{BUILTIN_AUTHORIZER} has no keys: set THINGCORE_JWT_SECRET or THINGCORE_JWKS_FILE"
            )
        })?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        authorizer::handle(validator, event, now).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_come_from_arns_or_stand_alone() {
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:thingcore-authorizer"),
            "thingcore-authorizer"
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:f:live"),
            "f"
        );
        assert_eq!(
            function_name("thingcore-authorizer"),
            "thingcore-authorizer"
        );
    }

    #[tokio::test]
    async fn an_unconfigured_builtin_is_refused_with_a_reason() {
        let functions = LocalFunctions::default();
        let error = functions
            .invoke(BUILTIN_AUTHORIZER, serde_json::json!({}))
            .await
            .expect_err("refused");
        assert!(error.contains("THINGCORE_JWT_SECRET"), "{error}");
    }
}
