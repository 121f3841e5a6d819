//! Frames the gateway sends to a client, as JSON text:
//!
//! ```json
//! {"action": "subscribed",   "topic": "a/+", "qos": 1, "id": "r1"}
//! {"action": "unsubscribed", "topic": "a/+"}
//! {"action": "published",    "topic": "a/b", "id": "r2"}
//! {"action": "message",      "topic": "a/b", "payload": "hi", "qos": 0, "retain": false}
//! {"action": "error",        "code": "InvalidTopic", "message": "...", "request": "publish", "id": "r3"}
//! ```
//!
//! A delivery's payload is its UTF-8 text, or base64 with `"payloadEncoding": "base64"` when it
//! is not UTF-8. `published` answers QoS 1 publishes (QoS 0 ones are not answered unless they
//! carry an `id`). `retain` is true only on retained messages sent because of a subscription.

use crate::mqtt::QoS;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

/// Stable error codes of error frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Not JSON, or not an object.
    MalformedFrame,
    /// `action` missing or unknown.
    UnknownAction,
    /// A field missing or of the wrong type or value.
    InvalidField,
    /// A topic or filter that breaks the rules or limits.
    InvalidTopic,
    /// A payload over the limit.
    PayloadTooLarge,
    /// The connection is not known (it was never connected, or it expired).
    StaleConnection,
    /// The connection has as many subscriptions as it may have.
    SubscriptionLimit,
    /// The connection's policies do not allow the request (AWS IoT's "not authorized").
    NotAuthorized,
    /// A reserved topic used in a way AWS IoT does not allow (see `crate::route`).
    ReservedTopic,
    /// The gateway failed (storage); the request may be retried.
    InternalError,
}

impl ErrorCode {
    /// The code as it appears in the frame.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedFrame => "MalformedFrame",
            ErrorCode::UnknownAction => "UnknownAction",
            ErrorCode::InvalidField => "InvalidField",
            ErrorCode::InvalidTopic => "InvalidTopic",
            ErrorCode::PayloadTooLarge => "PayloadTooLarge",
            ErrorCode::StaleConnection => "StaleConnection",
            ErrorCode::SubscriptionLimit => "SubscriptionLimit",
            ErrorCode::NotAuthorized => "NotAuthorized",
            ErrorCode::ReservedTopic => "ReservedTopic",
            ErrorCode::InternalError => "InternalError",
        }
    }
}

/// A message delivered to a subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The topic it was published to.
    pub topic: String,
    /// Its payload.
    pub payload: Vec<u8>,
    /// The lower of the publish's and the subscription's QoS.
    pub qos: QoS,
    /// True when sent as a retained message on subscribing.
    pub retain: bool,
}

/// A frame to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerFrame {
    /// A subscription was made (or replaced).
    Subscribed {
        /// The request's id.
        id: Option<String>,
        /// The filter.
        filter: String,
        /// The QoS granted.
        qos: QoS,
    },
    /// A subscription was removed (or did not exist).
    Unsubscribed {
        /// The request's id.
        id: Option<String>,
        /// The filter.
        filter: String,
    },
    /// A message was accepted and routed.
    Published {
        /// The request's id.
        id: Option<String>,
        /// The topic.
        topic: String,
    },
    /// A message for a subscription.
    Message(Delivery),
    /// A request was refused; the connection stays usable.
    Error {
        /// The request's id, when it could be read.
        id: Option<String>,
        /// The request's action, when it could be read.
        request: Option<String>,
        /// What kind of error.
        code: ErrorCode,
        /// What is wrong, for people.
        message: String,
    },
}

impl ServerFrame {
    /// An error frame for a refused request.
    pub fn error(
        id: Option<String>,
        request: Option<String>,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        ServerFrame::Error {
            id,
            request,
            code,
            message: message.into(),
        }
    }

    /// The frame as a JSON value.
    pub fn to_value(&self) -> Value {
        match self {
            ServerFrame::Subscribed { id, filter, qos } => with_id(
                json!({"action": "subscribed", "topic": filter, "qos": qos.as_u8()}),
                id,
            ),
            ServerFrame::Unsubscribed { id, filter } => {
                with_id(json!({"action": "unsubscribed", "topic": filter}), id)
            }
            ServerFrame::Published { id, topic } => {
                with_id(json!({"action": "published", "topic": topic}), id)
            }
            ServerFrame::Message(delivery) => {
                let mut value = json!({
                    "action": "message",
                    "topic": delivery.topic,
                    "qos": delivery.qos.as_u8(),
                    "retain": delivery.retain,
                });
                match std::str::from_utf8(&delivery.payload) {
                    Ok(text) => value["payload"] = json!(text),
                    Err(_) => {
                        value["payload"] = json!(STANDARD.encode(&delivery.payload));
                        value["payloadEncoding"] = json!("base64");
                    }
                }
                value
            }
            ServerFrame::Error {
                id,
                request,
                code,
                message,
            } => {
                let mut value =
                    json!({"action": "error", "code": code.as_str(), "message": message});
                if let Some(request) = request {
                    value["request"] = json!(request);
                }
                with_id(value, id)
            }
        }
    }

    /// The frame as JSON text, ready to send.
    pub fn to_text(&self) -> String {
        self.to_value().to_string()
    }
}

fn with_id(mut value: Value, id: &Option<String>) -> Value {
    if let Some(id) = id {
        value["id"] = json!(id);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_serialize_as_documented() {
        let subscribed = ServerFrame::Subscribed {
            id: Some("r1".into()),
            filter: "a/+".into(),
            qos: QoS::AtLeastOnce,
        };
        assert_eq!(
            subscribed.to_value(),
            json!({"action":"subscribed","topic":"a/+","qos":1,"id":"r1"})
        );
        let message = ServerFrame::Message(Delivery {
            topic: "a/b".into(),
            payload: b"hi".to_vec(),
            qos: QoS::AtMostOnce,
            retain: false,
        });
        assert_eq!(
            message.to_value(),
            json!({"action":"message","topic":"a/b","payload":"hi","qos":0,"retain":false})
        );
        let error =
            ServerFrame::error(None, Some("publish".into()), ErrorCode::InvalidTopic, "bad");
        assert_eq!(
            error.to_value(),
            json!({"action":"error","code":"InvalidTopic","message":"bad","request":"publish"})
        );
    }

    #[test]
    fn binary_payloads_travel_as_base64() {
        let message = ServerFrame::Message(Delivery {
            topic: "a".into(),
            payload: vec![0xff, 0],
            qos: QoS::AtLeastOnce,
            retain: true,
        });
        let value = message.to_value();
        assert_eq!(value["payload"], json!("/wA="));
        assert_eq!(value["payloadEncoding"], json!("base64"));
    }
}
