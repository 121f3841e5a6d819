//! Creating and checking the tables on DynamoDB, through the AWS SDK (the `sdk` feature).

use super::{table_specs, TableNames, PK, SK};
use crate::error::AwsError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use std::time::Duration;
use thingcore::store::Table;

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
