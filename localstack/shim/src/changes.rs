//! Registry writes applied at once: the registry's [`RegistryListener`] in `thingcore serve`.
//! After each committed write, and before the API call answers, the rules engine reloads if the
//! rules changed, and the revocation watcher is woken to re-authenticate live connections. So
//! a rule created, replaced, enabled or disabled through this server applies to the very next
//! message, and a revoked certificate or detached policy is rechecked at once rather than on
//! the next poll.

use crate::rules::RulesHandle;
use std::sync::Arc;
use thingcore_registry::RegistryListener;
use tokio::sync::Notify;

/// Applies registry writes to the running services.
pub struct ApplyChanges {
    /// The rules engine.
    pub rules: RulesHandle,
    /// Wakes the revocation watcher.
    pub revocation: Arc<Notify>,
}

#[async_trait::async_trait]
impl RegistryListener for ApplyChanges {
    async fn changed(&self) {
        self.rules.refresh().await;
        self.revocation.notify_one();
    }
}
