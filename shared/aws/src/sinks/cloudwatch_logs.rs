//! The `cloudwatchLogs` action: the rule's output as log events in `logGroupName` (a rendered
//! template). AWS does not document the log stream; thingcore writes to the stream
//! [`LOG_STREAM`], created on first use. The output is one event stamped now; with
//! `batchMode` it must be a JSON array whose elements are `{"timestamp": <epoch ms>,
//! "message": "<text>"}` objects (a missing timestamp is now; an element without a text
//! `message` is logged as its JSON).

use super::{call, LazyClient, SinkConfig};
use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Mutex;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};

/// The log stream the action writes to in every group.
pub const LOG_STREAM: &str = "thingcore-rules";

/// Writes rule output to Amazon CloudWatch Logs.
#[derive(Debug)]
pub struct CloudwatchLogsSink {
    client: LazyClient<aws_sdk_cloudwatchlogs::Client>,
    /// Groups whose [`LOG_STREAM`] is known to exist.
    streams: Mutex<HashSet<String>>,
}

impl CloudwatchLogsSink {
    /// A sink whose client is made from `config` on first use.
    pub fn new(config: SinkConfig) -> Self {
        Self {
            client: LazyClient::new(config),
            streams: Mutex::default(),
        }
    }
}

/// The `(timestamp, message)` events of `payload`, `now` in epoch milliseconds.
///
/// # Errors
/// [`ActionError::InvalidParameter`] for output that is not UTF-8, or, in batch mode, not a
/// non-empty JSON array.
pub fn events(
    payload: &[u8],
    batch_mode: bool,
    now: i64,
) -> Result<Vec<(i64, String)>, ActionError> {
    if !batch_mode {
        let text = super::text(payload, "CloudWatch Logs events are text")?;
        return Ok(vec![(now, text)]);
    }
    let invalid = |reason: &str| ActionError::invalid("batchMode", reason);
    let Ok(Value::Array(elements)) = serde_json::from_slice(payload) else {
        return Err(invalid(
            "with batchMode the rule's output must be a JSON array",
        ));
    };
    if elements.is_empty() {
        return Err(invalid("the batch is empty"));
    }
    Ok(elements
        .iter()
        .map(|element| {
            let timestamp = element
                .get("timestamp")
                .and_then(Value::as_i64)
                .unwrap_or(now);
            let message = match element.get("message") {
                Some(Value::String(text)) => text.clone(),
                _ => element.to_string(),
            };
            (timestamp, message)
        })
        .collect())
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl CloudwatchLogsSink {
    fn stream_known(&self, group: &str) -> bool {
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(group)
    }
}

#[async_trait]
impl ActionSink for CloudwatchLogsSink {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let Action::CloudwatchLogs(logs) = &action.action else {
            return Err(ActionError::not_for(action));
        };
        let mut events = events(
            &action.payload,
            logs.batch_mode.unwrap_or(false),
            now_millis(),
        )?;
        events.sort_by_key(|(timestamp, _)| *timestamp);
        let group = &logs.log_group_name;
        let what = || format!("Failed to put log events to CloudWatch Logs group {group}");
        let client = self.client.get(aws_sdk_cloudwatchlogs::Client::new).await;
        if !self.stream_known(group) {
            let created = client
                .create_log_stream()
                .log_group_name(group)
                .log_stream_name(LOG_STREAM)
                .send()
                .await;
            if let Err(error) = created {
                let exists = error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_already_exists_exception());
                if !exists {
                    return Err(super::sdk_failure(&what(), error));
                }
            }
            self.streams
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(group.clone());
        }
        let mut request = client
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(LOG_STREAM);
        for (timestamp, message) in events {
            let event = InputLogEvent::builder()
                .timestamp(timestamp)
                .message(message)
                .build()
                .map_err(|e| ActionError::caused_by("cannot build a log event", e))?;
            request = request.log_events(event);
        }
        call(what, request.send()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_or_a_batch() {
        assert_eq!(
            events(b"{\"a\":1}", false, 7).ok(),
            Some(vec![(7, "{\"a\":1}".to_owned())])
        );
        assert_eq!(
            events(br#"[{"timestamp": 5, "message": "m"}, {"x": 1}]"#, true, 7).ok(),
            Some(vec![(5, "m".to_owned()), (7, "{\"x\":1}".to_owned())])
        );
        assert!(events(b"{}", true, 7).is_err());
        assert!(events(b"[]", true, 7).is_err());
    }
}
