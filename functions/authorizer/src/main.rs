//! Lambda glue for the authorizer: configuration once, then the handler.
//!
//! Environment: `THINGCORE_JWT_SECRET` (HS256), `THINGCORE_JWKS` (a JWKS document) or
//! `THINGCORE_JWKS_FILE` (its path), `THINGCORE_JWT_ISSUER`, `THINGCORE_JWT_AUDIENCE`.

use authorizer::{Validator, ValidatorConfig};
use std::time::{SystemTime, UNIX_EPOCH};
use thingcore_lambda::{Environment, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = Environment::init();
    let jwks_json = match (env.var("THINGCORE_JWKS"), env.var("THINGCORE_JWKS_FILE")) {
        (Some(text), _) => Some(text),
        (None, Some(path)) => Some(std::fs::read_to_string(path)?),
        (None, None) => None,
    };
    let validator = Validator::new(ValidatorConfig {
        hs256_secret: env.var("THINGCORE_JWT_SECRET"),
        jwks_json,
        issuer: env.var("THINGCORE_JWT_ISSUER"),
        audience: env.var("THINGCORE_JWT_AUDIENCE"),
    })?;
    thingcore_lambda::serve(|event| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let answer = authorizer::handle(&validator, event, now).map_err(|error| {
            tracing::info!(%error, "refused");
            // API Gateway answers 401 to exactly this message.
            Error::from("Unauthorized")
        });
        async move { answer }
    })
    .await
}
