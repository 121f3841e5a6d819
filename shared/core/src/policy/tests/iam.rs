//! IAM User Guide: Policy evaluation logic, NotAction/NotResource, wildcards, variables.

use super::*;
use crate::policy::Decision::{Allow, ExplicitDeny, ImplicitDeny};
use crate::policy::ResourceKind::{All, Client, Thing, Topic, TopicFilter};

// --- IAM User Guide: Policy evaluation logic, NotAction, NotResource -----------------------

#[test]
fn explicit_deny_in_any_policy_wins() {
    let allow_all = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}}"#;
    let deny_secret = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iot:Publish",
        "Resource":"arn:aws:iot:us-east-1:123456789012:topic/secret/*"}}"#;
    check(
        "IAM User Guide, Policy evaluation logic (deny overrides allow)",
        &[allow_all, deny_secret],
        &[
            row(client("c"), "iot:Publish", Topic, "open/x", Allow),
            row(client("c"), "iot:Publish", Topic, "secret/x", ExplicitDeny),
            row(client("c"), "iot:Receive", Topic, "secret/x", Allow),
            row(client("c"), "s3:GetObject", Topic, "open/x", ImplicitDeny),
        ],
    );
    check(
        "IAM User Guide, Policy evaluation logic (implicit deny)",
        &[deny_secret],
        &[row(
            client("c"),
            "iot:Publish",
            Topic,
            "open/x",
            ImplicitDeny,
        )],
    );
}

#[test]
fn not_action_and_not_resource() {
    let not_action = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
        "NotAction":["iot:Publish","iot:RetainPublish"],"Resource":"*"}}"#;
    check(
        "IAM User Guide, NotAction (allow everything but publishing)",
        &[not_action],
        &[
            row(client("c"), "iot:Subscribe", TopicFilter, "a/#", Allow),
            row(client("c"), "iot:Connect", Client, "c", Allow),
            row(client("c"), "iot:Publish", Topic, "a", ImplicitDeny),
            row(client("c"), "IOT:PUBLISH", Topic, "a", ImplicitDeny),
            row(client("c"), "iot:DescribeJobExecution", Thing, "t", Allow),
        ],
    );
    let not_resource = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iot:Publish",
         "NotResource":"arn:aws:iot:us-east-1:123456789012:topic/admin/*"},
        {"Effect":"Deny","Action":"iot:Subscribe",
         "NotResource":["arn:aws:iot:us-east-1:123456789012:topicfilter/${iot:ClientId}/*"]},
        {"Effect":"Allow","Action":"iot:Subscribe","Resource":"*"}]}"#;
    check(
        "IAM User Guide, NotResource",
        &[not_resource],
        &[
            row(client("c"), "iot:Publish", Topic, "a/b", Allow),
            row(client("c"), "iot:Publish", Topic, "admin/b", ImplicitDeny),
            row(client("c"), "iot:Subscribe", TopicFilter, "c/#", Allow),
            row(
                client("c"),
                "iot:Subscribe",
                TopicFilter,
                "d/#",
                ExplicitDeny,
            ),
            // Unresolved variable in NotResource: the Deny statement does not apply.
            row(base(), "iot:Subscribe", TopicFilter, "d/#", Allow),
        ],
    );
    let allow_not_resource_variable = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
        "Action":"iot:Publish","NotResource":"arn:aws:iot:us-east-1:123456789012:topic/${iot:Connection.Thing.ThingName}/private"}}"#;
    check(
        "IAM User Guide, NotResource (unresolved variable never widens an Allow)",
        &[allow_not_resource_variable],
        &[
            row(thing("t"), "iot:Publish", Topic, "t/public", Allow),
            row(thing("t"), "iot:Publish", Topic, "t/private", ImplicitDeny),
            row(client("t"), "iot:Publish", Topic, "t/public", ImplicitDeny),
        ],
    );
}

// --- Wildcards and case (Publish/Subscribe policy examples; IAM Resource and Action) ---------

#[test]
fn wildcards_and_case() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iot:*Shadow","Resource":"arn:aws:iot:*:*:thing/sensor-??"},
        {"Effect":"Allow","Action":"IOT:publish",
         "Resource":["arn:aws:iot:us-east-1:123456789012:topic/Room?/temp",
                     "arn:aws:iot:us-east-1:123456789012:topic/logs/*"]},
        {"Effect":"Allow","Action":"*","Resource":"arn:aws:iot:us-east-1:123456789012:client/*"}]}"#;
    check(
        "Publish/Subscribe policy examples (wildcard characters) and IAM Action/Resource",
        &[policy],
        &[
            row(client("c"), "iot:GetThingShadow", Thing, "sensor-01", Allow),
            row(client("c"), "iot:getthingshadow", Thing, "sensor-02", Allow),
            row(
                client("c"),
                "iot:UpdateThingShadow",
                Thing,
                "sensor-1",
                ImplicitDeny,
            ),
            row(
                client("c"),
                "iot:GetThingShadow",
                Thing,
                "sensor-001",
                ImplicitDeny,
            ),
            row(
                client("c"),
                "iot:ListNamedShadowsForThing",
                All,
                "",
                ImplicitDeny,
            ),
            row(client("c"), "iot:Publish", Topic, "Room1/temp", Allow),
            row(
                client("c"),
                "iot:Publish",
                Topic,
                "room1/temp",
                ImplicitDeny,
            ),
            row(
                client("c"),
                "iot:Publish",
                Topic,
                "Room12/temp",
                ImplicitDeny,
            ),
            row(client("c"), "iot:Publish", Topic, "logs/a/b:c/d", Allow),
            row(client("c"), "iot:Publish", Topic, "Logs/a", ImplicitDeny),
            row(client("c"), "iot:Connect", Client, "anything", Allow),
            row(client("c"), "iot:Receive", Topic, "logs/a", ImplicitDeny),
        ],
    );
}

#[test]
fn special_character_variables_and_policy_versions() {
    let escapes = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Publish",
        "Resource":["arn:aws:iot:us-east-1:123456789012:topic/star${*}",
                    "arn:aws:iot:us-east-1:123456789012:topic/what${?}",
                    "arn:aws:iot:us-east-1:123456789012:topic/${$}aws/things/t/shadow/get"]}}"#;
    check(
        "AWS IoT Core policy variables (special characters)",
        &[escapes],
        &[
            row(client("c"), "iot:Publish", Topic, "star*", Allow),
            row(client("c"), "iot:Publish", Topic, "stars", ImplicitDeny),
            row(client("c"), "iot:Publish", Topic, "what?", Allow),
            row(client("c"), "iot:Publish", Topic, "whats", ImplicitDeny),
            row(
                client("c"),
                "iot:Publish",
                Topic,
                "$aws/things/t/shadow/get",
                Allow,
            ),
        ],
    );
    let old_version = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"iot:Publish",
        "Resource":"arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}"}}"#;
    check(
        "IAM User Guide, Variables and tags (no substitution before 2012-10-17)",
        &[old_version],
        &[
            row(client("c1"), "iot:Publish", Topic, "c1", ImplicitDeny),
            row(client("c1"), "iot:Publish", Topic, "${iot:ClientId}", Allow),
        ],
    );
}

#[test]
fn substituted_values_are_literal() {
    let policy = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Publish",
        "Resource":"arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}/out"}}"#;
    check(
        "AWS IoT Core policy variables (a client id is not a pattern)",
        &[policy],
        &[
            row(client("*"), "iot:Publish", Topic, "*/out", Allow),
            row(
                client("*"),
                "iot:Publish",
                Topic,
                "victim/out",
                ImplicitDeny,
            ),
            row(client("?"), "iot:Publish", Topic, "x/out", ImplicitDeny),
        ],
    );
}
