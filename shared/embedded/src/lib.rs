//! # thingcore-embedded — the Store port on SQLite
//!
//! The local default of `thingcore serve`: one database file in the data directory, in WAL
//! mode, written by one connection at a time and read by a small pool. Every write is its own
//! transaction, committed before the call returns, so a killed process (even `kill -9`) keeps
//! every write that was acknowledged. `synchronous=NORMAL` trades the last moments before a
//! power cut for speed, as is usual for WAL; an OS crash may lose the tail, a process crash
//! cannot.

mod error;
mod schema;
mod store;

pub use error::EmbeddedError;
pub use store::SqliteStore;
