//! Who an access key is, and which policy documents apply to it: what IAM enforcement asks
//! for every signed request ([`IamService::identity_for_access_key`]).
//!
//! A user's documents are its inline policies, the default versions of its attached managed
//! policies, and the same of each of its groups. A role session's are its role's, and the
//! session policy passed to AssumeRole narrows them (kept apart: enforcement intersects).

use crate::attachments::Principal;
use crate::error::Result;
use crate::records::{Link, SessionPrincipal, StoredSession, StoredUser};
use crate::{keys, IamService};
use thingcore::iam::enforcement::{IamPrincipal, PrincipalKind};
use thingcore::iam::{ids, session, IamError};
use thingcore::policy::PolicyDocument;
use thingcore::store::Table;

/// What kind of identity signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityKind {
    /// An IAM user (its access key, or a GetSessionToken session of it).
    User {
        /// `UserName`.
        user_name: String,
    },
    /// A role session (AssumeRole).
    RoleSession {
        /// The role's name.
        role_name: String,
        /// The role's ARN.
        role_arn: String,
        /// `RoleSessionName`.
        session_name: String,
    },
    /// The account root (a GetSessionToken session of a caller IAM does not know).
    Root,
}

/// An identity IAM knows, with the policy documents that decide what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Its ARN (`…:user/…`, `arn:aws:sts::…:assumed-role/{role}/{session}`, `…:root`).
    pub arn: String,
    /// `UserId` as GetCallerIdentity says it (`AIDA…`, `AROA…:{session}`, the account).
    pub user_id: String,
    /// The account.
    pub account: String,
    /// What it is.
    pub kind: IdentityKind,
    /// The secret its requests are signed with.
    pub secret_access_key: String,
    /// The identity-based policy documents that apply, as stored (JSON text).
    pub policies: Vec<String>,
    /// The session policy of a role session, which narrows `policies`.
    pub session_policy: Option<String>,
}

impl Identity {
    /// The identity's policies and its session policy, parsed for the policy engine. They
    /// were checked when stored; a document that no longer parses is refused here rather
    /// than skipped, so enforcement fails closed.
    ///
    /// # Errors
    /// `MalformedPolicyDocument` for a stored document that does not parse.
    pub fn parsed_policies(&self) -> Result<(Vec<PolicyDocument>, Option<PolicyDocument>)> {
        let parse = |text: &String| {
            PolicyDocument::parse_with_limit(text, usize::MAX)
                .map_err(|error| IamError::MalformedPolicyDocument(error.0))
        };
        let policies = self
            .policies
            .iter()
            .map(parse)
            .collect::<std::result::Result<_, _>>()?;
        let session = self.session_policy.as_ref().map(parse).transpose()?;
        Ok((policies, session))
    }
}

impl Identity {
    /// The identity as enforcement evaluates it, signing with `access_key_id`.
    ///
    /// # Errors
    /// As [`Identity::parsed_policies`].
    pub fn principal(&self, access_key_id: &str) -> Result<IamPrincipal> {
        let (policies, session_policy) = self.parsed_policies()?;
        let kind = match &self.kind {
            IdentityKind::User { user_name } => PrincipalKind::User {
                user_name: user_name.clone(),
            },
            IdentityKind::RoleSession { role_arn, .. } => PrincipalKind::AssumedRole {
                role_arn: role_arn.clone(),
            },
            IdentityKind::Root => PrincipalKind::Root,
        };
        Ok(IamPrincipal::new(
            self.arn.clone(),
            self.user_id.clone(),
            self.account.clone(),
            kind,
            access_key_id,
            &policies,
            session_policy.as_ref(),
        ))
    }
}

fn invalid_token() -> IamError {
    IamError::InvalidClientTokenId("The security token included in the request is invalid.".into())
}

impl IamService {
    /// The identity of `key_id`: `Ok(None)` for a key IAM has never issued.
    ///
    /// # Errors
    /// `InvalidClientTokenId` for an inactive key, a temporary key without its session token
    /// or with another's, or whose role is gone; `ExpiredToken` once temporary credentials
    /// expire (at `now`, epoch seconds).
    pub async fn identity_for_access_key(
        &self,
        key_id: &str,
        session_token: Option<&str>,
        now: u64,
    ) -> Result<Option<Identity>> {
        if key_id.starts_with("ASIA") {
            return self.session_identity(key_id, session_token, now).await;
        }
        let Some(key) = self.find_access_key(key_id).await? else {
            return Ok(None);
        };
        if key.status != "Active" || session_token.is_some() {
            return Err(invalid_token().into());
        }
        let Some(user) = self.load::<StoredUser>(keys::user(&key.user_name)).await? else {
            return Ok(None);
        };
        Ok(Some(
            self.user_identity(&user.value, key.secret_access_key)
                .await?,
        ))
    }

    async fn session_identity(
        &self,
        key_id: &str,
        session_token: Option<&str>,
        now: u64,
    ) -> Result<Option<Identity>> {
        let Some(item) = self
            .store
            .get(Table::Broker, &keys::session(key_id))
            .await?
        else {
            return Ok(None);
        };
        let stored: StoredSession = crate::repo::decode(&item)?;
        if session_token != Some(stored.session_token.as_str()) {
            return Err(invalid_token().into());
        }
        if session::is_expired(stored.expiration, now) {
            return Err(IamError::ExpiredToken(
                "The security token included in the request is expired".into(),
            )
            .into());
        }
        let account = self.config.account_id.clone();
        match stored.principal {
            SessionPrincipal::User { user_name } => {
                let user = self
                    .load::<StoredUser>(keys::user(&user_name))
                    .await?
                    .ok_or_else(invalid_token)?;
                Ok(Some(
                    self.user_identity(&user.value, stored.secret_access_key)
                        .await?,
                ))
            }
            SessionPrincipal::Root => Ok(Some(Identity {
                arn: ids::root_arn(&account),
                user_id: account.clone(),
                account,
                kind: IdentityKind::Root,
                secret_access_key: stored.secret_access_key,
                policies: Vec::new(),
                session_policy: None,
            })),
            SessionPrincipal::Role {
                role_name,
                role_arn,
                role_id,
                session_name,
                session_policy,
            } => {
                let role = self
                    .load::<crate::records::StoredRole>(keys::role(&role_name))
                    .await?
                    .filter(|role| role.value.arn == role_arn)
                    .ok_or_else(invalid_token)?;
                let policies = self
                    .documents_of(Principal::Role, &role.value.role_name)
                    .await?;
                Ok(Some(Identity {
                    arn: ids::assumed_role_arn(&account, &role_name, &session_name),
                    user_id: format!("{role_id}:{session_name}"),
                    account,
                    kind: IdentityKind::RoleSession {
                        role_name,
                        role_arn,
                        session_name,
                    },
                    secret_access_key: stored.secret_access_key,
                    policies,
                    session_policy,
                }))
            }
        }
    }

    async fn user_identity(&self, user: &StoredUser, secret: String) -> Result<Identity> {
        let mut policies = self.documents_of(Principal::User, &user.user_name).await?;
        for (_, group) in self.all::<Link>(&keys::groups_of(&user.user_name)).await? {
            policies.extend(self.documents_of(Principal::Group, &group.name).await?);
        }
        Ok(Identity {
            arn: user.arn.clone(),
            user_id: user.user_id.clone(),
            account: self.config.account_id.clone(),
            kind: IdentityKind::User {
                user_name: user.user_name.clone(),
            },
            secret_access_key: secret,
            policies,
            session_policy: None,
        })
    }

    /// The inline documents and attached managed policies' default documents of an entity.
    async fn documents_of(&self, who: Principal, name: &str) -> Result<Vec<String>> {
        let mut documents = self.inline_documents(who, name).await?;
        for (_, link) in self
            .all::<Link>(&keys::attached_of(who.word(), name))
            .await?
        {
            if let Some(document) = self.default_document(&link.name).await? {
                documents.push(document);
            }
        }
        Ok(documents)
    }
}
