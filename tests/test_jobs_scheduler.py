"""The Jobs scheduler through boto3 on `thingcore serve`, on the embedded store and on DynamoDB
(moto): a paced rollout queues its first minute's things at once and holds the rest, which have
no execution yet; a job scheduled for later is SCHEDULED with nothing queued until its start;
configurations out of the model's ranges are refused. Pacing over the minutes, timeouts,
retries, aborts and scheduled ends run on a test clock in shared/jobs/tests/scheduler.rs, so
nothing here waits on the wall clock."""

import datetime
import json

import pytest
from test_jobs import error_code, iot, server  # noqa: F401 (server is a fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DOC = json.dumps({"operation": "update"})


def group_of(c, name, things):
    arn = c.create_thing_group(thingGroupName=name)["thingGroupArn"]
    for thing in things:
        c.create_thing(thingName=thing)
        c.add_thing_to_thing_group(thingGroupName=name, thingName=thing)
    return arn


def test_a_paced_rollout_queues_its_first_minute_and_holds_the_rest(server):
    c = iot(server)
    group = group_of(c, "fleet", [f"d{i}" for i in range(5)])
    c.create_job(jobId="paced", targets=[group], document=DOC,
                 jobExecutionsRolloutConfig={"maximumPerMinute": 2})
    job = c.describe_job(jobId="paced")["job"]
    assert job["status"] == "IN_PROGRESS"
    assert job["jobExecutionsRolloutConfig"] == {"maximumPerMinute": 2}
    assert job["jobProcessDetails"]["numberOfQueuedThings"] == 2
    listed = c.list_job_executions_for_job(jobId="paced")["executionSummaries"]
    assert sorted(e["thingArn"].rsplit("/", 1)[1] for e in listed) == ["d0", "d1"]
    # A thing the rollout has not reached has no execution at all, as on AWS.
    assert error_code(c.describe_job_execution, jobId="paced", thingName="d4") == "ResourceNotFoundException"
    assert c.list_job_executions_for_thing(thingName="d4")["executionSummaries"] == []


def test_a_job_scheduled_for_later_waits_for_its_start(server):
    c = iot(server)
    thing = c.create_thing(thingName="lamp")["thingArn"]
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    end = start + datetime.timedelta(hours=1)
    c.create_job(jobId="later", targets=[thing], document=DOC, schedulingConfig={
        "startTime": start.strftime("%Y-%m-%dT%H:%M"), "endTime": end.strftime("%Y-%m-%dT%H:%M"),
        "endBehavior": "CANCEL"})
    job = c.describe_job(jobId="later")["job"]
    assert job["status"] == "SCHEDULED"
    assert job["jobProcessDetails"]["numberOfQueuedThings"] == 0
    assert c.list_job_executions_for_thing(thingName="lamp")["executionSummaries"] == []
    c.cancel_job(jobId="later")
    assert c.describe_job(jobId="later")["job"]["status"] == "CANCELED"


def test_configurations_out_of_range_are_refused(server):
    c = iot(server)
    thing = c.create_thing(thingName="lamp")["thingArn"]
    for bad in (
        {"jobExecutionsRolloutConfig": {"maximumPerMinute": 1001}},
        {"abortConfig": {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
                                           "thresholdPercentage": 150, "minNumberOfExecutedThings": 1}]}},
        {"jobExecutionsRetryConfig": {"criteriaList": [{"failureType": "ALL", "numberOfRetries": 11}]}},
        {"schedulingConfig": {"startTime": "next tuesday"}},
    ):
        assert error_code(c.create_job, jobId="bad", targets=[thing], document=DOC, **bad) == "InvalidRequestException"
    assert error_code(c.describe_job, jobId="bad") == "ResourceNotFoundException"
