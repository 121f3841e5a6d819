//! Policy attachments: AttachPolicy, DetachPolicy, ListAttachedPolicies,
//! ListTargetsForPolicy.
//!
//! Targets are certificate ARNs and thing group ARNs. Attachments are kept both ways
//! (`policy-targets#{policy}`, `target-policies#{target}`), written in one transaction that
//! touches the policy and the target, so that their deletes, which refuse or clean up while
//! attachments exist, cannot race past a new one.

use super::error::ServiceError;
use super::groups::group_not_found;
use super::principals::certificate_not_found;
use super::repo::{self, Loaded};
use super::{contention, keys, RegistryService};
use serde::Deserialize;
use serde_json::{json, Value};
use thingcore::registry::policies as rules;
use thingcore::registry::{
    PolicyName, RegistryError, ResourceArn, StoredCertificate, StoredThingGroup,
};
use thingcore::store::Key;

/// The body of AttachPolicy and DetachPolicy.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTargetRequest {
    /// `target` (required): a certificate ARN or a thing group ARN.
    pub target: Option<String>,
}

/// A policy target, resolved.
enum Target {
    Certificate(Loaded<StoredCertificate>),
    Group(Loaded<StoredThingGroup>),
}

impl RegistryService {
    /// A target ARN, normalised, and the record it names.
    async fn require_target(&self, target: &str) -> Result<(String, Target), ServiceError> {
        match self.config.parse_arn("target", target)? {
            ResourceArn::Certificate(id) => {
                let found = self
                    .require(keys::certificate(id.as_str()), || {
                        certificate_not_found(id.as_str())
                    })
                    .await?;
                Ok((
                    self.config.certificate_arn(id.as_str()),
                    Target::Certificate(found),
                ))
            }
            ResourceArn::ThingGroup(group) => {
                let found = self
                    .require(keys::thing_group(group.as_str()), || {
                        group_not_found(group.as_str())
                    })
                    .await?;
                Ok((
                    self.config.thing_group_arn(group.as_str()),
                    Target::Group(found),
                ))
            }
            _ => Err(RegistryError::invalid(format!(
                "Target {target} is neither a certificate nor a thing group"
            ))
            .into()),
        }
    }

    /// AttachPolicy to a certificate or a thing group.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown policy or target, `InvalidRequestException`,
    /// `LimitExceededException` past ten policies on a target.
    pub async fn attach_policy(
        &self,
        name: &str,
        request: PolicyTargetRequest,
    ) -> Result<Value, ServiceError> {
        let target = request
            .target
            .ok_or_else(|| RegistryError::invalid("target is required"))?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, policy) = self.require_policy(name).await?;
            let (arn, found) = self.require_target(&target).await?;
            let attached = self
                .gather_keys(&keys::target_policies(&arn), repo::MAX_GATHERED)
                .await?;
            if attached.iter().any(|p| p == name.as_str()) {
                return Ok(json!({}));
            }
            rules::check_attach(&arn, attached.len())?;
            let touch_target = match &found {
                Target::Certificate(c) => repo::touch(c),
                Target::Group(g) => repo::touch(g),
            };
            let ops = vec![
                repo::touch(&policy),
                touch_target,
                repo::link(
                    Key::new(keys::policy_targets(name.as_str()), arn.as_str()),
                    None,
                ),
                repo::link(Key::new(keys::target_policies(&arn), name.as_str()), None),
            ];
            if self.commit(ops).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("policy {name}")))
    }

    /// DetachPolicy; detaching what is not attached changes nothing.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad name or target.
    pub async fn detach_policy(
        &self,
        name: &str,
        request: PolicyTargetRequest,
    ) -> Result<Value, ServiceError> {
        let name = PolicyName::parse(name)?;
        let target = request
            .target
            .ok_or_else(|| RegistryError::invalid("target is required"))?;
        let arn = match self.config.parse_arn("target", &target)? {
            ResourceArn::Certificate(id) => self.config.certificate_arn(id.as_str()),
            ResourceArn::ThingGroup(group) => self.config.thing_group_arn(group.as_str()),
            _ => {
                return Err(RegistryError::invalid(format!(
                    "Target {target} is neither a certificate nor a thing group"
                ))
                .into())
            }
        };
        self.commit(vec![
            repo::unlink(Key::new(keys::policy_targets(name.as_str()), arn.as_str())),
            repo::unlink(Key::new(keys::target_policies(&arn), name.as_str())),
        ])
        .await?;
        Ok(json!({}))
    }

    /// ListAttachedPolicies of a certificate or thing group; `recursive` adds the policies of
    /// a group's ancestors.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown target, `InvalidRequestException`.
    pub async fn list_attached_policies(
        &self,
        target: &str,
        recursive: bool,
        page_size: usize,
        marker: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let token = marker.map(repo::from_marker).transpose()?;
        let (arn, found) = self.require_target(target).await?;
        let (names, next) = match found {
            Target::Group(group) if recursive => {
                let mut names = self
                    .gather_keys(&keys::target_policies(&arn), repo::MAX_GATHERED)
                    .await?;
                for ancestor in &group.value.root_to_parent {
                    let ancestor_arn = self.config.thing_group_arn(ancestor.as_str());
                    names.extend(
                        self.gather_keys(&keys::target_policies(&ancestor_arn), repo::MAX_GATHERED)
                            .await?,
                    );
                }
                repo::page_of(names, page_size, token.as_deref())?
            }
            _ => {
                self.key_page(
                    &keys::target_policies(&arn),
                    "",
                    page_size,
                    token.as_deref(),
                )
                .await?
            }
        };
        Ok(self.policy_list(&names, next))
    }

    /// ListTargetsForPolicy.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown policy, `InvalidRequestException`.
    pub async fn list_targets_for_policy(
        &self,
        name: &str,
        page_size: usize,
        marker: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let token = marker.map(repo::from_marker).transpose()?;
        let (name, _) = self.require_policy(name).await?;
        let (targets, next) = self
            .key_page(
                &keys::policy_targets(name.as_str()),
                "",
                page_size,
                token.as_deref(),
            )
            .await?;
        let mut out = json!({ "targets": targets });
        if let Some(next) = next {
            out["nextMarker"] = json!(repo::to_marker(&next));
        }
        Ok(out)
    }
}
