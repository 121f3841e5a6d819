"""End-to-end fixtures: start the real `thingcore` binary on free ports and stop it again.

The binary is `$THINGCORE_BIN` (the test script sets it to the debug build) or
`target/debug/thingcore`. Servers the tests need (moto) are started by `scripts/test`; their
endpoints arrive in the environment.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("THINGCORE_BIN", ROOT / "target" / "debug" / "thingcore"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Thingcore:
    """One running `thingcore serve`, its banner parsed."""

    def __init__(self, args, env=None):
        self.args = args
        self.banner = {}
        self.proc = subprocess.Popen(
            [str(BIN), "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        deadline = time.time() + 30
        while "http" not in self.banner:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read()
                raise RuntimeError(f"thingcore exited early ({self.proc.wait()}): {err}")
            if line.startswith("thingcore: ") and " " in line[11:]:
                key, value = line[11:].strip().split(" ", 1)
                self.banner[key] = value
            if time.time() > deadline:
                raise RuntimeError("thingcore did not announce its listeners")
        self.http_url = self.banner["http"].split(" on ", 1)[1]
        self.mqtt_port = int(self.banner["mqtt"].rsplit(":", 1)[1]) if "mqtt" in self.banner else None
        self.http_port = int(self.http_url.rsplit(":", 1)[1])
        self.tls_port = int(self.banner["tls"].rsplit(":", 1)[1]) if "tls" in self.banner else None

    def get(self, path):
        """GET path; returns (status, parsed JSON body)."""
        try:
            with urllib.request.urlopen(self.http_url + path, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def stop(self, sig=signal.SIGTERM):
        """Stops the server; returns (exit code, rest of stdout, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err


@pytest.fixture
def serve():
    """Starts `thingcore serve` with extra arguments on free ports; stops it at the end."""
    started = []

    def start(*args, env=None, http_port=None, mqtt_port=None):
        # Port 0: the server binds whatever port the OS gives and says which in its banner.
        # (Picking a free port here and passing it on races with every other process that
        # binds meanwhile.) A test that restarts a server on the same ports passes them.
        http = f"127.0.0.1:{http_port or 0}"
        mqtt = f"127.0.0.1:{mqtt_port or 0}"
        tls = "127.0.0.1:0"
        server = Thingcore(["--http-addr", http, "--mqtt-addr", mqtt, "--tls-addr", tls, *args], env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


@pytest.fixture(params=["embedded", "dynamodb"])
def store_server(request, serve, tmp_path):
    """`thingcore serve` once on each store the end-to-end suites cover: SQLite in a temporary
    data dir, and DynamoDB (moto) under a table prefix of its own (skipped without moto)."""
    if request.param == "embedded":
        server = serve("--data-dir", str(tmp_path / "data"))
    else:
        endpoint = request.getfixturevalue("dynamodb_endpoint")
        server = serve("--store", "dynamodb", "--dynamodb-endpoint", endpoint,
                       "--table-prefix", f"t{uuid.uuid4().hex[:8]}")
    yield server
    server.stop()


def aws_client(server, service, key="test", secret="test", token=None, validate=True):
    """A boto3 client for `service` at `server`, signed with `key` (by default test/test, the
    local admin), trying each call once so that a refusal is what the test sees;
    `validate=False` turns botocore's own parameter checks off, to reach the server's."""
    return boto3.client(
        service, endpoint_url=server.http_url, region_name="us-east-1",
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate),
    )


def refusal(call, *args, **kwargs):
    """The error code and HTTP status with which `call(*args, **kwargs)` is refused (fails the
    test if it is not)."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as refused:
        call(*args, **kwargs)
    response = refused.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def dynamodb_endpoint():
    endpoint = os.environ.get("THINGCORE_TEST_DYNAMODB_ENDPOINT")
    if not endpoint:
        if os.environ.get("THINGCORE_REQUIRE_DYNAMODB") == "1":
            pytest.fail("THINGCORE_TEST_DYNAMODB_ENDPOINT is not set")
        pytest.skip("no DynamoDB server (run ./scripts/test)")
    return endpoint


def run_thingcore(*args, timeout=60):
    """Runs a thingcore command to completion; returns the CompletedProcess."""
    return subprocess.run(
        [str(BIN), *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
