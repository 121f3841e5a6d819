//! [`Action`]: one member of a rule's `actions` (or its `errorAction`), as the model's `Action`
//! structure has it: an object naming exactly one action type, `{"republish": {...}}`.
//!
//! The eleven types thingcore runs or will run are typed field by field
//! ([`super::action_types`]); the model's other types (`cloudwatchMetric`, `kafka`,
//! `timestream`, ...) are accepted and kept as sent in [`Action::Other`]. For each type this
//! module knows the fields that take substitution templates (AWS's action pages: "Supports
//! substitution templates: Yes"), the name an error action reports it by (`failedAction`, the
//! model's shape name) and the resource it reports (`failedResource`); `action_check` holds the
//! model's constraints that types alone do not carry ([`Action::check`]).

use super::action_types::*;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Every action type of the model: its member name and its shape name.
pub const ACTION_TYPES: [(&str, &str); 24] = [
    ("dynamoDB", "DynamoDBAction"),
    ("dynamoDBv2", "DynamoDBv2Action"),
    ("lambda", "LambdaAction"),
    ("sns", "SnsAction"),
    ("sqs", "SqsAction"),
    ("kinesis", "KinesisAction"),
    ("republish", "RepublishAction"),
    ("s3", "S3Action"),
    ("firehose", "FirehoseAction"),
    ("cloudwatchMetric", "CloudwatchMetricAction"),
    ("cloudwatchAlarm", "CloudwatchAlarmAction"),
    ("cloudwatchLogs", "CloudwatchLogsAction"),
    ("elasticsearch", "ElasticsearchAction"),
    ("salesforce", "SalesforceAction"),
    ("iotAnalytics", "IotAnalyticsAction"),
    ("iotEvents", "IotEventsAction"),
    ("iotSiteWise", "IotSiteWiseAction"),
    ("stepFunctions", "StepFunctionsAction"),
    ("timestream", "TimestreamAction"),
    ("http", "HttpAction"),
    ("kafka", "KafkaAction"),
    ("openSearch", "OpenSearchAction"),
    ("location", "LocationAction"),
    ("influxDB", "InfluxDBAction"),
];

/// One rule action.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `republish`.
    Republish(RepublishAction),
    /// `lambda`.
    Lambda(LambdaAction),
    /// `dynamoDB`.
    DynamoDb(DynamoDbAction),
    /// `dynamoDBv2`.
    DynamoDbV2(DynamoDbV2Action),
    /// `sqs`.
    Sqs(SqsAction),
    /// `sns`.
    Sns(SnsAction),
    /// `kinesis`.
    Kinesis(KinesisAction),
    /// `firehose`.
    Firehose(FirehoseAction),
    /// `s3`.
    S3(S3Action),
    /// `http`.
    Http(HttpAction),
    /// `cloudwatchLogs`.
    CloudwatchLogs(CloudwatchLogsAction),
    /// Another action type of the model, kept exactly as sent.
    Other {
        /// The member name, e.g. `cloudwatchMetric`.
        kind: String,
        /// Its parameters (a JSON object).
        params: Value,
    },
}

impl Action {
    /// The member name of the action's type, e.g. `republish`.
    pub fn kind(&self) -> &str {
        match self {
            Action::Republish(_) => "republish",
            Action::Lambda(_) => "lambda",
            Action::DynamoDb(_) => "dynamoDB",
            Action::DynamoDbV2(_) => "dynamoDBv2",
            Action::Sqs(_) => "sqs",
            Action::Sns(_) => "sns",
            Action::Kinesis(_) => "kinesis",
            Action::Firehose(_) => "firehose",
            Action::S3(_) => "s3",
            Action::Http(_) => "http",
            Action::CloudwatchLogs(_) => "cloudwatchLogs",
            Action::Other { kind, .. } => kind,
        }
    }

    /// The name an error action message gives the action (`failedAction`): the model's shape
    /// name, e.g. `RepublishAction`.
    pub fn failed_action_name(&self) -> &'static str {
        let kind = self.kind();
        ACTION_TYPES
            .iter()
            .find(|(member, _)| *member == kind)
            .map_or("UnknownAction", |(_, shape)| shape)
    }

    /// The resource the action writes to (`failedResource`): the topic, function, table,
    /// queue, stream, bucket, URL or log group; for other types, the first of their
    /// identifying members that is present.
    pub fn resource(&self) -> &str {
        match self {
            Action::Republish(a) => &a.topic,
            Action::Lambda(a) => &a.function_arn,
            Action::DynamoDb(a) => &a.table_name,
            Action::DynamoDbV2(a) => &a.put_item.table_name,
            Action::Sqs(a) => &a.queue_url,
            Action::Sns(a) => &a.target_arn,
            Action::Kinesis(a) => &a.stream_name,
            Action::Firehose(a) => &a.delivery_stream_name,
            Action::S3(a) => &a.bucket_name,
            Action::Http(a) => &a.url,
            Action::CloudwatchLogs(a) => &a.log_group_name,
            Action::Other { params, .. } => [
                "tableName",
                "streamName",
                "channelName",
                "inputName",
                "stateMachineName",
                "alarmName",
                "metricName",
                "trackerName",
                "destinationArn",
                "endpoint",
                "url",
            ]
            .iter()
            .find_map(|key| params.get(key).and_then(Value::as_str))
            .unwrap_or_default(),
        }
    }

    /// The fields that take substitution templates, named by their path in the request (e.g.
    /// `republish.headers.userProperties[0].value`), in a fixed order.
    pub(crate) fn template_fields_mut(&mut self) -> Vec<(String, &mut String)> {
        let mut out = Fields {
            kind: self.kind().to_owned(),
            list: Vec::new(),
        };
        let mut add = |name: &str, field| out.add(name, field);
        match self {
            Action::Republish(a) => {
                add("topic", &mut a.topic);
                if let Some(h) = &mut a.headers {
                    let optional = [
                        (
                            "headers.payloadFormatIndicator",
                            &mut h.payload_format_indicator,
                        ),
                        ("headers.contentType", &mut h.content_type),
                        ("headers.responseTopic", &mut h.response_topic),
                        ("headers.correlationData", &mut h.correlation_data),
                        ("headers.messageExpiry", &mut h.message_expiry),
                    ];
                    for (name, field) in optional {
                        if let Some(field) = field {
                            add(name, field);
                        }
                    }
                    for (i, p) in h.user_properties.iter_mut().flatten().enumerate() {
                        add(&format!("headers.userProperties[{i}].key"), &mut p.key);
                        add(&format!("headers.userProperties[{i}].value"), &mut p.value);
                    }
                }
            }
            Action::Lambda(a) => add("functionArn", &mut a.function_arn),
            Action::DynamoDb(a) => {
                add("tableName", &mut a.table_name);
                if let Some(op) = &mut a.operation {
                    add("operation", op);
                }
                add("hashKeyField", &mut a.hash_key_field);
                add("hashKeyValue", &mut a.hash_key_value);
                if let Some(field) = &mut a.range_key_field {
                    add("rangeKeyField", field);
                }
                if let Some(value) = &mut a.range_key_value {
                    add("rangeKeyValue", value);
                }
            }
            Action::DynamoDbV2(a) => add("putItem.tableName", &mut a.put_item.table_name),
            Action::Sqs(a) => add("queueUrl", &mut a.queue_url),
            Action::Sns(a) => add("targetArn", &mut a.target_arn),
            Action::Kinesis(a) => {
                add("streamName", &mut a.stream_name);
                if let Some(key) = &mut a.partition_key {
                    add("partitionKey", key);
                }
            }
            Action::Firehose(a) => add("deliveryStreamName", &mut a.delivery_stream_name),
            Action::S3(a) => {
                add("bucketName", &mut a.bucket_name);
                add("key", &mut a.key);
            }
            Action::Http(a) => {
                add("url", &mut a.url);
                for (i, h) in a.headers.iter_mut().flatten().enumerate() {
                    add(&format!("headers[{i}].value"), &mut h.value);
                }
            }
            Action::CloudwatchLogs(a) => add("logGroupName", &mut a.log_group_name),
            Action::Other { .. } => {}
        }
        out.list
    }
}

/// Template fields being gathered, named `{kind}.{path}`.
struct Fields<'a> {
    kind: String,
    list: Vec<(String, &'a mut String)>,
}

impl<'a> Fields<'a> {
    fn add(&mut self, name: &str, field: &'a mut String) {
        self.list.push((format!("{}.{name}", self.kind), field));
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        let kind = self.kind();
        match self {
            Action::Republish(a) => map.serialize_entry(kind, a)?,
            Action::Lambda(a) => map.serialize_entry(kind, a)?,
            Action::DynamoDb(a) => map.serialize_entry(kind, a)?,
            Action::DynamoDbV2(a) => map.serialize_entry(kind, a)?,
            Action::Sqs(a) => map.serialize_entry(kind, a)?,
            Action::Sns(a) => map.serialize_entry(kind, a)?,
            Action::Kinesis(a) => map.serialize_entry(kind, a)?,
            Action::Firehose(a) => map.serialize_entry(kind, a)?,
            Action::S3(a) => map.serialize_entry(kind, a)?,
            Action::Http(a) => map.serialize_entry(kind, a)?,
            Action::CloudwatchLogs(a) => map.serialize_entry(kind, a)?,
            Action::Other { params, .. } => map.serialize_entry(kind, params)?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        if map.len() != 1 {
            return Err(de::Error::custom(format!(
                "an action must name exactly one action type, e.g. {{\"republish\": {{...}}}}, \
                 not {}",
                map.len()
            )));
        }
        let Some((kind, params)) = map.into_iter().next() else {
            return Err(de::Error::custom("an action must name one action type"));
        };
        fn typed<T: DeserializeOwned, E: de::Error>(kind: &str, params: Value) -> Result<T, E> {
            serde_json::from_value(params).map_err(|e| E::custom(format!("{kind}: {e}")))
        }
        Ok(match kind.as_str() {
            "republish" => Action::Republish(typed(&kind, params)?),
            "lambda" => Action::Lambda(typed(&kind, params)?),
            "dynamoDB" => Action::DynamoDb(typed(&kind, params)?),
            "dynamoDBv2" => Action::DynamoDbV2(typed(&kind, params)?),
            "sqs" => Action::Sqs(typed(&kind, params)?),
            "sns" => Action::Sns(typed(&kind, params)?),
            "kinesis" => Action::Kinesis(typed(&kind, params)?),
            "firehose" => Action::Firehose(typed(&kind, params)?),
            "s3" => Action::S3(typed(&kind, params)?),
            "http" => Action::Http(typed(&kind, params)?),
            "cloudwatchLogs" => Action::CloudwatchLogs(typed(&kind, params)?),
            other if ACTION_TYPES.iter().any(|(member, _)| *member == other) => {
                if !params.is_object() {
                    return Err(de::Error::custom(format!("{kind}: expected an object")));
                }
                Action::Other { kind, params }
            }
            other => {
                return Err(de::Error::custom(format!(
                    "unknown action type {other:?}; expected one of {}",
                    ACTION_TYPES.map(|(member, _)| member).join(", ")
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleError;
    use serde_json::json;

    fn action(v: Value) -> Result<Action, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn every_type_round_trips_exactly() {
        for v in [
            json!({"republish": {"roleArn": "r", "topic": "a/${topic(2)}", "qos": 1,
                "headers": {"contentType": "json", "userProperties": [{"key": "k", "value": "${x}"}]}}}),
            json!({"lambda": {"functionArn": "arn:aws:lambda:us-east-1:1:function:f"}}),
            json!({"dynamoDB": {"tableName": "t", "roleArn": "r", "hashKeyField": "id",
                "hashKeyValue": "${id}", "hashKeyType": "STRING", "payloadField": "p"}}),
            json!({"dynamoDBv2": {"roleArn": "r", "putItem": {"tableName": "t"}}}),
            json!({"sqs": {"roleArn": "r", "queueUrl": "https://q", "useBase64": true}}),
            json!({"sns": {"roleArn": "r", "targetArn": "arn:sns", "messageFormat": "RAW"}}),
            json!({"kinesis": {"roleArn": "r", "streamName": "s", "partitionKey": "${newuuid()}"}}),
            json!({"firehose": {"roleArn": "r", "deliveryStreamName": "d", "separator": ",", "batchMode": false}}),
            json!({"s3": {"roleArn": "r", "bucketName": "b", "key": "${topic()}", "cannedAcl": "private"}}),
            json!({"http": {"url": "https://h/x", "headers": [{"key": "k", "value": "v"}],
                "auth": {"sigv4": {"signingRegion": "us-east-1", "serviceName": "iot", "roleArn": "r"}},
                "batchConfig": {"maxBatchSize": 5}}}),
            json!({"cloudwatchLogs": {"roleArn": "r", "logGroupName": "g", "batchMode": true}}),
            json!({"cloudwatchMetric": {"roleArn": "r", "metricNamespace": "n", "metricName": "m",
                "metricValue": "1", "metricUnit": "Count"}}),
            json!({"kafka": {"destinationArn": "d", "topic": "t", "clientProperties": {"a": "b"}}}),
        ] {
            let parsed = action(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(serde_json::to_value(&parsed).ok(), Some(v.clone()), "{v}");
            assert!(parsed.check("actions[0]").is_ok(), "{v}");
        }
    }

    #[test]
    fn shapes_are_checked() {
        for (v, needle) in [
            (json!({}), "exactly one"),
            (
                json!({"sqs": {"roleArn": "r", "queueUrl": "q"}, "sns": {}}),
                "exactly one",
            ),
            (json!({"teleport": {}}), "unknown action type"),
            (json!({"republish": {"roleArn": "r"}}), "topic"),
            (
                json!({"republish": {"roleArn": "r", "topic": 5}}),
                "republish",
            ),
            (json!({"kafka": "x"}), "expected an object"),
            (json!([1]), "map"),
        ] {
            let error = action(v.clone()).err().unwrap_or_default();
            assert!(error.contains(needle), "{v}: {error}");
        }
        for v in [
            json!({"republish": {"roleArn": "r", "topic": "a", "qos": 2}}),
            json!({"republish": {"roleArn": "r", "topic": ""}}),
            json!({"republish": {"roleArn": "r", "topic": "a", "headers": {"payloadFormatIndicator": "TEXT"}}}),
            json!({"republish": {"roleArn": "r", "topic": "a", "headers": {"userProperties": []}}}),
            json!({"dynamoDB": {"tableName": "t", "roleArn": "r", "hashKeyField": "id", "hashKeyValue": "1", "hashKeyType": "BLOB"}}),
            json!({"sns": {"roleArn": "r", "targetArn": "t", "messageFormat": "XML"}}),
            json!({"firehose": {"roleArn": "r", "deliveryStreamName": "d", "separator": ";"}}),
            json!({"s3": {"roleArn": "r", "bucketName": "b", "key": "k", "cannedAcl": "everyone"}}),
            json!({"http": {"url": "https://h", "batchConfig": {"maxBatchSize": 11}}}),
            json!({"http": {"url": "https://h", "headers": [{"key": "", "value": "v"}]}}),
        ] {
            let parsed = action(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert!(
                matches!(parsed.check("actions[0]"), Err(RuleError::InvalidRequest(m)) if m.starts_with("actions[0].")),
                "{v}"
            );
        }
    }

    #[test]
    fn names_and_resources_for_error_messages() {
        let republish = action(json!({"republish": {"roleArn": "r", "topic": "out/x"}}));
        let republish = republish.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(republish.failed_action_name(), "RepublishAction");
        assert_eq!(republish.resource(), "out/x");
        let v2 = action(json!({"dynamoDBv2": {"roleArn": "r", "putItem": {"tableName": "t"}}}));
        let v2 = v2.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (v2.failed_action_name(), v2.resource()),
            ("DynamoDBv2Action", "t")
        );
        let other = action(json!({"stepFunctions": {"roleArn": "r", "stateMachineName": "sm"}}));
        let other = other.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (other.failed_action_name(), other.resource()),
            ("StepFunctionsAction", "sm")
        );
    }

    #[test]
    fn template_fields_are_named_by_their_path() {
        let mut a = action(json!({"republish": {"roleArn": "r", "topic": "t",
            "headers": {"contentType": "c", "userProperties": [{"key": "k", "value": "v"}]}}}))
        .unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<String> = a
            .template_fields_mut()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "republish.topic",
                "republish.headers.contentType",
                "republish.headers.userProperties[0].key",
                "republish.headers.userProperties[0].value"
            ]
        );
    }
}
