#!/usr/bin/env python3
"""kill -9 durability test for `thingcore serve` on its embedded (SQLite) store.

The README promises that on the embedded store every acknowledged write survives `kill -9`.
This driver checks that promise the only way it can be checked: round after round it puts the
server under concurrent load, kills it with SIGKILL at a random moment, starts it again on the
same data directory and looks for everything the server had acknowledged before it died.
Only acknowledged writes are recorded (a QoS 1 publish once paho has seen its PUBACK, a
SUBSCRIBE once its SUBACK arrived, an HTTP write once its 200 was read); what the server never
confirmed may or may not survive.

Kinds of write (each driven by its own thread), their acknowledgement, and the check after the
restart:

  qos1       QoS 1 PUBLISH to a topic that offline persistent sessions subscribe to; acked by
             PUBACK. The payload must be delivered when its session reconnects with
             clean_session=False. Duplicates are allowed and counted; so are messages delivered
             that were never acknowledged ("unacked delivered", not an error).
  retained   retained QoS 1 PUBLISHes with increasing sequence numbers to a few topics; acked by
             PUBACK. Each topic's retained message (GET /retainedMessage/{topic}) must carry a
             sequence at least as high as every acknowledged one.
  subscribe  SUBSCRIBE by persistent sessions (clean_session=False) to new filters; acked by
             SUBACK. The session must receive a message published to a topic the filter matches.
  shadow     POST /things/{thing}/shadow {"state":{"reported":{"seq":N}}}; acked by 200 with a
             version. The shadow's version now must be at least that version, and its seq at
             least N.
  thing      CreateThing (POST /things/{name}); acked by 200. GET /things/{name} must find it.

An acknowledged write is "lost" when the state after the restart does not reflect it (for
retained and shadow: an acknowledged write newer than what survived). One line per round gives
the counts; the run exits 1 if anything acknowledged was lost, 2 on an error of the test itself
(or an error the server returned while it was alive), 130 when interrupted. The server is always
killed at the end. The data directory and server logs are kept when something went wrong.

    tests/crash/driver.py [--rounds 20] [--seconds 3] [--seed N] [--signal KILL|TERM] [--keep]

`--signal TERM` ends the server with a clean shutdown instead, which flushes everything: a
control run of this script itself, which must report no loss against any correct server.

The binary is $THINGCORE_BIN, else target/debug/thingcore. `scripts/crash-test` runs this in
the project's venv.
"""

import argparse
import base64
import http.client
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import paho.mqtt.client as paho

ROOT = Path(__file__).resolve().parents[2]

KINDS = ("qos1", "retained", "subscribe", "shadow", "thing")
QOS1_SESSIONS = [f"crash-q-{k}" for k in range(16)]  # offline persistent sessions
QOS1_CAP_PER_SESSION = 500  # per round; the broker queues at most 1000 per session
RETAINED_TOPICS = [f"crash/r/{k}" for k in range(4)]
SHADOW_THINGS = [f"crash-shadow-{k}" for k in range(3)]
FILTERS_PER_SESSION = 40  # the broker allows 50 subscriptions per session
SUBSCRIBE_SESSIONS_CAP = 25  # per round
WINDOW = 20  # QoS 1 publishes awaiting PUBACK at once, per publisher
SEQ_PER_ROUND = 1_000_000  # sequence numbers grow across rounds: round * SEQ_PER_ROUND + n

TIMEOUT = 30  # anything the server should answer at once, when it is alive
SETTLE = 0.5  # after every expected message arrived: how long to wait for duplicates
PATIENCE = 3.0  # while some expected message is missing: how long a silence means "lost"


def seq_of(round_no, n):
    return round_no * SEQ_PER_ROUND + n


def qos1_topic(session):
    return f"crash/q/{session}"


class CrashTestError(Exception):
    """The test could not do its job (not a durability finding)."""


# --- the server ---------------------------------------------------------------------------------


class Server:
    """One `thingcore serve` on the data dir, on ports the OS chose, its banner parsed."""

    def __init__(self, binary, data_dir, log_path):
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(binary), "serve", "--data-dir", str(data_dir), "--http-addr", "127.0.0.1:0",
                 "--mqtt-addr", "127.0.0.1:0", "--tls-addr", "127.0.0.1:0"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True,
            )
        self.lines = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        try:
            self.banner = self._read_banner()
        except BaseException:
            self.kill()
            raise
        self.http_url = self.banner["http"].split(" on ", 1)[1]
        self.mqtt_port = int(self.banner["mqtt"].rsplit(":", 1)[1])

    def _read_stdout(self):
        with open(self.log_path, "a") as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                self.lines.put(line)
        self.lines.put(None)

    def _read_banner(self):
        """`thingcore: key value` lines until the HTTP listener is announced."""
        banner = {}
        deadline = time.monotonic() + TIMEOUT
        while "http" not in banner:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise CrashTestError(f"thingcore did not announce its listeners (log: {self.log_path})") from None
            if line is None:
                raise CrashTestError(f"thingcore exited at start ({self.proc.wait()}); log: {self.log_path}")
            if line.startswith("thingcore: ") and " " in line[11:]:
                key, value = line[11:].strip().split(" ", 1)
                banner[key] = value
        return banner

    def kill(self, sig=signal.SIGKILL):
        """Sends `sig` (SIGKILL unless told) and waits until the process is gone."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        """SIGTERM (a clean shutdown); returns the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


class Http:
    """One keep-alive HTTP connection to the server; JSON in, (status, JSON) out."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        self.conn.request(method, path, body=data, headers={"content-type": "application/json"})
        response = self.conn.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None)

    def close(self):
        self.conn.close()


class Mqtt:
    """One paho client (MQTT 3.1.1) on its own network thread, connected once constructed.

    Messages it receives go to `inbox` as (client id, topic, payload). Waits end when the answer
    arrives or the connection is lost (the server was killed), never on a fixed sleep.
    """

    def __init__(self, port, client_id, clean=True, inbox=None):
        self.client_id = client_id
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=clean, protocol=paho.MQTTv311)
        self.client.max_inflight_messages_set(WINDOW)
        self.cond = threading.Condition()
        self.connack = None  # (session present, reason code)
        self.lost = False
        self.sent = self.acked = 0
        self.subacks = {}
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        if inbox is not None:
            self.client.on_message = lambda c, u, m: inbox.put((client_id, m.topic, m.payload.decode()))
        self.client.connect("127.0.0.1", port, keepalive=60)
        self.client.loop_start()
        with self.cond:
            self.cond.wait_for(lambda: self.connack or self.lost, TIMEOUT)
        if not self.connack or self.connack[1] != 0:
            self.close()
            raise CrashTestError(f"{client_id}: no successful CONNACK ({self.connack})")

    def _notify(self, change):
        with self.cond:
            change()
            self.cond.notify_all()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self._notify(lambda: setattr(self, "connack", (flags.session_present, reason_code.value)))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self._notify(lambda: setattr(self, "lost", True))

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        self._notify(lambda: setattr(self, "acked", self.acked + 1))

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        self._notify(lambda: self.subacks.__setitem__(mid, [c.value for c in reason_codes]))

    @property
    def session_present(self):
        return bool(self.connack[0])

    def publish(self, topic, payload, retain=False):
        """QoS 1 PUBLISH; the returned MessageInfo tells whether its PUBACK arrived."""
        with self.cond:
            self.sent += 1
        return self.client.publish(topic, payload, qos=1, retain=retain)

    def wait_window(self, limit=WINDOW):
        """Blocks while `limit` publishes await their PUBACK; False once the connection is gone."""
        with self.cond:
            if not self.cond.wait_for(lambda: self.sent - self.acked < limit or self.lost, TIMEOUT):
                raise CrashTestError(f"{self.client_id}: no PUBACK in {TIMEOUT} s")
            return not self.lost

    def subscribe(self, topic_filter):
        """SUBSCRIBE at QoS 1; True when granted, False when refused, None if the connection died."""
        result, mid = self.client.subscribe(topic_filter, 1)
        if result != paho.MQTT_ERR_SUCCESS:
            return None
        with self.cond:
            if not self.cond.wait_for(lambda: mid in self.subacks or self.lost, TIMEOUT):
                raise CrashTestError(f"{self.client_id}: no SUBACK in {TIMEOUT} s")
            codes = self.subacks.pop(mid, None)
        return None if codes is None else codes[0] < 0x80

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def acknowledged(info):
    """Whether a QoS 1 publish got its PUBACK (paho raises for publishes made while disconnected)."""
    try:
        return info.is_published()
    except (RuntimeError, ValueError):
        return False


# --- load: one thread per kind, each recording only what the server acknowledged -----------------


class Worker(threading.Thread):
    """Load of one kind during one round. `ready` is set once connected (or failed); errors seen
    after `ctx.killing` is set are the kill's doing and ignored."""

    kind = ""

    def __init__(self, ctx, round_no):
        super().__init__(name=f"load-{self.kind}", daemon=True)
        self.ctx = ctx
        self.round = round_no
        self.server = ctx.server
        self.ready = threading.Event()
        self.failure = None

    @property
    def running(self):
        return not self.ctx.stop.is_set()

    def run(self):
        try:
            self.load()
        except Exception as error:  # noqa: BLE001 - reported by the round unless the kill caused it
            if not self.ctx.killing.is_set():
                self.failure = f"{self.kind}: {type(error).__name__}: {error}"
        finally:
            self.ready.set()

    def load(self):
        raise NotImplementedError

    def acked(self):
        """What the server acknowledged; called after the thread ended."""
        raise NotImplementedError


class Qos1Publisher(Worker):
    kind = "qos1"

    def __init__(self, ctx, round_no):
        super().__init__(ctx, round_no)
        self.sent = []  # (session, payload, MessageInfo)

    def load(self):
        client = Mqtt(self.server.mqtt_port, f"crash-pub-q-{self.round}")
        self.ready.set()
        try:
            cap = QOS1_CAP_PER_SESSION * len(QOS1_SESSIONS)
            for n in range(cap):
                if not self.running or not client.wait_window():
                    break
                session = QOS1_SESSIONS[n % len(QOS1_SESSIONS)]
                payload = f"{self.round}:{n}"
                self.sent.append((session, payload, client.publish(qos1_topic(session), payload)))
        finally:
            client.close()

    def acked(self):
        """{session: [payload, ...]}"""
        result = {session: [] for session in QOS1_SESSIONS}
        for session, payload, info in self.sent:
            if acknowledged(info):
                result[session].append(payload)
        return result


class RetainedPublisher(Worker):
    kind = "retained"

    def __init__(self, ctx, round_no):
        super().__init__(ctx, round_no)
        self.sent = []  # (topic, seq, MessageInfo)

    def load(self):
        client = Mqtt(self.server.mqtt_port, f"crash-pub-r-{self.round}")
        self.ready.set()
        try:
            n = 0
            while self.running and client.wait_window():
                topic = RETAINED_TOPICS[n % len(RETAINED_TOPICS)]
                seq = seq_of(self.round, n)
                self.sent.append((topic, seq, client.publish(topic, str(seq), retain=True)))
                n += 1
        finally:
            client.close()

    def acked(self):
        """{topic: [seq, ...]}"""
        result = {topic: [] for topic in RETAINED_TOPICS}
        for topic, seq, info in self.sent:
            if acknowledged(info):
                result[topic].append(seq)
        return result


class Subscriber(Worker):
    kind = "subscribe"

    def __init__(self, ctx, round_no):
        super().__init__(ctx, round_no)
        self.filters = {}  # client id -> [acknowledged filter, ...]

    def load(self):
        for j in range(SUBSCRIBE_SESSIONS_CAP):
            client_id = f"crash-sub-{self.round}-{j}"
            client = Mqtt(self.server.mqtt_port, client_id, clean=False)
            self.filters[client_id] = []
            self.ready.set()
            try:
                for k in range(FILTERS_PER_SESSION):
                    if not self.running:
                        return
                    topic_filter = f"crash/s/{self.round}/{j}/{k}/#"
                    granted = client.subscribe(topic_filter)
                    if granted is None:
                        return
                    if not granted:
                        raise CrashTestError(f"{client_id}: SUBSCRIBE {topic_filter} refused")
                    self.filters[client_id].append(topic_filter)
            finally:
                client.close()

    def acked(self):
        """{client id: [filter, ...]}"""
        return self.filters


class ShadowUpdater(Worker):
    kind = "shadow"

    def __init__(self, ctx, round_no):
        super().__init__(ctx, round_no)
        self.updates = []  # (thing, version, seq)

    def load(self):
        http = Http(self.server.http_url)
        self.ready.set()
        try:
            n = 0
            while self.running:
                thing = SHADOW_THINGS[n % len(SHADOW_THINGS)]
                seq = seq_of(self.round, n)
                status, body = http.request("POST", f"/things/{thing}/shadow", {"state": {"reported": {"seq": seq}}})
                if status != 200:
                    raise CrashTestError(f"shadow update of {thing}: {status} {body}")
                self.updates.append((thing, body["version"], seq))
                n += 1
        finally:
            http.close()

    def acked(self):
        """[(thing, version, seq), ...]"""
        return self.updates


class ThingCreator(Worker):
    kind = "thing"

    def __init__(self, ctx, round_no):
        super().__init__(ctx, round_no)
        self.things = []

    def load(self):
        http = Http(self.server.http_url)
        self.ready.set()
        try:
            n = 0
            while self.running:
                name = f"crash-thing-{self.round}-{n}"
                status, body = http.request("POST", f"/things/{name}", {})
                if status != 200:
                    raise CrashTestError(f"CreateThing {name}: {status} {body}")
                self.things.append(name)
                n += 1
        finally:
            http.close()

    def acked(self):
        """[thing name, ...]"""
        return self.things


WORKERS = (Qos1Publisher, RetainedPublisher, Subscriber, ShadowUpdater, ThingCreator)


# --- checks after the restart ---------------------------------------------------------------------


@dataclass
class Tally:
    """One kind's counts: acknowledged writes, how many of them were lost, duplicate deliveries,
    and deliveries of writes that were never acknowledged."""

    acked: int = 0
    lost: int = 0
    dup: int = 0
    unacked: int = 0
    examples: list = field(default_factory=list)  # a few lost writes, for the report

    def lose(self, what):
        self.lost += 1
        if len(self.examples) < 5:
            self.examples.append(what)

    def add(self, other):
        self.acked += other.acked
        self.lost += other.lost
        self.dup += other.dup
        self.unacked += other.unacked


def drain(inbox, expected):
    """Messages from `inbox` until every expected (client id, payload) arrived and then nothing
    came for SETTLE s, or nothing came for PATIENCE s while some were still missing.
    Returns a Counter of (client id, payload)."""
    got = Counter()
    missing = set(expected)
    while True:
        try:
            client_id, _topic, payload = inbox.get(timeout=PATIENCE if missing else SETTLE)
        except queue.Empty:
            return got
        got[(client_id, payload)] += 1
        missing.discard((client_id, payload))


def check_qos1(ctx, acked):
    """Reconnects every offline session, drains its queue and compares with what was acked.
    Leaves each session subscribed again and offline, ready for the next round."""
    tally = Tally()
    expected = {(session, payload) for session, payloads in acked.items() for payload in payloads}
    tally.acked = len(expected)
    inbox = queue.Queue()
    sessions = [Mqtt(ctx.server.mqtt_port, s, clean=False, inbox=inbox) for s in QOS1_SESSIONS]
    try:
        got = drain(inbox, expected)
        for session in sessions:
            if acked and not session.session_present:
                ctx.notes.append(f"session {session.client_id} was not present after the restart")
            if not session.subscribe(qos1_topic(session.client_id)):
                raise CrashTestError(f"{session.client_id}: could not subscribe again")
    finally:
        for session in sessions:
            session.close()
    for session, payload in sorted(expected - set(got), key=lambda key: (key[0], int(key[1].split(":")[1]))):
        tally.lose(f"{session} {payload}")
    for key, times in got.items():
        earlier = key in ctx.delivered
        tally.dup += times - 1 + earlier
        if key not in expected and not earlier:
            tally.unacked += 1
    ctx.delivered.update(got)
    return tally


def check_retained(ctx, acked):
    """Each topic's retained message is at least as new as every acknowledged retained publish."""
    tally = Tally()
    http = Http(ctx.server.http_url)
    try:
        for topic, seqs in acked.items():
            tally.acked += len(seqs)
            if not seqs:
                continue
            status, body = http.request("GET", f"/retainedMessage/{quote(topic, safe='')}")
            if status == 200:
                kept = int(base64.b64decode(body["payload"]))
            elif status == 404:
                kept = -1
            else:
                raise CrashTestError(f"GET retained {topic}: {status} {body}")
            for seq in seqs:
                if seq > kept:
                    tally.lose(f"{topic} seq {seq} (retained now: {kept if kept >= 0 else 'none'})")
    finally:
        http.close()
    return tally


def check_subscriptions(ctx, acked):
    """Each acknowledged filter still delivers to its session; then the sessions are removed."""
    tally = Tally()
    inbox = queue.Queue()
    expected = {}
    sessions = [Mqtt(ctx.server.mqtt_port, c, clean=False, inbox=inbox) for c in acked]
    try:
        checker = Mqtt(ctx.server.mqtt_port, "crash-check")
        try:
            infos = []
            for client_id, filters in acked.items():
                for topic_filter in filters:
                    payload = f"check {topic_filter}"
                    expected[(client_id, payload)] = topic_filter
                    infos.append(checker.publish(topic_filter.replace("#", "check"), payload))
            for info in infos:
                info.wait_for_publish(TIMEOUT)
                if not info.is_published():
                    raise CrashTestError("a check publish was not acknowledged")
        finally:
            checker.close()
        got = drain(inbox, expected)
    finally:
        for session in sessions:
            session.close()
    for client_id in acked:  # connecting with a clean session discards the persistent one
        Mqtt(ctx.server.mqtt_port, client_id, clean=True).close()
    tally.acked = len(expected)
    for key, topic_filter in expected.items():
        if key not in got:
            tally.lose(f"{key[0]} {topic_filter}")
    tally.dup = sum(times - 1 for times in got.values())
    return tally


def check_shadows(ctx, acked):
    """Each shadow's version is at least every acknowledged version, its seq at least as new."""
    tally = Tally(acked=len(acked))
    http = Http(ctx.server.http_url)
    try:
        now = {}
        for thing in {thing for thing, _, _ in acked}:
            status, body = http.request("GET", f"/things/{thing}/shadow")
            if status == 200:
                now[thing] = (body["version"], body["state"]["reported"]["seq"])
            elif status == 404:
                now[thing] = (0, -1)
            else:
                raise CrashTestError(f"GET shadow {thing}: {status} {body}")
    finally:
        http.close()
    for thing, version, seq in acked:
        version_now, seq_now = now[thing]
        if version > version_now or seq > seq_now:
            tally.lose(f"{thing} version {version} seq {seq} (now version {version_now} seq {seq_now})")
    return tally


def check_things(ctx, acked):
    """Each acknowledged thing exists."""
    tally = Tally(acked=len(acked))
    http = Http(ctx.server.http_url)
    try:
        for name in acked:
            status, body = http.request("GET", f"/things/{name}")
            if status == 404:
                tally.lose(name)
            elif status != 200 or body.get("thingName") != name:
                raise CrashTestError(f"DescribeThing {name}: {status} {body}")
    finally:
        http.close()
    return tally


CHECKS = {"qos1": check_qos1, "retained": check_retained, "subscribe": check_subscriptions,
          "shadow": check_shadows, "thing": check_things}


# --- rounds ---------------------------------------------------------------------------------------


class Context:
    """What lives across rounds: the binary, the data dir, the current server, and the QoS 1
    payloads delivered so far (to count duplicates across rounds)."""

    def __init__(self, binary, workdir, kill_signal=signal.SIGKILL):
        self.binary = binary
        self.kill_signal = kill_signal
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.server = None
        self.starts = 0
        self.delivered = set()
        self.notes = []  # observations of the current round
        self.killing = threading.Event()  # set just before SIGKILL: errors from now on are expected
        self.stop = threading.Event()  # set after SIGKILL: load threads end

    def start_server(self):
        self.starts += 1
        self.server = Server(self.binary, self.data_dir, self.workdir / f"server-{self.starts}.log")

    def kill_server(self, sig=signal.SIGKILL):
        if self.server is not None:
            self.server.kill(sig)


def run_round(ctx, round_no, seconds, rng):
    """Load, kill -9 after a random delay, restart, check. Returns ({kind: Tally}, failures, delay)."""
    ctx.killing.clear()
    ctx.stop.clear()
    ctx.notes = []
    workers = [cls(ctx, round_no) for cls in WORKERS]
    for worker in workers:
        worker.start()
    for worker in workers:
        if not worker.ready.wait(TIMEOUT):
            raise CrashTestError(f"{worker.kind} load did not start")
    delay = rng.uniform(0.2, max(0.2, seconds))
    time.sleep(delay)  # the load runs this long; the kill is the point, not a synchronisation
    ctx.killing.set()
    ctx.kill_server(ctx.kill_signal)
    ctx.stop.set()
    for worker in workers:
        worker.join(TIMEOUT)
        if worker.is_alive():
            raise CrashTestError(f"{worker.kind} load did not end after the kill")
    failures = [worker.failure for worker in workers if worker.failure]
    acked = {worker.kind: worker.acked() for worker in workers}
    ctx.start_server()
    tallies = {kind: CHECKS[kind](ctx, acked[kind]) for kind in KINDS}
    return tallies, failures, delay


def describe(tallies):
    parts = []
    for kind in KINDS:
        t = tallies[kind]
        text = f"{kind}: {t.acked} acked, {t.lost} lost"
        if kind in ("qos1", "subscribe"):
            text += f", {t.dup} dup"
        if t.unacked:
            text += f" (+{t.unacked} unacked delivered)"
        parts.append(text)
    return " | ".join(parts)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="kill -9 rounds (default 20)")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="longest load per round before the kill; each kill comes after a random 0.2 s .. this (default 3)")
    parser.add_argument("--seed", type=int, default=None, help="seed for the kill delays (default: random, printed)")
    parser.add_argument("--signal", choices=["KILL", "TERM"], default="KILL",
                        help="how the server is ended each round: KILL (kill -9, the test) or TERM (a clean "
                             "shutdown: a control run of this script, where nothing may be lost)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and server logs even when all went well")
    parser.add_argument("--bin", type=Path,
                        default=Path(os.environ.get("THINGCORE_BIN", ROOT / "target" / "debug" / "thingcore")),
                        help="the thingcore binary (default $THINGCORE_BIN, else target/debug/thingcore)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not args.bin.exists():
        print(f"crash-test: no binary at {args.bin} (cargo build, or set THINGCORE_BIN)", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    kill_signal = signal.Signals[f"SIG{args.signal}"]
    ctx = Context(args.bin, Path(tempfile.mkdtemp(prefix="thingcore-crash-")), kill_signal)
    print(f"crash-test: {args.rounds} rounds of up to {args.seconds:g} s, then {kill_signal.name}, seed {seed}, "
          f"binary {args.bin}, data {ctx.data_dir}", flush=True)
    started = time.monotonic()
    totals = {kind: Tally() for kind in KINDS}
    code = 2
    try:
        ctx.start_server()
        check_qos1(ctx, {})  # creates the offline sessions the QoS 1 load publishes to
        failures = []
        for round_no in range(1, args.rounds + 1):
            tallies, round_failures, delay = run_round(ctx, round_no, args.seconds, rng)
            print(f"round {round_no}/{args.rounds} {kill_signal.name} after {delay:.2f} s | {describe(tallies)}", flush=True)
            for kind in KINDS:
                totals[kind].add(tallies[kind])
                if tallies[kind].examples:
                    print(f"    lost {kind}: " + "; ".join(tallies[kind].examples)
                          + (" ..." if tallies[kind].lost > len(tallies[kind].examples) else ""))
            for note in ctx.notes:
                print(f"    note: {note}")
            for failure in round_failures:
                print(f"    error while the server was alive: {failure}")
            failures += round_failures
        exit_code = ctx.server.stop()
        if exit_code != 0:
            failures.append(f"clean stop at the end exited {exit_code}")
        lost = sum(t.lost for t in totals.values())
        print(f"total {args.rounds} rounds in {time.monotonic() - started:.1f} s | {describe(totals)}")
        if lost:
            print(f"FAIL: {lost} acknowledged writes lost")
        if failures:
            print(f"ERROR: {len(failures)} errors while the server was alive: {failures[0]}")
        if not lost and not failures:
            print(f"ok: every acknowledged write survived {kill_signal.name}")
        code = 1 if lost else (2 if failures else 0)
    except KeyboardInterrupt:
        print("crash-test: interrupted", file=sys.stderr)
        code = 130
    except CrashTestError as error:
        print(f"crash-test: error: {error}", file=sys.stderr)
    finally:
        ctx.stop.set()
        ctx.kill_server()
        if code == 0 and not args.keep:
            shutil.rmtree(ctx.workdir, ignore_errors=True)
        else:
            print(f"crash-test: data dir and server logs kept in {ctx.workdir}", file=sys.stderr)
    return code


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # as Ctrl-C: main() cleans up
    sys.exit(main())
