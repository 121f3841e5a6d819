//! [`IamError`]: a refused IAM or STS request, with the code, status and fault AWS sends in
//! its Query-protocol `ErrorResponse`.

/// A refused IAM or STS request, as the `iam` and `sts` models name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamError {
    /// `NoSuchEntity` (404): the user, group, role, policy or key does not exist.
    #[error("{0}")]
    NoSuchEntity(String),
    /// `EntityAlreadyExists` (409).
    #[error("{0}")]
    EntityAlreadyExists(String),
    /// `DeleteConflict` (409): the entity still has attachments, keys or members.
    #[error("{0}")]
    DeleteConflict(String),
    /// `MalformedPolicyDocument` (400), with the reason.
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// `LimitExceeded` (409): too many keys, versions or tags.
    #[error("{0}")]
    LimitExceeded(String),
    /// `ValidationError` (400): a parameter breaks the model's constraints.
    #[error("{0}")]
    Validation(String),
    /// `InvalidInput` (400): a parameter is well formed but not acceptable.
    #[error("{0}")]
    InvalidInput(String),
    /// `AccessDenied` (403): the caller may not do this (e.g. a trust policy refuses it).
    #[error("{0}")]
    AccessDenied(String),
    /// `ExpiredToken` (400): the session token has expired.
    #[error("{0}")]
    ExpiredToken(String),
    /// `InvalidClientTokenId` (403): the access key or session token is not known.
    #[error("{0}")]
    InvalidClientTokenId(String),
    /// `InvalidAction` (400): the `Action` parameter names no operation served.
    #[error("{0}")]
    InvalidAction(String),
    /// `InvalidIdentityToken` (400): a web identity token that does not verify, names no
    /// registered provider or none of its audiences.
    #[error("{0}")]
    InvalidIdentityToken(String),
    /// `ExpiredTokenException` (400): a web identity token past its `exp`.
    #[error("{0}")]
    ExpiredTokenException(String),
    /// `IDPRejectedClaim` (403): the identity provider's claims are refused.
    #[error("{0}")]
    IdpRejectedClaim(String),
    /// `IDPCommunicationError` (400): the issuer's keys could not be fetched.
    #[error("{0}")]
    IdpCommunicationError(String),
    /// `ServiceFailure` (500): something failed inside; the message says nothing of it.
    #[error("{0}")]
    ServiceFailure(String),
}

impl IamError {
    /// The `<Code>` of the error response.
    pub fn code(&self) -> &'static str {
        match self {
            IamError::NoSuchEntity(_) => "NoSuchEntity",
            IamError::EntityAlreadyExists(_) => "EntityAlreadyExists",
            IamError::DeleteConflict(_) => "DeleteConflict",
            IamError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            IamError::LimitExceeded(_) => "LimitExceeded",
            IamError::Validation(_) => "ValidationError",
            IamError::InvalidInput(_) => "InvalidInput",
            IamError::AccessDenied(_) => "AccessDenied",
            IamError::ExpiredToken(_) => "ExpiredToken",
            IamError::InvalidClientTokenId(_) => "InvalidClientTokenId",
            IamError::InvalidAction(_) => "InvalidAction",
            IamError::InvalidIdentityToken(_) => "InvalidIdentityToken",
            IamError::ExpiredTokenException(_) => "ExpiredTokenException",
            IamError::IdpRejectedClaim(_) => "IDPRejectedClaim",
            IamError::IdpCommunicationError(_) => "IDPCommunicationError",
            IamError::ServiceFailure(_) => "ServiceFailure",
        }
    }

    /// The HTTP status the models give the code.
    pub fn http_status(&self) -> u16 {
        match self {
            IamError::NoSuchEntity(_) => 404,
            IamError::EntityAlreadyExists(_)
            | IamError::DeleteConflict(_)
            | IamError::LimitExceeded(_) => 409,
            IamError::AccessDenied(_)
            | IamError::InvalidClientTokenId(_)
            | IamError::IdpRejectedClaim(_) => 403,
            IamError::ServiceFailure(_) => 500,
            _ => 400,
        }
    }

    /// `Sender` for the caller's faults, `Receiver` for the service's (the `<Type>` element).
    pub fn fault(&self) -> &'static str {
        if matches!(self, IamError::ServiceFailure(_)) {
            "Receiver"
        } else {
            "Sender"
        }
    }

    /// A `ValidationError` in the words AWS uses for a constraint a value breaks.
    pub fn constraint(value: &str, member: &str, rule: &str) -> Self {
        IamError::Validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy \
             constraint: {rule}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_are_the_models() {
        for (error, code, status) in [
            (IamError::NoSuchEntity("x".into()), "NoSuchEntity", 404),
            (
                IamError::EntityAlreadyExists("x".into()),
                "EntityAlreadyExists",
                409,
            ),
            (IamError::DeleteConflict("x".into()), "DeleteConflict", 409),
            (IamError::LimitExceeded("x".into()), "LimitExceeded", 409),
            (
                IamError::MalformedPolicyDocument("x".into()),
                "MalformedPolicyDocument",
                400,
            ),
            (IamError::Validation("x".into()), "ValidationError", 400),
            (IamError::AccessDenied("x".into()), "AccessDenied", 403),
            (IamError::ExpiredToken("x".into()), "ExpiredToken", 400),
            (
                IamError::InvalidIdentityToken("x".into()),
                "InvalidIdentityToken",
                400,
            ),
            (
                IamError::ExpiredTokenException("x".into()),
                "ExpiredTokenException",
                400,
            ),
            (
                IamError::IdpRejectedClaim("x".into()),
                "IDPRejectedClaim",
                403,
            ),
            (
                IamError::IdpCommunicationError("x".into()),
                "IDPCommunicationError",
                400,
            ),
        ] {
            assert_eq!(error.code(), code);
            assert_eq!(error.http_status(), status);
            assert_eq!(error.fault(), "Sender");
        }
        assert_eq!(IamError::ServiceFailure("x".into()).fault(), "Receiver");
    }
}
