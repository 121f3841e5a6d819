//! What the Jobs service's integration suites share: JSON into typed requests, results that
//! must be `Ok`, and a notification sink that keeps what the service publishes.

use serde_json::Value;
use std::sync::Mutex;
use thingcore_jobs::{Notification, NotificationSink, ServiceError};

/// `value` as the typed request `T`.
pub fn de<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

/// The `Ok` value; a panic naming the Jobs error otherwise.
pub fn ok<T>(result: Result<T, ServiceError>) -> T {
    result.unwrap_or_else(|e| panic!("{:?}", e.into_jobs_error()))
}

/// Keeps what the service publishes, in order.
#[derive(Default)]
pub struct Captured(pub Mutex<Vec<Notification>>);

#[async_trait::async_trait]
impl NotificationSink for Captured {
    async fn publish(&self, notifications: Vec<Notification>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(notifications);
    }
}
