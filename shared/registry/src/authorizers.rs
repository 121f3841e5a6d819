//! Custom authorizers: CreateAuthorizer, DescribeAuthorizer, UpdateAuthorizer, ListAuthorizers,
//! DeleteAuthorizer, SetDefaultAuthorizer, DescribeDefaultAuthorizer, ClearDefaultAuthorizer.
//! What an authorizer may be is decided by `thingcore::registry::authorizer`; the default
//! authorizer is one record naming it, written in the same transaction that checks the
//! authorizer exists.

use super::error::ServiceError;
use super::repo::{self, Loaded};
use super::{contention, keys, RegistryService};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use thingcore::registry::authorizer::authorizer_arn;
use thingcore::registry::{
    AuthorizerName, AuthorizerRequest, AuthorizerStatus, RegistryError, StoredAuthorizer,
};
use thingcore::store::Expect;

/// The record naming the default authorizer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DefaultAuthorizer {
    authorizer_name: AuthorizerName,
}

/// The body of SetDefaultAuthorizer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetDefaultAuthorizerRequest {
    /// `authorizerName` (required).
    pub authorizer_name: Option<String>,
}

fn not_found(name: &str) -> RegistryError {
    RegistryError::not_found(format!("Authorizer {name} does not exist"))
}

impl RegistryService {
    async fn require_authorizer(
        &self,
        name: &str,
    ) -> Result<(AuthorizerName, Loaded<StoredAuthorizer>), ServiceError> {
        let name = AuthorizerName::parse(name)?;
        let found = self
            .require(keys::authorizer(name.as_str()), || not_found(name.as_str()))
            .await?;
        Ok((name, found))
    }

    /// The authorizer named `name`, if it exists: what the MQTT and HTTP doors use.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad name; Store failures.
    pub async fn authorizer(&self, name: &str) -> Result<Option<StoredAuthorizer>, ServiceError> {
        let name = AuthorizerName::parse(name)?;
        Ok(self
            .load::<StoredAuthorizer>(keys::authorizer(name.as_str()))
            .await?
            .map(|found| found.value))
    }

    /// The default authorizer, if one is set and still exists.
    ///
    /// # Errors
    /// Store failures.
    pub async fn default_authorizer(&self) -> Result<Option<StoredAuthorizer>, ServiceError> {
        let Some(default) = self
            .load::<DefaultAuthorizer>(keys::default_authorizer())
            .await?
        else {
            return Ok(None);
        };
        Ok(self
            .load::<StoredAuthorizer>(keys::authorizer(default.value.authorizer_name.as_str()))
            .await?
            .map(|found| found.value))
    }

    /// CreateAuthorizer: `{authorizerName, authorizerArn}`.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceAlreadyExistsException`.
    pub async fn create_authorizer(
        &self,
        name: &str,
        request: AuthorizerRequest,
    ) -> Result<Value, ServiceError> {
        let name = AuthorizerName::parse(name)?;
        let authorizer = StoredAuthorizer::create(name.clone(), request, self.now_secs())?;
        let put = repo::put(keys::authorizer(name.as_str()), &authorizer, Expect::Absent)?;
        if !self.commit(vec![put]).await? {
            return Err(RegistryError::already_exists(
                format!("Authorizer {name} already exists"),
                name.as_str(),
                authorizer_arn(&self.config, name.as_str()),
            )
            .into());
        }
        tracing::info!(authorizer = %name, "custom authorizer created");
        Ok(authorizer.summary(&self.config))
    }

    /// DescribeAuthorizer: `{authorizerDescription}`.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn describe_authorizer(&self, name: &str) -> Result<Value, ServiceError> {
        let (_, found) = self.require_authorizer(name).await?;
        Ok(json!({ "authorizerDescription": found.value.description(&self.config) }))
    }

    /// UpdateAuthorizer: `{authorizerName, authorizerArn}`.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn update_authorizer(
        &self,
        name: &str,
        request: AuthorizerRequest,
    ) -> Result<Value, ServiceError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let (_, found) = self.require_authorizer(name).await?;
            let next = found.value.update(request.clone(), self.now_secs())?;
            if self.commit(vec![repo::replace(&found, &next)?]).await? {
                return Ok(next.summary(&self.config));
            }
        }
        Err(contention(format!("authorizer {name}")))
    }

    /// ListAuthorizers, by name, optionally only those of one `status`.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad `status` or `marker`.
    pub async fn list_authorizers(
        &self,
        page_size: usize,
        marker: Option<&str>,
        status: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let status = status.map(AuthorizerStatus::parse).transpose()?;
        let token = marker.map(repo::from_marker).transpose()?;
        let (authorizers, next) = self
            .filtered_page(keys::AUTHORIZERS, "", page_size, token.as_deref(), |item| {
                let authorizer: StoredAuthorizer = repo::decode(item)?;
                Ok(status
                    .is_none_or(|s| s == authorizer.status)
                    .then(|| authorizer.summary(&self.config)))
            })
            .await?;
        let mut out = json!({ "authorizers": authorizers });
        if let Some(next) = next {
            out["nextMarker"] = json!(repo::to_marker(&next));
        }
        Ok(out)
    }

    /// DeleteAuthorizer.
    ///
    /// # Errors
    /// `ResourceNotFoundException`; `DeleteConflictException` while ACTIVE or the default.
    pub async fn delete_authorizer(&self, name: &str) -> Result<Value, ServiceError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, found) = self.require_authorizer(name).await?;
            let default = self
                .load::<DefaultAuthorizer>(keys::default_authorizer())
                .await?;
            let is_default = default
                .as_ref()
                .is_some_and(|d| d.value.authorizer_name == name);
            found.value.check_delete(is_default)?;
            let mut ops = vec![repo::delete(&found)];
            if let Some(default) = &default {
                ops.push(repo::check(default));
            }
            if self.commit(ops).await? {
                tracing::info!(authorizer = %name, "custom authorizer deleted");
                return Ok(json!({}));
            }
        }
        Err(contention(format!("authorizer {name}")))
    }

    /// SetDefaultAuthorizer: `{authorizerName, authorizerArn}`.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn set_default_authorizer(
        &self,
        request: SetDefaultAuthorizerRequest,
    ) -> Result<Value, ServiceError> {
        let name = request
            .authorizer_name
            .ok_or_else(|| RegistryError::invalid("authorizerName is required"))?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, found) = self.require_authorizer(&name).await?;
            let record = DefaultAuthorizer {
                authorizer_name: name.clone(),
            };
            let ops = vec![
                repo::check(&found),
                repo::put(keys::default_authorizer(), &record, Expect::Any)?,
            ];
            if self.commit(ops).await? {
                return Ok(found.value.summary(&self.config));
            }
        }
        Err(contention("the default authorizer"))
    }

    /// DescribeDefaultAuthorizer: `{authorizerDescription}`.
    ///
    /// # Errors
    /// `ResourceNotFoundException` when no default is set.
    pub async fn describe_default_authorizer(&self) -> Result<Value, ServiceError> {
        let authorizer = self
            .default_authorizer()
            .await?
            .ok_or_else(|| RegistryError::not_found("No default authorizer is set"))?;
        Ok(json!({ "authorizerDescription": authorizer.description(&self.config) }))
    }

    /// ClearDefaultAuthorizer (succeeds also when none is set).
    ///
    /// # Errors
    /// Store failures.
    pub async fn clear_default_authorizer(&self) -> Result<Value, ServiceError> {
        self.commit(vec![repo::unlink(keys::default_authorizer())])
            .await?;
        Ok(json!({}))
    }
}
