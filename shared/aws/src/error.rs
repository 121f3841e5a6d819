//! Errors of setting up the AWS adapters, and of invoking Lambda functions
//! ([`crate::lambda::LambdaInvoker`]). Once running, Store failures surface through the port as
//! `thingcore::Error::Storage` with the SDK error kept as the source.

/// Why an AWS adapter could not be set up, or a Lambda invocation or `get_dynamodb()` failed.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// This build has no AWS SDK (the `sdk` feature is off); the message says how to build
    /// with it.
    #[error("{message}")]
    NotBuilt {
        /// What needed the SDK, and how to build with it.
        message: String,
    },

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

    /// Lambda has no such function (`ResourceNotFoundException`).
    #[error("ResourceNotFoundException: {message}")]
    FunctionNotFound {
        /// The function as named by the caller.
        function: String,
        /// Lambda's message.
        message: String,
    },

    /// The function ran and failed: Lambda answered with `X-Amz-Function-Error`.
    #[error("the function {function} failed ({kind}): {payload}")]
    FunctionError {
        /// The function as named by the caller.
        function: String,
        /// `Unhandled` (the runtime caught an error) or `Handled`.
        kind: String,
        /// The error document the function returned, e.g.
        /// `{"errorMessage": "...", "errorType": "..."}`.
        payload: String,
    },

    /// Lambda refused the invocation for another reason, or could not be reached in time.
    #[error("{}{message}", code.as_deref().map(|c| format!("{c}: ")).unwrap_or_default())]
    InvokeFailed {
        /// The function as named by the caller.
        function: String,
        /// Lambda's error code, e.g. `TooManyRequestsException`, when it answered.
        code: Option<String>,
        /// Lambda's message, or the SDK's account of the failure.
        message: String,
    },

    /// A synchronous invocation answered something that is not JSON.
    #[error("the function {function} answered something that is not JSON: {reason}")]
    InvalidAnswer {
        /// The function as named by the caller.
        function: String,
        /// The parser's complaint.
        reason: String,
    },

    /// `get_dynamodb()`: DynamoDB refused the GetItem or could not be reached.
    #[error("GetItem on {table} failed: {message}")]
    GetItemFailed {
        /// The table.
        table: String,
        /// DynamoDB's error code and message, or the SDK's account of the failure.
        message: String,
    },

    /// `get_dynamodb()`: a key value that cannot be a DynamoDB key.
    #[error("the key {name} is not valid: {reason}")]
    InvalidKey {
        /// The key attribute's name.
        name: String,
        /// Why not.
        reason: String,
    },
}
