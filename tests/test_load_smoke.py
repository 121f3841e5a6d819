"""A short run of the load tool against `thingcore serve`: the benchmark's machinery works and
nothing is lost at QoS 1 (the real comparison with mosquitto is scripts/bench-broker)."""

import subprocess

import pytest
from conftest import BIN


@pytest.mark.parametrize("qos,pattern,pubs,subs", [(0, "all", 5, 3), (1, "all", 5, 3), (1, "pairs", 4, 4)])
def test_load_tool_smoke(serve, qos, pattern, pubs, subs):
    server = serve("--memory")
    load = BIN.parent / "thingcore-load"
    result = subprocess.run(
        [str(load), "run", "--port", str(server.mqtt_port), "--publishers", str(pubs), "--subscribers", str(subs),
         "--pattern", pattern, "--qos", str(qos), "--messages", "50", "--timeout", "30"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    fields = dict(kv.split("=") for kv in result.stdout.split("RESULT ", 1)[1].split())
    assert fields["received"] == fields["expected"]
    assert float(fields["rate"]) > 0


def test_idle_connections_are_held(serve):
    server = serve("--memory")
    load = BIN.parent / "thingcore-load"
    result = subprocess.run(
        [str(load), "idle", "--port", str(server.mqtt_port), "--connections", "200", "--hold", "1"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "HOLDING 200" in result.stdout
