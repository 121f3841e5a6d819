//! AWS IoT Core policies: documents as CreatePolicy and CreatePolicyVersion accept them, parsed
//! into typed statements, and evaluated against requests.
//!
//! - [`document`]: [`PolicyDocument::parse`] checks a document the way the control plane does
//!   (JSON; `Version` `2012-10-17` or `2008-10-17`; `Statement` as an object or an array;
//!   `Effect` `Allow` or `Deny`; exactly one of `Action`/`NotAction` and of
//!   `Resource`/`NotResource`, each a string or an array of strings; an optional `Condition`;
//!   at most 2048 characters besides whitespace) and returns the typed document, or a
//!   [`PolicyError`] that the registry sends as `MalformedPolicyException`.
//! - [`eval`]: [`evaluate`] / [`CompiledPolicies`] decide a [`Request`] (action and resource
//!   ARN, see [`resource_arn`]) for a caller ([`AuthContext`]): explicit deny, allow or implicit
//!   deny, with `NotAction`/`NotResource`, `*`/`?` wildcards, policy variables and the IAM
//!   condition operators.
//! - [`authorization`]: [`Authorization`], a caller's compiled policies with its context, which
//!   every door (CONNECT, PUBLISH, SUBSCRIBE, delivery, the HTTP APIs) asks.
//! - [`context`]: the caller and the request, as plain data.
//! - [`custom_authorizer`]: what a client sends a custom authorizer, the event its function
//!   gets, and what the function's answer grants.
//! - `variables`, `matching`, `conditions`: `${...}` substitution, wildcard matching and
//!   condition operators, used by [`eval`].

pub mod authorization;
pub(crate) mod conditions;
pub mod context;
pub mod custom_authorizer;
pub mod document;
pub mod eval;
mod matching;
#[cfg(test)]
mod tests;
mod variables;

pub use authorization::Authorization;
pub use context::{
    AlternativeNames, AuthContext, CertificateContext, DistinguishedName, Principal, Request,
    RequestKey, ThingContext,
};
pub use document::{
    ActionMatch, Condition, ConditionOperator, Effect, PolicyDocument, PolicyError,
    PolicyLanguageVersion, ResourceMatch, SetQualifier, Statement, MAX_POLICY_DOCUMENT_CHARS,
};
pub use eval::{
    evaluate, partition, resource_arn, shadow_arn, CompiledPolicies, Decision, IotAction, Outcome,
    ResourceKind, StatementRef,
};
