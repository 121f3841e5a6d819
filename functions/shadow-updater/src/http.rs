//! The data-plane HTTP routes as API Gateway HTTP API (payload 2.0) events, as the AWS SDKs
//! call them (botocore's iot-data model):
//!
//! - `GET /things/{thingName}/shadow?name=` — GetThingShadow
//! - `POST /things/{thingName}/shadow?name=` — UpdateThingShadow (body: the request document)
//! - `DELETE /things/{thingName}/shadow?name=` — DeleteThingShadow
//! - `GET /api/things/shadow/ListNamedShadowsForThing/{thingName}?nextToken=&pageSize=`
//!
//! Errors carry AWS's status, `x-amzn-ErrorType` and the shadow error document.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use base64::Engine;
use http::Method;
use serde_json::{json, Value};
use thingcore::shadow::ShadowError;
use thingcore_lambda::apigw::json_response;
use thingcore_shadows::{Outbound, ShadowService};

/// Handles one request; returns the response and the messages to publish (an HTTP update
/// publishes the same accepted, documents and delta messages as an MQTT one).
pub async fn handle(
    service: &ShadowService,
    request: &ApiGatewayV2httpRequest,
) -> (ApiGatewayV2httpResponse, Vec<Outbound>) {
    match route(service, request).await {
        Ok((body, outbound)) => (json_response(200, &body, None), outbound),
        Err(error) => {
            let body = error.to_json(service.now_secs());
            (
                json_response(error.code, &body, Some(error.aws_error_type())),
                Vec::new(),
            )
        }
    }
}

async fn route(
    service: &ShadowService,
    request: &ApiGatewayV2httpRequest,
) -> Result<(Value, Vec<Outbound>), ShadowError> {
    let path = request.raw_path.as_deref().unwrap_or("/");
    let method = &request.request_context.http.method;
    let query = |name: &str| {
        request
            .query_string_parameters
            .first(name)
            .map(str::to_string)
    };
    if let Some(rest) = path.strip_prefix("/api/things/shadow/ListNamedShadowsForThing/") {
        if method != Method::GET {
            return Err(method_not_allowed());
        }
        let thing = percent_decode(rest)?;
        let page_size = match query("pageSize") {
            None => 25,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) => n,
                _ => return Err(ShadowError::new(400, "pageSize must be between 1 and 100")),
            },
        };
        let (results, next) = service
            .list_named(&thing, query("nextToken").as_deref(), page_size)
            .await
            .map_err(|f| f.into_error())?;
        let mut body = json!({ "results": results, "timestamp": service.now_secs() });
        if let Some(next) = next {
            body["nextToken"] = json!(next);
        }
        return Ok((body, Vec::new()));
    }
    let Some(thing) = path
        .strip_prefix("/things/")
        .and_then(|rest| rest.strip_suffix("/shadow"))
        .filter(|thing| !thing.contains('/'))
    else {
        return Err(ShadowError::new(404, format!("No route for {path}")));
    };
    let thing = percent_decode(thing)?;
    let shadow = query("name");
    let shadow = shadow.as_deref();
    match *method {
        Method::GET => Ok((
            service
                .get(&thing, shadow, None)
                .await
                .map_err(|f| f.into_error())?,
            Vec::new(),
        )),
        Method::DELETE => Ok((
            service
                .delete(&thing, shadow, None)
                .await
                .map_err(|f| f.into_error())?,
            Vec::new(),
        )),
        Method::POST => {
            let payload = body_bytes(request)?;
            let updated = service
                .update(&thing, shadow, &payload)
                .await
                .map_err(|f| f.into_error())?;
            Ok((updated.accepted, updated.publish))
        }
        _ => Err(method_not_allowed()),
    }
}

fn method_not_allowed() -> ShadowError {
    ShadowError::new(405, "The specified method is not allowed")
}

fn body_bytes(request: &ApiGatewayV2httpRequest) -> Result<Vec<u8>, ShadowError> {
    let Some(body) = &request.body else {
        return Ok(Vec::new());
    };
    if request.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| ShadowError::payload_invalid_json())
    } else {
        Ok(body.as_bytes().to_vec())
    }
}

/// Decodes `%XX` escapes of a path segment (what is left undecodable stays as it is and then
/// fails the name check).
fn percent_decode(segment: &str) -> Result<String, ShadowError> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| ShadowError::new(400, "The path is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::encodings::Body;
    use std::sync::Arc;
    use thingcore::store::MemoryStore;
    use thingcore::ManualClock;

    fn service() -> ShadowService {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        ShadowService::new(Arc::new(MemoryStore::new(clock.clone())), clock)
    }

    fn event(
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&str>,
    ) -> ApiGatewayV2httpRequest {
        let mut request = ApiGatewayV2httpRequest::default();
        request.raw_path = Some(path.to_string());
        request.request_context.http.method = method;
        request.query_string_parameters = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<std::collections::HashMap<_, _>>()
            .into();
        request.body = body.map(str::to_string);
        request
    }

    fn call(s: &ShadowService, request: ApiGatewayV2httpRequest) -> (i64, Value, Option<String>) {
        let (response, _) = futures::executor::block_on(handle(s, &request));
        let body = match response.body {
            Some(Body::Text(text)) => serde_json::from_str(&text).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        let kind = response
            .headers
            .get("x-amzn-ErrorType")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (response.status_code, body, kind)
    }

    #[test]
    fn update_get_delete_round_trip() {
        let s = service();
        let (status, body, _) = call(
            &s,
            event(
                Method::POST,
                "/things/t1/shadow",
                &[],
                Some(r#"{"state":{"desired":{"on":true}}}"#),
            ),
        );
        assert_eq!((status, body["version"].clone()), (200, json!(1)));
        let (status, body, _) = call(&s, event(Method::GET, "/things/t1/shadow", &[], None));
        assert_eq!(status, 200);
        assert_eq!(body["state"]["delta"], json!({"on": true}));
        let (status, _, _) = call(&s, event(Method::DELETE, "/things/t1/shadow", &[], None));
        assert_eq!(status, 200);
        let (status, _, kind) = call(&s, event(Method::GET, "/things/t1/shadow", &[], None));
        assert_eq!(
            (status, kind.as_deref()),
            (404, Some("ResourceNotFoundException"))
        );
    }

    #[test]
    fn errors_carry_aws_types() {
        let s = service();
        let (status, _, kind) = call(
            &s,
            event(Method::POST, "/things/t1/shadow", &[], Some("nope")),
        );
        assert_eq!(
            (status, kind.as_deref()),
            (400, Some("InvalidRequestException"))
        );
        call(
            &s,
            event(
                Method::POST,
                "/things/t1/shadow",
                &[],
                Some(r#"{"state":{"desired":{"a":1}}}"#),
            ),
        );
        let (status, _, kind) = call(
            &s,
            event(
                Method::POST,
                "/things/t1/shadow",
                &[],
                Some(r#"{"state":{"desired":{"a":1}},"version":9}"#),
            ),
        );
        assert_eq!((status, kind.as_deref()), (409, Some("ConflictException")));
        let big = format!(
            r#"{{"state":{{"desired":{{"a":"{}"}}}}}}"#,
            "x".repeat(9000)
        );
        let (status, _, kind) = call(
            &s,
            event(Method::POST, "/things/t1/shadow", &[], Some(&big)),
        );
        assert_eq!(
            (status, kind.as_deref()),
            (413, Some("RequestEntityTooLargeException"))
        );
        let (status, _, _) = call(&s, event(Method::PUT, "/things/t1/shadow", &[], None));
        assert_eq!(status, 405);
        let (status, _, _) = call(
            &s,
            event(Method::GET, "/things/bad%20name/shadow", &[], None),
        );
        assert_eq!(status, 400);
    }

    #[test]
    fn named_shadows_are_listed_a_page_at_a_time() {
        let s = service();
        for name in ["a", "b", "c"] {
            call(
                &s,
                event(
                    Method::POST,
                    "/things/t1/shadow",
                    &[("name", name)],
                    Some(r#"{"state":{"reported":{"x":1}}}"#),
                ),
            );
        }
        call(
            &s,
            event(Method::DELETE, "/things/t1/shadow", &[("name", "b")], None),
        );
        let path = "/api/things/shadow/ListNamedShadowsForThing/t1";
        let (status, body, _) = call(&s, event(Method::GET, path, &[("pageSize", "1")], None));
        assert_eq!((status, body["results"].clone()), (200, json!(["a"])));
        let token = body["nextToken"].as_str().expect("a token").to_string();
        let mut names = vec!["a".to_string()];
        let mut token = Some(token);
        while let Some(t) = token.take() {
            let (_, body, _) = call(
                &s,
                event(
                    Method::GET,
                    path,
                    &[("pageSize", "1"), ("nextToken", &t)],
                    None,
                ),
            );
            names.extend(
                body["results"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string)),
            );
            token = body["nextToken"].as_str().map(str::to_string);
        }
        assert_eq!(names, ["a", "c"], "deleted shadows are not listed");
        let (status, _, _) = call(&s, event(Method::GET, path, &[("pageSize", "0")], None));
        assert_eq!(status, 400);
    }
}
