//! IAM at the HTTP door: who a key IAM issued is ([`identify`]), and whether its policies allow
//! the operation a request is ([`authorize`]).
//!
//! A signature whose key the credentials store does not know is looked up in IAM: an access
//! key from `CreateAccessKey`, or temporary credentials (`ASIA…` with
//! `X-Amz-Security-Token`) from STS. Such a caller is an [`IamCaller`], and every request it
//! signs is matched to its operation in the authorization table
//! (`thingcore::iam::operations`) and decided by `thingcore::iam::enforcement`. The keys of
//! the credentials store (`test`/`test`, `--credentials FILE`) stay the account's admins.

use std::net::IpAddr;
use std::sync::Arc;
use thingcore::auth::sigv4::SignedRequestInfo;
use thingcore::auth::{AuthError, Identity};
use thingcore::iam::enforcement::{self, IamPrincipal, PrincipalKind, RequestFacts};
use thingcore::iam::operations::{self, Check};
use thingcore::iam::IamError;
use thingcore_iam::{IamService, ServiceError};

/// A request signed by an identity IAM knows, as a request extension.
#[derive(Debug, Clone)]
pub struct IamCaller(pub Arc<IamPrincipal>);

/// The identity of a key IAM issued, with its secret to verify the signature: `Ok(None)`
/// for a key IAM does not know.
///
/// # Errors
/// `UnrecognizedClient` for an inactive key, a session token for another key or none;
/// `ExpiredToken` for expired temporary credentials. A failing store refuses too (logged).
pub async fn identify(
    iam: &IamService,
    info: &SignedRequestInfo,
    now_millis: i64,
) -> Result<Option<(Arc<Identity>, IamCaller)>, AuthError> {
    let now = u64::try_from(now_millis / 1000).unwrap_or(0);
    let found = iam
        .identity_for_access_key(&info.access_key_id, info.session_token.as_deref(), now)
        .await;
    let identity = match found {
        Ok(Some(identity)) => identity,
        Ok(None) => return Ok(None),
        Err(ServiceError::Rejected(IamError::ExpiredToken(_))) => {
            return Err(AuthError::ExpiredToken)
        }
        Err(ServiceError::Rejected(_)) => return Err(AuthError::UnrecognizedClient),
        Err(error) => {
            tracing::error!(%error, key = %info.access_key_id, "IAM lookup failed: request refused");
            return Err(AuthError::UnrecognizedClient);
        }
    };
    let principal = identity.principal(&info.access_key_id).map_err(|error| {
        tracing::error!(%error, arn = %identity.arn, "a stored policy does not parse: refused");
        AuthError::UnrecognizedClient
    })?;
    let key = Arc::new(Identity::new(
        info.access_key_id.clone(),
        identity.secret_access_key.clone(),
        None,
    ));
    Ok(Some((key, IamCaller(Arc::new(principal)))))
}

/// What the request is, for [`authorize`].
#[derive(Debug, Clone, Copy)]
pub struct Operation<'a> {
    /// The signature's service (`iot`, `iotdata`, `iot-jobs-data`, `iam`, `sts`).
    pub signed_service: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The path, as sent (percent-encoded).
    pub path: &'a str,
    /// The query string.
    pub query: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// Whether `caller` may perform the operation `request` is. A request that matches no
/// operation of its service is refused (unit tests keep every served operation in the
/// table), so a route the table misses fails closed.
///
/// # Errors
/// [`AuthError::AccessDenied`] with AWS's message.
pub fn authorize(
    caller: &IamCaller,
    request: &Operation<'_>,
    region: &str,
    source_ip: Option<IpAddr>,
    secure_transport: bool,
    now_millis: i64,
) -> Result<(), AuthError> {
    if caller.0.kind == PrincipalKind::Root {
        return Ok(());
    }
    let Some(service) = operations::service_for_signing_name(request.signed_service) else {
        return Ok(());
    };
    let table = operations::table();
    let query = pairs(request.query.unwrap_or_default());
    let (operation, labels, form) = if matches!(service, "iam" | "sts") {
        let form = pairs(&String::from_utf8_lossy(request.body));
        let action = form
            .iter()
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let Some(operation) = table.find_query(service, &action) else {
            return Err(unknown(caller, service, &action));
        };
        (operation, Vec::new(), form)
    } else {
        let Some(matched) = table.find_rest(service, request.method, request.path) else {
            let what = format!("{} {}", request.method, request.path);
            return Err(unknown(caller, service, &what));
        };
        (matched.operation, matched.labels, Vec::new())
    };
    if operation.check != Check::Policies {
        return Ok(());
    }
    let body: Option<serde_json::Value> = if form.is_empty() && !request.body.is_empty() {
        serde_json::from_slice(request.body).ok()
    } else {
        None
    };
    let principal = &caller.0;
    let member = |name: &str| -> Option<String> {
        let find = |list: &[(String, String)]| {
            list.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        };
        find(&labels)
            .or_else(|| find(&form))
            .or_else(|| find(&query))
            .or_else(|| {
                body.as_ref()
                    .and_then(|b| b.get(name))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            // IAM: without a UserName, the operation is on the caller's own user.
            .or_else(|| {
                (name == "UserName")
                    .then(|| principal.user_name().map(str::to_string))
                    .flatten()
            })
    };
    let resources = operation.resources(region, &principal.account, member);
    let facts = RequestFacts {
        region: region.to_string(),
        now: now_millis / 1000,
        source_ip,
        secure_transport,
    };
    enforcement::authorize(principal, &operation.action, &resources, &facts).map_err(|denied| {
        tracing::info!(principal = %denied.principal, action = %denied.action,
            resource = %denied.resource, "IAM refused the request");
        AuthError::AccessDenied(denied.to_string())
    })
}

/// The refusal of a request that is no operation of `service` (for an identity that is not
/// the root, which may do everything).
fn unknown(caller: &IamCaller, service: &str, what: &str) -> AuthError {
    AuthError::AccessDenied(format!(
        "User: {} is not authorized to perform this request: {what} is no {service} operation",
        caller.0.arn
    ))
}

/// `k=v&…` pairs, percent- and `+`-decoded (a query string or a Query protocol form).
fn pairs(text: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}
