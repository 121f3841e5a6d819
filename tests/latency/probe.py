#!/usr/bin/env python3
"""Round trip of a QoS 1 request (SUBSCRIBE, or a QoS 1 PUBLISH) sent right after the client
acknowledged a QoS 1 delivery on the same connection, by a plain socket client that leaves
Nagle's algorithm on, as paho-mqtt and the AWS IoT device SDKs do.

Why it matters: the client holds its request until its PUBACK is acknowledged by TCP, and a
server that owes no reply to a PUBACK acknowledges it only when its delayed-ACK timer fires
(about 40 ms on Linux once the socket is in "interactive" mode). thingcore sets TCP_QUICKACK
after reads that get no reply; `scripts/bench-latency` prints the figures for thingcore and
mosquitto side by side.

usage: probe.py HOST:PORT [-n 50] [--mode sub|pub|self|none] [--nodelay] [--coalesce] [--gap S]

  mode sub : (default) receive PUBLISH QoS1 -> send PUBACK -> send SUBSCRIBE, time SUBACK
  mode pub : receive PUBLISH QoS1 -> send PUBACK -> send PUBLISH QoS1 to b/x, time PUBACK
  mode self: like sub, but the measuring client itself publishes the QoS1 message it receives
  mode none: no delivery first, just SUBSCRIBE -> SUBACK (baseline)
  --nodelay : set TCP_NODELAY on the measuring client (the client-side workaround)
  --coalesce: send PUBACK and the request in one send()
"""
import argparse, socket, struct, time, statistics


def rl(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def s16(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def pkt(first, body):
    return bytes([first]) + rl(len(body)) + body


def connect(cid):
    vh = s16("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60)
    return pkt(0x10, vh + s16(cid))


def subscribe(pid, topic, qos=1):
    return pkt(0x82, struct.pack("!H", pid) + s16(topic) + bytes([qos]))


def publish(pid, topic, payload, qos=1):
    return pkt(0x30 | (qos << 1), s16(topic) + (struct.pack("!H", pid) if qos else b"") + payload)


def puback(pid):
    return pkt(0x40, struct.pack("!H", pid))


class Conn:
    def __init__(self, addr, cid, nodelay):
        self.s = socket.create_connection(addr)
        if nodelay:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.held = []
        self.s.sendall(connect(cid))
        t, _ = self.read()
        assert t == 0x20, hex(t)

    def read(self):
        while True:
            if len(self.buf) >= 2:
                mult, n, i = 1, 0, 1
                while True:
                    if i >= len(self.buf):
                        break
                    b = self.buf[i]
                    n += (b & 127) * mult
                    mult *= 128
                    i += 1
                    if not b & 0x80:
                        if len(self.buf) >= i + n:
                            first, body = self.buf[0], self.buf[i:i + n]
                            self.buf = self.buf[i + n:]
                            return first, body
                        break
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d

    def expect(self, typ):
        for k, (first, body) in enumerate(self.held):
            if first >> 4 == typ:
                del self.held[k]
                return first, body
        while True:
            first, body = self.read()
            if first >> 4 == typ:
                return first, body
            self.held.append((first, body))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("--mode", default="sub", choices=["sub", "pub", "none", "self"])
    ap.add_argument("--nodelay", action="store_true")
    ap.add_argument("--coalesce", action="store_true")
    ap.add_argument("--gap", type=float, default=0.02, help="seconds idle between iterations")
    a = ap.parse_args()
    host, port = a.addr.rsplit(":", 1)
    addr = (host, int(port))
    sub = Conn(addr, "nagle-sub", a.nodelay)
    pub = Conn(addr, "nagle-pub", True)
    sub.s.sendall(subscribe(1, "a/#"))
    sub.expect(9)
    time.sleep(0.2)
    lat = []
    pid = 2
    for i in range(a.n):
        pid = pid % 60000 + 1
        if a.mode != "none":
            if a.mode == "self":  # the measuring client triggers its own delivery
                sub.s.sendall(publish(pid, "a/x", b"hello %d" % i))
                sub.expect(4)
            else:
                pub.s.sendall(publish(pid, "a/x", b"hello %d" % i))
                pub.expect(4)  # publisher's PUBACK
            first, body = sub.expect(3)  # delivery
            assert (first >> 1) & 3 == 1
            tlen = struct.unpack("!H", body[:2])[0]
            dpid = struct.unpack("!H", body[2 + tlen:4 + tlen])[0]
            ack = puback(dpid)
        else:
            ack = b""
        req = subscribe(pid, "c/x") if a.mode != "pub" else publish(pid, "b/x", b"req")
        want = 9 if a.mode != "pub" else 4
        t0 = time.perf_counter()
        if a.coalesce:
            sub.s.sendall(ack + req)
        else:
            if ack:
                sub.s.sendall(ack)
            sub.s.sendall(req)
        sub.expect(want)
        lat.append((time.perf_counter() - t0) * 1000)
        time.sleep(a.gap)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))]
    print("%s mode=%s nodelay=%s coalesce=%s n=%d  median %.3f ms  p99 %.3f ms  min %.3f  max %.3f"
          % (a.addr, a.mode, a.nodelay, a.coalesce, len(lat), statistics.median(lat), p99, lat[0], lat[-1]))


if __name__ == "__main__":
    main()
