//! AWS IoT Core policies: documents as CreatePolicy and CreatePolicyVersion accept them, parsed
//! into typed statements for the evaluator to use.
//!
//! - [`document`]: [`PolicyDocument::parse`] checks a document the way the control plane does
//!   (JSON; `Version` `2012-10-17` or `2008-10-17`; `Statement` as an object or an array;
//!   `Effect` `Allow` or `Deny`; exactly one of `Action`/`NotAction` and of
//!   `Resource`/`NotResource`, each a string or an array of strings; an optional `Condition`;
//!   at most 2048 characters besides whitespace) and returns the typed document, or a
//!   [`PolicyError`] that the registry sends as `MalformedPolicyException`.
//!
//! Evaluation (matching actions and resources, policy variables, conditions) builds on these
//! types; it is not done here.

pub mod document;

pub use document::{
    ActionMatch, Condition, ConditionOperator, Effect, PolicyDocument, PolicyError,
    PolicyLanguageVersion, ResourceMatch, SetQualifier, Statement, MAX_POLICY_DOCUMENT_CHARS,
};
