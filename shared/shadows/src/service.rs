//! [`ShadowService`]: shadow operations over the Store port.
//!
//! Shadows live in the Store's shadows table: partition key the thing name, sort key
//! `classic` or `named#{shadow}`. An update reads the item, applies the request with the pure
//! rules of `thingcore::shadow`, and writes back on condition that the item is still at the
//! version it read; if another writer got there first, it reads again and re-applies, so no
//! accepted update is lost. A request that names a `version` gets 409 only when the shadow's
//! version really differs.

use serde_json::Value;
use std::sync::Arc;
use thingcore::shadow::{
    apply_delete, apply_update_request, get_response, validate_shadow_name, validate_thing_name,
    ShadowError, ShadowLimits, ShadowOperation, ShadowReply, ShadowTopic, StoredShadow,
    UpdateRequest,
};
use thingcore::store::{Expect, Item, Key, Put, Query, Store, Table};
use thingcore::{Clock, Error};

/// Sort key of the classic shadow.
pub const CLASSIC: &str = "classic";
/// Sort-key prefix of named shadows.
pub const NAMED_PREFIX: &str = "named#";
/// How often a write that lost a race is re-applied before giving up with 500.
const MAX_ATTEMPTS: usize = 200;

/// A message the service publishes (accepted, rejected, delta, documents).
#[derive(Debug, Clone, PartialEq)]
pub struct Outbound {
    /// Topic to publish on.
    pub topic: String,
    /// JSON payload.
    pub payload: Value,
}

/// Why an operation failed.
#[derive(Debug)]
pub enum ShadowFailure {
    /// The request was refused, with AWS's code and message.
    Rejected(ShadowError),
    /// The Store failed.
    Store(Error),
}

impl ShadowFailure {
    /// The error document AWS sends on `/rejected` or as the HTTP body.
    pub fn into_error(self) -> ShadowError {
        match self {
            ShadowFailure::Rejected(error) => error,
            ShadowFailure::Store(error) => {
                tracing::error!(%error, "shadow store failure");
                ShadowError::internal()
            }
        }
    }
}

impl From<ShadowError> for ShadowFailure {
    fn from(error: ShadowError) -> Self {
        ShadowFailure::Rejected(error)
    }
}

/// The result of an accepted update: the `/update/accepted` document and every message to
/// publish (accepted, documents, and delta when there is one).
#[derive(Debug)]
pub struct Updated {
    /// The `/update/accepted` document (also the HTTP response body).
    pub accepted: Value,
    /// The messages to publish.
    pub publish: Vec<Outbound>,
}

/// The Device Shadow service over a Store.
#[derive(Clone)]
pub struct ShadowService {
    store: Arc<dyn Store>,
    limits: ShadowLimits,
    clock: Arc<dyn Clock>,
}

fn key(thing: &str, shadow: Option<&str>) -> Key {
    match shadow {
        None => Key::new(thing, CLASSIC),
        Some(name) => Key::new(thing, format!("{NAMED_PREFIX}{name}")),
    }
}

fn topic_of(thing: &str, shadow: Option<&str>, operation: ShadowOperation) -> ShadowTopic {
    ShadowTopic {
        thing_name: thing.to_string(),
        shadow_name: shadow.map(str::to_string),
        operation,
    }
}

impl ShadowService {
    /// A service over `store` with AWS's limits.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self::with_limits(store, clock, ShadowLimits::default())
    }

    /// A service with other limits.
    pub fn with_limits(store: Arc<dyn Store>, clock: Arc<dyn Clock>, limits: ShadowLimits) -> Self {
        Self {
            store,
            limits,
            clock,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &ShadowLimits {
        &self.limits
    }

    fn check_names(&self, thing: &str, shadow: Option<&str>) -> Result<(), ShadowError> {
        validate_thing_name(thing, &self.limits)?;
        if let Some(name) = shadow {
            validate_shadow_name(name, &self.limits)?;
        }
        Ok(())
    }

    async fn read(&self, key: &Key) -> Result<Option<(StoredShadow, u64)>, ShadowFailure> {
        let Some(Item { body, version, .. }) = self
            .store
            .get(Table::Shadows, key)
            .await
            .map_err(ShadowFailure::Store)?
        else {
            return Ok(None);
        };
        let shadow: StoredShadow = serde_json::from_slice(&body).map_err(|e| {
            ShadowFailure::Store(Error::storage(format!("shadow {key} does not decode"), e))
        })?;
        Ok(Some((shadow, version)))
    }

    async fn write(
        &self,
        key: &Key,
        shadow: &StoredShadow,
        read_version: Option<u64>,
    ) -> Result<bool, ShadowFailure> {
        let body = serde_json::to_vec(shadow)
            .map_err(|e| ShadowFailure::Store(Error::storage("encoding a shadow", e)))?;
        let expect = read_version.map_or(Expect::Absent, Expect::Version);
        match self
            .store
            .put(Put::new(Table::Shadows, key.clone(), body).expect(expect))
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::ConditionFailed { .. }) => Ok(false),
            Err(error) => Err(ShadowFailure::Store(error)),
        }
    }

    /// UpdateThingShadow: applies `payload` (a request state document).
    ///
    /// # Errors
    /// AWS's 400/409/413 documents for bad requests, 500 when the Store fails.
    pub async fn update(
        &self,
        thing: &str,
        shadow: Option<&str>,
        payload: &[u8],
    ) -> Result<Updated, ShadowFailure> {
        self.check_names(thing, shadow)?;
        let request = UpdateRequest::parse(payload, &self.limits)?;
        let key = key(thing, shadow);
        for _ in 0..MAX_ATTEMPTS {
            let current = self.read(&key).await?;
            let now = self.clock.now_secs();
            let outcome = apply_update_request(
                current.as_ref().map(|(s, _)| s),
                &request,
                &self.limits,
                now,
            )?;
            if !self
                .write(&key, &outcome.stored, current.as_ref().map(|(_, v)| *v))
                .await?
            {
                continue;
            }
            let topic = topic_of(thing, shadow, ShadowOperation::Update);
            let mut publish = vec![
                Outbound {
                    topic: topic.reply_topic(ShadowReply::Accepted),
                    payload: outcome.accepted.clone(),
                },
                Outbound {
                    topic: topic.reply_topic(ShadowReply::Documents),
                    payload: outcome.documents,
                },
            ];
            if let Some(delta) = outcome.delta {
                publish.push(Outbound {
                    topic: topic.reply_topic(ShadowReply::Delta),
                    payload: delta,
                });
            }
            return Ok(Updated {
                accepted: outcome.accepted,
                publish,
            });
        }
        Err(ShadowFailure::Store(Error::Storage {
            message: format!("shadow {key}: too many concurrent writers"),
            source: None,
        }))
    }

    /// GetThingShadow: the document with `state.delta`, or 404.
    ///
    /// # Errors
    /// 400 for bad names, 404 when there is no shadow, 500 when the Store fails.
    pub async fn get(
        &self,
        thing: &str,
        shadow: Option<&str>,
        client_token: Option<&str>,
    ) -> Result<Value, ShadowFailure> {
        self.check_names(thing, shadow)?;
        let current = self.read(&key(thing, shadow)).await?;
        Ok(get_response(
            current.as_ref().map(|(s, _)| s),
            thing,
            shadow,
            client_token,
            self.clock.now_secs(),
        )?)
    }

    /// DeleteThingShadow: keeps a tombstone so the version continues, or 404.
    ///
    /// # Errors
    /// 400 for bad names, 404 when there is no shadow, 500 when the Store fails.
    pub async fn delete(
        &self,
        thing: &str,
        shadow: Option<&str>,
        client_token: Option<&str>,
    ) -> Result<Value, ShadowFailure> {
        self.check_names(thing, shadow)?;
        let key = key(thing, shadow);
        for _ in 0..MAX_ATTEMPTS {
            let current = self.read(&key).await?;
            let (tombstone, accepted) = apply_delete(
                current.as_ref().map(|(s, _)| s),
                thing,
                shadow,
                client_token,
                self.clock.now_secs(),
            )?;
            if self
                .write(&key, &tombstone, current.as_ref().map(|(_, v)| *v))
                .await?
            {
                return Ok(accepted);
            }
        }
        Err(ShadowFailure::Store(Error::Storage {
            message: format!("shadow {key}: too many concurrent writers"),
            source: None,
        }))
    }

    /// ListNamedShadowsForThing: names of the thing's live named shadows, a page at a time.
    ///
    /// # Errors
    /// 400 for a bad name, page size or token; 500 when the Store fails.
    pub async fn list_named(
        &self,
        thing: &str,
        next_token: Option<&str>,
        page_size: usize,
    ) -> Result<(Vec<String>, Option<String>), ShadowFailure> {
        self.check_names(thing, None)?;
        let query = Query::partition(Table::Shadows, thing)
            .prefix(NAMED_PREFIX)
            .limit(page_size)
            .start(next_token.map(thingcore::store::PageToken::from_wire));
        let page = match self.store.query(&query).await {
            Ok(page) => page,
            Err(Error::InvalidPageToken) => {
                return Err(ShadowError::new(400, "Invalid nextToken").into())
            }
            Err(Error::Invalid { reason, .. }) => return Err(ShadowError::new(400, reason).into()),
            Err(error) => return Err(ShadowFailure::Store(error)),
        };
        let mut names = Vec::with_capacity(page.items.len());
        for item in page.items {
            let live =
                serde_json::from_slice::<StoredShadow>(&item.body).is_ok_and(|s| s.is_live());
            if let (true, Some(name)) = (live, item.key.sk.strip_prefix(NAMED_PREFIX)) {
                names.push(name.to_string());
            }
        }
        Ok((names, page.next.map(|t| t.as_str().to_string())))
    }

    /// The clock's seconds, for error documents.
    pub fn now_secs(&self) -> u64 {
        self.clock.now_secs()
    }
}
