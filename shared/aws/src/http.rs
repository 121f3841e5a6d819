//! Outbound HTTP(S): [`https_client`], the one client builder of the http rule action and of
//! topic rule destinations' confirmation requests (rustls on the provider the AWS SDK already
//! builds, the system's root certificates, `http://` allowed for local receivers), and
//! [`HttpConfirmer`], core's `DestinationConfirmer` port over it.

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;
use thingcore::rules::{ConfirmationRequest, DestinationConfirmer};
use tokio::sync::OnceCell;

/// A client for HTTP/1 over TCP or TLS with a full body.
pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// How long a confirmation request may take (AWS's HTTP action timeout).
pub const CONFIRMATION_TIMEOUT: Duration = Duration::from_secs(3);

/// A new client: HTTPS with the system's root certificates, or plain HTTP.
///
/// # Errors
/// A message when the system has no root certificates.
pub fn https_client() -> Result<HttpClient, String> {
    // The provider the AWS SDK already builds (aws-lc-rs), named here so no second crypto
    // provider is compiled in.
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)
        .map_err(|e| format!("no root certificates for HTTPS: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// Sends confirmation requests: `POST {confirmationUrl}/?confirmationToken=...` with AWS's
/// headers and body; a 2xx answer within [`CONFIRMATION_TIMEOUT`] is delivered.
#[derive(Debug)]
pub struct HttpConfirmer {
    client: OnceCell<HttpClient>,
    timeout: Duration,
}

impl Default for HttpConfirmer {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpConfirmer {
    /// A confirmer whose client is made on first use.
    pub fn new() -> Self {
        Self {
            client: OnceCell::new(),
            timeout: CONFIRMATION_TIMEOUT,
        }
    }

    async fn post(&self, request: &ConfirmationRequest) -> Result<(), String> {
        let client = self
            .client
            .get_or_try_init(|| async { https_client() })
            .await?;
        let mut builder = Request::builder().method(Method::POST).uri(&request.url);
        for (name, value) in request.headers() {
            let value = HeaderValue::from_str(&value).map_err(|e| e.to_string())?;
            builder = builder.header(HeaderName::from_static(name), value);
        }
        let body = Full::new(Bytes::from(request.body().to_string()));
        let http = builder
            .body(body)
            .map_err(|e| format!("{:?} is not a URL: {e}", request.url))?;
        let response = client.request(http).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the confirmation URL answered {status}"))
        }
    }
}

#[async_trait]
impl DestinationConfirmer for HttpConfirmer {
    async fn send(&self, request: &ConfirmationRequest) -> Result<(), String> {
        tokio::time::timeout(self.timeout, self.post(request))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} ms", self.timeout.as_millis())))
    }
}
