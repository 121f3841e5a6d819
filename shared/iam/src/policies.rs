//! Customer-managed policies and their versions: CreatePolicy, GetPolicy, ListPolicies,
//! DeletePolicy, CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
//! DeletePolicyVersion, SetDefaultPolicyVersion.

use crate::error::Result;
use crate::records::{StoredPolicy, StoredVersion};
use crate::repo::{delete, put, replace, unlink, Loaded};
use crate::{keys, IamService, Listed, Paging};
use thingcore::iam::documents::{self, DocumentKind};
use thingcore::iam::ids::{self, IdPrefix};
use thingcore::iam::names::{self, EntityKind};
use thingcore::iam::{versions, IamError};
use thingcore::store::Expect;

/// `NoSuchEntity` for a policy ARN.
pub(crate) fn no_such_policy(arn: &str) -> String {
    format!("Policy {arn} does not exist or is not attachable.")
}

/// What ListPolicies is asked for.
#[derive(Debug, Clone, Default)]
pub struct PolicyFilter<'a> {
    /// `Scope`: `All`, `AWS` or `Local` (thingcore has no AWS managed policies).
    pub scope: Option<&'a str>,
    /// `OnlyAttached`.
    pub only_attached: bool,
    /// `PathPrefix`.
    pub path_prefix: Option<&'a str>,
}

impl IamService {
    /// CreatePolicy.
    ///
    /// # Errors
    /// `ValidationError`, `MalformedPolicyDocument`, `LimitExceeded`, `EntityAlreadyExists`.
    pub async fn create_policy(
        &self,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<&str>,
    ) -> Result<StoredPolicy> {
        names::check_name(EntityKind::Policy, name)?;
        let path = path.unwrap_or("/");
        names::check_path(path)?;
        documents::parse(DocumentKind::Managed, document)?;
        let now = self.now();
        let arn = ids::iam_arn(&self.config.account_id, "policy", path, name);
        let policy = StoredPolicy {
            policy_name: name.to_string(),
            path: path.to_string(),
            policy_id: ids::new_id(IdPrefix::Policy, &Self::entropy(2)),
            arn: arn.clone(),
            default_version_id: versions::version_id(1),
            next_version: 2,
            attachment_count: 0,
            description: description.map(str::to_string),
            create_date: now,
            update_date: now,
        };
        let version = StoredVersion {
            version_id: versions::version_id(1),
            document: document.to_string(),
            create_date: now,
        };
        let ops = vec![
            put(keys::policy(name), &policy, Expect::Absent)?,
            put(keys::version(name, 1), &version, Expect::Any)?,
        ];
        match self.store.transact(ops).await {
            Ok(()) => Ok(policy),
            Err(thingcore::Error::TransactionCanceled { .. })
            | Err(thingcore::Error::ConditionFailed { .. }) => Err(IamError::EntityAlreadyExists(
                format!("A policy called {name} already exists. Duplicate names are not allowed."),
            )
            .into()),
            Err(error) => Err(error.into()),
        }
    }

    /// The policy an ARN names, or `NoSuchEntity`.
    pub(crate) async fn load_policy(&self, arn: &str) -> Result<Loaded<StoredPolicy>> {
        let parsed = ids::parse_policy_arn(arn)?;
        let missing = || IamError::NoSuchEntity(no_such_policy(arn));
        if parsed.account != self.config.account_id {
            return Err(missing().into());
        }
        match self
            .load::<StoredPolicy>(keys::policy(&parsed.name))
            .await?
        {
            Some(policy) if policy.value.arn == arn => Ok(policy),
            _ => Err(missing().into()),
        }
    }

    /// GetPolicy.
    ///
    /// # Errors
    /// `InvalidInput` for a bad ARN, `NoSuchEntity`.
    pub async fn get_policy(&self, arn: &str) -> Result<StoredPolicy> {
        Ok(self.load_policy(arn).await?.value)
    }

    /// ListPolicies.
    ///
    /// # Errors
    /// `ValidationError`.
    pub async fn list_policies(
        &self,
        filter: &PolicyFilter<'_>,
        paging: &Paging,
    ) -> Result<Listed<StoredPolicy>> {
        let prefix = filter.path_prefix.unwrap_or("/");
        names::check_path_prefix(prefix)?;
        if filter.scope == Some("AWS") {
            names::max_items(paging.max_items)?;
            return Ok(Listed {
                items: Vec::new(),
                marker: None,
            });
        }
        self.list(keys::POLICIES, paging, |policy: &StoredPolicy| {
            policy.path.starts_with(prefix)
                && (!filter.only_attached || policy.attachment_count > 0)
        })
        .await
    }

    /// DeletePolicy: refused while attached or while it has versions besides the default.
    ///
    /// # Errors
    /// `NoSuchEntity`, `DeleteConflict`.
    pub async fn delete_policy(&self, arn: &str) -> Result<()> {
        self.retry("policy", || async {
            let policy = self.load_policy(arn).await?;
            if policy.value.attachment_count > 0
                || self
                    .has_any(&keys::entities_of(&policy.value.policy_name))
                    .await?
            {
                return Err(IamError::DeleteConflict(
                    "Cannot delete a policy attached to entities.".into(),
                )
                .into());
            }
            let all = self
                .all::<StoredVersion>(&keys::versions_of(&policy.value.policy_name))
                .await?;
            if all.len() > 1 {
                return Err(IamError::DeleteConflict(
                    "This policy has more than one version. Before you delete a policy, you \
                     must delete the policy's versions. The default version is deleted with \
                     the policy."
                        .into(),
                )
                .into());
            }
            let mut ops = vec![delete(&policy)];
            ops.extend(all.into_iter().map(|(key, _)| unlink(key)));
            Ok((ops, ()))
        })
        .await
    }

    /// CreatePolicyVersion.
    ///
    /// # Errors
    /// `NoSuchEntity`, `MalformedPolicyDocument`, `LimitExceeded` (five versions).
    pub async fn create_policy_version(
        &self,
        arn: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<StoredVersion> {
        documents::parse(DocumentKind::Managed, document)?;
        self.retry("policy", || async {
            let policy = self.load_policy(arn).await?;
            let name = policy.value.policy_name.clone();
            let existing = self.all::<StoredVersion>(&keys::versions_of(&name)).await?;
            versions::check_can_add(arn, existing.len())?;
            let number = policy.value.next_version;
            let version = StoredVersion {
                version_id: versions::version_id(number),
                document: document.to_string(),
                create_date: self.now(),
            };
            let mut updated = policy.value.clone();
            updated.next_version = number + 1;
            updated.update_date = version.create_date;
            if set_as_default {
                updated.default_version_id = version.version_id.clone();
            }
            let ops = vec![
                replace(&policy, &updated)?,
                put(keys::version(&name, number), &version, Expect::Absent)?,
            ];
            Ok((ops, version))
        })
        .await
    }

    /// A version of a policy and the policy, or `NoSuchEntity`.
    pub(crate) async fn load_version(
        &self,
        arn: &str,
        version_id: &str,
    ) -> Result<(Loaded<StoredPolicy>, Loaded<StoredVersion>)> {
        let number = versions::version_number(version_id)?;
        let policy = self.load_policy(arn).await?;
        let version = self
            .require(keys::version(&policy.value.policy_name, number), || {
                format!("Policy {arn} version {version_id} does not exist or is not attachable.")
            })
            .await?;
        Ok((policy, version))
    }

    /// GetPolicyVersion: the version and whether it is the default.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn get_policy_version(
        &self,
        arn: &str,
        version_id: &str,
    ) -> Result<(StoredVersion, bool)> {
        let (policy, version) = self.load_version(arn, version_id).await?;
        let is_default = policy.value.default_version_id == version.value.version_id;
        Ok((version.value, is_default))
    }

    /// ListPolicyVersions, newest first is not promised by IAM; thingcore lists oldest first.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn list_policy_versions(
        &self,
        arn: &str,
        paging: &Paging,
    ) -> Result<(Listed<StoredVersion>, String)> {
        let policy = self.load_policy(arn).await?;
        let listed = self
            .list(
                &keys::versions_of(&policy.value.policy_name),
                paging,
                |_: &StoredVersion| true,
            )
            .await?;
        Ok((listed, policy.value.default_version_id))
    }

    /// DeletePolicyVersion: never the default.
    ///
    /// # Errors
    /// `NoSuchEntity`, `DeleteConflict`.
    pub async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<()> {
        self.retry("policy", || async {
            let (policy, version) = self.load_version(arn, version_id).await?;
            versions::check_can_delete(
                &version.value.version_id,
                &policy.value.default_version_id,
            )?;
            let mut updated = policy.value.clone();
            updated.update_date = self.now();
            Ok((vec![replace(&policy, &updated)?, delete(&version)], ()))
        })
        .await
    }

    /// SetDefaultPolicyVersion.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn set_default_policy_version(&self, arn: &str, version_id: &str) -> Result<()> {
        self.retry("policy", || async {
            let (policy, version) = self.load_version(arn, version_id).await?;
            let mut updated = policy.value.clone();
            updated.default_version_id = version.value.version_id.clone();
            updated.update_date = self.now();
            Ok((vec![replace(&policy, &updated)?], ()))
        })
        .await
    }

    /// The default version's document of a managed policy (for identities).
    pub(crate) async fn default_document(&self, policy_name: &str) -> Result<Option<String>> {
        let Some(policy) = self.load::<StoredPolicy>(keys::policy(policy_name)).await? else {
            return Ok(None);
        };
        let number = versions::version_number(&policy.value.default_version_id)?;
        Ok(self
            .load::<StoredVersion>(keys::version(policy_name, number))
            .await?
            .map(|v| v.value.document))
    }
}
