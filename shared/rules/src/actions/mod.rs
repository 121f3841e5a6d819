//! Running a rule's work: the [`ActionSink`] port, [`ActionSinks`] (one sink per action type),
//! and [`execute`], which runs every action of one rule, gathers the failures and hands them
//! to the rule's error action.
//!
//! Actions of a rule run concurrently and independently: one failing stops neither the others
//! nor other rules. AWS sends one error message per rule and message, listing every failure;
//! so does [`execute`]. A rule without an error action logs its failures; an error action that
//! fails is logged too, and never chained or retried.
//!
//! Sinks: [`republish`] and [`http`] here; sqs, sns, kinesis, firehose, s3, cloudwatchLogs,
//! dynamoDB, dynamoDBv2 and lambda on the AWS SDK (`thingcore_aws::sinks`), wired by
//! [`ActionSinks::standard`]. An action type without a sink fails with
//! [`ActionError::NotImplemented`], so error actions fire.

pub mod http;
pub mod republish;

use crate::engine::RuleWork;
use crate::error::ActionError;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Arc;
pub use thingcore::rules::sink::ActionSink;
use thingcore::rules::{ActionFailure, ResolvedAction};
pub use thingcore_aws::sinks::SinkConfig;

/// The sinks of a host, by action type (`republish`, `sqs`, ...).
#[derive(Clone, Default)]
pub struct ActionSinks {
    sinks: HashMap<String, Arc<dyn ActionSink>>,
}

impl std::fmt::Debug for ActionSinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kinds: Vec<&String> = self.sinks.keys().collect();
        kinds.sort();
        f.debug_struct("ActionSinks")
            .field("kinds", &kinds)
            .finish()
    }
}

impl ActionSinks {
    /// No sinks: every action fails with [`ActionError::NotImplemented`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Republish through `publisher`, timed by `clock` (message expiry); nothing else yet.
    pub fn with_republish(
        publisher: Arc<dyn republish::Publisher>,
        clock: Arc<dyn thingcore::Clock>,
    ) -> Self {
        let mut sinks = Self::new();
        sinks.insert(
            "republish",
            Arc::new(republish::RepublishSink::new(publisher, clock)),
        );
        sinks
    }

    /// Every sink a host runs: republish through `publisher` (timed by `clock`), the AWS
    /// SDK sinks of `thingcore-aws` configured by `aws` (the SDK's environment:
    /// `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_REGION`, profiles), and http,
    /// which delivers only where `destinations` (the registry's Store) has an ENABLED topic
    /// rule destination.
    pub fn standard(
        publisher: Arc<dyn republish::Publisher>,
        clock: Arc<dyn thingcore::Clock>,
        aws: &SinkConfig,
        destinations: Arc<dyn thingcore::store::Store>,
    ) -> Self {
        let mut sinks = Self::with_republish(publisher, clock);
        for (kind, sink) in thingcore_aws::sinks::all(aws) {
            sinks.insert(kind, sink);
        }
        sinks.insert(
            "http",
            Arc::new(http::HttpSink::new().with_destinations(destinations)),
        );
        sinks
    }

    /// Runs actions of type `kind` (the member name, e.g. `sqs`) with `sink`, replacing the
    /// sink that ran them.
    pub fn insert(&mut self, kind: &str, sink: Arc<dyn ActionSink>) -> &mut Self {
        self.sinks.insert(kind.to_owned(), sink);
        self
    }
}

#[async_trait]
impl ActionSink for ActionSinks {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let kind = action.action.kind();
        match self.sinks.get(kind) {
            Some(sink) => sink.run(action).await,
            None => Err(ActionError::NotImplemented {
                action: kind.to_owned(),
            }),
        }
    }
}

/// What became of the error action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorActionOutcome {
    /// Nothing failed.
    NotNeeded,
    /// Something failed and the rule has no error action: the failures were logged.
    Missing,
    /// The error action ran.
    Ran,
    /// The error action failed too (logged), with this message.
    Failed(String),
}

/// What running one rule's work did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleReport {
    /// The rule.
    pub rule_name: String,
    /// Actions that completed.
    pub succeeded: usize,
    /// Every failure: the SQL's, templates', and the actions'.
    pub failures: Vec<ActionFailure>,
    /// The error action's fate.
    pub error_action: ErrorActionOutcome,
}

/// Runs every action of `work` with `sink`, then, if anything failed, the rule's error action
/// with AWS's error message.
pub async fn execute(work: RuleWork, sink: &dyn ActionSink) -> RuleReport {
    let results =
        futures::future::join_all(work.actions.iter().map(|action| sink.run(action))).await;
    let mut failures = work.failures.clone();
    let mut succeeded = 0;
    for (action, result) in work.actions.iter().zip(results) {
        match result {
            Ok(()) => succeeded += 1,
            Err(error) => failures.push(ActionFailure::of(&action.action, error.to_string())),
        }
    }
    let error_action = if failures.is_empty() {
        ErrorActionOutcome::NotNeeded
    } else {
        run_error_action(&work, failures.clone(), sink).await
    };
    RuleReport {
        rule_name: work.rule_name,
        succeeded,
        failures,
        error_action,
    }
}

async fn run_error_action(
    work: &RuleWork,
    failures: Vec<ActionFailure>,
    sink: &dyn ActionSink,
) -> ErrorActionOutcome {
    let rule = work.rule_name.as_str();
    let topic = work.context().topic.as_str();
    if !work.has_error_action() {
        tracing::warn!(
            rule,
            topic,
            ?failures,
            "topic rule failed and has no error action"
        );
        return ErrorActionOutcome::Missing;
    }
    let Some((message, resolved)) = work.error_action(failures) else {
        return ErrorActionOutcome::Missing;
    };
    let outcome = match resolved {
        Ok(action) => sink.run(&action).await.map_err(|e| e.to_string()),
        Err(failure) => Err(failure.error_message),
    };
    match outcome {
        Ok(()) => {
            tracing::debug!(rule, trace = %message.cloudwatch_trace_id, "error action ran");
            ErrorActionOutcome::Ran
        }
        Err(error) => {
            tracing::warn!(rule, %error, failures = ?message.failures, "error action failed");
            ErrorActionOutcome::Failed(error)
        }
    }
}

/// Runs the work of several rules concurrently (what the Lambda host does with one message).
pub async fn execute_all(works: Vec<RuleWork>, sink: &dyn ActionSink) -> Vec<RuleReport> {
    futures::future::join_all(works.into_iter().map(|work| execute(work, sink))).await
}
