//! [`ServiceError`]: the one error type of `thingcore-jobs`. Refusals carry the Jobs exception
//! ([`JobsError`]); failures of the Store, of the registry or of stored data keep their source
//! and become `InternalFailureException` or `ServiceUnavailableException` at the edge, logged
//! there, never shown to the caller.

use thingcore::jobs::JobsError;

/// Why a Jobs operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request was refused with an AWS exception.
    #[error(transparent)]
    Rejected(#[from] JobsError),
    /// The registry (things, groups) failed or refused.
    #[error("registry failure")]
    Registry(#[source] thingcore_registry::ServiceError),
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
    /// The exception to send: refusals as they are; internal failures logged and sent as
    /// `InternalFailureException` (or `ServiceUnavailableException` when the Store is down).
    pub fn into_jobs_error(self) -> JobsError {
        match self {
            ServiceError::Rejected(error) => error,
            ServiceError::Registry(error) => error.into_registry_error().into(),
            ServiceError::Store(thingcore::Error::InvalidPageToken) => {
                JobsError::invalid("The pagination token is not valid")
            }
            ServiceError::Store(error @ thingcore::Error::Storage { .. }) => {
                tracing::error!(error = %error, source = ?std::error::Error::source(&error), "jobs store failure");
                JobsError::ServiceUnavailable("The service is temporarily unavailable".into())
            }
            other => {
                tracing::error!(error = %other, source = ?std::error::Error::source(&other), "jobs failure");
                JobsError::InternalFailure("An unexpected error has occurred".into())
            }
        }
    }
}

impl From<thingcore::Error> for ServiceError {
    fn from(error: thingcore::Error) -> Self {
        match error {
            thingcore::Error::InvalidPageToken => {
                ServiceError::Rejected(JobsError::invalid("The pagination token is not valid"))
            }
            other => ServiceError::Store(other),
        }
    }
}

impl From<thingcore_registry::ServiceError> for ServiceError {
    fn from(error: thingcore_registry::ServiceError) -> Self {
        match error {
            thingcore_registry::ServiceError::Rejected(refusal) => {
                ServiceError::Rejected(refusal.into())
            }
            other => ServiceError::Registry(other),
        }
    }
}

impl From<thingcore::registry::RegistryError> for ServiceError {
    fn from(error: thingcore::registry::RegistryError) -> Self {
        ServiceError::Rejected(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_failures_are_not_shown() {
        let store = ServiceError::Store(thingcore::Error::storage(
            "read",
            std::io::Error::other("disk"),
        ));
        assert_eq!(store.into_jobs_error().http_status(), 503);
        let contention = ServiceError::Contention("job j".into()).into_jobs_error();
        assert_eq!(contention.aws_error_type(), "InternalFailureException");
        assert!(!contention.to_string().contains("job j"));
        let token: ServiceError = thingcore::Error::InvalidPageToken.into();
        assert_eq!(
            token.into_jobs_error().aws_error_type(),
            "InvalidRequestException"
        );
    }
}
