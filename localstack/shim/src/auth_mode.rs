//! `--auth open|strict` (env `THINGCORE_AUTH`): whether the plain listeners let anyone in.
//!
//! - `open` (the local default, like the emulators developers know): the plain MQTT listener
//!   and MQTT over WebSocket accept unauthenticated clients, who may do everything.
//! - `strict` (AWS's behaviour): every listener authenticates every client; a plain-TCP or
//!   WebSocket client without credentials a listener accepts is refused (CONNACK 0x86, 3.1.1
//!   return code 4).
//!
//! The TLS listener always checks client certificates against the registry, in both modes.

use clap::ValueEnum;

/// How the plain listeners treat unauthenticated clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum AuthMode {
    /// Unauthenticated clients are accepted on the plain listeners (local default).
    #[default]
    Open,
    /// Every listener authenticates every client.
    Strict,
}

impl AuthMode {
    /// Whether the plain (non-TLS) listeners authenticate their clients.
    pub fn authenticates_plain_listeners(self) -> bool {
        self == AuthMode::Strict
    }

    /// The start-up banner's line for this mode (after `thingcore: `).
    pub fn banner(self) -> &'static str {
        match self {
            AuthMode::Open => "auth open (local default: unauthenticated clients are accepted on the plain listeners; TLS clients are checked against the registry)",
            AuthMode::Strict => "auth strict (every client is authenticated)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_is_the_default_and_strict_authenticates_everyone() {
        assert_eq!(AuthMode::default(), AuthMode::Open);
        assert!(!AuthMode::Open.authenticates_plain_listeners());
        assert!(AuthMode::Strict.authenticates_plain_listeners());
        assert!(AuthMode::Open.banner().starts_with("auth open"));
        assert!(AuthMode::Strict.banner().starts_with("auth strict"));
    }
}
