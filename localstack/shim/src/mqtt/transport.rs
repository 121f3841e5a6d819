//! The byte pipes MQTT runs over: a TCP stream, or WebSocket binary messages (`/mqtt`, the
//! `mqtt` subprotocol, as AWS IoT's `wss://.../mqtt`).

use axum::extract::ws::{Message as WsMessage, WebSocket};
use bytes::BytesMut;
use futures::StreamExt;
use std::io;
use std::task::Poll;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Room a read makes in its buffer when the buffer is (nearly) full: a connection's buffer
/// is allocated when bytes arrive, not while it waits.
pub const READ_CHUNK: usize = 8 * 1024;

/// The most a read into a connection without a buffer takes (on the stack).
const FIRST_READ: usize = 4 * 1024;

/// Makes room for a read of at least a few hundred bytes.
pub fn make_room(buf: &mut BytesMut) {
    if buf.capacity() - buf.len() < 512 {
        buf.reserve(READ_CHUNK);
    }
}

/// A bidirectional byte pipe.
pub trait Transport: Send + 'static {
    /// Reads more bytes into `buf`, growing it as needed; `Ok(0)` at end of stream.
    fn read(
        &mut self,
        buf: &mut BytesMut,
    ) -> impl std::future::Future<Output = io::Result<usize>> + Send;
    /// Writes all of `bytes`.
    fn write(&mut self, bytes: &[u8]) -> impl std::future::Future<Output = io::Result<()>> + Send;
    /// Flushes and closes the write side.
    fn close(&mut self) -> impl std::future::Future<Output = ()> + Send;
    /// Acknowledges what was read now instead of after the kernel's delayed-ACK timer (up to
    /// 40 ms on Linux). Called after reads that the server will answer with nothing: a client
    /// that leaves Nagle on holds its next packet until its last one is acknowledged.
    fn quick_ack(&self) {}
}

/// Sets TCP_QUICKACK: it leaves the delayed-ACK "pingpong" mode the socket enters once it
/// answers reads with writes, and sends the pending ACK for what was just read. The kernel
/// does not keep the flag, so it is set again after each such read.
pub fn quick_ack(stream: &TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = stream;
}

impl Transport for TcpStream {
    async fn read(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        // Polled readiness, not `readable()`: its future holds a waiter node, and every idle
        // connection's task holds this future.
        std::future::poll_fn(|cx| loop {
            match self.poll_read_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) => {}
            }
            if buf.capacity() == 0 {
                // Nothing half-read, no buffer: read on the stack and keep exactly what came.
                // An 8 KiB buffer taken for every wake-up and given back at once (readiness is
                // often stale) is what fragments the heap of a server with many connections.
                let mut first = [0u8; FIRST_READ];
                match self.try_read(&mut first) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(error) => return Poll::Ready(Err(error)),
                    Ok(n) => {
                        buf.extend_from_slice(&first[..n]);
                        return Poll::Ready(Ok(n));
                    }
                }
            }
            make_room(buf);
            match self.try_read_buf(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    // Readiness was stale (tokio clears it only on WouldBlock, so this
                    // happens after every burst): wait, with the buffer kept for the next
                    // read (the connection gives it back once it is quiet).
                }
                result => return Poll::Ready(result),
            }
        })
        .await
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes).await
    }

    async fn close(&mut self) {
        let _ = self.shutdown().await;
    }

    fn quick_ack(&self) {
        quick_ack(self);
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
