//! # thingcore-rules — the AWS IoT rules engine
//!
//! Every published message — device messages, shadow service messages (`$aws/things/...`),
//! lifecycle events (`$aws/events/...`) and Basic Ingest messages (`$aws/rules/{ruleName}/...`)
//! — is offered to the enabled topic rules; the rules that match and fire run their actions.
//! The rules-evaluator function (a message from the gateway in, republished messages out), the
//! gateway (Basic Ingest and every routed message) and `thingcore serve`'s broker run the same
//! engine.
//!
//! - [`engine`]: [`RulesEngine`]: loads enabled rules from the Store, keeps them parsed and
//!   indexed by topic filter, reloads when the rule generation moves
//!   ([`RulesEngine::refresh`]), and per message returns the [`RuleWork`] to do
//!   ([`RulesEngine::evaluate`]) without doing any I/O.
//! - [`actions`]: the [`ActionSink`] port, [`ActionSinks`] by action type, and [`execute`],
//!   which runs a rule's actions and, when any fails, its error action with AWS's error message.
//!   [`actions::republish`]: the republish action over the host's [`Publisher`].
//! - [`external`]: [`StoreFunctions`], the [`ExternalResolver`] behind `get_thing_shadow()` and
//!   `get_registry_data()` (the shadow and registry services on the same Store);
//!   [`RulesEngine::evaluate_async`] resolves those calls between evaluation passes.
//! - [`limits`]: [`LimitedSinks`], actions of each type run within a concurrency limit and
//!   a bounded backlog; beyond it they fail at once and the error action runs.
//! - [`error`]: [`ActionError`], why an action failed.
//!
//! A host, per message: `for work in engine.evaluate_async(&message).await { spawn(execute(work, &sinks)) }`;
//! and now and then (or after a rule write): `engine.refresh().await`.
//!
//! What a rule is, how it is validated, indexed and evaluated lives in `thingcore::rules`.

pub mod actions;
pub mod engine;
pub mod error;
pub mod external;
pub mod limits;

pub use actions::republish::{CollectingPublisher, Publisher, RepublishSink};
pub use actions::{
    execute, execute_all, ActionSink, ActionSinks, ErrorActionOutcome, RuleReport, SinkConfig,
};
pub use engine::{LoadReport, RuleMessage, RuleWork, RulesEngine};
pub use error::ActionError;
pub use external::{ExternalResolver, StoreFunctions};
pub use limits::{ActionLimits, LimitedSinks};
