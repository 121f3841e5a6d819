//! HTTP topic rule destinations over the wire: the six operations with boto3's bodies and
//! paths, every exception they end in, the confirmation request (through a recording
//! confirmer), and what CreateTopicRule / ReplaceTopicRule do with HTTP actions.

use crate::common::{label, Api, Call, START_MILLIS};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use thingcore::rules::{ConfirmationRequest, DestinationConfirmer};
use thingcore::store::{MemoryStore, Store};
use thingcore::ManualClock;
use thingcore_registry::destinations::Confirmations;
use thingcore_registry::RegistryConfig;

const ENDPOINT: &str = "http://127.0.0.1:4566";
const URL: &str = "https://example.com/hook";

/// Records the confirmation requests; refuses them while `fail` is set.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<ConfirmationRequest>>,
    fail: Mutex<Option<String>>,
}

#[async_trait]
impl DestinationConfirmer for Recorder {
    async fn send(&self, request: &ConfirmationRequest) -> Result<(), String> {
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(request.clone());
        match self.fail.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }
}

impl Recorder {
    fn sent(&self) -> Vec<ConfirmationRequest> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn last_token(&self) -> String {
        self.sent()
            .last()
            .map(|r| r.token.clone())
            .unwrap_or_else(|| panic!("no confirmation request"))
    }
}

fn api_over(store: Arc<dyn Store>, clock: Arc<ManualClock>) -> (Api, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let mut api = Api::over(store, clock, RegistryConfig::default());
    api.service = api.service.clone().with_confirmations(Confirmations {
        confirmer: recorder.clone(),
        endpoint: ENDPOINT.into(),
    });
    (api, recorder)
}

fn api() -> (Api, Arc<Recorder>) {
    let clock = Arc::new(ManualClock::new(START_MILLIS));
    api_over(Arc::new(MemoryStore::new(clock.clone())), clock)
}

/// A greedy label (`{arn+}`) as botocore encodes it: `/` stays.
fn greedy(value: &str) -> String {
    label(value).replace("%2F", "/")
}

fn create(api: &Api, url: &str) -> Value {
    api.post("/destinations")
        .json(
            json!({"destinationConfiguration": {"httpUrlConfiguration": {"confirmationUrl": url}}}),
        )
        .ok()["topicRuleDestination"]
        .clone()
}

fn get(api: &Api, arn: &str) -> Value {
    api.get(&format!("/destinations/{}", greedy(arn))).ok()["topicRuleDestination"].clone()
}

fn update<'a>(api: &'a Api, arn: &str, status: &str) -> Call<'a> {
    api.patch("/destinations")
        .json(json!({"arn": arn, "status": status}))
}

fn str_at<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap_or_default()
}

#[test]
fn a_destination_is_created_confirmed_and_read_as_aws_returns_it() {
    let (api, recorder) = api();
    let created = create(&api, URL);
    let arn = str_at(&created, "arn").to_owned();
    let id = arn.rsplit('/').next().unwrap_or_default().to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:iot:us-east-1:000000000000:ruledestination/http/{id}")
    );
    assert_eq!(
        created,
        json!({"arn": arn, "status": "IN_PROGRESS", "createdAt": 1_700_000_000,
               "lastUpdatedAt": 1_700_000_000, "httpUrlProperties": {"confirmationUrl": URL}})
    );
    // GIVEN the confirmation request AWS sends
    let sent = recorder.sent();
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    let token = request.token.clone();
    assert_eq!(request.url, format!("{URL}/?confirmationToken={token}"));
    assert_eq!(
        request.body(),
        json!({"arn": arn, "confirmationToken": token,
               "enableUrl": format!("{ENDPOINT}/confirmdestination/{token}"),
               "messageType": "DestinationConfirmation"})
    );
    assert_eq!(get(&api, &arn), created);

    // WHEN a wrong token, then the right one, confirms it
    api.get(&format!("/confirmdestination/{id}.nope"))
        .fails(400, "InvalidRequestException");
    api.get("/confirmdestination/garbage")
        .fails(400, "InvalidRequestException");
    api.clock.advance(5_000);
    assert_eq!(
        api.get(&format!("/confirmdestination/{}", greedy(&token)))
            .ok(),
        json!({})
    );
    // THEN it is ENABLED, and confirming again changes nothing
    let enabled = get(&api, &arn);
    assert_eq!(
        (enabled["status"].clone(), enabled["lastUpdatedAt"].clone()),
        (json!("ENABLED"), json!(1_700_000_005))
    );
    api.get(&format!("/confirmdestination/{token}")).ok();

    let listed = api.get("/destinations").ok();
    assert_eq!(
        listed,
        json!({"destinationSummaries": [{"arn": arn, "status": "ENABLED",
            "createdAt": 1_700_000_000, "lastUpdatedAt": 1_700_000_005,
            "httpUrlSummary": {"confirmationUrl": URL}}]})
    );
}

#[test]
fn the_status_moves_only_as_aws_allows() {
    let (api, recorder) = api();
    let arn = str_at(&create(&api, URL), "arn").to_owned();
    let first = recorder.last_token();
    for refused in ["ENABLED", "DISABLED", "ERROR", "DELETING"] {
        update(&api, &arn, refused).fails(400, "InvalidRequestException");
    }
    update(&api, &arn, "SOMETIMES").fails(400, "InvalidRequestException");
    api.get(&format!("/confirmdestination/{first}")).ok();
    update(&api, &arn, "ENABLED").fails(400, "InvalidRequestException");
    assert_eq!(update(&api, &arn, "DISABLED").ok(), json!({}));
    assert_eq!(get(&api, &arn)["status"], "DISABLED");
    api.get(&format!("/confirmdestination/{first}"))
        .fails(400, "InvalidRequestException");
    update(&api, &arn, "ENABLED").ok();
    assert_eq!(get(&api, &arn)["status"], "ENABLED");
    // IN_PROGRESS sends a new confirmation with a new token; the old one is refused.
    update(&api, &arn, "IN_PROGRESS").ok();
    assert_eq!(recorder.sent().len(), 2);
    let second = recorder.last_token();
    assert_ne!(first, second);
    assert_eq!(get(&api, &arn)["status"], "IN_PROGRESS");
    api.get(&format!("/confirmdestination/{first}"))
        .fails(400, "InvalidRequestException");
    api.get(&format!("/confirmdestination/{second}")).ok();
    assert_eq!(get(&api, &arn)["status"], "ENABLED");
}

#[test]
fn a_failed_confirmation_request_leaves_the_destination_in_error() {
    let (api, recorder) = api();
    *recorder.fail.lock().unwrap_or_else(|p| p.into_inner()) = Some("connection refused".into());
    // The call succeeds (AWS sends asynchronously) and answers IN_PROGRESS...
    let created = create(&api, URL);
    assert_eq!(created["status"], "IN_PROGRESS");
    let arn = str_at(&created, "arn").to_owned();
    // ...and the destination is then ERROR, with why.
    let failed = get(&api, &arn);
    assert_eq!(failed["status"], "ERROR");
    assert_eq!(
        failed["statusReason"],
        "Confirmation request failed: connection refused"
    );
    // IN_PROGRESS tries again.
    *recorder.fail.lock().unwrap_or_else(|p| p.into_inner()) = None;
    update(&api, &arn, "IN_PROGRESS").ok();
    let again = get(&api, &arn);
    assert_eq!(again["status"], "IN_PROGRESS");
    assert!(again.get("statusReason").is_none());
    api.get(&format!("/confirmdestination/{}", recorder.last_token()))
        .ok();
    assert_eq!(get(&api, &arn)["status"], "ENABLED");
}

#[test]
fn bad_requests_get_awss_exceptions() {
    let (api, _) = api();
    for body in [
        json!({}),
        json!({"destinationConfiguration": {}}),
        json!({"destinationConfiguration": {"httpUrlConfiguration": {}}}),
        json!({"destinationConfiguration": {"vpcConfiguration": {"subnetIds": ["s"],
            "vpcId": "v", "roleArn": "r"}}}),
        json!({"destinationConfiguration": {"httpUrlConfiguration": {"confirmationUrl": "ftp://h/"}}}),
        json!({"destinationConfiguration": {"httpUrlConfiguration":
            {"confirmationUrl": "https://h/${topic()}"}}}),
        json!({"destinationConfiguration": {"httpUrlConfiguration": {"confirmationUrl": 7}}}),
    ] {
        api.post("/destinations")
            .json(body)
            .fails(400, "InvalidRequestException");
    }
    let arn = str_at(&create(&api, URL), "arn").to_owned();
    let exists = api
        .post("/destinations")
        .json(
            json!({"destinationConfiguration": {"httpUrlConfiguration": {"confirmationUrl": URL}}}),
        )
        .fails(409, "ResourceAlreadyExistsException");
    assert_eq!(exists["resourceArn"], arn.as_str());

    let missing = "arn:aws:iot:us-east-1:000000000000:ruledestination/http/00000000-0000-0000-0000-000000000000";
    api.get(&format!("/destinations/{}", greedy(missing)))
        .fails(401, "UnauthorizedException");
    api.delete(&format!("/destinations/{}", greedy(missing)))
        .fails(401, "UnauthorizedException");
    update(&api, missing, "DISABLED").fails(401, "UnauthorizedException");
    for bad in ["arn:aws:iot:us-east-1:000000000000:rule/r", "nonsense"] {
        api.get(&format!("/destinations/{}", greedy(bad)))
            .fails(400, "InvalidRequestException");
    }
    api.patch("/destinations")
        .json(json!({"status": "DISABLED"}))
        .fails(400, "InvalidRequestException");
    api.patch("/destinations")
        .json(json!({"arn": arn}))
        .fails(400, "InvalidRequestException");
    for bad in ["0", "1001", "x"] {
        api.get("/destinations")
            .query("maxResults", bad)
            .fails(400, "InvalidRequestException");
    }
    api.get("/destinations")
        .query("nextToken", "%%%")
        .fails(400, "InvalidRequestException");
    api.put("/destinations")
        .fails(405, "MethodNotAllowedException");

    // Deleted: gone, and its URL free again.
    api.delete(&format!("/destinations/{}", greedy(&arn))).ok();
    api.get(&format!("/destinations/{}", greedy(&arn)))
        .fails(401, "UnauthorizedException");
    create(&api, URL);
}

#[test]
fn destinations_are_listed_in_pages() {
    let (api, _) = api();
    for i in 0..5 {
        create(&api, &format!("https://example.com/{i}"));
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut call = api.get("/destinations").query("maxResults", "2");
        if let Some(t) = &token {
            call = call.query("nextToken", t);
        }
        let page = call.ok();
        let items = page["destinationSummaries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|d| str_at(d, "arn").to_owned()));
        match page["nextToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);
}

fn http_rule(action: Value) -> Value {
    json!({"sql": "SELECT * FROM 'sensors/#'", "actions": [{"http": action}]})
}

#[test]
fn rules_with_http_actions_check_and_create_their_destinations() {
    let (api, recorder) = api();
    // confirmationUrl must be a prefix of url.
    api.post("/rules/r0")
        .json(http_rule(
            json!({"url": "https://example.com/in", "confirmationUrl": "https://other.com/"}),
        ))
        .fails(400, "InvalidRequestException");
    // A templated URL needs a confirmationUrl or a destination made beforehand.
    api.post("/rules/r0")
        .json(http_rule(json!({"url": "https://example.com/${topic(2)}"})))
        .fails(400, "InvalidRequestException");
    assert!(recorder.sent().is_empty());

    // A plain URL gets a destination for itself, with its confirmation request.
    api.post("/rules/r1")
        .json(http_rule(json!({"url": "https://plain.example.com/in"})))
        .ok();
    let sent = recorder.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0]
        .url
        .starts_with("https://plain.example.com/in/?confirmationToken="));
    // A confirmationUrl gets a destination for the confirmationUrl.
    api.post("/rules/r2")
        .json(http_rule(json!({"url": "https://example.com/${topic(2)}",
            "confirmationUrl": "https://example.com/"})))
        .ok();
    assert_eq!(recorder.sent().len(), 2);
    assert!(recorder.sent()[1]
        .url
        .starts_with("https://example.com/?confirmationToken="));
    // Covered URLs (templated or not) make no new destination; neither does the error action.
    api.post("/rules/r3")
        .json(json!({"sql": "SELECT * FROM 'a/#'",
            "actions": [{"http": {"url": "https://example.com/${topic()}/x"}}],
            "errorAction": {"http": {"url": "https://example.com/errors"}}}))
        .ok();
    api.patch("/rules/r1")
        .json(http_rule(json!({"url": "https://example.com/other"})))
        .ok();
    assert_eq!(recorder.sent().len(), 2);
    api.patch("/rules/r1")
        .json(http_rule(
            json!({"url": "https://x.com/in", "confirmationUrl": "https://y.com"}),
        ))
        .fails(400, "InvalidRequestException");
    let listed = api.get("/destinations").ok();
    assert_eq!(
        listed["destinationSummaries"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn destinations_survive_a_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let open = || {
        let clock = Arc::new(ManualClock::new(START_MILLIS));
        let store = thingcore_embedded::SqliteStore::open_with_clock(dir.path(), clock.clone())
            .unwrap_or_else(|e| panic!("open: {e}"));
        api_over(Arc::new(store), clock)
    };
    let (arn, token) = {
        let (api, recorder) = open();
        let arn = str_at(&create(&api, URL), "arn").to_owned();
        (arn, recorder.last_token())
    };
    let (api, _) = open();
    api.get(&format!("/confirmdestination/{token}")).ok();
    assert_eq!(get(&api, &arn)["status"], "ENABLED");
    api.post("/destinations")
        .json(
            json!({"destinationConfiguration": {"httpUrlConfiguration": {"confirmationUrl": URL}}}),
        )
        .fails(409, "ResourceAlreadyExistsException");
}
