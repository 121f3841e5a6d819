//! Authenticating client certificates against the registry (`principal_auth`): every refusal
//! with its reason, and the rights an accepted certificate gets (its own policies, its thing's
//! groups' policies, thing and certificate variables).

use crate::common::{str_of, Api, START_MILLIS};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::json;
use thingcore::policy::IotAction;
use thingcore_registry::principal_auth::AuthenticationError;

fn der_of(pem: &str) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .unwrap_or_else(|e| panic!("PEM: {e}"))
        .1
        .contents
}

struct TestCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn test_ca(name: &str) -> TestCa {
    let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let pem = params
        .self_signed(&key)
        .unwrap_or_else(|e| panic!("{e}"))
        .pem();
    TestCa {
        pem,
        issuer: Issuer::new(params, key),
    }
}

impl TestCa {
    /// A leaf valid from `from` to `until` (years).
    fn sign(&self, name: &str, from: i32, until: i32) -> String {
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.not_before = rcgen::date_time_ymd(from, 1, 1);
        params.not_after = rcgen::date_time_ymd(until, 1, 1);
        params
            .signed_by(&key, &self.issuer)
            .unwrap_or_else(|e| panic!("{e}"))
            .pem()
    }
}

fn authenticate(
    api: &Api,
    chain: &[Vec<u8>],
    client_id: &str,
) -> Result<thingcore_registry::principal_auth::CertificatePrincipal, AuthenticationError> {
    futures::executor::block_on(api.service.authenticate_certificate(chain, Some(client_id)))
}

fn register_ca(api: &Api, ca: &TestCa) -> String {
    let body = api
        .post("/cacertificate")
        .query("setAsActive", "true")
        .json(json!({"caCertificate": ca.pem, "verificationCertificate": ca.sign("code", 2020, 2040)}))
        .ok();
    str_of(&body, "certificateId").to_string()
}

fn register(api: &Api, ca: &TestCa, leaf: &str) -> String {
    let body = api
        .post("/certificate/register")
        .query("setAsActive", "true")
        .json(json!({"certificatePem": leaf, "caCertificatePem": ca.pem}))
        .ok();
    str_of(&body, "certificateId").to_string()
}

const DEVICE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:*:*:client/${iot:ClientId}"},
  {"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:*:*:topic/dev/${iot:ClientId}/*"}]}"#;

#[test]
fn an_active_certificate_gets_its_policies_and_its_groups_policies() {
    let api = Api::new();
    let created = api
        .post("/keys-and-certificate")
        .query("setAsActive", "true")
        .ok();
    let arn = str_of(&created, "certificateArn").to_string();
    let der = der_of(str_of(&created, "certificatePem"));
    api.post("/policies/device")
        .json(json!({"policyDocument": DEVICE_POLICY}))
        .ok();
    api.post("/policies/fleet")
        .json(json!({"policyDocument": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Subscribe","Resource":"arn:aws:iot:*:*:topicfilter/fleet/${iot:Connection.Thing.Attributes[site]}/#"}]}"#}))
        .ok();
    api.put("/target-policies/device")
        .json(json!({"target": arn}))
        .ok();

    let principal = authenticate(&api, std::slice::from_ref(&der), "sensor-1").expect("accepted");
    assert_eq!(principal.certificate_arn, arn);
    let auth = &principal.authorization;
    assert!(auth.allows(IotAction::Connect, "sensor-1"));
    assert!(!auth.allows(IotAction::Connect, "sensor-2"));
    assert!(auth.allows(IotAction::Publish, "dev/sensor-1/t"));
    assert!(!auth.allows(IotAction::Subscribe, "fleet/berlin/#"));
    let subject = &auth
        .context
        .certificate
        .as_ref()
        .expect("certificate")
        .subject;
    assert_eq!(subject.common_name, vec!["AWS IoT Certificate"]);

    // A thing named like the client id, attached, in a subgroup of a group with a policy.
    api.post("/things/sensor-1")
        .json(json!({"attributePayload": {"attributes": {"site": "berlin"}}}))
        .ok();
    api.put("/things/sensor-1/principals")
        .header("x-amzn-principal", &arn)
        .ok();
    api.post("/thing-groups/fleet").json(json!({})).ok();
    api.post("/thing-groups/fleet-eu")
        .json(json!({"parentGroupName": "fleet"}))
        .ok();
    api.put("/thing-groups/addThingToThingGroup")
        .json(json!({"thingGroupName": "fleet-eu", "thingName": "sensor-1"}))
        .ok();
    let group_arn = "arn:aws:iot:us-east-1:000000000000:thinggroup/fleet";
    api.put("/target-policies/fleet")
        .json(json!({"target": group_arn}))
        .ok();
    let auth = authenticate(&api, std::slice::from_ref(&der), "sensor-1")
        .expect("accepted")
        .authorization;
    assert!(auth.allows(IotAction::Subscribe, "fleet/berlin/#"));
    assert!(!auth.allows(IotAction::Subscribe, "fleet/paris/#"));
    let thing = auth.context.thing.as_ref().expect("thing");
    assert_eq!(thing.name, "sensor-1");
    // Another client id is not the thing: no group policies.
    let other = authenticate(&api, &[der], "sensor-2")
        .expect("accepted")
        .authorization;
    assert!(other.context.thing.is_none());
    assert!(!other.allows(IotAction::Subscribe, "fleet/berlin/#"));
}

#[test]
fn inactive_and_revoked_certificates_are_refused() {
    let api = Api::new();
    let created = api
        .post("/keys-and-certificate")
        .query("setAsActive", "false")
        .ok();
    let id = str_of(&created, "certificateId").to_string();
    let der = der_of(str_of(&created, "certificatePem"));
    let refused = authenticate(&api, std::slice::from_ref(&der), "c").expect_err("inactive");
    assert!(
        matches!(
            refused,
            AuthenticationError::NotActive {
                status: "INACTIVE",
                ..
            }
        ),
        "{refused}"
    );
    api.put(&format!("/certificates/{id}"))
        .query("newStatus", "ACTIVE")
        .ok();
    assert!(authenticate(&api, std::slice::from_ref(&der), "c").is_ok());
    let before = api.service.auth_generation();
    api.put(&format!("/certificates/{id}"))
        .query("newStatus", "REVOKED")
        .ok();
    assert!(
        api.service.auth_generation() > before,
        "a status change moves the generation"
    );
    let refused = authenticate(&api, &[der], "c").expect_err("revoked");
    assert!(
        matches!(
            refused,
            AuthenticationError::NotActive {
                status: "REVOKED",
                ..
            }
        ),
        "{refused}"
    );
    assert!(refused.to_string().contains("REVOKED"));
}

#[test]
fn unknown_self_signed_and_unregistered_ca_certificates_are_refused() {
    let api = Api::new();
    let ca = test_ca("Stranger CA");
    let leaf = der_of(&ca.sign("device", 2020, 2040));
    let refused = authenticate(&api, &[leaf.clone(), der_of(&ca.pem)], "c").expect_err("no CA");
    assert!(
        matches!(refused, AuthenticationError::CaNotRegistered(_)),
        "{refused}"
    );
    let refused = authenticate(&api, &[leaf], "c").expect_err("unknown");
    assert!(
        matches!(refused, AuthenticationError::Unknown(_)),
        "{refused}"
    );
    let refused = authenticate(&api, &[der_of(&ca.pem)], "c").expect_err("self-signed");
    assert!(
        matches!(refused, AuthenticationError::SelfSigned(_)),
        "{refused}"
    );
    let refused = authenticate(&api, &[b"garbage".to_vec()], "c").expect_err("garbage");
    assert!(
        matches!(refused, AuthenticationError::Malformed(_)),
        "{refused}"
    );
    let refused = authenticate(&api, &[], "c").expect_err("nothing");
    assert!(
        matches!(refused, AuthenticationError::NoCertificate),
        "{refused}"
    );
}

#[test]
fn certificates_of_a_registered_ca_need_it_active() {
    let api = Api::new();
    let ca = test_ca("Fleet CA");
    let ca_id = register_ca(&api, &ca);
    let leaf = ca.sign("device", 2020, 2040);
    register(&api, &ca, &leaf);
    let der = der_of(&leaf);
    assert!(authenticate(&api, std::slice::from_ref(&der), "c").is_ok());
    api.put(&format!("/cacertificate/{ca_id}"))
        .query("newStatus", "INACTIVE")
        .ok();
    let refused = authenticate(&api, &[der], "c").expect_err("CA inactive");
    assert!(
        matches!(refused, AuthenticationError::CaInactive(_)),
        "{refused}"
    );
}

#[test]
fn expired_and_not_yet_valid_certificates_are_refused() {
    let api = Api::new();
    let ca = test_ca("Fleet CA");
    register_ca(&api, &ca);
    // Valid now (2023-11-14), expiring 2024-01-01.
    let short = ca.sign("short", 2020, 2024);
    register(&api, &ca, &short);
    let future = ca.sign("future", 2030, 2040);
    register(&api, &ca, &future);
    assert!(authenticate(&api, &[der_of(&short)], "c").is_ok());
    let refused = authenticate(&api, &[der_of(&future)], "c").expect_err("not yet valid");
    assert!(
        matches!(refused, AuthenticationError::NotYetValid(_)),
        "{refused}"
    );
    // Two years later.
    api.clock.set(START_MILLIS + 2 * 365 * 86_400_000);
    let refused = authenticate(&api, &[der_of(&short)], "c").expect_err("expired");
    assert!(
        matches!(refused, AuthenticationError::Expired(_)),
        "{refused}"
    );
}
