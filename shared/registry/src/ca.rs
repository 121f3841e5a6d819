//! The local certificate authority and certificate handling.
//!
//! AWS IoT signs the certificates of CreateKeysAndCertificate and CreateCertificateFromCsr with
//! its own CA; thingcore has a local one instead. On first use the service generates a CA key
//! (ECDSA P-256) and a self-signed CA certificate and keeps both in the Store (one fixed
//! registry item, written on condition that it is absent), so every host serving the same
//! Store signs with the same CA and devices can trust one root: `thingcore serve` prints it via
//! [`crate::RegistryService::ca_certificate_pem`]. The CA key lives in the Store unencrypted: it
//! is a development CA, not a production one.
//!
//! Device keys are RSA 2048 as on AWS; the private key is returned as PKCS#8 PEM
//! (`BEGIN PRIVATE KEY`), the public key as SPKI PEM (`BEGIN PUBLIC KEY`). Issued certificates
//! are valid from a minute before issue until 2049-12-31T23:59:59Z (AWS's end date), with
//! subject `CN=AWS IoT Certificate` (or the CSR's subject).
//!
//! Certificates are parsed with x509-parser and signatures checked with it; ids are the
//! lowercase hex SHA-256 of the DER, as AWS makes them.

use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, RsaKeySize,
    SerialNumber,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thingcore::registry::{CertificateId, Validity};
use x509_parser::certificate::X509Certificate;
use x509_parser::time::ASN1Time;

/// End of validity of issued certificates: 2049-12-31T23:59:59Z.
pub const ISSUED_NOT_AFTER: i64 = 2_524_607_999;
/// Subject common name of issued certificates (AWS's).
pub const ISSUED_COMMON_NAME: &str = "AWS IoT Certificate";
/// Subject common name of the local CA.
pub const CA_COMMON_NAME: &str = "thingcore local CA";

/// What went wrong with a certificate, a CSR or the CA.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The input is not acceptable (not a certificate, not a CSR, ...).
    #[error("{0}")]
    Invalid(String),
    /// Generating or signing failed on our side.
    #[error("certificate authority failure: {0}")]
    Internal(String),
}

fn internal(error: impl std::fmt::Display) -> CaError {
    CaError::Internal(error.to_string())
}

/// The lowercase hex SHA-256 of a DER encoding: a certificate's id.
pub fn certificate_id(der: &[u8]) -> CertificateId {
    let digest: [u8; 32] = Sha256::digest(der).into();
    CertificateId::from_digest(&digest)
}

/// PEM text of a DER certificate, 64 characters a line.
pub fn certificate_pem(der: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// A certificate read from PEM.
#[derive(Debug, Clone)]
pub struct ParsedCertificate {
    /// Its DER encoding.
    pub der: Vec<u8>,
    /// Its id.
    pub id: CertificateId,
    /// Its PEM, re-encoded from the DER.
    pub pem: String,
    /// Its validity.
    pub validity: Validity,
    /// Whether its basic constraints make it a CA.
    pub is_ca: bool,
}

fn parse_der(der: &[u8]) -> Result<X509Certificate<'_>, CaError> {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, certificate)) => Ok(certificate),
        Err(e) => Err(CaError::Invalid(format!(
            "The certificate does not parse: {e}"
        ))),
    }
}

/// Reads the first PEM block of `pem` as an X.509 certificate.
///
/// # Errors
/// [`CaError::Invalid`] when it is not PEM or not a certificate.
pub fn parse_certificate_pem(pem: &str) -> Result<ParsedCertificate, CaError> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|_| CaError::Invalid("The certificate is not PEM encoded".into()))?;
    if block.label != "CERTIFICATE" {
        return Err(CaError::Invalid(format!(
            "Expected a PEM CERTIFICATE, found {}",
            block.label
        )));
    }
    let der = block.contents;
    let certificate = parse_der(&der)?;
    let validity = Validity {
        not_before: certificate.validity().not_before.timestamp(),
        not_after: certificate.validity().not_after.timestamp(),
    };
    let is_ca = certificate.is_ca();
    Ok(ParsedCertificate {
        id: certificate_id(&der),
        pem: certificate_pem(&der),
        validity,
        is_ca,
        der,
    })
}

/// Whether `certificate` (DER) names `issuer` (DER) as its issuer and carries a valid signature
/// by the issuer's key.
pub fn is_issued_by(certificate: &[u8], issuer: &[u8]) -> bool {
    let (Ok(certificate), Ok(issuer)) = (parse_der(certificate), parse_der(issuer)) else {
        return false;
    };
    certificate.issuer().as_raw() == issuer.subject().as_raw()
        && certificate
            .verify_signature(Some(issuer.public_key()))
            .is_ok()
}

/// Epoch seconds as the time value rcgen takes (x509-parser converts them, so no extra crate
/// is needed).
fn asn1_time(secs: i64) -> Result<ASN1Time, CaError> {
    ASN1Time::from_timestamp(secs).map_err(internal)
}

fn serial_number() -> SerialNumber {
    let mut bytes = *uuid::Uuid::new_v4().as_bytes();
    bytes[0] &= 0x7f;
    SerialNumber::from_slice(&bytes)
}

/// The CA as kept in the Store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredLocalCa {
    /// The self-signed CA certificate, PEM.
    pub certificate_pem: String,
    /// The CA's private key, PKCS#8 PEM.
    pub private_key_pem: String,
}

/// A certificate the CA issued with a key it generated.
#[derive(Debug, Clone)]
pub struct IssuedKeys {
    /// The certificate.
    pub certificate: ParsedCertificate,
    /// The public key, SPKI PEM.
    pub public_key_pem: String,
    /// The private key, PKCS#8 PEM.
    pub private_key_pem: String,
}

/// The local CA, ready to sign.
pub struct LocalCa {
    issuer: Issuer<'static, KeyPair>,
    certificate: ParsedCertificate,
}

impl std::fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCa")
            .field("certificate_id", &self.certificate.id)
            .finish_non_exhaustive()
    }
}

impl LocalCa {
    /// A new CA: key and self-signed certificate, valid from `now_secs`.
    ///
    /// # Errors
    /// [`CaError::Internal`] when generation fails.
    pub fn generate(now_secs: u64) -> Result<(Self, StoredLocalCa), CaError> {
        let key = KeyPair::generate().map_err(internal)?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, CA_COMMON_NAME);
        name.push(DnType::OrganizationName, "thingcore");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = asn1_time(now_secs as i64 - 60)?.to_datetime();
        params.not_after = asn1_time(ISSUED_NOT_AFTER + 1)?.to_datetime();
        params.serial_number = Some(serial_number());
        let certificate = params.self_signed(&key).map_err(internal)?;
        let stored = StoredLocalCa {
            certificate_pem: certificate.pem(),
            private_key_pem: key.serialize_pem(),
        };
        Ok((Self::from_stored(&stored)?, stored))
    }

    /// The CA as kept in the Store.
    ///
    /// # Errors
    /// [`CaError::Internal`] when the stored key or certificate does not load.
    pub fn from_stored(stored: &StoredLocalCa) -> Result<Self, CaError> {
        let key = KeyPair::from_pem(&stored.private_key_pem).map_err(internal)?;
        let certificate = parse_certificate_pem(&stored.certificate_pem).map_err(internal)?;
        let issuer =
            Issuer::from_ca_cert_der(&certificate.der.as_slice().into(), key).map_err(internal)?;
        Ok(Self {
            issuer,
            certificate,
        })
    }

    /// The CA certificate.
    pub fn certificate(&self) -> &ParsedCertificate {
        &self.certificate
    }

    fn device_params(params: &mut CertificateParams, now_secs: u64) -> Result<(), CaError> {
        params.not_before = asn1_time(now_secs as i64 - 60)?.to_datetime();
        params.not_after = asn1_time(ISSUED_NOT_AFTER)?.to_datetime();
        params.serial_number = Some(serial_number());
        params.is_ca = IsCa::ExplicitNoCa;
        params.use_authority_key_identifier_extension = true;
        Ok(())
    }

    /// A new RSA 2048 key and a certificate for it (CreateKeysAndCertificate).
    ///
    /// # Errors
    /// [`CaError::Internal`] when generation or signing fails.
    pub fn issue_with_new_key(&self, now_secs: u64) -> Result<IssuedKeys, CaError> {
        let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_2048)
            .map_err(internal)?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, ISSUED_COMMON_NAME);
        params.distinguished_name = name;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        Self::device_params(&mut params, now_secs)?;
        let certificate = params.signed_by(&key, &self.issuer).map_err(internal)?;
        Ok(IssuedKeys {
            certificate: parse_certificate_pem(&certificate.pem()).map_err(internal)?,
            public_key_pem: key.public_key_pem(),
            private_key_pem: key.serialize_pem(),
        })
    }

    /// A TLS server certificate for `hostnames` (each a DNS name or an IP address) with a new
    /// ECDSA P-256 key: `(certificate PEM, PKCS#8 key PEM)`. Valid for a year.
    ///
    /// # Errors
    /// [`CaError::Invalid`] for a bad host name; [`CaError::Internal`] when signing fails.
    pub fn issue_server_certificate(
        &self,
        hostnames: &[String],
        now_secs: u64,
    ) -> Result<(String, String), CaError> {
        let key = KeyPair::generate().map_err(internal)?;
        let mut params = CertificateParams::new(hostnames.to_vec())
            .map_err(|e| CaError::Invalid(format!("bad server host name: {e}")))?;
        let mut name = DistinguishedName::new();
        name.push(
            DnType::CommonName,
            hostnames.first().map_or("localhost", String::as_str),
        );
        name.push(DnType::OrganizationName, "thingcore");
        params.distinguished_name = name;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = asn1_time(now_secs as i64 - 60)?.to_datetime();
        params.not_after = asn1_time(now_secs as i64 + 365 * 86_400)?.to_datetime();
        params.serial_number = Some(serial_number());
        params.is_ca = IsCa::ExplicitNoCa;
        params.use_authority_key_identifier_extension = true;
        let certificate = params.signed_by(&key, &self.issuer).map_err(internal)?;
        Ok((certificate.pem(), key.serialize_pem()))
    }

    /// A certificate for the key and subject of a CSR (CreateCertificateFromCsr). The CSR's
    /// signature is checked; its subject, alternative names and key usages are kept, a request
    /// to be a CA is not.
    ///
    /// # Errors
    /// [`CaError::Invalid`] for a CSR that does not parse, is badly signed or asks for an
    /// extension rcgen does not support; [`CaError::Internal`] when signing fails.
    pub fn issue_from_csr(
        &self,
        csr_pem: &str,
        now_secs: u64,
    ) -> Result<ParsedCertificate, CaError> {
        let mut csr = CertificateSigningRequestParams::from_pem(csr_pem).map_err(|e| {
            CaError::Invalid(format!("The certificate signing request is not valid: {e}"))
        })?;
        Self::device_params(&mut csr.params, now_secs)?;
        let certificate = csr.signed_by(&self.issuer).map_err(internal)?;
        parse_certificate_pem(&certificate.pem()).map_err(internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn ca() -> LocalCa {
        LocalCa::generate(NOW).unwrap_or_else(|e| panic!("{e}")).0
    }

    #[test]
    fn the_ca_round_trips_through_its_stored_form() {
        let (ca, stored) = LocalCa::generate(NOW).unwrap_or_else(|e| panic!("{e}"));
        let again = LocalCa::from_stored(&stored).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ca.certificate().id, again.certificate().id);
        assert!(ca.certificate().is_ca);
        assert!(is_issued_by(&ca.certificate().der, &ca.certificate().der));
    }

    #[test]
    fn issued_certificates_chain_to_the_ca() {
        let ca = ca();
        let issued = ca.issue_with_new_key(NOW).unwrap_or_else(|e| panic!("{e}"));
        let certificate = &issued.certificate;
        assert!(is_issued_by(&certificate.der, &ca.certificate().der));
        assert!(!certificate.is_ca);
        assert_eq!(certificate.validity.not_after, ISSUED_NOT_AFTER);
        assert_eq!(certificate.id, certificate_id(&certificate.der));
        assert!(issued
            .private_key_pem
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        let other = self::ca();
        assert!(!is_issued_by(&certificate.der, &other.certificate().der));
    }

    #[test]
    fn server_certificates_name_their_hosts_and_chain_to_the_ca() {
        let ca = ca();
        let hosts = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let (pem, key) = ca
            .issue_server_certificate(&hosts, NOW)
            .unwrap_or_else(|e| panic!("{e}"));
        let parsed = parse_certificate_pem(&pem).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_issued_by(&parsed.der, &ca.certificate().der));
        assert!(!parsed.is_ca);
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
        let (_, x509) = x509_parser::parse_x509_certificate(&parsed.der).expect("parses");
        let san = x509
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|e| format!("{:?}", e.value.general_names))
            .unwrap_or_default();
        assert!(san.contains("localhost"), "{san}");
    }

    #[test]
    fn csrs_are_signed_and_garbage_is_refused() {
        let ca = ca();
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, "device-1");
        let csr = params
            .serialize_request(&key)
            .and_then(|csr| csr.pem())
            .unwrap_or_else(|e| panic!("{e}"));
        let certificate = ca
            .issue_from_csr(&csr, NOW)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(is_issued_by(&certificate.der, &ca.certificate().der));
        assert!(matches!(
            ca.issue_from_csr("not a csr", NOW),
            Err(CaError::Invalid(_))
        ));
        assert!(matches!(
            parse_certificate_pem(&csr),
            Err(CaError::Invalid(_))
        ));
        assert!(matches!(
            parse_certificate_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            Err(CaError::Invalid(_))
        ));
    }
}
