//! # thingcore-iam — IAM and STS
//!
//! Users, groups, roles, customer-managed and inline policies, and access keys over the Store
//! port, served on AWS's Query protocol (signing names `iam` and `sts`).
