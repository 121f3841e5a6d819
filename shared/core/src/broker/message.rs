//! The message the broker routes: what a PUBLISH carried, minus what belongs to one hop
//! (packet id, DUP, topic alias, subscription identifiers), plus who sent it and when it
//! expires.

use crate::mqtt::{Bytes, PublishProperties, QoS, UserProperties};
use serde::{Deserialize, Serialize};

/// Properties that travel with a message from publisher to subscribers (MQTT 5 §3.3.2.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageProperties {
    /// 1 when the payload is UTF-8 text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_format_indicator: Option<u8>,
    /// MIME type of the payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Where a request's answer should go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_topic: Option<String>,
    /// Matches an answer to its request.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_b64")]
    pub correlation_data: Option<Bytes>,
    /// Application key-value pairs, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_properties: UserProperties,
}

/// A routed message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The topic name it was published to.
    pub topic: String,
    /// The payload, opaque.
    #[serde(with = "b64")]
    pub payload: Bytes,
    /// The QoS it was published with (deliveries use the lower of this and the subscription's).
    #[serde(with = "qos_number")]
    pub qos: QoS,
    /// Whether it was published as retained.
    pub retain: bool,
    /// Properties that travel with it.
    #[serde(default)]
    pub properties: MessageProperties,
    /// Client id of the publisher (`None` for messages from the HTTP API or the service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// Epoch milliseconds when it was received.
    pub received_at: u64,
    /// Epoch milliseconds after which it is no longer delivered (MQTT 5 message expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

impl Message {
    /// A message as received in a PUBLISH at `now` (epoch ms).
    pub fn from_publish(
        topic: String,
        payload: Bytes,
        qos: QoS,
        retain: bool,
        properties: &PublishProperties,
        publisher: Option<String>,
        now: u64,
    ) -> Self {
        Self {
            topic,
            payload,
            qos,
            retain,
            properties: MessageProperties {
                payload_format_indicator: properties.payload_format_indicator,
                content_type: properties.content_type.clone(),
                response_topic: properties.response_topic.clone(),
                correlation_data: properties.correlation_data.clone(),
                user_properties: properties.user_properties.clone(),
            },
            publisher,
            received_at: now,
            expires_at: properties
                .message_expiry_interval
                .map(|secs| now + u64::from(secs) * 1000),
        }
    }

    /// Whether the message has expired at `now` (epoch ms).
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// The PUBLISH properties for delivering it at `now`: the expiry interval counts down.
    pub fn publish_properties(
        &self,
        now: u64,
        subscription_identifiers: Vec<u32>,
    ) -> PublishProperties {
        PublishProperties {
            payload_format_indicator: self.properties.payload_format_indicator,
            message_expiry_interval: self
                .expires_at
                .map(|at| at.saturating_sub(now).div_ceil(1000) as u32),
            topic_alias: None,
            response_topic: self.properties.response_topic.clone(),
            correlation_data: self.properties.correlation_data.clone(),
            user_properties: self.properties.user_properties.clone(),
            subscription_identifiers,
            content_type: self.properties.content_type.clone(),
        }
    }
}

pub(crate) mod b64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text)
            .map(Bytes::from)
            .map_err(serde::de::Error::custom)
    }
}

mod opt_b64 {
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Bytes>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => super::b64::serialize(bytes, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Bytes>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::b64")] Bytes);
        Option::<Wrapped>::deserialize(d).map(|w| w.map(|Wrapped(b)| b))
    }
}

pub(crate) mod qos_number {
    use crate::mqtt::QoS;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(qos: &QoS, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(qos.as_u8())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<QoS, D::Error> {
        let n = u8::deserialize(d)?;
        QoS::from_u8(n).ok_or_else(|| serde::de::Error::custom(format!("QoS {n}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_counts_down_and_rounds_up() {
        let props = PublishProperties {
            message_expiry_interval: Some(10),
            ..Default::default()
        };
        let msg = Message::from_publish(
            "a".into(),
            Bytes::from_static(b"x"),
            QoS::AtLeastOnce,
            false,
            &props,
            None,
            1_000,
        );
        assert_eq!(msg.expires_at, Some(11_000));
        assert_eq!(
            msg.publish_properties(1_500, vec![])
                .message_expiry_interval,
            Some(10)
        );
        assert_eq!(
            msg.publish_properties(2_000, vec![])
                .message_expiry_interval,
            Some(9)
        );
        assert!(!msg.is_expired(10_999));
        assert!(msg.is_expired(11_000));
    }

    #[test]
    fn messages_round_trip_through_json() {
        let props = PublishProperties {
            correlation_data: Some(Bytes::from_static(&[0, 1, 255])),
            user_properties: vec![("k".into(), "v".into())],
            content_type: Some("text/plain".into()),
            ..Default::default()
        };
        let msg = Message::from_publish(
            "a/b".into(),
            Bytes::from_static(&[0xff, 0x00]),
            QoS::ExactlyOnce,
            true,
            &props,
            Some("c1".into()),
            5,
        );
        let json = serde_json::to_vec(&msg).expect("serialize");
        let back: Message = serde_json::from_slice(&json).expect("deserialize");
        assert_eq!(back, msg);
    }
}
