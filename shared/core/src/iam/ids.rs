//! ARNs and identifiers, as IAM and STS shape them. Identifiers are made from entropy the
//! caller supplies (the core draws no random numbers), so tests can fix them.

use super::IamError;

/// The alphabet of unique ids and access key ids (upper-case base32).
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// The alphabet of secret access keys and session tokens.
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The prefix of an IAM or STS identifier, telling what it identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdPrefix {
    /// `AIDA`: a user.
    User,
    /// `AGPA`: a group.
    Group,
    /// `AROA`: a role.
    Role,
    /// `ANPA`: a managed policy.
    Policy,
    /// `AKIA`: a long-term access key.
    AccessKey,
    /// `ASIA`: a temporary access key.
    TemporaryAccessKey,
}

impl IdPrefix {
    /// The four letters.
    pub fn as_str(self) -> &'static str {
        match self {
            IdPrefix::User => "AIDA",
            IdPrefix::Group => "AGPA",
            IdPrefix::Role => "AROA",
            IdPrefix::Policy => "ANPA",
            IdPrefix::AccessKey => "AKIA",
            IdPrefix::TemporaryAccessKey => "ASIA",
        }
    }

    /// How many characters follow the prefix: 17 in unique ids, 16 in access key ids.
    fn tail_len(self) -> usize {
        match self {
            IdPrefix::AccessKey | IdPrefix::TemporaryAccessKey => 16,
            _ => 17,
        }
    }
}

fn spell(alphabet: &[u8], entropy: &[u8], len: usize) -> String {
    (0..len)
        .map(|i| {
            let byte = entropy.get(i % entropy.len().max(1)).copied().unwrap_or(0);
            let mixed = byte.wrapping_add(u8::try_from(i / entropy.len().max(1)).unwrap_or(0));
            char::from(alphabet[usize::from(mixed) % alphabet.len()])
        })
        .collect()
}

/// An identifier with `prefix` (`AIDA…` 21 characters, `AKIA…` 20), spelled from `entropy`.
pub fn new_id(prefix: IdPrefix, entropy: &[u8]) -> String {
    format!(
        "{}{}",
        prefix.as_str(),
        spell(ID_ALPHABET, entropy, prefix.tail_len())
    )
}

/// A 40-character secret access key spelled from `entropy` (give at least 40 bytes).
pub fn new_secret(entropy: &[u8]) -> String {
    spell(SECRET_ALPHABET, entropy, 40)
}

/// A session token spelled from `entropy`: printable, 356 characters as AWS's tend to be.
pub fn new_session_token(entropy: &[u8]) -> String {
    format!("FwoGZXIvYXdzE{}", spell(SECRET_ALPHABET, entropy, 343))
}

/// `arn:aws:iam::{account}:{kind}{path}{name}`, e.g. `arn:aws:iam::123:user/div/alice`
/// (`kind` is `user`, `group`, `role` or `policy`; `path` starts and ends with `/`).
pub fn iam_arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

/// The account's root: `arn:aws:iam::{account}:root`.
pub fn root_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

/// A role session's ARN: `arn:aws:sts::{account}:assumed-role/{role}/{session}`.
pub fn assumed_role_arn(account: &str, role: &str, session: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{role}/{session}")
}

/// A managed policy ARN taken apart: account, path and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyArn {
    /// The account (`aws` for AWS managed policies).
    pub account: String,
    /// The path, `/` … `/`.
    pub path: String,
    /// The policy's name.
    pub name: String,
}

/// Takes a managed policy ARN apart.
///
/// # Errors
/// `InvalidInput` when it is not `arn:aws:iam::{account}:policy{path}{name}`.
pub fn parse_policy_arn(arn: &str) -> Result<PolicyArn, IamError> {
    let invalid = || IamError::InvalidInput(format!("ARN {arn} is not valid."));
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let full = resource.strip_prefix("policy/").ok_or_else(invalid)?;
    let (path, name) = match full.rsplit_once('/') {
        Some((dirs, name)) => (format!("/{dirs}/"), name),
        None => ("/".to_string(), full),
    };
    if account.is_empty() || name.is_empty() {
        return Err(invalid());
    }
    Ok(PolicyArn {
        account: account.to_string(),
        path,
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_their_prefix_and_length() {
        let entropy: Vec<u8> = (0..=255).collect();
        assert_eq!(new_id(IdPrefix::User, &entropy).len(), 21);
        assert!(new_id(IdPrefix::Role, &entropy).starts_with("AROA"));
        let key = new_id(IdPrefix::AccessKey, &entropy);
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("AKIA"));
        assert!(new_id(IdPrefix::TemporaryAccessKey, &entropy).starts_with("ASIA"));
        assert!(key[4..].bytes().all(|b| ID_ALPHABET.contains(&b)));
        assert_eq!(new_secret(&entropy).len(), 40);
        assert!(new_session_token(&[1, 2, 3]).len() > 100);
        assert_ne!(
            new_id(IdPrefix::User, &[1; 16]),
            new_id(IdPrefix::User, &[2; 16])
        );
    }

    #[test]
    fn arns_are_iams_and_stss() {
        assert_eq!(
            iam_arn("123456789012", "user", "/div/", "alice"),
            "arn:aws:iam::123456789012:user/div/alice"
        );
        assert_eq!(root_arn("1"), "arn:aws:iam::1:root");
        assert_eq!(
            assumed_role_arn("1", "r", "s"),
            "arn:aws:sts::1:assumed-role/r/s"
        );
    }

    #[test]
    fn policy_arns_come_apart_into_account_path_and_name() {
        let arn = parse_policy_arn("arn:aws:iam::123:policy/a/b/p1").expect("parses");
        assert_eq!(arn.account, "123");
        assert_eq!(arn.path, "/a/b/");
        assert_eq!(arn.name, "p1");
        assert_eq!(
            parse_policy_arn("arn:aws:iam::123:policy/p").map(|a| a.path),
            Ok("/".into())
        );
        for bad in ["p", "arn:aws:iam::123:user/u", "arn:aws:iam:::policy/p"] {
            assert_eq!(
                parse_policy_arn(bad).map_err(|e| e.code()),
                Err("InvalidInput")
            );
        }
    }
}
