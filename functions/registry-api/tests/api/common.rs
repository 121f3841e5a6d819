//! Helpers: a registry over a memory store and a manual clock, request builders that make the
//! HTTP API events API Gateway sends, and response checks.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::encodings::Body;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use thingcore::store::{MemoryStore, Store};
use thingcore::ManualClock;
use thingcore_registry::{RegistryConfig, RegistryService};

/// 2023-11-14T22:13:20Z.
pub const START_MILLIS: u64 = 1_700_000_000_000;

/// A registry under test.
pub struct Api {
    pub service: RegistryService,
    pub clock: Arc<ManualClock>,
}

impl Api {
    pub fn new() -> Self {
        Self::with_config(RegistryConfig::default())
    }

    pub fn with_config(config: RegistryConfig) -> Self {
        let clock = Arc::new(ManualClock::new(START_MILLIS));
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
        Self::over(store, clock, config)
    }

    pub fn over(store: Arc<dyn Store>, clock: Arc<ManualClock>, config: RegistryConfig) -> Self {
        Self {
            service: RegistryService::new(store, clock.clone(), config),
            clock,
        }
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.call("GET", path)
    }
    pub fn post(&self, path: &str) -> Call<'_> {
        self.call("POST", path)
    }
    pub fn put(&self, path: &str) -> Call<'_> {
        self.call("PUT", path)
    }
    pub fn patch(&self, path: &str) -> Call<'_> {
        self.call("PATCH", path)
    }
    pub fn delete(&self, path: &str) -> Call<'_> {
        self.call("DELETE", path)
    }

    pub fn call(&self, method: &str, path: &str) -> Call<'_> {
        Call {
            api: self,
            method: method.to_string(),
            path: path.to_string(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// The CA certificate PEM of the registry.
    pub fn ca_pem(&self) -> String {
        futures::executor::block_on(self.service.ca_certificate_pem())
            .unwrap_or_else(|e| panic!("CA: {e}"))
    }
}

/// A request being built.
pub struct Call<'a> {
    api: &'a Api,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

impl Call<'_> {
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body.to_string());
        self
    }

    pub fn text(mut self, body: &str) -> Self {
        self.body = Some(body.to_string());
        self
    }

    pub fn event(&self) -> ApiGatewayV2httpRequest {
        let mut request = ApiGatewayV2httpRequest::default();
        request.raw_path = Some(self.path.clone());
        request.request_context.http.method =
            Method::from_bytes(self.method.as_bytes()).unwrap_or(Method::GET);
        let query: HashMap<String, String> = self.query.iter().cloned().collect();
        request.query_string_parameters = query.into();
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.insert(name, value);
            }
        }
        request.headers = headers;
        request.body = self.body.clone();
        request
    }

    pub fn send(self) -> Reply {
        let event = self.event();
        send_event(&self.api.service, &event)
    }

    /// Sends and expects 200; the body.
    pub fn ok(self) -> Value {
        let what = format!("{} {}", self.method, self.path);
        let reply = self.send();
        assert_eq!(reply.status, 200, "{what}: {}", reply.body);
        reply.body
    }

    /// Sends and expects the error `kind` with `status`; the body.
    pub fn fails(self, status: i64, kind: &str) -> Value {
        let what = format!("{} {}", self.method, self.path);
        let reply = self.send();
        assert_eq!(
            (reply.status, reply.error_type.as_deref()),
            (status, Some(kind)),
            "{what}: {}",
            reply.body
        );
        assert!(reply.body["message"].is_string(), "{what}: {}", reply.body);
        reply.body
    }
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: i64,
    pub body: Value,
    pub error_type: Option<String>,
}

pub fn send_event(service: &RegistryService, event: &ApiGatewayV2httpRequest) -> Reply {
    let response = futures::executor::block_on(registry_api::http::handle(service, event));
    let body = match &response.body {
        Some(Body::Text(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let error_type = response
        .headers
        .get("x-amzn-ErrorType")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Reply {
        status: response.status_code,
        body,
        error_type,
    }
}

/// Percent-encodes a path label the way botocore does (everything but `-._~` and
/// alphanumerics).
pub fn label(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2D", "-")
        .replace("%2E", ".")
        .replace("%5F", "_")
        .replace("%7E", "~")
}

/// Names in `list[field]` of a list response.
pub fn names(body: &Value, list: &str, field: Option<&str>) -> Vec<String> {
    body[list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| match field {
            Some(field) => item[field].as_str().map(str::to_string),
            None => item.as_str().map(str::to_string),
        })
        .collect()
}

/// Creates a certificate with CreateKeysAndCertificate; returns the response body.
pub fn new_certificate(api: &Api, active: bool) -> Value {
    api.post("/keys-and-certificate")
        .query("setAsActive", if active { "true" } else { "false" })
        .ok()
}

pub fn str_of<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing in {body}"))
}
