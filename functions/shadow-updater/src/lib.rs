//! # shadow-updater — the Device Shadow service
//!
//! One handler, two hosts: Lambda (`main.rs`) and `thingcore serve` (in process) call the same
//! functions with the same event shapes.
//!
//! - [`service`]: [`ShadowService`]: get, update, delete and list shadows through the Store,
//!   with conditional writes so that racing updates never lose one another.
//! - [`http`]: the data-plane HTTP routes as API Gateway HTTP API (v2) events:
//!   `GET|POST|DELETE /things/{thingName}/shadow?name=` and
//!   `GET /api/things/shadow/ListNamedShadowsForThing/{thingName}`.
//! - [`lambda`]: which Lambda event arrived (HTTP API, or a topic message from the gateway).
//! - [`mqtt`]: requests published on `$aws/things/{thing}/shadow[/name/{shadow}]/{get,update,delete}`
//!   and the replies the service publishes.
//!
//! The rules of shadow documents (merge, delta, metadata, versions, limits, error texts) are in
//! `thingcore::shadow`; this crate moves them between the wire and the Store.

pub mod http;
pub mod lambda;
pub mod mqtt;
pub mod service;

pub use service::{Outbound, ShadowFailure, ShadowService};
