//! What an evaluation knows besides the payload: the message's topic, client, principal and
//! MQTT 5 properties, the time, a seed for `newuuid()` and `rand()`, and the port through which
//! functions that call other AWS services are reached.

use super::error::EvalError;
use super::value::Value;

/// The MQTT 5 PUBLISH properties that `get_mqtt_property(name)` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MqttProperties {
    /// Content Type (`get_mqtt_property('content_type')`).
    pub content_type: Option<String>,
    /// Payload Format Indicator: `true` for UTF-8 data, `false` for unspecified bytes
    /// (`get_mqtt_property('format_indicator')` gives `UTF8_DATA` or `UNSPECIFIED_BYTES`).
    pub payload_format_utf8: Option<bool>,
    /// Response Topic (`get_mqtt_property('response_topic')`).
    pub response_topic: Option<String>,
    /// Correlation Data (`get_mqtt_property('correlation_data')` gives it base64-encoded).
    pub correlation_data: Option<Vec<u8>>,
}

/// The message's surroundings, as the context functions (`topic()`, `clientid()`,
/// `timestamp()`, ...) see them. Time and randomness are injected so that evaluations are
/// deterministic under test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalContext {
    /// The topic the message was published on; for Basic Ingest the full
    /// `$aws/rules/{rule}/...` topic (`topic()` strips that prefix, as AWS does).
    pub topic: String,
    /// The MQTT client id; `clientid()` returns `n/a` when absent (not sent over MQTT).
    pub client_id: Option<String>,
    /// The authenticated principal (certificate thumbprint, IAM user id, ...).
    pub principal: Option<String>,
    /// The message's trace id; `traceid()` is Undefined when absent.
    pub trace_id: Option<String>,
    /// The publisher's IP address (`sourceip()`).
    pub source_ip: Option<String>,
    /// The account that owns the rule (`accountid()`).
    pub account_id: Option<String>,
    /// Milliseconds since the Unix epoch, as `timestamp()` reports it.
    pub timestamp_ms: u64,
    /// The MQTT 5 properties of the PUBLISH.
    pub mqtt_properties: MqttProperties,
    /// The MQTT 5 user properties, in order (`get_user_properties()`).
    pub user_properties: Vec<(String, String)>,
    /// Seed for `newuuid()` and `rand()`. A host sets a fresh random value per message; tests
    /// set a fixed one and get the same UUIDs every run.
    pub random_seed: u64,
}

impl EvalContext {
    /// A context for a message on `topic`, with everything else empty or zero.
    pub fn new(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            ..Self::default()
        }
    }
}

/// The functions that call other services: `aws_lambda`, `get_dynamodb`, `get_secret`,
/// `get_thing_shadow`, `get_registry_data`, `machinelearning_predict`, and `decode` with the
/// `'proto'` scheme (which reads a descriptor from S3). The rules engine implements this port;
/// the SQL layer only parses the calls and hands over the evaluated arguments.
pub trait ExternalFunctions {
    /// Calls `name` (lower case, as in AWS's reference) with its evaluated arguments.
    ///
    /// # Errors
    ///
    /// An [`EvalError`] when the service fails; AWS then runs the rule's error action.
    fn call(&self, name: &str, args: &[Value<'_>]) -> Result<Value<'static>, EvalError>;
}

/// An [`ExternalFunctions`] with no services behind it: every call fails with
/// [`EvalError::ExternalUnavailable`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoExternalFunctions;

impl ExternalFunctions for NoExternalFunctions {
    fn call(&self, name: &str, _args: &[Value<'_>]) -> Result<Value<'static>, EvalError> {
        Err(EvalError::ExternalUnavailable {
            name: name.to_owned(),
        })
    }
}
