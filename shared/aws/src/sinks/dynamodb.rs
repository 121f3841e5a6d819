//! The `dynamoDB` and `dynamoDBv2` actions.
//!
//! - `dynamoDB` (v1) writes the rule's output into one column: the key is `hashKeyField` =
//!   `hashKeyValue` (and `rangeKeyField` = `rangeKeyValue`), typed by `hashKeyType` /
//!   `rangeKeyType` (`STRING`, the default, or `NUMBER`); the output goes to `payloadField`
//!   (`payload` when absent) — JSON output as a DynamoDB map (or list, string, number...),
//!   anything else as binary. `operation` (a template) is `INSERT` (PutItem, the default),
//!   `UPDATE` (UpdateItem setting the payload column) or `DELETE` (DeleteItem of the key).
//! - `dynamoDBv2` puts the whole output as the item: each member of the JSON object is a
//!   column, so the output must hold the table's key attributes (DynamoDB refuses otherwise).

use super::{call, LazyClient, SinkConfig};
use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use std::collections::HashMap;
use thingcore::rules::action_types::DynamoDbAction;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};

/// Writes rule output to Amazon DynamoDB (both action versions).
#[derive(Debug)]
pub struct DynamoDbSink {
    client: LazyClient<aws_sdk_dynamodb::Client>,
}

impl DynamoDbSink {
    /// A sink whose client is made from `config` on first use.
    pub fn new(config: SinkConfig) -> Self {
        Self {
            client: LazyClient::new(config),
        }
    }
}

/// A JSON value as a DynamoDB attribute value.
pub fn attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(attribute).collect()),
        Value::Object(members) => AttributeValue::M(
            members
                .iter()
                .map(|(k, v)| (k.clone(), attribute(v)))
                .collect(),
        ),
    }
}

/// A key value of type `kind` (`STRING` when absent, or `NUMBER`).
fn key_value(
    parameter: &'static str,
    value: &str,
    kind: Option<&str>,
) -> Result<AttributeValue, ActionError> {
    match kind.unwrap_or("STRING") {
        "STRING" => Ok(AttributeValue::S(value.to_owned())),
        "NUMBER" if value.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
            Ok(AttributeValue::N(value.trim().to_owned()))
        }
        "NUMBER" => Err(ActionError::invalid(
            parameter,
            format!("{value:?} is not a number"),
        )),
        other => Err(ActionError::invalid(
            parameter,
            format!("key type {other:?} is not STRING or NUMBER"),
        )),
    }
}

/// The key of a v1 action: the hash key and, when given, the range key.
///
/// # Errors
/// [`ActionError::InvalidParameter`] for a `NUMBER` key whose value is not a number.
pub fn v1_key(action: &DynamoDbAction) -> Result<HashMap<String, AttributeValue>, ActionError> {
    let mut key = HashMap::from([(
        action.hash_key_field.clone(),
        key_value(
            "hashKeyValue",
            &action.hash_key_value,
            action.hash_key_type.as_deref(),
        )?,
    )]);
    if let (Some(field), Some(value)) = (&action.range_key_field, &action.range_key_value) {
        key.insert(
            field.clone(),
            key_value("rangeKeyValue", value, action.range_key_type.as_deref())?,
        );
    }
    Ok(key)
}

/// The payload column's value: JSON as its attribute value, anything else as binary.
pub fn payload_attribute(payload: &[u8]) -> AttributeValue {
    match serde_json::from_slice::<Value>(payload) {
        Ok(value) => attribute(&value),
        Err(_) => AttributeValue::B(Blob::new(payload.to_vec())),
    }
}

/// The item of a v2 action: the output's members.
///
/// # Errors
/// [`ActionError::InvalidParameter`] for output that is not a JSON object.
pub fn v2_item(payload: &[u8]) -> Result<HashMap<String, AttributeValue>, ActionError> {
    match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(members)) => Ok(members
            .iter()
            .map(|(k, v)| (k.clone(), attribute(v)))
            .collect()),
        _ => Err(ActionError::invalid(
            "putItem",
            "the rule's output must be a JSON object, whose members become the item's columns",
        )),
    }
}

impl DynamoDbSink {
    async fn v1(&self, action: &DynamoDbAction, payload: &[u8]) -> Result<(), ActionError> {
        let key = v1_key(action)?;
        let field = action.payload_field.as_deref().unwrap_or("payload");
        let table = &action.table_name;
        let client = self.client.get(aws_sdk_dynamodb::Client::new).await;
        let operation = action.operation.as_deref().unwrap_or("INSERT");
        let what = || format!("Failed to {operation} into DynamoDB table {table}");
        match operation.to_ascii_uppercase().as_str() {
            "INSERT" | "" => {
                let mut item = key;
                item.insert(field.to_owned(), payload_attribute(payload));
                let request = client.put_item().table_name(table).set_item(Some(item));
                call(what, request.send()).await?;
            }
            "UPDATE" => {
                let request = client
                    .update_item()
                    .table_name(table)
                    .set_key(Some(key))
                    .update_expression("SET #payload = :payload")
                    .expression_attribute_names("#payload", field)
                    .expression_attribute_values(":payload", payload_attribute(payload));
                call(what, request.send()).await?;
            }
            "DELETE" => {
                let request = client.delete_item().table_name(table).set_key(Some(key));
                call(what, request.send()).await?;
            }
            other => {
                return Err(ActionError::invalid(
                    "operation",
                    format!("{other:?} is not INSERT, UPDATE or DELETE"),
                ))
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ActionSink for DynamoDbSink {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        match &action.action {
            Action::DynamoDb(v1) => self.v1(v1, &action.payload).await,
            Action::DynamoDbV2(v2) => {
                let item = v2_item(&action.payload)?;
                let table = &v2.put_item.table_name;
                let client = self.client.get(aws_sdk_dynamodb::Client::new).await;
                let request = client.put_item().table_name(table).set_item(Some(item));
                call(
                    || format!("Failed to put item into DynamoDB table {table}"),
                    request.send(),
                )
                .await?;
                Ok(())
            }
            _ => Err(ActionError::not_for(action)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v1(v: Value) -> DynamoDbAction {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn keys_are_typed() {
        let action = v1(
            json!({"tableName": "t", "roleArn": "r", "hashKeyField": "id",
            "hashKeyValue": "42", "hashKeyType": "NUMBER", "rangeKeyField": "ts",
            "rangeKeyValue": "a", "rangeKeyType": "STRING"}),
        );
        let key = v1_key(&action).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.get("id"), Some(&AttributeValue::N("42".into())));
        assert_eq!(key.get("ts"), Some(&AttributeValue::S("a".into())));
        let bad = v1(
            json!({"tableName": "t", "roleArn": "r", "hashKeyField": "id",
            "hashKeyValue": "forty", "hashKeyType": "NUMBER"}),
        );
        assert!(matches!(
            v1_key(&bad),
            Err(ActionError::InvalidParameter {
                parameter: "hashKeyValue",
                ..
            })
        ));
    }

    #[test]
    fn payloads_become_attributes() {
        assert_eq!(
            payload_attribute(br#"{"t": 1.5, "ok": true, "l": [null]}"#),
            AttributeValue::M(HashMap::from([
                ("t".into(), AttributeValue::N("1.5".into())),
                ("ok".into(), AttributeValue::Bool(true)),
                (
                    "l".into(),
                    AttributeValue::L(vec![AttributeValue::Null(true)])
                ),
            ]))
        );
        assert_eq!(
            payload_attribute(&[0xff]),
            AttributeValue::B(Blob::new(vec![0xff]))
        );
        assert!(v2_item(b"[1]").is_err());
        assert_eq!(v2_item(br#"{"id": "a"}"#).map(|i| i.len()).ok(), Some(1));
    }
}
