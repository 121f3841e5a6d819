//! The SigV4 signature of a presigned URL that carries no `X-Amz-Expires`.
//!
//! The AWS IoT device SDKs presign their WebSocket URL that way and AWS IoT accepts it, but
//! the `aws-sigv4` crate cannot compute such a signature (it requires an expiry), so the
//! canonical request is built here, as the SigV4 specification lays it out; the signing key
//! and the HMAC still come from the crate.

use super::sigv4::{HttpRequest, SignedRequestInfo};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::time::SystemTime;

/// Everything but SigV4's unreserved characters (`A-Z a-z 0-9 - _ . ~`) is encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// The same, keeping `/` between path segments.
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// The signature the secret makes for `request`, presigned in its query, with the body
/// hashed as `payload_hash`; `with_token` keeps `X-Amz-Security-Token` in the canonical query
/// (signed), otherwise it is taken as appended after signing.
pub(super) fn query_signature(
    request: &HttpRequest<'_>,
    info: &SignedRequestInfo,
    secret: &str,
    time: SystemTime,
    payload_hash: &str,
    with_token: bool,
) -> String {
    let canonical = canonical_request(request, info, payload_hash, with_token);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{}/{}/{}/aws4_request\n{}",
        info.date,
        info.scope_date,
        info.region,
        info.service,
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = aws_sigv4::sign::v4::generate_signing_key(secret, time, &info.region, &info.service);
    aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes())
}

/// SigV4's canonical request for a presigned URL (the path encoded twice, as every service
/// but S3 signs it).
fn canonical_request(
    request: &HttpRequest<'_>,
    info: &SignedRequestInfo,
    payload_hash: &str,
    with_token: bool,
) -> String {
    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path
    };
    let mut query: Vec<(String, String)> = request
        .query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .filter(|(key, _)| {
            *key != "X-Amz-Signature" && (with_token || *key != "X-Amz-Security-Token")
        })
        .map(|(key, value)| (encode_component(key), encode_component(value)))
        .collect();
    query.sort();
    let query = query
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut headers = String::new();
    for name in &info.signed_headers {
        let values: Vec<String> = request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    format!(
        "{}\n{}\n{query}\n{headers}\n{}\n{payload_hash}",
        request.method,
        utf8_percent_encode(path, PATH),
        info.signed_headers.join(";")
    )
}

/// A query key or value as received (percent-encoded or not), in SigV4's encoding.
fn encode_component(raw: &str) -> String {
    let decoded = percent_decode_str(raw).decode_utf8_lossy();
    utf8_percent_encode(&decoded, UNRESERVED).to_string()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
