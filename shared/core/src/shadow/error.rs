//! The Device Shadow service's error: an HTTP status code, AWS's message text, and the
//! request's `clientToken` echoed back. It renders as the *error response document* published on
//! `…/rejected` topics and returned by the data-plane API (AWS IoT Developer Guide, "Device
//! Shadow service documents" → "Error response document"; messages from "Device Shadow error
//! messages").

use serde_json::{Map, Value};

/// A rejected shadow request, as AWS reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ShadowError {
    /// The HTTP status code AWS uses for this error (400, 404, 409, 413, 415, …).
    pub code: u16,
    /// AWS's message text, e.g. `Version conflict`.
    pub message: String,
    /// The request's client token, echoed back when the request carried a valid one.
    pub client_token: Option<String>,
}

impl ShadowError {
    /// An error with `code` and `message` and no client token.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            client_token: None,
        }
    }

    /// The same error, echoing `token` (when there is one).
    #[must_use]
    pub fn with_client_token(mut self, token: Option<&str>) -> Self {
        if let Some(token) = token {
            self.client_token = Some(token.to_owned());
        }
        self
    }

    /// 400: the payload is not JSON at all (the service's text for an unparsable payload).
    pub fn payload_invalid_json() -> Self {
        Self::new(400, "Payload contains invalid json")
    }

    /// 400: the payload is JSON but not a JSON object (documented "Invalid JSON").
    pub fn invalid_json() -> Self {
        Self::new(400, "Invalid JSON")
    }

    /// 400: an array in the state holds `null`, which AWS rejects ("Array values in shadow
    /// documents"; AWS documents the rule, not the text: ours).
    pub fn null_in_array() -> Self {
        Self::new(400, "Invalid JSON: arrays cannot contain null values")
    }

    /// 400: an update without `state`.
    pub fn missing_state() -> Self {
        Self::new(400, "Missing required node: state")
    }

    /// 400: `state` is neither an object nor `null`.
    pub fn state_not_object() -> Self {
        Self::new(400, "State node must be an object")
    }

    /// 400: `state.desired` is neither an object nor `null`.
    pub fn desired_not_object() -> Self {
        Self::new(400, "Desired node must be an object")
    }

    /// 400: `state.reported` is neither an object nor `null`.
    pub fn reported_not_object() -> Self {
        Self::new(400, "Reported node must be an object")
    }

    /// 400: `state` holds a key other than `desired` and `reported`.
    pub fn invalid_state_node(name: &str) -> Self {
        Self::new(400, format!("State contains an invalid node: '{name}'"))
    }

    /// 400: `version` is not a non-negative integer.
    pub fn invalid_version() -> Self {
        Self::new(400, "Invalid version")
    }

    /// 400: `clientToken` is not a string, or is longer than the limit (64 bytes).
    pub fn invalid_client_token() -> Self {
        Self::new(400, "Invalid clientToken")
    }

    /// 400: `desired` or `reported` nests deeper than `max` levels.
    pub fn too_deep(max: usize) -> Self {
        Self::new(
            400,
            format!("JSON contains too many levels of nesting; maximum is {max}"),
        )
    }

    /// 400: a thing name outside 1–`max` characters of `[a-zA-Z0-9:_-]` (our text).
    pub fn invalid_thing_name(max: usize) -> Self {
        Self::new(
            400,
            format!("Invalid thingName: must be 1-{max} characters from [a-zA-Z0-9:_-]"),
        )
    }

    /// 400: a shadow name outside 1–`max` characters of `[$a-zA-Z0-9:_-]` (our text).
    pub fn invalid_shadow_name(max: usize) -> Self {
        Self::new(
            400,
            format!("Invalid shadowName: must be 1-{max} characters from [$a-zA-Z0-9:_-]"),
        )
    }

    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }

    /// 403.
    pub fn forbidden() -> Self {
        Self::new(403, "Forbidden")
    }

    /// 404: the thing does not exist.
    pub fn thing_not_found() -> Self {
        Self::new(404, "Thing not found")
    }

    /// 404: no shadow (or a deleted one). `name` is the shadow name, or the thing name for
    /// the classic shadow, quoted as the service quotes it.
    pub fn no_shadow(name: &str) -> Self {
        Self::new(404, format!("No shadow exists with name: '{name}'"))
    }

    /// 409: the request's `version` is not the shadow's current version.
    pub fn version_conflict() -> Self {
        Self::new(409, "Version conflict")
    }

    /// 413: the payload, or the state it would leave behind, is over the limit.
    pub fn payload_too_large() -> Self {
        Self::new(413, "The payload exceeds the maximum size allowed")
    }

    /// 415: the payload is not UTF-8 (AWS's text, typo included).
    pub fn unsupported_encoding() -> Self {
        Self::new(
            415,
            "Unsupported documented encoding; supported encoding is UTF-8",
        )
    }

    /// 429: too many requests in flight (AWS documents the cause, not the text: ours).
    pub fn throttled() -> Self {
        Self::new(429, "Too Many Requests")
    }

    /// 500.
    pub fn internal() -> Self {
        Self::new(500, "Internal service failure")
    }

    /// The error response document: `code`, `message`, `timestamp` and `clientToken` (when
    /// there is one). AWS leaves `timestamp` out of some error documents ("This property is
    /// not present in all error response documents"); its published 409 and 404 documents have
    /// none, so those two codes are rendered without it.
    pub fn to_json(&self, now_secs: u64) -> Value {
        let mut doc = Map::new();
        doc.insert("code".into(), Value::from(self.code));
        doc.insert("message".into(), Value::from(self.message.clone()));
        if !matches!(self.code, 404 | 409) {
            doc.insert("timestamp".into(), Value::from(now_secs));
        }
        if let Some(token) = &self.client_token {
            doc.insert("clientToken".into(), Value::from(token.clone()));
        }
        Value::Object(doc)
    }

    /// The AWS IoT data-plane error type (`x-amzn-ErrorType`) for this code, as the iot-data
    /// API model names them.
    pub fn aws_error_type(&self) -> &'static str {
        match self.code {
            400 => "InvalidRequestException",
            401 => "UnauthorizedException",
            403 => "ForbiddenException",
            404 => "ResourceNotFoundException",
            405 => "MethodNotAllowedException",
            409 => "ConflictException",
            413 => "RequestEntityTooLargeException",
            415 => "UnsupportedDocumentEncodingException",
            429 => "ThrottlingException",
            503 => "ServiceUnavailableException",
            504 => "GatewayTimeoutException",
            _ => "InternalFailureException",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_code_maps_to_the_iot_data_error_type() {
        let cases = [
            (ShadowError::invalid_json(), "InvalidRequestException"),
            (ShadowError::unauthorized(), "UnauthorizedException"),
            (ShadowError::forbidden(), "ForbiddenException"),
            (ShadowError::no_shadow("t"), "ResourceNotFoundException"),
            (ShadowError::new(405, "x"), "MethodNotAllowedException"),
            (ShadowError::version_conflict(), "ConflictException"),
            (
                ShadowError::payload_too_large(),
                "RequestEntityTooLargeException",
            ),
            (
                ShadowError::unsupported_encoding(),
                "UnsupportedDocumentEncodingException",
            ),
            (ShadowError::throttled(), "ThrottlingException"),
            (ShadowError::internal(), "InternalFailureException"),
            (ShadowError::new(503, "x"), "ServiceUnavailableException"),
            (ShadowError::new(504, "x"), "GatewayTimeoutException"),
        ];
        for (error, expected) in cases {
            assert_eq!(error.aws_error_type(), expected, "{error}");
        }
    }

    #[test]
    fn error_documents_carry_code_message_timestamp_and_token() {
        let error = ShadowError::missing_state().with_client_token(Some("tok"));
        assert_eq!(
            error.to_json(7),
            json!({"code": 400, "message": "Missing required node: state",
                   "timestamp": 7, "clientToken": "tok"})
        );
        assert_eq!(
            ShadowError::invalid_version().to_json(7),
            json!({"code": 400, "message": "Invalid version", "timestamp": 7})
        );
    }

    #[test]
    fn conflict_and_not_found_documents_look_like_the_published_ones() {
        // "Interacting with shadows" → Optimistic locking: the 409 result document.
        let conflict = ShadowError::version_conflict()
            .with_client_token(Some("426bfd96-e720-46d3-95cd-014e3ef12bb6"));
        assert_eq!(
            conflict.to_json(1),
            json!({"code": 409, "message": "Version conflict",
                   "clientToken": "426bfd96-e720-46d3-95cd-014e3ef12bb6"})
        );
        assert_eq!(
            ShadowError::no_shadow("Limits").to_json(1),
            json!({"code": 404, "message": "No shadow exists with name: 'Limits'"})
        );
    }
}
