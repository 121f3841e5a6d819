//! One MQTT connection: read bytes and decode packets for the hub; encode and write what the
//! hub sends; enforce the keep-alive. No broker decisions are made here.

use super::auth::{AuthOutcome, Authenticator, ConnectRequest, Credentials};
use super::hub::{Commands, ConnCommand, ConnSender, HubEvent, HubHandle};
use super::revocation::LiveConnections;
use super::transport::Transport;
use bytes::BytesMut;
use std::sync::Arc;
use std::time::Duration;
use thingcore::broker::aliases::OutboundAliases;
use thingcore::broker::{ConnectionInfo, DisconnectReason};
use thingcore::mqtt::{
    self, connack_v3, reason, ConnAck, DecodeError, Disconnect, Packet, ProtocolVersion, QoS,
};
use tokio::time::Instant;

/// How long a new connection has to send CONNECT.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Commands already waiting are written together up to about this many bytes.
const WRITE_BATCH: usize = 64 * 1024;

/// How a listener authenticates its clients.
#[derive(Debug, Clone)]
pub struct ListenerAuth {
    /// Who decides.
    pub authenticator: Arc<dyn Authenticator>,
    /// What the listener learned about this client.
    pub credentials: Credentials,
    /// Where accepted connections are listed for revocation.
    pub live: LiveConnections,
}

/// Removes a connection from the live list when its task ends.
struct Listed {
    live: LiveConnections,
    conn: thingcore::broker::ConnId,
    /// A custom authorizer's session timer, stopped with the connection.
    session: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Listed {
    fn drop(&mut self) {
        self.live.remove(self.conn);
        if let Some(session) = self.session.take() {
            session.abort();
        }
    }
}

/// Serves one connection of an open listener until it ends.
pub async fn serve<T: Transport>(
    transport: T,
    info: ConnectionInfo,
    hub: HubHandle,
    max_packet: usize,
) {
    serve_with(transport, info, hub, max_packet, None).await;
}

/// Serves one connection until it ends; with `auth`, the client is authenticated after its
/// CONNECT (refused: CONNACK 0x86/0x87, 3.1.1: 4/5) and its rights go to the broker.
pub fn serve_with<T: Transport>(
    transport: T,
    info: ConnectionInfo,
    hub: HubHandle,
    max_packet: usize,
    auth: Option<ListenerAuth>,
) -> impl std::future::Future<Output = ()> + Send {
    // Boxed, and not an argument of the task's future (a future keeps its arguments for its
    // whole life): what opening needs (the CONNECT, authentication) is gone once it is done,
    // and the task of an idle connection keeps only what the packet loop needs.
    let opening = Box::pin(open(transport, info, hub, max_packet, auth));
    async move {
        if let Some(mut open) = opening.await {
            // By reference: a future that owned it would keep a second copy's room.
            open.run().await;
        }
    }
}

/// An accepted connection, ready for its packet loop.
struct Open<T> {
    transport: T,
    conn: thingcore::broker::ConnId,
    version: ProtocolVersion,
    hub: HubHandle,
    max_packet: usize,
    commands: Commands,
    aliases: OutboundAliases,
    /// Bytes read and not yet decoded: empty (no memory) while the connection is idle.
    buf: BytesMut,
    /// Boxed: most connections of an open listener have none.
    _listed: Option<Box<Listed>>,
}

/// Reads the CONNECT within the timeout, authenticates it and hands it to the hub; `None`
/// when the connection ended instead.
async fn open<T: Transport>(
    mut transport: T,
    mut info: ConnectionInfo,
    hub: HubHandle,
    max_packet: usize,
    auth: Option<ListenerAuth>,
) -> Option<Open<T>> {
    let conn = hub.next_conn_id();
    let mut buf = BytesMut::new();
    let connect = match tokio::time::timeout(
        CONNECT_TIMEOUT,
        read_connect(&mut transport, &mut buf, max_packet),
    )
    .await
    {
        Ok(Ok(connect)) => connect,
        Ok(Err(Some(reply))) => {
            let mut out = BytesMut::new();
            mqtt::encode(&reply.0, reply.1, &mut out);
            let _ = transport.write(&out).await;
            transport.close().await;
            return None;
        }
        Ok(Err(None)) | Err(_) => {
            transport.close().await;
            return None;
        }
    };
    let version = connect.protocol;
    let mut listed = None;
    if let Some(auth) = auth {
        let request = ConnectRequest::from_connect(&connect);
        match auth
            .authenticator
            .authenticate(&auth.credentials, &request)
            .await
        {
            AuthOutcome::Accepted {
                principal,
                authorization,
                session: None,
            } => {
                info.principal = Some(principal);
                info.authorization = Some(authorization);
                auth.live
                    .insert(conn, auth.authenticator.clone(), auth.credentials, request);
                listed = Some(Listed {
                    live: auth.live,
                    conn,
                    session: None,
                });
            }
            AuthOutcome::Accepted {
                principal,
                authorization,
                session: Some(limits),
            } => {
                info.principal = Some(principal);
                info.authorization = Some(authorization);
                let session = tokio::spawn(super::session::keep(
                    hub.clone(),
                    conn,
                    limits,
                    auth.authenticator.clone(),
                    auth.credentials,
                    request,
                ));
                listed = Some(Listed {
                    live: auth.live,
                    conn,
                    session: Some(session),
                });
            }
            AuthOutcome::Anonymous => {}
            AuthOutcome::Refused { refusal, reason } => {
                tracing::info!(client_id = %connect.client_id, ip = ?info.ip_address, %reason, "CONNECT refused");
                let mut out = BytesMut::new();
                let connack = Packet::ConnAck(ConnAck {
                    session_present: false,
                    reason_code: refusal.connack_code(version.is_v5()),
                    properties: Default::default(),
                });
                mqtt::encode(&connack, version, &mut out);
                let _ = transport.write(&out).await;
                transport.close().await;
                return None;
            }
        }
    }
    let aliases = OutboundAliases::new(if version.is_v5() {
        connect.properties.topic_alias_maximum.unwrap_or(0)
    } else {
        0
    });
    let (sender, commands) = ConnSender::new();
    if !hub
        .send(HubEvent::Connect {
            conn,
            connect,
            info,
            sender,
        })
        .await
    {
        transport.close().await;
        return None;
    }
    if buf.is_empty() {
        buf = BytesMut::new();
    }
    Some(Open {
        transport,
        conn,
        version,
        hub,
        max_packet,
        commands,
        aliases,
        buf,
        _listed: listed.map(Box::new),
    })
}

impl<T: Transport> Open<T> {
    /// Packets both ways until one side ends the connection.
    async fn run(&mut self) {
        let conn = self.conn;
        let version = self.version;
        let mut keep_alive: Option<Duration> = None;
        let mut deadline = Instant::now() + CONNECT_TIMEOUT;
        // Packets that came in the same read as CONNECT (a client may send SUBSCRIBE or
        // PUBLISH without waiting for CONNACK) go to the hub now, not after the next read.
        if !self.buf.is_empty() {
            if let Err(reason) = Box::pin(self.hand_over_packets()).await {
                self.hub.send(HubEvent::Lost { conn, reason }).await;
                self.transport.close().await;
                return;
            }
        }
        let reason = loop {
            tokio::select! {
                biased;
                command = self.commands.recv() => {
                    let Some(command) = command else { break DisconnectReason::ServerInitiated };
                    match self.write_commands(command, &mut keep_alive, &mut deadline).await {
                        Ok(true) => {}
                        Ok(false) => {
                            self.transport.close().await;
                            return;
                        }
                        Err(()) => break DisconnectReason::ConnectionLost,
                    }
                }
                read = self.transport.read(&mut self.buf) => {
                    match read {
                        Ok(0) | Err(_) => break DisconnectReason::ConnectionLost,
                        Ok(_) => {}
                    }
                    if let Some(granted) = keep_alive {
                        deadline = Instant::now() + granted;
                    }
                    // Boxed: the hand-over's future is one of the larger ones, and the task
                    // of every idle connection would keep room for it.
                    if let Err(reason) = Box::pin(self.hand_over_packets()).await {
                        break reason;
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    if version.is_v5() {
                        self.write_disconnect(reason::KEEP_ALIVE_TIMEOUT).await;
                    }
                    break DisconnectReason::KeepAliveTimeout;
                }
            }
        };
        self.hub.send(HubEvent::Lost { conn, reason }).await;
        self.transport.close().await;
    }

    /// Writes `first` and every command already waiting behind it, in one write. `Ok(false)`:
    /// the hub closed the connection; `Err`: the write failed.
    async fn write_commands(
        &mut self,
        first: ConnCommand,
        keep_alive: &mut Option<Duration>,
        deadline: &mut Instant,
    ) -> Result<bool, ()> {
        let mut out = BytesMut::new();
        let mut close = false;
        let mut next = Some(first);
        while let Some(command) = next {
            match command {
                ConnCommand::Accepted { keep_alive: secs } => {
                    let granted = Duration::from_millis(u64::from(secs) * 1500);
                    *keep_alive = Some(granted);
                    *deadline = Instant::now() + granted;
                }
                ConnCommand::Send(mut packet) => {
                    if let Packet::Publish(p) = packet.as_mut() {
                        self.aliases.apply(p);
                    }
                    mqtt::encode(&packet, self.version, &mut out);
                }
                ConnCommand::Close => close = true,
            }
            next = if close || out.len() > WRITE_BATCH {
                None
            } else {
                self.commands.try_recv()
            };
        }
        if !out.is_empty() && self.transport.write(&out).await.is_err() {
            return Err(());
        }
        Ok(!close)
    }

    /// Decodes what was read and hands every complete packet to the hub; on a protocol
    /// error, tells a 5.0 client why and returns the reason to end the connection.
    async fn hand_over_packets(&mut self) -> Result<(), DisconnectReason> {
        match decode_all(&mut self.buf, self.version, self.max_packet) {
            Ok(packets) => {
                if !packets.is_empty() && !packets.iter().any(owes_reply) {
                    // Only PUBACKs, PUBCOMPs or QoS 0 PUBLISHes: no answer will carry the
                    // ACK, and a Nagle client waits for it before sending its next packet.
                    self.transport.quick_ack();
                }
                for packet in packets {
                    if !self
                        .hub
                        .send(HubEvent::Packet {
                            conn: self.conn,
                            packet,
                        })
                        .await
                    {
                        break;
                    }
                }
            }
            Err(error) => {
                tracing::info!(conn = ?self.conn, %error, "closing a connection that broke the protocol");
                if self.version.is_v5() {
                    self.write_disconnect(error.reason_code()).await;
                }
                return Err(DisconnectReason::ClientError);
            }
        }
        if self.buf.is_empty() {
            // Nothing half-read: an idle connection holds no buffer.
            self.buf = BytesMut::new();
        }
        Ok(())
    }

    async fn write_disconnect(&mut self, reason_code: u8) {
        let mut bytes = BytesMut::new();
        mqtt::encode(
            &Packet::Disconnect(Disconnect {
                reason_code,
                properties: Default::default(),
            }),
            self.version,
            &mut bytes,
        );
        let _ = self.transport.write(&bytes).await;
    }
}

/// Whether the server answers `packet` (the answer carries the TCP ACK for it).
fn owes_reply(packet: &Packet) -> bool {
    match packet {
        Packet::Publish(publish) => publish.qos != QoS::AtMostOnce,
        Packet::PubAck(_) | Packet::PubComp(_) => false,
        _ => true,
    }
}

/// Decodes every complete packet at the front of `buf`.
fn decode_all(
    buf: &mut BytesMut,
    version: ProtocolVersion,
    max_packet: usize,
) -> Result<Vec<Packet>, DecodeError> {
    let mut packets = Vec::new();
    loop {
        match mqtt::decode(buf, Some(version), max_packet) {
            Ok((packet, used)) => {
                let _ = buf.split_to(used);
                packets.push(packet);
            }
            Err(DecodeError::Incomplete) => return Ok(packets),
            Err(error) => return Err(error),
        }
    }
}

/// Reads until the first packet is complete. `Err(Some((packet, version)))`: answer with this
/// packet, then close; `Err(None)`: just close.
async fn read_connect<T: Transport>(
    transport: &mut T,
    buf: &mut BytesMut,
    max_packet: usize,
) -> Result<Box<mqtt::Connect>, Option<(Packet, ProtocolVersion)>> {
    loop {
        match mqtt::decode(buf, None, max_packet) {
            Ok((Packet::Connect(connect), used)) => {
                let _ = buf.split_to(used);
                return Ok(connect);
            }
            Ok(_) => return Err(None),
            Err(DecodeError::Incomplete) => {}
            Err(DecodeError::UnsupportedProtocol { level }) => {
                // We speak 3.1, 3.1.1 and 5; a client of another level gets the 3.1.1 answer,
                // the one every version's clients can read (MQTT 5 §3.1.2.2 allows it).
                tracing::info!(level, "refusing an unsupported protocol version");
                return Err(Some((
                    Packet::ConnAck(ConnAck {
                        session_present: false,
                        reason_code: connack_v3::UNACCEPTABLE_PROTOCOL_VERSION,
                        properties: Default::default(),
                    }),
                    ProtocolVersion::V311,
                )));
            }
            Err(error) => {
                tracing::info!(%error, "refusing a malformed first packet");
                return Err(None);
            }
        }
        match transport.read(buf).await {
            Ok(0) | Err(_) => return Err(None),
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::hub::Hub;
    use crate::mqtt::persist::Persister;
    use thingcore::broker::{Broker, BrokerConfig};
    use thingcore::store::MemoryStore;
    use thingcore::SystemClock;
    use tokio::net::{TcpListener, TcpStream};

    #[test]
    fn only_acknowledgements_and_qos0_publishes_go_unanswered() {
        use thingcore::mqtt::{PubAck, Publish};
        let publish = |qos| {
            Packet::Publish(Publish {
                dup: false,
                qos,
                retain: false,
                topic: "t".into(),
                packet_id: (qos != QoS::AtMostOnce).then_some(1),
                payload: Default::default(),
                properties: Default::default(),
            })
        };
        let ack = PubAck {
            packet_id: 1,
            reason_code: 0,
            properties: Default::default(),
        };
        assert!(!owes_reply(&publish(QoS::AtMostOnce)));
        assert!(!owes_reply(&Packet::PubAck(ack.clone())));
        assert!(!owes_reply(&Packet::PubComp(ack.clone())));
        assert!(owes_reply(&publish(QoS::AtLeastOnce)));
        assert!(owes_reply(&Packet::PubRec(ack.clone())));
        assert!(owes_reply(&Packet::PubRel(ack)));
        assert!(owes_reply(&Packet::PingReq));
    }

    /// Every idle connection keeps its task: the packet loop's state must stay small. With
    /// the opening phase inline and the hub's channel send future in it, it was 2.9 KiB
    /// (bounds are for debug builds; release futures are smaller).
    #[tokio::test]
    async fn an_idle_connections_task_is_small() {
        let store = Arc::new(MemoryStore::new(Arc::new(SystemClock)));
        let (_hub, hub) = Hub::new(
            Broker::new(BrokerConfig::default(), 1),
            Persister::start(store),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let address = listener.local_addr().expect("address");
        let (accepted, client) = tokio::join!(listener.accept(), TcpStream::connect(address));
        let (stream, _) = accepted.expect("accepts");
        let _client = client.expect("connects");
        let task = serve_with(stream, ConnectionInfo::default(), hub.clone(), 1024, None);
        assert!(
            std::mem::size_of_val(&task) <= 1024,
            "{}",
            std::mem::size_of_val(&task)
        );
        let (_sender, commands) = ConnSender::new();
        let (stream, _) = tokio::join!(listener.accept(), TcpStream::connect(address))
            .0
            .expect("accepts");
        let mut open = Open {
            transport: stream,
            conn: hub.next_conn_id(),
            version: ProtocolVersion::V311,
            hub,
            max_packet: 1024,
            commands,
            aliases: OutboundAliases::new(0),
            buf: BytesMut::new(),
            _listed: None,
        };
        let run = open.run();
        assert!(
            std::mem::size_of_val(&run) <= 768,
            "{}",
            std::mem::size_of_val(&run)
        );
    }
}
