//! [`RulesEngine`]: the enabled rules, parsed once and indexed by topic filter, and what each
//! published message makes of them.
//!
//! Per message a host calls [`RulesEngine::evaluate`]: no I/O, no waiting — it finds the rules
//! whose FROM filter matches the topic (or the one rule a Basic Ingest topic names), evaluates
//! their SQL and renders their actions' templates, and returns one [`RuleWork`] per rule that
//! fired or failed. Running the work (which does I/O) is the host's to schedule, with
//! [`crate::actions::execute`], so that no action ever blocks the broker.
//!
//! Rules change through the registry-api function, which rewrites the Store's rule-generation
//! item with every rule write. [`RulesEngine::refresh`] reads that one item and reloads when it
//! moved; [`RulesEngine::reload`] reloads unconditionally. A reload builds a new index aside
//! and swaps it in, so evaluations never wait for one.

use std::sync::{Arc, RwLock};

use thingcore::broker::{Message, MessageProperties};
use thingcore::mqtt::Bytes;
use thingcore::rules::{
    generation_key, ActionFailure, CompiledRule, ResolvedAction, RuleErrorMessage, RuleIndex,
    RuleOutcome, StoredRule, RULES_PARTITION,
};
use thingcore::sql::{
    EvalContext, ExternalFunctions, ExternalResults, MqttProperties, NoExternalFunctions, Prefetch,
};

use crate::external::ExternalResolver;
use thingcore::store::{PageToken, Query, Store, Table};
use thingcore::{Clock, SystemClock};

/// Rules read per Store page while loading.
const LOAD_PAGE: usize = 1_000;

/// The most evaluation passes [`RulesEngine::evaluate_async`] makes for one rule: a call whose
/// arguments come from another call's result needs one more pass than that call.
const MAX_PASSES: usize = 4;

/// A published message, as the rules engine sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleMessage {
    /// The topic it was published on (Basic Ingest topics included).
    pub topic: String,
    /// The payload.
    pub payload: Bytes,
    /// The publisher's client id (`clientid()`).
    pub client_id: Option<String>,
    /// The authenticated principal (`principal()`).
    pub principal: Option<String>,
    /// When it was received, epoch milliseconds (`timestamp()`); the engine's clock when absent.
    pub timestamp_ms: Option<u64>,
    /// Its trace id (`traceid()`).
    pub trace_id: Option<String>,
    /// The publisher's address (`sourceip()`).
    pub source_ip: Option<String>,
    /// Its MQTT 5 properties (`get_mqtt_property()`, `get_user_properties()`).
    pub properties: MessageProperties,
}

impl RuleMessage {
    /// A message on `topic` with `payload` and nothing else known.
    pub fn new(topic: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Self {
            topic: topic.into(),
            payload: payload.into(),
            ..Self::default()
        }
    }

    /// The message the broker routed, published by `principal` when known.
    pub fn from_broker(message: &Message, principal: Option<String>) -> Self {
        Self {
            topic: message.topic.clone(),
            payload: message.payload.clone(),
            client_id: message.publisher.clone(),
            principal,
            timestamp_ms: Some(message.received_at),
            trace_id: None,
            source_ip: None,
            properties: message.properties.clone(),
        }
    }

    fn context(&self, now_ms: u64, account_id: Option<&str>) -> EvalContext {
        let p = &self.properties;
        EvalContext {
            topic: self.topic.clone(),
            client_id: self.client_id.clone(),
            principal: self.principal.clone(),
            trace_id: self.trace_id.clone(),
            source_ip: self.source_ip.clone(),
            account_id: account_id.map(str::to_owned),
            timestamp_ms: self.timestamp_ms.unwrap_or(now_ms),
            mqtt_properties: MqttProperties {
                content_type: p.content_type.clone(),
                payload_format_utf8: p.payload_format_indicator.map(|v| v == 1),
                response_topic: p.response_topic.clone(),
                correlation_data: p.correlation_data.as_ref().map(|d| d.to_vec()),
            },
            user_properties: p.user_properties.clone(),
            random_seed: uuid::Uuid::new_v4().as_u64_pair().0,
        }
    }
}

/// What one rule has to do for one message: the actions to run with their rendered inputs,
/// the failures already known (the SQL, or an action's template), and what is needed to run
/// the rule's error action if anything fails. It owns all of it, so a host can move it to
/// another task.
pub struct RuleWork {
    /// The rule.
    pub rule_name: String,
    /// The actions to run, rendered.
    pub actions: Vec<ResolvedAction>,
    /// Failures before any action ran.
    pub failures: Vec<ActionFailure>,
    rule: Arc<CompiledRule>,
    ctx: EvalContext,
    original: Bytes,
    external: Arc<dyn ExternalFunctions + Send + Sync>,
}

impl std::fmt::Debug for RuleWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleWork")
            .field("rule_name", &self.rule_name)
            .field("actions", &self.actions)
            .field("failures", &self.failures)
            .field("topic", &self.ctx.topic)
            .finish_non_exhaustive()
    }
}

impl RuleWork {
    /// Whether the rule has an error action.
    pub fn has_error_action(&self) -> bool {
        self.rule.has_error_action()
    }

    /// The context the rule was evaluated in.
    pub fn context(&self) -> &EvalContext {
        &self.ctx
    }

    /// The error message for `failures` and the rule's error action rendered for it; `None`
    /// when the rule has none.
    pub fn error_action(
        &self,
        failures: Vec<ActionFailure>,
    ) -> Option<(RuleErrorMessage, Result<ResolvedAction, ActionFailure>)> {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let message = RuleErrorMessage::new(
            &self.rule_name,
            &self.ctx,
            &self.original,
            &trace_id,
            failures,
        );
        let resolved =
            self.rule
                .resolve_error_action(&message, &self.ctx, self.external.as_ref())?;
        Some((message, resolved))
    }
}

/// What a load found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadReport {
    /// Enabled rules now in effect.
    pub enabled: usize,
    /// Disabled rules (kept out of the index).
    pub disabled: usize,
    /// Stored rules that no longer decode or compile (logged and left out).
    pub skipped: usize,
    /// The rule generation loaded.
    pub generation: u64,
}

#[derive(Default)]
struct Snapshot {
    /// `None` until the first load.
    generation: Option<u64>,
    index: RuleIndex<Arc<CompiledRule>>,
}

/// The rules engine over a Store.
pub struct RulesEngine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    external: Arc<dyn ExternalFunctions + Send + Sync>,
    resolver: Option<Arc<dyn ExternalResolver>>,
    account_id: Option<String>,
    snapshot: RwLock<Arc<Snapshot>>,
}

impl std::fmt::Debug for RulesEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RulesEngine")
            .field("rules", &self.rule_count())
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

impl RulesEngine {
    /// An engine over `store` with no rules loaded yet (call [`RulesEngine::reload`] or
    /// [`RulesEngine::refresh`]); the system clock; no external SQL functions.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            clock: Arc::new(SystemClock),
            external: Arc::new(NoExternalFunctions),
            resolver: None,
            account_id: None,
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
        }
    }

    /// The same engine timed by `clock` (`timestamp()` of messages without a time, and
    /// message expiry of republished messages).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same engine answering `accountid()` with `account_id`.
    pub fn with_account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// The same engine calling `external` for `aws_lambda()`, `get_dynamodb()`, ... Those
    /// calls are synchronous: a host whose implementation does I/O evaluates off the broker's
    /// task.
    pub fn with_external_functions(
        mut self,
        external: Arc<dyn ExternalFunctions + Send + Sync>,
    ) -> Self {
        self.external = external;
        self
    }

    /// The same engine resolving external SQL functions (`get_thing_shadow()`,
    /// `get_registry_data()`, ...) with `resolver`, asynchronously, in
    /// [`RulesEngine::evaluate_async`].
    pub fn with_resolver(mut self, resolver: Arc<dyn ExternalResolver>) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// The Store the rules (and topic rule destinations) are read from.
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// The engine's clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Whether rules have been loaded at least once.
    pub fn is_loaded(&self) -> bool {
        self.snapshot().generation.is_some()
    }

    /// Number of enabled rules in effect.
    pub fn rule_count(&self) -> usize {
        self.snapshot().index.len()
    }

    /// Whether enabled rule `name` is in effect.
    pub fn has_rule(&self, name: &str) -> bool {
        self.snapshot().index.get(name).is_some()
    }

    async fn stored_generation(&self) -> Result<u64, thingcore::Error> {
        Ok(self
            .store
            .get(Table::Registry, &generation_key())
            .await?
            .map_or(0, |item| item.version))
    }

    /// Reloads if rules changed since the last load (one Store read when they did not).
    /// `true` when it reloaded.
    ///
    /// # Errors
    /// The Store's error; the rules in effect stay as they were.
    pub async fn refresh(&self) -> Result<bool, thingcore::Error> {
        let generation = self.stored_generation().await?;
        if self.snapshot().generation == Some(generation) {
            return Ok(false);
        }
        self.reload().await?;
        Ok(true)
    }

    /// Loads every rule from the Store and puts the enabled ones in effect. Rules that no
    /// longer decode or compile are logged and left out; they do not stop the others.
    ///
    /// # Errors
    /// The Store's error; the rules in effect stay as they were.
    pub async fn reload(&self) -> Result<LoadReport, thingcore::Error> {
        // The generation is read first: a write during the load moves it again, and the next
        // refresh loads once more rather than missing the change.
        let generation = self.stored_generation().await?;
        let mut report = LoadReport {
            enabled: 0,
            disabled: 0,
            skipped: 0,
            generation,
        };
        let mut index = RuleIndex::new();
        let mut token: Option<PageToken> = None;
        loop {
            let query = Query::partition(Table::Registry, RULES_PARTITION)
                .limit(LOAD_PAGE)
                .start(token.take());
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let compiled = serde_json::from_slice::<StoredRule>(&item.body)
                    .map_err(|e| e.to_string())
                    .and_then(|rule| {
                        if rule.payload.is_disabled() {
                            return Ok(None);
                        }
                        CompiledRule::compile(&rule.rule_name, &rule.payload)
                            .map(Some)
                            .map_err(|e| e.to_string())
                    });
                match compiled {
                    Ok(Some(rule)) => {
                        report.enabled += 1;
                        let (name, filter) =
                            (rule.name().to_owned(), rule.topic_filter().to_owned());
                        index.insert(&name, &filter, Arc::new(rule));
                    }
                    Ok(None) => report.disabled += 1,
                    Err(error) => {
                        report.skipped += 1;
                        tracing::warn!(rule = %item.key.sk, %error, "stored topic rule left out");
                    }
                }
            }
            match page.next {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        let mut current = self
            .snapshot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A slower concurrent reload of an older generation must not undo a newer one.
        if current.generation.is_none_or(|loaded| loaded <= generation) {
            *current = Arc::new(Snapshot {
                generation: Some(generation),
                index,
            });
        }
        tracing::debug!(?report, "topic rules loaded");
        Ok(report)
    }

    /// What the enabled rules make of one message: one [`RuleWork`] per rule that fired (its
    /// WHERE was true) or whose SQL failed, ordered by rule name. Rules whose WHERE is false
    /// do nothing and are left out. External functions go to the synchronous port
    /// ([`RulesEngine::with_external_functions`]); see [`RulesEngine::evaluate_async`].
    pub fn evaluate(&self, message: &RuleMessage) -> Vec<RuleWork> {
        let snapshot = self.snapshot();
        let matched = snapshot.index.matching(&message.topic);
        if matched.is_empty() {
            return Vec::new();
        }
        let ctx = message.context(self.clock.now_millis(), self.account_id.as_deref());
        let mut work = Vec::new();
        for (name, rule) in matched {
            let outcome = rule.evaluate(&message.payload, &ctx, self.external.as_ref());
            if let Some(w) = self.work(name, rule, outcome, &ctx, message, self.external.clone()) {
                work.push(w);
            }
        }
        work
    }

    /// As [`RulesEngine::evaluate`], with external SQL functions resolved by the engine's
    /// [`ExternalResolver`] between evaluation passes (each distinct call once per message,
    /// shared by all its rules). Without a resolver it is [`RulesEngine::evaluate`].
    pub async fn evaluate_async(&self, message: &RuleMessage) -> Vec<RuleWork> {
        let Some(resolver) = self.resolver.clone() else {
            return self.evaluate(message);
        };
        let snapshot = self.snapshot();
        let matched = snapshot.index.matching(&message.topic);
        if matched.is_empty() {
            return Vec::new();
        }
        let ctx = message.context(self.clock.now_millis(), self.account_id.as_deref());
        let mut results = ExternalResults::new();
        let mut evaluated = Vec::with_capacity(matched.len());
        for (name, rule) in matched {
            let mut outcome = None;
            for _ in 0..MAX_PASSES {
                let (pass, missing) = {
                    let prefetch = Prefetch::new(&results);
                    let pass = rule.evaluate(&message.payload, &ctx, &prefetch);
                    (pass, prefetch.into_missing())
                };
                if missing.is_empty() {
                    outcome = Some(pass);
                    break;
                }
                for call in missing {
                    let result = resolver.resolve(&call).await;
                    results.insert(call, result);
                }
            }
            // Still missing after the last pass: the unresolved calls fail the rule.
            let outcome =
                outcome.unwrap_or_else(|| rule.evaluate(&message.payload, &ctx, &results));
            evaluated.push((name, rule, outcome));
        }
        let results: Arc<dyn ExternalFunctions + Send + Sync> = Arc::new(results);
        evaluated
            .into_iter()
            .filter_map(|(name, rule, outcome)| {
                self.work(name, rule, outcome, &ctx, message, results.clone())
            })
            .collect()
    }

    /// The work for one rule's outcome; `None` when its WHERE was not true.
    fn work(
        &self,
        name: &str,
        rule: &Arc<CompiledRule>,
        outcome: RuleOutcome,
        ctx: &EvalContext,
        message: &RuleMessage,
        external: Arc<dyn ExternalFunctions + Send + Sync>,
    ) -> Option<RuleWork> {
        let (actions, failures) = match outcome {
            RuleOutcome::NotMatched => return None,
            RuleOutcome::Failed(failure) => (Vec::new(), vec![failure]),
            RuleOutcome::Fired(results) => {
                let (ok, failed): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
                (
                    ok.into_iter().filter_map(Result::ok).collect(),
                    failed.into_iter().filter_map(Result::err).collect(),
                )
            }
        };
        Some(RuleWork {
            rule_name: name.to_owned(),
            actions,
            failures,
            rule: rule.clone(),
            ctx: ctx.clone(),
            original: message.payload.clone(),
            external,
        })
    }
}
