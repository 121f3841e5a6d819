//! IAM and STS on AWS's Query protocol, at `POST /`: the form body (`Action=…&Version=…&…`)
//! is decoded, the [`IamService`] called, and its answer written as the XML AWS sends
//! (`<{Op}Response><{Op}Result>…</{Op}Result><ResponseMetadata>…`), refusals as
//! `<ErrorResponse>` with the model's status.
//!
//! IAM and STS are told apart by the signed credential scope's service (`iam` or `sts`) or,
//! unsigned, by the action's name. The caller is the signature's access key (and
//! `X-Amz-Security-Token`): see `thingcore_iam::sts` for who an unknown key is.
//!
//! - `form`: the Query protocol's form (members, `Member.N` lists, tags).
//! - `xml`: the small XML writer, with escaping, and the response envelopes.
//! - `iam_ops`: the IAM operations, with `access_key_ops` for access keys and `oidc_ops` for
//!   OpenID Connect providers; `sts_ops`: the STS ones.

mod access_key_ops;
mod form;
mod iam_ops;
mod oidc_ops;
mod sts_ops;
mod xml;

use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use form::Form;
use thingcore::auth::AuthError;
use thingcore::iam::IamError;
use thingcore_iam::sts::CallerKey;

/// The Query API a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Iam,
    Sts,
}

impl Api {
    fn namespace(self) -> &'static str {
        match self {
            Api::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Api::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    fn version(self) -> &'static str {
        match self {
            Api::Iam => "2010-05-08",
            Api::Sts => "2011-06-15",
        }
    }
}

/// The signature's access key id and credential scope service, from `Authorization`.
fn signature(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let credential = value
        .split("Credential=")
        .nth(1)?
        .split([',', ' '])
        .next()?;
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [key, _date, _region, service, _] => Some(((*key).to_string(), (*service).to_string())),
        _ => None,
    }
}

/// `POST /`: one IAM or STS operation.
pub async fn query_route(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    let action = form.get("Action").unwrap_or_default().to_string();
    let signed = signature(&headers);
    let api = match signed.as_ref().map(|(_, service)| service.as_str()) {
        Some("sts") => Api::Sts,
        Some("iam") => Api::Iam,
        _ if sts_ops::ACTIONS.contains(&action.as_str()) => Api::Sts,
        _ => Api::Iam,
    };
    let caller = CallerKey {
        access_key_id: signed.map(|(key, _)| key),
        session_token: headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        source_ip: extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip()),
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let answer = match api {
        Api::Iam => iam_ops::dispatch(&state.iam, &caller, &action, &form).await,
        Api::Sts => sts_ops::dispatch(&state.iam, &caller, &action, &form).await,
    };
    match answer {
        Ok(result) => {
            tracing::debug!(%action, "query api request");
            xml::respond(api.namespace(), &action, result.as_deref(), &request_id)
        }
        Err(error) => {
            let error = if matches!(error, IamError::InvalidAction(_)) && !action.is_empty() {
                IamError::InvalidAction(format!(
                    "Could not find operation {action} for version {}",
                    api.version()
                ))
            } else {
                error
            };
            tracing::info!(%action, code = error.code(), reason = %error, "query api request refused");
            let status =
                StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                xml::error_headers(),
                xml::error_body(api.namespace(), &error, &request_id),
            )
                .into_response()
        }
    }
}

/// Whether a request is an operation AWS takes unsigned, its credential being in the request
/// itself (`POST /` with `Action=AssumeRoleWithWebIdentity`): strict mode lets it through
/// unsigned, and the operation verifies the token.
pub fn is_unsigned_operation(method: &str, path: &str, body: &[u8]) -> bool {
    method == "POST"
        && path == "/"
        && Form::parse(body).get("Action") == Some("AssumeRoleWithWebIdentity")
}

/// A request to `POST /` that authentication refused, answered as the Query protocol does
/// (`ErrorResponse` XML with IAM's and STS's codes, e.g. `SignatureDoesNotMatch`), where the
/// JSON APIs get `x-amzn-ErrorType`.
pub fn auth_refusal(error: &AuthError) -> Response {
    let code = match error {
        AuthError::MissingAuthenticationToken => "MissingAuthenticationToken",
        AuthError::IncompleteSignature(_) => "IncompleteSignature",
        AuthError::UnrecognizedClient => "InvalidClientTokenId",
        AuthError::NotAuthorized { .. } | AuthError::AccessDenied(_) => "AccessDenied",
        AuthError::ExpiredToken => "ExpiredToken",
        _ => "SignatureDoesNotMatch",
    };
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::FORBIDDEN);
    let body = xml::error_response(
        Api::Iam.namespace(),
        "Sender",
        code,
        &error.to_string(),
        &uuid::Uuid::new_v4().to_string(),
    );
    (status, xml::error_headers(), body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use thingcore::iam::operations::table;
    use thingcore::store::MemoryStore;

    /// Every IAM and STS operation the dispatchers serve (all but `InvalidAction` for an
    /// empty form of each model operation) has its row in the authorization table.
    #[tokio::test]
    async fn every_served_query_operation_has_an_action_and_resources() {
        let iam = thingcore_iam::IamService::new(
            Arc::new(MemoryStore::default()),
            Arc::new(thingcore::SystemClock),
            thingcore_iam::IamConfig {
                account_id: "000000000000".into(),
                region: "us-east-1".into(),
            },
        );
        let caller = CallerKey::default();
        let form = Form::parse(b"");
        for (service, prefix) in [("iam", "iam:"), ("sts", "sts:")] {
            let mut served = 0;
            for operation in table().operations(service) {
                let action = operation.operation.as_str();
                let answer = match service {
                    "iam" => iam_ops::dispatch(&iam, &caller, action, &form).await,
                    _ => sts_ops::dispatch(&iam, &caller, action, &form).await,
                };
                if matches!(answer, Err(IamError::InvalidAction(_))) {
                    continue;
                }
                served += 1;
                assert!(operation.action.starts_with(prefix), "{action}");
                assert!(!operation.resources.is_empty(), "{action}");
            }
            println!("{service}: {served} served operations, each with its row");
            let expected = if service == "sts" {
                sts_ops::ACTIONS.len()
            } else {
                67
            };
            assert_eq!(served, expected, "{service}");
        }
    }
}
