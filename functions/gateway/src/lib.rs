//! # gateway — the WebSocket and HTTPS gateway
//!
//! Devices and apps that cannot hold an MQTT connection reach the broker over API Gateway: a
//! WebSocket API (`$connect`, `$disconnect`, `$default` with JSON frames) and the HTTP API
//! route `POST /topics/{topic}`. One handler, two hosts: Lambda (`main.rs`) and `thingcore
//! serve`'s `/ws` route (in process) call the same [`GatewayService`].
//!
//! - [`service`]: [`GatewayService`]: connections, subscriptions, publishes, fan-out — each
//!   door (subscribe, publish, delivery) asking `thingcore::route` with the connection's
//!   rights, as the MQTT broker does.
//! - [`repo`]: the gateway's items in the Store (connections, the subscription index,
//!   retained messages), changed with transactions so nothing is half-written.
//! - [`refresh`]: the [`refresh::RightsRefresher`] port that renews a custom authorizer's
//!   rights when its `refreshAfterInSeconds` passes.
//! - [`router`]: the [`Router`] port an accepted message goes to, and [`InProcessRouter`],
//!   Lambda's: subscribers, the shadow service and the rules engine, with a hop limit.
//! - [`http`]: `POST /topics/{topic}` as an HTTP API event.
//! - [`lambda`]: which API Gateway event arrived.
//! - [`testing`]: [`testing::RecordingPublisher`], a stand-in for the Management API that
//!   records what it was asked to post.
//! - [`error`]: why an operation failed, [`GatewayError`].
//!
//! The frame schema, the error codes and the index layout are `thingcore::gateway`'s.

pub mod error;
pub mod http;
pub mod lambda;
pub mod refresh;
pub mod repo;
pub mod router;
pub mod service;
pub mod testing;

pub use error::GatewayError;
pub use router::{InProcessRouter, Router, MAX_ROUTE_DEPTH};
pub use service::{ConnectInfo, FanOutReport, GatewayConfig, GatewayService};
