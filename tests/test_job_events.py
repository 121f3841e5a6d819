"""Job events as a monitoring application meets them: boto3's `iot` client enables JOB and
JOB_EXECUTION with UpdateEventConfigurations, paho-mqtt listens on `$aws/events/#`, a device
runs its job over the MQTT jobs topics, and the `$aws/events/jobExecution/...` and
`$aws/events/job/...` messages arrive with AWS's payloads; on the embedded store and on
DynamoDB (moto)."""

import concurrent.futures
import json
import queue
import uuid
from datetime import datetime

import paho.mqtt.client as paho
import pytest
from botocore.exceptions import ClientError
from conftest import aws_client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TIMEOUT = 15
EVENT_TYPES = {
    "THING", "THING_GROUP", "THING_TYPE", "THING_GROUP_MEMBERSHIP", "THING_GROUP_HIERARCHY",
    "THING_TYPE_ASSOCIATION", "JOB", "JOB_EXECUTION", "POLICY", "CERTIFICATE", "CA_CERTIFICATE",
}
BOTH = {"JOB": {"Enabled": True}, "JOB_EXECUTION": {"Enabled": True}}


@pytest.fixture
def server(store_server):
    return store_server


def iot(server):
    return aws_client(server, "iot")


class Listener:
    """paho-mqtt on the plain listener, subscribed to `filters`; keeps what arrives in order."""

    def __init__(self, server, *filters):
        self.messages = queue.Queue()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv311)
        self.client.on_message = lambda _c, _u, m: self.messages.put((m.topic, json.loads(m.payload)))
        subscribed = concurrent.futures.Future()
        self.client.on_subscribe = lambda *_: subscribed.set_result(True)
        self.client.connect("127.0.0.1", server.mqtt_port)
        self.client.loop_start()
        self.client.subscribe([(f, 1) for f in filters])
        subscribed.result(TIMEOUT)  # the SUBACK: from here on, nothing published is missed

    def publish(self, topic, payload):
        self.client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(TIMEOUT)

    def until(self, topic):
        """Every message up to and including the first on `topic`: [(topic, payload)]."""
        seen = []
        while True:
            message = self.messages.get(timeout=TIMEOUT)
            seen.append(message)
            if message[0] == topic:
                return seen

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def events_in(messages):
    """The job and job execution events among `messages` (lifecycle events left out)."""
    return [(topic, payload) for topic, payload in messages
            if topic.startswith(("$aws/events/job/", "$aws/events/jobExecution/"))]


def test_event_configurations_are_described_and_an_unknown_type_is_refused(server):
    c = iot(server)
    described = c.describe_event_configurations()
    assert set(described["eventConfigurations"]) == EVENT_TYPES
    assert not any(v["Enabled"] for v in described["eventConfigurations"].values())

    c.update_event_configurations(eventConfigurations=BOTH)
    described = c.describe_event_configurations()
    enabled = {k for k, v in described["eventConfigurations"].items() if v["Enabled"]}
    assert enabled == {"JOB", "JOB_EXECUTION"}
    assert isinstance(described["creationDate"], datetime)
    assert isinstance(described["lastModifiedDate"], datetime)

    with pytest.raises(ClientError) as caught:
        c.update_event_configurations(eventConfigurations={"THING": {"Enabled": True}, "JOBS": {"Enabled": True}})
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
    described = c.describe_event_configurations()
    assert {k for k, v in described["eventConfigurations"].items() if v["Enabled"]} == {"JOB", "JOB_EXECUTION"}

    c.update_event_configurations(eventConfigurations={"JOB": {"Enabled": False}})
    described = c.describe_event_configurations()
    assert {k for k, v in described["eventConfigurations"].items() if v["Enabled"]} == {"JOB_EXECUTION"}


def test_a_job_run_by_its_device_publishes_succeeded_then_completed(server):
    c = iot(server)
    c.update_event_configurations(eventConfigurations=BOTH)
    thing = f"lamp-{uuid.uuid4().hex[:6]}"
    thing_arn = c.create_thing(thingName=thing)["thingArn"]
    job_id = f"fw-{uuid.uuid4().hex[:8]}"
    watch = Listener(server, "$aws/events/#", f"$aws/things/{thing}/jobs/#")
    try:
        c.create_job(jobId=job_id, targets=[thing_arn], document='{"op": "install"}', description="firmware")
        watch.publish(f"$aws/things/{thing}/jobs/start-next", {"clientToken": "s"})
        started = watch.until(f"$aws/things/{thing}/jobs/start-next/accepted")[-1][1]
        assert started["execution"]["jobId"] == job_id
        watch.publish(f"$aws/things/{thing}/jobs/{job_id}/update",
                      {"status": "SUCCEEDED", "expectedVersion": started["execution"]["versionNumber"],
                       "statusDetails": {"step": "done"}})
        seen = events_in(watch.until(f"$aws/events/job/{job_id}/completed"))
        # Starting made no event; the execution's event comes before the job's.
        assert [t for t, _ in seen] == [f"$aws/events/jobExecution/{job_id}/succeeded",
                                        f"$aws/events/job/{job_id}/completed"]
        execution, job = seen[0][1], seen[1][1]
        assert execution["eventType"] == "JOB_EXECUTION"
        assert execution["operation"] == "succeeded"
        assert (execution["jobId"], execution["thingArn"]) == (job_id, thing_arn)
        assert (execution["status"], execution["statusDetails"]) == ("SUCCEEDED", {"step": "done"})
        assert uuid.UUID(execution["eventId"]) and isinstance(execution["timestamp"], int)

        assert job["eventType"] == "JOB"
        assert (job["operation"], job["jobId"], job["status"]) == ("completed", job_id, "COMPLETED")
        assert (job["targetSelection"], job["targets"], job["description"]) == ("SNAPSHOT", [thing_arn], "firmware")
        assert job["jobProcessDetails"]["numberOfSucceededThings"] == 1
        assert job["completedAt"] >= job["createdAt"] > 10**12  # epoch milliseconds, as AWS's example
        described = c.describe_job(jobId=job_id)["job"]
        assert described["status"] == "COMPLETED"
    finally:
        watch.close()


def test_cancel_publishes_in_progress_then_each_execution_then_canceled(server):
    c = iot(server)
    c.update_event_configurations(eventConfigurations=BOTH)
    thing = f"lamp-{uuid.uuid4().hex[:6]}"
    thing_arn = c.create_thing(thingName=thing)["thingArn"]
    job_id = f"stop-{uuid.uuid4().hex[:8]}"
    watch = Listener(server, "$aws/events/#")
    try:
        c.create_job(jobId=job_id, targets=[thing_arn], document="{}")
        c.cancel_job(jobId=job_id, comment="bad build")
        seen = events_in(watch.until(f"$aws/events/job/{job_id}/canceled"))
        assert [t for t, _ in seen] == [f"$aws/events/job/{job_id}/cancellation_in_progress",
                                        f"$aws/events/jobExecution/{job_id}/canceled",
                                        f"$aws/events/job/{job_id}/canceled"]
        assert seen[0][1]["status"] == "CANCELLATION_IN_PROGRESS"
        assert (seen[1][1]["status"], seen[1][1]["thingArn"]) == ("CANCELED", thing_arn)
        canceled = seen[2][1]
        assert (canceled["status"], canceled["comment"], canceled["forceCanceled"]) == ("CANCELED", "bad build", False)
        assert canceled["jobProcessDetails"]["numberOfCanceledThings"] == 1
    finally:
        watch.close()
