//! # thingcore — the domain
//!
//! Everything thingcore *decides* lives here, with no I/O and no async runtime: adapters move
//! bytes, this crate says what the bytes mean. A tour:
//!
//! - [`error`]: the one error type, mapped to AWS error types and HTTP statuses at the edges.
//! - [`clock`]: the injected clock, so expiry and timestamps are testable.
//! - [`store`]: the Store port (items with partition key, sort key, body and version;
//!   conditional writes, paginated queries, small transactions, expiry) and its in-memory adapter.
//! - [`auth`]: SigV4 verification, the credentials `thingcore serve` knows, open/strict decisions.
//! - [`route`]: what a publish on a topic means and what each door (publish, subscribe,
//!   delivery) allows — the one routing decision the broker and the gateway both ask.
//! - [`iam`]: IAM and STS decisions (names, ARNs and ids, policy versions, trust policies,
//!   session lengths) that the `thingcore-iam` service asks before it writes.
//! - [`jobs`]: AWS IoT Jobs: job and execution states, the execution state machine, CreateJob's
//!   document and target rules, for the `thingcore-jobs` service.
//!
//! Later layers (topics, shadows, registry, policies, SQL) build on these.

pub mod auth;
pub mod broker;
pub mod clock;
pub mod error;
pub mod gateway;
pub mod iam;
pub mod jobs;
pub mod mqtt;
pub mod policy;
pub mod registry;
pub mod route;
pub mod rules;
pub mod shadow;
pub mod sql;
pub mod store;
pub mod topic;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
