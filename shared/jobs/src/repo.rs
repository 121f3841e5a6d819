//! Typed access to the Store: records read with their Store version, the writes a transaction
//! is made of, and paginated reads of one partition. Every multi-record change is one
//! `transact` conditional on the versions read; an operation that loses a race reads again and
//! decides again, at most [`MAX_ATTEMPTS`] times.

use crate::error::ServiceError;
use crate::keys;
use crate::JobsService;
use serde::de::DeserializeOwned;
use serde::Serialize;
use thingcore::jobs::StoredJobExecution;
use thingcore::store::{Expect, Item, Key, PageToken, Put, Query, Table, WriteOp};

/// How often an operation that lost a race is tried again.
pub(crate) const MAX_ATTEMPTS: usize = 50;
/// Items read per Store page when a whole partition is gathered.
const GATHER_PAGE: usize = 1000;
/// Executions written per transaction (two operations each, under the Store's 100).
pub(crate) const EXECUTIONS_PER_TRANSACTION: usize = 45;

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

/// Deletes a record on condition `expect`.
pub(crate) fn delete(key: Key, expect: Expect) -> WriteOp {
    WriteOp::Delete {
        table: Table::Registry,
        key,
        expect,
    }
}

/// Both sides of an execution: the job side on condition `expect`, the thing side as it is.
pub(crate) fn put_execution(
    execution: &StoredJobExecution,
    expect: Expect,
) -> Result<[WriteOp; 2], ServiceError> {
    let job_id = execution.job_id.as_str();
    let thing = execution.thing_name.as_str();
    Ok([
        put(keys::execution(job_id, thing), execution, expect)?,
        put(keys::thing_execution(thing, job_id), execution, Expect::Any)?,
    ])
}

/// The removal of both sides of an execution, the job side on condition `expect`.
pub(crate) fn delete_execution(execution: &StoredJobExecution, expect: Expect) -> [WriteOp; 2] {
    let job_id = execution.job_id.as_str();
    let thing = execution.thing_name.as_str();
    [
        delete(keys::execution(job_id, thing), expect),
        delete(keys::thing_execution(thing, job_id), Expect::Any),
    ]
}

impl JobsService {
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
            key,
        }))
    }

    /// Applies a transaction; `false` when a condition failed (the caller reads again).
    pub(crate) async fn commit(&self, ops: Vec<WriteOp>) -> Result<bool, ServiceError> {
        match self.store.transact(ops).await {
            Ok(()) => Ok(true),
            Err(thingcore::Error::TransactionCanceled { .. })
            | Err(thingcore::Error::ConditionFailed { .. }) => Ok(false),
            Err(error) => Err(ServiceError::Store(error)),
        }
    }

    /// Every record of partition `pk`, with versions.
    pub(crate) async fn gather<T: DeserializeOwned>(
        &self,
        pk: &str,
    ) -> Result<Vec<Loaded<T>>, ServiceError> {
        let mut out = Vec::new();
        let mut token: Option<PageToken> = None;
        loop {
            let query = Query::partition(Table::Registry, pk)
                .limit(GATHER_PAGE)
                .start(token.take());
            let page = self.store.query(&query).await?;
            for item in &page.items {
                out.push(Loaded {
                    value: decode(item)?,
                    version: item.version,
                    key: item.key.clone(),
                });
            }
            match page.next {
                Some(next) => token = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// Up to `max` records of partition `pk` that `keep` selects (and shapes), reading on past
    /// the records it leaves out; the token resumes after the last record returned.
    pub(crate) async fn filtered_page<T: DeserializeOwned, U>(
        &self,
        pk: &str,
        max: usize,
        token: Option<&str>,
        mut keep: impl FnMut(T) -> Option<U>,
    ) -> Result<(Vec<U>, Option<String>), ServiceError> {
        let mut out = Vec::new();
        let mut token = token.map(PageToken::from_wire);
        loop {
            let query = Query::partition(Table::Registry, pk)
                .limit(max)
                .start(token.take());
            let page = self.store.query(&query).await?;
            let count = page.items.len();
            for (index, item) in page.items.iter().enumerate() {
                if let Some(value) = keep(decode(item)?) {
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
                Some(next) => token = Some(next),
                None => return Ok((out, None)),
            }
        }
    }
}
