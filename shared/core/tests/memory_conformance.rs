//! The Store conformance suite on the in-memory adapter.

use std::sync::Arc;
use thingcore::store::{MemoryStore, Store};
use thingcore::ManualClock;

async fn open(clock: Arc<ManualClock>) -> Option<Arc<dyn Store>> {
    Some(Arc::new(MemoryStore::new(clock)))
}

thingcore_conformance::store_conformance!(open);
