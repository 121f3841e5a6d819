//! JobsService over the in-memory Store: the control plane and the device side together, as a
//! fleet would use them.

use serde_json::{json, Value};
use std::sync::Arc;
use thingcore::jobs::JobsError;
use thingcore::registry::RegistryConfig;
use thingcore::store::MemoryStore;
use thingcore::ManualClock;
use thingcore_jobs::device::UpdateJobExecutionRequest;
use thingcore_jobs::executions::{CancelJobExecutionRequest, ExecutionsQuery};
use thingcore_jobs::jobs::{CreateJobRequest, ListJobsQuery};
use thingcore_jobs::{JobsService, ServiceError};
use thingcore_registry::RegistryService;

fn de<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

fn ok<T>(result: Result<T, ServiceError>) -> T {
    result.unwrap_or_else(|e| panic!("{:?}", e.into_jobs_error()))
}

fn refusal<T: std::fmt::Debug>(result: Result<T, ServiceError>) -> JobsError {
    match result {
        Ok(value) => panic!("expected a refusal, got {value:?}"),
        Err(e) => e.into_jobs_error(),
    }
}

/// GIVEN things t1, t2, t3; group g with t2 and child group g2 with t3.
async fn fleet() -> (JobsService, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let registry = RegistryService::new(store.clone(), clock.clone(), RegistryConfig::default());
    for thing in ["t1", "t2", "t3"] {
        ok(registry
            .create_thing(thing, de(json!({})))
            .await
            .map_err(Into::into));
    }
    ok(registry
        .create_thing_group("g", de(json!({})))
        .await
        .map_err(Into::into));
    ok(registry
        .create_thing_group("g2", de(json!({"parentGroupName": "g"})))
        .await
        .map_err(Into::into));
    for (thing, group) in [("t2", "g"), ("t3", "g2")] {
        ok(registry
            .add_thing_to_thing_group(de(json!({"thingName": thing, "thingGroupName": group})))
            .await
            .map_err(Into::into));
    }
    (JobsService::new(store, clock.clone(), registry), clock)
}

fn create(jobs: &JobsService, targets: &[String], document: &str) -> CreateJobRequest {
    let _ = jobs;
    de(json!({ "targets": targets, "document": document }))
}

#[tokio::test]
async fn a_job_runs_on_its_things_and_completes() {
    let (jobs, clock) = fleet().await;
    let config = jobs.config().clone();
    let targets = vec![config.thing_arn("t1"), config.thing_group_arn("g")];
    let out = ok(jobs
        .create_job("fw-1", create(&jobs, &targets, r#"{"op":"update"}"#))
        .await);
    assert_eq!(out["jobId"], json!("fw-1"));
    // The group was expanded recursively: t2 (in g) and t3 (in g2, a child of g).
    let listed = ok(jobs
        .list_job_executions_for_job(
            "fw-1",
            ExecutionsQuery {
                max_results: 10,
                ..Default::default()
            },
        )
        .await);
    let arns: Vec<&str> = listed["executionSummaries"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["thingArn"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(arns.len(), 3);
    let described = ok(jobs.describe_job("fw-1").await);
    assert_eq!(
        described["job"]["jobProcessDetails"]["numberOfQueuedThings"],
        json!(3)
    );

    // WHEN each device starts and finishes its execution
    for thing in ["t1", "t2", "t3"] {
        clock.advance(1000);
        let started = ok(jobs.start_next(thing, None, Some(10)).await);
        assert_eq!(started.result["execution"]["status"], json!("IN_PROGRESS"));
        assert_eq!(
            started.result["execution"]["jobDocument"],
            json!({"op": "update"})
        );
        let update: UpdateJobExecutionRequest = de(json!({
            "status": "SUCCEEDED", "expectedVersion": 2, "includeJobExecutionState": true
        }));
        let done = ok(jobs.update_execution(thing, "fw-1", update).await);
        assert_eq!(done.result["executionState"]["versionNumber"], json!(3));
        assert!(done.notifications.iter().any(|n| n.topic
            == format!("$aws/things/{thing}/jobs/notify-next")
            && n.payload.get("execution").is_none()));
    }
    // THEN the SNAPSHOT job is COMPLETED
    let described = ok(jobs.describe_job("fw-1").await);
    assert_eq!(described["job"]["status"], json!("COMPLETED"));
    assert_eq!(
        described["job"]["jobProcessDetails"]["numberOfSucceededThings"],
        json!(3)
    );
    // and a terminal execution refuses further updates
    let again: UpdateJobExecutionRequest = de(json!({"status": "FAILED"}));
    let refused = refusal(jobs.update_execution("t1", "fw-1", again).await);
    assert_eq!(refused.device_code(), "TerminalStateReached");
}

#[tokio::test]
async fn bad_creates_change_nothing() {
    let (jobs, _) = fleet().await;
    let config = jobs.config().clone();
    let t1 = vec![config.thing_arn("t1")];
    ok(jobs.create_job("j", create(&jobs, &t1, "{}")).await);
    let cases = [
        (
            "j",
            create(&jobs, &t1, "{}"),
            "ResourceAlreadyExistsException",
        ),
        ("k", create(&jobs, &t1, "{nope"), "InvalidRequestException"),
        (
            "bad id",
            create(&jobs, &t1, "{}"),
            "InvalidRequestException",
        ),
        (
            "k",
            create(&jobs, &[config.thing_arn("ghost")], "{}"),
            "ResourceNotFoundException",
        ),
    ];
    for (id, request, kind) in cases {
        assert_eq!(
            refusal(jobs.create_job(id, request).await).aws_error_type(),
            kind,
            "{id}"
        );
    }
    let big = format!(r#"{{"p":"{}"}}"#, "x".repeat(40_000));
    let error = refusal(jobs.create_job("k", create(&jobs, &t1, &big)).await);
    assert_eq!(error.aws_error_type(), "InvalidRequestException");
    let listed = ok(jobs
        .list_jobs(ListJobsQuery {
            max_results: 10,
            ..Default::default()
        })
        .await);
    assert_eq!(listed["jobs"].as_array().map(Vec::len), Some(1));
    let pending = ok(jobs.get_pending("t1").await);
    assert_eq!(pending["queuedJobs"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn cancels_respect_in_progress_executions() {
    let (jobs, _) = fleet().await;
    let config = jobs.config().clone();
    let targets = vec![config.thing_arn("t1"), config.thing_arn("t2")];
    ok(jobs.create_job("c", create(&jobs, &targets, "{}")).await);
    ok(jobs.start_next("t1", None, None).await);
    let refused = refusal(
        jobs.cancel_job_execution("c", "t1", false, CancelJobExecutionRequest::default())
            .await,
    );
    assert_eq!(refused.aws_error_type(), "InvalidStateTransitionException");
    let wrong = CancelJobExecutionRequest {
        expected_version: Some(9),
        status_details: None,
    };
    assert_eq!(
        refusal(jobs.cancel_job_execution("c", "t2", false, wrong).await).aws_error_type(),
        "VersionConflictException"
    );
    ok(jobs.cancel_job("c", false, Default::default()).await);
    let t1 = ok(jobs.describe_job_execution("c", "t1", None).await);
    let t2 = ok(jobs.describe_job_execution("c", "t2", None).await);
    assert_eq!(t1["execution"]["status"], json!("IN_PROGRESS"));
    assert_eq!(t2["execution"]["status"], json!("CANCELED"));
    ok(jobs.cancel_job("c", true, Default::default()).await);
    let t1 = ok(jobs.describe_job_execution("c", "t1", None).await);
    assert_eq!(t1["execution"]["forceCanceled"], json!(true));
    ok(jobs.delete_job("c", false).await);
    assert_eq!(
        refusal(jobs.describe_job("c").await).aws_error_type(),
        "ResourceNotFoundException"
    );
    let pending = ok(jobs.get_pending("t1").await);
    assert_eq!(pending["inProgressJobs"], json!([]));
}

#[tokio::test]
async fn continuous_jobs_reach_things_that_join_later() {
    let (jobs, _) = fleet().await;
    let config = jobs.config().clone();
    let request: CreateJobRequest = de(json!({
        "targets": [config.thing_group_arn("g")],
        "document": "{}",
        "targetSelection": "CONTINUOUS",
    }));
    ok(jobs.create_job("cont", request).await);
    let notifications = ok(jobs.thing_added_to_group("t1", "g2").await);
    assert!(notifications
        .iter()
        .any(|n| n.topic == "$aws/things/t1/jobs/notify"
            && n.payload["jobs"]["QUEUED"][0]["jobId"] == json!("cont")));
    let described = ok(jobs.describe_execution("t1", "$next", true, None).await);
    assert_eq!(described["execution"]["jobId"], json!("cont"));
}

#[tokio::test]
async fn templates_fill_in_parameters() {
    let (jobs, _) = fleet().await;
    let config = jobs.config().clone();
    let template = ok(jobs
        .create_job_template(
            "fw",
            de(json!({
                "description": "firmware",
                "document": r#"{"url":"${aws:iot:parameter:url}"}"#,
            })),
        )
        .await);
    let again = jobs
        .create_job_template("fw", de(json!({"description": "d", "document": "{}"})))
        .await;
    assert_eq!(refusal(again).aws_error_type(), "ConflictException");
    let request: CreateJobRequest = de(json!({
        "targets": [config.thing_arn("t1")],
        "jobTemplateArn": template["jobTemplateArn"],
        "documentParameters": {"url": "https://x/fw.bin"},
    }));
    ok(jobs.create_job("from-t", request).await);
    let document = ok(jobs.get_job_document("from-t", false).await);
    assert_eq!(document["document"], json!(r#"{"url":"https://x/fw.bin"}"#));
    let listed = ok(jobs.list_job_templates(10, None).await);
    assert_eq!(listed["jobTemplates"][0]["jobTemplateId"], json!("fw"));
    ok(jobs.delete_job_template("fw").await);
    assert_eq!(
        refusal(jobs.describe_job_template("fw").await).aws_error_type(),
        "ResourceNotFoundException"
    );
}
