//! The AWS SDK configuration shared by every adapter.

use aws_config::meta::region::RegionProviderChain;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use std::time::Duration;

/// The region used when neither the environment nor a profile names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Loads the SDK configuration: the SDK's usual environment and profile chain, with
/// `endpoint` (LocalStack, moto) taking precedence when given.
///
/// With an explicit endpoint and no credentials in the environment, fixed local credentials
/// are used: LocalStack and moto accept any, and the SDK would otherwise spend seconds probing
/// instance metadata that a laptop does not have.
pub async fn load(endpoint: Option<&str>) -> SdkConfig {
    let mut loader = defaults();
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
        if !has_credentials() {
            loader = loader.credentials_provider(local_credentials());
        }
    }
    loader.load().await
}

/// Loads the SDK configuration of the rule-action sinks: the SDK's own environment and
/// profiles, so `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` choose the endpoints.
///
/// When such an endpoint variable is set and no credentials are in the environment (or a
/// profile named), fixed local credentials are used, as [`load`] does for an explicit
/// endpoint: LocalStack and moto accept any.
pub async fn load_for_sinks() -> SdkConfig {
    let endpoint_set = std::env::vars_os().any(|(name, _)| {
        name.to_str()
            .is_some_and(|name| name.starts_with("AWS_ENDPOINT_URL"))
    });
    let mut loader = defaults();
    if endpoint_set && !has_credentials() {
        loader = loader.credentials_provider(local_credentials());
    }
    loader.load().await
}

/// The SDK's default loader with thingcore's region fallback and timeouts.
fn defaults() -> ConfigLoader {
    let region = RegionProviderChain::default_provider().or_else(DEFAULT_REGION);
    aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
}

/// Whether the environment names credentials (keys or a profile).
fn has_credentials() -> bool {
    std::env::var_os("AWS_ACCESS_KEY_ID").is_some() || std::env::var_os("AWS_PROFILE").is_some()
}

/// The credentials used against a local endpoint when none are configured.
fn local_credentials() -> Credentials {
    Credentials::new(
        "thingcore",
        "thingcore",
        None,
        None,
        "thingcore-local-endpoint",
    )
}
