//! One MQTT connection: read bytes and decode packets for the hub; encode and write what the
//! hub sends; enforce the keep-alive. No broker decisions are made here.

use super::auth::{AuthOutcome, Authenticator, ConnectRequest, Credentials};
use super::hub::{ConnCommand, ConnSender, HubEvent, HubHandle};
use super::revocation::LiveConnections;
use super::transport::Transport;
use bytes::BytesMut;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use thingcore::broker::aliases::OutboundAliases;
use thingcore::broker::{ConnectionInfo, DisconnectReason};
use thingcore::mqtt::{
    self, connack_v3, reason, ConnAck, DecodeError, Disconnect, Packet, ProtocolVersion,
};
use tokio::time::Instant;

/// How long a new connection has to send CONNECT.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Read buffer growth step.
const READ_CHUNK: usize = 8 * 1024;
/// Buffer a connection starts with and keeps while idle: idle connections must stay cheap
/// (tens of thousands of them), busy ones grow their buffers as they need.
const IDLE_BUFFER: usize = 512;

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
pub async fn serve_with<T: Transport>(
    mut transport: T,
    mut info: ConnectionInfo,
    hub: HubHandle,
    max_packet: usize,
    auth: Option<ListenerAuth>,
) {
    let conn = hub.next_conn_id();
    let mut buf = BytesMut::with_capacity(IDLE_BUFFER);

    // 1. CONNECT, within the timeout.
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
            return;
        }
        Ok(Err(None)) | Err(_) => {
            transport.close().await;
            return;
        }
    };
    let version = connect.protocol;
    let mut _listed = None;
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
                _listed = Some(Listed {
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
                _listed = Some(Listed {
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
                return;
            }
        }
    }
    let mut aliases = OutboundAliases::new(if version.is_v5() {
        connect.properties.topic_alias_maximum.unwrap_or(0)
    } else {
        0
    });
    let (sender, mut commands, pending) = ConnSender::new();
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
        return;
    }

    // 2. Packets both ways until one side ends it.
    let mut keep_alive: Option<Duration> = None;
    let mut deadline = Instant::now() + CONNECT_TIMEOUT;
    let mut out = BytesMut::new();
    let reason = loop {
        tokio::select! {
            biased;
            command = commands.recv() => {
                let Some(command) = command else { break DisconnectReason::ServerInitiated };
                let mut close = false;
                let mut next = Some(command);
                // Write everything that is already waiting in one go.
                while let Some(command) = next {
                    match command {
                        ConnCommand::Accepted { keep_alive: secs } => {
                            let granted = Duration::from_millis(u64::from(secs) * 1500);
                            keep_alive = Some(granted);
                            deadline = Instant::now() + granted;
                        }
                        ConnCommand::Send(mut packet) => {
                            if let Packet::Publish(p) = packet.as_mut() {
                                pending.fetch_sub(p.payload.len().min(pending.load(Ordering::Relaxed)), Ordering::Relaxed);
                                aliases.apply(p);
                            }
                            mqtt::encode(&packet, version, &mut out);
                        }
                        ConnCommand::Close => close = true,
                    }
                    next = if close || out.len() > 64 * 1024 { None } else { commands.try_recv().ok() };
                }
                if !out.is_empty() {
                    if transport.write(&out).await.is_err() {
                        break DisconnectReason::ConnectionLost;
                    }
                    out.clear();
                    if out.capacity() > 4 * READ_CHUNK {
                        out = BytesMut::new();
                    }
                }
                if close {
                    transport.close().await;
                    return;
                }
            }
            read = transport.read(&mut buf) => {
                match read {
                    Ok(0) | Err(_) => break DisconnectReason::ConnectionLost,
                    Ok(_) => {}
                }
                if let Some(granted) = keep_alive {
                    deadline = Instant::now() + granted;
                }
                match decode_all(&mut buf, version, max_packet) {
                    Ok(packets) => {
                        for packet in packets {
                            if !hub.send(HubEvent::Packet { conn, packet }).await {
                                break;
                            }
                        }
                    }
                    Err(error) => {
                        tracing::info!(?conn, %error, "closing a connection that broke the protocol");
                        if version.is_v5() {
                            let mut bytes = BytesMut::new();
                            mqtt::encode(&Packet::Disconnect(Disconnect { reason_code: error.reason_code(), properties: Default::default() }), version, &mut bytes);
                            let _ = transport.write(&bytes).await;
                        }
                        break DisconnectReason::ClientError;
                    }
                }
                if buf.is_empty() && buf.capacity() > 4 * READ_CHUNK {
                    // A burst is over: give the memory back.
                    buf = BytesMut::with_capacity(IDLE_BUFFER);
                } else if buf.capacity() - buf.len() < IDLE_BUFFER {
                    buf.reserve(READ_CHUNK);
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                if version.is_v5() {
                    let mut bytes = BytesMut::new();
                    mqtt::encode(&Packet::Disconnect(Disconnect { reason_code: reason::KEEP_ALIVE_TIMEOUT, properties: Default::default() }), version, &mut bytes);
                    let _ = transport.write(&bytes).await;
                }
                break DisconnectReason::KeepAliveTimeout;
            }
        }
    };
    hub.send(HubEvent::Lost { conn, reason }).await;
    transport.close().await;
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
        if buf.capacity() - buf.len() < IDLE_BUFFER / 2 {
            buf.reserve(READ_CHUNK);
        }
        match transport.read(buf).await {
            Ok(0) | Err(_) => return Err(None),
            Ok(_) => {}
        }
    }
}
