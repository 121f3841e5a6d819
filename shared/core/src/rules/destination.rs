//! HTTP topic rule destinations: what CreateTopicRuleDestination makes, how its status moves
//! (UpdateTopicRuleDestination, ConfirmTopicRuleDestination), which destination covers an HTTP
//! action's URL, and the confirmation request AWS sends to a new destination. Pure: ids,
//! tokens and times come from the caller; the request is sent through the
//! [`DestinationConfirmer`] port.
//!
//! | partition key | sort key | item |
//! |---------------|----------|------|
//! | `rule-destination` | destination id (UUID) | [`StoredDestination`] |
//! | `rule-destination-url` | SHA-256 (hex) of the confirmation URL | `{"id": ...}`: one destination per URL |
//!
//! Choices where AWS's pages are silent:
//! - The confirmation token is `{destination id}.{secret}`, so a confirmation finds its
//!   destination by key; a token that names no destination, or not its current secret, is
//!   `InvalidRequestException`.
//! - IN_PROGRESS may be requested from any status (a new token and a new confirmation request);
//!   ENABLED only from DISABLED and DISABLED only from ENABLED, as AWS documents; ERROR and
//!   DELETING are never requested. Requesting the current status is refused like any other
//!   move the table does not allow.
//! - A confirmation moves IN_PROGRESS or ERROR to ENABLED; confirming an ENABLED destination
//!   again is a no-op; a DISABLED one is refused (enable it with UpdateTopicRuleDestination).
//! - "Covers" is AWS's plain prefix test: the confirmation URL is a prefix of the URL.
//! - A missing destination is `UnauthorizedException` ("Access to topic rule destination ...
//!   was denied"), as for a missing rule.

use super::error::RuleError;
use crate::registry::RegistryConfig;
use crate::store::Key;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The partition of the destinations.
pub const DESTINATIONS_PARTITION: &str = "rule-destination";
/// The partition that keeps confirmation URLs unique.
pub const DESTINATION_URLS_PARTITION: &str = "rule-destination-url";
/// The model's `Url` maximum.
pub const MAX_URL_CHARS: usize = 2000;
/// The model's `ConfirmationToken` maximum.
pub const MAX_TOKEN_CHARS: usize = 2048;
/// The model's `TopicRuleDestinationMaxResults` maximum (also the default page).
pub const MAX_LIST_RESULTS: usize = 1000;

/// The Store key of destination `id`.
pub fn destination_key(id: &str) -> Key {
    Key::new(DESTINATIONS_PARTITION, id)
}

/// The Store key that holds the one destination of `confirmation_url`.
pub fn destination_url_key(confirmation_url: &str) -> Key {
    let digest = Sha256::digest(confirmation_url.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Key::new(DESTINATION_URLS_PARTITION, hex)
}

/// `arn:{partition}:iot:{region}:{account}:ruledestination/http/{id}`.
pub fn destination_arn(config: &RegistryConfig, id: &str) -> String {
    format!(
        "arn:{}:iot:{}:{}:ruledestination/http/{id}",
        config.partition(),
        config.region,
        config.account_id
    )
}

/// The destination id inside an ARN [`destination_arn`] made.
///
/// # Errors
/// `InvalidRequestException` for anything else.
pub fn destination_id(config: &RegistryConfig, arn: &str) -> Result<String, RuleError> {
    let prefix = destination_arn(config, "");
    arn.strip_prefix(&prefix)
        .filter(|id| is_id(id))
        .map(str::to_owned)
        .ok_or_else(|| {
            RuleError::invalid(format!(
                "{arn:?} is not the ARN of a topic rule destination"
            ))
        })
}

/// Whether `id` is a UUID in its hyphenated form.
fn is_id(id: &str) -> bool {
    id.len() == 36
        && id.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// The token of a confirmation of destination `id`: `{id}.{secret}`.
pub fn confirmation_token(id: &str, secret: &str) -> String {
    format!("{id}.{secret}")
}

/// The destination id a confirmation token names.
///
/// # Errors
/// `InvalidRequestException` for a token this service did not make.
pub fn token_destination(token: &str) -> Result<&str, RuleError> {
    let bad = || RuleError::invalid("The confirmation token is not valid");
    if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
        return Err(bad());
    }
    match token.split_once('.') {
        Some((id, secret)) if is_id(id) && !secret.is_empty() => Ok(id),
        _ => Err(bad()),
    }
}

/// Checks a confirmation URL: an absolute `https://` (or, locally, `http://`) URL of at most
/// 2000 characters, without substitution templates.
///
/// # Errors
/// `InvalidRequestException` saying what is wrong.
pub fn check_confirmation_url(url: &str) -> Result<(), RuleError> {
    let bad = |why: &str| RuleError::invalid(format!("confirmationUrl {url:?} {why}"));
    if url.chars().count() > MAX_URL_CHARS {
        return Err(bad("is longer than 2000 characters"));
    }
    if url.contains("${") {
        return Err(bad("must not contain substitution templates"));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("is not an https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("has no host"));
    }
    Ok(())
}

/// Whether a destination for `confirmation_url` covers `url`: AWS's prefix test.
pub fn covers(confirmation_url: &str, url: &str) -> bool {
    url.starts_with(confirmation_url)
}

/// The text before an HTTP action URL's first substitution template (all of it when it has
/// none): the part a destination must cover before the templates are known.
pub fn static_prefix(url: &str) -> &str {
    url.find("${").map_or(url, |at| &url[..at])
}

/// A topic rule destination's status (the model's `TopicRuleDestinationStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DestinationStatus {
    /// Confirmed; traffic flows.
    Enabled,
    /// Waiting for its confirmation.
    InProgress,
    /// Confirmed; traffic stopped.
    Disabled,
    /// The confirmation could not be completed.
    Error,
    /// Being deleted.
    Deleting,
}

impl DestinationStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationStatus::Enabled => "ENABLED",
            DestinationStatus::InProgress => "IN_PROGRESS",
            DestinationStatus::Disabled => "DISABLED",
            DestinationStatus::Error => "ERROR",
            DestinationStatus::Deleting => "DELETING",
        }
    }
}

impl fmt::Display for DestinationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DestinationStatus {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, RuleError> {
        match text {
            "ENABLED" => Ok(DestinationStatus::Enabled),
            "IN_PROGRESS" => Ok(DestinationStatus::InProgress),
            "DISABLED" => Ok(DestinationStatus::Disabled),
            "ERROR" => Ok(DestinationStatus::Error),
            "DELETING" => Ok(DestinationStatus::Deleting),
            other => Err(RuleError::invalid(format!(
                "1 validation error detected: Value '{other}' at 'status' failed to satisfy \
                 constraint: Member must satisfy enum value set: [ENABLED, IN_PROGRESS, \
                 DISABLED, ERROR, DELETING]"
            ))),
        }
    }
}

/// A destination as the Store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredDestination {
    /// The id (a UUID), the ARN's last part.
    pub id: String,
    /// The ARN.
    pub arn: String,
    /// The status.
    pub status: DestinationStatus,
    /// Why it has that status, when there is more to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Epoch seconds of its creation.
    pub created_at: u64,
    /// Epoch seconds of its last change.
    pub last_updated_at: u64,
    /// The URL that received the confirmation request; it covers the URLs it prefixes.
    pub confirmation_url: String,
    /// The current confirmation token.
    pub confirmation_token: String,
}

/// What [`StoredDestination::update`] asks the caller to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateEffect {
    /// Nothing more: the status changed.
    None,
    /// Send a new confirmation request (the status is IN_PROGRESS with a new token).
    SendConfirmation,
}

impl StoredDestination {
    /// A new destination for `confirmation_url` (checked with [`check_confirmation_url`]),
    /// IN_PROGRESS, confirmed by `{id}.{secret}`.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad confirmation URL.
    pub fn new(
        config: &RegistryConfig,
        id: &str,
        confirmation_url: &str,
        secret: &str,
        now: u64,
    ) -> Result<Self, RuleError> {
        check_confirmation_url(confirmation_url)?;
        Ok(Self {
            id: id.to_owned(),
            arn: destination_arn(config, id),
            status: DestinationStatus::InProgress,
            status_reason: None,
            created_at: now,
            last_updated_at: now,
            confirmation_url: confirmation_url.to_owned(),
            confirmation_token: confirmation_token(id, secret),
        })
    }

    /// The refusal for a destination that does not exist.
    pub fn missing(arn: &str) -> RuleError {
        RuleError::Unauthorized(format!(
            "Access to topic rule destination '{arn}' was denied"
        ))
    }

    /// The model's `TopicRuleDestination`.
    pub fn output(&self) -> Value {
        let mut out = json!({
            "arn": self.arn,
            "status": self.status,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "httpUrlProperties": {"confirmationUrl": self.confirmation_url},
        });
        if let Some(reason) = &self.status_reason {
            out["statusReason"] = json!(reason);
        }
        out
    }

    /// The model's `TopicRuleDestinationSummary`.
    pub fn summary(&self) -> Value {
        let mut out = self.output();
        if let Some(map) = out.as_object_mut() {
            if let Some(props) = map.remove("httpUrlProperties") {
                map.insert("httpUrlSummary".into(), props);
            }
        }
        out
    }

    /// UpdateTopicRuleDestination's move to `requested`; `secret` makes the new token when
    /// the move is to IN_PROGRESS.
    ///
    /// # Errors
    /// `InvalidRequestException` for a move AWS does not allow.
    pub fn update(
        &mut self,
        requested: DestinationStatus,
        secret: &str,
        now: u64,
    ) -> Result<UpdateEffect, RuleError> {
        use DestinationStatus::*;
        let refuse = |why: &str| {
            RuleError::invalid(format!(
                "Cannot set the status of topic rule destination {} from {} to {requested}: {why}",
                self.arn, self.status
            ))
        };
        let effect = match (self.status, requested) {
            (Disabled, Enabled) | (Enabled, Disabled) => UpdateEffect::None,
            (_, Enabled) => return Err(refuse("only a DISABLED destination can be enabled")),
            (_, Disabled) => return Err(refuse("only an ENABLED destination can be disabled")),
            (Deleting, InProgress) => return Err(refuse("it is being deleted")),
            (_, InProgress) => {
                self.confirmation_token = confirmation_token(&self.id, secret);
                UpdateEffect::SendConfirmation
            }
            (_, Error | Deleting) => {
                return Err(refuse("the status can be ENABLED, DISABLED or IN_PROGRESS"))
            }
        };
        self.status = requested;
        self.status_reason = None;
        self.last_updated_at = now;
        Ok(effect)
    }

    /// ConfirmTopicRuleDestination with `token`; `false` when there was nothing to change
    /// (already ENABLED).
    ///
    /// # Errors
    /// `InvalidRequestException` for a token that is not the current one, or a destination
    /// that is DISABLED or DELETING.
    pub fn confirm(&mut self, token: &str, now: u64) -> Result<bool, RuleError> {
        if token != self.confirmation_token {
            return Err(RuleError::invalid("The confirmation token is not valid"));
        }
        match self.status {
            DestinationStatus::Enabled => Ok(false),
            DestinationStatus::InProgress | DestinationStatus::Error => {
                self.status = DestinationStatus::Enabled;
                self.status_reason = None;
                self.last_updated_at = now;
                Ok(true)
            }
            other => Err(RuleError::invalid(format!(
                "Topic rule destination {} is {other} and cannot be confirmed",
                self.arn
            ))),
        }
    }

    /// Records that the confirmation request could not be delivered: ERROR with `reason`.
    /// `false` (nothing changed) unless it is IN_PROGRESS with `token`.
    pub fn confirmation_failed(&mut self, token: &str, reason: &str, now: u64) -> bool {
        if self.status != DestinationStatus::InProgress || self.confirmation_token != token {
            return false;
        }
        self.status = DestinationStatus::Error;
        self.status_reason = Some(format!("Confirmation request failed: {reason}"));
        self.last_updated_at = now;
        true
    }

    /// The confirmation request of this destination; `endpoint` is the control plane's base
    /// URL (`https://iot.{region}.amazonaws.com` on AWS) for `enableUrl`.
    pub fn confirmation_request(&self, endpoint: &str) -> ConfirmationRequest {
        let base = self.confirmation_url.trim_end_matches('/');
        ConfirmationRequest {
            url: format!("{base}/?confirmationToken={}", self.confirmation_token),
            arn: self.arn.clone(),
            token: self.confirmation_token.clone(),
            enable_url: format!(
                "{}/confirmdestination/{}",
                endpoint.trim_end_matches('/'),
                self.confirmation_token
            ),
        }
    }
}

/// The destination among `destinations` that covers `url`: the longest confirmation URL
/// that is a prefix of it.
pub fn covering<'a>(
    destinations: &'a [StoredDestination],
    url: &str,
) -> Option<&'a StoredDestination> {
    destinations
        .iter()
        .filter(|d| covers(&d.confirmation_url, url))
        .max_by_key(|d| d.confirmation_url.len())
}

/// Whether an HTTP action may deliver to `url`: some ENABLED destination covers it.
///
/// # Errors
/// The text of the failure for the error action, AWS-like, when none does.
pub fn check_delivery(destinations: &[StoredDestination], url: &str) -> Result<(), String> {
    let enabled = destinations
        .iter()
        .filter(|d| d.status == DestinationStatus::Enabled && covers(&d.confirmation_url, url))
        .count();
    if enabled > 0 {
        return Ok(());
    }
    Err(match covering(destinations, url) {
        Some(d) => format!(
            "HttpAction failed to make a request to the specified endpoint. The topic rule \
             destination {} is {}, not ENABLED. URL: {url}",
            d.arn, d.status
        ),
        None => format!(
            "HttpAction failed to make a request to the specified endpoint. No topic rule \
             destination covers the URL. URL: {url}"
        ),
    })
}

/// The request AWS sends to a destination's confirmation URL: `POST {url}` with
/// [`ConfirmationRequest::headers`] and [`ConfirmationRequest::body`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationRequest {
    /// `{confirmationUrl}/?confirmationToken={token}`.
    pub url: String,
    /// The destination's ARN.
    pub arn: String,
    /// The confirmation token.
    pub token: String,
    /// Where a GET confirms the destination.
    pub enable_url: String,
}

impl ConfirmationRequest {
    /// The headers: message type, destination ARN, content type.
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            (
                "x-amz-rules-engine-message-type",
                "DestinationConfirmation".to_owned(),
            ),
            ("x-amz-rules-engine-destination-arn", self.arn.clone()),
            ("content-type", "application/json".to_owned()),
        ]
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        json!({
            "arn": self.arn,
            "confirmationToken": self.token,
            "enableUrl": self.enable_url,
            "messageType": "DestinationConfirmation",
        })
    }
}

/// The port that delivers confirmation requests (an HTTP client in the hosts, a recorder in
/// tests).
#[async_trait]
pub trait DestinationConfirmer: Send + Sync {
    /// POSTs `request`.
    ///
    /// # Errors
    /// Why it was not delivered (no answer, a status that is not 2xx...).
    async fn send(&self, request: &ConfirmationRequest) -> Result<(), String>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use DestinationStatus::*;

    const ID: &str = "7a280e37-b9c6-47a2-a751-0703693f46e4";

    fn destination() -> StoredDestination {
        StoredDestination::new(
            &RegistryConfig::default(),
            ID,
            "https://example.com/hook",
            "s1",
            10,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn arns_and_tokens_round_trip() {
        let config = RegistryConfig::default();
        let arn = destination_arn(&config, ID);
        assert_eq!(
            arn,
            format!("arn:aws:iot:us-east-1:000000000000:ruledestination/http/{ID}")
        );
        assert_eq!(destination_id(&config, &arn).ok().as_deref(), Some(ID));
        for bad in [
            "",
            "arn:aws:iot:us-east-1:000000000000:rule/x",
            &arn[..arn.len() - 1],
        ] {
            assert!(destination_id(&config, bad).is_err(), "{bad}");
        }
        let token = confirmation_token(ID, "secret");
        assert_eq!(token_destination(&token).ok(), Some(ID));
        for bad in ["", "x.y", ID, &format!("{ID}."), &"a".repeat(3000)] {
            assert!(token_destination(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn confirmation_urls_are_checked() {
        for good in ["https://example.com", "http://127.0.0.1:8080/a/"] {
            assert!(check_confirmation_url(good).is_ok(), "{good}");
        }
        let long = format!("https://h/{}", "a".repeat(2000));
        for bad in ["", "ftp://h/", "https://", "https://h/${topic()}", &long] {
            assert!(
                matches!(
                    check_confirmation_url(bad),
                    Err(RuleError::InvalidRequest(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_status_moves_as_aws_documents() {
        let mut d = destination();
        assert_eq!(d.status, InProgress);
        // Only DISABLED can be enabled, only ENABLED disabled.
        assert!(d.update(Enabled, "x", 11).is_err());
        assert!(d.update(Disabled, "x", 11).is_err());
        assert!(d.update(Error, "x", 11).is_err());
        assert!(d.confirm("wrong", 11).is_err());
        let token = d.confirmation_token.clone();
        assert_eq!(d.confirm(&token, 12).ok(), Some(true));
        assert_eq!((d.status, d.last_updated_at), (Enabled, 12));
        assert_eq!(d.confirm(&token, 13).ok(), Some(false));
        assert!(d.update(Enabled, "x", 13).is_err());
        assert_eq!(d.update(Disabled, "x", 14).ok(), Some(UpdateEffect::None));
        assert!(
            d.confirm(&token, 15).is_err(),
            "a disabled one is not confirmed"
        );
        assert_eq!(d.update(Enabled, "x", 15).ok(), Some(UpdateEffect::None));
        // IN_PROGRESS: a new token; the old one no longer confirms.
        assert_eq!(
            d.update(InProgress, "s2", 16).ok(),
            Some(UpdateEffect::SendConfirmation)
        );
        assert_eq!(d.confirmation_token, confirmation_token(ID, "s2"));
        assert!(d.confirm(&token, 17).is_err());
        assert!(d.update(Deleting, "x", 17).is_err());
    }

    #[test]
    fn a_failed_confirmation_request_is_an_error_until_requested_again() {
        let mut d = destination();
        let token = d.confirmation_token.clone();
        assert!(!d.confirmation_failed("old", "refused", 11));
        assert!(d.confirmation_failed(&token, "connection refused", 11));
        assert_eq!(d.status, Error);
        assert_eq!(
            d.output()["statusReason"],
            "Confirmation request failed: connection refused"
        );
        assert_eq!(
            d.update(InProgress, "s2", 12).ok(),
            Some(UpdateEffect::SendConfirmation)
        );
        assert_eq!(d.status_reason, None);
    }

    #[test]
    fn outputs_have_the_models_members() {
        let d = destination();
        let arn = d.arn.clone();
        assert_eq!(
            d.output(),
            json!({"arn": arn, "status": "IN_PROGRESS", "createdAt": 10, "lastUpdatedAt": 10,
                   "httpUrlProperties": {"confirmationUrl": "https://example.com/hook"}})
        );
        assert_eq!(
            d.summary()["httpUrlSummary"]["confirmationUrl"],
            "https://example.com/hook"
        );
        assert!(d.summary().get("httpUrlProperties").is_none());
        let back: StoredDestination =
            serde_json::from_value(serde_json::to_value(&d).unwrap_or_default())
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, d);
    }

    #[test]
    fn the_confirmation_request_is_awss() {
        let d = destination();
        let r = d.confirmation_request("http://localhost:4566/");
        let token = format!("{ID}.s1");
        assert_eq!(
            r.url,
            format!("https://example.com/hook/?confirmationToken={token}")
        );
        assert_eq!(
            r.body(),
            json!({"arn": d.arn, "confirmationToken": token,
                   "enableUrl": format!("http://localhost:4566/confirmdestination/{token}"),
                   "messageType": "DestinationConfirmation"})
        );
        assert_eq!(r.headers()[0].1, "DestinationConfirmation");
        assert_eq!(r.headers()[1].1, d.arn);
    }

    #[test]
    fn delivery_needs_an_enabled_covering_destination() {
        let mut d = destination();
        let url = "https://example.com/hook/device-1";
        let none = check_delivery(&[], url).err().unwrap_or_default();
        assert!(none.contains("No topic rule destination covers"), "{none}");
        let waiting = check_delivery(std::slice::from_ref(&d), url)
            .err()
            .unwrap_or_default();
        assert!(waiting.contains("is IN_PROGRESS, not ENABLED"), "{waiting}");
        let token = d.confirmation_token.clone();
        assert!(d.confirm(&token, 11).is_ok());
        assert!(check_delivery(std::slice::from_ref(&d), url).is_ok());
        assert!(check_delivery(std::slice::from_ref(&d), "https://example.com/other").is_err());
        assert!(
            covers("https://a/b", "https://a/bc"),
            "a plain prefix, as AWS says"
        );
        assert_eq!(static_prefix("https://a/${topic()}/x"), "https://a/");
        assert_eq!(static_prefix("https://a/b"), "https://a/b");
    }

    #[test]
    fn url_keys_do_not_carry_the_url() {
        let key = destination_url_key(&format!("https://h/{}", "a".repeat(1990)));
        assert_eq!(key.sk.len(), 64);
        assert_eq!(key.pk, DESTINATION_URLS_PARTITION);
    }
}
