//! The byte pipes MQTT runs over: a TCP stream, or WebSocket binary messages (`/mqtt`, the
//! `mqtt` subprotocol, as AWS IoT's `wss://.../mqtt`).

use axum::extract::ws::{Message as WsMessage, WebSocket};
use bytes::BytesMut;
use futures::StreamExt;
use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A bidirectional byte pipe.
pub trait Transport: Send + 'static {
    /// Reads more bytes into `buf`; `Ok(0)` at end of stream.
    fn read(
        &mut self,
        buf: &mut BytesMut,
    ) -> impl std::future::Future<Output = io::Result<usize>> + Send;
    /// Writes all of `bytes`.
    fn write(&mut self, bytes: &[u8]) -> impl std::future::Future<Output = io::Result<()>> + Send;
    /// Flushes and closes the write side.
    fn close(&mut self) -> impl std::future::Future<Output = ()> + Send;
}

impl Transport for TcpStream {
    async fn read(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        self.read_buf(buf).await
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes).await
    }

    async fn close(&mut self) {
        let _ = self.shutdown().await;
    }
}

/// MQTT over a WebSocket: each binary message carries bytes of the MQTT stream (packets may
/// span messages and messages may hold several packets).
pub struct WsTransport {
    socket: WebSocket,
}

impl WsTransport {
    /// Wraps an upgraded WebSocket.
    pub fn new(socket: WebSocket) -> Self {
        Self { socket }
    }
}

impl Transport for WsTransport {
    async fn read(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        loop {
            match self.socket.next().await {
                None => return Ok(0),
                Some(Err(error)) => return Err(io::Error::other(error)),
                Some(Ok(WsMessage::Binary(bytes))) => {
                    if bytes.is_empty() {
                        continue;
                    }
                    buf.extend_from_slice(&bytes);
                    return Ok(bytes.len());
                }
                Some(Ok(WsMessage::Close(_))) => return Ok(0),
                Some(Ok(WsMessage::Text(_))) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "MQTT over WebSocket uses binary frames",
                    ))
                }
                // Pings are answered by the WebSocket layer.
                Some(Ok(_)) => continue,
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.socket
            .send(WsMessage::Binary(bytes::Bytes::copy_from_slice(bytes)))
            .await
            .map_err(io::Error::other)
    }

    async fn close(&mut self) {
        let _ = self.socket.send(WsMessage::Close(None)).await;
    }
}
