//! Rule-action sinks for the AWS services, in a build without the AWS SDK: each action of
//! those types fails with [`crate::lean::not_built`]'s message, so the rule's error action
//! says what to do.

use async_trait::async_trait;
use std::sync::Arc;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::ResolvedAction;

/// The SDK configuration the sinks would share; empty without the SDK.
#[derive(Clone, Debug, Default)]
pub struct SinkConfig;

impl SinkConfig {
    /// As with the SDK: the configuration of the environment (nothing to load here).
    pub fn from_env() -> Self {
        Self
    }
}

/// The action types the SDK sinks run.
const KINDS: [&str; 9] = [
    "sqs",
    "sns",
    "kinesis",
    "firehose",
    "s3",
    "lambda",
    "cloudwatchLogs",
    "dynamoDB",
    "dynamoDBv2",
];

/// A sink that fails every action with the message saying how to build with the SDK.
#[derive(Debug)]
struct NotBuilt;

#[async_trait]
impl ActionSink for NotBuilt {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let what = format!("the {} action", action.action.kind());
        Err(ActionError::failed(crate::lean::not_built(&what)))
    }
}

/// A stand-in for every SDK sink, by the action type it would run.
pub fn all(_config: &SinkConfig) -> Vec<(&'static str, Arc<dyn ActionSink>)> {
    let sink: Arc<dyn ActionSink> = Arc::new(NotBuilt);
    KINDS.iter().map(|kind| (*kind, sink.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_aws_action_fails_saying_how_to_build_with_the_sdk() {
        let sinks = all(&SinkConfig::from_env());
        assert_eq!(sinks.len(), KINDS.len());
        let action = ResolvedAction {
            action: serde_json::from_value(serde_json::json!({
                "sqs": {"queueUrl": "http://q", "roleArn": "r"}
            }))
            .unwrap_or_else(|e| panic!("{e}")),
            payload: hyper::body::Bytes::from_static(b"{}"),
        };
        let (_, sink) = sinks
            .iter()
            .find(|(kind, _)| *kind == "sqs")
            .unwrap_or_else(|| panic!("no sqs sink"));
        let error = sink.run(&action).await.err().map(|e| e.to_string());
        let error = error.unwrap_or_default();
        assert!(
            error.starts_with("the sqs action needs the AWS SDK"),
            "{error}"
        );
        assert!(error.contains("--features aws"), "{error}");
    }
}
