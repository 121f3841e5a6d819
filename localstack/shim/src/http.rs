//! The HTTP front of `thingcore serve`. Each AWS IoT API plugs in here as a set of routes that
//! turn requests into the same events API Gateway sends and call the function's handler.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The router of the HTTP listener.
pub fn app() -> Router {
    Router::new().route("/health", get(health))
}

/// `GET /health`: 200 `{"status":"ok"}` while the server runs.
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
