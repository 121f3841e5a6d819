//! Lambda glue for rules-evaluator: configuration and clients once, then the handler.

use std::sync::Arc;
use thingcore::SystemClock;
use thingcore_lambda::{Environment, Error};
use thingcore_registry::RegistryService;
use thingcore_rules::{RulesEngine, SinkConfig, StoreFunctions};
use thingcore_shadows::ShadowService;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = Environment::init();
    let store = env.store(&env.sdk().await);
    let clock = Arc::new(SystemClock);
    // get_thing_shadow and get_registry_data in rules read the same tables.
    let functions = StoreFunctions::new(
        ShadowService::new(store.clone(), clock.clone()),
        RegistryService::new(store.clone(), clock, env.registry_config()),
    );
    let engine = RulesEngine::new(store)
        .with_account_id(env.account_id())
        .with_resolver(Arc::new(functions));
    // The sinks' own configuration: THINGCORE_DYNAMODB_ENDPOINT is the Store's, not theirs.
    let sinks = SinkConfig::from_env();
    thingcore_lambda::serve(|event| rules_evaluator::lambda::handle(&engine, &sinks, event)).await
}
