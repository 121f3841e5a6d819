//! The in-memory Store adapter: for unit tests and `thingcore serve --memory`.
//!
//! One ordered map behind a mutex; every operation holds the lock for its whole duration, so
//! conditions and transactions are trivially atomic.

use super::{
    expectation_holds, is_live, validate_transaction, Expect, Item, Key, Page, PageToken, Put,
    Query, Store, Table, WriteOp,
};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone)]
struct Stored {
    body: Vec<u8>,
    version: u64,
    expires_at: Option<u64>,
}

type Items = BTreeMap<(Table, String, String), Stored>;

/// A Store kept in process memory; gone when dropped.
#[derive(Debug)]
pub struct MemoryStore {
    items: Mutex<Items>,
    clock: Arc<dyn Clock>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

impl MemoryStore {
    /// An empty store that judges expiry by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            items: Mutex::new(BTreeMap::new()),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Items> {
        // A panic while holding the lock cannot leave a half-applied write: every write is a
        // single map operation made after all checks, so the map is consistent either way.
        self.items
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Removes expired items; returns how many. Reads already hide them.
    pub fn purge_expired(&self) -> usize {
        let now = self.clock.now_secs();
        let mut items = self.lock();
        let before = items.len();
        items.retain(|_, stored| is_live(stored.expires_at, now));
        before - items.len()
    }
}

fn map_key(table: Table, key: &Key) -> (Table, String, String) {
    (table, key.pk.clone(), key.sk.clone())
}

fn live_version(items: &Items, table: Table, key: &Key, now: u64) -> Option<u64> {
    items
        .get(&map_key(table, key))
        .filter(|stored| is_live(stored.expires_at, now))
        .map(|stored| stored.version)
}

fn apply_put(items: &mut Items, put: Put, current: Option<u64>) -> u64 {
    let version = put.next_version(current);
    items.insert(
        map_key(put.table, &put.key),
        Stored {
            body: put.body,
            version,
            expires_at: put.expires_at,
        },
    );
    version
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>> {
        key.validate()?;
        let now = self.clock.now_secs();
        let items = self.lock();
        Ok(items
            .get(&map_key(table, key))
            .filter(|stored| is_live(stored.expires_at, now))
            .map(|stored| Item {
                key: key.clone(),
                body: stored.body.clone(),
                version: stored.version,
                expires_at: stored.expires_at,
            }))
    }

    async fn put(&self, put: Put) -> Result<u64> {
        put.validate()?;
        let now = self.clock.now_secs();
        let mut items = self.lock();
        let current = live_version(&items, put.table, &put.key, now);
        if !expectation_holds(put.expect, current) {
            return Err(Error::ConditionFailed {
                table: put.table,
                key: put.key,
            });
        }
        Ok(apply_put(&mut items, put, current))
    }

    async fn delete(&self, table: Table, key: &Key, expect: Expect) -> Result<bool> {
        key.validate()?;
        let now = self.clock.now_secs();
        let mut items = self.lock();
        let current = live_version(&items, table, key, now);
        if !expectation_holds(expect, current) {
            return Err(Error::ConditionFailed {
                table,
                key: key.clone(),
            });
        }
        items.remove(&map_key(table, key));
        Ok(current.is_some())
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        let after = query.validate()?;
        let now = self.clock.now_secs();
        let items = self.lock();
        // A token always lies within the prefix (checked by `validate`), so resuming after it
        // never skips an item of the prefix.
        let lower = match after {
            Some(after) => Bound::Excluded((query.table, query.pk.clone(), after)),
            None => Bound::Included((query.table, query.pk.clone(), query.sk_prefix.clone())),
        };
        let mut page = Vec::with_capacity(query.limit.min(64));
        let mut more = false;
        for ((table, pk, sk), stored) in items.range((lower, Bound::Unbounded)) {
            if *table != query.table || *pk != query.pk || !sk.starts_with(&query.sk_prefix) {
                break;
            }
            if !is_live(stored.expires_at, now) {
                continue;
            }
            if page.len() == query.limit {
                more = true;
                break;
            }
            page.push(Item {
                key: Key::new(pk.clone(), sk.clone()),
                body: stored.body.clone(),
                version: stored.version,
                expires_at: stored.expires_at,
            });
        }
        let next = if more {
            page.last().map(|item| PageToken::after(&item.key.sk))
        } else {
            None
        };
        Ok(Page { items: page, next })
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<()> {
        validate_transaction(&ops)?;
        let now = self.clock.now_secs();
        let mut items = self.lock();
        let mut currents = Vec::with_capacity(ops.len());
        for (index, op) in ops.iter().enumerate() {
            let (table, key) = op.target();
            let current = live_version(&items, table, key, now);
            if !expectation_holds(op.expectation(), current) {
                return Err(Error::TransactionCanceled { index });
            }
            currents.push(current);
        }
        for (op, current) in ops.into_iter().zip(currents) {
            match op {
                WriteOp::Put(put) => {
                    apply_put(&mut items, put, current);
                }
                WriteOp::Delete { table, key, .. } => {
                    items.remove(&map_key(table, &key));
                }
                WriteOp::Check { .. } => {}
            }
        }
        Ok(())
    }

    async fn flush(&self) -> Result<()> {
        self.purge_expired();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    #[test]
    fn purge_drops_only_expired_items() {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let store = MemoryStore::new(clock.clone());
        let put = |sk: &str, at: u64| {
            Put::new(Table::Broker, Key::new("p", sk), b"x".to_vec()).expires_at(at)
        };
        block_on(store.put(put("soon", 1_010))).ok();
        block_on(store.put(put("later", 2_000))).ok();
        clock.advance(20_000);
        assert_eq!(store.purge_expired(), 1);
        let page = block_on(store.query(&Query::partition(Table::Broker, "p")));
        let keys: Vec<_> = page
            .map(|p| p.items.into_iter().map(|i| i.key.sk).collect())
            .unwrap_or_default();
        assert_eq!(keys, vec!["later".to_string()]);
    }
}
