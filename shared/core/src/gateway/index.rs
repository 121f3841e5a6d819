//! Where the gateway keeps its state in the Store's broker table, laid out so that a publish
//! reads only the subscriptions that can match it:
//!
//! | item | pk | sk | body |
//! |------|----|----|------|
//! | connection | `gw-conn#{connectionId}` | `conn` | [`ConnectionRecord`] (its subscriptions) |
//! | subscription | `gw-sub#{partition}` | `{connectionId} {filter}` | [`SubscriptionRecord`] |
//! | retained message | `gw-retained` | `{topic}` | [`RetainedRecord`] |
//!
//! Subscriptions are partitioned by the filter's first level: `gw-sub#=a` holds every filter
//! beginning with the literal level `a`, and the one wildcard partition `gw-sub#*` holds the
//! filters that begin with `+` or `#`. A message on `a/b/c` reads `gw-sub#=a` and `gw-sub#*`
//! (only the former for `$` topics, which leading wildcards never match), and checks each filter
//! found there. Connection ids contain no spaces (API Gateway's are base64url-like, the shim's
//! are generated), so the sort key splits unambiguously; the body repeats both anyway.
//!
//! Retained messages share one partition, ordered by topic, so a subscription reads only the
//! sort-key range of its filter's literal prefix (`a/b/+` reads topics from `a/b/`).
//! Connection and subscription items expire with the connection (API Gateway closes
//! WebSocket connections after two hours), so nothing outlives a connection that vanished
//! without a `$disconnect`.

use crate::mqtt::{Bytes, QoS};
use crate::store::Key;
use serde::{Deserialize, Serialize};

/// Sort key of connection items.
pub const CONNECTION_SK: &str = "conn";
/// Partition of retained messages.
pub const RETAINED_PK: &str = "gw-retained";
/// The partition of filters that begin with a wildcard.
pub const WILDCARD_PARTITION: &str = "gw-sub#*";
/// How long connection and subscription items live: API Gateway's two-hour connection limit
/// and a margin.
pub const CONNECTION_TTL_SECS: u64 = 2 * 3600 + 600;
/// Longest connection id accepted, in bytes.
pub const MAX_CONNECTION_ID_BYTES: usize = 128;

/// Whether `id` can be a connection id: non-empty, bounded, printable ASCII without spaces.
pub fn valid_connection_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CONNECTION_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_graphic())
}

/// The key of a connection's item.
pub fn connection_key(connection_id: &str) -> Key {
    Key::new(format!("gw-conn#{connection_id}"), CONNECTION_SK)
}

/// The subscription partition a (valid) filter belongs to.
pub fn filter_partition(filter: &str) -> String {
    let first = filter.split('/').next().unwrap_or_default();
    if first == "+" || first == "#" {
        WILDCARD_PARTITION.to_string()
    } else {
        format!("gw-sub#={first}")
    }
}

/// The partitions holding every filter that can match `topic` (a valid topic name).
pub fn topic_partitions(topic: &str) -> Vec<String> {
    let first = topic.split('/').next().unwrap_or_default();
    let mut partitions = vec![format!("gw-sub#={first}")];
    if !topic.starts_with('$') {
        partitions.push(WILDCARD_PARTITION.to_string());
    }
    partitions
}

/// The key of one connection's subscription to `filter`.
pub fn subscription_key(connection_id: &str, filter: &str) -> Key {
    Key::new(
        filter_partition(filter),
        format!("{connection_id} {filter}"),
    )
}

/// The key of the retained message of `topic`.
pub fn retained_key(topic: &str) -> Key {
    Key::new(RETAINED_PK, topic)
}

/// The sort-key prefix holding every retained topic `filter` can match: its levels up to the
/// first wildcard.
pub fn retained_prefix(filter: &str) -> &str {
    match filter.find(['+', '#']) {
        Some(at) => &filter[..at],
        None => filter,
    }
}

/// One subscription of a connection, as its connection item lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionEntry {
    /// The filter.
    pub filter: String,
    /// The most QoS its deliveries get.
    pub qos: u8,
}

/// A connection's item: who it is and what it subscribed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRecord {
    /// API Gateway's connection id.
    pub connection_id: String,
    /// Epoch milliseconds of `$connect`.
    pub connected_at: u64,
    /// The client's address, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// The authorizer's principal, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Its subscriptions, in the order made.
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionEntry>,
    /// What it may do (`None`: an open connection, everything allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<super::rights::ConnectionRights>,
}

/// What adding a subscription does to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// A new subscription.
    Added,
    /// The filter was subscribed already; its QoS is now the new one (MQTT's replace).
    Replaced,
    /// The connection has `limit` subscriptions already.
    LimitReached {
        /// The limit.
        limit: usize,
    },
}

impl ConnectionRecord {
    /// Adds (or replaces) the subscription to `filter` unless that passes `limit`.
    pub fn subscribe(&mut self, filter: &str, qos: QoS, limit: usize) -> SubscribeOutcome {
        if let Some(entry) = self.subscriptions.iter_mut().find(|s| s.filter == filter) {
            entry.qos = qos.as_u8();
            return SubscribeOutcome::Replaced;
        }
        if self.subscriptions.len() >= limit {
            return SubscribeOutcome::LimitReached { limit };
        }
        self.subscriptions.push(SubscriptionEntry {
            filter: filter.to_string(),
            qos: qos.as_u8(),
        });
        SubscribeOutcome::Added
    }

    /// Removes the subscription to `filter`; `false` when there was none.
    pub fn unsubscribe(&mut self, filter: &str) -> bool {
        let before = self.subscriptions.len();
        self.subscriptions.retain(|s| s.filter != filter);
        self.subscriptions.len() != before
    }
}

/// A subscription index item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionRecord {
    /// The subscriber.
    pub connection_id: String,
    /// Its filter.
    pub filter: String,
    /// The most QoS its deliveries get.
    pub qos: u8,
}

/// A retained message item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetainedRecord {
    /// Its topic.
    pub topic: String,
    /// Its payload (base64 in the body).
    #[serde(with = "crate::broker::message::b64")]
    pub payload: Bytes,
    /// The QoS it was published with.
    pub qos: u8,
    /// Epoch milliseconds when it was published.
    pub received_at: u64,
}

/// The QoS a delivery gets: the lower of the message's and the subscription's.
pub fn delivery_qos(message: QoS, subscription: u8) -> QoS {
    if message.as_u8() <= subscription {
        message
    } else {
        QoS::from_u8(subscription).unwrap_or(QoS::AtMostOnce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topic::matches;

    #[test]
    fn filters_fall_into_first_level_or_wildcard_partitions() {
        assert_eq!(filter_partition("a/b"), "gw-sub#=a");
        assert_eq!(filter_partition("a/#"), "gw-sub#=a");
        assert_eq!(filter_partition("+/b"), WILDCARD_PARTITION);
        assert_eq!(filter_partition("#"), WILDCARD_PARTITION);
        assert_eq!(filter_partition("/a"), "gw-sub#=");
        assert_eq!(filter_partition("$aws/things/t/#"), "gw-sub#=$aws");
    }

    #[test]
    fn every_matching_filter_is_in_a_partition_the_topic_reads() {
        let filters = [
            "a/b", "a/+", "a/#", "#", "+/b", "+", "/+", "$aws/#", "b/#", "+/+/+",
        ];
        let topics = ["a/b", "a", "b/b", "/x", "$aws/things/t", "a/b/c"];
        for topic in topics {
            let partitions = topic_partitions(topic);
            for filter in filters {
                if matches(filter, topic) {
                    assert!(
                        partitions.contains(&filter_partition(filter)),
                        "{filter} matches {topic} but lives outside {partitions:?}"
                    );
                }
            }
        }
        assert_eq!(topic_partitions("$aws/x"), vec!["gw-sub#=$aws".to_string()]);
    }

    #[test]
    fn retained_prefixes_cover_their_matches() {
        assert_eq!(retained_prefix("a/b/+"), "a/b/");
        assert_eq!(retained_prefix("a/#"), "a/");
        assert_eq!(retained_prefix("#"), "");
        assert_eq!(retained_prefix("a/b"), "a/b");
        for (filter, topic) in [("a/#", "a"), ("a/+/c", "a/x/c"), ("+", "x")] {
            assert!(matches(filter, topic));
            // "a/#" matches its parent "a", which is outside "a/": the reader drops one level.
            let prefix = retained_prefix(filter);
            let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
            assert!(topic.starts_with(prefix), "{filter} {topic}");
        }
    }

    #[test]
    fn subscriptions_replace_and_respect_the_limit() {
        let mut record = ConnectionRecord::default();
        assert_eq!(
            record.subscribe("a", QoS::AtMostOnce, 2),
            SubscribeOutcome::Added
        );
        assert_eq!(
            record.subscribe("a", QoS::AtLeastOnce, 2),
            SubscribeOutcome::Replaced
        );
        assert_eq!(record.subscriptions[0].qos, 1);
        assert_eq!(
            record.subscribe("b", QoS::AtMostOnce, 2),
            SubscribeOutcome::Added
        );
        assert_eq!(
            record.subscribe("c", QoS::AtMostOnce, 2),
            SubscribeOutcome::LimitReached { limit: 2 }
        );
        assert!(record.unsubscribe("a"));
        assert!(!record.unsubscribe("a"));
    }

    #[test]
    fn connection_ids_are_checked() {
        assert!(valid_connection_id("L0SM9cOFvHcCIhw="));
        assert!(!valid_connection_id(""));
        assert!(!valid_connection_id("a b"));
        assert!(!valid_connection_id(&"x".repeat(129)));
    }

    #[test]
    fn deliveries_get_the_lower_qos() {
        assert_eq!(delivery_qos(QoS::AtLeastOnce, 0), QoS::AtMostOnce);
        assert_eq!(delivery_qos(QoS::AtMostOnce, 1), QoS::AtMostOnce);
        assert_eq!(delivery_qos(QoS::AtLeastOnce, 1), QoS::AtLeastOnce);
    }
}
