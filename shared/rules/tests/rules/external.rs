//! External SQL functions over the Store: `get_thing_shadow` and `get_registry_data` read
//! what shadow-updater and registry-api wrote, through `RulesEngine::evaluate_async`.

use crate::common::{message, republish, Rig};
use serde_json::{json, Value};
use std::sync::Arc;
use thingcore_registry::things::CreateThingRequest;
use thingcore_registry::{RegistryConfig, RegistryService};
use thingcore_rules::{
    execute_all, RuleMessage, RuleReport, RulesEngine, SinkConfig, StoreFunctions,
};
use thingcore_shadows::ShadowService;

struct Services {
    engine: RulesEngine,
    shadows: ShadowService,
    registry: RegistryService,
}

fn services(rig: &Rig) -> Services {
    let shadows = ShadowService::new(rig.store.clone(), rig.clock.clone());
    let registry = RegistryService::new(
        rig.store.clone(),
        rig.clock.clone(),
        RegistryConfig::default(),
    );
    let functions = StoreFunctions::new(shadows.clone(), registry.clone());
    let engine = RulesEngine::new(rig.store.clone())
        .with_clock(rig.clock.clone())
        .with_resolver(Arc::new(functions));
    let report = futures::executor::block_on(engine.reload()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.skipped, 0, "{report:?}");
    Services {
        engine,
        shadows,
        registry,
    }
}

fn publish(rig: &Rig, engine: &RulesEngine, m: &RuleMessage) -> Vec<RuleReport> {
    futures::executor::block_on(async {
        let work = engine.evaluate_async(m).await;
        execute_all(work, &rig.sinks()).await
    })
}

fn payloads(rig: &Rig) -> Vec<(String, Value)> {
    rig.publisher
        .take()
        .into_iter()
        .map(|m| {
            let payload = serde_json::from_slice(&m.payload).unwrap_or(Value::Null);
            (m.topic, payload)
        })
        .collect()
}

#[test]
fn get_thing_shadow_in_select_and_where() {
    // GIVEN a rule that reads the reporting device's shadow in SELECT and WHERE
    let rig = Rig::new();
    rig.put_rule(
        "shadow_alarm",
        json!({"sql": "SELECT temp, get_thing_shadow(topic(2), 'arn:aws:iam::1:role/r').state.reported.mode AS mode \
                       FROM 'sensors/+/telemetry' \
                       WHERE get_thing_shadow(topic(2), 'arn:aws:iam::1:role/r').state.reported.armed = true",
               "awsIotSqlVersion": "2016-03-23",
               "actions": [republish("alarms/${topic(2)}")]}),
    );
    let s = services(&rig);
    let update = |thing: &str, doc: Value| {
        futures::executor::block_on(s.shadows.update(thing, None, doc.to_string().as_bytes()))
            .unwrap_or_else(|_| panic!("shadow update of {thing}"));
    };
    update(
        "kitchen",
        json!({"state": {"reported": {"armed": true, "mode": "away"}}}),
    );
    update(
        "hall",
        json!({"state": {"reported": {"armed": false, "mode": "home"}}}),
    );

    // WHEN three devices report THEN only the armed one's message goes out, with its mode
    publish(
        &rig,
        &s.engine,
        &message("sensors/kitchen/telemetry", r#"{"temp": 31}"#),
    );
    publish(
        &rig,
        &s.engine,
        &message("sensors/hall/telemetry", r#"{"temp": 32}"#),
    );
    publish(
        &rig,
        &s.engine,
        &message("sensors/cellar/telemetry", r#"{"temp": 33}"#),
    );
    assert_eq!(
        payloads(&rig),
        vec![(
            "alarms/kitchen".to_owned(),
            json!({"temp": 31, "mode": "away"})
        )]
    );

    // WHEN the hall is armed THEN the next message sees the new shadow
    update("hall", json!({"state": {"reported": {"armed": true}}}));
    publish(
        &rig,
        &s.engine,
        &message("sensors/hall/telemetry", r#"{"temp": 34}"#),
    );
    assert_eq!(
        payloads(&rig),
        vec![(
            "alarms/hall".to_owned(),
            json!({"temp": 34, "mode": "home"})
        )]
    );

    // The synchronous path has no Store behind it: the rule fails, and the failed resource
    // its error action hears of is the function.
    let work = s
        .engine
        .evaluate(&message("sensors/kitchen/telemetry", r#"{"temp": 31}"#));
    assert_eq!(work.len(), 1);
    assert!(work[0].actions.is_empty());
    assert_eq!(work[0].failures[0].failed_resource, "get_thing_shadow");
}

#[test]
fn named_shadows_and_registry_data() {
    let rig = Rig::new();
    rig.put_rule(
        "enrich",
        json!({"sql": "SELECT get_thing_shadow(clientid(), 'firmware', 'r').state.reported.version AS fw, \
                       get_registry_data('DescribeThing', clientid(), 'r').attributes.room AS room, \
                       get_registry_data('ListThingGroupsForThing', clientid(), 'r').thingGroups[0].groupName AS grp, \
                       get_registry_data('DescribeThing', 'nobody', 'r').attributes AS missing \
                       FROM 'devices/#'",
               "awsIotSqlVersion": "2016-03-23",
               "actions": [republish("enriched")]}),
    );
    let s = services(&rig);
    futures::executor::block_on(async {
        s.shadows
            .update(
                "dev-1",
                Some("firmware"),
                br#"{"state": {"reported": {"version": "2.1"}}}"#,
            )
            .await
            .unwrap_or_else(|_| panic!("shadow update"));
        let request: CreateThingRequest =
            serde_json::from_value(json!({"attributePayload": {"attributes": {"room": "201"}}}))
                .unwrap_or_else(|e| panic!("{e}"));
        s.registry
            .create_thing("dev-1", request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    });
    publish(&rig, &s.engine, &message("devices/dev-1", "{}"));
    // dev-1 is in no group yet: thingGroups is empty, so `grp` is Undefined and left out.
    assert_eq!(
        payloads(&rig),
        vec![("enriched".to_owned(), json!({"fw": "2.1", "room": "201"}))]
    );
}

/// An Invoke-API server that answers every call with `answer`; returns its URL and the bodies
/// it received.
async fn lambda_stub(answer: &'static str) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let Ok(n) = socket.read(&mut chunk).await else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                buffer.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buffer).into_owned();
                let Some((head, body)) = text.split_once("\r\n\r\n") else {
                    continue;
                };
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    break Some(body.to_owned());
                }
            };
            record.lock().expect("lock").extend(body);
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    (url, seen)
}

/// An engine whose AWS functions use `endpoint`.
async fn aws_engine(rig: &Rig, endpoint: &str) -> RulesEngine {
    let shadows = ShadowService::new(rig.store.clone(), rig.clock.clone());
    let registry = RegistryService::new(
        rig.store.clone(),
        rig.clock.clone(),
        RegistryConfig::default(),
    );
    let config = thingcore_aws::config::load(Some(endpoint)).await;
    let functions = StoreFunctions::new(shadows, registry).with_aws(SinkConfig::fixed(config));
    let engine = RulesEngine::new(rig.store.clone())
        .with_clock(rig.clock.clone())
        .with_resolver(Arc::new(functions));
    engine.reload().await.unwrap_or_else(|e| panic!("{e}"));
    engine
}

#[tokio::test]
async fn aws_lambda_answers_feed_the_select() {
    let rig = Rig::new();
    rig.put_rule(
        "enrich",
        json!({"sql": "SELECT temp, aws_lambda('arn:aws:lambda:us-east-1:0:function:enrich', {'temp': temp}).zone AS zone FROM 'sensors/+/telemetry'",
               "awsIotSqlVersion": "2016-03-23",
               "actions": [republish("enriched/${topic(2)}")]}),
    );
    let (url, seen) = lambda_stub(r#"{"zone": "north"}"#).await;
    let engine = aws_engine(&rig, &url).await;
    let work = engine
        .evaluate_async(&message("sensors/kitchen/telemetry", r#"{"temp": 31}"#))
        .await;
    execute_all(work, &rig.sinks()).await;
    assert_eq!(
        payloads(&rig),
        [(
            "enriched/kitchen".to_owned(),
            json!({"temp": 31, "zone": "north"})
        )]
    );
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        serde_json::from_str::<Value>(&seen[0]).ok(),
        Some(json!({"temp": 31}))
    );
}

#[tokio::test]
async fn get_dynamodb_reads_an_item_from_moto() {
    let Ok(endpoint) = std::env::var("THINGCORE_TEST_DYNAMODB_ENDPOINT") else {
        assert!(
            std::env::var("THINGCORE_REQUIRE_DYNAMODB").as_deref() != Ok("1"),
            "THINGCORE_TEST_DYNAMODB_ENDPOINT is not set but THINGCORE_REQUIRE_DYNAMODB=1"
        );
        return;
    };
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    let table = format!("rooms-{}", uuid::Uuid::new_v4().simple());
    let dynamodb =
        aws_sdk_dynamodb::Client::new(&thingcore_aws::config::load(Some(&endpoint)).await);
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("key")
    };
    let attribute = |name: &str, kind: ScalarAttributeType| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .expect("attr")
    };
    dynamodb
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("room", KeyType::Hash))
        .key_schema(key("floor", KeyType::Range))
        .attribute_definitions(attribute("room", ScalarAttributeType::S))
        .attribute_definitions(attribute("floor", ScalarAttributeType::N))
        .send()
        .await
        .expect("create table");
    dynamodb
        .put_item()
        .table_name(&table)
        .item("room", AttributeValue::S("kitchen".into()))
        .item("floor", AttributeValue::N("1".into()))
        .item("limit", AttributeValue::N("30".into()))
        .send()
        .await
        .expect("put item");

    let rig = Rig::new();
    rig.put_rule(
        "limits",
        json!({"sql": format!("SELECT temp, get_dynamodb('{table}', 'room', topic(2), 'floor', 1, 'arn:aws:iam::1:role/r').limit AS limit FROM 'sensors/+/telemetry' WHERE temp > get_dynamodb('{table}', 'room', topic(2), 'floor', 1, 'arn:aws:iam::1:role/r').limit"),
               "awsIotSqlVersion": "2016-03-23",
               "actions": [republish("over/${topic(2)}")]}),
    );
    let engine = aws_engine(&rig, &endpoint).await;
    for (room, temp) in [("kitchen", 31), ("kitchen", 20), ("hall", 99)] {
        let work = engine
            .evaluate_async(&message(
                &format!("sensors/{room}/telemetry"),
                &format!(r#"{{"temp": {temp}}}"#),
            ))
            .await;
        execute_all(work, &rig.sinks()).await;
    }
    // The hall has no item: get_dynamodb is Undefined, the WHERE is not true.
    assert_eq!(
        payloads(&rig),
        [("over/kitchen".to_owned(), json!({"temp": 31, "limit": 30}))]
    );
}
