//! IoT policy documents. An input is a policy document, then resource names separated by NUL
//! bytes (a few fixed names when there are none). A document that parses is compiled and asked
//! about every IoT action on every name, as a certificate-authenticated device with an
//! attached thing (type, attributes), a certificate subject and a source address: the policy
//! variables and condition keys all resolve. Nothing may panic, and a policy attached twice
//! decides exactly as attached once.

#![no_main]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use thingcore::policy::{
    AuthContext, Authorization, CertificateContext, CompiledPolicies, DistinguishedName, IotAction,
    PolicyDocument, Principal, Request, RequestKey, ThingContext,
};

/// Resource names to ask about when the input gives none.
const DEFAULT_NAMES: [&str; 3] = ["dev-1", "sensors/dev-1/temp", "$aws/things/dev-1/shadow/#"];

/// At most this many names from one input.
const MAX_NAMES: usize = 4;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let text = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let Ok(document) = PolicyDocument::parse(&text) else {
        return;
    };
    let given: Vec<String> = parts
        .take(MAX_NAMES)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let names: Vec<&str> = if given.is_empty() {
        DEFAULT_NAMES.to_vec()
    } else {
        given.iter().map(String::as_str).collect()
    };

    let once = Authorization::new(std::slice::from_ref(&document), context());
    let twice = CompiledPolicies::new(&[document.clone(), document]);
    for name in &names {
        for action in IotAction::ALL {
            let decision = once.decide(action, name);
            let resource = once.context.resource_arn(action.resource_kind(), name);
            let request = Request::new(action.as_str(), &resource);
            assert_eq!(
                decision,
                twice.evaluate(&once.context, &request),
                "{action:?} on {name:?}: one copy and two copies of the policy disagree"
            );
        }
        let _ = once.decide_shadow(IotAction::UpdateThingShadow, "dev-1", Some(name));
        connect_with_keys(&once, name);
    }
});

/// A CONNECT that carries the request-specific keys (`iot:ConnectAttributes`,
/// `iot:LastWillTopic`), with the will topic `name`.
fn connect_with_keys(authorization: &Authorization, name: &str) {
    let resource = authorization
        .context
        .resource_arn(IotAction::Connect.resource_kind(), "dev-1");
    let attributes = ["PersistentConnect", "LastWill"];
    let topic = [name];
    let keys = [
        RequestKey {
            name: "iot:ConnectAttributes",
            values: &attributes,
        },
        RequestKey {
            name: "iot:LastWillTopic",
            values: &topic,
        },
    ];
    let request = Request::new(IotAction::Connect.as_str(), &resource).with_keys(&keys);
    let _ = authorization
        .policies
        .explain(&authorization.context, &request);
}

/// Device `dev-1`: certificate principal, attached thing with a type and attributes, subject
/// and issuer names, a source address and a domain name.
fn context() -> AuthContext {
    let mut ctx = AuthContext::new(
        Principal::Certificate {
            id: "6d3f4a0b2c1e".to_owned(),
        },
        "us-east-1",
        "123456789012",
        1_704_067_200,
    );
    ctx.client_id = Some("dev-1".to_owned());
    ctx.thing = Some(ThingContext {
        name: "dev-1".to_owned(),
        type_name: Some("sensor".to_owned()),
        attributes: BTreeMap::from([
            ("room".to_owned(), "kitchen".to_owned()),
            ("floor".to_owned(), "2".to_owned()),
        ]),
        is_attached: true,
    });
    ctx.certificate = Some(CertificateContext {
        subject: DistinguishedName {
            common_name: vec!["dev-1".to_owned()],
            organization: vec!["Example".to_owned(), "Second".to_owned()],
            ..DistinguishedName::default()
        },
        issuer: DistinguishedName {
            common_name: vec!["Example CA".to_owned()],
            ..DistinguishedName::default()
        },
        serial_number: Some("0a1b2c".to_owned()),
        ..CertificateContext::default()
    });
    ctx.source_ip = Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)));
    ctx.domain_name = Some("iot.example.com".to_owned());
    ctx
}
