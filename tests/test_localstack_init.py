"""The LocalStack setup: its table definitions are what thingcore's own code writes, and its
init script creates tables that `thingcore serve --store dynamodb` accepts (run against moto,
as these machines have no Docker)."""

import os
import subprocess
import uuid

import yaml
from conftest import ROOT, run_thingcore

INIT = ROOT / "localstack" / "init"


def test_committed_definitions_are_what_the_code_writes(tmp_path):
    result = run_thingcore("init-tables", "--write-definitions", str(tmp_path))
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in (INIT / "tables").iterdir())
    assert written == committed
    for name in written:
        assert (tmp_path / name).read_text() == (INIT / "tables" / name).read_text(), name


def test_compose_file_mounts_the_init(tmp_path):
    compose = yaml.safe_load((ROOT / "localstack" / "docker-compose.yml").read_text())
    volumes = compose["services"]["localstack"]["volumes"]
    assert "./init/ready.d:/etc/localstack/init/ready.d:ro" in volumes
    assert "./init/tables:/etc/localstack/init/tables:ro" in volumes


def test_init_script_creates_tables_serve_accepts(tmp_path, dynamodb_endpoint, serve):
    prefix = f"ls-{uuid.uuid4().hex[:8]}"
    result = run_thingcore("init-tables", "--write-definitions", str(tmp_path), "--table-prefix", prefix)
    assert result.returncode == 0, result.stderr
    env = {
        **os.environ,
        "AWS_CMD": f"{ROOT / '.venv' / 'bin' / 'aws'} --endpoint-url {dynamodb_endpoint}",
        "THINGCORE_TABLES": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
    }
    script = INIT / "ready.d" / "10-thingcore-tables.sh"
    for _ in range(2):  # a second run finds the tables and changes nothing
        done = subprocess.run([str(script)], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
    assert done.stdout.count("exists") == 3
    server = serve("--store", "dynamodb", "--dynamodb-endpoint", dynamodb_endpoint, "--table-prefix", prefix,
                   "--create-tables", "false")
    assert server.get("/health") == (200, {"status": "ok"})
    server.stop()
