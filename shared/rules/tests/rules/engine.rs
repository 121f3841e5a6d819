//! Which rules a message reaches and what they publish: the issue's example, rule changes,
//! Basic Ingest, shadow and lifecycle topics, the message's context.

use crate::common::{message, republish, Rig, ROLE, START_MILLIS};
use serde_json::{json, Value};
use thingcore::broker::MessageProperties;
use thingcore::mqtt::{Bytes, QoS};
use thingcore_rules::{execute, ErrorActionOutcome, RuleMessage};

const EXAMPLE: &str = "SELECT temp, topic(2) AS device FROM 'sensors/+/telemetry' WHERE temp > 30";

fn payload_of(m: &thingcore::broker::Message) -> Value {
    serde_json::from_slice(&m.payload).unwrap_or(Value::Null)
}

#[test]
fn the_issues_example_fires_at_31_and_not_at_29() {
    // GIVEN the issue's rule, with its republish to alerts/${device}
    let rig = Rig::new();
    rig.put_rule(
        "hot_sensors",
        json!({"sql": EXAMPLE, "actions": [republish("alerts/${device}")]}),
    );
    assert!(rig.refresh());

    // WHEN a sensor reports 31 THEN the rule republishes its SELECT
    let reports = rig.publish(&message("sensors/kitchen/telemetry", r#"{"temp": 31}"#));
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].succeeded, 1);
    let sent = rig.publisher.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        payload_of(&sent[0]),
        json!({"temp": 31, "device": "kitchen"})
    );
    // AWS: "you can't reference an alias created using the AS clause" in a substitution
    // template, so ${device} renders empty.
    assert_eq!(sent[0].topic, "alerts/");
    assert_eq!(sent[0].qos, QoS::AtMostOnce);

    // WHEN it reports 29 THEN nothing happens
    assert!(rig
        .publish(&message("sensors/kitchen/telemetry", r#"{"temp": 29}"#))
        .is_empty());
    assert!(rig.publisher.take().is_empty());
}

#[test]
fn the_example_with_a_template_aws_can_render() {
    let rig = Rig::new();
    rig.put_rule(
        "hot_sensors",
        json!({"sql": EXAMPLE, "actions": [{"republish": {"roleArn": ROLE,
            "topic": "alerts/${topic(2)}", "qos": 1}}]}),
    );
    rig.refresh();
    rig.publish(&message("sensors/kitchen/telemetry", r#"{"temp": 31}"#));
    rig.publish(&message("sensors/hall/telemetry", r#"{"temp": 45.5}"#));
    rig.publish(&message("sensors/cellar/telemetry", r#"{"temp": 12}"#));
    rig.publish(&message("sensors/kitchen/status", r#"{"temp": 99}"#));
    let sent = rig.publisher.take();
    let topics: Vec<&str> = sent.iter().map(|m| m.topic.as_str()).collect();
    assert_eq!(topics, ["alerts/kitchen", "alerts/hall"]);
    assert_eq!(sent[1].qos, QoS::AtLeastOnce);
    assert_eq!(
        payload_of(&sent[1]),
        json!({"temp": 45.5, "device": "hall"})
    );
}

#[test]
fn the_engine_follows_rule_changes() {
    let rig = Rig::new();
    assert!(!rig.engine.is_loaded());
    assert!(rig.refresh(), "the first refresh loads");
    assert!(!rig.refresh(), "nothing changed");
    assert_eq!(rig.engine.rule_count(), 0);

    rig.put_rule(
        "r1",
        json!({"sql": "SELECT * FROM 'a/#'", "actions": [republish("out/r1")]}),
    );
    assert!(
        rig.engine.evaluate(&message("a/b", "{}")).is_empty(),
        "not reloaded yet"
    );
    assert!(rig.refresh());
    assert!(rig.engine.has_rule("r1"));
    rig.publish(&message("a/b", "{}"));
    assert_eq!(rig.published_topics(), ["out/r1"]);

    rig.put_rule(
        "r1",
        json!({"sql": "SELECT * FROM 'a/#'", "ruleDisabled": true, "actions": [republish("out/r1")]}),
    );
    rig.refresh();
    assert!(
        !rig.engine.has_rule("r1"),
        "disabled rules are not in effect"
    );
    assert!(rig.publish(&message("a/b", "{}")).is_empty());

    rig.put_rule(
        "r1",
        json!({"sql": "SELECT * FROM 'c'", "actions": [republish("out/c")]}),
    );
    rig.put_rule(
        "r2",
        json!({"sql": "SELECT * FROM 'a/b'", "actions": [republish("out/r2")]}),
    );
    rig.refresh();
    rig.publish(&message("a/b", "{}"));
    rig.publish(&message("c", "{}"));
    assert_eq!(rig.published_topics(), ["out/r2", "out/c"]);

    rig.delete_rule("r2");
    rig.refresh();
    assert!(rig.publish(&message("a/b", "{}")).is_empty());
    assert_eq!(rig.engine.rule_count(), 1);
}

#[test]
fn a_stored_rule_that_no_longer_loads_does_not_stop_the_others() {
    let rig = Rig::new();
    rig.put_rule(
        "good",
        json!({"sql": "SELECT * FROM 'a'", "actions": [republish("out")]}),
    );
    rig.put_raw_rule("corrupt", b"not json");
    rig.put_raw_rule(
        "stale",
        br#"{"ruleName": "stale", "createdAt": 0, "sql": "SELECT FROM", "actions": []}"#,
    );
    let report = futures::executor::block_on(rig.engine.reload()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.enabled, report.disabled, report.skipped), (1, 0, 2));
    rig.publish(&message("a", "{}"));
    assert_eq!(rig.published_topics(), ["out"]);
}

#[test]
fn basic_ingest_reaches_the_named_rule_only() {
    let rig = Rig::new();
    rig.put_rule(
        "BuildingManager",
        json!({"sql": "SELECT *, topic() AS t, topic(3) AS room FROM 'Buildings/#'",
            "awsIotSqlVersion": "2016-03-23", "actions": [republish("seen/${topic(1)}")]}),
    );
    rig.put_rule(
        "everything",
        json!({"sql": "SELECT * FROM '#'", "actions": [republish("all")]}),
    );
    rig.put_rule(
        "ingest_only",
        json!({"sql": "SELECT * WHERE x = 1", "awsIotSqlVersion": "2016-03-23",
            "actions": [republish("ingested/${topic()}")]}),
    );
    rig.put_rule(
        "off",
        json!({"sql": "SELECT * FROM 'x'", "ruleDisabled": true, "actions": [republish("off")]}),
    );
    rig.refresh();

    let topic = "$aws/rules/BuildingManager/Buildings/Building5/Floor2/Room201/Lights";
    let reports = rig.publish(&message(topic, r#"{"on": true}"#));
    assert_eq!(reports.len(), 1);
    let sent = rig.publisher.take();
    assert_eq!(sent[0].topic, "seen/Buildings");
    assert_eq!(
        payload_of(&sent[0]),
        json!({"on": true, "t": "Buildings/Building5/Floor2/Room201/Lights", "room": "Floor2"})
    );

    // the FROM clause does not matter, the WHERE does
    rig.publish(&message("$aws/rules/ingest_only/any/thing", r#"{"x": 1}"#));
    rig.publish(&message("$aws/rules/ingest_only", r#"{"x": 1}"#));
    rig.publish(&message("$aws/rules/ingest_only/any/thing", r#"{"x": 2}"#));
    assert_eq!(rig.published_topics(), ["ingested/any/thing", "ingested/"]);

    // a disabled, missing or differently cased rule: nothing
    for topic in [
        "$aws/rules/off/x",
        "$aws/rules/missing/x",
        "$aws/rules/buildingmanager/x",
    ] {
        assert!(rig.publish(&message(topic, "{}")).is_empty(), "{topic}");
    }
    // and the normal topic still reaches both matching rules
    rig.publish(&message("Buildings/B1/F1/R1", "{}"));
    assert_eq!(rig.published_topics(), ["seen/Buildings", "all"]);
}

#[test]
fn shadow_and_lifecycle_messages_reach_rules() {
    let rig = Rig::new();
    rig.put_rule(
        "shadow_audit",
        json!({"sql": "SELECT state.reported AS reported FROM '$aws/things/+/shadow/update/accepted'",
            "actions": [republish("audit/${topic(3)}")]}),
    );
    rig.put_rule(
        "presence",
        json!({"sql": "SELECT clientId, eventType FROM '$aws/events/presence/+/+'",
            "actions": [republish("presence/${eventType}/${clientId}")]}),
    );
    rig.put_rule(
        "wildcard",
        json!({"sql": "SELECT * FROM '#'", "actions": [republish("all")]}),
    );
    rig.refresh();
    rig.publish(&message(
        "$aws/things/lamp-1/shadow/update/accepted",
        r#"{"state": {"reported": {"on": true}}, "version": 2}"#,
    ));
    rig.publish(&message(
        "$aws/events/presence/connected/dev-9",
        r#"{"clientId": "dev-9", "eventType": "connected", "timestamp": 1}"#,
    ));
    let sent = rig.publisher.take();
    let topics: Vec<&str> = sent.iter().map(|m| m.topic.as_str()).collect();
    // `#` does not see $ topics, as in MQTT
    assert_eq!(topics, ["audit/lamp-1", "presence/connected/dev-9"]);
    assert_eq!(payload_of(&sent[0]), json!({"reported": {"on": true}}));
}

#[test]
fn the_sql_sees_the_messages_context() {
    let rig = Rig::new();
    rig.put_rule(
        "ctx",
        json!({"sql": "SELECT clientid() AS c, principal() AS p, timestamp() AS ts, accountid() AS a, \
            get_mqtt_property('content_type') AS ct, get_user_properties('site') AS site, \
            traceid() AS trace FROM 'ctx'",
            "awsIotSqlVersion": "2016-03-23", "actions": [republish("out")]}),
    );
    rig.refresh();
    let mut m = message("ctx", "{}");
    m.principal = Some("cert-123".into());
    m.properties = MessageProperties {
        content_type: Some("application/json".into()),
        user_properties: vec![("site".into(), "home".into())],
        ..MessageProperties::default()
    };
    rig.publish(&m);
    let sent = rig.publisher.take();
    assert_eq!(
        payload_of(&sent[0]),
        json!({"c": "dev-1", "p": "cert-123", "ts": START_MILLIS, "a": "000000000000",
            "ct": "application/json", "site": ["home"], "trace": "trace-1"})
    );
    // without a time the engine's clock answers timestamp()
    rig.clock.advance(5_000);
    let mut m = RuleMessage::new("ctx", Bytes::from_static(b"{}"));
    m.timestamp_ms = None;
    rig.publish(&m);
    assert_eq!(
        payload_of(&rig.publisher.take()[0])["ts"],
        START_MILLIS + 5_000
    );
}

#[test]
fn republish_reaches_reserved_topics_through_the_escape_with_headers() {
    let rig = Rig::new();
    rig.put_rule(
        "shadow_writer",
        json!({"sql": "SELECT VALUE {'state': {'desired': {'on': on}}} FROM 'cmd/+'",
            "awsIotSqlVersion": "2016-03-23",
            "actions": [{"republish": {"roleArn": ROLE, "qos": 1,
                "topic": "$$aws/things/${topic(2)}/shadow/update",
                "headers": {"contentType": "application/json", "responseTopic": "replies/${topic(2)}",
                    "messageExpiry": "${ttl}", "payloadFormatIndicator": "UTF8_DATA",
                    "userProperties": [{"key": "from", "value": "${clientid()}"}]}}}]}),
    );
    rig.refresh();
    rig.publish(&message("cmd/lamp-1", r#"{"on": true, "ttl": 30}"#));
    let sent = rig.publisher.take();
    assert_eq!(sent[0].topic, "$aws/things/lamp-1/shadow/update");
    assert_eq!(
        payload_of(&sent[0]),
        json!({"state": {"desired": {"on": true}}})
    );
    assert_eq!(sent[0].expires_at, Some(START_MILLIS + 30_000));
    assert_eq!(
        sent[0].properties,
        MessageProperties {
            payload_format_indicator: Some(1),
            content_type: Some("application/json".into()),
            response_topic: Some("replies/lamp-1".into()),
            correlation_data: None,
            user_properties: vec![("from".into(), "dev-1".into())],
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_spawn_the_work_and_the_broker_never_waits() {
    let rig = Rig::new();
    rig.put_rule(
        "a",
        json!({"sql": "SELECT * FROM 't'", "actions": [republish("out/a")]}),
    );
    rig.put_rule(
        "b",
        json!({"sql": "SELECT * FROM 't'", "actions": [republish("out/b")]}),
    );
    rig.engine.refresh().await.unwrap_or_else(|e| panic!("{e}"));
    let sinks = std::sync::Arc::new(rig.sinks());
    let mut handles = Vec::new();
    for work in rig.engine.evaluate(&message("t", "{}")) {
        let sinks = sinks.clone();
        handles.push(tokio::spawn(
            async move { execute(work, sinks.as_ref()).await },
        ));
    }
    for handle in handles {
        let report = handle.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.error_action, ErrorActionOutcome::NotNeeded);
    }
    let mut topics = rig.published_topics();
    topics.sort();
    assert_eq!(topics, ["out/a", "out/b"]);
}
