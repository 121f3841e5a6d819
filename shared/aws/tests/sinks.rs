//! The rule-action sinks against a real AWS-protocol server: moto server, named by
//! `THINGCORE_TEST_DYNAMODB_ENDPOINT` (the project's test script starts it; one moto serves
//! every service). Each test sends through a sink, then reads back with the service's SDK.

use serde_json::{json, Value};
use thingcore::mqtt::Bytes;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};
use thingcore_aws::sinks::{self, SinkConfig};

const ENDPOINT: &str = "THINGCORE_TEST_DYNAMODB_ENDPOINT";

/// This run's suffix, so that reruns against the same moto start from empty resources.
static RUN: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| uuid::Uuid::new_v4().simple().to_string()[..8].to_owned());

/// `name` made unique to this run.
fn n(name: &str) -> String {
    format!("{name}-{}", *RUN)
}

/// A second ago, in epoch milliseconds (CloudWatch Logs refuses events far in the past).
fn recent() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    i64::try_from(now).unwrap_or(i64::MAX) - 1000
}

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
    let url = create_queue(&sqs, &n("sink-sqs")).await;
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
    let url = create_queue(&sqs, &n("sink-sqs-exists")).await;
    let missing = url.replace(&n("sink-sqs-exists"), &n("sink-sqs-missing"));
    let sink = sinks::sqs::SqsSink::new(SinkConfig::fixed(config));
    let action = resolved(json!({"sqs": {"roleArn": "r", "queueUrl": missing}}), b"{}");
    let error = sink.run(&action).await.expect_err("no such queue");
    assert!(matches!(error, ActionError::Failed { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&n("sink-sqs-missing")), "{message}");
    assert!(message.contains("NonExistentQueue"), "{message}");
}

#[tokio::test]
async fn sns_publishes_raw_and_json_messages() {
    let Some(config) = moto().await else { return };
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic = sns
        .create_topic()
        .name(n("sink-sns"))
        .send()
        .await
        .expect("create topic")
        .topic_arn
        .expect("a topic arn");
    let url = create_queue(&sqs, &n("sink-sns-subscriber")).await;
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

#[tokio::test]
async fn kinesis_puts_records_with_the_partition_key() {
    let Some(config) = moto().await else { return };
    let kinesis = aws_sdk_kinesis::Client::new(&config);
    kinesis
        .create_stream()
        .stream_name(n("sink-kinesis"))
        .shard_count(1)
        .send()
        .await
        .expect("create stream");
    let sink = sinks::kinesis::KinesisSink::new(SinkConfig::fixed(config));
    let action = resolved(
        json!({"kinesis": {"roleArn": "r", "streamName": n("sink-kinesis"), "partitionKey": "kitchen"}}),
        b"{\"temp\":31}",
    );
    sink.run(&action).await.expect("put");

    let shard = kinesis
        .list_shards()
        .stream_name(n("sink-kinesis"))
        .send()
        .await
        .expect("shards")
        .shards
        .unwrap_or_default()
        .remove(0)
        .shard_id;
    let iterator = kinesis
        .get_shard_iterator()
        .stream_name(n("sink-kinesis"))
        .shard_id(shard)
        .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("iterator")
        .shard_iterator
        .expect("an iterator");
    let records = kinesis
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .expect("records")
        .records;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].partition_key.as_deref(), Some("kitchen"));
    assert_eq!(records[0].data.as_ref(), b"{\"temp\":31}");

    let missing = resolved(
        json!({"kinesis": {"roleArn": "r", "streamName": n("sink-kinesis-missing")}}),
        b"{}",
    );
    let error = sink.run(&missing).await.expect_err("no such stream");
    assert!(error.to_string().contains("ResourceNotFound"), "{error}");
}

async fn object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("get object")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

fn path_style(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

#[tokio::test]
async fn s3_puts_objects_under_the_key() {
    let Some(config) = moto().await else { return };
    let s3 = path_style(&config);
    s3.create_bucket()
        .bucket(n("sink-s3"))
        .send()
        .await
        .expect("create bucket");
    let sink = sinks::s3::S3Sink::new(SinkConfig::fixed(config));
    let action = resolved(
        json!({"s3": {"roleArn": "r", "bucketName": n("sink-s3"), "key": "kitchen/1.json",
            "cannedAcl": "private"}}),
        b"{\"temp\":31}",
    );
    sink.run(&action).await.expect("put");
    assert_eq!(
        object(&s3, &n("sink-s3"), "kitchen/1.json").await,
        b"{\"temp\":31}"
    );

    let missing = resolved(
        json!({"s3": {"roleArn": "r", "bucketName": n("sink-s3-missing"), "key": "k"}}),
        b"{}",
    );
    let error = sink.run(&missing).await.expect_err("no such bucket");
    assert!(error.to_string().contains("NoSuchBucket"), "{error}");
}

#[tokio::test]
async fn firehose_delivers_separated_records_and_batches() {
    let Some(config) = moto().await else { return };
    let s3 = path_style(&config);
    s3.create_bucket()
        .bucket(n("sink-firehose"))
        .send()
        .await
        .expect("create bucket");
    let firehose = aws_sdk_firehose::Client::new(&config);
    let destination = aws_sdk_firehose::types::ExtendedS3DestinationConfiguration::builder()
        .role_arn("arn:aws:iam::123456789012:role/firehose")
        .bucket_arn(format!("arn:aws:s3:::{}", n("sink-firehose")))
        .build()
        .expect("destination");
    firehose
        .create_delivery_stream()
        .delivery_stream_name(n("sink-firehose"))
        .extended_s3_destination_configuration(destination)
        .send()
        .await
        .expect("create delivery stream");
    let sink = sinks::firehose::FirehoseSink::new(SinkConfig::fixed(config));
    let one = resolved(
        json!({"firehose": {"roleArn": "r", "deliveryStreamName": n("sink-firehose"), "separator": "\n"}}),
        b"{\"temp\":31}",
    );
    sink.run(&one).await.expect("put");
    let batch = resolved(
        json!({"firehose": {"roleArn": "r", "deliveryStreamName": n("sink-firehose"),
            "separator": ",", "batchMode": true}}),
        b"[{\"a\":1},{\"a\":2}]",
    );
    sink.run(&batch).await.expect("put batch");

    let keys: Vec<String> = s3
        .list_objects_v2()
        .bucket(n("sink-firehose"))
        .send()
        .await
        .expect("list")
        .contents
        .unwrap_or_default()
        .into_iter()
        .filter_map(|o| o.key)
        .collect();
    let mut delivered = Vec::new();
    for key in &keys {
        delivered
            .push(String::from_utf8(object(&s3, &n("sink-firehose"), key).await).expect("text"));
    }
    delivered.sort();
    assert_eq!(delivered, ["{\"a\":1},{\"a\":2},", "{\"temp\":31}\n"]);
}

#[tokio::test]
async fn cloudwatch_logs_writes_events_and_batches() {
    let Some(config) = moto().await else { return };
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    logs.create_log_group()
        .log_group_name(n("sink-logs"))
        .send()
        .await
        .expect("create group");
    let sink = sinks::cloudwatch_logs::CloudwatchLogsSink::new(SinkConfig::fixed(config));
    let one = resolved(
        json!({"cloudwatchLogs": {"roleArn": "r", "logGroupName": n("sink-logs")}}),
        b"{\"temp\":31}",
    );
    sink.run(&one).await.expect("put");
    let batch = resolved(
        json!({"cloudwatchLogs": {"roleArn": "r", "logGroupName": n("sink-logs"), "batchMode": true}}),
        json!([{"timestamp": recent(), "message": "first"}, {"message": "second"}])
            .to_string()
            .as_bytes(),
    );
    sink.run(&batch).await.expect("put batch");

    let events = logs
        .get_log_events()
        .log_group_name(n("sink-logs"))
        .log_stream_name(sinks::cloudwatch_logs::LOG_STREAM)
        .start_from_head(true)
        .send()
        .await
        .expect("events")
        .events
        .unwrap_or_default();
    let mut messages: Vec<String> = events.into_iter().filter_map(|e| e.message).collect();
    messages.sort();
    assert_eq!(messages, ["first", "second", "{\"temp\":31}"]);

    let missing = resolved(
        json!({"cloudwatchLogs": {"roleArn": "r", "logGroupName": n("sink-logs-missing")}}),
        b"{}",
    );
    let error = sink.run(&missing).await.expect_err("no such group");
    assert!(error.to_string().contains("ResourceNotFound"), "{error}");
}

#[tokio::test]
async fn dynamodb_v1_and_v2_write_items() {
    let Some(config) = moto().await else { return };
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    dynamodb
        .create_table()
        .table_name(n("sink-dynamodb"))
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .send()
        .await
        .expect("create table");
    let sink = sinks::dynamodb::DynamoDbSink::new(SinkConfig::fixed(config));
    let get = |id: &'static str| {
        let dynamodb = dynamodb.clone();
        async move {
            dynamodb
                .get_item()
                .table_name(n("sink-dynamodb"))
                .key("id", AttributeValue::S(id.into()))
                .send()
                .await
                .expect("get item")
                .item
        }
    };

    let v1 = resolved(
        json!({"dynamoDB": {"tableName": n("sink-dynamodb"), "roleArn": "r", "hashKeyField": "id",
            "hashKeyValue": "kitchen", "payloadField": "data"}}),
        b"{\"temp\":31}",
    );
    sink.run(&v1).await.expect("insert");
    let item = get("kitchen").await.expect("an item");
    assert_eq!(
        item.get("data")
            .and_then(|d| d.as_m().ok())
            .and_then(|m| m.get("temp")),
        Some(&AttributeValue::N("31".into()))
    );
    let delete = resolved(
        json!({"dynamoDB": {"tableName": n("sink-dynamodb"), "roleArn": "r", "hashKeyField": "id",
            "hashKeyValue": "kitchen", "operation": "DELETE"}}),
        b"{}",
    );
    sink.run(&delete).await.expect("delete");
    assert!(get("kitchen").await.is_none());

    let v2 = resolved(
        json!({"dynamoDBv2": {"roleArn": "r", "putItem": {"tableName": n("sink-dynamodb")}}}),
        b"{\"id\":\"attic\",\"temp\":45}",
    );
    sink.run(&v2).await.expect("put item");
    let item = get("attic").await.expect("an item");
    assert_eq!(item.get("temp"), Some(&AttributeValue::N("45".into())));

    let no_key = resolved(
        json!({"dynamoDBv2": {"roleArn": "r", "putItem": {"tableName": n("sink-dynamodb")}}}),
        b"{\"temp\":45}",
    );
    assert!(sink.run(&no_key).await.is_err());
}
