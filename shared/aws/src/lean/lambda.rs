//! Invoking Lambda functions, in a build without the AWS SDK: every invocation fails with
//! [`crate::lean::not_built`]'s message (custom authorizers on Lambda, `aws_lambda()`).

use crate::error::AwsError;
use crate::sinks::SinkConfig;
use std::time::Duration;

/// How long an invocation may take by default, as with the SDK.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Would invoke Lambda functions; without the SDK every invocation fails.
#[derive(Debug, Default)]
pub struct LambdaInvoker;

impl LambdaInvoker {
    /// An invoker on `config`.
    pub fn new(_config: SinkConfig) -> Self {
        Self
    }

    /// An invoker on the SDK's environment.
    pub fn from_env() -> Self {
        Self
    }

    /// Bounds each invocation by `timeout` (nothing to bound here).
    #[must_use]
    pub fn with_timeout(self, _timeout: Duration) -> Self {
        self
    }

    /// Fails: there is no SDK to invoke `function` with.
    ///
    /// # Errors
    /// Always [`AwsError::InvokeFailed`], saying how to build with the SDK.
    pub async fn invoke_json(
        &self,
        function: &str,
        _input: &serde_json::Value,
    ) -> Result<serde_json::Value, AwsError> {
        Err(AwsError::InvokeFailed {
            function: function.to_owned(),
            code: None,
            message: crate::lean::not_built(&format!("invoking the Lambda function {function}")),
        })
    }
}
