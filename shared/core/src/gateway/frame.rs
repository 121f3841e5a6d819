//! Frames a client sends over the gateway's WebSocket, as JSON text:
//!
//! ```json
//! {"action": "subscribe",   "topic": "a/+", "qos": 1, "id": "r1"}
//! {"action": "unsubscribe", "topic": "a/+"}
//! {"action": "publish",     "topic": "a/b", "payload": {"t": 21}, "qos": 1, "retain": false}
//! ```
//!
//! `payload` is a string (sent as its UTF-8 bytes), any other JSON value (sent as its JSON
//! text), or absent/null (an empty payload, which clears a retained message); with
//! `"payloadEncoding": "base64"` a string payload is base64 of the bytes. `qos` is 0 (default)
//! or 1; `retain` defaults to false; `id` is optional and echoed in the reply. Parsing checks
//! everything (topic rules and limits, payload size) so that nothing invalid reaches the Store.

use crate::broker::BrokerConfig;
use crate::mqtt::{Bytes, QoS};
use crate::topic::{validate_topic_filter, validate_topic_name, TopicError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

/// Longest `id` a client may attach to a frame, in bytes.
pub const MAX_ID_BYTES: usize = 128;

/// A parsed client frame and the `id` to echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The client's correlation id, echoed in the reply.
    pub id: Option<String>,
    /// What the client asks for.
    pub frame: ClientFrame,
}

/// What a client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    /// Receive messages published to topics matching `filter`.
    Subscribe {
        /// A valid topic filter.
        filter: String,
        /// The most QoS deliveries get (0 or 1).
        qos: QoS,
    },
    /// Stop receiving messages for `filter`.
    Unsubscribe {
        /// A valid topic filter.
        filter: String,
    },
    /// Publish a message.
    Publish(PublishFrame),
}

/// A message a client publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishFrame {
    /// A valid topic name.
    pub topic: String,
    /// The payload bytes.
    pub payload: Bytes,
    /// 0 or 1.
    pub qos: QoS,
    /// Whether the message is retained (an empty payload clears the topic's retained message).
    pub retain: bool,
}

/// Why a frame is refused. Each variant has a stable [`FrameError::code`] sent to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Not a JSON object.
    #[error("the frame is not a JSON object: {0}")]
    Malformed(String),
    /// `action` is missing or not one of subscribe, unsubscribe, publish.
    #[error("unknown action {0:?}: expected subscribe, unsubscribe or publish")]
    UnknownAction(String),
    /// A field is missing or has the wrong type.
    #[error("invalid field {field}: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The topic or filter breaks MQTT's rules or AWS IoT's limits.
    #[error("invalid topic {topic:?}: {error}")]
    InvalidTopic {
        /// The topic as sent.
        topic: String,
        /// Which rule it breaks.
        error: TopicError,
    },
    /// The payload is larger than the broker accepts.
    #[error("the payload is {size} bytes, more than the limit of {limit}")]
    PayloadTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

impl FrameError {
    /// The error code sent in the error frame.
    pub fn code(&self) -> super::ErrorCode {
        use super::ErrorCode;
        match self {
            FrameError::Malformed(_) => ErrorCode::MalformedFrame,
            FrameError::UnknownAction(_) => ErrorCode::UnknownAction,
            FrameError::InvalidField { .. } => ErrorCode::InvalidField,
            FrameError::InvalidTopic { .. } => ErrorCode::InvalidTopic,
            FrameError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
        }
    }
}

/// A frame that failed to parse, with what could be read of it for the error frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The `id`, when it could be read.
    pub id: Option<String>,
    /// The `action`, when it could be read.
    pub action: Option<String>,
    /// Why.
    pub error: FrameError,
}

/// Parses one text frame against the broker's limits.
///
/// # Errors
/// [`Refused`] with the reason and whatever `id`/`action` could be read.
pub fn parse_request(text: &str, config: &BrokerConfig) -> Result<Request, Refused> {
    let value: Value = serde_json::from_str(text).map_err(|e| Refused {
        id: None,
        action: None,
        error: FrameError::Malformed(e.to_string()),
    })?;
    let Value::Object(object) = value else {
        return Err(Refused {
            id: None,
            action: None,
            error: FrameError::Malformed("expected an object".into()),
        });
    };
    let id = object
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| id.len() <= MAX_ID_BYTES)
        .map(str::to_string);
    let action = object
        .get("action")
        .and_then(Value::as_str)
        .map(str::to_string);
    let refuse = |error| Refused {
        id: id.clone(),
        action: action.clone(),
        error,
    };
    if let Some(raw) = object.get("id") {
        if !raw.is_string() || raw.as_str().is_some_and(|s| s.len() > MAX_ID_BYTES) {
            return Err(refuse(FrameError::InvalidField {
                field: "id",
                reason: format!("must be a string of at most {MAX_ID_BYTES} bytes"),
            }));
        }
    }
    let frame = match action.as_deref() {
        Some("subscribe") => parse_subscribe(&object, config),
        Some("unsubscribe") => {
            filter_field(&object, config).map(|filter| ClientFrame::Unsubscribe { filter })
        }
        Some("publish") => parse_publish(&object, config).map(ClientFrame::Publish),
        Some(other) => Err(FrameError::UnknownAction(other.to_string())),
        None => Err(FrameError::UnknownAction(
            object
                .get("action")
                .map(Value::to_string)
                .unwrap_or_default(),
        )),
    }
    .map_err(refuse)?;
    Ok(Request { id, frame })
}

fn parse_subscribe(
    object: &Map<String, Value>,
    config: &BrokerConfig,
) -> Result<ClientFrame, FrameError> {
    let filter = filter_field(object, config)?;
    let qos = qos_field(object)?;
    Ok(ClientFrame::Subscribe { filter, qos })
}

fn topic_field(object: &Map<String, Value>) -> Result<&str, FrameError> {
    match object.get("topic") {
        Some(Value::String(topic)) => Ok(topic),
        Some(_) => Err(FrameError::InvalidField {
            field: "topic",
            reason: "must be a string".into(),
        }),
        None => Err(FrameError::InvalidField {
            field: "topic",
            reason: "is required".into(),
        }),
    }
}

fn filter_field(object: &Map<String, Value>, config: &BrokerConfig) -> Result<String, FrameError> {
    let filter = topic_field(object)?;
    if filter.starts_with("$share/") || filter == "$share" {
        return Err(FrameError::InvalidTopic {
            topic: filter.to_string(),
            error: TopicError::InvalidSharedFilter,
        });
    }
    validate_topic_filter(filter, &config.topic_limits).map_err(|error| {
        FrameError::InvalidTopic {
            topic: filter.to_string(),
            error,
        }
    })?;
    Ok(filter.to_string())
}

fn qos_field(object: &Map<String, Value>) -> Result<QoS, FrameError> {
    match object.get("qos") {
        None | Some(Value::Null) => Ok(QoS::AtMostOnce),
        Some(value) => match value.as_u64() {
            Some(0) => Ok(QoS::AtMostOnce),
            Some(1) => Ok(QoS::AtLeastOnce),
            _ => Err(FrameError::InvalidField {
                field: "qos",
                reason: format!("{value} is not 0 or 1"),
            }),
        },
    }
}

fn parse_publish(
    object: &Map<String, Value>,
    config: &BrokerConfig,
) -> Result<PublishFrame, FrameError> {
    let topic = topic_field(object)?;
    validate_topic_name(topic, &config.topic_limits).map_err(|error| FrameError::InvalidTopic {
        topic: topic.to_string(),
        error,
    })?;
    let qos = qos_field(object)?;
    let retain = match object.get("retain") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(retain)) => *retain,
        Some(other) => {
            return Err(FrameError::InvalidField {
                field: "retain",
                reason: format!("{other} is not true or false"),
            })
        }
    };
    let base64 = match object.get("payloadEncoding") {
        None | Some(Value::Null) => false,
        Some(Value::String(enc)) if enc == "base64" => true,
        Some(Value::String(enc)) if enc == "utf-8" || enc == "json" => false,
        Some(other) => {
            return Err(FrameError::InvalidField {
                field: "payloadEncoding",
                reason: format!("{other} is not \"base64\""),
            })
        }
    };
    let payload = match object.get("payload") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) if base64 => {
            STANDARD
                .decode(text)
                .map_err(|_| FrameError::InvalidField {
                    field: "payload",
                    reason: "is not base64 although payloadEncoding is base64".into(),
                })?
        }
        Some(Value::String(text)) => text.as_bytes().to_vec(),
        Some(_) if base64 => {
            return Err(FrameError::InvalidField {
                field: "payload",
                reason: "must be a string when payloadEncoding is base64".into(),
            })
        }
        Some(value) => value.to_string().into_bytes(),
    };
    if payload.len() > config.max_payload_bytes {
        return Err(FrameError::PayloadTooLarge {
            size: payload.len(),
            limit: config.max_payload_bytes,
        });
    }
    Ok(PublishFrame {
        topic: topic.to_string(),
        payload: Bytes::from(payload),
        qos,
        retain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Request, Refused> {
        parse_request(text, &BrokerConfig::default())
    }

    fn error(text: &str) -> FrameError {
        match parse(text) {
            Err(refused) => refused.error,
            Ok(request) => panic!("{text} parsed as {request:?}"),
        }
    }

    #[test]
    fn subscribe_and_unsubscribe() {
        let request =
            parse(r#"{"action":"subscribe","topic":"a/+","qos":1,"id":"r1"}"#).expect("valid");
        assert_eq!(request.id.as_deref(), Some("r1"));
        assert_eq!(
            request.frame,
            ClientFrame::Subscribe {
                filter: "a/+".into(),
                qos: QoS::AtLeastOnce
            }
        );
        let request = parse(r##"{"action":"unsubscribe","topic":"#"}"##).expect("valid");
        assert_eq!(
            request.frame,
            ClientFrame::Unsubscribe { filter: "#".into() }
        );
    }

    #[test]
    fn publish_payload_forms() {
        let frame = |text: &str| match parse(text).expect("valid").frame {
            ClientFrame::Publish(p) => p,
            other => panic!("{other:?}"),
        };
        let p = frame(r#"{"action":"publish","topic":"a/b","payload":"hi","qos":1,"retain":true}"#);
        assert_eq!(
            (&p.payload[..], p.qos, p.retain),
            (&b"hi"[..], QoS::AtLeastOnce, true)
        );
        let p = frame(r#"{"action":"publish","topic":"a/b","payload":{"t":21}}"#);
        assert_eq!(&p.payload[..], br#"{"t":21}"#);
        let p = frame(
            r#"{"action":"publish","topic":"a/b","payload":"AAEC","payloadEncoding":"base64"}"#,
        );
        assert_eq!(&p.payload[..], &[0, 1, 2]);
        let p = frame(r#"{"action":"publish","topic":"a/b","retain":true}"#);
        assert!(p.payload.is_empty() && p.retain && p.qos == QoS::AtMostOnce);
    }

    #[test]
    fn bad_frames_get_codes() {
        use crate::gateway::ErrorCode::*;
        let cases = [
            ("not json", MalformedFrame),
            ("[1,2]", MalformedFrame),
            (r#"{"topic":"a"}"#, UnknownAction),
            (r#"{"action":"connect"}"#, UnknownAction),
            (r#"{"action":"subscribe"}"#, InvalidField),
            (r#"{"action":"subscribe","topic":7}"#, InvalidField),
            (
                r#"{"action":"subscribe","topic":"a","qos":2}"#,
                InvalidField,
            ),
            (r##"{"action":"subscribe","topic":"a/#/b"}"##, InvalidTopic),
            (
                r#"{"action":"subscribe","topic":"$share/g/a"}"#,
                InvalidTopic,
            ),
            (r#"{"action":"publish","topic":"a/+"}"#, InvalidTopic),
            (r#"{"action":"publish","topic":""}"#, InvalidTopic),
            (
                r#"{"action":"publish","topic":"a/b/c/d/e/f/g/h/i"}"#,
                InvalidTopic,
            ),
            (
                r#"{"action":"publish","topic":"a","retain":"yes"}"#,
                InvalidField,
            ),
            (
                r#"{"action":"publish","topic":"a","payload":"%%","payloadEncoding":"base64"}"#,
                InvalidField,
            ),
            (
                r#"{"action":"publish","topic":"a","payloadEncoding":"rot13"}"#,
                InvalidField,
            ),
            (r#"{"action":"publish","topic":"a","id":5}"#, InvalidField),
        ];
        for (text, code) in cases {
            assert_eq!(error(text).code(), code, "{text}");
        }
    }

    #[test]
    fn refusals_keep_id_and_action_for_the_reply() {
        let refused =
            parse(r##"{"action":"publish","topic":"a/#","id":"x"}"##).expect_err("invalid");
        assert_eq!(refused.id.as_deref(), Some("x"));
        assert_eq!(refused.action.as_deref(), Some("publish"));
    }

    #[test]
    fn payload_limit() {
        let config = BrokerConfig::default();
        let big = "x".repeat(config.max_payload_bytes + 1);
        let text = format!(r#"{{"action":"publish","topic":"a","payload":"{big}"}}"#);
        assert!(matches!(error(&text), FrameError::PayloadTooLarge { .. }));
        let ok = "x".repeat(config.max_payload_bytes);
        let text = format!(r#"{{"action":"publish","topic":"a","payload":"{ok}"}}"#);
        assert!(parse(&text).is_ok());
    }
}
