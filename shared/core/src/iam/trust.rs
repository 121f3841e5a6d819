//! Role trust policies (`AssumeRolePolicyDocument`): parsed and checked at CreateRole and
//! UpdateAssumeRolePolicy, and asked at AssumeRole whether they let a caller in.
//!
//! A statement names who with `Principal` (`"*"`, or an object of `AWS`, `Federated` and
//! `Service`, each a string or a list) and what with `Action`/`NotAction` (`sts:AssumeRole`,
//! `sts:AssumeRoleWithWebIdentity`, wildcards allowed). An `AWS` principal matches the
//! caller's ARN, `*`, or the caller's account (its id or `arn:aws:iam::{account}:root`). A
//! deny that matches wins over any allow.
//!
//! Choice where AWS is silent for us: a statement with a `Condition` is kept but not yet
//! applied (neither allows nor denies) until conditions are evaluated here, so a conditional
//! trust fails closed.

use super::IamError;
use crate::policy::Decision;
use serde_json::{Map, Value};

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
    /// Whether the statement has a `Condition` (see the module's choice).
    pub conditional: bool,
}

/// A checked trust policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPolicy {
    /// Its statements.
    pub statements: Vec<TrustStatement>,
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
    let conditional = match statement.get("Condition") {
        None => false,
        Some(Value::Object(_)) => true,
        Some(_) => return Err(malformed("Condition must be an object")),
    };
    Ok(TrustStatement {
        allow,
        principals,
        actions,
        not_action,
        conditional,
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
        if let Some(version) = top.get("Version") {
            if !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17")) {
                return Err(malformed("The policy must contain a valid version string"));
            }
        }
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
        Ok(Self { statements })
    }

    /// Whether `caller` may perform `action` on the role within the role's account, as AWS
    /// decides it: the trust policy must let the caller in and nothing in it deny; when it
    /// names the caller only through its account (the account id, its root, or `*`) rather
    /// than by ARN, the caller's own policies must also allow the action. `identity` is what
    /// the caller's policies decide (`None` for the account root, which needs no policy); an
    /// explicit deny there refuses in every case.
    pub fn may_assume(
        &self,
        caller: &TrustCaller,
        action: &str,
        identity: Option<Decision>,
    ) -> bool {
        if !self.allows(caller, action) || identity == Some(Decision::ExplicitDeny) {
            return false;
        }
        let by_arn = match caller {
            TrustCaller::Aws { arns, .. } => self.statements.iter().any(|statement| {
                statement.allow
                    && !statement.conditional
                    && statement.actions.iter().any(|p| glob(p, action)) != statement.not_action
                    && statement
                        .principals
                        .aws
                        .iter()
                        .any(|entry| arns.contains(entry))
            }),
            TrustCaller::Federated { .. } => true,
        };
        by_arn || identity.is_none_or(Decision::is_allowed)
    }

    /// Whether the policy lets `caller` perform `action` (`sts:AssumeRole`, …) on its role.
    pub fn allows(&self, caller: &TrustCaller, action: &str) -> bool {
        let applies = |statement: &&TrustStatement| {
            !statement.conditional
                && names_principal(&statement.principals, caller)
                && statement.actions.iter().any(|p| glob(p, action)) != statement.not_action
        };
        let matching: Vec<&TrustStatement> = self.statements.iter().filter(applies).collect();
        !matching.iter().any(|s| !s.allow) && matching.iter().any(|s| s.allow)
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
        assert!(by_arn.allows(&alice, "sts:AssumeRole"));
        assert!(!by_arn.allows(&user("bob"), "sts:AssumeRole"));
        assert!(trust(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#)).allows(&alice, "sts:AssumeRole"));
        assert!(
            trust(&format!(r#"{{"AWS":["arn:aws:iam::{ACCOUNT}:root"]}}"#))
                .allows(&alice, "sts:AssumeRole")
        );
        assert!(!trust(r#"{"AWS":"999999999999"}"#).allows(&alice, "sts:AssumeRole"));
        assert!(trust(r#"{"AWS":"*"}"#).allows(&alice, "sts:AssumeRole"));
        assert!(trust(r#""*""#).allows(&alice, "sts:AssumeRole"));
    }

    #[test]
    fn the_action_must_match() {
        let policy = trust(r#"{"AWS":"*"}"#);
        assert!(!policy.allows(&user("a"), "sts:AssumeRoleWithWebIdentity"));
        let any_sts = TrustPolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:*"}}"#,
        )
        .expect("parses");
        assert!(any_sts.allows(&user("a"), "sts:AssumeRole"));
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
        assert!(policy.allows(&caller, "sts:AssumeRoleWithWebIdentity"));
        assert!(!policy.allows(&user("a"), "sts:AssumeRoleWithWebIdentity"));
    }

    #[test]
    fn a_deny_wins_and_conditional_statements_fail_closed() {
        let policy = TrustPolicy::parse(&format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"sts:AssumeRole"}},
               {{"Effect":"Deny","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/mallory"}},"Action":"*"}}]}}"#
        ))
        .expect("parses");
        assert!(policy.allows(&user("alice"), "sts:AssumeRole"));
        assert!(!policy.allows(&user("mallory"), "sts:AssumeRole"));
        let conditional = TrustPolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}"#,
        )
        .expect("parses");
        assert!(!conditional.allows(&user("alice"), "sts:AssumeRole"));
    }

    #[test]
    fn a_trust_by_account_needs_the_callers_own_allow_and_a_trust_by_arn_does_not() {
        let by_account = trust(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#));
        let alice = user("alice");
        assert!(by_account.may_assume(&alice, "sts:AssumeRole", Some(Decision::Allow)));
        assert!(!by_account.may_assume(&alice, "sts:AssumeRole", Some(Decision::ImplicitDeny)));
        assert!(
            by_account.may_assume(&alice, "sts:AssumeRole", None),
            "the root needs no policy"
        );
        let by_arn = trust(&format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:user/alice"}}"#));
        assert!(by_arn.may_assume(&alice, "sts:AssumeRole", Some(Decision::ImplicitDeny)));
        assert!(!by_arn.may_assume(&alice, "sts:AssumeRole", Some(Decision::ExplicitDeny)));
        assert!(!by_arn.may_assume(&user("bob"), "sts:AssumeRole", Some(Decision::Allow)));
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
