//! One MQTT connection: read bytes and decode packets for the hub; encode and write what the
//! hub sends; enforce the keep-alive. No broker decisions are made here.

use super::auth::{AuthOutcome, Authenticator, ConnectRequest, Credentials};
use super::hub::{Commands, ConnCommand, ConnSender, HubEvent, HubHandle};
use super::revocation::LiveConnections;
use super::transport::Transport;
use bytes::{Buf, BytesMut};
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
/// How often a busy connection checks whether it still is; one that did nothing for this long
/// gives its buffers back.
const RELEASE_AFTER: Duration = Duration::from_millis(500);
/// A connection woken more often than this within [`RELEASE_AFTER`] is busy: it keeps its
/// buffers until it is quiet (taking and freeing them on every wake-up is what made malloc
/// the broker's hot spot). Others give them back after each wake-up, so a connection that
/// only connects, subscribes or pings holds none.
const BUSY_WAKES: u32 = 8;
/// A write buffer grown past this by a burst is given back after the burst.
const KEPT_WRITE_BUFFER: usize = 32 * 1024;

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
    /// Bytes read and not yet decoded: no memory once the connection is quiet.
    buf: BytesMut,
    /// Bytes encoded for the next write: no memory once the connection is quiet.
    out: BytesMut,
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
        out: BytesMut::new(),
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
        // One timer for the keep-alive and for giving the buffers back, re-armed when it
        // fires (or when a quiet connection becomes busy), not on every packet.
        let sleep = tokio::time::sleep_until(deadline);
        tokio::pin!(sleep);
        let mut quiet = QuietTimer::new(sleep);
        let reason = loop {
            tokio::select! {
                biased;
                ready = self.commands.ready() => {
                    if !ready {
                        break DisconnectReason::ServerInitiated;
                    }
                    quiet.busy(deadline);
                    // Taken and encoded outside the async state: a packet held across the
                    // write's await would be room in every connection's task.
                    let close = self.encode_commands(&mut keep_alive, &mut deadline);
                    if self.write_out().await.is_err() {
                        break DisconnectReason::ConnectionLost;
                    }
                    if close {
                        self.transport.close().await;
                        return;
                    }
                    if !quiet.is_busy() {
                        self.release_buffers();
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
                    quiet.busy(deadline);
                    // Boxed: the hand-over's future is one of the larger ones, and the task
                    // of every idle connection would keep room for it.
                    if let Err(reason) = Box::pin(self.hand_over_packets()).await {
                        break reason;
                    }
                    if !quiet.is_busy() {
                        self.release_buffers();
                    }
                }
                () = quiet.fired() => {
                    match quiet.check(deadline) {
                        Quiet::KeepAliveExpired => {
                            if version.is_v5() {
                                self.write_disconnect(reason::KEEP_ALIVE_TIMEOUT).await;
                            }
                            break DisconnectReason::KeepAliveTimeout;
                        }
                        Quiet::Release => self.release_buffers(),
                        Quiet::Busy => {}
                    }
                }
            }
        };
        self.hub.send(HubEvent::Lost { conn, reason }).await;
        self.transport.close().await;
    }

    /// Gives back the memory of every buffer that holds nothing: the connection is quiet.
    fn release_buffers(&mut self) {
        if self.buf.is_empty() {
            self.buf = BytesMut::new();
        }
        self.out = BytesMut::new();
        self.commands.release();
    }

    /// Encodes the waiting commands into the write buffer, up to about [`WRITE_BATCH`]
    /// bytes; `true` when the hub closed the connection (nothing after that is taken).
    fn encode_commands(
        &mut self,
        keep_alive: &mut Option<Duration>,
        deadline: &mut Instant,
    ) -> bool {
        while let Some(command) = self.commands.try_recv() {
            match command {
                ConnCommand::Accepted { keep_alive: secs } => {
                    let granted = Duration::from_millis(u64::from(secs) * 1500);
                    *keep_alive = Some(granted);
                    *deadline = Instant::now() + granted;
                }
                ConnCommand::Send(mut packet) => {
                    if let Packet::Publish(p) = &mut packet {
                        self.aliases.apply(p);
                    }
                    mqtt::encode(&packet, self.version, &mut self.out);
                }
                ConnCommand::Close => return true,
            }
            if self.out.len() > WRITE_BATCH {
                break;
            }
        }
        false
    }

    /// Writes what was encoded, keeping the buffer for the next batch unless a burst made it
    /// large.
    async fn write_out(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        self.transport.write(&self.out).await?;
        self.out.clear();
        if self.out.capacity() > KEPT_WRITE_BUFFER {
            self.out = BytesMut::new();
        }
        Ok(())
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

/// What [`QuietTimer::check`] found when the timer fired.
#[derive(Debug, PartialEq, Eq)]
enum Quiet {
    /// Nothing came from the client within its keep-alive.
    KeepAliveExpired,
    /// A busy connection did nothing for [`RELEASE_AFTER`]: give the buffers back.
    Release,
    /// Something happened meanwhile: the timer is armed again.
    Busy,
}

/// The connection's one timer: the keep-alive deadline, and while the connection is active,
/// a check every [`RELEASE_AFTER`] of whether it still is. Inline in the connection's task
/// (pinned there), not boxed: a box would be one more allocation per connection.
struct QuietTimer<'a> {
    sleep: std::pin::Pin<&'a mut tokio::time::Sleep>,
    /// Wake-ups since the timer last fired.
    wakes: u32,
    /// The connection was busy and keeps its buffers until a quiet period.
    kept: bool,
    /// The timer is armed for a release check (else only for the keep-alive deadline).
    checking: bool,
}

impl<'a> QuietTimer<'a> {
    fn new(sleep: std::pin::Pin<&'a mut tokio::time::Sleep>) -> Self {
        Self {
            sleep,
            wakes: 0,
            kept: false,
            checking: false,
        }
    }

    /// The connection did something: a quiet one starts checking.
    fn busy(&mut self, deadline: Instant) {
        self.wakes = self.wakes.saturating_add(1);
        self.kept |= self.wakes > BUSY_WAKES;
        if !self.checking {
            self.checking = true;
            self.sleep
                .as_mut()
                .reset(deadline.min(Instant::now() + RELEASE_AFTER));
        }
    }

    /// Whether the connection is busy enough to keep its buffers between wake-ups.
    fn is_busy(&self) -> bool {
        self.kept
    }

    /// Waits for the timer.
    async fn fired(&mut self) {
        self.sleep.as_mut().await;
    }

    /// The timer fired: what it means, with the timer armed again for what comes next.
    fn check(&mut self, deadline: Instant) -> Quiet {
        let now = Instant::now();
        if now >= deadline {
            return Quiet::KeepAliveExpired;
        }
        if self.wakes > 0 {
            self.wakes = 0;
            self.sleep.as_mut().reset(deadline.min(now + RELEASE_AFTER));
            return Quiet::Busy;
        }
        self.checking = false;
        self.sleep.as_mut().reset(deadline);
        if std::mem::take(&mut self.kept) {
            Quiet::Release
        } else {
            Quiet::Busy
        }
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
                // Advanced, not split off: a split shares the buffer, which allocates.
                buf.advance(used);
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

    #[tokio::test(start_paused = true)]
    async fn a_busy_connection_keeps_its_buffers_until_a_quiet_period_and_the_keep_alive_ends_it() {
        let deadline = Instant::now() + Duration::from_secs(10);
        let sleep = tokio::time::sleep_until(deadline);
        tokio::pin!(sleep);
        let mut quiet = QuietTimer::new(sleep);
        // A few wake-ups (connect, subscribe): not busy, buffers go back after each.
        for _ in 0..BUSY_WAKES {
            quiet.busy(deadline);
        }
        assert!(!quiet.is_busy());
        quiet.busy(deadline);
        assert!(quiet.is_busy());
        // The first check finds it active; the next, after a quiet period, releases.
        quiet.fired().await;
        assert_eq!(quiet.check(deadline), Quiet::Busy);
        assert!(quiet.is_busy());
        quiet.fired().await;
        assert_eq!(quiet.check(deadline), Quiet::Release);
        assert!(!quiet.is_busy());
        // Quiet now: the timer waits for the keep-alive deadline.
        quiet.fired().await;
        assert_eq!(Instant::now(), deadline);
        assert_eq!(quiet.check(deadline), Quiet::KeepAliveExpired);
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
            out: BytesMut::new(),
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
