//! The broker's limits, defaulting to AWS IoT Core's where AWS sets one.

use crate::topic::TopicLimits;

/// Limits and defaults of the broker. Every field is documented in the README.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerConfig {
    /// Largest PUBLISH payload in bytes (AWS IoT: 128 KiB).
    pub max_payload_bytes: usize,
    /// Largest packet accepted, fixed header included: the payload limit plus room for the
    /// topic and properties.
    pub max_packet_bytes: usize,
    /// Longest client id in bytes (AWS IoT: 128).
    pub max_client_id_bytes: usize,
    /// Topic size and depth limits (AWS IoT: 256 bytes, 7 slashes).
    pub topic_limits: TopicLimits,
    /// Shortest keep-alive granted in seconds; shorter requests are raised to it (AWS IoT: 30).
    pub min_keep_alive: u16,
    /// Longest keep-alive granted in seconds; longer requests, and 0, get it (AWS IoT: 1200).
    pub max_keep_alive: u16,
    /// Session expiry for 3.1.1 persistent sessions, and the cap for MQTT 5 requests, in
    /// seconds (AWS IoT default: 1 hour).
    pub max_session_expiry: u32,
    /// Most QoS 1/2 messages in flight to a client that does not set Receive Maximum.
    pub default_inflight_window: u16,
    /// Most inbound QoS 2 messages in flight from a client (our Receive Maximum).
    pub receive_maximum: u16,
    /// Most messages queued per session; newer ones are dropped when full.
    pub max_queued_messages: usize,
    /// Most topic aliases a client may use toward us (AWS IoT: 8).
    pub topic_alias_maximum: u16,
    /// Most topic filters in one SUBSCRIBE (AWS IoT: 8); more are refused.
    pub max_filters_per_subscribe: usize,
    /// Most subscriptions per session (AWS IoT: 50).
    pub max_subscriptions_per_session: usize,
    /// Publish lifecycle events on `$aws/events/...`.
    pub lifecycle_events: bool,
    /// The broker-wide bound on queued messages, in bytes of payload and topic across every
    /// session: while the queues hold more, a QoS 1 PUBLISH gets its PUBACK only once they are
    /// down to half of it. Publishers are paced by the broker's memory, never by one
    /// subscriber: a slow or stuck subscriber only fills (and then drops from) its own queue.
    pub max_queued_bytes: usize,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            max_payload_bytes: 128 * 1024,
            max_packet_bytes: 128 * 1024 + 16 * 1024,
            max_client_id_bytes: 128,
            topic_limits: TopicLimits::default(),
            min_keep_alive: 30,
            max_keep_alive: 1200,
            max_session_expiry: 3600,
            default_inflight_window: 100,
            receive_maximum: 100,
            max_queued_messages: 1000,
            topic_alias_maximum: 8,
            max_filters_per_subscribe: 8,
            max_subscriptions_per_session: 50,
            lifecycle_events: true,
            max_queued_bytes: 256 * 1024 * 1024,
        }
    }
}

impl BrokerConfig {
    /// The keep-alive the broker enforces for a requested one (AWS IoT's rule: 0 and values
    /// above the maximum get the maximum, values below the minimum get the minimum).
    pub fn granted_keep_alive(&self, requested: u16) -> u16 {
        if requested == 0 || requested > self.max_keep_alive {
            self.max_keep_alive
        } else {
            requested.max(self.min_keep_alive)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alive_is_clamped_like_aws_iot() {
        let config = BrokerConfig::default();
        assert_eq!(config.granted_keep_alive(0), 1200);
        assert_eq!(config.granted_keep_alive(5), 30);
        assert_eq!(config.granted_keep_alive(60), 60);
        assert_eq!(config.granted_keep_alive(5000), 1200);
    }
}
