//! An acknowledgement means "stored": the hub sends a SUBACK, PUBACK or an HTTP publish's
//! answer for a change to a persistent session or a retained message only once the Store
//! has the change. The Store here holds every write until the test lets it through, so each
//! test sees the moment between "asked to store" and "stored".

use super::*;
use std::collections::HashSet;
use std::sync::Mutex;
use thingcore::broker::BrokerConfig;
use thingcore::mqtt::{
    ConnectProperties, Publish, PublishProperties, Subscribe, SubscribeFilter, SubscribeProperties,
    SubscriptionOptions,
};
use thingcore::store::{Item, Key, MemoryStore, Page, Put, Query, Store, Table, WriteOp};
use tokio::sync::Notify;

/// A Store that holds writes to chosen keys until the test releases them, and tells which
/// writes are waiting and which are done.
struct GatedStore {
    inner: MemoryStore,
    held: Mutex<HashSet<String>>,
    pending: Mutex<HashSet<String>>,
    written: Mutex<Vec<String>>,
    changed: Notify,
}

impl GatedStore {
    /// Holds writes to `keys` (`pk/sk`; `*` holds every write).
    fn holding(keys: &[&str]) -> Arc<Self> {
        Arc::new(Self {
            inner: MemoryStore::new(Arc::new(SystemClock)),
            held: Mutex::new(keys.iter().map(|k| (*k).to_string()).collect()),
            pending: Mutex::new(HashSet::new()),
            written: Mutex::new(Vec::new()),
            changed: Notify::new(),
        })
    }

    fn is_held(&self, name: &str) -> bool {
        let held = self.held.lock().expect("lock");
        held.contains(name) || held.contains("*")
    }

    /// Waits while writes to `key` are held.
    async fn pass(&self, key: &Key) -> String {
        let name = format!("{}/{}", key.pk, key.sk);
        loop {
            let notified = self.changed.notified();
            if !self.is_held(&name) {
                break;
            }
            if self.pending.lock().expect("lock").insert(name.clone()) {
                self.changed.notify_waiters();
            }
            notified.await;
        }
        self.pending.lock().expect("lock").remove(&name);
        name
    }

    fn done(&self, name: String) {
        self.written.lock().expect("lock").push(name);
        self.changed.notify_waiters();
    }

    /// Lets writes to `key` through.
    fn release(&self, key: &str) {
        self.held.lock().expect("lock").remove(key);
        self.changed.notify_waiters();
    }

    /// Waits until a write to `key` is held.
    async fn until_pending(&self, key: &str) {
        loop {
            let notified = self.changed.notified();
            if self.pending.lock().expect("lock").contains(key) {
                return;
            }
            notified.await;
        }
    }

    fn written(&self) -> Vec<String> {
        self.written.lock().expect("lock").clone()
    }
}

#[async_trait::async_trait]
impl Store for GatedStore {
    async fn get(&self, table: Table, key: &Key) -> thingcore::Result<Option<Item>> {
        self.inner.get(table, key).await
    }
    async fn put(&self, put: Put) -> thingcore::Result<u64> {
        let name = self.pass(&put.key).await;
        let version = self.inner.put(put).await;
        self.done(name);
        version
    }
    async fn delete(
        &self,
        table: Table,
        key: &Key,
        expect: thingcore::store::Expect,
    ) -> thingcore::Result<bool> {
        let name = self.pass(key).await;
        let deleted = self.inner.delete(table, key, expect).await;
        self.done(name);
        deleted
    }
    async fn query(&self, query: &Query) -> thingcore::Result<Page> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> thingcore::Result<()> {
        self.inner.transact(ops).await
    }
    async fn flush(&self) -> thingcore::Result<()> {
        self.inner.flush().await
    }
}

/// Waits until the hub has handled every event sent before: it answers in order.
async fn barrier(hub: &HubHandle) {
    let _ = hub.get_retained("barrier".into()).await;
}

/// A hub over the gated store, running until the test ends.
fn start_hub(store: Arc<GatedStore>) -> HubHandle {
    let broker = Broker::new(BrokerConfig::default(), 1);
    let (hub, handle) = Hub::new(broker, Persister::start(store));
    tokio::spawn(hub.run(std::future::pending()));
    handle
}

/// A connected MQTT 5 client with a session that outlives it.
async fn connect(hub: &HubHandle, client_id: &str) -> (ConnId, Commands) {
    let conn = hub.next_conn_id();
    let (sender, mut commands) = ConnSender::new();
    let connect = Connect {
        protocol: ProtocolVersion::V5,
        clean_start: false,
        keep_alive: 60,
        client_id: client_id.into(),
        will: None,
        username: None,
        password: None,
        properties: ConnectProperties {
            session_expiry_interval: Some(3600),
            ..ConnectProperties::default()
        },
    };
    assert!(
        hub.send(HubEvent::Connect {
            conn,
            connect: Box::new(connect),
            info: ConnectionInfo {
                ip_address: None,
                principal: None,
                authorization: None,
            },
            sender,
        })
        .await
    );
    match commands.recv().await {
        Some(ConnCommand::Accepted { .. }) => {}
        other => panic!("expected the CONNECT accepted, got {other:?}"),
    }
    let packet = next_packet(&mut commands).await;
    assert!(
        matches!(packet, Packet::ConnAck(_)),
        "expected a CONNACK, got {packet:?}"
    );
    (conn, commands)
}

/// The next packet the hub writes to a connection.
async fn next_packet(commands: &mut Commands) -> Packet {
    match commands.recv().await {
        Some(ConnCommand::Send(packet)) => packet,
        other => panic!("expected a packet, got {other:?}"),
    }
}

/// Waits for the SUBACK the hub writes to a connection.
async fn expect_suback(commands: &mut Commands) {
    let packet = next_packet(commands).await;
    assert!(
        matches!(packet, Packet::SubAck(_)),
        "expected a SUBACK, got {packet:?}"
    );
}

fn subscribe(packet_id: u16, filter: &str) -> Packet {
    Packet::Subscribe(Subscribe {
        packet_id,
        filters: vec![SubscribeFilter {
            filter: filter.into(),
            options: SubscriptionOptions {
                qos: QoS::AtLeastOnce,
                ..SubscriptionOptions::default()
            },
        }],
        properties: SubscribeProperties::default(),
    })
}

fn publish(packet_id: u16, topic: &str, retain: bool) -> Packet {
    Packet::Publish(Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain,
        topic: topic.into(),
        packet_id: Some(packet_id),
        payload: thingcore::mqtt::Bytes::from_static(b"kept"),
        properties: PublishProperties::default(),
    })
}

#[tokio::test]
async fn a_suback_waits_until_the_session_is_stored() {
    let store = GatedStore::holding(&["mqtt-session/keeper"]);
    let hub = start_hub(store.clone());
    let (conn, mut commands) = connect(&hub, "keeper").await;
    hub.send(HubEvent::Packet {
        conn,
        packet: subscribe(1, "kept/#"),
    })
    .await;
    barrier(&hub).await;
    store.until_pending("mqtt-session/keeper").await;
    assert!(
        commands.try_recv().is_none(),
        "a SUBACK went out before the subscription was stored"
    );
    store.release("mqtt-session/keeper");
    expect_suback(&mut commands).await;
    assert!(store.written().contains(&"mqtt-session/keeper".to_string()));
}

#[tokio::test]
async fn a_puback_waits_until_the_message_is_stored_for_an_offline_session() {
    let store = GatedStore::holding(&[]);
    let hub = start_hub(store.clone());
    // An offline persistent session subscribed to kept/#.
    let (subscriber, mut sub_commands) = connect(&hub, "offline").await;
    hub.send(HubEvent::Packet {
        conn: subscriber,
        packet: subscribe(1, "kept/#"),
    })
    .await;
    expect_suback(&mut sub_commands).await;
    hub.send(HubEvent::Lost {
        conn: subscriber,
        reason: DisconnectReason::ConnectionLost,
    })
    .await;
    let (publisher, mut commands) = connect(&hub, "publisher").await;

    store
        .held
        .lock()
        .expect("lock")
        .insert("mqtt-session/offline".into());
    hub.send(HubEvent::Packet {
        conn: publisher,
        packet: publish(7, "kept/a", false),
    })
    .await;
    barrier(&hub).await;
    store.until_pending("mqtt-session/offline").await;
    assert!(
        commands.try_recv().is_none(),
        "a PUBACK went out before the queued message was stored"
    );
    store.release("mqtt-session/offline");
    match next_packet(&mut commands).await {
        Packet::PubAck(ack) => assert_eq!(ack.packet_id, 7),
        other => panic!("expected PUBACK 7, got {other:?}"),
    }
}

#[tokio::test]
async fn a_retained_message_is_stored_before_its_puback_and_before_an_http_answer() {
    let lamp = "mqtt-retained/status/lamp";
    let door = "mqtt-retained/status/door";
    let store = GatedStore::holding(&[lamp, door]);
    let hub = start_hub(store.clone());
    let (publisher, mut commands) = connect(&hub, "retainer").await;

    hub.send(HubEvent::Packet {
        conn: publisher,
        packet: publish(3, "status/lamp", true),
    })
    .await;
    barrier(&hub).await;
    store.until_pending(lamp).await;
    assert!(
        commands.try_recv().is_none(),
        "PUBACK before the retained message was stored"
    );

    // An HTTP publish of a retained message is answered only once it is stored, too.
    let answered = Arc::new(AtomicBool::new(false));
    let http = tokio::spawn({
        let (hub, answered) = (hub.clone(), answered.clone());
        async move {
            let message = Message {
                topic: "status/door".into(),
                payload: thingcore::mqtt::Bytes::from_static(b"open"),
                qos: QoS::AtMostOnce,
                retain: true,
                properties: Default::default(),
                publisher: None,
                received_at: 0,
                expires_at: None,
            };
            let published = hub.publish(message).await;
            answered.store(true, Ordering::SeqCst);
            published
        }
    });
    store.release(lamp);
    match next_packet(&mut commands).await {
        Packet::PubAck(ack) => assert_eq!(ack.packet_id, 3),
        other => panic!("expected PUBACK 3, got {other:?}"),
    }
    store.until_pending(door).await;
    assert!(
        !answered.load(Ordering::SeqCst),
        "HTTP publish answered before its retained message was stored"
    );
    store.release(door);
    assert!(http.await.expect("joined"), "the HTTP publish was answered");
    let written = store.written();
    assert!(written.contains(&lamp.to_string()), "{written:?}");
    assert!(written.contains(&door.to_string()), "{written:?}");
}

#[tokio::test]
async fn a_clean_sessions_acknowledgements_never_wait_for_the_store() {
    // Every write would wait forever; a clean session stores nothing, so nothing waits.
    let store = GatedStore::holding(&["*"]);
    let hub = start_hub(store.clone());
    let conn = hub.next_conn_id();
    let (sender, mut commands) = ConnSender::new();
    hub.send(HubEvent::Connect {
        conn,
        connect: Box::new(Connect {
            protocol: ProtocolVersion::V311,
            clean_start: true,
            keep_alive: 60,
            client_id: "passing".into(),
            will: None,
            username: None,
            password: None,
            properties: ConnectProperties::default(),
        }),
        info: ConnectionInfo {
            ip_address: None,
            principal: None,
            authorization: None,
        },
        sender,
    })
    .await;
    assert!(matches!(
        commands.recv().await,
        Some(ConnCommand::Accepted { .. })
    ));
    assert!(matches!(
        next_packet(&mut commands).await,
        Packet::ConnAck(_)
    ));
    hub.send(HubEvent::Packet {
        conn,
        packet: subscribe(1, "passing/#"),
    })
    .await;
    expect_suback(&mut commands).await;
    hub.send(HubEvent::Packet {
        conn,
        packet: publish(2, "passing/x", false),
    })
    .await;
    // Its own subscription gets the message too; the PUBACK comes without any write.
    let mut got_puback = false;
    for _ in 0..2 {
        if let Packet::PubAck(ack) = next_packet(&mut commands).await {
            assert_eq!(ack.packet_id, 2);
            got_puback = true;
        }
    }
    assert!(got_puback);
    assert!(store.written().is_empty());
}
