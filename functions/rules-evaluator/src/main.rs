//! Lambda glue for rules-evaluator: configuration and clients once, then the handler.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use registry_api::{RegistryConfig, RegistryService};
use rules_evaluator::{RulesEngine, SinkConfig, StoreFunctions};
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
    let env = |name: &str| std::env::var(name).ok();
    let endpoint = env("THINGCORE_DYNAMODB_ENDPOINT");
    let prefix = env("THINGCORE_TABLE_PREFIX").unwrap_or_else(|| "thingcore".into());
    let account = env("THINGCORE_ACCOUNT_ID").unwrap_or_else(|| "000000000000".into());
    let sdk = thingcore_aws::config::load(endpoint.as_deref()).await;
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        TableNames::new(prefix),
    ));
    let config = RegistryConfig {
        account_id: account.clone(),
        ..RegistryConfig::default()
    };
    let clock = Arc::new(SystemClock);
    let functions = StoreFunctions::new(
        ShadowService::new(store.clone(), clock.clone()),
        RegistryService::new(store.clone(), clock, config),
    );
    let engine = Arc::new(
        RulesEngine::new(store)
            .with_account_id(account)
            .with_resolver(Arc::new(functions)),
    );
    // The sinks' own configuration: THINGCORE_DYNAMODB_ENDPOINT is the Store's, not theirs.
    let aws = SinkConfig::from_env();
    run(service_fn(|event: LambdaEvent<Value>| {
        let engine = engine.clone();
        let aws = aws.clone();
        async move { rules_evaluator::lambda::handle(&engine, &aws, event.payload).await }
    }))
    .await
}
