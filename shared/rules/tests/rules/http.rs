//! The http action against a local HTTP receiver: a tokio listener on 127.0.0.1:0 that records
//! each request and answers with the statuses it is told to, or not at all.

use crate::common::{message, republish, Rig};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use thingcore::mqtt::Bytes;
use thingcore::registry::RegistryConfig;
use thingcore::rules::destination::destination_key;
use thingcore::rules::{Action, DestinationStatus, ResolvedAction, StoredDestination};
use thingcore::store::{Put, Store, Table, WriteOp};
use thingcore_rules::actions::http::HttpSink;
use thingcore_rules::{execute_all, ActionError, ActionSink, ErrorActionOutcome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the receiver saw: each request's head (lowercased) and body.
type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// Starts a receiver answering the `statuses` in turn (the last one ever after); `None` means
/// never answer. Returns its URL and what it saw.
async fn receiver(statuses: Vec<Option<u16>>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/ingest", listener.local_addr().expect("addr"));
    let seen: Seen = Arc::default();
    let record = seen.clone();
    tokio::spawn(async move {
        let mut tries = 0;
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let status = statuses[tries.min(statuses.len() - 1)];
            tries += 1;
            let record = record.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body) = loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buffer.len() >= end + 4 + length {
                        break (head, buffer[end + 4..end + 4 + length].to_vec());
                    }
                };
                record.lock().expect("lock").push((head, body));
                match status {
                    Some(code) => {
                        let answer = format!(
                            "HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        );
                        let _ = socket.write_all(answer.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    (url, seen)
}

fn action(url: &str) -> ResolvedAction {
    let action: Action = serde_json::from_value(json!({"http": {"url": url,
        "headers": [{"key": "x-device", "value": "kitchen"}]}}))
    .expect("an action");
    ResolvedAction {
        action,
        payload: Bytes::from_static(b"{\"temp\":31}"),
    }
}

#[tokio::test]
async fn posts_the_output_with_its_headers() {
    let (url, seen) = receiver(vec![Some(200)]).await;
    HttpSink::new().run(&action(&url)).await.expect("delivered");
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    let (head, body) = &seen[0];
    assert!(head.starts_with("post /ingest http/1.1"), "{head}");
    assert!(head.contains("x-device: kitchen"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert_eq!(body, b"{\"temp\":31}");
}

#[tokio::test]
async fn server_errors_are_retried_twice_then_fail() {
    let (url, seen) = receiver(vec![Some(503)]).await;
    let error = HttpSink::new().run(&action(&url)).await.expect_err("503");
    assert!(error.to_string().contains("StatusCode: 503"), "{error}");
    assert_eq!(seen.lock().expect("lock").len(), 3);

    let (url, seen) = receiver(vec![Some(500), Some(204)]).await;
    HttpSink::new()
        .run(&action(&url))
        .await
        .expect("second try");
    assert_eq!(seen.lock().expect("lock").len(), 2);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (url, seen) = receiver(vec![Some(404)]).await;
    let error = HttpSink::new().run(&action(&url)).await.expect_err("404");
    assert!(matches!(error, ActionError::Failed { .. }));
    assert!(error.to_string().contains("StatusCode: 404"), "{error}");
    assert_eq!(seen.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn a_silent_endpoint_times_out_after_three_seconds() {
    let (url, _) = receiver(vec![None]).await;
    let started = Instant::now();
    let error = HttpSink::new()
        .run(&action(&url))
        .await
        .expect_err("timeout");
    assert!(error.to_string().contains("timeout"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A rule with an http action (header from a template) and a republish error action, run
/// through the engine and [`ActionSinks`] as a host runs it.
async fn run_rule(
    url: &str,
) -> (
    Vec<thingcore_rules::RuleReport>,
    Vec<thingcore::broker::Message>,
) {
    run_rule_with(url, HttpSink::new(), &Rig::new()).await
}

/// As [`run_rule`], on `rig` with `sink`.
async fn run_rule_with(
    url: &str,
    sink: HttpSink,
    rig: &Rig,
) -> (
    Vec<thingcore_rules::RuleReport>,
    Vec<thingcore::broker::Message>,
) {
    rig.put_rule(
        "to_http",
        json!({"sql": "SELECT temp, topic(2) AS device FROM 'sensors/+/telemetry'",
            "actions": [{"http": {"url": format!("{url}/${{topic(2)}}"),
                "headers": [{"key": "x-device", "value": "${topic(2)}"}]}}],
            "errorAction": republish("errors/${ruleName}")}),
    );
    rig.refresh();
    let mut sinks = rig.sinks();
    sinks.insert("http", Arc::new(sink));
    let work = rig
        .engine
        .evaluate(&message("sensors/kitchen/telemetry", r#"{"temp": 31}"#));
    let reports = execute_all(work, &sinks).await;
    (reports, rig.publisher.take())
}

#[tokio::test]
async fn a_rule_posts_with_headers_rendered_from_templates() {
    let (url, seen) = receiver(vec![Some(200)]).await;
    let (reports, sent) = run_rule(url.trim_end_matches("/ingest")).await;
    assert_eq!(reports[0].succeeded, 1);
    assert_eq!(reports[0].error_action, ErrorActionOutcome::NotNeeded);
    assert!(sent.is_empty());
    let seen = seen.lock().expect("lock").clone();
    let (head, body) = &seen[0];
    assert!(head.starts_with("post /kitchen http/1.1"), "{head}");
    assert!(head.contains("x-device: kitchen"), "{head}");
    let body: serde_json::Value = serde_json::from_slice(body).expect("json");
    assert_eq!(body, json!({"temp": 31, "device": "kitchen"}));
}

#[tokio::test]
async fn a_404_goes_to_the_error_action_with_awss_message() {
    let (url, _) = receiver(vec![Some(404)]).await;
    let base = url.trim_end_matches("/ingest").to_owned();
    let (reports, sent) = run_rule(&base).await;
    assert_eq!(reports[0].error_action, ErrorActionOutcome::Ran);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].topic, "errors/to_http");
    let error: serde_json::Value = serde_json::from_slice(&sent[0].payload).expect("json");
    let failure = &error["failures"][0];
    assert_eq!(failure["failedAction"], "HttpAction");
    assert_eq!(failure["failedResource"], format!("{base}/kitchen"));
    let message = failure["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(
            "HttpAction failed to make a request to the specified endpoint. StatusCode: 404."
        ),
        "{message}"
    );
}

/// Writes `destination` as the registry does.
fn put_destination(rig: &Rig, destination: &StoredDestination) {
    let body = serde_json::to_vec(destination).expect("json");
    let put = Put::new(Table::Registry, destination_key(&destination.id), body);
    futures::executor::block_on(rig.store.transact(vec![WriteOp::Put(put)])).expect("write");
}

#[tokio::test]
async fn only_an_enabled_destination_lets_messages_through() {
    let (url, seen) = receiver(vec![Some(200)]).await;
    let base = url.trim_end_matches("/ingest").to_owned();
    let rig = Rig::new();
    let checked = || HttpSink::new().with_destinations(rig.store.clone());
    let fails_with = |sent: &[thingcore::broker::Message]| -> String {
        assert_eq!(sent.len(), 1, "the error action ran");
        let error: serde_json::Value = serde_json::from_slice(&sent[0].payload).expect("json");
        error["failures"][0]["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    // GIVEN no destination: the error action gets the failure, the receiver nothing.
    let (_, sent) = run_rule_with(&base, checked(), &rig).await;
    let message = fails_with(&sent);
    assert!(
        message.contains("No topic rule destination covers"),
        "{message}"
    );

    // GIVEN one waiting for its confirmation.
    let config = RegistryConfig::default();
    let id = "7a280e37-b9c6-47a2-a751-0703693f46e4";
    let mut destination =
        StoredDestination::new(&config, id, &format!("{base}/"), "s", 1).expect("destination");
    put_destination(&rig, &destination);
    let (_, sent) = run_rule_with(&base, checked(), &rig).await;
    let message = fails_with(&sent);
    assert!(message.contains("is IN_PROGRESS, not ENABLED"), "{message}");
    assert!(seen.lock().expect("lock").is_empty());

    // WHEN it is confirmed THEN messages reach the receiver.
    let token = destination.confirmation_token.clone();
    destination.confirm(&token, 2).expect("confirmed");
    put_destination(&rig, &destination);
    let (reports, sent) = run_rule_with(&base, checked(), &rig).await;
    assert_eq!((reports[0].succeeded, sent.len()), (1, 0));
    assert_eq!(seen.lock().expect("lock").len(), 1);

    // WHEN it is disabled THEN they stop again.
    destination
        .update(DestinationStatus::Disabled, "x", 3)
        .expect("disabled");
    put_destination(&rig, &destination);
    let (_, sent) = run_rule_with(&base, checked(), &rig).await;
    assert!(fails_with(&sent).contains("is DISABLED, not ENABLED"));
    assert_eq!(seen.lock().expect("lock").len(), 1);
}
