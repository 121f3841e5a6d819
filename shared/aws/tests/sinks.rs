//! The rule-action sinks against a real AWS-protocol server: moto server, named by
//! `THINGCORE_TEST_DYNAMODB_ENDPOINT` (the project's test script starts it; one moto serves
//! every service). Each test sends through a sink, then reads back with the service's SDK.

use serde_json::{json, Value};
use thingcore::mqtt::Bytes;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};
use thingcore_aws::sinks::{self, SinkConfig};

const ENDPOINT: &str = "THINGCORE_TEST_DYNAMODB_ENDPOINT";

/// The SDK configuration pointing at moto, or `None` when no server is configured (and one is
/// not required).
async fn moto() -> Option<aws_config::SdkConfig> {
    let Ok(endpoint) = std::env::var(ENDPOINT) else {
        assert!(
            std::env::var("THINGCORE_REQUIRE_DYNAMODB").as_deref() != Ok("1"),
            "{ENDPOINT} is not set but THINGCORE_REQUIRE_DYNAMODB=1"
        );
        return None;
    };
    Some(thingcore_aws::config::load(Some(&endpoint)).await)
}

fn resolved(action: Value, payload: &[u8]) -> ResolvedAction {
    let action: Action = serde_json::from_value(action).expect("a valid action");
    ResolvedAction {
        action,
        payload: Bytes::copy_from_slice(payload),
    }
}

async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("a queue url")
}

async fn receive(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive");
    out.messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

#[tokio::test]
async fn sqs_sends_the_output_as_text_or_base64() {
    let Some(config) = moto().await else { return };
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = create_queue(&sqs, "sink-sqs").await;
    let sink = sinks::sqs::SqsSink::new(SinkConfig::fixed(config));

    let text = resolved(
        json!({"sqs": {"roleArn": "r", "queueUrl": url}}),
        b"{\"temp\":31}",
    );
    sink.run(&text).await.expect("sent");
    let base64 = resolved(
        json!({"sqs": {"roleArn": "r", "queueUrl": url, "useBase64": true}}),
        &[0xff, 0x00],
    );
    sink.run(&base64).await.expect("sent");

    let mut bodies = receive(&sqs, &url).await;
    bodies.sort();
    assert_eq!(bodies, ["/wA=", "{\"temp\":31}"]);
}

#[tokio::test]
async fn sqs_to_a_missing_queue_fails_with_the_service_error() {
    let Some(config) = moto().await else { return };
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = create_queue(&sqs, "sink-sqs-exists").await;
    let missing = url.replace("sink-sqs-exists", "sink-sqs-missing");
    let sink = sinks::sqs::SqsSink::new(SinkConfig::fixed(config));
    let action = resolved(json!({"sqs": {"roleArn": "r", "queueUrl": missing}}), b"{}");
    let error = sink.run(&action).await.expect_err("no such queue");
    assert!(matches!(error, ActionError::Failed { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("sink-sqs-missing"), "{message}");
    assert!(message.contains("NonExistentQueue"), "{message}");
}

#[tokio::test]
async fn sns_publishes_raw_and_json_messages() {
    let Some(config) = moto().await else { return };
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic = sns
        .create_topic()
        .name("sink-sns")
        .send()
        .await
        .expect("create topic")
        .topic_arn
        .expect("a topic arn");
    let url = create_queue(&sqs, "sink-sns-subscriber").await;
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("a queue arn");
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .expect("subscribe");
    let sink = sinks::sns::SnsSink::new(SinkConfig::fixed(config));

    let raw = resolved(
        json!({"sns": {"roleArn": "r", "targetArn": topic, "messageFormat": "RAW"}}),
        b"{\"temp\":31}",
    );
    sink.run(&raw).await.expect("published");
    let structured = resolved(
        json!({"sns": {"roleArn": "r", "targetArn": topic, "messageFormat": "JSON"}}),
        br#"{"default": "hot", "sqs": "hot in sqs"}"#,
    );
    sink.run(&structured).await.expect("published");

    let mut bodies = receive(&sqs, &url).await;
    bodies.sort();
    assert_eq!(bodies, ["hot in sqs", "{\"temp\":31}"]);

    let missing = resolved(
        json!({"sns": {"roleArn": "r", "targetArn": format!("{topic}-missing")}}),
        b"{}",
    );
    let error = sink.run(&missing).await.expect_err("no such topic");
    assert!(error.to_string().contains("-missing"), "{error}");
}

#[tokio::test]
async fn sinks_refuse_actions_of_other_types() {
    let sink = sinks::sqs::SqsSink::new(SinkConfig::from_env());
    let other = resolved(json!({"lambda": {"functionArn": "f"}}), b"{}");
    assert!(matches!(
        sink.run(&other).await,
        Err(ActionError::NotImplemented { .. })
    ));
}
