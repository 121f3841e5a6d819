//! [`DynamoStore`]: the Store port on DynamoDB, with the port's conditions as DynamoDB
//! condition expressions so that every check-and-write is one atomic request.
//!
//! Expiry: DynamoDB deletes expired items lazily (within days), so every read filters on
//! `exp` against the injected clock and every condition treats an expired item as absent.

use crate::tables::{TableNames, BODY, EXPIRES, PK, SK, VERSION};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, ReturnValue, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::sync::Arc;
use thingcore::store::{
    validate_transaction, Expect, Item, Key, Page, PageToken, Put, Query, Store, Table, WriteOp,
};
use thingcore::{Clock, Error, Result, SystemClock};

type Attributes = HashMap<String, AttributeValue>;

/// Condition: the item is absent, or present but expired.
const ABSENT: &str = "attribute_not_exists(#pk) OR #exp <= :now";
/// Condition: the item is present and live.
const LIVE: &str = "attribute_exists(#pk) AND (attribute_not_exists(#exp) OR #exp > :now)";
/// Condition: the item is present, live, and at version `:expected`.
const AT_VERSION: &str = "#ver = :expected AND (attribute_not_exists(#exp) OR #exp > :now)";
/// Condition that always holds (ConditionCheck requires one).
const ANYTHING: &str = "attribute_exists(#pk) OR attribute_not_exists(#pk)";

/// How often an unconditional put retries when the item appears or vanishes under it.
const PUT_ANY_ATTEMPTS: usize = 16;

/// The Store on DynamoDB tables named by [`TableNames`].
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    names: TableNames,
    clock: Arc<dyn Clock>,
}

impl DynamoStore {
    /// A store over existing tables, judging expiry by the system clock.
    pub fn new(client: Client, names: TableNames) -> Self {
        Self::with_clock(client, names, Arc::new(SystemClock))
    }

    /// A store with an injected clock.
    pub fn with_clock(client: Client, names: TableNames, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            names,
            clock,
        }
    }

    /// The SDK client, for creating or checking tables.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table names in use.
    pub fn names(&self) -> &TableNames {
        &self.names
    }

    fn now(&self) -> AttributeValue {
        AttributeValue::N(self.clock.now_secs().to_string())
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key_attributes(key: &Key) -> Attributes {
    HashMap::from([(PK.to_string(), s(&key.pk)), (SK.to_string(), s(&key.sk))])
}

/// The `#name` placeholders every expression here may use.
fn names_for(expression: &str) -> HashMap<String, String> {
    [
        ("#pk", PK),
        ("#body", BODY),
        ("#ver", VERSION),
        ("#exp", EXPIRES),
    ]
    .into_iter()
    .filter(|(placeholder, _)| expression.contains(placeholder))
    .map(|(placeholder, name)| (placeholder.to_string(), name.to_string()))
    .collect()
}

/// The condition expression (and its `:expected` value) for an expectation.
fn condition(expect: Expect) -> (&'static str, Option<AttributeValue>) {
    match expect {
        Expect::Any => (ANYTHING, None),
        Expect::Absent => (ABSENT, None),
        Expect::Version(version) => (AT_VERSION, Some(n(version))),
    }
}

/// An update expression that writes body and expiry and sets or bumps the version.
fn update_expression(put: &Put, bump: bool) -> String {
    let version = if bump { "" } else { ", #ver = :next" };
    let expiry = if put.expires_at.is_some() {
        ", #exp = :exp"
    } else {
        " REMOVE #exp"
    };
    let add = if bump { " ADD #ver :one" } else { "" };
    format!("SET #body = :body{version}{expiry}{add}")
}

fn put_values(put: &Put) -> Attributes {
    let mut values = HashMap::from([(
        ":body".to_string(),
        AttributeValue::B(Blob::new(put.body.clone())),
    )]);
    if let Some(at) = put.expires_at {
        values.insert(":exp".into(), n(at));
    }
    values
}

fn full_item(put: &Put, version: u64) -> Attributes {
    let mut item = key_attributes(&put.key);
    item.insert(BODY.into(), AttributeValue::B(Blob::new(put.body.clone())));
    item.insert(VERSION.into(), n(version));
    if let Some(at) = put.expires_at {
        item.insert(EXPIRES.into(), n(at));
    }
    item
}

fn malformed(what: &str) -> Error {
    Error::Storage {
        message: format!("dynamodb: malformed item ({what})"),
        source: None,
    }
}

fn number(attributes: &Attributes, name: &str) -> Result<Option<u64>> {
    match attributes.get(name) {
        None => Ok(None),
        Some(AttributeValue::N(text)) => text
            .parse()
            .map(Some)
            .map_err(|_| malformed(&format!("{name} is not a whole number"))),
        Some(_) => Err(malformed(&format!("{name} is not a number"))),
    }
}

/// The port's item from DynamoDB's attribute map.
fn item_from(mut attributes: Attributes) -> Result<Item> {
    let text = |attributes: &mut Attributes, name: &str| match attributes.remove(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(malformed(&format!("{name} missing or not a string"))),
    };
    let pk = text(&mut attributes, PK)?;
    let sk = text(&mut attributes, SK)?;
    let version = number(&attributes, VERSION)?.ok_or_else(|| malformed("no version"))?;
    let expires_at = number(&attributes, EXPIRES)?;
    let body = match attributes.remove(BODY) {
        Some(AttributeValue::B(blob)) => blob.into_inner(),
        _ => return Err(malformed("body missing or not binary")),
    };
    Ok(Item {
        key: Key::new(pk, sk),
        body,
        version,
        expires_at,
    })
}

fn live(attributes: &Attributes, now_secs: u64) -> Result<bool> {
    Ok(thingcore::store::is_live(
        number(attributes, EXPIRES)?,
        now_secs,
    ))
}

fn is_condition_failure<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

fn sdk_error<E, R>(operation: &str, error: SdkError<E, R>) -> Error
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    Error::storage(
        format!("dynamodb {operation}: {}", DisplayErrorContext(&error)),
        error,
    )
}

/// The index of the operation that canceled a transaction, from DynamoDB's reasons.
fn canceled_index(error: &TransactWriteItemsError) -> Option<usize> {
    let TransactWriteItemsError::TransactionCanceledException(canceled) = error else {
        return None;
    };
    let reasons = canceled.cancellation_reasons();
    reasons
        .iter()
        .position(|r| r.code() == Some("ConditionalCheckFailed"))
        .or_else(|| {
            reasons
                .iter()
                .position(|r| r.code().is_some_and(|c| c != "None"))
        })
        .or(Some(0))
}

impl DynamoStore {
    async fn put_any(&self, put: &Put) -> Result<u64> {
        let table = self.names.name(put.table);
        for _ in 0..PUT_ANY_ATTEMPTS {
            // Most writes replace a live item: bump its version in place.
            let expression = update_expression(put, true);
            let mut values = put_values(put);
            values.insert(":one".into(), n(1));
            values.insert(":now".into(), self.now());
            let result = self
                .client
                .update_item()
                .table_name(&table)
                .set_key(Some(key_attributes(&put.key)))
                .update_expression(&expression)
                .condition_expression(LIVE)
                .set_expression_attribute_names(Some(names_for(&format!("{expression} {LIVE}"))))
                .set_expression_attribute_values(Some(values))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await;
            match result {
                Ok(output) => {
                    let attributes = output.attributes.unwrap_or_default();
                    return number(&attributes, VERSION)?.ok_or_else(|| malformed("no version"));
                }
                Err(error) if is_condition_failure(&error) => {}
                Err(error) => return Err(sdk_error("UpdateItem", error)),
            }
            // No live item: create one at version 1, unless one appeared meanwhile.
            match self.put_absent(put).await {
                Ok(version) => return Ok(version),
                Err(Error::ConditionFailed { .. }) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(Error::Storage {
            message: format!("dynamodb: unconditional put of {} kept racing", put.key),
            source: None,
        })
    }

    async fn put_absent(&self, put: &Put) -> Result<u64> {
        let result = self
            .client
            .put_item()
            .table_name(self.names.name(put.table))
            .set_item(Some(full_item(put, 1)))
            .condition_expression(ABSENT)
            .set_expression_attribute_names(Some(names_for(ABSENT)))
            .expression_attribute_values(":now", self.now())
            .send()
            .await;
        match result {
            Ok(_) => Ok(1),
            Err(error) if is_condition_failure(&error) => Err(Error::ConditionFailed {
                table: put.table,
                key: put.key.clone(),
            }),
            Err(error) => Err(sdk_error("PutItem", error)),
        }
    }

    async fn put_at_version(&self, put: &Put, expected: u64) -> Result<u64> {
        let expression = update_expression(put, false);
        let mut values = put_values(put);
        values.insert(":next".into(), n(expected + 1));
        values.insert(":expected".into(), n(expected));
        values.insert(":now".into(), self.now());
        let result = self
            .client
            .update_item()
            .table_name(self.names.name(put.table))
            .set_key(Some(key_attributes(&put.key)))
            .update_expression(&expression)
            .condition_expression(AT_VERSION)
            .set_expression_attribute_names(Some(names_for(&format!("{expression} {AT_VERSION}"))))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match result {
            Ok(_) => Ok(expected + 1),
            Err(error) if is_condition_failure(&error) => Err(Error::ConditionFailed {
                table: put.table,
                key: put.key.clone(),
            }),
            Err(error) => Err(sdk_error("UpdateItem", error)),
        }
    }

    fn transact_item(&self, op: WriteOp) -> Result<TransactWriteItem> {
        let now = self.now();
        let build_error = |e: aws_sdk_dynamodb::error::BuildError| {
            Error::storage("dynamodb: building a transaction", e)
        };
        let item = match op {
            WriteOp::Put(put) => {
                let table = self.names.name(put.table);
                match put.expect {
                    Expect::Absent => {
                        let put_op = aws_sdk_dynamodb::types::Put::builder()
                            .table_name(table)
                            .set_item(Some(full_item(&put, 1)))
                            .condition_expression(ABSENT)
                            .set_expression_attribute_names(Some(names_for(ABSENT)))
                            .expression_attribute_values(":now", now)
                            .build()
                            .map_err(build_error)?;
                        TransactWriteItem::builder().put(put_op).build()
                    }
                    Expect::Version(expected) => {
                        let expression = update_expression(&put, false);
                        let mut values = put_values(&put);
                        values.insert(":next".into(), n(expected + 1));
                        values.insert(":expected".into(), n(expected));
                        values.insert(":now".into(), now);
                        let update = Update::builder()
                            .table_name(table)
                            .set_key(Some(key_attributes(&put.key)))
                            .update_expression(&expression)
                            .condition_expression(AT_VERSION)
                            .set_expression_attribute_names(Some(names_for(&format!(
                                "{expression} {AT_VERSION}"
                            ))))
                            .set_expression_attribute_values(Some(values))
                            .build()
                            .map_err(build_error)?;
                        TransactWriteItem::builder().update(update).build()
                    }
                    Expect::Any => {
                        // Inside a transaction the version is bumped in place; an expired item
                        // left behind by TTL continues its count rather than restarting at 1.
                        let expression = update_expression(&put, true);
                        let mut values = put_values(&put);
                        values.insert(":one".into(), n(1));
                        let update = Update::builder()
                            .table_name(table)
                            .set_key(Some(key_attributes(&put.key)))
                            .update_expression(&expression)
                            .set_expression_attribute_names(Some(names_for(&expression)))
                            .set_expression_attribute_values(Some(values))
                            .build()
                            .map_err(build_error)?;
                        TransactWriteItem::builder().update(update).build()
                    }
                }
            }
            WriteOp::Delete { table, key, expect } => {
                let mut delete = Delete::builder()
                    .table_name(self.names.name(table))
                    .set_key(Some(key_attributes(&key)));
                if expect != Expect::Any {
                    let (expression, expected) = condition(expect);
                    delete = delete
                        .condition_expression(expression)
                        .set_expression_attribute_names(Some(names_for(expression)))
                        .set_expression_attribute_values(Some(condition_values(now, expected)));
                }
                TransactWriteItem::builder()
                    .delete(delete.build().map_err(build_error)?)
                    .build()
            }
            WriteOp::Check { table, key, expect } => {
                let (expression, expected) = condition(expect);
                let check = ConditionCheck::builder()
                    .table_name(self.names.name(table))
                    .set_key(Some(key_attributes(&key)))
                    .condition_expression(expression)
                    .set_expression_attribute_names(Some(names_for(expression)))
                    .set_expression_attribute_values(non_empty(
                        condition_values(now, expected),
                        expression,
                    ))
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().condition_check(check).build()
            }
        };
        Ok(item)
    }
}

fn condition_values(now: AttributeValue, expected: Option<AttributeValue>) -> Attributes {
    let mut values = HashMap::from([(":now".to_string(), now)]);
    if let Some(expected) = expected {
        values.insert(":expected".into(), expected);
    }
    values
}

/// DynamoDB refuses values an expression does not use; `ANYTHING` uses none.
fn non_empty(values: Attributes, expression: &str) -> Option<Attributes> {
    let used: Attributes = values
        .into_iter()
        .filter(|(name, _)| expression.contains(name.as_str()))
        .collect();
    (!used.is_empty()).then_some(used)
}

#[async_trait::async_trait]
impl Store for DynamoStore {
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>> {
        key.validate()?;
        let output = self
            .client
            .get_item()
            .table_name(self.names.name(table))
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        match output.item {
            Some(attributes) if live(&attributes, self.clock.now_secs())? => {
                item_from(attributes).map(Some)
            }
            _ => Ok(None),
        }
    }

    async fn put(&self, put: Put) -> Result<u64> {
        put.validate()?;
        match put.expect {
            Expect::Any => self.put_any(&put).await,
            Expect::Absent => self.put_absent(&put).await,
            Expect::Version(expected) => self.put_at_version(&put, expected).await,
        }
    }

    async fn delete(&self, table: Table, key: &Key, expect: Expect) -> Result<bool> {
        key.validate()?;
        let mut request = self
            .client
            .delete_item()
            .table_name(self.names.name(table))
            .set_key(Some(key_attributes(key)))
            .return_values(ReturnValue::AllOld);
        if expect != Expect::Any {
            let (expression, expected) = condition(expect);
            request = request
                .condition_expression(expression)
                .set_expression_attribute_names(Some(names_for(expression)))
                .set_expression_attribute_values(Some(condition_values(self.now(), expected)));
        }
        match request.send().await {
            Ok(output) => match output.attributes {
                Some(old) => live(&old, self.clock.now_secs()),
                None => Ok(false),
            },
            Err(error) if is_condition_failure(&error) => Err(Error::ConditionFailed {
                table,
                key: key.clone(),
            }),
            Err(error) => Err(sdk_error("DeleteItem", error)),
        }
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        let after = query.validate()?;
        let key_condition = if query.sk_prefix.is_empty() {
            "#pk = :pk"
        } else {
            "#pk = :pk AND begins_with(#sk, :prefix)"
        };
        let filter = "attribute_not_exists(#exp) OR #exp > :now";
        let mut names = names_for(filter);
        names.insert("#pk".into(), PK.into());
        if !query.sk_prefix.is_empty() {
            names.insert("#sk".into(), SK.into());
        }
        let mut values = HashMap::from([
            (":pk".to_string(), s(&query.pk)),
            (":now".to_string(), self.now()),
        ]);
        if !query.sk_prefix.is_empty() {
            values.insert(":prefix".into(), s(&query.sk_prefix));
        }
        let mut start = after.map(|sk| key_attributes(&Key::new(query.pk.clone(), sk)));
        let mut items = Vec::new();
        // DynamoDB's Limit counts items before the expiry filter; ask again until the page is
        // full or the partition ends, so pages are as full as the other adapters'.
        loop {
            let output = self
                .client
                .query()
                .table_name(self.names.name(query.table))
                .key_condition_expression(key_condition)
                .filter_expression(filter)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .set_exclusive_start_key(start.take())
                .limit((query.limit - items.len()) as i32)
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            for attributes in output.items.unwrap_or_default() {
                items.push(item_from(attributes)?);
            }
            let last = output.last_evaluated_key;
            match last {
                Some(last) if items.len() < query.limit => start = Some(last),
                Some(last) => {
                    let sk = match last.get(SK) {
                        Some(AttributeValue::S(sk)) => sk.clone(),
                        _ => return Err(malformed("LastEvaluatedKey without sk")),
                    };
                    return Ok(Page {
                        items,
                        next: Some(PageToken::after(&sk)),
                    });
                }
                None => return Ok(Page { items, next: None }),
            }
        }
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<()> {
        validate_transaction(&ops)?;
        let items = ops
            .into_iter()
            .map(|op| self.transact_item(op))
            .collect::<Result<Vec<_>>>()?;
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => match error.as_service_error().and_then(canceled_index) {
                Some(index) => Err(Error::TransactionCanceled { index }),
                None => Err(sdk_error("TransactWriteItems", error)),
            },
        }
    }

    async fn flush(&self) -> Result<()> {
        // Every acknowledged write is already durable in DynamoDB.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_expressions_cover_expiry_and_versioning() {
        let put = Put::new(Table::Broker, Key::new("p", "s"), b"x".to_vec());
        assert_eq!(
            update_expression(&put, true),
            "SET #body = :body REMOVE #exp ADD #ver :one"
        );
        let expiring = put.clone().expires_at(10);
        assert_eq!(
            update_expression(&expiring, false),
            "SET #body = :body, #ver = :next, #exp = :exp"
        );
    }

    #[test]
    fn only_used_placeholders_are_sent() {
        let names = names_for(ABSENT);
        assert_eq!(names.len(), 2);
        assert_eq!(names.get("#pk").map(String::as_str), Some(PK));
        assert_eq!(names.get("#exp").map(String::as_str), Some(EXPIRES));
    }

    #[test]
    fn items_with_wrong_types_are_storage_errors() {
        let mut attributes = key_attributes(&Key::new("p", "s"));
        attributes.insert(VERSION.into(), AttributeValue::S("1".into()));
        attributes.insert(BODY.into(), AttributeValue::B(Blob::new(vec![1])));
        assert!(matches!(item_from(attributes), Err(Error::Storage { .. })));
    }
}
