//! The records IAM and STS keep, as JSON bodies in the Store (see [`keys`](crate::keys)).
//! Times are epoch seconds; the wire writes them as ISO 8601.

use serde::{Deserialize, Serialize};

/// A tag on a user or role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// `Key`.
    pub key: String,
    /// `Value`.
    pub value: String,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredUser {
    /// `UserName`, as given.
    pub user_name: String,
    /// `Path`.
    pub path: String,
    /// `UserId` (`AIDA…`).
    pub user_id: String,
    /// `Arn`.
    pub arn: String,
    /// `CreateDate`.
    pub create_date: u64,
    /// `Tags`, in the order first set.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGroup {
    /// `GroupName`.
    pub group_name: String,
    /// `Path`.
    pub path: String,
    /// `GroupId` (`AGPA…`).
    pub group_id: String,
    /// `Arn`.
    pub arn: String,
    /// `CreateDate`.
    pub create_date: u64,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRole {
    /// `RoleName`.
    pub role_name: String,
    /// `Path`.
    pub path: String,
    /// `RoleId` (`AROA…`).
    pub role_id: String,
    /// `Arn`.
    pub arn: String,
    /// `CreateDate`.
    pub create_date: u64,
    /// `AssumeRolePolicyDocument`, as given.
    pub assume_role_policy_document: String,
    /// `Description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `MaxSessionDuration`, seconds.
    pub max_session_duration: u32,
    /// `Tags`.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// An IAM OpenID Connect provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOidcProvider {
    /// The URL without its scheme and trailing `/` (`Url` as GetOpenIDConnectProvider
    /// answers it, and the ARN's tail).
    pub path: String,
    /// `Arn`.
    pub arn: String,
    /// `ClientIDList`, in the order added.
    pub client_ids: Vec<String>,
    /// `ThumbprintList`.
    pub thumbprints: Vec<String>,
    /// `CreateDate`.
    pub create_date: u64,
    /// `Tags`.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A customer-managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPolicy {
    /// `PolicyName`.
    pub policy_name: String,
    /// `Path`.
    pub path: String,
    /// `PolicyId` (`ANPA…`).
    pub policy_id: String,
    /// `Arn`.
    pub arn: String,
    /// `DefaultVersionId`.
    pub default_version_id: String,
    /// The number the next version gets (numbers are never reused).
    pub next_version: u64,
    /// `AttachmentCount`.
    pub attachment_count: u64,
    /// `Description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `CreateDate`.
    pub create_date: u64,
    /// `UpdateDate`.
    pub update_date: u64,
}

/// A version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVersion {
    /// `VersionId`.
    pub version_id: String,
    /// `Document`, as given.
    pub document: String,
    /// `CreateDate`.
    pub create_date: u64,
}

/// An inline policy of a user, group or role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredInline {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyDocument`, as given.
    pub policy_document: String,
}

/// One side of a relation: the other side's name (and ARN for attached policies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The name of what is linked, as given.
    pub name: String,
    /// Its ARN, where the list shows one.
    #[serde(default)]
    pub arn: Option<String>,
    /// Its kind (`user`, `group`, `role`) where a partition mixes kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A user's long-term access key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAccessKey {
    /// `AccessKeyId` (`AKIA…`).
    pub access_key_id: String,
    /// `UserName`.
    pub user_name: String,
    /// `SecretAccessKey`.
    pub secret_access_key: String,
    /// `Status`: `Active` or `Inactive`.
    pub status: String,
    /// `CreateDate`.
    pub create_date: u64,
}

/// Whose temporary credentials these are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SessionPrincipal {
    /// A role session (AssumeRole).
    Role {
        /// The role's name.
        role_name: String,
        /// The role's ARN.
        role_arn: String,
        /// The role's id (`AROA…`).
        role_id: String,
        /// `RoleSessionName`.
        session_name: String,
        /// The session policy passed to AssumeRole, if any.
        session_policy: Option<String>,
    },
    /// A user's session (GetSessionToken).
    User {
        /// The user's name.
        user_name: String,
    },
    /// The account root's session (GetSessionToken by a caller IAM does not know).
    Root,
}

/// Temporary credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSession {
    /// `AccessKeyId` (`ASIA…`).
    pub access_key_id: String,
    /// `SecretAccessKey`.
    pub secret_access_key: String,
    /// `SessionToken`.
    pub session_token: String,
    /// `Expiration`.
    pub expiration: u64,
    /// Whose they are.
    pub principal: SessionPrincipal,
}
