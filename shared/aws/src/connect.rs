//! Opening the Store on DynamoDB and creating its tables from an endpoint, in one call each:
//! what `thingcore serve --store dynamodb` and `thingcore init-tables` do.

use crate::error::AwsError;
use crate::tables::{self, TableNames};
use crate::DynamoStore;
use std::sync::Arc;
use thingcore::store::Store;

/// The Store on the tables `names` at `endpoint` (the SDK's configuration when `None`),
/// creating missing tables when `create` is set, else checking they exist. Returns the store
/// and the tables it created.
///
/// # Errors
/// [`AwsError::Unreachable`], [`AwsError::MissingTable`] or [`AwsError::TableSetup`].
pub async fn open_store(
    endpoint: Option<&str>,
    names: TableNames,
    create: bool,
) -> Result<(Arc<dyn Store>, Vec<String>), AwsError> {
    let config = crate::config::load(endpoint).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let created = if create {
        tables::create_tables(&client, &names).await?
    } else {
        tables::verify_tables(&client, &names).await?;
        Vec::new()
    };
    Ok((Arc::new(DynamoStore::new(client, names)), created))
}

/// Creates every missing table of `names` at `endpoint`; returns the ones it created.
///
/// # Errors
/// [`AwsError::Unreachable`] or [`AwsError::TableSetup`].
pub async fn init_tables(
    endpoint: Option<&str>,
    names: &TableNames,
) -> Result<Vec<String>, AwsError> {
    let config = crate::config::load(endpoint).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    tables::create_tables(&client, names).await
}
