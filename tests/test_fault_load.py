"""A short run of tests/faults/driver.py (scripts/fault-load runs the long one): with a stuck
QoS 1 subscriber and a rule whose HTTP destination stopped answering, healthy subscribers get
every message and /health keeps answering (the RSS comparison needs the longer run)."""

import subprocess
import sys

from conftest import BIN, ROOT


def test_a_stuck_subscriber_and_a_dead_destination_hold_up_no_one():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "faults" / "driver.py"), "--rounds", "2", "--messages", "4000",
         "--publishers", "4", "--health-limit", "5"],
        capture_output=True, text=True, timeout=300, env={"THINGCORE_BIN": str(BIN), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RSS under faults" in result.stdout
    assert "errorAction messages seen" in result.stdout
