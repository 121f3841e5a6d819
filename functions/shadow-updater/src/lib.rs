//! # shadow-updater — the Device Shadow data plane as a Lambda function
//!
//! One handler, two hosts: Lambda (`main.rs`) and `thingcore serve` (in process) call the same
//! functions with the same event shapes. The service itself is `thingcore-shadows`'.
//!
//! - [`http`]: the data-plane HTTP routes as API Gateway HTTP API (v2) events:
//!   `GET|POST|DELETE /things/{thingName}/shadow?name=` and
//!   `GET /api/things/shadow/ListNamedShadowsForThing/{thingName}`.
//! - [`lambda`]: which Lambda event arrived (HTTP API, or a topic message from the gateway).

pub mod http;
pub mod lambda;
