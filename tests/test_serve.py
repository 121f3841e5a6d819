"""`thingcore serve` on each store: it starts, answers /health, stops cleanly, and refuses
bad configuration with a clear message and a non-zero exit."""

import signal
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
