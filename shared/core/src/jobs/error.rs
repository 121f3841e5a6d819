//! [`JobsError`]: why a Jobs operation was refused, as the `iot` model's exceptions (name and
//! HTTP status) and, for the device side, as the codes of a `/rejected` payload.

use crate::registry::RegistryError;
use serde_json::{json, Value};

/// A refused Jobs operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobsError {
    /// `InvalidRequestException` (400).
    #[error("{0}")]
    InvalidRequest(String),
    /// `ResourceNotFoundException` (404).
    #[error("{0}")]
    ResourceNotFound(String),
    /// `ResourceAlreadyExistsException` (409).
    #[error("{message}")]
    ResourceAlreadyExists {
        /// The message.
        message: String,
        /// The id in use.
        resource_id: String,
        /// Its ARN.
        resource_arn: String,
    },
    /// `VersionConflictException` (409): `expectedVersion` is not the execution's version
    /// (`VersionMismatch` on the device side).
    #[error("{0}")]
    VersionConflict(String),
    /// `InvalidStateTransitionException` (409): the execution or job cannot move so.
    #[error("{0}")]
    InvalidStateTransition(String),
    /// `InvalidStateTransitionException` (409) on the control plane, `TerminalStateReached` on
    /// the device side: the execution is already in a terminal state.
    #[error("{0}")]
    TerminalState(String),
    /// `LimitExceededException` (410).
    #[error("{0}")]
    LimitExceeded(String),
    /// `ConflictException` (409): a job template of that id exists.
    #[error("{message}")]
    Conflict {
        /// The message.
        message: String,
        /// The id in use.
        resource_id: String,
    },
    /// `InternalFailureException` (500).
    #[error("{0}")]
    InternalFailure(String),
    /// `ServiceUnavailableException` (503).
    #[error("{0}")]
    ServiceUnavailable(String),
}

/// Result of a Jobs rule.
pub type JobsResult<T> = Result<T, JobsError>;

impl JobsError {
    /// An `InvalidRequestException`.
    pub fn invalid(message: impl Into<String>) -> Self {
        JobsError::InvalidRequest(message.into())
    }

    /// A `ResourceNotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        JobsError::ResourceNotFound(message.into())
    }

    /// The exception's shape name, sent as `x-amzn-ErrorType`.
    pub fn aws_error_type(&self) -> &'static str {
        match self {
            JobsError::InvalidRequest(_) => "InvalidRequestException",
            JobsError::ResourceNotFound(_) => "ResourceNotFoundException",
            JobsError::ResourceAlreadyExists { .. } => "ResourceAlreadyExistsException",
            JobsError::VersionConflict(_) => "VersionConflictException",
            JobsError::InvalidStateTransition(_) | JobsError::TerminalState(_) => {
                "InvalidStateTransitionException"
            }
            JobsError::LimitExceeded(_) => "LimitExceededException",
            JobsError::Conflict { .. } => "ConflictException",
            JobsError::InternalFailure(_) => "InternalFailureException",
            JobsError::ServiceUnavailable(_) => "ServiceUnavailableException",
        }
    }

    /// The HTTP status of the exception (the model's `httpStatusCode`).
    pub fn http_status(&self) -> u16 {
        match self {
            JobsError::InvalidRequest(_) => 400,
            JobsError::ResourceNotFound(_) => 404,
            JobsError::ResourceAlreadyExists { .. }
            | JobsError::VersionConflict(_)
            | JobsError::InvalidStateTransition(_)
            | JobsError::TerminalState(_)
            | JobsError::Conflict { .. } => 409,
            JobsError::LimitExceeded(_) => 410,
            JobsError::InternalFailure(_) => 500,
            JobsError::ServiceUnavailable(_) => 503,
        }
    }

    /// The exception and status on the `iot-jobs-data` API, whose model names fewer
    /// exceptions: a version mismatch or a move out of a terminal state is
    /// `InvalidStateTransitionException` (409), a describe of a job that ended on a terminal
    /// state `TerminalStateException` (410), a failure `ServiceUnavailableException`.
    pub fn jobs_data_error(&self) -> (&'static str, u16) {
        match self {
            JobsError::InvalidRequest(_) | JobsError::LimitExceeded(_) => {
                ("InvalidRequestException", 400)
            }
            JobsError::ResourceNotFound(_) => ("ResourceNotFoundException", 404),
            JobsError::VersionConflict(_)
            | JobsError::InvalidStateTransition(_)
            | JobsError::TerminalState(_)
            | JobsError::ResourceAlreadyExists { .. }
            | JobsError::Conflict { .. } => ("InvalidStateTransitionException", 409),
            JobsError::InternalFailure(_) | JobsError::ServiceUnavailable(_) => {
                ("ServiceUnavailableException", 503)
            }
        }
    }

    /// The code of the device side's `/rejected` payload (AWS's Jobs device MQTT API).
    pub fn device_code(&self) -> &'static str {
        match self {
            JobsError::InvalidRequest(_) | JobsError::LimitExceeded(_) => "InvalidRequest",
            JobsError::ResourceNotFound(_) => "ResourceNotFound",
            JobsError::VersionConflict(_) => "VersionMismatch",
            JobsError::InvalidStateTransition(_)
            | JobsError::ResourceAlreadyExists { .. }
            | JobsError::Conflict { .. } => "InvalidStateTransition",
            JobsError::TerminalState(_) => "TerminalStateReached",
            JobsError::InternalFailure(_) | JobsError::ServiceUnavailable(_) => "InternalError",
        }
    }

    /// The JSON error body: `{"message": ...}`, with `resourceId` (and `resourceArn`) where
    /// the exception's shape has them.
    pub fn to_body(&self) -> Value {
        match self {
            JobsError::ResourceAlreadyExists {
                message,
                resource_id,
                resource_arn,
            } => json!({
                "message": message,
                "resourceId": resource_id,
                "resourceArn": resource_arn,
            }),
            JobsError::Conflict {
                message,
                resource_id,
            } => json!({ "message": message, "resourceId": resource_id }),
            other => json!({ "message": other.to_string() }),
        }
    }
}

impl From<RegistryError> for JobsError {
    /// The registry's refusals (a bad thing name, an unknown group, a foreign ARN) as the same
    /// exceptions of the Jobs operations.
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::InvalidRequest(m) => JobsError::InvalidRequest(m),
            RegistryError::ResourceNotFound(m) => JobsError::ResourceNotFound(m),
            RegistryError::LimitExceeded(m) => JobsError::LimitExceeded(m),
            RegistryError::ServiceUnavailable(m) => JobsError::ServiceUnavailable(m),
            other => JobsError::InternalFailure(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exception_has_the_models_status() {
        let cases = [
            (JobsError::invalid("x"), "InvalidRequestException", 400),
            (JobsError::not_found("x"), "ResourceNotFoundException", 404),
            (
                JobsError::VersionConflict("x".into()),
                "VersionConflictException",
                409,
            ),
            (
                JobsError::TerminalState("x".into()),
                "InvalidStateTransitionException",
                409,
            ),
            (
                JobsError::LimitExceeded("x".into()),
                "LimitExceededException",
                410,
            ),
            (
                JobsError::Conflict {
                    message: "x".into(),
                    resource_id: "t".into(),
                },
                "ConflictException",
                409,
            ),
        ];
        for (error, kind, status) in cases {
            assert_eq!(error.aws_error_type(), kind);
            assert_eq!(error.http_status(), status, "{kind}");
        }
    }

    #[test]
    fn device_codes_are_awss() {
        assert_eq!(
            JobsError::VersionConflict("x".into()).device_code(),
            "VersionMismatch"
        );
        assert_eq!(
            JobsError::TerminalState("x".into()).device_code(),
            "TerminalStateReached"
        );
        assert_eq!(JobsError::not_found("x").device_code(), "ResourceNotFound");
    }
}
