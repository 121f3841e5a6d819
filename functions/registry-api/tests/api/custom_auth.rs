//! Custom authentication through the registry (`custom_auth`) with fake authorizer functions:
//! the event the function gets, what its answer grants, and every refusal — unknown, inactive
//! or no default authorizer, a missing token, a function that fails, times out or answers
//! garbage. (Token signatures are checked end to end in tests/test_custom_auth.py.)

use crate::common::Api;
use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::Duration;
use thingcore::policy::custom_authorizer::{AuthorizerAnswerError, AuthorizerInput, MqttInput};
use thingcore::policy::IotAction;
use thingcore_registry::custom_auth::{AuthorizerFunctions, CustomAuthError, CustomAuthRequest};

/// A function that answers `answer` (or fails, or never answers) and records its events.
#[derive(Debug)]
struct Fake {
    answer: Result<Value, String>,
    hang: bool,
    events: Mutex<Vec<(String, Value)>>,
}

impl Fake {
    fn answering(answer: Value) -> Self {
        Self {
            answer: Ok(answer),
            hang: false,
            events: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl AuthorizerFunctions for Fake {
    async fn invoke(&self, function_arn: &str, event: Value) -> Result<Value, String> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((function_arn.to_owned(), event));
        if self.hang {
            std::future::pending::<()>().await;
        }
        self.answer.clone()
    }
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:*:*:client/${iot:ClientId}"}]}"#;

fn accepted() -> Value {
    json!({"isAuthenticated": true, "principalId": "dev1", "policyDocuments": [POLICY],
           "disconnectAfterInSeconds": 600, "refreshAfterInSeconds": 300})
}

fn create(api: &Api, name: &str, status: &str) {
    api.post(&format!("/authorizer/{name}"))
        .json(
            json!({"authorizerFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:f",
                     "signingDisabled": true, "status": status}),
        )
        .ok();
}

fn request(name: Option<&str>) -> CustomAuthRequest {
    CustomAuthRequest {
        authorizer_name: name.map(str::to_owned),
        input: AuthorizerInput {
            mqtt: Some(MqttInput {
                username: Some("u".into()),
                password: Some(b"pw".to_vec()),
                client_id: Some("c1".into()),
            }),
            ..AuthorizerInput::default()
        },
        client_id: Some("c1".into()),
        ..CustomAuthRequest::default()
    }
}

#[tokio::test]
async fn an_accepted_client_gets_the_functions_policies() {
    let api = Api::new();
    create(&api, "a", "ACTIVE");
    let fake = Fake::answering(accepted());
    let principal = api
        .service
        .custom_authenticate(&fake, request(Some("a")))
        .await
        .expect("accepted");
    assert_eq!(principal.decision.principal_id, "dev1");
    assert_eq!(principal.decision.disconnect_after_secs, 600);
    assert!(principal.authorization.allows(IotAction::Connect, "c1"));
    assert!(!principal.authorization.allows(IotAction::Connect, "c2"));
    let events = fake.events.lock().unwrap_or_else(|p| p.into_inner());
    let (arn, event) = &events[0];
    assert!(arn.ends_with(":function:f"));
    assert_eq!(event["protocolData"]["mqtt"]["password"], "cHc=");
    assert_eq!(event["signatureVerified"], false);
}

#[tokio::test]
async fn the_default_authorizer_serves_clients_that_name_none() {
    let api = Api::new();
    let fake = Fake::answering(accepted());
    let refused = api
        .service
        .custom_authenticate(&fake, request(None))
        .await
        .expect_err("no default");
    assert!(
        matches!(refused, CustomAuthError::NoAuthorizer),
        "{refused}"
    );
    create(&api, "d", "ACTIVE");
    api.post("/default-authorizer")
        .json(json!({"authorizerName": "d"}))
        .ok();
    api.service
        .custom_authenticate(&fake, request(None))
        .await
        .expect("the default runs");
}

#[tokio::test]
async fn unknown_and_inactive_authorizers_are_refused_before_the_function_runs() {
    let api = Api::new();
    create(&api, "off", "INACTIVE");
    let fake = Fake::answering(accepted());
    let unknown = api
        .service
        .custom_authenticate(&fake, request(Some("nope")))
        .await
        .expect_err("unknown");
    assert!(
        matches!(unknown, CustomAuthError::UnknownAuthorizer(_)),
        "{unknown}"
    );
    let inactive = api
        .service
        .custom_authenticate(&fake, request(Some("off")))
        .await
        .expect_err("inactive");
    assert!(
        matches!(inactive, CustomAuthError::Inactive(_)),
        "{inactive}"
    );
    assert!(!inactive.is_bad_credentials());
    assert!(fake
        .events
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_empty());
}

#[tokio::test]
async fn signing_requires_a_token_and_a_signature() {
    let api = Api::new();
    let key = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n";
    api.post("/authorizer/signed")
        .json(json!({"authorizerFunctionArn": "arn:aws:lambda:us-east-1:0:function:f",
                     "tokenKeyName": "tok", "tokenSigningPublicKeys": {"k": key}, "status": "ACTIVE"}))
        .ok();
    let fake = Fake::answering(accepted());
    let missing = api
        .service
        .custom_authenticate(&fake, request(Some("signed")))
        .await
        .expect_err("no token");
    assert!(
        matches!(missing, CustomAuthError::MissingToken(_)),
        "{missing}"
    );
    let mut with_token = request(Some("signed"));
    with_token.presented = vec![("tok".into(), "t".into())];
    let unsigned = api
        .service
        .custom_authenticate(&fake, with_token.clone())
        .await
        .expect_err("no signature");
    assert!(
        matches!(unsigned, CustomAuthError::MissingSignature),
        "{unsigned}"
    );
    with_token.signature = Some("bm90IGEgc2lnbmF0dXJl".into());
    let bad = api
        .service
        .custom_authenticate(&fake, with_token)
        .await
        .expect_err("bad signature");
    assert!(matches!(bad, CustomAuthError::BadSignature), "{bad}");
    assert!(bad.is_bad_credentials());
    assert!(fake
        .events
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_empty());
}

/// What a fake function answers.
type Answer = Result<Value, String>;
/// What the refusal must be.
type Expectation = fn(&CustomAuthError) -> bool;

#[tokio::test]
async fn failing_garbage_and_refusing_functions_are_told_apart() {
    let api = Api::new();
    create(&api, "a", "ACTIVE");
    let cases: Vec<(Answer, Expectation)> = vec![
        (
            Err("boom".into()),
            |e| matches!(e, CustomAuthError::Function(m) if m == "boom"),
        ),
        (Ok(json!("garbage")), |e| {
            matches!(
                e,
                CustomAuthError::Answer(AuthorizerAnswerError::Invalid(_))
            )
        }),
        (
            Ok(json!({"isAuthenticated": true, "principalId": "x", "policyDocuments": ["{"]})),
            |e| {
                matches!(
                    e,
                    CustomAuthError::Answer(AuthorizerAnswerError::BadPolicy { .. })
                )
            },
        ),
        (Ok(json!({"isAuthenticated": false})), |e| {
            e.is_bad_credentials()
        }),
    ];
    for (answer, expected) in cases {
        let fake = Fake {
            answer,
            hang: false,
            events: Mutex::new(Vec::new()),
        };
        let error = api
            .service
            .custom_authenticate(&fake, request(Some("a")))
            .await
            .expect_err("refused");
        assert!(expected(&error), "{error}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_function_that_does_not_answer_times_out_after_five_seconds() {
    let api = Api::new();
    create(&api, "a", "ACTIVE");
    let fake = Fake {
        answer: Ok(accepted()),
        hang: true,
        events: Mutex::new(Vec::new()),
    };
    let started = tokio::time::Instant::now();
    let error = api
        .service
        .custom_authenticate(&fake, request(Some("a")))
        .await
        .expect_err("timed out");
    assert!(
        matches!(error, CustomAuthError::Function(ref m) if m.contains("timed out")),
        "{error}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}
