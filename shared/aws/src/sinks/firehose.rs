//! The `firehose` action: the rule's output into the delivery stream `deliveryStreamName` (a
//! rendered template), followed by `separator` (`\n`, `\t`, `\r\n` or `,`) when one is set.
//! With `batchMode` the output must be a JSON array: each element (as JSON) is one record of a
//! PutRecordBatch, at most 500; records Firehose reports as failed fail the action.

use super::{call, LazyClient, SinkConfig};
use async_trait::async_trait;
use aws_sdk_firehose::primitives::Blob;
use aws_sdk_firehose::types::Record;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};

/// At most this many records in one batch (PutRecordBatch's limit).
pub const MAX_BATCH: usize = 500;

/// Puts rule output into Amazon Data Firehose.
#[derive(Debug)]
pub struct FirehoseSink {
    client: LazyClient<aws_sdk_firehose::Client>,
}

impl FirehoseSink {
    /// A sink whose client is made from `config` on first use.
    pub fn new(config: SinkConfig) -> Self {
        Self {
            client: LazyClient::new(config),
        }
    }
}

/// The records of `payload`: one, or with `batch_mode` one per element of its JSON array;
/// each followed by `separator`.
///
/// # Errors
/// [`ActionError::InvalidParameter`] when batch mode gets anything but a JSON array of 1 to
/// [`MAX_BATCH`] elements.
pub fn records(
    payload: &[u8],
    separator: Option<&str>,
    batch_mode: bool,
) -> Result<Vec<Vec<u8>>, ActionError> {
    let separated = |mut data: Vec<u8>| {
        data.extend_from_slice(separator.unwrap_or_default().as_bytes());
        data
    };
    if !batch_mode {
        return Ok(vec![separated(payload.to_vec())]);
    }
    let invalid = |reason: String| ActionError::invalid("batchMode", reason);
    let Ok(serde_json::Value::Array(elements)) = serde_json::from_slice(payload) else {
        return Err(invalid(
            "with batchMode the rule's output must be a JSON array".into(),
        ));
    };
    if elements.is_empty() || elements.len() > MAX_BATCH {
        return Err(invalid(format!(
            "a batch has 1 to {MAX_BATCH} records, not {}",
            elements.len()
        )));
    }
    Ok(elements
        .iter()
        .map(|element| separated(element.to_string().into_bytes()))
        .collect())
}

fn record(data: Vec<u8>) -> Result<Record, ActionError> {
    Record::builder()
        .data(Blob::new(data))
        .build()
        .map_err(|e| ActionError::caused_by("cannot build a Firehose record", e))
}

#[async_trait]
impl ActionSink for FirehoseSink {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let Action::Firehose(firehose) = &action.action else {
            return Err(ActionError::not_for(action));
        };
        let batch_mode = firehose.batch_mode.unwrap_or(false);
        let mut records = records(&action.payload, firehose.separator.as_deref(), batch_mode)?;
        let stream = &firehose.delivery_stream_name;
        let what = || format!("Failed to put record to Firehose stream {stream}");
        let client = self.client.get(aws_sdk_firehose::Client::new).await;
        if !batch_mode {
            let data = records.pop().unwrap_or_default();
            let request = client
                .put_record()
                .delivery_stream_name(stream)
                .record(record(data)?);
            call(what, request.send()).await?;
            return Ok(());
        }
        let mut request = client.put_record_batch().delivery_stream_name(stream);
        for data in records {
            request = request.records(record(data)?);
        }
        let out = call(what, request.send()).await?;
        if out.failed_put_count > 0 {
            return Err(ActionError::failed(format!(
                "{}: {} of the batch's records failed",
                what(),
                out.failed_put_count
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_separated_and_batches_split() {
        assert_eq!(
            records(b"{\"a\":1}", Some("\n"), false).ok(),
            Some(vec![b"{\"a\":1}\n".to_vec()])
        );
        assert_eq!(
            records(b"[{\"a\":1}, 2]", Some(","), true).ok(),
            Some(vec![b"{\"a\":1},".to_vec(), b"2,".to_vec()])
        );
        for bad in [&b"{\"a\":1}"[..], b"[]", b"not json"] {
            assert!(matches!(
                records(bad, None, true),
                Err(ActionError::InvalidParameter {
                    parameter: "batchMode",
                    ..
                })
            ));
        }
    }
}
