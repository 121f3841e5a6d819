//! The action shapes of botocore's `iot` model that thingcore knows field by field, with their
//! camelCase wire names: republish, lambda, dynamoDB, dynamoDBv2, sqs, sns, kinesis, firehose,
//! s3, http and cloudwatchLogs. Optional members are left out when absent, so a stored action
//! serializes back exactly as it was sent (members the model does not have are ignored).

use serde::{Deserialize, Serialize};

/// `RepublishAction`: publish the rule's output to another MQTT topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepublishAction {
    /// The IAM role AWS would assume (kept, not used).
    pub role_arn: String,
    /// The topic, a substitution template; a leading `$$` stands for `$` (reserved topics).
    pub topic: String,
    /// 0 or 1; 0 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qos: Option<i64>,
    /// MQTT 5 properties of the republished message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<MqttHeaders>,
}

/// `MqttHeaders`: every member is a substitution template.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MqttHeaders {
    /// `UNSPECIFIED_BYTES` or `UTF8_DATA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_format_indicator: Option<String>,
    /// Content Type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Response Topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_topic: Option<String>,
    /// Correlation Data, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_data: Option<String>,
    /// Message Expiry Interval in seconds, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_expiry: Option<String>,
    /// User Properties, 1 to 100 of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_properties: Option<Vec<UserProperty>>,
}

/// `UserProperty`: key and value are substitution templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserProperty {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// `LambdaAction`: invoke a function with the rule's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaAction {
    /// The function's ARN (template).
    pub function_arn: String,
}

/// `DynamoDBAction`: write the output into one column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamoDbAction {
    /// The table (template).
    pub table_name: String,
    /// The IAM role.
    pub role_arn: String,
    /// `INSERT`, `UPDATE` or `DELETE` (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The hash key's name (template).
    pub hash_key_field: String,
    /// The hash key's value (template).
    pub hash_key_value: String,
    /// `STRING` or `NUMBER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_key_type: Option<String>,
    /// The range key's name (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_key_field: Option<String>,
    /// The range key's value (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_key_value: Option<String>,
    /// `STRING` or `NUMBER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_key_type: Option<String>,
    /// The column the output goes to (`payload` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_field: Option<String>,
}

/// `DynamoDBv2Action`: write each member of the output into its own column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamoDbV2Action {
    /// The IAM role.
    pub role_arn: String,
    /// Where to put the item.
    pub put_item: PutItemInput,
}

/// `PutItemInput`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutItemInput {
    /// The table (template).
    pub table_name: String,
}

/// `SqsAction`: send the output to a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsAction {
    /// The IAM role.
    pub role_arn: String,
    /// The queue's URL (template).
    pub queue_url: String,
    /// Whether to base64-encode the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_base64: Option<bool>,
}

/// `SnsAction`: publish the output to a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnsAction {
    /// The SNS topic's ARN (template).
    pub target_arn: String,
    /// The IAM role.
    pub role_arn: String,
    /// `RAW` or `JSON`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_format: Option<String>,
}

/// `KinesisAction`: put the output into a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisAction {
    /// The IAM role.
    pub role_arn: String,
    /// The stream (template).
    pub stream_name: String,
    /// The partition key (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_key: Option<String>,
}

/// `FirehoseAction`: put the output into a delivery stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirehoseAction {
    /// The IAM role.
    pub role_arn: String,
    /// The delivery stream (template).
    pub delivery_stream_name: String,
    /// `\n`, `\t`, `\r\n` or `,`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    /// Whether the output is an array of records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_mode: Option<bool>,
}

/// `S3Action`: write the output as an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Action {
    /// The IAM role.
    pub role_arn: String,
    /// The bucket (template).
    pub bucket_name: String,
    /// The object key (template).
    pub key: String,
    /// A canned ACL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canned_acl: Option<String>,
}

/// `HttpAction`: POST the output to an HTTPS endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpAction {
    /// The endpoint (template), at most 2000 characters.
    pub url: String,
    /// Where AWS sends the destination confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_url: Option<String>,
    /// Request headers (values are templates), at most 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<HttpActionHeader>>,
    /// SigV4 signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<HttpAuthorization>,
    /// Whether messages are batched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_batching: Option<bool>,
    /// How messages are batched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_config: Option<BatchConfig>,
}

/// `HttpActionHeader`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpActionHeader {
    /// The header's name, 1 to 256 characters.
    pub key: String,
    /// The header's value (template).
    pub value: String,
}

/// `HttpAuthorization`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpAuthorization {
    /// SigV4 signing of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigv4: Option<SigV4Authorization>,
}

/// `SigV4Authorization`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigV4Authorization {
    /// The signing region.
    pub signing_region: String,
    /// The service name.
    pub service_name: String,
    /// The IAM role.
    pub role_arn: String,
}

/// `BatchConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchConfig {
    /// 5 to 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batch_open_ms: Option<i64>,
    /// 2 to 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batch_size: Option<i64>,
    /// 100 to 131072.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batch_size_bytes: Option<i64>,
    /// Whether batches may mix topics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_across_topics: Option<bool>,
}

/// `CloudwatchLogsAction`: write the output to a log group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudwatchLogsAction {
    /// The IAM role.
    pub role_arn: String,
    /// The log group (template).
    pub log_group_name: String,
    /// Whether the output is an array of log events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_mode: Option<bool>,
}
