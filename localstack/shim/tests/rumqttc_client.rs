//! `thingcore serve` driven by rumqttc, an MQTT client no one here wrote, in both protocol
//! versions: subscribe, publish at each QoS, receive.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::timeout;

struct Server {
    child: Child,
    mqtt_port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_thingcore"))
        .args([
            "serve",
            "--memory",
            "--http-addr",
            "127.0.0.1:0",
            "--mqtt-addr",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start thingcore");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mqtt_port = loop {
        let line = lines.next().expect("banner line").expect("readable");
        if let Some(addr) = line.strip_prefix("thingcore: mqtt listening on mqtt://") {
            break addr
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("port");
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, mqtt_port }
}

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
