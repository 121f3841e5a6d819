//! The MQTT host: sockets, timers and persistence around `thingcore::broker::Broker`.
//!
//! - [`hub`]: one task owns the broker; connections talk to it over channels, as rumqttd's
//!   router does. It turns the broker's outputs into writes to connections and to the Store.
//! - [`outbox`]: the queue of commands from the hub to one connection.
//! - [`connection`]: one task per connection: bytes ↔ packets with the core codec, keep-alive.
//! - [`transport`]: the byte pipes a connection runs over: TCP and WebSocket (`/mqtt`).
//! - [`auth`]: the [`auth::Authenticator`] seam: credentials and CONNECT → rights.
//! - [`revocation`]: registry changes applied to live connections.
//! - [`persist`]: write-behind of sessions and retained messages to the Store, and loading
//!   them at start.

pub mod auth;
pub mod connection;
pub mod custom_auth;
pub mod hub;
pub mod outbox;
pub mod persist;
pub mod revocation;
pub mod session;
pub mod transport;

pub use hub::{Hub, HubHandle};
