//! Thing policy examples/variables and X.509 certificate policy examples/variables.

use super::*;
use crate::policy::Decision::{Allow, ImplicitDeny};
use crate::policy::ResourceKind::{Client, Topic};

// --- Thing policy examples / Thing policy variables ---------------------------------------

#[test]
fn thing_policy_examples() {
    let is_attached = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:Connect"],"Resource":["*"],
        "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":["true"]}}}]}"#;
    check(
        "Thing policy examples (connect if attached)",
        &[is_attached],
        &[
            row(thing("t"), "iot:Connect", Client, "t", Allow),
            row(
                with_thing("t", false, &[], None),
                "iot:Connect",
                Client,
                "t",
                ImplicitDeny,
            ),
            row(client("t"), "iot:Connect", Client, "t", ImplicitDeny),
        ],
    );
    let attribute_and_type = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:Publish"],"Resource":"arn:aws:iot:us-east-1:123456789012:topic/device/stats",
        "Condition":{"StringEquals":{"iot:Connection.Thing.Attributes[attributeName]":"attributeValue",
                                     "iot:Connection.Thing.ThingTypeName":"Thing_Type_Name"},
                     "Bool":{"iot:Connection.Thing.IsAttached":"true"}}}]}"#;
    let typed = |attached, value, type_name| {
        with_thing("t", attached, &[("attributeName", value)], Some(type_name))
    };
    check(
        "Thing policy examples (attribute and thing type)",
        &[attribute_and_type],
        &[
            row(
                typed(true, "attributeValue", "Thing_Type_Name"),
                "iot:Publish",
                Topic,
                "device/stats",
                Allow,
            ),
            row(
                typed(true, "other", "Thing_Type_Name"),
                "iot:Publish",
                Topic,
                "device/stats",
                ImplicitDeny,
            ),
            row(
                typed(true, "attributeValue", "Other_Type"),
                "iot:Publish",
                Topic,
                "device/stats",
                ImplicitDeny,
            ),
            row(
                typed(false, "attributeValue", "Thing_Type_Name"),
                "iot:Publish",
                Topic,
                "device/stats",
                ImplicitDeny,
            ),
            row(
                with_thing(
                    "t",
                    true,
                    &[("attributename", "attributeValue")],
                    Some("Thing_Type_Name"),
                ),
                "iot:Publish",
                Topic,
                "device/stats",
                ImplicitDeny,
            ),
        ],
    );
    let attribute_in_topic = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:Publish"],
        "Resource":"arn:aws:iot:us-east-1:123456789012:topic/${iot:Connection.Thing.Attributes[attributeName]}/*"}]}"#;
    check(
        "Thing policy examples (thing attribute in the topic)",
        &[attribute_in_topic],
        &[
            row(
                with_thing("t", true, &[("attributeName", "floor3")], None),
                "iot:Publish",
                Topic,
                "floor3/temp",
                Allow,
            ),
            row(
                with_thing("t", true, &[("attributeName", "floor3")], None),
                "iot:Publish",
                Topic,
                "floor4/temp",
                ImplicitDeny,
            ),
            // "If the device certificate is not associated with the thing, this variable won't
            // be resolved and will result in an access denied error."
            row(
                with_thing("t", false, &[("attributeName", "floor3")], None),
                "iot:Publish",
                Topic,
                "floor3/temp",
                ImplicitDeny,
            ),
            row(
                with_thing("t", true, &[], None),
                "iot:Publish",
                Topic,
                "/temp",
                ImplicitDeny,
            ),
        ],
    );
}

// --- Certificate policy examples / X.509 Certificate AWS IoT Core policy variables -----------

#[test]
fn certificate_policy_examples() {
    let by_certificate_id = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:CertificateId}"]}]}"#;
    let cognito = AuthContext {
        principal: Principal::CognitoIdentity {
            identity_id: "us-east-1:abc".into(),
        },
        ..client("c")
    };
    check(
        "Certificate policy examples (topic named by certificateId)",
        &[by_certificate_id],
        &[
            row(client("c"), "iot:Publish", Topic, CERT_ID, Allow),
            row(client("c"), "iot:Publish", Topic, "other", ImplicitDeny),
            row(cognito, "iot:Publish", Topic, CERT_ID, ImplicitDeny),
        ],
    );
    let by_common_name = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:Certificate.Subject.CommonName}"]}]}"#;
    let long_name: &'static str = Box::leak("n".repeat(1025).into_boxed_str());
    check(
        "Certificate policy examples (topic named by the subject common name)",
        &[by_common_name],
        &[
            row(
                with_cert(client("c"), subject(&["dev-1", "dev-2"], &[])),
                "iot:Publish",
                Topic,
                "dev-1",
                Allow,
            ),
            row(
                with_cert(client("c"), subject(&["dev-1", "dev-2"], &[])),
                "iot:Publish",
                Topic,
                "dev-2",
                ImplicitDeny,
            ),
            row(client("c"), "iot:Publish", Topic, "dev-1", ImplicitDeny),
            // X.509 limitations: wildcard characters and over-long values are not substituted.
            row(
                with_cert(client("c"), subject(&["dev*"], &[])),
                "iot:Publish",
                Topic,
                "dev*",
                ImplicitDeny,
            ),
            row(
                with_cert(client("c"), subject(&["a/#"], &[])),
                "iot:Publish",
                Topic,
                "a/#",
                ImplicitDeny,
            ),
            row(
                with_cert(client("c"), subject(&[long_name], &[])),
                "iot:Publish",
                Topic,
                long_name,
                ImplicitDeny,
            ),
        ],
    );
    let administrator_at_index_2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:Publish"],"Resource":["arn:aws:iot:us-east-1:123456789012:topic/admin/*"],
        "Condition":{"StringEquals":{"iot:Certificate.Subject.CommonName.2":"Administrator"}}}]}"#;
    check(
        "Certificate policy examples (Subject.CommonName.2 is Administrator)",
        &[administrator_at_index_2],
        &[
            row(
                with_cert(client("c"), subject(&["a", "b", "Administrator"], &[])),
                "iot:Publish",
                Topic,
                "admin/x",
                Allow,
            ),
            row(
                with_cert(client("c"), subject(&["a", "Administrator"], &[])),
                "iot:Publish",
                Topic,
                "admin/x",
                ImplicitDeny,
            ),
            row(
                with_cert(client("c"), subject(&["Administrator"], &[])),
                "iot:Publish",
                Topic,
                "admin/x",
                ImplicitDeny,
            ),
        ],
    );
    let any_administrator = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:Publish"],
        "Resource":["arn:aws:iot:us-east-1:123456789012:topic/admin/${iot:Connection.Thing.ThingName}"],
        "Condition":{"ForAnyValue:StringEquals":{"iot:Certificate.Subject.CommonName.List":"Administrator"}}}]}"#;
    check(
        "Certificate policy examples (any Subject.CommonName is Administrator)",
        &[any_administrator],
        &[
            row(
                with_cert(thing("t1"), subject(&["x", "Administrator"], &[])),
                "iot:Publish",
                Topic,
                "admin/t1",
                Allow,
            ),
            row(
                with_cert(thing("t1"), subject(&["x", "y"], &[])),
                "iot:Publish",
                Topic,
                "admin/t1",
                ImplicitDeny,
            ),
            // Only the first five values count ("Array fields").
            row(
                with_cert(
                    thing("t1"),
                    subject(&["1", "2", "3", "4", "5", "Administrator"], &[]),
                ),
                "iot:Publish",
                Topic,
                "admin/t1",
                ImplicitDeny,
            ),
            row(thing("t1"), "iot:Publish", Topic, "admin/t1", ImplicitDeny),
        ],
    );
}

#[test]
fn certificate_organization_list() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"]},
        {"Effect":"Allow","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/my/topic/${iot:Connection.Thing.ThingName}"],
         "Condition":{"ForAllValues:StringEquals":{"iot:Certificate.Subject.Organization.List":["Example Corp","AnyCompany"]}}}]}"#;
    let org = |orgs: &[&str]| with_cert(thing("t"), subject(&["t"], orgs));
    check(
        "X.509 Certificate AWS IoT Core policy variables (registered devices)",
        &[policy],
        &[
            row(
                org(&["Example Corp"]),
                "iot:Publish",
                Topic,
                "my/topic/t",
                Allow,
            ),
            row(
                org(&["AnyCompany", "Example Corp"]),
                "iot:Publish",
                Topic,
                "my/topic/t",
                Allow,
            ),
            row(
                org(&["Example Corp", "Evil Inc"]),
                "iot:Publish",
                Topic,
                "my/topic/t",
                ImplicitDeny,
            ),
            // ForAllValues holds for an empty set.
            row(org(&[]), "iot:Publish", Topic, "my/topic/t", Allow),
            row(thing("t"), "iot:Publish", Topic, "my/topic/t", Allow),
        ],
    );
}

#[test]
fn certificate_issuer_alternative_names_and_serial() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:Publish"],
        "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:Certificate.Subject.AlternativeName.DNSName.1}/${iot:Certificate.SerialNumber}"],
        "Condition":{"StringLike":{"iot:Certificate.Issuer.CommonName":"IoT Devices *"}}}]}"#;
    let cert = CertificateContext {
        issuer: DistinguishedName {
            common_name: vec!["IoT Devices Primary CA".into()],
            ..DistinguishedName::default()
        },
        subject_alternative_names: AlternativeNames {
            dns_name: vec!["a.example.com".into(), "b.example.com".into()],
            ..AlternativeNames::default()
        },
        serial_number: Some("921285cbb7a5e086".into()),
        ..CertificateContext::default()
    };
    let other_issuer = CertificateContext {
        issuer: DistinguishedName::default(),
        ..cert.clone()
    };
    check(
        "X.509 Certificate AWS IoT Core policy variables (alternative names, serial number)",
        &[policy],
        &[
            row(
                with_cert(client("c"), cert.clone()),
                "iot:Publish",
                Topic,
                "b.example.com/921285cbb7a5e086",
                Allow,
            ),
            row(
                with_cert(client("c"), cert),
                "iot:Publish",
                Topic,
                "a.example.com/921285cbb7a5e086",
                ImplicitDeny,
            ),
            row(
                with_cert(client("c"), other_issuer),
                "iot:Publish",
                Topic,
                "b.example.com/921285cbb7a5e086",
                ImplicitDeny,
            ),
        ],
    );
}
