//! The Lambda entry: a message the gateway hands over, the republished messages back.
//!
//! The event:
//!
//! ```json
//! {"topic": "sensors/kitchen/telemetry", "payload": "<base64>", "clientId": "dev-1",
//!  "principal": "<certificate id>", "timestamp": 1700000000000, "traceId": "...",
//!  "sourceIp": "10.0.0.1",
//!  "properties": {"payloadFormatIndicator": 1, "contentType": "application/json",
//!                 "responseTopic": "r", "correlationData": "<base64>",
//!                 "userProperties": [{"key": "k", "value": "v"}]}}
//! ```
//!
//! Only `topic` and `payload` are required. Each invocation first refreshes the rules (one
//! Store read when they did not change), evaluates, and runs every action; the answer is
//! `{"publish": [message...], "rules": [report...]}` — the messages republish actions
//! produced, as `thingcore::broker::Message` JSON for the gateway to fan out, and per rule
//! what succeeded and failed. The AWS actions (sqs, sns, dynamoDB, s3...) run through the SDK sinks, configured by
//! the function's environment (`AWS_ENDPOINT_URL...`); action types with no sink yet fail, and
//! the rule's error action runs (a republish error action is among the returned messages).

use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use thingcore::broker::MessageProperties;
use thingcore::mqtt::Bytes;
use thingcore_rules::actions::republish::CollectingPublisher;
use thingcore_rules::actions::{execute_all, ActionSinks, RuleReport, SinkConfig};
use thingcore_rules::engine::{RuleMessage, RulesEngine};

/// A message handed over by the gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleEvent {
    /// The topic it was published on.
    pub topic: String,
    /// The payload, base64.
    pub payload: String,
    /// The publisher's client id.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The authenticated principal.
    #[serde(default)]
    pub principal: Option<String>,
    /// When it was received, epoch milliseconds.
    #[serde(default)]
    pub timestamp: Option<u64>,
    /// Its trace id.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// The publisher's address.
    #[serde(default)]
    pub source_ip: Option<String>,
    /// MQTT 5 properties.
    #[serde(default)]
    pub properties: EventProperties,
}

/// The MQTT 5 properties of a [`RuleEvent`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventProperties {
    /// 0 (bytes) or 1 (UTF-8).
    #[serde(default)]
    pub payload_format_indicator: Option<u8>,
    /// Content Type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Response Topic.
    #[serde(default)]
    pub response_topic: Option<String>,
    /// Correlation Data, base64.
    #[serde(default)]
    pub correlation_data: Option<String>,
    /// User Properties.
    #[serde(default)]
    pub user_properties: Vec<EventUserProperty>,
}

/// One user property.
#[derive(Debug, Clone, Deserialize)]
pub struct EventUserProperty {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

impl RuleEvent {
    /// The message the event describes.
    ///
    /// # Errors
    /// A payload or correlation data that is not base64.
    pub fn into_message(self) -> Result<RuleMessage, String> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let payload = b64
            .decode(&self.payload)
            .map_err(|_| "payload is not base64".to_string())?;
        let p = self.properties;
        let correlation_data = p
            .correlation_data
            .map(|text| b64.decode(text).map(Bytes::from))
            .transpose()
            .map_err(|_| "properties.correlationData is not base64".to_string())?;
        Ok(RuleMessage {
            topic: self.topic,
            payload: Bytes::from(payload),
            client_id: self.client_id,
            principal: self.principal,
            timestamp_ms: self.timestamp,
            trace_id: self.trace_id,
            source_ip: self.source_ip,
            properties: MessageProperties {
                payload_format_indicator: p.payload_format_indicator,
                content_type: p.content_type,
                response_topic: p.response_topic,
                correlation_data,
                user_properties: p
                    .user_properties
                    .into_iter()
                    .map(|u| (u.key, u.value))
                    .collect(),
            },
        })
    }
}

/// Handles one Lambda event.
///
/// # Errors
/// An event that is not a [`RuleEvent`], or rules that cannot be loaded at all (when a refresh
/// fails after an earlier load, the rules loaded then are used, and the failure is logged).
pub async fn handle(engine: &RulesEngine, aws: &SinkConfig, event: Value) -> Result<Value, String> {
    let event: RuleEvent =
        serde_json::from_value(event).map_err(|e| format!("unknown event shape: {e}"))?;
    let message = event.into_message()?;
    if let Err(error) = engine.refresh().await {
        if !engine.is_loaded() {
            return Err(format!("topic rules cannot be loaded: {error}"));
        }
        tracing::error!(%error, "topic rules not refreshed; using the rules loaded before");
    }
    let publisher = Arc::new(CollectingPublisher::default());
    let sinks = ActionSinks::standard(publisher.clone(), engine.clock(), aws, engine.store());
    let reports = execute_all(engine.evaluate_async(&message).await, &sinks).await;
    let publish = serde_json::to_value(publisher.take()).map_err(|e| e.to_string())?;
    Ok(json!({
        "publish": publish,
        "rules": reports.iter().map(report_json).collect::<Vec<_>>(),
    }))
}

fn report_json(report: &RuleReport) -> Value {
    json!({
        "ruleName": report.rule_name,
        "succeeded": report.succeeded,
        "failures": report.failures,
        "errorAction": format!("{:?}", report.error_action),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use thingcore::rules::{generation_key, rule_key, RuleName, StoredRule, TopicRulePayload};
    use thingcore::store::{MemoryStore, Put, Store, Table};
    use thingcore::ManualClock;

    fn engine(rules: &[(&str, Value)]) -> RulesEngine {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let store = Arc::new(MemoryStore::new(clock.clone()));
        for (name, payload) in rules {
            let payload: TopicRulePayload =
                serde_json::from_value(payload.clone()).unwrap_or_else(|e| panic!("{e}"));
            let name = RuleName::parse(name).unwrap_or_else(|e| panic!("{e}"));
            let rule = StoredRule::new(&name, payload, 1_700_000_000);
            let body = serde_json::to_vec(&rule).unwrap_or_default();
            for put in [
                Put::new(Table::Registry, rule_key(name.as_str()), body),
                Put::new(Table::Registry, generation_key(), b"{}".to_vec()),
            ] {
                futures::executor::block_on(store.put(put)).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        RulesEngine::new(store).with_clock(clock)
    }

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../events/rules-evaluator/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn topics(answer: &Value) -> Vec<&str> {
        answer["publish"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["topic"].as_str())
            .collect()
    }

    fn rules() -> Vec<(&'static str, Value)> {
        let role = "arn:aws:iam::000000000000:role/iot";
        vec![
            (
                "hot_sensors",
                json!({"sql": "SELECT temp, clientid() AS client FROM 'sensors/+/telemetry' WHERE temp > 30",
                    "actions": [{"republish": {"roleArn": role, "topic": "alerts/${topic(2)}"}}]}),
            ),
            (
                "shadow_audit",
                json!({"sql": "SELECT state FROM '$aws/things/+/shadow/update/accepted'",
                    "actions": [{"republish": {"roleArn": role, "topic": "audit/${topic(3)}"}}]}),
            ),
            (
                "to_lambda",
                json!({"sql": "SELECT * FROM 'sensors/#'",
                    "actions": [{"lambda": {"functionArn": "arn:aws:lambda:us-east-1:0:function:f"}}],
                    "errorAction": {"republish": {"roleArn": role, "topic": "errors/${topic(2)}"}}}),
            ),
        ]
    }

    /// Handles `event` with the AWS sinks pointed at a closed local port, without retries: the
    /// `to_lambda` rule's Invoke is refused at once, and its error action runs.
    fn run(engine: &RulesEngine, event: Value) -> Value {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(async {
            let closed = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .unwrap_or_else(|e| panic!("{e}"));
            let config = thingcore_aws::config::load(Some(&format!("http://{closed}")))
                .await
                .into_builder()
                .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
                .build();
            handle(engine, &SinkConfig::fixed(config), event)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        })
    }

    #[test]
    fn sample_events_publish_what_the_rules_say() {
        let engine = engine(&rules());
        let hot = run(&engine, fixture("telemetry-hot.json"));
        assert_eq!(topics(&hot), ["alerts/kitchen", "errors/kitchen"]);
        let cool = run(&engine, fixture("telemetry-cool.json"));
        assert_eq!(
            topics(&cool),
            ["errors/kitchen"],
            "only the lambda rule fires"
        );
        let ingest = run(&engine, fixture("basic-ingest.json"));
        assert_eq!(
            topics(&ingest),
            ["alerts/hall"],
            "Basic Ingest reaches hot_sensors only"
        );
        let shadow = run(&engine, fixture("shadow-update-accepted.json"));
        assert_eq!(topics(&shadow), ["audit/lamp-1"]);
        assert_eq!(engine.rule_count(), 3);
    }

    #[test]
    fn answers_carry_payloads_and_reports() {
        let engine = engine(&rules());
        let hot = run(&engine, fixture("telemetry-hot.json"));
        let b64 = base64::engine::general_purpose::STANDARD;
        let payload = b64
            .decode(hot["publish"][0]["payload"].as_str().unwrap_or_default())
            .unwrap_or_default();
        let payload: Value = serde_json::from_slice(&payload).unwrap_or_default();
        assert_eq!(payload, json!({"temp": 31, "client": "sensor-kitchen"}));
        let reports = hot["rules"].as_array().cloned().unwrap_or_default();
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[1]["ruleName"], "to_lambda");
        assert_eq!(reports[1]["failures"][0]["failedAction"], "LambdaAction");
        assert_eq!(reports[1]["errorAction"], "Ran");
    }

    #[test]
    fn bad_events_are_errors() {
        let engine = engine(&[]);
        for event in [
            json!({"hello": 1}),
            json!({"topic": "a", "payload": "%%"}),
            json!({"topic": "a", "payload": "", "properties": {"correlationData": "%%"}}),
        ] {
            assert!(
                futures::executor::block_on(handle(
                    &engine,
                    &SinkConfig::from_env(),
                    event.clone()
                ))
                .is_err(),
                "{event}"
            );
        }
        let quiet = run(&engine, json!({"topic": "a", "payload": ""}));
        assert_eq!(quiet, json!({"publish": [], "rules": []}));
    }
}
