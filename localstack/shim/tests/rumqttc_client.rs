//! `thingcore serve` driven by rumqttc, an MQTT client no one here wrote, in both protocol
//! versions: subscribe, publish at each QoS, receive.

mod common;

use common::start;
use std::time::Duration;
use tokio::time::timeout;

#[tokio::test]
async fn rumqttc_v311_round_trips_every_qos() {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let server = start();
    let mut options = MqttOptions::new("rumqttc-v4", "127.0.0.1", server.mqtt_port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(options, 16);
    client
        .subscribe("r/+", QoS::ExactlyOnce)
        .await
        .expect("subscribe");
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        client
            .publish("r/1", qos, false, format!("{qos:?}"))
            .await
            .expect("publish");
    }
    let mut received = Vec::new();
    while received.len() < 3 {
        let event = timeout(Duration::from_secs(10), events.poll())
            .await
            .expect("an event in time")
            .expect("connection stays up");
        if let Event::Incoming(Packet::Publish(p)) = event {
            received.push((p.qos, String::from_utf8_lossy(&p.payload).to_string()));
        }
    }
    assert_eq!(
        received,
        [
            (QoS::AtMostOnce, "AtMostOnce".to_string()),
            (QoS::AtLeastOnce, "AtLeastOnce".to_string()),
            (QoS::ExactlyOnce, "ExactlyOnce".to_string()),
        ]
    );
}

#[tokio::test]
async fn rumqttc_v5_round_trips_with_user_properties() {
    use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
    use rumqttc::v5::mqttbytes::QoS;
    use rumqttc::v5::{AsyncClient, Event, MqttOptions};
    let server = start();
    let options = MqttOptions::new("rumqttc-v5", "127.0.0.1", server.mqtt_port);
    let (client, mut events) = AsyncClient::new(options, 16);
    client
        .subscribe("v5/#", QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    let properties = PublishProperties {
        user_properties: vec![("k".into(), "v".into())],
        ..Default::default()
    };
    client
        .publish_with_properties("v5/a", QoS::AtLeastOnce, false, "hello", properties)
        .await
        .expect("publish");
    loop {
        let event = timeout(Duration::from_secs(10), events.poll())
            .await
            .expect("an event in time")
            .expect("connection stays up");
        if let Event::Incoming(Packet::Publish(p)) = event {
            assert_eq!(&p.topic[..], b"v5/a");
            assert_eq!(&p.payload[..], b"hello");
            let props = p.properties.expect("properties");
            assert_eq!(
                props.user_properties,
                vec![("k".to_string(), "v".to_string())]
            );
            break;
        }
    }
}
