//! Lambda glue for shadow-updater: configuration and clients once, then the handler.

use std::sync::Arc;
use thingcore::SystemClock;
use thingcore_lambda::{Environment, Error};
use thingcore_shadows::ShadowService;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = Environment::init();
    let store = env.store(&env.sdk().await);
    let service = ShadowService::new(store, Arc::new(SystemClock));
    thingcore_lambda::serve(|event| shadow_updater::lambda::handle(&service, event)).await
}
