//! The Lambda router's hop limit: a rule that republishes onto its own topic is routed at most
//! [`MAX_ROUTE_DEPTH`] hops further and then dropped, so one publish cannot loop forever.

use gateway::testing::RecordingPublisher;
use gateway::{GatewayConfig, GatewayService, InProcessRouter, MAX_ROUTE_DEPTH};
use serde_json::{json, Value};
use std::sync::Arc;
use thingcore::rules::{generation_key, rule_key, RuleName, StoredRule, TopicRulePayload};
use thingcore::store::{MemoryStore, Put, Store, Table, WriteOp};
use thingcore::{Clock, ManualClock};
use thingcore_rules::{RulesEngine, SinkConfig};

const CONNECTION: &str = "L0SM9cOFvHcCIhw=";
const START_MILLIS: u64 = 1_795_735_800_000;

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../events/gateway/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A `$default` event of `CONNECTION` carrying `frame`.
fn frame(frame: &str) -> Value {
    let mut event = fixture("default-subscribe.json");
    event["requestContext"]["connectionId"] = json!(CONNECTION);
    event["body"] = json!(frame);
    event
}

/// Writes rule `name` as CreateTopicRule does (the rule and the rules' generation).
async fn put_rule(store: &MemoryStore, name: &str, payload: Value) {
    let payload: TopicRulePayload = serde_json::from_value(payload).expect("a rule payload");
    let name = RuleName::parse(name).expect("a rule name");
    let rule = StoredRule::new(&name, payload, START_MILLIS / 1000);
    let body = serde_json::to_vec(&rule).expect("serializable");
    store
        .transact(vec![
            WriteOp::Put(Put::new(Table::Registry, rule_key(name.as_str()), body)),
            WriteOp::Put(Put::new(Table::Registry, generation_key(), b"{}".to_vec())),
        ])
        .await
        .expect("stored");
}

#[tokio::test]
async fn a_rule_republishing_onto_its_own_topic_stops_after_the_hop_limit() {
    let clock = Arc::new(ManualClock::new(START_MILLIS));
    let store = Arc::new(MemoryStore::new(clock.clone()));
    put_rule(
        &store,
        "echo",
        json!({
            "sql": "SELECT * FROM 'loop/topic'",
            "actions": [{"republish": {
                "topic": "loop/topic",
                "roleArn": "arn:aws:iam::000000000000:role/iot"
            }}]
        }),
    )
    .await;
    let clock: Arc<dyn Clock> = clock;
    let posts = Arc::new(RecordingPublisher::new());
    let gateway = GatewayService::new(
        store.clone(),
        posts.clone(),
        GatewayConfig::default(),
        clock.clone(),
    );
    let rules = RulesEngine::new(store).with_clock(clock.clone());
    let router = InProcessRouter::new(gateway.clone(), clock)
        .with_rules(Arc::new(rules), SinkConfig::from_env());

    let handle = |event: Value| {
        let (gateway, router) = (gateway.clone(), router.clone());
        async move {
            gateway::lambda::handle(&gateway, &router, event)
                .await
                .expect("a known event")
        }
    };
    handle(fixture("connect.json")).await;
    handle(frame(r#"{"action":"subscribe","topic":"loop/topic"}"#)).await;
    posts.take();
    handle(frame(
        r#"{"action":"publish","topic":"loop/topic","payload":"{\"n\":1}"}"#,
    ))
    .await;

    let deliveries = posts
        .frames_to(CONNECTION)
        .into_iter()
        .filter(|f| f["topic"] == json!("loop/topic"))
        .count();
    // The publish itself, then one republish per hop up to the limit.
    assert_eq!(deliveries, MAX_ROUTE_DEPTH + 1);
}
