"""`thingcore serve` on each store: it starts, answers /health, stops cleanly, and refuses
bad configuration with a clear message and a non-zero exit."""

import http.client
import signal
import socket
import time
import uuid

from conftest import free_port, run_thingcore


def assert_healthy(server):
    status, body = server.get("/health")
    assert status == 200
    assert body == {"status": "ok"}


def assert_clean_stop(server, sig=signal.SIGTERM):
    code, out, err = server.stop(sig)
    assert code == 0, err
    assert "thingcore: stopped" in out
    assert "panicked" not in err


def test_memory_store_serves_health_and_stops_on_sigterm(serve):
    server = serve("--memory")
    assert server.banner["store"].startswith("memory")
    assert server.banner["auth"].startswith("open")
    assert_healthy(server)
    assert_clean_stop(server)


def test_embedded_store_is_the_default_and_stops_on_ctrl_c(serve, tmp_path):
    server = serve("--data-dir", str(tmp_path / "data"))
    assert server.banner["store"].startswith("embedded (SQLite at")
    assert_healthy(server)
    assert_clean_stop(server, signal.SIGINT)
    assert (tmp_path / "data" / "thingcore.db").exists()
    again = serve("--data-dir", str(tmp_path / "data"))
    assert_healthy(again)
    assert_clean_stop(again)


def test_dynamodb_store_serves_health(serve, dynamodb_endpoint):
    prefix = f"e2e-{uuid.uuid4().hex[:8]}"
    server = serve("--store", "dynamodb", "--dynamodb-endpoint", dynamodb_endpoint, "--table-prefix", prefix)
    assert server.banner["store"].startswith("dynamodb")
    assert_healthy(server)
    assert_clean_stop(server)


def test_unknown_route_is_404(serve):
    server = serve("--memory")
    try:
        assert server.get("/nothing-here")[0] == 404
    finally:
        assert_clean_stop(server)


def test_init_tables_creates_then_reports_existing(dynamodb_endpoint):
    prefix = f"init-{uuid.uuid4().hex[:8]}"
    first = run_thingcore("init-tables", "--endpoint", dynamodb_endpoint, "--table-prefix", prefix)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"{prefix}-registry\tcreated",
        f"{prefix}-shadows\tcreated",
        f"{prefix}-broker\tcreated",
    ]
    second = run_thingcore("init-tables", "--endpoint", dynamodb_endpoint, "--table-prefix", prefix)
    assert second.returncode == 0, second.stderr
    assert all(line.endswith("\texists") for line in second.stdout.splitlines())


def test_data_dir_under_a_file_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_thingcore("serve", "--data-dir", str(blocker / "data"), "--http-addr", f"127.0.0.1:{free_port()}")
    assert result.returncode != 0
    assert "cannot create the data directory" in result.stderr
    assert "panicked" not in result.stderr


def test_corrupt_database_is_refused(tmp_path):
    (tmp_path / "thingcore.db").write_bytes(b"\x5a" * 8192)
    result = run_thingcore("serve", "--data-dir", str(tmp_path), "--http-addr", f"127.0.0.1:{free_port()}")
    assert result.returncode != 0
    assert "not a usable thingcore database" in result.stderr
    assert "panicked" not in result.stderr


def test_dynamodb_endpoint_that_does_not_answer_is_refused():
    dead = f"http://127.0.0.1:{free_port()}"
    result = run_thingcore(
        "serve", "--store", "dynamodb", "--dynamodb-endpoint", dead, "--http-addr", f"127.0.0.1:{free_port()}"
    )
    assert result.returncode != 0
    assert "DynamoDB did not answer" in result.stderr
    assert "panicked" not in result.stderr


def test_http_address_in_use_is_refused(serve):
    server = serve("--memory")
    try:
        taken = server.http_url.removeprefix("http://")
        result = run_thingcore("serve", "--memory", "--http-addr", taken)
        assert result.returncode != 0
        assert f"cannot listen for HTTP on {taken}" in result.stderr
    finally:
        assert_clean_stop(server)


# The HTTP listener's limits: no client holds the server.

def http_socket(server):
    return socket.create_connection(("127.0.0.1", server.http_port), timeout=10)


def closed_within(sock, seconds):
    """Reads until the server closes the connection; returns what it sent, or fails after
    `seconds` with the connection still open."""
    sock.settimeout(seconds)
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except ConnectionResetError:
        return data
    except socket.timeout:
        raise AssertionError(f"still open after {seconds} s; got {data!r}") from None


def test_unfinished_headers_and_idle_keep_alive_are_closed(serve):
    server = serve("--memory", "--http-header-timeout", "1")
    unfinished = http_socket(server)
    unfinished.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never the blank line
    idle = http_socket(server)
    idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert closed_within(unfinished, 10) == b""
    # The idle one got its answer, then was closed once it had said nothing for a second.
    assert closed_within(idle, 10).startswith(b"HTTP/1.1 200")
    assert_healthy(server)


def test_a_trickling_body_gets_408(serve):
    server = serve("--memory", "--http-request-timeout", "1")
    slow = http_socket(server)
    slow.sendall(b"POST /topics/t HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
    answer = closed_within(slow, 10)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"RequestTimeoutException" in answer
    assert_healthy(server)


def test_the_http_connection_limit_leaves_mqtt_and_frees_up(serve):
    server = serve("--memory", "--http-max-connections", "3")
    held = [http_socket(server) for _ in range(3)]
    for sock in held:  # each is served: the three are in
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    # A fourth is closed at once, without an answer.
    extra = http_socket(server)
    extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert closed_within(extra, 10) == b""
    # MQTT is another listener: unaffected.
    mqtt = socket.create_connection(("127.0.0.1", server.mqtt_port), timeout=10)
    mqtt.sendall(bytes([0x10, 0x0E, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 2]) + b"ok")
    assert mqtt.recv(4) == bytes([0x20, 2, 0, 0])
    mqtt.close()
    # Once one is closed, its place is free again (the server notices the close first).
    held.pop().close()
    deadline = time.time() + 10
    while True:
        try:
            assert_healthy(server)
            break
        except (OSError, AssertionError, http.client.HTTPException):
            if time.time() > deadline:
                raise
            time.sleep(0.05)  # polling for the server to notice the close, with a deadline
    for sock in held:
        sock.close()
