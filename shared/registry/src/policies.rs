//! Policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, CreatePolicyVersion,
//! ListPolicyVersions, GetPolicyVersion, SetDefaultPolicyVersion, DeletePolicyVersion
//! (attachments are in [`super::policy_targets`]).
//!
//! A policy is one record naming its default version, plus one record per version. A policy's
//! documents are validated by `thingcore::policy` (MalformedPolicyException).

use super::error::ServiceError;
use super::repo::{self, Loaded};
use super::{contention, generation_id, keys, RegistryService};
use serde::Deserialize;
use serde_json::{json, Value};
use thingcore::registry::policies::{self as rules, StoredPolicy, StoredPolicyVersion};
use thingcore::registry::{PolicyName, PolicyVersionId, RegistryError};
use thingcore::store::Expect;

/// The body of CreatePolicy and CreatePolicyVersion (`tags` are accepted and not kept).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDocumentRequest {
    /// `policyDocument` (required).
    pub policy_document: Option<String>,
    /// `tags`.
    pub tags: Option<Vec<Value>>,
}

pub(crate) fn policy_not_found(name: &str) -> RegistryError {
    RegistryError::not_found(format!("Policy {name} does not exist"))
}

fn version_not_found(name: &str, version: PolicyVersionId) -> RegistryError {
    RegistryError::not_found(format!("Version {version} of policy {name} does not exist"))
}

fn document(request: &PolicyDocumentRequest) -> Result<String, ServiceError> {
    let text = request
        .policy_document
        .clone()
        .ok_or_else(|| RegistryError::invalid("policyDocument is required"))?;
    rules::validate_document(&text)?;
    Ok(text)
}

impl RegistryService {
    pub(crate) async fn require_policy(
        &self,
        name: &str,
    ) -> Result<(PolicyName, Loaded<StoredPolicy>), ServiceError> {
        let name = PolicyName::parse(name)?;
        let found = self
            .require(keys::policy(name.as_str()), || {
                policy_not_found(name.as_str())
            })
            .await?;
        Ok((name, found))
    }

    async fn require_version(
        &self,
        name: &PolicyName,
        version: PolicyVersionId,
    ) -> Result<Loaded<StoredPolicyVersion>, ServiceError> {
        self.require(keys::policy_version(name.as_str(), version.0), || {
            version_not_found(name.as_str(), version)
        })
        .await
    }

    async fn version_count(&self, name: &PolicyName) -> Result<usize, ServiceError> {
        let page = self
            .page(
                &keys::policy_versions(name.as_str()),
                "",
                rules::MAX_POLICY_VERSIONS + 1,
                None,
            )
            .await?;
        Ok(page.items.len())
    }

    /// CreatePolicy: version 1, the default.
    ///
    /// # Errors
    /// `MalformedPolicyException`, `ResourceAlreadyExistsException`,
    /// `InvalidRequestException`.
    pub async fn create_policy(
        &self,
        name: &str,
        request: PolicyDocumentRequest,
    ) -> Result<Value, ServiceError> {
        let name = PolicyName::parse(name)?;
        let text = document(&request)?;
        let arn = self.config.policy_arn(name.as_str());
        let (policy, version) =
            rules::new_policy(name.clone(), text.clone(), self.now_secs(), generation_id());
        let ops = vec![
            repo::put(keys::policy(name.as_str()), &policy, Expect::Absent)?,
            repo::put(
                keys::policy_version(name.as_str(), 1),
                &version,
                Expect::Any,
            )?,
        ];
        if !self.commit(ops).await? {
            return Err(RegistryError::already_exists(
                format!("Policy cannot be created - name already exists (name={name})"),
                name.as_str(),
                arn,
            )
            .into());
        }
        Ok(json!({
            "policyName": name,
            "policyArn": arn,
            "policyDocument": text,
            "policyVersionId": "1",
        }))
    }

    /// GetPolicy: the policy with its default version's document.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn get_policy(&self, name: &str) -> Result<Value, ServiceError> {
        let (name, policy) = self.require_policy(name).await?;
        let policy = policy.value;
        let default = PolicyVersionId(policy.default_version_id);
        let version = self.require_version(&name, default).await?.value;
        Ok(json!({
            "policyName": name,
            "policyArn": self.config.policy_arn(name.as_str()),
            "policyDocument": version.policy_document,
            "defaultVersionId": default.to_string(),
            "creationDate": policy.creation_date,
            "lastModifiedDate": policy.last_modified_date,
            "generationId": policy.generation_id,
        }))
    }

    pub(crate) fn policy_list(&self, names: &[String], next: Option<String>) -> Value {
        let policies: Vec<Value> = names
            .iter()
            .map(|n| json!({ "policyName": n, "policyArn": self.config.policy_arn(n) }))
            .collect();
        let mut out = json!({ "policies": policies });
        if let Some(next) = next {
            out["nextMarker"] = json!(repo::to_marker(&next));
        }
        out
    }

    /// ListPolicies, in name order.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad marker.
    pub async fn list_policies(
        &self,
        page_size: usize,
        marker: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let token = marker.map(repo::from_marker).transpose()?;
        let (names, next) = self
            .key_page(keys::POLICIES, "", page_size, token.as_deref())
            .await?;
        Ok(self.policy_list(&names, next))
    }

    /// DeletePolicy.
    ///
    /// # Errors
    /// `ResourceNotFoundException`; `DeleteConflictException` while attached or while it has
    /// versions other than the default.
    pub async fn delete_policy(&self, name: &str) -> Result<Value, ServiceError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, policy) = self.require_policy(name).await?;
            let count = self.version_count(&name).await?;
            let attached = !self.is_empty(&keys::policy_targets(name.as_str())).await?;
            rules::check_delete_policy(&policy.value, count, attached)?;
            let ops = vec![
                repo::delete(&policy),
                repo::unlink(keys::policy_version(
                    name.as_str(),
                    policy.value.default_version_id,
                )),
            ];
            if self.commit(ops).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("policy {name}")))
    }

    /// CreatePolicyVersion.
    ///
    /// # Errors
    /// `MalformedPolicyException`, `VersionsLimitExceededException`,
    /// `ResourceNotFoundException`, `InvalidRequestException`.
    pub async fn create_policy_version(
        &self,
        name: &str,
        request: PolicyDocumentRequest,
        set_as_default: bool,
    ) -> Result<Value, ServiceError> {
        let text = document(&request)?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, policy) = self.require_policy(name).await?;
            let count = self.version_count(&name).await?;
            let (next, version) = rules::add_version(
                &policy.value,
                count,
                text.clone(),
                set_as_default,
                self.now_secs(),
                generation_id(),
            )?;
            let ops = vec![
                repo::replace(&policy, &next)?,
                repo::put(
                    keys::policy_version(name.as_str(), version.version_id),
                    &version,
                    Expect::Absent,
                )?,
            ];
            if self.commit(ops).await? {
                return Ok(json!({
                    "policyArn": self.config.policy_arn(name.as_str()),
                    "policyDocument": text,
                    "policyVersionId": version.version_id.to_string(),
                    "isDefaultVersion": next.default_version_id == version.version_id,
                }));
            }
        }
        Err(contention(format!("policy {name}")))
    }

    /// ListPolicyVersions.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn list_policy_versions(&self, name: &str) -> Result<Value, ServiceError> {
        let (name, policy) = self.require_policy(name).await?;
        let versions: Vec<Value> = self
            .gather(&keys::policy_versions(name.as_str()), repo::MAX_GATHERED)
            .await?
            .iter()
            .map(|item| {
                let version: StoredPolicyVersion = repo::decode(item)?;
                Ok(json!({
                    "versionId": version.version_id.to_string(),
                    "isDefaultVersion": version.version_id == policy.value.default_version_id,
                    "createDate": version.creation_date,
                }))
            })
            .collect::<Result<_, ServiceError>>()?;
        Ok(json!({ "policyVersions": versions }))
    }

    /// GetPolicyVersion.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn get_policy_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Value, ServiceError> {
        let version = PolicyVersionId::parse(version)?;
        let (name, policy) = self.require_policy(name).await?;
        let found = self.require_version(&name, version).await?.value;
        Ok(json!({
            "policyArn": self.config.policy_arn(name.as_str()),
            "policyName": name,
            "policyDocument": found.policy_document,
            "policyVersionId": version.to_string(),
            "isDefaultVersion": policy.value.default_version_id == version.0,
            "creationDate": found.creation_date,
            "lastModifiedDate": found.creation_date,
            "generationId": policy.value.generation_id,
        }))
    }

    /// SetDefaultPolicyVersion.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn set_default_policy_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Value, ServiceError> {
        let version = PolicyVersionId::parse(version)?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, policy) = self.require_policy(name).await?;
            let found = self.require_version(&name, version).await?;
            if policy.value.default_version_id == version.0 {
                return Ok(json!({}));
            }
            let next = rules::set_default(&policy.value, version, self.now_secs(), generation_id());
            if self
                .commit(vec![repo::replace(&policy, &next)?, repo::check(&found)])
                .await?
            {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("policy {name}")))
    }

    /// DeletePolicyVersion.
    ///
    /// # Errors
    /// `ResourceNotFoundException`; `DeleteConflictException` for the default version.
    pub async fn delete_policy_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Value, ServiceError> {
        let version = PolicyVersionId::parse(version)?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, policy) = self.require_policy(name).await?;
            let found = self.require_version(&name, version).await?;
            rules::check_delete_version(&policy.value, version)?;
            if self
                .commit(vec![repo::check(&policy), repo::delete(&found)])
                .await?
            {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("policy {name}")))
    }
}
