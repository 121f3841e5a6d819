//! SigV4 on the HTTP listener: a middleware around the whole HTTP app that authenticates every
//! request (`thingcore::auth::authenticate`), checks data-plane requests of callers with a
//! policy against it, and hands the [`Caller`] to the routes as a request extension.
//!
//! `GET /health` and `GET /ca.pem` stay open in every mode: they are how a client finds out
//! whether and whom to trust. Refusals are AWS's: status, `x-amzn-ErrorType` and
//! `{"message": ...}`, and each is logged with its reason.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::sync::Arc;
use thingcore::auth::{self, AuthError, CredentialStore, DataPlaneAction, HttpRequest};
use thingcore::policy::{Authorization, IotAction};
use thingcore::{Clock, SystemClock};

/// Largest request body read for verification (the data plane's 128 KiB publish, with room).
const MAX_BODY: usize = 256 * 1024;

/// What the middleware needs.
#[derive(Debug, Clone)]
pub struct HttpAuth {
    /// Strict mode: every request must be signed by a configured key.
    pub strict: bool,
    /// The configured access keys.
    pub credentials: Arc<CredentialStore>,
    /// The core's region (credential scopes must name it).
    pub region: String,
    /// The core's account id (in policy resource ARNs).
    pub account_id: String,
}

/// An [`AuthError`] as AWS sends it.
pub fn refusal(error: &AuthError) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::FORBIDDEN);
    let mut response = (status, Json(json!({ "message": error.to_string() }))).into_response();
    response.headers_mut().insert(
        "x-amzn-ErrorType",
        HeaderValue::from_static(error.aws_error_type()),
    );
    response
}

/// The middleware: authenticate, authorize data-plane requests, pass the caller on.
pub async fn authenticate(
    State(config): State<Arc<HttpAuth>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == "/health" || path == "/ca.pem" {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let signed = HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers,
        body: &bytes,
    };
    let now = i64::try_from(SystemClock.now_millis()).unwrap_or(i64::MAX);
    let caller = match auth::authenticate(
        &signed,
        &config.credentials,
        config.strict,
        &config.region,
        now,
    ) {
        Ok(caller) => caller,
        Err(error) => {
            tracing::info!(
                method = %parts.method, path = %parts.uri.path(), reason = %error,
                "request refused"
            );
            return refusal(&error);
        }
    };
    if let Some(authorization) = caller.authorization(&config.region, &config.account_id, now) {
        let action =
            auth::data_plane_action(parts.method.as_str(), parts.uri.path(), parts.uri.query());
        if let Some(action) = action {
            if let Err(error) = authorize(&authorization, &action) {
                tracing::info!(caller = caller.name(), reason = %error, "request not authorized");
                return refusal(&error);
            }
        }
    }
    parts.extensions.insert(caller);
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether `authorization` allows a data-plane request.
///
/// # Errors
/// [`AuthError::NotAuthorized`] naming the first action refused.
pub fn authorize(authorization: &Authorization, action: &DataPlaneAction) -> Result<(), AuthError> {
    let refuse = |action: IotAction, resource: &str| {
        Err(AuthError::NotAuthorized {
            action: action.as_str(),
            resource: resource.to_owned(),
        })
    };
    match action {
        DataPlaneAction::Publish { topic, retain } => {
            if !authorization.allows(IotAction::Publish, topic) {
                return refuse(IotAction::Publish, topic);
            }
            if *retain && !authorization.allows(IotAction::RetainPublish, topic) {
                return refuse(IotAction::RetainPublish, topic);
            }
        }
        DataPlaneAction::GetRetainedMessage { topic } => {
            if !authorization.allows(IotAction::GetRetainedMessage, topic) {
                return refuse(IotAction::GetRetainedMessage, topic);
            }
        }
        DataPlaneAction::ListRetainedMessages => {
            if !authorization.allows(IotAction::ListRetainedMessages, "*") {
                return refuse(IotAction::ListRetainedMessages, "*");
            }
        }
        DataPlaneAction::Shadow {
            action,
            thing,
            shadow,
        } => {
            if !authorization
                .decide_shadow(*action, thing, shadow.as_deref())
                .is_allowed()
            {
                return refuse(*action, thing);
            }
        }
        DataPlaneAction::ListNamedShadowsForThing { thing } => {
            if !authorization.allows(IotAction::ListNamedShadowsForThing, thing) {
                return refuse(IotAction::ListNamedShadowsForThing, thing);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "http_auth_tests.rs"]
mod tests;
