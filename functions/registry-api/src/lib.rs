//! # registry-api — the AWS IoT control plane's registry
//!
//! One handler, two hosts: Lambda (`main.rs`) and `thingcore serve` (in process) call the same
//! functions with the same event shapes. What the AWS CLI, boto3 and the SDKs send to
//! `aws iot ...` by endpoint URL is answered here.
//!
//! - [`service`]: [`RegistryService`]: things, thing types, static thing groups, certificates,
//!   CA certificates, policies and principals over the Store port, with conditional
//!   transactions so that no failure or race leaves a half-linked record.
//! - [`http`]: the routes as API Gateway HTTP API (v2) events, as botocore's `iot` model lays
//!   them out; AWS's error types, statuses and bodies.
//! - [`lambda`]: the Lambda entry (HTTP API events).
//! - [`ca`]: the local CA that signs CreateKeysAndCertificate and CreateCertificateFromCsr
//!   certificates, kept in the Store so every host signs with the same one; certificate parsing
//!   and signature checks.
//!
//! The rules (names, ARNs, versions, deprecation, hierarchy, statuses, policy documents) are in
//! `thingcore::registry` and `thingcore::policy`; this crate moves them between the wire and
//! the Store.

pub mod ca;
pub mod http;
pub mod lambda;
pub mod service;

pub use service::error::ServiceError;
pub use service::RegistryService;
pub use thingcore::registry::RegistryConfig;
