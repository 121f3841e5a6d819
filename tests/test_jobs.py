"""AWS IoT Jobs' control plane through boto3's `iot` client and the AWS CLI, by endpoint URL, on
the embedded store and on DynamoDB (moto): jobs on things and thing groups, their executions
per job and per thing, cancels, deletes, templates, pagination, and bad input that gets AWS's
error and changes nothing."""

import json
import os
import subprocess

import pytest
from botocore.exceptions import ClientError
from conftest import ROOT, aws_client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DOC = json.dumps({"operation": "reboot"})


@pytest.fixture
def server(store_server):
    return store_server


def iot(server):
    return aws_client(server, "iot")


def fleet(c):
    """Things t1..t3; group g holds t2, its child g2 holds t3. Returns ARNs by name."""
    arns = {t: c.create_thing(thingName=t)["thingArn"] for t in ("t1", "t2", "t3")}
    arns["g"] = c.create_thing_group(thingGroupName="g")["thingGroupArn"]
    arns["g2"] = c.create_thing_group(thingGroupName="g2", parentGroupName="g")["thingGroupArn"]
    c.add_thing_to_thing_group(thingGroupName="g", thingName="t2")
    c.add_thing_to_thing_group(thingGroupName="g2", thingName="t3")
    return arns


def error_code(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"]


def test_jobs_on_things_and_groups(server):
    c = iot(server)
    arns = fleet(c)
    made = c.create_job(jobId="reboot-1", targets=[arns["t1"], arns["g"]], document=DOC, description="reboot all")
    assert (made["jobId"], made["description"]) == ("reboot-1", "reboot all")
    assert made["jobArn"].endswith(":job/reboot-1")
    job = c.describe_job(jobId="reboot-1")["job"]
    assert (job["status"], job["targetSelection"]) == ("IN_PROGRESS", "SNAPSHOT")
    assert job["targets"] == [arns["t1"], arns["g"]]
    assert job["jobProcessDetails"]["numberOfQueuedThings"] == 3
    assert json.loads(c.get_job_document(jobId="reboot-1")["document"]) == {"operation": "reboot"}

    per_job = c.list_job_executions_for_job(jobId="reboot-1")["executionSummaries"]
    assert sorted(e["thingArn"] for e in per_job) == sorted([arns["t1"], arns["t2"], arns["t3"]])
    assert {e["jobExecutionSummary"]["status"] for e in per_job} == {"QUEUED"}
    per_thing = c.list_job_executions_for_thing(thingName="t3")["executionSummaries"]
    assert [(e["jobId"], e["jobExecutionSummary"]["executionNumber"]) for e in per_thing] == [("reboot-1", 1)]
    execution = c.describe_job_execution(jobId="reboot-1", thingName="t2")["execution"]
    assert (execution["status"], execution["versionNumber"], execution["executionNumber"]) == ("QUEUED", 1, 1)
    assert execution["thingArn"] == arns["t2"]

    c.update_job(jobId="reboot-1", description="reboot them all", timeoutConfig={"inProgressTimeoutInMinutes": 30})
    job = c.describe_job(jobId="reboot-1")["job"]
    assert job["description"] == "reboot them all"
    assert job["timeoutConfig"] == {"inProgressTimeoutInMinutes": 30}

    c.cancel_job_execution(jobId="reboot-1", thingName="t1", expectedVersion=1)
    assert c.describe_job_execution(jobId="reboot-1", thingName="t1")["execution"]["status"] == "CANCELED"
    assert error_code(c.cancel_job_execution, jobId="reboot-1", thingName="t1") == "InvalidStateTransitionException"
    canceled = c.cancel_job(jobId="reboot-1", reasonCode="OOPS", comment="wrong firmware")
    assert canceled["jobId"] == "reboot-1"
    job = c.describe_job(jobId="reboot-1")["job"]
    assert (job["status"], job["reasonCode"], job["comment"]) == ("CANCELED", "OOPS", "wrong firmware")
    assert job["jobProcessDetails"]["numberOfCanceledThings"] == 3
    assert [j["jobId"] for j in c.list_jobs(status="CANCELED")["jobs"]] == ["reboot-1"]
    assert c.list_jobs(status="IN_PROGRESS")["jobs"] == []
    assert [j["jobId"] for j in c.list_jobs(thingGroupName="g")["jobs"]] == ["reboot-1"]

    c.delete_job_execution(jobId="reboot-1", thingName="t1", executionNumber=1)
    assert error_code(c.describe_job_execution, jobId="reboot-1", thingName="t1") == "ResourceNotFoundException"
    c.delete_job(jobId="reboot-1")
    assert error_code(c.describe_job, jobId="reboot-1") == "ResourceNotFoundException"
    assert c.list_job_executions_for_thing(thingName="t3")["executionSummaries"] == []


def test_continuous_jobs_take_more_targets(server):
    c = iot(server)
    arns = fleet(c)
    c.create_job(jobId="cont", targets=[arns["g2"]], document=DOC, targetSelection="CONTINUOUS")
    c.associate_targets_with_job(jobId="cont", targets=[arns["t1"]], comment="and t1")
    things = sorted(e["thingArn"] for e in c.list_job_executions_for_job(jobId="cont")["executionSummaries"])
    assert things == sorted([arns["t1"], arns["t3"]])
    c.create_job(jobId="snap", targets=[arns["t1"]], document=DOC)
    assert error_code(c.associate_targets_with_job, jobId="snap", targets=[arns["t2"]]) == "InvalidRequestException"
    assert [j["jobId"] for j in c.list_jobs(targetSelection="CONTINUOUS")["jobs"]] == ["cont"]
    # A job in progress is deleted only with force.
    assert error_code(c.delete_job, jobId="cont") == "InvalidStateTransitionException"
    assert c.describe_job(jobId="cont")["job"]["status"] == "IN_PROGRESS"
    c.delete_job(jobId="cont", force=True)
    assert error_code(c.get_job_document, jobId="cont") == "ResourceNotFoundException"


def test_pagination(server):
    c = iot(server)
    arns = fleet(c)
    for i in range(5):
        c.create_job(jobId=f"job-{i}", targets=[arns["t1"]], document=DOC)
    seen, token = [], None
    while True:
        page = c.list_jobs(maxResults=2, **({"nextToken": token} if token else {}))
        assert len(page["jobs"]) <= 2
        seen += [j["jobId"] for j in page["jobs"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == [f"job-{i}" for i in range(5)]
    first = c.list_job_executions_for_thing(thingName="t1", maxResults=3)
    assert len(first["executionSummaries"]) == 3
    rest = c.list_job_executions_for_thing(thingName="t1", maxResults=3, nextToken=first["nextToken"])
    assert [e["jobId"] for e in rest["executionSummaries"]] == ["job-3", "job-4"]
    assert "nextToken" not in rest
    assert [j["jobId"] for j in c.get_paginator("list_jobs").paginate(PaginationConfig={"PageSize": 2}).build_full_result()["jobs"]] == seen
    assert error_code(c.list_jobs, nextToken="garbage") == "InvalidRequestException"


def test_job_templates(server):
    c = iot(server)
    arns = fleet(c)
    template = c.create_job_template(
        jobTemplateId="fw", description="firmware update",
        document=json.dumps({"url": "${aws:iot:parameter:url}"}),
        timeoutConfig={"inProgressTimeoutInMinutes": 10},
    )
    assert template["jobTemplateArn"].endswith(":jobtemplate/fw")
    described = c.describe_job_template(jobTemplateId="fw")
    assert (described["description"], described["timeoutConfig"]) == ("firmware update", {"inProgressTimeoutInMinutes": 10})
    assert error_code(c.create_job_template, jobTemplateId="fw", description="again", document=DOC) == "ConflictException"
    c.create_job(jobId="from-template", targets=[arns["t1"]], jobTemplateArn=template["jobTemplateArn"],
                 documentParameters={"url": "https://example.com/fw-2.bin"})
    assert json.loads(c.get_job_document(jobId="from-template")["document"]) == {"url": "https://example.com/fw-2.bin"}
    raw = c.get_job_document(jobId="from-template", beforeSubstitution=True)["document"]
    assert "${aws:iot:parameter:url}" in raw
    job = c.describe_job(jobId="from-template")["job"]
    assert job["jobTemplateArn"] == template["jobTemplateArn"]
    assert job["timeoutConfig"] == {"inProgressTimeoutInMinutes": 10}
    c.create_job_template(jobTemplateId="copy", description="copy of a job", jobArn=c.describe_job(jobId="from-template")["job"]["jobArn"])
    assert [t["jobTemplateId"] for t in c.list_job_templates()["jobTemplates"]] == ["copy", "fw"]
    page = c.list_job_templates(maxResults=1)
    assert len(page["jobTemplates"]) == 1 and "nextToken" in page
    c.delete_job_template(jobTemplateId="copy")
    assert error_code(c.describe_job_template, jobTemplateId="copy") == "ResourceNotFoundException"
    assert error_code(c.delete_job_template, jobTemplateId="copy") == "ResourceNotFoundException"


def test_bad_input_changes_nothing(server):
    c = iot(server)
    arns = fleet(c)
    c.create_job(jobId="j", targets=[arns["t1"]], document=DOC)
    before = c.describe_job(jobId="j")["job"]
    cases = [
        (c.describe_job, {"jobId": "nope"}, "ResourceNotFoundException"),
        (c.create_job, {"jobId": "j", "targets": [arns["t2"]], "document": DOC}, "ResourceAlreadyExistsException"),
        (c.create_job, {"jobId": "k", "targets": [arns["t1"]], "document": "{not json"}, "InvalidRequestException"),
        (c.create_job, {"jobId": "k", "targets": [arns["t1"]], "document": json.dumps({"pad": "x" * 33_000})}, "InvalidRequestException"),
        (c.create_job, {"jobId": "bad id!", "targets": [arns["t1"]], "document": DOC}, "InvalidRequestException"),
        (c.create_job, {"jobId": "k", "targets": [arns["t1"]]}, "InvalidRequestException"),
        (c.create_job, {"jobId": "k", "targets": [arns["t1"].replace("t1", "ghost")], "document": DOC}, "ResourceNotFoundException"),
        (c.create_job, {"jobId": "k", "targets": [arns["t1"]], "document": DOC, "documentSource": "https://x/doc.json"}, "InvalidRequestException"),
        (c.create_job, {"jobId": "k", "targets": [arns["t1"].replace("t1", f"x{i}") for i in range(101)], "document": DOC}, "LimitExceededException"),
        (c.cancel_job_execution, {"jobId": "j", "thingName": "t1", "expectedVersion": 5}, "VersionConflictException"),
        (c.describe_job_execution, {"jobId": "j", "thingName": "t2"}, "ResourceNotFoundException"),
        (c.delete_job_execution, {"jobId": "j", "thingName": "t1", "executionNumber": 1}, "InvalidStateTransitionException"),
        (c.list_job_executions_for_thing, {"thingName": "ghost"}, "ResourceNotFoundException"),
        (c.list_jobs, {"status": "SLEEPING"}, "InvalidRequestException"),
    ]
    for call, kwargs, code in cases:
        assert error_code(call, **kwargs) == code, (call.__name__, kwargs)
    assert c.describe_job(jobId="j")["job"] == before
    assert [j["jobId"] for j in c.list_jobs()["jobs"]] == ["j"]
    assert c.describe_job_execution(jobId="j", thingName="t1")["execution"]["versionNumber"] == 1


def test_canceled_executions_refuse_another_cancel(server):
    """CancelJob cancels every QUEUED execution; a canceled execution is terminal, so even a
    forced CancelJobExecution is refused. (An IN_PROGRESS execution refusing a cancel without
    force needs the device side on the wire; thingcore-jobs' service tests cover it.)"""
    c = iot(server)
    arns = fleet(c)
    c.create_job(jobId="j", targets=[arns["t1"], arns["t2"]], document=DOC)
    c.cancel_job(jobId="j")
    statuses = {e["jobExecutionSummary"]["status"] for e in c.list_job_executions_for_job(jobId="j")["executionSummaries"]}
    assert statuses == {"CANCELED"}
    assert error_code(c.cancel_job_execution, jobId="j", thingName="t1", force=True) == "InvalidStateTransitionException"
    assert c.describe_job_execution(jobId="j", thingName="t1")["execution"]["versionNumber"] == 2


def test_the_aws_cli(serve):
    server = serve("--memory")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    aws = [str(ROOT / ".venv" / "bin" / "aws"), "--endpoint-url", server.http_url, "--output", "json", "iot"]

    def run(*args):
        result = subprocess.run([*aws, *args], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}

    thing_arn = run("create-thing", "--thing-name", "cli-1")["thingArn"]
    made = run("create-job", "--job-id", "cli-job", "--targets", thing_arn, "--document", DOC)
    assert made["jobId"] == "cli-job"
    job = run("describe-job", "--job-id", "cli-job")["job"]
    assert (job["status"], job["jobProcessDetails"]["numberOfQueuedThings"]) == ("IN_PROGRESS", 1)
    server.stop()
