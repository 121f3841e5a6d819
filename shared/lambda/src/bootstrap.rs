//! A function's cold start: logs, its environment, the AWS SDK and the Store, then the loop.
//!
//! Environment every function reads the same way:
//! - `THINGCORE_TABLE_PREFIX` (default `thingcore`): the DynamoDB tables' names.
//! - `THINGCORE_DYNAMODB_ENDPOINT`: DynamoDB elsewhere than AWS (LocalStack, moto).
//! - `THINGCORE_ACCOUNT_ID` (default `000000000000`): the account ARNs name.
//! - `AWS_REGION` (set by Lambda; default `us-east-1`): the region ARNs name.

use aws_config::SdkConfig;
use lambda_runtime::{run, service_fn, Diagnostic, Error, LambdaEvent};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use thingcore::registry::RegistryConfig;
use thingcore_aws::{DynamoStore, TableNames};

/// The account ARNs name when `THINGCORE_ACCOUNT_ID` is not set (AWS's documentation account).
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// The function's environment, read once at cold start.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    _private: (),
}

impl Environment {
    /// Starts logging and returns the environment.
    ///
    /// Log lines carry no time or target: CloudWatch stamps each line itself.
    pub fn init() -> Self {
        // A second init (tests, a host that set its own) keeps the first subscriber.
        let _ = tracing_subscriber::fmt()
            .with_target(false)
            .without_time()
            .try_init();
        Self { _private: () }
    }

    /// A variable's value; an empty one counts as unset.
    pub fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    }

    /// A variable the function cannot start without.
    ///
    /// # Errors
    /// When it is unset or empty, an error that names it and says what it is for.
    pub fn required(&self, name: &str, what: &str) -> Result<String, Error> {
        self.var(name)
            .ok_or_else(|| Error::from(format!("{name} must name {what}")))
    }

    /// The account ARNs name (`THINGCORE_ACCOUNT_ID`).
    pub fn account_id(&self) -> String {
        self.var("THINGCORE_ACCOUNT_ID")
            .unwrap_or_else(|| DEFAULT_ACCOUNT_ID.into())
    }

    /// The region ARNs name (`AWS_REGION`, which Lambda sets).
    pub fn region(&self) -> String {
        self.var("AWS_REGION")
            .unwrap_or_else(|| thingcore_aws::config::DEFAULT_REGION.into())
    }

    /// The registry's settings: this account and region, and the endpoint address
    /// DescribeEndpoint answers (`THINGCORE_ENDPOINT_ADDRESS`).
    pub fn registry_config(&self) -> RegistryConfig {
        let defaults = RegistryConfig::default();
        RegistryConfig {
            region: self.region(),
            account_id: self.account_id(),
            endpoint_address: self
                .var("THINGCORE_ENDPOINT_ADDRESS")
                .unwrap_or(defaults.endpoint_address),
            ..defaults
        }
    }

    /// The AWS SDK's configuration for the Store (`THINGCORE_DYNAMODB_ENDPOINT` honoured).
    pub async fn sdk(&self) -> SdkConfig {
        thingcore_aws::config::load(self.var("THINGCORE_DYNAMODB_ENDPOINT").as_deref()).await
    }

    /// The Store on the DynamoDB tables named by `THINGCORE_TABLE_PREFIX`.
    pub fn store(&self, sdk: &SdkConfig) -> Arc<DynamoStore> {
        let prefix = self
            .var("THINGCORE_TABLE_PREFIX")
            .unwrap_or_else(|| "thingcore".into());
        Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            TableNames::new(prefix),
        ))
    }
}

/// Runs the function: every event's JSON goes to `handler`, its answer back to Lambda; an
/// error answer is the invocation's error.
///
/// # Errors
/// When the Lambda Runtime API cannot be reached.
pub async fn serve<F, Fut, E>(handler: F) -> Result<(), Error>
where
    F: Fn(Value) -> Fut,
    Fut: Future<Output = Result<Value, E>>,
    E: Into<Diagnostic> + std::fmt::Debug,
{
    run(service_fn(|event: LambdaEvent<Value>| {
        handler(event.payload)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_config_defaults_name_the_documentation_account() {
        let env = Environment::default();
        // The test environment sets none of these.
        if env.var("THINGCORE_ACCOUNT_ID").is_none() {
            assert_eq!(env.registry_config().account_id, DEFAULT_ACCOUNT_ID);
        }
        assert_eq!(env.var(""), None);
    }
}
