//! `thingcore serve` driven by the Rust AWS SDK's IoT control-plane client, by endpoint URL:
//! provisioning a device (thing, keys and certificate, policy, attachments) and typed errors.

mod common;

use aws_sdk_iot::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iot::types::{AttributePayload, CertificateStatus};
use aws_sdk_iot::Client;

fn client(server: &common::Server) -> Client {
    let config = aws_sdk_iot::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(&server.http_url)
        .build();
    Client::from_conf(config)
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:*:*:client/${iot:ClientId}"}]}"#;

#[tokio::test]
async fn provisioning_through_the_rust_sdk() {
    let server = common::start();
    let iot = client(&server);
    let thing = iot
        .create_thing()
        .thing_name("rust-dev")
        .attribute_payload(
            AttributePayload::builder()
                .attributes("model", "x1")
                .build(),
        )
        .send()
        .await
        .expect("create thing");
    assert!(thing
        .thing_arn()
        .is_some_and(|arn| arn.ends_with(":thing/rust-dev")));
    let described = iot
        .describe_thing()
        .thing_name("rust-dev")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        described
            .attributes()
            .and_then(|a| a.get("model"))
            .map(String::as_str),
        Some("x1")
    );
    assert_eq!(described.version(), 1);

    let cert = iot
        .create_keys_and_certificate()
        .set_as_active(true)
        .send()
        .await
        .expect("keys and certificate");
    let cert_arn = cert.certificate_arn().expect("arn").to_string();
    let cert_id = cert.certificate_id().expect("id").to_string();
    assert!(cert
        .key_pair()
        .and_then(|k| k.private_key())
        .is_some_and(|k| k.contains("PRIVATE KEY")));

    iot.create_policy()
        .policy_name("rust-policy")
        .policy_document(POLICY)
        .send()
        .await
        .expect("policy");
    iot.attach_policy()
        .policy_name("rust-policy")
        .target(&cert_arn)
        .send()
        .await
        .expect("attach policy");
    iot.attach_thing_principal()
        .thing_name("rust-dev")
        .principal(&cert_arn)
        .send()
        .await
        .expect("attach principal");
    let principals = iot
        .list_thing_principals()
        .thing_name("rust-dev")
        .send()
        .await
        .expect("list");
    assert_eq!(principals.principals(), std::slice::from_ref(&cert_arn));
    let description = iot
        .describe_certificate()
        .certificate_id(&cert_id)
        .send()
        .await
        .expect("describe certificate");
    assert_eq!(
        description
            .certificate_description()
            .and_then(|d| d.status()),
        Some(&CertificateStatus::Active)
    );

    let duplicate = iot
        .create_thing()
        .thing_name("rust-dev")
        .attribute_payload(
            AttributePayload::builder()
                .attributes("model", "other")
                .build(),
        )
        .send()
        .await
        .expect_err("a different thing with the same name");
    assert!(duplicate
        .into_service_error()
        .is_resource_already_exists_exception());
    let malformed = iot
        .create_policy()
        .policy_name("broken")
        .policy_document("{\"Statement\": 5}")
        .send()
        .await
        .expect_err("malformed policy");
    assert!(malformed
        .into_service_error()
        .is_malformed_policy_exception());
    let conflict = iot
        .update_thing()
        .thing_name("rust-dev")
        .expected_version(7)
        .send()
        .await
        .expect_err("stale version");
    assert!(conflict
        .into_service_error()
        .is_version_conflict_exception());
}
