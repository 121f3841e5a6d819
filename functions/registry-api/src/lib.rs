//! # registry-api — the AWS IoT control plane's registry
//!
//! One handler, two hosts: Lambda (`main.rs`) and `thingcore serve` (in process) call the same
//! functions with the same event shapes. What the AWS CLI, boto3 and the SDKs send to
//! `aws iot ...` by endpoint URL is answered here.
//!
//! - [`http`]: the routes as API Gateway HTTP API (v2) events, as botocore's `iot` model lays
//!   them out; AWS's error types, statuses and bodies.
//! - [`jobs`]: the AWS IoT Jobs operations (jobs, job executions, job templates), routed to
//!   `thingcore-jobs`' `JobsService`.
//! - [`jobs_data`]: the `iot-jobs-data` API (the device side of Jobs over HTTPS).
//! - [`lambda`]: the Lambda entry (HTTP API events).
//!
//! The operations are `thingcore-registry`'s [`RegistryService`](thingcore_registry::RegistryService);
//! the rules (names, ARNs, versions, deprecation, hierarchy, statuses, policy documents) are in
//! `thingcore::registry` and `thingcore::policy`. This crate moves requests between the wire and
//! the service.

pub mod http;
pub mod jobs;
pub mod jobs_data;
pub mod lambda;
