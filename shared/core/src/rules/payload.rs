//! [`TopicRulePayload`] (the body of CreateTopicRule and ReplaceTopicRule), [`StoredRule`] (what
//! the Store keeps, which is GetTopicRule's `rule`), the rule's ARN, and where rules live in the
//! Store's registry table.
//!
//! | partition key | sort key | item |
//! |---------------|----------|------|
//! | `rule` | rule name | [`StoredRule`] (camelCase JSON) |
//! | `rule-generation` | `current` | `{}`: rewritten with every rule write, so its Store version tells a rules engine whether to reload |

use super::action::Action;
use super::error::RuleError;
use super::name::RuleName;
use crate::registry::RegistryConfig;
use crate::sql::SqlVersion;
use crate::store::Key;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Most actions a rule has (the model's `ActionList` maximum).
pub const MAX_ACTIONS: usize = 10;
/// The SQL version of a rule that names none: AWS uses 2015-10-08 then ("Creating an AWS IoT
/// rule": "If this property isn't set ... 2015-10-08 is used").
pub const DEFAULT_SQL_VERSION: SqlVersion = SqlVersion::V2015_10_08;
/// The partition of the rules.
pub const RULES_PARTITION: &str = "rule";

/// The Store key of rule `name`.
pub fn rule_key(name: &str) -> Key {
    Key::new(RULES_PARTITION, name)
}

/// The Store key whose version changes with every write of a rule.
pub fn generation_key() -> Key {
    Key::new("rule-generation", "current")
}

/// `arn:{partition}:iot:{region}:{account}:rule/{name}`.
pub fn rule_arn(config: &RegistryConfig, name: &str) -> String {
    format!(
        "arn:{}:iot:{}:{}:rule/{name}",
        config.partition(),
        config.region,
        config.account_id
    )
}

/// A rule as CreateTopicRule and ReplaceTopicRule receive it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicRulePayload {
    /// The SQL statement.
    pub sql: String,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The actions, at most ten.
    pub actions: Vec<Action>,
    /// Whether the rule is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_disabled: Option<bool>,
    /// `2015-10-08`, `2016-03-23` or `beta`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_iot_sql_version: Option<String>,
    /// The action run when an action fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_action: Option<Action>,
}

impl TopicRulePayload {
    /// The SQL version the statement is parsed and evaluated with.
    ///
    /// # Errors
    /// `InvalidRequestException` for a version AWS does not know.
    pub fn sql_version(&self) -> Result<SqlVersion, RuleError> {
        match &self.aws_iot_sql_version {
            None => Ok(DEFAULT_SQL_VERSION),
            Some(v) => v.parse().map_err(|e: crate::sql::UnknownSqlVersion| {
                RuleError::invalid(format!("awsIotSqlVersion: {e}"))
            }),
        }
    }

    /// Whether the rule is disabled (absent means enabled).
    pub fn is_disabled(&self) -> bool {
        self.rule_disabled.unwrap_or(false)
    }
}

/// A rule as the Store keeps it, which is also GetTopicRule's `rule`: the payload as sent
/// (`ruleDisabled` and `awsIotSqlVersion` filled in with what applies), with its name and
/// creation time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredRule {
    /// The rule's name.
    pub rule_name: String,
    /// Seconds since the epoch when the rule was created (kept by ReplaceTopicRule).
    pub created_at: u64,
    /// The rule itself.
    #[serde(flatten)]
    pub payload: TopicRulePayload,
}

impl StoredRule {
    /// A rule named `name` created at `created_at` (epoch seconds) from a payload that
    /// [`super::CompiledRule::compile`] accepted.
    pub fn new(name: &RuleName, mut payload: TopicRulePayload, created_at: u64) -> Self {
        payload.rule_disabled = Some(payload.is_disabled());
        if payload.aws_iot_sql_version.is_none() {
            payload.aws_iot_sql_version = Some(DEFAULT_SQL_VERSION.as_str().to_owned());
        }
        Self {
            rule_name: name.as_str().to_owned(),
            created_at,
            payload,
        }
    }

    /// The FROM clause's topic filter, read from the SQL without parsing all of it: what
    /// ListTopicRules reports as `topicPattern`. `None` without a FROM clause.
    pub fn topic_pattern(&self) -> Option<String> {
        let version = self.payload.sql_version().ok()?;
        let statement = crate::sql::parse_with_version(&self.payload.sql, version).ok()?;
        let filter = statement.topic_filter();
        (!filter.is_empty()).then(|| filter.to_owned())
    }

    /// GetTopicRule's answer: `{ruleArn, rule}`.
    pub fn get_topic_rule_output(&self, config: &RegistryConfig) -> Value {
        json!({
            "ruleArn": rule_arn(config, &self.rule_name),
            "rule": self,
        })
    }

    /// One entry of ListTopicRules: `{ruleArn, ruleName, topicPattern, createdAt,
    /// ruleDisabled}`.
    pub fn list_item(&self, config: &RegistryConfig) -> Value {
        let mut item = json!({
            "ruleArn": rule_arn(config, &self.rule_name),
            "ruleName": self.rule_name,
            "createdAt": self.created_at,
            "ruleDisabled": self.payload.is_disabled(),
        });
        if let Some(pattern) = self.topic_pattern() {
            item["topicPattern"] = json!(pattern);
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(v: Value) -> TopicRulePayload {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn stored_rules_are_the_topic_rule_shape() {
        let p = payload(json!({
            "sql": "SELECT * FROM 'a/+'",
            "description": "d",
            "actions": [{"republish": {"roleArn": "r", "topic": "b"}}],
        }));
        let name = RuleName::parse("r1").unwrap_or_else(|e| panic!("{e}"));
        let stored = StoredRule::new(&name, p, 1_700_000_000);
        let out = stored.get_topic_rule_output(&RegistryConfig::default());
        assert_eq!(
            out,
            json!({
                "ruleArn": "arn:aws:iot:us-east-1:000000000000:rule/r1",
                "rule": {
                    "ruleName": "r1",
                    "createdAt": 1_700_000_000,
                    "sql": "SELECT * FROM 'a/+'",
                    "description": "d",
                    "actions": [{"republish": {"roleArn": "r", "topic": "b"}}],
                    "ruleDisabled": false,
                    "awsIotSqlVersion": "2015-10-08",
                }
            })
        );
        let back: StoredRule =
            serde_json::from_value(out["rule"].clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, stored);
        assert_eq!(
            stored.list_item(&RegistryConfig::default())["topicPattern"],
            "a/+"
        );
    }

    #[test]
    fn sql_versions() {
        let mut p = TopicRulePayload::default();
        assert_eq!(p.sql_version().ok(), Some(SqlVersion::V2015_10_08));
        p.aws_iot_sql_version = Some("2016-03-23".into());
        assert_eq!(p.sql_version().ok(), Some(SqlVersion::V2016_03_23));
        p.aws_iot_sql_version = Some("2020-01-01".into());
        assert!(matches!(p.sql_version(), Err(RuleError::InvalidRequest(_))));
    }

    #[test]
    fn required_members_are_required() {
        for bad in [json!({"actions": []}), json!({"sql": "SELECT 1"})] {
            assert!(serde_json::from_value::<TopicRulePayload>(bad).is_err());
        }
    }
}
