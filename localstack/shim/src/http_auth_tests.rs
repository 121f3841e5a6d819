//! The middleware in front of a small router, driven with `oneshot` and requests signed by
//! the `aws-sigv4` crate.

use super::*;
use axum::routing::{get, post};
use axum::{Extension, Router};
use std::time::SystemTime;
use thingcore::auth::{Caller, Identity};
use thingcore::policy::PolicyDocument;
use tower::ServiceExt;

const KEY: &str = "AKIDLOCAL";
const SECRET: &str = "local-secret";

fn app(strict: bool) -> Router {
    let policy = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Action":["iot:Publish","iot:GetThingShadow"],
            "Resource":["arn:aws:iot:us-east-1:000000000000:topic/dev/*",
                        "arn:aws:iot:us-east-1:000000000000:thing/t1"]}]}"#,
    )
    .expect("policy");
    let config = HttpAuth {
        custom: None,
        strict,
        credentials: Arc::new(CredentialStore::new([
            Identity::new(KEY, SECRET, None),
            Identity::new("AKIDLIMITED", SECRET, Some(policy)),
        ])),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        iam: None,
    };
    let whoami = |Extension(caller): Extension<Caller>| async move { caller.name().to_owned() };
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/things", get(whoami))
        .route("/mqtt", get(whoami))
        .route("/topics/{*topic}", post(whoami))
        .route("/things/{thing}/shadow", get(whoami))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(config),
            authenticate,
        ))
}

fn request(
    method: &str,
    path_and_query: &str,
    body: &'static [u8],
    key: Option<(&str, &str)>,
    service: &str,
) -> Request {
    let mut builder = axum::http::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("host", "localhost:8080");
    if let Some((key, secret)) = key {
        let identity = aws_credential_types::Credentials::new(key, secret, None, None, "t").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(SystemTime::now())
            .settings(aws_sigv4::http_request::SigningSettings::default())
            .build()
            .expect("params")
            .into();
        let signable = aws_sigv4::http_request::SignableRequest::new(
            method,
            format!("http://localhost:8080{path_and_query}"),
            [("host", "localhost:8080")].into_iter(),
            aws_sigv4::http_request::SignableBody::Bytes(body),
        )
        .expect("signable");
        let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
            .expect("signs")
            .into_parts();
        for (name, value) in instructions.headers() {
            builder = builder.header(name, value);
        }
    }
    builder.body(Body::from(body)).expect("request")
}

async fn send(app: Router, request: Request) -> (StatusCode, String, String) {
    let response = app.oneshot(request).await.expect("infallible");
    let status = response.status();
    let kind = response
        .headers()
        .get("x-amzn-ErrorType")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = to_bytes(response.into_body(), 1 << 16).await.expect("body");
    (status, kind, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn open_mode_accepts_unsigned_and_unknown_keys_and_refuses_bad_signatures() {
    let (status, _, body) = send(app(false), request("GET", "/things", b"", None, "iot")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "anonymous"));
    let unknown = request("GET", "/things", b"", Some(("SOMEONE", "x")), "iot");
    let (status, _, body) = send(app(false), unknown).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "SOMEONE"));
    let good = request("GET", "/things", b"", Some((KEY, SECRET)), "iot");
    let (status, _, body) = send(app(false), good).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, KEY));
    let bad = request("GET", "/things", b"", Some((KEY, "wrong")), "iot");
    let (status, kind, _) = send(app(false), bad).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::FORBIDDEN, "InvalidSignatureException")
    );
}

#[tokio::test]
async fn strict_mode_requires_a_known_key_with_a_good_signature() {
    let (status, kind, _) = send(app(true), request("GET", "/things", b"", None, "iot")).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::FORBIDDEN, "MissingAuthenticationTokenException")
    );
    let unknown = request("GET", "/things", b"", Some(("SOMEONE", "x")), "iot");
    let (status, kind, _) = send(app(true), unknown).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::FORBIDDEN, "UnrecognizedClientException")
    );
    let good = request("GET", "/things", b"", Some((KEY, SECRET)), "iot");
    assert_eq!(send(app(true), good).await.0, StatusCode::OK);
    let wrong_service = request("GET", "/things", b"", Some((KEY, SECRET)), "iotdata");
    let (status, kind, body) = send(app(true), wrong_service).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::FORBIDDEN, "InvalidSignatureException")
    );
    assert!(body.contains("'iot'"), "{body}");
    let (status, _, _) = send(app(true), request("GET", "/health", b"", None, "iot")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_signed_body_cannot_be_swapped() {
    let mut tampered = request(
        "POST",
        "/topics/dev%2Fa",
        b"original",
        Some((KEY, SECRET)),
        "iotdata",
    );
    *tampered.body_mut() = Body::from("tampered");
    let (status, kind, _) = send(app(true), tampered).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::FORBIDDEN, "InvalidSignatureException")
    );
}

#[tokio::test]
async fn an_identitys_policy_decides_its_data_plane_requests() {
    let limited = Some(("AKIDLIMITED", SECRET));
    let allowed = request("POST", "/topics/dev%2Fa", b"x", limited, "iotdata");
    assert_eq!(send(app(true), allowed).await.0, StatusCode::OK);
    let denied = request("POST", "/topics/other", b"x", limited, "iotdata");
    let (status, kind, body) = send(app(true), denied).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::UNAUTHORIZED, "UnauthorizedException")
    );
    assert!(body.contains("iot:Publish"), "{body}");
    let shadow = request("GET", "/things/t1/shadow", b"", limited, "iotdata");
    assert_eq!(send(app(true), shadow).await.0, StatusCode::OK);
    let other = request("GET", "/things/t2/shadow", b"", limited, "iotdata");
    assert_eq!(send(app(true), other).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn strict_mode_lets_an_unsigned_mqtt_upgrade_through_for_its_connect_to_authenticate() {
    let (status, _, body) = send(app(true), request("GET", "/mqtt", b"", None, "iot")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "anonymous"));
    // A bad signature is still refused at the upgrade.
    let unknown = request(
        "GET",
        "/mqtt",
        b"",
        Some(("SOMEONE", "x")),
        "iotdevicegateway",
    );
    let (status, kind, _) = send(app(true), unknown).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::FORBIDDEN, "UnrecognizedClientException")
    );
}
