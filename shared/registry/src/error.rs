//! [`ServiceError`]: the one error type of the registry-api crate. Refusals carry AWS's
//! exception ([`RegistryError`]); failures of the Store, of the CA or of stored data keep their
//! source and become `InternalFailureException` or `ServiceUnavailableException` at the edge,
//! logged there, never shown to the caller.

use crate::ca::CaError;
use thingcore::registry::RegistryError;

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request was refused with an AWS exception.
    #[error(transparent)]
    Rejected(#[from] RegistryError),
    /// The Store failed.
    #[error("store failure")]
    Store(#[source] thingcore::Error),
    /// The local CA failed.
    #[error("certificate authority failure")]
    Ca(#[source] CaError),
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
    /// The exception to send: refusals as they are; internal failures logged and sent as
    /// `InternalFailureException` (or `ServiceUnavailableException` when the Store is down).
    pub fn into_registry_error(self) -> RegistryError {
        match self {
            ServiceError::Rejected(error) => error,
            ServiceError::Store(thingcore::Error::InvalidPageToken) => {
                RegistryError::invalid("The pagination token is not valid")
            }
            ServiceError::Store(thingcore::Error::ItemTooLarge { size, limit }) => {
                RegistryError::invalid(format!(
                    "The record would be {size} bytes, more than the {limit} bytes allowed"
                ))
            }
            ServiceError::Store(error @ thingcore::Error::Storage { .. }) => {
                tracing::error!(error = %error, source = ?std::error::Error::source(&error), "registry store failure");
                RegistryError::ServiceUnavailable("The service is temporarily unavailable".into())
            }
            other => {
                tracing::error!(error = %other, source = ?std::error::Error::source(&other), "registry failure");
                RegistryError::InternalFailure("An unexpected error has occurred".into())
            }
        }
    }
}

impl From<thingcore::Error> for ServiceError {
    fn from(error: thingcore::Error) -> Self {
        match error {
            thingcore::Error::InvalidPageToken => {
                ServiceError::Rejected(RegistryError::invalid("The pagination token is not valid"))
            }
            other => ServiceError::Store(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_failures_are_not_shown() {
        let error = ServiceError::Ca(CaError::Internal("key material".into()));
        let sent = error.into_registry_error();
        assert_eq!(sent.aws_error_type(), "InternalFailureException");
        assert!(!sent.to_string().contains("key material"));
        let store = ServiceError::Store(thingcore::Error::storage(
            "read",
            std::io::Error::other("disk"),
        ));
        assert_eq!(store.into_registry_error().http_status(), 503);
        let token: ServiceError = thingcore::Error::InvalidPageToken.into();
        assert_eq!(
            token.into_registry_error().aws_error_type(),
            "InvalidRequestException"
        );
    }
}
