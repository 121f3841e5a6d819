//! The command line of `thingcore`.

pub use crate::auth_mode::AuthMode;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// thingcore: an IoT core you own. `thingcore serve` runs it all on this machine.
#[derive(Debug, Parser)]
#[command(name = "thingcore", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the local core: HTTP APIs and (as they land) the MQTT broker.
    // Boxed: its options are many, and the enum should stay small.
    Serve(Box<ServeOptions>),
    /// Create thingcore's DynamoDB tables (for LocalStack, moto or an AWS account).
    InitTables(InitTablesOptions),
}

/// Which Store backs `thingcore serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    /// SQLite in `--data-dir` (the default).
    Embedded,
    /// Process memory; gone at exit.
    Memory,
    /// DynamoDB tables, at `--dynamodb-endpoint` or the SDK's configured endpoint.
    Dynamodb,
}

/// Options of `thingcore serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeOptions {
    /// Address of the HTTP listener (AWS IoT APIs, health).
    #[arg(long, default_value = "127.0.0.1:8080", env = "THINGCORE_HTTP_ADDR")]
    pub http_addr: SocketAddr,

    /// Address of the MQTT listener.
    #[arg(long, default_value = "127.0.0.1:1883", env = "THINGCORE_MQTT_ADDR")]
    pub mqtt_addr: SocketAddr,

    /// Address of the MQTT-over-TLS listener; client certificates are checked against the
    /// registry (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8883", env = "THINGCORE_TLS_ADDR")]
    pub tls_addr: SocketAddr,

    /// Host names and IP addresses the TLS server certificate is for (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "localhost,127.0.0.1",
        env = "THINGCORE_TLS_HOSTNAME"
    )]
    pub tls_hostname: Vec<String>,

    /// `open` (local default): the plain MQTT and WebSocket listeners accept unauthenticated
    /// clients; `strict`: every listener authenticates every client.
    #[arg(long, value_enum, default_value_t = AuthMode::Open, env = "THINGCORE_AUTH")]
    pub auth: AuthMode,

    /// Directory of the embedded store.
    #[arg(long, default_value = ".thingcore", env = "THINGCORE_DATA_DIR")]
    pub data_dir: PathBuf,

    /// Which store to use.
    #[arg(long, value_enum, default_value_t = StoreKind::Embedded, env = "THINGCORE_STORE")]
    pub store: StoreKind,

    /// Shorthand for `--store memory`.
    #[arg(long, conflicts_with = "store")]
    pub memory: bool,

    /// DynamoDB endpoint for `--store dynamodb` (LocalStack: http://localhost:4566).
    #[arg(long, env = "THINGCORE_DYNAMODB_ENDPOINT")]
    pub dynamodb_endpoint: Option<String>,

    /// Prefix of the DynamoDB table names.
    #[arg(long, default_value = thingcore_aws::tables::DEFAULT_PREFIX, env = "THINGCORE_TABLE_PREFIX")]
    pub table_prefix: String,

    /// Largest MQTT/HTTP publish payload in bytes (AWS IoT: 131072).
    #[arg(long, env = "THINGCORE_MAX_PAYLOAD_BYTES")]
    pub max_payload_bytes: Option<usize>,

    /// Most QoS 1/2 messages queued per session before newer ones are dropped.
    #[arg(long, env = "THINGCORE_MAX_QUEUED_MESSAGES")]
    pub max_queued_messages: Option<usize>,

    /// Shortest keep-alive granted, seconds (AWS IoT: 30); shorter requests are raised to it.
    #[arg(long, env = "THINGCORE_MIN_KEEP_ALIVE")]
    pub min_keep_alive: Option<u16>,

    /// Most HTTP connections open at once, WebSockets included; more are closed at once.
    #[arg(long, default_value_t = 4096, env = "THINGCORE_HTTP_MAX_CONNECTIONS")]
    pub http_max_connections: usize,

    /// Seconds between two runs of the Jobs scheduler (rollout pacing, scheduled starts and
    /// ends, timeouts, retries, aborts); at least 1.
    #[arg(long, default_value_t = 5, env = "THINGCORE_JOBS_TICK_SECONDS")]
    pub jobs_tick_seconds: u64,

    /// Seconds an HTTP client has to send a request's headers; also the most an idle
    /// keep-alive connection is kept.
    #[arg(long, default_value_t = 30, env = "THINGCORE_HTTP_HEADER_TIMEOUT")]
    pub http_header_timeout: u64,

    /// Seconds an HTTP request may take to arrive whole, body included (then 408).
    #[arg(long, default_value_t = 60, env = "THINGCORE_HTTP_REQUEST_TIMEOUT")]
    pub http_request_timeout: u64,

    /// Session expiry of 3.1.1 persistent sessions and cap for MQTT 5, seconds (AWS IoT: 3600).
    #[arg(long, env = "THINGCORE_MAX_SESSION_EXPIRY")]
    pub max_session_expiry: Option<u32>,

    /// JSON file of access keys for SigV4 (`{"credentials": [{"accessKeyId", "secretAccessKey",
    /// "policyDocument"}]}`); without it the one known key is `test`/`test`, allowed everything.
    #[arg(long, env = "THINGCORE_CREDENTIALS")]
    pub credentials: Option<PathBuf>,

    /// The JWKS file of a web identity issuer, as `ISSUER=FILE` (repeatable; the variable takes
    /// comma-separated pairs): AssumeRoleWithWebIdentity verifies that issuer's tokens with
    /// these keys. Other issuers' keys are fetched from `{iss}/.well-known/openid-configuration`.
    #[arg(
        long = "oidc-jwks",
        value_name = "ISSUER=FILE",
        env = "THINGCORE_OIDC_JWKS",
        value_delimiter = ','
    )]
    pub oidc_jwks: Vec<String>,

    /// With `--store dynamodb`, create missing tables at start instead of refusing to start.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub create_tables: bool,
}

impl ServeOptions {
    /// The store chosen by `--store` and `--memory` together.
    pub fn store_kind(&self) -> StoreKind {
        if self.memory {
            StoreKind::Memory
        } else {
            self.store
        }
    }
}

/// Options of `thingcore init-tables`.
#[derive(Debug, Clone, Args)]
pub struct InitTablesOptions {
    /// DynamoDB endpoint (LocalStack: http://localhost:4566); the SDK's default when omitted.
    #[arg(long, env = "THINGCORE_DYNAMODB_ENDPOINT")]
    pub endpoint: Option<String>,

    /// Prefix of the DynamoDB table names.
    #[arg(long, default_value = thingcore_aws::tables::DEFAULT_PREFIX, env = "THINGCORE_TABLE_PREFIX")]
    pub table_prefix: String,

    /// Instead of creating the tables, write their definitions into this directory as the AWS
    /// CLI's `--cli-input-json` files (the LocalStack init uses them).
    #[arg(long)]
    pub write_definitions: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_defaults_match_the_readme() {
        let cli = Cli::try_parse_from(["thingcore", "serve"]).expect("parses");
        let Command::Serve(options) = cli.command else {
            panic!("serve expected");
        };
        assert_eq!(options.http_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(options.mqtt_addr.to_string(), "127.0.0.1:1883");
        assert_eq!(options.data_dir, PathBuf::from(".thingcore"));
        assert_eq!(options.store_kind(), StoreKind::Embedded);
        assert_eq!(options.tls_addr.to_string(), "127.0.0.1:8883");
        assert_eq!(options.tls_hostname, vec!["localhost", "127.0.0.1"]);
        assert_eq!(options.auth, AuthMode::Open);
    }

    #[test]
    fn auth_mode_is_open_or_strict() {
        let cli = Cli::try_parse_from(["thingcore", "serve", "--auth", "strict"]).expect("parses");
        let Command::Serve(options) = cli.command else {
            panic!("serve expected");
        };
        assert_eq!(options.auth, AuthMode::Strict);
        assert!(Cli::try_parse_from(["thingcore", "serve", "--auth", "maybe"]).is_err());
    }

    #[test]
    fn memory_is_a_shorthand_and_conflicts_with_store() {
        let cli = Cli::try_parse_from(["thingcore", "serve", "--memory"]).expect("parses");
        let Command::Serve(options) = cli.command else {
            panic!("serve expected");
        };
        assert_eq!(options.store_kind(), StoreKind::Memory);
        assert!(
            Cli::try_parse_from(["thingcore", "serve", "--memory", "--store", "dynamodb"]).is_err()
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
