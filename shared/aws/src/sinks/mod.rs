//! Rule-action sinks on the AWS SDK: each implements core's ActionSink port
//! (`thingcore::rules::sink`) for one action type and only moves bytes — the action arrives
//! with its substitution templates already rendered by core.
//!
//! - [`sqs`]: `sqs` (SendMessage; `useBase64`).
//! - [`sns`]: `sns` (Publish; `messageFormat` RAW or JSON).
//! - [`kinesis`]: `kinesis` (PutRecord; `partitionKey`).
//! - [`firehose`]: `firehose` (PutRecord / PutRecordBatch; `separator`, `batchMode`).
//! - [`lambda`]: `lambda` (Invoke, `InvocationType` `Event`, through [`crate::lambda`]).
//! - [`s3`]: `s3` (PutObject; `key`, `cannedAcl`).
//! - [`cloudwatch_logs`]: `cloudwatchLogs` (PutLogEvents; `batchMode`).
//! - [`dynamodb`]: `dynamoDB` (hash/range key, `payloadField`, `operation`) and `dynamoDBv2`
//!   (PutItem of the whole output).
//!
//! The sinks share one [`SinkConfig`]: the SDK's own configuration (`aws_config::defaults`),
//! so `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>` (e.g. `AWS_ENDPOINT_URL_SQS`),
//! `AWS_REGION` and profiles point them at AWS, LocalStack or moto. It is loaded on the first
//! action that needs it, not before, so a host without such rules never touches AWS; each
//! service's client is made once. Retries are the SDK's standard ones (three attempts with
//! backoff for throttling and transient errors), the same that AWS's rules engine makes; a
//! failure that remains goes to the rule's error action with the service's error code and
//! message.

pub mod cloudwatch_logs;
pub mod dynamodb;
pub mod firehose;
pub mod kinesis;
pub mod lambda;
pub mod s3;
pub mod sns;
pub mod sqs;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::future::Future;
use std::sync::Arc;
use thingcore::rules::sink::{ActionError, ActionSink};
use tokio::sync::OnceCell;

/// The SDK configuration the sinks share, loaded once on first use.
#[derive(Clone, Debug, Default)]
pub struct SinkConfig {
    cell: Arc<OnceCell<SdkConfig>>,
}

impl SinkConfig {
    /// Loads the configuration from the environment on first use ([`crate::config::load_for_sinks`]).
    pub fn from_env() -> Self {
        Self::default()
    }

    /// Uses `config` as it is (tests, hosts that already loaded one).
    pub fn fixed(config: SdkConfig) -> Self {
        Self {
            cell: Arc::new(OnceCell::new_with(Some(config))),
        }
    }

    /// The configuration, loading it if this is the first use.
    pub async fn get(&self) -> &SdkConfig {
        self.cell.get_or_init(crate::config::load_for_sinks).await
    }
}

/// A service client made on first use from a [`SinkConfig`].
#[derive(Debug)]
pub(crate) struct LazyClient<C> {
    config: SinkConfig,
    client: OnceCell<C>,
}

impl<C: Clone> LazyClient<C> {
    pub(crate) fn new(config: SinkConfig) -> Self {
        Self {
            config,
            client: OnceCell::new(),
        }
    }

    /// The client, made with `make` the first time.
    pub(crate) async fn get(&self, make: impl FnOnce(&SdkConfig) -> C) -> C {
        let config = &self.config;
        self.client
            .get_or_init(|| async move { make(config.get().await) })
            .await
            .clone()
    }
}

/// Every SDK sink, by the action type it runs, sharing `config`.
pub fn all(config: &SinkConfig) -> Vec<(&'static str, Arc<dyn ActionSink>)> {
    let dynamodb: Arc<dyn ActionSink> = Arc::new(dynamodb::DynamoDbSink::new(config.clone()));
    vec![
        ("sqs", Arc::new(sqs::SqsSink::new(config.clone()))),
        ("sns", Arc::new(sns::SnsSink::new(config.clone()))),
        (
            "kinesis",
            Arc::new(kinesis::KinesisSink::new(config.clone())),
        ),
        (
            "firehose",
            Arc::new(firehose::FirehoseSink::new(config.clone())),
        ),
        ("s3", Arc::new(s3::S3Sink::new(config.clone()))),
        ("lambda", Arc::new(lambda::LambdaSink::new(config.clone()))),
        (
            "cloudwatchLogs",
            Arc::new(cloudwatch_logs::CloudwatchLogsSink::new(config.clone())),
        ),
        ("dynamoDB", dynamodb.clone()),
        ("dynamoDBv2", dynamodb),
    ]
}

/// The failure of an SDK call, described for the error action: what was attempted, then the
/// service's error code and message (`AWS.SimpleQueueService.NonExistentQueue: The specified
/// queue does not exist`), or the SDK's account of a failure to reach the service.
pub(crate) fn sdk_failure<E, R>(what: &str, error: SdkError<E, R>) -> ActionError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(&error).to_string(),
    };
    ActionError::caused_by(format!("{what}. The error received was {detail}"), error)
}

/// Runs `call` and turns an SDK error into the action's failure.
pub(crate) async fn call<T, E, R>(
    what: impl FnOnce() -> String,
    call: impl Future<Output = Result<T, SdkError<E, R>>>,
) -> Result<T, ActionError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    call.await.map_err(|error| sdk_failure(&what(), error))
}

/// The payload as text, for services whose messages are strings.
pub(crate) fn text(payload: &[u8], hint: &str) -> Result<String, ActionError> {
    String::from_utf8(payload.to_vec()).map_err(|_| {
        ActionError::invalid(
            "payload",
            format!("the rule's output is not UTF-8 text; {hint}"),
        )
    })
}
