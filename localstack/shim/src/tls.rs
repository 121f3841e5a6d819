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
//! `thingcore serve` writes `ca.pem`, `server.pem` and `server.key` into the data directory so
//! that `mosquitto_pub --cafile <data-dir>/ca.pem` can verify the server.

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
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use thingcore::broker::ConnectionInfo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client has to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
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

impl Transport for TlsStream<TcpStream> {
    async fn read(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        crate::mqtt::transport::make_room(buf);
        self.read_buf(buf).await
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes).await?;
        self.flush().await
    }

    async fn close(&mut self) {
        let _ = self.shutdown().await;
    }

    fn quick_ack(&self) {
        crate::mqtt::transport::quick_ack(self.get_ref().0);
    }
}

/// Accepts TLS connections until `stop` changes; each is authenticated by `authenticator`.
pub async fn accept(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    hub: HubHandle,
    max_packet: usize,
    authenticator: Arc<dyn Authenticator>,
    live: LiveConnections,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let acceptor = acceptor.clone();
                    let hub = hub.clone();
                    let authenticator = authenticator.clone();
                    let live = live.clone();
                    tokio::spawn(async move {
                        let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                            Ok(Ok(tls)) => tls,
                            Ok(Err(error)) => {
                                tracing::info!(%peer, %error, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::info!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                        let session = tls.get_ref().1;
                        let credentials = Credentials {
                            client_certificates: session
                                .peer_certificates()
                                .map(|certs| certs.iter().map(|c| c.to_vec()).collect())
                                .unwrap_or_default(),
                            server_name: session.server_name().map(str::to_string),
                            source_ip: Some(peer.ip()),
                        };
                        let info = ConnectionInfo {
                            ip_address: Some(peer.ip().to_string()),
                            ..ConnectionInfo::default()
                        };
                        let auth = ListenerAuth { authenticator, credentials, live };
                        connection::serve_with(tls, info, hub, max_packet, Some(auth)).await;
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "accepting a TLS connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}
