//! Job events over the in-memory Store: none until UpdateEventConfigurations enables `JOB` and
//! `JOB_EXECUTION`; then each change publishes its `$aws/events/job/...` and
//! `$aws/events/jobExecution/...` messages after the usual notifications, whoever made it (a
//! device, a control-plane call, the scheduler).

use serde_json::{json, Value};
use std::sync::Arc;
use thingcore::registry::RegistryConfig;
use thingcore::store::MemoryStore;
use thingcore::ManualClock;
use thingcore_jobs::device::UpdateJobExecutionRequest;
use thingcore_jobs::{JobsService, Notification};
use thingcore_registry::RegistryService;

mod support;
use support::{de, ok, Captured};

impl Captured {
    /// The event topics published since the last call, in order, taking everything.
    fn take_events(&self) -> Vec<Notification> {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let events = events_of(&all);
        all.clear();
        events
    }
}

fn events_of(notifications: &[Notification]) -> Vec<Notification> {
    notifications
        .iter()
        .filter(|n| n.topic.starts_with("$aws/events/"))
        .cloned()
        .collect()
}

fn topics(notifications: &[Notification]) -> Vec<&str> {
    notifications.iter().map(|n| n.topic.as_str()).collect()
}

struct Fleet {
    jobs: JobsService,
    registry: RegistryService,
    sink: Arc<Captured>,
    clock: Arc<ManualClock>,
}

/// GIVEN things t1 and t2, and a host that keeps the notifications.
async fn fleet() -> Fleet {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let registry = RegistryService::new(store.clone(), clock.clone(), RegistryConfig::default());
    for thing in ["t1", "t2"] {
        ok(registry
            .create_thing(thing, de(json!({})))
            .await
            .map_err(Into::into));
    }
    let jobs = JobsService::new(store, clock.clone(), registry.clone());
    let sink = Arc::new(Captured::default());
    jobs.set_notification_sink(sink.clone());
    Fleet {
        jobs,
        registry,
        sink,
        clock,
    }
}

impl Fleet {
    async fn enable(&self, types: &[&str], enabled: bool) {
        let configurations: serde_json::Map<String, Value> = types
            .iter()
            .map(|t| (t.to_string(), json!({ "Enabled": enabled })))
            .collect();
        ok(self
            .registry
            .update_event_configurations(de(json!({ "eventConfigurations": configurations })))
            .await
            .map_err(Into::into));
    }

    async fn create(&self, job_id: &str, things: &[&str]) {
        let config = self.jobs.config().clone();
        let targets: Vec<String> = things.iter().map(|t| config.thing_arn(t)).collect();
        ok(self
            .jobs
            .create_job(
                job_id,
                de(json!({"targets": targets, "document": "{}", "description": "fw"})),
            )
            .await);
    }

    /// The device runs its next execution to `status`; what the service returned with the
    /// final update.
    async fn run(&self, thing: &str, job_id: &str, status: &str) -> Vec<Notification> {
        let started = ok(self.jobs.start_next(thing, None, None).await);
        assert!(
            events_of(&started.notifications).is_empty(),
            "starting makes no event"
        );
        let update: UpdateJobExecutionRequest =
            de(json!({"status": status, "statusDetails": {"step": "done"}}));
        ok(self.jobs.update_execution(thing, job_id, update).await).notifications
    }
}

#[tokio::test]
async fn no_event_is_published_until_enabled() {
    let fleet = fleet().await;
    fleet.create("quiet", &["t1"]).await;
    let done = fleet.run("t1", "quiet", "SUCCEEDED").await;
    assert!(events_of(&done).is_empty(), "{:?}", topics(&done));
    assert!(
        done.iter().any(|n| n.topic == "$aws/things/t1/jobs/notify"),
        "the usual notifications are unchanged"
    );
    ok(fleet.jobs.delete_job("quiet", false).await);
    assert!(fleet.sink.take_events().is_empty());

    // Enabling one kind publishes only that kind.
    fleet.enable(&["JOB_EXECUTION"], true).await;
    fleet.create("half", &["t1"]).await;
    let done = fleet.run("t1", "half", "FAILED").await;
    assert_eq!(
        topics(&events_of(&done)),
        ["$aws/events/jobExecution/half/failed"]
    );
}

#[tokio::test]
async fn a_device_finishing_the_last_execution_publishes_succeeded_then_completed() {
    let fleet = fleet().await;
    fleet.enable(&["JOB", "JOB_EXECUTION"], true).await;
    fleet.create("fw-1", &["t1", "t2"]).await;
    assert!(
        fleet.sink.take_events().is_empty(),
        "creating makes no event"
    );

    let first = fleet.run("t1", "fw-1", "SUCCEEDED").await;
    assert_eq!(
        topics(&events_of(&first)),
        ["$aws/events/jobExecution/fw-1/succeeded"]
    );
    let last = fleet.run("t2", "fw-1", "SUCCEEDED").await;
    let events = events_of(&last);
    assert_eq!(
        topics(&events),
        [
            "$aws/events/jobExecution/fw-1/succeeded",
            "$aws/events/job/fw-1/completed"
        ]
    );
    // The events come after the usual notifications.
    assert!(last
        .last()
        .is_some_and(|n| n.topic == "$aws/events/job/fw-1/completed"));

    let execution = &events[0].payload;
    assert_eq!(execution["eventType"], json!("JOB_EXECUTION"));
    assert_eq!(execution["operation"], json!("succeeded"));
    assert_eq!(execution["jobId"], json!("fw-1"));
    assert_eq!(
        execution["thingArn"],
        json!(fleet.jobs.config().thing_arn("t2"))
    );
    assert_eq!(execution["status"], json!("SUCCEEDED"));
    assert_eq!(execution["statusDetails"], json!({"step": "done"}));
    assert!(execution["eventId"]
        .as_str()
        .is_some_and(|id| id.len() == 36));
    assert_eq!(execution["timestamp"], json!(1_700_000_000));

    let job = &events[1].payload;
    assert_eq!(job["eventType"], json!("JOB"));
    assert_eq!(job["status"], json!("COMPLETED"));
    assert_eq!(job["description"], json!("fw"));
    assert_eq!(job["targetSelection"], json!("SNAPSHOT"));
    assert_eq!(job["completedAt"], json!(1_700_000_000_000u64));
    assert_eq!(
        job["jobProcessDetails"]["numberOfSucceededThings"],
        json!(2)
    );
    assert_ne!(execution["eventId"], job["eventId"]);
}

#[tokio::test]
async fn cancel_publishes_in_progress_each_execution_then_canceled() {
    let fleet = fleet().await;
    fleet.enable(&["JOB", "JOB_EXECUTION"], true).await;
    fleet.create("fw-2", &["t1", "t2"]).await;
    fleet.sink.take_events();
    ok(fleet
        .jobs
        .cancel_job("fw-2", false, de(json!({"comment": "bad build"})))
        .await);
    let events = fleet.sink.take_events();
    assert_eq!(
        topics(&events),
        [
            "$aws/events/job/fw-2/cancellation_in_progress",
            "$aws/events/jobExecution/fw-2/canceled",
            "$aws/events/jobExecution/fw-2/canceled",
            "$aws/events/job/fw-2/canceled",
        ]
    );
    let canceled = &events[3].payload;
    assert_eq!(canceled["status"], json!("CANCELED"));
    assert_eq!(canceled["forceCanceled"], json!(false));
    assert_eq!(canceled["comment"], json!("bad build"));
    assert_eq!(
        canceled["jobProcessDetails"]["numberOfCanceledThings"],
        json!(2)
    );
    assert_eq!(
        events[0].payload["status"],
        json!("CANCELLATION_IN_PROGRESS")
    );
}

#[tokio::test]
async fn deletes_publish_deleted_with_the_status_before() {
    let fleet = fleet().await;
    fleet.enable(&["JOB", "JOB_EXECUTION"], true).await;
    fleet.create("fw-3", &["t1", "t2"]).await;
    ok(fleet.jobs.start_next("t1", None, None).await);
    ok(fleet
        .jobs
        .delete_job_execution("fw-3", "t2", "1", true)
        .await);
    let events = fleet.sink.take_events();
    assert_eq!(topics(&events), ["$aws/events/jobExecution/fw-3/deleted"]);
    assert_eq!(events[0].payload["status"], json!("QUEUED"));

    ok(fleet.jobs.delete_job("fw-3", true).await);
    let events = fleet.sink.take_events();
    assert_eq!(
        topics(&events),
        [
            "$aws/events/job/fw-3/deletion_in_progress",
            "$aws/events/jobExecution/fw-3/deleted",
            "$aws/events/job/fw-3/deleted",
        ]
    );
    assert_eq!(events[1].payload["status"], json!("IN_PROGRESS"));
    assert_eq!(events[2].payload["status"], json!("DELETED"));

    // Turned off again, nothing more.
    fleet.enable(&["JOB", "JOB_EXECUTION"], false).await;
    fleet.create("fw-4", &["t1"]).await;
    ok(fleet.jobs.cancel_job("fw-4", false, de(json!({}))).await);
    assert!(fleet.sink.take_events().is_empty());
}

#[tokio::test]
async fn the_scheduler_timing_out_the_last_execution_publishes_timed_out_then_completed() {
    let fleet = fleet().await;
    fleet.enable(&["JOB", "JOB_EXECUTION"], true).await;
    let config = fleet.jobs.config().clone();
    ok(fleet
        .jobs
        .create_job(
            "slow",
            de(json!({
                "targets": [config.thing_arn("t1")],
                "document": "{}",
                "timeoutConfig": {"inProgressTimeoutInMinutes": 1},
            })),
        )
        .await);
    ok(fleet.jobs.start_next("t1", None, None).await);
    fleet.sink.take_events();
    fleet.clock.advance(61_000);
    let report = ok(fleet.jobs.tick().await);
    assert_eq!(report.timed_out, 1);
    let events = fleet.sink.take_events();
    assert_eq!(
        topics(&events),
        [
            "$aws/events/jobExecution/slow/timed_out",
            "$aws/events/job/slow/completed"
        ]
    );
    assert_eq!(events[0].payload["status"], json!("TIMED_OUT"));
    assert_eq!(
        events[1].payload["jobProcessDetails"]["numberOfTimedOutThings"],
        json!(1)
    );
}
