//! Topic aliases toward a client (MQTT 5 §3.3.2.3.4): the server may replace a topic it has
//! sent before by a number, up to the Topic Alias Maximum the client declared in CONNECT.
//! Aliases are assigned first come, first served and kept for the connection's life; once
//! all are taken, further topics are sent in full.

use crate::mqtt::Publish;
use std::collections::HashMap;

/// The aliases of one connection, server to client.
#[derive(Debug, Default)]
pub struct OutboundAliases {
    maximum: u16,
    /// Made with the first alias: an empty map is 48 bytes, kept in every connection's task,
    /// and most clients accept no aliases.
    #[allow(clippy::box_collection)]
    by_topic: Option<Box<HashMap<String, u16>>>,
}

impl OutboundAliases {
    /// Aliases for a client that accepts up to `maximum` (0: none).
    pub fn new(maximum: u16) -> Self {
        Self {
            maximum,
            by_topic: None,
        }
    }

    /// Rewrites an outgoing PUBLISH to use an alias where one exists or can be made.
    pub fn apply(&mut self, publish: &mut Publish) {
        if self.maximum == 0 || publish.topic.is_empty() {
            return;
        }
        let by_topic = self.by_topic.get_or_insert_with(Default::default);
        if let Some(&alias) = by_topic.get(&publish.topic) {
            publish.properties.topic_alias = Some(alias);
            publish.topic.clear();
            return;
        }
        let next = by_topic.len() + 1;
        if next <= usize::from(self.maximum) {
            let alias = next as u16;
            by_topic.insert(publish.topic.clone(), alias);
            publish.properties.topic_alias = Some(alias);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(topic: &str) -> Publish {
        Publish {
            dup: false,
            qos: crate::mqtt::QoS::AtMostOnce,
            retain: false,
            topic: topic.into(),
            packet_id: None,
            payload: Default::default(),
            properties: Default::default(),
        }
    }

    #[test]
    fn first_use_sets_the_alias_later_uses_send_only_the_alias() {
        let mut aliases = OutboundAliases::new(2);
        let mut first = publish("a/long/topic");
        aliases.apply(&mut first);
        assert_eq!(
            (first.topic.as_str(), first.properties.topic_alias),
            ("a/long/topic", Some(1))
        );
        let mut again = publish("a/long/topic");
        aliases.apply(&mut again);
        assert_eq!(
            (again.topic.as_str(), again.properties.topic_alias),
            ("", Some(1))
        );
    }

    #[test]
    fn no_aliases_beyond_the_maximum_or_when_not_accepted() {
        let mut aliases = OutboundAliases::new(1);
        aliases.apply(&mut publish("a"));
        let mut b = publish("b");
        aliases.apply(&mut b);
        assert_eq!((b.topic.as_str(), b.properties.topic_alias), ("b", None));
        let mut none = OutboundAliases::new(0);
        let mut c = publish("c");
        none.apply(&mut c);
        assert_eq!(c.properties.topic_alias, None);
    }
}
