//! Lambda glue for the authorizer: configuration once, then the handler.
//!
//! Environment: `THINGCORE_JWT_SECRET` (HS256), `THINGCORE_JWKS` (a JWKS document) or
//! `THINGCORE_JWKS_FILE` (its path), `THINGCORE_JWT_ISSUER`, `THINGCORE_JWT_AUDIENCE`.

use authorizer::{Validator, ValidatorConfig};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .init();
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let jwks_json = match (env("THINGCORE_JWKS"), env("THINGCORE_JWKS_FILE")) {
        (Some(text), _) => Some(text),
        (None, Some(path)) => Some(std::fs::read_to_string(path)?),
        (None, None) => None,
    };
    let validator = Arc::new(Validator::new(ValidatorConfig {
        hs256_secret: env("THINGCORE_JWT_SECRET"),
        jwks_json,
        issuer: env("THINGCORE_JWT_ISSUER"),
        audience: env("THINGCORE_JWT_AUDIENCE"),
    })?);
    run(service_fn(|event: LambdaEvent<Value>| {
        let validator = validator.clone();
        async move {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            authorizer::handle(&validator, event.payload, now).map_err(|error| {
                tracing::info!(%error, "refused");
                // API Gateway answers 401 to exactly this message.
                Error::from("Unauthorized")
            })
        }
    }))
    .await
}
