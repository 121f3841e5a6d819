//! The TLS listener end to end: devices provisioned through the Rust AWS SDK connect with their
//! certificates over TLS (rustls client, thingcore's own MQTT codec) and get what their
//! policies allow at each door; bad certificates are refused; revocation cuts a live device off.

mod common;

use aws_sdk_iot::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iot::types::CertificateStatus;
use aws_sdk_iot::Client;
use bytes::BytesMut;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::sync::Arc;
use std::time::Duration;
use thingcore::mqtt::{
    self, reason, Connect, ConnectProperties, Packet, ProtocolVersion, PubAck, Publish,
    PublishProperties, QoS, Subscribe, SubscribeFilter, SubscribeProperties, SubscriptionOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:*:*:client/${iot:ClientId}"},
 {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"arn:aws:iot:*:*:topic/dev/${iot:ClientId}/*"},
 {"Effect":"Allow","Action":"iot:Subscribe","Resource":"arn:aws:iot:*:*:topicfilter/dev/${iot:ClientId}/*"}]}"#;

fn iot(server: &common::Server) -> Client {
    let config = aws_sdk_iot::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(&server.http_url)
        .build();
    Client::from_conf(config)
}

/// A device's certificate and key, PEM.
struct Device {
    id: String,
    certificate: String,
    key: String,
}

async fn provision(iot: &Client, policy: &str) -> Device {
    let created = iot
        .create_keys_and_certificate()
        .set_as_active(true)
        .send()
        .await
        .expect("keys and certificate");
    let arn = created.certificate_arn().expect("arn").to_string();
    let _ = iot
        .create_policy()
        .policy_name(policy)
        .policy_document(POLICY)
        .send()
        .await;
    iot.attach_policy()
        .policy_name(policy)
        .target(&arn)
        .send()
        .await
        .expect("attach");
    Device {
        id: created.certificate_id().expect("id").to_string(),
        certificate: created.certificate_pem().expect("pem").to_string(),
        key: created
            .key_pair()
            .and_then(|k| k.private_key())
            .expect("key")
            .to_string(),
    }
}

fn self_signed() -> Device {
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["stranger".to_string()]).expect("params");
    let certificate = params.self_signed(&key).expect("self-signed");
    Device {
        id: String::new(),
        certificate: certificate.pem(),
        key: key.serialize_pem(),
    }
}

/// An MQTT 5 client over TLS.
struct Client5 {
    stream: TlsStream<TcpStream>,
    buf: BytesMut,
}

async fn tls(server: &common::Server, device: Option<&Device>) -> TlsStream<TcpStream> {
    let ca = std::fs::read(server.data_dir.path().join("ca.pem")).expect("ca.pem written");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&ca) {
        roots.add(cert.expect("ca pem")).expect("root");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let config = match device {
        Some(d) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(d.certificate.as_bytes()).expect("cert")],
                PrivateKeyDer::from_pem_slice(d.key.as_bytes()).expect("key"),
            )
            .expect("client auth"),
        None => builder.with_no_client_auth(),
    };
    let tcp = TcpStream::connect(("127.0.0.1", server.tls_port))
        .await
        .expect("tcp");
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("TLS handshake (the server certificate is for localhost, from ca.pem)")
}

impl Client5 {
    async fn connect(
        server: &common::Server,
        device: Option<&Device>,
        client_id: &str,
    ) -> (Self, u8) {
        let mut client = Self {
            stream: tls(server, device).await,
            buf: BytesMut::new(),
        };
        client
            .send(Packet::Connect(Box::new(Connect {
                protocol: ProtocolVersion::V5,
                clean_start: true,
                keep_alive: 60,
                client_id: client_id.into(),
                will: None,
                username: None,
                password: None,
                properties: ConnectProperties::default(),
            })))
            .await;
        let Some(Packet::ConnAck(ack)) = client.next().await else {
            panic!("CONNACK expected");
        };
        (client, ack.reason_code)
    }

    async fn send(&mut self, packet: Packet) {
        let mut out = BytesMut::new();
        mqtt::encode(&packet, ProtocolVersion::V5, &mut out);
        self.stream.write_all(&out).await.expect("write");
        self.stream.flush().await.expect("flush");
    }

    /// The next packet, or None when the server closed the connection.
    async fn next(&mut self) -> Option<Packet> {
        loop {
            match mqtt::decode(&self.buf, Some(ProtocolVersion::V5), 1 << 20) {
                Ok((packet, used)) => {
                    let _ = self.buf.split_to(used);
                    return Some(packet);
                }
                Err(mqtt::DecodeError::Incomplete) => {}
                Err(error) => panic!("bad packet from the server: {error}"),
            }
            let read =
                tokio::time::timeout(Duration::from_secs(5), self.stream.read_buf(&mut self.buf))
                    .await
                    .expect("the server answers within 5 s");
            match read {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    async fn publish(&mut self, topic: &str, packet_id: u16) -> u8 {
        self.send(Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: topic.into(),
            packet_id: Some(packet_id),
            payload: mqtt::Bytes::from_static(b"x"),
            properties: PublishProperties::default(),
        }))
        .await;
        loop {
            match self.next().await {
                Some(Packet::PubAck(PubAck { reason_code, .. })) => return reason_code,
                Some(_) => continue,
                None => panic!("closed while waiting for PUBACK"),
            }
        }
    }

    async fn subscribe(&mut self, filter: &str) -> u8 {
        self.send(Packet::Subscribe(Subscribe {
            packet_id: 9,
            filters: vec![SubscribeFilter {
                filter: filter.into(),
                options: SubscriptionOptions {
                    qos: QoS::AtLeastOnce,
                    no_local: false,
                    retain_as_published: false,
                    retain_handling: 0,
                },
            }],
            properties: SubscribeProperties::default(),
        }))
        .await;
        loop {
            match self.next().await {
                Some(Packet::SubAck(ack)) => return ack.reason_codes[0],
                Some(_) => continue,
                None => panic!("closed while waiting for SUBACK"),
            }
        }
    }
}

#[tokio::test]
async fn policies_are_enforced_at_each_door_over_tls() {
    let server = common::start();
    let iot = iot(&server);
    let device = provision(&iot, "device").await;

    let (mut client, code) = Client5::connect(&server, Some(&device), "dev-1").await;
    assert_eq!(code, reason::SUCCESS);
    assert_eq!(client.subscribe("dev/dev-1/#").await, 1);
    assert_eq!(client.subscribe("dev/#").await, reason::NOT_AUTHORIZED);
    assert_eq!(client.publish("dev/dev-1/t", 1).await, reason::SUCCESS);
    assert_eq!(
        client.publish("dev/dev-2/t", 2).await,
        reason::NOT_AUTHORIZED
    );

    // iot:Connect is on client/${iot:ClientId}: any id passes, but policy variables follow it.
    let (mut other, code) = Client5::connect(&server, Some(&device), "dev-2").await;
    assert_eq!(code, reason::SUCCESS);
    assert_eq!(
        other.publish("dev/dev-1/t", 1).await,
        reason::NOT_AUTHORIZED
    );
}

#[tokio::test]
async fn bad_certificates_are_refused_at_connect() {
    let server = common::start();
    let iot = iot(&server);
    let device = provision(&iot, "device").await;

    let (_, code) = Client5::connect(&server, None, "no-cert").await;
    assert_eq!(code, reason::BAD_USER_NAME_OR_PASSWORD, "no certificate");
    let (_, code) = Client5::connect(&server, Some(&self_signed()), "stranger").await;
    assert_eq!(code, reason::NOT_AUTHORIZED, "self-signed, unregistered");

    iot.update_certificate()
        .certificate_id(&device.id)
        .new_status(CertificateStatus::Inactive)
        .send()
        .await
        .expect("inactive");
    let (_, code) = Client5::connect(&server, Some(&device), "dev-1").await;
    assert_eq!(code, reason::NOT_AUTHORIZED, "INACTIVE");
}

#[tokio::test]
async fn a_revoked_device_is_disconnected_and_a_detached_policy_applies_at_once() {
    let server = common::start();
    let iot = iot(&server);
    let device = provision(&iot, "device").await;
    let (mut client, code) = Client5::connect(&server, Some(&device), "dev-1").await;
    assert_eq!(code, reason::SUCCESS);
    assert_eq!(client.publish("dev/dev-1/t", 1).await, reason::SUCCESS);

    let arn = format!("arn:aws:iot:us-east-1:000000000000:cert/{}", device.id);
    iot.detach_policy()
        .policy_name("device")
        .target(&arn)
        .send()
        .await
        .expect("detach");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        client.publish("dev/dev-1/t", 2).await,
        reason::NOT_AUTHORIZED,
        "the detached policy no longer applies to the live connection"
    );

    iot.update_certificate()
        .certificate_id(&device.id)
        .new_status(CertificateStatus::Revoked)
        .send()
        .await
        .expect("revoke");
    let started = std::time::Instant::now();
    match client.next().await {
        Some(Packet::Disconnect(d)) => assert_eq!(d.reason_code, reason::NOT_AUTHORIZED),
        other => panic!("DISCONNECT 0x87 expected, got {other:?}"),
    }
    assert!(client.next().await.is_none(), "then the connection closes");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
