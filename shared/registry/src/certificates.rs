//! Device certificates: CreateKeysAndCertificate and CreateCertificateFromCsr (signed by the
//! local CA), RegisterCertificate (signed by a registered CA), RegisterCertificateWithoutCA,
//! DescribeCertificate, ListCertificates, ListCertificatesByCA, UpdateCertificate and
//! DeleteCertificate. Lists are in certificate-id order; `isAscendingOrder` is accepted but
//! does not change it.

use super::error::ServiceError;
use super::principals::certificate_not_found;
use super::repo::{self, Loaded};
use super::{contention, generation_id, keys, RegistryService};
use crate::ca::{self, CaError, ParsedCertificate};
use serde::Deserialize;
use serde_json::{json, Value};
use thingcore::registry::certificate::{self, registration_status};
use thingcore::registry::{
    CertificateId, CertificateMode, CertificateStatus, RegistryError, StoredCaCertificate,
    StoredCertificate,
};
use thingcore::store::{Expect, Key};

/// Longest certificate or CSR PEM the model accepts.
const MAX_PEM_LEN: usize = 65_536;
/// Longest CSR the model accepts.
const MAX_CSR_LEN: usize = 4096;

/// CreateCertificateFromCsr's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCertificateFromCsrRequest {
    /// `certificateSigningRequest` (required).
    pub certificate_signing_request: Option<String>,
}

/// RegisterCertificate's and RegisterCertificateWithoutCA's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterCertificateRequest {
    /// `certificatePem` (required).
    pub certificate_pem: Option<String>,
    /// `caCertificatePem` (RegisterCertificate only).
    pub ca_certificate_pem: Option<String>,
    /// `status`.
    pub status: Option<String>,
}

/// A PEM field checked for presence and length.
pub(crate) fn required_pem<'a>(
    field: &str,
    value: Option<&'a str>,
    max: usize,
) -> Result<&'a str, ServiceError> {
    match value {
        None | Some("") => Err(RegistryError::invalid(format!("{field} is required")).into()),
        Some(text) if text.len() > max => {
            Err(RegistryError::invalid(format!("{field} is longer than {max} characters")).into())
        }
        Some(text) => Ok(text),
    }
}

/// A certificate from PEM, refused as `CertificateValidationException` when unreadable or
/// expired at `now_secs`.
pub(crate) fn parse_for_registration(
    pem: &str,
    now_secs: u64,
) -> Result<ParsedCertificate, ServiceError> {
    let parsed = ca::parse_certificate_pem(pem).map_err(|e| match e {
        CaError::Invalid(message) => {
            ServiceError::from(RegistryError::CertificateValidation(message))
        }
        other => ServiceError::Ca(other),
    })?;
    if parsed.validity.not_after < now_secs as i64 {
        return Err(RegistryError::CertificateValidation(format!(
            "Certificate {} has expired",
            parsed.id
        ))
        .into());
    }
    Ok(parsed)
}

impl RegistryService {
    fn certificate_summary(&self, stored: &StoredCertificate) -> Value {
        json!({
            "certificateArn": self.config.certificate_arn(stored.certificate_id.as_str()),
            "certificateId": stored.certificate_id,
            "status": stored.status,
            "certificateMode": stored.certificate_mode,
            "creationDate": stored.creation_date,
        })
    }

    fn new_certificate(
        &self,
        parsed: &ParsedCertificate,
        ca_certificate_id: Option<CertificateId>,
        status: CertificateStatus,
        mode: CertificateMode,
    ) -> StoredCertificate {
        let now = self.now_secs();
        StoredCertificate {
            certificate_id: parsed.id.clone(),
            certificate_pem: parsed.pem.clone(),
            ca_certificate_id,
            status,
            certificate_mode: mode,
            creation_date: now,
            last_modified_date: now,
            customer_version: 1,
            generation_id: generation_id(),
            validity: parsed.validity,
        }
    }

    /// Stores a new certificate (and its CA index); `ResourceAlreadyExistsException` when it is
    /// registered already.
    async fn store_new_certificate(&self, stored: &StoredCertificate) -> Result<(), ServiceError> {
        let id = stored.certificate_id.as_str();
        let mut ops = vec![repo::put(keys::certificate(id), stored, Expect::Absent)?];
        if let Some(ca_id) = &stored.ca_certificate_id {
            ops.push(repo::link(
                Key::new(keys::ca_certificates_of(ca_id.as_str()), id),
                None,
            ));
        }
        if self.commit(ops).await? {
            return Ok(());
        }
        Err(RegistryError::already_exists(
            "The certificate is already provisioned or registered",
            id,
            self.config.certificate_arn(id),
        )
        .into())
    }

    fn created_output(&self, stored: &StoredCertificate) -> Value {
        json!({
            "certificateArn": self.config.certificate_arn(stored.certificate_id.as_str()),
            "certificateId": stored.certificate_id,
            "certificatePem": stored.certificate_pem,
        })
    }

    /// CreateKeysAndCertificate: a new key pair and a certificate for it from the local CA.
    ///
    /// # Errors
    /// `InternalFailureException` when the CA fails.
    pub async fn create_keys_and_certificate(
        &self,
        set_as_active: bool,
    ) -> Result<Value, ServiceError> {
        let local = self.local_ca().await?;
        let issued = local
            .issue_with_new_key(self.now_secs())
            .map_err(ServiceError::Ca)?;
        let status = if set_as_active {
            CertificateStatus::Active
        } else {
            CertificateStatus::Inactive
        };
        let stored =
            self.new_certificate(&issued.certificate, None, status, CertificateMode::Default);
        self.store_new_certificate(&stored).await?;
        let mut out = self.created_output(&stored);
        out["keyPair"] = json!({
            "PublicKey": issued.public_key_pem,
            "PrivateKey": issued.private_key_pem,
        });
        Ok(out)
    }

    /// CreateCertificateFromCsr: a certificate from the local CA for the CSR's key.
    ///
    /// # Errors
    /// `InvalidRequestException` for a missing or bad CSR.
    pub async fn create_certificate_from_csr(
        &self,
        request: CreateCertificateFromCsrRequest,
        set_as_active: bool,
    ) -> Result<Value, ServiceError> {
        let csr = required_pem(
            "certificateSigningRequest",
            request.certificate_signing_request.as_deref(),
            MAX_CSR_LEN,
        )?;
        let local = self.local_ca().await?;
        let issued = local
            .issue_from_csr(csr, self.now_secs())
            .map_err(|e| match e {
                CaError::Invalid(message) => RegistryError::invalid(message).into(),
                other => ServiceError::Ca(other),
            })?;
        let status = if set_as_active {
            CertificateStatus::Active
        } else {
            CertificateStatus::Inactive
        };
        let stored = self.new_certificate(&issued, None, status, CertificateMode::Default);
        self.store_new_certificate(&stored).await?;
        Ok(self.created_output(&stored))
    }

    /// The registered CA that signed `certificate`: the one given as `caCertificatePem`, or
    /// any registered CA whose subject and key match.
    async fn signing_ca(
        &self,
        certificate: &ParsedCertificate,
        ca_pem: Option<&str>,
    ) -> Result<StoredCaCertificate, ServiceError> {
        let candidates: Vec<StoredCaCertificate> = match ca_pem {
            Some(pem) => {
                let given = parse_for_registration(
                    required_pem("caCertificatePem", Some(pem), MAX_PEM_LEN)?,
                    self.now_secs(),
                )?;
                let found: Option<Loaded<StoredCaCertificate>> =
                    self.load(keys::ca_certificate(given.id.as_str())).await?;
                let found = found.ok_or_else(|| {
                    RegistryError::CertificateValidation(format!(
                        "CA certificate {} is not registered",
                        given.id
                    ))
                })?;
                vec![found.value]
            }
            None => self
                .gather(keys::CA_CERTIFICATES, repo::MAX_GATHERED)
                .await?
                .iter()
                .map(repo::decode)
                .collect::<Result<_, _>>()?,
        };
        for candidate in candidates {
            let Ok(ca_parsed) = ca::parse_certificate_pem(&candidate.certificate_pem) else {
                continue;
            };
            if ca::is_issued_by(&certificate.der, &ca_parsed.der) {
                return Ok(candidate);
            }
        }
        Err(RegistryError::CertificateValidation(
            "The certificate is not signed by a registered CA certificate".into(),
        )
        .into())
    }

    /// RegisterCertificate: a device certificate signed by a registered CA.
    ///
    /// # Errors
    /// `CertificateValidationException` for a certificate that is not one, has expired or is
    /// not signed by a registered CA; `ResourceAlreadyExistsException`;
    /// `InvalidRequestException`.
    pub async fn register_certificate(
        &self,
        request: RegisterCertificateRequest,
        set_as_active: Option<bool>,
    ) -> Result<Value, ServiceError> {
        let pem = required_pem(
            "certificatePem",
            request.certificate_pem.as_deref(),
            MAX_PEM_LEN,
        )?;
        let status = request
            .status
            .as_deref()
            .map(|s| CertificateStatus::parse_field(s, "status"))
            .transpose()?;
        let status = registration_status(set_as_active, status)?;
        let parsed = parse_for_registration(pem, self.now_secs())?;
        let ca = self
            .signing_ca(&parsed, request.ca_certificate_pem.as_deref())
            .await?;
        let stored = self.new_certificate(
            &parsed,
            Some(ca.certificate_id),
            status,
            CertificateMode::Default,
        );
        self.store_new_certificate(&stored).await?;
        Ok(json!({
            "certificateArn": self.config.certificate_arn(parsed.id.as_str()),
            "certificateId": parsed.id,
        }))
    }

    /// RegisterCertificateWithoutCA: any readable, unexpired certificate, in SNI_ONLY mode.
    ///
    /// # Errors
    /// `CertificateValidationException`, `ResourceAlreadyExistsException`,
    /// `InvalidRequestException`.
    pub async fn register_certificate_without_ca(
        &self,
        request: RegisterCertificateRequest,
    ) -> Result<Value, ServiceError> {
        let pem = required_pem(
            "certificatePem",
            request.certificate_pem.as_deref(),
            MAX_PEM_LEN,
        )?;
        let status = request
            .status
            .as_deref()
            .map(|s| CertificateStatus::parse_field(s, "status"))
            .transpose()?;
        let status = registration_status(None, status)?;
        let parsed = parse_for_registration(pem, self.now_secs())?;
        let stored = self.new_certificate(&parsed, None, status, CertificateMode::SniOnly);
        self.store_new_certificate(&stored).await?;
        Ok(json!({
            "certificateArn": self.config.certificate_arn(parsed.id.as_str()),
            "certificateId": parsed.id,
        }))
    }

    async fn require_certificate(
        &self,
        id: &str,
    ) -> Result<Loaded<StoredCertificate>, ServiceError> {
        let id = CertificateId::parse(id)?;
        self.require(keys::certificate(id.as_str()), || {
            certificate_not_found(id.as_str())
        })
        .await
    }

    /// DescribeCertificate.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad id, `ResourceNotFoundException`.
    pub async fn describe_certificate(&self, id: &str) -> Result<Value, ServiceError> {
        let stored = self.require_certificate(id).await?.value;
        let mut description = json!({
            "certificateArn": self.config.certificate_arn(stored.certificate_id.as_str()),
            "certificateId": stored.certificate_id,
            "status": stored.status,
            "certificatePem": stored.certificate_pem,
            "ownedBy": self.config.account_id,
            "creationDate": stored.creation_date,
            "lastModifiedDate": stored.last_modified_date,
            "customerVersion": stored.customer_version,
            "generationId": stored.generation_id,
            "validity": stored.validity,
            "certificateMode": stored.certificate_mode,
        });
        if let Some(ca_id) = &stored.ca_certificate_id {
            description["caCertificateId"] = json!(ca_id);
        }
        Ok(json!({ "certificateDescription": description }))
    }

    fn certificate_page(&self, certificates: Vec<Value>, next: Option<String>) -> Value {
        let mut out = json!({ "certificates": certificates });
        if let Some(next) = next {
            out["nextMarker"] = json!(repo::to_marker(&next));
        }
        out
    }

    /// ListCertificates.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad marker.
    pub async fn list_certificates(
        &self,
        page_size: usize,
        marker: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let token = marker.map(repo::from_marker).transpose()?;
        let (certificates, next) = self
            .filtered_page(
                keys::CERTIFICATES,
                "",
                page_size,
                token.as_deref(),
                |item| {
                    let stored: StoredCertificate = repo::decode(item)?;
                    Ok(Some(self.certificate_summary(&stored)))
                },
            )
            .await?;
        Ok(self.certificate_page(certificates, next))
    }

    /// ListCertificatesByCA: the device certificates registered with a CA.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad id or marker.
    pub async fn list_certificates_by_ca(
        &self,
        ca_id: &str,
        page_size: usize,
        marker: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let ca_id = CertificateId::parse_field(ca_id, "caCertificateId")?;
        let token = marker.map(repo::from_marker).transpose()?;
        let (ids, next) = self
            .key_page(
                &keys::ca_certificates_of(ca_id.as_str()),
                "",
                page_size,
                token.as_deref(),
            )
            .await?;
        let mut certificates = Vec::new();
        for id in ids {
            if let Some(stored) = self
                .load::<StoredCertificate>(keys::certificate(&id))
                .await?
            {
                certificates.push(self.certificate_summary(&stored.value));
            }
        }
        Ok(self.certificate_page(certificates, next))
    }

    /// UpdateCertificate (idempotent).
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`, `CertificateStateException`
    /// for a revoked certificate.
    pub async fn update_certificate(
        &self,
        id: &str,
        new_status: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let new_status = new_status
            .ok_or_else(|| RegistryError::invalid("newStatus is required"))
            .and_then(CertificateStatus::parse)?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let current = self.require_certificate(id).await?;
            let next = certificate::update_status(
                &current.value,
                new_status,
                self.now_secs(),
                generation_id(),
            )?;
            if next == current.value || self.commit(vec![repo::replace(&current, &next)?]).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("certificate {id}")))
    }

    /// DeleteCertificate. With `forceDelete`, attached policies are detached with it; things
    /// never are.
    ///
    /// # Errors
    /// `ResourceNotFoundException`; `CertificateStateException` while ACTIVE;
    /// `DeleteConflictException` while attached.
    pub async fn delete_certificate(
        &self,
        id: &str,
        force_delete: bool,
    ) -> Result<Value, ServiceError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let current = self.require_certificate(id).await?;
            let id = current.value.certificate_id.as_str();
            let arn = self.config.certificate_arn(id);
            let things = !self.is_empty(&keys::principal_things(&arn)).await?;
            let policies = self
                .gather_keys(&keys::target_policies(&arn), repo::MAX_GATHERED)
                .await?;
            certificate::check_delete(
                &current.value,
                things,
                !force_delete && !policies.is_empty(),
            )?;
            let mut ops = vec![repo::delete(&current)];
            if let Some(ca_id) = &current.value.ca_certificate_id {
                ops.push(repo::unlink(Key::new(
                    keys::ca_certificates_of(ca_id.as_str()),
                    id,
                )));
            }
            for policy in policies {
                ops.push(repo::unlink(Key::new(
                    keys::policy_targets(&policy),
                    arn.as_str(),
                )));
                ops.push(repo::unlink(Key::new(keys::target_policies(&arn), policy)));
            }
            if self.commit(ops).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("certificate {id}")))
    }
}
