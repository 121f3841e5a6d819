//! Topic names and topic filters: validation against MQTT's rules and AWS IoT's limits,
//! matching, shared-subscription filters, and the subscription trie the broker routes with.
//!
//! Rules (MQTT 5 §4.7, 3.1.1 §4.7): levels are separated by `/`; `+` matches exactly one level
//! and must fill it; `#` matches any number of levels, including the parent, and must be last;
//! names never contain wildcards; topics beginning with `$` are not matched by a filter that
//! begins with a wildcard. AWS IoT adds a 256-byte size and at most 7 slashes, not counting
//! the `$aws/rules/{rule}/` prefix of Basic Ingest.

mod filter;
mod trie;

pub use filter::{matches, SharedFilter};
pub use trie::SubscriptionTrie;

/// Limits on topics, defaulting to AWS IoT Core's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicLimits {
    /// Longest topic name or filter in UTF-8 bytes (AWS IoT: 256).
    pub max_bytes: usize,
    /// Most `/` separators in a topic name or filter (AWS IoT: 7).
    pub max_slashes: usize,
}

impl Default for TopicLimits {
    fn default() -> Self {
        Self {
            max_bytes: 256,
            max_slashes: 7,
        }
    }
}

/// Why a topic name or filter is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// Topic names and filters must have at least one character.
    #[error("the topic is empty")]
    Empty,
    /// `+` or `#` in a topic name.
    #[error("a topic name must not contain wildcards")]
    WildcardInName,
    /// `+` or `#` not filling a whole level, or `#` not last.
    #[error("wildcards must fill a whole level, and # must be the last level")]
    MisplacedWildcard,
    /// U+0000 is not allowed anywhere in a topic.
    #[error("the topic contains the null character")]
    NullCharacter,
    /// Longer than the limit.
    #[error("the topic is {size} bytes, more than the limit of {limit}")]
    TooLong {
        /// Size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// More levels than the limit.
    #[error("the topic has {slashes} slashes, more than the limit of {limit}")]
    TooManyLevels {
        /// Number of `/`.
        slashes: usize,
        /// The limit.
        limit: usize,
    },
    /// A `$share/` filter without a valid group name or filter.
    #[error("a shared subscription must be $share/{{group}}/{{filter}} with a group name free of wildcards and /")]
    InvalidSharedFilter,
}

/// The part of a topic that AWS IoT's size limits apply to: Basic Ingest's
/// `$aws/rules/{rule}/` prefix does not count.
fn counted_part(topic: &str) -> &str {
    if let Some(rest) = topic.strip_prefix("$aws/rules/") {
        if let Some(slash) = rest.find('/') {
            return &rest[slash + 1..];
        }
    }
    topic
}

fn check_common(topic: &str, limits: &TopicLimits) -> Result<(), TopicError> {
    if topic.is_empty() {
        return Err(TopicError::Empty);
    }
    if topic.contains('\0') {
        return Err(TopicError::NullCharacter);
    }
    let counted = counted_part(topic);
    if counted.len() > limits.max_bytes {
        return Err(TopicError::TooLong {
            size: counted.len(),
            limit: limits.max_bytes,
        });
    }
    let slashes = counted.bytes().filter(|&b| b == b'/').count();
    if slashes > limits.max_slashes {
        return Err(TopicError::TooManyLevels {
            slashes,
            limit: limits.max_slashes,
        });
    }
    Ok(())
}

/// Checks a topic name (what a PUBLISH is sent to).
///
/// # Errors
/// [`TopicError`] saying which rule is broken.
pub fn validate_topic_name(name: &str, limits: &TopicLimits) -> Result<(), TopicError> {
    check_common(name, limits)?;
    if name.contains(['+', '#']) {
        return Err(TopicError::WildcardInName);
    }
    Ok(())
}

/// Checks a topic filter (what a SUBSCRIBE asks for), not including a `$share/` prefix; see
/// [`SharedFilter::parse`] for those.
///
/// # Errors
/// [`TopicError`] saying which rule is broken.
pub fn validate_topic_filter(filter: &str, limits: &TopicLimits) -> Result<(), TopicError> {
    check_common(filter, limits)?;
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        let is_last = levels.peek().is_none();
        match level {
            "+" => {}
            "#" if is_last => {}
            _ if level.contains(['+', '#']) => return Err(TopicError::MisplacedWildcard),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> TopicLimits {
        TopicLimits::default()
    }

    #[test]
    fn topic_names() {
        for ok in [
            "a",
            "a/b",
            "/",
            "//",
            "a/b/",
            "$SYS/x",
            "$aws/things/t/shadow/update",
            "é/ü",
        ] {
            assert_eq!(validate_topic_name(ok, &limits()), Ok(()), "{ok}");
        }
        assert_eq!(validate_topic_name("", &limits()), Err(TopicError::Empty));
        assert_eq!(
            validate_topic_name("a/+", &limits()),
            Err(TopicError::WildcardInName)
        );
        assert_eq!(
            validate_topic_name("a#", &limits()),
            Err(TopicError::WildcardInName)
        );
        assert_eq!(
            validate_topic_name("a\0b", &limits()),
            Err(TopicError::NullCharacter)
        );
    }

    #[test]
    fn topic_filters() {
        for ok in [
            "#", "+", "a/#", "a/+/c", "+/+", "/+", "a//#", "$SYS/#", "+/#",
        ] {
            assert_eq!(validate_topic_filter(ok, &limits()), Ok(()), "{ok}");
        }
        for bad in ["a#", "a/#/b", "a+/b", "a/b+", "#/a", "++", "a/##"] {
            assert_eq!(
                validate_topic_filter(bad, &limits()),
                Err(TopicError::MisplacedWildcard),
                "{bad}"
            );
        }
        assert_eq!(validate_topic_filter("", &limits()), Err(TopicError::Empty));
    }

    #[test]
    fn aws_limits_apply_outside_the_basic_ingest_prefix() {
        let long = "x".repeat(257);
        assert!(matches!(
            validate_topic_name(&long, &limits()),
            Err(TopicError::TooLong {
                size: 257,
                limit: 256
            })
        ));
        assert_eq!(validate_topic_name(&"x".repeat(256), &limits()), Ok(()));
        assert!(matches!(
            validate_topic_name("a/b/c/d/e/f/g/h/i", &limits()),
            Err(TopicError::TooManyLevels {
                slashes: 8,
                limit: 7
            })
        ));
        assert_eq!(validate_topic_name("a/b/c/d/e/f/g/h", &limits()), Ok(()));
        assert_eq!(
            validate_topic_name("$aws/rules/myRule/a/b/c/d/e/f/g/h", &limits()),
            Ok(())
        );
        assert_eq!(
            validate_topic_name("$aws/things/t/shadow/name/n/update/accepted", &limits()),
            Ok(())
        );
        let generous = TopicLimits {
            max_bytes: 65_535,
            max_slashes: usize::MAX,
        };
        assert_eq!(validate_topic_name(&long, &generous), Ok(()));
    }
}
