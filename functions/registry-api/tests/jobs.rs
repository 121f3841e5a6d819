//! The Jobs routes of `registry_api::http::handle` with both services, where the end-to-end
//! tests cannot reach yet: an IN_PROGRESS execution (started through the device side of
//! `JobsService`) refuses CancelJobExecution without `force` with AWS's exception, and
//! changes nothing.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::encodings::Body;
use http::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use thingcore::store::MemoryStore;
use thingcore::ManualClock;
use thingcore_jobs::JobsService;
use thingcore_registry::{RegistryConfig, RegistryService};

struct Api {
    registry: RegistryService,
    jobs: JobsService,
}

fn api() -> Api {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let registry = RegistryService::new(store.clone(), clock.clone(), RegistryConfig::default());
    let jobs = JobsService::new(store, clock, registry.clone());
    Api { registry, jobs }
}

/// Sends a request; `(status, x-amzn-ErrorType, body)`.
fn send(
    api: &Api,
    with_jobs: bool,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> (i64, Option<String>, Value) {
    let mut request = ApiGatewayV2httpRequest::default();
    request.raw_path = Some(path.to_string());
    request.request_context.http.method =
        Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
    let query: HashMap<String, String> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    request.query_string_parameters = query.into();
    request.body = body.map(|b| b.to_string());
    let response = if with_jobs {
        futures::executor::block_on(registry_api::http::handle(
            (&api.registry, &api.jobs),
            &request,
        ))
    } else {
        futures::executor::block_on(registry_api::http::handle(&api.registry, &request))
    };
    let body = match &response.body {
        Some(Body::Text(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let kind = response
        .headers
        .get("x-amzn-ErrorType")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (response.status_code, kind, body)
}

#[test]
fn in_progress_executions_are_canceled_only_with_force() {
    let api = api();
    assert_eq!(send(&api, true, "POST", "/things/t1", &[], None).0, 200);
    let arn = api.registry.config().thing_arn("t1");
    let (status, _, _) = send(
        &api,
        true,
        "PUT",
        "/jobs/j1",
        &[],
        Some(json!({"targets": [arn], "document": "{}"})),
    );
    assert_eq!(status, 200);
    futures::executor::block_on(api.jobs.start_next("t1", None, None))
        .unwrap_or_else(|e| panic!("{e}"));

    let (status, kind, _) = send(&api, true, "PUT", "/things/t1/jobs/j1/cancel", &[], None);
    assert_eq!(
        (status, kind.as_deref()),
        (409, Some("InvalidStateTransitionException"))
    );
    let (_, _, described) = send(&api, true, "GET", "/things/t1/jobs/j1", &[], None);
    assert_eq!(described["execution"]["status"], json!("IN_PROGRESS"));
    assert_eq!(described["execution"]["versionNumber"], json!(2));

    let (status, _, _) = send(
        &api,
        true,
        "PUT",
        "/things/t1/jobs/j1/cancel",
        &[("force", "true")],
        Some(json!({"expectedVersion": 2})),
    );
    assert_eq!(status, 200);
    let (_, _, described) = send(&api, true, "GET", "/things/t1/jobs/j1", &[], None);
    assert_eq!(described["execution"]["status"], json!("CANCELED"));
    assert_eq!(described["execution"]["forceCanceled"], json!(true));
    let (_, _, job) = send(&api, true, "GET", "/jobs/j1", &[], None);
    assert_eq!(job["job"]["status"], json!("COMPLETED"));
}

#[test]
fn jobs_paths_know_their_methods() {
    let api = api();
    let (status, kind, _) = send(&api, true, "POST", "/jobs/j1", &[], None);
    assert_eq!(
        (status, kind.as_deref()),
        (405, Some("MethodNotAllowedException"))
    );
    let (status, kind, _) = send(&api, true, "GET", "/jobs/nope", &[], None);
    assert_eq!(
        (status, kind.as_deref()),
        (404, Some("ResourceNotFoundException"))
    );
    // A host without Jobs does not know its paths.
    let (status, kind, _) = send(&api, false, "GET", "/jobs", &[], None);
    assert_eq!(
        (status, kind.as_deref()),
        (404, Some("UnknownOperationException"))
    );
    let (status, _, listed) = send(&api, true, "GET", "/jobs", &[("maxResults", "5")], None);
    assert_eq!((status, listed), (200, json!({"jobs": []})));
}
