//! Users: CreateUser, GetUser, ListUsers, DeleteUser, and their tags (TagUser, UntagUser,
//! ListUserTags).

use crate::error::Result;
use crate::records::{StoredUser, Tag};
use crate::repo::{delete, put, replace, Loaded};
use crate::{keys, IamService, Listed, Paging};
use thingcore::iam::ids::{self, IdPrefix};
use thingcore::iam::names::{self, EntityKind};
use thingcore::iam::IamError;
use thingcore::store::Expect;

/// `NoSuchEntity` for a user.
pub(crate) fn no_such_user(name: &str) -> String {
    format!("The user with name {name} cannot be found.")
}

/// Checks tags and merges `new` into `tags` (a key given again takes the new value).
///
/// # Errors
/// `ValidationError`/`InvalidInput` for a bad tag, `LimitExceeded` past 50.
pub(crate) fn merge_tags(tags: &mut Vec<Tag>, new: &[Tag]) -> Result<()> {
    for tag in new {
        names::check_tag(&tag.key, &tag.value)?;
        match tags.iter_mut().find(|t| t.key == tag.key) {
            Some(existing) => existing.value = tag.value.clone(),
            None => tags.push(tag.clone()),
        }
    }
    if tags.len() > names::MAX_TAGS {
        return Err(IamError::LimitExceeded(format!(
            "The number of tags has reached the maximum limit of {}.",
            names::MAX_TAGS
        ))
        .into());
    }
    Ok(())
}

/// One page of a record's tags.
pub(crate) fn tag_page(tags: &[Tag], paging: &Paging) -> Result<Listed<Tag>> {
    let max = names::max_items(paging.max_items)?;
    let start = match &paging.marker {
        None => 0,
        Some(marker) => marker
            .parse::<usize>()
            .map_err(|_| IamError::Validation("Invalid Marker".into()))?,
    };
    let rest = tags.get(start..).unwrap_or_default();
    Ok(Listed {
        items: rest.iter().take(max).cloned().collect(),
        marker: (rest.len() > max).then(|| (start + max).to_string()),
    })
}

impl IamService {
    /// CreateUser.
    ///
    /// # Errors
    /// `ValidationError` for a bad name, path or tag; `EntityAlreadyExists`.
    pub async fn create_user(
        &self,
        name: &str,
        path: Option<&str>,
        tags: &[Tag],
    ) -> Result<StoredUser> {
        names::check_name(EntityKind::User, name)?;
        let path = path.unwrap_or("/");
        names::check_path(path)?;
        let mut merged = Vec::new();
        merge_tags(&mut merged, tags)?;
        let user = StoredUser {
            user_name: name.to_string(),
            path: path.to_string(),
            user_id: ids::new_id(IdPrefix::User, &Self::entropy(2)),
            arn: ids::iam_arn(&self.config.account_id, "user", path, name),
            create_date: self.now(),
            tags: merged,
        };
        let op = put(keys::user(name), &user, Expect::Absent)?;
        match self.store.transact(vec![op]).await {
            Ok(()) => Ok(user),
            Err(thingcore::Error::TransactionCanceled { .. })
            | Err(thingcore::Error::ConditionFailed { .. }) => Err(IamError::EntityAlreadyExists(
                format!("User with name {name} already exists."),
            )
            .into()),
            Err(error) => Err(error.into()),
        }
    }

    /// The user record, or `NoSuchEntity`.
    pub(crate) async fn load_user(&self, name: &str) -> Result<Loaded<StoredUser>> {
        names::check_name(EntityKind::User, name)?;
        self.require(keys::user(name), || no_such_user(name)).await
    }

    /// GetUser of a named user.
    ///
    /// # Errors
    /// `ValidationError`, `NoSuchEntity`.
    pub async fn get_user(&self, name: &str) -> Result<StoredUser> {
        Ok(self.load_user(name).await?.value)
    }

    /// ListUsers under `path_prefix`.
    ///
    /// # Errors
    /// `ValidationError` for a bad prefix, marker or page size.
    pub async fn list_users(
        &self,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Listed<StoredUser>> {
        let prefix = path_prefix.unwrap_or("/");
        names::check_path_prefix(prefix)?;
        self.list(keys::USERS, paging, |user: &StoredUser| {
            user.path.starts_with(prefix)
        })
        .await
    }

    /// DeleteUser: refused while the user has access keys, groups or policies.
    ///
    /// # Errors
    /// `NoSuchEntity`, `DeleteConflict`.
    pub async fn delete_user(&self, name: &str) -> Result<()> {
        self.retry("user", || async {
            let user = self.load_user(name).await?;
            let conflicts = [
                (keys::keys_of(name), "must delete access keys first."),
                (keys::groups_of(name), "must remove users from group first."),
                (
                    keys::attached_of("user", name),
                    "must detach all policies first.",
                ),
                (keys::inline_of("user", name), "must delete policies first."),
            ];
            for (pk, what) in conflicts {
                if self.has_any(&pk).await? {
                    return Err(
                        IamError::DeleteConflict(format!("Cannot delete entity, {what}")).into(),
                    );
                }
            }
            Ok((vec![delete(&user)], ()))
        })
        .await
    }

    /// TagUser.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`, `InvalidInput`, `LimitExceeded`.
    pub async fn tag_user(&self, name: &str, tags: &[Tag]) -> Result<()> {
        self.retry("user", || async {
            let user = self.load_user(name).await?;
            let mut updated = user.value.clone();
            merge_tags(&mut updated.tags, tags)?;
            Ok((vec![replace(&user, &updated)?], ()))
        })
        .await
    }

    /// UntagUser (keys it does not have are ignored, as IAM does).
    ///
    /// # Errors
    /// `NoSuchEntity`.
    pub async fn untag_user(&self, name: &str, tag_keys: &[String]) -> Result<()> {
        self.retry("user", || async {
            let user = self.load_user(name).await?;
            let mut updated = user.value.clone();
            updated.tags.retain(|tag| !tag_keys.contains(&tag.key));
            Ok((vec![replace(&user, &updated)?], ()))
        })
        .await
    }

    /// ListUserTags.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn list_user_tags(&self, name: &str, paging: &Paging) -> Result<Listed<Tag>> {
        tag_page(&self.load_user(name).await?.value.tags, paging)
    }
}
