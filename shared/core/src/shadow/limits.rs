//! Limits on shadow requests and documents, defaulting to AWS IoT Core's Device Shadow quotas.

/// Limits on shadow names, requests and stored documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShadowLimits {
    /// Largest `desired` plus `reported` state a shadow may hold after an update, in bytes of
    /// compact JSON; metadata does not count (AWS: 8 KB, "Only the data for desired and reported
    /// state … counts toward the limit").
    pub max_state_bytes: usize,
    /// Most levels of nesting inside `desired` and inside `reported` (AWS: 6; the section
    /// object is level 1, every nested object or array one more).
    pub max_depth: usize,
    /// Longest `clientToken` in UTF-8 bytes (AWS: 64).
    pub max_client_token_bytes: usize,
    /// Largest update request accepted for parsing, in bytes (AWS IoT's message payload limit,
    /// 128 KiB). The state it leaves behind is held to [`ShadowLimits::max_state_bytes`].
    pub max_request_bytes: usize,
    /// Longest thing name (AWS: 128).
    pub max_thing_name_len: usize,
    /// Longest shadow name (AWS: 64).
    pub max_shadow_name_len: usize,
    /// How long a deleted shadow's version is remembered, in seconds (AWS: 48 hours; a shadow
    /// re-created later starts its versions afresh).
    pub deleted_version_retention_secs: u64,
}

impl Default for ShadowLimits {
    fn default() -> Self {
        Self {
            max_state_bytes: 8 * 1024,
            max_depth: 6,
            max_client_token_bytes: 64,
            max_request_bytes: 128 * 1024,
            max_thing_name_len: 128,
            max_shadow_name_len: 64,
            deleted_version_retention_secs: 48 * 60 * 60,
        }
    }
}
