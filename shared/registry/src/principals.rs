//! Principals of things: AttachThingPrincipal, DetachThingPrincipal, ListThingPrincipals,
//! ListPrincipalThings. The principal travels in the `x-amzn-principal` header; principals are
//! the ARNs of registered certificates (Cognito identities are not kept here).
//!
//! An attachment is written both ways in one transaction that also touches the thing and the
//! certificate, so DeleteThing and DeleteCertificate, which refuse while attachments exist,
//! cannot race past a new one.

use super::error::ServiceError;
use super::repo::{self, Loaded};
use super::things::thing_not_found;
use super::{contention, keys, RegistryService};
use serde_json::{json, Value};
use thingcore::registry::principals::{self, AttachPrincipal};
use thingcore::registry::{
    CertificateId, RegistryError, ResourceArn, StoredCertificate, StoredThing, ThingName,
    ThingPrincipalType,
};
use thingcore::store::Key;

pub(crate) fn certificate_not_found(id: &str) -> RegistryError {
    RegistryError::not_found(format!("Certificate {id} does not exist"))
}

impl RegistryService {
    /// The certificate a principal ARN names, normalised, with the record.
    pub(crate) async fn principal_certificate(
        &self,
        principal: Option<&str>,
    ) -> Result<(String, Loaded<StoredCertificate>), ServiceError> {
        let principal = principal.filter(|p| !p.is_empty()).ok_or_else(|| {
            RegistryError::invalid("The principal (x-amzn-principal) is required")
        })?;
        let id: CertificateId = match self.config.parse_arn("principal", principal)? {
            ResourceArn::Certificate(id) => id,
            _ => {
                return Err(RegistryError::invalid(format!(
                    "Principal {principal} is not a certificate ARN"
                ))
                .into())
            }
        };
        let certificate = self
            .require(keys::certificate(id.as_str()), || {
                certificate_not_found(id.as_str())
            })
            .await?;
        Ok((self.config.certificate_arn(id.as_str()), certificate))
    }

    async fn require_thing(
        &self,
        name: &str,
    ) -> Result<(ThingName, Loaded<StoredThing>), ServiceError> {
        let name = ThingName::parse(name)?;
        let thing = self
            .require(keys::thing(name.as_str()), || {
                thing_not_found(name.as_str())
            })
            .await?;
        Ok((name, thing))
    }

    /// AttachThingPrincipal.
    ///
    /// # Errors
    /// `InvalidRequestException` (bad input, exclusive attachments),
    /// `ResourceNotFoundException` for an unknown thing or certificate.
    pub async fn attach_thing_principal(
        &self,
        thing: &str,
        principal: Option<&str>,
        principal_type: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let requested = principal_type
            .map(ThingPrincipalType::parse)
            .transpose()?
            .unwrap_or(ThingPrincipalType::NonExclusive);
        for _ in 0..repo::MAX_ATTEMPTS {
            let (name, thing) = self.require_thing(thing).await?;
            let (arn, certificate) = self.principal_certificate(principal).await?;
            let mut current = Vec::new();
            for item in self
                .gather(&keys::principal_things(&arn), repo::MAX_GATHERED)
                .await?
            {
                let kind = serde_json::from_slice::<Value>(&item.body)
                    .ok()
                    .and_then(|v| serde_json::from_value(v["thingPrincipalType"].clone()).ok())
                    .unwrap_or(ThingPrincipalType::NonExclusive);
                current.push((item.key.sk, kind));
            }
            match principals::decide_attach(&arn, name.as_str(), &current, requested)? {
                AttachPrincipal::AlreadyAttached => return Ok(json!({})),
                AttachPrincipal::Attach => {}
            }
            let body = json!({ "thingPrincipalType": requested });
            let ops = vec![
                repo::touch(&thing),
                repo::touch(&certificate),
                repo::link(
                    Key::new(keys::thing_principals(name.as_str()), arn.as_str()),
                    Some(&body),
                ),
                repo::link(
                    Key::new(keys::principal_things(&arn), name.as_str()),
                    Some(&body),
                ),
            ];
            if self.commit(ops).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("thing {thing}")))
    }

    /// DetachThingPrincipal; detaching what is not attached changes nothing.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException` for an unknown thing or
    /// certificate.
    pub async fn detach_thing_principal(
        &self,
        thing: &str,
        principal: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let (name, _) = self.require_thing(thing).await?;
        let (arn, _) = self.principal_certificate(principal).await?;
        self.commit(vec![
            repo::unlink(Key::new(
                keys::thing_principals(name.as_str()),
                arn.as_str(),
            )),
            repo::unlink(Key::new(keys::principal_things(&arn), name.as_str())),
        ])
        .await?;
        Ok(json!({}))
    }

    /// ListThingPrincipals.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException` for an unknown thing.
    pub async fn list_thing_principals(
        &self,
        thing: &str,
        max_results: usize,
        next_token: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let (name, _) = self.require_thing(thing).await?;
        let (principals, next) = self
            .key_page(
                &keys::thing_principals(name.as_str()),
                "",
                max_results,
                next_token,
            )
            .await?;
        let mut out = json!({ "principals": principals });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }

    /// ListPrincipalThings.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException` for an unknown certificate.
    pub async fn list_principal_things(
        &self,
        principal: Option<&str>,
        max_results: usize,
        next_token: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let (arn, _) = self.principal_certificate(principal).await?;
        let (things, next) = self
            .key_page(&keys::principal_things(&arn), "", max_results, next_token)
            .await?;
        let mut out = json!({ "things": things });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }
}
