//! [`RuleName`]: a topic rule's name as the model has it (`^[a-zA-Z0-9_]+$`, 1–128 characters),
//! validated on construction; and the Basic Ingest topics that name a rule
//! (`$aws/rules/{ruleName}[/...]`, "Reducing messaging costs with Basic Ingest").

use super::error::RuleError;
use crate::registry::names::constraint_error;
use std::fmt;

/// Longest rule name.
pub const MAX_RULE_NAME_LEN: usize = 128;
/// The prefix of Basic Ingest topics.
pub const BASIC_INGEST_PREFIX: &str = "$aws/rules/";

/// A valid topic rule name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleName(String);

impl RuleName {
    /// Checks `value` against the model's pattern and length.
    ///
    /// # Errors
    /// `InvalidRequestException` worded as AWS's validation errors.
    pub fn parse(value: &str) -> Result<Self, RuleError> {
        let refuse =
            |constraint: &str| RuleError::from(constraint_error("ruleName", value, constraint));
        if value.is_empty() || value.len() > MAX_RULE_NAME_LEN {
            return Err(refuse(&format!(
                "Member must have length between 1 and {MAX_RULE_NAME_LEN}"
            )));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(refuse(
                "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_]+$",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RuleName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The rule a Basic Ingest topic names: `Some("r1")` for `$aws/rules/r1` and
/// `$aws/rules/r1/a/b`; `None` for every other topic. The name is returned as written (it may
/// name no rule, or not even be a valid name; then no rule runs).
pub fn basic_ingest_rule(topic: &str) -> Option<&str> {
    let rest = topic.strip_prefix(BASIC_INGEST_PREFIX)?;
    Some(rest.split_once('/').map_or(rest, |(name, _)| name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_model() {
        for ok in ["a", "Rule_1", &"x".repeat(128)] {
            assert_eq!(
                RuleName::parse(ok).map(|n| n.to_string()).ok(),
                Some(ok.to_string())
            );
        }
        for bad in [
            "",
            "with-dash",
            "with space",
            "dot.ted",
            "é",
            &"x".repeat(129),
        ] {
            let error = RuleName::parse(bad).err();
            assert!(
                matches!(&error, Some(RuleError::InvalidRequest(m)) if m.contains("ruleName")),
                "{bad}: {error:?}"
            );
        }
    }

    #[test]
    fn basic_ingest_topics_name_their_rule() {
        assert_eq!(basic_ingest_rule("$aws/rules/r1/a/b"), Some("r1"));
        assert_eq!(basic_ingest_rule("$aws/rules/r1"), Some("r1"));
        assert_eq!(basic_ingest_rule("$aws/rules/r1/"), Some("r1"));
        assert_eq!(basic_ingest_rule("$aws/rules/"), Some(""));
        assert_eq!(basic_ingest_rule("$aws/things/t/shadow/update"), None);
        assert_eq!(basic_ingest_rule("aws/rules/r1"), None);
    }
}
