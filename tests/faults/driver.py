#!/usr/bin/env python3
"""Bounded work under load and faults: `thingcore serve` keeps serving everyone else while one
subscriber is stuck, a rule's HTTP destination has stopped answering, and publishers send as
fast as they can.

The faults, all present for the whole run after a baseline round without them:

  stuck subscriber   a raw-socket MQTT client subscribes to `load/#` at QoS 1 and then never
                     reads: every message the publishers send is also for it.
  dead destination   a rule `SELECT * FROM 'load/#'` has an http action whose destination was
                     confirmed and then stopped answering (a listening socket that never
                     accepts), and a republish errorAction to `errors/load`.

Each round runs `thingcore-load run` (publishers to `load/{i}`, healthy subscribers on
`load/#`, alternately QoS 0 and QoS 1); it fails unless every healthy subscriber got every
message. Meanwhile one thread asks `GET /health` every 100 ms and another samples the server's
RSS every 250 ms.

The run passes when every round delivered everything, `/health` always answered (within
`--health-limit` seconds), and RSS stayed flat after warm-up: the highest RSS of the last two
rounds is at most 25% (plus 16 MiB) above the highest of the two rounds right after warm-up.
Warm-up lasts until the stuck subscriber's queue is full (it takes every QoS 1 message up to
its bound, MAX_QUEUED, and grows until then; after that its messages are dropped and counted),
so by default the run has as many rounds as that takes and four more. QoS 1 rounds send an
eighth of `--messages`: QoS 1 publishers are not held back
by subscribers, and a longer round would fill the healthy subscribers' queues on two cores. It prints one
line per round (rate, p99, RSS, /health) and a summary, and exits 1 when a check failed, 2 on
an error of the test itself.

    tests/faults/driver.py [--rounds N] [--messages 20000] [--publishers 8] [--subscribers 2]

The binaries are $THINGCORE_BIN (else target/debug/thingcore) and thingcore-load beside it.
`scripts/fault-load` runs this on a release build.
"""

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("THINGCORE_BIN", ROOT / "target" / "debug" / "thingcore"))
LOAD = BIN.parent / "thingcore-load"
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}
ROLE = "arn:aws:iam::000000000000:role/faults"
# Per-session queue, as scripts/bench-broker sets it: a healthy subscriber that falls a little
# behind a burst is not dropped for it (the default, 1,000, drops as mosquitto does), so the
# count shows starvation, not the slow-consumer policy. The stuck subscriber's queue is
# bounded by it too.
MAX_QUEUED = 100_000
# Longest wait for the first errorAction message after the rounds: the http action times out
# after 3 s; the rest is room for a busy machine.
ERROR_ACTION_WAIT = 15


class Server:
    """`thingcore serve --memory` on ports the OS chose, its banner parsed."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--memory", "--http-addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0",
             "--tls-addr", "127.0.0.1:0", "--max-queued-messages", str(MAX_QUEUED)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        banner = {}
        deadline = time.time() + 30
        while "http" not in banner or "mqtt" not in banner:
            line = self.proc.stdout.readline()
            if not line or time.time() > deadline:
                raise RuntimeError("thingcore did not announce its listeners")
            if line.startswith("thingcore: ") and " " in line[11:]:
                key, value = line[11:].strip().split(" ", 1)
                banner[key] = value
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        self.http_url = banner["http"].split(" on ", 1)[1]
        self.mqtt_port = int(banner["mqtt"].rsplit(":", 1)[1])

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Confirmer(BaseHTTPRequestHandler):
    """Answers the destination's confirmation request and remembers its token."""

    tokens = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("x-amz-rules-engine-message-type") == "DestinationConfirmation":
            Confirmer.tokens.append(json.loads(body)["confirmationToken"])
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def dead_destination(server):
    """A confirmed http destination that then stops answering; returns its socket (keep it)."""
    confirmer = ThreadingHTTPServer(("127.0.0.1", 0), Confirmer)
    port = confirmer.server_address[1]
    threading.Thread(target=confirmer.serve_forever, daemon=True).start()
    iot = boto3.client("iot", endpoint_url=server.http_url, config=Config(retries={"max_attempts": 1}),
                       **CREDENTIALS)
    url = f"http://127.0.0.1:{port}/in"
    iot.create_topic_rule(ruleName="faults_http", topicRulePayload={
        "sql": "SELECT * FROM 'load/#'", "awsIotSqlVersion": "2016-03-23", "ruleDisabled": False,
        "actions": [{"http": {"url": url}}],
        "errorAction": {"republish": {"topic": "errors/load", "roleArn": ROLE, "qos": 0}}})
    deadline = time.time() + 10
    while not Confirmer.tokens:
        if time.time() > deadline:
            raise RuntimeError("no destination confirmation request arrived")
        time.sleep(0.05)
    iot.confirm_topic_rule_destination(confirmationToken=Confirmer.tokens[0])
    confirmer.shutdown()
    confirmer.server_close()
    # The same port, listening and never accepting: connections hang until the action's
    # timeout, as with a host that stopped answering.
    dead = socket.socket()
    dead.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    dead.bind(("127.0.0.1", port))
    dead.listen(16)
    return dead


def stuck_subscriber(port):
    """An MQTT 3.1.1 client subscribed to `load/#` at QoS 1 that never reads again."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    client_id = b"stuck"
    body = b"\x00\x04MQTT\x04\x02\x00\x00" + struct.pack(">H", len(client_id)) + client_id
    s.sendall(bytes([0x10, len(body)]) + body)
    if s.recv(4) != bytes([0x20, 0x02, 0x00, 0x00]):
        raise RuntimeError("the stuck subscriber was not accepted")
    topic = b"load/#"
    body = struct.pack(">H", 1) + struct.pack(">H", len(topic)) + topic + b"\x01"
    s.sendall(bytes([0x82, len(body)]) + body)
    if s.recv(5) != bytes([0x90, 0x03, 0x00, 0x01, 0x01]):
        raise RuntimeError("the stuck subscriber's SUBSCRIBE was not granted QoS 1")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return s


class ErrorWatcher(threading.Thread):
    """Counts the errorAction's messages on `errors/load` (QoS 0: it may fall behind)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        import paho.mqtt.client as paho
        self.count = 0
        self.throttled = 0
        self.first = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="faults-errors")
        self.client.on_message = self.on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("errors/load", qos=0)

    def on_message(self, _client, _userdata, message):
        self.count += 1
        if b"throttled" in message.payload:
            self.throttled += 1
        self.first.set()

    def run(self):
        self.client.loop_forever()


class Sampler(threading.Thread):
    """`GET /health` every 100 ms and the server's RSS every 250 ms, per round."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.lock = threading.Lock()
        self.reset()
        self.stopping = False

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.health_max = 0.0
            self.health_failed = 0
            self.rss_max = 0

    def run(self):
        last_rss = 0.0
        while not self.stopping:
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.server.http_url + "/health", timeout=10) as response:
                    ok = response.status == 200
            except OSError:
                ok = False
            took = time.monotonic() - started
            now = time.monotonic()
            with self.lock:
                self.health_max = max(self.health_max, took)
                self.health_failed += 0 if ok else 1
                if now - last_rss >= 0.25:
                    self.rss_max = max(self.rss_max, self.server.rss_kib())
                    last_rss = now
            time.sleep(0.1)


def round_messages(args, qos):
    # QoS 1 publishers are never held back by a subscriber, so a round larger than what the
    # healthy subscribers can take in before their queues (MAX_QUEUED) fill would measure the
    # slow-consumer policy; an eighth of the QoS 0 round stays well inside it.
    return args.messages if qos == 0 else max(args.messages // 8, args.publishers)


def warm_up_rounds(args):
    """Rounds (alternately QoS 0 and 1) until the stuck subscriber's queue is full."""
    qos1_rounds = -(-MAX_QUEUED // round_messages(args, 1))
    return 2 * qos1_rounds


def load_round(server, args, qos):
    messages = round_messages(args, qos)
    result = subprocess.run(
        [str(LOAD), "run", "--port", str(server.mqtt_port), "--publishers", str(args.publishers),
         "--subscribers", str(args.subscribers), "--pattern", "all", "--qos", str(qos),
         "--messages", str(messages // args.publishers), "--timeout", "120"],
        capture_output=True, text=True, timeout=300)
    if "RESULT " not in result.stdout:
        return None, result.stdout + result.stderr
    fields = dict(kv.split("=") for kv in result.stdout.split("RESULT ", 1)[1].split())
    fields["ok"] = result.returncode == 0
    return fields, ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds under faults, after one baseline (default: warm-up and 4 more)")
    parser.add_argument("--messages", type=int, default=20000, help="messages per round, all publishers")
    parser.add_argument("--publishers", type=int, default=8)
    parser.add_argument("--subscribers", type=int, default=2, help="healthy subscribers")
    parser.add_argument("--health-limit", type=float, default=2.0, help="slowest /health answer allowed, s")
    args = parser.parse_args()
    warm_up = warm_up_rounds(args)
    if args.rounds is None:
        args.rounds = warm_up + 4

    server = Server()
    failures = []
    try:
        sampler = Sampler(server)
        sampler.start()
        rows = []

        def one_round(name, qos):
            sampler.reset()
            fields, error = load_round(server, args, qos)
            with sampler.lock:
                row = (name, qos, fields, sampler.rss_max, sampler.health_max, sampler.health_failed)
            rows.append(row)
            if fields is None:
                failures.append(f"{name}: the load tool failed: {error.strip()[-400:]}")
                print(f"{name:<10} qos{qos}: load tool failed", flush=True)
                return
            if not fields["ok"]:
                failures.append(f"{name}: healthy subscribers got {fields['received']} of {fields['expected']}")
            if row[5]:
                failures.append(f"{name}: /health failed {row[5]} times")
            if row[4] > args.health_limit:
                failures.append(f"{name}: /health took {row[4]:.2f} s")
            print(f"{name:<10} qos{qos}: {float(fields['rate']):>9,.0f} msgs/s delivered, "
                  f"{fields['received']}/{fields['expected']}, p99 {fields['p99_ms']} ms, "
                  f"RSS max {row[3] / 1024:.1f} MiB, /health max {row[4] * 1000:.0f} ms", flush=True)

        one_round("baseline", 0)
        dead = dead_destination(server)
        stuck = stuck_subscriber(server.mqtt_port)
        watcher = ErrorWatcher(server.mqtt_port)
        watcher.start()
        for n in range(args.rounds):
            one_round(f"faults {n + 1}", n % 2)
        sampler.stopping = True
        # A failed action reaches the errorAction when it fails: at once when its backlog is
        # full, else after the http action's 3 s timeout, which short rounds can end before.
        watcher.first.wait(ERROR_ACTION_WAIT)

        under = [r for r in rows if r[0].startswith("faults")]
        if len(under) >= warm_up + 4:
            # After warm-up every queue is as deep as it gets.
            first = max(r[3] for r in under[warm_up:warm_up + 2])
            last = max(r[3] for r in under[-2:])
            flat = last <= first * 1.25 + 16 * 1024
            print(f"RSS under faults: after warm-up ({warm_up} rounds) max {first / 1024:.1f} MiB, "
                  f"last two rounds max {last / 1024:.1f} MiB ({'flat' if flat else 'GROWING'})")
            if not flat:
                failures.append(f"RSS grew from {first} KiB to {last} KiB")
        else:
            print(f"RSS under faults: max {max(r[3] for r in under) / 1024:.1f} MiB (too few rounds to compare:"
                  f" warm-up takes {warm_up})")
        print(f"errorAction messages seen: {watcher.count:,} ({watcher.throttled:,} throttled), "
              f"stuck subscriber still connected: {stuck.fileno() >= 0}")
        if watcher.count == 0:
            failures.append("no errorAction message arrived: failed actions must reach the errorAction")
        dead.close()
    except Exception as error:  # noqa: BLE001 (any error of the driver itself)
        print(f"error: {error}", file=sys.stderr)
        server.stop()
        return 2
    server.stop()
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
