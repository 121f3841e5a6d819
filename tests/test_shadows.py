"""The Device Shadow service through the AWS CLI, boto3's iot-data and paho-mqtt, on the
embedded store, in memory and on DynamoDB (moto)."""

import json
import os
import subprocess
import threading

import boto3
import pytest
from botocore.config import Config
from conftest import ROOT
from mqtt_client import Client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def broker(serve):
    server = serve("--memory")
    yield server
    server.stop()


def iot_data(server):
    return boto3.client(
        "iot-data", endpoint_url=server.http_url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def doc(response):
    return json.loads(response["payload"].read())


def test_aws_cli_update_reaches_a_delta_subscriber(broker, tmp_path):
    device = Client(broker.mqtt_port, "t1-device")
    device.subscribe("$aws/things/t1/shadow/update/delta", qos=1)
    out = tmp_path / "out.json"
    # PyPI carries AWS CLI v1, which sends blobs raw without v2's `--cli-binary-format
    # raw-in-base64-out`; the request on the wire is the same.
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "aws"), "iot-data", "update-thing-shadow", "--endpoint-url", broker.http_url,
         "--thing-name", "t1",
         "--payload", '{"state":{"desired":{"on":true}}}', str(out)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    accepted = json.loads(out.read_text())
    assert accepted["state"] == {"desired": {"on": True}} and accepted["version"] == 1
    delta = json.loads(device.expect().payload)
    assert delta["state"] == {"on": True}
    assert delta["version"] == 1


def test_boto3_get_update_delete_and_errors(broker):
    client = iot_data(broker)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_thing_shadow(thingName="lamp")
    first = doc(client.update_thing_shadow(thingName="lamp", payload=b'{"state":{"desired":{"color":"red","level":3}}}'))
    assert first["version"] == 1
    client.update_thing_shadow(thingName="lamp", payload=b'{"state":{"reported":{"color":"red","level":1}}}')
    got = doc(client.get_thing_shadow(thingName="lamp"))
    assert got["state"]["delta"] == {"level": 3}
    assert got["version"] == 2
    assert set(got["metadata"]["desired"]) == {"color", "level"}
    with pytest.raises(client.exceptions.ConflictException):
        client.update_thing_shadow(thingName="lamp", payload=b'{"state":{"desired":{"level":4}},"version":1}')
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.update_thing_shadow(thingName="lamp", payload=b"not json")
    with pytest.raises(client.exceptions.RequestEntityTooLargeException):
        client.update_thing_shadow(thingName="lamp", payload=json.dumps({"state": {"desired": {"x": "y" * 9000}}}).encode())
    assert doc(client.get_thing_shadow(thingName="lamp"))["version"] == 2, "refused updates change nothing"
    deleted = doc(client.delete_thing_shadow(thingName="lamp"))
    assert deleted["version"] >= 2
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_thing_shadow(thingName="lamp")
    again = doc(client.update_thing_shadow(thingName="lamp", payload=b'{"state":{"reported":{"on":false}}}'))
    assert again["version"] > deleted["version"] - 1, "the version continues after a delete"


def test_named_shadows_and_listing(broker):
    client = iot_data(broker)
    for name in ["config", "firmware", "telemetry"]:
        client.update_thing_shadow(thingName="pump", shadowName=name, payload=b'{"state":{"reported":{"ok":true}}}')
    listed = client.list_named_shadows_for_thing(thingName="pump")
    assert sorted(listed["results"]) == ["config", "firmware", "telemetry"]
    page = client.list_named_shadows_for_thing(thingName="pump", pageSize=2)
    rest = client.list_named_shadows_for_thing(thingName="pump", pageSize=2, nextToken=page["nextToken"])
    assert page["results"] + rest["results"] == ["config", "firmware", "telemetry"]
    named = doc(client.get_thing_shadow(thingName="pump", shadowName="firmware"))
    assert named["state"]["reported"] == {"ok": True}
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_thing_shadow(thingName="pump")  # the classic shadow was never made


def test_mqtt_get_update_delete(broker):
    dev = Client(broker.mqtt_port, "dev")
    dev.subscribe("$aws/things/dev/shadow/#", qos=1)
    dev.publish("$aws/things/dev/shadow/update", b'{"state":{"reported":{"temp":21}},"clientToken":"abc"}', qos=1)
    seen = {}
    while "update/accepted" not in seen or "update/documents" not in seen:
        msg = dev.expect()
        seen[msg.topic.split("/shadow/", 1)[1]] = json.loads(msg.payload) if msg.payload and msg.topic.endswith(("accepted", "documents", "rejected", "delta")) else msg.payload
    assert seen["update/accepted"]["clientToken"] == "abc"
    assert seen["update/documents"]["current"]["state"]["reported"] == {"temp": 21}
    dev.publish("$aws/things/dev/shadow/get", b"", qos=1)
    msg = dev.expect()
    while not msg.topic.endswith("get/accepted"):
        msg = dev.expect()
    assert json.loads(msg.payload)["state"]["reported"] == {"temp": 21}
    dev.publish("$aws/things/dev/shadow/update", b'{"state":"bad","clientToken":"x"}', qos=1)
    msg = dev.expect()
    while not msg.topic.endswith("rejected"):
        msg = dev.expect()
    rejected = json.loads(msg.payload)
    assert msg.topic == "$aws/things/dev/shadow/update/rejected"
    assert rejected["code"] == 400 and rejected["clientToken"] == "x"
    dev.publish("$aws/things/dev/shadow/delete", b"", qos=1)
    msg = dev.expect()
    while not msg.topic.endswith("delete/accepted"):
        msg = dev.expect()


def race(server, writers=8, updates=10):
    """Concurrent writers, each setting keys of its own on one shadow: nothing may be lost."""
    errors = []

    def write(w):
        client = iot_data(server)
        try:
            for i in range(updates):
                client.update_thing_shadow(thingName="hot", payload=json.dumps({"state": {"reported": {f"w{w}_{i}": i}}}).encode())
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    final = doc(iot_data(server).get_thing_shadow(thingName="hot"))
    assert len(final["state"]["reported"]) == writers * updates, "an accepted update was lost"
    assert final["version"] == writers * updates


def test_racing_writers_lose_nothing_on_the_embedded_store(serve, tmp_path):
    race(serve("--data-dir", str(tmp_path / "data")))


def test_racing_writers_lose_nothing_on_dynamodb(serve, dynamodb_endpoint):
    import uuid
    server = serve("--store", "dynamodb", "--dynamodb-endpoint", dynamodb_endpoint, "--table-prefix", f"sh-{uuid.uuid4().hex[:8]}")
    race(server, writers=4, updates=5)


def test_shadows_survive_a_restart(serve, tmp_path):
    data = str(tmp_path / "data")
    server = serve("--data-dir", data)
    iot_data(server).update_thing_shadow(thingName="keep", payload=b'{"state":{"desired":{"a":1}}}')
    code, _, err = server.stop()
    assert code == 0, err
    again = serve("--data-dir", data)
    assert doc(iot_data(again).get_thing_shadow(thingName="keep"))["state"]["desired"] == {"a": 1}


def test_acknowledged_updates_survive_kill_9(serve, tmp_path):
    """SQLite commits each write before answering: a killed process loses nothing it acknowledged."""
    import signal
    data = str(tmp_path / "data")
    server = serve("--data-dir", data)
    client = iot_data(server)
    for i in range(20):
        client.update_thing_shadow(thingName=f"k{i}", payload=json.dumps({"state": {"reported": {"i": i}}}).encode())
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    again = serve("--data-dir", data)
    for i in range(20):
        assert doc(iot_data(again).get_thing_shadow(thingName=f"k{i}"))["state"]["reported"] == {"i": i}
