//! The AWS SDK configuration shared by every adapter.

use aws_config::meta::region::RegionProviderChain;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
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
    let region = RegionProviderChain::default_provider().or_else(DEFAULT_REGION);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
        let has_credentials = std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
            || std::env::var_os("AWS_PROFILE").is_some();
        if !has_credentials {
            loader = loader.credentials_provider(Credentials::new(
                "thingcore",
                "thingcore",
                None,
                None,
                "thingcore-local-endpoint",
            ));
        }
    }
    loader.load().await
}
