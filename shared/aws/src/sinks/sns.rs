//! The `sns` action: Publish of the rule's output to `targetArn` (a rendered template). A topic
//! ARN is published to as the topic, any other ARN (a platform endpoint) as the target.
//! `messageFormat` `RAW` (the default) sends the output as the message; `JSON` sends it with
//! message structure `json`, so SNS reads per-protocol messages from it (a `default` member is
//! then required, and SNS refuses output without one).

use super::{call, text, LazyClient, SinkConfig};
use async_trait::async_trait;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};

/// Publishes rule output to Amazon SNS.
#[derive(Debug)]
pub struct SnsSink {
    client: LazyClient<aws_sdk_sns::Client>,
}

impl SnsSink {
    /// A sink whose client is made from `config` on first use.
    pub fn new(config: SinkConfig) -> Self {
        Self {
            client: LazyClient::new(config),
        }
    }
}

/// Whether `arn` names an SNS topic (`arn:aws:sns:region:account:name`) rather than an
/// endpoint (`...:endpoint/APNS/app/id`).
pub fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", _, "sns", _, _, name] if !name.contains('/'))
}

#[async_trait]
impl ActionSink for SnsSink {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let Action::Sns(sns) = &action.action else {
            return Err(ActionError::not_for(action));
        };
        let message = text(&action.payload, "SNS messages are text")?;
        let json = match sns.message_format.as_deref() {
            None | Some("RAW") => false,
            Some("JSON") => true,
            Some(other) => {
                return Err(ActionError::invalid(
                    "messageFormat",
                    format!("{other:?} is not RAW or JSON"),
                ))
            }
        };
        let client = self.client.get(aws_sdk_sns::Client::new).await;
        let mut request = client.publish().message(message);
        request = if is_topic_arn(&sns.target_arn) {
            request.topic_arn(&sns.target_arn)
        } else {
            request.target_arn(&sns.target_arn)
        };
        if json {
            request = request.message_structure("json");
        }
        call(
            || format!("Failed to publish to SNS target {}", sns.target_arn),
            request.send(),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_arns_and_endpoint_arns() {
        assert!(is_topic_arn("arn:aws:sns:us-east-1:123456789012:alerts"));
        assert!(!is_topic_arn(
            "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/1234"
        ));
        assert!(!is_topic_arn("alerts"));
    }
}
