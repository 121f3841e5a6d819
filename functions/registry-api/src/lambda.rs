//! The Lambda entry: an API Gateway HTTP API (payload 2.0) event in, the HTTP response event
//! out, answered by [`crate::http::handle`]; or an EventBridge scheduled event (a rate rule or
//! EventBridge Scheduler), which runs one tick of the Jobs scheduler.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde_json::Value;
use thingcore_jobs::JobsService;
use thingcore_registry::RegistryService;

/// Handles one Lambda event with the registry and Jobs.
///
/// # Errors
/// An event that is not an HTTP API event, as a message for Lambda's error response.
pub async fn handle(
    service: &RegistryService,
    jobs: &JobsService,
    event: Value,
) -> Result<Value, String> {
    if event["detail-type"] == "Scheduled Event" {
        let report = jobs
            .tick()
            .await
            .map_err(|e| format!("jobs scheduler: {e}"))?;
        return Ok(serde_json::json!({
            "jobs": report.jobs,
            "released": report.released,
            "timedOut": report.timed_out,
            "more": report.more,
            "failed": report.failed,
        }));
    }
    if event.pointer("/requestContext/http").is_none() {
        return Err("not an API Gateway HTTP API (payload 2.0) event".into());
    }
    let request: ApiGatewayV2httpRequest =
        serde_json::from_value(event).map_err(|e| format!("not an HTTP API event: {e}"))?;
    let response = crate::http::handle((service, jobs), &request).await;
    serde_json::to_value(response).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;
    use thingcore::registry::RegistryConfig;
    use thingcore::store::MemoryStore;
    use thingcore::ManualClock;

    fn service() -> (RegistryService, JobsService) {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let store = Arc::new(MemoryStore::new(clock.clone()));
        let registry =
            RegistryService::new(store.clone(), clock.clone(), RegistryConfig::default());
        let jobs = JobsService::new(store, clock, registry.clone());
        (registry, jobs)
    }

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../events/registry-api/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn http_events_are_answered() {
        let (s, j) = service();
        let response = futures::executor::block_on(handle(&s, &j, fixture("create-thing.json")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response["statusCode"], json!(200));
        let body: Value = serde_json::from_str(response["body"].as_str().unwrap_or("null"))
            .unwrap_or(Value::Null);
        assert_eq!(body["thingName"], json!("lamp-1"));
    }

    #[test]
    fn scheduled_events_tick_the_jobs_scheduler() {
        let (s, j) = service();
        let event = json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}});
        let report =
            futures::executor::block_on(handle(&s, &j, event)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report["released"], json!(0));
    }

    #[test]
    fn other_events_are_errors() {
        let (s, j) = service();
        assert!(futures::executor::block_on(handle(&s, &j, json!({"hello": 1}))).is_err());
    }
}
