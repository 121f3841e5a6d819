//! [`RuleErrorMessage`]: what a rule's error action receives ("Error handling (error action)"):
//! one message per rule and message, listing every failure.
//!
//! ```json
//! {"ruleName": "TestAction", "topic": "testme/action",
//!  "cloudwatchTraceId": "7e146a2c-95b5-6caf-98b9-50e3969734c7",
//!  "clientId": "iotconsole-1511213971966-0",
//!  "base64OriginalPayload": "ewogICJtZXNzYWdlIjogIkhlbGxvIn0=",
//!  "failures": [{"failedAction": "S3Action", "failedResource": "bucket", "errorMessage": "..."}]}
//! ```

use super::compiled::ActionFailure;
use crate::sql::EvalContext;
use base64::Engine;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The `clientId` of a message that came without one (as `clientid()` reports it).
pub const NO_CLIENT_ID: &str = "n/a";

/// The payload of an error action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleErrorMessage {
    /// The rule whose actions failed.
    pub rule_name: String,
    /// The topic the original message was published on, as published (Basic Ingest's
    /// `$aws/rules/{rule}/` prefix included).
    pub topic: String,
    /// The message's trace id (AWS: the id of its CloudWatch log entries).
    pub cloudwatch_trace_id: String,
    /// The publisher's client id, or `n/a`.
    pub client_id: String,
    /// The original payload, base64.
    pub base64_original_payload: String,
    /// Every failure of the rule for this message.
    pub failures: Vec<ActionFailure>,
}

impl RuleErrorMessage {
    /// The message for rule `rule_name`'s `failures` on the message of `ctx` with `payload`;
    /// `trace_id` is used when `ctx` has none.
    pub fn new(
        rule_name: &str,
        ctx: &EvalContext,
        payload: &[u8],
        trace_id: &str,
        failures: Vec<ActionFailure>,
    ) -> Self {
        Self {
            rule_name: rule_name.to_owned(),
            topic: ctx.topic.clone(),
            cloudwatch_trace_id: ctx.trace_id.clone().unwrap_or_else(|| trace_id.to_owned()),
            client_id: ctx
                .client_id
                .clone()
                .unwrap_or_else(|| NO_CLIENT_ID.to_owned()),
            base64_original_payload: base64::engine::general_purpose::STANDARD.encode(payload),
            failures,
        }
    }

    /// The JSON the error action delivers.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn the_message_has_aws_fields() {
        let mut ctx = EvalContext::new("$aws/rules/r1/testme/action");
        ctx.client_id = Some("dev-1".into());
        let failure = ActionFailure {
            failed_action: "RepublishAction".into(),
            failed_resource: "out/x".into(),
            error_message: "broker down".into(),
        };
        let message = RuleErrorMessage::new("r1", &ctx, b"{\"a\":1}", "trace-1", vec![failure]);
        let json: Value = serde_json::from_slice(&message.to_bytes()).unwrap_or_default();
        assert_eq!(
            json,
            json!({
                "ruleName": "r1",
                "topic": "$aws/rules/r1/testme/action",
                "cloudwatchTraceId": "trace-1",
                "clientId": "dev-1",
                "base64OriginalPayload": "eyJhIjoxfQ==",
                "failures": [{"failedAction": "RepublishAction", "failedResource": "out/x",
                    "errorMessage": "broker down"}],
            })
        );
        ctx.client_id = None;
        ctx.trace_id = Some("from-context".into());
        let message = RuleErrorMessage::new("r1", &ctx, b"", "unused", vec![]);
        assert_eq!(message.client_id, "n/a");
        assert_eq!(message.cloudwatch_trace_id, "from-context");
    }
}
