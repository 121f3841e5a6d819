//! The [`RightsRefresher`] port: how a connection's rights are renewed once its custom
//! authorizer's `refreshAfterInSeconds` has passed. Lambda asks the authorizer function
//! again; `thingcore serve` asks the registry's custom authorizer; without a refresher the
//! rights last until `disconnectAfterInSeconds`.

use thingcore::gateway::ConnectionRights;

/// Asks a connection's authorizer again.
#[async_trait::async_trait]
pub trait RightsRefresher: Send + Sync {
    /// The connection's renewed rights.
    ///
    /// # Errors
    /// Why the authorizer no longer accepts the connection (it is then closed).
    async fn refresh(&self, rights: &ConnectionRights) -> Result<ConnectionRights, String>;
}
