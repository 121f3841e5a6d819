//! Device certificates from the local CA: CreateKeysAndCertificate, CreateCertificateFromCsr,
//! DescribeCertificate, ListCertificates, UpdateCertificate, DeleteCertificate.

use crate::common::{label, names, new_certificate, str_of, Api};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PublicKeyData};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use thingcore::store::MemoryStore;
use x509_parser::pem::parse_x509_pem;

fn der_of(pem: &str) -> Vec<u8> {
    parse_x509_pem(pem.as_bytes())
        .unwrap_or_else(|e| panic!("PEM: {e}"))
        .1
        .contents
}

fn hex_sha256(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks that `pem` is issued by `ca_pem`'s subject and verifies with its key.
fn assert_issued_by(pem: &str, ca_pem: &str) -> Vec<u8> {
    let der = der_of(pem);
    let ca_der = der_of(ca_pem);
    let (_, certificate) =
        x509_parser::parse_x509_certificate(&der).unwrap_or_else(|e| panic!("{e}"));
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(certificate.issuer(), ca.subject());
    assert!(certificate.verify_signature(Some(ca.public_key())).is_ok());
    assert!(!certificate.is_ca());
    certificate.public_key().raw.to_vec()
}

#[test]
fn keys_and_certificate_come_from_the_local_ca() {
    let api = Api::new();
    let created = new_certificate(&api, true);
    let id = str_of(&created, "certificateId").to_string();
    let pem = str_of(&created, "certificatePem");
    let der = der_of(pem);
    assert_eq!(id, hex_sha256(&der), "the id is the SHA-256 of the DER");
    assert_eq!(
        created["certificateArn"],
        format!("arn:aws:iot:us-east-1:000000000000:cert/{id}")
    );
    let spki = assert_issued_by(pem, &api.ca_pem());
    let private = str_of(&created["keyPair"], "PrivateKey");
    let key = KeyPair::from_pem(private).unwrap_or_else(|e| panic!("private key: {e}"));
    assert_eq!(
        key.subject_public_key_info(),
        spki,
        "the key pair is the certificate's"
    );
    assert!(str_of(&created["keyPair"], "PublicKey").starts_with("-----BEGIN PUBLIC KEY-----"));

    let described = api.get(&format!("/certificates/{id}")).ok()["certificateDescription"].clone();
    assert_eq!(described["status"], "ACTIVE");
    assert_eq!(described["certificateId"], id.as_str());
    assert_eq!(described["certificatePem"], pem);
    assert_eq!(described["ownedBy"], "000000000000");
    assert_eq!(described["certificateMode"], "DEFAULT");
    assert_eq!(described["customerVersion"], 1);
    assert!(described["creationDate"].is_u64());
    assert!(described["lastModifiedDate"].is_u64());
    assert_eq!(described["validity"]["notAfter"], 2_524_607_999_i64);
    assert!(described["validity"]["notBefore"].is_i64());
    assert!(described.get("caCertificateId").is_none());

    let inactive = new_certificate(&api, false);
    let described = api
        .get(&format!(
            "/certificates/{}",
            str_of(&inactive, "certificateId")
        ))
        .ok();
    assert_eq!(described["certificateDescription"]["status"], "INACTIVE");
}

#[test]
fn every_host_on_one_store_signs_with_the_same_ca() {
    let clock = Arc::new(thingcore::ManualClock::new(crate::common::START_MILLIS));
    let store: Arc<dyn thingcore::store::Store> = Arc::new(MemoryStore::new(clock.clone()));
    let one = Api::over(store.clone(), clock.clone(), Default::default());
    let two = Api::over(store, clock, Default::default());
    let ca = one.ca_pem();
    assert_eq!(ca, two.ca_pem());
    let created = new_certificate(&two, true);
    assert_issued_by(str_of(&created, "certificatePem"), &ca);
}

#[test]
fn certificates_from_csrs_carry_the_requested_key() {
    let api = Api::new();
    let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "sensor-7");
    let csr = params
        .serialize_request(&key)
        .and_then(|csr| csr.pem())
        .unwrap_or_else(|e| panic!("{e}"));
    let created = api
        .post("/certificates")
        .query("setAsActive", "true")
        .json(json!({"certificateSigningRequest": csr}))
        .ok();
    let pem = str_of(&created, "certificatePem");
    let spki = assert_issued_by(pem, &api.ca_pem());
    assert_eq!(key.subject_public_key_info(), spki);
    let der = der_of(pem);
    let (_, certificate) =
        x509_parser::parse_x509_certificate(&der).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(certificate.subject().to_string(), "CN=sensor-7");
    assert_eq!(created["certificateId"], hex_sha256(&der));
    let id = str_of(&created, "certificateId");
    assert_eq!(
        api.get(&format!("/certificates/{id}")).ok()["certificateDescription"]["status"],
        "ACTIVE"
    );

    for bad in [
        "not a csr",
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    ] {
        api.post("/certificates")
            .json(json!({"certificateSigningRequest": bad}))
            .fails(400, "InvalidRequestException");
    }
    api.post("/certificates")
        .json(json!({}))
        .fails(400, "InvalidRequestException");
    api.post("/certificates")
        .json(json!({"certificateSigningRequest": "x".repeat(4097)}))
        .fails(400, "InvalidRequestException");
}

#[test]
fn statuses_change_until_revoked() {
    let api = Api::new();
    let created = new_certificate(&api, true);
    let path = format!("/certificates/{}", str_of(&created, "certificateId"));
    let status = |api: &Api| {
        api.get(&path).ok()["certificateDescription"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    api.put(&path).query("newStatus", "INACTIVE").ok();
    assert_eq!(status(&api), "INACTIVE");
    api.put(&path).query("newStatus", "INACTIVE").ok();
    let described = api.get(&path).ok()["certificateDescription"].clone();
    assert_eq!(
        described["customerVersion"], 2,
        "an unchanged status is not a change"
    );
    api.put(&path).query("newStatus", "ACTIVE").ok();
    api.put(&path).query("newStatus", "REVOKED").ok();
    assert_eq!(status(&api), "REVOKED");
    api.put(&path)
        .query("newStatus", "ACTIVE")
        .fails(406, "CertificateStateException");
    api.put(&path).query("newStatus", "REVOKED").ok();
    api.put(&path)
        .query("newStatus", "PENDING_TRANSFER")
        .fails(400, "InvalidRequestException");
    api.put(&path)
        .query("newStatus", "active")
        .fails(400, "InvalidRequestException");
    api.put(&path).fails(400, "InvalidRequestException");
    api.put(&format!("/certificates/{}", "0".repeat(64)))
        .query("newStatus", "ACTIVE")
        .fails(404, "ResourceNotFoundException");
    api.get("/certificates/abc")
        .fails(400, "InvalidRequestException");
}

#[test]
fn deletion_needs_an_inactive_detached_certificate() {
    let api = Api::new();
    let created = new_certificate(&api, true);
    let id = str_of(&created, "certificateId").to_string();
    let arn = str_of(&created, "certificateArn").to_string();
    let path = format!("/certificates/{id}");
    api.delete(&path).fails(406, "CertificateStateException");
    api.put(&path).query("newStatus", "INACTIVE").ok();

    api.post("/things/t1").ok();
    api.put("/things/t1/principals")
        .header("x-amzn-principal", &arn)
        .ok();
    api.delete(&path).fails(409, "DeleteConflictException");
    api.delete(&path)
        .query("forceDelete", "true")
        .fails(409, "DeleteConflictException");
    api.delete("/things/t1/principals")
        .header("x-amzn-principal", &arn)
        .ok();

    api.post("/policies/p")
        .json(json!({"policyDocument": r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}}"#}))
        .ok();
    api.put("/target-policies/p")
        .json(json!({"target": arn}))
        .ok();
    api.delete(&path).fails(409, "DeleteConflictException");
    api.post("/target-policies/p")
        .json(json!({"target": arn}))
        .ok();
    api.delete(&path).ok();
    api.get(&path).fails(404, "ResourceNotFoundException");
    api.delete(&path).fails(404, "ResourceNotFoundException");

    // forceDelete detaches policies, never things
    let other = new_certificate(&api, false);
    let other_arn = str_of(&other, "certificateArn").to_string();
    api.put("/target-policies/p")
        .json(json!({"target": other_arn}))
        .ok();
    api.delete(&format!(
        "/certificates/{}",
        str_of(&other, "certificateId")
    ))
    .query("forceDelete", "true")
    .ok();
    let targets = api.post("/policy-targets/p").ok();
    assert!(names(&targets, "targets", None).is_empty());
    api.post(&format!("/attached-policies/{}", label(&other_arn)))
        .fails(404, "ResourceNotFoundException");
}

#[test]
fn certificates_are_listed_a_page_at_a_time() {
    let api = Api::new();
    let mut ids: Vec<String> = (0..5)
        .map(|_| str_of(&new_certificate(&api, false), "certificateId").to_string())
        .collect();
    ids.sort();
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut call = api.get("/certificates").query("pageSize", "2");
        if let Some(m) = &marker {
            call = call.query("marker", m);
        }
        let body = call.query("isAscendingOrder", "true").ok();
        seen.extend(names(&body, "certificates", Some("certificateId")));
        assert_eq!(body["certificates"][0]["status"], "INACTIVE");
        assert!(body["certificates"][0]["creationDate"].is_u64());
        match body["nextMarker"].as_str() {
            Some(next) => {
                assert!(next
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
                marker = Some(next.to_string());
            }
            None => break,
        }
    }
    assert_eq!(seen, ids);
    api.get("/certificates")
        .query("marker", "bm90IGEgdG9rZW4=")
        .fails(400, "InvalidRequestException");
    api.get("/certificates")
        .query("pageSize", "0")
        .fails(400, "InvalidRequestException");
    api.get("/certificates")
        .query("isAscendingOrder", "sideways")
        .fails(400, "InvalidRequestException");
}
