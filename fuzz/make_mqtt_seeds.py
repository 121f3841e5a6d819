#!/usr/bin/env python3
"""Writes fuzz/corpus/mqtt_decode/: MQTT 3.1, 3.1.1 and 5.0 packets of every type, byte by
byte from the specifications (not from thingcore's encoder), single and as a client's session
(CONNECT, then what follows it in one buffer). Run it again after changing it; the files are
committed.

    python3 fuzz/make_mqtt_seeds.py
"""

import pathlib
import struct

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "mqtt_decode"


def vbi(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n)


def s(text):
    data = text.encode()
    return u16(len(data)) + data


def b(data):
    return u16(len(data)) + data


def packet(kind, flags, body):
    return bytes([kind << 4 | flags]) + vbi(len(body)) + body


def props(*entries):
    body = b"".join(entries)
    return vbi(len(body)) + body


# MQTT 5 property identifiers (§2.2.2.2).
def p_byte(ident, v):
    return bytes([ident, v])


def p_u16(ident, v):
    return bytes([ident]) + u16(v)


def p_u32(ident, v):
    return bytes([ident]) + u32(v)


def p_vbi(ident, v):
    return bytes([ident]) + vbi(v)


def p_str(ident, v):
    return bytes([ident]) + s(v)


def p_bin(ident, v):
    return bytes([ident]) + b(v)


def p_user(k, v):
    return bytes([0x26]) + s(k) + s(v)


def connect(level, client_id, *, clean=True, keep_alive=60, will=None, username=None,
            password=None, properties=b"", will_properties=b""):
    name = "MQIsdp" if level == 3 else "MQTT"
    flags = 0x02 if clean else 0
    payload = s(client_id)
    if will:
        topic, message, qos, retain = will
        flags |= 0x04 | qos << 3 | (0x20 if retain else 0)
        if level == 5:
            payload += props(will_properties)
        payload += s(topic) + b(message)
    if username is not None:
        flags |= 0x80
        payload += s(username)
    if password is not None:
        flags |= 0x40
        payload += b(password)
    body = s(name) + bytes([level, flags]) + u16(keep_alive)
    if level == 5:
        body += props(properties)
    return packet(1, 0, body + payload)


def publish(v5, topic, payload, qos=0, retain=False, dup=False, packet_id=1, properties=b""):
    flags = (0x08 if dup else 0) | qos << 1 | (0x01 if retain else 0)
    body = s(topic)
    if qos:
        body += u16(packet_id)
    if v5:
        body += props(properties)
    return packet(3, flags, body + payload)


def ack(kind, packet_id, reason=None, properties=None):
    flags = 0b0010 if kind == 6 else 0
    body = u16(packet_id)
    if reason is not None:
        body += bytes([reason])
        if properties is not None:
            body += props(properties)
    return packet(kind, flags, body)


def subscribe(v5, packet_id, filters, properties=b""):
    body = u16(packet_id) + (props(properties) if v5 else b"")
    for topic, options in filters:
        body += s(topic) + bytes([options])
    return packet(8, 0b0010, body)


def unsubscribe(v5, packet_id, filters, properties=b""):
    body = u16(packet_id) + (props(properties) if v5 else b"")
    for topic in filters:
        body += s(topic)
    return packet(10, 0b0010, body)


def seeds():
    out = {}
    # --- MQTT 3.1.1 (level 4) ---
    out["v311-connect-minimal"] = connect(4, "dev-1")
    out["v311-connect-empty-id"] = connect(4, "", keep_alive=0)
    out["v311-connect-full"] = connect(
        4, "dev-1", clean=False, keep_alive=1200,
        will=("dev/dev-1/status", b"offline", 1, True), username="user", password=b"secret")
    out["v311-connect-username-only"] = connect(4, "dev-1", username="?SDK=Python&Version=1.0")
    out["v311-connect-will-qos2"] = connect(4, "c", will=("w", b"", 2, False))
    out["v311-connack"] = packet(2, 0, bytes([0, 0]))
    out["v311-connack-refused"] = packet(2, 0, bytes([0, 5]))
    out["v311-publish-qos0"] = publish(False, "sensors/dev-1/temp", b'{"temp": 21.5}')
    out["v311-publish-qos1-retain"] = publish(False, "a/b", b"hello", qos=1, retain=True,
                                              packet_id=7)
    out["v311-publish-qos2-dup"] = publish(False, "$aws/things/dev-1/shadow/update",
                                           b'{"state":{"reported":{"on":true}}}', qos=2,
                                           dup=True, packet_id=65535)
    out["v311-publish-empty"] = publish(False, "t", b"")
    out["v311-puback"] = ack(4, 7)
    out["v311-pubrec"] = ack(5, 9)
    out["v311-pubrel"] = ack(6, 9)
    out["v311-pubcomp"] = ack(7, 9)
    out["v311-subscribe"] = subscribe(False, 2, [("sensors/+/temp", 1), ("#", 0),
                                                 ("$share/g/a/b", 2)])
    out["v311-suback"] = packet(9, 0, u16(2) + bytes([1, 0, 0x80]))
    out["v311-unsubscribe"] = unsubscribe(False, 3, ["sensors/+/temp", "#"])
    out["v311-unsuback"] = packet(11, 0, u16(3))
    out["v311-pingreq"] = packet(12, 0, b"")
    out["v311-pingresp"] = packet(13, 0, b"")
    out["v311-disconnect"] = packet(14, 0, b"")
    out["v311-remaining-length-two-bytes"] = publish(False, "big", bytes(200))
    out["v311-remaining-length-not-minimal"] = bytes([0xC0, 0x80, 0x00])
    # --- MQTT 3.1 (MQIsdp, level 3) ---
    out["v31-connect"] = connect(3, "dev-legacy", will=("lwt", b"gone", 0, False),
                                 username="u", password=b"p")
    # --- MQTT 5 ---
    out["v5-connect-minimal"] = connect(5, "dev-5")
    out["v5-connect-properties"] = connect(
        5, "dev-5", clean=False, keep_alive=30,
        properties=p_u32(0x11, 3600) + p_u16(0x21, 20) + p_u32(0x27, 65536) + p_u16(0x22, 10)
        + p_byte(0x19, 1) + p_byte(0x17, 0) + p_user("region", "eu") + p_user("region", "us"),
        will=("dev/dev-5/lwt", b"bye", 1, True),
        will_properties=p_u32(0x18, 5) + p_byte(0x01, 1) + p_u32(0x02, 60)
        + p_str(0x03, "text/plain") + p_str(0x08, "replies/dev-5") + p_bin(0x09, b"\x01\x02")
        + p_user("k", "v"),
        username="user", password=b"\x00\xffpw")
    out["v5-connect-auth"] = connect(5, "dev-5", properties=p_str(0x15, "SCRAM-SHA-1")
                                     + p_bin(0x16, b"client-first"))
    out["v5-connack"] = packet(2, 0, bytes([0, 0]) + props())
    out["v5-connack-properties"] = packet(2, 0, bytes([1, 0]) + props(
        p_u32(0x11, 60) + p_u16(0x21, 100) + p_byte(0x24, 1) + p_byte(0x25, 1)
        + p_u32(0x27, 131072) + p_str(0x12, "assigned-id") + p_u16(0x22, 8)
        + p_str(0x1F, "ok") + p_user("a", "b") + p_byte(0x28, 1) + p_byte(0x29, 1)
        + p_byte(0x2A, 1) + p_u16(0x13, 30) + p_str(0x1A, "resp/") + p_str(0x1C, "other")
        + p_str(0x15, "m") + p_bin(0x16, b"d")))
    out["v5-connack-refused"] = packet(2, 0, bytes([0, 0x87]) + props(p_str(0x1F, "no")))
    out["v5-publish-qos0"] = publish(True, "sensors/dev-5/temp", b'{"temp": 3}')
    out["v5-publish-properties"] = publish(
        True, "a/b", b"payload", qos=1, packet_id=10, properties=p_byte(0x01, 1)
        + p_u32(0x02, 30) + p_u16(0x23, 3) + p_str(0x08, "replies/x") + p_bin(0x09, b"corr")
        + p_user("trace", "1") + p_vbi(0x0B, 268435455) + p_vbi(0x0B, 1)
        + p_str(0x03, "application/json"))
    out["v5-publish-alias-only"] = publish(True, "", b"x", properties=p_u16(0x23, 3))
    out["v5-publish-qos2"] = publish(True, "q/2", b"", qos=2, dup=True, packet_id=2)
    out["v5-puback-short"] = ack(4, 10)
    out["v5-puback-reason"] = ack(4, 10, 0x10)
    out["v5-puback-properties"] = ack(4, 10, 0x87, p_str(0x1F, "not authorized")
                                      + p_user("k", "v"))
    out["v5-pubrec"] = ack(5, 11, 0x00, b"")
    out["v5-pubrel"] = ack(6, 11, 0x92)
    out["v5-pubcomp"] = ack(7, 11, 0x00, p_str(0x1F, "done"))
    out["v5-subscribe-options"] = subscribe(
        True, 4, [("a/+", 0b00101110), ("$share/grp/b/#", 0b00000001), ("c", 0b00010100)],
        properties=p_vbi(0x0B, 42) + p_user("k", "v"))
    out["v5-suback"] = packet(9, 0, u16(4) + props(p_str(0x1F, "r")) + bytes([0, 1, 2, 0x87,
                                                                                0xA2]))
    out["v5-unsubscribe"] = unsubscribe(True, 5, ["a/+", "c"], properties=p_user("k", "v"))
    out["v5-unsuback"] = packet(11, 0, u16(5) + props() + bytes([0x00, 0x11]))
    out["v5-pingreq"] = packet(12, 0, b"")
    out["v5-disconnect-empty"] = packet(14, 0, b"")
    out["v5-disconnect-reason"] = packet(14, 0, bytes([0x04]))
    out["v5-disconnect-properties"] = packet(14, 0, bytes([0x00]) + props(
        p_u32(0x11, 0) + p_str(0x1F, "bye") + p_user("k", "v") + p_str(0x1C, "elsewhere")))
    out["v5-auth-empty"] = packet(15, 0, b"")
    out["v5-auth-continue"] = packet(15, 0, bytes([0x18]) + props(
        p_str(0x15, "SCRAM-SHA-1") + p_bin(0x16, b"server-first") + p_str(0x1F, "go on")))
    # --- sessions: CONNECT and what follows in one buffer ---
    out["v311-session"] = (
        connect(4, "dev-1", username="u", password=b"p")
        + subscribe(False, 1, [("cmd/dev-1/#", 1)])
        + publish(False, "sensors/dev-1/temp", b'{"t":1}', qos=1, packet_id=2)
        + ack(4, 1) + ack(5, 3) + ack(6, 3) + ack(7, 3)
        + unsubscribe(False, 4, ["cmd/dev-1/#"])
        + packet(12, 0, b"") + packet(14, 0, b""))
    out["v5-session"] = (
        connect(5, "dev-5", properties=p_u16(0x22, 5) + p_u32(0x11, 10))
        + subscribe(True, 1, [("cmd/dev-5/#", 0b00000101)], properties=p_vbi(0x0B, 7))
        + publish(True, "sensors/dev-5/temp", b'{"t":1}', qos=1, packet_id=2,
                  properties=p_u16(0x23, 1))
        + publish(True, "", b'{"t":2}', properties=p_u16(0x23, 1))
        + ack(4, 1, 0x10, b"") + unsubscribe(True, 3, ["cmd/dev-5/#"])
        + packet(15, 0, bytes([0x19]) + props(p_str(0x15, "m")))
        + packet(12, 0, b"") + packet(14, 0, bytes([0x00]) + props(p_u32(0x11, 0))))
    out["v31-session"] = (connect(3, "legacy") + publish(False, "a", b"1", qos=2, packet_id=1)
                          + ack(6, 1) + packet(14, 0, b""))
    out["v311-two-connects"] = connect(4, "a") + connect(5, "b")
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    for name, data in seeds().items():
        (OUT / name).write_bytes(data)
    print(f"{len(seeds())} seeds in {OUT}")


if __name__ == "__main__":
    main()
