//! Lambda glue for registry-api: configuration and clients once, then the handler.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use registry_api::service::custom_auth::AUTHORIZER_TIMEOUT;
use registry_api::service::destinations::Confirmations;
use registry_api::{RegistryConfig, RegistryService};
use serde_json::Value;
use std::sync::Arc;
use thingcore::SystemClock;
use thingcore_aws::http::HttpConfirmer;
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
    // Topic rule destinations' confirmation requests; enableUrl points at this API
    // (THINGCORE_CONTROL_ENDPOINT, e.g. the HTTP API's invoke URL).
    let control = env("THINGCORE_CONTROL_ENDPOINT")
        .unwrap_or_else(|| format!("https://{}", config.endpoint_address));
    let service = RegistryService::new(store, Arc::new(SystemClock), config)
        .with_authorizer_functions(Arc::new(functions))
        .with_confirmations(Confirmations {
            confirmer: Arc::new(HttpConfirmer::new()),
            endpoint: control,
        });
    run(service_fn(|event: LambdaEvent<Value>| {
        let service = service.clone();
        async move { registry_api::lambda::handle(&service, event.payload).await }
    }))
    .await
}
