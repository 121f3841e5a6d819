//! The WebSocket gateway's rules, pure: what a client's JSON frame means ([`frame`]), what the
//! gateway answers and delivers ([`reply`]), where connections, subscriptions and retained
//! messages live in the Store so that a publish finds its subscribers without a scan
//! ([`index`]), what a connection may do ([`rights`]: its policies, kept with its item, asked
//! at every door through [`crate::route`]), and the port fan-out goes through
//! ([`ConnectionPublisher`]).
//!
//! The `gateway` function (API Gateway WebSocket routes, HTTPS publish) and `thingcore serve`'s
//! `/ws` route both decide with this module; they only move frames.

pub mod frame;
pub mod index;
pub mod reply;
pub mod rights;

pub use frame::{parse_request, ClientFrame, FrameError, PublishFrame, Request};
pub use reply::{Delivery, ErrorCode, ServerFrame};
pub use rights::{ConnectionPrincipal, ConnectionRights, RightsContext};

/// Why a frame could not be posted to a connection.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The connection no longer exists (API Gateway answers 410 Gone): forget it.
    #[error("connection {0} is gone")]
    Gone(String),
    /// Posting failed for another reason (throttling, network); the connection may live on.
    #[error("posting to connection {connection_id} failed: {message}")]
    Failed {
        /// The connection.
        connection_id: String,
        /// What went wrong.
        message: String,
        /// The transport's own error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// The port fan-out goes through: sends one text frame to one connection. On AWS it is the API
/// Gateway Management API's `PostToConnection`; in `thingcore serve` it is the `/ws` socket.
#[async_trait::async_trait]
pub trait ConnectionPublisher: Send + Sync {
    /// Sends `frame` (a JSON text frame) to `connection_id`.
    ///
    /// # Errors
    /// [`PostError::Gone`] when the connection no longer exists, [`PostError::Failed`] otherwise.
    async fn post(&self, connection_id: &str, frame: &str) -> Result<(), PostError>;

    /// Closes `connection_id` (API Gateway's `DeleteConnection`): its session ended or its
    /// rights were revoked.
    ///
    /// # Errors
    /// [`PostError::Gone`] when it no longer exists, [`PostError::Failed`] otherwise.
    async fn close(&self, connection_id: &str) -> Result<(), PostError>;
}
