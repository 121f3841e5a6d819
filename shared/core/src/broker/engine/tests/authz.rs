//! Policy enforcement at each door: CONNECT, will, PUBLISH, SUBSCRIBE, delivery, retained
//! messages, live changes and revocation.

use super::*;
use crate::mqtt::{reason, Will};
use crate::policy::{AuthContext, Authorization, PolicyDocument, Principal};

/// The README's device policy: connect as itself, publish/receive/subscribe under
/// `dev/{clientId}/`, retained publishes under `dev/{clientId}/state`.
const DEVICE_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iot:Connect",
     "Resource": "arn:aws:iot:*:*:client/${iot:ClientId}"},
    {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
     "Resource": "arn:aws:iot:*:*:topic/dev/${iot:ClientId}/*"},
    {"Effect": "Allow", "Action": "iot:RetainPublish",
     "Resource": "arn:aws:iot:*:*:topic/dev/${iot:ClientId}/state"},
    {"Effect": "Allow", "Action": "iot:Subscribe",
     "Resource": ["arn:aws:iot:*:*:topicfilter/dev/${iot:ClientId}/*",
                  "arn:aws:iot:*:*:topicfilter/wide/#"]},
    {"Effect": "Allow", "Action": "iot:Receive",
     "Resource": "arn:aws:iot:*:*:topic/wide/ok"}
  ]
}"#;

fn authorization(document: &str) -> Arc<Authorization> {
    let document = PolicyDocument::parse(document).expect("policy parses");
    let context = AuthContext::new(
        Principal::Certificate {
            id: "c0ffee".into(),
        },
        "us-east-1",
        "123456789012",
        0,
    );
    Arc::new(Authorization::new(&[document], context))
}

fn info(auth: &Arc<Authorization>) -> ConnectionInfo {
    ConnectionInfo {
        authorization: Some(auth.clone()),
        ..ConnectionInfo::default()
    }
}

fn connect_as(b: &mut Broker, conn: u64, version: ProtocolVersion, id: &str) -> Vec<Output> {
    let auth = authorization(DEVICE_POLICY);
    b.connect(
        ConnId(conn),
        connect_packet(version, id, true),
        info(&auth),
        1_000,
    )
}

fn suback_codes(outputs: &[Output], conn: u64) -> Vec<u8> {
    sent(outputs, conn)
        .into_iter()
        .find_map(|p| match p {
            Packet::SubAck(s) => Some(s.reason_codes),
            _ => None,
        })
        .expect("a SUBACK")
}

fn puback_code(outputs: &[Output], conn: u64) -> Option<u8> {
    sent(outputs, conn).into_iter().find_map(|p| match p {
        Packet::PubAck(a) => Some(a.reason_code),
        _ => None,
    })
}

#[test]
fn connect_needs_iot_connect_on_the_client_id() {
    let mut b = broker();
    let ok = connect_as(&mut b, 1, V5, "sensor-1");
    assert_eq!(connack_of(&ok, 1).reason_code, reason::SUCCESS);

    // The policy allows client/${iot:ClientId}: the id is bound to the connecting client, so
    // any id passes iot:Connect here; a policy naming one id refuses the others.
    let only_one = authorization(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect",
            "Resource":"arn:aws:iot:us-east-1:123456789012:client/sensor-1"}]}"#,
    );
    let refused = b.connect(
        ConnId(2),
        connect_packet(V5, "sensor-2", true),
        info(&only_one),
        1_000,
    );
    assert_eq!(connack_of(&refused, 2).reason_code, reason::NOT_AUTHORIZED);
    assert!(closed(&refused, 2));
    let refused = b.connect(
        ConnId(3),
        connect_packet(V3, "sensor-2", true),
        info(&only_one),
        1_000,
    );
    assert_eq!(
        connack_of(&refused, 3).reason_code,
        mqtt::connack_v3::NOT_AUTHORIZED
    );
    assert_eq!(b.connection_count(), 1);
}

#[test]
fn a_refused_connect_does_not_take_over_the_client_id() {
    let mut b = broker();
    connect_as(&mut b, 1, V5, "sensor-1");
    let nobody = authorization(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iot:*","Resource":"*"}]}"#,
    );
    let out = b.connect(
        ConnId(2),
        connect_packet(V5, "sensor-1", true),
        info(&nobody),
        1_000,
    );
    assert!(!closed(&out, 1), "the authorized connection stays");
    assert!(closed(&out, 2));
    assert_eq!(b.connection_count(), 1);
}

#[test]
fn the_will_topic_needs_iot_publish() {
    let mut b = broker();
    let auth = authorization(DEVICE_POLICY);
    let with_will = |topic: &str, retain: bool| {
        let mut packet = connect_packet(V5, "sensor-1", true);
        packet.will = Some(Will {
            topic: topic.into(),
            payload: Bytes::from_static(b"gone"),
            qos: QoS::AtMostOnce,
            retain,
            properties: WillProperties::default(),
        });
        packet
    };
    let out = b.connect(ConnId(1), with_will("other/x", false), info(&auth), 1_000);
    assert_eq!(connack_of(&out, 1).reason_code, reason::NOT_AUTHORIZED);
    let out = b.connect(
        ConnId(2),
        with_will("dev/sensor-1/x", true),
        info(&auth),
        1_000,
    );
    assert_eq!(
        connack_of(&out, 2).reason_code,
        reason::NOT_AUTHORIZED,
        "a retained will needs iot:RetainPublish too"
    );
    let out = b.connect(
        ConnId(3),
        with_will("dev/sensor-1/x", false),
        info(&auth),
        1_000,
    );
    assert_eq!(connack_of(&out, 3).reason_code, reason::SUCCESS);
}

#[test]
fn v5_publish_refused_with_0x87_and_not_routed() {
    let mut b = broker();
    connect(&mut b, 9, connect_packet(V5, "watcher", true));
    subscribe(&mut b, 9, "#", QoS::AtLeastOnce);
    connect_as(&mut b, 1, V5, "sensor-1");

    let out = publish(
        &mut b,
        1,
        "dev/sensor-2/t",
        "x",
        QoS::AtLeastOnce,
        false,
        Some(5),
    );
    assert_eq!(puback_code(&out, 1), Some(reason::NOT_AUTHORIZED));
    assert!(publishes(&out, 9).is_empty());
    assert!(!closed(&out, 1));

    let out = publish(
        &mut b,
        1,
        "dev/sensor-2/t",
        "x",
        QoS::AtMostOnce,
        false,
        None,
    );
    assert!(sent(&out, 1).is_empty(), "QoS 0 is dropped silently");
    assert!(publishes(&out, 9).is_empty());

    let out = publish(
        &mut b,
        1,
        "dev/sensor-1/t",
        "x",
        QoS::AtLeastOnce,
        false,
        Some(6),
    );
    assert_eq!(puback_code(&out, 1), Some(reason::SUCCESS));
    assert_eq!(publishes(&out, 9).len(), 1);
}

#[test]
fn v3_publish_refused_closes_the_connection() {
    let mut b = broker();
    connect_as(&mut b, 1, V3, "sensor-1");
    let out = publish(
        &mut b,
        1,
        "elsewhere",
        "x",
        QoS::AtLeastOnce,
        false,
        Some(5),
    );
    assert!(closed(&out, 1));
    assert_eq!(puback_code(&out, 1), None);
    assert_eq!(b.connection_count(), 0);
}

#[test]
fn retained_publish_needs_iot_retain_publish() {
    let mut b = broker();
    connect_as(&mut b, 1, V5, "sensor-1");
    let out = publish(
        &mut b,
        1,
        "dev/sensor-1/t",
        "x",
        QoS::AtLeastOnce,
        true,
        Some(1),
    );
    assert_eq!(puback_code(&out, 1), Some(reason::NOT_AUTHORIZED));
    assert!(b.retained("dev/sensor-1/t").is_none());
    let out = publish(
        &mut b,
        1,
        "dev/sensor-1/state",
        "x",
        QoS::AtLeastOnce,
        true,
        Some(2),
    );
    assert_eq!(puback_code(&out, 1), Some(reason::SUCCESS));
    assert!(b.retained("dev/sensor-1/state").is_some());
}

#[test]
fn subscribe_checks_each_filter() {
    let mut b = broker();
    connect_as(&mut b, 1, V5, "sensor-1");
    let request = |filters: &[&str]| {
        Packet::Subscribe(Subscribe {
            packet_id: 3,
            filters: filters
                .iter()
                .map(|f| SubscribeFilter {
                    filter: (*f).into(),
                    options: SubscriptionOptions {
                        qos: QoS::AtLeastOnce,
                        no_local: false,
                        retain_as_published: false,
                        retain_handling: 0,
                    },
                })
                .collect(),
            properties: SubscribeProperties::default(),
        })
    };
    let out = b.handle(ConnId(1), request(&["dev/sensor-1/*", "dev/#"]), 1_000);
    assert_eq!(suback_codes(&out, 1), vec![1, reason::NOT_AUTHORIZED]);
    let session = b.session("sensor-1").expect("session");
    assert!(!session.subscriptions.contains_key("dev/#"));

    connect_as(&mut b, 2, V3, "sensor-3");
    let out = b.handle(ConnId(2), request(&["dev/#", "dev/sensor-3/*"]), 1_000);
    assert_eq!(suback_codes(&out, 2), vec![0x80, 1]);
}

#[test]
fn delivery_needs_iot_receive_per_message() {
    let mut b = broker();
    connect_as(&mut b, 1, V5, "sensor-1");
    // wide/# may be subscribed, but only wide/ok may be received.
    assert_eq!(
        suback_codes(&subscribe(&mut b, 1, "wide/#", QoS::AtMostOnce), 1),
        vec![0]
    );
    connect(&mut b, 2, connect_packet(V5, "open-client", true));
    let out = publish(&mut b, 2, "wide/secret", "no", QoS::AtMostOnce, false, None);
    assert!(publishes(&out, 1).is_empty());
    let out = publish(&mut b, 2, "wide/ok", "yes", QoS::AtMostOnce, false, None);
    assert_eq!(publishes(&out, 1).len(), 1);
}

#[test]
fn retained_messages_on_subscribe_need_iot_receive() {
    let mut b = broker();
    connect(&mut b, 2, connect_packet(V5, "open-client", true));
    publish(&mut b, 2, "wide/secret", "no", QoS::AtMostOnce, true, None);
    publish(&mut b, 2, "wide/ok", "yes", QoS::AtMostOnce, true, None);
    connect_as(&mut b, 1, V5, "sensor-1");
    let out = subscribe(&mut b, 1, "wide/#", QoS::AtMostOnce);
    let topics: Vec<String> = publishes(&out, 1).into_iter().map(|p| p.topic).collect();
    assert_eq!(topics, vec!["wide/ok".to_string()]);
}

#[test]
fn a_changed_authorization_applies_to_the_next_operation() {
    let mut b = broker();
    connect_as(&mut b, 1, V5, "sensor-1");
    let out = publish(
        &mut b,
        1,
        "dev/sensor-1/t",
        "x",
        QoS::AtLeastOnce,
        false,
        Some(1),
    );
    assert_eq!(puback_code(&out, 1), Some(reason::SUCCESS));

    let connect_only = authorization(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}"#,
    );
    assert!(b.set_authorization(ConnId(1), Some(connect_only)));
    let out = publish(
        &mut b,
        1,
        "dev/sensor-1/t",
        "x",
        QoS::AtLeastOnce,
        false,
        Some(2),
    );
    assert_eq!(puback_code(&out, 1), Some(reason::NOT_AUTHORIZED));
    assert!(!b.set_authorization(ConnId(99), None), "no such connection");
}

#[test]
fn revoke_disconnects_with_0x87_and_withholds_the_will() {
    let mut b = broker();
    connect(&mut b, 9, connect_packet(V5, "watcher", true));
    subscribe(&mut b, 9, "#", QoS::AtMostOnce);
    let auth = authorization(DEVICE_POLICY);
    let mut packet = connect_packet(V5, "sensor-1", true);
    packet.will = Some(Will {
        topic: "dev/sensor-1/will".into(),
        payload: Bytes::from_static(b"gone"),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: WillProperties::default(),
    });
    b.connect(ConnId(1), packet, info(&auth), 1_000);

    let out = b.revoke(ConnId(1), 2_000);
    assert_eq!(
        sent(&out, 1),
        vec![disconnect_packet(reason::NOT_AUTHORIZED)]
    );
    assert!(closed(&out, 1));
    assert!(publishes(&out, 9).is_empty(), "no will");
    assert_eq!(b.connection_count(), 1);
    assert!(b.revoke(ConnId(1), 2_000).is_empty());
}
