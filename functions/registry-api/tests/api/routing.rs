//! The wire: the sample events, DescribeEndpoint, unknown routes and methods, bodies, and a
//! Store that fails.

use crate::common::{send_event, Api};
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde_json::json;
use std::sync::Arc;
use thingcore::store::{Expect, Item, Key, Page, Put, Query, Store, Table, WriteOp};
use thingcore_registry::RegistryConfig;

fn fixture(name: &str) -> ApiGatewayV2httpRequest {
    let path = format!(
        "{}/../../events/registry-api/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_sample_event_is_answered() {
    let api = Api::new();
    for name in [
        "create-thing.json",
        "create-thing-type.json",
        "create-thing-group.json",
        "list-thing-principals.json",
        "create-keys-and-certificate.json",
        "list-ca-certificates.json",
        "create-policy.json",
        "describe-endpoint.json",
        "create-topic-rule-destination.json",
        "update-event-configurations.json",
    ] {
        let reply = send_event(&api.service, &fixture(name));
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
    }
    assert_eq!(
        api.get("/things/lamp-1").ok()["attributes"]["room"],
        "kitchen"
    );
    assert_eq!(
        api.get("/policies/device-policy").ok()["defaultVersionId"],
        "1"
    );
    assert_eq!(
        api.get("/event-configurations").ok()["eventConfigurations"]["JOB"]["Enabled"],
        true
    );
}

#[test]
fn describe_endpoint_answers_the_configured_address() {
    let api = Api::with_config(RegistryConfig {
        endpoint_address: "localhost:4566".into(),
        ..RegistryConfig::default()
    });
    for kind in [
        "iot:Data",
        "iot:Data-ATS",
        "iot:CredentialProvider",
        "iot:Jobs",
    ] {
        let body = api.get("/endpoint").query("endpointType", kind).ok();
        assert_eq!(body, json!({"endpointAddress": "localhost:4566"}));
    }
    api.get("/endpoint").ok();
    api.get("/endpoint")
        .query("endpointType", "iot:Nope")
        .fails(400, "InvalidRequestException");
}

#[test]
fn unknown_routes_and_methods() {
    let api = Api::new();
    api.get("/nothing/here")
        .fails(404, "UnknownOperationException");
    api.call("PUT", "/things/t1")
        .fails(405, "MethodNotAllowedException");
    api.delete("/endpoint")
        .fails(405, "MethodNotAllowedException");
    api.get("/things/%FF").fails(400, "InvalidRequestException");
}

#[test]
fn base64_bodies_are_decoded() {
    use base64::Engine;
    let api = Api::new();
    let mut event = api.post("/things/b64").event();
    event.body = Some(
        base64::engine::general_purpose::STANDARD
            .encode(json!({"attributePayload": {"attributes": {"a": "1"}}}).to_string()),
    );
    event.is_base64_encoded = true;
    assert_eq!(send_event(&api.service, &event).status, 200);
    assert_eq!(api.get("/things/b64").ok()["attributes"], json!({"a": "1"}));
    event.body = Some("%%%".into());
    assert_eq!(send_event(&api.service, &event).status, 400);
}

/// A Store whose backend is down.
#[derive(Debug)]
struct DownStore;

fn down<T>() -> thingcore::Result<T> {
    Err(thingcore::Error::storage(
        "backend",
        std::io::Error::other("connection refused"),
    ))
}

#[async_trait::async_trait]
impl Store for DownStore {
    async fn get(&self, _: Table, _: &Key) -> thingcore::Result<Option<Item>> {
        down()
    }
    async fn put(&self, _: Put) -> thingcore::Result<u64> {
        down()
    }
    async fn delete(&self, _: Table, _: &Key, _: Expect) -> thingcore::Result<bool> {
        down()
    }
    async fn query(&self, _: &Query) -> thingcore::Result<Page> {
        down()
    }
    async fn transact(&self, _: Vec<WriteOp>) -> thingcore::Result<()> {
        down()
    }
    async fn flush(&self) -> thingcore::Result<()> {
        down()
    }
}

#[test]
fn a_failing_store_is_a_service_unavailable_never_a_panic() {
    let clock = Arc::new(thingcore::ManualClock::new(crate::common::START_MILLIS));
    let api = Api::over(Arc::new(DownStore), clock, RegistryConfig::default());
    let body = api
        .get("/things/t1")
        .fails(503, "ServiceUnavailableException");
    assert!(!body["message"].to_string().contains("connection refused"));
    api.post("/keys-and-certificate")
        .fails(503, "ServiceUnavailableException");
    api.get("/things").fails(503, "ServiceUnavailableException");
}

#[test]
fn racing_writers_never_exceed_the_version_limit() {
    let api = Api::new();
    api.post("/policies/p")
        .json(json!({"policyDocument": r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}}"#}))
        .ok();
    let statuses: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    api.post("/policies/p/version")
                        .json(json!({"policyDocument": r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iot:*","Resource":"*"}}"#}))
                        .send()
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        4,
        "{statuses:?}"
    );
    let versions = api.get("/policies/p/version").ok();
    assert_eq!(versions["policyVersions"].as_array().map(Vec::len), Some(5));
}
