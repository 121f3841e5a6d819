//! The DynamoDB tables of thingcore: names, key schema, TTL, and their creation.
//!
//! Every table has the same shape, the Store port's: string partition key `pk`, string sort
//! key `sk`, binary `body`, numeric `ver`, and numeric `exp` (the TTL attribute, epoch seconds)
//! on tables whose items expire. Billing is on demand.

use crate::error::AwsError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use std::time::Duration;
use thingcore::store::Table;

/// Attribute holding the partition key.
pub const PK: &str = "pk";
/// Attribute holding the sort key.
pub const SK: &str = "sk";
/// Attribute holding the item body.
pub const BODY: &str = "body";
/// Attribute holding the item version.
pub const VERSION: &str = "ver";
/// Attribute holding the expiry time (DynamoDB TTL), epoch seconds.
pub const EXPIRES: &str = "exp";

/// The default prefix of table names: tables are `thingcore-registry`, `thingcore-shadows`...
pub const DEFAULT_PREFIX: &str = "thingcore";

/// Maps the port's tables onto DynamoDB table names, `{prefix}-{table}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    prefix: String,
}

impl Default for TableNames {
    fn default() -> Self {
        Self::new(DEFAULT_PREFIX)
    }
}

impl TableNames {
    /// Names with the given prefix.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// The DynamoDB name of `table`.
    pub fn name(&self, table: Table) -> String {
        format!("{}-{}", self.prefix, table.name())
    }
}

/// One table as thingcore needs it: the shape every creator (this module, the LocalStack init,
/// the CDK app) must reproduce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// The DynamoDB table name.
    pub name: String,
    /// The TTL attribute, on tables whose items expire.
    pub ttl_attribute: Option<&'static str>,
}

impl TableSpec {
    /// The table as `aws dynamodb create-table --cli-input-json` takes it.
    pub fn create_table_json(&self) -> serde_json::Value {
        serde_json::json!({
            "TableName": self.name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                { "AttributeName": PK, "AttributeType": "S" },
                { "AttributeName": SK, "AttributeType": "S" }
            ],
            "KeySchema": [
                { "AttributeName": PK, "KeyType": "HASH" },
                { "AttributeName": SK, "KeyType": "RANGE" }
            ]
        })
    }

    /// Its TTL setting as `aws dynamodb update-time-to-live --cli-input-json` takes it.
    pub fn time_to_live_json(&self) -> Option<serde_json::Value> {
        self.ttl_attribute.map(|attribute| {
            serde_json::json!({
                "TableName": self.name,
                "TimeToLiveSpecification": { "AttributeName": attribute, "Enabled": true }
            })
        })
    }
}

/// Every table of thingcore under `names`.
pub fn table_specs(names: &TableNames) -> Vec<TableSpec> {
    Table::ALL
        .into_iter()
        .map(|table| TableSpec {
            name: names.name(table),
            ttl_attribute: table.has_ttl().then_some(EXPIRES),
        })
        .collect()
}

/// Creates every table that does not exist yet, waits until all are active, and enables TTL
/// where items expire. Returns the names of the tables it created. Safe to run again.
///
/// # Errors
/// [`AwsError::Unreachable`] when DynamoDB does not answer, [`AwsError::TableSetup`] when it
/// refuses.
pub async fn create_tables(client: &Client, names: &TableNames) -> Result<Vec<String>, AwsError> {
    let mut created = Vec::new();
    for spec in table_specs(names) {
        let name = spec.name;
        let result = client
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute(PK)?)
            .attribute_definitions(attribute(SK)?)
            .key_schema(key(PK, KeyType::Hash)?)
            .key_schema(key(SK, KeyType::Range)?)
            .send()
            .await;
        match result {
            Ok(_) => created.push(name.clone()),
            Err(error) if error.code() == Some("ResourceInUseException") => {}
            Err(error) => return Err(setup_error(&name, &error)),
        }
        wait_active(client, &name).await?;
        if let Some(attribute) = spec.ttl_attribute {
            enable_ttl(client, &name, attribute).await?;
        }
    }
    Ok(created)
}

/// Checks that every table exists, so a misconfigured endpoint fails at start, not later.
///
/// # Errors
/// [`AwsError::MissingTable`] or [`AwsError::Unreachable`].
pub async fn verify_tables(client: &Client, names: &TableNames) -> Result<(), AwsError> {
    for table in Table::ALL {
        let name = names.name(table);
        match client.describe_table().table_name(&name).send().await {
            Ok(_) => {}
            Err(error) if error.code() == Some("ResourceNotFoundException") => {
                return Err(AwsError::MissingTable { table: name })
            }
            Err(error) => return Err(unreachable(&error)),
        }
    }
    Ok(())
}

fn attribute(name: &str) -> Result<AttributeDefinition, AwsError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| AwsError::TableSetup {
            table: name.into(),
            message: e.to_string(),
        })
}

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, AwsError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(|e| AwsError::TableSetup {
            table: name.into(),
            message: e.to_string(),
        })
}

async fn wait_active(client: &Client, name: &str) -> Result<(), AwsError> {
    for _ in 0..120 {
        let described = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| setup_error(name, &e))?;
        let status = described.table().and_then(|t| t.table_status());
        if status == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(AwsError::TableSetup {
        table: name.into(),
        message: "did not become ACTIVE within 30 s".into(),
    })
}

async fn enable_ttl(client: &Client, name: &str, attribute: &str) -> Result<(), AwsError> {
    let current = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| setup_error(name, &e))?;
    let enabled = current
        .time_to_live_description()
        .and_then(|d| d.attribute_name())
        .is_some_and(|attr| attr == attribute);
    if enabled {
        return Ok(());
    }
    let spec = TimeToLiveSpecification::builder()
        .attribute_name(attribute)
        .enabled(true)
        .build()
        .map_err(|e| AwsError::TableSetup {
            table: name.into(),
            message: e.to_string(),
        })?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(spec)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| setup_error(name, &e))
}

fn unreachable<E, R>(error: &aws_sdk_dynamodb::error::SdkError<E, R>) -> AwsError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    AwsError::Unreachable {
        message: DisplayErrorContext(error).to_string(),
    }
}

fn setup_error<E, R>(table: &str, error: &aws_sdk_dynamodb::error::SdkError<E, R>) -> AwsError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    if error.as_service_error().is_none() {
        return unreachable(error);
    }
    AwsError::TableSetup {
        table: table.into(),
        message: DisplayErrorContext(error).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_cover_every_table_with_ttl_where_items_expire() {
        let specs = table_specs(&TableNames::new("x"));
        let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["x-registry", "x-shadows", "x-broker"]);
        assert!(specs[0].time_to_live_json().is_none());
        let ttl = specs[2].time_to_live_json().expect("broker expires");
        assert_eq!(ttl["TimeToLiveSpecification"]["AttributeName"], EXPIRES);
        assert_eq!(
            specs[1].create_table_json()["KeySchema"][1]["KeyType"],
            "RANGE"
        );
    }
}
