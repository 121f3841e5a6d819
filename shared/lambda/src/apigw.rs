//! API Gateway HTTP API (payload 2.0) responses, as every function answers them.

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::encodings::Body;
use http::HeaderValue;
use serde_json::Value;

/// A JSON response with `status`; an error response names AWS's error type in
/// `x-amzn-ErrorType`, which the SDKs read to pick the exception they raise.
pub fn json_response(
    status: u16,
    body: &Value,
    error_type: Option<&'static str>,
) -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(kind) = error_type {
        response
            .headers
            .insert("x-amzn-ErrorType", HeaderValue::from_static(kind));
    }
    response.body = Some(Body::Text(body.to_string()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_carry_their_type_and_successes_do_not() {
        let error = json_response(
            404,
            &json!({"message": "no"}),
            Some("ResourceNotFoundException"),
        );
        assert_eq!(error.status_code, 404);
        assert_eq!(
            error
                .headers
                .get("x-amzn-ErrorType")
                .map(HeaderValue::as_bytes),
            Some(&b"ResourceNotFoundException"[..])
        );
        assert_eq!(error.body, Some(Body::Text(r#"{"message":"no"}"#.into())));

        let ok = json_response(200, &json!({}), None);
        assert!(ok.headers.get("x-amzn-ErrorType").is_none());
        assert_eq!(
            ok.headers.get("content-type").map(HeaderValue::as_bytes),
            Some(&b"application/json"[..])
        );
    }
}
