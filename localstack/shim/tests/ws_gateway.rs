//! `thingcore serve`'s `/ws` route — the gateway function in process — driven by a
//! tokio-tungstenite client, interoperating with an MQTT client (rumqttc): each sees the
//! other's messages; bad frames get error frames and the socket stays usable; shadow requests
//! over `/ws` reach the shadow service.

mod common;

use futures::{SinkExt, StreamExt};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(server: &common::Server) -> Ws {
    let url = format!("{}/ws", server.http_url.replace("http://", "ws://"));
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("a /ws connection");
    ws
}

async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::text(frame.to_string()))
        .await
        .expect("send a frame");
}

/// The next JSON text frame.
async fn next(ws: &mut Ws) -> Value {
    loop {
        let message = timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time")
            .expect("the socket stays open")
            .expect("a readable frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("JSON frames");
        }
    }
}

/// Waits for the MQTT client's next incoming PUBLISH.
async fn next_publish(events: &mut rumqttc::EventLoop) -> rumqttc::Publish {
    loop {
        let event = timeout(Duration::from_secs(10), events.poll())
            .await
            .expect("an MQTT event in time")
            .expect("the MQTT connection stays up");
        if let Event::Incoming(Packet::Publish(publish)) = event {
            return publish;
        }
    }
}

#[tokio::test]
async fn ws_and_mqtt_clients_see_each_others_messages() {
    let server = common::start();
    let mut ws = connect(&server).await;
    send(
        &mut ws,
        json!({"action":"subscribe","topic":"interop/#","qos":1,"id":"s"}),
    )
    .await;
    assert_eq!(
        next(&mut ws).await,
        json!({"action":"subscribed","topic":"interop/#","qos":1,"id":"s"})
    );

    let options = MqttOptions::new("interop-mqtt", "127.0.0.1", server.mqtt_port);
    let (mqtt, mut events) = AsyncClient::new(options, 16);
    mqtt.subscribe("interop/#", QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    // Wait for the SUBACK so the subscription exists before anything is published.
    loop {
        let event = timeout(Duration::from_secs(10), events.poll())
            .await
            .expect("SUBACK in time")
            .expect("connected");
        if let Event::Incoming(Packet::SubAck(_)) = event {
            break;
        }
    }

    // MQTT -> /ws
    mqtt.publish("interop/from-mqtt", QoS::AtLeastOnce, false, "hello ws")
        .await
        .expect("publish");
    assert_eq!(next_publish(&mut events).await.topic, "interop/from-mqtt");
    assert_eq!(
        next(&mut ws).await,
        json!({"action":"message","topic":"interop/from-mqtt","payload":"hello ws","qos":1,"retain":false})
    );

    // /ws -> MQTT (and back to the /ws subscriber itself)
    send(
        &mut ws,
        json!({"action":"publish","topic":"interop/from-ws","payload":{"n":1},"qos":1,"id":"p"}),
    )
    .await;
    let publish = next_publish(&mut events).await;
    assert_eq!(publish.topic, "interop/from-ws");
    assert_eq!(&publish.payload[..], br#"{"n":1}"#);
    let mut frames = vec![next(&mut ws).await, next(&mut ws).await];
    frames.sort_by_key(|f| f["action"].as_str().map(str::to_string));
    assert_eq!(
        frames,
        vec![
            json!({"action":"message","topic":"interop/from-ws","payload":"{\"n\":1}","qos":1,"retain":false}),
            json!({"action":"published","topic":"interop/from-ws","id":"p"}),
        ]
    );
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_socket_stays_usable() {
    let server = common::start();
    let mut ws = connect(&server).await;
    for (frame, code) in [
        ("{not json".to_string(), "MalformedFrame"),
        (json!({"action":"jump"}).to_string(), "UnknownAction"),
        (
            json!({"action":"subscribe","topic":"a/#/b"}).to_string(),
            "InvalidTopic",
        ),
        (
            json!({"action":"publish","topic":"a/+","payload":"x"}).to_string(),
            "InvalidTopic",
        ),
        (
            json!({"action":"publish","topic":"a","payload":"x".repeat(128 * 1024 + 1)})
                .to_string(),
            "PayloadTooLarge",
        ),
    ] {
        ws.send(Message::text(frame)).await.expect("send");
        let reply = next(&mut ws).await;
        assert_eq!(reply["action"], json!("error"), "{reply}");
        assert_eq!(reply["code"], json!(code), "{reply}");
    }
    ws.send(Message::binary(vec![1u8, 2, 3]))
        .await
        .expect("send");
    assert_eq!(next(&mut ws).await["code"], json!("MalformedFrame"));
    send(&mut ws, json!({"action":"subscribe","topic":"still/here"})).await;
    assert_eq!(next(&mut ws).await["action"], json!("subscribed"));
}

#[tokio::test]
async fn shadow_updates_over_ws_reach_the_shadow_service() {
    let server = common::start();
    let mut ws = connect(&server).await;
    send(
        &mut ws,
        json!({"action":"subscribe","topic":"$aws/things/lamp/shadow/update/accepted"}),
    )
    .await;
    assert_eq!(next(&mut ws).await["action"], json!("subscribed"));
    send(
        &mut ws,
        json!({"action":"publish","topic":"$aws/things/lamp/shadow/update",
               "payload":{"state":{"desired":{"on":true}}}}),
    )
    .await;
    let accepted = next(&mut ws).await;
    assert_eq!(
        accepted["topic"],
        json!("$aws/things/lamp/shadow/update/accepted")
    );
    let document: Value =
        serde_json::from_str(accepted["payload"].as_str().unwrap_or("null")).expect("JSON");
    assert_eq!(document["state"]["desired"], json!({"on": true}));
}

#[tokio::test]
async fn retained_messages_reach_later_ws_subscribers() {
    let server = common::start();
    let mut first = connect(&server).await;
    send(
        &mut first,
        json!({"action":"publish","topic":"status/door","payload":"open","retain":true,"qos":1}),
    )
    .await;
    assert_eq!(next(&mut first).await["action"], json!("published"));
    let mut second = connect(&server).await;
    send(
        &mut second,
        json!({"action":"subscribe","topic":"status/+"}),
    )
    .await;
    assert_eq!(next(&mut second).await["action"], json!("subscribed"));
    let retained = next(&mut second).await;
    assert_eq!(
        retained,
        json!({"action":"message","topic":"status/door","payload":"open","qos":0,"retain":true})
    );
}
