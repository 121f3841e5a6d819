//! AWS Signature Version 4 verification of HTTP requests.
//!
//! [`parse`] reads the signature a request carries — the `Authorization` header
//! (`AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` with `X-Amz-Date`) or a
//! presigned URL's `X-Amz-*` query parameters — and [`verify`] checks it: the credential scope
//! names this core's region and the path's service, the date is within 15 minutes of now (a
//! presigned URL: not before its date less 15 minutes, not after its date plus `X-Amz-Expires`),
//! and the signature equals the one the `aws-sigv4` crate computes over the same method, path,
//! query, signed headers and body with the caller's secret, compared in constant time.
//!
//! Presigned URLs with a session token are accepted both with the token signed and with it
//! appended after signing, as AWS IoT's device SDKs do for `iotdevicegateway`.

use super::error::AuthError;
use aws_sigv4::http_request::{
    sign, PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest, SigningSettings,
};
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;

/// The only algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a header-signed request's date may be from now (AWS: 15 minutes).
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;
/// The longest `X-Amz-Expires` of a presigned URL (AWS: 7 days).
pub const MAX_EXPIRES_SECONDS: u64 = 604_800;

const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The parts of an HTTP request a signature covers, as received (path and query still
/// percent-encoded).
#[derive(Debug, Clone)]
pub struct HttpRequest<'a> {
    /// `GET`, `POST`...
    pub method: &'a str,
    /// The raw path, e.g. `/topics/a%2Fb`.
    pub path: &'a str,
    /// The raw query string without `?`, if any.
    pub query: Option<&'a str>,
    /// Every header (names in any case).
    pub headers: Vec<(&'a str, &'a str)>,
    /// The whole body.
    pub body: &'a [u8],
}

impl HttpRequest<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
    }

    fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| percent_decode_str(value).decode_utf8_lossy().into_owned())
    }
}

/// Where a request carries its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLocation {
    /// The `Authorization` header.
    Headers,
    /// A presigned URL's query parameters.
    Query,
}

/// A request's signature and what it claims, before verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequestInfo {
    /// Header or query.
    pub location: SignatureLocation,
    /// The access key id, the caller's identity.
    pub access_key_id: String,
    /// `X-Amz-Date`, `YYYYMMDDTHHMMSSZ`.
    pub date: String,
    /// The credential scope's date, `YYYYMMDD`.
    pub scope_date: String,
    /// The credential scope's region.
    pub region: String,
    /// The credential scope's service (signing name).
    pub service: String,
    /// The signed header names, lower case, in the request's order.
    pub signed_headers: Vec<String>,
    /// The signature, hex.
    pub signature: String,
    /// A presigned URL's `X-Amz-Expires`, seconds.
    pub expires: Option<u64>,
    /// `X-Amz-Security-Token`, if sent.
    pub session_token: Option<String>,
}

fn incomplete(message: impl Into<String>) -> AuthError {
    AuthError::IncompleteSignature(message.into())
}

/// The signature `request` carries, or `None` when it carries none (no `Authorization` header
/// and no presigning query parameter).
///
/// Any one `X-Amz-*` presigning parameter makes the URL a presigned one, so a URL that carries
/// only some of them is refused rather than taken as unsigned.
///
/// # Errors
/// [`AuthError::IncompleteSignature`] when a signature is there but malformed.
pub fn parse(request: &HttpRequest<'_>) -> Result<Option<SignedRequestInfo>, AuthError> {
    if let Some(authorization) = request.header("authorization") {
        return parse_header(request, authorization).map(Some);
    }
    if request.query_pairs().any(|(key, _)| is_presign_param(key)) {
        return parse_query(request).map(Some);
    }
    Ok(None)
}

fn parse_header(
    request: &HttpRequest<'_>,
    authorization: &str,
) -> Result<SignedRequestInfo, AuthError> {
    let Some(rest) = authorization.strip_prefix(ALGORITHM) else {
        return Err(incomplete(format!(
            "Authorization header must start with '{ALGORITHM}'"
        )));
    };
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v.trim()),
            Some(("SignedHeaders", v)) => signed_headers = Some(v.trim()),
            Some(("Signature", v)) => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_none() {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    let Some(date) = request.header("x-amz-date") else {
        missing.push("Authorization header requires existence of a 'X-Amz-Date' header.".into());
        return Err(incomplete(missing.join(" ")));
    };
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(incomplete(missing.join(" ")));
    };
    build_info(
        SignatureLocation::Headers,
        credential,
        date,
        signed_headers,
        signature,
        None,
        request.header("x-amz-security-token").map(str::to_owned),
    )
}

fn parse_query(request: &HttpRequest<'_>) -> Result<SignedRequestInfo, AuthError> {
    let param = |name: &str| {
        request
            .query_param(name)
            .ok_or_else(|| incomplete(format!("the presigned URL requires '{name}'.")))
    };
    let algorithm = param("X-Amz-Algorithm")?;
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "X-Amz-Algorithm must be '{ALGORITHM}', not '{algorithm}'."
        )));
    }
    // Optional, as AWS IoT takes it: the device SDKs presign WebSocket URLs without it, and
    // such a URL is then good for as long as a header signature would be.
    let expires = match request.query_param("X-Amz-Expires") {
        None => None,
        Some(expires) => Some(
            expires
                .parse()
                .ok()
                .filter(|secs| (1..=MAX_EXPIRES_SECONDS).contains(secs))
                .ok_or_else(|| {
                    incomplete(format!(
                        "X-Amz-Expires must be a number of seconds from 1 to {MAX_EXPIRES_SECONDS}."
                    ))
                })?,
        ),
    };
    build_info(
        SignatureLocation::Query,
        &param("X-Amz-Credential")?,
        &param("X-Amz-Date")?,
        &param("X-Amz-SignedHeaders")?,
        &param("X-Amz-Signature")?,
        expires,
        request.query_param("X-Amz-Security-Token"),
    )
}

fn build_info(
    location: SignatureLocation,
    credential: &str,
    date: &str,
    signed_headers: &str,
    signature: &str,
    expires: Option<u64>,
    session_token: Option<String>,
) -> Result<SignedRequestInfo, AuthError> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, scope_date, region, service, "aws4_request"] = parts.as_slice() else {
        return Err(incomplete(format!(
            "Credential must have the form <access key>/<date>/<region>/<service>/aws4_request, not '{credential}'."
        )));
    };
    if access_key_id.is_empty() {
        return Err(incomplete("Credential has an empty access key id."));
    }
    Ok(SignedRequestInfo {
        location,
        access_key_id: (*access_key_id).to_owned(),
        date: date.to_owned(),
        scope_date: (*scope_date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers: signed_headers
            .split(';')
            .filter(|h| !h.is_empty())
            .map(str::to_ascii_lowercase)
            .collect(),
        signature: signature.to_owned(),
        expires,
        session_token,
    })
}

/// Seconds since the epoch of an `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`).
fn parse_amz_date(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| date.get(range)?.parse::<i16>().ok();
    let civil = jiff::civil::DateTime::new(
        num(0..4)?,
        i8::try_from(num(4..6)?).ok()?,
        i8::try_from(num(6..8)?).ok()?,
        i8::try_from(num(9..11)?).ok()?,
        i8::try_from(num(11..13)?).ok()?,
        i8::try_from(num(13..15)?).ok()?,
        0,
    )
    .ok()?;
    let zoned = civil.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(zoned.timestamp().as_second())
}

fn format_amz_date(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|_| seconds.to_string())
}

/// What the verifier expects of a signature.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// This core's region.
    pub region: &'a str,
    /// The path's signing name ([`super::signing_service`]).
    pub service: &'static str,
    /// Now, milliseconds since the epoch.
    pub now_millis: i64,
}

/// Checks the scope and the date of `info` (no secret needed): the checks that do not depend
/// on knowing the caller.
///
/// # Errors
/// [`AuthError::WrongRegion`], [`AuthError::WrongService`], [`AuthError::IncompleteSignature`]
/// for a malformed date, [`AuthError::SignatureExpired`] / [`AuthError::SignatureNotYetCurrent`].
pub fn check_scope_and_date(
    info: &SignedRequestInfo,
    expected: &Expected<'_>,
) -> Result<i64, AuthError> {
    if info.service != expected.service {
        return Err(AuthError::WrongService {
            expected: expected.service,
            got: info.service.clone(),
        });
    }
    if info.region != expected.region {
        return Err(AuthError::WrongRegion(info.region.clone()));
    }
    let Some(date) = parse_amz_date(&info.date) else {
        return Err(incomplete(format!(
            "X-Amz-Date must have the form YYYYMMDDTHHMMSSZ, not '{}'.",
            info.date
        )));
    };
    if info.date.get(..8) != Some(info.scope_date.as_str()) {
        return Err(incomplete(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'.",
            info.scope_date,
            info.date.get(..8).unwrap_or_default()
        )));
    }
    let now = expected.now_millis.div_euclid(1000);
    let earliest = now - MAX_SKEW_SECONDS;
    let expired = match info.expires {
        // A presigned URL is good from its date (less the skew) until its date plus expiry.
        Some(expires) => now > date.saturating_add(i64::try_from(expires).unwrap_or(i64::MAX)),
        None => date < earliest,
    };
    if expired {
        return Err(AuthError::SignatureExpired {
            date: info.date.clone(),
            earliest: format_amz_date(earliest),
            now: format_amz_date(now),
        });
    }
    if date > now + MAX_SKEW_SECONDS {
        return Err(AuthError::SignatureNotYetCurrent {
            date: info.date.clone(),
            latest: format_amz_date(now + MAX_SKEW_SECONDS),
            now: format_amz_date(now),
        });
    }
    Ok(date)
}

/// Verifies `request`'s signature `info` with the caller's `secret`.
///
/// # Errors
/// Those of [`check_scope_and_date`], and [`AuthError::SignatureMismatch`] when the signature
/// is not the one the secret makes.
pub fn verify(
    request: &HttpRequest<'_>,
    info: &SignedRequestInfo,
    secret: &str,
    expected: &Expected<'_>,
) -> Result<(), AuthError> {
    let date = check_scope_and_date(info, expected)?;
    let time = UNIX_EPOCH + Duration::from_secs(u64::try_from(date).unwrap_or(0));
    let body_hash = hex(&Sha256::digest(request.body));
    match info.location {
        SignatureLocation::Headers => {
            let body = match request.header("x-amz-content-sha256") {
                Some(claimed) if claimed != UNSIGNED_PAYLOAD && claimed != body_hash => {
                    return Err(AuthError::SignatureMismatch)
                }
                Some(claimed) => SignableBody::Precomputed(claimed.to_owned()),
                None => SignableBody::Bytes(request.body),
            };
            let token = info
                .signed_headers
                .iter()
                .any(|h| h == "x-amz-security-token")
                .then(|| info.session_token.clone())
                .flatten();
            let computed = compute(request, info, secret, time, body, token, None)?;
            matches(&computed, &info.signature)
        }
        SignatureLocation::Query => {
            let bodies = [
                SignableBody::Bytes(request.body),
                SignableBody::UnsignedPayload,
            ];
            let modes: &[SessionTokenMode] = if info.session_token.is_some() {
                &[SessionTokenMode::Include, SessionTokenMode::Exclude]
            } else {
                &[SessionTokenMode::Include]
            };
            let mut result = Err(AuthError::SignatureMismatch);
            if info.expires.is_none() {
                // Not a URL `aws-sigv4` can presign: the canonical request is ours.
                let token_modes: &[bool] = if info.session_token.is_some() {
                    &[true, false]
                } else {
                    &[true]
                };
                for payload_hash in [body_hash.as_str(), UNSIGNED_PAYLOAD] {
                    for with_token in token_modes {
                        let computed = super::presign::query_signature(
                            request,
                            info,
                            secret,
                            time,
                            payload_hash,
                            *with_token,
                        );
                        if matches(&computed, &info.signature).is_ok() {
                            result = Ok(());
                        }
                    }
                }
                return result;
            }
            for body in bodies {
                for mode in modes {
                    let computed = compute(
                        request,
                        info,
                        secret,
                        time,
                        body.clone(),
                        info.session_token.clone(),
                        Some(*mode),
                    )?;
                    // Every candidate is computed, so timing does not tell which one matched.
                    if matches(&computed, &info.signature).is_ok() {
                        result = Ok(());
                    }
                }
            }
            result
        }
    }
}

fn matches(computed: &str, provided: &str) -> Result<(), AuthError> {
    if bool::from(computed.as_bytes().ct_eq(provided.as_bytes())) {
        Ok(())
    } else {
        Err(AuthError::SignatureMismatch)
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The signature `aws-sigv4` computes for the request as `info` describes it. `query_mode` is
/// `None` for header signing, the session-token mode for presigned URLs.
fn compute(
    request: &HttpRequest<'_>,
    info: &SignedRequestInfo,
    secret: &str,
    time: SystemTime,
    body: SignableBody<'_>,
    session_token: Option<String>,
    query_mode: Option<SessionTokenMode>,
) -> Result<String, AuthError> {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Double;
    // Sign exactly the headers the caller signed, nothing left out.
    settings.excluded_headers = None;
    let mut uri = request.path.to_owned();
    if let Some(mode) = query_mode {
        settings.signature_location = aws_sigv4::http_request::SignatureLocation::QueryParams;
        settings.expires_in = info.expires.map(Duration::from_secs);
        settings.session_token_mode = mode;
        let rest: Vec<&str> = request
            .query
            .unwrap_or_default()
            .split('&')
            .filter(|pair| {
                let key = pair.split_once('=').map_or(*pair, |(k, _)| k);
                !pair.is_empty() && !is_presign_param(key)
            })
            .collect();
        if !rest.is_empty() {
            uri.push('?');
            uri.push_str(&rest.join("&"));
        }
    } else if let Some(query) = request.query.filter(|q| !q.is_empty()) {
        uri.push('?');
        uri.push_str(query);
    }
    // The signed headers, except those the signer adds itself.
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            name != "x-amz-date"
                && name != "x-amz-security-token"
                && info.signed_headers.contains(&name)
        })
        .copied()
        .collect();
    let credentials = aws_credential_types::Credentials::new(
        info.access_key_id.clone(),
        secret,
        session_token,
        None,
        "thingcore",
    );
    let identity = credentials.into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&info.region)
        .name(&info.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| incomplete(format!("cannot check the signature: {e}")))?
        .into();
    let signable = SignableRequest::new(request.method, uri, headers.into_iter(), body)
        .map_err(|e| incomplete(format!("cannot check the signature: {e}")))?;
    let (_, signature) = sign(signable, &params)
        .map_err(|e| incomplete(format!("cannot check the signature: {e}")))?
        .into_parts();
    Ok(signature)
}

fn is_presign_param(key: &str) -> bool {
    matches!(
        key,
        "X-Amz-Algorithm"
            | "X-Amz-Credential"
            | "X-Amz-Date"
            | "X-Amz-Expires"
            | "X-Amz-SignedHeaders"
            | "X-Amz-Signature"
            | "X-Amz-Security-Token"
    )
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
