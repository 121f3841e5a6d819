//! Role trust policies (`AssumeRolePolicyDocument`): parsed and checked at CreateRole and
//! UpdateAssumeRolePolicy, and asked at AssumeRole and AssumeRoleWithWebIdentity whether they
//! let a caller in.
//!
//! A statement names who with `Principal` (`"*"`, or an object of `AWS`, `Federated` and
//! `Service`, each a string or a list) and what with `Action`/`NotAction` (`sts:AssumeRole`,
//! `sts:AssumeRoleWithWebIdentity`, wildcards allowed). An `AWS` principal matches the
//! caller's ARN, `*`, or the caller's account (its id or `arn:aws:iam::{account}:root`). A
//! deny that matches wins over any allow.
//!
//! A statement's `Condition` is evaluated by the policy engine's condition operators
//! (`crate::policy`, the same code identity policies use: `StringEquals`, `StringLike`, their
//! negations, `Bool`, `Null`, `Date*`, `Numeric*`, `IpAddress`, `Arn*`, `ForAnyValue:` /
//! `ForAllValues:`, `...IfExists`); every condition of a statement must hold for it to apply.
//! The keys a request brings are [`TrustRequest::keys`] ([`aws_caller_keys`] for AssumeRole,
//! `super::web_identity::condition_keys` for a web identity) plus
//! `aws:SourceIp`, `aws:CurrentTime` and `aws:EpochTime` from the request itself. An operator
//! the policy engine does not know is refused at parse time (`MalformedPolicyDocument`, as
//! IAM refuses it); should one reach evaluation anyway it fails closed: the condition is false
//! in an `Allow` statement (it does not let anyone in) and true in a `Deny` one.

use super::IamError;
use crate::policy::conditions::CompiledCondition;
use crate::policy::document::parse_conditions;
use crate::policy::{
    AuthContext, Condition, Decision, Effect, PolicyLanguageVersion, Principal, Request, RequestKey,
};
use serde_json::{Map, Value};
use std::net::IpAddr;

/// Most characters of a trust policy besides whitespace (IAM's default quota).
pub const MAX_TRUST_POLICY_CHARS: usize = 2048;

/// Who a statement names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principals {
    /// `"Principal": "*"`: everyone.
    pub everyone: bool,
    /// `AWS` entries: ARNs, account ids or `*`.
    pub aws: Vec<String>,
    /// `Federated` entries: identity providers.
    pub federated: Vec<String>,
    /// `Service` entries: AWS services (`iot.amazonaws.com`).
    pub service: Vec<String>,
}

/// One statement of a trust policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustStatement {
    /// `Allow` (true) or `Deny`.
    pub allow: bool,
    /// `Principal`.
    pub principals: Principals,
    /// Action patterns.
    pub actions: Vec<String>,
    /// Whether the patterns are `NotAction`.
    pub not_action: bool,
    /// The `Condition` block's conditions, all of which must hold (empty without one).
    pub conditions: Vec<Condition>,
}

/// A checked trust policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPolicy {
    /// `Version` (policy variables in condition values only under `2012-10-17`).
    pub version: PolicyLanguageVersion,
    /// Its statements.
    pub statements: Vec<TrustStatement>,
}

/// A request to assume a role, as its trust policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustRequest<'a> {
    /// Who asks.
    pub caller: &'a TrustCaller,
    /// `sts:AssumeRole` or `sts:AssumeRoleWithWebIdentity`.
    pub action: &'a str,
    /// The role's ARN (the request's resource).
    pub role_arn: &'a str,
    /// The time, epoch seconds (`aws:CurrentTime`, `aws:EpochTime`).
    pub now: i64,
    /// The client's address (`aws:SourceIp`), when known.
    pub source_ip: Option<IpAddr>,
    /// The other condition keys and their values (`sts:ExternalId`, `{provider}:aud`, …;
    /// a key with several values is multi-valued, for `ForAnyValue:`/`ForAllValues:`).
    pub keys: Vec<(String, Vec<String>)>,
}

/// Who asks to assume a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustCaller {
    /// An IAM identity (user, root, role session) of `account`; `arns` are the ARNs it
    /// answers to (a role session answers to its session ARN and to its role's ARN).
    Aws {
        /// Its account.
        account: String,
        /// Its ARNs.
        arns: Vec<String>,
    },
    /// A federated identity from provider `provider` (an OIDC provider ARN or host).
    Federated {
        /// The provider.
        provider: String,
    },
}

/// What AssumeRole's caller brings to the trust policy's conditions besides its address and
/// the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsCallerFacts<'a> {
    /// `aws:PrincipalArn`: the user's ARN, a role session's role's, the root's.
    pub principal_arn: &'a str,
    /// `aws:PrincipalAccount`.
    pub account: &'a str,
    /// `aws:PrincipalType`: `User`, `AssumedRole` or `Account`.
    pub principal_type: &'a str,
    /// `aws:userid`.
    pub user_id: &'a str,
    /// `aws:username`, for a user.
    pub user_name: Option<&'a str>,
    /// `sts:ExternalId`, when the request has one.
    pub external_id: Option<&'a str>,
    /// `sts:RoleSessionName`.
    pub session_name: &'a str,
}

/// The condition keys of an AssumeRole request: `aws:PrincipalArn`, `aws:PrincipalAccount`,
/// `aws:PrincipalType`, `aws:userid`, `aws:username` (users), `sts:ExternalId` (when sent),
/// `sts:RoleSessionName` and `aws:MultiFactorAuthPresent` (`false`: thingcore has no MFA).
pub fn aws_caller_keys(facts: &AwsCallerFacts<'_>) -> Vec<(String, Vec<String>)> {
    let one = |name: &str, value: &str| (name.to_string(), vec![value.to_string()]);
    let mut keys = vec![
        one("aws:PrincipalArn", facts.principal_arn),
        one("aws:PrincipalAccount", facts.account),
        one("aws:PrincipalType", facts.principal_type),
        one("aws:userid", facts.user_id),
        one("sts:RoleSessionName", facts.session_name),
        one("aws:MultiFactorAuthPresent", "false"),
    ];
    if let Some(name) = facts.user_name {
        keys.push(one("aws:username", name));
    }
    if let Some(id) = facts.external_id {
        keys.push(one("sts:ExternalId", id));
    }
    keys
}

fn malformed(message: impl Into<String>) -> IamError {
    IamError::MalformedPolicyDocument(message.into())
}

fn strings(value: &Value, element: &str) -> Result<Vec<String>, IamError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(malformed(format!("{element} values must be strings"))),
            })
            .collect(),
        _ => Err(malformed(format!(
            "{element} must be a string or a non-empty list of strings"
        ))),
    }
}

fn parse_principals(value: &Value) -> Result<Principals, IamError> {
    match value {
        Value::String(s) if s == "*" => Ok(Principals {
            everyone: true,
            ..Principals::default()
        }),
        Value::Object(map) if !map.is_empty() => {
            let mut principals = Principals::default();
            for (kind, entries) in map {
                let list = strings(entries, "Principal")?;
                match kind.as_str() {
                    "AWS" => principals.aws = list,
                    "Federated" => principals.federated = list,
                    "Service" => principals.service = list,
                    other => return Err(malformed(format!("Invalid principal type: {other}"))),
                }
            }
            Ok(principals)
        }
        _ => Err(malformed("Invalid principal in policy")),
    }
}

fn parse_statement(statement: &Map<String, Value>) -> Result<TrustStatement, IamError> {
    for key in statement.keys() {
        match key.as_str() {
            "Sid" | "Effect" | "Principal" | "Action" | "NotAction" | "Condition" => {}
            "Resource" | "NotResource" | "NotPrincipal" => {
                return Err(malformed(format!("Has prohibited field {key}")))
            }
            other => return Err(malformed(format!("Unsupported element {other}"))),
        }
    }
    let allow = match statement.get("Effect").and_then(Value::as_str) {
        Some("Allow") => true,
        Some("Deny") => false,
        _ => return Err(malformed("Effect must be Allow or Deny")),
    };
    let principals = parse_principals(
        statement
            .get("Principal")
            .ok_or_else(|| malformed("Missing required field Principal"))?,
    )?;
    let (actions, not_action) = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(v), None) => (strings(v, "Action")?, false),
        (None, Some(v)) => (strings(v, "NotAction")?, true),
        _ => {
            return Err(malformed(
                "A statement needs exactly one of Action or NotAction",
            ))
        }
    };
    let conditions = match statement.get("Condition") {
        None => Vec::new(),
        Some(Value::Object(block)) => {
            parse_conditions(block).map_err(|error| malformed(error.0))?
        }
        Some(_) => return Err(malformed("Condition must be an object")),
    };
    Ok(TrustStatement {
        allow,
        principals,
        actions,
        not_action,
        conditions,
    })
}

impl TrustPolicy {
    /// Parses and checks a trust policy.
    ///
    /// # Errors
    /// `MalformedPolicyDocument` with the reason; `LimitExceeded` over the size quota.
    pub fn parse(text: &str) -> Result<Self, IamError> {
        let size = text.chars().filter(|c| !c.is_whitespace()).count();
        if size > MAX_TRUST_POLICY_CHARS {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for ACLSizePerRole: {MAX_TRUST_POLICY_CHARS}"
            )));
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| malformed(format!("This policy contains invalid Json: {e}")))?;
        let Value::Object(top) = value else {
            return Err(malformed("The policy document must be a JSON object"));
        };
        for key in top.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(malformed(format!("Unsupported policy element: {key}")));
            }
        }
        let version = match top.get("Version").map(Value::as_str) {
            None | Some(Some("2008-10-17")) => PolicyLanguageVersion::V2008_10_17,
            Some(Some("2012-10-17")) => PolicyLanguageVersion::V2012_10_17,
            Some(_) => return Err(malformed("The policy must contain a valid version string")),
        };
        let statements = match top.get("Statement") {
            Some(Value::Object(one)) => vec![parse_statement(one)?],
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|item| match item {
                    Value::Object(one) => parse_statement(one),
                    _ => Err(malformed("Each statement must be an object")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(malformed("Missing required field Statement")),
        };
        Ok(Self {
            version,
            statements,
        })
    }

    /// Whether the request's caller may perform its action on the role within the role's
    /// account, as AWS decides it: the trust policy must let the caller in and nothing in it
    /// deny; when it names the caller only through its account (the account id, its root, or
    /// `*`) rather than by ARN, the caller's own policies must also allow the action.
    /// `identity` is what the caller's policies decide (`None` for the account root, which
    /// needs no policy); an explicit deny there refuses in every case.
    pub fn may_assume(&self, request: &TrustRequest<'_>, identity: Option<Decision>) -> bool {
        if !self.allows(request) || identity == Some(Decision::ExplicitDeny) {
            return false;
        }
        let by_arn = match request.caller {
            TrustCaller::Aws { arns, .. } => {
                let evaluation = Evaluation::new(self.version, request);
                self.statements.iter().any(|statement| {
                    statement.allow
                        && statement
                            .principals
                            .aws
                            .iter()
                            .any(|entry| arns.contains(entry))
                        && evaluation.applies(statement)
                })
            }
            TrustCaller::Federated { .. } => true,
        };
        by_arn || identity.is_none_or(Decision::is_allowed)
    }

    /// Whether the policy lets the request's caller perform its action on the role: a
    /// statement applies when it names the caller, covers the action and all its conditions
    /// hold; an applying `Deny` refuses, else an applying `Allow` allows.
    pub fn allows(&self, request: &TrustRequest<'_>) -> bool {
        let evaluation = Evaluation::new(self.version, request);
        let matching: Vec<&TrustStatement> = self
            .statements
            .iter()
            .filter(|statement| {
                names_principal(&statement.principals, request.caller)
                    && evaluation.applies(statement)
            })
            .collect();
        !matching.iter().any(|s| !s.allow) && matching.iter().any(|s| s.allow)
    }
}

/// A request ready for the policy engine's condition operators.
struct Evaluation<'r> {
    version: PolicyLanguageVersion,
    request: &'r TrustRequest<'r>,
    context: AuthContext,
}

impl<'r> Evaluation<'r> {
    fn new(version: PolicyLanguageVersion, request: &'r TrustRequest<'r>) -> Self {
        let mut context = AuthContext::new(Principal::Anonymous, "", "", request.now);
        context.source_ip = request.source_ip;
        Self {
            version,
            request,
            context,
        }
    }

    /// Whether `statement` covers the action and its conditions hold (principals aside).
    fn applies(&self, statement: &TrustStatement) -> bool {
        let action = self.request.action;
        if statement.actions.iter().any(|p| glob(p, action)) == statement.not_action {
            return false;
        }
        if statement.conditions.is_empty() {
            return true;
        }
        let values: Vec<Vec<&str>> = self
            .request
            .keys
            .iter()
            .map(|(_, values)| values.iter().map(String::as_str).collect())
            .collect();
        let keys: Vec<RequestKey<'_>> = self
            .request
            .keys
            .iter()
            .zip(&values)
            .map(|((name, _), values)| RequestKey {
                name,
                values: values.as_slice(),
            })
            .collect();
        let request = Request::new(action, self.request.role_arn).with_keys(&keys);
        let effect = if statement.allow {
            Effect::Allow
        } else {
            Effect::Deny
        };
        statement.conditions.iter().all(|condition| {
            CompiledCondition::compile(condition, self.version).holds(
                effect,
                &self.context,
                &request,
            )
        })
    }
}

fn names_principal(principals: &Principals, caller: &TrustCaller) -> bool {
    if principals.everyone {
        return true;
    }
    match caller {
        TrustCaller::Aws { account, arns } => principals.aws.iter().any(|entry| {
            entry == "*"
                || entry == account
                || *entry == super::ids::root_arn(account)
                || arns.iter().any(|arn| arn == entry)
        }),
        TrustCaller::Federated { provider } => principals
            .federated
            .iter()
            .any(|entry| entry == provider || entry.ends_with(&format!("/{provider}"))),
    }
}

/// Case-insensitive match of an action against a pattern with `*` and `?`.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "123456789012";

    fn user(name: &str) -> TrustCaller {
        TrustCaller::Aws {
            account: ACCOUNT.into(),
            arns: vec![format!("arn:aws:iam::{ACCOUNT}:user/{name}")],
        }
    }

    fn ask<'a>(caller: &'a TrustCaller, action: &'a str) -> TrustRequest<'a> {
        TrustRequest {
            caller,
            action,
            role_arn: "arn:aws:iam::123456789012:role/r",
            now: 1_800_000_000,
            source_ip: None,
            keys: vec![("aws:MultiFactorAuthPresent".into(), vec!["false".into()])],
        }
    }

    fn trust(principal: &str) -> TrustPolicy {
        TrustPolicy::parse(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}]}}"#
        ))
        .expect("parses")
    }

    #[test]
    fn an_aws_principal_names_an_arn_an_account_or_everyone() {
        let alice = user("alice");
        let by_arn = trust(&format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:user/alice"}}"#));
        assert!(by_arn.allows(&ask(&alice, "sts:AssumeRole")));
        assert!(!by_arn.allows(&ask(&user("bob"), "sts:AssumeRole")));
        assert!(trust(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#)).allows(&ask(&alice, "sts:AssumeRole")));
        assert!(
            trust(&format!(r#"{{"AWS":["arn:aws:iam::{ACCOUNT}:root"]}}"#))
                .allows(&ask(&alice, "sts:AssumeRole"))
        );
        assert!(!trust(r#"{"AWS":"999999999999"}"#).allows(&ask(&alice, "sts:AssumeRole")));
        assert!(trust(r#"{"AWS":"*"}"#).allows(&ask(&alice, "sts:AssumeRole")));
        assert!(trust(r#""*""#).allows(&ask(&alice, "sts:AssumeRole")));
    }

    #[test]
    fn the_action_must_match() {
        let policy = trust(r#"{"AWS":"*"}"#);
        assert!(!policy.allows(&ask(&user("a"), "sts:AssumeRoleWithWebIdentity")));
        let any_sts = TrustPolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:*"}}"#,
        )
        .expect("parses");
        assert!(any_sts.allows(&ask(&user("a"), "sts:AssumeRole")));
    }

    #[test]
    fn federated_principals_match_their_provider() {
        let policy = TrustPolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/issuer.example"},"Action":"sts:AssumeRoleWithWebIdentity"}}"#,
        )
        .expect("parses");
        let caller = TrustCaller::Federated {
            provider: "issuer.example".into(),
        };
        assert!(policy.allows(&ask(&caller, "sts:AssumeRoleWithWebIdentity")));
        assert!(!policy.allows(&ask(&user("a"), "sts:AssumeRoleWithWebIdentity")));
    }

    #[test]
    fn a_deny_wins_and_a_statement_whose_condition_fails_does_not_apply() {
        let policy = TrustPolicy::parse(&format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"sts:AssumeRole"}},
               {{"Effect":"Deny","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/mallory"}},"Action":"*"}}]}}"#
        ))
        .expect("parses");
        assert!(policy.allows(&ask(&user("alice"), "sts:AssumeRole")));
        assert!(!policy.allows(&ask(&user("mallory"), "sts:AssumeRole")));
        let conditional = TrustPolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}"#,
        )
        .expect("parses");
        assert!(!conditional.allows(&ask(&user("alice"), "sts:AssumeRole")));
    }

    #[test]
    fn a_trust_by_account_needs_the_callers_own_allow_and_a_trust_by_arn_does_not() {
        let by_account = trust(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#));
        let alice = user("alice");
        assert!(by_account.may_assume(&ask(&alice, "sts:AssumeRole"), Some(Decision::Allow)));
        assert!(
            !by_account.may_assume(&ask(&alice, "sts:AssumeRole"), Some(Decision::ImplicitDeny))
        );
        assert!(
            by_account.may_assume(&ask(&alice, "sts:AssumeRole"), None),
            "the root needs no policy"
        );
        let by_arn = trust(&format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:user/alice"}}"#));
        assert!(by_arn.may_assume(&ask(&alice, "sts:AssumeRole"), Some(Decision::ImplicitDeny)));
        assert!(!by_arn.may_assume(&ask(&alice, "sts:AssumeRole"), Some(Decision::ExplicitDeny)));
        assert!(!by_arn.may_assume(&ask(&user("bob"), "sts:AssumeRole"), Some(Decision::Allow)));
    }

    fn conditional(condition: &str, effect: &str) -> TrustPolicy {
        TrustPolicy::parse(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Principal":"*","Action":"sts:AssumeRole*","Condition":{condition}}}]}}"#
        ))
        .expect("parses")
    }

    /// Condition keys and their values, as a table row writes them.
    type Keys<'k> = &'k [(&'k str, &'k [&'k str])];

    fn with_keys<'a>(caller: &'a TrustCaller, keys: Keys<'_>) -> TrustRequest<'a> {
        TrustRequest {
            keys: keys
                .iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
            source_ip: Some("10.1.2.3".parse().expect("ip")),
            ..ask(caller, "sts:AssumeRole")
        }
    }

    #[test]
    fn conditions_decide_whether_a_statement_applies() {
        let alice = user("alice");
        let web = TrustCaller::Federated {
            provider: "arn:aws:iam::1:oidc-provider/t.example".into(),
        };
        let sub = "t.example:sub";
        let aud = "t.example:aud";
        let amr = "t.example:amr";
        // (condition, keys, allowed)
        let cases: &[(&str, Keys<'_>, bool)] = &[
            (
                r#"{"StringEquals":{"sts:ExternalId":"x-1"}}"#,
                &[("sts:ExternalId", &["x-1"])],
                true,
            ),
            (
                r#"{"StringEquals":{"sts:ExternalId":"x-1"}}"#,
                &[("sts:ExternalId", &["x-2"])],
                false,
            ),
            (r#"{"StringEquals":{"sts:ExternalId":"x-1"}}"#, &[], false),
            (
                r#"{"StringEquals":{"t.example:aud":"app","t.example:sub":"dev-1"}}"#,
                &[(aud, &["app"]), (sub, &["dev-1"])],
                true,
            ),
            (
                r#"{"StringEquals":{"t.example:aud":"app","t.example:sub":"dev-1"}}"#,
                &[(aud, &["app"]), (sub, &["dev-2"])],
                false,
            ),
            (
                r#"{"StringLike":{"t.example:sub":"dev-*"}}"#,
                &[(sub, &["dev-9"])],
                true,
            ),
            (
                r#"{"StringLike":{"t.example:sub":"dev-*"}}"#,
                &[(sub, &["ops-9"])],
                false,
            ),
            (
                r#"{"StringNotEquals":{"t.example:sub":"bad"}}"#,
                &[(sub, &["good"])],
                true,
            ),
            (
                r#"{"StringNotEquals":{"t.example:sub":"bad"}}"#,
                &[(sub, &["bad"])],
                false,
            ),
            (
                r#"{"StringNotLike":{"t.example:sub":"ops-*"}}"#,
                &[(sub, &["ops-1"])],
                false,
            ),
            (
                r#"{"StringEqualsIfExists":{"sts:ExternalId":"x"}}"#,
                &[],
                true,
            ),
            (r#"{"Null":{"sts:ExternalId":"true"}}"#, &[], true),
            (r#"{"Null":{"sts:ExternalId":"false"}}"#, &[], false),
            (
                r#"{"Bool":{"aws:MultiFactorAuthPresent":"false"}}"#,
                &[("aws:MultiFactorAuthPresent", &["false"])],
                true,
            ),
            (
                r#"{"ForAnyValue:StringLike":{"t.example:amr":"authenticated"}}"#,
                &[(amr, &["x", "authenticated"])],
                true,
            ),
            (
                r#"{"ForAnyValue:StringLike":{"t.example:amr":"authenticated"}}"#,
                &[(amr, &["unauthenticated"])],
                false,
            ),
            (
                r#"{"ForAllValues:StringEquals":{"t.example:amr":["a","b"]}}"#,
                &[(amr, &["a", "c"])],
                false,
            ),
            (
                r#"{"ForAllValues:StringEquals":{"t.example:amr":["a","b"]}}"#,
                &[(amr, &["a", "b"])],
                true,
            ),
            (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[], true),
            (
                r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
                &[],
                false,
            ),
            (
                r#"{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#,
                &[],
                true,
            ),
            (
                r#"{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#,
                &[],
                false,
            ),
            (
                r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/al*"}}"#,
                &[("aws:PrincipalArn", &["arn:aws:iam::1:user/alice"])],
                true,
            ),
        ];
        for (condition, keys, allowed) in cases {
            let policy = conditional(condition, "Allow");
            for caller in [&alice, &web] {
                let mut request = with_keys(caller, keys);
                if matches!(caller, TrustCaller::Federated { .. }) {
                    request.action = "sts:AssumeRoleWithWebIdentity";
                }
                assert_eq!(policy.allows(&request), *allowed, "{condition} {keys:?}");
            }
        }
    }

    #[test]
    fn a_conditional_deny_refuses_only_when_its_condition_holds() {
        let policy = TrustPolicy::parse(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"},
                {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
                 "Condition":{"StringNotEquals":{"sts:ExternalId":"secret"}}}]}"#,
        )
        .expect("parses");
        let alice = user("alice");
        assert!(policy.allows(&with_keys(&alice, &[("sts:ExternalId", &["secret"])])));
        assert!(!policy.allows(&with_keys(&alice, &[("sts:ExternalId", &["guess"])])));
        assert!(!policy.allows(&with_keys(&alice, &[])));
    }

    #[test]
    fn a_trust_by_arn_with_a_failing_condition_falls_back_to_the_callers_policies() {
        let policy = TrustPolicy::parse(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/alice"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"x"}}}}}}]}}"#
        ))
        .expect("parses");
        let alice = user("alice");
        let right = with_keys(&alice, &[("sts:ExternalId", &["x"])]);
        let wrong = with_keys(&alice, &[("sts:ExternalId", &["y"])]);
        assert!(policy.may_assume(&right, Some(Decision::ImplicitDeny)));
        assert!(!policy.may_assume(&wrong, Some(Decision::Allow)));
    }

    #[test]
    fn unknown_operators_are_refused_and_fail_closed_if_built_by_hand() {
        let error = TrustPolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringSortOf":{"k":"v"}}}}"#,
        )
        .expect_err("unknown operator");
        assert_eq!(error.code(), "MalformedPolicyDocument");
        let unknown = Condition {
            operator: crate::policy::ConditionOperator {
                base: "StringSortOf".into(),
                qualifier: None,
                if_exists: false,
            },
            key: "k".into(),
            values: vec!["v".into()],
        };
        let mut allow = conditional(r#"{"Null":{"k":"false"}}"#, "Allow");
        allow.statements[0].conditions = vec![unknown.clone()];
        let alice = user("alice");
        assert!(!allow.allows(&with_keys(&alice, &[("k", &["v"])])));
        let mut deny = TrustPolicy::parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
                {"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]}"#,
        )
        .expect("parses");
        deny.statements[1].conditions = vec![unknown];
        assert!(!deny.allows(&with_keys(&alice, &[("k", &["v"])])));
    }

    #[test]
    fn aws_caller_keys_carry_the_external_id_when_sent() {
        let facts = AwsCallerFacts {
            principal_arn: "arn:aws:iam::1:user/alice",
            account: "1",
            principal_type: "User",
            user_id: "AIDA1",
            user_name: Some("alice"),
            external_id: Some("x-1"),
            session_name: "s",
        };
        let keys = aws_caller_keys(&facts);
        assert!(keys.contains(&("sts:ExternalId".into(), vec!["x-1".into()])));
        assert!(keys.contains(&("aws:username".into(), vec!["alice".into()])));
        let without = aws_caller_keys(&AwsCallerFacts {
            external_id: None,
            ..facts
        });
        assert!(!without.iter().any(|(k, _)| k == "sts:ExternalId"));
    }

    #[test]
    fn malformed_trust_policies_say_why() {
        for (text, needle) in [
            ("nope", "Json"),
            (r#"{"Statement":[]}"#, "Statement"),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#,
                "Principal",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}"#,
                "prohibited field Resource",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":{"Bogus":"x"},"Action":"a:b"}}"#,
                "principal type",
            ),
        ] {
            let error = TrustPolicy::parse(text).expect_err(text);
            assert_eq!(error.code(), "MalformedPolicyDocument");
            assert!(error.to_string().contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn globs_match_case_insensitively() {
        assert!(glob("sts:Assume*", "sts:AssumeRole"));
        assert!(glob("STS:assumerole", "sts:AssumeRole"));
        assert!(glob("sts:AssumeRol?", "sts:AssumeRole"));
        assert!(!glob("sts:Get*", "sts:AssumeRole"));
    }
}
