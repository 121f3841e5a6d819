//! # thingcore-shim — the whole core on one machine
//!
//! The binary `thingcore` hosts every thingcore function in one process:
//!
//! - [`auth_mode`]: `--auth open|strict`.
//! - [`tls`]: the MQTT-over-TLS listener; client certificates checked against the registry.
//! - [`apigw`]: HTTP requests as API Gateway events, so functions get what Lambda gets.
//! - [`changes`]: registry writes applied at once (rules reloaded, live connections rechecked).
//! - [`cli`]: the command line (`serve`, `init-tables`).
//! - [`stores`]: opens the Store the flags ask for (SQLite by default, memory, DynamoDB).
//! - [`http`]: the HTTP front: health, MQTT over WebSocket, the data-plane publish routes.
//! - [`http_auth`]: SigV4 on every HTTP request, open or strict, and data-plane policy checks.
//! - [`iam_routes`]: IAM and STS on the Query protocol at `POST /`.
//! - [`iam_auth`]: keys IAM issued, verified and held to their policies on every API.
//! - [`oidc_keys`]: where AssumeRoleWithWebIdentity finds an issuer's keys (a configured
//!   JWKS file, else the issuer's discovery document).
//! - [`mqtt`]: the MQTT listeners around the core broker: hub, connections, persistence.
//! - [`load`]: `thingcore-load`, the bounded load generator used by the broker benchmark.
//! - [`rules`]: the rules-evaluator function's engine on every routed message, in process.
//! - [`shadows`]: the shadow-updater function on the MQTT shadow topics, in process.
//! - [`jobs`]: the Jobs service on the MQTT jobs topics, in process.
//! - [`thing_workers`]: device-service requests handled in order per thing.
//! - [`ws`]: the gateway function at `/ws`, in process (JSON frames over WebSocket).
//! - [`serve`]: binds the listeners, runs until Ctrl-C or SIGTERM, then drains and flushes.
//!
//! It is glue: decisions live in `thingcore` (core) and in the function crates.

pub mod apigw;
pub mod auth_mode;
pub mod authorizer_functions;
pub mod changes;
pub mod cli;
pub mod http;
pub mod http_auth;
pub mod http_server;
pub mod iam_auth;
pub mod iam_routes;
pub mod jobs;
pub mod load;
pub mod mqtt;
pub mod oidc_keys;
pub mod rules;
pub mod serve;
pub mod shadows;
pub mod stores;
pub mod thing_workers;
pub mod tls;
pub mod ws;

use cli::{Cli, Command};

/// Runs one command line to completion.
///
/// # Errors
/// Whatever stopped the command, with context for the user.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(options) => serve::serve(*options).await,
        Command::InitTables(options) => stores::init_tables(options).await,
    }
}
