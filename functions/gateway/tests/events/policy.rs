//! The gateway enforces a connection's IoT policy at every door, as the MQTT broker does:
//! `$connect` (`iot:Connect`), subscribe (`iot:Subscribe` per filter), publish (`iot:Publish`,
//! `iot:RetainPublish`), delivery and retained messages (`iot:Receive`), with reserved topics
//! refused first; sessions end at `disconnectAfterInSeconds` and when a refresh refuses.
//!
//! `connect-device.json` is a device whose authorizer grants `client/sensor-7`, publish and
//! receive on `dev/${iot:ClientId}/*` and its own shadow, and subscribe on `dev/*`;
//! `connect.json` is an operator allowed everything.

use super::{fixture, frame, from, harness_with, on_every_store, Harness, PUBLISHER};
use gateway::refresh::{AuthorizerRefresher, RightsRefresher};
use serde_json::{json, Value};
use std::sync::Arc;
use thingcore::gateway::index::connection_key;
use thingcore::gateway::ConnectionRights;
use thingcore::store::{Expect, MemoryStore, Table};
use thingcore::ManualClock;
use thingcore_registry::custom_auth::AuthorizerFunctions;

const DEVICE: &str = "D3vice7CIhw=";

impl Harness {
    /// Sends `text` from `connection` and returns the frames it got back (other
    /// connections' frames stay recorded).
    async fn ask(&self, connection: &str, text: Value) -> Vec<Value> {
        self.handle(frame(connection, &text.to_string())).await;
        self.posts.take_for(connection)
    }
}

fn error_code(frames: &[Value]) -> Option<&str> {
    frames
        .iter()
        .find(|f| f["action"] == "error")
        .and_then(|f| f["code"].as_str())
}

#[tokio::test]
async fn a_device_is_refused_what_its_policy_does_not_allow() {
    on_every_store(|h| async move {
        assert_eq!(
            h.handle(fixture("connect-device.json")).await["statusCode"],
            200
        );
        let subscribe = |topic: &str| json!({"action":"subscribe","topic":topic,"qos":1,"id":"s"});
        let publish = |topic: &str| json!({"action":"publish","topic":topic,"qos":1,"id":"p"});

        for (request, code) in [
            (subscribe("#"), "NotAuthorized"),
            (subscribe("$aws/things/+/shadow/#"), "NotAuthorized"),
            (subscribe("$aws/rules/#"), "ReservedTopic"),
            (
                publish("$aws/things/sensor-8/shadow/update"),
                "NotAuthorized",
            ),
            (publish("dev/sensor-8/t"), "NotAuthorized"),
            (
                publish("$aws/things/sensor-7/shadow/update/accepted"),
                "ReservedTopic",
            ),
            (
                publish("$aws/events/presence/connected/sensor-7"),
                "ReservedTopic",
            ),
            (
                json!({"action":"publish","topic":"dev/sensor-7/t","retain":true,"payload":"x"}),
                "NotAuthorized",
            ),
        ] {
            let frames = h.ask(DEVICE, request.clone()).await;
            assert_eq!(error_code(&frames), Some(code), "{request}: {frames:?}");
            let message = frames[0]["message"].as_str().unwrap_or_default();
            assert!(!message.is_empty(), "a reason for people: {frames:?}");
        }
        // Nothing refused was written: no subscription, no retained message.
        let (record, _) = h.gateway.repo().connection(DEVICE).await.expect("known");
        assert!(record.subscriptions.is_empty(), "{record:?}");
        assert!(h
            .gateway
            .repo()
            .retained_matching("#", 10)
            .await
            .expect("read")
            .is_empty());

        // What the policy allows works.
        let frames = h.ask(DEVICE, subscribe("dev/+/t")).await;
        assert_eq!(frames[0]["action"], "subscribed", "{frames:?}");
        // It hears its own message (it subscribed to `dev/+/t`), then the reply.
        let frames = h.ask(DEVICE, publish("dev/sensor-7/t")).await;
        assert_eq!(frames[0]["action"], "message", "{frames:?}");
        assert_eq!(
            frames[1],
            json!({"action":"published","topic":"dev/sensor-7/t","id":"p"})
        );
        let frames = h
            .ask(DEVICE, publish("$aws/things/sensor-7/shadow/update"))
            .await;
        assert_eq!(frames[0]["action"], "published", "{frames:?}");
    })
    .await;
}

#[tokio::test]
async fn a_device_receives_only_what_it_may_receive() {
    on_every_store(|h| async move {
        h.handle(fixture("connect-device.json")).await;
        h.handle(from(PUBLISHER, "connect.json")).await;
        // The operator leaves a retained message for another device first.
        h.ask(
            PUBLISHER,
            json!({"action":"publish","topic":"dev/sensor-8/t","retain":true,"payload":"r8"}),
        )
        .await;
        // `dev/+/t` may be subscribed, but only `dev/sensor-7/t` received.
        let frames = h
            .ask(DEVICE, json!({"action":"subscribe","topic":"dev/+/t"}))
            .await;
        assert_eq!(
            frames.len(),
            1,
            "no retained message of sensor-8: {frames:?}"
        );

        for topic in ["dev/sensor-8/t", "dev/sensor-7/t"] {
            h.ask(
                PUBLISHER,
                json!({"action":"publish","topic":topic,"payload":topic}),
            )
            .await;
        }
        let delivered: Vec<Value> = h.posts.take_for(DEVICE);
        assert_eq!(delivered.len(), 1, "{delivered:?}");
        assert_eq!(delivered[0]["topic"], "dev/sensor-7/t");
    })
    .await;
}

#[tokio::test]
async fn connect_is_refused_when_the_policy_denies_the_client_id() {
    on_every_store(|h| async move {
        let mut event = fixture("connect-device.json");
        event["queryStringParameters"]["clientId"] = json!("sensor-8");
        assert_eq!(h.handle(event).await, json!({"statusCode": 403}));
        let mut broken = fixture("connect-device.json");
        broken["requestContext"]["authorizer"]["iotPolicy"] = json!("{not a policy");
        assert_eq!(h.handle(broken).await, json!({"statusCode": 403}));
        // An authorizer that grants no policy grants nothing.
        let mut bare = fixture("connect-device.json");
        bare["requestContext"]["authorizer"]
            .as_object_mut()
            .map(|context| context.remove("iotPolicy"));
        assert_eq!(h.handle(bare).await, json!({"statusCode": 403}));
        assert!(
            h.gateway.repo().connection(DEVICE).await.is_err(),
            "nothing recorded"
        );
    })
    .await;
}

#[tokio::test]
async fn basic_ingest_reaches_no_subscriber() {
    on_every_store(|h| async move {
        h.handle(fixture("connect.json")).await;
        h.handle(from(PUBLISHER, "connect.json")).await;
        let frames = h
            .ask(PUBLISHER, json!({"action":"subscribe","topic":"$aws/#"}))
            .await;
        assert_eq!(frames[0]["action"], "subscribed");
        let frames = h
            .ask(
                PUBLISHER,
                json!({"action":"publish","topic":"$aws/rules/r1/a","payload":"x","id":"i"}),
            )
            .await;
        assert_eq!(
            frames,
            vec![json!({"action":"published","topic":"$aws/rules/r1/a","id":"i"})]
        );
        assert!(h.posts.take().is_empty(), "delivered to nobody");
    })
    .await;
}

#[tokio::test]
async fn a_session_ends_at_disconnect_after() {
    on_every_store(|h| async move {
        h.handle(fixture("connect-device.json")).await;
        h.ask(
            DEVICE,
            json!({"action":"subscribe","topic":"dev/sensor-7/#"}),
        )
        .await;
        // disconnectAfterInSeconds is 3600 in the fixture.
        h.clock.advance(3_600_000);
        let frames = h
            .ask(DEVICE, json!({"action":"publish","topic":"dev/sensor-7/t"}))
            .await;
        assert!(
            frames.is_empty(),
            "a closed connection gets nothing: {frames:?}"
        );
        assert_eq!(h.posts.closed(), vec![DEVICE.to_string()]);
        assert!(
            h.gateway.repo().connection(DEVICE).await.is_err(),
            "forgotten"
        );
        assert!(h.subscribers("dev/sensor-7/t").await.is_empty());
    })
    .await;
}

/// A refresher that answers as told.
struct Refresher(Result<(), String>);

#[async_trait::async_trait]
impl RightsRefresher for Refresher {
    async fn refresh(&self, rights: &ConnectionRights) -> Result<ConnectionRights, String> {
        self.0.clone().map(|()| {
            let mut renewed = rights.clone();
            renewed.refresh_at = rights.refresh_at.map(|at| at + 300_000);
            renewed
        })
    }
}

fn refreshing(answer: Result<(), String>) -> Harness {
    let clock = Arc::new(ManualClock::new(1_795_735_800_000));
    harness_with(
        Arc::new(MemoryStore::new(clock.clone())),
        clock,
        |gateway| gateway.with_refresher(Arc::new(Refresher(answer))),
    )
}

fn with_refresh_after(secs: u64) -> Value {
    let mut event = fixture("connect-device.json");
    event["requestContext"]["authorizer"]["refreshAfterInSeconds"] = json!(secs.to_string());
    event
}

#[tokio::test]
async fn a_refresh_that_refuses_disconnects_and_one_that_accepts_renews() {
    let refused = refreshing(Err("token revoked".into()));
    refused.handle(with_refresh_after(300)).await;
    refused
        .ask(
            DEVICE,
            json!({"action":"subscribe","topic":"dev/sensor-7/#"}),
        )
        .await;
    refused.clock.advance(300_000);
    // The next delivery to it asks again, is refused, and closes it.
    refused.handle(from(PUBLISHER, "connect.json")).await;
    refused
        .ask(
            PUBLISHER,
            json!({"action":"publish","topic":"dev/sensor-7/t"}),
        )
        .await;
    assert!(refused.posts.frames_to(DEVICE).is_empty());
    assert_eq!(refused.posts.closed(), vec![DEVICE.to_string()]);

    let renewed = refreshing(Ok(()));
    renewed.handle(with_refresh_after(300)).await;
    renewed.clock.advance(300_000);
    let frames = renewed
        .ask(
            DEVICE,
            json!({"action":"subscribe","topic":"dev/sensor-7/#"}),
        )
        .await;
    assert_eq!(frames[0]["action"], "subscribed", "{frames:?}");
    let (record, _) = renewed
        .gateway
        .repo()
        .connection(DEVICE)
        .await
        .expect("kept");
    let rights = record.rights.expect("rights");
    assert_eq!(rights.refresh_at, Some(1_795_735_800_000 + 600_000));
    assert!(renewed.posts.closed().is_empty());
}

/// An authorizer function that answers as told and keeps the events it was asked with.
#[derive(Debug)]
struct AuthorizerFunction {
    answer: Result<Value, String>,
    asked: std::sync::Mutex<Vec<(String, Value)>>,
}

#[async_trait::async_trait]
impl AuthorizerFunctions for AuthorizerFunction {
    async fn invoke(&self, function_arn: &str, event: Value) -> Result<Value, String> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push((function_arn.to_string(), event));
        }
        self.answer.clone()
    }
}

/// An answer in the `authorizer` function's shape: `effect` on the API, `policy` in context.
fn authorizer_answer(effect: &str, policy: &Value, refresh_after: u64) -> Value {
    json!({
        "principalId": "sensor-7",
        "policyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "execute-api:Invoke", "Effect": effect,
            "Resource": "arn:aws:execute-api:us-east-1:000000000000:abc123/*"}]},
        "context": {"principalId": "sensor-7", "iotPolicy": policy.to_string(),
                    "disconnectAfterInSeconds": 3600, "refreshAfterInSeconds": refresh_after}
    })
}

/// A harness whose gateway refreshes through the Lambda refresher and `function`.
fn refreshing_through(function: Arc<AuthorizerFunction>) -> Harness {
    let clock = Arc::new(ManualClock::new(1_795_735_800_000));
    let refresher = AuthorizerRefresher::new(function, "thingcore-authorizer", clock.clone());
    harness_with(
        Arc::new(MemoryStore::new(clock.clone())),
        clock,
        |gateway| gateway.with_refresher(Arc::new(refresher)),
    )
}

/// The device's `$connect` with a token, as a browser sends it, and a refresh after 300 s.
fn connect_with_token() -> Value {
    let mut event = with_refresh_after(300);
    event["queryStringParameters"]["token"] = json!("eyJhbGciOi.token.sig");
    event
}

#[tokio::test]
async fn lambdas_refresher_asks_the_authorizer_function_again_with_the_connect_request() {
    // The renewed policy no longer allows subscribing to dev/*, only dev/sensor-7/a.
    let narrower = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:*:*:client/sensor-7"},
        {"Effect": "Allow", "Action": "iot:Subscribe",
         "Resource": "arn:aws:iot:*:*:topicfilter/dev/sensor-7/a"}]});
    let function = Arc::new(AuthorizerFunction {
        answer: Ok(authorizer_answer("Allow", &narrower, 600)),
        asked: std::sync::Mutex::default(),
    });
    let h = refreshing_through(function.clone());
    h.handle(connect_with_token()).await;
    let frames = h
        .ask(
            DEVICE,
            json!({"action":"subscribe","topic":"dev/sensor-7/b"}),
        )
        .await;
    assert_eq!(
        frames[0]["action"], "subscribed",
        "before the refresh: {frames:?}"
    );
    assert!(
        function.asked.lock().expect("lock").is_empty(),
        "not due yet"
    );

    h.clock.advance(300_000);
    let frames = h
        .ask(
            DEVICE,
            json!({"action":"subscribe","topic":"dev/sensor-7/c"}),
        )
        .await;
    assert_eq!(error_code(&frames), Some("NotAuthorized"), "{frames:?}");
    let frames = h
        .ask(
            DEVICE,
            json!({"action":"subscribe","topic":"dev/sensor-7/a"}),
        )
        .await;
    assert_eq!(frames[0]["action"], "subscribed", "{frames:?}");

    let asked = function.asked.lock().expect("lock").clone();
    assert_eq!(
        asked.len(),
        1,
        "asked once, then the renewed rights hold: {asked:?}"
    );
    let (name, event) = &asked[0];
    assert_eq!(name, "thingcore-authorizer");
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(
        event["methodArn"],
        "arn:aws:execute-api:us-east-1:000000000000:abc123/production/$connect"
    );
    assert_eq!(
        event["queryStringParameters"]["token"],
        "eyJhbGciOi.token.sig"
    );
    assert_eq!(
        event["headers"]["Host"],
        "abc123.execute-api.us-east-1.amazonaws.com"
    );

    let (record, _) = h.gateway.repo().connection(DEVICE).await.expect("kept");
    let rights = record.rights.expect("rights");
    assert_eq!(rights.client_id, "sensor-7");
    assert_eq!(
        rights.refresh_at,
        Some(1_795_735_800_000 + 300_000 + 600_000)
    );
    assert_eq!(
        rights.disconnect_at,
        Some(1_795_735_800_000 + 300_000 + 3_600_000)
    );
    assert!(rights.refresh_with.is_some(), "kept for the next refresh");
    assert!(h.posts.closed().is_empty());
}

#[tokio::test]
async fn lambdas_refresher_closes_the_connection_on_deny_error_or_a_kept_request_missing() {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let answers = [
        Ok(authorizer_answer("Deny", &policy, 300)),
        Err("Unhandled: Unauthorized".to_string()),
        Ok(json!({"principalId": "sensor-7"})),
    ];
    for answer in answers {
        let function = Arc::new(AuthorizerFunction {
            answer: answer.clone(),
            asked: std::sync::Mutex::default(),
        });
        let h = refreshing_through(function);
        h.handle(connect_with_token()).await;
        h.clock.advance(300_000);
        let frames = h
            .ask(
                DEVICE,
                json!({"action":"subscribe","topic":"dev/sensor-7/a"}),
            )
            .await;
        assert!(
            frames.is_empty(),
            "{answer:?}: a closed connection gets nothing: {frames:?}"
        );
        assert_eq!(h.posts.closed(), vec![DEVICE.to_string()], "{answer:?}");
        assert!(
            h.gateway.repo().connection(DEVICE).await.is_err(),
            "{answer:?}: forgotten"
        );
    }

    // Rights stored without the request (an authorizer that never asked to be refreshed,
    // then a stored item changed by hand) cannot be renewed: closed, not kept forever.
    let refresher = AuthorizerRefresher::new(
        Arc::new(AuthorizerFunction {
            answer: Ok(authorizer_answer("Allow", &policy, 300)),
            asked: std::sync::Mutex::default(),
        }),
        "thingcore-authorizer",
        Arc::new(ManualClock::new(0)),
    );
    let mut rights = gateway::lambda::rights_from_authorizer(
        &connect_with_token(),
        &gateway::GatewayConfig::default(),
        0,
    )
    .expect("rights");
    rights.refresh_with = None;
    assert!(refresher.refresh(&rights).await.is_err());
}

#[tokio::test]
async fn a_stored_policy_that_does_not_parse_refuses_everything() {
    on_every_store(|h| async move {
        h.handle(fixture("connect-device.json")).await;
        h.ask(DEVICE, json!({"action":"subscribe","topic":"dev/+/t"}))
            .await;
        // The item is changed behind the gateway's back.
        let (mut record, version) = h.gateway.repo().connection(DEVICE).await.expect("known");
        if let Some(rights) = record.rights.as_mut() {
            rights.policies = vec!["{broken".into()];
        }
        assert!(h
            .gateway
            .repo()
            .replace_connection(&record, version)
            .await
            .expect("written"));
        let frames = h
            .ask(DEVICE, json!({"action":"publish","topic":"dev/sensor-7/t"}))
            .await;
        assert_eq!(error_code(&frames), Some("NotAuthorized"), "{frames:?}");
        assert!(frames[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("policy")));
        h.handle(from(PUBLISHER, "connect.json")).await;
        h.ask(
            PUBLISHER,
            json!({"action":"publish","topic":"dev/sensor-7/t"}),
        )
        .await;
        assert!(h.posts.frames_to(DEVICE).is_empty(), "nothing delivered");
    })
    .await;
}

#[tokio::test]
async fn subscriptions_of_a_connection_whose_item_is_gone_are_removed_on_fan_out() {
    on_every_store(|h| async move {
        h.handle(fixture("connect-device.json")).await;
        h.ask(
            DEVICE,
            json!({"action":"subscribe","topic":"dev/sensor-7/#"}),
        )
        .await;
        // The connection item expired (TTL) before its index items.
        let store = h.gateway.repo().store();
        store
            .delete(Table::Broker, &connection_key(DEVICE), Expect::Any)
            .await
            .expect("deleted");
        h.handle(from(PUBLISHER, "connect.json")).await;
        h.ask(
            PUBLISHER,
            json!({"action":"publish","topic":"dev/sensor-7/t"}),
        )
        .await;
        assert!(h.posts.frames_to(DEVICE).is_empty());
        let left = h.subscribers("dev/sensor-7/t").await;
        assert!(left.is_empty(), "{left:?}");
    })
    .await;
}

#[tokio::test]
async fn http_publish_asks_the_authorizers_policy() {
    on_every_store(|h| async move {
        let device = fixture("connect-device.json");
        let policy = device["requestContext"]["authorizer"]["iotPolicy"].clone();
        let mut event = fixture("http-publish.json");
        event["requestContext"]["authorizer"] =
            json!({"lambda": {"principalId": "sensor-7", "iotPolicy": policy}});
        let refused = h.handle(event.clone()).await;
        assert_eq!(refused["statusCode"], 401, "{refused}");
        assert_eq!(
            refused["headers"]["x-amzn-errortype"],
            "UnauthorizedException"
        );
        event["rawPath"] = json!("/topics/dev%2Fsensor-7%2Ft");
        let allowed = h.handle(event).await;
        assert_eq!(allowed["statusCode"], 200, "{allowed}");
    })
    .await;
}
