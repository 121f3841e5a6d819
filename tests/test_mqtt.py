"""The broker through clients no one here wrote: paho-mqtt (3.1.1 and 5, TCP and WebSocket),
mosquitto_pub/mosquitto_sub, boto3's iot-data, and raw sockets for bad input."""

import json
import shutil
import socket
import struct
import subprocess
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from mqtt_client import Client
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def broker(serve):
    server = serve("--memory")
    yield server
    server.stop()


def iot_data(server):
    return boto3.client(
        "iot-data",
        endpoint_url=server.http_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.mark.parametrize("version", [3, 5])
@pytest.mark.parametrize("transport", ["tcp", "websockets"])
def test_every_qos_round_trips(broker, version, transport):
    port = broker.mqtt_port if transport == "tcp" else broker.http_port
    sub = Client(port, "sub", version=version, transport=transport)
    pub = Client(port, "pub", version=version, transport=transport)
    assert sub.subscribe("dev/+/data", qos=2) == [2]
    for qos in (0, 1, 2):
        pub.publish("dev/1/data", f"q{qos}".encode(), qos=qos)
        msg = sub.expect()
        assert (msg.topic, msg.payload, msg.qos) == ("dev/1/data", f"q{qos}".encode(), qos)
    sub.disconnect()
    pub.disconnect()


def test_subscription_qos_caps_delivery(broker):
    sub = Client(broker.mqtt_port, "sub")
    pub = Client(broker.mqtt_port, "pub")
    sub.subscribe("t", qos=1)
    pub.publish("t", b"x", qos=2)
    assert sub.expect().qos == 1


def test_mosquitto_clients_and_http_publish_reach_a_v5_subscriber(broker):
    sub = subprocess.Popen(
        ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.mqtt_port), "-t", "a/#", "-V", "mqttv5", "-v", "-C", "2", "-W", "10"],
        stdout=subprocess.PIPE, text=True,
    )
    time.sleep(0.5)
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.mqtt_port), "-t", "a/b", "-m", "from-mosquitto", "-q", "1"], check=True, timeout=10)
    req = urllib.request.Request(broker.http_url + "/topics/a%2Fhttp?qos=1", data=b"from-http", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
    out, _ = sub.communicate(timeout=15)
    assert out.splitlines() == ["a/b from-mosquitto", "a/http from-http"]


def test_boto3_publish_with_mqtt5_properties(broker):
    sub = Client(broker.mqtt_port, "sub")
    sub.subscribe("cmd/#", qos=1)
    iot_data(broker).publish(
        topic="cmd/1", qos=1, payload=b'{"on":true}', contentType="application/json",
        responseTopic="replies/1", userProperties='[{"deviceName":"alpha"}]',
        payloadFormatIndicator="UTF8_DATA", correlationData="cmVxLTE=",
    )
    msg = sub.expect()
    assert msg.payload == b'{"on":true}'
    assert msg.properties.ContentType == "application/json"
    assert msg.properties.ResponseTopic == "replies/1"
    assert msg.properties.UserProperty == [("deviceName", "alpha")]
    assert msg.properties.CorrelationData == b"req-1"


def test_http_publish_errors_are_aws_errors(broker):
    client = iot_data(broker)
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.publish(topic="a/+", payload=b"x")
    with pytest.raises(Exception) as too_big:
        client.publish(topic="a", payload=b"x" * (128 * 1024 + 1))
    assert "RequestEntityTooLarge" in str(too_big.value) or "413" in str(too_big.value)


def test_retained_messages_are_kept_listed_and_cleared(broker):
    pub = Client(broker.mqtt_port, "pub", version=3)
    pub.publish("status/1", b"online", qos=1, retain=True)
    pub.publish("status/2", b"first", qos=0, retain=True)
    pub.publish("status/2", b"second", qos=1, retain=True)
    sub = Client(broker.mqtt_port, "sub", version=3)
    sub.subscribe("status/+", qos=1)
    got = sorted((m.topic, m.payload, m.retain) for m in (sub.expect(), sub.expect()))
    assert got == [("status/1", b"online", True), ("status/2", b"second", True)]

    client = iot_data(broker)
    listed = client.list_retained_messages()["retainedTopics"]
    assert sorted((t["topic"], t["payloadSize"], t["qos"]) for t in listed) == [("status/1", 6, 1), ("status/2", 6, 1)]
    page = client.list_retained_messages(maxResults=1)
    assert len(page["retainedTopics"]) == 1 and "nextToken" in page
    rest = client.list_retained_messages(maxResults=1, nextToken=page["nextToken"])
    assert rest["retainedTopics"][0]["topic"] == "status/2"
    one = client.get_retained_message(topic="status/1")
    assert (one["topic"], one["payload"], one["qos"]) == ("status/1", b"online", 1)

    pub.publish("status/1", b"", qos=1, retain=True)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_retained_message(topic="status/1")
    late = Client(broker.mqtt_port, "late")
    late.subscribe("status/1")
    late.expect_none()


@pytest.mark.parametrize("version", [3, 5])
def test_will_is_published_when_a_client_vanishes(broker, version):
    watcher = Client(broker.mqtt_port, "watcher")
    watcher.subscribe("wills/#", qos=1)
    dev = Client(broker.mqtt_port, "dev", version=version, will=("wills/dev", b"dev lost", 1))
    dev.drop()
    msg = watcher.expect()
    assert (msg.topic, msg.payload) == ("wills/dev", b"dev lost")
    polite = Client(broker.mqtt_port, "polite", version=version, will=("wills/polite", b"never", 1))
    polite.disconnect()
    watcher.expect_none(1.0)


def test_shared_subscriptions_spread_messages(broker):
    workers = [Client(broker.mqtt_port, f"w{i}") for i in range(2)]
    for w in workers:
        assert w.subscribe("$share/pool/jobs/+", qos=1) == [1]
    pub = Client(broker.mqtt_port, "pub")
    for i in range(10):
        pub.publish(f"jobs/{i}", str(i).encode(), qos=1)
    counts = []
    for w in workers:
        n = 0
        while True:
            try:
                w.messages.get(timeout=1.0)
                n += 1
            except Exception:
                break
        counts.append(n)
    assert sum(counts) == 10
    assert all(c > 0 for c in counts), counts


def test_topic_aliases_both_ways(broker):
    sub = Client(broker.mqtt_port, "sub", topic_alias_maximum=4)
    sub.subscribe("aliased/#")
    pub = Client(broker.mqtt_port, "pub")
    props = Properties(PacketTypes.PUBLISH)
    props.TopicAlias = 1
    pub.publish("aliased/long/topic/name", b"one", properties=props)
    # paho sends the alias alone the second time; the broker resolves it.
    pub.publish("aliased/long/topic/name", b"two", properties=props)
    first, second = sub.expect(), sub.expect()
    # Toward the subscriber, which accepts 4 aliases, the broker sets alias 1 with the first
    # message and sends the alias alone afterwards (paho hands such messages over unresolved).
    assert (first.topic, first.payload, first.properties.TopicAlias) == ("aliased/long/topic/name", b"one", 1)
    assert (second.topic, second.payload, second.properties.TopicAlias) == ("", b"two", 1)
    plain = Client(broker.mqtt_port, "plain")
    plain.subscribe("aliased/#")
    pub.publish("aliased/long/topic/name", b"three", properties=props)
    msg = plain.expect()
    assert (msg.topic, msg.payload) == ("aliased/long/topic/name", b"three"), "no aliases for clients that accept none"


def test_a_second_connection_takes_over_the_client_id(broker):
    first = Client(broker.mqtt_port, "same")
    second = Client(broker.mqtt_port, "same")
    assert first.disconnected.wait(10)
    assert first.disconnect_reason.value == 0x8E
    assert second.connected.is_set()


def test_dollar_topics_are_not_matched_by_hash(broker):
    sub = Client(broker.mqtt_port, "sub")
    sub.subscribe("#")
    Client(broker.mqtt_port, "other").disconnect()
    # Lifecycle events go to $aws/events/..., which '#' must not see.
    sub.expect_none(1.0)


def next_event_of(watcher, client_id):
    while True:
        event = json.loads(watcher.expect().payload)
        if event["clientId"] == client_id:
            return event


def test_lifecycle_events(broker):
    watcher = Client(broker.mqtt_port, "watcher")
    watcher.subscribe("$aws/events/#")
    dev = Client(broker.mqtt_port, "dev-1")
    connected = next_event_of(watcher, "dev-1")
    assert connected["eventType"] == "connected" and connected["clientId"] == "dev-1"
    assert {"timestamp", "sessionIdentifier", "principalIdentifier", "ipAddress", "versionNumber"} <= connected.keys()
    dev.subscribe("x/y")
    subscribed = next_event_of(watcher, "dev-1")
    assert subscribed["eventType"] == "subscribed" and subscribed["topics"] == ["x/y"]
    dev.drop()
    disconnected = next_event_of(watcher, "dev-1")
    assert disconnected["eventType"] == "disconnected"
    assert disconnected["disconnectReason"] == "CONNECTION_LOST"
    assert disconnected["clientInitiatedDisconnect"] is False


def test_persistent_session_survives_a_server_restart(serve, tmp_path):
    data = str(tmp_path / "data")
    server = serve("--data-dir", data)
    dev = Client(server.mqtt_port, "device-7", version=3, clean=False)
    assert dev.subscribe("cmd/device-7", qos=1) == [1]
    dev.disconnect()
    app = Client(server.mqtt_port, "app")
    app.publish("cmd/device-7", b"reboot", qos=1)
    app.publish("retained/x", b"kept", qos=1, retain=True)
    app.disconnect()
    code, _, err = server.stop()
    assert code == 0, err

    again = serve("--data-dir", data)
    assert again.banner["restored"].startswith("1 sessions and 1 retained")
    dev = Client(again.mqtt_port, "device-7", version=3, clean=False)
    assert dev.session_present
    msg = dev.expect()
    assert (msg.topic, msg.payload, msg.qos) == ("cmd/device-7", b"reboot", 1)
    app = Client(again.mqtt_port, "app2")
    app.publish("cmd/device-7", b"still subscribed", qos=1)
    assert dev.expect().payload == b"still subscribed"
    watcher = Client(again.mqtt_port, "watcher")
    watcher.subscribe("retained/#")
    assert watcher.expect().payload == b"kept"


def raw_connect(port, payload):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(payload)
    return s


def read_until_closed(s, limit=5.0):
    s.settimeout(limit)
    data = b""
    while True:
        try:
            chunk = s.recv(4096)
        except (socket.timeout, ConnectionResetError):
            return data, False
        if not chunk:
            return data, True
        data += chunk


V311_CONNECT = bytes([0x10, 0x0E, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 2]) + b"rw"
V5_CONNECT = bytes([0x10, 0x0F, 0, 4]) + b"MQTT" + bytes([5, 2, 0, 60, 0, 0, 2]) + b"r5"


def test_garbage_first_packet_is_dropped_and_others_unaffected(broker):
    bystander = Client(broker.mqtt_port, "bystander")
    bystander.subscribe("ok")
    for junk in [b"\x00\x00", b"GET / HTTP/1.1\r\n\r\n", bytes([0x30, 0x02, 0, 0]), b"\xff" * 10]:
        s = raw_connect(broker.mqtt_port, junk)
        _, closed = read_until_closed(s)
        assert closed, junk
        s.close()
    Client(broker.mqtt_port, "pub").publish("ok", b"still fine")
    assert bystander.expect().payload == b"still fine"


def test_a_second_connect_closes_the_connection(broker):
    # MQTT 3.1.1 §3.1.0-2: the server closes the network connection; 5 §3.1.0-2 sends
    # DISCONNECT 0x82 (protocol error) first.
    s = raw_connect(broker.mqtt_port, V311_CONNECT)
    assert s.recv(4) == bytes([0x20, 0x02, 0, 0])
    s.sendall(V311_CONNECT)
    data, closed = read_until_closed(s)
    assert (data, closed) == (b"", True)
    s = raw_connect(broker.mqtt_port, V5_CONNECT)
    connack = s.recv(64)
    assert connack[:4] == bytes([0x20, connack[1], 0, 0])
    s.sendall(V5_CONNECT)
    data, closed = read_until_closed(s)
    assert (data, closed) == (bytes([0xE0, 0x01, 0x82]), True)


def read_exactly(s, n, limit=5.0):
    s.settimeout(limit)
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_packets_sent_with_connect_are_not_held_back(broker):
    # A client may send SUBSCRIBE and PUBLISH without waiting for CONNACK (MQTT 3.1.1
    # §3.1.4): whatever arrived in the same read as CONNECT is handled at once, not after
    # the client's next packet (for a quiet client, its next PINGREQ).
    topic = b"pipelined/t"
    subscribe = bytes([0x82, 2 + 2 + len(topic) + 1]) + struct.pack(">H", 7) \
        + struct.pack(">H", len(topic)) + topic + b"\x01"
    publish = bytes([0x32, 2 + len(topic) + 2 + 2]) + struct.pack(">H", len(topic)) + topic \
        + struct.pack(">H", 9) + b"hi"
    connect = bytes([0x10, 0x0E, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 2]) + b"pl"
    s = raw_connect(broker.mqtt_port, connect + subscribe + publish)
    assert read_exactly(s, 4) == bytes([0x20, 0x02, 0, 0])
    assert read_exactly(s, 5) == bytes([0x90, 0x03, 0, 7, 1])
    # The PUBACK and the subscriber's own copy of the message, in either order.
    puback = bytes([0x40, 0x02, 0, 9])
    delivery_length = 2 + 2 + len(topic) + 2 + 2
    rest = read_exactly(s, len(puback) + delivery_length)
    assert puback in rest, rest
    delivery = rest.replace(puback, b"", 1)
    assert delivery[:2 + 2 + len(topic)] == bytes([0x32, delivery_length - 2]) + struct.pack(">H", len(topic)) + topic
    assert delivery.endswith(b"hi"), rest


def test_a_huge_remaining_length_claim_is_refused_at_once(broker):
    s = raw_connect(broker.mqtt_port, V311_CONNECT)
    assert s.recv(4) == bytes([0x20, 0x02, 0, 0])
    s.sendall(bytes([0x30, 0xFF, 0xFF, 0xFF, 0x7F]))  # PUBLISH claiming 256 MiB
    _, closed = read_until_closed(s)
    assert closed


def test_unsupported_protocol_level_gets_its_connack(broker):
    s = raw_connect(broker.mqtt_port, bytes([0x10, 0x0E, 0, 4]) + b"MQTT" + bytes([9, 2, 0, 60, 0, 2]) + b"xx")
    data, closed = read_until_closed(s)
    assert data == bytes([0x20, 0x02, 0, 0x01]) and closed


def test_v5_publish_to_a_wildcard_topic_is_disconnected_with_0x90(broker):
    s = raw_connect(broker.mqtt_port, V5_CONNECT)
    s.settimeout(5)
    connack = s.recv(64)
    assert connack[0] == 0x20 and connack[3] == 0
    topic = b"a/+"
    s.sendall(bytes([0x30, 2 + len(topic) + 1 + 1]) + struct.pack(">H", len(topic)) + topic + b"\x00" + b"x")
    data, closed = read_until_closed(s)
    assert closed
    assert data[:1] == b"\xe0" and 0x90 in data[2:4], data


def test_v5_malformed_packet_gets_disconnect_0x81(broker):
    s = raw_connect(broker.mqtt_port, V5_CONNECT)
    s.settimeout(5)
    s.recv(64)
    s.sendall(bytes([0x32, 0x02, 0x00, 0x05]))  # QoS 1 PUBLISH cut short: topic length 5, no topic
    data, closed = read_until_closed(s)
    assert closed
    assert data[:1] == b"\xe0" and data[2] == 0x81, data


def test_mosquitto_binaries_are_installed():
    assert shutil.which("mosquitto_pub") and shutil.which("mosquitto_sub")


def read_exactly(s, n, limit=5.0):
    s.settimeout(limit)
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        assert chunk, f"closed after {data!r}"
        data += chunk
    return data


def test_a_stuck_qos1_subscriber_slows_no_one(broker):
    """A subscriber that stops reading (as a frozen process does) fills only its own queue:
    the publisher keeps getting PUBACKs and a healthy subscriber gets every message."""
    stuck = raw_connect(broker.mqtt_port, bytes([0x10, 0x11, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 5]) + b"stuck")
    assert read_exactly(stuck, 4)[:2] == bytes([0x20, 2])
    stuck.sendall(bytes([0x82, 10, 0, 1, 0, 5]) + b"hol/t" + bytes([1]))
    assert read_exactly(stuck, 5) == bytes([0x90, 3, 0, 1, 1])  # SUBACK, QoS 1 granted
    # From here on "stuck" reads nothing and acknowledges nothing.
    healthy = Client(broker.mqtt_port, "healthy", version=3)
    assert healthy.subscribe("hol/t", qos=1) == [1]
    publisher = Client(broker.mqtt_port, "publisher", version=3)
    count = 1500  # beyond the stuck one's window (100) and its queue (1000)
    for i in range(count):
        publisher.publish("hol/t", str(i).encode(), qos=1)  # waits for each PUBACK
    received = {healthy.expect().payload for _ in range(count)}
    assert received == {str(i).encode() for i in range(count)}
    stuck.close()
