//! What a message on a topic means, and whether a client may do it: the one routing decision
//! both hosts ask — the MQTT broker (`thingcore serve`, the edge) and the WebSocket gateway
//! (API Gateway and Lambda, `/ws`). They differ only in how they deliver.
//!
//! | topic | a client may | the message goes to |
//! |-------|--------------|---------------------|
//! | ordinary topics | publish, subscribe | subscribers, rules |
//! | `$aws/things/{thing}/shadow[/name/{shadow}]/{get,update,delete}` | publish, subscribe | subscribers, the shadow service, rules |
//! | the shadow service's answers (`…/accepted`, `…/rejected`, `…/update/delta`, `…/update/documents`) | subscribe | subscribers, rules |
//! | `$aws/things/{thing}/jobs/{get,start-next}`, `…/jobs/{jobId}/{get,update}` | publish, subscribe | subscribers, the Jobs service, rules |
//! | the Jobs service's answers (`…/accepted`, `…/rejected`) and notifications (`…/jobs/notify`, `…/jobs/notify-next`) | subscribe | subscribers, rules |
//! | `$aws/events/…` (lifecycle and job events) | subscribe | subscribers, rules |
//! | `$aws/rules/{rule}[/…]` (Basic Ingest) | publish | that rule only: never subscribers |
//!
//! AWS IoT says of reserved topics: "Unsupported publish or subscribe operations to reserved
//! topics can result in a terminated connection"; and of Basic Ingest, that its topics cannot
//! be subscribed to. So a client's publish to an answer or event topic, and a subscription
//! whose filter begins with `$aws/rules/`, are refused with [`ReservedTopic`]. Filters with a
//! wildcard over `$aws/` (`$aws/#`) stay allowed: Basic Ingest messages never reach
//! subscribers, so they cannot see them. Messages the core's own services publish (shadow
//! answers, lifecycle events, republish actions) are routed with [`service_route`] and never
//! refused. Other `$` topics (`$SYS/…`, unknown `$aws/…` ones) are ordinary topics here.
//!
//! The policy half of each door is [`Authorization`]'s: [`publish_door`], [`subscribe_door`]
//! and [`may_receive`] ask both halves in the order AWS does (reserved topic, then policy).

use crate::jobs::topic::JobsTopic;
use crate::policy::{Authorization, IotAction};
use crate::rules::name::basic_ingest_rule;
use crate::shadow::ShadowTopic;

/// Where a published message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishRoute {
    /// To subscribers and the rules engine.
    Subscribers,
    /// A Device Shadow request: subscribers, the shadow service and the rules engine.
    ShadowRequest(ShadowTopic),
    /// A Jobs device request: subscribers, the Jobs service and the rules engine.
    JobsRequest(JobsTopic),
    /// Basic Ingest: only the rule named in the topic sees it.
    BasicIngest {
        /// The rule's name as written in the topic.
        rule: String,
    },
}

impl PublishRoute {
    /// Whether subscribers get the message.
    pub fn reaches_subscribers(&self) -> bool {
        !matches!(self, PublishRoute::BasicIngest { .. })
    }

    /// The shadow request, when the message is one.
    pub fn shadow_request(&self) -> Option<&ShadowTopic> {
        match self {
            PublishRoute::ShadowRequest(topic) => Some(topic),
            _ => None,
        }
    }

    /// The Jobs request, when the message is one.
    pub fn jobs_request(&self) -> Option<&JobsTopic> {
        match self {
            PublishRoute::JobsRequest(topic) => Some(topic),
            _ => None,
        }
    }
}

/// A reserved topic used in a way AWS IoT does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{topic:?} is a reserved topic: {reason}")]
pub struct ReservedTopic {
    /// The topic or filter as sent.
    pub topic: String,
    /// Why, for the client.
    pub reason: &'static str,
}

/// Why a door refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A reserved topic used in a way AWS IoT does not allow.
    #[error(transparent)]
    Reserved(#[from] ReservedTopic),
    /// The caller's policies do not allow the action.
    #[error("not authorized to {action} {resource:?}")]
    NotAuthorized {
        /// The IoT action, e.g. `iot:Publish`.
        action: &'static str,
        /// The topic or filter.
        resource: String,
    },
}

const EVENTS_PREFIX: &str = "$aws/events/";

/// The route of a message a service of the core publishes (never refused).
pub fn service_route(topic: &str) -> PublishRoute {
    if let Some(rule) = basic_ingest_rule(topic) {
        return PublishRoute::BasicIngest {
            rule: rule.to_string(),
        };
    }
    if let Some(request) = ShadowTopic::parse(topic) {
        return PublishRoute::ShadowRequest(request);
    }
    match JobsTopic::parse(topic) {
        Some(request) => PublishRoute::JobsRequest(request),
        None => PublishRoute::Subscribers,
    }
}

/// The route of a message a client publishes to `topic` (a valid topic name).
///
/// # Errors
/// [`ReservedTopic`] for topics only the core publishes to, and Basic Ingest topics that
/// name no rule.
pub fn client_route(topic: &str) -> Result<PublishRoute, ReservedTopic> {
    let refuse = |reason| {
        Err(ReservedTopic {
            topic: topic.to_string(),
            reason,
        })
    };
    if topic.starts_with(EVENTS_PREFIX) {
        return refuse("only AWS IoT publishes lifecycle events; clients may subscribe");
    }
    if ShadowTopic::parse_reply(topic).is_some() {
        return refuse(
            "only the Device Shadow service publishes its answers; clients may subscribe",
        );
    }
    if JobsTopic::is_service_topic(topic) {
        return refuse(
            "only the Jobs service publishes its answers and notifications; clients may subscribe",
        );
    }
    let route = service_route(topic);
    if matches!(&route, PublishRoute::BasicIngest { rule } if rule.is_empty()) {
        return refuse("a Basic Ingest topic names its rule: $aws/rules/{ruleName}/...");
    }
    Ok(route)
}

/// Whether a client may subscribe to `filter` (a valid filter, without a `$share/` prefix).
///
/// # Errors
/// [`ReservedTopic`] for Basic Ingest filters.
pub fn client_subscription(filter: &str) -> Result<(), ReservedTopic> {
    if filter == "$aws/rules" || filter.starts_with("$aws/rules/") {
        return Err(ReservedTopic {
            topic: filter.to_string(),
            reason: "Basic Ingest topics ($aws/rules/...) cannot be subscribed to",
        });
    }
    Ok(())
}

/// Whether `authorization` (None: an open listener) allows `action` on `name`.
pub fn allows(authorization: Option<&Authorization>, action: IotAction, name: &str) -> bool {
    authorization.is_none_or(|a| a.allows(action, name))
}

fn require(
    authorization: Option<&Authorization>,
    action: IotAction,
    name: &str,
) -> Result<(), Refusal> {
    if allows(authorization, action, name) {
        Ok(())
    } else {
        Err(Refusal::NotAuthorized {
            action: action.as_str(),
            resource: name.to_string(),
        })
    }
}

/// The publish door: a client's publish to `topic` (retained or not) — the reserved-topic
/// rule, then `iot:Publish` (and `iot:RetainPublish` when retained). Returns the route.
///
/// # Errors
/// [`Refusal`].
pub fn publish_door(
    authorization: Option<&Authorization>,
    topic: &str,
    retain: bool,
) -> Result<PublishRoute, Refusal> {
    let route = client_route(topic)?;
    require(authorization, IotAction::Publish, topic)?;
    if retain {
        require(authorization, IotAction::RetainPublish, topic)?;
    }
    Ok(route)
}

/// The subscribe door: a client's subscription to `filter` (the filter as sent; a shared
/// subscription's `$share/{group}/` prefix is part of the policy resource, as on AWS) —
/// the reserved-topic rule on the inner filter, then `iot:Subscribe`.
///
/// # Errors
/// [`Refusal`].
pub fn subscribe_door(
    authorization: Option<&Authorization>,
    filter: &str,
    inner_filter: &str,
) -> Result<(), Refusal> {
    client_subscription(inner_filter)?;
    require(authorization, IotAction::Subscribe, filter)
}

/// The delivery door: whether a subscriber may receive a message on `topic` (`iot:Receive`).
pub fn may_receive(authorization: Option<&Authorization>, topic: &str) -> bool {
    allows(authorization, IotAction::Receive, topic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{AuthContext, PolicyDocument, Principal};

    fn device(client_id: &str) -> Authorization {
        let policy = PolicyDocument::parse(
            r#"{"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive", "iot:RetainPublish"],
               "Resource": ["arn:aws:iot:*:*:topic/dev/${iot:ClientId}/*",
                            "arn:aws:iot:*:*:topic/$aws/things/${iot:ClientId}/shadow/*",
                            "arn:aws:iot:*:*:topic/$aws/rules/*"]},
              {"Effect": "Allow", "Action": "iot:Subscribe",
               "Resource": ["arn:aws:iot:*:*:topicfilter/dev/${iot:ClientId}/*",
                            "arn:aws:iot:*:*:topicfilter/$aws/*"]}
            ]}"#,
        )
        .expect("parses");
        let mut context = AuthContext::new(
            Principal::CustomAuthorizer {
                principal_id: "p".into(),
            },
            "us-east-1",
            "123456789012",
            0,
        );
        context.client_id = Some(client_id.into());
        Authorization::new(&[policy], context)
    }

    #[test]
    fn ordinary_topics_reach_subscribers_and_rules() {
        assert_eq!(client_route("a/b"), Ok(PublishRoute::Subscribers));
        assert_eq!(client_route("$SYS/x"), Ok(PublishRoute::Subscribers));
        assert!(client_route("a/b")
            .unwrap_or(PublishRoute::Subscribers)
            .reaches_subscribers());
    }

    #[test]
    fn shadow_requests_go_to_the_shadow_service_too() {
        let route = client_route("$aws/things/lamp/shadow/name/cfg/update").expect("allowed");
        let request = route.shadow_request().expect("a shadow request");
        assert_eq!(request.thing_name, "lamp");
        assert_eq!(request.shadow_name.as_deref(), Some("cfg"));
        assert!(route.reaches_subscribers());
    }

    #[test]
    fn jobs_requests_go_to_the_jobs_service_too() {
        let route = client_route("$aws/things/lamp/jobs/fw-1/update").expect("allowed");
        let request = route.jobs_request().expect("a jobs request");
        assert_eq!(request.thing_name, "lamp");
        assert!(route.reaches_subscribers());
        assert!(route.shadow_request().is_none());
        for topic in [
            "$aws/things/lamp/jobs/notify",
            "$aws/things/lamp/jobs/notify-next",
            "$aws/things/lamp/jobs/get/accepted",
            "$aws/things/lamp/jobs/fw-1/update/rejected",
        ] {
            assert!(client_route(topic).is_err(), "{topic}");
            assert_eq!(service_route(topic), PublishRoute::Subscribers, "{topic}");
        }
    }

    #[test]
    fn clients_may_not_publish_what_only_the_core_publishes() {
        for topic in [
            "$aws/things/lamp/shadow/update/accepted",
            "$aws/things/lamp/shadow/get/rejected",
            "$aws/things/lamp/shadow/update/delta",
            "$aws/things/lamp/shadow/name/cfg/update/documents",
            "$aws/events/presence/connected/lamp",
            "$aws/rules/",
        ] {
            assert!(client_route(topic).is_err(), "{topic}");
            // The services that own them publish there.
            assert!(
                !matches!(service_route(topic), PublishRoute::ShadowRequest(_)),
                "{topic}"
            );
        }
    }

    #[test]
    fn basic_ingest_reaches_its_rule_only_and_cannot_be_subscribed() {
        let route = client_route("$aws/rules/r1/a/b").expect("allowed");
        assert_eq!(route, PublishRoute::BasicIngest { rule: "r1".into() });
        assert!(!route.reaches_subscribers());
        for filter in [
            "$aws/rules/r1/#",
            "$aws/rules/#",
            "$aws/rules",
            "$aws/rules/+",
        ] {
            assert!(client_subscription(filter).is_err(), "{filter}");
        }
        for filter in ["$aws/#", "$aws/+/r1", "#", "$aws/things/+/shadow/#"] {
            assert_eq!(client_subscription(filter), Ok(()), "{filter}");
        }
    }

    #[test]
    fn doors_check_the_reserved_rule_before_the_policy() {
        let auth = device("d1");
        assert!(publish_door(Some(&auth), "dev/d1/t", true).is_ok());
        assert_eq!(
            publish_door(Some(&auth), "dev/d2/t", false),
            Err(Refusal::NotAuthorized {
                action: "iot:Publish",
                resource: "dev/d2/t".into()
            })
        );
        assert!(matches!(
            publish_door(Some(&auth), "$aws/things/d1/shadow/update/accepted", false),
            Err(Refusal::Reserved(_))
        ));
        assert!(matches!(
            subscribe_door(Some(&auth), "$aws/rules/#", "$aws/rules/#"),
            Err(Refusal::Reserved(_))
        ));
        assert!(matches!(
            subscribe_door(Some(&auth), "#", "#"),
            Err(Refusal::NotAuthorized { .. })
        ));
        assert!(subscribe_door(None, "#", "#").is_ok());
        assert!(may_receive(Some(&auth), "dev/d1/t"));
        assert!(!may_receive(Some(&auth), "dev/d2/t"));
        assert!(may_receive(None, "anything"));
    }
}
