//! Policy evaluation: does a set of policies allow an action on a resource, for this caller?
//!
//! The decision follows IAM's "Policy evaluation logic" for one set of identity policies:
//! an explicit `Deny` in any applicable statement wins; otherwise any applicable `Allow`
//! allows; otherwise the request is implicitly denied. A statement applies when its action
//! matches (`Action`: any pattern; `NotAction`: none), its resource matches (`Resource`: any
//! pattern; `NotResource`: none) and all its conditions hold.
//!
//! The policies are all those in force for the principal: for a certificate, the policies
//! attached to it and those inherited through the thing groups of its thing; for a Cognito
//! identity, the IoT policies attached to it (AWS also requires the identity pool role's IAM
//! policy to allow: evaluate that separately and require both); for a custom authorizer, the
//! policies it returned. The caller gathers them and passes them all.
//!
//! Unresolved policy variables (AWS: the statement is then invalid): in `Resource` the pattern
//! matches nothing (the statement's other patterns still count); in `NotResource` the
//! statement does not apply at all, so that a missing value never widens what it covers.
//!
//! Resource matching is whole-string wildcard matching (AWS IoT: "`*` ... matching any
//! characters"), case-sensitive; `ArnLike`/`ArnEquals` conditions match component by
//! component as IAM specifies for them.

use super::conditions::CompiledCondition;
use super::context::{AuthContext, Request};
use super::document::{
    ActionMatch, Effect, PolicyDocument, PolicyLanguageVersion, ResourceMatch, Statement,
};
use super::matching::glob;
use super::variables::{Syntax, Template};

/// The outcome of evaluating policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// An applicable statement allows the request and none denies it.
    Allow,
    /// An applicable statement denies the request.
    ExplicitDeny,
    /// No applicable statement allows the request.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(self) -> bool {
        self == Self::Allow
    }
}

/// The AWS IoT Core data-plane actions (AWS IoT Core policy actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IotAction {
    /// `iot:Connect`, on the client id (checked on every CONNECT).
    Connect,
    /// `iot:DeleteConnection`, on the client id.
    DeleteConnection,
    /// `iot:Publish`, on the topic (checked on every PUBLISH).
    Publish,
    /// `iot:Subscribe`, on the topic filter (checked on every SUBSCRIBE).
    Subscribe,
    /// `iot:Receive`, on the topic (checked on every delivery).
    Receive,
    /// `iot:RetainPublish`, on the topic (a PUBLISH with RETAIN; needs `iot:Publish` too).
    RetainPublish,
    /// `iot:GetRetainedMessage`, on the topic.
    GetRetainedMessage,
    /// `iot:ListRetainedMessages`, on `*`.
    ListRetainedMessages,
    /// `iot:DeleteThingShadow`, on the thing (and shadow name).
    DeleteThingShadow,
    /// `iot:GetThingShadow`, on the thing (and shadow name).
    GetThingShadow,
    /// `iot:UpdateThingShadow`, on the thing (and shadow name).
    UpdateThingShadow,
    /// `iot:ListNamedShadowsForThing`, on `*`.
    ListNamedShadowsForThing,
    /// `iot:DescribeJobExecution`, on the thing (the Jobs API over HTTPS).
    DescribeJobExecution,
    /// `iot:GetPendingJobExecutions`, on the thing (the Jobs API over HTTPS).
    GetPendingJobExecutions,
    /// `iot:StartNextPendingJobExecution`, on the thing (the Jobs API over HTTPS).
    StartNextPendingJobExecution,
    /// `iot:UpdateJobExecution`, on the thing (the Jobs API over HTTPS).
    UpdateJobExecution,
}

impl IotAction {
    /// Every action, in declaration order.
    pub const ALL: [IotAction; 16] = [
        Self::Connect,
        Self::DeleteConnection,
        Self::Publish,
        Self::Subscribe,
        Self::Receive,
        Self::RetainPublish,
        Self::GetRetainedMessage,
        Self::ListRetainedMessages,
        Self::DeleteThingShadow,
        Self::GetThingShadow,
        Self::UpdateThingShadow,
        Self::ListNamedShadowsForThing,
        Self::DescribeJobExecution,
        Self::GetPendingJobExecutions,
        Self::StartNextPendingJobExecution,
        Self::UpdateJobExecution,
    ];

    /// The action as policies name it, e.g. `iot:Publish`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "iot:Connect",
            Self::DeleteConnection => "iot:DeleteConnection",
            Self::Publish => "iot:Publish",
            Self::Subscribe => "iot:Subscribe",
            Self::Receive => "iot:Receive",
            Self::RetainPublish => "iot:RetainPublish",
            Self::GetRetainedMessage => "iot:GetRetainedMessage",
            Self::ListRetainedMessages => "iot:ListRetainedMessages",
            Self::DeleteThingShadow => "iot:DeleteThingShadow",
            Self::GetThingShadow => "iot:GetThingShadow",
            Self::UpdateThingShadow => "iot:UpdateThingShadow",
            Self::ListNamedShadowsForThing => "iot:ListNamedShadowsForThing",
            Self::DescribeJobExecution => "iot:DescribeJobExecution",
            Self::GetPendingJobExecutions => "iot:GetPendingJobExecutions",
            Self::StartNextPendingJobExecution => "iot:StartNextPendingJobExecution",
            Self::UpdateJobExecution => "iot:UpdateJobExecution",
        }
    }

    /// The action named `name`, compared case-insensitively.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str().eq_ignore_ascii_case(name))
    }

    /// The kind of resource the action is checked against (AWS IoT Core action resources).
    pub fn resource_kind(self) -> ResourceKind {
        match self {
            Self::Connect | Self::DeleteConnection => ResourceKind::Client,
            Self::Publish | Self::Receive | Self::RetainPublish | Self::GetRetainedMessage => {
                ResourceKind::Topic
            }
            Self::Subscribe => ResourceKind::TopicFilter,
            Self::DeleteThingShadow
            | Self::GetThingShadow
            | Self::UpdateThingShadow
            | Self::DescribeJobExecution
            | Self::GetPendingJobExecutions
            | Self::StartNextPendingJobExecution
            | Self::UpdateJobExecution => ResourceKind::Thing,
            Self::ListRetainedMessages | Self::ListNamedShadowsForThing => ResourceKind::All,
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A kind of IoT resource, the `{type}` of `arn:aws:iot:{region}:{account}:{type}/{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `client/{clientId}`.
    Client,
    /// `topic/{topicName}`.
    Topic,
    /// `topicfilter/{filter}`, the filter exactly as the client sent it (MQTT's `+` and `#`
    /// are ordinary characters in the ARN).
    TopicFilter,
    /// `thing/{thingName}`, or `thing/{thingName}/{shadowName}` for a named shadow (see
    /// [`shadow_arn`]).
    Thing,
    /// `*`: actions without resource-level permissions.
    All,
}

impl ResourceKind {
    /// The resource type in the ARN (`client`, `topic`, ...); empty for [`ResourceKind::All`].
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Topic => "topic",
            Self::TopicFilter => "topicfilter",
            Self::Thing => "thing",
            Self::All => "",
        }
    }
}

/// The ARN partition of a region: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, else `aws`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The ARN a request names, e.g. `resource_arn(ResourceKind::Topic, "a/b", "us-east-1",
/// "123456789012")` is `arn:aws:iot:us-east-1:123456789012:topic/a/b`;
/// [`ResourceKind::All`] gives `*`. The name is used as is.
pub fn resource_arn(kind: ResourceKind, name: &str, region: &str, account: &str) -> String {
    if kind == ResourceKind::All {
        return "*".to_string();
    }
    format!(
        "arn:{}:iot:{region}:{account}:{}/{name}",
        partition(region),
        kind.as_str()
    )
}

/// The ARN of a thing's shadow: `thing/{thing}` for the classic shadow, `thing/{thing}/{shadow}`
/// for a named one.
pub fn shadow_arn(thing: &str, shadow: Option<&str>, region: &str, account: &str) -> String {
    match shadow {
        Some(shadow) => resource_arn(
            ResourceKind::Thing,
            &format!("{thing}/{shadow}"),
            region,
            account,
        ),
        None => resource_arn(ResourceKind::Thing, thing, region, account),
    }
}

/// Which statement decided, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatementRef {
    /// Index of the policy in the slice given to [`CompiledPolicies::new`].
    pub policy: usize,
    /// Index of the statement in the policy.
    pub statement: usize,
}

/// A decision and the statement that made it (none for [`Decision::ImplicitDeny`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// The decision.
    pub decision: Decision,
    /// The denying statement, or the first allowing one.
    pub statement: Option<StatementRef>,
}

#[derive(Debug, Clone, PartialEq)]
struct CompiledActions {
    not: bool,
    patterns: Vec<Template>,
    /// The known actions some pattern matches (bit per [`IotAction`]).
    known: u32,
}

impl CompiledActions {
    fn compile(actions: &ActionMatch) -> Self {
        let (not, patterns) = match actions {
            ActionMatch::Action(p) => (false, p),
            ActionMatch::NotAction(p) => (true, p),
        };
        let syntax = Syntax {
            wildcards: true,
            variables: false,
        };
        let patterns: Vec<Template> = patterns
            .iter()
            .map(|p| Template::compile(p, syntax))
            .collect();
        let known = IotAction::ALL
            .into_iter()
            .filter(|action| {
                patterns
                    .iter()
                    .any(|p| glob(p.tokens(), action.as_str(), true))
            })
            .fold(0, |bits, action| bits | action.bit());
        Self {
            not,
            patterns,
            known,
        }
    }

    fn applies(&self, action: &str, known: Option<IotAction>) -> bool {
        let matched = match known {
            Some(action) => self.known & action.bit() != 0,
            None => self.patterns.iter().any(|p| glob(p.tokens(), action, true)),
        };
        matched != self.not
    }
}

#[derive(Debug, Clone, PartialEq)]
struct CompiledResources {
    not: bool,
    patterns: Vec<Template>,
}

impl CompiledResources {
    fn compile(resources: &ResourceMatch, version: PolicyLanguageVersion) -> Self {
        let (not, patterns) = match resources {
            ResourceMatch::Resource(p) => (false, p),
            ResourceMatch::NotResource(p) => (true, p),
        };
        let syntax = Syntax {
            wildcards: true,
            variables: version == PolicyLanguageVersion::V2012_10_17,
        };
        Self {
            not,
            patterns: patterns
                .iter()
                .map(|p| Template::compile(p, syntax))
                .collect(),
        }
    }

    fn applies(&self, ctx: &AuthContext, request: &Request<'_>) -> bool {
        let mut matched = false;
        for pattern in &self.patterns {
            match pattern_matches(pattern, request.resource, ctx, request) {
                Some(true) => matched = true,
                Some(false) => {}
                // Unresolved: nothing in `Resource`, the whole statement in `NotResource`.
                None if self.not => return false,
                None => {}
            }
            if matched && !self.not {
                return true;
            }
        }
        matched != self.not
    }
}

/// Whether a resource pattern matches `text`; `None` if a variable cannot be resolved.
fn pattern_matches(
    pattern: &Template,
    text: &str,
    ctx: &AuthContext,
    request: &Request<'_>,
) -> Option<bool> {
    if !pattern.has_vars() {
        return Some(glob(pattern.tokens(), text, false));
    }
    let values = pattern.variable_values(ctx, request)?;
    Some(glob(&pattern.resolve(&values), text, false))
}

#[derive(Debug, Clone, PartialEq)]
struct CompiledStatement {
    effect: Effect,
    actions: CompiledActions,
    resources: CompiledResources,
    conditions: Vec<CompiledCondition>,
}

impl CompiledStatement {
    fn compile(statement: &Statement, version: PolicyLanguageVersion) -> Self {
        Self {
            effect: statement.effect,
            actions: CompiledActions::compile(&statement.actions),
            resources: CompiledResources::compile(&statement.resources, version),
            conditions: statement
                .conditions
                .iter()
                .map(|c| CompiledCondition::compile(c, version))
                .collect(),
        }
    }

    fn applies(&self, known: Option<IotAction>, ctx: &AuthContext, request: &Request<'_>) -> bool {
        self.actions.applies(request.action, known)
            && self.resources.applies(ctx, request)
            && self
                .conditions
                .iter()
                .all(|c| c.holds(self.effect, ctx, request))
    }
}

/// A set of policies compiled for repeated evaluation: patterns are split into literals,
/// wildcards and variables once, and each statement knows which [`IotAction`]s it covers.
/// Matching actions and resources allocates nothing unless a variable has to be substituted;
/// string, `Bool`, numeric and `aws:SourceIp` conditions on single-valued keys allocate
/// nothing either (dates, ARN operators and multi-valued keys allocate a little).
///
/// Build it when the principal's policies are known (at CONNECT, again when they change) and
/// keep it with the connection.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledPolicies {
    /// Statements with their position, denials and allowances in document order.
    statements: Vec<(StatementRef, CompiledStatement)>,
    unsupported: Vec<String>,
}

impl CompiledPolicies {
    /// Compiles every policy in force for a principal (see the module documentation for which
    /// those are).
    pub fn new(policies: &[PolicyDocument]) -> Self {
        let mut statements = Vec::new();
        let mut unsupported = Vec::new();
        for (policy, document) in policies.iter().enumerate() {
            for (index, statement) in document.statements.iter().enumerate() {
                let compiled = CompiledStatement::compile(statement, document.version);
                for condition in &compiled.conditions {
                    if let Some(name) = condition.unsupported() {
                        if !unsupported.iter().any(|u| u == name) {
                            unsupported.push(name.to_string());
                        }
                    }
                }
                let at = StatementRef {
                    policy,
                    statement: index,
                };
                statements.push((at, compiled));
            }
        }
        Self {
            statements,
            unsupported,
        }
    }

    /// The decision for `request` by the caller described by `ctx`.
    pub fn evaluate(&self, ctx: &AuthContext, request: &Request<'_>) -> Decision {
        self.explain(ctx, request).decision
    }

    /// The decision and the statement that made it.
    pub fn explain(&self, ctx: &AuthContext, request: &Request<'_>) -> Outcome {
        let known = IotAction::parse(request.action);
        let mut allowed_by = None;
        for (at, statement) in &self.statements {
            if statement.effect == Effect::Allow && allowed_by.is_some() {
                continue;
            }
            if !statement.applies(known, ctx, request) {
                continue;
            }
            match statement.effect {
                Effect::Deny => {
                    return Outcome {
                        decision: Decision::ExplicitDeny,
                        statement: Some(*at),
                    }
                }
                Effect::Allow => allowed_by = Some(*at),
            }
        }
        Outcome {
            decision: if allowed_by.is_some() {
                Decision::Allow
            } else {
                Decision::ImplicitDeny
            },
            statement: allowed_by,
        }
    }

    /// Condition operators in these policies that thingcore cannot evaluate (they fail closed:
    /// false in `Allow` statements, true in `Deny` ones). Empty for parsed documents.
    pub fn unsupported_operators(&self) -> &[String] {
        &self.unsupported
    }
}

/// Evaluates `request` against `policies` once; for repeated evaluation compile them with
/// [`CompiledPolicies::new`].
pub fn evaluate(policies: &[PolicyDocument], ctx: &AuthContext, request: &Request<'_>) -> Decision {
    CompiledPolicies::new(policies).evaluate(ctx, request)
}
