//! Lambda glue for the gateway: configuration and clients once, then the handler.
//!
//! Environment beyond the bootstrap's: `THINGCORE_WEBSOCKET_ENDPOINT` (the WebSocket API
//! stage's Management API endpoint,
//! `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`), and
//! `THINGCORE_AUTHORIZER_FUNCTION` (the `$connect` authorizer, asked again when its answer
//! said `refreshAfterInSeconds`; without it such sessions last until
//! `disconnectAfterInSeconds`).

use gateway::refresh::AuthorizerRefresher;
use gateway::{GatewayConfig, GatewayService, InProcessRouter};
use std::sync::Arc;
use thingcore::{Clock, SystemClock};
use thingcore_aws::lambda::LambdaInvoker;
use thingcore_aws::ManagementApiPublisher;
use thingcore_lambda::{Environment, Error};
use thingcore_registry::custom_auth::AUTHORIZER_TIMEOUT;
use thingcore_registry::RegistryService;
use thingcore_rules::{RulesEngine, SinkConfig, StoreFunctions};
use thingcore_shadows::ShadowService;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = Environment::init();
    let endpoint = env.required(
        "THINGCORE_WEBSOCKET_ENDPOINT",
        "the WebSocket API's Management API endpoint",
    )?;
    let sdk = env.sdk().await;
    let store = env.store(&sdk);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let publisher = Arc::new(ManagementApiPublisher::new(&sdk, &endpoint));
    // Policies name this account and region in their ARNs.
    let config = GatewayConfig {
        account_id: env.account_id(),
        region: env.region(),
        ..GatewayConfig::default()
    };
    let mut gateway = GatewayService::new(store.clone(), publisher, config, clock.clone());
    if let Some(function) = env.var("THINGCORE_AUTHORIZER_FUNCTION") {
        let functions = LambdaInvoker::from_env().with_timeout(AUTHORIZER_TIMEOUT);
        let refresher = AuthorizerRefresher::new(Arc::new(functions), function, clock.clone());
        gateway = gateway.with_refresher(Arc::new(refresher));
    }
    let shadows = ShadowService::new(store.clone(), clock.clone());
    // get_thing_shadow and get_registry_data in rules read the same tables.
    let registry = RegistryService::new(store.clone(), clock.clone(), env.registry_config());
    let jobs = thingcore_jobs::JobsService::new(store.clone(), clock.clone(), registry.clone());
    let functions = StoreFunctions::new(shadows.clone(), registry);
    let rules = RulesEngine::new(store)
        .with_account_id(env.account_id())
        .with_resolver(Arc::new(functions));
    let router = InProcessRouter::new(gateway.clone(), clock)
        .with_shadows(shadows)
        .with_jobs(jobs)
        .with_rules(Arc::new(rules), SinkConfig::from_env());
    thingcore_lambda::serve(|event| gateway::lambda::handle(&gateway, &router, event)).await
}
