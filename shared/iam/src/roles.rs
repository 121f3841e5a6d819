//! Roles: CreateRole, GetRole, ListRoles, DeleteRole, UpdateAssumeRolePolicy, and their tags
//! (TagRole, UntagRole, ListRoleTags).

use crate::error::Result;
use crate::records::{StoredRole, Tag};
use crate::repo::{delete, put, replace, Loaded};
use crate::users::{merge_tags, tag_page};
use crate::{keys, IamService, Listed, Paging};
use thingcore::iam::ids::{self, IdPrefix};
use thingcore::iam::names::{self, EntityKind};
use thingcore::iam::trust::TrustPolicy;
use thingcore::iam::{session, IamError};
use thingcore::store::Expect;

/// `NoSuchEntity` for a role.
pub(crate) fn no_such_role(name: &str) -> String {
    format!("The role with name {name} cannot be found.")
}

/// What CreateRole is given.
#[derive(Debug, Clone, Default)]
pub struct NewRole<'a> {
    /// `RoleName`.
    pub name: &'a str,
    /// `Path`.
    pub path: Option<&'a str>,
    /// `AssumeRolePolicyDocument`.
    pub assume_role_policy_document: &'a str,
    /// `Description`.
    pub description: Option<&'a str>,
    /// `MaxSessionDuration`.
    pub max_session_duration: Option<i64>,
    /// `Tags`.
    pub tags: &'a [Tag],
}

fn check_description(description: Option<&str>) -> Result<()> {
    if let Some(text) = description {
        if text.chars().count() > 1000 {
            return Err(IamError::constraint(
                text,
                "description",
                "Member must have length less than or equal to 1000",
            )
            .into());
        }
    }
    Ok(())
}

impl IamService {
    /// CreateRole.
    ///
    /// # Errors
    /// `ValidationError`, `MalformedPolicyDocument`, `EntityAlreadyExists`.
    pub async fn create_role(&self, new: &NewRole<'_>) -> Result<StoredRole> {
        names::check_name(EntityKind::Role, new.name)?;
        let path = new.path.unwrap_or("/");
        names::check_path(path)?;
        TrustPolicy::parse(new.assume_role_policy_document)?;
        check_description(new.description)?;
        let max_session_duration = session::max_session_duration(new.max_session_duration)?;
        let mut tags = Vec::new();
        merge_tags(&mut tags, new.tags)?;
        let role = StoredRole {
            role_name: new.name.to_string(),
            path: path.to_string(),
            role_id: ids::new_id(IdPrefix::Role, &Self::entropy(2)),
            arn: ids::iam_arn(&self.config.account_id, "role", path, new.name),
            create_date: self.now(),
            assume_role_policy_document: new.assume_role_policy_document.to_string(),
            description: new.description.map(str::to_string),
            max_session_duration,
            tags,
        };
        let op = put(keys::role(new.name), &role, Expect::Absent)?;
        match self.store.transact(vec![op]).await {
            Ok(()) => Ok(role),
            Err(thingcore::Error::TransactionCanceled { .. })
            | Err(thingcore::Error::ConditionFailed { .. }) => Err(IamError::EntityAlreadyExists(
                format!("Role with name {} already exists.", new.name),
            )
            .into()),
            Err(error) => Err(error.into()),
        }
    }

    /// The role record, or `NoSuchEntity`.
    pub(crate) async fn load_role(&self, name: &str) -> Result<Loaded<StoredRole>> {
        names::check_name(EntityKind::Role, name)?;
        self.require(keys::role(name), || no_such_role(name)).await
    }

    /// GetRole.
    ///
    /// # Errors
    /// `ValidationError`, `NoSuchEntity`.
    pub async fn get_role(&self, name: &str) -> Result<StoredRole> {
        Ok(self.load_role(name).await?.value)
    }

    /// ListRoles under `path_prefix`.
    ///
    /// # Errors
    /// `ValidationError`.
    pub async fn list_roles(
        &self,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Listed<StoredRole>> {
        let prefix = path_prefix.unwrap_or("/");
        names::check_path_prefix(prefix)?;
        self.list(keys::ROLES, paging, |role: &StoredRole| {
            role.path.starts_with(prefix)
        })
        .await
    }

    /// DeleteRole: refused while it has policies.
    ///
    /// # Errors
    /// `NoSuchEntity`, `DeleteConflict`.
    pub async fn delete_role(&self, name: &str) -> Result<()> {
        self.retry("role", || async {
            let role = self.load_role(name).await?;
            let conflicts = [
                (
                    keys::attached_of("role", name),
                    "must detach all policies first.",
                ),
                (keys::inline_of("role", name), "must delete policies first."),
            ];
            for (pk, what) in conflicts {
                if self.has_any(&pk).await? {
                    return Err(
                        IamError::DeleteConflict(format!("Cannot delete entity, {what}")).into(),
                    );
                }
            }
            Ok((vec![delete(&role)], ()))
        })
        .await
    }

    /// UpdateAssumeRolePolicy.
    ///
    /// # Errors
    /// `NoSuchEntity`, `MalformedPolicyDocument`.
    pub async fn update_assume_role_policy(&self, name: &str, document: &str) -> Result<()> {
        TrustPolicy::parse(document)?;
        self.retry("role", || async {
            let role = self.load_role(name).await?;
            let mut updated = role.value.clone();
            updated.assume_role_policy_document = document.to_string();
            Ok((vec![replace(&role, &updated)?], ()))
        })
        .await
    }

    /// TagRole.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`, `InvalidInput`, `LimitExceeded`.
    pub async fn tag_role(&self, name: &str, tags: &[Tag]) -> Result<()> {
        self.retry("role", || async {
            let role = self.load_role(name).await?;
            let mut updated = role.value.clone();
            merge_tags(&mut updated.tags, tags)?;
            Ok((vec![replace(&role, &updated)?], ()))
        })
        .await
    }

    /// UntagRole.
    ///
    /// # Errors
    /// `NoSuchEntity`.
    pub async fn untag_role(&self, name: &str, tag_keys: &[String]) -> Result<()> {
        self.retry("role", || async {
            let role = self.load_role(name).await?;
            let mut updated = role.value.clone();
            updated.tags.retain(|tag| !tag_keys.contains(&tag.key));
            Ok((vec![replace(&role, &updated)?], ()))
        })
        .await
    }

    /// ListRoleTags.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn list_role_tags(&self, name: &str, paging: &Paging) -> Result<Listed<Tag>> {
        tag_page(&self.load_role(name).await?.value.tags, paging)
    }

    /// UpdateRole: `Description` and `MaxSessionDuration`, each when given.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn update_role(
        &self,
        name: &str,
        description: Option<&str>,
        max_session_duration: Option<i64>,
    ) -> Result<StoredRole> {
        check_description(description)?;
        let max = max_session_duration
            .map(|secs| session::max_session_duration(Some(secs)))
            .transpose()?;
        self.retry("role", || async {
            let role = self.load_role(name).await?;
            let mut updated = role.value.clone();
            if let Some(text) = description {
                updated.description = Some(text.to_string());
            }
            if let Some(max) = max {
                updated.max_session_duration = max;
            }
            Ok((vec![replace(&role, &updated)?], updated))
        })
        .await
    }
}
