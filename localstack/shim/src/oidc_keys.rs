//! Where AssumeRoleWithWebIdentity finds an issuer's signing keys ([`IssuerKeys`] for
//! `thingcore serve`):
//!
//! 1. a JWKS file configured for the issuer (`--oidc-jwks ISSUER=FILE`, repeatable, or
//!    `THINGCORE_OIDC_JWKS` with comma-separated pairs), read at every request, so a machine
//!    without internet can trust an issuer it cannot reach;
//! 2. otherwise the issuer's discovery document, `{iss}/.well-known/openid-configuration`,
//!    and the JWKS at its `jwks_uri`, over HTTP(S) (the system's root certificates), each
//!    request given [`FETCH_TIMEOUT`]. Nothing is cached: a rotated key is seen at once.
//!
//! Issuers are compared without a trailing `/`. A key source that fails answers STS's
//! `IDPCommunicationError`, saying why.

use anyhow::Context as _;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Bytes;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use thingcore::iam::IamError;
use thingcore_aws::http::{https_client, HttpClient};
use thingcore_iam::web_identity::IssuerKeys;
use tokio::sync::OnceCell;

/// How long fetching a discovery document or a JWKS may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest discovery document or JWKS read.
const MAX_DOCUMENT: usize = 512 * 1024;

/// The issuers' keys: configured files first, then discovery over HTTP(S).
#[derive(Debug, Default)]
pub struct LocalIssuerKeys {
    files: HashMap<String, PathBuf>,
    client: OnceCell<HttpClient>,
}

fn issuer_key(issuer: &str) -> String {
    issuer.trim().trim_end_matches('/').to_string()
}

fn unreachable(message: impl Into<String>) -> IamError {
    IamError::IdpCommunicationError(message.into())
}

impl LocalIssuerKeys {
    /// Keys from `ISSUER=FILE` pairs (each file must exist), and discovery for other issuers.
    ///
    /// # Errors
    /// A pair without `=`, or a file that cannot be read.
    pub fn new(pairs: &[String]) -> anyhow::Result<Self> {
        let mut files = HashMap::new();
        for pair in pairs.iter().filter(|p| !p.trim().is_empty()) {
            let (issuer, file) = pair
                .split_once('=')
                .with_context(|| format!("--oidc-jwks takes ISSUER=FILE, not {pair:?}"))?;
            let path = PathBuf::from(file.trim());
            std::fs::metadata(&path)
                .with_context(|| format!("the JWKS file {} for {issuer}", path.display()))?;
            files.insert(issuer_key(issuer), path);
        }
        Ok(Self {
            files,
            client: OnceCell::new(),
        })
    }

    /// The issuers with a configured JWKS file (for the banner).
    pub fn configured(&self) -> Vec<&str> {
        let mut issuers: Vec<&str> = self.files.keys().map(String::as_str).collect();
        issuers.sort_unstable();
        issuers
    }

    /// `GET url`, a 2xx body as text.
    async fn get(&self, url: &str) -> Result<String, IamError> {
        let client = self
            .client
            .get_or_try_init(|| async { https_client() })
            .await
            .map_err(unreachable)?;
        let request = hyper::Request::get(url)
            .header("accept", "application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|e| unreachable(format!("{url} is not a URL: {e}")))?;
        let exchange = async {
            let response = client
                .request(request)
                .await
                .map_err(|e| unreachable(format!("cannot reach {url}: {e}")))?;
            let status = response.status();
            // Read at most MAX_DOCUMENT bytes: an issuer cannot make us hold more.
            let body = Limited::new(response.into_body(), MAX_DOCUMENT)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<LengthLimitError>() {
                        unreachable(format!("{url} sent more than {MAX_DOCUMENT} bytes"))
                    } else {
                        unreachable(format!("reading {url}: {e}"))
                    }
                })?
                .to_bytes();
            if !status.is_success() {
                return Err(unreachable(format!("{url} answered {status}")));
            }
            String::from_utf8(body.to_vec())
                .map_err(|_| unreachable(format!("{url} sent a body that is not UTF-8")))
        };
        tokio::time::timeout(FETCH_TIMEOUT, exchange)
            .await
            .map_err(|_| unreachable(format!("{url} did not answer within {FETCH_TIMEOUT:?}")))?
    }
}

#[async_trait::async_trait]
impl IssuerKeys for LocalIssuerKeys {
    async fn jwks(&self, issuer: &str) -> Result<String, IamError> {
        let issuer = issuer_key(issuer);
        if let Some(path) = self.files.get(&issuer) {
            let path = path.clone();
            let read = tokio::task::spawn_blocking(move || {
                std::fs::read_to_string(&path).map_err(|e| {
                    unreachable(format!("cannot read the JWKS file {}: {e}", path.display()))
                })
            });
            return read
                .await
                .map_err(|e| unreachable(format!("reading the JWKS file failed: {e}")))?;
        }
        let discovery_url = format!("{issuer}/.well-known/openid-configuration");
        let discovery: serde_json::Value =
            serde_json::from_str(&self.get(&discovery_url).await?)
                .map_err(|e| unreachable(format!("{discovery_url} is not JSON: {e}")))?;
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| unreachable(format!("{discovery_url} has no jwks_uri")))?;
        self.get(jwks_uri).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_configured_file_answers_for_its_issuer_with_or_without_a_trailing_slash() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("jwks.json");
        std::fs::write(&file, r#"{"keys":[]}"#).expect("write");
        let keys = LocalIssuerKeys::new(&[format!("https://issuer.example/={}", file.display())])
            .expect("configured");
        assert_eq!(keys.configured(), ["https://issuer.example"]);
        assert_eq!(
            keys.jwks("https://issuer.example").await.as_deref(),
            Ok(r#"{"keys":[]}"#)
        );
        assert!(LocalIssuerKeys::new(&["no-equals-sign".into()]).is_err());
        assert!(LocalIssuerKeys::new(&["https://x=/does/not/exist".into()]).is_err());
    }

    #[tokio::test]
    async fn an_issuer_that_cannot_be_reached_is_an_idp_communication_error() {
        let keys = LocalIssuerKeys::default();
        let error = keys.jwks("http://127.0.0.1:9").await.expect_err("refused");
        assert_eq!(error.code(), "IDPCommunicationError");
    }
}
