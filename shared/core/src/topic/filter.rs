//! Matching a topic name against a filter, and `$share/{group}/{filter}` filters.

use super::{validate_topic_filter, TopicError, TopicLimits};

/// Whether `topic` (a valid name) matches `filter` (a valid filter).
pub fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut topic_levels = topic.split('/');
    for level in filter.split('/') {
        match level {
            "#" => return true,
            "+" => {
                if topic_levels.next().is_none() {
                    return false;
                }
            }
            literal => {
                if topic_levels.next() != Some(literal) {
                    return false;
                }
            }
        }
    }
    topic_levels.next().is_none()
}

/// A shared subscription filter: `$share/{group}/{filter}` (MQTT 5 §4.8.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SharedFilter {
    /// The share name: the group of subscribers that messages are spread over.
    pub group: String,
    /// The topic filter messages are matched against.
    pub filter: String,
}

impl SharedFilter {
    /// Splits a subscription filter into its share group and filter. `Ok(None)` for an
    /// ordinary (unshared) filter.
    ///
    /// # Errors
    /// [`TopicError::InvalidSharedFilter`] for a malformed `$share/` filter, or the filter's
    /// own error.
    pub fn parse(filter: &str, limits: &TopicLimits) -> Result<Option<SharedFilter>, TopicError> {
        let Some(rest) = filter.strip_prefix("$share/") else {
            if filter == "$share" {
                return Err(TopicError::InvalidSharedFilter);
            }
            return Ok(None);
        };
        let Some((group, inner)) = rest.split_once('/') else {
            return Err(TopicError::InvalidSharedFilter);
        };
        if group.is_empty() || group.contains(['+', '#']) || inner.is_empty() {
            return Err(TopicError::InvalidSharedFilter);
        }
        validate_topic_filter(inner, limits)?;
        Ok(Some(SharedFilter {
            group: group.to_string(),
            filter: inner.to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_follows_the_spec_examples() {
        let cases = [
            ("sport/tennis/player1/#", "sport/tennis/player1", true),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/ranking",
                true,
            ),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/score/wimbledon",
                true,
            ),
            ("sport/#", "sport", true),
            ("#", "sport/tennis", true),
            ("sport/tennis/+", "sport/tennis/player1", true),
            ("sport/tennis/+", "sport/tennis/player1/ranking", false),
            ("sport/+", "sport", false),
            ("sport/+", "sport/", true),
            ("+/+", "/finance", true),
            ("/+", "/finance", true),
            ("+", "/finance", false),
            ("a/b", "a/b", true),
            ("a/b", "a/b/c", false),
            ("a/b/c", "a/b", false),
            ("+/#", "a", true),
            ("a//b", "a//b", true),
            ("a/+/b", "a//b", true),
        ];
        for (filter, topic, expected) in cases {
            assert_eq!(matches(filter, topic), expected, "{filter} vs {topic}");
        }
    }

    #[test]
    fn dollar_topics_are_not_matched_by_leading_wildcards() {
        assert!(!matches("#", "$SYS/monitor/Clients"));
        assert!(!matches("+/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(matches("$SYS/#", "$SYS/monitor/Clients"));
        assert!(matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
        assert!(matches(
            "$aws/things/+/shadow/update",
            "$aws/things/t1/shadow/update"
        ));
    }

    #[test]
    fn shared_filters() {
        let limits = TopicLimits::default();
        assert_eq!(SharedFilter::parse("a/b", &limits), Ok(None));
        assert_eq!(
            SharedFilter::parse("$share/g1/a/+", &limits),
            Ok(Some(SharedFilter {
                group: "g1".into(),
                filter: "a/+".into()
            }))
        );
        for bad in [
            "$share",
            "$share/",
            "$share/g",
            "$share//a",
            "$share/g+/a",
            "$share/g/",
        ] {
            assert!(SharedFilter::parse(bad, &limits).is_err(), "{bad}");
        }
        assert_eq!(
            SharedFilter::parse("$share/g/a#", &limits),
            Err(TopicError::MisplacedWildcard)
        );
    }
}
