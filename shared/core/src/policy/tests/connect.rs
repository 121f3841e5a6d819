//! Connect policy examples and Basic AWS IoT Core policy variables.

use super::*;
use crate::policy::Decision::{Allow, ExplicitDeny, ImplicitDeny};
use crate::policy::ResourceKind::{Client, Topic, TopicFilter};

// --- Connect policy examples -------------------------------------------------------------

#[test]
fn connect_policy_examples() {
    let client1_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:Connect"],"Resource":["arn:aws:iot:us-east-1:123456789012:client/client1"]}]}"#;
    check(
        "Connect policy examples (client1)",
        &[client1_only],
        &[
            row(client("client1"), "iot:Connect", Client, "client1", Allow),
            row(
                client("client2"),
                "iot:Connect",
                Client,
                "client2",
                ImplicitDeny,
            ),
            row(
                client("Client1"),
                "iot:Connect",
                Client,
                "Client1",
                ImplicitDeny,
            ),
            row(
                client("client1"),
                "iot:Publish",
                Topic,
                "client1",
                ImplicitDeny,
            ),
        ],
    );
    let deny_two_allow_things = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Deny","Action":["iot:Connect"],"Resource":[
          "arn:aws:iot:us-east-1:123456789012:client/client1",
          "arn:aws:iot:us-east-1:123456789012:client/client2"]},
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"],
         "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}}]}"#;
    check(
        "Connect policy examples (deny client1 and client2, allow thing names)",
        &[deny_two_allow_things],
        &[
            row(thing("thing1"), "iot:Connect", Client, "thing1", Allow),
            row(
                thing("client1"),
                "iot:Connect",
                Client,
                "client1",
                ExplicitDeny,
            ),
            row(
                with_thing("thing1", false, &[], None),
                "iot:Connect",
                Client,
                "thing1",
                ImplicitDeny,
            ),
            row(
                client("thing1"),
                "iot:Connect",
                Client,
                "thing1",
                ImplicitDeny,
            ),
            row(
                client("client2"),
                "iot:Connect",
                Client,
                "client2",
                ExplicitDeny,
            ),
        ],
    );
}

const PERSISTENT: &[RequestKey<'static>] = &[RequestKey {
    name: "iot:ConnectAttributes",
    values: &["PersistentConnect"],
}];
const PERSISTENT_AND_WILL: &[RequestKey<'static>] = &[RequestKey {
    name: "iot:ConnectAttributes",
    values: &["PersistentConnect", "LastWill"],
}];
const WILL: &[RequestKey<'static>] = &[RequestKey {
    name: "iot:ConnectAttributes",
    values: &["LastWill"],
}];
const CLEAN: &[RequestKey<'static>] = &[RequestKey {
    name: "iot:ConnectAttributes",
    values: &[],
}];

#[test]
fn mqtt_persistent_sessions_policy_examples() {
    let only_persistent = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:Connect"],"Resource":"*",
        "Condition":{"ForAllValues:StringEquals":{"iot:ConnectAttributes":["PersistentConnect"]}}}]}"#;
    check(
        "Connect policy examples, MQTT persistent sessions (allows PersistentConnect)",
        &[only_persistent],
        &[
            row_with(client("c"), "iot:Connect", Client, "c", PERSISTENT, Allow),
            row_with(client("c"), "iot:Connect", Client, "c", CLEAN, Allow),
            row(client("c"), "iot:Connect", Client, "c", Allow),
            row_with(
                client("c"),
                "iot:Connect",
                Client,
                "c",
                PERSISTENT_AND_WILL,
                ImplicitDeny,
            ),
        ],
    );
    let deny_persistent = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],"Resource":"*"},
        {"Effect":"Deny","Action":["iot:Connect"],"Resource":"*",
         "Condition":{"ForAnyValue:StringEquals":{"iot:ConnectAttributes":["PersistentConnect"]}}}]}"#;
    check(
        "Connect policy examples, MQTT persistent sessions (disallows PersistentConnect)",
        &[deny_persistent],
        &[
            row_with(
                client("c"),
                "iot:Connect",
                Client,
                "c",
                PERSISTENT,
                ExplicitDeny,
            ),
            row_with(
                client("c"),
                "iot:Connect",
                Client,
                "c",
                PERSISTENT_AND_WILL,
                ExplicitDeny,
            ),
            row_with(client("c"), "iot:Connect", Client, "c", WILL, Allow),
            row_with(client("c"), "iot:Connect", Client, "c", CLEAN, Allow),
        ],
    );
    let needs_persistent = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:Connect"],"Resource":"*",
        "Condition":{"ForAnyValue:StringEquals":{"iot:ConnectAttributes":["PersistentConnect"]}}}]}"#;
    check(
        "Connect policy examples, MQTT persistent sessions (only with PersistentConnect)",
        &[needs_persistent],
        &[
            row_with(
                client("c"),
                "iot:Connect",
                Client,
                "c",
                PERSISTENT_AND_WILL,
                Allow,
            ),
            row_with(client("c"), "iot:Connect", Client, "c", WILL, ImplicitDeny),
            row(client("c"), "iot:Connect", Client, "c", ImplicitDeny),
        ],
    );
}

const WILL_TOPIC: &[RequestKey<'static>] = &[RequestKey {
    name: "iot:LastWillTopic",
    values: &["arn:aws:iot:us-east-1:123456789012:topic/my/lastwill/topicName"],
}];
const OTHER_WILL_TOPIC: &[RequestKey<'static>] = &[RequestKey {
    name: "iot:LastWillTopic",
    values: &["arn:aws:iot:us-east-1:123456789012:topic/my/lastwill/other"],
}];

#[test]
fn last_will_topic_arn_condition() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:Connect"],"Resource":"*",
        "Condition":{"ArnEquals":{"iot:LastWillTopic":"arn:aws:iot:*:*:topic/my/lastwill/topicName"}}}]}"#;
    check(
        "Connect policy examples, LastWillTopic",
        &[policy],
        &[
            row_with(client("c"), "iot:Connect", Client, "c", WILL_TOPIC, Allow),
            row_with(
                client("c"),
                "iot:Connect",
                Client,
                "c",
                OTHER_WILL_TOPIC,
                ImplicitDeny,
            ),
            row(client("c"), "iot:Connect", Client, "c", ImplicitDeny),
        ],
    );
}

// --- Basic AWS IoT Core policy variables --------------------------------------------------

#[test]
fn basic_policy_variables_client_id_and_source_ip() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/clientid1"]},
        {"Effect":"Allow","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/my/topic/${iot:ClientId}"],
         "Condition":{"IpAddress":{"aws:SourceIp":"123.45.167.89"}}}]}"#;
    let at = |ip| from_ip(client("clientid1"), ip);
    check(
        "Basic AWS IoT Core policy variables (ClientId and SourceIp)",
        &[policy],
        &[
            row(
                at("123.45.167.89"),
                "iot:Connect",
                Client,
                "clientid1",
                Allow,
            ),
            row(
                at("123.45.167.89"),
                "iot:Publish",
                Topic,
                "my/topic/clientid1",
                Allow,
            ),
            row(
                at("123.45.167.90"),
                "iot:Publish",
                Topic,
                "my/topic/clientid1",
                ImplicitDeny,
            ),
            row(
                client("clientid1"),
                "iot:Publish",
                Topic,
                "my/topic/clientid1",
                ImplicitDeny,
            ),
            row(
                at("123.45.167.89"),
                "iot:Publish",
                Topic,
                "my/topic/clientid2",
                ImplicitDeny,
            ),
            row(
                at("::ffff:123.45.167.89"),
                "iot:Publish",
                Topic,
                "my/topic/clientid1",
                Allow,
            ),
        ],
    );
}

#[test]
fn basic_policy_variables_client_id_plus_in_topic_filter() {
    // The page's warning: a client id `+` turns `my/${iot:ClientId}/topic` into the filter
    // `my/+/topic`, which is why iot:Connect must restrict client ids.
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/clientid1"]},
        {"Effect":"Allow","Action":["iot:Subscribe"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topicfilter/my/${iot:ClientId}/topic"]}]}"#;
    check(
        "Basic AWS IoT Core policy variables (topic filter with ClientId)",
        &[policy],
        &[
            row(client("+"), "iot:Connect", Client, "+", ImplicitDeny),
            row(
                client("+"),
                "iot:Subscribe",
                TopicFilter,
                "my/+/topic",
                Allow,
            ),
            row(
                client("clientid1"),
                "iot:Subscribe",
                TopicFilter,
                "my/clientid1/topic",
                Allow,
            ),
            row(
                client("clientid1"),
                "iot:Subscribe",
                TopicFilter,
                "my/+/topic",
                ImplicitDeny,
            ),
        ],
    );
}

#[test]
fn domain_name_condition() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/*",
        "Condition":{"StringEquals":{"iot:DomainName":"iot.example.com"}}}]}"#;
    let named = |domain: Option<&str>| AuthContext {
        domain_name: domain.map(Into::into),
        ..client("c1")
    };
    check(
        "Basic AWS IoT Core policy variables (iot:DomainName)",
        &[policy],
        &[
            row(
                named(Some("iot.example.com")),
                "iot:Connect",
                Client,
                "c1",
                Allow,
            ),
            row(
                named(Some("other.example.com")),
                "iot:Connect",
                Client,
                "c1",
                ImplicitDeny,
            ),
            row(named(None), "iot:Connect", Client, "c1", ImplicitDeny),
        ],
    );
}
