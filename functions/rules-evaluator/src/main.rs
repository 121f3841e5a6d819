//! Lambda glue for rules-evaluator: configuration and clients once, then the handler.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use rules_evaluator::{RulesEngine, SinkConfig};
use serde_json::Value;
use std::sync::Arc;
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
    let account = env("THINGCORE_ACCOUNT_ID").unwrap_or_else(|| "000000000000".into());
    let sdk = thingcore_aws::config::load(endpoint.as_deref()).await;
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        TableNames::new(prefix),
    ));
    let engine = Arc::new(RulesEngine::new(store).with_account_id(account));
    // The sinks' own configuration: THINGCORE_DYNAMODB_ENDPOINT is the Store's, not theirs.
    let aws = SinkConfig::from_env();
    run(service_fn(|event: LambdaEvent<Value>| {
        let engine = engine.clone();
        let aws = aws.clone();
        async move { rules_evaluator::lambda::handle(&engine, &aws, event.payload).await }
    }))
    .await
}
