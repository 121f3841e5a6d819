//! [`CountingStore`]: a Store that counts the calls made through it, for measuring what an
//! operation costs on DynamoDB (each call is a request; each item read is read capacity)
//! without DynamoDB. Wraps any adapter and changes nothing it does.

use super::{Item, Key, Page, Put, Query, Result, Store, Table, WriteOp};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What went through a [`CountingStore`] since it was made or last [`CountingStore::take`]n.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCalls {
    /// `get` calls (DynamoDB GetItem).
    pub gets: u64,
    /// `query` calls (DynamoDB Query, one page each).
    pub queries: u64,
    /// Items returned by gets and queries.
    pub items_read: u64,
    /// Bytes of the item bodies returned (read capacity grows with them: 4 KB a unit).
    pub bytes_read: u64,
    /// `put` calls (PutItem).
    pub puts: u64,
    /// `delete` calls (DeleteItem).
    pub deletes: u64,
    /// `transact` calls (TransactWriteItems).
    pub transactions: u64,
    /// Operations inside transactions.
    pub transaction_ops: u64,
}

impl StoreCalls {
    /// Read requests: gets and query pages.
    pub fn reads(&self) -> u64 {
        self.gets + self.queries
    }

    /// Write requests: puts, deletes and transactions.
    pub fn writes(&self) -> u64 {
        self.puts + self.deletes + self.transactions
    }
}

#[derive(Debug, Default)]
struct Counters {
    gets: AtomicU64,
    queries: AtomicU64,
    items_read: AtomicU64,
    bytes_read: AtomicU64,
    puts: AtomicU64,
    deletes: AtomicU64,
    transactions: AtomicU64,
    transaction_ops: AtomicU64,
}

/// Counts every call to the Store it wraps.
pub struct CountingStore {
    inner: Arc<dyn Store>,
    counters: Counters,
}

impl CountingStore {
    /// Counts the calls made to `inner`.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            counters: Counters::default(),
        }
    }

    /// The counts so far, resetting them to zero.
    pub fn take(&self) -> StoreCalls {
        let take = |counter: &AtomicU64| counter.swap(0, Ordering::Relaxed);
        let c = &self.counters;
        StoreCalls {
            gets: take(&c.gets),
            queries: take(&c.queries),
            items_read: take(&c.items_read),
            bytes_read: take(&c.bytes_read),
            puts: take(&c.puts),
            deletes: take(&c.deletes),
            transactions: take(&c.transactions),
            transaction_ops: take(&c.transaction_ops),
        }
    }

    fn read(&self, items: &[&Item]) {
        let bytes: usize = items.iter().map(|i| i.body.len()).sum();
        self.counters
            .items_read
            .fetch_add(items.len() as u64, Ordering::Relaxed);
        self.counters
            .bytes_read
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

#[async_trait::async_trait]
impl Store for CountingStore {
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>> {
        bump(&self.counters.gets);
        let item = self.inner.get(table, key).await?;
        self.read(&item.iter().collect::<Vec<_>>());
        Ok(item)
    }

    async fn put(&self, put: Put) -> Result<u64> {
        bump(&self.counters.puts);
        self.inner.put(put).await
    }

    async fn delete(&self, table: Table, key: &Key, expect: super::Expect) -> Result<bool> {
        bump(&self.counters.deletes);
        self.inner.delete(table, key, expect).await
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        bump(&self.counters.queries);
        let page = self.inner.query(query).await?;
        self.read(&page.items.iter().collect::<Vec<_>>());
        Ok(page)
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<()> {
        bump(&self.counters.transactions);
        self.counters
            .transaction_ops
            .fetch_add(ops.len() as u64, Ordering::Relaxed);
        self.inner.transact(ops).await
    }

    async fn flush(&self) -> Result<()> {
        self.inner.flush().await
    }
}
