//! A custom authorizer's session on a live connection: `refreshAfterInSeconds` asks the
//! authorizer again (a refusal disconnects, an acceptance replaces the rights) and
//! `disconnectAfterInSeconds` closes the connection, counted from its CONNECT.

use super::auth::{AuthOutcome, Authenticator, ConnectRequest, Credentials, SessionLimits};
use super::HubHandle;
use std::sync::Arc;
use thingcore::broker::ConnId;
use tokio::time::{sleep_until, Instant};

/// Runs until the session ends (the connection is then disconnected) or the task is aborted
/// (the connection ended first).
pub async fn keep(
    hub: HubHandle,
    conn: ConnId,
    limits: SessionLimits,
    authenticator: Arc<dyn Authenticator>,
    credentials: Credentials,
    connect: ConnectRequest,
) {
    let deadline = Instant::now() + limits.disconnect_after;
    let mut refresh_after = limits.refresh_after;
    loop {
        let refresh_at = Instant::now() + refresh_after;
        if refresh_at >= deadline {
            sleep_until(deadline).await;
            tracing::info!(?conn, client_id = %connect.client_id, "custom authorizer session over (disconnectAfterInSeconds): disconnecting");
            hub.revoke(conn).await;
            return;
        }
        sleep_until(refresh_at).await;
        match authenticator.authenticate(&credentials, &connect).await {
            AuthOutcome::Accepted {
                authorization,
                session,
                ..
            } => {
                hub.set_authorization(conn, Some(authorization)).await;
                if let Some(session) = session {
                    refresh_after = session.refresh_after;
                }
            }
            AuthOutcome::Anonymous => {}
            AuthOutcome::Refused { reason, .. } => {
                tracing::info!(?conn, client_id = %connect.client_id, %reason, "custom authorizer refused on refresh: disconnecting");
                hub.revoke(conn).await;
                return;
            }
        }
    }
}
