//! The gateway's items in the Store (layout in `thingcore::gateway::index`): connections,
//! the subscription index and retained messages. A subscription change rewrites the
//! connection item (version-checked) and its index item in one transaction, so the two never
//! disagree and nothing is half-written.

use crate::error::GatewayError;
use std::sync::Arc;
use thingcore::gateway::index::{
    self, connection_key, retained_key, subscription_key, ConnectionRecord, RetainedRecord,
    SubscribeOutcome, SubscriptionRecord, RETAINED_PK,
};
use thingcore::mqtt::QoS;
use thingcore::store::{Expect, Key, PageToken, Put, Query, Store, Table, WriteOp};
use thingcore::topic::matches;

/// Attempts of a version-checked change before giving up with [`GatewayError::Contention`].
const ATTEMPTS: usize = 5;
/// Items read per page of the subscription index.
const PAGE: usize = 1000;

/// The gateway's view of the Store.
#[derive(Clone)]
pub struct GatewayRepo {
    store: Arc<dyn Store>,
    /// Seconds connection items live, or `None` for no expiry.
    ttl_secs: Option<u64>,
}

fn decode<T: serde::de::DeserializeOwned>(key: &Key, body: &[u8]) -> Result<T, GatewayError> {
    serde_json::from_slice(body).map_err(|source| GatewayError::Corrupt {
        key: key.to_string(),
        source,
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Records are plain structs of strings and numbers: serializing cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

impl GatewayRepo {
    /// A repository over `store`; connection items expire `ttl_secs` after `$connect`.
    pub fn new(store: Arc<dyn Store>, ttl_secs: Option<u64>) -> Self {
        Self { store, ttl_secs }
    }

    /// The Store underneath (for hosts and tests that inspect items).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn expiry(&self, record: &ConnectionRecord) -> Option<u64> {
        self.ttl_secs.map(|ttl| record.connected_at / 1000 + ttl)
    }

    fn put(&self, key: Key, body: Vec<u8>, expires_at: Option<u64>) -> Put {
        let put = Put::new(Table::Broker, key, body);
        match expires_at {
            Some(at) => put.expires_at(at),
            None => put,
        }
    }

    /// Records a new connection (replacing any earlier record of the same id).
    ///
    /// # Errors
    /// [`GatewayError::Store`].
    pub async fn put_connection(&self, record: &ConnectionRecord) -> Result<(), GatewayError> {
        let put = self.put(
            connection_key(&record.connection_id),
            encode(record),
            self.expiry(record),
        );
        self.store.put(put).await?;
        Ok(())
    }

    /// The connection's record and its version.
    ///
    /// # Errors
    /// [`GatewayError::UnknownConnection`], [`GatewayError::Corrupt`], [`GatewayError::Store`].
    pub async fn connection(
        &self,
        connection_id: &str,
    ) -> Result<(ConnectionRecord, u64), GatewayError> {
        if !index::valid_connection_id(connection_id) {
            return Err(GatewayError::InvalidConnectionId(connection_id.to_string()));
        }
        let key = connection_key(connection_id);
        let item = self
            .store
            .get(Table::Broker, &key)
            .await?
            .ok_or_else(|| GatewayError::UnknownConnection(connection_id.to_string()))?;
        Ok((decode(&key, &item.body)?, item.version))
    }

    /// Rewrites a connection's item if it is still at `version` (its refreshed rights);
    /// `false` when another change came first.
    ///
    /// # Errors
    /// [`GatewayError::Store`].
    pub async fn replace_connection(
        &self,
        record: &ConnectionRecord,
        version: u64,
    ) -> Result<bool, GatewayError> {
        let put = self
            .put(
                connection_key(&record.connection_id),
                encode(record),
                self.expiry(record),
            )
            .expect(Expect::Version(version));
        match self.store.put(put).await {
            Ok(_) => Ok(true),
            Err(thingcore::Error::ConditionFailed { .. }) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Deletes one subscription's index item, left behind by a connection whose item is gone.
    ///
    /// # Errors
    /// [`GatewayError::Store`].
    pub async fn remove_subscription_item(
        &self,
        connection_id: &str,
        filter: &str,
    ) -> Result<(), GatewayError> {
        self.store
            .delete(
                Table::Broker,
                &subscription_key(connection_id, filter),
                Expect::Any,
            )
            .await?;
        Ok(())
    }

    /// Subscribes the connection to `filter` (a valid filter), replacing the QoS of an
    /// existing subscription to it.
    ///
    /// # Errors
    /// [`GatewayError::UnknownConnection`], [`GatewayError::SubscriptionLimit`],
    /// [`GatewayError::Contention`], [`GatewayError::Store`].
    pub async fn subscribe(
        &self,
        connection_id: &str,
        filter: &str,
        qos: QoS,
        limit: usize,
    ) -> Result<SubscribeOutcome, GatewayError> {
        for _ in 0..ATTEMPTS {
            let (mut record, version) = self.connection(connection_id).await?;
            let outcome = record.subscribe(filter, qos, limit);
            if let SubscribeOutcome::LimitReached { limit } = outcome {
                return Err(GatewayError::SubscriptionLimit { limit });
            }
            let expires = self.expiry(&record);
            let index_record = SubscriptionRecord {
                connection_id: connection_id.to_string(),
                filter: filter.to_string(),
                qos: qos.as_u8(),
            };
            let ops = vec![
                WriteOp::Put(
                    self.put(connection_key(connection_id), encode(&record), expires)
                        .expect(Expect::Version(version)),
                ),
                WriteOp::Put(self.put(
                    subscription_key(connection_id, filter),
                    encode(&index_record),
                    expires,
                )),
            ];
            match self.store.transact(ops).await {
                Ok(()) => return Ok(outcome),
                Err(thingcore::Error::TransactionCanceled { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(GatewayError::Contention(connection_id.to_string()))
    }

    /// Removes the connection's subscription to `filter`; `false` when it had none.
    ///
    /// # Errors
    /// As [`GatewayRepo::subscribe`].
    pub async fn unsubscribe(
        &self,
        connection_id: &str,
        filter: &str,
    ) -> Result<bool, GatewayError> {
        for _ in 0..ATTEMPTS {
            let (mut record, version) = self.connection(connection_id).await?;
            if !record.unsubscribe(filter) {
                return Ok(false);
            }
            let expires = self.expiry(&record);
            let ops = vec![
                WriteOp::Put(
                    self.put(connection_key(connection_id), encode(&record), expires)
                        .expect(Expect::Version(version)),
                ),
                WriteOp::Delete {
                    table: Table::Broker,
                    key: subscription_key(connection_id, filter),
                    expect: Expect::Any,
                },
            ];
            match self.store.transact(ops).await {
                Ok(()) => return Ok(true),
                Err(thingcore::Error::TransactionCanceled { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(GatewayError::Contention(connection_id.to_string()))
    }

    /// Forgets a connection and its subscriptions, in one transaction. `false` when it was not
    /// known (already gone).
    ///
    /// # Errors
    /// [`GatewayError::Contention`], [`GatewayError::Store`].
    pub async fn remove_connection(&self, connection_id: &str) -> Result<bool, GatewayError> {
        for _ in 0..ATTEMPTS {
            let (record, version) = match self.connection(connection_id).await {
                Ok(found) => found,
                Err(GatewayError::UnknownConnection(_) | GatewayError::InvalidConnectionId(_)) => {
                    return Ok(false)
                }
                Err(error) => return Err(error),
            };
            let mut ops = vec![WriteOp::Delete {
                table: Table::Broker,
                key: connection_key(connection_id),
                expect: Expect::Version(version),
            }];
            // A connection has at most the broker's 50 subscriptions: well within one
            // transaction's 100 operations.
            ops.extend(record.subscriptions.iter().map(|s| WriteOp::Delete {
                table: Table::Broker,
                key: subscription_key(connection_id, &s.filter),
                expect: Expect::Any,
            }));
            match self.store.transact(ops).await {
                Ok(()) => return Ok(true),
                Err(thingcore::Error::TransactionCanceled { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(GatewayError::Contention(connection_id.to_string()))
    }

    /// Every subscription whose filter matches `topic` (a valid topic name), read from the
    /// partitions that can hold one.
    ///
    /// # Errors
    /// [`GatewayError::Store`], [`GatewayError::Corrupt`].
    pub async fn subscribers(&self, topic: &str) -> Result<Vec<SubscriptionRecord>, GatewayError> {
        let mut found = Vec::new();
        for partition in index::topic_partitions(topic) {
            let mut start: Option<PageToken> = None;
            loop {
                let query = Query::partition(Table::Broker, partition.clone())
                    .limit(PAGE)
                    .start(start.take());
                let page = self.store.query(&query).await?;
                for item in &page.items {
                    let record: SubscriptionRecord = decode(&item.key, &item.body)?;
                    if matches(&record.filter, topic) {
                        found.push(record);
                    }
                }
                match page.next {
                    Some(next) => start = Some(next),
                    None => break,
                }
            }
        }
        Ok(found)
    }

    /// Stores `record` as its topic's retained message, or clears it when the payload is empty.
    ///
    /// # Errors
    /// [`GatewayError::Store`].
    pub async fn set_retained(&self, record: &RetainedRecord) -> Result<(), GatewayError> {
        let key = retained_key(&record.topic);
        if record.payload.is_empty() {
            self.store.delete(Table::Broker, &key, Expect::Any).await?;
        } else {
            self.store.put(self.put(key, encode(record), None)).await?;
        }
        Ok(())
    }

    /// Retained messages whose topic matches `filter`, in topic order, at most `limit`.
    ///
    /// # Errors
    /// [`GatewayError::Store`], [`GatewayError::Corrupt`].
    pub async fn retained_matching(
        &self,
        filter: &str,
        limit: usize,
    ) -> Result<Vec<RetainedRecord>, GatewayError> {
        let prefix = index::retained_prefix(filter);
        // `a/#` also matches `a` itself, which sorts before `a/`.
        let prefix = if filter.ends_with("/#") {
            prefix.strip_suffix('/').unwrap_or(prefix)
        } else {
            prefix
        };
        let mut found = Vec::new();
        let mut start: Option<PageToken> = None;
        loop {
            let query = Query::partition(Table::Broker, RETAINED_PK)
                .prefix(prefix)
                .limit(PAGE)
                .start(start.take());
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let record: RetainedRecord = decode(&item.key, &item.body)?;
                if matches(filter, &record.topic) {
                    found.push(record);
                    if found.len() >= limit {
                        return Ok(found);
                    }
                }
            }
            match page.next {
                Some(next) => start = Some(next),
                None => return Ok(found),
            }
        }
    }
}
