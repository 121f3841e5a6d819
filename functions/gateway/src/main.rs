//! Lambda glue for the gateway: configuration and clients once, then the handler.
//!
//! Environment: `THINGCORE_WEBSOCKET_ENDPOINT` (the WebSocket API stage's Management API
//! endpoint, `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`),
//! `THINGCORE_TABLE_PREFIX`, `THINGCORE_DYNAMODB_ENDPOINT` (LocalStack/moto).

use gateway::{GatewayConfig, GatewayService, InProcessRouter};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use registry_api::{RegistryConfig, RegistryService};
use rules_evaluator::{RulesEngine, SinkConfig, StoreFunctions};
use serde_json::Value;
use shadow_updater::ShadowService;
use std::sync::Arc;
use thingcore::{Clock, SystemClock};
use thingcore_aws::{DynamoStore, ManagementApiPublisher, TableNames};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .init();
    let env = |name: &str| std::env::var(name).ok();
    let endpoint = env("THINGCORE_WEBSOCKET_ENDPOINT")
        .ok_or("THINGCORE_WEBSOCKET_ENDPOINT must name the WebSocket API's endpoint")?;
    let prefix = env("THINGCORE_TABLE_PREFIX").unwrap_or_else(|| "thingcore".into());
    let account = env("THINGCORE_ACCOUNT_ID").unwrap_or_else(|| "000000000000".into());
    let sdk = thingcore_aws::config::load(env("THINGCORE_DYNAMODB_ENDPOINT").as_deref()).await;
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        TableNames::new(prefix),
    ));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let publisher = Arc::new(ManagementApiPublisher::new(&sdk, &endpoint));
    // Policies name this account and region in their ARNs (Lambda sets AWS_REGION).
    let config = GatewayConfig {
        account_id: account.clone(),
        region: env("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
        ..GatewayConfig::default()
    };
    let gateway = GatewayService::new(store.clone(), publisher, config, clock.clone());
    let shadows = ShadowService::new(store.clone(), clock.clone());
    // get_thing_shadow and get_registry_data in rules read the same tables.
    let functions = StoreFunctions::new(
        shadows.clone(),
        RegistryService::new(
            store.clone(),
            clock.clone(),
            RegistryConfig {
                account_id: account.clone(),
                ..RegistryConfig::default()
            },
        ),
    );
    let rules = RulesEngine::new(store)
        .with_account_id(account)
        .with_resolver(Arc::new(functions));
    let router = InProcessRouter::new(gateway.clone(), clock.clone())
        .with_shadows(shadows)
        .with_rules(Arc::new(rules), SinkConfig::from_env());
    run(service_fn(|event: LambdaEvent<Value>| {
        let (gateway, router) = (gateway.clone(), router.clone());
        async move { gateway::lambda::handle(&gateway, &router, event.payload).await }
    }))
    .await
}
