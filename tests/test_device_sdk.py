"""The AWS IoT Device SDK v2 for Python (`awsiotsdk`, on `awscrt`) against `thingcore serve`,
through every connection builder it offers, as a device developer would use them: the
endpoint, port and CA file the server's banner names, nothing thingcore-specific.

- `mtls_from_path`: MQTT over TLS with a certificate made by `CreateKeysAndCertificate`
  (ALPN `x-amzn-mqtt-ca` when the port is 443).
- `websockets_with_default_aws_signing`: MQTT over WSS, the upgrade presigned with SigV4
  (static credentials `test`/`test`, the local default), ALPN `http/1.1` on 443.
- `direct_with_custom_authorizer`: MQTT over TLS with ALPN `mqtt`, the authorizer named in the
  CONNECT username; the MQTT 3 builder always dials port 443, so the server's TLS port is 443
  here when the test may bind it.
- `websockets_with_custom_authorizer`: the same over WSS, the upgrade unsigned.

Each connects, subscribes, publishes QoS 0 and 1 and receives its own messages, for MQTT 3.1.1
(`mqtt_connection_builder`) and 5 (`mqtt5_client_builder`); the shadow client (V2,
request/response) does an update and a get over each transport. One server for the module.
"""

import base64
import concurrent.futures
import datetime
import hashlib
import hmac
import json
import queue
import socket
import ssl
import time
import uuid

import boto3
import pytest
from awscrt import auth, mqtt, mqtt5, mqtt_request_response
from awsiot import iotshadow, mqtt5_client_builder, mqtt_connection_builder
from botocore.config import Config

from conftest import Thingcore

TIMEOUT = 15
SECRET = "s3cret-for-sdk-tests"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:thingcore-authorizer"
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]})

BUILDERS = ["mtls", "websockets_sigv4", "direct_custom_authorizer", "websockets_custom_authorizer"]


def can_bind(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(sub):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": sub, "exp": int(time.time()) + 3600}).encode())
    signature = hmac.new(SECRET.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(signature)}"


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    data = tmp_path_factory.mktemp("sdk-data")
    on_443 = can_bind(443)
    server = Thingcore(
        ["--data-dir", str(data), "--http-addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0",
         "--tls-addr", "127.0.0.1:443" if on_443 else "127.0.0.1:0"],
        env={"THINGCORE_JWT_SECRET": SECRET},
    )
    iot = boto3.client("iot", endpoint_url=server.http_url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test",
                       config=Config(retries={"max_attempts": 1}))
    made = iot.create_keys_and_certificate(setAsActive=True)
    (data / "device.pem").write_text(made["certificatePem"])
    (data / "device.key").write_text(made["keyPair"]["PrivateKey"])
    iot.create_policy(policyName="sdk-devices", policyDocument=ALLOW_ALL)
    iot.attach_policy(policyName="sdk-devices", target=made["certificateArn"])
    iot.create_authorizer(authorizerName="jwt", authorizerFunctionArn=FUNCTION,
                          signingDisabled=True, status="ACTIVE")
    sdk = dict(item.split("=", 1) for item in server.banner["sdk"].split(" (")[0].split())
    yield {"server": server, "data": data, "on_443": on_443, "sdk": sdk}
    server.stop()


def builder_args(core, builder, client_id):
    """What a device developer passes to the builder, read off the banner."""
    sdk = core["sdk"]
    common = {"endpoint": sdk["endpoint"], "port": int(sdk["port"]), "ca_filepath": sdk["ca_filepath"],
              "client_id": client_id}
    if builder == "mtls":
        return {**common, "cert_filepath": str(core["data"] / "device.pem"),
                "pri_key_filepath": str(core["data"] / "device.key")}
    if builder == "websockets_sigv4":
        return {**common, "region": sdk["region"],
                "credentials_provider": auth.AwsCredentialsProvider.new_static("test", "test")}
    custom = {**common, "auth_username": client_id, "auth_authorizer_name": "jwt",
              "auth_password": jwt(client_id).encode()}
    return custom


def connect_v3(core, builder, client_id):
    args = builder_args(core, builder, client_id)
    if builder == "mtls":
        connection = mqtt_connection_builder.mtls_from_path(clean_session=True, **args)
    elif builder == "websockets_sigv4":
        connection = mqtt_connection_builder.websockets_with_default_aws_signing(clean_session=True, **args)
    elif builder == "direct_custom_authorizer":
        if not core["on_443"]:
            pytest.skip("the MQTT 3 builder always dials port 443, which this test may not bind here")
        del args["port"]
        connection = mqtt_connection_builder.direct_with_custom_authorizer(clean_session=True, **args)
    else:
        connection = mqtt_connection_builder.websockets_with_custom_authorizer(clean_session=True, **args)
    connection.connect().result(TIMEOUT)
    return connection


class V5:
    """An mqtt5.Client started and connected, its received publishes in a queue."""

    def __init__(self, core, builder, client_id, **overrides):
        self.received = queue.Queue()
        self.connected = concurrent.futures.Future()
        self.stopped = concurrent.futures.Future()
        callbacks = {
            "on_publish_received": lambda data: self.received.put(data.publish_packet),
            "on_lifecycle_connection_success": lambda data: self.connected.set_result(data),
            "on_lifecycle_connection_failure": self._failed,
            "on_lifecycle_stopped": lambda data: self.stopped.set_result(True),
        }
        args = {**builder_args(core, builder, client_id), **overrides, **callbacks}
        if builder == "mtls":
            self.client = mqtt5_client_builder.mtls_from_path(**args)
        elif builder == "websockets_sigv4":
            self.client = mqtt5_client_builder.websockets_with_default_aws_signing(**args)
        elif builder == "direct_custom_authorizer":
            self.client = mqtt5_client_builder.direct_with_custom_authorizer(**args)
        else:
            self.client = mqtt5_client_builder.websockets_with_custom_authorizer(**args)
        self.client.start()
        try:
            self.connected.result(TIMEOUT)
        except Exception:
            self.stop()
            raise

    def _failed(self, data):
        if not self.connected.done():
            self.connected.set_exception(data.exception)

    def stop(self):
        self.client.stop()
        self.stopped.result(TIMEOUT)


@pytest.mark.parametrize("builder", BUILDERS)
def test_mqtt3_builder_connects_subscribes_and_receives_its_own_messages(core, builder):
    client_id = f"v3-{builder.replace('_', '-')}"
    connection = connect_v3(core, builder, client_id)
    received = queue.Queue()
    topic = f"{client_id}/echo"
    subscribed, _ = connection.subscribe(topic, mqtt.QoS.AT_LEAST_ONCE,
                                         callback=lambda topic, payload, **_: received.put((topic, payload)))
    assert subscribed.result(TIMEOUT)["qos"] == mqtt.QoS.AT_LEAST_ONCE
    for qos in (mqtt.QoS.AT_MOST_ONCE, mqtt.QoS.AT_LEAST_ONCE):
        published, _ = connection.publish(topic, f"hello at {qos.value}".encode(), qos)
        published.result(TIMEOUT)
        assert received.get(timeout=TIMEOUT) == (topic, f"hello at {qos.value}".encode())
    connection.disconnect().result(TIMEOUT)


@pytest.mark.parametrize("builder", BUILDERS)
def test_mqtt5_builder_connects_subscribes_and_receives_its_own_messages(core, builder):
    client_id = f"v5-{builder.replace('_', '-')}"
    client = V5(core, builder, client_id)
    topic = f"{client_id}/echo"
    suback = client.client.subscribe(mqtt5.SubscribePacket(subscriptions=[
        mqtt5.Subscription(topic_filter=topic, qos=mqtt5.QoS.AT_LEAST_ONCE)])).result(TIMEOUT)
    assert suback.reason_codes == [mqtt5.SubackReasonCode.GRANTED_QOS_1]
    for qos in (mqtt5.QoS.AT_MOST_ONCE, mqtt5.QoS.AT_LEAST_ONCE):
        client.client.publish(mqtt5.PublishPacket(topic=topic, payload=f"hello at {qos.value}".encode(),
                                                  qos=qos)).result(TIMEOUT)
        message = client.received.get(timeout=TIMEOUT)
        assert (message.topic, message.payload) == (topic, f"hello at {qos.value}".encode())
    client.stop()


def shadow_round_trip(protocol_client, thing_name):
    shadows = iotshadow.IotShadowClientV2(protocol_client, mqtt_request_response.ClientOptions(
        max_request_response_subscriptions=2, max_streaming_subscriptions=2,
        operation_timeout_in_seconds=TIMEOUT))
    token = str(uuid.uuid4())
    updated = shadows.update_shadow(iotshadow.UpdateShadowRequest(
        thing_name=thing_name, state=iotshadow.ShadowState(reported={"token": token}))).result(TIMEOUT)
    assert updated.state.reported == {"token": token}
    got = shadows.get_shadow(iotshadow.GetShadowRequest(thing_name=thing_name)).result(TIMEOUT)
    assert got.state.reported == {"token": token} and got.version == updated.version


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_shadow_client_round_trips_over_mqtt3(core, builder):
    client_id = f"shadow-v3-{builder.replace('_', '-')}"
    connection = connect_v3(core, builder, client_id)
    shadow_round_trip(connection, client_id)
    connection.disconnect().result(TIMEOUT)


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_shadow_client_round_trips_over_mqtt5(core, builder):
    client_id = f"shadow-v5-{builder.replace('_', '-')}"
    client = V5(core, builder, client_id)
    shadow_round_trip(client.client, client_id)
    client.stop()


def test_the_banner_names_what_the_builders_need(core):
    sdk, server = core["sdk"], core["server"]
    assert sdk["endpoint"] == "localhost"
    assert int(sdk["port"]) == server.tls_port
    assert sdk["ca_filepath"] == str(core["data"] / "ca.pem")
    assert sdk["region"] == "us-east-1"
    assert server.banner["wss"] == f"listening on wss://127.0.0.1:{server.tls_port}/mqtt"


@pytest.mark.parametrize("builder", ["websockets_sigv4", "direct_custom_authorizer", "websockets_custom_authorizer"])
def test_wrong_credentials_are_refused(core, builder):
    """The builders above pass because their credentials are checked, not because anything
    gets in: the same builders with a wrong secret, or a token whose signature is wrong, fail."""
    client_id = f"wrong-{builder.replace('_', '-')}"
    if builder == "websockets_sigv4":
        wrong = {"credentials_provider": auth.AwsCredentialsProvider.new_static("test", "not-the-secret")}
    else:
        wrong = {"auth_password": jwt(client_id).encode()[:-4] + b"AAAA"}
    with pytest.raises(Exception) as refused:
        V5(core, builder, client_id, **wrong)
    expected = "WEBSOCKET_UPGRADE_FAILURE" if builder == "websockets_sigv4" else "CONNACK_CONNECTION_REFUSED"
    assert expected in str(refused.value), refused.value


# The TLS port's other doors, and what it refuses.

def tls_socket(core, alpn=None):
    context = ssl.create_default_context(cafile=core["sdk"]["ca_filepath"])
    if alpn:
        context.set_alpn_protocols(alpn)
    raw = socket.create_connection(("127.0.0.1", core["server"].tls_port), timeout=TIMEOUT)
    return context.wrap_socket(raw, server_hostname="localhost")


def http_over(sock, request):
    sock.sendall(request)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


@pytest.mark.parametrize("alpn", [None, ["http/1.1"]])
def test_https_on_the_tls_port(core, alpn):
    with tls_socket(core, alpn) as sock:
        assert sock.selected_alpn_protocol() == (alpn[0] if alpn else None)
        answer = http_over(sock, b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'{"status":"ok"}')


def test_https_data_plane_publish_with_boto3_reaches_mqtt(core):
    server = core["server"]
    sub = V5(core, "mtls", "https-watcher")
    sub.client.subscribe(mqtt5.SubscribePacket(subscriptions=[
        mqtt5.Subscription(topic_filter="https/#", qos=mqtt5.QoS.AT_LEAST_ONCE)])).result(TIMEOUT)
    data = boto3.client("iot-data", endpoint_url=f"https://localhost:{server.tls_port}",
                        region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                        verify=core["sdk"]["ca_filepath"])
    data.publish(topic="https/boto3", qos=1, payload=b"over TLS")
    message = sub.received.get(timeout=TIMEOUT)
    assert (message.topic, message.payload) == ("https/boto3", b"over TLS")
    sub.stop()


def test_an_unknown_alpn_protocol_fails_the_handshake_and_others_carry_on(core):
    with pytest.raises(ssl.SSLError, match="NO_APPLICATION_PROTOCOL|no application protocol"):
        tls_socket(core, ["h2", "spdy/3"]).close()
    with tls_socket(core, ["h2", "mqtt"]) as sock:
        assert sock.selected_alpn_protocol() == "mqtt"
    client = V5(core, "mtls", "after-bad-alpn")
    client.stop()


@pytest.mark.parametrize("alpn", [["mqtt"], ["x-amzn-mqtt-ca"]])
def test_an_http_request_on_an_mqtt_alpn_gets_400(core, alpn):
    with tls_socket(core, alpn) as sock:
        answer = http_over(sock, b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"HTTPS and WSS need ALPN http/1.1" in answer


def test_a_websocket_upgrade_without_the_mqtt_subprotocol_gets_400(core):
    upgrade = (b"GET /mqtt HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n%s\r\n")
    for extra in (b"", b"Sec-WebSocket-Protocol: chat\r\n"):
        with tls_socket(core, ["http/1.1"]) as sock:
            answer = http_over(sock, upgrade % (extra + b"Connection: close\r\n"))
        assert answer.startswith(b"HTTP/1.1 400"), answer
        assert b"needs the subprotocol mqtt" in answer
    with tls_socket(core, ["http/1.1"]) as sock:
        sock.sendall(upgrade % b"Sec-WebSocket-Protocol: mqtt\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 101")


def test_a_tls_client_that_sends_nothing_else_is_closed_without_harm(core):
    idle = tls_socket(core)
    client = V5(core, "mtls", "beside-an-idle-tls-client")
    client.stop()
    idle.close()


def presigned_mqtt_path(core, service="iotdevicegateway", signed_at=None, expires=None):
    """A `/mqtt` URL presigned by awscrt's signer, as the SDK's WebSocket builder makes it."""
    from awscrt.http import HttpHeaders, HttpRequest

    host = f"localhost:{core['server'].tls_port}"
    request = HttpRequest("GET", "/mqtt", HttpHeaders([("host", host)]))
    config = auth.AwsSigningConfig(
        algorithm=auth.AwsSigningAlgorithm.V4, signature_type=auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS,
        credentials_provider=auth.AwsCredentialsProvider.new_static("test", "test"), region="us-east-1",
        service=service, date=signed_at or datetime.datetime.now(datetime.timezone.utc),
        expiration_in_seconds=expires, omit_session_token=True)
    auth.aws_sign_request(request, config).result(TIMEOUT)
    return host, request.path


@pytest.mark.parametrize("case", ["good", "expired", "other service", "signed too long ago"])
def test_presigned_wss_urls_are_checked(core, case):
    now = datetime.datetime.now(datetime.timezone.utc)
    host, path = {
        "good": lambda: presigned_mqtt_path(core),
        "expired": lambda: presigned_mqtt_path(core, signed_at=now - datetime.timedelta(minutes=2), expires=60),
        "other service": lambda: presigned_mqtt_path(core, service="iotdata"),
        # Without X-Amz-Expires a URL is good for 15 minutes from its X-Amz-Date.
        "signed too long ago": lambda: presigned_mqtt_path(core, signed_at=now - datetime.timedelta(minutes=20)),
    }[case]()
    upgrade = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Protocol: mqtt\r\n\r\n").encode()
    with tls_socket(core, ["http/1.1"]) as sock:
        sock.sendall(upgrade)
        answer = sock.recv(4096)
    if case == "good":
        assert answer.startswith(b"HTTP/1.1 101"), answer
    else:
        assert answer.startswith(b"HTTP/1.1 403"), answer
        assert b"InvalidSignatureException" in answer, answer


def test_strict_mode_authenticates_the_connect_of_an_unsigned_wss_upgrade(serve, tmp_path):
    """Under --auth strict an unsigned upgrade is let through and its CONNECT must name a
    custom authorizer that accepts it; without one the client gets CONNACK 0x86."""
    import paho.mqtt.client as paho

    strict = serve("--auth", "strict", "--data-dir", str(tmp_path / "strict"),
                   env={"THINGCORE_JWT_SECRET": SECRET})
    iot = boto3.client("iot", endpoint_url=strict.http_url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    iot.create_authorizer(authorizerName="jwt", authorizerFunctionArn=FUNCTION,
                          signingDisabled=True, status="ACTIVE")
    ca = strict.banner["ca"].split(" ", 1)[1]
    core = {"server": strict, "data": tmp_path / "strict",
            "sdk": {"endpoint": "localhost", "port": str(strict.tls_port), "ca_filepath": ca, "region": "us-east-1"}}
    client = V5(core, "websockets_custom_authorizer", "strict-dev")
    client.stop()

    refused = concurrent.futures.Future()
    anonymous = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="strict-anon",
                            protocol=paho.MQTTv5, transport="websockets")
    anonymous.ws_set_options(path="/mqtt")
    anonymous.tls_set(ca_certs=ca)
    anonymous.on_connect = lambda c, u, f, reason, p: refused.set_result(reason.value)
    anonymous.connect("localhost", strict.tls_port)
    anonymous.loop_start()
    try:
        assert refused.result(TIMEOUT) == 0x86  # bad user name or password
    finally:
        anonymous.loop_stop()
        anonymous.disconnect()


def https_with_certificate(core, method, path, cert, key, body=b""):
    """A request on the TLS port with a client certificate and no signature, as a device
    publishes over HTTPS (`curl --cert --key --cacert https://endpoint:8443/topics/...`)."""
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=core["sdk"]["ca_filepath"])
    context.load_cert_chain(cert, key)
    request = urllib.request.Request(f"https://localhost:{core['server'].tls_port}{path}",
                                     data=body if method in ("POST", "PUT") else None, method=method)
    try:
        with urllib.request.urlopen(request, context=context, timeout=TIMEOUT) as answer:
            return answer.status, answer.headers.get("x-amzn-ErrorType"), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("x-amzn-ErrorType"), error.read()


def test_https_publish_with_a_client_certificate(core):
    device = (str(core["data"] / "device.pem"), str(core["data"] / "device.key"))
    watcher = V5(core, "mtls", "https-cert-watcher")
    watcher.client.subscribe(mqtt5.SubscribePacket(subscriptions=[
        mqtt5.Subscription(topic_filter="https-cert/#", qos=mqtt5.QoS.AT_LEAST_ONCE)])).result(TIMEOUT)
    status, _, _ = https_with_certificate(core, "POST", "/topics/https-cert/x?qos=1", *device, body=b"from a device")
    assert status == 200
    message = watcher.received.get(timeout=TIMEOUT)
    assert (message.topic, message.payload) == ("https-cert/x", b"from a device")
    watcher.stop()
    # Shadows too: a data-plane request.
    status, _, body = https_with_certificate(core, "POST", "/things/https-cert-thing/shadow", *device,
                                             body=json.dumps({"state": {"reported": {"on": True}}}).encode())
    assert status == 200, body
    # The control plane is IAM's (SigV4), not a certificate's.
    status, kind, body = https_with_certificate(core, "GET", "/things", *device)
    assert (status, kind) == (403, "ForbiddenException"), body


def test_https_with_an_unregistered_certificate_is_refused(core, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stranger")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "stranger.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "stranger.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    status, kind, body = https_with_certificate(core, "POST", "/topics/https-cert/x", str(tmp_path / "stranger.pem"),
                                                str(tmp_path / "stranger.key"), body=b"no")
    assert (status, kind) == (403, "ForbiddenException"), body
    assert b"not accepted" in body


def test_https_requests_get_the_certificates_policy(core, tmp_path):
    iot = boto3.client("iot", endpoint_url=core["server"].http_url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    made = iot.create_keys_and_certificate(setAsActive=True)
    (tmp_path / "limited.pem").write_text(made["certificatePem"])
    (tmp_path / "limited.key").write_text(made["keyPair"]["PrivateKey"])
    iot.create_policy(policyName="https-limited", policyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Publish", "Resource": "arn:aws:iot:*:*:topic/limited/*"}]}))
    iot.attach_policy(policyName="https-limited", target=made["certificateArn"])
    limited = (str(tmp_path / "limited.pem"), str(tmp_path / "limited.key"))
    assert https_with_certificate(core, "POST", "/topics/limited/ok", *limited, body=b"x")[0] == 200
    status, kind, body = https_with_certificate(core, "POST", "/topics/elsewhere", *limited, body=b"x")
    assert (status, kind) == (401, "UnauthorizedException"), body


def test_https_jobs_api_with_a_client_certificate(core, tmp_path):
    """A device runs a job over HTTPS with its certificate, as `iot-jobs-data` over port 8443
    takes it: the certificate's policy decides each call with the Jobs actions on the thing."""
    iot = boto3.client("iot", endpoint_url=core["server"].http_url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    thing = "https-jobs-thing"
    thing_arn = iot.create_thing(thingName=thing)["thingArn"]
    iot.create_thing(thingName="https-jobs-other")
    made = iot.create_keys_and_certificate(setAsActive=True)
    (tmp_path / "jobs.pem").write_text(made["certificatePem"])
    (tmp_path / "jobs.key").write_text(made["keyPair"]["PrivateKey"])
    iot.attach_thing_principal(thingName=thing, principal=made["certificateArn"])
    iot.create_policy(policyName="https-jobs", policyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow",
         "Action": ["iot:GetPendingJobExecutions", "iot:StartNextPendingJobExecution",
                    "iot:DescribeJobExecution", "iot:UpdateJobExecution"],
         "Resource": f"arn:aws:iot:*:*:thing/{thing}"}]}))
    iot.attach_policy(policyName="https-jobs", target=made["certificateArn"])
    device = (str(tmp_path / "jobs.pem"), str(tmp_path / "jobs.key"))
    iot.create_job(jobId="https-jobs-1", targets=[thing_arn], document='{"op": "reboot"}')

    status, _, body = https_with_certificate(core, "GET", f"/things/{thing}/jobs", *device)
    assert status == 200, body
    assert [j["jobId"] for j in json.loads(body)["queuedJobs"]] == ["https-jobs-1"]
    status, _, body = https_with_certificate(core, "PUT", f"/things/{thing}/jobs/$next", *device, body=b"{}")
    assert status == 200, body
    execution = json.loads(body)["execution"]
    assert (execution["jobId"], execution["status"]) == ("https-jobs-1", "IN_PROGRESS")
    assert json.loads(execution["jobDocument"]) == {"op": "reboot"}
    status, _, body = https_with_certificate(core, "POST", f"/things/{thing}/jobs/https-jobs-1", *device,
                                             body=json.dumps({"status": "SUCCEEDED"}).encode())
    assert status == 200, body
    status, _, body = https_with_certificate(core, "GET", f"/things/{thing}/jobs/https-jobs-1", *device)
    assert status == 200, body
    assert json.loads(body)["execution"]["status"] == "SUCCEEDED"
    assert iot.describe_job_execution(jobId="https-jobs-1", thingName=thing)["execution"]["status"] == "SUCCEEDED"

    # Another thing's jobs are not this certificate's to see or run.
    status, kind, body = https_with_certificate(core, "GET", "/things/https-jobs-other/jobs", *device)
    assert (status, kind) == (401, "UnauthorizedException"), body
    assert b"iot:GetPendingJobExecutions" in body
    status, kind, body = https_with_certificate(core, "PUT", "/things/https-jobs-other/jobs/$next", *device,
                                                body=b"{}")
    assert (status, kind) == (401, "UnauthorizedException"), body
    # The control plane's job paths stay SigV4's.
    status, kind, body = https_with_certificate(core, "GET", "/jobs/https-jobs-1", *device)
    assert (status, kind) == (403, "ForbiddenException"), body
