//! Typed access to the Store: records read with their Store version, the write operations a
//! transaction is made of, the retry loop around a decision, and pages of one partition.
//!
//! Every change that adds something under an entity (a key, a member, an attachment, an
//! inline policy) rewrites the entity's record on condition that it is still as read, and
//! every delete of an entity deletes it on that condition: a delete racing an addition fails
//! its condition, reads again and sees the addition (`DeleteConflict`), never leaving a
//! half-linked record.

use crate::error::{Result, ServiceError};
use crate::{IamService, Listed, Paging};
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use thingcore::iam::{names, IamError};
use thingcore::store::{Expect, Item, Key, PageToken, Put, Query, Table, WriteOp};

/// How often an operation that lost a race is tried again.
const MAX_ATTEMPTS: usize = 50;

/// A record as read, with its Store version.
#[derive(Debug, Clone)]
pub(crate) struct Loaded<T> {
    /// Its key.
    pub key: Key,
    /// The decoded record.
    pub value: T,
    /// The Store version it was read at.
    pub version: u64,
}

/// Decodes an item's body.
pub(crate) fn decode<T: DeserializeOwned>(item: &Item) -> Result<T> {
    serde_json::from_slice(&item.body).map_err(|source| ServiceError::Corrupt {
        key: item.key.to_string(),
        source,
    })
}

/// A write of `value` at `key` on condition `expect`.
pub(crate) fn put<T: Serialize>(key: Key, value: &T, expect: Expect) -> Result<WriteOp> {
    let body = serde_json::to_vec(value).map_err(|source| ServiceError::Corrupt {
        key: key.to_string(),
        source,
    })?;
    Ok(WriteOp::Put(
        Put::new(Table::Registry, key, body).expect(expect),
    ))
}

/// A write of `value` over a record read as `loaded`.
pub(crate) fn replace<T, U: Serialize>(loaded: &Loaded<T>, value: &U) -> Result<WriteOp> {
    put(loaded.key.clone(), value, Expect::Version(loaded.version))
}

/// Rewrites a record unchanged, on condition that it is still as read.
pub(crate) fn touch<T: Serialize>(loaded: &Loaded<T>) -> Result<WriteOp> {
    replace(loaded, &loaded.value)
}

/// Deletes a record on condition that it is still as read.
pub(crate) fn delete<T>(loaded: &Loaded<T>) -> WriteOp {
    WriteOp::Delete {
        table: Table::Registry,
        key: loaded.key.clone(),
        expect: Expect::Version(loaded.version),
    }
}

/// The removal of an item, present or not.
pub(crate) fn unlink(key: Key) -> WriteOp {
    WriteOp::Delete {
        table: Table::Registry,
        key,
        expect: Expect::Any,
    }
}

/// What a decision made of what it read: writes to commit and the answer they give.
pub(crate) type Decided<T> = (Vec<WriteOp>, T);

impl IamService {
    /// The record at `key`, if any.
    pub(crate) async fn load<T: DeserializeOwned>(&self, key: Key) -> Result<Option<Loaded<T>>> {
        let Some(item) = self.store.get(Table::Registry, &key).await? else {
            return Ok(None);
        };
        Ok(Some(Loaded {
            value: decode(&item)?,
            version: item.version,
            key,
        }))
    }

    /// The record at `key`, or `NoSuchEntity` with `message`.
    pub(crate) async fn require<T: DeserializeOwned>(
        &self,
        key: Key,
        message: impl FnOnce() -> String,
    ) -> Result<Loaded<T>> {
        self.load(key)
            .await?
            .ok_or_else(|| IamError::NoSuchEntity(message()).into())
    }

    /// Runs `decide` (read, decide, build a transaction) until its transaction commits,
    /// reading again after a lost race. An empty transaction commits nothing.
    pub(crate) async fn retry<T, F, Fut>(&self, what: &str, mut decide: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Decided<T>>>,
    {
        for _ in 0..MAX_ATTEMPTS {
            let (ops, answer) = decide().await?;
            if ops.is_empty() {
                return Ok(answer);
            }
            match self.store.transact(ops).await {
                Ok(()) => return Ok(answer),
                Err(thingcore::Error::TransactionCanceled { .. })
                | Err(thingcore::Error::ConditionFailed { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Contention(what.to_string()))
    }

    /// Whether partition `pk` holds any item.
    pub(crate) async fn has_any(&self, pk: &str) -> Result<bool> {
        let mut token = None;
        loop {
            let query = Query::partition(Table::Registry, pk).limit(1).start(token);
            let page = self.store.query(&query).await?;
            if !page.items.is_empty() {
                return Ok(true);
            }
            match page.next {
                Some(next) => token = Some(next),
                None => return Ok(false),
            }
        }
    }

    /// Every record of partition `pk` (relations of one entity: small).
    pub(crate) async fn all<T: DeserializeOwned>(&self, pk: &str) -> Result<Vec<(Key, T)>> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let query = Query::partition(Table::Registry, pk)
                .limit(1000)
                .start(token);
            let page = self.store.query(&query).await?;
            for item in &page.items {
                out.push((item.key.clone(), decode(item)?));
            }
            match page.next {
                Some(next) => token = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// One page of partition `pk` as a List call returns it: up to `MaxItems` records that
    /// `keep` selects, and the `Marker` after the last when more may follow.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        pk: &str,
        paging: &Paging,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Listed<T>> {
        let max = names::max_items(paging.max_items)?;
        let mut token = paging.marker.as_deref().map(from_marker).transpose()?;
        let mut items: Vec<(String, T)> = Vec::new();
        loop {
            let query = Query::partition(Table::Registry, pk)
                .limit(max + 1)
                .start(token.take());
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let value: T = decode(item)?;
                if !keep(&value) {
                    continue;
                }
                if items.len() == max {
                    let marker = items.last().map(|(sk, _)| to_marker(&PageToken::after(sk)));
                    return Ok(Listed {
                        items: items.into_iter().map(|(_, v)| v).collect(),
                        marker,
                    });
                }
                items.push((item.key.sk.clone(), value));
            }
            match page.next {
                Some(next) => token = Some(next),
                None => {
                    return Ok(Listed {
                        items: items.into_iter().map(|(_, v)| v).collect(),
                        marker: None,
                    })
                }
            }
        }
    }
}

/// A `Marker` for a page token (standard base64, as IAM's markers look).
pub(crate) fn to_marker(token: &PageToken) -> String {
    base64::engine::general_purpose::STANDARD.encode(token.as_str())
}

/// The page token inside a `Marker`.
fn from_marker(marker: &str) -> Result<PageToken> {
    base64::engine::general_purpose::STANDARD
        .decode(marker)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(PageToken::from_wire)
        .ok_or_else(|| IamError::Validation("Invalid Marker".into()).into())
}
