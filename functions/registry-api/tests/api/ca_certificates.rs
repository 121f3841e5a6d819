//! CA certificates and certificates they sign: RegisterCACertificate, DescribeCACertificate,
//! ListCACertificates, UpdateCACertificate, DeleteCACertificate, RegisterCertificate,
//! RegisterCertificateWithoutCA, ListCertificatesByCA.

use crate::common::{names, str_of, Api};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::json;

/// A CA of the user's own, made with rcgen.
pub struct OwnCa {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

pub fn own_ca(name: &str) -> OwnCa {
    let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let pem = params
        .self_signed(&key)
        .unwrap_or_else(|e| panic!("{e}"))
        .pem();
    OwnCa {
        pem,
        issuer: Issuer::new(params, key),
    }
}

impl OwnCa {
    /// A leaf certificate signed by this CA.
    pub fn sign(&self, name: &str, not_after_year: i32) -> String {
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.not_after = rcgen::date_time_ymd(not_after_year, 1, 1);
        params
            .signed_by(&key, &self.issuer)
            .unwrap_or_else(|e| panic!("{e}"))
            .pem()
    }
}

fn register_ca(api: &Api, ca: &OwnCa, active: bool) -> String {
    let body = api
        .post("/cacertificate")
        .query("setAsActive", if active { "true" } else { "false" })
        .json(json!({"caCertificate": ca.pem, "verificationCertificate": ca.sign("registration-code", 2040)}))
        .ok();
    assert!(str_of(&body, "certificateArn").contains(":cacert/"));
    str_of(&body, "certificateId").to_string()
}

#[test]
fn a_ca_is_registered_described_listed_updated_and_deleted() {
    let api = Api::new();
    let ca = own_ca("Fleet CA");
    let id = register_ca(&api, &ca, true);
    let described = api.get(&format!("/cacertificate/{id}")).ok();
    let description = &described["certificateDescription"];
    assert_eq!(description["status"], "ACTIVE");
    assert_eq!(description["autoRegistrationStatus"], "DISABLE");
    assert_eq!(description["ownedBy"], "000000000000");
    assert_eq!(description["certificateMode"], "DEFAULT");
    assert!(description["validity"]["notAfter"].is_i64());
    assert!(str_of(description, "certificatePem").starts_with("-----BEGIN CERTIFICATE-----"));

    let listed = api.get("/cacertificates").ok();
    assert_eq!(
        names(&listed, "certificates", Some("certificateId")),
        std::slice::from_ref(&id)
    );
    assert_eq!(listed["certificates"][0]["status"], "ACTIVE");

    api.post("/cacertificate")
        .json(json!({"caCertificate": ca.pem}))
        .fails(409, "ResourceAlreadyExistsException");

    api.delete(&format!("/cacertificate/{id}"))
        .fails(406, "CertificateStateException");
    api.put(&format!("/cacertificate/{id}"))
        .query("newStatus", "INACTIVE")
        .query("newAutoRegistrationStatus", "ENABLE")
        .json(json!({"registrationConfig": {"templateName": "fleet"}}))
        .ok();
    let described = api.get(&format!("/cacertificate/{id}")).ok();
    assert_eq!(described["certificateDescription"]["status"], "INACTIVE");
    assert_eq!(
        described["certificateDescription"]["autoRegistrationStatus"],
        "ENABLE"
    );
    assert_eq!(described["certificateDescription"]["customerVersion"], 2);
    assert_eq!(
        described["registrationConfig"],
        json!({"templateName": "fleet"})
    );
    let by_template = api
        .get("/cacertificates")
        .query("templateName", "fleet")
        .ok();
    assert_eq!(
        names(&by_template, "certificates", Some("certificateId")).len(),
        1
    );
    let other_template = api.get("/cacertificates").query("templateName", "x").ok();
    assert!(names(&other_template, "certificates", Some("certificateId")).is_empty());
    api.put(&format!("/cacertificate/{id}"))
        .json(json!({"removeAutoRegistration": true}))
        .ok();
    let described = api.get(&format!("/cacertificate/{id}")).ok();
    assert!(described.get("registrationConfig").is_none());
    assert_eq!(
        described["certificateDescription"]["autoRegistrationStatus"],
        "DISABLE"
    );
    api.put(&format!("/cacertificate/{id}"))
        .query("newStatus", "REVOKED")
        .fails(400, "InvalidRequestException");

    api.delete(&format!("/cacertificate/{id}")).ok();
    api.get(&format!("/cacertificate/{id}"))
        .fails(404, "ResourceNotFoundException");
    api.delete(&format!("/cacertificate/{id}"))
        .fails(404, "ResourceNotFoundException");
    api.get("/cacertificate/xyz")
        .fails(400, "InvalidRequestException");
}

#[test]
fn only_real_ca_certificates_with_a_valid_proof_are_registered() {
    let api = Api::new();
    let ca = own_ca("Fleet CA");
    let stranger = own_ca("Stranger CA");
    let body = api
        .post("/cacertificate")
        .json(json!({"caCertificate": ca.pem, "verificationCertificate": stranger.sign("code", 2040)}))
        .fails(400, "CertificateValidationException");
    assert!(str_of(&body, "message").contains("verification"), "{body}");
    let leaf = ca.sign("device", 2040);
    api.post("/cacertificate")
        .json(json!({"caCertificate": leaf}))
        .fails(400, "CertificateValidationException");
    api.post("/cacertificate")
        .json(json!({"caCertificate": "garbage"}))
        .fails(400, "CertificateValidationException");
    api.post("/cacertificate")
        .json(json!({}))
        .fails(400, "InvalidRequestException");
    api.post("/cacertificate")
        .json(json!({"caCertificate": ca.pem, "certificateMode": "LOUD"}))
        .fails(400, "InvalidRequestException");
    // without a verification certificate the proof is skipped
    api.post("/cacertificate")
        .query("allowAutoRegistration", "true")
        .json(json!({"caCertificate": ca.pem, "certificateMode": "SNI_ONLY"}))
        .ok();
}

#[test]
fn device_certificates_must_be_signed_by_a_registered_ca() {
    let api = Api::new();
    let ca = own_ca("Fleet CA");
    let ca_id = register_ca(&api, &ca, true);

    let device = ca.sign("device-1", 2040);
    let registered = api
        .post("/certificate/register")
        .json(json!({"certificatePem": device}))
        .ok();
    let id = str_of(&registered, "certificateId").to_string();
    let description =
        api.get(&format!("/certificates/{id}")).ok()["certificateDescription"].clone();
    assert_eq!(description["caCertificateId"], ca_id.as_str());
    assert_eq!(description["status"], "INACTIVE", "AWS's default");

    let second = ca.sign("device-2", 2040);
    let registered = api
        .post("/certificate/register")
        .query("setAsActive", "true")
        .json(json!({"certificatePem": second, "caCertificatePem": ca.pem}))
        .ok();
    let second_id = str_of(&registered, "certificateId").to_string();
    assert_eq!(
        api.get(&format!("/certificates/{second_id}")).ok()["certificateDescription"]["status"],
        "ACTIVE"
    );
    let third = api
        .post("/certificate/register")
        .json(json!({"certificatePem": ca.sign("device-3", 2040), "status": "REVOKED"}))
        .ok();
    assert_eq!(
        api.get(&format!(
            "/certificates/{}",
            str_of(&third, "certificateId")
        ))
        .ok()["certificateDescription"]["status"],
        "REVOKED"
    );

    let by_ca = api.get(&format!("/certificates-by-ca/{ca_id}")).ok();
    let mut expected = vec![
        id.clone(),
        second_id,
        str_of(&third, "certificateId").to_string(),
    ];
    expected.sort();
    assert_eq!(
        names(&by_ca, "certificates", Some("certificateId")),
        expected
    );

    let duplicate = api
        .post("/certificate/register")
        .json(json!({"certificatePem": device}))
        .fails(409, "ResourceAlreadyExistsException");
    assert_eq!(duplicate["resourceId"], id.as_str());

    let stranger = own_ca("Stranger CA");
    api.post("/certificate/register")
        .json(json!({"certificatePem": stranger.sign("intruder", 2040)}))
        .fails(400, "CertificateValidationException");
    api.post("/certificate/register")
        .json(json!({"certificatePem": stranger.sign("intruder", 2040), "caCertificatePem": stranger.pem}))
        .fails(400, "CertificateValidationException");
    api.post("/certificate/register")
        .json(
            json!({"certificatePem": stranger.sign("intruder", 2040), "caCertificatePem": ca.pem}),
        )
        .fails(400, "CertificateValidationException");
    api.post("/certificate/register")
        .json(json!({"certificatePem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}))
        .fails(400, "CertificateValidationException");
    api.post("/certificate/register")
        .json(json!({"certificatePem": ca.sign("old", 2001)}))
        .fails(400, "CertificateValidationException");
    api.post("/certificate/register")
        .json(json!({"certificatePem": ca.sign("odd", 2040), "status": "PENDING_TRANSFER"}))
        .fails(400, "InvalidRequestException");
    api.post("/certificate/register")
        .json(json!({"certificatePem": ca.sign("odd", 2040), "status": "WHATEVER"}))
        .fails(400, "InvalidRequestException");
    api.post("/certificate/register")
        .json(json!({}))
        .fails(400, "InvalidRequestException");
}

#[test]
fn certificates_can_be_registered_without_a_ca() {
    let api = Api::new();
    let ca = own_ca("Unregistered CA");
    let pem = ca.sign("lonely", 2040);
    let registered = api
        .post("/certificate/register-no-ca")
        .json(json!({"certificatePem": pem, "status": "ACTIVE"}))
        .ok();
    let id = str_of(&registered, "certificateId");
    let description =
        api.get(&format!("/certificates/{id}")).ok()["certificateDescription"].clone();
    assert_eq!(description["certificateMode"], "SNI_ONLY");
    assert_eq!(description["status"], "ACTIVE");
    assert!(description.get("caCertificateId").is_none());
    api.post("/certificate/register-no-ca")
        .json(json!({"certificatePem": pem}))
        .fails(409, "ResourceAlreadyExistsException");
    api.post("/certificate/register-no-ca")
        .json(json!({"certificatePem": "nope"}))
        .fails(400, "CertificateValidationException");
}
