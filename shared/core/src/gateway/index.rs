//! Where the gateway keeps its state in the Store's broker table, laid out so that a publish
//! reads only the subscriptions that can match it:
//!
//! | item | pk | sk | body |
//! |------|----|----|------|
//! | connection | `gw-conn#{connectionId}` | `conn` | [`ConnectionRecord`] (its subscriptions) |
//! | subscription | `gw-sub={filter}` or `gw-sub*{n}#{prefix}` | `{connectionId} {filter}` | [`SubscriptionRecord`] |
//! | retained message | `gw-retained` | `{topic}` | [`RetainedRecord`] |
//!
//! Subscriptions are partitioned so that a publish reads only filters that can match it: a
//! filter without wildcards lives in the partition of its very topic (`gw-sub=a/b/c`), one
//! with wildcards in the partition of its literal levels before the first wildcard, with their
//! count (`a/+/c` in `gw-sub*1#a`, `#` in `gw-sub*0#`). A message on `a/b/c` reads its exact
//! partition and the wildcard partitions of `""`, `a`, `a/b` and `a/b/c` — at most 10 queries
//! for AWS IoT's 8 levels, whatever the number of connections and topics — and checks each
//! filter found there (only `+` levels after the prefix can still miss). `$` topics skip the
//! empty prefix, which leading wildcards never match. Connection ids contain no spaces (API
//! Gateway's are base64url-like, the shim's are generated), so the sort key splits
//! unambiguously; the body repeats both anyway.
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
/// The prefix of the partitions of filters without wildcards (the filter follows).
pub const EXACT_PARTITION: &str = "gw-sub=";
/// The prefix of the partitions of filters with wildcards (the count of literal levels
/// before the first wildcard, `#`, then those levels).
pub const WILDCARD_PARTITION: &str = "gw-sub*";
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

/// The subscription partition a (valid) filter belongs to: a filter without wildcards lives in
/// the partition of exactly its topic; a filter with wildcards in the partition of its literal
/// levels before the first wildcard (`a/b/+/c` in the one of `a/b`), numbered by how many
/// there are so that `+/x` (none) and `/+` (one, empty) stay apart.
pub fn filter_partition(filter: &str) -> String {
    let levels: Vec<&str> = filter.split('/').collect();
    match levels.iter().position(|l| *l == "+" || *l == "#") {
        None => format!("{EXACT_PARTITION}{filter}"),
        Some(at) => wildcard_partition(&levels[..at]),
    }
}

fn wildcard_partition(prefix: &[&str]) -> String {
    format!("{WILDCARD_PARTITION}{}#{}", prefix.len(), prefix.join("/"))
}

/// The partitions holding every filter that can match `topic` (a valid topic name): its
/// exact partition, and the wildcard partition of each of its level prefixes, the empty one
/// excepted for `$` topics (leading wildcards never match them). At most 10 for AWS IoT's
/// 8 levels, whatever the number of subscriptions.
pub fn topic_partitions(topic: &str) -> Vec<String> {
    let levels: Vec<&str> = topic.split('/').collect();
    let first = usize::from(topic.starts_with('$'));
    let mut partitions = Vec::with_capacity(levels.len() + 2);
    partitions.push(format!("{EXACT_PARTITION}{topic}"));
    for len in first..=levels.len() {
        partitions.push(wildcard_partition(&levels[..len]));
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
    fn filters_fall_into_exact_or_literal_prefix_partitions() {
        assert_eq!(filter_partition("a/b"), "gw-sub=a/b");
        assert_eq!(filter_partition("a/#"), "gw-sub*1#a");
        assert_eq!(filter_partition("a/b/+/c"), "gw-sub*2#a/b");
        assert_eq!(filter_partition("+/b"), "gw-sub*0#");
        assert_eq!(filter_partition("#"), "gw-sub*0#");
        assert_eq!(filter_partition("/+"), "gw-sub*1#");
        assert_eq!(filter_partition("/a"), "gw-sub=/a");
        assert_eq!(
            filter_partition("$aws/things/t/#"),
            "gw-sub*3#$aws/things/t"
        );
    }

    #[test]
    fn every_matching_filter_is_in_a_partition_the_topic_reads() {
        let filters = [
            "a/b",
            "a/+",
            "a/#",
            "#",
            "+/b",
            "+",
            "/+",
            "$aws/#",
            "b/#",
            "+/+/+",
            "a/b/c/#",
            "a/+/c",
            "/",
            "a/b/c",
            "+/#",
            "$aws/+/t",
            "a//c",
            "a/+/+/+/+/+/+/+",
        ];
        let topics = [
            "a/b",
            "a",
            "b/b",
            "/x",
            "$aws/things/t",
            "a/b/c",
            "/",
            "a//c",
            "a/b/c/d/e/f/g/h",
        ];
        for topic in topics {
            let partitions = topic_partitions(topic);
            assert!(partitions.len() <= 10, "{topic}: {partitions:?}");
            for filter in filters {
                if matches(filter, topic) {
                    assert!(
                        partitions.contains(&filter_partition(filter)),
                        "{filter} matches {topic} but lives outside {partitions:?}"
                    );
                }
            }
        }
        assert_eq!(
            topic_partitions("$aws/x"),
            ["gw-sub=$aws/x", "gw-sub*1#$aws", "gw-sub*2#$aws/x"]
        );
    }

    #[test]
    fn a_topic_reads_no_partition_of_filters_that_cannot_match_it() {
        // Other topics' exact filters and other branches' wildcards are never read.
        let partitions = topic_partitions("fleet/7/telemetry");
        for filter in [
            "fleet/8/telemetry",
            "fleet/8/+",
            "other/#",
            "fleet/7/telemetry/x",
        ] {
            assert!(!partitions.contains(&filter_partition(filter)), "{filter}");
        }
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
