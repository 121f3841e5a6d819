"""kill -9 durability, briefly: two short rounds of `scripts/crash-test` (the driver is
tests/crash/driver.py, which says what it checks). The server is killed with SIGKILL under
load of every kind and restarted on the same data dir; every acknowledged write must survive.
Run more rounds by hand: `scripts/crash-test --rounds 20`."""

import os
import signal
import subprocess

from conftest import BIN, ROOT


def test_acknowledged_writes_survive_kill_9():
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "crash-test"), "--rounds", "2", "--seconds", "1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "THINGCORE_BIN": str(BIN)},
        start_new_session=True,  # its own process group: a timeout kills the servers it started too
    )
    try:
        output, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        raise AssertionError(f"crash-test did not finish in 120 s:\n{output}") from None
    assert proc.returncode == 0, output
