"""The device side of Jobs as a device developer meets it: the AWS IoT Device SDK v2 for Python
(`awsiotsdk`, its `IotJobsClientV2` over MQTT 5 with mutual TLS) and paho-mqtt on the reserved
`$aws/things/{thing}/jobs/...` topics, against jobs made with boto3's `iot` client. One server
for the module."""

import concurrent.futures
import json
import queue
import uuid

import boto3
import paho.mqtt.client as paho
import pytest
from awscrt import mqtt5, mqtt_request_response
from awsiot import ServiceStreamOptions, iotjobs, mqtt5_client_builder
from botocore.config import Config

from conftest import Thingcore

TIMEOUT = 15
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]})


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    data = tmp_path_factory.mktemp("jobs-device")
    server = Thingcore(["--data-dir", str(data), "--http-addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0",
                        "--tls-addr", "127.0.0.1:0"])
    iot = boto3.client("iot", endpoint_url=server.http_url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test",
                       config=Config(retries={"max_attempts": 1}))
    made = iot.create_keys_and_certificate(setAsActive=True)
    (data / "device.pem").write_text(made["certificatePem"])
    (data / "device.key").write_text(made["keyPair"]["PrivateKey"])
    iot.create_policy(policyName="jobs-devices", policyDocument=ALLOW_ALL)
    iot.attach_policy(policyName="jobs-devices", target=made["certificateArn"])
    sdk = dict(item.split("=", 1) for item in server.banner["sdk"].split(" (")[0].split())
    yield {"server": server, "data": data, "sdk": sdk, "iot": iot}
    server.stop()


def thing_arn(core, thing):
    return core["iot"].describe_thing(thingName=thing)["thingArn"]


def new_thing(core, prefix):
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    core["iot"].create_thing(thingName=name)
    return name


class Device:
    """An MQTT 5 client with the device's certificate, and the SDK's jobs client on it."""

    def __init__(self, core, client_id):
        self.connected = concurrent.futures.Future()
        self.stopped = concurrent.futures.Future()
        sdk = core["sdk"]
        self.client = mqtt5_client_builder.mtls_from_path(
            endpoint=sdk["endpoint"], port=int(sdk["port"]), ca_filepath=sdk["ca_filepath"], client_id=client_id,
            cert_filepath=str(core["data"] / "device.pem"), pri_key_filepath=str(core["data"] / "device.key"),
            on_lifecycle_connection_success=lambda data: self.connected.set_result(True),
            on_lifecycle_stopped=lambda data: self.stopped.set_result(True))
        self.client.start()
        self.connected.result(TIMEOUT)
        self.jobs = iotjobs.IotJobsClientV2(self.client, mqtt_request_response.ClientOptions(
            max_request_response_subscriptions=4, max_streaming_subscriptions=2,
            operation_timeout_in_seconds=TIMEOUT))

    def stop(self):
        self.client.stop()
        self.stopped.result(TIMEOUT)


def test_the_sdk_jobs_client_runs_a_job_from_notification_to_success(core):
    thing = new_thing(core, "sdk")
    device = Device(core, thing)
    try:
        notified = queue.Queue()
        subscribed = concurrent.futures.Future()

        def on_status(event):
            if event.type == mqtt_request_response.SubscriptionStatusEventType.SUBSCRIPTION_ESTABLISHED \
                    and not subscribed.done():
                subscribed.set_result(True)

        stream = device.jobs.create_next_job_execution_changed_stream(
            iotjobs.NextJobExecutionChangedSubscriptionRequest(thing_name=thing),
            ServiceStreamOptions(incoming_event_listener=notified.put, subscription_status_listener=on_status))
        stream.open()
        subscribed.result(TIMEOUT)

        pending = device.jobs.get_pending_job_executions(
            iotjobs.GetPendingJobExecutionsRequest(thing_name=thing)).result(TIMEOUT)
        assert pending.in_progress_jobs == [] and pending.queued_jobs == []

        job_id = f"fw-{uuid.uuid4().hex[:8]}"
        document = {"operation": "install", "version": "2.0"}
        core["iot"].create_job(jobId=job_id, targets=[thing_arn(core, thing)], document=json.dumps(document))
        event = notified.get(timeout=TIMEOUT)
        assert event.execution.job_id == job_id
        assert event.execution.status == "QUEUED"
        assert event.execution.job_document == document

        pending = device.jobs.get_pending_job_executions(
            iotjobs.GetPendingJobExecutionsRequest(thing_name=thing)).result(TIMEOUT)
        assert [j.job_id for j in pending.queued_jobs] == [job_id]

        started = device.jobs.start_next_pending_job_execution(
            iotjobs.StartNextPendingJobExecutionRequest(thing_name=thing, status_details={"step": "download"})
        ).result(TIMEOUT)
        assert started.execution.job_id == job_id
        assert started.execution.status == "IN_PROGRESS"
        assert started.execution.status_details == {"step": "download"}
        assert started.execution.job_document == document

        updated = device.jobs.update_job_execution(iotjobs.UpdateJobExecutionRequest(
            thing_name=thing, job_id=job_id, status="SUCCEEDED", expected_version=started.execution.version_number,
            include_job_execution_state=True)).result(TIMEOUT)
        assert updated.execution_state.status == "SUCCEEDED"

        # The pending list is empty again and the next execution is gone: notify-next says so
        # with an empty message (no execution).
        cleared = notified.get(timeout=TIMEOUT)
        assert cleared.execution is None
        described = device.jobs.describe_job_execution(iotjobs.DescribeJobExecutionRequest(
            thing_name=thing, job_id=job_id, include_job_document=True)).result(TIMEOUT)
        assert described.execution.status == "SUCCEEDED"
        summary = core["iot"].describe_job(jobId=job_id)["job"]
        assert summary["status"] == "COMPLETED"
        assert summary["jobProcessDetails"]["numberOfSucceededThings"] == 1
    finally:
        device.stop()


class Raw:
    """paho-mqtt on the plain listener, subscribed to a thing's jobs answers."""

    def __init__(self, core, thing):
        self.messages = queue.Queue()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"raw-{thing}",
                                  protocol=paho.MQTTv311)
        # The filter also brings back the requests themselves; answers are parsed when asked for.
        self.client.on_message = lambda _c, _u, m: self.messages.put((m.topic, m.payload))
        subscribed = concurrent.futures.Future()
        self.client.on_subscribe = lambda *_: subscribed.set_result(True)
        self.client.connect("127.0.0.1", core["server"].mqtt_port)
        self.client.loop_start()
        self.client.subscribe(f"$aws/things/{thing}/jobs/#", qos=1)
        subscribed.result(TIMEOUT)  # the SUBACK: from here on, nothing published is missed

    def request(self, topic, payload):
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(TIMEOUT)

    def answer(self, suffix):
        while True:
            topic, payload = self.messages.get(timeout=TIMEOUT)
            if topic.endswith(suffix):
                return json.loads(payload)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def test_bad_requests_are_rejected_with_aws_codes_and_change_nothing(core):
    thing = new_thing(core, "raw")
    job_id = f"cfg-{uuid.uuid4().hex[:8]}"
    core["iot"].create_job(jobId=job_id, targets=[thing_arn(core, thing)], document='{"x": 1}')
    raw = Raw(core, thing)
    base = f"$aws/things/{thing}/jobs"
    try:
        # Not JSON.
        raw.request(f"{base}/{job_id}/update", b"{not json")
        rejected = raw.answer(f"/{job_id}/update/rejected")
        assert rejected["code"] == "InvalidJson"

        # An unknown job.
        raw.request(f"{base}/nope-{job_id}/get", json.dumps({"clientToken": "t1"}))
        rejected = raw.answer(f"/nope-{job_id}/get/rejected")
        assert rejected["code"] == "ResourceNotFound" and rejected["clientToken"] == "t1"

        # A wrong expected version.
        raw.request(f"{base}/{job_id}/update",
                    json.dumps({"status": "IN_PROGRESS", "expectedVersion": 99, "clientToken": "t2"}))
        rejected = raw.answer(f"/{job_id}/update/rejected")
        assert rejected["code"] == "VersionMismatch" and rejected["clientToken"] == "t2"

        # A status a device may not set.
        raw.request(f"{base}/{job_id}/update", json.dumps({"status": "CANCELED", "clientToken": "t3"}))
        rejected = raw.answer(f"/{job_id}/update/rejected")
        assert rejected["code"] in ("InvalidRequest", "InvalidStateTransition")

        # None of it changed the execution.
        execution = core["iot"].describe_job_execution(jobId=job_id, thingName=thing)["execution"]
        assert execution["status"] == "QUEUED" and execution["versionNumber"] == 1

        # Then a good update, accepted with the token echoed; a later one from the terminal
        # state is refused.
        raw.request(f"{base}/{job_id}/update",
                    json.dumps({"status": "SUCCEEDED", "expectedVersion": 1, "clientToken": "t4"}))
        accepted = raw.answer(f"/{job_id}/update/accepted")
        assert accepted["clientToken"] == "t4"
        raw.request(f"{base}/{job_id}/update", json.dumps({"status": "FAILED", "clientToken": "t5"}))
        rejected = raw.answer(f"/{job_id}/update/rejected")
        assert rejected["code"] in ("TerminalStateReached", "InvalidStateTransition")
        assert rejected["clientToken"] == "t5"
    finally:
        raw.close()


def test_clients_may_not_publish_the_services_answers(core):
    # A reserved topic only the Jobs service publishes to: an MQTT 5 client's QoS 1 publish
    # is refused (PUBACK 0x90, topic name invalid), as for the shadow service's answers.
    thing = new_thing(core, "reserved")
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"reserved-{thing}", protocol=paho.MQTTv5)
    acknowledged = concurrent.futures.Future()
    client.on_publish = lambda _c, _u, _mid, reason, _p: acknowledged.set_result(reason)
    client.connect("127.0.0.1", core["server"].mqtt_port)
    client.loop_start()
    try:
        client.publish(f"$aws/things/{thing}/jobs/notify-next", b"{}", qos=1)
        reason = acknowledged.result(TIMEOUT)
        assert reason.value == 0x90, reason
    finally:
        client.loop_stop()
        client.disconnect()


def test_a_continuous_job_reaches_a_thing_added_to_its_group_later(core):
    iot = core["iot"]
    group = f"fleet-{uuid.uuid4().hex[:8]}"
    group_arn = iot.create_thing_group(thingGroupName=group)["thingGroupArn"]
    job_id = f"cont-{uuid.uuid4().hex[:8]}"
    iot.create_job(jobId=job_id, targets=[group_arn], document='{"op": "configure"}',
                   targetSelection="CONTINUOUS")
    thing = new_thing(core, "late")
    assert iot.list_job_executions_for_thing(thingName=thing)["executionSummaries"] == []
    raw = Raw(core, thing)
    try:
        iot.add_thing_to_thing_group(thingGroupName=group, thingName=thing)
        summaries = iot.list_job_executions_for_thing(thingName=thing)["executionSummaries"]
        assert [s["jobId"] for s in summaries] == [job_id]
        # The device hears of it on notify-next, as for a job created after it joined.
        notified = raw.answer("/jobs/notify-next")
        assert notified["execution"]["jobId"] == job_id
    finally:
        raw.close()


def jobs_data(core):
    return boto3.client("iot-jobs-data", endpoint_url=core["server"].http_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def test_iot_jobs_data_over_https_runs_a_job_and_notifies_mqtt(core):
    iot, data = core["iot"], jobs_data(core)
    thing = new_thing(core, "https")
    job_id = f"https-{uuid.uuid4().hex[:8]}"
    document = {"op": "rotate-keys"}
    iot.create_job(jobId=job_id, targets=[thing_arn(core, thing)], document=json.dumps(document))
    raw = Raw(core, thing)
    try:
        pending = data.get_pending_job_executions(thingName=thing)
        assert [j["jobId"] for j in pending["queuedJobs"]] == [job_id] and pending["inProgressJobs"] == []
        started = data.start_next_pending_job_execution(thingName=thing, statusDetails={"step": "1"})["execution"]
        assert started["jobId"] == job_id and started["status"] == "IN_PROGRESS"
        assert json.loads(started["jobDocument"]) == document
        described = data.describe_job_execution(thingName=thing, jobId=job_id, includeJobDocument=True)["execution"]
        assert described["statusDetails"] == {"step": "1"} and described["versionNumber"] == 2
        # The same path signed for the control plane is the control plane's DescribeJobExecution.
        assert iot.describe_job_execution(thingName=thing, jobId=job_id)["execution"]["status"] == "IN_PROGRESS"
        updated = data.update_job_execution(thingName=thing, jobId=job_id, status="SUCCEEDED", expectedVersion=2,
                                            includeJobExecutionState=True, includeJobDocument=True)
        assert updated["executionState"]["status"] == "SUCCEEDED"
        assert json.loads(updated["jobDocument"]) == document
        # What the change caused reaches MQTT.
        assert "execution" not in raw.answer("/jobs/notify-next")
        assert iot.describe_job(jobId=job_id)["job"]["status"] == "COMPLETED"
    finally:
        raw.close()


@pytest.mark.parametrize("case", ["unknown job", "wrong version", "bad status", "not a device's status", "terminal"])
def test_iot_jobs_data_errors_are_the_models(core, case):
    iot, data = core["iot"], jobs_data(core)
    thing = new_thing(core, "errs")
    job_id = f"errs-{uuid.uuid4().hex[:8]}"
    iot.create_job(jobId=job_id, targets=[thing_arn(core, thing)], document="{}")
    if case == "terminal":
        data.update_job_execution(thingName=thing, jobId=job_id, status="REJECTED")
    calls = {
        "unknown job": (lambda: data.describe_job_execution(thingName=thing, jobId="no-such-job"),
                        "ResourceNotFoundException"),
        "wrong version": (lambda: data.update_job_execution(thingName=thing, jobId=job_id, status="IN_PROGRESS",
                                                            expectedVersion=9), "InvalidStateTransitionException"),
        "bad status": (lambda: data.update_job_execution(thingName=thing, jobId=job_id, status="BOGUS"),
                       "InvalidRequestException"),
        "not a device's status": (lambda: data.update_job_execution(thingName=thing, jobId=job_id, status="CANCELED"),
                                  "InvalidStateTransitionException"),
        "terminal": (lambda: data.update_job_execution(thingName=thing, jobId=job_id, status="SUCCEEDED"),
                     "InvalidStateTransitionException"),
    }
    call, code = calls[case]
    before = iot.describe_job_execution(thingName=thing, jobId=job_id)["execution"]
    with pytest.raises(data.exceptions.ClientError) as refused:
        call()
    assert refused.value.response["Error"]["Code"] == code
    assert iot.describe_job_execution(thingName=thing, jobId=job_id)["execution"] == before
