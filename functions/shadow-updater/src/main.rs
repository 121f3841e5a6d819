//! Lambda glue for shadow-updater: configuration and clients once, then the handler.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use shadow_updater::ShadowService;
use std::sync::Arc;
use thingcore::SystemClock;
use thingcore_aws::{DynamoStore, TableNames};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .init();
    let endpoint = std::env::var("THINGCORE_DYNAMODB_ENDPOINT").ok();
    let prefix = std::env::var("THINGCORE_TABLE_PREFIX").unwrap_or_else(|_| "thingcore".into());
    let config = thingcore_aws::config::load(endpoint.as_deref()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let store = Arc::new(DynamoStore::new(client, TableNames::new(prefix)));
    let service = ShadowService::new(store, Arc::new(SystemClock));
    run(service_fn(|event: LambdaEvent<Value>| {
        let service = service.clone();
        async move { shadow_updater::lambda::handle(&service, event.payload).await }
    }))
    .await
}
