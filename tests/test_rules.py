"""Topic rules: created with boto3 and the AWS CLI, evaluated on messages from mosquitto_pub,
republished to a paho subscriber; bad SQL refused with its position."""

import json
import os
import subprocess

import boto3
import pytest
from botocore.config import Config
from conftest import ROOT
from mqtt_client import Client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def iot(server):
    return boto3.client(
        "iot", endpoint_url=server.http_url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def rule_payload(sql, topic):
    return {"sql": sql, "awsIotSqlVersion": "2016-03-23", "ruleDisabled": False,
            "actions": [{"republish": {"topic": topic, "roleArn": "arn:aws:iam::000000000000:role/r", "qos": 1}}]}


def test_rule_filters_reshapes_and_republishes(serve):
    server = serve("--memory")
    client = iot(server)
    sql = "SELECT temp, topic(2) AS device FROM 'sensors/+/telemetry' WHERE temp > 30"
    client.create_topic_rule(ruleName="hot", topicRulePayload=rule_payload(sql, "alerts/${topic(2)}"))
    assert client.get_topic_rule(ruleName="hot")["rule"]["sql"] == sql
    assert [r["ruleName"] for r in client.list_topic_rules(topic="sensors/+/telemetry")["rules"]] == ["hot"]
    watcher = Client(server.mqtt_port, "watcher")
    watcher.subscribe("alerts/#", qos=1)
    # A rule written through this server applies to the very next message: no wait.
    for temp in (29, 31):
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(server.mqtt_port), "-q", "1",
                        "-t", "sensors/kitchen/telemetry", "-m", json.dumps({"temp": temp, "hum": 40})],
                       check=True, timeout=10)
    msg = watcher.expect()
    assert msg.topic == "alerts/kitchen"
    assert json.loads(msg.payload) == {"temp": 31, "device": "kitchen"}
    watcher.expect_none(1.0)

    client.disable_topic_rule(ruleName="hot")
    Client(server.mqtt_port, "pub").publish("sensors/kitchen/telemetry", json.dumps({"temp": 40}).encode(), qos=1)
    watcher.expect_none(1.0)
    server.stop()


def test_bad_sql_is_refused_with_its_position(serve):
    server = serve("--memory")
    client = iot(server)
    with pytest.raises(client.exceptions.SqlParseException) as refused:
        client.create_topic_rule(ruleName="broken", topicRulePayload=rule_payload("SELECT FROM WHERE", "x"))
    assert "line 1" in str(refused.value)
    with pytest.raises(client.exceptions.UnauthorizedException):
        client.get_topic_rule(ruleName="broken")
    server.stop()


def test_aws_cli_creates_and_lists_rules(serve, tmp_path):
    server = serve("--memory")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    aws = [str(ROOT / ".venv" / "bin" / "aws"), "iot", "--endpoint-url", server.http_url]
    payload = json.dumps(rule_payload("SELECT * FROM 'a/#'", "b/${topic()}"))
    done = subprocess.run(aws + ["create-topic-rule", "--rule-name", "cli_rule", "--topic-rule-payload", payload],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run(aws + ["list-topic-rules"], capture_output=True, text=True, env=env, timeout=60)
    assert json.loads(listed.stdout)["rules"][0]["ruleName"] == "cli_rule"
    server.stop()
