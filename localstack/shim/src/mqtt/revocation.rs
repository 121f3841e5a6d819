//! Revocation: registry changes take effect on live connections.
//!
//! Every authenticated connection is listed in [`LiveConnections`] with what it authenticated
//! with. A watcher polls the registry's auth generation every [`POLL_INTERVAL`]; when it moved
//! (UpdateCertificate to INACTIVE or REVOKED, DetachPolicy, a new default policy version, a
//! thing principal or group change...), each live connection is authenticated again: a refusal
//! disconnects it (MQTT 5: DISCONNECT 0x87), an acceptance replaces its rights, so a changed
//! policy applies to its next operation. A write through this server's registry wakes the
//! watcher at once (the registry's listener notifies it); a write by another process sharing
//! the Store is seen within `POLL_INTERVAL`. Either way a revoked device is cut off after the
//! time to re-check.

use super::auth::{AuthOutcome, Authenticator, ConnectRequest, Credentials};
use super::HubHandle;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thingcore::broker::ConnId;
use thingcore_registry::RegistryService;
use tokio::sync::{watch, Notify};

/// How often the watcher looks at the registry's auth generation.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What a live connection authenticated with.
#[derive(Debug, Clone)]
struct Live {
    authenticator: Arc<dyn Authenticator>,
    credentials: Credentials,
    connect: ConnectRequest,
}

/// The authenticated connections that are open now.
#[derive(Debug, Clone, Default)]
pub struct LiveConnections {
    inner: Arc<Mutex<HashMap<ConnId, Live>>>,
}

impl LiveConnections {
    /// Lists a connection that `authenticator` accepted.
    pub fn insert(
        &self,
        conn: ConnId,
        authenticator: Arc<dyn Authenticator>,
        credentials: Credentials,
        connect: ConnectRequest,
    ) {
        self.lock().insert(
            conn,
            Live {
                authenticator,
                credentials,
                connect,
            },
        );
    }

    /// Forgets a connection that ended.
    pub fn remove(&self, conn: ConnId) {
        self.lock().remove(&conn);
    }

    /// How many are listed.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn snapshot(&self) -> Vec<(ConnId, Live)> {
        self.lock().iter().map(|(c, l)| (*c, l.clone())).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConnId, Live>> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Runs the watcher until `stop` changes. `written` is notified by the registry's listener
/// after each local write, so a local change is rechecked at once rather than at the next
/// poll.
pub async fn watch(
    registry: RegistryService,
    hub: HubHandle,
    live: LiveConnections,
    written: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut seen = registry.auth_generation();
    let mut tick = tokio::time::interval(POLL_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tick.tick() => {}
            () = written.notified() => {}
        }
        let now = registry.auth_generation();
        if now == seen {
            continue;
        }
        seen = now;
        recheck(&hub, &live).await;
    }
}

/// Authenticates every live connection again and tells the hub the outcome.
pub async fn recheck(hub: &HubHandle, live: &LiveConnections) {
    for (conn, entry) in live.snapshot() {
        match entry
            .authenticator
            .authenticate(&entry.credentials, &entry.connect)
            .await
        {
            AuthOutcome::Accepted { authorization, .. } => {
                hub.set_authorization(conn, Some(authorization)).await;
            }
            AuthOutcome::Anonymous => {}
            AuthOutcome::Refused { reason, .. } => {
                tracing::info!(?conn, client_id = %entry.connect.client_id, %reason, "credentials revoked: disconnecting");
                live.remove(conn);
                hub.revoke(conn).await;
            }
        }
    }
}
