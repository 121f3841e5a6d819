//! OpenID Connect providers: CreateOpenIDConnectProvider, GetOpenIDConnectProvider,
//! ListOpenIDConnectProviders, DeleteOpenIDConnectProvider,
//! Add/RemoveClientIDTo/FromOpenIDConnectProvider, UpdateOpenIDConnectProviderThumbprint.
//!
//! A provider is stored under its path (the URL without scheme, see
//! `thingcore::iam::oidc`), which is also what a token's `iss` names, so
//! AssumeRoleWithWebIdentity finds it with one read.

use crate::error::Result;
use crate::records::{StoredOidcProvider, Tag};
use crate::repo::{delete, put, replace, Loaded};
use crate::users::merge_tags;
use crate::{keys, IamService};
use thingcore::iam::{oidc, IamError};
use thingcore::store::Expect;

/// What CreateOpenIDConnectProvider is given.
#[derive(Debug, Clone, Default)]
pub struct NewOidcProvider<'a> {
    /// `Url`.
    pub url: &'a str,
    /// `ClientIDList`.
    pub client_ids: &'a [String],
    /// `ThumbprintList`.
    pub thumbprints: &'a [String],
    /// `Tags`.
    pub tags: &'a [Tag],
}

fn no_such_provider(arn: &str) -> String {
    format!("OpenIDConnect Provider not found for arn {arn}")
}

impl IamService {
    /// CreateOpenIDConnectProvider.
    ///
    /// # Errors
    /// `ValidationError`, `InvalidInput`, `LimitExceeded`, `EntityAlreadyExists`.
    pub async fn create_oidc_provider(
        &self,
        new: &NewOidcProvider<'_>,
    ) -> Result<StoredOidcProvider> {
        let path = oidc::provider_path(new.url)?;
        let mut client_ids: Vec<String> = Vec::new();
        for id in new.client_ids {
            oidc::add_client_id(&mut client_ids, id)?;
        }
        oidc::check_thumbprints(new.thumbprints)?;
        let mut tags = Vec::new();
        merge_tags(&mut tags, new.tags)?;
        let provider = StoredOidcProvider {
            arn: oidc::provider_arn(&self.config.account_id, &path),
            path: path.clone(),
            client_ids,
            thumbprints: new.thumbprints.to_vec(),
            create_date: self.now(),
            tags,
        };
        let op = put(keys::oidc_provider(&path), &provider, Expect::Absent)?;
        match self.store.transact(vec![op]).await {
            Ok(()) => Ok(provider),
            Err(thingcore::Error::TransactionCanceled { .. })
            | Err(thingcore::Error::ConditionFailed { .. }) => Err(IamError::EntityAlreadyExists(
                format!("Provider with url {} already exists.", new.url),
            )
            .into()),
            Err(error) => Err(error.into()),
        }
    }

    /// The provider an ARN names, or `NoSuchEntity`.
    async fn load_oidc_provider(&self, arn: &str) -> Result<Loaded<StoredOidcProvider>> {
        let path = oidc::path_of_arn(&self.config.account_id, arn)?;
        self.require(keys::oidc_provider(path), || no_such_provider(arn))
            .await
    }

    /// The provider whose path a token's `iss` names, if one is registered.
    ///
    /// # Errors
    /// A Store failure.
    pub async fn oidc_provider_for_path(&self, path: &str) -> Result<Option<StoredOidcProvider>> {
        Ok(self
            .load::<StoredOidcProvider>(keys::oidc_provider(path))
            .await?
            .map(|loaded| loaded.value))
    }

    /// GetOpenIDConnectProvider.
    ///
    /// # Errors
    /// `InvalidInput`, `NoSuchEntity`.
    pub async fn get_oidc_provider(&self, arn: &str) -> Result<StoredOidcProvider> {
        Ok(self.load_oidc_provider(arn).await?.value)
    }

    /// ListOpenIDConnectProviders: every provider (the operation has no paging).
    ///
    /// # Errors
    /// A Store failure.
    pub async fn list_oidc_providers(&self) -> Result<Vec<StoredOidcProvider>> {
        Ok(self
            .all::<StoredOidcProvider>(keys::OIDC_PROVIDERS)
            .await?
            .into_iter()
            .map(|(_, provider)| provider)
            .collect())
    }

    /// DeleteOpenIDConnectProvider.
    ///
    /// # Errors
    /// `InvalidInput`, `NoSuchEntity`.
    pub async fn delete_oidc_provider(&self, arn: &str) -> Result<()> {
        self.retry("oidc provider", || async {
            let provider = self.load_oidc_provider(arn).await?;
            Ok((vec![delete(&provider)], ()))
        })
        .await
    }

    /// Changes one provider with `change`, retrying after a lost race.
    async fn change_oidc_provider(
        &self,
        arn: &str,
        change: impl Fn(&mut StoredOidcProvider) -> std::result::Result<(), IamError>,
    ) -> Result<()> {
        self.retry("oidc provider", || async {
            let provider = self.load_oidc_provider(arn).await?;
            let mut updated = provider.value.clone();
            change(&mut updated)?;
            if updated == provider.value {
                return Ok((Vec::new(), ()));
            }
            Ok((vec![replace(&provider, &updated)?], ()))
        })
        .await
    }

    /// AddClientIDToOpenIDConnectProvider (adding a present id changes nothing).
    ///
    /// # Errors
    /// `InvalidInput`, `NoSuchEntity`, `ValidationError`, `LimitExceeded`.
    pub async fn add_oidc_client_id(&self, arn: &str, client_id: &str) -> Result<()> {
        oidc::check_client_id(client_id)?;
        self.change_oidc_provider(arn, |provider| {
            oidc::add_client_id(&mut provider.client_ids, client_id)
        })
        .await
    }

    /// RemoveClientIDFromOpenIDConnectProvider (removing an absent id changes nothing, as in
    /// IAM).
    ///
    /// # Errors
    /// `InvalidInput`, `NoSuchEntity`, `ValidationError`.
    pub async fn remove_oidc_client_id(&self, arn: &str, client_id: &str) -> Result<()> {
        oidc::check_client_id(client_id)?;
        self.change_oidc_provider(arn, |provider| {
            provider.client_ids.retain(|id| id != client_id);
            Ok(())
        })
        .await
    }

    /// UpdateOpenIDConnectProviderThumbprint: replaces the list.
    ///
    /// # Errors
    /// `InvalidInput`, `NoSuchEntity`, `ValidationError`.
    pub async fn update_oidc_thumbprints(&self, arn: &str, thumbprints: &[String]) -> Result<()> {
        oidc::check_thumbprints(thumbprints)?;
        self.change_oidc_provider(arn, |provider| {
            provider.thumbprints = thumbprints.to_vec();
            Ok(())
        })
        .await
    }
}
