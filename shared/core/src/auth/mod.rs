//! Authentication decisions, pure: who is calling, and whether their proof holds.
//!
//! - [`sigv4`]: AWS Signature Version 4 on HTTP requests, signed in headers or presigned in the
//!   query (`X-Amz-*`), verified by computing the expected signature with the `aws-sigv4` crate
//!   and comparing in constant time; stale dates, wrong region and wrong service refused.
//! - [`service`]: which signing name a path belongs to (`iot`, `iotdata`, `iotdevicegateway`)
//!   and which IoT action a data-plane request is, for policy checks.
//! - [`credentials`]: the credentials `thingcore serve` knows (access key → secret and IoT
//!   policy) and [`credentials::authenticate`], the decision for one request in open or strict
//!   mode.
//! - [`error`]: [`AuthError`], mapped to AWS's error types and HTTP statuses.

pub mod credentials;
pub mod error;
mod presign;
pub mod service;
pub mod sigv4;

pub use credentials::{authenticate, authenticate_as, Caller, CredentialStore, Identity};
pub use error::AuthError;
pub use service::{data_plane_action, jobs_data_action, signing_service, DataPlaneAction};
pub use sigv4::{HttpRequest, SignatureLocation, SignedRequestInfo};
