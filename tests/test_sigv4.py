"""SigV4 on the HTTP APIs with boto3 and the AWS CLI's signer: good and bad keys, a
credentials file with a policy, and a presigned MQTT-over-WebSocket URL."""

import json
import subprocess
import urllib.parse

import boto3
import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import BIN
from mqtt_client import Client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def client(server, service, key="test", secret="test", region="us-east-1"):
    return boto3.client(
        service, endpoint_url=server.http_url, region_name=region,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


@pytest.fixture
def open_server(serve):
    server = serve("--memory")
    yield server
    server.stop()


def test_open_mode_accepts_any_unknown_key_and_the_local_default(open_server):
    assert open_server.banner["credentials"].startswith("test/test")
    client(open_server, "iot").create_thing(thingName="t1")
    names = [t["thingName"] for t in client(open_server, "iot", "AKIDSOMEONE", "whatever").list_things()["things"]]
    assert names == ["t1"]
    client(open_server, "iot-data", "AKIDSOMEONE", "x").publish(topic="a/b", payload=b"hi")
    # A known key signed for another region still works in open mode.
    client(open_server, "iot", region="eu-west-1").list_things()


def test_a_known_key_with_a_bad_signature_is_refused_in_open_mode(open_server):
    status, code, message = error_of(lambda: client(open_server, "iot", "test", "wrong").list_things())
    assert (status, code) == (403, "InvalidSignatureException")
    assert "signature" in message
    status, code, _ = error_of(
        lambda: client(open_server, "iot-data", "test", "wrong").publish(topic="a/b", payload=b"x"))
    assert (status, code) == (403, "InvalidSignatureException")


def test_unsigned_requests_pass_in_open_mode(open_server):
    status, _ = open_server.get("/retainedMessage")
    assert status == 200


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
         "Resource": "arn:aws:iot:us-east-1:000000000000:topic/dev/*"},
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:us-east-1:000000000000:client/*"},
        {"Effect": "Allow", "Action": "iot:Subscribe",
         "Resource": "arn:aws:iot:us-east-1:000000000000:topicfilter/dev/*"},
        {"Effect": "Allow", "Action": ["iot:GetThingShadow", "iot:UpdateThingShadow"],
         "Resource": "arn:aws:iot:us-east-1:000000000000:thing/sensor-1"},
    ],
}


@pytest.fixture
def configured(serve, tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"credentials": [
        {"accessKeyId": "AKIDADMIN", "secretAccessKey": "admin-secret"},
        {"accessKeyId": "AKIDDEVICE", "secretAccessKey": "device-secret", "policyDocument": POLICY},
    ]}))
    server = serve("--memory", "--credentials", str(path))
    yield server
    server.stop()


def test_a_credentials_file_replaces_the_local_default(configured):
    assert configured.banner["credentials"].startswith("2 access keys from")
    client(configured, "iot", "AKIDADMIN", "admin-secret").create_thing(thingName="sensor-1")
    status, code, _ = error_of(lambda: client(configured, "iot", "AKIDADMIN", "wrong").list_things())
    assert (status, code) == (403, "InvalidSignatureException")


def test_an_identitys_policy_decides_its_data_plane_requests(configured):
    data = client(configured, "iot-data", "AKIDDEVICE", "device-secret")
    data.publish(topic="dev/sensor-1/temp", payload=b"21")
    status, code, message = error_of(lambda: data.publish(topic="other/topic", payload=b"21"))
    assert (status, code) == (401, "UnauthorizedException")
    assert "iot:Publish" in message
    data.update_thing_shadow(thingName="sensor-1", payload=json.dumps({"state": {"reported": {"t": 1}}}))
    status, code, _ = error_of(lambda: data.get_thing_shadow(thingName="sensor-2"))
    assert (status, code) == (401, "UnauthorizedException")


def test_the_aws_cli_signs_with_configured_credentials(configured, tmp_path):
    aws = BIN.parent.parent.parent / ".venv" / "bin" / "aws"
    env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "AKIDADMIN", "AWS_SECRET_ACCESS_KEY": "admin-secret",
           "AWS_DEFAULT_REGION": "us-east-1", "HOME": str(tmp_path)}
    ok = subprocess.run([str(aws), "iot", "list-things", "--endpoint-url", configured.http_url],
                        capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0, ok.stderr
    env["AWS_SECRET_ACCESS_KEY"] = "wrong"
    bad = subprocess.run([str(aws), "iot", "list-things", "--endpoint-url", configured.http_url],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode != 0
    assert "InvalidSignatureException" in bad.stderr


def presigned_mqtt_path(server, key, secret, expires=300):
    """`/mqtt?X-Amz-...` presigned for iotdevicegateway by botocore's query signer."""
    request = AWSRequest(method="GET", url=server.http_url.replace("http", "ws", 1) + "/mqtt")
    SigV4QueryAuth(Credentials(key, secret), "iotdevicegateway", "us-east-1", expires=expires).add_auth(request)
    parsed = urllib.parse.urlsplit(request.url)
    return f"{parsed.path}?{parsed.query}"


def test_a_presigned_websocket_url_connects_and_a_bad_one_is_refused(configured, monkeypatch):
    import paho.mqtt.client as paho

    good = presigned_mqtt_path(configured, "AKIDADMIN", "admin-secret")
    original = paho.Client.ws_set_options

    def with_path(presigned):
        def set_options(self, path="/mqtt", headers=None):  # noqa: ARG001
            return original(self, path=presigned, headers=headers)
        return set_options

    monkeypatch.setattr(paho.Client, "ws_set_options", with_path(good))
    device = Client(configured.http_port, "presigned", transport="websockets")
    device.publish("dev/presigned", b"hello", qos=1)
    device.disconnect()

    bad = presigned_mqtt_path(configured, "AKIDADMIN", "not-the-secret")
    monkeypatch.setattr(paho.Client, "ws_set_options", with_path(bad))
    with pytest.raises(Exception):
        Client(configured.http_port, "refused", transport="websockets")


def test_a_presigned_websocket_connection_gets_its_keys_policy(configured, monkeypatch):
    import paho.mqtt.client as paho

    presigned = presigned_mqtt_path(configured, "AKIDDEVICE", "device-secret")
    original = paho.Client.ws_set_options

    def set_options(self, path="/mqtt", headers=None):  # noqa: ARG001
        return original(self, path=presigned, headers=headers)

    monkeypatch.setattr(paho.Client, "ws_set_options", set_options)
    device = Client(configured.http_port, "device", transport="websockets")
    # The key's policy allows dev/* only: other filters get SUBACK 0x87.
    assert device.subscribe("dev/#") == [0]
    assert device.subscribe("other/#") == [0x87]
    device.publish("dev/sensor-1/temp", b"21")
    assert device.expect().payload == b"21"
    device.disconnect()


def crt_presigned_mqtt_path(server, key, secret, token=None):
    """`/mqtt?X-Amz-...` presigned as the AWS IoT device SDK presigns it: awscrt's query signer,
    no `X-Amz-Expires`, the session token appended after signing."""
    from awscrt import auth, http

    host = server.http_url.split("//", 1)[1]
    config = auth.AwsSigningConfig(
        algorithm=auth.AwsSigningAlgorithm.V4,
        signature_type=auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS,
        credentials_provider=auth.AwsCredentialsProvider.new_static(key, secret, token),
        region="us-east-1", service="iotdevicegateway", omit_session_token=True)
    request = http.HttpRequest("GET", "/mqtt", http.HttpHeaders([("host", host)]))
    signed = auth.aws_sign_request(request, config).result(timeout=10)
    assert "X-Amz-Expires" not in signed.path
    return signed.path


def test_a_url_presigned_by_the_device_sdk_without_expiry_connects(configured, monkeypatch):
    import paho.mqtt.client as paho

    original = paho.Client.ws_set_options

    def with_path(presigned):
        def set_options(self, path="/mqtt", headers=None):  # noqa: ARG001
            return original(self, path=presigned, headers=headers)
        return set_options

    monkeypatch.setattr(paho.Client, "ws_set_options",
                        with_path(crt_presigned_mqtt_path(configured, "AKIDDEVICE", "device-secret")))
    device = Client(configured.http_port, "crt-presigned", transport="websockets")
    assert device.subscribe("dev/#") == [0]
    assert device.subscribe("other/#") == [0x87]
    device.disconnect()
    monkeypatch.setattr(paho.Client, "ws_set_options",
                        with_path(crt_presigned_mqtt_path(configured, "AKIDDEVICE", "not-the-secret")))
    with pytest.raises(Exception):
        Client(configured.http_port, "crt-refused", transport="websockets")


@pytest.mark.parametrize("query", [
    "X-Amz-Algorithm=AWS4-HMAC-SHA256",
    "X-Amz-Security-Token=abc",
    "X-Amz-Signature=abc&X-Amz-Date=20261126T230000Z",
])
def test_a_partly_presigned_websocket_url_is_an_incomplete_signature(configured, query):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", configured.http_port, timeout=10)
    conn.request("GET", "/mqtt?" + query, headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "mqtt"})
    response = conn.getresponse()
    assert response.status == 400
    assert response.getheader("x-amzn-errortype") == "IncompleteSignatureException"
    assert "X-Amz-" in json.loads(response.read())["message"]
    conn.close()
