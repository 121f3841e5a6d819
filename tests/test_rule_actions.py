"""Rule actions that really run: a rule with a republish and an SQS action, fed by mosquitto_pub,
delivers to an MQTT subscriber and to an SQS queue in moto; an SQS action to a missing queue
sends AWS's error message to the rule's errorAction. The shim's SDK sinks find moto through
AWS_ENDPOINT_URL, as any AWS SDK would."""

import base64
import json
import os
import subprocess
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from mqtt_client import Client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROLE = "arn:aws:iam::000000000000:role/r"
SQL = "SELECT temp, topic(2) AS device FROM 'sensors/+/telemetry' WHERE temp > 30"
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}


@pytest.fixture
def moto_endpoint(dynamodb_endpoint):
    """moto server (started by scripts/test) serves SQS on the same port as DynamoDB."""
    return dynamodb_endpoint


def start(serve, moto_endpoint):
    env = {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    server = serve("--memory", env=env)
    iot = boto3.client("iot", endpoint_url=server.http_url, config=Config(retries={"max_attempts": 1}),
                       **CREDENTIALS)
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, **CREDENTIALS)
    return server, iot, sqs


def publish(server, topic, payload):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(server.mqtt_port), "-q", "1",
                    "-t", topic, "-m", json.dumps(payload)], check=True, timeout=10)


def receive(sqs, url, wait=5.0):
    deadline = time.time() + wait
    while time.time() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        if got.get("Messages"):
            return [m["Body"] for m in got["Messages"]]
    return []


def test_rule_republishes_and_sends_to_sqs(serve, moto_endpoint):
    server, iot, sqs = start(serve, moto_endpoint)
    url = sqs.create_queue(QueueName=f"hot-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    iot.create_topic_rule(ruleName="hot_to_sqs", topicRulePayload={
        "sql": SQL, "awsIotSqlVersion": "2016-03-23", "ruleDisabled": False,
        "actions": [{"republish": {"topic": "alerts/${topic(2)}", "roleArn": ROLE, "qos": 1}},
                    {"sqs": {"queueUrl": url, "roleArn": ROLE}}]})
    watcher = Client(server.mqtt_port, "watcher")
    watcher.subscribe("alerts/#", qos=1)
    # A rule written through this server applies to the very next message: no wait.
    publish(server, "sensors/kitchen/telemetry", {"temp": 29, "hum": 40})
    publish(server, "sensors/kitchen/telemetry", {"temp": 31, "hum": 40})

    msg = watcher.expect()
    assert msg.topic == "alerts/kitchen"
    assert json.loads(msg.payload) == {"temp": 31, "device": "kitchen"}
    bodies = receive(sqs, url)
    assert [json.loads(b) for b in bodies] == [{"temp": 31, "device": "kitchen"}]
    watcher.expect_none(1.0)
    server.stop()


def test_sqs_to_a_missing_queue_goes_to_the_error_action(serve, moto_endpoint):
    server, iot, sqs = start(serve, moto_endpoint)
    existing = sqs.create_queue(QueueName=f"exists-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    missing = existing.rsplit("/", 1)[0] + "/no-such-queue"
    iot.create_topic_rule(ruleName="to_missing_queue", topicRulePayload={
        "sql": SQL, "awsIotSqlVersion": "2016-03-23", "ruleDisabled": False,
        "actions": [{"sqs": {"queueUrl": missing, "roleArn": ROLE}}],
        "errorAction": {"republish": {"topic": "errors/rules", "roleArn": ROLE, "qos": 1}}})
    watcher = Client(server.mqtt_port, "watcher")
    watcher.subscribe("errors/#", qos=1)
    publish(server, "sensors/attic/telemetry", {"temp": 45})

    error = json.loads(watcher.expect(timeout=15).payload)
    assert error["ruleName"] == "to_missing_queue"
    assert error["topic"] == "sensors/attic/telemetry"
    assert json.loads(base64.b64decode(error["base64OriginalPayload"])) == {"temp": 45}
    assert error["cloudwatchTraceId"]
    [failure] = error["failures"]
    assert failure["failedAction"] == "SqsAction"
    assert failure["failedResource"] == missing
    assert "NonExistentQueue" in failure["errorMessage"], failure
    # The broker keeps running: the next message is evaluated too.
    publish(server, "sensors/attic/telemetry", {"temp": 46})
    assert json.loads(watcher.expect(timeout=15).payload)["ruleName"] == "to_missing_queue"
    server.stop()
