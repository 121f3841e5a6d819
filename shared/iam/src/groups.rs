//! Groups and their members: CreateGroup, GetGroup (with its users), ListGroups, DeleteGroup,
//! AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.

use crate::error::Result;
use crate::records::{Link, StoredGroup, StoredUser};
use crate::repo::{delete, put, touch, unlink, Loaded};
use crate::{keys, IamService, Listed, Paging};
use thingcore::iam::ids::{self, IdPrefix};
use thingcore::iam::names::{self, EntityKind};
use thingcore::iam::IamError;
use thingcore::store::Expect;

fn no_such_group(name: &str) -> String {
    format!("The group with name {name} cannot be found.")
}

impl IamService {
    /// CreateGroup.
    ///
    /// # Errors
    /// `ValidationError`, `EntityAlreadyExists`.
    pub async fn create_group(&self, name: &str, path: Option<&str>) -> Result<StoredGroup> {
        names::check_name(EntityKind::Group, name)?;
        let path = path.unwrap_or("/");
        names::check_path(path)?;
        let group = StoredGroup {
            group_name: name.to_string(),
            path: path.to_string(),
            group_id: ids::new_id(IdPrefix::Group, &Self::entropy(2)),
            arn: ids::iam_arn(&self.config.account_id, "group", path, name),
            create_date: self.now(),
        };
        let op = put(keys::group(name), &group, Expect::Absent)?;
        match self.store.transact(vec![op]).await {
            Ok(()) => Ok(group),
            Err(thingcore::Error::TransactionCanceled { .. })
            | Err(thingcore::Error::ConditionFailed { .. }) => Err(IamError::EntityAlreadyExists(
                format!("Group with name {name} already exists."),
            )
            .into()),
            Err(error) => Err(error.into()),
        }
    }

    /// The group record, or `NoSuchEntity`.
    pub(crate) async fn load_group(&self, name: &str) -> Result<Loaded<StoredGroup>> {
        names::check_name(EntityKind::Group, name)?;
        self.require(keys::group(name), || no_such_group(name))
            .await
    }

    /// GetGroup: the group and one page of its users.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn get_group(
        &self,
        name: &str,
        paging: &Paging,
    ) -> Result<(StoredGroup, Listed<StoredUser>)> {
        let group = self.load_group(name).await?.value;
        let links = self
            .list(&keys::members_of(name), paging, |_: &Link| true)
            .await?;
        let mut users = Vec::new();
        for link in &links.items {
            if let Some(user) = self.load::<StoredUser>(keys::user(&link.name)).await? {
                users.push(user.value);
            }
        }
        Ok((
            group,
            Listed {
                items: users,
                marker: links.marker,
            },
        ))
    }

    /// ListGroups under `path_prefix`.
    ///
    /// # Errors
    /// `ValidationError`.
    pub async fn list_groups(
        &self,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Listed<StoredGroup>> {
        let prefix = path_prefix.unwrap_or("/");
        names::check_path_prefix(prefix)?;
        self.list(keys::GROUPS, paging, |group: &StoredGroup| {
            group.path.starts_with(prefix)
        })
        .await
    }

    /// DeleteGroup: refused while it has members or policies.
    ///
    /// # Errors
    /// `NoSuchEntity`, `DeleteConflict`.
    pub async fn delete_group(&self, name: &str) -> Result<()> {
        self.retry("group", || async {
            let group = self.load_group(name).await?;
            let conflicts = [
                (
                    keys::members_of(name),
                    "must remove users from group first.",
                ),
                (
                    keys::attached_of("group", name),
                    "must detach all policies first.",
                ),
                (
                    keys::inline_of("group", name),
                    "must delete policies first.",
                ),
            ];
            for (pk, what) in conflicts {
                if self.has_any(&pk).await? {
                    return Err(
                        IamError::DeleteConflict(format!("Cannot delete entity, {what}")).into(),
                    );
                }
            }
            Ok((vec![delete(&group)], ()))
        })
        .await
    }

    /// AddUserToGroup (adding a member again changes nothing).
    ///
    /// # Errors
    /// `NoSuchEntity` for the group or the user.
    pub async fn add_user_to_group(&self, group_name: &str, user_name: &str) -> Result<()> {
        self.retry("group", || async {
            let group = self.load_group(group_name).await?;
            let user = self.load_user(user_name).await?;
            let ops = vec![
                touch(&group)?,
                touch(&user)?,
                put(
                    keys::member(group_name, user_name),
                    &Link {
                        name: user.value.user_name.clone(),
                        arn: None,
                        kind: None,
                    },
                    Expect::Any,
                )?,
                put(
                    keys::user_group(user_name, group_name),
                    &Link {
                        name: group.value.group_name.clone(),
                        arn: None,
                        kind: None,
                    },
                    Expect::Any,
                )?,
            ];
            Ok((ops, ()))
        })
        .await
    }

    /// RemoveUserFromGroup.
    ///
    /// # Errors
    /// `NoSuchEntity` for the group, the user, or a user not in the group.
    pub async fn remove_user_from_group(&self, group_name: &str, user_name: &str) -> Result<()> {
        self.retry("group", || async {
            self.load_group(group_name).await?;
            self.load_user(user_name).await?;
            if self
                .load::<Link>(keys::member(group_name, user_name))
                .await?
                .is_none()
            {
                return Err(IamError::NoSuchEntity(format!(
                    "The user with name {user_name} cannot be found in group {group_name}."
                ))
                .into());
            }
            let ops = vec![
                unlink(keys::member(group_name, user_name)),
                unlink(keys::user_group(user_name, group_name)),
            ];
            Ok((ops, ()))
        })
        .await
    }

    /// ListGroupsForUser.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn list_groups_for_user(
        &self,
        user_name: &str,
        paging: &Paging,
    ) -> Result<Listed<StoredGroup>> {
        self.load_user(user_name).await?;
        let links = self
            .list(&keys::groups_of(user_name), paging, |_: &Link| true)
            .await?;
        let mut groups = Vec::new();
        for link in &links.items {
            if let Some(group) = self.load::<StoredGroup>(keys::group(&link.name)).await? {
                groups.push(group.value);
            }
        }
        Ok(Listed {
            items: groups,
            marker: links.marker,
        })
    }
}
