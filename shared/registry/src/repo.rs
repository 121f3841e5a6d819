//! Typed access to the Store for the operations: records read with their Store version, the
//! write operations a transaction is made of, and paginated reads of one partition.
//!
//! Every multi-record change is one `transact`: a record that was read and whose state the
//! decision depends on is written back (or checked) on condition that it is still at the
//! version read. Relations that must not change under a delete "touch" the records they join
//! (rewrite them unchanged, which bumps their Store version), so a racing delete fails its
//! condition and starts over instead of leaving a half-linked record behind.

use super::error::ServiceError;
use super::RegistryService;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use thingcore::registry::RegistryError;
use thingcore::store::{Expect, Item, Key, Page, PageToken, Put, Query, Table, WriteOp};

/// How often an operation that lost a race is tried again.
pub(crate) const MAX_ATTEMPTS: usize = 50;
/// Most items a recursive listing gathers before paging them.
pub(crate) const MAX_GATHERED: usize = 10_000;
/// Items read per Store page when a whole partition is gathered.
const GATHER_PAGE: usize = 1000;

/// A record as read, with its Store version.
#[derive(Debug, Clone)]
pub(crate) struct Loaded<T> {
    /// Its key.
    pub key: Key,
    /// The decoded record.
    pub value: T,
    /// The Store version it was read at.
    pub version: u64,
    /// The stored bytes.
    pub body: Vec<u8>,
}

/// Decodes an item's body.
pub(crate) fn decode<T: DeserializeOwned>(item: &Item) -> Result<T, ServiceError> {
    serde_json::from_slice(&item.body).map_err(|source| ServiceError::Corrupt {
        key: item.key.to_string(),
        source,
    })
}

/// A write of `value` at `key` on condition `expect`.
pub(crate) fn put<T: Serialize>(
    key: Key,
    value: &T,
    expect: Expect,
) -> Result<WriteOp, ServiceError> {
    let body = serde_json::to_vec(value).map_err(|source| ServiceError::Corrupt {
        key: key.to_string(),
        source,
    })?;
    Ok(WriteOp::Put(
        Put::new(Table::Registry, key, body).expect(expect),
    ))
}

/// A write of `value` over a record read as `loaded`.
pub(crate) fn replace<T, U: Serialize>(
    loaded: &Loaded<T>,
    value: &U,
) -> Result<WriteOp, ServiceError> {
    put(loaded.key.clone(), value, Expect::Version(loaded.version))
}

/// An index or relation item (an empty JSON object, or `body` when it carries data).
pub(crate) fn link(key: Key, body: Option<&serde_json::Value>) -> WriteOp {
    let bytes = body.map_or_else(|| b"{}".to_vec(), |v| v.to_string().into_bytes());
    WriteOp::Put(Put::new(Table::Registry, key, bytes))
}

/// The removal of an index or relation item, present or not.
pub(crate) fn unlink(key: Key) -> WriteOp {
    WriteOp::Delete {
        table: Table::Registry,
        key,
        expect: Expect::Any,
    }
}

/// Rewrites a record unchanged, on condition that it is still as read.
pub(crate) fn touch<T>(loaded: &Loaded<T>) -> WriteOp {
    WriteOp::Put(
        Put::new(Table::Registry, loaded.key.clone(), loaded.body.clone())
            .expect(Expect::Version(loaded.version)),
    )
}

/// Requires a record to be still as read, writing nothing.
pub(crate) fn check<T>(loaded: &Loaded<T>) -> WriteOp {
    WriteOp::Check {
        table: Table::Registry,
        key: loaded.key.clone(),
        expect: Expect::Version(loaded.version),
    }
}

/// Deletes a record on condition that it is still as read.
pub(crate) fn delete<T>(loaded: &Loaded<T>) -> WriteOp {
    WriteOp::Delete {
        table: Table::Registry,
        key: loaded.key.clone(),
        expect: Expect::Version(loaded.version),
    }
}

/// A `marker` (standard base64, as the model's pattern wants) for a page token.
pub(crate) fn to_marker(token: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(token)
}

/// The page token inside a `marker`.
///
/// # Errors
/// `InvalidRequestException` for a marker this service did not hand out.
pub(crate) fn from_marker(marker: &str) -> Result<String, ServiceError> {
    base64::engine::general_purpose::STANDARD
        .decode(marker)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| RegistryError::invalid("The marker is not valid").into())
}

/// One page of a list gathered in full (recursive listings): sorted, deduplicated, resumed
/// after the name a token encodes.
///
/// # Errors
/// `InvalidRequestException` for a bad token.
pub(crate) fn page_of(
    mut names: Vec<String>,
    max: usize,
    token: Option<&str>,
) -> Result<(Vec<String>, Option<String>), ServiceError> {
    names.sort();
    names.dedup();
    let start = match token {
        None => 0,
        Some(token) => {
            let after = PageToken::from_wire(token).decode()?;
            names.partition_point(|name| name.as_str() <= after.as_str())
        }
    };
    let rest = &names[start.min(names.len())..];
    let page: Vec<String> = rest.iter().take(max).cloned().collect();
    let next = (rest.len() > max)
        .then(|| {
            page.last()
                .map(|last| PageToken::after(last).as_str().to_string())
        })
        .flatten();
    Ok((page, next))
}

impl RegistryService {
    /// The record at `key`, if any.
    pub(crate) async fn load<T: DeserializeOwned>(
        &self,
        key: Key,
    ) -> Result<Option<Loaded<T>>, ServiceError> {
        let Some(item) = self.store.get(Table::Registry, &key).await? else {
            return Ok(None);
        };
        Ok(Some(Loaded {
            value: decode(&item)?,
            version: item.version,
            body: item.body,
            key,
        }))
    }

    /// The record at `key`, or the refusal `missing` makes.
    pub(crate) async fn require<T: DeserializeOwned>(
        &self,
        key: Key,
        missing: impl FnOnce() -> RegistryError,
    ) -> Result<Loaded<T>, ServiceError> {
        self.load(key).await?.ok_or_else(|| missing().into())
    }

    /// Applies a transaction; `false` when a condition failed (the caller reads again).
    pub(crate) async fn commit(&self, ops: Vec<WriteOp>) -> Result<bool, ServiceError> {
        match self.store.transact(ops).await {
            Ok(()) => {
                self.bump_auth_generation();
                self.notify_changed().await;
                Ok(true)
            }
            Err(thingcore::Error::TransactionCanceled { .. })
            | Err(thingcore::Error::ConditionFailed { .. }) => Ok(false),
            Err(error) => Err(ServiceError::Store(error)),
        }
    }

    /// One page of partition `pk`, sort keys starting with `prefix`.
    pub(crate) async fn page(
        &self,
        pk: &str,
        prefix: &str,
        limit: usize,
        token: Option<&str>,
    ) -> Result<Page, ServiceError> {
        let query = Query::partition(Table::Registry, pk)
            .prefix(prefix)
            .limit(limit)
            .start(token.map(PageToken::from_wire));
        Ok(self.store.query(&query).await?)
    }

    /// Whether partition `pk` has no item.
    pub(crate) async fn is_empty(&self, pk: &str) -> Result<bool, ServiceError> {
        let mut token: Option<String> = None;
        loop {
            let page = self.page(pk, "", 1, token.as_deref()).await?;
            if !page.items.is_empty() {
                return Ok(false);
            }
            match page.next {
                Some(next) => token = Some(next.as_str().to_string()),
                None => return Ok(true),
            }
        }
    }

    /// Every item of partition `pk`, at most `cap`.
    pub(crate) async fn gather(&self, pk: &str, cap: usize) -> Result<Vec<Item>, ServiceError> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.page(pk, "", GATHER_PAGE, token.as_deref()).await?;
            items.extend(page.items);
            if items.len() >= cap {
                items.truncate(cap);
                return Ok(items);
            }
            match page.next {
                Some(next) => token = Some(next.as_str().to_string()),
                None => return Ok(items),
            }
        }
    }

    /// The sort keys of every item of partition `pk`, at most `cap`.
    pub(crate) async fn gather_keys(
        &self,
        pk: &str,
        cap: usize,
    ) -> Result<Vec<String>, ServiceError> {
        Ok(self
            .gather(pk, cap)
            .await?
            .into_iter()
            .map(|item| item.key.sk)
            .collect())
    }

    /// One page of the sort keys of partition `pk` under `prefix`, as a list operation returns
    /// it: the names and the token of the next page.
    pub(crate) async fn key_page(
        &self,
        pk: &str,
        prefix: &str,
        max: usize,
        token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), ServiceError> {
        let page = self.page(pk, prefix, max, token).await?;
        let names = page.items.into_iter().map(|item| item.key.sk).collect();
        Ok((names, page.next.map(|t| t.as_str().to_string())))
    }

    /// Up to `max` records of partition `pk` that `keep` selects, reading on past records it
    /// leaves out; the token resumes after the last record returned.
    pub(crate) async fn filtered_page<T>(
        &self,
        pk: &str,
        prefix: &str,
        max: usize,
        token: Option<&str>,
        mut keep: impl FnMut(&Item) -> Result<Option<T>, ServiceError>,
    ) -> Result<(Vec<T>, Option<String>), ServiceError> {
        let mut out = Vec::new();
        let mut token = token.map(str::to_string);
        loop {
            let page = self.page(pk, prefix, max, token.as_deref()).await?;
            let count = page.items.len();
            for (index, item) in page.items.iter().enumerate() {
                if let Some(value) = keep(item)? {
                    out.push(value);
                    if out.len() == max {
                        let more = index + 1 < count || page.next.is_some();
                        let next =
                            more.then(|| PageToken::after(&item.key.sk).as_str().to_string());
                        return Ok((out, next));
                    }
                }
            }
            match page.next {
                Some(next) => token = Some(next.as_str().to_string()),
                None => return Ok((out, None)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathered_lists_page_by_name() {
        let names: Vec<String> = ["c", "a", "b", "a", "d"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (first, next) = page_of(names.clone(), 2, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first, ["a", "b"]);
        let next = next.unwrap_or_else(|| panic!("a token"));
        let (second, last) = page_of(names, 2, Some(&next)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (second.as_slice(), last),
            (&["c".to_string(), "d".to_string()][..], None)
        );
        assert!(page_of(vec![], 2, Some("garbage")).is_err());
    }

    #[test]
    fn markers_round_trip() {
        let token = PageToken::after("thing-1");
        let marker = to_marker(token.as_str());
        assert!(marker
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
        assert_eq!(from_marker(&marker).ok().as_deref(), Some(token.as_str()));
        assert!(from_marker("%%%").is_err());
    }
}
