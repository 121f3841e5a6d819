//! A stand-in for the API Gateway Management API, for tests and local runs: it records every
//! `PostToConnection` and `DeleteConnection`, and answers 410 Gone for connections marked gone
//! or closed.

use std::collections::HashSet;
use std::sync::Mutex;
use thingcore::gateway::{ConnectionPublisher, PostError};

/// Records posts; connections marked with [`RecordingPublisher::mark_gone`] answer Gone.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    posts: Mutex<Vec<(String, String)>>,
    gone: Mutex<HashSet<String>>,
    closed: Mutex<Vec<String>>,
}

impl RecordingPublisher {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on, posts to `connection_id` fail with 410 Gone.
    pub fn mark_gone(&self, connection_id: &str) {
        if let Ok(mut gone) = self.gone.lock() {
            gone.insert(connection_id.to_string());
        }
    }

    /// Every successful post so far, as `(connection id, frame)`, and forgets them.
    pub fn take(&self) -> Vec<(String, String)> {
        self.posts
            .lock()
            .map(|mut posts| std::mem::take(&mut *posts))
            .unwrap_or_default()
    }

    /// The frames posted to `connection_id` so far, parsed as JSON, and forgets them (posts
    /// to other connections stay).
    pub fn take_for(&self, connection_id: &str) -> Vec<serde_json::Value> {
        let Ok(mut posts) = self.posts.lock() else {
            return Vec::new();
        };
        let (mine, others): (Vec<_>, Vec<_>) =
            posts.drain(..).partition(|(to, _)| to == connection_id);
        *posts = others;
        mine.iter()
            .filter_map(|(_, frame)| serde_json::from_str(frame).ok())
            .collect()
    }

    /// The connections closed so far (`DeleteConnection`), in order.
    pub fn closed(&self) -> Vec<String> {
        self.closed.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The frames posted to `connection_id` so far, parsed as JSON (kept for [`Self::take`]).
    pub fn frames_to(&self, connection_id: &str) -> Vec<serde_json::Value> {
        self.posts
            .lock()
            .map(|posts| {
                posts
                    .iter()
                    .filter(|(to, _)| to == connection_id)
                    .filter_map(|(_, frame)| serde_json::from_str(frame).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl ConnectionPublisher for RecordingPublisher {
    async fn post(&self, connection_id: &str, frame: &str) -> Result<(), PostError> {
        let gone = self
            .gone
            .lock()
            .map(|gone| gone.contains(connection_id))
            .unwrap_or(false);
        if gone {
            return Err(PostError::Gone(connection_id.to_string()));
        }
        if let Ok(mut posts) = self.posts.lock() {
            posts.push((connection_id.to_string(), frame.to_string()));
        }
        Ok(())
    }

    async fn close(&self, connection_id: &str) -> Result<(), PostError> {
        if let Ok(mut closed) = self.closed.lock() {
            closed.push(connection_id.to_string());
        }
        self.mark_gone(connection_id);
        Ok(())
    }
}
