//! Topic rules over the wire: CreateTopicRule, GetTopicRule, ListTopicRules, ReplaceTopicRule,
//! DeleteTopicRule, EnableTopicRule and DisableTopicRule as HTTP API (v2) events through
//! `registry_api::http::handle`, every operation and every exception it can end in.

#[path = "api/common.rs"]
#[allow(dead_code)]
mod common;

use common::{names, Api, START_MILLIS};
use serde_json::{json, Value};
use thingcore::rules::generation_key;
use thingcore::store::{MemoryStore, Store, Table};
use thingcore::ManualClock;

const ROLE: &str = "arn:aws:iam::000000000000:role/iot";

fn payload(sql: &str) -> Value {
    json!({
        "sql": sql,
        "description": "hot sensors",
        "ruleDisabled": false,
        "awsIotSqlVersion": "2016-03-23",
        "actions": [{"republish": {"roleArn": ROLE, "topic": "alerts/${topic(2)}", "qos": 1}}],
        "errorAction": {"republish": {"roleArn": ROLE, "topic": "errors/rules"}},
    })
}

const SQL: &str = "SELECT temp, topic(2) AS device FROM 'sensors/+/telemetry' WHERE temp > 30";

#[test]
fn a_rule_is_created_read_and_listed_as_aws_returns_it() {
    let api = Api::new();
    let created = api.post("/rules/hot_sensors").json(payload(SQL)).ok();
    assert_eq!(created, json!({}));
    let got = api.get("/rules/hot_sensors").ok();
    assert_eq!(
        got,
        json!({
            "ruleArn": "arn:aws:iot:us-east-1:000000000000:rule/hot_sensors",
            "rule": {
                "ruleName": "hot_sensors",
                "sql": SQL,
                "description": "hot sensors",
                "createdAt": START_MILLIS / 1000,
                "actions": [{"republish": {"roleArn": ROLE, "topic": "alerts/${topic(2)}", "qos": 1}}],
                "ruleDisabled": false,
                "awsIotSqlVersion": "2016-03-23",
                "errorAction": {"republish": {"roleArn": ROLE, "topic": "errors/rules"}},
            }
        })
    );
    let listed = api.get("/rules").ok();
    assert_eq!(
        listed,
        json!({"rules": [{
            "ruleArn": "arn:aws:iot:us-east-1:000000000000:rule/hot_sensors",
            "ruleName": "hot_sensors",
            "topicPattern": "sensors/+/telemetry",
            "createdAt": START_MILLIS / 1000,
            "ruleDisabled": false,
        }]})
    );
}

#[test]
fn every_action_type_is_stored_and_returned_exactly() {
    let api = Api::new();
    let actions = json!([
        {"lambda": {"functionArn": "arn:aws:lambda:us-east-1:000000000000:function:f"}},
        {"dynamoDB": {"tableName": "t", "roleArn": ROLE, "hashKeyField": "id", "hashKeyValue": "${id}",
            "rangeKeyField": "ts", "rangeKeyValue": "${timestamp()}", "payloadField": "data"}},
        {"dynamoDBv2": {"roleArn": ROLE, "putItem": {"tableName": "${topic(2)}"}}},
        {"sqs": {"roleArn": ROLE, "queueUrl": "https://sqs.us-east-1.amazonaws.com/0/q", "useBase64": false}},
        {"sns": {"roleArn": ROLE, "targetArn": "arn:aws:sns:us-east-1:0:t", "messageFormat": "JSON"}},
        {"kinesis": {"roleArn": ROLE, "streamName": "s", "partitionKey": "${newuuid()}"}},
        {"firehose": {"roleArn": ROLE, "deliveryStreamName": "d", "separator": "\n", "batchMode": false}},
        {"s3": {"roleArn": ROLE, "bucketName": "b", "key": "${topic()}/${timestamp()}", "cannedAcl": "private"}},
        {"http": {"url": "https://example.com/${topic(2)}", "headers": [{"key": "x-k", "value": "${clientid()}"}]}},
        {"cloudwatchLogs": {"roleArn": ROLE, "logGroupName": "g"}},
    ]);
    let body = json!({"sql": "SELECT * FROM 'a/#'", "actions": actions,
        "errorAction": {"cloudwatchMetric": {"roleArn": ROLE, "metricNamespace": "n",
            "metricName": "m", "metricValue": "1", "metricUnit": "Count"}}});
    // The http action's URL has a template: AWS wants its destination made beforehand.
    api.post("/destinations")
        .json(json!({"destinationConfiguration": {"httpUrlConfiguration":
            {"confirmationUrl": "https://example.com/"}}}))
        .ok();
    api.post("/rules/all_types").json(body.clone()).ok();
    let rule = api.get("/rules/all_types").ok()["rule"].clone();
    assert_eq!(rule["actions"], body["actions"]);
    assert_eq!(rule["errorAction"], body["errorAction"]);
    assert_eq!(
        rule["awsIotSqlVersion"], "2015-10-08",
        "AWS's default version"
    );
    assert_eq!(rule["ruleDisabled"], false);
    assert!(rule.get("description").is_none());
}

#[test]
fn create_refuses_what_aws_refuses() {
    let api = Api::new();
    api.post("/rules/r1").json(payload(SQL)).ok();
    let exists = api
        .post("/rules/r1")
        .json(payload(SQL))
        .fails(409, "ResourceAlreadyExistsException");
    assert_eq!(exists["resourceId"], "r1");
    assert_eq!(
        exists["resourceArn"],
        "arn:aws:iot:us-east-1:000000000000:rule/r1"
    );

    let parse = api
        .post("/rules/r2")
        .json(payload("SELECT temp FROM 'a/b' WHERE temp >"))
        .fails(400, "SqlParseException");
    let message = parse["message"].as_str().unwrap_or_default();
    assert!(message.contains("line 1, column"), "{message}");
    let multiline = api
        .post("/rules/r2")
        .json(payload("SELECT *\nFROM 'a/#/b'"))
        .fails(400, "SqlParseException");
    assert!(multiline["message"]
        .as_str()
        .unwrap_or_default()
        .contains("line 2"));

    for bad_name in ["bad-name", "with%20space", &"x".repeat(129)] {
        api.post(&format!("/rules/{bad_name}"))
            .json(payload(SQL))
            .fails(400, "InvalidRequestException");
    }
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"republish": {"roleArn": ROLE, "topic": format!("o/{i}")}}))
        .collect();
    for bad in [
        json!({"sql": "SELECT * FROM 'a'", "actions": eleven}),
        json!({"sql": "SELECT * FROM 'a'", "actions": [{"republish": {"roleArn": ROLE}}]}),
        json!({"sql": "SELECT * FROM 'a'", "actions": [{"republish": {"roleArn": ROLE, "topic": "t", "qos": 2}}]}),
        json!({"sql": "SELECT * FROM 'a'", "actions": [{"teleport": {}}]}),
        json!({"sql": "SELECT * FROM 'a'", "actions": [{"sqs": {"roleArn": ROLE, "queueUrl": "q"}, "sns": {"roleArn": ROLE, "targetArn": "t"}}]}),
        json!({"sql": "SELECT * FROM 'a'", "actions": [{"republish": {"roleArn": ROLE, "topic": "x/${topic(}"}}]}),
        json!({"sql": "SELECT * FROM 'a'", "actions": [], "awsIotSqlVersion": "2099-01-01"}),
        json!({"sql": "", "actions": []}),
        json!({"actions": []}),
        json!({"sql": "SELECT * FROM 'a'"}),
    ] {
        api.post("/rules/r3")
            .json(bad.clone())
            .fails(400, "InvalidRequestException");
    }
    api.post("/rules/r3")
        .text("not json")
        .fails(400, "InvalidRequestException");
    assert_eq!(
        names(&api.get("/rules").ok(), "rules", Some("ruleName")),
        ["r1"]
    );
}

#[test]
fn the_sql_version_is_the_rules_own() {
    let api = Api::new();
    let sql = "SELECT [1, 2] AS pair FROM 'a'";
    api.post("/rules/v2015")
        .json(json!({"sql": sql, "actions": []}))
        .fails(400, "SqlParseException");
    api.post("/rules/v2016")
        .json(json!({"sql": sql, "actions": [], "awsIotSqlVersion": "2016-03-23"}))
        .ok();
}

#[test]
fn replace_enable_disable_and_delete() {
    let api = Api::new();
    api.post("/rules/r1").json(payload(SQL)).ok();
    api.clock.advance(60_000);
    let replaced = json!({"sql": "SELECT * FROM 'other/#'", "actions": []});
    assert_eq!(api.patch("/rules/r1").json(replaced).ok(), json!({}));
    let rule = api.get("/rules/r1").ok()["rule"].clone();
    assert_eq!(rule["sql"], "SELECT * FROM 'other/#'");
    assert_eq!(rule["createdAt"], START_MILLIS / 1000, "createdAt is kept");
    assert_eq!(rule["actions"], json!([]));
    assert!(rule.get("errorAction").is_none());
    api.patch("/rules/r1")
        .json(payload("SELECT FROM"))
        .fails(400, "SqlParseException");
    api.patch("/rules/missing")
        .json(payload(SQL))
        .fails(401, "UnauthorizedException");

    assert_eq!(api.post("/rules/r1/disable").ok(), json!({}));
    assert_eq!(api.get("/rules/r1").ok()["rule"]["ruleDisabled"], true);
    api.post("/rules/r1/disable").ok();
    api.post("/rules/r1/enable").ok();
    assert_eq!(api.get("/rules/r1").ok()["rule"]["ruleDisabled"], false);
    for path in ["/rules/missing/enable", "/rules/missing/disable"] {
        api.post(path).fails(401, "UnauthorizedException");
    }

    assert_eq!(api.delete("/rules/r1").ok(), json!({}));
    let missing = api.get("/rules/r1").fails(401, "UnauthorizedException");
    assert_eq!(missing["message"], "Access to topic rule 'r1' was denied");
    api.delete("/rules/r1").fails(401, "UnauthorizedException");
    api.get("/rules/bad-name")
        .fails(400, "InvalidRequestException");
}

#[test]
fn list_filters_by_topic_and_state_and_pages() {
    let api = Api::new();
    for (name, from) in [
        ("a_all", "#"),
        ("b_sensors", "sensors/+/telemetry"),
        ("c_kitchen", "sensors/kitchen/telemetry"),
        ("d_shadow", "$aws/things/+/shadow/update"),
        ("e_other", "other/topic"),
    ] {
        let sql = format!("SELECT * FROM '{from}'");
        api.post(&format!("/rules/{name}"))
            .json(json!({"sql": sql, "actions": []}))
            .ok();
    }
    api.post("/rules/f_ingest")
        .json(json!({"sql": "SELECT *", "actions": []}))
        .ok();
    api.post("/rules/e_other/disable").ok();

    let all = api.get("/rules").ok();
    assert_eq!(
        names(&all, "rules", Some("ruleName")),
        [
            "a_all",
            "b_sensors",
            "c_kitchen",
            "d_shadow",
            "e_other",
            "f_ingest"
        ]
    );
    assert!(all["rules"][5].get("topicPattern").is_none());
    let by_topic = api
        .get("/rules")
        .query("topic", "sensors/kitchen/telemetry")
        .ok();
    assert_eq!(
        names(&by_topic, "rules", Some("ruleName")),
        ["a_all", "b_sensors", "c_kitchen"]
    );
    let by_pattern = api.get("/rules").query("topic", "sensors/+/telemetry").ok();
    assert_eq!(names(&by_pattern, "rules", Some("ruleName")), ["b_sensors"]);
    let disabled = api.get("/rules").query("ruleDisabled", "true").ok();
    assert_eq!(names(&disabled, "rules", Some("ruleName")), ["e_other"]);
    let enabled = api.get("/rules").query("ruleDisabled", "false").ok();
    assert_eq!(names(&enabled, "rules", Some("ruleName")).len(), 5);

    let first = api.get("/rules").query("maxResults", "2").ok();
    assert_eq!(
        names(&first, "rules", Some("ruleName")),
        ["a_all", "b_sensors"]
    );
    let token = first["nextToken"].as_str().unwrap_or_default().to_string();
    let second = api
        .get("/rules")
        .query("maxResults", "2")
        .query("nextToken", &token)
        .ok();
    assert_eq!(
        names(&second, "rules", Some("ruleName")),
        ["c_kitchen", "d_shadow"]
    );
    let token = second["nextToken"].as_str().unwrap_or_default().to_string();
    let last = api
        .get("/rules")
        .query("maxResults", "2")
        .query("nextToken", &token)
        .ok();
    assert_eq!(
        names(&last, "rules", Some("ruleName")),
        ["e_other", "f_ingest"]
    );
    assert!(last.get("nextToken").is_none());

    for bad in ["0", "10001", "many"] {
        api.get("/rules")
            .query("maxResults", bad)
            .fails(400, "InvalidRequestException");
    }
    api.get("/rules")
        .query("nextToken", "garbage")
        .fails(400, "InvalidRequestException");
    api.get("/rules")
        .query("ruleDisabled", "maybe")
        .fails(400, "InvalidRequestException");
}

#[test]
fn wrong_methods_are_refused() {
    let api = Api::new();
    api.put("/rules/r1").fails(405, "MethodNotAllowedException");
    api.delete("/rules").fails(405, "MethodNotAllowedException");
    api.get("/rules/r1/enable")
        .fails(405, "MethodNotAllowedException");
    api.post("/rules/r1/explode")
        .fails(404, "UnknownOperationException");
}

#[test]
fn every_write_moves_the_generation_engines_watch() {
    let clock = std::sync::Arc::new(ManualClock::new(START_MILLIS));
    let store = std::sync::Arc::new(MemoryStore::new(clock.clone()));
    let api = Api::over(
        store.clone(),
        clock,
        thingcore_registry::RegistryConfig::default(),
    );
    let generation = || {
        futures::executor::block_on(store.get(Table::Registry, &generation_key()))
            .ok()
            .flatten()
            .map_or(0, |item| item.version)
    };
    assert_eq!(generation(), 0);
    api.post("/rules/r1").json(payload(SQL)).ok();
    assert_eq!(generation(), 1);
    api.patch("/rules/r1").json(payload(SQL)).ok();
    api.post("/rules/r1/disable").ok();
    api.post("/rules/r1/disable").ok();
    assert_eq!(
        generation(),
        3,
        "a disable that changes nothing writes nothing"
    );
    api.delete("/rules/r1").ok();
    assert_eq!(generation(), 4);
    api.post("/rules/r1").json(payload("SELECT FROM")).send();
    api.get("/rules/r1").send();
    assert_eq!(generation(), 4, "refusals and reads write nothing");
}

#[test]
fn rules_survive_a_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let open = || {
        let clock = std::sync::Arc::new(ManualClock::new(START_MILLIS));
        let store = thingcore_embedded::SqliteStore::open_with_clock(dir.path(), clock.clone())
            .unwrap_or_else(|e| panic!("open: {e}"));
        Api::over(
            std::sync::Arc::new(store),
            clock,
            thingcore_registry::RegistryConfig::default(),
        )
    };
    let written = {
        let api = open();
        api.post("/rules/kept").json(payload(SQL)).ok();
        api.post("/rules/kept/disable").ok();
        api.get("/rules/kept").ok()
    };
    let api = open();
    assert_eq!(api.get("/rules/kept").ok(), written);
    api.post("/rules/kept")
        .json(payload(SQL))
        .fails(409, "ResourceAlreadyExistsException");
}
