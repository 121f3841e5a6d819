//! The message broker, sans I/O: MQTT 3.1.1 and 5 semantics as a state machine that takes
//! decoded packets and time, and returns packets to send and facts to persist. The shim owns
//! sockets, timers and the Store; this module owns every decision.
//!
//! - [`config`]: limits, defaulting to AWS IoT Core's.
//! - [`aliases`]: topic aliases toward a client.
//! - [`commit`]: [`commit::AckGate`], acknowledgements held until what they acknowledge is
//!   stored.
//! - [`message`]: the routed message and its properties.
//! - [`session`]: one client's session: subscriptions, messages in flight, the queue.
//! - [`engine`]: [`Broker`]: connections, sessions, routing, retained messages, wills.
//! - [`events`]: AWS IoT lifecycle events.

pub mod aliases;
pub mod commit;
pub mod config;
pub mod engine;
pub mod events;
pub mod http_publish;
pub mod message;
pub mod session;

pub use config::BrokerConfig;
pub use engine::{Broker, ConnId, ConnectionInfo, Output};
pub use events::DisconnectReason;
pub use message::{Message, MessageProperties};
pub use session::{Delivery, Session, Subscription};
