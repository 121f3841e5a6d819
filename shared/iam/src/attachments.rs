//! Managed policies attached to users, groups and roles: Attach/Detach{User,Group,Role}Policy
//! and ListAttached{User,Group,Role}Policies. Both sides of an attachment and the policy's
//! `AttachmentCount` are written in one transaction.

use crate::error::Result;
use crate::records::Link;
use crate::repo::{put, replace, touch, unlink};
use crate::{keys, IamService, Listed, Paging};
use serde::Serialize;
use thingcore::iam::names::{self, EntityKind};
use thingcore::iam::IamError;
use thingcore::store::{Expect, WriteOp};

/// The kinds of entity policies attach to, with their key word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A user.
    User,
    /// A group.
    Group,
    /// A role.
    Role,
}

impl Principal {
    /// The word in keys (`user`, `group`, `role`).
    pub fn word(self) -> &'static str {
        self.kind().word()
    }

    /// The entity kind (for names).
    pub fn kind(self) -> EntityKind {
        match self {
            Principal::User => EntityKind::User,
            Principal::Group => EntityKind::Group,
            Principal::Role => EntityKind::Role,
        }
    }
}

fn touch_of<T: Serialize>(loaded: &crate::repo::Loaded<T>) -> Result<WriteOp> {
    touch(loaded)
}

impl IamService {
    /// The entity's name as stored and a write that holds it still (or `NoSuchEntity`).
    pub(crate) async fn hold(&self, who: Principal, name: &str) -> Result<(String, WriteOp)> {
        Ok(match who {
            Principal::User => {
                let user = self.load_user(name).await?;
                (user.value.user_name.clone(), touch_of(&user)?)
            }
            Principal::Group => {
                let group = self.load_group(name).await?;
                (group.value.group_name.clone(), touch_of(&group)?)
            }
            Principal::Role => {
                let role = self.load_role(name).await?;
                (role.value.role_name.clone(), touch_of(&role)?)
            }
        })
    }

    /// Attach{User,Group,Role}Policy (attaching again changes nothing).
    ///
    /// # Errors
    /// `NoSuchEntity` for the entity or the policy; `InvalidInput` for a bad ARN.
    pub async fn attach_policy(&self, who: Principal, name: &str, arn: &str) -> Result<()> {
        self.retry("attachment", || async {
            let (entity_name, hold) = self.hold(who, name).await?;
            let policy = self.load_policy(arn).await?;
            let policy_name = policy.value.policy_name.clone();
            let attached = keys::attached(who.word(), name, &policy_name);
            if self.load::<Link>(attached.clone()).await?.is_some() {
                return Ok((Vec::new(), ()));
            }
            let mut updated = policy.value.clone();
            updated.attachment_count += 1;
            let ops = vec![
                hold,
                replace(&policy, &updated)?,
                put(
                    attached,
                    &Link {
                        name: policy_name.clone(),
                        arn: Some(policy.value.arn.clone()),
                        kind: None,
                    },
                    Expect::Absent,
                )?,
                put(
                    keys::entity(&policy_name, who.word(), name),
                    &Link {
                        name: entity_name,
                        arn: None,
                        kind: Some(who.word().to_string()),
                    },
                    Expect::Any,
                )?,
            ];
            Ok((ops, ()))
        })
        .await
    }

    /// Detach{User,Group,Role}Policy.
    ///
    /// # Errors
    /// `NoSuchEntity` for the entity, the policy, or a policy not attached.
    pub async fn detach_policy(&self, who: Principal, name: &str, arn: &str) -> Result<()> {
        self.retry("attachment", || async {
            self.hold(who, name).await?;
            let policy = self.load_policy(arn).await?;
            let policy_name = policy.value.policy_name.clone();
            let attached = keys::attached(who.word(), name, &policy_name);
            if self.load::<Link>(attached.clone()).await?.is_none() {
                return Err(IamError::NoSuchEntity(format!("Policy {arn} was not found.")).into());
            }
            let mut updated = policy.value.clone();
            updated.attachment_count = updated.attachment_count.saturating_sub(1);
            let ops = vec![
                replace(&policy, &updated)?,
                unlink(attached),
                unlink(keys::entity(&policy_name, who.word(), name)),
            ];
            Ok((ops, ()))
        })
        .await
    }

    /// ListAttached{User,Group,Role}Policies: name and ARN of each.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn list_attached_policies(
        &self,
        who: Principal,
        name: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Listed<Link>> {
        names::check_name(who.kind(), name)?;
        self.hold(who, name).await?;
        let prefix = path_prefix.unwrap_or("/");
        names::check_path_prefix(prefix)?;
        let account_prefix = format!("arn:aws:iam::{}:policy{prefix}", self.config.account_id);
        self.list(
            &keys::attached_of(who.word(), name),
            paging,
            |link: &Link| {
                link.arn
                    .as_deref()
                    .is_some_and(|arn| arn.starts_with(&account_prefix))
            },
        )
        .await
    }

    /// ListEntitiesForPolicy: the users, groups and roles a policy is attached to, as
    /// `(kind, name)` pairs, optionally only one kind (`EntityFilter` `User`, `Group`, `Role`).
    ///
    /// # Errors
    /// `NoSuchEntity` for the policy, `ValidationError`.
    pub async fn list_entities_for_policy(
        &self,
        arn: &str,
        only: Option<Principal>,
        paging: &Paging,
    ) -> Result<Listed<(Principal, String)>> {
        let policy = self.load_policy(arn).await?;
        let pk = keys::entities_of(&policy.value.policy_name);
        let wanted = only.map(Principal::word);
        let listed = self
            .list(&pk, paging, |link: &Link| {
                wanted.is_none() || link.kind.as_deref() == wanted
            })
            .await?;
        Ok(Listed {
            items: listed
                .items
                .into_iter()
                .filter_map(|link| {
                    let kind = match link.kind.as_deref()? {
                        "user" => Principal::User,
                        "group" => Principal::Group,
                        "role" => Principal::Role,
                        _ => return None,
                    };
                    Some((kind, link.name))
                })
                .collect(),
            marker: listed.marker,
        })
    }
}
