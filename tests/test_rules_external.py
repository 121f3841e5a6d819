"""External SQL functions end to end: a shadow updated with boto3 iot-data is read by a rule's
get_thing_shadow() (in SELECT and WHERE) when mosquitto_pub publishes, and the republished
message carries the shadow's field."""

import json
import subprocess

import boto3
import pytest
from botocore.config import Config
from mqtt_client import Client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROLE = "arn:aws:iam::000000000000:role/r"


def client(server, service):
    return boto3.client(
        service, endpoint_url=server.http_url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def test_get_thing_shadow_enriches_and_filters(serve):
    server = serve("--memory")
    data = client(server, "iot-data")
    data.update_thing_shadow(thingName="kitchen", payload=json.dumps(
        {"state": {"reported": {"armed": True, "mode": "away"}}}).encode())
    data.update_thing_shadow(thingName="hall", payload=json.dumps(
        {"state": {"reported": {"armed": False, "mode": "home"}}}).encode())
    shadow = f"get_thing_shadow(topic(2), '{ROLE}')"
    sql = (f"SELECT temp, {shadow}.state.reported.mode AS mode FROM 'sensors/+/telemetry' "
           f"WHERE {shadow}.state.reported.armed = true")
    client(server, "iot").create_topic_rule(ruleName="armed", topicRulePayload={
        "sql": sql, "awsIotSqlVersion": "2016-03-23", "ruleDisabled": False,
        "actions": [{"republish": {"topic": "alarms/${topic(2)}", "roleArn": ROLE, "qos": 1}}]})
    watcher = Client(server.mqtt_port, "watcher")
    watcher.subscribe("alarms/#", qos=1)
    # A rule written through this server applies to the very next message: no wait.
    for room in ("hall", "kitchen"):
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(server.mqtt_port), "-q", "1",
                        "-t", f"sensors/{room}/telemetry", "-m", json.dumps({"temp": 31})],
                       check=True, timeout=10)
    msg = watcher.expect()
    assert msg.topic == "alarms/kitchen"
    assert json.loads(msg.payload) == {"temp": 31, "mode": "away"}
    watcher.expect_none(1.0)
    server.stop()
