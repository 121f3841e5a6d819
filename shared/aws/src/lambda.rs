//! [`LambdaInvoker`]: invoke an AWS Lambda function by name or ARN with a JSON payload
//! (Lambda's Invoke API through `aws-sdk-lambda`), synchronously ([`InvocationType::RequestResponse`],
//! the function's answer comes back) or asynchronously ([`InvocationType::Event`], Lambda
//! queues it and answers 202).
//!
//! It serves the `lambda` rule action ([`crate::sinks::lambda`]) and anything else that calls
//! functions (custom authorizers, the `aws_lambda()` SQL function). Configuration is the
//! SDK's own ([`SinkConfig`]): `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_LAMBDA` point it at
//! LocalStack or a stub; retries are the SDK's standard ones (three attempts for throttling
//! and transient errors), and each invocation is bounded by [`LambdaInvoker::with_timeout`]
//! (default [`DEFAULT_TIMEOUT`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), thingcore_aws::AwsError> {
//! use thingcore_aws::lambda::LambdaInvoker;
//! let invoker = LambdaInvoker::from_env();
//! let answer = invoker
//!     .invoke_json("my-authorizer", &serde_json::json!({"token": "abc"}))
//!     .await?;
//! # let _ = answer; Ok(()) }
//! ```

use crate::error::AwsError;
use crate::sinks::{LazyClient, SinkConfig};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_lambda::primitives::Blob;
use std::time::Duration;

/// How long one invocation (all the SDK's attempts together) may take unless
/// [`LambdaInvoker::with_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How a function is invoked (Lambda's `InvocationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// Synchronous: wait for the function and return its answer.
    RequestResponse,
    /// Asynchronous: Lambda queues the event and answers 202 with no payload (what AWS IoT's
    /// `lambda` rule action does).
    Event,
}

/// What a successful invocation returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Lambda's HTTP status: 200 for RequestResponse, 202 for Event.
    pub status_code: i32,
    /// The function's answer (empty for Event).
    pub payload: Vec<u8>,
}

/// Invokes Lambda functions; cheap to share (the SDK client is made on first use).
#[derive(Debug)]
pub struct LambdaInvoker {
    client: LazyClient<aws_sdk_lambda::Client>,
    timeout: Duration,
}

impl LambdaInvoker {
    /// An invoker on `config` (the sinks' shared SDK configuration).
    pub fn new(config: SinkConfig) -> Self {
        Self {
            client: LazyClient::new(config),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// An invoker on the SDK's environment (`AWS_ENDPOINT_URL_LAMBDA`, `AWS_REGION`, ...),
    /// loaded on the first invocation.
    pub fn from_env() -> Self {
        Self::new(SinkConfig::from_env())
    }

    /// Bounds each invocation, the SDK's retries included, by `timeout`.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Invokes `function` (a name, a partial or full ARN, optionally with `:qualifier`) with
    /// `payload` (Lambda wants JSON).
    ///
    /// # Errors
    /// [`AwsError::FunctionNotFound`] when Lambda has no such function,
    /// [`AwsError::FunctionError`] when the function ran and failed (`X-Amz-Function-Error`),
    /// [`AwsError::InvokeFailed`] for any other refusal or failure to reach Lambda, or the
    /// timeout.
    pub async fn invoke(
        &self,
        function: &str,
        payload: &[u8],
        kind: InvocationType,
    ) -> Result<Invocation, AwsError> {
        let client = self.client.get(aws_sdk_lambda::Client::new).await;
        let kind_sdk = match kind {
            InvocationType::RequestResponse => {
                aws_sdk_lambda::types::InvocationType::RequestResponse
            }
            InvocationType::Event => aws_sdk_lambda::types::InvocationType::Event,
        };
        let call = client
            .invoke()
            .function_name(function)
            .invocation_type(kind_sdk)
            .payload(Blob::new(payload.to_vec()))
            .send();
        let output = match tokio::time::timeout(self.timeout, call).await {
            Err(_) => {
                return Err(AwsError::InvokeFailed {
                    function: function.to_owned(),
                    code: None,
                    message: format!("no answer within {} ms", self.timeout.as_millis()),
                })
            }
            Ok(Err(error)) => {
                let code = error.code().map(str::to_owned);
                let message = error
                    .message()
                    .map_or_else(|| DisplayErrorContext(&error).to_string(), str::to_owned);
                return Err(match code.as_deref() {
                    Some("ResourceNotFoundException") => AwsError::FunctionNotFound {
                        function: function.to_owned(),
                        message,
                    },
                    _ => AwsError::InvokeFailed {
                        function: function.to_owned(),
                        code,
                        message,
                    },
                });
            }
            Ok(Ok(output)) => output,
        };
        let payload = output
            .payload()
            .map(|blob| blob.as_ref().to_vec())
            .unwrap_or_default();
        if let Some(kind) = output.function_error() {
            return Err(AwsError::FunctionError {
                function: function.to_owned(),
                kind: kind.to_owned(),
                payload: String::from_utf8_lossy(&payload).into_owned(),
            });
        }
        Ok(Invocation {
            status_code: output.status_code(),
            payload,
        })
    }

    /// Invokes `function` synchronously with `input` and returns its answer as JSON (`null`
    /// for an empty answer).
    ///
    /// # Errors
    /// As [`LambdaInvoker::invoke`], and [`AwsError::InvalidAnswer`] when the answer is not
    /// JSON.
    pub async fn invoke_json(
        &self,
        function: &str,
        input: &serde_json::Value,
    ) -> Result<serde_json::Value, AwsError> {
        let payload = serde_json::to_vec(input).unwrap_or_default();
        let answer = self
            .invoke(function, &payload, InvocationType::RequestResponse)
            .await?;
        if answer.payload.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&answer.payload).map_err(|e| AwsError::InvalidAnswer {
            function: function.to_owned(),
            reason: e.to_string(),
        })
    }
}
