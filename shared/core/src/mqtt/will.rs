//! The Will Message of a CONNECT (MQTT 5.0 §3.1.2.5, §3.1.3.2-3.1.3.4): what the server
//! publishes for a client whose connection ends without a DISCONNECT.

use bytes::Bytes;

use super::error::DecodeError;
use super::properties::{self, id, once, Property, PropertySet};
use super::write::Sink;
use super::{QoS, UserProperties};

/// The Will Message of a CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Will {
    /// Topic the Will is published to.
    pub topic: String,
    /// The Will's payload.
    pub payload: Bytes,
    /// QoS to publish it with.
    pub qos: QoS,
    /// Whether it is published retained.
    pub retain: bool,
    /// MQTT 5 Will properties; empty for 3.1.x.
    pub properties: WillProperties,
}

/// MQTT 5 Will properties (§3.1.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WillProperties {
    /// Seconds to wait after the connection ends before publishing the Will.
    pub will_delay_interval: Option<u32>,
    /// 0: unspecified bytes, 1: UTF-8 text.
    pub payload_format_indicator: Option<u8>,
    /// Lifetime of the Will Message in seconds.
    pub message_expiry_interval: Option<u32>,
    /// Content type of the payload (e.g. a MIME type).
    pub content_type: Option<String>,
    /// Topic for a response to the Will.
    pub response_topic: Option<String>,
    /// Correlation data for a response.
    pub correlation_data: Option<Bytes>,
    /// User properties.
    pub user_properties: UserProperties,
}

impl PropertySet for WillProperties {
    fn apply(&mut self, property: Property, context: &str) -> Result<(), DecodeError> {
        let name = property.name();
        match property {
            Property::WillDelayInterval(v) => once(&mut self.will_delay_interval, v, name),
            Property::PayloadFormatIndicator(v) => {
                once(&mut self.payload_format_indicator, v, name)
            }
            Property::MessageExpiryInterval(v) => once(&mut self.message_expiry_interval, v, name),
            Property::ContentType(v) => once(&mut self.content_type, v, name),
            Property::ResponseTopic(v) => once(&mut self.response_topic, v, name),
            Property::CorrelationData(v) => once(&mut self.correlation_data, v, name),
            Property::User(k, v) => {
                self.user_properties.push((k, v));
                Ok(())
            }
            other => Err(other.not_allowed(context)),
        }
    }

    fn write_entries<S: Sink>(&self, s: &mut S) {
        properties::put_four(s, id::WILL_DELAY_INTERVAL, self.will_delay_interval);
        let pfi = self.payload_format_indicator;
        properties::put_byte(s, id::PAYLOAD_FORMAT_INDICATOR, pfi);
        properties::put_four(s, id::MESSAGE_EXPIRY_INTERVAL, self.message_expiry_interval);
        properties::put_text(s, id::CONTENT_TYPE, self.content_type.as_deref());
        properties::put_text(s, id::RESPONSE_TOPIC, self.response_topic.as_deref());
        properties::put_data(s, id::CORRELATION_DATA, self.correlation_data.as_deref());
        properties::put_user(s, &self.user_properties);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::Packet;

    /// A v5 CONNECT carrying a Will with the property block `props`.
    fn will(props: &[u8]) -> Vec<u8> {
        let mut block = vec![props.len() as u8];
        block.extend_from_slice(props);
        let body = cat(&[
            b"\x00\x04MQTT\x05\x06\x00\x3C\x00\x00\x01c",
            &block,
            b"\x00\x01t\x00\x00",
        ]);
        frame(0x10, &body)
    }

    #[test]
    fn will_properties_are_checked_apart_from_connect_properties() {
        let Ok(Packet::Connect(c)) = decode_one(&will(b"\x18\x00\x00\x00\x0A"), None) else {
            panic!("a Will Delay Interval is a Will property");
        };
        assert_eq!(
            c.will.map(|w| w.properties.will_delay_interval),
            Some(Some(10))
        );
        assert_protocol(&will(b"\x01\x00\x01\x01"), None); // Payload Format Indicator twice
        assert_malformed(&will(b"\x11\x00\x00\x00\x01"), None); // Session Expiry in the Will
        assert_malformed(&will(b"\x0B\x01"), None); // Subscription Identifier in the Will
    }
}
