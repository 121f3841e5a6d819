//! The MQTT-over-TLS listener (`--tls-addr`, default 127.0.0.1:8883), as AWS IoT's port 8883:
//! rustls with a server certificate from the local CA, client certificates requested and
//! checked against the registry after the handshake (see [`crate::mqtt::auth`]).
//!
//! The handshake itself accepts any client certificate whose CertificateVerify signature is
//! right (the client holds the key); whether the certificate is trusted — registered, ACTIVE,
//! from a registered CA or the local one, within its validity — is the registry's decision,
//! made when the CONNECT arrives, so a refused device gets a CONNACK that says so (0x87,
//! 3.1.1: 5) and the reason is logged. A client without a certificate completes the handshake
//! too, and is refused unless another authenticator (custom authorizers) accepts it.
//!
//! One port serves what AWS IoT serves on 443, told apart by ALPN ([`route`]): MQTT for
//! `x-amzn-mqtt-ca` and `mqtt`, HTTPS (the data-plane API, and MQTT over WebSocket at
//! `wss://.../mqtt`) for `http/1.1`. A client that offers no ALPN gets what its first bytes
//! ask for: an HTTP request line is HTTP, anything else MQTT (as on AWS's port 8883). A
//! client that offers only protocols we do not speak fails the handshake
//! (`no_application_protocol`, RFC 7301).
//!
//! `thingcore serve` writes `ca.pem`, `server.pem` and `server.key` into the data directory so
//! that `mosquitto_pub --cafile <data-dir>/ca.pem` can verify the server.

use crate::http_auth::ClientCertificates;
use crate::http_server::HttpFront;
use crate::mqtt::auth::{Authenticator, Credentials};
use crate::mqtt::connection::{self, ListenerAuth};
use crate::mqtt::revocation::LiveConnections;
use crate::mqtt::transport::Transport;
use crate::mqtt::HubHandle;
use bytes::BytesMut;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use thingcore::broker::ConnectionInfo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client has to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The ALPN protocols the port speaks, as AWS IoT's port 443: MQTT with a client certificate,
/// MQTT (custom authorizers), HTTP/1.1 (HTTPS and WSS).
pub const ALPN_PROTOCOLS: [&[u8]; 3] = [b"x-amzn-mqtt-ca", b"mqtt", b"http/1.1"];

/// What a TLS connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsRoute {
    /// MQTT packets.
    Mqtt,
    /// HTTP/1.1 requests: the data-plane API and the `/mqtt` WebSocket upgrade.
    Http,
    /// An HTTP request on an MQTT ALPN: answered with 400 and closed.
    HttpOnMqttAlpn,
}

/// Which protocol a connection speaks, from the ALPN protocol the handshake chose and the
/// first byte the client sent.
///
/// An MQTT stream must start with CONNECT (`0x10`), and an HTTP request with its method in
/// capitals (`GET`, `POST`, ...), so the first byte tells them apart.
pub fn route(alpn: Option<&[u8]>, first_byte: u8) -> TlsRoute {
    let looks_like_http = first_byte.is_ascii_uppercase();
    match alpn {
        Some(b"http/1.1") => TlsRoute::Http,
        Some(_) if looks_like_http => TlsRoute::HttpOnMqttAlpn,
        Some(_) => TlsRoute::Mqtt,
        None if looks_like_http => TlsRoute::Http,
        None => TlsRoute::Mqtt,
    }
}

/// What can go wrong setting up TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The server certificate or key PEM does not load.
    #[error("the TLS server certificate or key is not usable: {0}")]
    BadPem(String),
    /// rustls refused the configuration.
    #[error("rustls refused the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// Writing the PEM files failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// Where the PEM files a device needs were written.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The local CA certificate (`--cafile`).
    pub ca: PathBuf,
    /// The server certificate.
    pub server_certificate: PathBuf,
    /// The server's private key.
    pub server_key: PathBuf,
}

/// Writes the CA certificate, the server certificate and its key into `dir`.
///
/// # Errors
/// [`TlsError::Write`] when a file cannot be written.
pub fn write_files(
    dir: &Path,
    ca_pem: &str,
    certificate_pem: &str,
    key_pem: &str,
) -> Result<TlsFiles, TlsError> {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|source| TlsError::Write {
                path: path.clone(),
                source,
            })?;
        Ok::<PathBuf, TlsError>(path)
    };
    Ok(TlsFiles {
        ca: write("ca.pem", ca_pem)?,
        server_certificate: write("server.pem", certificate_pem)?,
        server_key: write("server.key", key_pem)?,
    })
}

/// A rustls server configuration with this certificate (PEM, chain allowed) and key (PKCS#8
/// PEM) that asks clients for a certificate and leaves trusting it to the registry.
///
/// # Errors
/// [`TlsError`] when the PEM does not load or rustls refuses it.
pub fn server_config(certificate_pem: &str, key_pem: &str) -> Result<ServerConfig, TlsError> {
    let chain = CertificateDer::pem_slice_iter(certificate_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadPem(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| TlsError::BadPem(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(RegistryClientVerifier {
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// Asks for a client certificate and checks that the client holds its key; whether the
/// certificate is trusted is decided by the registry afterwards.
#[derive(Debug)]
struct RegistryClientVerifier {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for RegistryClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A TLS connection and the first bytes read from it to choose its [`route`], which the
/// protocol gets first.
pub struct TlsConnection {
    stream: TlsStream<TcpStream>,
    first: BytesMut,
}

impl Transport for TlsConnection {
    async fn read(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        if !self.first.is_empty() {
            let n = self.first.len();
            buf.extend_from_slice(&self.first);
            self.first = BytesMut::new();
            return Ok(n);
        }
        crate::mqtt::transport::make_room(buf);
        self.stream.read_buf(buf).await
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    async fn close(&mut self) {
        let _ = self.stream.shutdown().await;
    }

    fn quick_ack(&self) {
        crate::mqtt::transport::quick_ack(self.stream.get_ref().0);
    }
}

impl AsyncRead for TlsConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.first.is_empty() {
            let n = self.first.len().min(buf.remaining());
            buf.put_slice(&self.first.split_to(n));
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// What the TLS port serves: the MQTT broker and the HTTP front.
#[derive(Clone)]
pub struct TlsPort {
    /// The TLS configuration (server certificate, ALPN).
    pub acceptor: TlsAcceptor,
    /// The hub MQTT connections join.
    pub hub: HubHandle,
    /// The largest MQTT packet accepted.
    pub max_packet: usize,
    /// Authenticates MQTT clients.
    pub authenticator: Arc<dyn Authenticator>,
    /// Live MQTT connections, for revocation.
    pub live: LiveConnections,
    /// Serves HTTPS connections, within the HTTP listener's limits.
    pub http: HttpFront,
}

/// Accepts TLS connections until `stop` changes; each is served as [`route`] says.
pub async fn accept(listener: TcpListener, port: TlsPort, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(port.clone().serve(stream, peer));
                }
                Err(error) => {
                    tracing::warn!(%error, "accepting a TLS connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

impl TlsPort {
    /// Completes the handshake, reads the first bytes and serves the connection.
    async fn serve(self, stream: TcpStream, peer: SocketAddr) {
        let Some(mut tls) = handshake(&self.acceptor, stream, peer).await else {
            return;
        };
        let mut first = BytesMut::new();
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.read_buf(&mut first)).await {
            Ok(Ok(n)) if n > 0 => {}
            Ok(Ok(_)) | Ok(Err(_)) => return,
            Err(_) => {
                tracing::info!(%peer, "TLS client sent nothing after the handshake: closed");
                return;
            }
        }
        let session = tls.get_ref().1;
        let alpn = session.alpn_protocol().map(<[u8]>::to_vec);
        let credentials = Credentials {
            client_certificates: session
                .peer_certificates()
                .map(|certs| certs.iter().map(|c| c.to_vec()).collect())
                .unwrap_or_default(),
            server_name: session.server_name().map(str::to_string),
            source_ip: Some(peer.ip()),
        };
        let connection = TlsConnection { stream: tls, first };
        match route(alpn.as_deref(), connection.first[0]) {
            TlsRoute::Http => {
                let certificates = (!credentials.client_certificates.is_empty())
                    .then(|| ClientCertificates(Arc::new(credentials.client_certificates)));
                self.http.spawn_connection(connection, peer, certificates);
            }
            TlsRoute::Mqtt => {
                let info = ConnectionInfo {
                    ip_address: Some(peer.ip().to_string()),
                    ..ConnectionInfo::default()
                };
                let auth = ListenerAuth {
                    authenticator: self.authenticator,
                    credentials,
                    live: self.live,
                };
                connection::serve_with(connection, info, self.hub, self.max_packet, Some(auth))
                    .await;
            }
            TlsRoute::HttpOnMqttAlpn => {
                let alpn =
                    String::from_utf8_lossy(alpn.as_deref().unwrap_or_default()).into_owned();
                tracing::info!(%peer, %alpn, "an HTTP request on an MQTT ALPN protocol: refused");
                refuse_http(connection, &alpn).await;
            }
        }
    }
}

/// The TLS handshake within [`HANDSHAKE_TIMEOUT`]; failures are logged once and closed.
async fn handshake(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<TlsStream<TcpStream>> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(error)) => {
            if error.to_string().contains("NoApplicationProtocol") {
                tracing::info!(%peer, "TLS handshake refused: the client offered no ALPN protocol this port speaks (x-amzn-mqtt-ca, mqtt, http/1.1)");
            } else {
                tracing::info!(%peer, %error, "TLS handshake failed");
            }
            None
        }
        Err(_) => {
            tracing::info!(%peer, "TLS handshake timed out");
            None
        }
    }
}

/// Answers an HTTP request that came on an MQTT ALPN protocol with 400, then closes.
async fn refuse_http(mut connection: TlsConnection, alpn: &str) {
    let body = format!(
        "{{\"message\":\"this connection negotiated the MQTT ALPN protocol '{alpn}'; HTTPS and WSS need ALPN http/1.1 (or none)\"}}"
    );
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nx-amzn-ErrorType: InvalidRequestException\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        let _ = connection.stream.write_all(response.as_bytes()).await;
        let _ = connection.stream.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_chooses_the_protocol() {
        assert_eq!(route(Some(b"x-amzn-mqtt-ca"), 0x10), TlsRoute::Mqtt);
        assert_eq!(route(Some(b"mqtt"), 0x10), TlsRoute::Mqtt);
        assert_eq!(route(Some(b"http/1.1"), b'G'), TlsRoute::Http);
        // hyper answers an MQTT packet on http/1.1 with 400 itself.
        assert_eq!(route(Some(b"http/1.1"), 0x10), TlsRoute::Http);
    }

    #[test]
    fn without_alpn_the_first_byte_chooses() {
        assert_eq!(route(None, 0x10), TlsRoute::Mqtt);
        for method in ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"] {
            assert_eq!(
                route(None, method.as_bytes()[0]),
                TlsRoute::Http,
                "{method}"
            );
        }
        // Garbage goes to MQTT, whose decoder refuses it.
        assert_eq!(route(None, 0x00), TlsRoute::Mqtt);
    }

    #[test]
    fn an_http_request_on_an_mqtt_alpn_is_refused() {
        assert_eq!(route(Some(b"mqtt"), b'G'), TlsRoute::HttpOnMqttAlpn);
        assert_eq!(
            route(Some(b"x-amzn-mqtt-ca"), b'P'),
            TlsRoute::HttpOnMqttAlpn
        );
    }
}
