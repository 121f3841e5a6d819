//! [`AwsSqlFunctions`]: the IoT SQL functions that call AWS services, `aws_lambda(functionArn,
//! inputJson)` (a synchronous Invoke through [`LambdaInvoker`]) and `get_dynamodb(tableName,
//! partitionKeyName, partitionKeyValue[, sortKeyName, sortKeyValue], roleArn)` (a strongly
//! consistent GetItem). The rules engine resolves them between evaluation passes; this module
//! only moves bytes and converts DynamoDB items to JSON ([`item_json`]).
//!
//! Choices: the role ARN is not assumed (the SDK's own credentials are used); a key value that
//! is a SQL string is a DynamoDB `S`, a number an `N`; an item that does not exist is `None`
//! (the SQL's `Undefined`).

use crate::error::AwsError;
use crate::lambda::LambdaInvoker;
use crate::sinks::{LazyClient, SinkConfig};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use serde_json::Value;
use std::collections::HashMap;

/// `aws_lambda()` and `get_dynamodb()` on the SDK configuration of the sinks.
#[derive(Debug)]
pub struct AwsSqlFunctions {
    lambda: LambdaInvoker,
    dynamodb: LazyClient<aws_sdk_dynamodb::Client>,
}

impl AwsSqlFunctions {
    /// Functions whose clients are made from `config` on first use.
    pub fn new(config: SinkConfig) -> Self {
        Self {
            lambda: LambdaInvoker::new(config.clone()),
            dynamodb: LazyClient::new(config),
        }
    }

    /// `aws_lambda(functionArn, inputJson)`: the function's JSON answer.
    ///
    /// # Errors
    /// As [`LambdaInvoker::invoke_json`].
    pub async fn aws_lambda(&self, function_arn: &str, input: &Value) -> Result<Value, AwsError> {
        self.lambda.invoke_json(function_arn, input).await
    }

    /// `get_dynamodb(...)`: the item of `table` whose partition key `partition.0` is
    /// `partition.1` (and sort key `sort.0` is `sort.1`), as JSON; `None` when there is none.
    ///
    /// # Errors
    /// [`AwsError::GetItemFailed`] when DynamoDB refuses (no such table, a wrong key schema)
    /// or cannot be reached; [`AwsError::InvalidKey`] for a key value that is neither a string
    /// nor a number.
    pub async fn get_dynamodb(
        &self,
        table: &str,
        partition: (&str, &Value),
        sort: Option<(&str, &Value)>,
    ) -> Result<Option<Value>, AwsError> {
        let mut key = HashMap::new();
        for (name, value) in std::iter::once(partition).chain(sort) {
            key.insert(name.to_owned(), key_attribute(name, value)?);
        }
        let client = self.dynamodb.get(aws_sdk_dynamodb::Client::new).await;
        let output = client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| AwsError::GetItemFailed {
                table: table.to_owned(),
                message: match (error.code(), error.message()) {
                    (Some(code), Some(message)) => format!("{code}: {message}"),
                    (Some(code), None) => code.to_owned(),
                    _ => DisplayErrorContext(&error).to_string(),
                },
            })?;
        Ok(output.item.as_ref().map(item_json))
    }
}

/// A key value from SQL: a string is `S`, a number `N`.
fn key_attribute(name: &str, value: &Value) -> Result<AttributeValue, AwsError> {
    match value {
        Value::String(s) => Ok(AttributeValue::S(s.clone())),
        Value::Number(n) => Ok(AttributeValue::N(n.to_string())),
        other => Err(AwsError::InvalidKey {
            name: name.to_owned(),
            reason: format!("{other} is neither a string nor a number"),
        }),
    }
}

/// A DynamoDB item as a JSON object: `S` a string, `N` a number, `BOOL`, `NULL`, `M` an object,
/// `L` a list, string and number sets lists, binaries (and binary sets) base64 strings.
pub fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), attribute_json(value)))
            .collect(),
    )
}

fn number(text: &str) -> Value {
    serde_json::from_str::<serde_json::Number>(text)
        .map_or_else(|_| Value::String(text.to_owned()), Value::Number)
}

fn attribute_json(value: &AttributeValue) -> Value {
    let b64 = |bytes: &[u8]| Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::M(members) => item_json(members),
        AttributeValue::L(items) => Value::Array(items.iter().map(attribute_json).collect()),
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        AttributeValue::Ns(items) => Value::Array(items.iter().map(|n| number(n)).collect()),
        AttributeValue::B(blob) => b64(blob.as_ref()),
        AttributeValue::Bs(blobs) => Value::Array(blobs.iter().map(|b| b64(b.as_ref())).collect()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::primitives::Blob;
    use serde_json::json;

    #[test]
    fn items_become_json() {
        let item = HashMap::from([
            ("id".to_owned(), AttributeValue::S("d1".into())),
            ("temp".to_owned(), AttributeValue::N("21.5".into())),
            ("on".to_owned(), AttributeValue::Bool(true)),
            ("none".to_owned(), AttributeValue::Null(true)),
            ("tags".to_owned(), AttributeValue::Ss(vec!["a".into()])),
            ("raw".to_owned(), AttributeValue::B(Blob::new(vec![0xff]))),
            (
                "nested".to_owned(),
                AttributeValue::M(HashMap::from([(
                    "l".to_owned(),
                    AttributeValue::L(vec![AttributeValue::N("1".into())]),
                )])),
            ),
        ]);
        assert_eq!(
            item_json(&item),
            json!({"id": "d1", "temp": 21.5, "on": true, "none": null, "tags": ["a"],
                "raw": "/w==", "nested": {"l": [1]}})
        );
    }

    #[test]
    fn keys_are_strings_or_numbers() {
        assert_eq!(
            key_attribute("k", &json!("x")).ok(),
            Some(AttributeValue::S("x".into()))
        );
        assert_eq!(
            key_attribute("k", &json!(7)).ok(),
            Some(AttributeValue::N("7".into()))
        );
        assert!(matches!(
            key_attribute("k", &json!({"a": 1})),
            Err(AwsError::InvalidKey { .. })
        ));
    }
}
