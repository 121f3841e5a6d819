//! STS: GetCallerIdentity, AssumeRole, GetSessionToken (AssumeRoleWithWebIdentity is
//! [`crate::web_identity`]'s).
//!
//! The caller is the access key that signed the request (and its session token). A key IAM
//! does not know (open mode accepts any) is the account's root: `arn:aws:iam::{account}:root`,
//! `UserId` the account id, as AWS answers for root credentials.

use crate::error::Result;
use crate::identity::{Identity, IdentityKind};
use crate::records::{SessionPrincipal, StoredSession};
use crate::{keys, IamService};
use thingcore::iam::documents::{self, DocumentKind};
use thingcore::iam::ids::{self, IdPrefix};
use thingcore::iam::trust::{
    aws_caller_keys, AwsCallerFacts, TrustCaller, TrustPolicy, TrustRequest,
};
use thingcore::iam::{session, IamError};
use thingcore::policy::{evaluate, AuthContext, Decision, Principal as PolicyPrincipal, Request};
use thingcore::store::{Expect, Put, Table};

/// How long a session record outlives its credentials, so a late request hears
/// `ExpiredToken` rather than `InvalidClientTokenId`.
const EXPIRED_GRACE_SECS: u64 = 86_400;

/// Who signed a request, as the host authenticated it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerKey {
    /// The access key id of the signature, `None` when unsigned.
    pub access_key_id: Option<String>,
    /// `X-Amz-Security-Token`, if sent.
    pub session_token: Option<String>,
    /// The client's address (`aws:SourceIp` in trust policy conditions), when known.
    pub source_ip: Option<std::net::IpAddr>,
}

/// GetCallerIdentity's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// `Account`.
    pub account: String,
    /// `Arn`.
    pub arn: String,
    /// `UserId`.
    pub user_id: String,
}

/// Temporary credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AccessKeyId` (`ASIA…`).
    pub access_key_id: String,
    /// `SecretAccessKey`.
    pub secret_access_key: String,
    /// `SessionToken`.
    pub session_token: String,
    /// `Expiration`, epoch seconds.
    pub expiration: u64,
}

/// AssumeRole's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRole {
    /// `Credentials`.
    pub credentials: Credentials,
    /// `AssumedRoleUser.Arn`.
    pub arn: String,
    /// `AssumedRoleUser.AssumedRoleId` (`AROA…:{session}`).
    pub assumed_role_id: String,
}

/// What AssumeRole is given.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleRequest<'a> {
    /// `RoleArn`.
    pub role_arn: &'a str,
    /// `RoleSessionName`.
    pub role_session_name: &'a str,
    /// `DurationSeconds`.
    pub duration_seconds: Option<i64>,
    /// `Policy` (a session policy).
    pub policy: Option<&'a str>,
    /// `ExternalId` (`sts:ExternalId` in the trust policy's conditions).
    pub external_id: Option<&'a str>,
}

impl IamService {
    /// The role `role_arn` names; `denied` when there is none (STS does not say which: a
    /// caller may not learn which roles exist).
    pub(crate) async fn role_by_arn(
        &self,
        role_arn: &str,
        denied: impl Fn() -> IamError,
    ) -> Result<crate::records::StoredRole> {
        let role_name = role_arn
            .rsplit_once('/')
            .map(|(_, name)| name)
            .filter(|name| !name.is_empty())
            .ok_or_else(|| {
                IamError::constraint(
                    role_arn,
                    "roleArn",
                    "Member must have length greater than or equal to 20",
                )
            })?;
        match self
            .load::<crate::records::StoredRole>(keys::role(role_name))
            .await?
        {
            Some(role) if role.value.arn == role_arn => Ok(role.value),
            _ => Err(denied().into()),
        }
    }

    /// The caller's identity, or `None` for the account root (unsigned or a key IAM does not
    /// know).
    ///
    /// # Errors
    /// As [`IamService::identity_for_access_key`].
    pub async fn caller(&self, caller: &CallerKey) -> Result<Option<Identity>> {
        match &caller.access_key_id {
            None => Ok(None),
            Some(key) => {
                self.identity_for_access_key(key, caller.session_token.as_deref(), self.now())
                    .await
            }
        }
    }

    /// GetCallerIdentity.
    ///
    /// # Errors
    /// `InvalidClientTokenId`, `ExpiredToken`.
    pub async fn get_caller_identity(&self, caller: &CallerKey) -> Result<CallerIdentity> {
        let account = self.config.account_id.clone();
        Ok(match self.caller(caller).await? {
            Some(identity) => CallerIdentity {
                account,
                arn: identity.arn,
                user_id: identity.user_id,
            },
            None => CallerIdentity {
                arn: ids::root_arn(&account),
                user_id: account.clone(),
                account,
            },
        })
    }

    /// AssumeRole: the role's trust policy must let the caller in and, where it names the
    /// caller only by account, the caller's own policies must allow `sts:AssumeRole` on the
    /// role (see [`TrustPolicy::may_assume`]).
    ///
    /// # Errors
    /// `AccessDenied` (no such role, or its trust policy does not name the caller),
    /// `ValidationError`, `MalformedPolicyDocument`, `InvalidClientTokenId`, `ExpiredToken`.
    pub async fn assume_role(
        &self,
        caller: &CallerKey,
        request: &AssumeRoleRequest<'_>,
    ) -> Result<AssumedRole> {
        session::check_session_name(request.role_session_name)?;
        if let Some(policy) = request.policy {
            documents::parse(DocumentKind::Session, policy)?;
        }
        let identity = self.caller(caller).await?;
        let account = self.config.account_id.clone();
        let caller_arn = identity
            .as_ref()
            .map_or_else(|| ids::root_arn(&account), |i| i.arn.clone());
        let mut arns = vec![caller_arn.clone()];
        if let Some(IdentityKind::RoleSession { role_arn, .. }) = identity.as_ref().map(|i| &i.kind)
        {
            arns.push(role_arn.clone());
        }
        let trust_caller = TrustCaller::Aws {
            account: account.clone(),
            arns,
        };
        let denied = || {
            IamError::AccessDenied(format!(
                "User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {}",
                request.role_arn
            ))
        };
        let role = self.role_by_arn(request.role_arn, denied).await?;
        let trust = TrustPolicy::parse(&role.assume_role_policy_document)?;
        let own = self.own_decision(caller, identity.as_ref(), &role.arn)?;
        let root = ids::root_arn(&account);
        let (principal_arn, principal_type, user_name) = match identity.as_ref().map(|i| &i.kind) {
            Some(IdentityKind::User { user_name }) => {
                (caller_arn.as_str(), "User", Some(user_name.as_str()))
            }
            Some(IdentityKind::RoleSession { role_arn, .. }) => {
                (role_arn.as_str(), "AssumedRole", None)
            }
            Some(IdentityKind::Root) | None => (root.as_str(), "Account", None),
        };
        let asked = TrustRequest {
            caller: &trust_caller,
            action: "sts:AssumeRole",
            role_arn: &role.arn,
            now: i64::try_from(self.now()).unwrap_or(i64::MAX),
            source_ip: caller.source_ip,
            keys: aws_caller_keys(&AwsCallerFacts {
                principal_arn,
                account: &account,
                principal_type,
                user_id: identity
                    .as_ref()
                    .map_or(account.as_str(), |i| i.user_id.as_str()),
                user_name,
                external_id: request.external_id,
                session_name: request.role_session_name,
            }),
        };
        if !trust.may_assume(&asked, own) {
            return Err(denied().into());
        }
        let chained = matches!(
            identity.as_ref().map(|i| &i.kind),
            Some(IdentityKind::RoleSession { .. })
        );
        let duration = if chained {
            session::chained_role_duration(request.duration_seconds, role.max_session_duration)?
        } else {
            session::role_duration(request.duration_seconds, role.max_session_duration)?
        };
        self.role_session(&role, request.role_session_name, request.policy, duration)
            .await
    }

    /// GetSessionToken: temporary credentials for the calling user (or root).
    ///
    /// # Errors
    /// `AccessDenied` for a role session (AWS refuses them too), `ValidationError`,
    /// `InvalidClientTokenId`, `ExpiredToken`.
    pub async fn get_session_token(
        &self,
        caller: &CallerKey,
        duration_seconds: Option<i64>,
    ) -> Result<Credentials> {
        let duration = session::session_token_duration(duration_seconds)?;
        let principal = match self.caller(caller).await? {
            None => SessionPrincipal::Root,
            Some(identity) => match identity.kind {
                IdentityKind::User { user_name } => SessionPrincipal::User { user_name },
                IdentityKind::Root => SessionPrincipal::Root,
                IdentityKind::RoleSession { .. } => {
                    return Err(IamError::AccessDenied(
                        "Cannot call GetSessionToken with session credentials".into(),
                    )
                    .into())
                }
            },
        };
        self.issue(principal, duration).await
    }

    /// What the caller's own policies say to `sts:AssumeRole` on `role_arn` (`None` for the
    /// account root): a role session's session policy narrows its role's.
    fn own_decision(
        &self,
        caller: &CallerKey,
        identity: Option<&Identity>,
        role_arn: &str,
    ) -> Result<Option<Decision>> {
        let Some(identity) = identity.filter(|i| i.kind != IdentityKind::Root) else {
            return Ok(None);
        };
        let (policies, session) = identity.parsed_policies()?;
        let context = AuthContext::new(
            PolicyPrincipal::IamAccessKey {
                access_key_id: caller.access_key_id.clone().unwrap_or_default(),
            },
            self.config.region.clone(),
            self.config.account_id.clone(),
            i64::try_from(self.now()).unwrap_or(i64::MAX),
        );
        let request = Request::new("sts:AssumeRole", role_arn);
        let decision = evaluate(&policies, &context, &request);
        Ok(Some(match (decision, session) {
            (Decision::Allow, Some(session)) => {
                evaluate(std::slice::from_ref(&session), &context, &request)
            }
            (decision, _) => decision,
        }))
    }

    /// A session of `role` named `session_name` (narrowed by `policy`), for `duration`
    /// seconds: what AssumeRole and AssumeRoleWithWebIdentity answer.
    pub(crate) async fn role_session(
        &self,
        role: &crate::records::StoredRole,
        session_name: &str,
        policy: Option<&str>,
        duration: u32,
    ) -> Result<AssumedRole> {
        let principal = SessionPrincipal::Role {
            role_name: role.role_name.clone(),
            role_arn: role.arn.clone(),
            role_id: role.role_id.clone(),
            session_name: session_name.to_string(),
            session_policy: policy.map(str::to_string),
        };
        let credentials = self.issue(principal, duration).await?;
        Ok(AssumedRole {
            credentials,
            arn: ids::assumed_role_arn(&self.config.account_id, &role.role_name, session_name),
            assumed_role_id: format!("{}:{}", role.role_id, session_name),
        })
    }

    /// Makes and stores temporary credentials lasting `duration` seconds.
    pub(crate) async fn issue(
        &self,
        principal: SessionPrincipal,
        duration: u32,
    ) -> Result<Credentials> {
        let credentials = Credentials {
            access_key_id: ids::new_id(IdPrefix::TemporaryAccessKey, &Self::entropy(1)),
            secret_access_key: ids::new_secret(&Self::entropy(3)),
            session_token: ids::new_session_token(&Self::entropy(16)),
            expiration: self.now() + u64::from(duration),
        };
        let stored = StoredSession {
            access_key_id: credentials.access_key_id.clone(),
            secret_access_key: credentials.secret_access_key.clone(),
            session_token: credentials.session_token.clone(),
            expiration: credentials.expiration,
            principal,
        };
        let body = serde_json::to_vec(&stored).map_err(|source| crate::ServiceError::Corrupt {
            key: credentials.access_key_id.clone(),
            source,
        })?;
        self.store
            .put(
                Put::new(
                    Table::Broker,
                    keys::session(&credentials.access_key_id),
                    body,
                )
                .expect(Expect::Absent)
                .expires_at(credentials.expiration + EXPIRED_GRACE_SECS),
            )
            .await?;
        Ok(credentials)
    }
}
