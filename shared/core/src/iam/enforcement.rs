//! IAM enforcement, pure: may this identity perform this action on these resources?
//!
//! One evaluation for every request an identity IAM knows has signed, on every API (IAM
//! User Guide, "Policy evaluation logic", for identity-based policies and session policies):
//!
//! - the identity's policies are a user's inline and attached policies and its groups', or
//!   a role session's role's; an explicit `Deny` in any of them wins, otherwise an `Allow`
//!   allows, otherwise the request is implicitly denied;
//! - a role session's session policy narrows: the request must be allowed by the role's
//!   policies *and* by the session policy (a deny in either refuses);
//! - the account root is allowed everything;
//! - every resource the operation names must be allowed.
//!
//! The policy engine is [`crate::policy`]'s (`NotAction`/`NotResource`, `*`/`?`, policy
//! variables, condition operators). The global condition keys [`RequestFacts`] and
//! [`IamPrincipal`] supply: `aws:username` (users), `aws:userid`, `aws:PrincipalArn` (a role
//! session's role ARN), `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:SourceIp`,
//! `aws:CurrentTime`, `aws:EpochTime`, `aws:SecureTransport`, `aws:RequestedRegion`.

use crate::policy::{
    AuthContext, CompiledPolicies, Decision, PolicyDocument, Principal, Request, RequestKey,
};
use std::net::IpAddr;

/// What kind of identity signed, for `aws:PrincipalType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// An IAM user, or a GetSessionToken session of one.
    User {
        /// `UserName` (`aws:username`).
        user_name: String,
    },
    /// A role session.
    AssumedRole {
        /// The role's ARN (`aws:PrincipalArn`).
        role_arn: String,
    },
    /// The account root: allowed everything.
    Root,
}

/// An identity IAM knows, with its policies parsed.
#[derive(Debug, Clone)]
pub struct IamPrincipal {
    /// Its ARN, as refusals name it.
    pub arn: String,
    /// `aws:userid`.
    pub user_id: String,
    /// The account.
    pub account: String,
    /// What it is.
    pub kind: PrincipalKind,
    /// The access key id that signed.
    pub access_key_id: String,
    policies: CompiledPolicies,
    session_policy: Option<CompiledPolicies>,
}

impl IamPrincipal {
    /// An identity with its identity-based policies and, for a role session, its session
    /// policy.
    pub fn new(
        arn: impl Into<String>,
        user_id: impl Into<String>,
        account: impl Into<String>,
        kind: PrincipalKind,
        access_key_id: impl Into<String>,
        policies: &[PolicyDocument],
        session_policy: Option<&PolicyDocument>,
    ) -> Self {
        Self {
            arn: arn.into(),
            user_id: user_id.into(),
            account: account.into(),
            kind,
            access_key_id: access_key_id.into(),
            policies: CompiledPolicies::new(policies),
            session_policy: session_policy.map(|p| CompiledPolicies::new(std::slice::from_ref(p))),
        }
    }

    /// `aws:username`, for a user.
    pub fn user_name(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::User { user_name } => Some(user_name),
            _ => None,
        }
    }

    /// `aws:PrincipalArn`: the user's ARN, a role session's role's, the root's.
    pub fn principal_arn(&self) -> &str {
        match &self.kind {
            PrincipalKind::AssumedRole { role_arn } => role_arn,
            _ => &self.arn,
        }
    }

    fn principal_type(&self) -> &'static str {
        match self.kind {
            PrincipalKind::User { .. } => "User",
            PrincipalKind::AssumedRole { .. } => "AssumedRole",
            PrincipalKind::Root => "Account",
        }
    }
}

/// What is known about the request itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    /// The core's region (resource ARNs, `aws:RequestedRegion`).
    pub region: String,
    /// The time, epoch seconds (`aws:CurrentTime`, `aws:EpochTime`).
    pub now: i64,
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
    /// Whether it came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
}

/// A refusal, as AWS words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("User: {principal} is not authorized to perform: {action} on resource: {resource}{}",
    if *.explicit { " with an explicit deny in an identity-based policy" } else { "" })]
pub struct AccessDenied {
    /// The principal's ARN.
    pub principal: String,
    /// The action.
    pub action: String,
    /// The first resource refused.
    pub resource: String,
    /// Whether a `Deny` statement refused it (else nothing allowed it).
    pub explicit: bool,
}

/// Whether `principal` may perform `action` on every one of `resources`.
///
/// # Errors
/// [`AccessDenied`] naming the first resource refused.
pub fn authorize(
    principal: &IamPrincipal,
    action: &str,
    resources: &[String],
    facts: &RequestFacts,
) -> Result<(), AccessDenied> {
    if principal.kind == PrincipalKind::Root {
        return Ok(());
    }
    let mut context = AuthContext::new(
        Principal::IamAccessKey {
            access_key_id: principal.access_key_id.clone(),
        },
        facts.region.clone(),
        principal.account.clone(),
        facts.now,
    );
    context.source_ip = facts.source_ip;
    let user_name = principal.user_name().map(|n| [n]);
    let user_id = [principal.user_id.as_str()];
    let principal_arn = [principal.principal_arn()];
    let account = [principal.account.as_str()];
    let principal_type = [principal.principal_type()];
    let secure = [if facts.secure_transport {
        "true"
    } else {
        "false"
    }];
    let region = [facts.region.as_str()];
    let mut keys = vec![
        RequestKey {
            name: "aws:userid",
            values: &user_id,
        },
        RequestKey {
            name: "aws:PrincipalArn",
            values: &principal_arn,
        },
        RequestKey {
            name: "aws:PrincipalAccount",
            values: &account,
        },
        RequestKey {
            name: "aws:PrincipalType",
            values: &principal_type,
        },
        RequestKey {
            name: "aws:SecureTransport",
            values: &secure,
        },
        RequestKey {
            name: "aws:RequestedRegion",
            values: &region,
        },
    ];
    if let Some(name) = &user_name {
        keys.push(RequestKey {
            name: "aws:username",
            values: name,
        });
    }
    for resource in resources {
        let request = Request::new(action, resource).with_keys(&keys);
        let identity = principal.policies.evaluate(&context, &request);
        let session = principal
            .session_policy
            .as_ref()
            .map_or(Decision::Allow, |p| p.evaluate(&context, &request));
        if identity != Decision::Allow || session != Decision::Allow {
            return Err(AccessDenied {
                principal: principal.arn.clone(),
                action: action.to_string(),
                resource: resource.clone(),
                explicit: identity == Decision::ExplicitDeny || session == Decision::ExplicitDeny,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "arn:aws:iam::123456789012:user/alice";

    fn doc(text: &str) -> PolicyDocument {
        PolicyDocument::parse_with_limit(text, usize::MAX).expect("policy")
    }

    fn alice(policies: &[&str]) -> IamPrincipal {
        let docs: Vec<_> = policies.iter().map(|p| doc(p)).collect();
        IamPrincipal::new(
            ALICE,
            "AIDAALICE",
            "123456789012",
            PrincipalKind::User {
                user_name: "alice".into(),
            },
            "AKIAALICE",
            &docs,
            None,
        )
    }

    fn facts() -> RequestFacts {
        RequestFacts {
            region: "us-east-1".into(),
            now: 1_800_000_000,
            source_ip: Some("10.0.0.7".parse().expect("ip")),
            secure_transport: false,
        }
    }

    fn thing(name: &str) -> Vec<String> {
        vec![format!("arn:aws:iot:us-east-1:123456789012:thing/{name}")]
    }

    const DESCRIBE_DEV: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":"iot:DescribeThing","Resource":"arn:aws:iot:*:*:thing/dev-*"}]}"#;

    #[test]
    fn an_allow_on_some_things_refuses_other_things_and_other_actions() {
        let p = alice(&[DESCRIBE_DEV]);
        assert_eq!(
            authorize(&p, "iot:DescribeThing", &thing("dev-1"), &facts()),
            Ok(())
        );
        let refused =
            authorize(&p, "iot:DescribeThing", &thing("other-1"), &facts()).expect_err("refused");
        assert_eq!(
            refused.to_string(),
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: \
             iot:DescribeThing on resource: arn:aws:iot:us-east-1:123456789012:thing/other-1"
        );
        assert!(authorize(&p, "iot:CreateThing", &thing("dev-1"), &facts()).is_err());
        assert!(authorize(&alice(&[]), "iot:ListThings", &["*".into()], &facts()).is_err());
    }

    #[test]
    fn an_explicit_deny_in_any_policy_wins_and_says_so() {
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny",
            "Action":"iot:*","Resource":"arn:aws:iot:*:*:thing/dev-9"}]}"#;
        let p = alice(&[DESCRIBE_DEV, deny]);
        let refused =
            authorize(&p, "iot:DescribeThing", &thing("dev-9"), &facts()).expect_err("deny");
        assert!(refused.explicit);
        assert!(refused
            .to_string()
            .ends_with("with an explicit deny in an identity-based policy"));
        assert_eq!(
            authorize(&p, "iot:DescribeThing", &thing("dev-1"), &facts()),
            Ok(())
        );
    }

    #[test]
    fn every_resource_must_be_allowed() {
        let p = alice(&[DESCRIBE_DEV]);
        let mut both = thing("dev-1");
        both.extend(thing("other"));
        let refused = authorize(&p, "iot:DescribeThing", &both, &facts()).expect_err("one refused");
        assert!(refused.resource.ends_with("thing/other"));
    }

    #[test]
    fn not_action_and_not_resource() {
        let p = alice(&[r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:iot:*:*:thing/prod-*"}]}"#]);
        assert_eq!(
            authorize(&p, "iot:CreateThing", &thing("dev"), &facts()),
            Ok(())
        );
        assert!(authorize(&p, "iot:CreateThing", &thing("prod-1"), &facts()).is_err());
        assert!(authorize(&p, "iam:ListUsers", &["*".into()], &facts()).is_err());
    }

    #[test]
    fn a_session_policy_narrows_a_role_session() {
        let role_policy = doc(r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"iot:*","Resource":"*"}]}"#);
        let session = doc(DESCRIBE_DEV);
        let p = IamPrincipal::new(
            "arn:aws:sts::123456789012:assumed-role/ops/s1",
            "AROAOPS:s1",
            "123456789012",
            PrincipalKind::AssumedRole {
                role_arn: "arn:aws:iam::123456789012:role/ops".into(),
            },
            "ASIAX",
            std::slice::from_ref(&role_policy),
            Some(&session),
        );
        assert_eq!(
            authorize(&p, "iot:DescribeThing", &thing("dev-1"), &facts()),
            Ok(())
        );
        assert!(authorize(&p, "iot:CreateThing", &thing("dev-1"), &facts()).is_err());
        // The session policy alone grants nothing the role lacks.
        let narrow_role = IamPrincipal::new(
            "arn:aws:sts::123456789012:assumed-role/ops/s1",
            "AROAOPS:s1",
            "123456789012",
            PrincipalKind::AssumedRole {
                role_arn: "arn:aws:iam::123456789012:role/ops".into(),
            },
            "ASIAX",
            &[],
            Some(&role_policy),
        );
        assert!(authorize(&narrow_role, "iot:DescribeThing", &thing("dev-1"), &facts()).is_err());
    }

    #[test]
    fn the_root_is_allowed_everything() {
        let root = IamPrincipal::new(
            "arn:aws:iam::123456789012:root",
            "123456789012",
            "123456789012",
            PrincipalKind::Root,
            "ASIAROOT",
            &[],
            None,
        );
        assert_eq!(
            authorize(&root, "iam:DeleteUser", &["*".into()], &facts()),
            Ok(())
        );
    }

    #[test]
    fn global_condition_keys() {
        let p = alice(&[r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}"},
            {"Effect":"Allow","Action":"iot:ListThings","Resource":"*",
             "Condition":{"StringEquals":{"aws:userid":"AIDAALICE","aws:PrincipalArn":"arn:aws:iam::123456789012:user/alice",
                                         "aws:PrincipalType":"User"}}},
            {"Effect":"Allow","Action":"iot:ListThingTypes","Resource":"*",
             "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
            {"Effect":"Allow","Action":"iot:ListPolicies","Resource":"*",
             "Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}},
            {"Effect":"Deny","Action":"iot:ListJobs","Resource":"*",
             "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
            {"Effect":"Allow","Action":"iot:ListJobs","Resource":"*"}]}"#]);
        let own = ["arn:aws:iam::123456789012:user/alice".to_string()];
        let other = ["arn:aws:iam::123456789012:user/bob".to_string()];
        let any = ["*".to_string()];
        assert_eq!(authorize(&p, "iam:GetUser", &own, &facts()), Ok(()));
        assert!(authorize(&p, "iam:GetUser", &other, &facts()).is_err());
        assert_eq!(authorize(&p, "iot:ListThings", &any, &facts()), Ok(()));
        assert_eq!(authorize(&p, "iot:ListThingTypes", &any, &facts()), Ok(()));
        let far = RequestFacts {
            source_ip: Some("192.0.2.1".parse().expect("ip")),
            ..facts()
        };
        assert!(authorize(&p, "iot:ListThingTypes", &any, &far).is_err());
        assert!(authorize(&p, "iot:ListPolicies", &any, &facts()).is_err());
        assert!(authorize(&p, "iot:ListJobs", &any, &facts()).is_err());
        let tls = RequestFacts {
            secure_transport: true,
            ..facts()
        };
        assert_eq!(authorize(&p, "iot:ListJobs", &any, &tls), Ok(()));
    }
}
