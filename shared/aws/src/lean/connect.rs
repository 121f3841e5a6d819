//! Opening the Store on DynamoDB, in a build without the AWS SDK: refused with
//! [`crate::lean::not_built`]'s message.

use crate::error::AwsError;
use crate::tables::TableNames;
use std::sync::Arc;
use thingcore::store::Store;

/// Refused: there is no SDK to reach DynamoDB with.
///
/// # Errors
/// Always [`AwsError::NotBuilt`].
pub async fn open_store(
    _endpoint: Option<&str>,
    _names: TableNames,
    _create: bool,
) -> Result<(Arc<dyn Store>, Vec<String>), AwsError> {
    Err(AwsError::NotBuilt {
        message: crate::lean::not_built("the DynamoDB store"),
    })
}

/// Refused: there is no SDK to reach DynamoDB with.
///
/// # Errors
/// Always [`AwsError::NotBuilt`].
pub async fn init_tables(
    _endpoint: Option<&str>,
    _names: &TableNames,
) -> Result<Vec<String>, AwsError> {
    Err(AwsError::NotBuilt {
        message: crate::lean::not_built("creating DynamoDB tables"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_dynamodb_store_is_refused_with_how_to_build_it() {
        let names = TableNames::new("thingcore");
        let opened = open_store(Some("http://127.0.0.1:1"), names.clone(), true).await;
        let error = opened.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            error.starts_with("the DynamoDB store needs the AWS SDK"),
            "{error}"
        );
        assert!(error.contains("--features aws"), "{error}");
        let created = init_tables(None, &names).await;
        assert!(matches!(created, Err(AwsError::NotBuilt { .. })));
    }
}
