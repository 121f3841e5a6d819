//! The gateway handler driven by the sample events in `events/gateway/`, against the memory
//! Store and — when `THINGCORE_TEST_DYNAMODB_ENDPOINT` names one (the test script starts moto
//! server) — DynamoDB tables, with a stub Management API that records PostToConnection calls.

use gateway::testing::RecordingPublisher;
use gateway::{GatewayConfig, GatewayService, InProcessRouter};
use serde_json::{json, Value};
use std::sync::Arc;
use thingcore::registry::RegistryConfig;
use thingcore::store::{MemoryStore, Store};
use thingcore::{Clock, ManualClock};
use thingcore_jobs::JobsService;
use thingcore_registry::RegistryService;
use thingcore_shadows::ShadowService;

const SUBSCRIBER: &str = "L0SM9cOFvHcCIhw=";
const PUBLISHER: &str = "P1ub1isherCIhw=";

#[path = "events/fanout.rs"]
mod fanout;
#[path = "events/policy.rs"]
mod policy;

struct Harness {
    gateway: GatewayService,
    router: InProcessRouter,
    posts: Arc<RecordingPublisher>,
    clock: Arc<ManualClock>,
}

impl Harness {
    async fn handle(&self, event: Value) -> Value {
        gateway::lambda::handle(&self.gateway, &self.router, event)
            .await
            .expect("a known event")
    }

    /// The subscriptions a publish on `topic` finds.
    async fn subscribers(&self, topic: &str) -> Vec<thingcore::gateway::index::SubscriptionRecord> {
        self.gateway.repo().subscribers(topic).await.expect("read")
    }

    /// Frames posted to `connection`, forgetting every recorded post.
    fn frames(&self, connection: &str) -> Vec<Value> {
        let frames = self.posts.frames_to(connection);
        self.posts.take();
        frames
    }
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../events/gateway/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A WebSocket fixture as sent for another connection.
fn from(connection: &str, name: &str) -> Value {
    let mut event = fixture(name);
    event["requestContext"]["connectionId"] = json!(connection);
    event
}

/// A `$default` event carrying `frame`.
fn frame(connection: &str, frame: &str) -> Value {
    let mut event = from(connection, "default-subscribe.json");
    event["body"] = json!(frame);
    event
}

async fn dynamo_store(clock: Arc<ManualClock>) -> Option<Arc<dyn Store>> {
    let Ok(endpoint) = std::env::var("THINGCORE_TEST_DYNAMODB_ENDPOINT") else {
        assert!(
            std::env::var("THINGCORE_REQUIRE_DYNAMODB").as_deref() != Ok("1"),
            "THINGCORE_TEST_DYNAMODB_ENDPOINT is not set but THINGCORE_REQUIRE_DYNAMODB=1"
        );
        return None;
    };
    let sdk = thingcore_aws::config::load(Some(&endpoint)).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    // Each test its own tables, so tests run in parallel without seeing each other.
    let names = thingcore_aws::TableNames::new(format!("gw{}", uuid_like()));
    thingcore_aws::tables::create_tables(&client, &names)
        .await
        .expect("create tables on the test endpoint");
    Some(Arc::new(thingcore_aws::DynamoStore::with_clock(
        client, names, clock,
    )))
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn harness_on(store: Arc<dyn Store>, manual: Arc<ManualClock>) -> Harness {
    harness_with(store, manual, |gateway| gateway)
}

/// A harness whose gateway `configure` finishes (a refresher, say).
fn harness_with(
    store: Arc<dyn Store>,
    manual: Arc<ManualClock>,
    configure: impl FnOnce(GatewayService) -> GatewayService,
) -> Harness {
    let posts = Arc::new(RecordingPublisher::new());
    let clock: Arc<dyn Clock> = manual.clone();
    let gateway = configure(GatewayService::new(
        store.clone(),
        posts.clone(),
        GatewayConfig::default(),
        clock.clone(),
    ));
    let registry = RegistryService::new(store.clone(), clock.clone(), RegistryConfig::default());
    let router = InProcessRouter::new(gateway.clone(), clock.clone())
        .with_shadows(ShadowService::new(store.clone(), clock.clone()))
        .with_jobs(JobsService::new(store, clock, registry));
    Harness {
        gateway,
        router,
        posts,
        clock: manual,
    }
}

/// Runs `scenario` on the memory store, and on DynamoDB when one is configured.
async fn on_every_store<F, Fut>(scenario: F)
where
    F: Fn(Harness) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let clock = Arc::new(ManualClock::new(1_795_735_800_000));
    scenario(harness_on(
        Arc::new(MemoryStore::new(clock.clone())),
        clock.clone(),
    ))
    .await;
    if let Some(store) = dynamo_store(clock.clone()).await {
        scenario(harness_on(store, clock)).await;
    }
}

#[tokio::test]
async fn subscribe_publish_and_retained_delivery() {
    on_every_store(|h| async move {
        assert_eq!(
            h.handle(fixture("connect.json")).await,
            json!({"statusCode": 200})
        );
        assert_eq!(
            h.handle(from(PUBLISHER, "connect.json")).await["statusCode"],
            200
        );
        h.handle(fixture("default-subscribe.json")).await;
        assert_eq!(
            h.frames(SUBSCRIBER),
            vec![json!({"action":"subscribed","topic":"sensors/+/telemetry","qos":1,"id":"s1"})]
        );

        h.handle(from(PUBLISHER, "default-publish.json")).await;
        let delivered = h.posts.frames_to(SUBSCRIBER);
        assert_eq!(
            delivered,
            vec![
                json!({"action":"message","topic":"sensors/kitchen/telemetry",
                        "payload":"{\"temperature\":21.5}","qos":1,"retain":false})
            ]
        );
        assert_eq!(
            h.frames(PUBLISHER),
            vec![json!({"action":"published","topic":"sensors/kitchen/telemetry","id":"p1"})]
        );

        // A later subscriber gets the retained message right after its reply.
        h.handle(frame(
            PUBLISHER,
            r#"{"action":"subscribe","topic":"sensors/#"}"#,
        ))
        .await;
        let frames = h.frames(PUBLISHER);
        assert_eq!(frames.len(), 2, "{frames:?}");
        assert_eq!(frames[1]["retain"], json!(true));
        assert_eq!(frames[1]["qos"], json!(0));

        // An empty retained publish clears it.
        h.handle(frame(
            PUBLISHER,
            r#"{"action":"publish","topic":"sensors/kitchen/telemetry","retain":true}"#,
        ))
        .await;
        let retained = h
            .gateway
            .repo()
            .retained_matching("#", 10)
            .await
            .expect("read");
        assert!(retained.is_empty(), "{retained:?}");
    })
    .await;
}

#[tokio::test]
async fn http_publish_reaches_websocket_subscribers() {
    on_every_store(|h| async move {
        h.handle(fixture("connect.json")).await;
        h.handle(fixture("default-subscribe.json")).await;
        h.posts.take();
        let response = h.handle(fixture("http-publish.json")).await;
        assert_eq!(response["statusCode"], 200, "{response}");
        assert_eq!(
            h.frames(SUBSCRIBER),
            vec![json!({"action":"message","topic":"sensors/hall/telemetry",
                        "payload":"{\"temperature\":19}","qos":1,"retain":false})]
        );
        let mut bad = fixture("http-publish.json");
        bad["rawPath"] = json!("/topics/sensors%2F%2B");
        let response = h.handle(bad).await;
        assert_eq!(response["statusCode"], 400, "{response}");
        assert_eq!(
            response["headers"]["x-amzn-errortype"],
            json!("InvalidRequestException")
        );
        assert!(h.frames(SUBSCRIBER).is_empty());
    })
    .await;
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_connection_stays_usable() {
    on_every_store(|h| async move {
        h.handle(fixture("connect.json")).await;
        let cases = [
            (fixture("default-malformed.json"), "MalformedFrame"),
            (frame(SUBSCRIBER, r#"{"action":"dance"}"#), "UnknownAction"),
            (
                frame(
                    SUBSCRIBER,
                    r#"{"action":"subscribe","topic":"a/#/b","id":"x"}"#,
                ),
                "InvalidTopic",
            ),
            (
                frame(SUBSCRIBER, r#"{"action":"publish","topic":"a/+"}"#),
                "InvalidTopic",
            ),
            (
                frame(
                    SUBSCRIBER,
                    &format!(
                        r#"{{"action":"publish","topic":"a","retain":true,"payload":"{}"}}"#,
                        "x".repeat(128 * 1024 + 1)
                    ),
                ),
                "PayloadTooLarge",
            ),
        ];
        for (event, code) in cases {
            assert_eq!(h.handle(event).await["statusCode"], 200);
            let frames = h.frames(SUBSCRIBER);
            assert_eq!(frames.len(), 1, "{frames:?}");
            assert_eq!(frames[0]["action"], json!("error"));
            assert_eq!(frames[0]["code"], json!(code), "{frames:?}");
        }
        // Nothing was written: no subscription, no retained message.
        let (record, _) = h
            .gateway
            .repo()
            .connection(SUBSCRIBER)
            .await
            .expect("known");
        assert!(record.subscriptions.is_empty());
        assert!(h
            .gateway
            .repo()
            .retained_matching("#", 10)
            .await
            .expect("read")
            .is_empty());
        // And the connection still works.
        h.handle(fixture("default-subscribe.json")).await;
        assert_eq!(h.frames(SUBSCRIBER)[0]["action"], json!("subscribed"));
    })
    .await;
}

#[tokio::test]
async fn stale_connections_get_an_error_and_nothing_is_written() {
    on_every_store(|h| async move {
        h.handle(fixture("connect.json")).await;
        h.handle(fixture("default-subscribe.json")).await;
        h.posts.take();
        h.handle(from("NeverConnected=", "default-publish.json"))
            .await;
        let frames = h.frames("NeverConnected=");
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0]["code"], json!("StaleConnection"));
        assert!(
            h.frames(SUBSCRIBER).is_empty(),
            "a stale publisher's message was routed"
        );
        h.handle(from("NeverConnected=", "default-subscribe.json"))
            .await;
        assert_eq!(
            h.frames("NeverConnected=")[0]["code"],
            json!("StaleConnection")
        );
        let subscribers = h.subscribers("sensors/x/telemetry").await;
        assert_eq!(subscribers.len(), 1, "{subscribers:?}");
    })
    .await;
}

#[tokio::test]
async fn gone_connections_are_removed_on_fan_out() {
    on_every_store(|h| async move {
        h.handle(fixture("connect.json")).await;
        h.handle(from(PUBLISHER, "connect.json")).await;
        h.handle(fixture("default-subscribe.json")).await;
        h.posts.mark_gone(SUBSCRIBER);
        h.handle(from(PUBLISHER, "default-publish.json")).await;
        assert!(h.gateway.repo().connection(SUBSCRIBER).await.is_err());
        let left = h.subscribers("sensors/kitchen/telemetry").await;
        assert!(left.is_empty(), "{left:?}");
    })
    .await;
}

#[tokio::test]
async fn disconnect_forgets_the_connection_and_its_subscriptions() {
    on_every_store(|h| async move {
        h.handle(fixture("connect.json")).await;
        h.handle(fixture("default-subscribe.json")).await;
        h.handle(frame(SUBSCRIBER, r##"{"action":"subscribe","topic":"#"}"##))
            .await;
        assert_eq!(
            h.handle(fixture("disconnect.json")).await["statusCode"],
            200
        );
        assert!(h.gateway.repo().connection(SUBSCRIBER).await.is_err());
        for topic in ["sensors/a/telemetry", "other"] {
            let left = h.subscribers(topic).await;
            assert!(left.is_empty(), "{topic}: {left:?}");
        }
        // A second $disconnect (API Gateway may retry) is harmless.
        assert_eq!(
            h.handle(fixture("disconnect.json")).await["statusCode"],
            200
        );
    })
    .await;
}

#[tokio::test]
async fn unsubscribe_stops_deliveries() {
    on_every_store(|h| async move {
        h.handle(fixture("connect.json")).await;
        h.handle(fixture("default-subscribe.json")).await;
        h.handle(frame(
            SUBSCRIBER,
            r#"{"action":"unsubscribe","topic":"sensors/+/telemetry","id":"u"}"#,
        ))
        .await;
        assert_eq!(
            h.frames(SUBSCRIBER).last(),
            Some(&json!({"action":"unsubscribed","topic":"sensors/+/telemetry","id":"u"}))
        );
        h.handle(fixture("http-publish.json")).await;
        assert!(h.frames(SUBSCRIBER).is_empty());
    })
    .await;
}

#[tokio::test]
async fn shadow_requests_reach_the_shadow_service() {
    on_every_store(|h| async move {
        h.handle(fixture("connect.json")).await;
        h.handle(frame(
            SUBSCRIBER,
            r#"{"action":"subscribe","topic":"$aws/things/lamp/shadow/update/accepted"}"#,
        ))
        .await;
        h.posts.take();
        h.handle(fixture("default-shadow-update.json")).await;
        let frames = h.frames(SUBSCRIBER);
        let accepted = frames
            .iter()
            .find(|f| f["topic"] == json!("$aws/things/lamp/shadow/update/accepted"))
            .unwrap_or_else(|| panic!("no accepted reply in {frames:?}"));
        let document: Value =
            serde_json::from_str(accepted["payload"].as_str().unwrap_or("null")).expect("json");
        assert_eq!(document["state"]["desired"], json!({"on": true}));
    })
    .await;
}

#[tokio::test]
async fn jobs_requests_reach_the_jobs_service() {
    let clock = Arc::new(ManualClock::new(1_795_735_800_000));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    // GIVEN thing lamp with a job queued for it
    let registry = RegistryService::new(store.clone(), clock.clone(), RegistryConfig::default());
    registry
        .create_thing("lamp", serde_json::from_value(json!({})).expect("request"))
        .await
        .expect("thing");
    let jobs = JobsService::new(store.clone(), clock.clone(), registry.clone());
    let create =
        json!({"targets": [registry.config().thing_arn("lamp")], "document": "{\"op\":1}"});
    jobs.create_job("fw", serde_json::from_value(create).expect("request"))
        .await
        .expect("job");
    let h = harness_on(store, clock);
    h.handle(fixture("connect.json")).await;
    h.handle(from(PUBLISHER, "connect.json")).await;
    h.handle(frame(
        SUBSCRIBER,
        r#"{"action":"subscribe","topic":"$aws/things/lamp/jobs/#"}"#,
    ))
    .await;
    h.posts.take();
    // WHEN the device starts its next job over the WebSocket gateway
    h.handle(frame(
        PUBLISHER,
        r#"{"action":"publish","topic":"$aws/things/lamp/jobs/start-next","payload":{"clientToken":"c1"},"qos":1}"#,
    ))
    .await;
    // THEN the answer and the notification reach the subscriber
    let frames = h.frames(SUBSCRIBER);
    let accepted = frames
        .iter()
        .find(|f| f["topic"] == json!("$aws/things/lamp/jobs/start-next/accepted"))
        .unwrap_or_else(|| panic!("no accepted answer in {frames:?}"));
    let answer: Value =
        serde_json::from_str(accepted["payload"].as_str().unwrap_or("null")).expect("json");
    assert_eq!(answer["execution"]["status"], json!("IN_PROGRESS"));
    assert_eq!(answer["clientToken"], json!("c1"));
    assert!(frames
        .iter()
        .any(|f| f["topic"] == json!("$aws/things/lamp/jobs/notify")));
}

#[tokio::test]
async fn unknown_events_are_errors() {
    let clock = Arc::new(ManualClock::new(0));
    let h = harness_on(Arc::new(MemoryStore::new(clock.clone())), clock);
    assert!(
        gateway::lambda::handle(&h.gateway, &h.router, json!({"hello": 1}))
            .await
            .is_err()
    );
}
