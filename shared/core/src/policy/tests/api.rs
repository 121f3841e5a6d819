//! The public API: explanations, unsupported operators, ARNs and actions.

use super::*;
use crate::policy::Decision::{Allow, ExplicitDeny, ImplicitDeny};
use crate::policy::ResourceKind::{All, Client, Thing, Topic, TopicFilter};

// --- API details ---------------------------------------------------------------------------

#[test]
fn explain_names_the_deciding_statement() {
    let docs = parse_all(&[
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"},
            {"Sid":"no","Effect":"Deny","Action":"iot:Publish","Resource":"arn:aws:iot:*:*:topic/x"}]}"#,
    ]);
    let compiled = CompiledPolicies::new(&docs);
    let ctx = client("c");
    let topic = |name| ctx.resource_arn(Topic, name);
    let denied = compiled.explain(&ctx, &Request::new("iot:Publish", &topic("x")));
    assert_eq!(denied.decision, ExplicitDeny);
    assert_eq!(
        denied.statement,
        Some(StatementRef {
            policy: 1,
            statement: 1
        })
    );
    let allowed = compiled.explain(&ctx, &Request::new("iot:Publish", &topic("y")));
    assert_eq!(allowed.decision, Allow);
    assert_eq!(
        allowed.statement,
        Some(StatementRef {
            policy: 0,
            statement: 0
        })
    );
    let nothing = CompiledPolicies::new(&[]).explain(&ctx, &Request::new("iot:Publish", "*"));
    assert_eq!(
        nothing,
        Outcome {
            decision: ImplicitDeny,
            statement: None
        }
    );
    assert!(allowed.decision.is_allowed() && !denied.decision.is_allowed());
}

#[test]
fn unsupported_operators_fail_closed() {
    let mut docs = parse_all(&[r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"iot:Publish","Resource":"*","Condition":{"StringEquals":{"k":"v"}}},
            {"Effect":"Deny","Action":"iot:Subscribe","Resource":"*","Condition":{"StringEquals":{"k":"v"}}},
            {"Effect":"Allow","Action":"iot:Subscribe","Resource":"*"}]}"#]);
    for statement in &mut docs[0].statements {
        for condition in &mut statement.conditions {
            condition.operator.base = "StringMatchesRegex".into();
        }
    }
    let compiled = CompiledPolicies::new(&docs);
    assert_eq!(compiled.unsupported_operators(), ["StringMatchesRegex"]);
    let ctx = client("c");
    let publish = ctx.resource_arn(Topic, "t");
    let subscribe = ctx.resource_arn(TopicFilter, "t");
    assert_eq!(
        compiled.evaluate(&ctx, &Request::new("iot:Publish", &publish)),
        ImplicitDeny
    );
    assert_eq!(
        compiled.evaluate(&ctx, &Request::new("iot:Subscribe", &subscribe)),
        ExplicitDeny
    );
}

#[test]
fn binary_equals_compares_decoded_bytes() {
    const TOKEN: &[RequestKey<'static>] = &[RequestKey {
        name: "example:Token",
        values: &["BinaryValueInBase64"],
    }];
    let policy = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Connect",
        "Resource":"*","Condition":{"BinaryEquals":{"example:Token":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}}}"#;
    check(
        "IAM User Guide, Condition operators (BinaryEquals)",
        &[policy],
        &[
            row_with(client("c"), "iot:Connect", Client, "c", TOKEN, Allow),
            row(client("c"), "iot:Connect", Client, "c", ImplicitDeny),
        ],
    );
}

#[test]
fn resource_arns_follow_the_action_resources_table() {
    let cases = [
        (
            Client,
            "myClientId",
            "arn:aws:iot:us-east-1:123456789012:client/myClientId",
        ),
        (
            Topic,
            "myTopicName",
            "arn:aws:iot:us-east-1:123456789012:topic/myTopicName",
        ),
        (
            TopicFilter,
            "a/+/#",
            "arn:aws:iot:us-east-1:123456789012:topicfilter/a/+/#",
        ),
        (
            Thing,
            "thingOne",
            "arn:aws:iot:us-east-1:123456789012:thing/thingOne",
        ),
        (All, "ignored", "*"),
    ];
    for (kind, name, arn) in cases {
        assert_eq!(resource_arn(kind, name, REGION, ACCOUNT), arn);
    }
    assert_eq!(
        shadow_arn("thingOne", Some("shadowOne"), REGION, ACCOUNT),
        "arn:aws:iot:us-east-1:123456789012:thing/thingOne/shadowOne"
    );
    assert_eq!(
        shadow_arn("thingOne", None, REGION, ACCOUNT),
        "arn:aws:iot:us-east-1:123456789012:thing/thingOne"
    );
    assert_eq!(
        resource_arn(Topic, "t", "cn-north-1", "1"),
        "arn:aws-cn:iot:cn-north-1:1:topic/t"
    );
    assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    for action in IotAction::ALL {
        assert_eq!(
            IotAction::parse(&action.as_str().to_uppercase()),
            Some(action)
        );
    }
    assert_eq!(IotAction::Subscribe.resource_kind(), TopicFilter);
    assert_eq!(IotAction::ListRetainedMessages.resource_kind(), All);
    assert_eq!(IotAction::parse("iot:Nope"), None);
}
