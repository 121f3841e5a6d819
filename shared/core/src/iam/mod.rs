//! IAM and STS decisions, pure: what the `thingcore-iam` service asks before it writes.
//!
//! - [`error`]: [`IamError`], a refusal as IAM or STS names it (code, HTTP status, fault).
//! - [`names`]: the names, paths, tags and markers the `iam` model allows.
//! - [`ids`]: ARNs, unique ids (`AIDA…`, `AGPA…`, `AROA…`, `ANPA…`), access keys (`AKIA…`,
//!   temporary `ASIA…`) and secrets, made from entropy the caller supplies.
//! - [`versions`]: managed policy versions (`v1`, `v2`, …, at most five, the default kept).
//! - [`documents`]: IAM policy documents (the policy engine's grammar, IAM's size limits).
//! - [`trust`]: role trust policies (`Principal`, `Condition`) and whether one lets a caller
//!   assume the role.
//! - [`oidc`]: OpenID Connect providers (URLs, ARNs, client ids, thumbprints).
//! - [`web_identity`]: a web identity token's claims, checked, and the condition keys they
//!   give a trust policy.
//! - [`session`]: `DurationSeconds`, `RoleSessionName` and expiry of temporary credentials.
//! - [`operations`]: the per-operation authorization table (action and resource ARNs of every
//!   operation of `iot`, `iot-data`, `iot-jobs-data`, `iam`, `sts`), data beside the models.
//! - [`enforcement`]: whether an identity's policies (and session policy) allow a request.

pub mod documents;
pub mod enforcement;
pub mod error;
pub mod ids;
pub mod names;
pub mod oidc;
pub mod operations;
pub mod session;
pub mod trust;
pub mod versions;
pub mod web_identity;

pub use error::IamError;
