//! Failures: one error message per rule and message with every failure, as AWS's "Error
//! handling (error action)" page shows it; failures never stop other actions or rules.

use crate::common::{message, republish, Rig, ROLE};
use base64::Engine;
use serde_json::{json, Value};
use thingcore_rules::ErrorActionOutcome;

fn body(m: &thingcore::broker::Message) -> Value {
    serde_json::from_slice(&m.payload).unwrap_or(Value::Null)
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn a_failing_action_sends_awss_error_message_and_stops_nothing_else() {
    // GIVEN a rule whose first action the broker refuses, and another rule on the same topic
    let rig = Rig::new();
    rig.publisher.fail_topics_starting_with("fail/");
    rig.put_rule(
        "r1",
        json!({"sql": "SELECT * FROM 'in/+'",
            "actions": [republish("fail/${topic(2)}"), republish("ok/${topic(2)}")],
            "errorAction": republish("errors/${ruleName}")}),
    );
    rig.put_rule(
        "r2",
        json!({"sql": "SELECT * FROM 'in/#'", "actions": [republish("r2/out")]}),
    );
    rig.refresh();

    // WHEN a message arrives
    let payload = r#"{"temp": 31}"#;
    let reports = rig.publish(&message("in/t", payload));

    // THEN the other action and the other rule ran, and the error action got AWS's message
    let sent = rig.publisher.take();
    let topics: Vec<&str> = sent.iter().map(|m| m.topic.as_str()).collect();
    assert_eq!(topics, ["ok/t", "errors/r1", "r2/out"]);
    assert_eq!(
        body(&sent[1]),
        json!({
            "ruleName": "r1",
            "topic": "in/t",
            "cloudwatchTraceId": "trace-1",
            "clientId": "dev-1",
            "base64OriginalPayload": b64(payload),
            "failures": [{
                "failedAction": "RepublishAction",
                "failedResource": "fail/t",
                "errorMessage": "the broker refused fail/t",
            }],
        })
    );
    assert_eq!(reports[0].succeeded, 1);
    assert_eq!(reports[0].error_action, ErrorActionOutcome::Ran);
    assert_eq!(reports[1].error_action, ErrorActionOutcome::NotNeeded);
}

#[test]
fn every_failure_of_a_rule_goes_into_one_message() {
    let rig = Rig::new();
    rig.put_rule(
        "pipeline",
        json!({"sql": "SELECT * FROM 'in'", "actions": [
            {"lambda": {"functionArn": "arn:aws:lambda:us-east-1:0:function:${f}"}},
            {"sqs": {"roleArn": ROLE, "queueUrl": "https://sqs/q"}},
            republish("$aws/not/escaped"),
            republish("fine"),
        ], "errorAction": republish("errors")}),
    );
    rig.refresh();
    let reports = rig.publish(&message("in", r#"{"f": "ingest"}"#));
    let sent = rig.publisher.take();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].topic, "fine");
    let failures = body(&sent[1])["failures"].clone();
    assert_eq!(
        failures,
        json!([
            {"failedAction": "LambdaAction",
             "failedResource": "arn:aws:lambda:us-east-1:0:function:ingest",
             "errorMessage": "the lambda action is not implemented here yet"},
            {"failedAction": "SqsAction", "failedResource": "https://sqs/q",
             "errorMessage": "the sqs action is not implemented here yet"},
            {"failedAction": "RepublishAction", "failedResource": "$aws/not/escaped",
             "errorMessage": failures[2]["errorMessage"]},
        ])
    );
    assert!(failures[2]["errorMessage"]
        .as_str()
        .unwrap_or_default()
        .contains("$$"));
    assert_eq!((reports[0].succeeded, reports[0].failures.len()), (1, 3));
}

#[test]
fn without_an_error_action_failures_are_logged_and_the_rest_runs() {
    let rig = Rig::new();
    rig.publisher.fail_topics_starting_with("fail");
    rig.put_rule(
        "no_error_action",
        json!({"sql": "SELECT * FROM 'in'", "actions": [republish("fail"), republish("ok")]}),
    );
    rig.refresh();
    let reports = rig.publish(&message("in", "{}"));
    assert_eq!(rig.published_topics(), ["ok"]);
    assert_eq!(reports[0].error_action, ErrorActionOutcome::Missing);
    assert_eq!(reports[0].failures.len(), 1);
}

#[test]
fn sql_failures_go_to_the_error_action_and_no_action_runs() {
    let rig = Rig::new();
    rig.put_rule(
        "enrich",
        json!({"sql": "SELECT *, get_dynamodb('t', 'id', id, 'arn:role') AS extra FROM 'in'",
            "awsIotSqlVersion": "2016-03-23",
            "actions": [republish("out")], "errorAction": republish("errors/${ruleName}")}),
    );
    rig.refresh();
    let reports = rig.publish(&message("in", r#"{"id": 1}"#));
    let sent = rig.publisher.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].topic, "errors/enrich");
    let failure = body(&sent[0])["failures"][0].clone();
    assert_eq!(failure["failedAction"], "SqlEvaluation");
    assert_eq!(failure["failedResource"], "get_dynamodb");
    assert_eq!(reports[0].succeeded, 0);
}

#[test]
fn a_where_that_is_false_is_not_a_failure() {
    let rig = Rig::new();
    rig.put_rule(
        "quiet",
        json!({"sql": "SELECT * FROM 'in' WHERE temp > 30",
            "actions": [{"lambda": {"functionArn": "f"}}], "errorAction": republish("errors")}),
    );
    rig.refresh();
    assert!(rig.publish(&message("in", r#"{"temp": 3}"#)).is_empty());
    assert!(rig.published_topics().is_empty());
}

#[test]
fn an_error_action_that_fails_is_logged_not_chained() {
    let rig = Rig::new();
    rig.publisher.fail_topics_starting_with("fail");
    rig.put_rule(
        "r",
        json!({"sql": "SELECT * FROM 'in'", "actions": [republish("fail/action")],
            "errorAction": republish("fail/errors")}),
    );
    rig.put_rule(
        "s",
        json!({"sql": "SELECT * FROM 'in'", "actions": [republish("fail/action")],
            "errorAction": {"sqs": {"roleArn": ROLE, "queueUrl": "https://sqs/errors"}}}),
    );
    rig.refresh();
    let reports = rig.publish(&message("in", "{}"));
    assert!(rig.published_topics().is_empty());
    assert_eq!(
        reports[0].error_action,
        ErrorActionOutcome::Failed("the broker refused fail/errors".into())
    );
    assert_eq!(
        reports[1].error_action,
        ErrorActionOutcome::Failed("the sqs action is not implemented here yet".into())
    );
}

#[test]
fn error_action_templates_read_the_error_message() {
    let rig = Rig::new();
    rig.put_rule(
        "r",
        json!({"sql": "SELECT * FROM 'in/+'", "actions": [{"s3": {"roleArn": ROLE, "bucketName": "b", "key": "k"}}],
            "errorAction": {"republish": {"roleArn": ROLE,
                "topic": "errors/${failures[0].failedAction}/${topic(2)}",
                "headers": {"userProperties": [{"key": "client", "value": "${clientId}"}]}}}}),
    );
    rig.refresh();
    let mut m = message("in/dev", "{}");
    m.client_id = None;
    rig.publish(&m);
    let sent = rig.publisher.take();
    assert_eq!(sent[0].topic, "errors/S3Action/dev");
    assert_eq!(
        sent[0].properties.user_properties,
        [("client".to_owned(), "n/a".to_owned())]
    );
    assert_eq!(body(&sent[0])["clientId"], "n/a");
}
