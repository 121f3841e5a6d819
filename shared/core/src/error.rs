//! The one error type of the domain, and how it maps onto AWS's wire: an error type name
//! (`x-amzn-ErrorType`) and an HTTP status. Adapters keep their own source error inside
//! [`Error::Storage`] so nothing is flattened into a string.

use crate::store::{Key, Table};

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the domain and its ports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A conditional write or delete found the item in another state than it expected
    /// (present when it should be absent, absent, or at another version).
    #[error("condition failed on {table}/{key}")]
    ConditionFailed {
        /// The table of the item.
        table: Table,
        /// The item's key.
        key: Key,
    },

    /// A transaction was not applied because operation `index` failed its condition;
    /// none of its operations took effect.
    #[error("transaction canceled: operation {index} failed its condition")]
    TransactionCanceled {
        /// Position in the transaction of the first operation that failed.
        index: usize,
    },

    /// A request field is malformed or out of range.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field, in the wire's own spelling where there is one.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The resource asked for does not exist.
    #[error("{0}")]
    ResourceNotFound(String),

    /// A pagination token that this store did not hand out, or for another query.
    #[error("invalid pagination token")]
    InvalidPageToken,

    /// An item body larger than the Store port accepts.
    #[error("item of {size} bytes exceeds the limit of {limit} bytes")]
    ItemTooLarge {
        /// Size of the rejected body in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },

    /// The storage backend failed (I/O, corruption, network, throttling).
    #[error("storage failure: {message}")]
    Storage {
        /// What was being done.
        message: String,
        /// The backend's own error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// A storage failure with its backend error kept as the source.
    pub fn storage(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Storage {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// An invalid-field error.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// The AWS error type name sent as `x-amzn-ErrorType` and in JSON error bodies.
    pub fn aws_error_type(&self) -> &'static str {
        match self {
            Error::ConditionFailed { .. } | Error::TransactionCanceled { .. } => {
                "VersionConflictException"
            }
            Error::Invalid { .. } | Error::InvalidPageToken => "InvalidRequestException",
            Error::ResourceNotFound(_) => "ResourceNotFoundException",
            Error::ItemTooLarge { .. } => "RequestEntityTooLargeException",
            Error::Storage { .. } => "ServiceUnavailableException",
        }
    }

    /// The HTTP status that goes with [`Error::aws_error_type`].
    pub fn http_status(&self) -> u16 {
        match self {
            Error::ConditionFailed { .. } | Error::TransactionCanceled { .. } => 409,
            Error::Invalid { .. } | Error::InvalidPageToken => 400,
            Error::ResourceNotFound(_) => 404,
            Error::ItemTooLarge { .. } => 413,
            Error::Storage { .. } => 503,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_maps_to_an_aws_type_and_status() {
        let cases = [
            (
                Error::ConditionFailed {
                    table: Table::Registry,
                    key: Key::new("p", "s"),
                },
                "VersionConflictException",
                409,
            ),
            (
                Error::TransactionCanceled { index: 1 },
                "VersionConflictException",
                409,
            ),
            (
                Error::invalid("thingName", "too long"),
                "InvalidRequestException",
                400,
            ),
            (Error::InvalidPageToken, "InvalidRequestException", 400),
            (
                Error::ResourceNotFound("no such thing".into()),
                "ResourceNotFoundException",
                404,
            ),
            (
                Error::ItemTooLarge { size: 2, limit: 1 },
                "RequestEntityTooLargeException",
                413,
            ),
            (
                Error::storage("reading", std::io::Error::other("disk")),
                "ServiceUnavailableException",
                503,
            ),
        ];
        for (error, kind, status) in cases {
            assert_eq!(error.aws_error_type(), kind, "{error}");
            assert_eq!(error.http_status(), status, "{error}");
        }
    }

    #[test]
    fn storage_errors_keep_their_source() {
        use std::error::Error as _;
        let error = Error::storage("reading", std::io::Error::other("disk on fire"));
        assert_eq!(
            error.source().map(|s| s.to_string()),
            Some("disk on fire".into())
        );
    }
}
