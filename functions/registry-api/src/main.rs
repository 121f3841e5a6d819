//! Lambda glue for registry-api: configuration and clients once, then the handler.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use registry_api::service::custom_auth::AUTHORIZER_TIMEOUT;
use registry_api::{RegistryConfig, RegistryService};
use serde_json::Value;
use std::sync::Arc;
use thingcore::SystemClock;
use thingcore_aws::lambda::LambdaInvoker;
use thingcore_aws::{DynamoStore, TableNames};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .init();
    let env = |name: &str| std::env::var(name).ok();
    let endpoint = env("THINGCORE_DYNAMODB_ENDPOINT");
    let prefix = env("THINGCORE_TABLE_PREFIX").unwrap_or_else(|| "thingcore".into());
    let defaults = RegistryConfig::default();
    let config = RegistryConfig {
        region: env("AWS_REGION").unwrap_or(defaults.region),
        account_id: env("THINGCORE_ACCOUNT_ID").unwrap_or(defaults.account_id),
        endpoint_address: env("THINGCORE_ENDPOINT_ADDRESS").unwrap_or(defaults.endpoint_address),
        ..defaults
    };
    let sdk = thingcore_aws::config::load(endpoint.as_deref()).await;
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        TableNames::new(prefix),
    ));
    // TestInvokeAuthorizer invokes the authorizer's function through Lambda's Invoke API.
    let functions = LambdaInvoker::from_env().with_timeout(AUTHORIZER_TIMEOUT);
    let service = RegistryService::new(store, Arc::new(SystemClock), config)
        .with_authorizer_functions(Arc::new(functions));
    run(service_fn(|event: LambdaEvent<Value>| {
        let service = service.clone();
        async move { registry_api::lambda::handle(&service, event.payload).await }
    }))
    .await
}
