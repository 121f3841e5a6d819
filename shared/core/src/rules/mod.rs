//! # Topic rules — the rules engine's domain
//!
//! What AWS IoT's rules engine decides, with no I/O: the `TopicRulePayload` as the control
//! plane receives it, what CreateTopicRule accepts, how rules are found for a message, and what
//! a rule makes of one. The registry-api function stores rules through the Store port; the
//! rules-evaluator function loads them, indexes them and runs the actions. A tour:
//!
//! - [`payload`]: [`TopicRulePayload`] (camelCase, as AWS's API has it), [`StoredRule`]
//!   (GetTopicRule's `rule`), ARNs and the Store keys of rules.
//! - [`action`] and [`action_types`]: [`Action`], one object naming one action type; eleven
//!   types typed field by field, the model's others kept as sent.
//! - [`name`]: [`RuleName`] and Basic Ingest topics (`$aws/rules/{ruleName}/...`).
//! - [`compiled`]: [`CompiledRule`]: validation at create time (the SQL parses in its version —
//!   else `SqlParseException` with line and column —, at most ten actions, action shapes,
//!   templates) and evaluation per message into [`ResolvedAction`]s.
//! - [`destination`]: HTTP topic rule destinations ([`StoredDestination`]): their status,
//!   confirmation tokens and requests, and which destination covers an HTTP action's URL; the
//!   [`DestinationConfirmer`] port that sends confirmation requests.
//! - [`error_message`]: [`RuleErrorMessage`], the error action's payload.
//! - [`index`]: [`RuleIndex`], rules by name and by FROM topic filter.
//! - [`error`]: [`RuleError`], the exceptions of the topic-rule operations.
//! - [`sink`]: the ActionSink port ([`ActionSink`], [`ActionError`]) that action adapters
//!   implement.
//!
//! Choices where AWS's pages are silent:
//!
//! - A rule without `awsIotSqlVersion` is parsed and run as 2015-10-08 (AWS's documented
//!   default), and GetTopicRule reports that version; `ruleDisabled` is reported as `false`
//!   when it was not sent.
//! - A failure of the rule's SQL (an external function) also goes to the error action, with
//!   `failedAction` [`SQL_FAILURE_ACTION`] and the function as `failedResource`.
//! - An error action's templates see the error message as their payload and the original
//!   message's context; an error action that fails is logged, never retried or chained.
//! - An action object naming several action types, or none, is refused.

pub mod action;
mod action_check;
pub mod action_types;
pub mod compiled;
pub mod destination;
pub mod error;
pub mod error_message;
pub mod index;
pub mod name;
pub mod payload;
pub mod sink;

pub use action::{Action, ACTION_TYPES};
pub use compiled::{ActionFailure, CompiledRule, ResolvedAction, RuleOutcome, SQL_FAILURE_ACTION};
pub use destination::{
    ConfirmationRequest, DestinationConfirmer, DestinationStatus, StoredDestination,
};
pub use error::RuleError;
pub use error_message::RuleErrorMessage;
pub use index::RuleIndex;
pub use name::{basic_ingest_rule, RuleName, BASIC_INGEST_PREFIX};
pub use payload::{
    generation_key, rule_arn, rule_key, StoredRule, TopicRulePayload, MAX_ACTIONS, RULES_PARTITION,
};
pub use sink::{ActionError, ActionSink};
