//! The Jobs service in process: requests published on `$aws/things/+/jobs/#` reach
//! `thingcore_jobs::mqtt`, and its answers and the notifications they cause are published
//! through the hub, in order per thing ([`crate::thing_workers`]). The notifications of
//! control-plane calls (CreateJob, CancelJob, ...) go through the hub too ([`HubNotifier`]).
//! The Jobs scheduler runs as one background task ([`start_scheduler`]).

use crate::mqtt::HubHandle;
use crate::thing_workers::{self, service_message};
use std::sync::Arc;
use std::time::Duration;
use thingcore::broker::Message;
use thingcore_jobs::{mqtt, JobsService, Notification, NotificationSink};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Most ticks run back to back when a tick leaves due work behind.
const MAX_CATCH_UP_TICKS: usize = 10;

/// The topic filter of Jobs requests and answers.
pub const JOBS_TOPICS: &str = "$aws/things/+/jobs/#";

/// The thing a message is a Jobs request about (the one routing decision).
fn jobs_thing(message: &Message) -> Option<String> {
    let route = thingcore::route::service_route(&message.topic);
    route.jobs_request().map(|r| r.thing_name.clone())
}

/// Starts the workers; they stop when `requests` closes.
pub fn start(service: JobsService, hub: HubHandle, requests: mpsc::Receiver<Arc<Message>>) {
    thing_workers::start(requests, jobs_thing, move |message| {
        let service = service.clone();
        let hub = hub.clone();
        Box::pin(async move {
            if let Some(out) =
                mqtt::handle_request(&service, &message.topic, &message.payload).await
            {
                publish_all(&hub, out).await;
            }
        })
    });
}

/// Publishes `notifications` in order.
async fn publish_all(hub: &HubHandle, notifications: Vec<Notification>) {
    for notification in notifications {
        hub.publish(service_message(notification.topic, &notification.payload))
            .await;
    }
}

/// Publishes the control plane's notifications on the broker.
pub struct HubNotifier(pub HubHandle);

#[async_trait::async_trait]
impl NotificationSink for HubNotifier {
    async fn publish(&self, notifications: Vec<Notification>) {
        publish_all(&self.0, notifications).await;
    }
}

/// Runs the Jobs scheduler ([`JobsService::tick`]) every `every` until `stop` turns true: one
/// task, one tick at a time; a tick that leaves due work behind is followed at once by up to
/// [`MAX_CATCH_UP_TICKS`] more. Its notifications go through the service's sink (the hub).
pub fn start_scheduler(
    service: JobsService,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        return;
                    }
                    continue;
                }
            }
            for _ in 0..MAX_CATCH_UP_TICKS {
                match service.tick().await {
                    Ok(report) if report.more => {}
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "jobs scheduler tick failed");
                        break;
                    }
                }
            }
        }
    })
}
