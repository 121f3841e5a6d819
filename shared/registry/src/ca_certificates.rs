//! CA certificates: RegisterCACertificate, DescribeCACertificate, ListCACertificates,
//! UpdateCACertificate, DeleteCACertificate.
//!
//! RegisterCACertificate checks that the certificate is a CA (basic constraints) and has not
//! expired. When a `verificationCertificate` is given it must be signed by the CA's key (the
//! proof of possession); its common name is not compared with a registration code, because
//! GetRegistrationCode is not offered here. Without one the proof is skipped, as AWS does in
//! SNI_ONLY mode.

use super::certificates::{parse_for_registration, required_pem};
use super::error::ServiceError;
use super::repo::{self, Loaded};
use super::{contention, generation_id, keys, RegistryService};
use crate::ca;
use serde::Deserialize;
use serde_json::{json, Value};
use thingcore::registry::certificate::check_ca_delete;
use thingcore::registry::{
    AutoRegistrationStatus, CaCertificateStatus, CertificateId, CertificateMode,
    RegistrationConfig, RegistryError, StoredCaCertificate,
};
use thingcore::store::Expect;

const MAX_PEM_LEN: usize = 65_536;

/// RegisterCACertificate's body (`tags` are accepted and not kept).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterCaCertificateRequest {
    /// `caCertificate` (required).
    pub ca_certificate: Option<String>,
    /// `verificationCertificate`.
    pub verification_certificate: Option<String>,
    /// `registrationConfig`.
    pub registration_config: Option<RegistrationConfig>,
    /// `certificateMode`.
    pub certificate_mode: Option<String>,
    /// `tags`.
    pub tags: Option<Vec<Value>>,
}

/// UpdateCACertificate's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCaCertificateRequest {
    /// `registrationConfig`.
    pub registration_config: Option<RegistrationConfig>,
    /// `removeAutoRegistration`: drops the registration config and disables auto-registration.
    pub remove_auto_registration: Option<bool>,
}

fn ca_not_found(id: &str) -> RegistryError {
    RegistryError::not_found(format!("CA certificate {id} does not exist"))
}

impl RegistryService {
    /// RegisterCACertificate.
    ///
    /// # Errors
    /// `CertificateValidationException` for a certificate that is not a CA, has expired, or
    /// whose verification certificate it did not sign; `ResourceAlreadyExistsException`;
    /// `InvalidRequestException`.
    pub async fn register_ca_certificate(
        &self,
        request: RegisterCaCertificateRequest,
        set_as_active: bool,
        allow_auto_registration: bool,
    ) -> Result<Value, ServiceError> {
        let pem = required_pem(
            "caCertificate",
            request.ca_certificate.as_deref(),
            MAX_PEM_LEN,
        )?;
        let mode = request
            .certificate_mode
            .as_deref()
            .map(CertificateMode::parse)
            .transpose()?
            .unwrap_or(CertificateMode::Default);
        let now = self.now_secs();
        let parsed = parse_for_registration(pem, now)?;
        if !parsed.is_ca {
            return Err(RegistryError::CertificateValidation(
                "The certificate is not a CA certificate (basic constraints CA:TRUE)".into(),
            )
            .into());
        }
        if let Some(verification) = request.verification_certificate.as_deref() {
            let verification = parse_for_registration(
                required_pem("verificationCertificate", Some(verification), MAX_PEM_LEN)?,
                now,
            )?;
            if !ca::is_issued_by(&verification.der, &parsed.der) {
                return Err(RegistryError::CertificateValidation(
                    "The verification certificate is not signed by the CA certificate".into(),
                )
                .into());
            }
        }
        let stored = StoredCaCertificate {
            certificate_id: parsed.id.clone(),
            certificate_pem: parsed.pem.clone(),
            status: if set_as_active {
                CaCertificateStatus::Active
            } else {
                CaCertificateStatus::Inactive
            },
            auto_registration_status: if allow_auto_registration {
                AutoRegistrationStatus::Enable
            } else {
                AutoRegistrationStatus::Disable
            },
            certificate_mode: mode,
            creation_date: now,
            last_modified_date: now,
            customer_version: 1,
            generation_id: generation_id(),
            validity: parsed.validity,
            registration_config: request.registration_config,
        };
        let id = parsed.id.as_str();
        let arn = self.config.ca_certificate_arn(id);
        if !self
            .commit(vec![repo::put(
                keys::ca_certificate(id),
                &stored,
                Expect::Absent,
            )?])
            .await?
        {
            return Err(RegistryError::already_exists(
                "The CA certificate is already registered",
                id,
                arn,
            )
            .into());
        }
        Ok(json!({ "certificateArn": arn, "certificateId": id }))
    }

    async fn require_ca(&self, id: &str) -> Result<Loaded<StoredCaCertificate>, ServiceError> {
        let id = CertificateId::parse_field(id, "caCertificateId")?;
        self.require(keys::ca_certificate(id.as_str()), || {
            ca_not_found(id.as_str())
        })
        .await
    }

    /// DescribeCACertificate.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad id, `ResourceNotFoundException`.
    pub async fn describe_ca_certificate(&self, id: &str) -> Result<Value, ServiceError> {
        let stored = self.require_ca(id).await?.value;
        let mut out = json!({
            "certificateDescription": {
                "certificateArn": self.config.ca_certificate_arn(stored.certificate_id.as_str()),
                "certificateId": stored.certificate_id,
                "status": stored.status,
                "certificatePem": stored.certificate_pem,
                "ownedBy": self.config.account_id,
                "creationDate": stored.creation_date,
                "autoRegistrationStatus": stored.auto_registration_status,
                "lastModifiedDate": stored.last_modified_date,
                "customerVersion": stored.customer_version,
                "generationId": stored.generation_id,
                "validity": stored.validity,
                "certificateMode": stored.certificate_mode,
            }
        });
        if let Some(config) = &stored.registration_config {
            out["registrationConfig"] = json!(config);
        }
        Ok(out)
    }

    /// ListCACertificates, optionally only those whose registration config names
    /// `template_name`.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad marker.
    pub async fn list_ca_certificates(
        &self,
        page_size: usize,
        marker: Option<&str>,
        template_name: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let token = marker.map(repo::from_marker).transpose()?;
        let (certificates, next) = self
            .filtered_page(keys::CA_CERTIFICATES, "", page_size, token.as_deref(), |item| {
                let stored: StoredCaCertificate = repo::decode(item)?;
                if let Some(template) = template_name {
                    let matches = stored
                        .registration_config
                        .as_ref()
                        .and_then(|c| c.template_name.as_deref())
                        == Some(template);
                    if !matches {
                        return Ok(None);
                    }
                }
                Ok(Some(json!({
                    "certificateArn": self.config.ca_certificate_arn(stored.certificate_id.as_str()),
                    "certificateId": stored.certificate_id,
                    "status": stored.status,
                    "creationDate": stored.creation_date,
                })))
            })
            .await?;
        let mut out = json!({ "certificates": certificates });
        if let Some(next) = next {
            out["nextMarker"] = json!(repo::to_marker(&next));
        }
        Ok(out)
    }

    /// UpdateCACertificate: status, auto-registration and registration config.
    ///
    /// # Errors
    /// `InvalidRequestException`, `ResourceNotFoundException`.
    pub async fn update_ca_certificate(
        &self,
        id: &str,
        new_status: Option<&str>,
        new_auto_registration_status: Option<&str>,
        request: UpdateCaCertificateRequest,
    ) -> Result<Value, ServiceError> {
        let new_status = new_status.map(CaCertificateStatus::parse).transpose()?;
        let auto = new_auto_registration_status
            .map(AutoRegistrationStatus::parse)
            .transpose()?;
        for _ in 0..repo::MAX_ATTEMPTS {
            let current = self.require_ca(id).await?;
            let mut next = current.value.clone();
            if let Some(status) = new_status {
                next.status = status;
            }
            if let Some(auto) = auto {
                next.auto_registration_status = auto;
            }
            if let Some(config) = &request.registration_config {
                next.registration_config = Some(config.clone());
            }
            if request.remove_auto_registration == Some(true) {
                next.registration_config = None;
                next.auto_registration_status = AutoRegistrationStatus::Disable;
            }
            if next == current.value {
                return Ok(json!({}));
            }
            next.last_modified_date = self.now_secs();
            next.customer_version += 1;
            next.generation_id = generation_id();
            if self.commit(vec![repo::replace(&current, &next)?]).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("CA certificate {id}")))
    }

    /// DeleteCACertificate.
    ///
    /// # Errors
    /// `ResourceNotFoundException`; `CertificateStateException` while ACTIVE.
    pub async fn delete_ca_certificate(&self, id: &str) -> Result<Value, ServiceError> {
        for _ in 0..repo::MAX_ATTEMPTS {
            let current = self.require_ca(id).await?;
            check_ca_delete(&current.value)?;
            if self.commit(vec![repo::delete(&current)]).await? {
                return Ok(json!({}));
            }
        }
        Err(contention(format!("CA certificate {id}")))
    }
}
