//! Device and CA certificates as the registry keeps them, their statuses, and the rules of
//! their life cycle:
//!
//! - REVOKED is final: no later status change (`CertificateStateException`); PENDING_TRANSFER
//!   and PENDING_ACTIVATION are AWS's internal statuses and cannot be set
//!   (`InvalidRequestException`).
//! - A device certificate cannot be deleted while ACTIVE (`CertificateStateException`) or
//!   while attached to a thing or a policy (`DeleteConflictException`).
//! - A CA certificate cannot be deleted while ACTIVE (`CertificateStateException`).
//!
//! Parsing and signing certificates is the CA's business (in the registry-api function); this
//! module only decides.

use super::error::{RegistryError, RegistryResult};
use super::names::{constraint_error, CertificateId};
use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal, { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in the model's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the wire spelling, as sent in `field`.
            ///
            /// # Errors
            /// `InvalidRequestException` for a value outside the enum.
            pub fn parse_field(value: &str, field: &str) -> RegistryResult<Self> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == value)
                    .ok_or_else(|| {
                        let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        constraint_error(
                            field,
                            value,
                            &format!("Member must satisfy enum value set: [{}]", all.join(", ")),
                        )
                    })
            }

            /// Parses the wire spelling as sent in its usual field.
            ///
            /// # Errors
            /// `InvalidRequestException` for a value outside the enum.
            pub fn parse(value: &str) -> RegistryResult<Self> {
                Self::parse_field(value, $field)
            }
        }
    };
}

wire_enum!(
    /// A device certificate's status.
    CertificateStatus, "newStatus", {
        /// Devices may connect with it.
        Active = "ACTIVE",
        /// Registered, not usable.
        Inactive = "INACTIVE",
        /// Revoked for good.
        Revoked = "REVOKED",
        /// Internal to AWS (transfers).
        PendingTransfer = "PENDING_TRANSFER",
        /// Deprecated by AWS.
        RegisterInactive = "REGISTER_INACTIVE",
        /// Internal to AWS (just-in-time registration).
        PendingActivation = "PENDING_ACTIVATION",
    }
);

wire_enum!(
    /// A CA certificate's status.
    CaCertificateStatus, "newStatus", {
        /// Certificates it signed may be registered and connect.
        Active = "ACTIVE",
        /// Registered, not usable.
        Inactive = "INACTIVE",
    }
);

wire_enum!(
    /// Whether devices signed by a CA are registered automatically on first connect.
    AutoRegistrationStatus, "newAutoRegistrationStatus", {
        /// Enabled.
        Enable = "ENABLE",
        /// Disabled.
        Disable = "DISABLE",
    }
);

wire_enum!(
    /// How a certificate is matched at connect time.
    CertificateMode, "certificateMode", {
        /// By the CA that signed it.
        Default = "DEFAULT",
        /// By SNI only (registered without a CA).
        SniOnly = "SNI_ONLY",
    }
);

/// Validity of a certificate in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Validity {
    /// `notBefore`.
    pub not_before: i64,
    /// `notAfter`.
    pub not_after: i64,
}

/// A device certificate as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCertificate {
    /// Hex SHA-256 of the DER.
    pub certificate_id: CertificateId,
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// The registered CA that signed it, if registered with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate_id: Option<CertificateId>,
    /// Its status.
    pub status: CertificateStatus,
    /// DEFAULT, or SNI_ONLY when registered without a CA.
    pub certificate_mode: CertificateMode,
    /// Epoch seconds of its registration.
    pub creation_date: u64,
    /// Epoch seconds of its last change.
    pub last_modified_date: u64,
    /// 1 at registration, one more per status change.
    pub customer_version: u64,
    /// Changes with every write.
    pub generation_id: String,
    /// Its validity period.
    pub validity: Validity,
}

/// A registered CA certificate as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCaCertificate {
    /// Hex SHA-256 of the DER.
    pub certificate_id: CertificateId,
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// Its status.
    pub status: CaCertificateStatus,
    /// Auto-registration of the devices it signs.
    pub auto_registration_status: AutoRegistrationStatus,
    /// DEFAULT or SNI_ONLY.
    pub certificate_mode: CertificateMode,
    /// Epoch seconds of its registration.
    pub creation_date: u64,
    /// Epoch seconds of its last change.
    pub last_modified_date: u64,
    /// 1 at registration, one more per change.
    pub customer_version: u64,
    /// Changes with every write.
    pub generation_id: String,
    /// Its validity period.
    pub validity: Validity,
    /// `registrationConfig`, kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_config: Option<RegistrationConfig>,
}

/// The wire's `registrationConfig` (just-in-time provisioning template), kept but not run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationConfig {
    /// `templateBody`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_body: Option<String>,
    /// `roleArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// `templateName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
}

/// The status a registration asks for: `status` when given, else ACTIVE for
/// `setAsActive=true`, else INACTIVE (AWS's default for registered certificates).
///
/// # Errors
/// `InvalidRequestException` for AWS's internal statuses.
pub fn registration_status(
    set_as_active: Option<bool>,
    status: Option<CertificateStatus>,
) -> RegistryResult<CertificateStatus> {
    match status {
        Some(
            status @ (CertificateStatus::PendingTransfer | CertificateStatus::PendingActivation),
        ) => Err(RegistryError::invalid(format!(
            "Status {} is used internally by AWS IoT and cannot be set",
            status.as_str()
        ))),
        Some(status) => Ok(status),
        None if set_as_active == Some(true) => Ok(CertificateStatus::Active),
        None => Ok(CertificateStatus::Inactive),
    }
}

/// The certificate after UpdateCertificate (unchanged when the status is the same: the
/// operation is idempotent).
///
/// # Errors
/// `CertificateStateException` for a revoked certificate; `InvalidRequestException` for AWS's
/// internal statuses.
pub fn update_status(
    certificate: &StoredCertificate,
    new_status: CertificateStatus,
    now_secs: u64,
    generation_id: String,
) -> RegistryResult<StoredCertificate> {
    if matches!(
        new_status,
        CertificateStatus::PendingTransfer | CertificateStatus::PendingActivation
    ) {
        return Err(RegistryError::invalid(format!(
            "Status {} is used internally by AWS IoT and cannot be set",
            new_status.as_str()
        )));
    }
    if certificate.status == new_status {
        return Ok(certificate.clone());
    }
    if certificate.status == CertificateStatus::Revoked {
        return Err(RegistryError::CertificateState(format!(
            "Certificate {} is revoked; a revoked certificate's status cannot change",
            certificate.certificate_id
        )));
    }
    let mut next = certificate.clone();
    next.status = new_status;
    next.last_modified_date = now_secs;
    next.customer_version += 1;
    next.generation_id = generation_id;
    Ok(next)
}

/// Checks DeleteCertificate.
///
/// # Errors
/// `CertificateStateException` while ACTIVE; `DeleteConflictException` while attached to a
/// thing or a policy.
pub fn check_delete(
    certificate: &StoredCertificate,
    attached_to_things: bool,
    attached_to_policies: bool,
) -> RegistryResult<()> {
    let id = &certificate.certificate_id;
    if certificate.status == CertificateStatus::Active {
        return Err(RegistryError::CertificateState(format!(
            "Certificate must be deactivated (not ACTIVE) before deletion. Id: {id}"
        )));
    }
    if attached_to_things {
        return Err(RegistryError::DeleteConflict(format!(
            "Things must be detached before deletion (certificate {id})"
        )));
    }
    if attached_to_policies {
        return Err(RegistryError::DeleteConflict(format!(
            "Certificate policies must be detached before deletion (certificate {id})"
        )));
    }
    Ok(())
}

/// Checks DeleteCACertificate.
///
/// # Errors
/// `CertificateStateException` while the CA is ACTIVE.
pub fn check_ca_delete(ca: &StoredCaCertificate) -> RegistryResult<()> {
    if ca.status == CaCertificateStatus::Active {
        return Err(RegistryError::CertificateState(format!(
            "CA certificate must be deactivated (not ACTIVE) before deletion. Id: {}",
            ca.certificate_id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(status: CertificateStatus) -> StoredCertificate {
        StoredCertificate {
            certificate_id: CertificateId::from_digest(&[1; 32]),
            certificate_pem: "pem".into(),
            ca_certificate_id: None,
            status,
            certificate_mode: CertificateMode::Default,
            creation_date: 1,
            last_modified_date: 1,
            customer_version: 1,
            generation_id: "g1".into(),
            validity: Validity {
                not_before: 0,
                not_after: 10,
            },
        }
    }

    #[test]
    fn statuses_parse_from_the_wire() {
        assert_eq!(
            CertificateStatus::parse("REVOKED").ok(),
            Some(CertificateStatus::Revoked)
        );
        assert!(CertificateStatus::parse("revoked").is_err());
        assert_eq!(
            serde_json::to_string(&CaCertificateStatus::Inactive).ok(),
            Some("\"INACTIVE\"".to_string())
        );
    }

    #[test]
    fn revoked_is_final_and_internal_statuses_are_refused() {
        let active = certificate(CertificateStatus::Active);
        let revoked = update_status(&active, CertificateStatus::Revoked, 5, "g2".into())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (revoked.customer_version, revoked.last_modified_date),
            (2, 5)
        );
        assert!(matches!(
            update_status(&revoked, CertificateStatus::Active, 6, "g3".into()),
            Err(RegistryError::CertificateState(_))
        ));
        assert!(update_status(&revoked, CertificateStatus::Revoked, 6, "g3".into()).is_ok());
        assert!(matches!(
            update_status(&active, CertificateStatus::PendingTransfer, 6, "g3".into()),
            Err(RegistryError::InvalidRequest(_))
        ));
    }

    #[test]
    fn deletion_needs_inactive_and_detached() {
        assert!(matches!(
            check_delete(&certificate(CertificateStatus::Active), false, false),
            Err(RegistryError::CertificateState(_))
        ));
        let inactive = certificate(CertificateStatus::Inactive);
        assert!(matches!(
            check_delete(&inactive, true, false),
            Err(RegistryError::DeleteConflict(_))
        ));
        assert!(matches!(
            check_delete(&inactive, false, true),
            Err(RegistryError::DeleteConflict(_))
        ));
        assert!(check_delete(&inactive, false, false).is_ok());
    }

    #[test]
    fn an_active_ca_cannot_be_deleted() {
        let mut ca = StoredCaCertificate {
            certificate_id: CertificateId::from_digest(&[2; 32]),
            certificate_pem: "pem".into(),
            status: CaCertificateStatus::Active,
            auto_registration_status: AutoRegistrationStatus::Disable,
            certificate_mode: CertificateMode::Default,
            creation_date: 1,
            last_modified_date: 1,
            customer_version: 1,
            generation_id: "g".into(),
            validity: Validity {
                not_before: 0,
                not_after: 10,
            },
            registration_config: None,
        };
        assert!(matches!(
            check_ca_delete(&ca),
            Err(RegistryError::CertificateState(_))
        ));
        ca.status = CaCertificateStatus::Inactive;
        assert!(check_ca_delete(&ca).is_ok());
    }

    #[test]
    fn registration_defaults_to_inactive() {
        assert_eq!(
            registration_status(None, None).ok(),
            Some(CertificateStatus::Inactive)
        );
        assert_eq!(
            registration_status(Some(true), None).ok(),
            Some(CertificateStatus::Active)
        );
        assert_eq!(
            registration_status(Some(true), Some(CertificateStatus::Revoked)).ok(),
            Some(CertificateStatus::Revoked)
        );
        assert!(registration_status(None, Some(CertificateStatus::PendingActivation)).is_err());
    }
}
