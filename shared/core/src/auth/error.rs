//! [`AuthError`]: why a request was not authenticated or not authorized, with AWS's error type
//! and HTTP status for each.

/// Why a caller was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No signature where one is required (strict mode).
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,

    /// A signature that is not well formed (a missing `Credential=`, an unknown algorithm...).
    #[error("{0}")]
    IncompleteSignature(String),

    /// A signature by an access key the core does not know (strict mode).
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,

    /// The signature does not match the request.
    #[error("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")]
    SignatureMismatch,

    /// `X-Amz-Date` more than 15 minutes away from now, or a presigned URL past its expiry.
    #[error("Signature expired: {date} is now earlier than {earliest} ({now} - 15 min.)")]
    SignatureExpired {
        /// The request's date, `YYYYMMDDTHHMMSSZ`.
        date: String,
        /// The earliest date accepted now.
        earliest: String,
        /// The server's time.
        now: String,
    },

    /// `X-Amz-Date` more than 15 minutes in the future.
    #[error("Signature not yet current: {date} is still later than {latest} ({now} + 15 min.)")]
    SignatureNotYetCurrent {
        /// The request's date.
        date: String,
        /// The latest date accepted now.
        latest: String,
        /// The server's time.
        now: String,
    },

    /// The credential scope names another region than this core's.
    #[error("Credential should be scoped to a valid region, not '{0}'.")]
    WrongRegion(String),

    /// The credential scope names another service than the path's.
    #[error("Credential should be scoped to correct service: '{expected}'.")]
    WrongService {
        /// The signing name the path belongs to.
        expected: &'static str,
        /// The one in the request.
        got: String,
    },

    /// Temporary credentials past their expiry.
    #[error("The security token included in the request is expired")]
    ExpiredToken,

    /// IAM refused: the identity's policies do not allow the action on the resource (the
    /// message names the principal, the action and the resource, as AWS's does).
    #[error("{0}")]
    AccessDenied(String),

    /// The caller's policy does not allow the action.
    #[error("You are not authorized to perform {action} on {resource}")]
    NotAuthorized {
        /// The IoT action, e.g. `iot:Publish`.
        action: &'static str,
        /// What it was asked on (topic, thing...).
        resource: String,
    },
}

impl AuthError {
    /// The HTTP status AWS answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::IncompleteSignature(_) => 400,
            Self::NotAuthorized { .. } => 401,
            _ => 403,
        }
    }

    /// The `x-amzn-ErrorType` AWS answers with.
    pub fn aws_error_type(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::IncompleteSignature(_) => "IncompleteSignatureException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
            Self::SignatureMismatch
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::WrongRegion(_)
            | Self::WrongService { .. } => "InvalidSignatureException",
            Self::NotAuthorized { .. } => "UnauthorizedException",
            Self::ExpiredToken => "ExpiredTokenException",
            Self::AccessDenied(_) => "AccessDeniedException",
        }
    }
}
