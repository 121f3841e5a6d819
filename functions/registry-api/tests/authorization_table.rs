//! Every control-plane and Jobs data-plane operation this handler serves has its row in the
//! IAM authorization table (`thingcore::iam::operations`): each operation of botocore's
//! `iot` and `iot-jobs-data` models is sent to the real router, and those it answers (anything
//! but `UnknownOperationException` and `MethodNotAllowedException`) must have an action and
//! resources. The coverage figure is printed.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use http::Method;
use std::sync::Arc;
use thingcore::iam::operations::{table, Operation};
use thingcore::store::MemoryStore;
use thingcore::ManualClock;
use thingcore_jobs::JobsService;
use thingcore_registry::{RegistryConfig, RegistryService};

/// The row's path with every label filled (`x`, and `x/y` for a greedy one).
fn sample_path(operation: &Operation) -> Option<(Method, String)> {
    let (method, uri) = operation.http.as_deref()?.split_once(' ')?;
    let path = uri.split('?').next()?;
    let filled: Vec<&str> = path
        .split('/')
        .map(|segment| match segment {
            s if s.starts_with('{') && s.ends_with("+}") => "x/y",
            s if s.starts_with('{') => "x",
            s => s,
        })
        .collect();
    Some((
        Method::from_bytes(method.as_bytes()).ok()?,
        filled.join("/"),
    ))
}

/// Whether the router serves `method path` (jobs data plane when `jobs_data`).
fn served(
    registry: &RegistryService,
    jobs: &JobsService,
    jobs_data: bool,
    method: Method,
    path: &str,
) -> bool {
    let mut request = ApiGatewayV2httpRequest::default();
    request.raw_path = Some(path.to_string());
    request.request_context.http.method = method;
    request.body = Some("{}".into());
    let response = if jobs_data {
        futures::executor::block_on(registry_api::jobs_data::handle(jobs, &request))
    } else {
        futures::executor::block_on(registry_api::http::handle((registry, jobs), &request))
    };
    let kind = response
        .headers
        .get("x-amzn-ErrorType")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    !(kind == "UnknownOperationException"
        || kind == "MethodNotAllowedException"
        || response.status_code == 404 && kind.is_empty())
}

#[test]
fn every_served_operation_has_an_action_and_resources() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let registry = RegistryService::new(store.clone(), clock.clone(), RegistryConfig::default());
    let jobs = JobsService::new(store, clock, registry.clone());
    for (service, jobs_data, prefix) in [
        ("iot", false, "iot:"),
        ("iot-jobs-data", true, "iotjobsdata:"),
    ] {
        let operations = table().operations(service);
        let mut serving = Vec::new();
        for operation in operations {
            let (method, path) = sample_path(operation).expect("a REST row has METHOD uri");
            if served(&registry, &jobs, jobs_data, method, &path) {
                serving.push(operation);
            }
        }
        for operation in &serving {
            assert!(
                operation.action.starts_with(prefix)
                    || operation.action == "iot:StartCommandExecution",
                "{service} {}: action {}",
                operation.operation,
                operation.action
            );
            assert!(
                !operation.resources.is_empty()
                    && operation
                        .resources
                        .iter()
                        .all(|r| r == "*" || r.starts_with("arn:{partition}:iot:")),
                "{service} {}: resources {:?}",
                operation.operation,
                operation.resources
            );
        }
        assert!(!serving.is_empty(), "{service}: nothing served?");
        println!(
            "{service}: {} served operations, {} with an action/resource row ({} rows in the table)",
            serving.len(),
            serving.len(),
            operations.len()
        );
    }
}
