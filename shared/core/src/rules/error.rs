//! [`RuleError`]: the exceptions the topic-rule operations of AWS IoT's control plane end in
//! (CreateTopicRule, GetTopicRule, ListTopicRules, ReplaceTopicRule, DeleteTopicRule,
//! EnableTopicRule, DisableTopicRule), with their wire names, statuses and bodies as botocore's
//! `iot` model declares them.
//!
//! They differ from the registry's ([`RegistryError`]): a statement that does not parse is
//! `SqlParseException`, a rule that does not exist is `UnauthorizedException` (AWS answers
//! "Access to topic rule '…' was denied" rather than saying it is missing), lost races are
//! `ConflictingResourceUpdateException`, and server faults are `InternalException`.

use crate::registry::RegistryError;
use serde_json::{json, Value};

/// A refused topic-rule request, as AWS IoT names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// `InvalidRequestException` (400): the request is not valid.
    #[error("{0}")]
    InvalidRequest(String),
    /// `SqlParseException` (400): the rule's SQL does not parse; the message carries the
    /// parser's line and column.
    #[error("{0}")]
    SqlParse(String),
    /// `ResourceAlreadyExistsException` (409): a rule of that name exists.
    #[error("{message}")]
    ResourceAlreadyExists {
        /// What is wrong.
        message: String,
        /// The existing rule's name (`resourceId`).
        resource_id: String,
        /// The existing rule's ARN (`resourceArn`).
        resource_arn: String,
    },
    /// `UnauthorizedException` (401): AWS's answer for a rule that does not exist.
    #[error("{0}")]
    Unauthorized(String),
    /// `ConflictingResourceUpdateException` (409): other writers kept changing the rule.
    #[error("{0}")]
    ConflictingResourceUpdate(String),
    /// `InternalException` (500): something failed on our side; details are logged, not sent.
    #[error("{0}")]
    Internal(String),
    /// `ServiceUnavailableException` (503): the storage behind the rules is unavailable.
    #[error("{0}")]
    ServiceUnavailable(String),
}

impl RuleError {
    /// An `InvalidRequestException`.
    pub fn invalid(message: impl Into<String>) -> Self {
        RuleError::InvalidRequest(message.into())
    }

    /// The refusal for a rule that does not exist, worded as AWS words it.
    pub fn no_such_rule(name: &str) -> Self {
        RuleError::Unauthorized(format!("Access to topic rule '{name}' was denied"))
    }

    /// The exception's shape name, sent as `x-amzn-ErrorType`.
    pub fn aws_error_type(&self) -> &'static str {
        match self {
            RuleError::InvalidRequest(_) => "InvalidRequestException",
            RuleError::SqlParse(_) => "SqlParseException",
            RuleError::ResourceAlreadyExists { .. } => "ResourceAlreadyExistsException",
            RuleError::Unauthorized(_) => "UnauthorizedException",
            RuleError::ConflictingResourceUpdate(_) => "ConflictingResourceUpdateException",
            RuleError::Internal(_) => "InternalException",
            RuleError::ServiceUnavailable(_) => "ServiceUnavailableException",
        }
    }

    /// The HTTP status of the exception (the model's `httpStatusCode`).
    pub fn http_status(&self) -> u16 {
        match self {
            RuleError::InvalidRequest(_) | RuleError::SqlParse(_) => 400,
            RuleError::Unauthorized(_) => 401,
            RuleError::ResourceAlreadyExists { .. } | RuleError::ConflictingResourceUpdate(_) => {
                409
            }
            RuleError::Internal(_) => 500,
            RuleError::ServiceUnavailable(_) => 503,
        }
    }

    /// The JSON error body: `{"message": ...}`, plus `resourceId` and `resourceArn` for
    /// `ResourceAlreadyExistsException`.
    pub fn to_body(&self) -> Value {
        match self {
            RuleError::ResourceAlreadyExists {
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

/// The registry's refusals, for the checks the rule operations share with it (page tokens,
/// request bodies, storage): a missing resource becomes AWS's `UnauthorizedException`.
impl From<RegistryError> for RuleError {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::InvalidRequest(m) => RuleError::InvalidRequest(m),
            RegistryError::ResourceNotFound(m) => RuleError::Unauthorized(m),
            RegistryError::ServiceUnavailable(m) => RuleError::ServiceUnavailable(m),
            RegistryError::VersionConflict(m) => RuleError::ConflictingResourceUpdate(m),
            RegistryError::ResourceAlreadyExists {
                message,
                resource_id,
                resource_arn,
            } => RuleError::ResourceAlreadyExists {
                message,
                resource_id,
                resource_arn,
            },
            other => RuleError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exception_has_the_models_status() {
        let cases = [
            (RuleError::invalid("x"), "InvalidRequestException", 400),
            (RuleError::SqlParse("x".into()), "SqlParseException", 400),
            (
                RuleError::ResourceAlreadyExists {
                    message: "x".into(),
                    resource_id: "r".into(),
                    resource_arn: "a".into(),
                },
                "ResourceAlreadyExistsException",
                409,
            ),
            (RuleError::no_such_rule("r"), "UnauthorizedException", 401),
            (
                RuleError::ConflictingResourceUpdate("x".into()),
                "ConflictingResourceUpdateException",
                409,
            ),
            (RuleError::Internal("x".into()), "InternalException", 500),
            (
                RuleError::ServiceUnavailable("x".into()),
                "ServiceUnavailableException",
                503,
            ),
        ];
        for (error, kind, status) in cases {
            assert_eq!(error.aws_error_type(), kind);
            assert_eq!(error.http_status(), status, "{kind}");
            assert!(error.to_body()["message"].is_string(), "{kind}");
        }
    }

    #[test]
    fn registry_refusals_map_to_rule_exceptions() {
        let missing: RuleError = RegistryError::not_found("gone").into();
        assert_eq!(missing.aws_error_type(), "UnauthorizedException");
        let bad: RuleError = RegistryError::invalid("bad token").into();
        assert_eq!(bad, RuleError::invalid("bad token"));
        let down: RuleError = RegistryError::ServiceUnavailable("down".into()).into();
        assert_eq!(down.http_status(), 503);
        let internal: RuleError = RegistryError::InternalFailure("oops".into()).into();
        assert_eq!(internal.aws_error_type(), "InternalException");
    }
}
