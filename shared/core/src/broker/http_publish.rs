//! The AWS IoT data-plane Publish request (`POST /topics/{topic}`) as a message: what the
//! query string and the `x-amz-mqtt5-*` headers mean, checked the way AWS checks them.
//! Shared by `thingcore serve` and the gateway function so both answer alike.

use super::config::BrokerConfig;
use super::message::{Message, MessageProperties};
use crate::error::{Error, Result};
use crate::mqtt::{Bytes, QoS};
use crate::topic::validate_topic_name;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The parts of a Publish request, as they arrived.
#[derive(Debug, Clone, Default)]
pub struct PublishRequest<'a> {
    /// The `{topic}` path label, already percent-decoded.
    pub topic: &'a str,
    /// `qos` query parameter.
    pub qos: Option<&'a str>,
    /// `retain` query parameter.
    pub retain: Option<&'a str>,
    /// `contentType` query parameter.
    pub content_type: Option<&'a str>,
    /// `responseTopic` query parameter.
    pub response_topic: Option<&'a str>,
    /// `messageExpiry` query parameter, seconds.
    pub message_expiry: Option<&'a str>,
    /// `x-amz-mqtt5-user-properties` header: base64 of a JSON array of one-key objects.
    pub user_properties: Option<&'a str>,
    /// `x-amz-mqtt5-payload-format-indicator` header: `UNSPECIFIED_BYTES` or `UTF8_DATA`.
    pub payload_format_indicator: Option<&'a str>,
    /// `x-amz-mqtt5-correlation-data` header: base64.
    pub correlation_data: Option<&'a str>,
    /// The body.
    pub payload: Bytes,
}

/// Turns a Publish request into the message to route, received at `now` (epoch ms).
///
/// # Errors
/// [`Error::Invalid`] (InvalidRequestException) naming the offending field;
/// [`Error::ItemTooLarge`] (RequestEntityTooLargeException) for an oversized payload.
pub fn publish_request(
    request: PublishRequest<'_>,
    config: &BrokerConfig,
    now: u64,
) -> Result<Message> {
    validate_topic_name(request.topic, &config.topic_limits)
        .map_err(|e| Error::invalid("topic", e.to_string()))?;
    crate::route::client_route(request.topic)
        .map_err(|e| Error::invalid("topic", e.to_string()))?;
    if request.payload.len() > config.max_payload_bytes {
        return Err(Error::ItemTooLarge {
            size: request.payload.len(),
            limit: config.max_payload_bytes,
        });
    }
    let qos = match request.qos {
        None | Some("0") => QoS::AtMostOnce,
        Some("1") => QoS::AtLeastOnce,
        Some(other) => return Err(Error::invalid("qos", format!("{other:?} is not 0 or 1"))),
    };
    let retain = match request.retain {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(Error::invalid(
                "retain",
                format!("{other:?} is not true or false"),
            ))
        }
    };
    let payload_format_indicator = match request.payload_format_indicator {
        None | Some("UNSPECIFIED_BYTES") => None,
        Some("UTF8_DATA") => {
            if std::str::from_utf8(&request.payload).is_err() {
                return Err(Error::invalid(
                    "payload",
                    "is not UTF-8 although UTF8_DATA was declared",
                ));
            }
            Some(1)
        }
        Some(other) => {
            return Err(Error::invalid(
                "payloadFormatIndicator",
                format!("{other:?} is not UNSPECIFIED_BYTES or UTF8_DATA"),
            ))
        }
    };
    let expires_at = match request.message_expiry {
        None => None,
        Some(text) => {
            let secs: u64 = text.parse().map_err(|_| {
                Error::invalid(
                    "messageExpiry",
                    format!("{text:?} is not a number of seconds"),
                )
            })?;
            Some(now.saturating_add(secs.saturating_mul(1000)))
        }
    };
    if let Some(topic) = request.response_topic {
        validate_topic_name(topic, &config.topic_limits)
            .map_err(|e| Error::invalid("responseTopic", e.to_string()))?;
    }
    let correlation_data = match request.correlation_data {
        None => None,
        Some(text) => {
            Some(Bytes::from(STANDARD.decode(text).map_err(|_| {
                Error::invalid("correlationData", "is not base64")
            })?))
        }
    };
    let user_properties = match request.user_properties {
        None => Vec::new(),
        Some(text) => decode_user_properties(text)?,
    };
    Ok(Message {
        topic: request.topic.to_string(),
        payload: request.payload,
        qos,
        retain,
        properties: MessageProperties {
            payload_format_indicator,
            content_type: request.content_type.map(str::to_string),
            response_topic: request.response_topic.map(str::to_string),
            correlation_data,
            user_properties,
        },
        publisher: None,
        received_at: now,
        expires_at,
    })
}

/// `[{"deviceName": "alpha"}, {"deviceCnt": "45"}]`, base64-encoded, as ordered pairs.
fn decode_user_properties(text: &str) -> Result<Vec<(String, String)>> {
    let invalid = || {
        Error::invalid(
            "userProperties",
            "must be base64 of a JSON array of objects with string values",
        )
    };
    let json = STANDARD.decode(text).map_err(|_| invalid())?;
    let mut value: serde_json::Value = serde_json::from_slice(&json).map_err(|_| invalid())?;
    // The SDKs serialize this `jsonvalue` header as a JSON document, so a caller who passes
    // the documented JSON *string* arrives as a string literal holding the array.
    if let serde_json::Value::String(inner) = &value {
        value = serde_json::from_str(inner).map_err(|_| invalid())?;
    }
    let entries = value.as_array().ok_or_else(invalid)?;
    let mut pairs = Vec::new();
    for entry in entries {
        for (key, value) in entry.as_object().ok_or_else(invalid)? {
            pairs.push((key.clone(), value.as_str().ok_or_else(invalid)?.to_string()));
        }
    }
    Ok(pairs)
}

/// The user properties of a message as the data plane returns them: base64 of the JSON array.
pub fn encode_user_properties(pairs: &[(String, String)]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let array: Vec<serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| serde_json::json!({ k.as_str(): v }))
        .collect();
    Some(STANDARD.encode(serde_json::Value::Array(array).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(topic: &str) -> PublishRequest<'_> {
        PublishRequest {
            topic,
            payload: Bytes::from_static(b"{}"),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_are_qos0_not_retained() {
        let msg = publish_request(request("a/b"), &BrokerConfig::default(), 5).expect("valid");
        assert_eq!(
            (msg.qos, msg.retain, msg.received_at),
            (QoS::AtMostOnce, false, 5)
        );
    }

    #[test]
    fn every_field_is_read() {
        let props = STANDARD.encode(r#"[{"deviceName":"alpha"},{"deviceCnt":"45"}]"#);
        let corr = STANDARD.encode("req-1");
        let msg = publish_request(
            PublishRequest {
                qos: Some("1"),
                retain: Some("true"),
                content_type: Some("application/json"),
                response_topic: Some("replies/1"),
                message_expiry: Some("60"),
                user_properties: Some(&props),
                payload_format_indicator: Some("UTF8_DATA"),
                correlation_data: Some(&corr),
                ..request("a/b")
            },
            &BrokerConfig::default(),
            1_000,
        )
        .expect("valid");
        assert_eq!(msg.qos, QoS::AtLeastOnce);
        assert!(msg.retain);
        assert_eq!(msg.expires_at, Some(61_000));
        assert_eq!(msg.properties.payload_format_indicator, Some(1));
        assert_eq!(
            msg.properties.correlation_data.as_deref(),
            Some(&b"req-1"[..])
        );
        assert_eq!(
            msg.properties.user_properties,
            vec![
                ("deviceName".into(), "alpha".into()),
                ("deviceCnt".into(), "45".into())
            ]
        );
        assert_eq!(
            encode_user_properties(&msg.properties.user_properties),
            Some(STANDARD.encode(r#"[{"deviceName":"alpha"},{"deviceCnt":"45"}]"#))
        );
    }

    #[test]
    fn user_properties_arrive_as_the_sdks_send_them() {
        let sdk_form = STANDARD.encode(r#""[{\"a\":\"1\"}]""#);
        let msg = publish_request(
            PublishRequest {
                user_properties: Some(&sdk_form),
                ..request("t")
            },
            &BrokerConfig::default(),
            0,
        )
        .expect("valid");
        assert_eq!(
            msg.properties.user_properties,
            vec![("a".into(), "1".into())]
        );
    }

    #[test]
    fn reserved_topics_only_the_core_publishes_are_refused() {
        let config = BrokerConfig::default();
        for topic in [
            "$aws/events/presence/connected/c",
            "$aws/things/t/shadow/update/delta",
        ] {
            match publish_request(request(topic), &config, 0) {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "topic"),
                other => panic!("{topic}: {other:?}"),
            }
        }
        assert!(publish_request(request("$aws/rules/r1/x"), &config, 0).is_ok());
    }

    #[test]
    fn bad_fields_are_named() {
        let config = BrokerConfig::default();
        let cases: Vec<(PublishRequest<'_>, &str)> = vec![
            (
                PublishRequest {
                    qos: Some("2"),
                    ..request("a")
                },
                "qos",
            ),
            (
                PublishRequest {
                    retain: Some("yes"),
                    ..request("a")
                },
                "retain",
            ),
            (
                PublishRequest {
                    message_expiry: Some("soon"),
                    ..request("a")
                },
                "messageExpiry",
            ),
            (
                PublishRequest {
                    user_properties: Some("not base64!"),
                    ..request("a")
                },
                "userProperties",
            ),
            (
                PublishRequest {
                    correlation_data: Some("%%%"),
                    ..request("a")
                },
                "correlationData",
            ),
            (
                PublishRequest {
                    payload_format_indicator: Some("TEXT"),
                    ..request("a")
                },
                "payloadFormatIndicator",
            ),
            (request("a/+"), "topic"),
            (request(""), "topic"),
        ];
        for (req, field) in cases {
            match publish_request(req, &config, 0) {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let big = PublishRequest {
            payload: Bytes::from(vec![0; 128 * 1024 + 1]),
            ..request("a")
        };
        assert!(matches!(
            publish_request(big, &config, 0),
            Err(Error::ItemTooLarge { .. })
        ));
    }
}
