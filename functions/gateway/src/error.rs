//! [`GatewayError`]: why the gateway could not do what a client asked.

use thingcore::gateway::ErrorCode;

/// Why a gateway operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The connection id is not (or no longer) known.
    #[error("connection {0} is not connected")]
    UnknownConnection(String),
    /// The connection id cannot be one.
    #[error("invalid connection id {0:?}")]
    InvalidConnectionId(String),
    /// The connection has as many subscriptions as it may.
    #[error("a connection may have at most {limit} subscriptions")]
    SubscriptionLimit {
        /// The limit.
        limit: usize,
    },
    /// Concurrent changes to one connection kept conflicting.
    #[error("connection {0} changed concurrently too often; retry")]
    Contention(String),
    /// A stored item does not decode.
    #[error("stored item {key} is corrupt: {source}")]
    Corrupt {
        /// Its key.
        key: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// A door refused: a reserved topic, or the connection's policies do not allow it.
    #[error(transparent)]
    Refused(#[from] thingcore::route::Refusal),
    /// The connection's stored policies do not parse: it may do nothing.
    #[error("the connection's policy does not parse: {0}")]
    BrokenPolicy(#[from] thingcore::policy::PolicyError),
    /// The connection's session is over (its authorizer's `disconnectAfterInSeconds` passed,
    /// or a refresh refused it); it has been closed.
    #[error("connection {0}'s session has ended")]
    SessionEnded(String),
    /// The Store failed.
    #[error(transparent)]
    Store(#[from] thingcore::Error),
}

impl GatewayError {
    /// The error code of the error frame that reports it.
    pub fn code(&self) -> ErrorCode {
        match self {
            GatewayError::UnknownConnection(_) | GatewayError::InvalidConnectionId(_) => {
                ErrorCode::StaleConnection
            }
            GatewayError::SubscriptionLimit { .. } => ErrorCode::SubscriptionLimit,
            GatewayError::Refused(thingcore::route::Refusal::Reserved(_)) => {
                ErrorCode::ReservedTopic
            }
            GatewayError::Refused(thingcore::route::Refusal::NotAuthorized { .. })
            | GatewayError::BrokenPolicy(_)
            | GatewayError::SessionEnded(_) => ErrorCode::NotAuthorized,
            GatewayError::Contention(_) | GatewayError::Corrupt { .. } | GatewayError::Store(_) => {
                ErrorCode::InternalError
            }
        }
    }
}
