//! HTTP requests as API Gateway HTTP API (payload 2.0) events and back, so that
//! `thingcore serve` calls the function handlers with the very events Lambda gets.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body as LambdaBody;
use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use std::collections::HashMap;

/// Largest request body accepted (the data plane's largest: a 128 KiB publish, with room).
const MAX_BODY: usize = 256 * 1024;

/// Builds the event API Gateway would send for `request`. Bodies that are not UTF-8 arrive
/// base64-encoded, as API Gateway sends them.
///
/// # Errors
/// A response to send instead when the body cannot be read or is too large.
pub async fn to_event(request: Request<Body>) -> Result<ApiGatewayV2httpRequest, Response> {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response())?;
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.raw_path = Some(parts.uri.path().to_string());
    event.raw_query_string = Some(parts.uri.query().unwrap_or_default().to_string());
    let query: HashMap<String, String> =
        parts.uri.query().map(url_decode_pairs).unwrap_or_default();
    event.query_string_parameters = query.into();
    event.headers = parts.headers;
    event.request_context.http.method = parts.method;
    event.request_context.http.path = event.raw_path.clone();
    event.request_context.stage = Some("$default".into());
    if !bytes.is_empty() {
        match std::str::from_utf8(&bytes) {
            Ok(text) => event.body = Some(text.to_string()),
            Err(_) => {
                event.body = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
                event.is_base64_encoded = true;
            }
        }
    }
    Ok(event)
}

/// Turns a handler's response into an HTTP response.
pub fn from_response(response: ApiGatewayV2httpResponse) -> Response {
    let status = u16::try_from(response.status_code)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match response.body {
        None | Some(LambdaBody::Empty) => Body::empty(),
        Some(LambdaBody::Text(text)) if response.is_base64_encoded => {
            match base64::engine::general_purpose::STANDARD.decode(text.as_bytes()) {
                Ok(bytes) => Body::from(bytes),
                Err(_) => {
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "handler returned bad base64",
                    )
                        .into_response()
                }
            }
        }
        Some(LambdaBody::Text(text)) => Body::from(text),
        Some(LambdaBody::Binary(bytes)) => Body::from(bytes),
        Some(_) => Body::empty(),
    };
    let mut out = Response::new(body);
    *out.status_mut() = status;
    *out.headers_mut() = response.headers;
    out
}

/// Splits `a=1&b=x%2Fy` into decoded pairs (the last value of a repeated key wins).
fn url_decode_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (url_decode(k), url_decode(v))
        })
        .collect()
}

fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        let pairs = url_decode_pairs("name=a%3Ab&pageSize=2&x=1+2&bad=%zz&flag");
        assert_eq!(pairs.get("name").map(String::as_str), Some("a:b"));
        assert_eq!(pairs.get("x").map(String::as_str), Some("1 2"));
        assert_eq!(pairs.get("bad").map(String::as_str), Some("%zz"));
        assert_eq!(pairs.get("flag").map(String::as_str), Some(""));
    }
}
