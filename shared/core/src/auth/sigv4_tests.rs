//! Requests signed by the `aws-sigv4` crate (as the Rust SDK signs them), verified back.

use super::*;
use crate::auth::credentials::{authenticate, Caller, CredentialStore, Identity};
use aws_sigv4::http_request::SigningSettings;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2026-11-26T23:00:00Z.
const T0: i64 = 1_795_734_000;
const REGION: &str = "us-east-1";

const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

struct Owned {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Owned {
    fn request(&self) -> HttpRequest<'_> {
        HttpRequest {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect(),
            body: &self.body,
        }
    }
}

struct Sign<'a> {
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    body: &'a [u8],
    secret: &'a str,
    region: &'a str,
    service: &'a str,
    at: i64,
    token: Option<&'a str>,
    presign_expires: Option<u64>,
}

impl Default for Sign<'_> {
    fn default() -> Self {
        Self {
            method: "POST",
            path: "/topics/dev%2Fs1%2Ftemp",
            query: Some("qos=1"),
            body: b"{\"t\":21}",
            secret: SECRET,
            region: REGION,
            service: "iotdata",
            at: T0,
            token: None,
            presign_expires: None,
        }
    }
}

fn signed(s: Sign<'_>) -> Owned {
    let mut settings = SigningSettings::default();
    if let Some(expires) = s.presign_expires {
        settings.signature_location = aws_sigv4::http_request::SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(expires));
    }
    let identity = aws_credential_types::Credentials::new(
        KEY,
        s.secret,
        s.token.map(str::to_owned),
        None,
        "test",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(s.region)
        .name(s.service)
        .time(UNIX_EPOCH + Duration::from_secs(u64::try_from(s.at).expect("positive")))
        .settings(settings)
        .build()
        .expect("params")
        .into();
    let mut uri = format!("http://localhost:8080{}", s.path);
    if let Some(q) = s.query {
        uri = format!("{uri}?{q}");
    }
    let base_headers = [
        ("host", "localhost:8080"),
        ("content-type", "application/json"),
    ];
    let signable = SignableRequest::new(
        s.method,
        uri,
        base_headers.into_iter(),
        SignableBody::Bytes(s.body),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("signs").into_parts();
    let mut headers: Vec<(String, String)> = base_headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    headers.push(("user-agent".into(), "test/1.0".into()));
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    let mut query: Vec<String> = s.query.map(|q| vec![q.to_owned()]).unwrap_or_default();
    for (name, value) in instructions.params() {
        query.push(format!(
            "{name}={}",
            utf8_percent_encode(value, QUERY_VALUE)
        ));
    }
    Owned {
        method: s.method.to_owned(),
        path: s.path.to_owned(),
        query: (!query.is_empty()).then(|| query.join("&")),
        headers,
        body: s.body.to_vec(),
    }
}

/// An unsigned `GET /mqtt?{query}` to `host`.
fn mqtt_get<'a>(query: &'a str, host: &'a str) -> HttpRequest<'a> {
    HttpRequest {
        method: "GET",
        path: "/mqtt",
        query: Some(query),
        headers: vec![("host", host)],
        body: b"",
    }
}

fn expected(service: &'static str, now: i64) -> Expected<'static> {
    Expected {
        region: REGION,
        service,
        now_millis: now * 1000,
    }
}

fn check(owned: &Owned, service: &'static str, now: i64) -> Result<(), AuthError> {
    let request = owned.request();
    let info = parse(&request)?.ok_or(AuthError::MissingAuthenticationToken)?;
    verify(&request, &info, SECRET, &expected(service, now))
}

#[test]
fn a_header_signed_request_verifies() {
    let owned = signed(Sign::default());
    let request = owned.request();
    let info = parse(&request).expect("parses").expect("signed");
    assert_eq!(info.location, SignatureLocation::Headers);
    assert_eq!(info.access_key_id, KEY);
    assert_eq!(info.region, REGION);
    assert_eq!(info.service, "iotdata");
    assert_eq!(check(&owned, "iotdata", T0 + 60), Ok(()));
}

#[test]
fn a_session_token_is_verified_with_the_signature() {
    let owned = signed(Sign {
        token: Some("session-token"),
        ..Sign::default()
    });
    assert_eq!(check(&owned, "iotdata", T0), Ok(()));
    let mut tampered = owned;
    for (name, value) in &mut tampered.headers {
        if name.eq_ignore_ascii_case("x-amz-security-token") {
            *value = "another-token".into();
        }
    }
    assert_eq!(
        check(&tampered, "iotdata", T0),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn a_wrong_secret_a_changed_body_path_or_query_do_not_verify() {
    let wrong_secret = signed(Sign {
        secret: "not-the-secret",
        ..Sign::default()
    });
    assert_eq!(
        check(&wrong_secret, "iotdata", T0),
        Err(AuthError::SignatureMismatch)
    );
    let mut body = signed(Sign::default());
    body.body = b"{\"t\":99}".to_vec();
    assert_eq!(
        check(&body, "iotdata", T0),
        Err(AuthError::SignatureMismatch)
    );
    let mut path = signed(Sign::default());
    path.path = "/topics/dev%2Fs2%2Ftemp".into();
    assert_eq!(
        check(&path, "iotdata", T0),
        Err(AuthError::SignatureMismatch)
    );
    let mut query = signed(Sign::default());
    query.query = Some("qos=0".into());
    assert_eq!(
        check(&query, "iotdata", T0),
        Err(AuthError::SignatureMismatch)
    );
    let mut header = signed(Sign::default());
    header.headers[1].1 = "text/plain".into();
    assert_eq!(
        check(&header, "iotdata", T0),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn unsigned_headers_may_change() {
    let mut owned = signed(Sign::default());
    for (name, value) in &mut owned.headers {
        if name == "user-agent" {
            *value = "another/2.0".into();
        }
    }
    assert_eq!(check(&owned, "iotdata", T0), Ok(()));
}

#[test]
fn dates_more_than_15_minutes_away_are_refused() {
    let owned = signed(Sign::default());
    assert_eq!(check(&owned, "iotdata", T0 + 15 * 60), Ok(()));
    assert_eq!(check(&owned, "iotdata", T0 - 15 * 60), Ok(()));
    let late = check(&owned, "iotdata", T0 + 15 * 60 + 1).expect_err("stale");
    assert!(
        matches!(late, AuthError::SignatureExpired { .. }),
        "{late:?}"
    );
    assert_eq!(late.aws_error_type(), "InvalidSignatureException");
    assert_eq!(late.http_status(), 403);
    assert!(late
        .to_string()
        .starts_with("Signature expired: 20261126T230000Z is now earlier than"));
    let early = check(&owned, "iotdata", T0 - 15 * 60 - 1).expect_err("future");
    assert!(
        matches!(early, AuthError::SignatureNotYetCurrent { .. }),
        "{early:?}"
    );
}

#[test]
fn a_wrong_region_or_service_is_refused_before_the_signature() {
    let region = signed(Sign {
        region: "eu-west-1",
        ..Sign::default()
    });
    assert_eq!(
        check(&region, "iotdata", T0),
        Err(AuthError::WrongRegion("eu-west-1".into()))
    );
    let service = signed(Sign {
        service: "iot",
        ..Sign::default()
    });
    let error = check(&service, "iotdata", T0).expect_err("wrong service");
    assert_eq!(
        error.to_string(),
        "Credential should be scoped to correct service: 'iotdata'."
    );
    assert_eq!(error.aws_error_type(), "InvalidSignatureException");
}

#[test]
fn malformed_authorization_headers_are_incomplete_signatures() {
    for authorization in [
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AK/20261126/us-east-1/iot/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AK/20261126/us-east-1/aws4_request, SignedHeaders=host, Signature=abc",
        "AWS AK:signature",
    ] {
        let request = HttpRequest {
            method: "GET",
            path: "/things",
            query: None,
            headers: vec![
                ("authorization", authorization),
                ("x-amz-date", "20261126T230000Z"),
            ],
            body: b"",
        };
        let error = parse(&request).expect_err(authorization);
        assert_eq!(error.aws_error_type(), "IncompleteSignatureException");
        assert_eq!(error.http_status(), 400);
    }
    let no_date = HttpRequest {
        method: "GET",
        path: "/things",
        query: None,
        headers: vec![(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AK/20261126/us-east-1/iot/aws4_request, SignedHeaders=host, Signature=abc",
        )],
        body: b"",
    };
    assert!(parse(&no_date)
        .expect_err("no date")
        .to_string()
        .contains("X-Amz-Date"));
}

#[test]
fn a_presigned_websocket_url_verifies_and_expires() {
    let owned = signed(Sign {
        method: "GET",
        path: "/mqtt",
        query: None,
        body: b"",
        service: "iotdevicegateway",
        presign_expires: Some(300),
        ..Sign::default()
    });
    let request = owned.request();
    let info = parse(&request).expect("parses").expect("signed");
    assert_eq!(info.location, SignatureLocation::Query);
    assert_eq!(info.expires, Some(300));
    assert_eq!(check(&owned, "iotdevicegateway", T0 + 299), Ok(()));
    assert!(matches!(
        check(&owned, "iotdevicegateway", T0 + 301),
        Err(AuthError::SignatureExpired { .. })
    ));
    let mut tampered = owned;
    tampered.query = tampered
        .query
        .map(|q| q.replace("X-Amz-Expires=300", "X-Amz-Expires=3000"));
    assert_eq!(
        check(&tampered, "iotdevicegateway", T0),
        Err(AuthError::SignatureMismatch)
    );
}

/// A WebSocket URL as the AWS IoT device SDK presigns it (awscrt 0.36.1, `aws_sign_request`
/// with `HTTP_REQUEST_QUERY_PARAMS`, no expiry, the session token appended after signing).
fn presigned_by_awscrt(token: Option<&str>) -> Owned {
    let mut query = String::from(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261126%2Fus-east-1%2Fiotdevicegateway%2Faws4_request&X-Amz-Date=20261126T230000Z&X-Amz-SignedHeaders=host",
    );
    if let Some(token) = token {
        query.push_str("&X-Amz-Security-Token=");
        query.push_str(&utf8_percent_encode(token, QUERY_VALUE).to_string());
    }
    query.push_str(
        "&X-Amz-Signature=3ad741f73ee4a437f6ef561eae9775fc57812b80f86791d3bb19502fde1d7b5a",
    );
    Owned {
        method: "GET".into(),
        path: "/mqtt".into(),
        query: Some(query),
        headers: vec![
            ("host".into(), "localhost:8080".into()),
            ("upgrade".into(), "websocket".into()),
        ],
        body: Vec::new(),
    }
}

#[test]
fn a_device_sdk_url_without_expires_is_good_for_the_clock_skew() {
    let owned = presigned_by_awscrt(None);
    let request = owned.request();
    let info = parse(&request).expect("parses").expect("signed");
    assert_eq!(info.location, SignatureLocation::Query);
    assert_eq!(info.expires, None);
    assert_eq!(check(&owned, "iotdevicegateway", T0), Ok(()));
    assert_eq!(
        check(&owned, "iotdevicegateway", T0 + MAX_SKEW_SECONDS),
        Ok(())
    );
    assert!(matches!(
        check(&owned, "iotdevicegateway", T0 + MAX_SKEW_SECONDS + 1),
        Err(AuthError::SignatureExpired { .. })
    ));
    assert_eq!(
        check(
            &presigned_by_awscrt(Some("tok/en+1")),
            "iotdevicegateway",
            T0
        ),
        Ok(())
    );
    let mut tampered = owned;
    tampered.path = "/mqtt2".into();
    assert_eq!(
        check(&tampered, "iotdevicegateway", T0),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn the_hand_built_canonical_request_agrees_with_aws_sigv4() {
    for token in [None, Some("tok/en+1")] {
        let owned = signed(Sign {
            method: "GET",
            path: "/mqtt",
            query: Some("x-amz-customauthorizer-name=a%20b&b=1"),
            body: b"",
            service: "iotdevicegateway",
            presign_expires: Some(300),
            token,
            ..Sign::default()
        });
        let request = owned.request();
        let info = parse(&request).expect("parses").expect("signed");
        let time = UNIX_EPOCH + Duration::from_secs(u64::try_from(T0).expect("positive"));
        let body_hash = hex(&Sha256::digest(b""));
        let candidates: Vec<String> = [body_hash.as_str(), UNSIGNED_PAYLOAD]
            .into_iter()
            .map(|hash| {
                super::super::presign::query_signature(&request, &info, SECRET, time, hash, true)
            })
            .collect();
        assert!(candidates.contains(&info.signature), "{token:?}");
    }
}

#[test]
fn any_presigning_parameter_alone_is_an_incomplete_signature() {
    for query in [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Security-Token=abc",
        "X-Amz-Date=20261126T000000Z",
        "X-Amz-Expires=60",
        "X-Amz-SignedHeaders=host",
        "X-Amz-Signature=abc",
        "X-Amz-Credential=AK%2F20261126%2Fus-east-1%2Fiotdevicegateway%2Faws4_request",
    ] {
        let request = mqtt_get(query, "localhost:8080");
        assert!(
            matches!(parse(&request), Err(AuthError::IncompleteSignature(_))),
            "{query}"
        );
    }
    let unsigned = mqtt_get("x-amz-customauthorizer-name=a", "localhost:8080");
    assert!(matches!(parse(&unsigned), Ok(None)));
}

#[test]
fn a_presigned_url_may_carry_its_session_token_signed_or_appended_after_signing() {
    let signed_token = signed(Sign {
        method: "GET",
        path: "/mqtt",
        query: None,
        body: b"",
        service: "iotdevicegateway",
        presign_expires: Some(60),
        token: Some("tok/en+1"),
        ..Sign::default()
    });
    assert_eq!(check(&signed_token, "iotdevicegateway", T0), Ok(()));
    let mut appended = signed(Sign {
        method: "GET",
        path: "/mqtt",
        query: None,
        body: b"",
        service: "iotdevicegateway",
        presign_expires: Some(60),
        ..Sign::default()
    });
    appended.query = appended
        .query
        .map(|q| format!("{q}&X-Amz-Security-Token=tok%2Fen%2B1"));
    assert_eq!(check(&appended, "iotdevicegateway", T0), Ok(()));
}

#[test]
fn bad_presign_parameters_are_incomplete_signatures() {
    for query in [
        "X-Amz-Signature=abc",
        "X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=a%2F20261126%2Fus-east-1%2Fiot%2Faws4_request&X-Amz-Date=20261126T230000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20261126%2Fus-east-1%2Fiot%2Faws4_request&X-Amz-Date=20261126T230000Z&X-Amz-Expires=0&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20261126%2Fus-east-1%2Fiot%2Faws4_request&X-Amz-Date=20261126T230000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
    ] {
        let request = mqtt_get(query, "localhost");
        let error = parse(&request).expect_err(query);
        assert_eq!(error.aws_error_type(), "IncompleteSignatureException", "{query}");
    }
}

#[test]
fn authenticate_applies_the_open_and_strict_rules() {
    let store = CredentialStore::new([Identity::new(KEY, SECRET, None)]);
    let good = signed(Sign::default());
    let now = T0 * 1000;
    for strict in [false, true] {
        assert!(matches!(
            authenticate(&good.request(), &store, strict, REGION, now),
            Ok(Caller::Verified(_))
        ));
        let bad = signed(Sign {
            secret: "wrong",
            ..Sign::default()
        });
        // A known key with a bad signature is refused in both modes.
        assert_eq!(
            authenticate(&bad.request(), &store, strict, REGION, now),
            Err(AuthError::SignatureMismatch)
        );
    }
    let other = CredentialStore::new([Identity::new("OTHER", "x", None)]);
    assert_eq!(
        authenticate(&good.request(), &other, false, REGION, now),
        Ok(Caller::Unverified {
            access_key_id: KEY.into()
        })
    );
    assert_eq!(
        authenticate(&good.request(), &other, true, REGION, now),
        Err(AuthError::UnrecognizedClient)
    );
}

#[test]
fn a_verified_identitys_policy_decides_data_plane_actions() {
    let policy = crate::policy::PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish",
            "Resource":"arn:aws:iot:us-east-1:123456789012:topic/dev/*"}]}"#,
    )
    .expect("policy");
    let caller = Caller::Verified(std::sync::Arc::new(Identity::new(
        KEY,
        SECRET,
        Some(policy),
    )));
    let auth = caller
        .authorization(REGION, "123456789012", T0 * 1000)
        .expect("a policy");
    use crate::policy::IotAction;
    assert!(auth.allows(IotAction::Publish, "dev/s1/temp"));
    assert!(!auth.allows(IotAction::Publish, "other/temp"));
    assert!(Caller::Anonymous
        .authorization(REGION, "123456789012", 0)
        .is_none());
}
