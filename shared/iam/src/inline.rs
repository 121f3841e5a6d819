//! Inline policies: Put/Get/Delete/List{User,Group,Role}Policy. A document is checked with
//! IAM's limit for its kind of entity.

use crate::attachments::Principal;
use crate::error::Result;
use crate::records::StoredInline;
use crate::repo::{put, unlink};
use crate::{keys, IamService, Listed, Paging};
use thingcore::iam::documents::{self, DocumentKind};
use thingcore::iam::names::{self, EntityKind};
use thingcore::store::Expect;

fn document_kind(who: Principal) -> DocumentKind {
    match who {
        Principal::User => DocumentKind::UserInline,
        Principal::Group => DocumentKind::GroupInline,
        Principal::Role => DocumentKind::RoleInline,
    }
}

fn no_such_inline(who: Principal, name: &str, policy: &str) -> String {
    format!(
        "The {} policy with name {policy} cannot be found.",
        match who {
            Principal::User => format!("user {name}"),
            Principal::Group => format!("group {name}"),
            Principal::Role => format!("role {name}"),
        }
    )
}

impl IamService {
    /// Put{User,Group,Role}Policy: creates or replaces.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`, `MalformedPolicyDocument`, `LimitExceeded`.
    pub async fn put_inline_policy(
        &self,
        who: Principal,
        name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()> {
        names::check_name(EntityKind::Policy, policy_name)?;
        documents::parse(document_kind(who), document)?;
        self.retry("inline policy", || async {
            let (_, hold) = self.hold(who, name).await?;
            let record = StoredInline {
                policy_name: policy_name.to_string(),
                policy_document: document.to_string(),
            };
            let ops = vec![
                hold,
                put(
                    keys::inline(who.word(), name, policy_name),
                    &record,
                    Expect::Any,
                )?,
            ];
            Ok((ops, ()))
        })
        .await
    }

    /// Get{User,Group,Role}Policy.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn get_inline_policy(
        &self,
        who: Principal,
        name: &str,
        policy_name: &str,
    ) -> Result<StoredInline> {
        names::check_name(EntityKind::Policy, policy_name)?;
        let (entity_name, _) = self.hold(who, name).await?;
        Ok(self
            .require(keys::inline(who.word(), name, policy_name), || {
                no_such_inline(who, &entity_name, policy_name)
            })
            .await?
            .value)
    }

    /// Delete{User,Group,Role}Policy.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn delete_inline_policy(
        &self,
        who: Principal,
        name: &str,
        policy_name: &str,
    ) -> Result<()> {
        self.get_inline_policy(who, name, policy_name).await?;
        self.store
            .transact(vec![unlink(keys::inline(who.word(), name, policy_name))])
            .await
            .map_err(Into::into)
    }

    /// List{User,Group,Role}Policies: the policies' names.
    ///
    /// # Errors
    /// `NoSuchEntity`, `ValidationError`.
    pub async fn list_inline_policies(
        &self,
        who: Principal,
        name: &str,
        paging: &Paging,
    ) -> Result<Listed<String>> {
        self.hold(who, name).await?;
        let listed = self
            .list(
                &keys::inline_of(who.word(), name),
                paging,
                |_: &StoredInline| true,
            )
            .await?;
        Ok(Listed {
            items: listed.items.into_iter().map(|p| p.policy_name).collect(),
            marker: listed.marker,
        })
    }

    /// Every inline document of an entity (for identities).
    pub(crate) async fn inline_documents(&self, who: Principal, name: &str) -> Result<Vec<String>> {
        Ok(self
            .all::<StoredInline>(&keys::inline_of(who.word(), name))
            .await?
            .into_iter()
            .map(|(_, p)| p.policy_document)
            .collect())
    }
}
