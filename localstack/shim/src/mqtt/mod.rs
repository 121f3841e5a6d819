//! The MQTT host: sockets, timers and persistence around `thingcore::broker::Broker`.
//!
//! - [`hub`]: one task owns the broker; connections talk to it over channels, as rumqttd's
//!   router does. It turns the broker's outputs into writes to connections and to the Store.
//! - [`connection`]: one task per connection: bytes ↔ packets with the core codec, keep-alive.
//! - [`transport`]: the byte pipes a connection runs over: TCP and WebSocket (`/mqtt`).
//! - [`persist`]: write-behind of sessions and retained messages to the Store, and loading
//!   them at start.

pub mod connection;
pub mod hub;
pub mod persist;
pub mod transport;

pub use hub::{Hub, HubHandle};
