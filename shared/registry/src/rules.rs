//! Topic rules: CreateTopicRule, GetTopicRule, ListTopicRules, ReplaceTopicRule,
//! DeleteTopicRule, EnableTopicRule and DisableTopicRule, as methods of [`RegistryService`]
//! (one service, one Store, one set of hosts for the whole control plane).
//!
//! Rules live in the registry table under `rule`/`{ruleName}` (see `thingcore::rules::payload`).
//! Every write also rewrites the `rule-generation` item in the same transaction, so a rules
//! engine learns that rules changed by reading one item (`RulesEngine::refresh` in
//! rules-evaluator). What a rule may contain is decided by `thingcore::rules::CompiledRule`, the
//! very code that later evaluates it.
//!
//! CreateTopicRule and ReplaceTopicRule also check each HTTP action's `confirmationUrl` (a
//! prefix of its `url`) and create the topic rule destinations it needs (see
//! [`super::destinations`]).
//!
//! These operations answer with [`RuleError`], not the registry's exceptions: AWS refuses a bad
//! statement with `SqlParseException`, a missing rule with `UnauthorizedException`, and lost
//! races with `ConflictingResourceUpdateException`.

use super::error::ServiceError;
use super::repo::{self, Loaded};
use super::RegistryService;
use serde_json::{json, Value};
use thingcore::rules::{
    generation_key, rule_arn, rule_key, Action, CompiledRule, RuleError, RuleName, StoredRule,
    TopicRulePayload, RULES_PARTITION,
};
use thingcore::store::{Expect, PageToken, Put, Table, WriteOp};
use thingcore::topic::matches;

/// Largest `maxResults` of ListTopicRules (the model's `TopicRuleMaxResults`).
pub const MAX_LIST_RESULTS: usize = 10_000;
/// Rules ListTopicRules returns when `maxResults` is absent.
pub const DEFAULT_LIST_RESULTS: usize = 1_000;
/// Items read per Store page while listing.
const STORE_PAGE: usize = 1_000;

/// ListTopicRules' query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListTopicRulesQuery {
    /// `topic`: only rules whose FROM filter is this text, or matches it when it is a topic
    /// name (no wildcards).
    pub topic: Option<String>,
    /// `maxResults`, as sent.
    pub max_results: Option<String>,
    /// `nextToken`.
    pub next_token: Option<String>,
    /// `ruleDisabled`: only disabled (`true`) or enabled (`false`) rules.
    pub rule_disabled: Option<bool>,
}

/// The topic-rule operations' view of the registry's failures: refusals as AWS names them for
/// rules, contention as `ConflictingResourceUpdateException`, internal failures logged.
impl From<ServiceError> for RuleError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Contention(what) => RuleError::ConflictingResourceUpdate(format!(
                "Too many concurrent updates of {what}; try again"
            )),
            other => other.into_registry_error().into(),
        }
    }
}

/// The write of the item whose version tells engines that rules changed.
fn bump_generation() -> WriteOp {
    WriteOp::Put(Put::new(Table::Registry, generation_key(), b"{}".to_vec()))
}

impl RegistryService {
    fn check_rule(name: &str, payload: &TopicRulePayload) -> Result<RuleName, RuleError> {
        let name = RuleName::parse(name)?;
        CompiledRule::compile(name.as_str(), payload)?;
        Ok(name)
    }

    /// The destinations the rule's HTTP actions (and HTTP error action) need: the prefix
    /// check, and a new destination (with its confirmation request) where none covers them.
    async fn ensure_rule_destinations(&self, payload: &TopicRulePayload) -> Result<(), RuleError> {
        let actions = payload
            .actions
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("actions[{i}]"), a));
        let error = payload
            .error_action
            .iter()
            .map(|a| ("errorAction".to_owned(), a));
        for (field, action) in actions.chain(error) {
            if let Action::Http(http) = action {
                self.ensure_destination(&http.url, http.confirmation_url.as_deref(), &field)
                    .await?;
            }
        }
        Ok(())
    }

    async fn require_rule(&self, name: &str) -> Result<(RuleName, Loaded<StoredRule>), RuleError> {
        let name = RuleName::parse(name)?;
        let found = self
            .load(rule_key(name.as_str()))
            .await?
            .ok_or_else(|| RuleError::no_such_rule(name.as_str()))?;
        Ok((name, found))
    }

    /// Writes `rule` over the record read as `found` (and bumps the generation); `false` when
    /// another writer got there first.
    async fn write_rule(
        &self,
        found: &Loaded<StoredRule>,
        rule: &StoredRule,
    ) -> Result<bool, RuleError> {
        Ok(self
            .commit(vec![repo::replace(found, rule)?, bump_generation()])
            .await?)
    }

    /// CreateTopicRule. `tags` (the `x-amz-tagging` header) are accepted and not kept.
    ///
    /// # Errors
    /// `SqlParseException` for a statement that does not parse (with line and column),
    /// `InvalidRequestException` for a bad name or payload, `ResourceAlreadyExistsException`.
    pub async fn create_topic_rule(
        &self,
        name: &str,
        payload: TopicRulePayload,
    ) -> Result<Value, RuleError> {
        let name = Self::check_rule(name, &payload)?;
        self.ensure_rule_destinations(&payload).await?;
        let rule = StoredRule::new(&name, payload, self.now_secs());
        for _ in 0..repo::MAX_ATTEMPTS {
            let put = repo::put(rule_key(name.as_str()), &rule, Expect::Absent)?;
            if self.commit(vec![put, bump_generation()]).await? {
                tracing::info!(rule = %name, "topic rule created");
                return Ok(json!({}));
            }
            // Either the rule exists, or another rule write moved the generation meanwhile.
            if self
                .load::<StoredRule>(rule_key(name.as_str()))
                .await?
                .is_some()
            {
                return Err(RuleError::ResourceAlreadyExists {
                    message: format!("Topic rule {name} already exists"),
                    resource_id: name.to_string(),
                    resource_arn: rule_arn(&self.config, name.as_str()),
                });
            }
        }
        Err(super::contention(format!("topic rule {name}")).into())
    }

    /// GetTopicRule: `{ruleArn, rule}`.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad name; `UnauthorizedException` for a missing rule
    /// (as AWS answers).
    pub async fn get_topic_rule(&self, name: &str) -> Result<Value, RuleError> {
        let (_, found) = self.require_rule(name).await?;
        Ok(found.value.get_topic_rule_output(&self.config))
    }

    /// ListTopicRules, in rule-name order.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad `maxResults` or `nextToken`.
    pub async fn list_topic_rules(&self, query: ListTopicRulesQuery) -> Result<Value, RuleError> {
        let max = max_results(
            query.max_results.as_deref(),
            DEFAULT_LIST_RESULTS,
            MAX_LIST_RESULTS,
        )?;
        let keep = |rule: &StoredRule| {
            let enabled_ok = query
                .rule_disabled
                .is_none_or(|d| d == rule.payload.is_disabled());
            let topic_ok = query.topic.as_deref().is_none_or(|topic| {
                let is_name = !topic.contains(['+', '#']);
                rule.topic_pattern().is_some_and(|pattern| {
                    pattern == topic || (is_name && matches(&pattern, topic))
                })
            });
            enabled_ok && topic_ok
        };
        let mut rules = Vec::new();
        let mut token = query.next_token.clone();
        loop {
            let page = self
                .page(RULES_PARTITION, "", STORE_PAGE, token.as_deref())
                .await?;
            let count = page.items.len();
            for (i, item) in page.items.iter().enumerate() {
                let rule: StoredRule = repo::decode(item)?;
                if !keep(&rule) {
                    continue;
                }
                rules.push(rule.list_item(&self.config));
                if rules.len() == max {
                    let more = i + 1 < count || page.next.is_some();
                    let next = more.then(|| PageToken::after(&item.key.sk).as_str().to_owned());
                    return Ok(list_output(rules, next));
                }
            }
            match page.next {
                Some(next) => token = Some(next.as_str().to_owned()),
                None => return Ok(list_output(rules, None)),
            }
        }
    }

    /// ReplaceTopicRule: a new payload for an existing rule (its name and `createdAt` stay).
    ///
    /// # Errors
    /// As CreateTopicRule; `UnauthorizedException` for a missing rule.
    pub async fn replace_topic_rule(
        &self,
        name: &str,
        payload: TopicRulePayload,
    ) -> Result<Value, RuleError> {
        let name = Self::check_rule(name, &payload)?;
        self.require_rule(name.as_str()).await?;
        self.ensure_rule_destinations(&payload).await?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let (_, found) = self.require_rule(name.as_str()).await?;
            let rule = StoredRule::new(&name, payload.clone(), found.value.created_at);
            if self.write_rule(&found, &rule).await? {
                tracing::info!(rule = %name, "topic rule replaced");
                return Ok(json!({}));
            }
        }
        Err(super::contention(format!("topic rule {name}")).into())
    }

    /// DeleteTopicRule.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad name; `UnauthorizedException` for a missing rule.
    pub async fn delete_topic_rule(&self, name: &str) -> Result<Value, RuleError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, found) = self.require_rule(name).await?;
            if self
                .commit(vec![repo::delete(&found), bump_generation()])
                .await?
            {
                tracing::info!(rule = %name, "topic rule deleted");
                return Ok(json!({}));
            }
        }
        Err(super::contention(format!("topic rule {name}")).into())
    }

    /// EnableTopicRule (`disabled` false) and DisableTopicRule (`disabled` true).
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad name; `UnauthorizedException` for a missing rule.
    pub async fn set_topic_rule_disabled(
        &self,
        name: &str,
        disabled: bool,
    ) -> Result<Value, RuleError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, found) = self.require_rule(name).await?;
            if found.value.payload.is_disabled() == disabled {
                return Ok(json!({}));
            }
            let mut rule = found.value.clone();
            rule.payload.rule_disabled = Some(disabled);
            if self.write_rule(&found, &rule).await? {
                tracing::info!(rule = %name, disabled, "topic rule switched");
                return Ok(json!({}));
            }
        }
        Err(super::contention(format!("topic rule {name}")).into())
    }
}

fn list_output(rules: Vec<Value>, next: Option<String>) -> Value {
    let mut out = json!({ "rules": rules });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    out
}

/// A `maxResults` query value, checked to be within `1..=max` as AWS's validation does;
/// `default` when there is none. Shared by the rule and destination listings.
pub(crate) fn max_results(
    text: Option<&str>,
    default: usize,
    max: usize,
) -> Result<usize, RuleError> {
    let Some(text) = text else {
        return Ok(default);
    };
    match text.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(RuleError::invalid(format!(
            "1 validation error detected: Value '{text}' at 'maxResults' failed to satisfy \
             constraint: Member must have value between 1 and {max}"
        ))),
    }
}
