//! Pagination tokens: opaque to clients, the same across adapters.
//!
//! A token is the sort key of the last item returned, base64url-encoded behind a version tag,
//! so that every adapter can resume after it (DynamoDB's ExclusiveStartKey is built from it).

use crate::error::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

const TAG: &str = "v1.";

/// Where a paginated query resumes: after the item with this sort key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageToken(String);

impl PageToken {
    /// The token that resumes after sort key `sk`.
    pub fn after(sk: &str) -> Self {
        PageToken(format!("{TAG}{}", URL_SAFE_NO_PAD.encode(sk)))
    }

    /// A token as a client handed it back; checked when the query runs.
    pub fn from_wire(token: impl Into<String>) -> Self {
        PageToken(token.into())
    }

    /// The token as sent to clients.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sort key to resume after.
    ///
    /// # Errors
    /// [`Error::InvalidPageToken`] when the token was not made by [`PageToken::after`].
    pub fn decode(&self) -> Result<String> {
        let encoded = self.0.strip_prefix(TAG).ok_or(Error::InvalidPageToken)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| Error::InvalidPageToken)?;
        let sk = String::from_utf8(bytes).map_err(|_| Error::InvalidPageToken)?;
        if sk.is_empty() {
            return Err(Error::InvalidPageToken);
        }
        Ok(sk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_any_sort_key() {
        for sk in ["a", "thing#é/ü", "x".repeat(1024).as_str()] {
            assert_eq!(PageToken::after(sk).decode().ok().as_deref(), Some(sk));
        }
    }

    #[test]
    fn foreign_tokens_are_refused() {
        for wire in ["", "v1.", "v2.YQ", "v1.!!!", "YQ", "v1.__8"] {
            assert!(
                matches!(
                    PageToken::from_wire(wire).decode(),
                    Err(Error::InvalidPageToken)
                ),
                "{wire:?}"
            );
        }
    }
}
