//! The broker as a client sees it: scripted connections, packets in, packets out.

use super::*;
use crate::broker::events::DisconnectReason;
use crate::mqtt::{
    Bytes, ConnAck, Connect, ConnectProperties, PubAck, Publish, PublishProperties, QoS, Subscribe,
    SubscribeFilter, SubscribeProperties, SubscriptionOptions, Unsubscribe, WillProperties,
};

const V5: ProtocolVersion = ProtocolVersion::V5;
const V3: ProtocolVersion = ProtocolVersion::V311;

fn broker() -> Broker {
    let config = BrokerConfig {
        lifecycle_events: false,
        ..BrokerConfig::default()
    };
    Broker::new(config, 7)
}

fn connect_packet(version: ProtocolVersion, client_id: &str, clean_start: bool) -> Connect {
    Connect {
        protocol: version,
        clean_start,
        keep_alive: 60,
        client_id: client_id.into(),
        will: None,
        username: None,
        password: None,
        properties: ConnectProperties::default(),
    }
}

fn connect(b: &mut Broker, conn: u64, packet: Connect) -> Vec<Output> {
    b.connect(ConnId(conn), packet, ConnectionInfo::default(), 1_000)
}

fn sent(outputs: &[Output], conn: u64) -> Vec<Packet> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send(c, p) if *c == ConnId(conn) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

fn publishes(outputs: &[Output], conn: u64) -> Vec<Publish> {
    sent(outputs, conn)
        .into_iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some(p),
            _ => None,
        })
        .collect()
}

fn connack_of(outputs: &[Output], conn: u64) -> ConnAck {
    sent(outputs, conn)
        .into_iter()
        .find_map(|p| match p {
            Packet::ConnAck(c) => Some(c),
            _ => None,
        })
        .expect("a CONNACK")
}

fn closed(outputs: &[Output], conn: u64) -> bool {
    outputs.iter().any(|o| *o == Output::Close(ConnId(conn)))
}

fn subscribe(b: &mut Broker, conn: u64, filter: &str, qos: QoS) -> Vec<Output> {
    subscribe_with(
        b,
        conn,
        filter,
        SubscriptionOptions {
            qos,
            no_local: false,
            retain_as_published: false,
            retain_handling: 0,
        },
        None,
    )
}

fn subscribe_with(
    b: &mut Broker,
    conn: u64,
    filter: &str,
    options: SubscriptionOptions,
    id: Option<u32>,
) -> Vec<Output> {
    b.handle(
        ConnId(conn),
        Packet::Subscribe(Subscribe {
            packet_id: 1,
            filters: vec![SubscribeFilter {
                filter: filter.into(),
                options,
            }],
            properties: SubscribeProperties {
                subscription_identifier: id,
                user_properties: vec![],
            },
        }),
        1_000,
    )
}

fn publish(
    b: &mut Broker,
    conn: u64,
    topic: &str,
    payload: &str,
    qos: QoS,
    retain: bool,
    id: Option<u16>,
) -> Vec<Output> {
    b.handle(
        ConnId(conn),
        Packet::Publish(Publish {
            dup: false,
            qos,
            retain,
            topic: topic.into(),
            packet_id: id,
            payload: Bytes::from(payload.to_string()),
            properties: PublishProperties::default(),
        }),
        1_000,
    )
}

fn normal_disconnect() -> Packet {
    Packet::Disconnect(mqtt::Disconnect {
        reason_code: 0,
        properties: Default::default(),
    })
}

fn ack(packet_id: u16) -> PubAck {
    PubAck {
        packet_id,
        reason_code: 0,
        properties: Default::default(),
    }
}

#[test]
fn connect_is_acknowledged_with_v5_properties() {
    let mut b = broker();
    let out = connect(&mut b, 1, connect_packet(V5, "c1", true));
    let connack = connack_of(&out, 1);
    assert_eq!(connack.reason_code, 0);
    assert!(!connack.session_present);
    assert_eq!(connack.properties.receive_maximum, Some(100));
    assert_eq!(connack.properties.topic_alias_maximum, Some(8));
    assert_eq!(
        connack.properties.server_keep_alive, None,
        "60 s is granted as asked"
    );
    assert!(matches!(out[0], Output::Accepted { keep_alive: 60, .. }));
}

#[test]
fn an_empty_client_id_is_assigned_or_refused() {
    let mut b = broker();
    let out = connect(&mut b, 1, connect_packet(V5, "", true));
    let assigned = connack_of(&out, 1)
        .properties
        .assigned_client_identifier
        .expect("assigned");
    assert!(assigned.starts_with("thingcore-"));
    let out = connect(&mut b, 2, connect_packet(V3, "", false));
    assert_eq!(
        connack_of(&out, 2).reason_code,
        mqtt::connack_v3::IDENTIFIER_REJECTED
    );
    assert!(closed(&out, 2));
    let out = connect(&mut b, 3, connect_packet(V3, "", true));
    assert_eq!(connack_of(&out, 3).reason_code, 0);
    let out = connect(&mut b, 4, connect_packet(V5, &"x".repeat(129), true));
    assert_eq!(
        connack_of(&out, 4).reason_code,
        mqtt::reason::CLIENT_IDENTIFIER_NOT_VALID
    );
}

#[test]
fn qos_is_the_lower_of_publish_and_subscription() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V5, "sub", true));
    connect(&mut b, 2, connect_packet(V5, "pub", true));
    let out = subscribe(&mut b, 1, "a/+", QoS::AtLeastOnce);
    assert!(matches!(&sent(&out, 1)[..], [Packet::SubAck(s)] if s.reason_codes == [1]));
    let out = publish(&mut b, 2, "a/b", "x", QoS::ExactlyOnce, false, Some(9));
    assert!(matches!(&sent(&out, 2)[..], [Packet::PubRec(a)] if a.packet_id == 9));
    let got = publishes(&out, 1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].qos, QoS::AtLeastOnce);
    assert_eq!(got[0].topic, "a/b");
    let out = publish(&mut b, 2, "a/b", "y", QoS::AtMostOnce, false, None);
    assert_eq!(publishes(&out, 1)[0].qos, QoS::AtMostOnce);
}

#[test]
fn inbound_qos2_is_routed_once_and_released() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V5, "sub", true));
    connect(&mut b, 2, connect_packet(V5, "pub", true));
    subscribe(&mut b, 1, "t", QoS::AtMostOnce);
    let first = publish(&mut b, 2, "t", "x", QoS::ExactlyOnce, false, Some(5));
    assert_eq!(publishes(&first, 1).len(), 1);
    let again = publish(&mut b, 2, "t", "x", QoS::ExactlyOnce, false, Some(5));
    assert!(
        publishes(&again, 1).is_empty(),
        "a DUP of an unreleased id is not routed again"
    );
    assert!(matches!(&sent(&again, 2)[..], [Packet::PubRec(_)]));
    let out = b.handle(ConnId(2), Packet::PubRel(ack(5)), 1_000);
    assert!(matches!(&sent(&out, 2)[..], [Packet::PubComp(a)] if a.reason_code == 0));
    let out = b.handle(ConnId(2), Packet::PubRel(ack(5)), 1_000);
    assert!(
        matches!(&sent(&out, 2)[..], [Packet::PubComp(a)] if a.reason_code == mqtt::reason::PACKET_IDENTIFIER_NOT_FOUND)
    );
}

#[test]
fn retained_messages_are_stored_replaced_and_cleared() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V3, "pub", true));
    let out = publish(&mut b, 1, "r/1", "one", QoS::AtLeastOnce, true, Some(1));
    assert!(out.contains(&Output::RetainedChanged("r/1".into())));
    publish(&mut b, 1, "r/1", "two", QoS::AtMostOnce, true, None);
    connect(&mut b, 2, connect_packet(V3, "sub", true));
    let out = subscribe(&mut b, 2, "r/#", QoS::AtLeastOnce);
    let got = publishes(&out, 2);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload, Bytes::from_static(b"two"));
    assert!(got[0].retain, "retained messages at subscribe carry RETAIN");
    assert_eq!(got[0].qos, QoS::AtMostOnce);
    let routed = publish(&mut b, 1, "r/1", "three", QoS::AtMostOnce, true, None);
    assert!(
        !publishes(&routed, 2)[0].retain,
        "live messages lose RETAIN without retain-as-published"
    );
    let out = publish(&mut b, 1, "r/1", "", QoS::AtMostOnce, true, None);
    assert!(out.contains(&Output::RetainedChanged("r/1".into())));
    assert!(b.retained("r/1").is_none());
}

#[test]
fn retain_handling_and_retain_as_published() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V5, "c", true));
    publish(&mut b, 1, "r", "x", QoS::AtMostOnce, true, None);
    let opts = |rh, rap| SubscriptionOptions {
        qos: QoS::AtMostOnce,
        no_local: false,
        retain_as_published: rap,
        retain_handling: rh,
    };
    assert_eq!(
        publishes(&subscribe_with(&mut b, 1, "r", opts(1, true), None), 1).len(),
        1
    );
    assert_eq!(
        publishes(&subscribe_with(&mut b, 1, "r", opts(1, true), None), 1).len(),
        0,
        "1: only when new"
    );
    assert_eq!(
        publishes(&subscribe_with(&mut b, 1, "r", opts(2, true), None), 1).len(),
        0,
        "2: never"
    );
    let routed = publish(&mut b, 1, "r", "y", QoS::AtMostOnce, true, None);
    assert!(
        publishes(&routed, 1)[0].retain,
        "retain-as-published keeps RETAIN"
    );
}

#[test]
fn dollar_topics_skip_leading_wildcards() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V5, "c", true));
    subscribe(&mut b, 1, "#", QoS::AtMostOnce);
    subscribe(&mut b, 1, "+/x", QoS::AtMostOnce);
    let out = b.publish(
        Message::from_publish(
            "$SYS/x".into(),
            Bytes::new(),
            QoS::AtMostOnce,
            false,
            &Default::default(),
            None,
            0,
        ),
        1_000,
    );
    assert!(publishes(&out, 1).is_empty());
    subscribe(&mut b, 1, "$SYS/#", QoS::AtMostOnce);
    let out = b.publish(
        Message::from_publish(
            "$SYS/x".into(),
            Bytes::from_static(b"p"),
            QoS::AtMostOnce,
            false,
            &Default::default(),
            None,
            0,
        ),
        1_000,
    );
    assert_eq!(publishes(&out, 1).len(), 1);
}

#[test]
fn overlapping_subscriptions_deliver_once_with_every_identifier() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V5, "c", true));
    let opts = SubscriptionOptions {
        qos: QoS::AtMostOnce,
        no_local: false,
        retain_as_published: false,
        retain_handling: 0,
    };
    subscribe_with(&mut b, 1, "a/#", opts.clone(), Some(1));
    subscribe_with(
        &mut b,
        1,
        "a/b",
        SubscriptionOptions {
            qos: QoS::AtLeastOnce,
            ..opts
        },
        Some(2),
    );
    connect(&mut b, 2, connect_packet(V5, "p", true));
    let out = publish(&mut b, 2, "a/b", "x", QoS::AtLeastOnce, false, Some(1));
    let got = publishes(&out, 1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].qos, QoS::AtLeastOnce);
    let mut ids = got[0].properties.subscription_identifiers.clone();
    ids.sort();
    assert_eq!(ids, [1, 2]);
}

#[test]
fn no_local_skips_own_messages() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V5, "c", true));
    let opts = SubscriptionOptions {
        qos: QoS::AtMostOnce,
        no_local: true,
        retain_as_published: false,
        retain_handling: 0,
    };
    subscribe_with(&mut b, 1, "t", opts, None);
    assert!(publishes(
        &publish(&mut b, 1, "t", "x", QoS::AtMostOnce, false, None),
        1
    )
    .is_empty());
}

#[test]
fn shared_subscriptions_spread_messages_round_robin() {
    let mut b = broker();
    for (conn, id) in [(1, "a"), (2, "b")] {
        connect(&mut b, conn, connect_packet(V5, id, true));
        subscribe(&mut b, conn, "$share/g/jobs/+", QoS::AtLeastOnce);
    }
    connect(&mut b, 3, connect_packet(V5, "p", true));
    let mut counts = [0, 0];
    for i in 0..10 {
        let out = publish(
            &mut b,
            3,
            "jobs/x",
            "j",
            QoS::AtLeastOnce,
            false,
            Some(i + 1),
        );
        counts[0] += publishes(&out, 1).len();
        counts[1] += publishes(&out, 2).len();
    }
    assert_eq!(counts, [5, 5]);
}

#[test]
fn persistent_sessions_queue_while_offline_and_resume() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V3, "dev", false));
    subscribe(&mut b, 1, "cmd", QoS::AtLeastOnce);
    let out = b.handle(ConnId(1), normal_disconnect(), 1_000);
    assert!(closed(&out, 1));
    assert!(out.contains(&Output::SessionChanged("dev".into())));
    connect(&mut b, 2, connect_packet(V3, "app", true));
    let out = publish(&mut b, 2, "cmd", "go", QoS::AtLeastOnce, false, Some(1));
    assert!(
        out.contains(&Output::SessionChanged("dev".into())),
        "queued messages are persisted"
    );
    publish(&mut b, 2, "cmd", "lost", QoS::AtMostOnce, false, None);
    let out = connect(&mut b, 3, connect_packet(V3, "dev", false));
    assert!(connack_of(&out, 3).session_present);
    let got = publishes(&out, 3);
    assert_eq!(got.len(), 1, "QoS 0 is not queued for offline clients");
    assert_eq!(got[0].payload, Bytes::from_static(b"go"));
    let id = got[0].packet_id.expect("id");
    // Lost again before the PUBACK: the message comes back with DUP.
    b.connection_lost(ConnId(3), DisconnectReason::ConnectionLost, 1_000);
    let out = connect(&mut b, 4, connect_packet(V3, "dev", false));
    let again = publishes(&out, 4);
    assert_eq!(again.len(), 1);
    assert!(again[0].dup);
    assert_eq!(again[0].packet_id, Some(id));
    b.handle(ConnId(4), Packet::PubAck(ack(id)), 1_000);
    assert_eq!(b.session("dev").map(|s| s.inflight_len()), Some(0));
}

#[test]
fn clean_start_discards_the_old_session() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V3, "dev", false));
    subscribe(&mut b, 1, "cmd", QoS::AtLeastOnce);
    b.connection_lost(ConnId(1), DisconnectReason::ConnectionLost, 1_000);
    let out = connect(&mut b, 2, connect_packet(V3, "dev", true));
    assert!(!connack_of(&out, 2).session_present);
    assert!(out.contains(&Output::SessionEnded("dev".into())));
    assert!(b.session("dev").is_some_and(|s| s.subscriptions.is_empty()));
}

#[test]
fn sessions_expire_after_their_interval() {
    let mut b = broker();
    let mut packet = connect_packet(V5, "dev", true);
    packet.properties.session_expiry_interval = Some(10);
    connect(&mut b, 1, packet);
    subscribe(&mut b, 1, "cmd", QoS::AtLeastOnce);
    b.connection_lost(ConnId(1), DisconnectReason::ConnectionLost, 1_000);
    assert_eq!(b.next_deadline(), Some(11_000));
    assert!(b.tick(10_999).is_empty());
    let out = b.tick(11_000);
    assert!(out.contains(&Output::SessionEnded("dev".into())));
    assert!(b.session("dev").is_none());
}

#[test]
fn session_expiry_is_capped_and_said() {
    let mut b = broker();
    let mut packet = connect_packet(V5, "dev", true);
    packet.properties.session_expiry_interval = Some(u32::MAX);
    let out = connect(&mut b, 1, packet);
    assert_eq!(
        connack_of(&out, 1).properties.session_expiry_interval,
        Some(3600)
    );
}

#[test]
fn takeover_disconnects_the_first_connection() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V5, "same", true));
    let out = connect(&mut b, 2, connect_packet(V5, "same", true));
    assert!(
        matches!(&sent(&out, 1)[..], [Packet::Disconnect(d)] if d.reason_code == mqtt::reason::SESSION_TAKEN_OVER)
    );
    assert!(closed(&out, 1));
    assert_eq!(connack_of(&out, 2).reason_code, 0);
    assert_eq!(b.connection_count(), 1);
}

fn with_will(mut packet: Connect, delay: Option<u32>) -> Connect {
    packet.will = Some(Will {
        topic: "wills/dev".into(),
        payload: Bytes::from_static(b"gone"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: WillProperties {
            will_delay_interval: delay,
            ..Default::default()
        },
    });
    packet
}

#[test]
fn wills_are_published_on_loss_not_on_disconnect() {
    let mut b = broker();
    connect(&mut b, 9, connect_packet(V5, "watcher", true));
    subscribe(&mut b, 9, "wills/#", QoS::AtLeastOnce);
    connect(&mut b, 1, with_will(connect_packet(V5, "dev", true), None));
    let out = b.handle(ConnId(1), normal_disconnect(), 1_000);
    assert!(
        publishes(&out, 9).is_empty(),
        "normal DISCONNECT discards the will"
    );
    connect(&mut b, 2, with_will(connect_packet(V5, "dev", true), None));
    let out = b.connection_lost(ConnId(2), DisconnectReason::ConnectionLost, 1_000);
    assert_eq!(publishes(&out, 9)[0].payload, Bytes::from_static(b"gone"));
    connect(&mut b, 3, with_will(connect_packet(V5, "dev", true), None));
    let out = b.handle(
        ConnId(3),
        Packet::Disconnect(mqtt::Disconnect {
            reason_code: mqtt::reason::DISCONNECT_WITH_WILL,
            properties: Default::default(),
        }),
        1_000,
    );
    assert_eq!(publishes(&out, 9).len(), 1, "0x04 publishes the will");
}

#[test]
fn delayed_wills_wait_and_are_cancelled_by_reconnection() {
    let mut b = broker();
    connect(&mut b, 9, connect_packet(V5, "watcher", true));
    subscribe(&mut b, 9, "wills/#", QoS::AtMostOnce);
    let mut packet = with_will(connect_packet(V5, "dev", false), Some(5));
    packet.properties.session_expiry_interval = Some(60);
    connect(&mut b, 1, packet.clone());
    let out = b.connection_lost(ConnId(1), DisconnectReason::ConnectionLost, 1_000);
    assert!(publishes(&out, 9).is_empty());
    let out = b.tick(6_000);
    assert_eq!(publishes(&out, 9).len(), 1, "published after the delay");
    connect(&mut b, 2, packet.clone());
    b.connection_lost(ConnId(2), DisconnectReason::ConnectionLost, 10_000);
    connect(&mut b, 3, packet);
    assert!(
        publishes(&b.tick(20_000), 9).is_empty(),
        "reconnecting cancels the will"
    );
}

#[test]
fn topic_aliases_resolve_and_bad_ones_disconnect() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V5, "s", true));
    subscribe(&mut b, 1, "long/topic", QoS::AtMostOnce);
    connect(&mut b, 2, connect_packet(V5, "p", true));
    let aliased = |topic: &str, alias| {
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: topic.into(),
            packet_id: None,
            payload: Bytes::from_static(b"x"),
            properties: PublishProperties {
                topic_alias: Some(alias),
                ..Default::default()
            },
        })
    };
    assert_eq!(
        publishes(&b.handle(ConnId(2), aliased("long/topic", 3), 0), 1).len(),
        1
    );
    let out = b.handle(ConnId(2), aliased("", 3), 0);
    assert_eq!(publishes(&out, 1)[0].topic, "long/topic");
    let out = b.handle(ConnId(2), aliased("", 4), 0);
    assert!(closed(&out, 2), "an unknown alias is a protocol error");
    connect(&mut b, 3, connect_packet(V5, "q", true));
    let out = b.handle(ConnId(3), aliased("x", 9), 0);
    assert!(
        matches!(&sent(&out, 3)[..], [Packet::Disconnect(d)] if d.reason_code == mqtt::reason::TOPIC_ALIAS_INVALID)
    );
}

#[test]
fn bad_topics_and_payloads_close_the_connection() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V5, "c", true));
    let out = publish(&mut b, 1, "a/+", "x", QoS::AtMostOnce, false, None);
    assert!(
        matches!(&sent(&out, 1)[..], [Packet::Disconnect(d)] if d.reason_code == mqtt::reason::TOPIC_NAME_INVALID)
    );
    connect(&mut b, 2, connect_packet(V3, "d", true));
    let big = "x".repeat(128 * 1024 + 1);
    let out = publish(&mut b, 2, "t", &big, QoS::AtMostOnce, false, None);
    assert!(closed(&out, 2));
    assert!(sent(&out, 2).is_empty(), "3.1.1 clients are just dropped");
}

#[test]
fn invalid_filters_fail_alone() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V3, "c", true));
    let out = b.handle(
        ConnId(1),
        Packet::Subscribe(Subscribe {
            packet_id: 3,
            filters: vec![
                SubscribeFilter {
                    filter: "a/#/b".into(),
                    options: SubscriptionOptions {
                        qos: QoS::AtLeastOnce,
                        no_local: false,
                        retain_as_published: false,
                        retain_handling: 0,
                    },
                },
                SubscribeFilter {
                    filter: "ok".into(),
                    options: SubscriptionOptions {
                        qos: QoS::ExactlyOnce,
                        no_local: false,
                        retain_as_published: false,
                        retain_handling: 0,
                    },
                },
            ],
            properties: Default::default(),
        }),
        0,
    );
    assert!(matches!(&sent(&out, 1)[..], [Packet::SubAck(s)] if s.reason_codes == [0x80, 2]));
}

#[test]
fn unsubscribe_reports_what_existed() {
    let mut b = broker();
    connect(&mut b, 1, connect_packet(V5, "c", true));
    subscribe(&mut b, 1, "a", QoS::AtMostOnce);
    let out = b.handle(
        ConnId(1),
        Packet::Unsubscribe(Unsubscribe {
            packet_id: 4,
            filters: vec!["a".into(), "b".into()],
            user_properties: vec![],
        }),
        0,
    );
    assert!(
        matches!(&sent(&out, 1)[..], [Packet::UnsubAck(u)] if u.reason_codes == [0, mqtt::reason::NO_SUBSCRIPTION_EXISTED])
    );
    connect(&mut b, 2, connect_packet(V5, "p", true));
    assert!(publishes(
        &publish(&mut b, 2, "a", "x", QoS::AtMostOnce, false, None),
        1
    )
    .is_empty());
}

#[test]
fn lifecycle_events_are_published_to_subscribers() {
    let mut b = Broker::new(BrokerConfig::default(), 1);
    connect(&mut b, 1, connect_packet(V5, "watcher", true));
    subscribe(&mut b, 1, "$aws/events/#", QoS::AtMostOnce);
    let out = connect(&mut b, 2, connect_packet(V5, "dev", true));
    let events = publishes(&out, 1);
    assert_eq!(events[0].topic, "$aws/events/presence/connected/dev");
    let body: serde_json::Value = serde_json::from_slice(&events[0].payload).expect("json");
    assert_eq!(body["eventType"], "connected");
    assert_eq!(body["clientId"], "dev");
    let out = b.connection_lost(ConnId(2), DisconnectReason::KeepAliveTimeout, 2_000);
    let body: serde_json::Value =
        serde_json::from_slice(&publishes(&out, 1)[0].payload).expect("json");
    assert_eq!(body["disconnectReason"], "MQTT_KEEP_ALIVE_TIMEOUT");
    assert_eq!(body["clientInitiatedDisconnect"], false);
}

#[test]
fn the_inflight_window_follows_receive_maximum() {
    let mut b = broker();
    let mut packet = connect_packet(V5, "slow", true);
    packet.properties.receive_maximum = Some(2);
    connect(&mut b, 1, packet);
    subscribe(&mut b, 1, "t", QoS::AtLeastOnce);
    connect(&mut b, 2, connect_packet(V5, "p", true));
    let mut delivered = Vec::new();
    for i in 0..5u16 {
        delivered.extend(publishes(
            &publish(&mut b, 2, "t", "x", QoS::AtLeastOnce, false, Some(i + 1)),
            1,
        ));
    }
    assert_eq!(delivered.len(), 2);
    let out = b.handle(
        ConnId(1),
        Packet::PubAck(ack(delivered[0].packet_id.expect("id"))),
        0,
    );
    assert_eq!(
        publishes(&out, 1).len(),
        1,
        "each PUBACK lets one more through"
    );
}

#[test]
fn packets_from_unknown_connections_and_second_connects_close() {
    let mut b = broker();
    assert!(closed(&b.handle(ConnId(5), Packet::PingReq, 0), 5));
    connect(&mut b, 1, connect_packet(V5, "c", true));
    assert!(matches!(
        &sent(&b.handle(ConnId(1), Packet::PingReq, 0), 1)[..],
        [Packet::PingResp]
    ));
    let out = b.handle(
        ConnId(1),
        Packet::Connect(Box::new(connect_packet(V5, "c", true))),
        0,
    );
    assert!(closed(&out, 1));
}

fn pubacks(out: &[Output], conn: u64) -> Vec<u16> {
    sent(out, conn)
        .into_iter()
        .filter_map(|p| match p {
            Packet::PubAck(a) => Some(a.packet_id),
            _ => None,
        })
        .collect()
}

#[test]
fn a_stuck_subscriber_never_paces_the_publisher_or_starves_the_others() {
    let mut b = Broker::new(
        BrokerConfig {
            lifecycle_events: false,
            max_queued_messages: 4,
            ..BrokerConfig::default()
        },
        7,
    );
    // "stuck" takes one message and never acknowledges it.
    let mut packet = connect_packet(V5, "stuck", true);
    packet.properties.receive_maximum = Some(1);
    connect(&mut b, 1, packet);
    subscribe(&mut b, 1, "t", QoS::AtLeastOnce);
    connect(&mut b, 3, connect_packet(V5, "healthy", true));
    subscribe(&mut b, 3, "t", QoS::AtLeastOnce);
    connect(&mut b, 2, connect_packet(V5, "fast", true));
    let mut acked = Vec::new();
    let mut to_stuck = 0;
    let mut to_healthy = Vec::new();
    for id in 1..=20u16 {
        let out = publish(&mut b, 2, "t", "x", QoS::AtLeastOnce, false, Some(id));
        acked.extend(pubacks(&out, 2));
        to_stuck += publishes(&out, 1).len();
        for p in publishes(&out, 3) {
            // The healthy subscriber acknowledges at once.
            b.handle(ConnId(3), Packet::PubAck(ack(p.packet_id.expect("id"))), 0);
            to_healthy.push(p);
        }
    }
    assert_eq!(acked, (1..=20).collect::<Vec<_>>(), "every PUBACK at once");
    assert_eq!(
        to_healthy.len(),
        20,
        "the healthy subscriber gets everything"
    );
    assert_eq!(to_stuck, 1, "the stuck one holds one in flight");
    let stuck = b.session("stuck").expect("session");
    assert_eq!(stuck.queue_len(), 4, "its queue is bounded");
    assert_eq!(
        stuck.dropped, 15,
        "and what did not fit is dropped and counted"
    );
}

#[test]
fn over_the_broker_wide_queue_bound_publishers_are_paced_until_half_is_free() {
    // Each queued "x" on "t" counts 2 bytes; the bound is 6.
    let mut b = Broker::new(
        BrokerConfig {
            lifecycle_events: false,
            max_queued_bytes: 6,
            ..BrokerConfig::default()
        },
        7,
    );
    let mut packet = connect_packet(V5, "slow", true);
    packet.properties.receive_maximum = Some(1);
    connect(&mut b, 1, packet);
    subscribe(&mut b, 1, "t", QoS::AtLeastOnce);
    connect(&mut b, 2, connect_packet(V5, "fast", true));
    let mut acked = Vec::new();
    let mut delivered = Vec::new();
    for id in 1..=8u16 {
        let out = publish(&mut b, 2, "t", "x", QoS::AtLeastOnce, false, Some(id));
        acked.extend(pubacks(&out, 2));
        delivered.extend(publishes(&out, 1));
    }
    // One in flight; three queued fill the bound (6 bytes); the fourth goes over it, and
    // from then on PUBACKs wait.
    assert_eq!(acked, [1, 2, 3, 4]);
    assert_eq!(b.queued_bytes(), 14);
    // The subscriber catches up: at half the bound the held PUBACKs go out, in order, once.
    let mut released = Vec::new();
    while let Some(p) = delivered.pop() {
        let out = b.handle(ConnId(1), Packet::PubAck(ack(p.packet_id.expect("id"))), 0);
        released.extend(pubacks(&out, 2));
        delivered.extend(publishes(&out, 1));
    }
    assert_eq!(released, [5, 6, 7, 8]);
    assert_eq!(b.queued_bytes(), 0);
}

#[test]
fn paced_acks_are_released_when_a_session_ending_frees_the_queues() {
    let mut b = Broker::new(
        BrokerConfig {
            lifecycle_events: false,
            max_queued_bytes: 2,
            ..BrokerConfig::default()
        },
        7,
    );
    let mut packet = connect_packet(V5, "slow", true);
    packet.properties.receive_maximum = Some(1);
    connect(&mut b, 1, packet);
    subscribe(&mut b, 1, "t", QoS::AtLeastOnce);
    connect(&mut b, 2, connect_packet(V5, "fast", true));
    for id in 1..=3u16 {
        publish(&mut b, 2, "t", "x", QoS::AtLeastOnce, false, Some(id));
    }
    // A clean session ends with its connection, and its queue with it.
    let out = b.connection_lost(ConnId(1), DisconnectReason::ConnectionLost, 0);
    assert_eq!(pubacks(&out, 2), [3]);
    assert_eq!(b.queued_bytes(), 0);
}

mod authz;
