//! IAM User Guide: Condition operators, as IoT context keys use them.

use super::*;
use crate::policy::Decision::{Allow, ExplicitDeny, ImplicitDeny};
use crate::policy::ResourceKind::{Client, Topic, TopicFilter};

// --- Conditions (IAM User Guide, Condition operators) ------------------------------------

#[test]
fn string_operators_and_if_exists() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iot:Connect","Resource":"*",
         "Condition":{"StringLike":{"iot:ClientId":["sensor-*","probe-?"]}}},
        {"Effect":"Deny","Action":"iot:Connect","Resource":"*",
         "Condition":{"StringEqualsIgnoreCase":{"iot:ClientId":"SENSOR-BANNED"}}},
        {"Effect":"Allow","Action":"iot:Publish","Resource":"*",
         "Condition":{"StringNotEqualsIfExists":{"iot:Connection.Thing.ThingTypeName":"Camera"}}},
        {"Effect":"Allow","Action":"iot:Subscribe","Resource":"*",
         "Condition":{"StringNotLike":{"iot:DomainName":"*.internal"}}}]}"#;
    let typed = |type_name| with_thing("sensor-1", true, &[], Some(type_name));
    check(
        "IAM User Guide, Condition operators (string operators, ...IfExists)",
        &[policy],
        &[
            row(client("sensor-1"), "iot:Connect", Client, "sensor-1", Allow),
            row(client("probe-7"), "iot:Connect", Client, "probe-7", Allow),
            row(
                client("probe-77"),
                "iot:Connect",
                Client,
                "probe-77",
                ImplicitDeny,
            ),
            row(
                client("Sensor-1"),
                "iot:Connect",
                Client,
                "Sensor-1",
                ImplicitDeny,
            ),
            row(
                client("sensor-banned"),
                "iot:Connect",
                Client,
                "sensor-banned",
                ExplicitDeny,
            ),
            row(base(), "iot:Connect", Client, "", ImplicitDeny),
            row(typed("Thermometer"), "iot:Publish", Topic, "a", Allow),
            row(typed("Camera"), "iot:Publish", Topic, "a", ImplicitDeny),
            row(client("x"), "iot:Publish", Topic, "a", Allow),
            // Negated operator on an absent key: true.
            row(client("x"), "iot:Subscribe", TopicFilter, "a", Allow),
        ],
    );
}

#[test]
fn source_ip_conditions() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iot:Connect","Resource":"*",
         "Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}},
        {"Effect":"Deny","Action":"iot:Connect","Resource":"*",
         "Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.66"}}},
        {"Effect":"Allow","Action":"iot:Publish","Resource":"*",
         "Condition":{"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
    let at = |ip| from_ip(client("c"), ip);
    check(
        "IAM User Guide, Condition operators (IP address)",
        &[policy],
        &[
            row(at("203.0.113.7"), "iot:Connect", Client, "c", Allow),
            row(at("203.0.113.66"), "iot:Connect", Client, "c", ExplicitDeny),
            row(at("198.51.100.1"), "iot:Connect", Client, "c", ImplicitDeny),
            row(
                at("2001:db8:1234:5678::9"),
                "iot:Connect",
                Client,
                "c",
                Allow,
            ),
            row(client("c"), "iot:Connect", Client, "c", ImplicitDeny),
            row(at("10.1.2.3"), "iot:Publish", Topic, "t", ImplicitDeny),
            row(at("192.168.0.1"), "iot:Publish", Topic, "t", Allow),
            row(client("c"), "iot:Publish", Topic, "t", Allow),
        ],
    );
    let invalid_ranges = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iot:Subscribe","Resource":"*",
         "Condition":{"IpAddress":{"aws:SourceIp":["not-an-address","203.0.113.0/24"]}}},
        {"Effect":"Allow","Action":"iot:Receive","Resource":"*",
         "Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/33"]}}}]}"#;
    check(
        "IAM User Guide, Condition operators (IP address values that do not parse)",
        &[invalid_ranges],
        &[
            row(at("203.0.113.7"), "iot:Subscribe", TopicFilter, "t", Allow),
            row(
                at("198.51.100.1"),
                "iot:Subscribe",
                TopicFilter,
                "t",
                ImplicitDeny,
            ),
            row(at("198.51.100.1"), "iot:Receive", Topic, "t", ImplicitDeny),
        ],
    );
}

const QOS_1: &[RequestKey<'static>] = &[RequestKey {
    name: "example:Qos",
    values: &["1"],
}];
const QOS_2: &[RequestKey<'static>] = &[RequestKey {
    name: "example:Qos",
    values: &["2"],
}];

#[test]
fn numeric_date_bool_and_null_operators() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iot:Publish","Resource":"*",
         "Condition":{"NumericLessThanEquals":{"example:Qos":"1"},
                      "DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"},
                      "DateGreaterThanEquals":{"aws:EpochTime":"1704067200"}}},
        {"Effect":"Allow","Action":"iot:Subscribe","Resource":"*",
         "Condition":{"Null":{"iot:Connection.Thing.ThingName":"false"}}},
        {"Effect":"Allow","Action":"iot:Receive","Resource":"*",
         "Condition":{"Null":{"iot:Connection.Thing.ThingName":"true"}}}]}"#;
    let later = AuthContext {
        now: 1_735_689_600,
        ..client("c")
    };
    check(
        "IAM User Guide, Condition operators (numeric, date, Null)",
        &[policy],
        &[
            row_with(client("c"), "iot:Publish", Topic, "t", QOS_1, Allow),
            row_with(client("c"), "iot:Publish", Topic, "t", QOS_2, ImplicitDeny),
            row(client("c"), "iot:Publish", Topic, "t", ImplicitDeny),
            row_with(later, "iot:Publish", Topic, "t", QOS_1, ImplicitDeny),
            row(thing("t"), "iot:Subscribe", TopicFilter, "t", Allow),
            row(client("t"), "iot:Subscribe", TopicFilter, "t", ImplicitDeny),
            row(client("t"), "iot:Receive", Topic, "t", Allow),
            row(thing("t"), "iot:Receive", Topic, "t", ImplicitDeny),
        ],
    );
}

#[test]
fn unresolved_variables_in_conditions_and_defaults() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iot:Connect","Resource":"*",
         "Condition":{"StringEquals":{"iot:ClientId":["${iot:Connection.Thing.ThingName}","fallback"]}}},
        {"Effect":"Allow","Action":"iot:Publish","Resource":"*",
         "Condition":{"StringNotEquals":{"iot:ClientId":"${iot:Connection.Thing.ThingName}"}}},
        {"Effect":"Allow","Action":"iot:Subscribe",
         "Resource":"arn:aws:iot:us-east-1:123456789012:topicfilter/${iot:ClientId, 'anonymous'}/*"}]}"#;
    check(
        "IAM User Guide, Variables and tags (no value, default values)",
        &[policy],
        &[
            row(thing("t"), "iot:Connect", Client, "t", Allow),
            row(client("t"), "iot:Connect", Client, "t", ImplicitDeny),
            row(client("fallback"), "iot:Connect", Client, "fallback", Allow),
            row(
                with_thing("t", true, &[], None),
                "iot:Publish",
                Topic,
                "x",
                ImplicitDeny,
            ),
            row(
                AuthContext {
                    client_id: Some("other".into()),
                    ..thing("t")
                },
                "iot:Publish",
                Topic,
                "x",
                Allow,
            ),
            // Negated operator with an unresolved value: the condition fails.
            row(client("c"), "iot:Publish", Topic, "x", ImplicitDeny),
            row(client("c"), "iot:Subscribe", TopicFilter, "c/#", Allow),
            row(base(), "iot:Subscribe", TopicFilter, "anonymous/#", Allow),
            row(base(), "iot:Subscribe", TopicFilter, "c/#", ImplicitDeny),
        ],
    );
}

#[test]
fn resource_lists_keep_resolvable_patterns() {
    let policy = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Connect",
        "Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}",
                    "arn:aws:iot:us-east-1:123456789012:client/guest"]}}"#;
    check(
        "Thing policy variables (unresolved pattern in a list)",
        &[policy],
        &[
            row(client("guest"), "iot:Connect", Client, "guest", Allow),
            row(client("t"), "iot:Connect", Client, "t", ImplicitDeny),
            row(thing("t"), "iot:Connect", Client, "t", Allow),
        ],
    );
}

#[test]
fn cognito_identity_variable() {
    // Publish/Subscribe policy examples, "Policies for HTTP and WebSocket clients".
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${cognito-identity.amazonaws.com:sub}"]},
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/${cognito-identity.amazonaws.com:sub}"]}]}"#;
    let identity = AuthContext {
        principal: Principal::CognitoIdentity {
            identity_id: "us-east-1:1234".into(),
        },
        ..client("us-east-1:1234")
    };
    check(
        "Publish/Subscribe policy examples (Amazon Cognito identities)",
        &[policy],
        &[
            row(
                identity.clone(),
                "iot:Publish",
                Topic,
                "us-east-1:1234",
                Allow,
            ),
            row(
                identity.clone(),
                "iot:Connect",
                Client,
                "us-east-1:1234",
                Allow,
            ),
            row(
                identity,
                "iot:Publish",
                Topic,
                "us-east-1:9999",
                ImplicitDeny,
            ),
            row(
                client("us-east-1:1234"),
                "iot:Publish",
                Topic,
                "us-east-1:1234",
                ImplicitDeny,
            ),
        ],
    );
}
