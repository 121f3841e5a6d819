//! Authenticating a device by its X.509 client certificate, and what it may then do.
//!
//! [`RegistryService::authenticate_certificate`] is what a TLS listener asks after the
//! handshake: the certificate (DER, as the client presented it, issuers after it) must be
//!
//! - well-formed and within its validity period,
//! - registered in this registry (its id is the SHA-256 of the DER) and ACTIVE,
//! - issued by a registered, ACTIVE CA certificate (RegisterCertificate), or by the local CA
//!   (CreateKeysAndCertificate, CreateCertificateFromCsr), or registered without a CA
//!   (RegisterCertificateWithoutCA, `SNI_ONLY`: trusted because the certificate itself is
//!   registered).
//!
//! Anything else is refused with an [`AuthenticationError`] that says why (for the log; the
//! client only sees "not authorized"). The answer is an [`Authorization`]: the policies attached
//! to the certificate, plus those attached to the thing groups (and their ancestors) of the
//! thing the connection is for, with the thing's name, type and attributes for the
//! `iot:Connection.Thing.*` variables and the certificate's subject and issuer for
//! `iot:Certificate.*`.
//!
//! Which thing: the one attached to the certificate whose name is the client id (AWS's rule),
//! or, failing that, the one attached exclusively (`EXCLUSIVE_THING`).
//!
//! [`RegistryService::auth_generation`] counts registry writes: any change that could alter a
//! principal's rights (certificate status, policy attachments and versions, thing principals,
//! groups, attributes) moves it, so a host that caches authorizations re-checks them when it
//! moves.

use super::error::ServiceError;
use super::{keys, RegistryService};
use crate::ca::{self, certificate_id};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use thingcore::policy::{
    AuthContext, Authorization, CertificateContext, DistinguishedName, PolicyDocument, Principal,
    ThingContext,
};
use thingcore::registry::{
    CaCertificateStatus, CertificateMode, CertificateStatus, StoredCaCertificate,
    StoredCertificate, StoredPolicy, StoredPolicyVersion, StoredThing, StoredThingGroup,
    ThingPrincipalType,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::x509::X509Name;

/// Why a client certificate is refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticationError {
    /// No certificate was presented.
    #[error("no client certificate was presented")]
    NoCertificate,
    /// The certificate does not parse.
    #[error("the client certificate does not parse: {0}")]
    Malformed(String),
    /// Its validity period has ended.
    #[error("certificate {0} has expired")]
    Expired(String),
    /// Its validity period has not begun.
    #[error("certificate {0} is not yet valid")]
    NotYetValid(String),
    /// A self-signed certificate that is not registered.
    #[error("certificate {0} is self-signed and not registered")]
    SelfSigned(String),
    /// Issued by a CA that is not registered (or no longer).
    #[error("certificate {0} is issued by a CA that is not registered")]
    CaNotRegistered(String),
    /// Its CA is registered but not ACTIVE.
    #[error("the CA of certificate {0} is not ACTIVE")]
    CaInactive(String),
    /// Not registered at all.
    #[error("certificate {0} is not registered")]
    Unknown(String),
    /// Registered but not ACTIVE.
    #[error("certificate {id} is {status}")]
    NotActive {
        /// The certificate id.
        id: String,
        /// Its status, e.g. `REVOKED`.
        status: &'static str,
    },
    /// The registry could not answer.
    #[error("the registry failed: {0}")]
    Registry(#[from] ServiceError),
}

/// An authenticated certificate and what it may do.
#[derive(Debug, Clone)]
pub struct CertificatePrincipal {
    /// The certificate id.
    pub certificate_id: String,
    /// The certificate ARN (the lifecycle events' `principalIdentifier`).
    pub certificate_arn: String,
    /// Its rights.
    pub authorization: Authorization,
}

impl RegistryService {
    /// How many registry writes there have been since this service started (in this
    /// process): re-check cached authorizations when it changes.
    pub fn auth_generation(&self) -> u64 {
        self.auth_generation.load(Ordering::Relaxed)
    }

    /// Authenticates a client certificate chain (`chain[0]` the client's certificate, DER)
    /// for a connection with `client_id`, and builds its [`Authorization`].
    ///
    /// # Errors
    /// [`AuthenticationError`] saying why the certificate is refused, or that the registry
    /// failed.
    pub async fn authenticate_certificate(
        &self,
        chain: &[Vec<u8>],
        client_id: Option<&str>,
    ) -> Result<CertificatePrincipal, AuthenticationError> {
        let der = chain.first().ok_or(AuthenticationError::NoCertificate)?;
        let (_, parsed) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| AuthenticationError::Malformed(e.to_string()))?;
        let id = certificate_id(der).as_str().to_string();
        let now = self.now_secs() as i64;
        if parsed.validity().not_after.timestamp() < now {
            return Err(AuthenticationError::Expired(id));
        }
        if parsed.validity().not_before.timestamp() > now {
            return Err(AuthenticationError::NotYetValid(id));
        }
        let Some(stored) = self
            .load::<StoredCertificate>(keys::certificate(&id))
            .await?
        else {
            return Err(self.unregistered(&id, der, &chain[1..]).await?);
        };
        let stored = stored.value;
        if stored.status != CertificateStatus::Active {
            return Err(AuthenticationError::NotActive {
                id,
                status: stored.status.as_str(),
            });
        }
        self.check_issuer(&id, der, &stored).await?;

        let arn = self.config.certificate_arn(&id);
        let thing = self.connection_thing(&arn, client_id).await?;
        let mut names: BTreeSet<String> = self
            .gather_keys(&keys::target_policies(&arn), super::repo::MAX_GATHERED)
            .await?
            .into_iter()
            .collect();
        if let Some(thing) = &thing {
            for group in self.groups_of(thing.thing_name.as_str()).await? {
                let group_arn = self.config.thing_group_arn(&group);
                names.extend(
                    self.gather_keys(
                        &keys::target_policies(&group_arn),
                        super::repo::MAX_GATHERED,
                    )
                    .await?,
                );
            }
        }
        let mut documents = Vec::with_capacity(names.len());
        for name in &names {
            if let Some(document) = self.default_policy_document(name).await? {
                documents.push(document);
            }
        }

        let mut context = AuthContext::new(
            Principal::Certificate { id: id.clone() },
            self.config.region.clone(),
            self.config.account_id.clone(),
            now,
        );
        context.client_id = client_id.map(str::to_string);
        context.certificate = Some(certificate_context(&parsed));
        context.thing = thing.map(|t| ThingContext {
            name: t.thing_name.as_str().to_string(),
            type_name: t.thing_type_name.map(|n| n.as_str().to_string()),
            attributes: t.attributes,
            is_attached: true,
        });
        Ok(CertificatePrincipal {
            certificate_id: id,
            certificate_arn: arn,
            authorization: Authorization::new(&documents, context),
        })
    }

    /// Why an unregistered certificate is refused.
    async fn unregistered(
        &self,
        id: &str,
        der: &[u8],
        issuers: &[Vec<u8>],
    ) -> Result<AuthenticationError, ServiceError> {
        if ca::is_issued_by(der, der) {
            return Ok(AuthenticationError::SelfSigned(id.to_string()));
        }
        for issuer in issuers {
            if ca::is_issued_by(der, issuer) {
                let issuer_id = certificate_id(issuer);
                let registered = self
                    .load::<StoredCaCertificate>(keys::ca_certificate(issuer_id.as_str()))
                    .await?
                    .is_some();
                if !registered {
                    return Ok(AuthenticationError::CaNotRegistered(id.to_string()));
                }
            }
        }
        Ok(AuthenticationError::Unknown(id.to_string()))
    }

    /// The certificate's issuer must be trusted: its registered CA (ACTIVE), the local CA, or
    /// none for a certificate registered without a CA.
    async fn check_issuer(
        &self,
        id: &str,
        der: &[u8],
        stored: &StoredCertificate,
    ) -> Result<(), AuthenticationError> {
        match &stored.ca_certificate_id {
            Some(ca_id) => {
                let ca = self
                    .load::<StoredCaCertificate>(keys::ca_certificate(ca_id.as_str()))
                    .await?
                    .ok_or_else(|| AuthenticationError::CaNotRegistered(id.to_string()))?
                    .value;
                if ca.status != CaCertificateStatus::Active {
                    return Err(AuthenticationError::CaInactive(id.to_string()));
                }
                let ca_der = ca::parse_certificate_pem(&ca.certificate_pem)
                    .map_err(|e| AuthenticationError::Malformed(e.to_string()))?
                    .der;
                if !ca::is_issued_by(der, &ca_der) {
                    return Err(AuthenticationError::CaNotRegistered(id.to_string()));
                }
                Ok(())
            }
            None => {
                let local = self.local_ca().await?;
                if ca::is_issued_by(der, &local.certificate().der)
                    || stored.certificate_mode == CertificateMode::SniOnly
                {
                    Ok(())
                } else {
                    Err(AuthenticationError::CaNotRegistered(id.to_string()))
                }
            }
        }
    }

    /// The thing a connection of certificate `arn` is for: the attached thing named like the
    /// client id, else the exclusively attached one.
    async fn connection_thing(
        &self,
        arn: &str,
        client_id: Option<&str>,
    ) -> Result<Option<StoredThing>, ServiceError> {
        let attached = self
            .gather(&keys::principal_things(arn), super::repo::MAX_GATHERED)
            .await?;
        let by_client_id = client_id.and_then(|c| attached.iter().find(|i| i.key.sk == c));
        let exclusive = || {
            attached.iter().find(|item| {
                serde_json::from_slice::<serde_json::Value>(&item.body)
                    .ok()
                    .and_then(|v| {
                        serde_json::from_value::<ThingPrincipalType>(
                            v["thingPrincipalType"].clone(),
                        )
                        .ok()
                    })
                    == Some(ThingPrincipalType::Exclusive)
            })
        };
        let Some(item) = by_client_id.or_else(exclusive) else {
            return Ok(None);
        };
        Ok(self
            .load::<StoredThing>(keys::thing(&item.key.sk))
            .await?
            .map(|l| l.value))
    }

    /// The groups `thing` is in, with all their ancestors.
    async fn groups_of(&self, thing: &str) -> Result<BTreeSet<String>, ServiceError> {
        let mut groups = BTreeSet::new();
        for name in self
            .gather_keys(&keys::thing_groups(thing), super::repo::MAX_GATHERED)
            .await?
        {
            if let Some(group) = self
                .load::<StoredThingGroup>(keys::thing_group(&name))
                .await?
            {
                groups.extend(
                    group
                        .value
                        .root_to_parent
                        .iter()
                        .map(|g| g.as_str().to_string()),
                );
            }
            groups.insert(name);
        }
        Ok(groups)
    }

    /// The default version of policy `name`, parsed; `None` if it is gone or unreadable.
    async fn default_policy_document(
        &self,
        name: &str,
    ) -> Result<Option<PolicyDocument>, ServiceError> {
        let Some(policy) = self.load::<StoredPolicy>(keys::policy(name)).await? else {
            return Ok(None);
        };
        let key = keys::policy_version(name, policy.value.default_version_id);
        let Some(version) = self.load::<StoredPolicyVersion>(key).await? else {
            return Ok(None);
        };
        match PolicyDocument::parse(&version.value.policy_document) {
            Ok(document) => Ok(Some(document)),
            Err(error) => {
                tracing::warn!(policy = name, %error, "a stored policy does not parse; ignored");
                Ok(None)
            }
        }
    }
}

/// The certificate's fields as the `iot:Certificate.*` policy variables see them.
fn certificate_context(certificate: &X509Certificate<'_>) -> CertificateContext {
    CertificateContext {
        subject: distinguished_name(certificate.subject()),
        issuer: distinguished_name(certificate.issuer()),
        serial_number: Some(format!("{:x}", certificate.serial)),
        not_before: Some(certificate.validity().not_before.timestamp()),
        not_after: Some(certificate.validity().not_after.timestamp()),
        ..CertificateContext::default()
    }
}

fn distinguished_name(name: &X509Name<'_>) -> DistinguishedName {
    let values = |iter: &mut dyn Iterator<Item = &x509_parser::x509::AttributeTypeAndValue<'_>>| {
        iter.filter_map(|a| a.as_str().ok().map(str::to_string))
            .collect::<Vec<_>>()
    };
    DistinguishedName {
        common_name: values(&mut name.iter_common_name()),
        country: values(&mut name.iter_country()),
        organization: values(&mut name.iter_organization()),
        organizational_unit: values(&mut name.iter_organizational_unit()),
        state: values(&mut name.iter_state_or_province()),
        ..DistinguishedName::default()
    }
}
