//! `thingcore serve` driven by the Rust AWS SDK's IoT data-plane client, by endpoint URL:
//! shadows (classic and named), publish, retained messages, and the SDK's typed errors.

mod common;

use aws_sdk_iotdataplane::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iotdataplane::primitives::Blob;
use aws_sdk_iotdataplane::Client;
use serde_json::{json, Value};

fn client(server: &common::Server) -> Client {
    let config = aws_sdk_iotdataplane::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(&server.http_url)
        .build();
    Client::from_conf(config)
}

fn json_of(blob: Option<Blob>) -> Value {
    blob.and_then(|b| serde_json::from_slice(b.as_ref()).ok())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn shadows_through_the_rust_sdk() {
    let server = common::start();
    let iot = client(&server);
    let accepted = iot
        .update_thing_shadow()
        .thing_name("rust-thing")
        .payload(Blob::new(br#"{"state":{"desired":{"speed":3}}}"#.to_vec()))
        .send()
        .await
        .expect("update");
    assert_eq!(json_of(accepted.payload)["version"], json!(1));
    let got = iot
        .get_thing_shadow()
        .thing_name("rust-thing")
        .send()
        .await
        .expect("get");
    assert_eq!(json_of(got.payload)["state"]["delta"], json!({"speed": 3}));

    iot.update_thing_shadow()
        .thing_name("rust-thing")
        .shadow_name("cfg")
        .payload(Blob::new(br#"{"state":{"reported":{"a":1}}}"#.to_vec()))
        .send()
        .await
        .expect("named update");
    let names = iot
        .list_named_shadows_for_thing()
        .thing_name("rust-thing")
        .send()
        .await
        .expect("list");
    assert_eq!(names.results(), ["cfg"]);

    let conflict = iot
        .update_thing_shadow()
        .thing_name("rust-thing")
        .payload(Blob::new(
            br#"{"state":{"desired":{"speed":4}},"version":7}"#.to_vec(),
        ))
        .send()
        .await
        .expect_err("stale version");
    assert!(conflict.into_service_error().is_conflict_exception());
    let missing = iot
        .get_thing_shadow()
        .thing_name("no-such-thing")
        .send()
        .await
        .expect_err("missing shadow");
    assert!(missing
        .into_service_error()
        .is_resource_not_found_exception());
    iot.delete_thing_shadow()
        .thing_name("rust-thing")
        .send()
        .await
        .expect("delete");
}

#[tokio::test]
async fn publish_and_retained_messages_through_the_rust_sdk() {
    let server = common::start();
    let iot = client(&server);
    iot.publish()
        .topic("sdk/retained")
        .qos(1)
        .retain(true)
        .payload(Blob::new(b"kept".to_vec()))
        .send()
        .await
        .expect("publish");
    let listed = iot.list_retained_messages().send().await.expect("list");
    let topics: Vec<_> = listed
        .retained_topics()
        .iter()
        .filter_map(|t| t.topic())
        .collect();
    assert_eq!(topics, ["sdk/retained"]);
    let one = iot
        .get_retained_message()
        .topic("sdk/retained")
        .send()
        .await
        .expect("get");
    assert_eq!(one.payload().map(|b| b.as_ref()), Some(&b"kept"[..]));
    let bad = iot
        .publish()
        .topic("sdk/+")
        .payload(Blob::new(b"x".to_vec()))
        .send()
        .await
        .expect_err("wildcard topic");
    assert!(bad.into_service_error().is_invalid_request_exception());
}
