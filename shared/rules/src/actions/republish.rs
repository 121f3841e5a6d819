//! The republish action ("Republish"): the rule's output published to another topic through
//! the host's [`Publisher`] — the broker hub in `thingcore serve`, a collector that Lambda
//! returns to the gateway.
//!
//! - The topic was rendered from its template. A leading `$$` is AWS's escape for `$`:
//!   `$$aws/things/t1/shadow/update` publishes to `$aws/things/t1/shadow/update`. A rendered
//!   topic that begins with a single `$` is refused (AWS: "To republish to a reserved topic,
//!   which begins with $, use $$ instead"), and so are job topics (`$aws/things/{thing}/jobs/`,
//!   "not supported") and anything that is not a valid topic name.
//! - `qos` is 0 or 1 (0 when absent); republished messages are never retained.
//! - `headers` become MQTT 5 properties: `payloadFormatIndicator` (`UNSPECIFIED_BYTES` or
//!   `UTF8_DATA`), `contentType`, `responseTopic` (a valid topic name), `correlationData`
//!   (base64, decoded), `messageExpiry` (seconds) and `userProperties`. A header whose template
//!   renders empty is left out; one that renders invalid fails the action.

use super::ActionSink;
use crate::error::ActionError;
use async_trait::async_trait;
use base64::Engine;
use std::sync::{Arc, Mutex};
use thingcore::broker::{Message, MessageProperties};
use thingcore::mqtt::{Bytes, QoS};
use thingcore::rules::action_types::{MqttHeaders, RepublishAction};
use thingcore::rules::{Action, ResolvedAction};
use thingcore::topic::{validate_topic_name, TopicLimits};
use thingcore::Clock;

/// Publishes messages for the rules engine; the host provides it.
#[async_trait]
pub trait Publisher: Send + Sync {
    /// Publishes `message` (to subscribers, retained store, other rules...).
    ///
    /// # Errors
    /// An [`ActionError`] (usually [`ActionError::Failed`]) when the message was not accepted.
    async fn publish(&self, message: Message) -> Result<(), ActionError>;
}

/// A [`Publisher`] that keeps what it is given, for a host that publishes later (Lambda
/// returns the messages to the gateway).
#[derive(Debug, Default)]
pub struct CollectingPublisher {
    messages: Mutex<Vec<Message>>,
}

impl CollectingPublisher {
    /// Takes the messages published so far.
    pub fn take(&self) -> Vec<Message> {
        std::mem::take(
            &mut *self
                .messages
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

#[async_trait]
impl Publisher for CollectingPublisher {
    async fn publish(&self, message: Message) -> Result<(), ActionError> {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(message);
        Ok(())
    }
}

/// The republish sink.
#[derive(Debug, Clone)]
pub struct RepublishSink {
    publisher: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
    limits: TopicLimits,
}

impl std::fmt::Debug for dyn Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Publisher")
    }
}

impl RepublishSink {
    /// Republishes through `publisher`; `clock` times message expiry.
    pub fn new(publisher: Arc<dyn Publisher>, clock: Arc<dyn Clock>) -> Self {
        Self {
            publisher,
            clock,
            limits: TopicLimits::default(),
        }
    }

    /// The message a rendered republish action publishes with `payload`.
    ///
    /// # Errors
    /// [`ActionError::InvalidTopic`] or [`ActionError::InvalidHeader`].
    pub fn message(
        &self,
        action: &RepublishAction,
        payload: Bytes,
    ) -> Result<Message, ActionError> {
        let topic = republish_topic(&action.topic, &self.limits)?;
        let qos = match action.qos.unwrap_or(0) {
            0 => QoS::AtMostOnce,
            1 => QoS::AtLeastOnce,
            other => {
                return Err(ActionError::InvalidTopic {
                    topic,
                    reason: format!("qos {other} is not 0 or 1"),
                })
            }
        };
        let now = self.clock.now_millis();
        let default_headers = MqttHeaders::default();
        let headers = action.headers.as_ref().unwrap_or(&default_headers);
        let (properties, expiry_secs) = properties(headers, &self.limits)?;
        Ok(Message {
            topic,
            payload,
            qos,
            retain: false,
            properties,
            publisher: None,
            received_at: now,
            expires_at: expiry_secs.map(|secs| now.saturating_add(secs.saturating_mul(1000))),
        })
    }
}

#[async_trait]
impl ActionSink for RepublishSink {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let Action::Republish(republish) = &action.action else {
            return Err(ActionError::NotImplemented {
                action: action.action.kind().to_owned(),
            });
        };
        let message = self.message(republish, action.payload.clone())?;
        self.publisher.publish(message).await
    }
}

/// The topic a rendered republish topic publishes to: `$$` unescaped, then checked.
///
/// # Errors
/// [`ActionError::InvalidTopic`] for a reserved topic written without `$$`, a job topic, or a
/// topic name that is not valid.
pub fn republish_topic(rendered: &str, limits: &TopicLimits) -> Result<String, ActionError> {
    let refuse = |reason: String| ActionError::InvalidTopic {
        topic: rendered.to_owned(),
        reason,
    };
    let topic = match rendered.strip_prefix("$$") {
        Some(rest) => format!("${rest}"),
        None if rendered.starts_with('$') => {
            return Err(refuse(
                "topics beginning with $ are reserved; write $$ to republish to one \
                 (e.g. $$aws/things/thing/shadow/update)"
                    .into(),
            ))
        }
        None => rendered.to_owned(),
    };
    validate_topic_name(&topic, limits).map_err(|e| refuse(e.to_string()))?;
    let levels: Vec<&str> = topic.splitn(5, '/').collect();
    if let ["$aws", "things", _, "jobs", ..] = levels.as_slice() {
        return Err(refuse(
            "republishing to reserved job topics is not supported".into(),
        ));
    }
    Ok(topic)
}

/// The MQTT 5 properties of `headers`, and the message expiry in seconds.
fn properties(
    headers: &MqttHeaders,
    limits: &TopicLimits,
) -> Result<(MessageProperties, Option<u64>), ActionError> {
    let present = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let invalid =
        |header: &'static str, reason: String| ActionError::InvalidHeader { header, reason };
    let payload_format_indicator = match present(&headers.payload_format_indicator).as_deref() {
        None => None,
        Some("UNSPECIFIED_BYTES") => Some(0),
        Some("UTF8_DATA") => Some(1),
        Some(other) => {
            return Err(invalid(
                "payloadFormatIndicator",
                format!("{other:?} is not UNSPECIFIED_BYTES or UTF8_DATA"),
            ))
        }
    };
    let response_topic = present(&headers.response_topic);
    if let Some(topic) = &response_topic {
        validate_topic_name(topic, limits)
            .map_err(|e| invalid("responseTopic", format!("{topic:?}: {e}")))?;
    }
    let correlation_data = present(&headers.correlation_data)
        .map(|text| {
            base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map(Bytes::from)
                .map_err(|e| invalid("correlationData", format!("not base64: {e}")))
        })
        .transpose()?;
    let expiry = present(&headers.message_expiry)
        .map(|text| {
            text.trim().parse::<u32>().map(u64::from).map_err(|_| {
                invalid(
                    "messageExpiry",
                    format!("{text:?} is not a number of seconds"),
                )
            })
        })
        .transpose()?;
    let user_properties = headers
        .user_properties
        .iter()
        .flatten()
        .map(|p| (p.key.clone(), p.value.clone()))
        .collect();
    Ok((
        MessageProperties {
            payload_format_indicator,
            content_type: present(&headers.content_type),
            response_topic,
            correlation_data,
            user_properties,
        },
        expiry,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use thingcore::ManualClock;

    fn sink() -> (RepublishSink, Arc<CollectingPublisher>) {
        let publisher = Arc::new(CollectingPublisher::default());
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        (RepublishSink::new(publisher.clone(), clock), publisher)
    }

    fn action(v: serde_json::Value) -> RepublishAction {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn double_dollar_is_the_escape_for_reserved_topics() {
        let limits = TopicLimits::default();
        assert_eq!(
            republish_topic("$$aws/things/t1/shadow/update", &limits).ok(),
            Some("$aws/things/t1/shadow/update".to_owned())
        );
        assert_eq!(
            republish_topic("alerts/kitchen", &limits).ok(),
            Some("alerts/kitchen".to_owned())
        );
        for bad in [
            "$aws/things/t1/shadow/update",
            "$$aws/things/t1/jobs/notify",
            "alerts/+",
            "",
            &format!("a/{}", "x".repeat(300)),
        ] {
            assert!(
                matches!(
                    republish_topic(bad, &limits),
                    Err(ActionError::InvalidTopic { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn headers_become_mqtt5_properties() {
        let (sink, _) = sink();
        let republish = action(
            json!({"roleArn": "r", "topic": "out", "qos": 1, "headers": {
            "payloadFormatIndicator": "UTF8_DATA", "contentType": "application/json",
            "responseTopic": "replies/1", "correlationData": "AQID", "messageExpiry": "60",
            "userProperties": [{"key": "k", "value": "v"}, {"key": "k", "value": "w"}]}}),
        );
        let message = sink
            .message(&republish, Bytes::from_static(b"{}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(message.qos, QoS::AtLeastOnce);
        assert!(!message.retain);
        assert_eq!(message.expires_at, Some(1_700_000_060_000));
        assert_eq!(
            message.properties,
            MessageProperties {
                payload_format_indicator: Some(1),
                content_type: Some("application/json".into()),
                response_topic: Some("replies/1".into()),
                correlation_data: Some(Bytes::from_static(&[1, 2, 3])),
                user_properties: vec![("k".into(), "v".into()), ("k".into(), "w".into())],
            }
        );
        let empty = action(json!({"roleArn": "r", "topic": "out",
            "headers": {"contentType": "", "messageExpiry": ""}}));
        let message = sink
            .message(&empty, Bytes::new())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(message.qos, QoS::AtMostOnce);
        assert_eq!(message.properties, MessageProperties::default());
        assert_eq!(message.expires_at, None);
    }

    #[test]
    fn invalid_rendered_headers_fail_the_action() {
        let (sink, _) = sink();
        for (headers, header) in [
            (
                json!({"payloadFormatIndicator": "TEXT"}),
                "payloadFormatIndicator",
            ),
            (json!({"responseTopic": "a/#"}), "responseTopic"),
            (json!({"correlationData": "%%%"}), "correlationData"),
            (json!({"messageExpiry": "soon"}), "messageExpiry"),
        ] {
            let republish = action(json!({"roleArn": "r", "topic": "out", "headers": headers}));
            assert!(
                matches!(
                    sink.message(&republish, Bytes::new()),
                    Err(ActionError::InvalidHeader { header: h, .. }) if h == header
                ),
                "{header}"
            );
        }
    }

    #[test]
    fn the_sink_publishes_and_refuses_other_types() {
        let (sink, publisher) = sink();
        let republish = ResolvedAction {
            action: Action::Republish(action(
                json!({"roleArn": "r", "topic": "$$aws/things/t/shadow/update"}),
            )),
            payload: Bytes::from_static(b"{\"state\":{}}"),
        };
        futures::executor::block_on(sink.run(&republish)).unwrap_or_else(|e| panic!("{e}"));
        let sent = publisher.take();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].topic, "$aws/things/t/shadow/update");
        assert_eq!(sent[0].payload, Bytes::from_static(b"{\"state\":{}}"));
        let other = ResolvedAction {
            action: serde_json::from_value(json!({"lambda": {"functionArn": "f"}}))
                .unwrap_or_else(|e| panic!("{e}")),
            payload: Bytes::new(),
        };
        assert!(matches!(
            futures::executor::block_on(sink.run(&other)),
            Err(ActionError::NotImplemented { .. })
        ));
    }
}
