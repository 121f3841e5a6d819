//! The Store port: the persistence every component shares.
//!
//! An item store shaped like DynamoDB so that it maps 1:1 onto DynamoDB, SQLite and memory:
//! items live in a [`Table`], are addressed by a partition key and a sort key ([`Key`]), carry
//! an opaque body and a version that the store increments on every write, and may expire.
//! Writes are conditional ([`Expect`]) for optimistic concurrency; queries read one partition
//! in sort-key order, filtered by a sort-key prefix and paginated by opaque tokens; a small
//! transaction ([`WriteOp`]) applies several conditional writes atomically.
//!
//! Typed repositories (things, shadows, sessions...) are built on this port; they decide the
//! keys, the port only keeps the promises below, which every adapter proves by running the
//! one conformance suite (`thingcore-conformance`). [`counting::CountingStore`] wraps any
//! adapter and counts its calls: what an operation would cost on DynamoDB.

pub mod counting;
mod memory;
mod page;

pub use memory::MemoryStore;
pub use page::PageToken;

use crate::error::{Error, Result};
use std::fmt;

/// Largest item body the port accepts: DynamoDB's 400 KB item limit less room for keys.
pub const MAX_BODY_BYTES: usize = 384 * 1024;
/// Longest partition key in bytes (DynamoDB's limit).
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// Longest sort key in bytes (DynamoDB's limit).
pub const MAX_SORT_KEY_BYTES: usize = 1024;
/// Most operations in one transaction (DynamoDB's TransactWriteItems limit).
pub const MAX_TRANSACTION_OPS: usize = 100;
/// Most items one query page returns.
pub const MAX_PAGE_SIZE: usize = 1000;

/// The tables of thingcore. Each is one DynamoDB table and one slice of the SQLite database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Things, thing types, groups, certificates, policies, attachments, rules, authorizers.
    Registry,
    /// Device shadows, classic and named.
    Shadows,
    /// Broker state: retained messages, sessions, subscriptions, connections. Items expire.
    Broker,
}

impl Table {
    /// Every table, in a fixed order.
    pub const ALL: [Table; 3] = [Table::Registry, Table::Shadows, Table::Broker];

    /// The table's short name, used as a suffix of DynamoDB table names and in SQLite.
    pub fn name(self) -> &'static str {
        match self {
            Table::Registry => "registry",
            Table::Shadows => "shadows",
            Table::Broker => "broker",
        }
    }

    /// Whether items of this table carry expiry times (DynamoDB TTL is enabled on it).
    pub fn has_ttl(self) -> bool {
        matches!(self, Table::Broker)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An item's address within a table: partition key and sort key, both non-empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Partition key: items sharing it are queried together.
    pub pk: String,
    /// Sort key: orders items within a partition (bytewise, as DynamoDB does).
    pub sk: String,
}

impl Key {
    /// A key from its two parts.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// Checks the key against the port's limits.
    ///
    /// # Errors
    /// [`Error::Invalid`] when a part is empty or too long.
    pub fn validate(&self) -> Result<()> {
        check_key_part("pk", &self.pk, MAX_PARTITION_KEY_BYTES)?;
        check_key_part("sk", &self.sk, MAX_SORT_KEY_BYTES)
    }
}

fn check_key_part(field: &'static str, value: &str, limit: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.len() > limit {
        return Err(Error::invalid(
            field,
            format!("{} bytes exceeds the limit of {limit}", value.len()),
        ));
    }
    Ok(())
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.pk, self.sk)
    }
}

/// A stored item as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Where it lives.
    pub key: Key,
    /// The body, opaque to the store (typed repositories put JSON here).
    pub body: Vec<u8>,
    /// Starts at 1 and grows by one with every write of the item.
    pub version: u64,
    /// Epoch seconds after which the item reads as absent; `None` never expires.
    pub expires_at: Option<u64>,
}

/// What a conditional write expects of the item's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No condition.
    Any,
    /// The item must not exist (or must have expired).
    Absent,
    /// The item must exist, unexpired, at exactly this version.
    Version(u64),
}

/// Whether an item in the state (`current` version, `None` when absent) meets `expect`.
pub fn expectation_holds(expect: Expect, current: Option<u64>) -> bool {
    match (expect, current) {
        (Expect::Any, _) => true,
        (Expect::Absent, None) => true,
        (Expect::Absent, Some(_)) => false,
        (Expect::Version(want), Some(have)) => want == have,
        (Expect::Version(_), None) => false,
    }
}

/// Whether an item expiring at `expires_at` is still live at `now_secs`.
///
/// An item is live up to and excluding its expiry second: at `now == expires_at` it is gone.
pub fn is_live(expires_at: Option<u64>, now_secs: u64) -> bool {
    expires_at.is_none_or(|at| now_secs < at)
}

/// A write of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Put {
    /// The table to write.
    pub table: Table,
    /// The item's key.
    pub key: Key,
    /// The new body.
    pub body: Vec<u8>,
    /// Epoch seconds at which the item expires, or `None`.
    pub expires_at: Option<u64>,
    /// The condition on the current item.
    pub expect: Expect,
}

impl Put {
    /// An unconditional write of `body` at `key` that never expires.
    pub fn new(table: Table, key: Key, body: impl Into<Vec<u8>>) -> Self {
        Self {
            table,
            key,
            body: body.into(),
            expires_at: None,
            expect: Expect::Any,
        }
    }

    /// The same write with a condition.
    pub fn expect(mut self, expect: Expect) -> Self {
        self.expect = expect;
        self
    }

    /// The same write, expiring at `epoch_secs`.
    pub fn expires_at(mut self, epoch_secs: u64) -> Self {
        self.expires_at = Some(epoch_secs);
        self
    }

    /// The version the item will have after this write, given its current version.
    pub fn next_version(&self, current: Option<u64>) -> u64 {
        current.map_or(1, |v| v + 1)
    }

    /// Checks key and body against the port's limits.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad key, [`Error::ItemTooLarge`] for an oversized body.
    pub fn validate(&self) -> Result<()> {
        self.key.validate()?;
        if self.body.len() > MAX_BODY_BYTES {
            return Err(Error::ItemTooLarge {
                size: self.body.len(),
                limit: MAX_BODY_BYTES,
            });
        }
        if self.expires_at.is_some() && !self.table.has_ttl() {
            return Err(Error::invalid(
                "expires_at",
                format!("items of table {} do not expire", self.table),
            ));
        }
        Ok(())
    }
}

/// One operation of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// Write an item.
    Put(Put),
    /// Delete an item if the condition holds.
    Delete {
        /// The table.
        table: Table,
        /// The item's key.
        key: Key,
        /// The condition on the current item.
        expect: Expect,
    },
    /// Write nothing, but require the condition of an item to hold.
    Check {
        /// The table.
        table: Table,
        /// The item's key.
        key: Key,
        /// The condition on the current item.
        expect: Expect,
    },
}

impl WriteOp {
    /// The table and key this operation touches.
    pub fn target(&self) -> (Table, &Key) {
        match self {
            WriteOp::Put(put) => (put.table, &put.key),
            WriteOp::Delete { table, key, .. } | WriteOp::Check { table, key, .. } => (*table, key),
        }
    }

    /// The condition of this operation.
    pub fn expectation(&self) -> Expect {
        match self {
            WriteOp::Put(put) => put.expect,
            WriteOp::Delete { expect, .. } | WriteOp::Check { expect, .. } => *expect,
        }
    }
}

/// Checks a transaction: non-empty, at most [`MAX_TRANSACTION_OPS`], each item touched once.
///
/// # Errors
/// [`Error::Invalid`] naming what is wrong.
pub fn validate_transaction(ops: &[WriteOp]) -> Result<()> {
    if ops.is_empty() {
        return Err(Error::invalid("transaction", "has no operations"));
    }
    if ops.len() > MAX_TRANSACTION_OPS {
        return Err(Error::invalid(
            "transaction",
            format!("{} operations exceeds {MAX_TRANSACTION_OPS}", ops.len()),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for op in ops {
        match op {
            WriteOp::Put(put) => put.validate()?,
            WriteOp::Delete { key, .. } | WriteOp::Check { key, .. } => key.validate()?,
        }
        let (table, key) = op.target();
        if !seen.insert((table, key)) {
            return Err(Error::invalid(
                "transaction",
                format!("item {table}/{key} appears more than once"),
            ));
        }
    }
    Ok(())
}

/// A read of one partition in sort-key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The table.
    pub table: Table,
    /// The partition to read.
    pub pk: String,
    /// Only items whose sort key starts with this; empty for all.
    pub sk_prefix: String,
    /// Most items to return, 1 to [`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// Where the previous page ended.
    pub start: Option<PageToken>,
}

impl Query {
    /// The first page of a whole partition, at most 100 items.
    pub fn partition(table: Table, pk: impl Into<String>) -> Self {
        Self {
            table,
            pk: pk.into(),
            sk_prefix: String::new(),
            limit: 100,
            start: None,
        }
    }

    /// Only sort keys starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.sk_prefix = prefix.into();
        self
    }

    /// At most `limit` items per page.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Resume after a previous page.
    pub fn start(mut self, token: Option<PageToken>) -> Self {
        self.start = token;
        self
    }

    /// Checks the query and decodes its start token into the sort key to resume after.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad partition key or limit, [`Error::InvalidPageToken`] for a
    /// token that does not decode or lies outside the prefix.
    pub fn validate(&self) -> Result<Option<String>> {
        check_key_part("pk", &self.pk, MAX_PARTITION_KEY_BYTES)?;
        if self.sk_prefix.len() > MAX_SORT_KEY_BYTES {
            return Err(Error::invalid("sk_prefix", "longer than a sort key can be"));
        }
        if self.limit == 0 || self.limit > MAX_PAGE_SIZE {
            return Err(Error::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        let Some(token) = &self.start else {
            return Ok(None);
        };
        let after = token.decode()?;
        if !after.starts_with(&self.sk_prefix) {
            return Err(Error::InvalidPageToken);
        }
        Ok(Some(after))
    }
}

/// One page of a query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// Items in ascending sort-key order.
    pub items: Vec<Item>,
    /// Where to resume, or `None` when the partition is exhausted. A token may lead to an
    /// empty page (DynamoDB hands one out when a page ends exactly at the last item).
    pub next: Option<PageToken>,
}

/// The port itself. Every adapter keeps these promises, checked by `thingcore-conformance`:
///
/// - Reads see every write that returned before they began (strong consistency).
/// - Versions start at 1 and grow by one per write; a failed condition writes nothing.
/// - Expired items read as absent everywhere, conditions included.
/// - A transaction applies all of its operations or none.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// The live item at `key`, if any.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad key, [`Error::Storage`] when the backend fails.
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>>;

    /// Writes an item if its condition holds and returns its new version.
    ///
    /// # Errors
    /// [`Error::ConditionFailed`] when the condition does not hold (nothing is written),
    /// [`Error::Invalid`] / [`Error::ItemTooLarge`] for bad input, [`Error::Storage`].
    async fn put(&self, put: Put) -> Result<u64>;

    /// Deletes an item if its condition holds; `true` when a live item was deleted.
    ///
    /// # Errors
    /// [`Error::ConditionFailed`] when the condition does not hold, [`Error::Storage`].
    async fn delete(&self, table: Table, key: &Key, expect: Expect) -> Result<bool>;

    /// One page of a partition, in ascending sort-key order.
    ///
    /// # Errors
    /// [`Error::Invalid`], [`Error::InvalidPageToken`], [`Error::Storage`].
    async fn query(&self, query: &Query) -> Result<Page>;

    /// Applies all operations atomically, or none of them.
    ///
    /// # Errors
    /// [`Error::TransactionCanceled`] naming the first operation whose condition failed,
    /// [`Error::Invalid`] for a malformed transaction, [`Error::Storage`].
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<()>;

    /// Makes every completed write durable and releases what can be released; called at
    /// shutdown.
    ///
    /// # Errors
    /// [`Error::Storage`] when the backend cannot flush.
    async fn flush(&self) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_against_states() {
        assert!(expectation_holds(Expect::Any, None));
        assert!(expectation_holds(Expect::Any, Some(3)));
        assert!(expectation_holds(Expect::Absent, None));
        assert!(!expectation_holds(Expect::Absent, Some(1)));
        assert!(expectation_holds(Expect::Version(2), Some(2)));
        assert!(!expectation_holds(Expect::Version(2), Some(3)));
        assert!(!expectation_holds(Expect::Version(1), None));
    }

    #[test]
    fn items_expire_at_their_second() {
        assert!(is_live(None, u64::MAX));
        assert!(is_live(Some(10), 9));
        assert!(!is_live(Some(10), 10));
        assert!(!is_live(Some(10), 11));
    }

    #[test]
    fn keys_must_be_non_empty_and_bounded() {
        assert!(Key::new("a", "b").validate().is_ok());
        assert!(matches!(
            Key::new("", "b").validate(),
            Err(Error::Invalid { field: "pk", .. })
        ));
        assert!(matches!(
            Key::new("a", "").validate(),
            Err(Error::Invalid { field: "sk", .. })
        ));
        let long = "x".repeat(MAX_SORT_KEY_BYTES + 1);
        assert!(Key::new("a", long).validate().is_err());
    }

    #[test]
    fn oversized_bodies_are_refused() {
        let put = Put::new(
            Table::Registry,
            Key::new("a", "b"),
            vec![0; MAX_BODY_BYTES + 1],
        );
        assert!(matches!(put.validate(), Err(Error::ItemTooLarge { .. })));
    }

    #[test]
    fn only_broker_items_expire() {
        let put = Put::new(Table::Registry, Key::new("a", "b"), b"{}".to_vec()).expires_at(5);
        assert!(put.validate().is_err());
        let put = Put::new(Table::Broker, Key::new("a", "b"), b"{}".to_vec()).expires_at(5);
        assert!(put.validate().is_ok());
    }

    #[test]
    fn transactions_touch_each_item_once() {
        let op = |sk: &str| WriteOp::Check {
            table: Table::Registry,
            key: Key::new("p", sk),
            expect: Expect::Absent,
        };
        assert!(validate_transaction(&[]).is_err());
        assert!(validate_transaction(&[op("a"), op("b")]).is_ok());
        assert!(validate_transaction(&[op("a"), op("a")]).is_err());
        let many: Vec<_> = (0..=MAX_TRANSACTION_OPS)
            .map(|i| op(&i.to_string()))
            .collect();
        assert!(validate_transaction(&many).is_err());
    }

    #[test]
    fn query_tokens_must_lie_within_the_prefix() {
        let token = PageToken::after("thing#b");
        let ok = Query::partition(Table::Registry, "p")
            .prefix("thing#")
            .start(Some(token.clone()));
        assert_eq!(ok.validate().ok().flatten().as_deref(), Some("thing#b"));
        let outside = Query::partition(Table::Registry, "p")
            .prefix("group#")
            .start(Some(token));
        assert!(matches!(outside.validate(), Err(Error::InvalidPageToken)));
        let bad_limit = Query::partition(Table::Registry, "p").limit(0);
        assert!(bad_limit.validate().is_err());
    }
}
