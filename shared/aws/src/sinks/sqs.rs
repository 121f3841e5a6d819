//! The `sqs` action: SendMessage of the rule's output to the queue at `queueUrl` (a rendered
//! template). With `useBase64` the body is the output in base64, as AWS does for binary
//! payloads; without it the output must be UTF-8 text. AWS's action does not support FIFO
//! queues (no message group id is sent): SQS refuses, and the error action runs.

use super::{call, text, LazyClient, SinkConfig};
use async_trait::async_trait;
use base64::Engine;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};

/// Sends rule output to Amazon SQS.
#[derive(Debug)]
pub struct SqsSink {
    client: LazyClient<aws_sdk_sqs::Client>,
}

impl SqsSink {
    /// A sink whose client is made from `config` on first use.
    pub fn new(config: SinkConfig) -> Self {
        Self {
            client: LazyClient::new(config),
        }
    }
}

/// The message body of `payload`.
///
/// # Errors
/// [`ActionError::InvalidParameter`] for output that is not UTF-8 without `useBase64`.
pub fn body(payload: &[u8], use_base64: bool) -> Result<String, ActionError> {
    if use_base64 {
        Ok(base64::engine::general_purpose::STANDARD.encode(payload))
    } else {
        text(payload, "set useBase64 to send binary output")
    }
}

#[async_trait]
impl ActionSink for SqsSink {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let Action::Sqs(sqs) = &action.action else {
            return Err(ActionError::not_for(action));
        };
        let body = body(&action.payload, sqs.use_base64.unwrap_or(false))?;
        let client = self.client.get(aws_sdk_sqs::Client::new).await;
        call(
            || format!("Failed to send message to SQS queue {}", sqs.queue_url),
            client
                .send_message()
                .queue_url(&sqs.queue_url)
                .message_body(body)
                .send(),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_text_or_base64() {
        assert_eq!(body(b"{\"a\":1}", false).ok().as_deref(), Some("{\"a\":1}"));
        assert_eq!(body(&[0xff, 0x00], true).ok().as_deref(), Some("/wA="));
        assert!(matches!(
            body(&[0xff, 0x00], false),
            Err(ActionError::InvalidParameter {
                parameter: "payload",
                ..
            })
        ));
    }
}
