"""A small synchronous wrapper over paho-mqtt for tests: connect, subscribe, publish, and wait
for messages, with timeouts so that a broken broker fails a test instead of hanging it."""

import queue
import threading

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

TIMEOUT = 10


class Client:
    """One paho client on its own network thread."""

    def __init__(self, port, client_id="", version=5, clean=True, transport="tcp", will=None,
                 keepalive=60, session_expiry=None, user=None, topic_alias_maximum=None):
        protocol = paho.MQTTv5 if version == 5 else paho.MQTTv311
        kwargs = {"client_id": client_id, "protocol": protocol, "transport": transport}
        if version != 5:
            kwargs["clean_session"] = clean
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, **kwargs)
        if transport == "websockets":
            self.client.ws_set_options(path="/mqtt")
        self.version = version
        self.messages = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connack = None
        self.disconnect_reason = None
        self.acks = queue.Queue()
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda c, u, msg: self.messages.put(msg)
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = lambda c, u, mid, codes, props: self.acks.put(("suback", mid, codes))
        self.client.on_unsubscribe = lambda c, u, mid, codes, props: self.acks.put(("unsuback", mid, codes))
        if will:
            topic, payload, qos = will
            self.client.will_set(topic, payload, qos)
        connect_props = None
        if version == 5:
            connect_props = Properties(PacketTypes.CONNECT)
            if session_expiry is not None:
                connect_props.SessionExpiryInterval = session_expiry
            if topic_alias_maximum is not None:
                connect_props.TopicAliasMaximum = topic_alias_maximum
        if user:
            self.client.username_pw_set(*user)
        self.client.connect("127.0.0.1", port, keepalive=keepalive,
                            clean_start=clean if version == 5 else paho.MQTT_CLEAN_START_FIRST_ONLY,
                            properties=connect_props)
        self.client.loop_start()
        if not self.connected.wait(TIMEOUT):
            raise TimeoutError("no CONNACK")

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.connack = (flags, reason_code, properties)
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.disconnect_reason = reason_code
        self.disconnected.set()

    @property
    def session_present(self):
        return bool(self.connack[0].session_present)

    def subscribe(self, topic, qos=0, **options):
        if self.version == 5:
            opts = paho.SubscribeOptions(qos=qos, **options)
            result, mid = self.client.subscribe(topic, options=opts)
        else:
            result, mid = self.client.subscribe(topic, qos)
        assert result == paho.MQTT_ERR_SUCCESS
        kind, ack_mid, codes = self.acks.get(timeout=TIMEOUT)
        assert (kind, ack_mid) == ("suback", mid)
        return [c.value if hasattr(c, "value") else c for c in codes]

    def unsubscribe(self, topic):
        result, mid = self.client.unsubscribe(topic)
        assert result == paho.MQTT_ERR_SUCCESS
        return self.acks.get(timeout=TIMEOUT)

    def publish(self, topic, payload, qos=0, retain=False, properties=None):
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published(), f"publish to {topic} not acknowledged"

    def expect(self, timeout=TIMEOUT):
        """The next message, or a failure after `timeout` seconds."""
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no message arrived") from None

    def expect_none(self, wait=0.5):
        try:
            msg = self.messages.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected message on {msg.topic}: {msg.payload!r}")

    def disconnect(self):
        self.client.disconnect()
        self.client.loop_stop()

    def drop(self):
        """Closes the socket without DISCONNECT, as a crashed device would."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()
