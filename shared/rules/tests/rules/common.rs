//! Helpers: a Store with rules written as registry-api writes them, an engine over it, a
//! recording publisher that fails on request, and message builders.

use async_trait::async_trait;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use thingcore::broker::Message;
use thingcore::rules::{generation_key, rule_key, RuleName, StoredRule, TopicRulePayload};
use thingcore::store::{MemoryStore, Put, Store, Table, WriteOp};
use thingcore::ManualClock;
use thingcore_rules::{
    execute_all, ActionError, ActionSinks, Publisher, RuleMessage, RuleReport, RulesEngine,
};

/// 2023-11-14T22:13:20Z.
pub const START_MILLIS: u64 = 1_700_000_000_000;
pub const ROLE: &str = "arn:aws:iam::000000000000:role/iot";

/// A Store, its clock and an engine over them.
pub struct Rig {
    pub store: Arc<MemoryStore>,
    pub clock: Arc<ManualClock>,
    pub engine: RulesEngine,
    pub publisher: Arc<RecordingPublisher>,
}

impl Rig {
    pub fn new() -> Self {
        let clock = Arc::new(ManualClock::new(START_MILLIS));
        let store = Arc::new(MemoryStore::new(clock.clone()));
        let engine = RulesEngine::new(store.clone())
            .with_clock(clock.clone())
            .with_account_id("000000000000");
        Self {
            store,
            clock,
            engine,
            publisher: Arc::new(RecordingPublisher::default()),
        }
    }

    /// Writes rule `name` as CreateTopicRule / ReplaceTopicRule do (rule and generation).
    pub fn put_rule(&self, name: &str, payload: Value) {
        let payload: TopicRulePayload =
            serde_json::from_value(payload).unwrap_or_else(|e| panic!("{name}: {e}"));
        let name = RuleName::parse(name).unwrap_or_else(|e| panic!("{e}"));
        let rule = StoredRule::new(&name, payload, START_MILLIS / 1000);
        let body = serde_json::to_vec(&rule).unwrap_or_else(|e| panic!("{e}"));
        self.write(vec![WriteOp::Put(Put::new(
            Table::Registry,
            rule_key(name.as_str()),
            body,
        ))]);
    }

    /// Deletes rule `name` as DeleteTopicRule does.
    pub fn delete_rule(&self, name: &str) {
        self.write(vec![WriteOp::Delete {
            table: Table::Registry,
            key: rule_key(name),
            expect: thingcore::store::Expect::Any,
        }]);
    }

    /// Writes raw bytes where a rule should be.
    pub fn put_raw_rule(&self, name: &str, body: &[u8]) {
        self.write(vec![WriteOp::Put(Put::new(
            Table::Registry,
            rule_key(name),
            body.to_vec(),
        ))]);
    }

    fn write(&self, mut ops: Vec<WriteOp>) {
        ops.push(WriteOp::Put(Put::new(
            Table::Registry,
            generation_key(),
            b"{}".to_vec(),
        )));
        futures::executor::block_on(self.store.transact(ops)).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Refreshes the engine; whether it reloaded.
    pub fn refresh(&self) -> bool {
        futures::executor::block_on(self.engine.refresh()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sinks: republish through the recording publisher, nothing else.
    pub fn sinks(&self) -> ActionSinks {
        ActionSinks::with_republish(self.publisher.clone(), self.clock.clone())
    }

    /// Evaluates `message` and runs all the work with [`Rig::sinks`].
    pub fn publish(&self, message: &RuleMessage) -> Vec<RuleReport> {
        let work = self.engine.evaluate(message);
        futures::executor::block_on(execute_all(work, &self.sinks()))
    }

    /// The topics published so far (taken).
    pub fn published_topics(&self) -> Vec<String> {
        self.publisher.take().into_iter().map(|m| m.topic).collect()
    }
}

/// A message from client `dev-1` at the rig's start time.
pub fn message(topic: &str, payload: &str) -> RuleMessage {
    let mut m = RuleMessage::new(topic, payload.as_bytes().to_vec());
    m.client_id = Some("dev-1".into());
    m.timestamp_ms = Some(START_MILLIS);
    m.trace_id = Some("trace-1".into());
    m
}

/// A republish action to `topic`.
pub fn republish(topic: &str) -> Value {
    serde_json::json!({"republish": {"roleArn": ROLE, "topic": topic}})
}

/// Records what is published; refuses topics that start with a prefix in `failing`.
#[derive(Default)]
pub struct RecordingPublisher {
    messages: Mutex<Vec<Message>>,
    failing: Mutex<Vec<String>>,
}

impl RecordingPublisher {
    pub fn fail_topics_starting_with(&self, prefix: &str) {
        self.failing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(prefix.to_owned());
    }

    pub fn take(&self) -> Vec<Message> {
        std::mem::take(&mut *self.messages.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[async_trait]
impl Publisher for RecordingPublisher {
    async fn publish(&self, message: Message) -> Result<(), ActionError> {
        let failing = self
            .failing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if failing
            .iter()
            .any(|p| message.topic.starts_with(p.as_str()))
        {
            return Err(ActionError::failed(format!(
                "the broker refused {}",
                message.topic
            )));
        }
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message);
        Ok(())
    }
}
