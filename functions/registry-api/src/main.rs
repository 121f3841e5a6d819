//! Lambda glue for registry-api: configuration and clients once, then the handler.
//!
//! Environment beyond the bootstrap's: `THINGCORE_ENDPOINT_ADDRESS` (what DescribeEndpoint
//! answers), `THINGCORE_CONTROL_ENDPOINT` (this API's URL, for destination confirmations).

use std::sync::Arc;
use thingcore::SystemClock;
use thingcore_aws::http::HttpConfirmer;
use thingcore_aws::lambda::LambdaInvoker;
use thingcore_jobs::JobsService;
use thingcore_lambda::{Environment, Error};
use thingcore_registry::custom_auth::AUTHORIZER_TIMEOUT;
use thingcore_registry::destinations::Confirmations;
use thingcore_registry::RegistryService;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = Environment::init();
    let config = env.registry_config();
    let store = env.store(&env.sdk().await);
    // TestInvokeAuthorizer invokes the authorizer's function through Lambda's Invoke API.
    let functions = LambdaInvoker::from_env().with_timeout(AUTHORIZER_TIMEOUT);
    // Topic rule destinations' confirmation requests; enableUrl points at this API
    // (THINGCORE_CONTROL_ENDPOINT, e.g. the HTTP API's invoke URL).
    let control = env
        .var("THINGCORE_CONTROL_ENDPOINT")
        .unwrap_or_else(|| format!("https://{}", config.endpoint_address));
    let service = RegistryService::new(store.clone(), Arc::new(SystemClock), config)
        .with_authorizer_functions(Arc::new(functions))
        .with_confirmations(Confirmations {
            confirmer: Arc::new(HttpConfirmer::new()),
            endpoint: control,
        });
    let jobs = JobsService::new(store, Arc::new(SystemClock), service.clone());
    thingcore_lambda::serve(|event| registry_api::lambda::handle(&service, &jobs, event)).await
}
