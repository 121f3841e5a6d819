//! The `http` action: the rule's output POSTed to `url` (a rendered template) with the action's
//! `headers` (values are rendered templates), as AWS's HTTP action does.
//!
//! - A 2xx answer is success. 429, 5xx, a connection failure or no answer are retried, at most
//!   twice (three tries), within the request timeout of 3 seconds for all tries together, as
//!   AWS documents; any other status fails at once. What fails goes to the error action as
//!   `HttpAction failed to make a request to the specified endpoint. StatusCode: 404...`.
//! - Without a `content-type` header, JSON output is sent as `application/json`, anything else
//!   as `application/octet-stream`.
//! - A sink made [`HttpSink::with_destinations`] (what [`super::ActionSinks::standard`] makes)
//!   delivers only where an ENABLED topic rule destination's confirmation URL is a prefix of
//!   the rendered URL, as AWS does; otherwise the action fails (the rule's error action gets
//!   `HttpAction failed ... The topic rule destination ... is IN_PROGRESS, not ENABLED`).
//!   Destinations are read from the Store at each delivery (one query of a small partition),
//!   so a confirmation takes effect on the next message. A bare [`HttpSink::new`] checks
//!   nothing (for tests of the HTTP exchange itself).
//! - Choices for a local core: `http://` URLs are accepted as well as `https://` (AWS takes
//!   HTTPS only). SigV4 `auth` and batching are not applied.

use crate::error::ActionError;
use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, StatusCode, Uri};
use std::sync::Arc;
use std::time::Duration;
use thingcore::mqtt::Bytes;
use thingcore::rules::action_types::HttpAction;
use thingcore::rules::destination::{check_delivery, DESTINATIONS_PARTITION};
use thingcore::rules::sink::ActionSink;
use thingcore::rules::StoredDestination;
use thingcore::rules::{Action, ResolvedAction};
use thingcore::store::{PageToken, Query, Store, Table};
use tokio::sync::OnceCell;

/// AWS's request timeout for the HTTP action, all tries together.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// At most this many tries (one and two retries).
pub const MAX_TRIES: usize = 3;

use thingcore_aws::http::HttpClient;

/// POSTs rule output to HTTP(S) endpoints.
pub struct HttpSink {
    client: OnceCell<HttpClient>,
    timeout: Duration,
    /// Where the topic rule destinations are; `None` checks none.
    destinations: Option<Arc<dyn Store>>,
}

impl std::fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSink")
            .field("timeout", &self.timeout)
            .field("checks_destinations", &self.destinations.is_some())
            .finish()
    }
}

impl Default for HttpSink {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpSink {
    /// A sink with AWS's timeout; its client (HTTPS with the system's root certificates) is
    /// made on first use.
    pub fn new() -> Self {
        Self {
            client: OnceCell::new(),
            timeout: REQUEST_TIMEOUT,
            destinations: None,
        }
    }

    async fn client(&self) -> Result<&HttpClient, ActionError> {
        self.client
            .get_or_try_init(|| async {
                thingcore_aws::http::https_client().map_err(ActionError::failed)
            })
            .await
    }

    /// The same sink delivering only to URLs an ENABLED topic rule destination in `store`
    /// covers.
    #[must_use]
    pub fn with_destinations(mut self, store: Arc<dyn Store>) -> Self {
        self.destinations = Some(store);
        self
    }

    /// Fails unless an ENABLED destination covers `url` (when destinations are checked).
    async fn check_destination(&self, url: &str) -> Result<(), ActionError> {
        let Some(store) = &self.destinations else {
            return Ok(());
        };
        let mut destinations = Vec::new();
        let mut token: Option<PageToken> = None;
        loop {
            let query = Query::partition(Table::Registry, DESTINATIONS_PARTITION)
                .limit(1000)
                .start(token.take());
            let page = store
                .query(&query)
                .await
                .map_err(|e| ActionError::failed(format!("{FAILED} {e}")))?;
            destinations.extend(
                page.items.iter().filter_map(|item| {
                    serde_json::from_slice::<StoredDestination>(&item.body).ok()
                }),
            );
            match page.next {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        check_delivery(&destinations, url).map_err(ActionError::failed)
    }
}

/// The request of `action` with `payload`.
///
/// # Errors
/// [`ActionError::InvalidParameter`] for a URL that is not an absolute http(s) URL,
/// [`ActionError::InvalidHeader`] for a header that HTTP cannot carry.
pub fn request(action: &HttpAction, payload: &Bytes) -> Result<Request<Full<Bytes>>, ActionError> {
    let uri: Uri = action
        .url
        .parse()
        .map_err(|e| ActionError::invalid("url", format!("{:?}: {e}", action.url)))?;
    if !matches!(uri.scheme_str(), Some("https" | "http")) || uri.host().is_none() {
        return Err(ActionError::invalid(
            "url",
            format!("{:?} is not an https:// URL", action.url),
        ));
    }
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .body(Full::new(payload.clone()))
        .map_err(|e| ActionError::invalid("url", e.to_string()))?;
    let headers = request.headers_mut();
    for header in action.headers.iter().flatten() {
        let invalid = |reason: String| ActionError::InvalidHeader {
            header: "headers",
            reason,
        };
        let name = HeaderName::from_bytes(header.key.as_bytes())
            .map_err(|_| invalid(format!("{:?} is not a header name", header.key)))?;
        let value = HeaderValue::from_str(&header.value)
            .map_err(|_| invalid(format!("the value of {:?} is not valid", header.key)))?;
        headers.append(name, value);
    }
    if !headers.contains_key(CONTENT_TYPE) {
        let json = serde_json::from_slice::<serde_json::Value>(payload).is_ok();
        let kind = if json {
            "application/json"
        } else {
            "application/octet-stream"
        };
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    }
    Ok(request)
}

/// Whether a try that ended with `status` is retried (429 and 5xx, as AWS documents).
pub fn retried(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

const FAILED: &str = "HttpAction failed to make a request to the specified endpoint.";

impl HttpSink {
    /// Tries until success, a status that is not retried, or [`MAX_TRIES`].
    async fn tries(&self, action: &HttpAction, payload: &Bytes) -> Result<(), ActionError> {
        let client = self.client().await?;
        let mut last = String::new();
        for _ in 0..MAX_TRIES {
            let request = request(action, payload)?;
            match client.request(request).await {
                Ok(response) => {
                    let status = response.status();
                    // Read (and drop) the body so the connection can be reused.
                    let _ = response.into_body().collect().await;
                    if status.is_success() {
                        return Ok(());
                    }
                    last = format!(
                        "{FAILED} StatusCode: {}. Reason: {}.",
                        status.as_u16(),
                        status.canonical_reason().unwrap_or("unknown")
                    );
                    if !retried(status) {
                        break;
                    }
                }
                Err(error) => last = format!("{FAILED} {error}"),
            }
        }
        Err(ActionError::failed(format!("{last} URL: {}", action.url)))
    }
}

#[async_trait]
impl ActionSink for HttpSink {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let Action::Http(http) = &action.action else {
            return Err(ActionError::not_for(action));
        };
        request(http, &action.payload)?;
        self.check_destination(&http.url).await?;
        tokio::time::timeout(self.timeout, self.tries(http, &action.payload))
            .await
            .unwrap_or_else(|_| {
                Err(ActionError::failed(format!(
                    "{FAILED} Request timeout after {} ms. URL: {}",
                    self.timeout.as_millis(),
                    http.url
                )))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn http(v: serde_json::Value) -> HttpAction {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn requests_carry_headers_and_a_content_type() {
        let action = http(json!({"url": "https://example.invalid/in",
            "headers": [{"key": "x-device", "value": "kitchen"}]}));
        let request =
            request(&action, &Bytes::from_static(b"{\"a\":1}")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.headers()["x-device"], "kitchen");
        assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
        let binary =
            super::request(&action, &Bytes::from_static(&[0xff])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(binary.headers()[CONTENT_TYPE], "application/octet-stream");
    }

    #[test]
    fn bad_urls_and_headers_are_refused() {
        for url in ["ftp://h/x", "not a url", "/relative"] {
            assert!(matches!(
                request(&http(json!({"url": url})), &Bytes::new()),
                Err(ActionError::InvalidParameter {
                    parameter: "url",
                    ..
                })
            ));
        }
        let bad = http(json!({"url": "https://h/", "headers": [{"key": "a b", "value": "v"}]}));
        assert!(matches!(
            request(&bad, &Bytes::new()),
            Err(ActionError::InvalidHeader { .. })
        ));
        let bad = http(json!({"url": "https://h/", "headers": [{"key": "k", "value": "a\nb"}]}));
        assert!(request(&bad, &Bytes::new()).is_err());
    }

    #[test]
    fn only_throttling_and_server_errors_are_retried() {
        assert!(retried(StatusCode::TOO_MANY_REQUESTS));
        assert!(retried(StatusCode::BAD_GATEWAY));
        assert!(!retried(StatusCode::NOT_FOUND));
        assert!(!retried(StatusCode::BAD_REQUEST));
    }
}
