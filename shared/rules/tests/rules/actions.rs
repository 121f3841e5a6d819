//! Actions other than republish: evaluated to `ResolvedAction`s with their templates rendered,
//! ready for the sinks that arrive later — and run by them once a host registers them.

use crate::common::{message, Rig, ROLE};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use thingcore::rules::{Action, ResolvedAction};
use thingcore_rules::{execute, ActionError, ActionSink, ErrorActionOutcome};

#[test]
fn every_action_type_is_rendered_for_its_sink() {
    let rig = Rig::new();
    let actions = json!([
        {"lambda": {"functionArn": "arn:aws:lambda:us-east-1:0:function:${fn}"}},
        {"dynamoDB": {"tableName": "${topic(1)}", "roleArn": ROLE, "hashKeyField": "id",
            "hashKeyValue": "${id}", "rangeKeyField": "ts", "rangeKeyValue": "${timestamp()}",
            "operation": "INSERT", "payloadField": "${not_a_template_field}"}},
        {"dynamoDBv2": {"roleArn": ROLE, "putItem": {"tableName": "t_${topic(2)}"}}},
        {"sqs": {"roleArn": ROLE, "queueUrl": "https://sqs/${topic(2)}", "useBase64": true}},
        {"sns": {"roleArn": ROLE, "targetArn": "arn:aws:sns:us-east-1:0:${topic(2)}", "messageFormat": "RAW"}},
        {"kinesis": {"roleArn": ROLE, "streamName": "s_${topic(2)}", "partitionKey": "${id}"}},
        {"firehose": {"roleArn": ROLE, "deliveryStreamName": "d_${topic(2)}", "separator": ","}},
        {"s3": {"roleArn": ROLE, "bucketName": "b-${topic(2)}", "key": "${topic()}/${id}.json"}},
        {"http": {"url": "https://h/${topic(2)}", "headers": [{"key": "x-id", "value": "${id}"}]}},
        {"cloudwatchLogs": {"roleArn": ROLE, "logGroupName": "/iot/${topic(2)}"}},
    ]);
    let other = json!({"timestream": {"roleArn": ROLE, "databaseName": "db", "tableName": "${kept}",
        "dimensions": [{"name": "d", "value": "${kept}"}]}});
    rig.put_rule(
        "fan_out",
        json!({"sql": "SELECT id FROM 'devices/+'", "actions": actions}),
    );
    rig.put_rule(
        "other_types",
        json!({"sql": "SELECT id FROM 'devices/+'", "actions": [other.clone()]}),
    );
    rig.refresh();
    let work = rig
        .engine
        .evaluate(&message("devices/d7", r#"{"id": "42", "fn": "ingest"}"#));
    assert_eq!(work.len(), 2);
    let rendered: Vec<Value> = work[0]
        .actions
        .iter()
        .map(|a| serde_json::to_value(&a.action).unwrap_or(Value::Null))
        .collect();
    let ts = crate::common::START_MILLIS.to_string();
    assert_eq!(
        Value::Array(rendered),
        json!([
            {"lambda": {"functionArn": "arn:aws:lambda:us-east-1:0:function:ingest"}},
            {"dynamoDB": {"tableName": "devices", "roleArn": ROLE, "hashKeyField": "id",
                "hashKeyValue": "42", "rangeKeyField": "ts", "rangeKeyValue": ts,
                "operation": "INSERT", "payloadField": "${not_a_template_field}"}},
            {"dynamoDBv2": {"roleArn": ROLE, "putItem": {"tableName": "t_d7"}}},
            {"sqs": {"roleArn": ROLE, "queueUrl": "https://sqs/d7", "useBase64": true}},
            {"sns": {"roleArn": ROLE, "targetArn": "arn:aws:sns:us-east-1:0:d7", "messageFormat": "RAW"}},
            {"kinesis": {"roleArn": ROLE, "streamName": "s_d7", "partitionKey": "42"}},
            {"firehose": {"roleArn": ROLE, "deliveryStreamName": "d_d7", "separator": ","}},
            {"s3": {"roleArn": ROLE, "bucketName": "b-d7", "key": "devices/d7/42.json"}},
            {"http": {"url": "https://h/d7", "headers": [{"key": "x-id", "value": "42"}]}},
            {"cloudwatchLogs": {"roleArn": ROLE, "logGroupName": "/iot/d7"}},
        ])
    );
    // types without a model here are kept as sent: their sinks read them as they are
    assert_eq!(work[1].rule_name, "other_types");
    assert_eq!(
        serde_json::to_value(&work[1].actions[0].action).ok(),
        Some(other)
    );
    for action in work.iter().flat_map(|w| &w.actions) {
        assert_eq!(action.payload.as_ref(), br#"{"id":"42"}"#);
    }
    assert!(work.iter().all(|w| w.failures.is_empty()));
}

/// A sink as the later ones will be: it records what it was asked to do.
#[derive(Default)]
struct RecordingSqs {
    queues: Mutex<Vec<(String, Vec<u8>)>>,
}

#[async_trait]
impl ActionSink for RecordingSqs {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let Action::Sqs(sqs) = &action.action else {
            return Err(ActionError::failed("not an sqs action"));
        };
        self.queues
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((sqs.queue_url.clone(), action.payload.to_vec()));
        Ok(())
    }
}

#[test]
fn a_registered_sink_runs_its_action_type() {
    let rig = Rig::new();
    rig.put_rule(
        "to_queue",
        json!({"sql": "SELECT * FROM 'in/+'",
            "actions": [{"sqs": {"roleArn": ROLE, "queueUrl": "https://sqs/${topic(2)}"}}],
            "errorAction": crate::common::republish("errors")}),
    );
    rig.refresh();
    let sqs = Arc::new(RecordingSqs::default());
    let mut sinks = rig.sinks();
    sinks.insert("sqs", sqs.clone());
    for work in rig.engine.evaluate(&message("in/q1", r#"{"n": 1}"#)) {
        let report = futures::executor::block_on(execute(work, &sinks));
        assert_eq!(report.error_action, ErrorActionOutcome::NotNeeded);
    }
    assert_eq!(
        *sqs.queues.lock().unwrap_or_else(|p| p.into_inner()),
        [("https://sqs/q1".to_owned(), br#"{"n":1}"#.to_vec())]
    );
    assert!(rig.published_topics().is_empty(), "no error message");
}
