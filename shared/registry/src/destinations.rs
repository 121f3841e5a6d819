//! HTTP topic rule destinations: CreateTopicRuleDestination, GetTopicRuleDestination,
//! ListTopicRuleDestinations, UpdateTopicRuleDestination, DeleteTopicRuleDestination and
//! ConfirmTopicRuleDestination, as methods of [`RegistryService`]. What a destination is and how
//! its status moves is `thingcore::rules::destination`; this file reads, decides there, and
//! writes conditionally.
//!
//! A new destination (and one set to IN_PROGRESS again) gets a confirmation request through
//! the [`DestinationConfirmer`] port, sent before the operation answers. AWS sends it
//! asynchronously, so a failed send does not fail the call: the destination becomes ERROR with
//! the failure as `statusReason` (UpdateTopicRuleDestination to IN_PROGRESS sends a new one).
//! A host without a confirmer sends nothing and leaves the destination IN_PROGRESS; it can
//! still be confirmed with the token from the Store.
//!
//! Rule writes create the destinations their HTTP actions need with
//! [`RegistryService::ensure_destination`].

use super::repo::{self, Loaded};
use super::RegistryService;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use thingcore::rules::destination::{
    check_confirmation_url, covering, destination_id, destination_key, destination_url_key,
    token_destination, UpdateEffect, DESTINATIONS_PARTITION, MAX_LIST_RESULTS,
};
use thingcore::rules::{DestinationConfirmer, DestinationStatus, RuleError, StoredDestination};
use thingcore::store::Expect;

/// The port and the control plane's base URL (for `enableUrl`) a registry sends
/// confirmation requests with.
#[derive(Clone)]
pub struct Confirmations {
    /// Sends the requests.
    pub confirmer: Arc<dyn DestinationConfirmer>,
    /// The base URL of this control plane, e.g. `http://127.0.0.1:4566`.
    pub endpoint: String,
}

/// CreateTopicRuleDestination's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDestinationRequest {
    /// `destinationConfiguration`.
    pub destination_configuration: Option<DestinationConfiguration>,
}

/// The model's `TopicRuleDestinationConfiguration`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationConfiguration {
    /// `httpUrlConfiguration`.
    pub http_url_configuration: Option<HttpUrlConfiguration>,
    /// `vpcConfiguration` (refused: VPC destinations are not made here).
    pub vpc_configuration: Option<Value>,
}

/// The model's `HttpUrlDestinationConfiguration`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpUrlConfiguration {
    /// `confirmationUrl`.
    pub confirmation_url: Option<String>,
}

/// UpdateTopicRuleDestination's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDestinationRequest {
    /// `arn`.
    pub arn: Option<String>,
    /// `status`.
    pub status: Option<String>,
}

fn required(member: &str) -> RuleError {
    RuleError::invalid(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: \
         Member must not be null"
    ))
}

fn new_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

impl RegistryService {
    /// Sends confirmation requests through `confirmations`.
    pub fn with_confirmations(mut self, confirmations: Confirmations) -> Self {
        self.confirmations = Some(confirmations);
        self
    }

    async fn require_destination(&self, arn: &str) -> Result<Loaded<StoredDestination>, RuleError> {
        let id = destination_id(&self.config, arn)?;
        self.load(destination_key(&id))
            .await?
            .ok_or_else(|| StoredDestination::missing(arn))
    }

    /// Every destination (for the rules' prefix checks).
    pub(crate) async fn all_destinations(&self) -> Result<Vec<StoredDestination>, RuleError> {
        let items = self
            .gather(DESTINATIONS_PARTITION, repo::MAX_GATHERED)
            .await?;
        Ok(items
            .iter()
            .map(repo::decode)
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// Sends `destination`'s confirmation request; a failure makes it ERROR (if it is still
    /// waiting for that very token).
    async fn send_confirmation(&self, destination: &StoredDestination) {
        let Some(confirmations) = &self.confirmations else {
            tracing::warn!(arn = %destination.arn, "no confirmer: confirmation request not sent");
            return;
        };
        let request = destination.confirmation_request(&confirmations.endpoint);
        let Err(reason) = confirmations.confirmer.send(&request).await else {
            tracing::info!(arn = %destination.arn, url = %request.url, "confirmation request sent");
            return;
        };
        tracing::warn!(arn = %destination.arn, %reason, "confirmation request failed");
        for _ in 0..repo::MAX_ATTEMPTS {
            let Ok(Some(found)) = self
                .load::<StoredDestination>(destination_key(&destination.id))
                .await
            else {
                return;
            };
            let mut changed = found.value.clone();
            if !changed.confirmation_failed(
                &destination.confirmation_token,
                &reason,
                self.now_secs(),
            ) {
                return;
            }
            match repo::replace(&found, &changed) {
                Ok(op) => match self.commit(vec![op]).await {
                    Ok(false) => continue,
                    _ => return,
                },
                Err(_) => return,
            }
        }
    }

    /// Creates the destination of `confirmation_url` and sends its confirmation request.
    async fn create_destination(
        &self,
        confirmation_url: &str,
    ) -> Result<StoredDestination, RuleError> {
        check_confirmation_url(confirmation_url)?;
        let url_key = destination_url_key(confirmation_url);
        for _ in 0..repo::MAX_ATTEMPTS {
            let id = super::new_id();
            let destination = StoredDestination::new(
                &self.config,
                &id,
                confirmation_url,
                &new_secret(),
                self.now_secs(),
            )?;
            let ops = vec![
                repo::put(destination_key(&id), &destination, Expect::Absent)?,
                repo::put(url_key.clone(), &json!({ "id": id }), Expect::Absent)?,
            ];
            if self.commit(ops).await? {
                tracing::info!(arn = %destination.arn, url = confirmation_url, "topic rule destination created");
                self.send_confirmation(&destination).await;
                return Ok(destination);
            }
            if let Some(existing) = self.load::<Value>(url_key.clone()).await? {
                let id = existing.value["id"].as_str().unwrap_or_default().to_owned();
                return Err(RuleError::ResourceAlreadyExists {
                    message: format!(
                        "A topic rule destination for {confirmation_url} already exists"
                    ),
                    resource_arn: thingcore::rules::destination::destination_arn(&self.config, &id),
                    resource_id: id,
                });
            }
        }
        Err(super::contention("topic rule destinations").into())
    }

    /// The destination an HTTP action of a rule needs: an existing one covering `url` (its
    /// `confirmationUrl` when it has one), else a new one for `confirmation_url`, or for `url`
    /// when it has no substitution template.
    ///
    /// # Errors
    /// `InvalidRequestException` when `confirmation_url` is not a prefix of `url`, or when
    /// `url` has a template and neither a confirmation URL nor a destination covers it.
    pub(crate) async fn ensure_destination(
        &self,
        url: &str,
        confirmation_url: Option<&str>,
        field: &str,
    ) -> Result<(), RuleError> {
        use thingcore::rules::destination::static_prefix;
        if let Some(confirmation) = confirmation_url {
            if !url.starts_with(confirmation) {
                return Err(RuleError::invalid(format!(
                    "{field}.http: confirmationUrl {confirmation:?} is not a prefix of url {url:?}"
                )));
            }
        }
        let wanted = confirmation_url.unwrap_or_else(|| static_prefix(url));
        let destinations = self.all_destinations().await?;
        if covering(&destinations, wanted).is_some() {
            return Ok(());
        }
        let create = match confirmation_url {
            Some(confirmation) => confirmation,
            None if !url.contains("${") => url,
            None => {
                return Err(RuleError::invalid(format!(
                    "{field}.http: url {url:?} has substitution templates: give a \
                     confirmationUrl, or create a topic rule destination for it first"
                )))
            }
        };
        match self.create_destination(create).await {
            Ok(_) | Err(RuleError::ResourceAlreadyExists { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// CreateTopicRuleDestination: `{topicRuleDestination}`, IN_PROGRESS, its confirmation
    /// request sent.
    ///
    /// # Errors
    /// `InvalidRequestException` for a missing or bad confirmation URL or a VPC destination,
    /// `ResourceAlreadyExistsException` when that URL has a destination.
    pub async fn create_topic_rule_destination(
        &self,
        request: CreateDestinationRequest,
    ) -> Result<Value, RuleError> {
        let configuration = request
            .destination_configuration
            .ok_or_else(|| required("destinationConfiguration"))?;
        if configuration.vpc_configuration.is_some() {
            return Err(RuleError::invalid(
                "VPC topic rule destinations are not supported here; use httpUrlConfiguration",
            ));
        }
        let url = configuration
            .http_url_configuration
            .ok_or_else(|| required("destinationConfiguration.httpUrlConfiguration"))?
            .confirmation_url
            .ok_or_else(|| {
                required("destinationConfiguration.httpUrlConfiguration.confirmationUrl")
            })?;
        let destination = self.create_destination(&url).await?;
        Ok(json!({ "topicRuleDestination": destination.output() }))
    }

    /// GetTopicRuleDestination: `{topicRuleDestination}`.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad ARN, `UnauthorizedException` for a missing one.
    pub async fn get_topic_rule_destination(&self, arn: &str) -> Result<Value, RuleError> {
        let found = self.require_destination(arn).await?;
        Ok(json!({ "topicRuleDestination": found.value.output() }))
    }

    /// ListTopicRuleDestinations: `{destinationSummaries, nextToken}`.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad `maxResults` or `nextToken`.
    pub async fn list_topic_rule_destinations(
        &self,
        max_results: Option<&str>,
        next_token: Option<&str>,
    ) -> Result<Value, RuleError> {
        let max = super::rules::max_results(max_results, MAX_LIST_RESULTS, MAX_LIST_RESULTS)?;
        let (summaries, next) = self
            .filtered_page(DESTINATIONS_PARTITION, "", max, next_token, |item| {
                Ok(Some(repo::decode::<StoredDestination>(item)?.summary()))
            })
            .await?;
        let mut out = json!({ "destinationSummaries": summaries });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }

    /// UpdateTopicRuleDestination: ENABLED from DISABLED, DISABLED from ENABLED, IN_PROGRESS
    /// (a new confirmation request) from any status.
    ///
    /// # Errors
    /// `InvalidRequestException` for a missing member, a bad status or a move AWS does not
    /// allow; `UnauthorizedException` for a missing destination.
    pub async fn update_topic_rule_destination(
        &self,
        request: UpdateDestinationRequest,
    ) -> Result<Value, RuleError> {
        let arn = request.arn.ok_or_else(|| required("arn"))?;
        let status: DestinationStatus =
            request.status.ok_or_else(|| required("status"))?.parse()?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let found = self.require_destination(&arn).await?;
            let mut changed = found.value.clone();
            let effect = changed.update(status, &new_secret(), self.now_secs())?;
            if self.commit(vec![repo::replace(&found, &changed)?]).await? {
                tracing::info!(%arn, %status, "topic rule destination updated");
                if effect == UpdateEffect::SendConfirmation {
                    self.send_confirmation(&changed).await;
                }
                return Ok(json!({}));
            }
        }
        Err(super::contention(format!("topic rule destination {arn}")).into())
    }

    /// DeleteTopicRuleDestination.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad ARN, `UnauthorizedException` for a missing one.
    pub async fn delete_topic_rule_destination(&self, arn: &str) -> Result<Value, RuleError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let found = self.require_destination(arn).await?;
            let url_key = destination_url_key(&found.value.confirmation_url);
            if self
                .commit(vec![repo::delete(&found), repo::unlink(url_key)])
                .await?
            {
                tracing::info!(%arn, "topic rule destination deleted");
                return Ok(json!({}));
            }
        }
        Err(super::contention(format!("topic rule destination {arn}")).into())
    }

    /// ConfirmTopicRuleDestination (also a GET on the confirmation request's `enableUrl`).
    ///
    /// # Errors
    /// `InvalidRequestException` for a token that is not a destination's current one, or a
    /// destination that is DISABLED.
    pub async fn confirm_topic_rule_destination(&self, token: &str) -> Result<Value, RuleError> {
        let id = token_destination(token)?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let found = self
                .load::<StoredDestination>(destination_key(id))
                .await?
                .ok_or_else(|| RuleError::invalid("The confirmation token is not valid"))?;
            let mut changed = found.value.clone();
            if !changed.confirm(token, self.now_secs())? {
                return Ok(json!({}));
            }
            if self.commit(vec![repo::replace(&found, &changed)?]).await? {
                tracing::info!(arn = %changed.arn, "topic rule destination confirmed");
                return Ok(json!({}));
            }
        }
        Err(super::contention("topic rule destination").into())
    }
}
