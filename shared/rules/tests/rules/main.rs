//! Integration tests of the rules engine: rules written to a `MemoryStore` as the registry
//! writes them, messages in, a recording `Publisher` (and other sinks) out.
//! One test binary, one module per concern.

mod common;

mod actions;
mod engine;
mod error_actions;
mod external;
mod http;
