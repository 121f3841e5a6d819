//! [`ServiceError`]: the one error type of thingcore-iam. Refusals carry IAM's or STS's error
//! ([`IamError`]); failures of the Store or of stored data keep their source and become
//! `ServiceFailure` at the edge, logged there, never shown to the caller.

use thingcore::iam::IamError;

/// Why an IAM or STS operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request was refused with an AWS error.
    #[error(transparent)]
    Rejected(#[from] IamError),
    /// The Store failed.
    #[error("store failure")]
    Store(#[source] thingcore::Error),
    /// A stored record does not decode.
    #[error("stored record {key} does not decode")]
    Corrupt {
        /// The record's key.
        key: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// Writers kept racing on the same records.
    #[error("too many concurrent writers on {0}")]
    Contention(String),
}

impl ServiceError {
    /// The error to send: refusals as they are; internal failures logged and sent as
    /// `ServiceFailure`.
    pub fn into_iam_error(self) -> IamError {
        match self {
            ServiceError::Rejected(error) => error,
            ServiceError::Store(thingcore::Error::ItemTooLarge { size, limit }) => {
                IamError::LimitExceeded(format!(
                    "The record would be {size} bytes, more than the {limit} bytes allowed"
                ))
            }
            other => {
                tracing::error!(error = %other, source = ?std::error::Error::source(&other), "iam failure");
                IamError::ServiceFailure("An unexpected error has occurred".into())
            }
        }
    }
}

impl From<thingcore::Error> for ServiceError {
    fn from(error: thingcore::Error) -> Self {
        match error {
            thingcore::Error::InvalidPageToken => ServiceError::Rejected(IamError::Validation(
                "Invalid Marker: the marker was not handed out by this service".into(),
            )),
            other => ServiceError::Store(other),
        }
    }
}

/// A `Result` of this crate.
pub type Result<T> = std::result::Result<T, ServiceError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_failures_are_not_shown() {
        let store = ServiceError::Store(thingcore::Error::storage(
            "read",
            std::io::Error::other("disk on fire"),
        ));
        let sent = store.into_iam_error();
        assert_eq!(sent.code(), "ServiceFailure");
        assert!(!sent.to_string().contains("disk"));
        let token: ServiceError = thingcore::Error::InvalidPageToken.into();
        assert_eq!(token.into_iam_error().code(), "ValidationError");
    }
}
