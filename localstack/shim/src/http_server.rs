//! The HTTP listener: the axum router on hyper, with the limits a listener needs so that no
//! client can hold the server or starve the MQTT listeners of file descriptors:
//!
//! - at most [`HttpLimits::max_connections`] connections at once, WebSockets (`/mqtt`, `/ws`)
//!   included for as long as they are open; one more is closed as soon as it is accepted;
//! - [`HttpLimits::header_read`] to send a request's headers, counted from the moment the
//!   connection waits for them, so an idle keep-alive connection ends after it too;
//! - [`HttpLimits::request`] for a whole request, body included: a trickling body gets 408.
//!
//! The TLS port hands its HTTPS connections to the same [`HttpFront`] (see [`crate::tls`]).

use crate::http_auth::ClientCertificates;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// The HTTP listener's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Time to send a request's headers, and the most a keep-alive connection stays idle.
    pub header_read: Duration,
    /// Time for a whole request, body included, until the response starts.
    pub request: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            header_read: Duration::from_secs(30),
            request: Duration::from_secs(60),
        }
    }
}

/// The HTTP front: the router and its limits, shared by the plain HTTP listener and the TLS
/// port's HTTPS connections, which count against the same connection limit.
#[derive(Clone)]
pub struct HttpFront {
    app: axum::Router,
    limits: HttpLimits,
    permits: Arc<Semaphore>,
    refused: Arc<AtomicU64>,
}

impl HttpFront {
    /// A front for `app` within `limits`.
    pub fn new(app: axum::Router, limits: HttpLimits) -> Self {
        Self {
            app,
            limits,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            refused: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Serves one accepted connection on its own task, or closes it at once when the limit
    /// is reached; `false` then. The client certificates of an HTTPS connection go with each
    /// of its requests.
    pub fn spawn_connection<IO>(
        &self,
        io: IO,
        peer: SocketAddr,
        certificates: Option<ClientCertificates>,
    ) -> bool
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    refused,
                    max = self.limits.max_connections,
                    "HTTP connection limit reached: connections closed"
                );
            }
            return false;
        };
        tokio::spawn(serve_connection(
            Counted {
                io,
                _permit: permit,
            },
            peer,
            certificates,
            self.app.clone(),
            self.limits,
        ));
        true
    }

    /// Serves connections from `listener` until `stop` resolves.
    pub async fn serve(&self, listener: TcpListener, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let (stream, peer) = tokio::select! {
                () = &mut stop => return,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors, most likely: give others a moment to close.
                        tracing::warn!(%error, "accepting an HTTP connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            self.spawn_connection(stream, peer, None);
        }
    }
}

/// Serves one connection (and its upgrade, if it asks for one).
async fn serve_connection<IO>(
    io: Counted<IO>,
    peer: SocketAddr,
    certificates: Option<ClientCertificates>,
    app: axum::Router,
    limits: HttpLimits,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = tower::service_fn(move |request: hyper::Request<Incoming>| {
        let app = app.clone();
        let certificates = certificates.clone();
        async move {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            if let Some(certificates) = certificates {
                request.extensions_mut().insert(certificates);
            }
            let response = match tokio::time::timeout(limits.request, app.oneshot(request)).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => request_timeout(),
            };
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(service))
        .with_upgrades();
    if let Err(error) = connection.await {
        tracing::debug!(%error, %peer, "HTTP connection ended");
    }
}

/// 408, as AWS answers a request that did not arrive in time.
fn request_timeout() -> Response {
    (
        StatusCode::REQUEST_TIMEOUT,
        [("x-amzn-ErrorType", "RequestTimeoutException")],
        r#"{"message":"the request did not arrive in time"}"#,
    )
        .into_response()
}

/// A connection that holds its place under the limit until it is dropped, upgraded or not.
struct Counted<IO> {
    io: IO,
    _permit: OwnedSemaphorePermit,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Counted<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Counted<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
