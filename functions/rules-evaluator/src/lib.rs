//! # rules-evaluator — the rules engine as a Lambda function
//!
//! The gateway hands a published message to this function; it evaluates the enabled topic
//! rules with `thingcore-rules`' engine, runs their actions, and answers with the messages
//! republish actions produced. `thingcore serve` runs the same engine in process.
//!
//! - [`lambda`]: the Lambda entry (a message from the gateway in, republished messages out).

pub mod lambda;
