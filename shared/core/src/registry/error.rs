//! [`RegistryError`]: the AWS IoT control-plane exceptions a registry operation can end in, each
//! with its wire name (`x-amzn-ErrorType`), HTTP status and message, as botocore's `iot` model
//! declares them (`error.httpStatusCode` of each exception shape).

use serde_json::{json, Value};

/// Shorthand for results whose error is [`RegistryError`].
pub type RegistryResult<T> = Result<T, RegistryError>;

/// A refused registry request, as AWS IoT names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// `InvalidRequestException` (400): the request is not valid.
    #[error("{0}")]
    InvalidRequest(String),
    /// `ResourceNotFoundException` (404): the resource does not exist.
    #[error("{0}")]
    ResourceNotFound(String),
    /// `ResourceAlreadyExistsException` (409), naming the existing resource.
    #[error("{message}")]
    ResourceAlreadyExists {
        /// What is wrong.
        message: String,
        /// The existing resource's id (`resourceId`).
        resource_id: String,
        /// The existing resource's ARN (`resourceArn`).
        resource_arn: String,
    },
    /// `VersionConflictException` (409): `expectedVersion` does not match.
    #[error("{0}")]
    VersionConflict(String),
    /// `DeleteConflictException` (409): the resource is still in use.
    #[error("{0}")]
    DeleteConflict(String),
    /// `CertificateStateException` (406): the certificate's status forbids the operation.
    #[error("{0}")]
    CertificateState(String),
    /// `CertificateValidationException` (400): the certificate is not acceptable.
    #[error("{0}")]
    CertificateValidation(String),
    /// `MalformedPolicyException` (400): the policy document is not valid.
    #[error("{0}")]
    MalformedPolicy(String),
    /// `VersionsLimitExceededException` (409): the policy already has five versions.
    #[error("{0}")]
    VersionsLimitExceeded(String),
    /// `LimitExceededException` (410): a registry limit would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// `InvalidResponseException` (400): a custom authorizer's function answered with something
    /// AWS IoT does not accept.
    #[error("{0}")]
    InvalidResponse(String),
    /// `UnauthorizedException` (401): the request's credentials (a custom authorizer token's
    /// signature) are not valid.
    #[error("{0}")]
    Unauthorized(String),
    /// `InternalFailureException` (500): something failed on our side; details are logged, not
    /// sent.
    #[error("{0}")]
    InternalFailure(String),
    /// `ServiceUnavailableException` (503): the storage behind the registry is unavailable.
    #[error("{0}")]
    ServiceUnavailable(String),
}

impl RegistryError {
    /// An `InvalidRequestException`.
    pub fn invalid(message: impl Into<String>) -> Self {
        RegistryError::InvalidRequest(message.into())
    }

    /// A `ResourceNotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        RegistryError::ResourceNotFound(message.into())
    }

    /// A `ResourceAlreadyExistsException` for the resource `id` at `arn`.
    pub fn already_exists(
        message: impl Into<String>,
        id: impl Into<String>,
        arn: impl Into<String>,
    ) -> Self {
        RegistryError::ResourceAlreadyExists {
            message: message.into(),
            resource_id: id.into(),
            resource_arn: arn.into(),
        }
    }

    /// The exception's shape name, sent as `x-amzn-ErrorType`.
    pub fn aws_error_type(&self) -> &'static str {
        match self {
            RegistryError::InvalidRequest(_) => "InvalidRequestException",
            RegistryError::ResourceNotFound(_) => "ResourceNotFoundException",
            RegistryError::ResourceAlreadyExists { .. } => "ResourceAlreadyExistsException",
            RegistryError::VersionConflict(_) => "VersionConflictException",
            RegistryError::DeleteConflict(_) => "DeleteConflictException",
            RegistryError::CertificateState(_) => "CertificateStateException",
            RegistryError::CertificateValidation(_) => "CertificateValidationException",
            RegistryError::MalformedPolicy(_) => "MalformedPolicyException",
            RegistryError::VersionsLimitExceeded(_) => "VersionsLimitExceededException",
            RegistryError::LimitExceeded(_) => "LimitExceededException",
            RegistryError::InvalidResponse(_) => "InvalidResponseException",
            RegistryError::Unauthorized(_) => "UnauthorizedException",
            RegistryError::InternalFailure(_) => "InternalFailureException",
            RegistryError::ServiceUnavailable(_) => "ServiceUnavailableException",
        }
    }

    /// The HTTP status of the exception (the model's `httpStatusCode`).
    pub fn http_status(&self) -> u16 {
        match self {
            RegistryError::InvalidRequest(_)
            | RegistryError::CertificateValidation(_)
            | RegistryError::MalformedPolicy(_)
            | RegistryError::InvalidResponse(_) => 400,
            RegistryError::Unauthorized(_) => 401,
            RegistryError::ResourceNotFound(_) => 404,
            RegistryError::CertificateState(_) => 406,
            RegistryError::ResourceAlreadyExists { .. }
            | RegistryError::VersionConflict(_)
            | RegistryError::DeleteConflict(_)
            | RegistryError::VersionsLimitExceeded(_) => 409,
            RegistryError::LimitExceeded(_) => 410,
            RegistryError::InternalFailure(_) => 500,
            RegistryError::ServiceUnavailable(_) => 503,
        }
    }

    /// The JSON error body: `{"message": ...}`, plus `resourceId` and `resourceArn` for
    /// `ResourceAlreadyExistsException`.
    pub fn to_body(&self) -> Value {
        match self {
            RegistryError::ResourceAlreadyExists {
                message,
                resource_id,
                resource_arn,
            } => json!({
                "message": message,
                "resourceId": resource_id,
                "resourceArn": resource_arn,
            }),
            other => json!({ "message": other.to_string() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exception_has_the_models_status() {
        let cases = [
            (RegistryError::invalid("x"), "InvalidRequestException", 400),
            (
                RegistryError::not_found("x"),
                "ResourceNotFoundException",
                404,
            ),
            (
                RegistryError::already_exists("x", "id", "arn"),
                "ResourceAlreadyExistsException",
                409,
            ),
            (
                RegistryError::VersionConflict("x".into()),
                "VersionConflictException",
                409,
            ),
            (
                RegistryError::DeleteConflict("x".into()),
                "DeleteConflictException",
                409,
            ),
            (
                RegistryError::CertificateState("x".into()),
                "CertificateStateException",
                406,
            ),
            (
                RegistryError::CertificateValidation("x".into()),
                "CertificateValidationException",
                400,
            ),
            (
                RegistryError::MalformedPolicy("x".into()),
                "MalformedPolicyException",
                400,
            ),
            (
                RegistryError::VersionsLimitExceeded("x".into()),
                "VersionsLimitExceededException",
                409,
            ),
            (
                RegistryError::LimitExceeded("x".into()),
                "LimitExceededException",
                410,
            ),
            (
                RegistryError::InvalidResponse("x".into()),
                "InvalidResponseException",
                400,
            ),
            (
                RegistryError::Unauthorized("x".into()),
                "UnauthorizedException",
                401,
            ),
            (
                RegistryError::InternalFailure("x".into()),
                "InternalFailureException",
                500,
            ),
            (
                RegistryError::ServiceUnavailable("x".into()),
                "ServiceUnavailableException",
                503,
            ),
        ];
        for (error, kind, status) in cases {
            assert_eq!(error.aws_error_type(), kind);
            assert_eq!(error.http_status(), status, "{kind}");
        }
    }

    #[test]
    fn already_exists_names_the_resource() {
        let body = RegistryError::already_exists("exists", "t1", "arn:t1").to_body();
        assert_eq!(
            body,
            json!({"message": "exists", "resourceId": "t1", "resourceArn": "arn:t1"})
        );
        assert_eq!(
            RegistryError::invalid("bad").to_body(),
            json!({"message": "bad"})
        );
    }
}
