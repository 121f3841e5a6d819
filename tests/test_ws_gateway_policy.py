"""The same doors on both hosts: a device authenticated by the same custom authorizer (the
in-process JWT authorizer, a token carrying its own IoT policy) is refused the same topics over
MQTT 5 (paho-mqtt) and over the WebSocket gateway at `/ws` (websocket-client, speaking the
gateway's JSON frames), for the same reason — a reserved topic first, then the policy — and
receives only what `iot:Receive` allows. One table of topics, two hosts."""

import base64
import hashlib
import hmac
import json
import queue
import threading
import time

import boto3
import paho.mqtt.client as paho
import pytest
import websocket
from botocore.config import Config
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mqtt_client import TIMEOUT, Client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SECRET = "s3cret-for-gateway-tests"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:thingcore-authorizer"

# Subscribe to any `dev/...` filter; publish and receive only the device's own topics.
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:*:*:client/dev1"},
        {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
         "Resource": ["arn:aws:iot:*:*:topic/dev/dev1/*",
                      "arn:aws:iot:*:*:topic/$aws/things/dev1/shadow/*",
                      "arn:aws:iot:*:*:topic/$aws/rules/*"]},
        {"Effect": "Allow", "Action": "iot:Subscribe",
         "Resource": ["arn:aws:iot:*:*:topicfilter/dev/*",
                      "arn:aws:iot:*:*:topicfilter/$aws/things/dev1/shadow/*",
                      "arn:aws:iot:*:*:topicfilter/$aws/rules/*"]},
    ],
}

# (door, topic, expected outcome on both hosts)
TABLE = [
    ("subscribe", "dev/dev1/#", "allowed"),
    ("subscribe", "dev/+/t", "allowed"),
    ("subscribe", "#", "not authorized"),
    ("subscribe", "other/#", "not authorized"),
    ("subscribe", "$aws/things/dev2/shadow/#", "not authorized"),
    ("subscribe", "$aws/things/dev1/shadow/update/accepted", "allowed"),
    ("subscribe", "$aws/rules/r1/#", "reserved"),
    ("subscribe", "$aws/rules/#", "reserved"),
    ("publish", "dev/dev1/t", "allowed"),
    ("publish", "dev/dev2/t", "not authorized"),
    ("publish", "$aws/things/dev2/shadow/update", "not authorized"),
    ("publish", "$aws/things/dev1/shadow/get", "allowed"),
    ("publish", "$aws/things/dev1/shadow/update/accepted", "reserved"),
    ("publish", "$aws/things/dev1/shadow/update/delta", "reserved"),
    ("publish", "$aws/events/presence/connected/dev1", "reserved"),
    ("publish", "$aws/rules/r1/x", "allowed"),
]

SUBACK = {0x87: "not authorized", 0x8F: "reserved"}
PUBACK = {0x87: "not authorized", 0x90: "reserved"}
FRAME = {"NotAuthorized": "not authorized", "ReservedTopic": "reserved"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(sub, policy=None):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": sub, "exp": int(time.time()) + 3600}
    if policy is not None:
        claims["iot_policy"] = policy
    body = b64url(json.dumps(claims).encode())
    signature = hmac.new(SECRET.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(signature)}"


@pytest.fixture(scope="module")
def server(request):
    from conftest import Thingcore

    server = Thingcore(["--memory", "--http-addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0",
                        "--tls-addr", "127.0.0.1:0"],
                       env={"THINGCORE_JWT_SECRET": SECRET})
    iot = boto3.client("iot", endpoint_url=server.http_url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test",
                       config=Config(retries={"max_attempts": 1}))
    iot.create_authorizer(authorizerName="jwt", authorizerFunctionArn=FUNCTION,
                          signingDisabled=True, status="ACTIVE")
    yield server
    server.stop()


class Gateway:
    """A `/ws` client: JSON frames in, JSON frames out, on its own reader thread."""

    def __init__(self, server, token, client_id="dev1"):
        url = f"ws://127.0.0.1:{server.http_port}/ws?clientId={client_id}"
        self.ws = websocket.create_connection(url, timeout=TIMEOUT, header={
            "x-amz-customauthorizer-name": "jwt", "Authorization": f"Bearer {token}"})
        self.frames = queue.Queue()
        self.delivered = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while True:
                text = self.ws.recv()
                if not text:
                    return
                self.frames.put(json.loads(text))
        except (websocket.WebSocketException, OSError):
            return

    def ask(self, frame):
        """Sends `frame` and returns its reply; deliveries that arrive meanwhile are kept."""
        self.ws.send(json.dumps(frame))
        while True:
            reply = self.frames.get(timeout=TIMEOUT)
            if reply.get("action") != "message":
                return reply
            self.delivered.append(reply)

    def messages(self, wait=0.5):
        """Every delivery so far and until `wait` seconds pass without one."""
        found, self.delivered = self.delivered, []
        try:
            while True:
                found.append(self.frames.get(timeout=wait))
        except queue.Empty:
            return found

    def close(self):
        self.ws.close()


def puback_code(client, topic):
    """Publishes at QoS 1 and returns the PUBACK's reason code."""
    codes = queue.Queue()
    client.client.on_publish = lambda c, u, mid, rc, props: codes.put(rc.value if hasattr(rc, "value") else rc)
    client.client.publish(topic, b"x", qos=1)
    return codes.get(timeout=TIMEOUT)


def test_one_table_two_hosts(server):
    token = jwt("dev1", POLICY)
    mqtt = Client(server.mqtt_port, client_id="dev1",
                  user=("dev1?x-amz-customauthorizer-name=jwt", token))
    assert mqtt.connack[1].value == 0
    ws = Gateway(server, token)
    try:
        for door, topic, expected in TABLE:
            if door == "subscribe":
                code = mqtt.subscribe(topic, qos=1)[0]
                over_mqtt = "allowed" if code in (0, 1) else SUBACK.get(code, hex(code))
                reply = ws.ask({"action": "subscribe", "topic": topic, "qos": 1})
            else:
                code = puback_code(mqtt, topic)
                over_mqtt = "allowed" if code in (0, 0x10) else PUBACK.get(code, hex(code))
                reply = ws.ask({"action": "publish", "topic": topic, "qos": 1, "payload": "x"})
            over_ws = FRAME.get(reply.get("code"), reply.get("code")) if reply["action"] == "error" \
                else "allowed"
            assert (over_mqtt, over_ws) == (expected, expected), f"{door} {topic}: {reply}"
    finally:
        mqtt.disconnect()
        ws.close()


def test_both_hosts_deliver_only_what_the_policy_lets_them_receive(server):
    token = jwt("dev1", POLICY)
    mqtt = Client(server.mqtt_port, client_id="dev1",
                  user=("dev1?x-amz-customauthorizer-name=jwt", token))
    ws = Gateway(server, token)
    publisher = Client(server.mqtt_port, client_id="operator")
    try:
        assert mqtt.subscribe("dev/+/t", qos=1) == [1]
        assert ws.ask({"action": "subscribe", "topic": "dev/+/t", "qos": 1})["action"] == "subscribed"
        publisher.publish("dev/dev2/t", b"not yours", qos=1)
        publisher.publish("dev/dev1/t", b"yours", qos=1)
        assert mqtt.expect().payload == b"yours"
        mqtt.expect_none()
        got = ws.messages()
        assert [(f["topic"], f["payload"]) for f in got] == [("dev/dev1/t", "yours")], got
        # Basic Ingest reaches its rule only: a wildcard over $aws/ that covers it sees nothing.
        watcher = Client(server.mqtt_port, client_id="watcher")
        assert watcher.subscribe("$aws/+/r1/#") == [0]
        publisher.publish("$aws/rules/r1/x", b"ingest", qos=1)
        watcher.expect_none()
        watcher.disconnect()
    finally:
        mqtt.disconnect()
        ws.close()
        publisher.disconnect()


def test_ws_connections_the_policy_refuses_get_403(server):
    token = jwt("dev1", POLICY)
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        Gateway(server, token, client_id="dev2")
    assert info.value.status_code == 403
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        url = f"ws://127.0.0.1:{server.http_port}/ws"
        websocket.create_connection(url, timeout=TIMEOUT, header={
            "x-amz-customauthorizer-name": "jwt", "Authorization": "Bearer not-a-token"})
    assert info.value.status_code == 401
