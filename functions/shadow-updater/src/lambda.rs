//! The Lambda entry: which event arrived, and the answer Lambda returns.
//!
//! - An API Gateway HTTP API (payload 2.0) event: the data-plane routes of [`crate::http`];
//!   the answer is the HTTP response event. The messages an HTTP update publishes are logged
//!   until the gateway function's fan-out lands (the deployment issue); `thingcore serve`
//!   publishes them already.
//! - A message handed over by the gateway for a `$aws/things/...` topic:
//!   `{"topic": "...", "payload": "<base64>"}`; the answer is `{"publish": [{"topic", "payload"}]}`,
//!   the replies for the gateway to fan out.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use thingcore_shadows::ShadowService;

/// A message handed over by the gateway.
#[derive(Debug, Deserialize)]
pub struct TopicMessage {
    /// The topic it was published on.
    pub topic: String,
    /// The payload, base64.
    pub payload: String,
}

/// Handles one Lambda event.
///
/// # Errors
/// An event that is neither shape, as a message for Lambda's error response.
pub async fn handle(service: &ShadowService, event: Value) -> Result<Value, String> {
    if event.pointer("/requestContext/http").is_some() {
        let request: ApiGatewayV2httpRequest =
            serde_json::from_value(event).map_err(|e| format!("not an HTTP API event: {e}"))?;
        let (response, publish) = crate::http::handle(service, &request).await;
        for message in &publish {
            tracing::info!(topic = %message.topic, "shadow message for the gateway to publish");
        }
        return serde_json::to_value(response).map_err(|e| e.to_string());
    }
    let message: TopicMessage =
        serde_json::from_value(event).map_err(|e| format!("unknown event shape: {e}"))?;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(&message.payload)
        .map_err(|_| "payload is not base64".to_string())?;
    let replies = thingcore_shadows::mqtt::handle_request(service, &message.topic, &payload)
        .await
        .unwrap_or_default();
    let publish: Vec<Value> = replies
        .into_iter()
        .map(|r| json!({ "topic": r.topic, "payload": r.payload }))
        .collect();
    Ok(json!({ "publish": publish }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use thingcore::store::MemoryStore;
    use thingcore::ManualClock;

    fn service() -> ShadowService {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        ShadowService::new(Arc::new(MemoryStore::new(clock.clone())), clock)
    }

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../events/shadow-updater/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn http_events_from_events_dir_are_answered() {
        let s = service();
        let response = futures::executor::block_on(handle(&s, fixture("update-thing-shadow.json")))
            .expect("handled");
        assert_eq!(response["statusCode"], json!(200));
        let response = futures::executor::block_on(handle(&s, fixture("get-thing-shadow.json")))
            .expect("handled");
        assert_eq!(response["statusCode"], json!(200));
        let body: Value = serde_json::from_str(response["body"].as_str().unwrap_or("null"))
            .unwrap_or(Value::Null);
        assert_eq!(body["state"]["desired"], json!({"on": true}));
    }

    #[test]
    fn topic_messages_return_the_replies() {
        let s = service();
        let response =
            futures::executor::block_on(handle(&s, fixture("mqtt-update.json"))).expect("handled");
        let topics: Vec<_> = response["publish"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["topic"].as_str())
            .collect();
        assert!(
            topics.contains(&"$aws/things/t1/shadow/update/accepted"),
            "{topics:?}"
        );
    }

    #[test]
    fn unknown_events_are_errors() {
        let s = service();
        assert!(futures::executor::block_on(handle(&s, json!({"hello": 1}))).is_err());
        assert!(
            futures::executor::block_on(handle(&s, json!({"topic": "a", "payload": "%%"})))
                .is_err()
        );
    }
}
