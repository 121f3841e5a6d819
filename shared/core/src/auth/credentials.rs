//! The credentials `thingcore serve` knows, and the authentication decision for one request.
//!
//! A credentials file (`thingcore serve --credentials FILE`) is JSON:
//!
//! ```json
//! {"credentials": [
//!   {"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "secret",
//!    "policyDocument": {"Version": "2012-10-17", "Statement": [...]}}
//! ]}
//! ```
//!
//! `policyDocument` (an object or a JSON string, as CreatePolicy takes it) is the IoT policy
//! the identity's data-plane requests are checked against; without one the identity may do
//! everything. Without a file, [`CredentialStore::local_default`] knows one identity,
//! `test`/`test` (the credentials LocalStack users already have), allowed everything.
//!
//! [`authenticate`] decides, for the open and the strict mode:
//!
//! | request | open | strict |
//! |---------|------|--------|
//! | unsigned | [`Caller::Anonymous`] | `MissingAuthenticationTokenException` |
//! | signed by an unknown key | [`Caller::Unverified`] (the key id is the identity) | `UnrecognizedClientException` |
//! | signed by a known key, valid | [`Caller::Verified`] | [`Caller::Verified`] |
//! | signed by a known key, invalid (signature, date, service) | `InvalidSignatureException` | `InvalidSignatureException` |
//! | signed by a known key for another region | [`Caller::Verified`] | `InvalidSignatureException` |
//! | malformed signature | `IncompleteSignatureException` | `IncompleteSignatureException` |

use super::error::AuthError;
use super::sigv4::{self, Expected, HttpRequest};
use crate::policy::{AuthContext, Authorization, PolicyDocument, Principal};
use crate::Error;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// One configured access key.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The access key id.
    pub access_key_id: String,
    secret_access_key: String,
    /// The IoT policy its requests are checked against; `None`: everything is allowed.
    pub policy: Option<PolicyDocument>,
    /// The policy as written (what a `/ws` gateway connection stores with its item).
    pub policy_text: Option<String>,
}

impl Identity {
    /// An identity with `secret` and an optional policy.
    pub fn new(
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
        policy: Option<PolicyDocument>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret.into(),
            policy,
            policy_text: None,
        }
    }

    /// The identity with its policy's text as written.
    pub fn with_policy_text(mut self, text: Option<String>) -> Self {
        self.policy_text = text;
        self
    }
}

/// The access keys `thingcore serve` verifies signatures against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CredentialStore {
    by_key: HashMap<String, Arc<Identity>>,
}

/// The access key id of the local default identity.
pub const LOCAL_ACCESS_KEY_ID: &str = "test";
/// The secret of the local default identity.
pub const LOCAL_SECRET_ACCESS_KEY: &str = "test";

impl CredentialStore {
    /// A store of these identities.
    pub fn new(identities: impl IntoIterator<Item = Identity>) -> Self {
        Self {
            by_key: identities
                .into_iter()
                .map(|id| (id.access_key_id.clone(), Arc::new(id)))
                .collect(),
        }
    }

    /// The store used when no credentials file is given: `test`/`test`, allowed everything.
    pub fn local_default() -> Self {
        Self::new([Identity::new(
            LOCAL_ACCESS_KEY_ID,
            LOCAL_SECRET_ACCESS_KEY,
            None,
        )])
    }

    /// Parses a credentials file (see the module documentation).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the entry and field that is wrong: not JSON, a missing or
    /// empty key or secret, a duplicate key, a policy that does not parse.
    pub fn parse_json(text: &str) -> Result<Self, Error> {
        let root: Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid("credentials", format!("not JSON: {e}")))?;
        let Some(entries) = root.get("credentials").and_then(Value::as_array) else {
            return Err(Error::invalid(
                "credentials",
                "expected an object with a \"credentials\" array",
            ));
        };
        let mut identities = Vec::with_capacity(entries.len());
        let mut seen = std::collections::HashSet::new();
        for (i, entry) in entries.iter().enumerate() {
            let text = |field: &'static str| {
                entry
                    .get(field)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        Error::invalid(field, format!("entry {i} needs a non-empty string"))
                    })
            };
            let key = text("accessKeyId")?;
            let secret = text("secretAccessKey")?;
            if !seen.insert(key.to_owned()) {
                return Err(Error::invalid(
                    "accessKeyId",
                    format!("entry {i} repeats {key}"),
                ));
            }
            let policy_text = match entry.get("policyDocument") {
                None | Some(Value::Null) => None,
                Some(Value::String(doc)) => Some(doc.clone()),
                Some(doc) => Some(doc.to_string()),
            };
            let policy = policy_text
                .as_ref()
                .map(|doc| {
                    PolicyDocument::parse(doc).map_err(|e| {
                        Error::invalid("policyDocument", format!("entry {i} ({key}): {e}"))
                    })
                })
                .transpose()?;
            identities.push(Identity::new(key, secret, policy).with_policy_text(policy_text));
        }
        Ok(Self::new(identities))
    }

    /// The identity of `access_key_id`, if known.
    pub fn get(&self, access_key_id: &str) -> Option<&Arc<Identity>> {
        self.by_key.get(access_key_id)
    }

    /// How many identities are known.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no identity is known.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// Who an authenticated request comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// Unsigned (open mode only).
    Anonymous,
    /// Signed by a key the core does not know (open mode only): not verified, the key id is
    /// the identity.
    Unverified {
        /// The access key id.
        access_key_id: String,
    },
    /// Signed by a known key, signature verified.
    Verified(Arc<Identity>),
}

impl Caller {
    /// The policy principal.
    pub fn principal(&self) -> Principal {
        match self {
            Self::Anonymous => Principal::Anonymous,
            Self::Unverified { access_key_id } => Principal::IamAccessKey {
                access_key_id: access_key_id.clone(),
            },
            Self::Verified(identity) => Principal::IamAccessKey {
                access_key_id: identity.access_key_id.clone(),
            },
        }
    }

    /// The identity as logs and lifecycle events name it (`anonymous` or the access key id).
    pub fn name(&self) -> &str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Unverified { access_key_id } => access_key_id,
            Self::Verified(identity) => &identity.access_key_id,
        }
    }

    /// What the caller may do, or `None` when it may do everything (open mode callers and
    /// identities configured without a policy).
    pub fn authorization(
        &self,
        region: &str,
        account_id: &str,
        now_millis: i64,
    ) -> Option<Authorization> {
        let Self::Verified(identity) = self else {
            return None;
        };
        let policy = identity.policy.as_ref()?;
        // The policy context counts in seconds (aws:CurrentTime, aws:EpochTime).
        let context = AuthContext::new(self.principal(), region, account_id, now_millis / 1000);
        Some(Authorization::new(std::slice::from_ref(policy), context))
    }
}

/// Authenticates `request` against `store`: see the table in the module documentation.
/// `region` is the core's; `now_millis` the clock's.
///
/// # Errors
/// The [`AuthError`] to answer with.
pub fn authenticate(
    request: &HttpRequest<'_>,
    store: &CredentialStore,
    strict: bool,
    region: &str,
    now_millis: i64,
) -> Result<Caller, AuthError> {
    let Some(info) = sigv4::parse(request)? else {
        return if strict {
            Err(AuthError::MissingAuthenticationToken)
        } else {
            Ok(Caller::Anonymous)
        };
    };
    let Some(identity) = store.get(&info.access_key_id) else {
        return if strict {
            Err(AuthError::UnrecognizedClient)
        } else {
            Ok(Caller::Unverified {
                access_key_id: info.access_key_id,
            })
        };
    };
    authenticate_as(request, &info, identity, strict, region, now_millis)
}

/// Verifies `request`, whose signature `info` names a key the host found itself (one IAM
/// issued, say), against `identity`'s secret: [`Caller::Verified`] or the refusal, as for a
/// key of the [`CredentialStore`] in [`authenticate`].
///
/// # Errors
/// The [`AuthError`] to answer with.
pub fn authenticate_as(
    request: &HttpRequest<'_>,
    info: &sigv4::SignedRequestInfo,
    identity: &Arc<Identity>,
    strict: bool,
    region: &str,
    now_millis: i64,
) -> Result<Caller, AuthError> {
    // Open mode takes a known key's signature in any region, so a CLI configured for another
    // region still works; strict mode holds it to the core's, as AWS does.
    let expected = Expected {
        region: if strict { region } else { &info.region },
        service: super::service::expected_service(request.path, &info.service),
        now_millis,
    };
    sigv4::verify(request, info, &identity.secret_access_key, &expected)?;
    Ok(Caller::Verified(identity.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credentials_file_parses_with_policies_as_objects_or_strings() {
        let store = CredentialStore::parse_json(
            r#"{"credentials": [
                {"accessKeyId": "AK1", "secretAccessKey": "s1"},
                {"accessKeyId": "AK2", "secretAccessKey": "s2",
                 "policyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "iot:Publish", "Resource": "*"}]}},
                {"accessKeyId": "AK3", "secretAccessKey": "s3",
                 "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"iot:*\",\"Resource\":\"*\"}]}"}
            ]}"#,
        )
        .expect("parses");
        assert_eq!(store.len(), 3);
        assert!(store.get("AK1").is_some_and(|id| id.policy.is_none()));
        assert!(store.get("AK2").is_some_and(|id| id.policy.is_some()));
        assert!(store.get("AK3").is_some_and(|id| id.policy.is_some()));
        assert!(store.get("test").is_none());
    }

    #[test]
    fn bad_credentials_files_say_what_is_wrong() {
        for (text, needle) in [
            ("not json", "not JSON"),
            ("{}", "credentials"),
            (r#"{"credentials":[{"secretAccessKey":"s"}]}"#, "entry 0"),
            (
                r#"{"credentials":[{"accessKeyId":"a","secretAccessKey":""}]}"#,
                "secretAccessKey",
            ),
            (
                r#"{"credentials":[{"accessKeyId":"a","secretAccessKey":"s"},{"accessKeyId":"a","secretAccessKey":"t"}]}"#,
                "repeats a",
            ),
            (
                r#"{"credentials":[{"accessKeyId":"a","secretAccessKey":"s","policyDocument":{"Statement":[]}}]}"#,
                "policyDocument",
            ),
        ] {
            let error = CredentialStore::parse_json(text).expect_err(text);
            assert!(error.to_string().contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn unsigned_requests_are_anonymous_in_open_mode_and_refused_in_strict_mode() {
        let store = CredentialStore::local_default();
        let request = HttpRequest {
            method: "GET",
            path: "/things",
            query: None,
            headers: vec![("host", "localhost")],
            body: b"",
        };
        assert_eq!(
            authenticate(&request, &store, false, "us-east-1", 0),
            Ok(Caller::Anonymous)
        );
        assert_eq!(
            authenticate(&request, &store, true, "us-east-1", 0),
            Err(AuthError::MissingAuthenticationToken)
        );
    }
}
