//! The model's constraints on actions that their types alone do not carry: ranges (`qos`,
//! batch sizes), enums (`hashKeyType`, `messageFormat`, `cannedAcl`, Firehose separators),
//! lengths (MQTT headers, HTTP URLs and headers) and required text.

use super::action::Action;
use super::action_types::MqttHeaders;
use super::error::RuleError;

impl Action {
    /// Checks the model's constraints that types alone do not: ranges, enums, lengths and
    /// required text. `field` names the action in messages (`actions[2]`, `errorAction`).
    ///
    /// # Errors
    /// `InvalidRequestException` naming the member.
    pub fn check(&self, field: &str) -> Result<(), RuleError> {
        let at = |member: &str| format!("{field}.{}.{member}", self.kind());
        let bad = |member: &str, why: String| RuleError::invalid(format!("{}: {why}", at(member)));
        let required = |member: &str, value: &str| {
            if value.is_empty() {
                Err(bad(member, "must not be empty".into()))
            } else {
                Ok(())
            }
        };
        let one_of = |member: &str, value: &Option<String>, allowed: &[&str]| match value {
            Some(v) if !allowed.contains(&v.as_str()) => Err(bad(
                member,
                format!("{v:?} is not one of {}", allowed.join(", ")),
            )),
            _ => Ok(()),
        };
        let range = |member: &str, value: Option<i64>, min: i64, max: i64| match value {
            Some(v) if !(min..=max).contains(&v) => {
                Err(bad(member, format!("{v} is not between {min} and {max}")))
            }
            _ => Ok(()),
        };
        match self {
            Action::Republish(a) => {
                required("topic", &a.topic)?;
                range("qos", a.qos, 0, 1)?;
                if let Some(h) = &a.headers {
                    check_headers(h, &at("headers"))?;
                }
            }
            Action::Lambda(a) => required("functionArn", &a.function_arn)?,
            Action::DynamoDb(a) => {
                required("tableName", &a.table_name)?;
                required("hashKeyField", &a.hash_key_field)?;
                one_of("hashKeyType", &a.hash_key_type, &["STRING", "NUMBER"])?;
                one_of("rangeKeyType", &a.range_key_type, &["STRING", "NUMBER"])?;
            }
            Action::DynamoDbV2(a) => required("putItem.tableName", &a.put_item.table_name)?,
            Action::Sqs(a) => required("queueUrl", &a.queue_url)?,
            Action::Sns(a) => {
                required("targetArn", &a.target_arn)?;
                one_of("messageFormat", &a.message_format, &["RAW", "JSON"])?;
            }
            Action::Kinesis(a) => required("streamName", &a.stream_name)?,
            Action::Firehose(a) => {
                required("deliveryStreamName", &a.delivery_stream_name)?;
                one_of("separator", &a.separator, &["\n", "\t", "\r\n", ","])?;
            }
            Action::S3(a) => {
                required("bucketName", &a.bucket_name)?;
                required("key", &a.key)?;
                one_of("cannedAcl", &a.canned_acl, &CANNED_ACLS)?;
            }
            Action::Http(a) => {
                required("url", &a.url)?;
                for (member, url) in [
                    ("url", Some(&a.url)),
                    ("confirmationUrl", a.confirmation_url.as_ref()),
                ] {
                    if url.is_some_and(|u| u.chars().count() > 2000) {
                        return Err(bad(member, "is longer than 2000 characters".into()));
                    }
                }
                let headers = a.headers.as_deref().unwrap_or_default();
                if headers.len() > 100 {
                    return Err(bad("headers", "has more than 100 headers".into()));
                }
                for h in headers {
                    let len = h.key.chars().count();
                    if !(1..=256).contains(&len) {
                        return Err(bad(
                            "headers",
                            format!("key {:?} must have 1 to 256 characters", h.key),
                        ));
                    }
                }
                if let Some(b) = &a.batch_config {
                    range("batchConfig.maxBatchOpenMs", b.max_batch_open_ms, 5, 200)?;
                    range("batchConfig.maxBatchSize", b.max_batch_size, 2, 10)?;
                    range(
                        "batchConfig.maxBatchSizeBytes",
                        b.max_batch_size_bytes,
                        100,
                        131_072,
                    )?;
                }
            }
            Action::CloudwatchLogs(a) => required("logGroupName", &a.log_group_name)?,
            Action::Other { .. } => {}
        }
        Ok(())
    }
}

/// The model's `CannedAccessControlList`.
const CANNED_ACLS: [&str; 8] = [
    "private",
    "public-read",
    "public-read-write",
    "aws-exec-read",
    "authenticated-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// `MqttHeaders`: at most 1024 characters each, 1 to 100 user properties, and a payload
/// format indicator that is a template or one of the two values.
fn check_headers(h: &MqttHeaders, at: &str) -> Result<(), RuleError> {
    let bad = |member: &str, why: &str| RuleError::invalid(format!("{at}.{member}: {why}"));
    let fields = [
        ("payloadFormatIndicator", &h.payload_format_indicator),
        ("contentType", &h.content_type),
        ("responseTopic", &h.response_topic),
        ("correlationData", &h.correlation_data),
        ("messageExpiry", &h.message_expiry),
    ];
    for (member, value) in fields {
        if value.as_ref().is_some_and(|v| v.chars().count() > 1024) {
            return Err(bad(member, "is longer than 1024 characters"));
        }
    }
    if let Some(v) = &h.payload_format_indicator {
        if !v.contains("${") && !["UNSPECIFIED_BYTES", "UTF8_DATA"].contains(&v.as_str()) {
            return Err(bad(
                "payloadFormatIndicator",
                "must be UNSPECIFIED_BYTES or UTF8_DATA",
            ));
        }
    }
    if let Some(props) = &h.user_properties {
        if props.is_empty() || props.len() > 100 {
            return Err(bad("userProperties", "must have 1 to 100 members"));
        }
        for p in props {
            if p.key.chars().count() > 1024 || p.value.chars().count() > 1024 {
                return Err(bad(
                    "userProperties",
                    "keys and values have at most 1024 characters",
                ));
            }
        }
    }
    Ok(())
}
