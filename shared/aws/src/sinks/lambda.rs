//! The `lambda` action: the rule's output sent to the function at `functionArn` (a rendered
//! template) with Lambda's Invoke API, asynchronously (`InvocationType` `Event`), as AWS IoT
//! does: Lambda queues the event and answers 202; what the function then does is not the
//! rule's concern. A refusal (no such function, throttling that outlasts the SDK's retries,
//! a payload Lambda does not take) goes to the rule's error action with Lambda's error code
//! and message.

use super::SinkConfig;
use crate::lambda::{InvocationType, LambdaInvoker};
use async_trait::async_trait;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};

/// Invokes Lambda functions with rule output.
#[derive(Debug)]
pub struct LambdaSink {
    invoker: LambdaInvoker,
}

impl LambdaSink {
    /// A sink whose client is made from `config` on first use.
    pub fn new(config: SinkConfig) -> Self {
        Self::with_invoker(LambdaInvoker::new(config))
    }

    /// A sink invoking through `invoker`.
    pub fn with_invoker(invoker: LambdaInvoker) -> Self {
        Self { invoker }
    }
}

#[async_trait]
impl ActionSink for LambdaSink {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let Action::Lambda(lambda) = &action.action else {
            return Err(ActionError::not_for(action));
        };
        self.invoker
            .invoke(&lambda.function_arn, &action.payload, InvocationType::Event)
            .await
            .map_err(|error| {
                ActionError::caused_by(
                    format!(
                        "Failed to invoke Lambda function {}. The error received was {error}",
                        lambda.function_arn
                    ),
                    error,
                )
            })?;
        Ok(())
    }
}
