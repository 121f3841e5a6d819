//! Table-driven tests of policy evaluation, one file per group of documentation pages. Each
//! table is headed by the AWS documentation page its policies come from (AWS IoT Core Developer
//! Guide unless it says IAM User Guide); the policies are AWS's own examples with account
//! `123456789012` in `us-east-1`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::*;

mod api;
mod conditions;
mod connect;
mod iam;
mod pub_sub;
mod things_and_certificates;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
const CERT_ID: &str = "6d3f4a0b2c1e";
/// 2024-01-01T00:00:00Z.
const NOW: i64 = 1_704_067_200;

fn base() -> AuthContext {
    AuthContext::new(
        Principal::Certificate { id: CERT_ID.into() },
        REGION,
        ACCOUNT,
        NOW,
    )
}

/// A device connected with `client_id`, no thing.
fn client(client_id: &str) -> AuthContext {
    AuthContext {
        client_id: Some(client_id.into()),
        ..base()
    }
}

/// A device whose client id is its thing name, the thing attached to its certificate.
fn thing(name: &str) -> AuthContext {
    with_thing(name, true, &[], None)
}

fn with_thing(
    name: &str,
    attached: bool,
    attributes: &[(&str, &str)],
    type_name: Option<&str>,
) -> AuthContext {
    AuthContext {
        thing: Some(ThingContext {
            name: name.into(),
            type_name: type_name.map(Into::into),
            attributes: attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            is_attached: attached,
        }),
        ..client(name)
    }
}

fn from_ip(mut ctx: AuthContext, ip: &str) -> AuthContext {
    ctx.source_ip = Some(ip.parse::<IpAddr>().unwrap_or_else(|e| panic!("{ip}: {e}")));
    ctx
}

fn with_cert(mut ctx: AuthContext, cert: CertificateContext) -> AuthContext {
    ctx.certificate = Some(cert);
    ctx
}

fn subject(common_names: &[&str], organizations: &[&str]) -> CertificateContext {
    CertificateContext {
        subject: DistinguishedName {
            common_name: common_names.iter().map(|s| s.to_string()).collect(),
            organization: organizations.iter().map(|s| s.to_string()).collect(),
            ..DistinguishedName::default()
        },
        ..CertificateContext::default()
    }
}

struct Row {
    ctx: AuthContext,
    action: &'static str,
    kind: ResourceKind,
    name: &'static str,
    keys: &'static [RequestKey<'static>],
    expected: Decision,
}

fn row(
    ctx: AuthContext,
    action: &'static str,
    kind: ResourceKind,
    name: &'static str,
    expected: Decision,
) -> Row {
    Row {
        ctx,
        action,
        kind,
        name,
        keys: &[],
        expected,
    }
}

fn row_with(
    ctx: AuthContext,
    action: &'static str,
    kind: ResourceKind,
    name: &'static str,
    keys: &'static [RequestKey<'static>],
    expected: Decision,
) -> Row {
    Row {
        keys,
        ..row(ctx, action, kind, name, expected)
    }
}

fn parse_all(policies: &[&str]) -> Vec<PolicyDocument> {
    policies
        .iter()
        .map(|p| PolicyDocument::parse(p).unwrap_or_else(|e| panic!("{e}: {p}")))
        .collect()
}

/// Evaluates every row against `policies`, compiled and uncompiled.
fn check(page: &str, policies: &[&str], rows: &[Row]) {
    let docs = parse_all(policies);
    let compiled = CompiledPolicies::new(&docs);
    assert!(compiled.unsupported_operators().is_empty());
    for (i, r) in rows.iter().enumerate() {
        let resource = resource_arn(r.kind, r.name, REGION, ACCOUNT);
        let request = Request::new(r.action, &resource).with_keys(r.keys);
        let decision = compiled.evaluate(&r.ctx, &request);
        assert_eq!(
            decision, r.expected,
            "{page}, row {i}: {} on {resource}",
            r.action
        );
        assert_eq!(evaluate(&docs, &r.ctx, &request), decision);
    }
}
