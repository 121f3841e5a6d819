"""Devices with certificates, end to end: provisioned with the AWS CLI (keys and certificate,
a policy allowing only `client/${iot:ClientId}` and `dev/${iot:ClientId}/*`, attached), then
mosquitto_pub/mosquitto_sub over TLS with that certificate against `thingcore serve`'s TLS
listener. Allowed topics pass, others are refused, and a certificate set to REVOKED is
disconnected."""

import json
import os
import subprocess
import time
import urllib.request

import pytest
from conftest import ROOT

POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:*:*:client/${iot:ClientId}"},
        {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"], "Resource": "arn:aws:iot:*:*:topic/dev/${iot:ClientId}/*"},
        {"Effect": "Allow", "Action": "iot:Subscribe", "Resource": "arn:aws:iot:*:*:topicfilter/dev/${iot:ClientId}/*"},
    ],
})


def aws(server, *args):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "aws"), "iot", *args, "--endpoint-url", server.http_url, "--output", "json"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout or "null")


@pytest.fixture
def device(serve, tmp_path):
    """A server and a device provisioned with the AWS CLI: (server, data dir, device dir, certificate id)."""
    data = tmp_path / "data"
    server = serve("--data-dir", str(data))
    dev = tmp_path / "dev"
    dev.mkdir()
    made = aws(server, "create-keys-and-certificate", "--set-as-active",
               "--certificate-pem-outfile", str(dev / "cert.pem"),
               "--private-key-outfile", str(dev / "private.key"))
    aws(server, "create-policy", "--policy-name", "dev-policy", "--policy-document", POLICY)
    aws(server, "attach-policy", "--policy-name", "dev-policy", "--target", made["certificateArn"])
    yield server, data, dev, made["certificateId"]
    server.stop()


def tls_args(server, data, dev):
    return ["-h", "localhost", "-p", str(server.tls_port), "--cafile", str(data / "ca.pem"),
            "--cert", str(dev / "cert.pem"), "--key", str(dev / "private.key")]


def test_the_tls_listener_and_its_files_are_announced(device):
    server, data, _, _ = device
    assert server.tls_port
    assert server.banner["tls-server"].startswith(f"certificate {data / 'server.pem'} key {data / 'server.key'}")
    for name in ("ca.pem", "server.pem", "server.key"):
        assert (data / name).stat().st_size > 0


def test_allowed_topics_pass_and_others_are_refused(device):
    server, data, dev, _ = device
    sub = subprocess.Popen(
        ["mosquitto_sub", *tls_args(server, data, dev), "-i", "sensor-1", "-V", "mqttv5",
         "-t", "dev/sensor-1/#", "-v", "-C", "1", "-W", "10"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(1.0)
    pub = tls_args(server, data, dev)
    # Another client id with the same certificate: its policy variables name dev/sensor-2/*.
    refused = subprocess.run(["mosquitto_pub", *pub, "-i", "sensor-2", "-V", "mqttv5", "-q", "1",
                              "-t", "dev/sensor-1/temp", "-m", "not mine"], capture_output=True, text=True, timeout=15)
    assert "Not authorized" in refused.stderr, "mosquitto_pub reports PUBACK 0x87 (and exits 0)"
    ok = subprocess.run(["mosquitto_pub", *pub, "-i", "sensor-1-pub", "-V", "mqttv5", "-q", "1",
                         "-t", "dev/sensor-1-pub/x", "-m", "own topic"], capture_output=True, text=True, timeout=15)
    assert ok.returncode == 0, ok.stderr
    # The subscriber (client id sensor-1) receives what reaches its topics, here from HTTP.
    request = urllib.request.Request(server.http_url + "/topics/dev%2Fsensor-1%2Ftemp?qos=1", data=b"21.5", method="POST")
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
    out, err = sub.communicate(timeout=15)
    assert out.splitlines() == ["dev/sensor-1/temp 21.5"], err
    denied = subprocess.run(["mosquitto_sub", *pub, "-i", "sensor-1-sub", "-V", "mqttv5", "-t", "other/#", "-W", "5"],
                            capture_output=True, text=True, timeout=15)
    assert "All subscription requests were denied" in denied.stderr, "SUBACK 0x87"


def test_connect_needs_a_registered_certificate(device):
    server, data, dev, _ = device
    no_cert = subprocess.run(["mosquitto_pub", "-h", "localhost", "-p", str(server.tls_port), "--cafile", str(data / "ca.pem"),
                              "-i", "x", "-t", "dev/x/y", "-m", "m"], capture_output=True, text=True, timeout=15)
    assert no_cert.returncode != 0
    # The server's own certificate is not a registered device certificate.
    stranger = subprocess.run(["mosquitto_pub", "-h", "localhost", "-p", str(server.tls_port), "--cafile", str(data / "ca.pem"),
                               "--cert", str(data / "server.pem"), "--key", str(data / "server.key"),
                               "-i", "x", "-t", "dev/x/y", "-m", "m"], capture_output=True, text=True, timeout=15)
    assert stranger.returncode != 0
    assert "not authori" in (stranger.stderr + stranger.stdout).lower()


def test_a_revoked_certificate_is_disconnected(device):
    server, data, dev, cert_id = device
    sub = subprocess.Popen(
        ["mosquitto_sub", *tls_args(server, data, dev), "-i", "sensor-9", "-V", "mqttv5", "-t", "dev/sensor-9/#", "-v"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(1.0)
    assert sub.poll() is None, "connected and waiting"
    aws(server, "update-certificate", "--certificate-id", cert_id, "--new-status", "REVOKED")
    started = time.time()
    try:
        sub.wait(timeout=5)
    except subprocess.TimeoutExpired:
        sub.kill()
        pytest.fail("the revoked device is still connected")
    assert time.time() - started < 2.0
    refused = subprocess.run(["mosquitto_pub", *tls_args(server, data, dev), "-i", "sensor-9", "-t", "dev/sensor-9/x", "-m", "m"],
                             capture_output=True, text=True, timeout=15)
    assert refused.returncode != 0
