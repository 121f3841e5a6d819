//! Errors of setting up the AWS adapters. Once running, failures surface through the port as
//! `thingcore::Error::Storage` with the SDK error kept as the source.

/// Why an AWS adapter could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// DynamoDB did not answer (wrong endpoint, server down, network).
    #[error("DynamoDB did not answer: {message}")]
    Unreachable {
        /// The SDK's account of the failure.
        message: String,
    },

    /// A table thingcore needs does not exist.
    #[error("DynamoDB table {table} does not exist; run `thingcore init-tables` first")]
    MissingTable {
        /// The table's name.
        table: String,
    },

    /// DynamoDB refused to create or configure a table.
    #[error("cannot set up DynamoDB table {table}: {message}")]
    TableSetup {
        /// The table's name.
        table: String,
        /// The SDK's account of the failure.
        message: String,
    },
}
