//! Publish/Subscribe, Receive, Retained message and Device Shadow policies.

use super::*;
use crate::policy::Decision::{Allow, ExplicitDeny, ImplicitDeny};
use crate::policy::ResourceKind::{All, Client, Thing, Topic, TopicFilter};

// --- Publish/Subscribe policy examples -----------------------------------------------------

#[test]
fn publish_to_topics_prefixed_by_thing_name_or_client_id() {
    let registered = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"]},
        {"Effect":"Allow","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:Connection.Thing.ThingName}/*"]}]}"#;
    check(
        "Publish/Subscribe policy examples, registered devices (prefix)",
        &[registered],
        &[
            row(thing("thing1"), "iot:Connect", Client, "thing1", Allow),
            row(thing("thing1"), "iot:Publish", Topic, "thing1/a", Allow),
            row(thing("thing1"), "iot:Publish", Topic, "thing1/a/b/c", Allow),
            row(
                thing("thing1"),
                "iot:Publish",
                Topic,
                "thing1",
                ImplicitDeny,
            ),
            row(
                thing("thing1"),
                "iot:Publish",
                Topic,
                "thing2/a",
                ImplicitDeny,
            ),
            row(
                client("thing1"),
                "iot:Publish",
                Topic,
                "thing1/a",
                ImplicitDeny,
            ),
        ],
    );
    let unregistered = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],"Resource":[
          "arn:aws:iot:us-east-1:123456789012:client/client1",
          "arn:aws:iot:us-east-1:123456789012:client/client2",
          "arn:aws:iot:us-east-1:123456789012:client/client3"]},
        {"Effect":"Allow","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}/*"]}]}"#;
    check(
        "Publish/Subscribe policy examples, unregistered devices (prefix)",
        &[unregistered],
        &[
            row(client("client3"), "iot:Connect", Client, "client3", Allow),
            row(
                client("client4"),
                "iot:Connect",
                Client,
                "client4",
                ImplicitDeny,
            ),
            row(client("client2"), "iot:Publish", Topic, "client2/x", Allow),
            row(
                client("client2"),
                "iot:Publish",
                Topic,
                "client1/x",
                ImplicitDeny,
            ),
        ],
    );
}

#[test]
fn subscribe_and_receive_with_policy_wildcards() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"]},
        {"Effect":"Allow","Action":["iot:Subscribe"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topicfilter/${iot:Connection.Thing.ThingName}/room*"]},
        {"Effect":"Allow","Action":["iot:Receive"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:Connection.Thing.ThingName}/room*"]}]}"#;
    check(
        "Publish/Subscribe policy examples, registered devices (room*)",
        &[policy],
        &[
            row(
                thing("thing1"),
                "iot:Subscribe",
                TopicFilter,
                "thing1/room1",
                Allow,
            ),
            // `*` also covers MQTT wildcard characters in the filter.
            row(
                thing("thing1"),
                "iot:Subscribe",
                TopicFilter,
                "thing1/room/#",
                Allow,
            ),
            row(
                thing("thing1"),
                "iot:Subscribe",
                TopicFilter,
                "thing1/+",
                ImplicitDeny,
            ),
            row(thing("thing1"), "iot:Receive", Topic, "thing1/room2", Allow),
            row(
                thing("thing1"),
                "iot:Receive",
                Topic,
                "thing1/kitchen",
                ImplicitDeny,
            ),
            row(
                thing("thing1"),
                "iot:Subscribe",
                Topic,
                "thing1/room1",
                ImplicitDeny,
            ),
        ],
    );
}

#[test]
fn mqtt_wildcards_are_literal_in_topicfilter_resources() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/client1"]},
        {"Effect":"Allow","Action":["iot:Subscribe"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topicfilter/some/+/topic",
                     "arn:aws:iot:us-east-1:123456789012:topicfilter/all/#"]}]}"#;
    check(
        "Publish/Subscribe policy examples (topic filter some/+/topic only)",
        &[policy],
        &[
            row(
                client("client1"),
                "iot:Subscribe",
                TopicFilter,
                "some/+/topic",
                Allow,
            ),
            row(
                client("client1"),
                "iot:Subscribe",
                TopicFilter,
                "some/x/topic",
                ImplicitDeny,
            ),
            row(
                client("client1"),
                "iot:Subscribe",
                TopicFilter,
                "some/#",
                ImplicitDeny,
            ),
            row(
                client("client1"),
                "iot:Subscribe",
                TopicFilter,
                "all/#",
                Allow,
            ),
            row(
                client("client1"),
                "iot:Subscribe",
                TopicFilter,
                "all/x",
                ImplicitDeny,
            ),
        ],
    );
}

#[test]
fn deny_publishing_to_one_subtopic() {
    let registered = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"]},
        {"Effect":"Allow","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:Connection.Thing.ThingName}/*"]},
        {"Effect":"Deny","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:Connection.Thing.ThingName}/bar"]}]}"#;
    check(
        "Publish/Subscribe policy examples, registered devices (deny .../bar)",
        &[registered],
        &[
            row(thing("thing1"), "iot:Publish", Topic, "thing1/foo", Allow),
            row(
                thing("thing1"),
                "iot:Publish",
                Topic,
                "thing1/bar",
                ExplicitDeny,
            ),
            row(
                thing("thing1"),
                "iot:Publish",
                Topic,
                "thing1/bar/baz",
                Allow,
            ),
        ],
    );
    let unregistered = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}/*"]},
        {"Effect":"Deny","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}/bar"]}]}"#;
    check(
        "Publish/Subscribe policy examples, unregistered devices (deny .../bar)",
        &[unregistered],
        &[
            row(
                client("client1"),
                "iot:Publish",
                Topic,
                "client1/foo",
                Allow,
            ),
            row(
                client("client1"),
                "iot:Publish",
                Topic,
                "client1/bar",
                ExplicitDeny,
            ),
            row(
                client("client2"),
                "iot:Publish",
                Topic,
                "client1/bar",
                ImplicitDeny,
            ),
        ],
    );
}

#[test]
fn unknown_variable_never_resolves() {
    // An older revision of "Publish/Subscribe policy examples" wrote `${iot:Thing.ThingName}`,
    // which is no AWS variable: neither statement applies.
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:Thing.ThingName}/*"]},
        {"Effect":"Deny","Action":["iot:Publish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:Thing.ThingName}/bar"]}]}"#;
    check(
        "Publish/Subscribe policy examples (unknown variable)",
        &[policy],
        &[
            row(
                thing("thing1"),
                "iot:Publish",
                Topic,
                "thing1/foo",
                ImplicitDeny,
            ),
            row(
                thing("thing1"),
                "iot:Publish",
                Topic,
                "thing1/bar",
                ImplicitDeny,
            ),
            row(
                thing("thing1"),
                "iot:Publish",
                Topic,
                "${iot:Thing.ThingName}/foo",
                ImplicitDeny,
            ),
        ],
    );
}

#[test]
fn receive_policy_examples() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"]},
        {"Effect":"Allow","Action":["iot:Subscribe"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topicfilter/my/topic"]},
        {"Effect":"Allow","Action":["iot:Receive"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/my/topic"]}]}"#;
    check(
        "Publish/Subscribe policy examples, Receive policy examples",
        &[policy],
        &[
            row(
                thing("thing1"),
                "iot:Subscribe",
                TopicFilter,
                "my/topic",
                Allow,
            ),
            row(thing("thing1"), "iot:Receive", Topic, "my/topic", Allow),
            row(
                thing("thing1"),
                "iot:Receive",
                Topic,
                "my/other",
                ImplicitDeny,
            ),
            row(
                thing("thing1"),
                "iot:Receive",
                TopicFilter,
                "my/topic",
                ImplicitDeny,
            ),
            row(
                thing("thing1"),
                "iot:Publish",
                Topic,
                "my/topic",
                ImplicitDeny,
            ),
        ],
    );
}

// --- Retained message policy examples -----------------------------------------------------

#[test]
fn retained_message_policy_examples() {
    let publish = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:Connect"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:client/device1"]},
        {"Effect":"Allow","Action":["iot:Publish","iot:RetainPublish"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/device/sample/configuration"]}]}"#;
    check(
        "Retained message policy examples (connect and publish retained messages)",
        &[publish],
        &[
            row(
                client("device1"),
                "iot:RetainPublish",
                Topic,
                "device/sample/configuration",
                Allow,
            ),
            row(
                client("device1"),
                "iot:Publish",
                Topic,
                "device/sample/configuration",
                Allow,
            ),
            row(
                client("device1"),
                "iot:RetainPublish",
                Topic,
                "device/sample/other",
                ImplicitDeny,
            ),
        ],
    );
    let list_and_get = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:GetRetainedMessage"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/device/sample/configuration"]},
        {"Effect":"Allow","Action":["iot:ListRetainedMessages"],"Resource":["*"]}]}"#;
    check(
        "Retained message policy examples (list and get retained messages)",
        &[list_and_get],
        &[
            row(
                base(),
                "iot:GetRetainedMessage",
                Topic,
                "device/sample/configuration",
                Allow,
            ),
            row(
                base(),
                "iot:GetRetainedMessage",
                Topic,
                "other",
                ImplicitDeny,
            ),
            row(base(), "iot:ListRetainedMessages", All, "", Allow),
        ],
    );
    // The resource for ListRetainedMessages "must be *": an ARN pattern does not cover it.
    let list_by_arn = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iot:ListRetainedMessages"],"Resource":["arn:aws:iot:us-east-1:123456789012:*"]}]}"#;
    check(
        "AWS IoT Core policy actions (ListRetainedMessages on *)",
        &[list_by_arn],
        &[row(
            base(),
            "iot:ListRetainedMessages",
            All,
            "",
            ImplicitDeny,
        )],
    );
}

// --- Device Shadow (AWS IoT Core action resources) ----------------------------------------

#[test]
fn shadow_actions_on_thing_resources() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iot:GetThingShadow","iot:UpdateThingShadow","iot:DeleteThingShadow"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:thing/${iot:Connection.Thing.ThingName}",
                     "arn:aws:iot:us-east-1:123456789012:thing/${iot:Connection.Thing.ThingName}/*"]},
        {"Effect":"Allow","Action":["iot:ListNamedShadowsForThing"],"Resource":["*"]},
        {"Effect":"Deny","Action":["iot:DeleteThingShadow"],
         "Resource":["arn:aws:iot:us-east-1:123456789012:thing/*/config"]}]}"#;
    check(
        "AWS IoT Core action resources (thing and named shadow ARNs)",
        &[policy],
        &[
            row(
                thing("thingOne"),
                "iot:GetThingShadow",
                Thing,
                "thingOne",
                Allow,
            ),
            row(
                thing("thingOne"),
                "iot:UpdateThingShadow",
                Thing,
                "thingOne/shadowOne",
                Allow,
            ),
            row(
                thing("thingOne"),
                "iot:DeleteThingShadow",
                Thing,
                "thingOne/config",
                ExplicitDeny,
            ),
            row(
                thing("thingOne"),
                "iot:GetThingShadow",
                Thing,
                "thingTwo",
                ImplicitDeny,
            ),
            row(
                thing("thingOne"),
                "iot:ListNamedShadowsForThing",
                All,
                "",
                Allow,
            ),
        ],
    );
}
