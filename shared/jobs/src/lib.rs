//! # thingcore-jobs — the AWS IoT Jobs service
//!
//! Jobs, job executions and job templates over the Store port, for the control plane
//! (registry-api) and the device side (the `$aws/things/{thing}/jobs/...` topics and the
//! `iot-jobs-data` API). The rules (states, transitions, validation) are in `thingcore::jobs`.
