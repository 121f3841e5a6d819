//! The `kinesis` action: PutRecord of the rule's output into `streamName` with `partitionKey`
//! (both rendered templates). Without a partition key a random one (a UUID) is used, so
//! records spread over the shards.

use super::{call, LazyClient, SinkConfig};
use async_trait::async_trait;
use aws_sdk_kinesis::primitives::Blob;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};

/// Puts rule output into Amazon Kinesis Data Streams.
#[derive(Debug)]
pub struct KinesisSink {
    client: LazyClient<aws_sdk_kinesis::Client>,
}

impl KinesisSink {
    /// A sink whose client is made from `config` on first use.
    pub fn new(config: SinkConfig) -> Self {
        Self {
            client: LazyClient::new(config),
        }
    }
}

#[async_trait]
impl ActionSink for KinesisSink {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let Action::Kinesis(kinesis) = &action.action else {
            return Err(ActionError::not_for(action));
        };
        let partition_key = match kinesis.partition_key.as_deref() {
            Some(key) if !key.is_empty() => key.to_owned(),
            _ => uuid::Uuid::new_v4().to_string(),
        };
        let client = self.client.get(aws_sdk_kinesis::Client::new).await;
        call(
            || {
                format!(
                    "Failed to put record to Kinesis stream {}",
                    kinesis.stream_name
                )
            },
            client
                .put_record()
                .stream_name(&kinesis.stream_name)
                .partition_key(partition_key)
                .data(Blob::new(action.payload.to_vec()))
                .send(),
        )
        .await?;
        Ok(())
    }
}
