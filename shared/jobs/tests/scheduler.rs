//! The Jobs scheduler on a manual clock, over the in-memory Store and SQLite: rollout pacing to
//! a group of 1,000 things, in-progress and step timeouts with retries, abort thresholds,
//! scheduled starts and ends. Time moves only when a test moves it; each step is one
//! `tick()`, as `thingcore serve`'s background task would call it.

use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;
use thingcore::registry::RegistryConfig;
use thingcore::store::{Key, MemoryStore, Put, Store, Table};
use thingcore::ManualClock;
use thingcore_embedded::SqliteStore;
use thingcore_jobs::device::UpdateJobExecutionRequest;
use thingcore_jobs::executions::ExecutionsQuery;
use thingcore_jobs::{JobsService, ServiceError};
use thingcore_registry::RegistryService;

mod support;
use support::{de, ok, Captured};

/// 2023-11-14T22:13:20Z.
const START_MILLIS: u64 = 1_700_000_000_000;
const MINUTE: u64 = 60_000;

impl Captured {
    /// How many `notify-next` messages carried an execution, taking them.
    fn take_next(&self) -> usize {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = all
            .iter()
            .filter(|n| n.topic.ends_with("/notify-next") && n.payload.get("execution").is_some())
            .count();
        all.clear();
        count
    }
}

struct Fleet {
    jobs: JobsService,
    registry: RegistryService,
    clock: Arc<ManualClock>,
    sink: Arc<Captured>,
    _dir: Option<tempfile::TempDir>,
}

/// GIVEN `things` things t0000..., all in group `g`, on a memory or SQLite store.
async fn fleet(things: usize, sqlite: bool) -> Fleet {
    let clock = Arc::new(ManualClock::new(START_MILLIS));
    let (store, dir): (Arc<dyn Store>, _) = if sqlite {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = SqliteStore::open_with_clock(dir.path(), clock.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        (Arc::new(store), Some(dir))
    } else {
        (Arc::new(MemoryStore::new(clock.clone())), None)
    };
    let registry = RegistryService::new(store.clone(), clock.clone(), RegistryConfig::default());
    ok(registry
        .create_thing_group("g", de(json!({})))
        .await
        .map_err(Into::into));
    for i in 0..things {
        let thing = format!("t{i:04}");
        ok(registry
            .create_thing(&thing, de(json!({})))
            .await
            .map_err(Into::into));
        ok(registry
            .add_thing_to_thing_group(de(json!({"thingName": thing, "thingGroupName": "g"})))
            .await
            .map_err(Into::into));
    }
    let jobs = JobsService::new(store, clock.clone(), registry.clone());
    let sink = Arc::new(Captured::default());
    jobs.set_notification_sink(sink.clone());
    Fleet {
        jobs,
        registry,
        clock,
        sink,
        _dir: dir,
    }
}

impl Fleet {
    async fn create(&self, job_id: &str, extra: Value) {
        let mut request = json!({
            "targets": [self.jobs.config().thing_group_arn("g")],
            "document": r#"{"op":"update"}"#,
        });
        if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
            request.extend(extra.clone());
        }
        ok(self.jobs.create_job(job_id, de(request)).await);
    }

    async fn job(&self, job_id: &str) -> Value {
        ok(self.jobs.describe_job(job_id).await)["job"].clone()
    }

    async fn count(&self, job_id: &str, status: &str) -> u64 {
        let field = match status {
            "QUEUED" => "numberOfQueuedThings",
            "IN_PROGRESS" => "numberOfInProgressThings",
            "SUCCEEDED" => "numberOfSucceededThings",
            "FAILED" => "numberOfFailedThings",
            "TIMED_OUT" => "numberOfTimedOutThings",
            "CANCELED" => "numberOfCanceledThings",
            _ => panic!("{status}"),
        };
        self.job(job_id).await["jobProcessDetails"][field]
            .as_u64()
            .unwrap_or_default()
    }

    async fn execution(&self, job_id: &str, thing: &str) -> Value {
        ok(self.jobs.describe_job_execution(job_id, thing, None).await)["execution"].clone()
    }

    async fn tick_after(&self, millis: u64) -> thingcore_jobs::TickReport {
        self.clock.advance(millis);
        ok(self.jobs.tick().await)
    }

    /// A new thing joins group `g`, and the Jobs service hears of it (as registry-api and
    /// `thingcore serve` tell it after AddThingToThingGroup).
    async fn join(&self, thing: &str) {
        ok(self
            .registry
            .create_thing(thing, de(json!({})))
            .await
            .map_err(Into::into));
        ok(self
            .registry
            .add_thing_to_thing_group(de(json!({"thingName": thing, "thingGroupName": "g"})))
            .await
            .map_err(Into::into));
        ok(self.jobs.thing_added_to_group(thing, "g").await);
    }

    async fn device(&self, thing: &str, job_id: &str, status: &str) {
        let update: UpdateJobExecutionRequest = de(json!({ "status": status }));
        ok(self.jobs.update_execution(thing, job_id, update).await);
    }
}

async fn rollout_of_1000_at_100_per_minute(sqlite: bool) {
    let store = if sqlite { "SQLite" } else { "memory" };
    let fleet = fleet(1000, sqlite).await;
    let started = Instant::now();
    fleet
        .create(
            "fw",
            json!({"jobExecutionsRolloutConfig": {"maximumPerMinute": 100}}),
        )
        .await;
    let create_cost = started.elapsed();
    // THEN the first minute's 100 are queued and notified at once, the rest held unseen.
    assert_eq!(fleet.count("fw", "QUEUED").await, 100);
    assert_eq!(fleet.sink.take_next(), 100);
    let pending = ok(fleet.jobs.get_pending("t0999").await);
    assert_eq!(pending["queuedJobs"], json!([]));
    println!("rollout of 1000 things at maximumPerMinute 100 ({store} store):");
    println!("  minute 0 (CreateJob): 100 notified, 100 in all, {create_cost:?}");
    // Half a minute later nothing more is released.
    let report = fleet.tick_after(MINUTE / 2).await;
    assert_eq!(report.released, 0);
    fleet.clock.advance(MINUTE / 2);
    for minute in 1..=9u64 {
        let started = Instant::now();
        let report = ok(fleet.jobs.tick().await);
        let cost = started.elapsed();
        let total = fleet.count("fw", "QUEUED").await;
        let notified = fleet.sink.take_next();
        println!("  minute {minute}: {notified} notified, {total} in all, tick {cost:?}");
        assert_eq!((report.released, notified as u64), (100, 100));
        assert_eq!(total, 100 * (minute + 1));
        // A tick within the same minute releases nothing.
        assert_eq!(fleet.tick_after(MINUTE / 2).await.released, 0);
        fleet.clock.advance(MINUTE / 2);
    }
    let pending = ok(fleet.jobs.get_pending("t0999").await);
    assert_eq!(pending["queuedJobs"][0]["jobId"], json!("fw"));
    assert_eq!(fleet.tick_after(MINUTE).await.released, 0);
    assert_eq!(fleet.job("fw").await["status"], json!("IN_PROGRESS"));
}

#[tokio::test]
async fn a_rollout_to_1000_things_proceeds_at_100_per_minute_in_memory() {
    rollout_of_1000_at_100_per_minute(false).await;
}

#[tokio::test]
async fn a_rollout_to_1000_things_proceeds_at_100_per_minute_on_sqlite() {
    rollout_of_1000_at_100_per_minute(true).await;
}

#[tokio::test]
async fn an_exponential_rollout_speeds_up_as_things_are_notified() {
    let fleet = fleet(60, false).await;
    fleet
        .create(
            "exp",
            json!({"jobExecutionsRolloutConfig": {"maximumPerMinute": 40, "exponentialRate": {
                "baseRatePerMinute": 5, "incrementFactor": 2,
                "rateIncreaseCriteria": {"numberOfNotifiedThings": 5}}}}),
        )
        .await;
    let mut released = vec![fleet.count("exp", "QUEUED").await];
    for _ in 0..3 {
        released.push(fleet.tick_after(MINUTE).await.released);
    }
    // 5 at first; after 5 notified 10; after 15 (3 steps) 40, the cap.
    assert_eq!(released, [5, 10, 40, 5]);
}

async fn timeouts_and_retries(sqlite: bool) {
    let fleet = fleet(2, sqlite).await;
    fleet
        .create(
            "slow",
            json!({"timeoutConfig": {"inProgressTimeoutInMinutes": 10},
                   "jobExecutionsRetryConfig": {"criteriaList": [
                       {"failureType": "TIMED_OUT", "numberOfRetries": 1}]}}),
        )
        .await;
    // t0000 starts and never finishes: its in-progress timer runs out after 10 minutes.
    ok(fleet.jobs.start_next("t0000", None, None).await);
    assert_eq!(fleet.tick_after(9 * MINUTE).await.timed_out, 0);
    let report = fleet.tick_after(MINUTE).await;
    assert_eq!(report.timed_out, 1);
    // The retry config re-queues it as attempt 1, same execution number.
    let execution = fleet.execution("slow", "t0000").await;
    assert_eq!(execution["status"], json!("QUEUED"));
    assert_eq!(execution["executionNumber"], json!(1));
    let listed = ok(fleet
        .jobs
        .list_job_executions_for_thing(
            "t0000",
            ExecutionsQuery {
                max_results: 10,
                ..Default::default()
            },
        )
        .await);
    assert_eq!(
        listed["executionSummaries"][0]["jobExecutionSummary"]["retryAttempt"],
        json!(1)
    );
    // t0001 starts with a 2-minute step timer, renews it for 5 minutes a minute later.
    ok(fleet.jobs.start_next("t0001", None, Some(2)).await);
    fleet.clock.advance(MINUTE);
    let renew: UpdateJobExecutionRequest =
        de(json!({"status": "IN_PROGRESS", "stepTimeoutInMinutes": 5}));
    ok(fleet.jobs.update_execution("t0001", "slow", renew).await);
    assert_eq!(fleet.tick_after(2 * MINUTE).await.timed_out, 0);
    // The second attempt of t0000 times out too, and is not retried again.
    ok(fleet.jobs.start_next("t0000", None, None).await);
    let report = fleet.tick_after(3 * MINUTE).await;
    assert_eq!(report.timed_out, 1, "t0001's step timer ran out");
    assert_eq!(
        fleet.execution("slow", "t0001").await["status"],
        json!("QUEUED")
    );
    ok(fleet.jobs.start_next("t0001", None, None).await);
    fleet.device("t0001", "slow", "SUCCEEDED").await;
    assert_eq!(fleet.tick_after(10 * MINUTE).await.timed_out, 1);
    assert_eq!(
        fleet.execution("slow", "t0000").await["status"],
        json!("TIMED_OUT")
    );
    // Every execution is terminal: the job is COMPLETED.
    assert_eq!(fleet.job("slow").await["status"], json!("COMPLETED"));
    assert_eq!(fleet.tick_after(60 * MINUTE).await, Default::default());
}

#[tokio::test]
async fn in_progress_and_step_timeouts_time_out_and_retry_in_memory() {
    timeouts_and_retries(false).await;
}

#[tokio::test]
async fn in_progress_and_step_timeouts_time_out_and_retry_on_sqlite() {
    timeouts_and_retries(true).await;
}

#[tokio::test]
async fn a_failed_execution_is_retried_when_the_job_says_so() {
    let fleet = fleet(1, false).await;
    fleet
        .create(
            "flaky",
            json!({"jobExecutionsRetryConfig": {"criteriaList": [
                {"failureType": "ALL", "numberOfRetries": 2}]}}),
        )
        .await;
    for attempt in 1..=2 {
        ok(fleet.jobs.start_next("t0000", None, None).await);
        fleet.device("t0000", "flaky", "FAILED").await;
        let execution = fleet.execution("flaky", "t0000").await;
        assert_eq!(execution["status"], json!("QUEUED"), "attempt {attempt}");
    }
    ok(fleet.jobs.start_next("t0000", None, None).await);
    fleet.device("t0000", "flaky", "FAILED").await;
    assert_eq!(
        fleet.execution("flaky", "t0000").await["status"],
        json!("FAILED")
    );
    assert_eq!(fleet.job("flaky").await["status"], json!("COMPLETED"));
}

async fn abort_after_threshold(sqlite: bool) {
    let fleet = fleet(10, sqlite).await;
    fleet
        .create(
            "risky",
            json!({"abortConfig": {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
                "thresholdPercentage": 30, "minNumberOfExecutedThings": 5}]}}),
        )
        .await;
    for thing in ["t0000", "t0001"] {
        ok(fleet.jobs.start_next(thing, None, None).await);
        fleet.device(thing, "risky", "FAILED").await;
    }
    // 2 of 10 failed (20%): below the threshold.
    fleet.tick_after(MINUTE).await;
    assert_eq!(fleet.job("risky").await["status"], json!("IN_PROGRESS"));
    ok(fleet.jobs.start_next("t0002", None, None).await);
    fleet.device("t0002", "risky", "FAILED").await;
    ok(fleet.jobs.start_next("t0003", None, None).await);
    // 3 of 10 (30%): the next tick cancels the job and its queued executions.
    let report = fleet.tick_after(1000).await;
    assert_eq!(report.jobs, 1);
    let job = fleet.job("risky").await;
    assert_eq!(job["status"], json!("CANCELED"));
    assert_eq!(job["reasonCode"], json!("ABORT_CRITERIA_MET"));
    assert_eq!(fleet.count("risky", "CANCELED").await, 6);
    assert_eq!(fleet.count("risky", "IN_PROGRESS").await, 1);
}

#[tokio::test]
async fn an_abort_config_cancels_the_job_after_the_failure_threshold_in_memory() {
    abort_after_threshold(false).await;
}

#[tokio::test]
async fn an_abort_config_cancels_the_job_after_the_failure_threshold_on_sqlite() {
    abort_after_threshold(true).await;
}

#[tokio::test]
async fn a_scheduled_job_starts_at_its_start_time_and_cancels_at_its_end() {
    let fleet = fleet(3, false).await;
    // Now is 22:13:20; the job runs from 23:00 to midnight.
    fleet
        .create(
            "night",
            json!({"schedulingConfig": {"startTime": "2023-11-14T23:00",
                "endTime": "2023-11-15T00:00", "endBehavior": "CANCEL"}}),
        )
        .await;
    assert_eq!(fleet.job("night").await["status"], json!("SCHEDULED"));
    assert_eq!(fleet.count("night", "QUEUED").await, 0);
    assert_eq!(fleet.tick_after(40 * MINUTE).await.released, 0);
    let report = fleet.tick_after(7 * MINUTE).await;
    assert_eq!(report.released, 3);
    assert_eq!(fleet.job("night").await["status"], json!("IN_PROGRESS"));
    assert_eq!(fleet.sink.take_next(), 3);
    ok(fleet.jobs.start_next("t0000", None, None).await);
    fleet.device("t0000", "night", "SUCCEEDED").await;
    fleet.tick_after(60 * MINUTE).await;
    let job = fleet.job("night").await;
    assert_eq!(job["status"], json!("CANCELED"));
    assert_eq!(fleet.count("night", "CANCELED").await, 2);
    assert_eq!(fleet.count("night", "SUCCEEDED").await, 1);
}

#[tokio::test]
async fn a_stopped_rollout_never_notifies_the_rest() {
    let fleet = fleet(30, false).await;
    fleet
        .create(
            "short",
            json!({"jobExecutionsRolloutConfig": {"maximumPerMinute": 10},
                   "schedulingConfig": {"endTime": "2023-11-14T23:00", "endBehavior": "STOP_ROLLOUT"}}),
        )
        .await;
    assert_eq!(fleet.count("short", "QUEUED").await, 10);
    // At 23:00 (47 minutes on) the rollout stops: 10 were released, the rest never will be.
    fleet.tick_after(47 * MINUTE).await;
    let released = fleet.count("short", "QUEUED").await;
    fleet.tick_after(10 * MINUTE).await;
    assert_eq!(fleet.count("short", "QUEUED").await, released);
    assert_eq!(fleet.job("short").await["status"], json!("IN_PROGRESS"));
}

#[tokio::test]
async fn bad_configurations_are_refused() {
    let fleet = fleet(1, false).await;
    let request = json!({
        "targets": [fleet.jobs.config().thing_arn("t0000")],
        "document": "{}",
        "jobExecutionsRolloutConfig": {"maximumPerMinute": 0},
    });
    let refused = fleet.jobs.create_job("bad", de(request)).await;
    assert!(matches!(refused, Err(ServiceError::Rejected(_))));
    assert!(fleet.jobs.describe_job("bad").await.is_err());
}

#[tokio::test]
async fn a_corrupt_job_does_not_stop_the_others() {
    let clock = Arc::new(ManualClock::new(START_MILLIS));
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let fleet = {
        let registry =
            RegistryService::new(store.clone(), clock.clone(), RegistryConfig::default());
        ok(registry
            .create_thing_group("g", de(json!({})))
            .await
            .map_err(Into::into));
        for thing in ["t0000", "t0001"] {
            ok(registry
                .create_thing(thing, de(json!({})))
                .await
                .map_err(Into::into));
            ok(registry
                .add_thing_to_thing_group(de(json!({"thingName": thing, "thingGroupName": "g"})))
                .await
                .map_err(Into::into));
        }
        Fleet {
            jobs: JobsService::new(store.clone(), clock.clone(), registry.clone()),
            registry,
            clock: clock.clone(),
            sink: Arc::new(Captured::default()),
            _dir: None,
        }
    };
    fleet
        .create(
            "paced",
            json!({"jobExecutionsRolloutConfig": {"maximumPerMinute": 1}}),
        )
        .await;
    // GIVEN a job record that no longer decodes, due before the good one
    let due = START_MILLIS / 1000 + 30;
    for (key, body) in [
        (Key::new("jobs", "broken"), b"not json".to_vec()),
        (
            Key::new("jobs-due", format!("{due:020}#broken")),
            br#"{"jobId":"broken"}"#.to_vec(),
        ),
    ] {
        store
            .put(Put::new(Table::Registry, key, body))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // WHEN the scheduler ticks a minute on THEN the good job still gets its next release.
    let report = fleet.tick_after(MINUTE).await;
    assert_eq!((report.failed, report.jobs, report.released), (1, 1, 1));
}

#[tokio::test]
async fn things_that_join_a_paced_continuous_job_wait_their_turn() {
    let fleet = fleet(3, false).await;
    fleet
        .create(
            "cont",
            json!({"targetSelection": "CONTINUOUS",
                   "jobExecutionsRolloutConfig": {"maximumPerMinute": 2}}),
        )
        .await;
    assert_eq!(fleet.count("cont", "QUEUED").await, 2);
    // Three more things join within the same minute: the minute's two are taken, so they wait
    // with the third original target.
    for thing in ["t0003", "t0004", "t0005"] {
        fleet.join(thing).await;
    }
    assert_eq!(fleet.count("cont", "QUEUED").await, 2);
    // Joining twice holds a thing once.
    ok(fleet.jobs.thing_added_to_group("t0005", "g").await);
    assert_eq!(fleet.tick_after(MINUTE).await.released, 2);
    assert_eq!(fleet.tick_after(MINUTE).await.released, 2);
    assert_eq!(fleet.tick_after(MINUTE).await.released, 0);
    assert_eq!(fleet.count("cont", "QUEUED").await, 6);
    assert_eq!(
        fleet.execution("cont", "t0005").await["status"],
        json!("QUEUED")
    );
}

#[tokio::test]
async fn a_thing_that_joins_before_a_scheduled_continuous_job_starts_gets_it_at_the_start() {
    let fleet = fleet(1, false).await;
    fleet
        .create(
            "later",
            json!({"targetSelection": "CONTINUOUS",
                   "schedulingConfig": {"startTime": "2023-11-14T23:00"}}),
        )
        .await;
    assert_eq!(fleet.job("later").await["status"], json!("SCHEDULED"));
    fleet.join("t0001").await;
    assert_eq!(fleet.count("later", "QUEUED").await, 0);
    // 23:00 is 47 minutes on: both the original target and the newcomer are released.
    assert_eq!(fleet.tick_after(47 * MINUTE).await.released, 2);
    assert_eq!(
        fleet.execution("later", "t0001").await["status"],
        json!("QUEUED")
    );
}
