"""The http and lambda rule actions end to end: `thingcore serve`, fed by mosquitto_pub, POSTs
rule output to a local HTTP receiver and invokes functions on a small Invoke-API server (both
written here; AWS_ENDPOINT_URL_LAMBDA points the shim's Lambda client at it, as it would any AWS
SDK). A 404 from the receiver and an unknown function reach the rule's errorAction with AWS's
messages.

The http action follows AWS's destination protocol: creating the rule creates its topic rule
destination, which POSTs a confirmation request to the receiver; nothing is delivered until the
destination is confirmed (ConfirmTopicRuleDestination, or a GET on the request's enableUrl),
and nothing once it is DISABLED: those messages reach the errorAction instead."""

import base64
import json
import os
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ROOT
from mqtt_client import Client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROLE = "arn:aws:iam::000000000000:role/r"
SQL = "SELECT temp, topic(2) AS device FROM 'sensors/+/telemetry' WHERE temp > 30"
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}
FUNCTIONS = {"ingest"}
INVOKE = "/2015-03-31/functions/"


class Receiver(BaseHTTPRequestHandler):
    """Confirmation requests answer 200; POST /missing... answers 404; Invoke-API paths act as
    Lambda; anything else 200."""

    seen = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        path = urllib.parse.unquote(self.path)
        Receiver.seen.append({"path": path, "headers": {k.lower(): v for k, v in self.headers.items()},
                              "body": body})
        if self.headers.get("x-amz-rules-engine-message-type") == "DestinationConfirmation":
            self.answer(200, b"")
        elif path.startswith(INVOKE):
            name = path[len(INVOKE):].split("/")[0].split(":function:")[-1].split(":")[0]
            if name in FUNCTIONS:
                self.answer(202, b"")
            else:
                message = {"Type": "User", "message": f"Function not found: {name}"}
                self.answer(404, json.dumps(message).encode(), {"x-amzn-errortype": "ResourceNotFoundException"})
        elif path.startswith("/missing"):
            self.answer(404, b"")
        else:
            self.answer(200, b"")

    def answer(self, status, body, headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def start(serve, receiver):
    env = {"AWS_ENDPOINT_URL_LAMBDA": receiver, "AWS_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    server = serve("--memory", env=env)
    iot = boto3.client("iot", endpoint_url=server.http_url, config=Config(retries={"max_attempts": 1}),
                       **CREDENTIALS)
    return server, iot


def publish(server, topic, payload):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(server.mqtt_port), "-q", "1",
                    "-t", topic, "-m", json.dumps(payload)], check=True, timeout=10)


def confirmations():
    return [s for s in Receiver.seen
            if s["headers"].get("x-amz-rules-engine-message-type") == "DestinationConfirmation"]


def wait_for(predicate, wait=10.0):
    deadline = time.time() + wait
    while time.time() < deadline:
        found = [s for s in Receiver.seen if predicate(s)]
        if found:
            return found
        time.sleep(0.1)
    return []


def test_http_and_lambda_actions_deliver_once_the_destination_is_confirmed(serve, receiver):
    server, iot = start(serve, receiver)
    arn = "arn:aws:lambda:us-east-1:000000000000:function:ingest"
    # GIVEN a rule whose http URL has a template, so it names its confirmationUrl
    iot.create_topic_rule(ruleName="hot_out", topicRulePayload={
        "sql": SQL, "awsIotSqlVersion": "2016-03-23", "ruleDisabled": False,
        "actions": [{"http": {"url": receiver + "/in/${topic(2)}", "confirmationUrl": receiver + "/in/",
                              "headers": [{"key": "x-device", "value": "${topic(2)}"}]}},
                    {"lambda": {"functionArn": arn}}],
        "errorAction": {"republish": {"topic": "errors/rules", "roleArn": ROLE, "qos": 1}}})
    # THEN the receiver got AWS's confirmation request
    [confirmation] = confirmations()
    body = json.loads(confirmation["body"])
    token = body["confirmationToken"]
    assert confirmation["path"] == f"/in/?confirmationToken={token}"
    assert confirmation["headers"]["content-type"] == "application/json"
    destination_arn = confirmation["headers"]["x-amz-rules-engine-destination-arn"]
    assert destination_arn.startswith("arn:aws:iot:us-east-1:000000000000:ruledestination/http/")
    assert body == {"arn": destination_arn, "confirmationToken": token, "messageType": "DestinationConfirmation",
                    "enableUrl": f"{server.http_url}/confirmdestination/{token}"}
    got = iot.get_topic_rule_destination(arn=destination_arn)["topicRuleDestination"]
    assert got["status"] == "IN_PROGRESS"
    assert got["httpUrlProperties"] == {"confirmationUrl": receiver + "/in/"}

    watcher = Client(server.mqtt_port, "watcher")
    watcher.subscribe("errors/#", qos=1)
    # A rule written through this server applies to the very next message: no wait.
    # WHEN a message comes before the confirmation THEN it reaches the errorAction, not the receiver
    publish(server, "sensors/kitchen/telemetry", {"temp": 35})
    error = json.loads(watcher.expect(timeout=15).payload)
    [failure] = error["failures"]
    assert failure["failedAction"] == "HttpAction"
    assert "IN_PROGRESS, not ENABLED" in failure["errorMessage"], failure
    assert not [s for s in Receiver.seen if s["path"].startswith("/in/kitchen")]

    # A token that is not the destination's is refused.
    with pytest.raises(ClientError) as refused:
        iot.confirm_topic_rule_destination(confirmationToken=token[:-4] + "abcd")
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
    iot.confirm_topic_rule_destination(confirmationToken=token)
    assert iot.get_topic_rule_destination(arn=destination_arn)["topicRuleDestination"]["status"] == "ENABLED"

    # WHEN confirmed THEN messages reach the receiver
    Receiver.seen = []
    publish(server, "sensors/kitchen/telemetry", {"temp": 29})
    publish(server, "sensors/kitchen/telemetry", {"temp": 31})
    [post] = wait_for(lambda s: s["path"].startswith("/in/kitchen"))
    assert post["path"] == "/in/kitchen"
    assert post["headers"]["x-device"] == "kitchen"
    assert post["headers"]["content-type"] == "application/json"
    assert json.loads(post["body"]) == {"temp": 31, "device": "kitchen"}
    [invoke] = wait_for(lambda s: s["path"].startswith(INVOKE))
    assert invoke["path"] == f"{INVOKE}{arn}/invocations"
    assert invoke["headers"]["x-amz-invocation-type"] == "Event"
    assert json.loads(invoke["body"]) == {"temp": 31, "device": "kitchen"}

    # WHEN the destination is DISABLED THEN delivery stops (the errorAction hears of it)
    iot.update_topic_rule_destination(arn=destination_arn, status="DISABLED")
    Receiver.seen = []
    publish(server, "sensors/kitchen/telemetry", {"temp": 40})
    error = json.loads(watcher.expect(timeout=15).payload)
    assert "DISABLED, not ENABLED" in error["failures"][0]["errorMessage"], error
    assert not wait_for(lambda s: s["path"].startswith("/in/kitchen"), wait=1.0)

    # The AWS CLI lists the destination.
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}
    listed = subprocess.run([str(ROOT / ".venv" / "bin" / "aws"), "iot", "--endpoint-url", server.http_url,
                             "list-topic-rule-destinations"], capture_output=True, text=True, env=env, timeout=60)
    assert listed.returncode == 0, listed.stderr
    [summary] = json.loads(listed.stdout)["destinationSummaries"]
    assert (summary["arn"], summary["status"]) == (destination_arn, "DISABLED")
    assert summary["httpUrlSummary"] == {"confirmationUrl": receiver + "/in/"}
    server.stop()


def test_refusals_go_to_the_error_action(serve, receiver):
    server, iot = start(serve, receiver)
    missing_fn = "arn:aws:lambda:us-east-1:000000000000:function:nope"
    iot.create_topic_rule(ruleName="refused", topicRulePayload={
        "sql": SQL, "awsIotSqlVersion": "2016-03-23", "ruleDisabled": False,
        "actions": [{"http": {"url": receiver + "/missing"}}, {"lambda": {"functionArn": missing_fn}}],
        "errorAction": {"republish": {"topic": "errors/rules", "roleArn": ROLE, "qos": 1}}})
    # The URL has no template: its destination is the URL itself; a GET on enableUrl confirms it.
    [confirmation] = confirmations()
    assert confirmation["path"].startswith("/missing/?confirmationToken=")
    with urllib.request.urlopen(json.loads(confirmation["body"])["enableUrl"], timeout=10) as answer:
        assert answer.status == 200
    watcher = Client(server.mqtt_port, "watcher")
    watcher.subscribe("errors/#", qos=1)
    publish(server, "sensors/attic/telemetry", {"temp": 45})

    error = json.loads(watcher.expect(timeout=15).payload)
    assert error["ruleName"] == "refused"
    assert json.loads(base64.b64decode(error["base64OriginalPayload"])) == {"temp": 45}
    failures = {f["failedAction"]: f for f in error["failures"]}
    assert set(failures) == {"HttpAction", "LambdaAction"}
    assert failures["HttpAction"]["errorMessage"].startswith(
        "HttpAction failed to make a request to the specified endpoint. StatusCode: 404."), failures
    assert failures["LambdaAction"]["failedResource"] == missing_fn
    assert "ResourceNotFoundException" in failures["LambdaAction"]["errorMessage"], failures
    # The broker keeps running: the next message is evaluated too.
    publish(server, "sensors/attic/telemetry", {"temp": 46})
    assert json.loads(watcher.expect(timeout=15).payload)["ruleName"] == "refused"
    server.stop()
