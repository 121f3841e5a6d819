//! Long-term access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey.
//! A user has at most two.

use crate::error::Result;
use crate::records::{Link, StoredAccessKey};
use crate::repo::{delete, put, replace, touch, unlink, Loaded};
use crate::{keys, IamService, Listed, Paging};
use thingcore::iam::ids::{self, IdPrefix};
use thingcore::iam::IamError;
use thingcore::store::Expect;

/// Most access keys per user (IAM's quota).
pub const MAX_KEYS_PER_USER: usize = 2;

fn check_status(status: &str) -> Result<()> {
    if !matches!(status, "Active" | "Inactive") {
        return Err(IamError::constraint(
            status,
            "status",
            "Member must satisfy enum value set: [Active, Inactive]",
        )
        .into());
    }
    Ok(())
}

impl IamService {
    /// CreateAccessKey: a new `AKIA…` key and its 40-character secret, `Active`.
    ///
    /// # Errors
    /// `NoSuchEntity`, `LimitExceeded` past two keys.
    pub async fn create_access_key(&self, user_name: &str) -> Result<StoredAccessKey> {
        self.retry("access key", || async {
            let user = self.load_user(user_name).await?;
            let existing = self.all::<Link>(&keys::keys_of(user_name)).await?;
            if existing.len() >= MAX_KEYS_PER_USER {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}"
                ))
                .into());
            }
            let key = StoredAccessKey {
                access_key_id: ids::new_id(IdPrefix::AccessKey, &Self::entropy(1)),
                user_name: user.value.user_name.clone(),
                secret_access_key: ids::new_secret(&Self::entropy(3)),
                status: "Active".into(),
                create_date: self.now(),
            };
            let ops = vec![
                touch(&user)?,
                put(keys::access_key(&key.access_key_id), &key, Expect::Absent)?,
                put(
                    keys::user_key(user_name, &key.access_key_id),
                    &Link {
                        name: key.access_key_id.clone(),
                        arn: None,
                        kind: None,
                    },
                    Expect::Absent,
                )?,
            ];
            Ok((ops, key))
        })
        .await
    }

    /// A user's key, or `NoSuchEntity`.
    async fn load_key(&self, user_name: &str, key_id: &str) -> Result<Loaded<StoredAccessKey>> {
        let user = self.load_user(user_name).await?;
        match self
            .load::<StoredAccessKey>(keys::access_key(key_id))
            .await?
        {
            Some(key) if key.value.user_name == user.value.user_name => Ok(key),
            _ => Err(IamError::NoSuchEntity(format!(
                "The Access Key with id {key_id} cannot be found."
            ))
            .into()),
        }
    }

    /// ListAccessKeys (ids, statuses and dates; never secrets on the wire).
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn list_access_keys(
        &self,
        user_name: &str,
        paging: &Paging,
    ) -> Result<Listed<StoredAccessKey>> {
        self.load_user(user_name).await?;
        let links = self
            .list(&keys::keys_of(user_name), paging, |_: &Link| true)
            .await?;
        let mut items = Vec::new();
        for link in &links.items {
            if let Some(key) = self
                .load::<StoredAccessKey>(keys::access_key(&link.name))
                .await?
            {
                items.push(key.value);
            }
        }
        Ok(Listed {
            items,
            marker: links.marker,
        })
    }

    /// UpdateAccessKey: `Active` or `Inactive`.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn update_access_key(
        &self,
        user_name: &str,
        key_id: &str,
        status: &str,
    ) -> Result<()> {
        check_status(status)?;
        self.retry("access key", || async {
            let key = self.load_key(user_name, key_id).await?;
            let mut updated = key.value.clone();
            updated.status = status.to_string();
            Ok((vec![replace(&key, &updated)?], ()))
        })
        .await
    }

    /// DeleteAccessKey.
    ///
    /// # Errors
    /// `NoSuchEntity`.
    pub async fn delete_access_key(&self, user_name: &str, key_id: &str) -> Result<()> {
        self.retry("access key", || async {
            let key = self.load_key(user_name, key_id).await?;
            Ok((
                vec![delete(&key), unlink(keys::user_key(user_name, key_id))],
                (),
            ))
        })
        .await
    }

    /// GetAccessKeyLastUsed's `UserName`: whose key this is.
    ///
    /// # Errors
    /// `NoSuchEntity` for a key IAM did not issue.
    pub async fn access_key_owner(&self, key_id: &str) -> Result<String> {
        self.find_access_key(key_id)
            .await?
            .map(|key| key.user_name)
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!("The Access Key with id {key_id} cannot be found."))
                    .into()
            })
    }

    /// The access key record for an id, any user.
    pub(crate) async fn find_access_key(&self, key_id: &str) -> Result<Option<StoredAccessKey>> {
        if key_id.is_empty() || key_id.len() > 128 {
            return Ok(None);
        }
        Ok(self
            .load::<StoredAccessKey>(keys::access_key(key_id))
            .await?
            .map(|k| k.value))
    }
}
