//! # thingcore-shadows — the Device Shadow service
//!
//! The shadow-updater function answers the data-plane HTTP routes with it; the gateway and
//! `thingcore serve`'s broker answer `$aws/things/+/shadow/#` requests with it; the rules
//! engine's `get_thing_shadow()` reads through it. One service, every host.
//!
//! - [`service`]: [`ShadowService`]: get, update, delete and list shadows through the Store,
//!   with conditional writes so that racing updates never lose one another.
//! - [`mqtt`]: requests published on `$aws/things/{thing}/shadow[/name/{shadow}]/{get,update,delete}`
//!   and the replies the service publishes.
//!
//! The rules of shadow documents (merge, delta, metadata, versions, limits, error texts) are in
//! `thingcore::shadow`; this crate moves them between the wire and the Store.

pub mod mqtt;
pub mod service;

pub use service::{Outbound, ShadowFailure, ShadowService};
