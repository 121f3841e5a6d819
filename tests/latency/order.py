"""Arrival order across connections, probed with synchronous raw sockets (MQTT 5).

A responder and a requester connect; the responder writes a SUBSCRIBE and, as soon as it is on
the wire (no wait for the SUBACK), the requester PUBLISHes to that topic. Prints how many of
the rounds delivered the request to the responder. MQTT promises no order across connections;
request/response clients rely on it anyway, and a single-threaded broker (mosquitto) keeps it.

    python tests/latency/order.py HOST:PORT [-n ROUNDS]
"""

import argparse
import socket
import struct


def mqtt_string(text):
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def packet(first_byte, body):
    length, n = bytearray(), len(body)
    while True:
        byte, n = n % 128, n // 128
        length.append(byte | (0x80 if n else 0))
        if not n:
            return bytes([first_byte]) + bytes(length) + body


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def connect(address, client_id):
    sock = socket.create_connection(address, timeout=5)
    sock.sendall(packet(0x10, mqtt_string("MQTT") + bytes([5, 2, 0, 60, 0]) + mqtt_string(client_id)))
    head = read_exactly(sock, 2)
    assert head[0] == 0x20 and read_exactly(sock, head[1])[1] == 0, "CONNACK refused"
    return sock


def one_round(address, i):
    topic = f"order/{i}"
    responder = connect(address, f"order-resp-{i}")
    requester = connect(address, f"order-req-{i}")
    responder.sendall(packet(0x82, struct.pack("!HB", 1, 0) + mqtt_string(topic) + bytes([0])))
    requester.sendall(packet(0x30, mqtt_string(topic) + bytes([0]) + b"request %d" % i))
    responder.settimeout(1)
    data = b""
    try:
        while b"request %d" % i not in data:
            chunk = responder.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    responder.close()
    requester.close()
    return b"request %d" % i in data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    host, port = args.address.rsplit(":", 1)
    delivered = sum(one_round((host, int(port)), i) for i in range(args.n))
    print(f"delivered {delivered}/{args.n} requests published right after another connection's SUBSCRIBE")


if __name__ == "__main__":
    main()
