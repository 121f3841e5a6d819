//! Integration tests of the registry: HTTP API (v2) events in, responses out, through
//! `registry_api::http::handle`, over `MemoryStore` (and `SqliteStore` in [`sqlite`]).
//! One test binary, one module per route family.

mod common;

mod ca_certificates;
mod certificates;
mod custom_auth;
mod destinations;
mod event_configurations;
mod groups;
mod policies;
mod principal_auth;
mod principals;
mod routing;
mod sqlite;
mod thing_types;
mod things;
