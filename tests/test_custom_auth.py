"""Custom authorizers end to end: an authorizer created with boto3 whose function is the
ready-made JWT authorizer (`thingcore-authorizer`, run in process by `thingcore serve` with
THINGCORE_JWT_SECRET), TestInvokeAuthorizer, and paho-mqtt clients that name the authorizer in
their CONNECT username and carry a JWT as password: a valid token gets the device policy of its
`sub` (its own topics pass, others are refused), a bad token gets CONNACK 0x86, an unknown or
inactive authorizer 0x87. With signing enabled, the token's RSA SHA-256 signature is checked
against the authorizer's tokenSigningPublicKeys before the function runs."""

import base64
import hashlib
import hmac
import json
import socket
import time
import urllib.parse

import boto3
import paho.mqtt.client as paho
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mqtt_client import TIMEOUT, Client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SECRET = "s3cret-for-tests"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:thingcore-authorizer"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(sub, secret=SECRET, exp_in=3600):
    """An HS256 JWT, made by hand so the test needs no JWT library."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": sub, "exp": int(time.time()) + exp_in}).encode())
    signing_input = f"{header}.{body}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(signature)}"


@pytest.fixture
def server(serve):
    server = serve("--memory", env={"THINGCORE_JWT_SECRET": SECRET})
    yield server
    server.stop()


@pytest.fixture
def iot(server):
    return boto3.client(
        "iot", endpoint_url=server.http_url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def connack_of(port, username, password, client_id):
    """Connects and returns the CONNACK reason code (an int) without raising on refusals."""
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    client.username_pw_set(username, password)
    codes = []
    client.on_connect = lambda c, u, f, rc, p: codes.append(rc.value if hasattr(rc, "value") else rc)
    client.connect("127.0.0.1", port)
    client.loop_start()
    deadline = time.time() + TIMEOUT
    while not codes and time.time() < deadline:
        time.sleep(0.05)
    client.loop_stop()
    client.socket() and client.socket().close()
    assert codes, "no CONNACK"
    return codes[0]


def connack_v311(port, username, password, client_id):
    """The CONNACK return code byte of a hand-built MQTT 3.1.1 CONNECT (paho reports 3.1.1 codes
    as 5.0 reason codes, so the wire is read directly)."""

    def field(data: bytes) -> bytes:
        return len(data).to_bytes(2, "big") + data

    body = field(b"MQTT") + bytes([4, 0xC2]) + (60).to_bytes(2, "big")
    body += field(client_id.encode()) + field(username.encode()) + field(password.encode())
    length, remaining = b"", len(body)
    while True:
        byte, remaining = remaining % 128, remaining // 128
        length += bytes([byte | (0x80 if remaining else 0)])
        if not remaining:
            break
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(b"\x10" + length + body)
        reply = sock.recv(4)
    assert reply[:2] == b"\x20\x02", reply
    return reply[3]


def test_banner_names_the_in_process_authorizer(server):
    assert server.banner["authorizer"].startswith("thingcore-authorizer (JWT, in process)")


def test_test_invoke_authorizer_runs_the_function(iot):
    iot.create_authorizer(authorizerName="jwt", authorizerFunctionArn=FUNCTION,
                          signingDisabled=True, status="ACTIVE")
    answer = iot.test_invoke_authorizer(authorizerName="jwt", mqttContext={
        "username": "dev1?x-amz-customauthorizer-name=jwt", "password": jwt("dev1").encode(),
        "clientId": "dev1"})
    assert answer["isAuthenticated"] is True
    assert answer["principalId"] == "dev1"
    assert 300 <= answer["disconnectAfterInSeconds"] <= 86400
    statements = json.loads(answer["policyDocuments"][0])["Statement"]
    assert any(s["Action"] == "iot:Connect" for s in statements)

    refused = iot.test_invoke_authorizer(authorizerName="jwt", mqttContext={
        "username": "dev1", "password": jwt("dev1", secret="wrong").encode()})
    assert refused["isAuthenticated"] is False

    with pytest.raises(ClientError) as info:
        iot.test_invoke_authorizer(authorizerName="nope", token="t")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_mqtt_clients_authenticate_with_a_jwt_and_get_its_policy(server, iot):
    iot.create_authorizer(authorizerName="jwt", authorizerFunctionArn=FUNCTION,
                          signingDisabled=True, status="ACTIVE")
    user = ("dev1?x-amz-customauthorizer-name=jwt", jwt("dev1"))
    device = Client(server.mqtt_port, client_id="dev1", user=user)
    assert device.connack[1].value == 0
    assert device.subscribe("dev1/#") == [0]
    # Another device's topics: SUBACK 0x87 (not authorized).
    assert device.subscribe("dev2/#") == [0x87]
    device.publish("dev1/telemetry", b"21")
    assert device.expect().payload == b"21"
    # Publishing outside its topics is refused (the message is dropped, nothing delivered).
    watcher = Client(server.mqtt_port, client_id="watcher")
    watcher.subscribe("dev2/#")
    device.publish("dev2/telemetry", b"x")
    watcher.expect_none()
    device.disconnect()
    watcher.disconnect()


def test_bad_tokens_and_authorizers_are_refused_with_the_right_codes(server, iot):
    iot.create_authorizer(authorizerName="jwt", authorizerFunctionArn=FUNCTION,
                          signingDisabled=True, status="ACTIVE")
    iot.create_authorizer(authorizerName="off", authorizerFunctionArn=FUNCTION,
                          signingDisabled=True, status="INACTIVE")
    port = server.mqtt_port
    named = "dev1?x-amz-customauthorizer-name="
    # A wrongly signed, an expired, a malformed JWT: bad user name or password.
    assert connack_of(port, named + "jwt", jwt("dev1", secret="wrong"), "dev1") == 0x86
    assert connack_of(port, named + "jwt", jwt("dev1", exp_in=-3600), "dev1") == 0x86
    assert connack_of(port, named + "jwt", "not.a.jwt", "dev1") == 0x86
    assert connack_v311(port, named + "jwt", "not.a.jwt", "dev1") == 4
    # A valid token for another client id: the policy does not allow the CONNECT.
    assert connack_of(port, named + "jwt", jwt("dev1"), "someone-else") == 0x87
    # Unknown and inactive authorizers: not authorized.
    assert connack_of(port, named + "nope", jwt("dev1"), "dev1") == 0x87
    assert connack_of(port, named + "off", jwt("dev1"), "dev1") == 0x87
    assert connack_v311(port, named + "off", jwt("dev1"), "dev1") == 5
    # Clients that ask for no authorizer still get in on the open local listener.
    assert connack_of(port, "plain", "pw", "anyone") == 0


def test_signed_tokens_are_verified_before_the_function_runs(server, iot):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    iot.create_authorizer(authorizerName="signed", authorizerFunctionArn=FUNCTION,
                          tokenKeyName="tok", tokenSigningPublicKeys={"k1": public_pem},
                          status="ACTIVE")
    token = jwt("dev7")

    def sign(text):
        return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()

    def username(signature):
        query = urllib.parse.urlencode({"x-amz-customauthorizer-name": "signed", "tok": token,
                                        "x-amz-customauthorizer-signature": signature})
        return f"dev7?{query}"

    port = server.mqtt_port
    assert connack_of(port, username(sign(token)), None, "dev7") == 0
    assert connack_of(port, username(sign("something else")), None, "dev7") == 0x86
    assert connack_of(port, "dev7?x-amz-customauthorizer-name=signed&tok=" + token, None, "dev7") == 0x86

    ok = iot.test_invoke_authorizer(authorizerName="signed", token=token, tokenSignature=sign(token))
    assert ok["isAuthenticated"] is True and ok["principalId"] == "dev7"
    with pytest.raises(ClientError) as info:
        iot.test_invoke_authorizer(authorizerName="signed", token=token, tokenSignature=sign("x"))
    assert info.value.response["Error"]["Code"] == "UnauthorizedException"
    with pytest.raises(ClientError) as info:
        iot.test_invoke_authorizer(authorizerName="signed", token=token)
    assert info.value.response["Error"]["Code"] == "InvalidRequestException"


class InvokeStub:
    """A Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations) answering as a
    custom authorizer that accepts the password `let-me-in`; records the events it got."""

    def __init__(self):
        import http.server
        import threading

        stub = self
        self.events = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                name = urllib.parse.unquote(self.path.split("/functions/", 1)[1].split("/", 1)[0])
                if not name.endswith("remote-authorizer"):
                    self.send_response(404)
                    self.send_header("x-amzn-errortype", "ResourceNotFoundException")
                    self.send_header("content-type", "application/json")
                    self.end_headers()
                    self.wfile.write(json.dumps({"Type": "User", "message": f"Function not found: {name}"}).encode())
                    return
                event = json.loads(body)
                stub.events.append(event)
                password = base64.b64decode(event["protocolData"]["mqtt"].get("password", "")).decode()
                answer = {"isAuthenticated": password == "let-me-in", "principalId": "remote1",
                          "disconnectAfterInSeconds": 3600, "refreshAfterInSeconds": 300,
                          "policyDocuments": [json.dumps({"Version": "2012-10-17", "Statement": [
                              {"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]})]}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_other_functions_are_invoked_through_the_lambda_invoke_api(serve):
    stub = InvokeStub()
    try:
        server = serve("--memory", env={"AWS_ENDPOINT_URL_LAMBDA": stub.url, "AWS_REGION": "us-east-1",
                                        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
        iot = boto3.client("iot", endpoint_url=server.http_url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        iot.create_authorizer(authorizerName="remote", signingDisabled=True, status="ACTIVE",
                              authorizerFunctionArn="arn:aws:lambda:us-east-1:000000000000:function:remote-authorizer")
        iot.create_authorizer(authorizerName="missing", signingDisabled=True, status="ACTIVE",
                              authorizerFunctionArn="arn:aws:lambda:us-east-1:000000000000:function:gone")
        named = "u?x-amz-customauthorizer-name="
        assert connack_of(server.mqtt_port, named + "remote", "let-me-in", "c1") == 0
        assert connack_of(server.mqtt_port, named + "remote", "wrong", "c1") == 0x86
        assert connack_of(server.mqtt_port, named + "missing", "let-me-in", "c1") == 0x87
        event = stub.events[0]
        assert event["protocols"] == ["mqtt"]
        assert event["protocolData"]["mqtt"]["clientId"] == "c1"
        assert event["signatureVerified"] is False
        with pytest.raises(ClientError) as info:
            iot.test_invoke_authorizer(authorizerName="missing", mqttContext={"password": b"let-me-in"})
        assert info.value.response["Error"]["Code"] == "InvalidResponseException"
        server.stop()
    finally:
        stub.close()


def http_publish(server, topic, headers, query=""):
    """POST /topics/{topic}; returns (status, x-amzn-ErrorType)."""
    import urllib.error
    import urllib.request

    url = f"{server.http_url}/topics/{urllib.parse.quote(topic, safe='')}?qos=0{query}"
    request = urllib.request.Request(url, data=b"21", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("x-amzn-ErrorType")


def test_http_publish_through_a_custom_authorizer(server, iot):
    iot.create_authorizer(authorizerName="jwt", authorizerFunctionArn=FUNCTION,
                          signingDisabled=True, status="ACTIVE")
    watcher = Client(server.mqtt_port, client_id="watcher")
    watcher.subscribe("dev1/#")
    headers = {"x-amz-customauthorizer-name": "jwt", "Authorization": f"Bearer {jwt('dev1')}"}
    assert http_publish(server, "dev1/telemetry", headers) == (200, None)
    assert watcher.expect().payload == b"21"
    # Outside the token's topics, a bad token, a query-named authorizer with a bad token.
    assert http_publish(server, "dev2/telemetry", headers) == (401, "UnauthorizedException")
    bad = {**headers, "Authorization": f"Bearer {jwt('dev1', secret='wrong')}"}
    assert http_publish(server, "dev1/telemetry", bad) == (401, "UnauthorizedException")
    assert http_publish(server, "dev1/telemetry", {}, "&x-amz-customauthorizer-name=jwt&token=nope") == (
        401, "UnauthorizedException")
    assert http_publish(server, "dev1/telemetry", {"x-amz-customauthorizer-name": "nope"}) == (
        403, "ForbiddenException")
    # Only Publish (and /mqtt) take custom authentication, as on AWS.
    import urllib.error
    import urllib.request
    request = urllib.request.Request(f"{server.http_url}/things", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=TIMEOUT)
    assert info.value.code == 403
    watcher.expect_none()
    watcher.disconnect()


def test_mqtt_over_websocket_through_a_custom_authorizer(server, iot, monkeypatch):
    iot.create_authorizer(authorizerName="jwt", authorizerFunctionArn=FUNCTION,
                          signingDisabled=True, status="ACTIVE")
    original = paho.Client.ws_set_options
    headers = {"x-amz-customauthorizer-name": "jwt", "Authorization": f"Bearer {jwt('dev3')}"}

    def set_options(self, path="/mqtt", headers_=None, **_):
        return original(self, path=path, headers=headers)

    monkeypatch.setattr(paho.Client, "ws_set_options", set_options)
    device = Client(server.http_port, client_id="dev3", transport="websockets")
    assert device.subscribe("dev3/#") == [0]
    assert device.subscribe("dev1/#") == [0x87]
    device.publish("dev3/x", b"ok")
    assert device.expect().payload == b"ok"
    device.disconnect()
