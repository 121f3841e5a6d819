//! # thingcore-lambda — what every function's `main.rs` shares
//!
//! Each function's `main.rs` is its configuration plus one handler; the rest is here, once:
//!
//! - [`bootstrap`]: [`Environment`] (logs, the `THINGCORE_*` variables, the AWS SDK and the
//!   Store on DynamoDB) and [`serve`], the run loop that hands each event's JSON to the handler.
//! - [`apigw`]: API Gateway HTTP API responses with AWS's error type header.
//!
//! `bootstrap` is behind the `runtime` feature (on by default): the functions' libraries use
//! only `apigw`, so `thingcore serve`, which links them, builds without the Lambda runtime.

pub mod apigw;
#[cfg(feature = "runtime")]
pub mod bootstrap;

#[cfg(feature = "runtime")]
pub use bootstrap::{serve, Environment};
#[cfg(feature = "runtime")]
pub use lambda_runtime::Error;
