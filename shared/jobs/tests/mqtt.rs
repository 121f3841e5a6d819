//! The Jobs device MQTT API over the in-memory Store: requests on jobs topics, answers on
//! `/accepted` and `/rejected` with the client token echoed, and the notifications a change
//! causes.

use serde_json::{json, Value};
use std::sync::Arc;
use thingcore::registry::RegistryConfig;
use thingcore::store::MemoryStore;
use thingcore::ManualClock;
use thingcore_jobs::mqtt::handle_request;
use thingcore_jobs::{JobsService, Notification};
use thingcore_registry::RegistryService;

/// GIVEN thing `lamp` with one QUEUED execution of job `fw`.
async fn lamp_with_a_job() -> JobsService {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let registry = RegistryService::new(store.clone(), clock.clone(), RegistryConfig::default());
    let config = registry.config().clone();
    registry
        .create_thing("lamp", serde_json::from_value(json!({})).expect("request"))
        .await
        .expect("thing");
    let jobs = JobsService::new(store, clock, registry);
    let request = serde_json::from_value(json!({
        "targets": [config.thing_arn("lamp")], "document": "{\"op\":\"reboot\"}"
    }))
    .expect("request");
    jobs.create_job("fw", request).await.expect("job");
    jobs
}

async fn ask(jobs: &JobsService, topic: &str, payload: &[u8]) -> Vec<Notification> {
    handle_request(jobs, topic, payload)
        .await
        .unwrap_or_else(|| panic!("{topic} is a jobs request"))
}

fn only(out: &[Notification], topic: &str) -> Value {
    out.iter()
        .find(|n| n.topic == topic)
        .map(|n| n.payload.clone())
        .unwrap_or_else(|| panic!("no message on {topic}: {out:?}"))
}

#[tokio::test]
async fn a_device_gets_starts_and_finishes_its_job() {
    let jobs = lamp_with_a_job().await;
    let out = ask(
        &jobs,
        "$aws/things/lamp/jobs/get",
        br#"{"clientToken":"c1"}"#,
    )
    .await;
    let pending = only(&out, "$aws/things/lamp/jobs/get/accepted");
    assert_eq!(pending["clientToken"], json!("c1"));
    assert_eq!(pending["queuedJobs"][0]["jobId"], json!("fw"));

    let out = ask(
        &jobs,
        "$aws/things/lamp/jobs/start-next",
        br#"{"statusDetails":{"step":"1"},"clientToken":"c2"}"#,
    )
    .await;
    let started = only(&out, "$aws/things/lamp/jobs/start-next/accepted");
    assert_eq!(started["execution"]["status"], json!("IN_PROGRESS"));
    assert_eq!(started["execution"]["jobDocument"], json!({"op": "reboot"}));
    assert_eq!(started["clientToken"], json!("c2"));
    // The answer comes first, then what the change caused.
    assert_eq!(out[0].topic, "$aws/things/lamp/jobs/start-next/accepted");
    only(&out, "$aws/things/lamp/jobs/notify");

    let out = ask(&jobs, "$aws/things/lamp/jobs/$next/get", b"").await;
    let next = only(&out, "$aws/things/lamp/jobs/$next/get/accepted");
    assert_eq!(next["execution"]["jobId"], json!("fw"));
    assert!(next.get("clientToken").is_none());

    let out = ask(
        &jobs,
        "$aws/things/lamp/jobs/fw/update",
        br#"{"status":"SUCCEEDED","expectedVersion":2,"includeJobExecutionState":true,"clientToken":"c3"}"#,
    )
    .await;
    let done = only(&out, "$aws/things/lamp/jobs/fw/update/accepted");
    assert_eq!(done["executionState"]["status"], json!("SUCCEEDED"));
    assert_eq!(done["clientToken"], json!("c3"));
    let next = only(&out, "$aws/things/lamp/jobs/notify-next");
    assert!(next.get("execution").is_none(), "{next}");
}

#[tokio::test]
async fn bad_requests_get_awss_codes_and_change_nothing() {
    let jobs = lamp_with_a_job().await;
    for (topic, payload, code) in [
        (
            "$aws/things/lamp/jobs/fw/update",
            &b"{nope"[..],
            "InvalidJson",
        ),
        (
            "$aws/things/lamp/jobs/fw/update",
            b"[1, 2]",
            "InvalidRequest",
        ),
        (
            "$aws/things/lamp/jobs/fw/update",
            br#"{"clientToken":"t"}"#,
            "InvalidRequest",
        ),
        (
            "$aws/things/lamp/jobs/fw/update",
            br#"{"status":"BOGUS","clientToken":"t"}"#,
            "InvalidRequest",
        ),
        (
            "$aws/things/lamp/jobs/fw/update",
            br#"{"status":"IN_PROGRESS","expectedVersion":7,"clientToken":"t"}"#,
            "VersionMismatch",
        ),
        (
            "$aws/things/lamp/jobs/other/get",
            br#"{"clientToken":"t"}"#,
            "ResourceNotFound",
        ),
        (
            "$aws/things/lamp/jobs/start-next",
            br#"{"statusDetails":{"n":1},"clientToken":"t"}"#,
            "InvalidRequest",
        ),
    ] {
        let out = ask(&jobs, topic, payload).await;
        assert_eq!(out.len(), 1, "{topic} {out:?}");
        assert_eq!(out[0].topic, format!("{topic}/rejected"));
        assert_eq!(
            out[0].payload["code"],
            json!(code),
            "{topic} {:?}",
            out[0].payload
        );
        assert!(out[0].payload["message"].is_string());
        assert!(out[0].payload["timestamp"].is_u64());
        if out[0].payload["code"] != json!("InvalidJson") && payload.starts_with(b"{\"") {
            assert_eq!(out[0].payload["clientToken"], json!("t"), "{topic}");
        }
    }
    // Nothing moved.
    let out = ask(&jobs, "$aws/things/lamp/jobs/fw/get", b"{}").await;
    let execution = only(&out, "$aws/things/lamp/jobs/fw/get/accepted");
    assert_eq!(execution["execution"]["status"], json!("QUEUED"));
    assert_eq!(execution["execution"]["versionNumber"], json!(1));
}

#[tokio::test]
async fn other_topics_are_not_requests() {
    let jobs = lamp_with_a_job().await;
    for topic in [
        "$aws/things/lamp/jobs/notify",
        "$aws/things/lamp/jobs/get/accepted",
        "$aws/things/lamp/shadow/get",
        "lamp/jobs/get",
    ] {
        assert!(
            handle_request(&jobs, topic, b"{}").await.is_none(),
            "{topic}"
        );
    }
}
