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
use thingcore::auth::{self, AuthError, Caller, CredentialStore, DataPlaneAction, HttpRequest};
use thingcore::policy::{Authorization, IotAction};
use thingcore::{Clock, SystemClock};

use thingcore::policy::custom_authorizer::{
    AuthorizerInput, HttpInput, AUTHORIZER_NAME_PARAM, SIGNATURE_PARAM,
};
use thingcore_registry::custom_auth::{
    CustomAuthError, CustomAuthRequest, SharedAuthorizerFunctions,
};
use thingcore_registry::RegistryService;

/// A request a custom authorizer authenticated: the routes read it as an extension (the
/// `/mqtt` and `/ws` WebSockets take its rights).
#[derive(Debug, Clone)]
pub struct CustomCaller {
    /// The authorizer's `principalId`.
    pub principal_id: String,
    /// What the function's policies allow.
    pub authorization: Arc<Authorization>,
    /// The function's policy documents as it sent them (the `/ws` gateway stores them).
    pub policy_texts: Vec<String>,
    /// The function's `disconnectAfterInSeconds`.
    pub disconnect_after_secs: u64,
    /// The function's `refreshAfterInSeconds`.
    pub refresh_after_secs: u64,
    /// What was presented, to ask the authorizer again at refresh time.
    pub request: CustomAuthRequest,
}

/// Largest request body read for verification (the data plane's 128 KiB publish, with room).
const MAX_BODY: usize = 256 * 1024;

/// What the middleware needs.
#[derive(Debug, Clone)]
pub struct HttpAuth {
    /// Custom authorizers: the registry that knows them and who runs their functions.
    pub custom: Option<(RegistryService, SharedAuthorizerFunctions)>,
    /// Strict mode: every request must be signed by a configured key.
    pub strict: bool,
    /// The configured access keys.
    pub credentials: Arc<CredentialStore>,
    /// The core's region (credential scopes must name it).
    pub region: String,
    /// The core's account id (in policy resource ARNs).
    pub account_id: String,
    /// IAM: keys it issued are verified and held to their policies (`crate::iam_auth`).
    pub iam: Option<thingcore_iam::IamService>,
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
    if let Some(response) = custom_auth(&config, &mut parts).await {
        return response;
    }
    if parts.extensions.get::<CustomCaller>().is_some() {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
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
    let (authenticated, iam_caller) = authenticate_signed(&config, &signed, now).await;
    let unsigned = matches!(
        authenticated,
        Ok(Caller::Anonymous) | Err(AuthError::MissingAuthenticationToken)
    );
    if unsigned && parts.uri.path() != "/mqtt" {
        if let Some(certificates) = parts.extensions.get::<ClientCertificates>().cloned() {
            if let Err(refused) = certificate_auth(&config, &parts, &certificates).await {
                return refused;
            }
            parts.extensions.insert(Caller::Anonymous);
            return next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
        }
    }
    let caller = match authenticated {
        Ok(caller) => caller,
        // An unsigned MQTT-over-WebSocket upgrade: its CONNECT is authenticated instead
        // (custom authorizers in the username), strictly under --auth strict.
        Err(AuthError::MissingAuthenticationToken) if parts.uri.path() == "/mqtt" => {
            Caller::Anonymous
        }
        // STS operations whose credential is in the request (AWS takes them unsigned).
        Err(AuthError::MissingAuthenticationToken)
            if crate::iam_routes::is_unsigned_operation(
                parts.method.as_str(),
                parts.uri.path(),
                &bytes,
            ) =>
        {
            Caller::Anonymous
        }
        Err(error) => {
            tracing::info!(
                method = %parts.method, path = %parts.uri.path(), reason = %error,
                "request refused"
            );
            if parts.uri.path() == "/" && parts.method == axum::http::Method::POST {
                return crate::iam_routes::auth_refusal(&error);
            }
            return refusal(&error);
        }
    };
    if let (Some((iam_caller, service)), Caller::Verified(_)) = (&iam_caller, &caller) {
        if let Err(error) = iam_authorize(&config, &parts, &bytes, iam_caller, service, now) {
            if parts.uri.path() == "/" && parts.method == axum::http::Method::POST {
                return crate::iam_routes::auth_refusal(&error);
            }
            return refusal(&error);
        }
        parts.extensions.insert(iam_caller.clone());
    }
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

/// Authenticates a signed (or unsigned) request: a key of the credentials store as
/// `thingcore::auth::authenticate` decides, else a key IAM issued, verified against its
/// secret (with the IAM caller to authorize and the signing name it signed for), else an
/// unknown key as the mode decides.
async fn authenticate_signed(
    config: &HttpAuth,
    signed: &HttpRequest<'_>,
    now: i64,
) -> (
    Result<Caller, AuthError>,
    Option<(crate::iam_auth::IamCaller, String)>,
) {
    let plain = || {
        auth::authenticate(
            signed,
            &config.credentials,
            config.strict,
            &config.region,
            now,
        )
    };
    let Some(iam) = &config.iam else {
        return (plain(), None);
    };
    let info = match auth::sigv4::parse(signed) {
        Ok(Some(info)) if config.credentials.get(&info.access_key_id).is_none() => info,
        _ => return (plain(), None),
    };
    match crate::iam_auth::identify(iam, &info, now).await {
        Ok(Some((identity, caller))) => (
            auth::authenticate_as(signed, &info, &identity, config.strict, &config.region, now),
            Some((caller, info.service)),
        ),
        Ok(None) => (plain(), None),
        Err(error) => (Err(error), None),
    }
}

/// IAM's decision on a request an identity it knows signed for `signed_service` (`/mqtt` and
/// `/ws` are connections, not operations: not checked here).
fn iam_authorize(
    config: &HttpAuth,
    parts: &axum::http::request::Parts,
    body: &[u8],
    caller: &crate::iam_auth::IamCaller,
    signed_service: &str,
    now: i64,
) -> Result<(), AuthError> {
    let path = parts.uri.path();
    if path == "/mqtt" || path == "/ws" {
        return Ok(());
    }
    let source_ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let operation = crate::iam_auth::Operation {
        signed_service,
        method: parts.method.as_str(),
        path,
        query: parts.uri.query(),
        body,
    };
    // Requests on the TLS port carry their client certificates; the plain port is plain.
    let secure = parts.extensions.get::<ClientCertificates>().is_some();
    crate::iam_auth::authorize(caller, &operation, &config.region, source_ip, secure, now)
}

/// The client certificate chain of an HTTPS request on the TLS port (DER, the client's own
/// first), as a request extension.
#[derive(Debug, Clone)]
pub struct ClientCertificates(pub Arc<Vec<Vec<u8>>>);

/// An unsigned HTTPS request with a client certificate, as AWS IoT's HTTPS device endpoint
/// takes it: data-plane requests only, the certificate checked against the registry and its
/// policies deciding the action.
async fn certificate_auth(
    config: &HttpAuth,
    parts: &axum::http::request::Parts,
    certificates: &ClientCertificates,
) -> Result<(), Response> {
    let method = parts.method.as_str();
    let Some(action) = auth::data_plane_action(method, parts.uri.path(), parts.uri.query())
        .or_else(|| auth::jobs_data_action(method, parts.uri.path()))
    else {
        return Err(refuse_custom(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "a client certificate authenticates data-plane requests only (publish, retained \
             messages, shadows, the Jobs device API); sign control-plane requests with SigV4"
                .into(),
        ));
    };
    let Some((registry, _)) = &config.custom else {
        return Err(refuse_custom(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "client certificates are not checked on this listener".into(),
        ));
    };
    let principal = match registry
        .authenticate_certificate(&certificates.0, None)
        .await
    {
        Ok(principal) => principal,
        Err(error) => {
            tracing::info!(path = %parts.uri.path(), reason = %error, "client certificate refused");
            return Err(refuse_custom(
                StatusCode::FORBIDDEN,
                "ForbiddenException",
                format!("the client certificate is not accepted: {error}"),
            ));
        }
    };
    if let Err(error) = authorize(&principal.authorization, &action) {
        tracing::info!(certificate = %principal.certificate_id, reason = %error, "request not authorized");
        return Err(refusal(&error));
    }
    Ok(())
}

fn refuse_custom(status: StatusCode, kind: &'static str, message: String) -> Response {
    let mut response = (status, Json(json!({ "message": message }))).into_response();
    response
        .headers_mut()
        .insert("x-amzn-ErrorType", HeaderValue::from_static(kind));
    response
}

/// Custom authentication for a request that names an authorizer (`x-amz-customauthorizer-name`
/// header or query parameter): only Publish and `/mqtt`, as on AWS. `None` when the request
/// does not ask for it, or when it was authenticated (a [`CustomCaller`] is then in `parts`);
/// otherwise the refusal.
async fn custom_auth(
    config: &HttpAuth,
    parts: &mut axum::http::request::Parts,
) -> Option<Response> {
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            q.split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let decode = |s: &str| {
                        percent_encoding::percent_decode_str(&s.replace('+', " "))
                            .decode_utf8_lossy()
                            .into_owned()
                    };
                    (decode(k), decode(v))
                })
                .collect()
        })
        .unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let find = |key: &str| {
        headers
            .iter()
            .chain(query.iter())
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    let authorizer_name = find(AUTHORIZER_NAME_PARAM)?;
    let Some((registry, functions)) = &config.custom else {
        return Some(refuse_custom(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "custom authorizers are not available on this listener".into(),
        ));
    };
    let path = parts.uri.path().to_owned();
    let action = auth::data_plane_action(parts.method.as_str(), &path, parts.uri.query());
    let publish = matches!(action, Some(DataPlaneAction::Publish { .. }));
    if !publish && path != "/mqtt" && path != "/ws" {
        return Some(refuse_custom(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "custom authorizers authenticate HTTP Publish, MQTT over WebSocket and the /ws gateway only"
                .into(),
        ));
    }
    let request = CustomAuthRequest {
        authorizer_name: Some(authorizer_name),
        presented: headers.iter().chain(query.iter()).cloned().collect(),
        signature: find(SIGNATURE_PARAM),
        input: AuthorizerInput {
            http: Some(HttpInput {
                headers: headers.clone(),
                query_string: parts
                    .uri
                    .query()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default(),
            }),
            ..AuthorizerInput::default()
        },
        client_id: None,
    };
    let principal = match registry
        .custom_authenticate(functions.as_ref(), request.clone())
        .await
    {
        Ok(principal) => principal,
        Err(error) => {
            tracing::info!(%path, reason = %error, "request refused by custom authentication");
            return Some(custom_refusal(&error));
        }
    };
    let authorization = Arc::new(principal.authorization);
    if let Some(action) = action {
        if let Err(error) = authorize(&authorization, &action) {
            tracing::info!(principal = %principal.decision.principal_id, reason = %error, "request not authorized");
            return Some(refusal(&error));
        }
    }
    parts.extensions.insert(CustomCaller {
        principal_id: principal.decision.principal_id,
        authorization,
        policy_texts: principal.decision.policy_texts,
        disconnect_after_secs: principal.decision.disconnect_after_secs,
        refresh_after_secs: principal.decision.refresh_after_secs,
        request,
    });
    None
}

fn custom_refusal(error: &CustomAuthError) -> Response {
    if error.is_bad_credentials() {
        refuse_custom(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedException",
            format!("Custom authentication failed: {error}"),
        )
    } else {
        refuse_custom(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            format!("Custom authentication failed: {error}"),
        )
    }
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
        DataPlaneAction::JobExecution { action, thing } => {
            if !authorization.allows(*action, thing) {
                return refuse(*action, thing);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "http_auth_tests.rs"]
mod tests;
