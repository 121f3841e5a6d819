//! [`PolicyDocument`]: an IoT policy document, parsed and checked.
//!
//! Choices where AWS's documentation is silent: `Version` may be left out and then means
//! `2008-10-17`, as in IAM (policy variables are only substituted under `2012-10-17`);
//! elements other than `Version`, `Id` and `Statement` at the top, and other than `Sid`,
//! `Effect`, `Action`, `NotAction`, `Resource`, `NotResource` and `Condition` in a statement
//! (such as `Principal`, which IoT policies do not have), are refused; actions are `*` or
//! `service:action` (wildcards allowed in the action part), resources `*` or an `arn:` pattern;
//! condition values may be strings, numbers or booleans, kept as strings.

use serde_json::{Map, Value};

/// Most characters of a policy document, whitespace not counted (AWS IoT's limit).
pub const MAX_POLICY_DOCUMENT_CHARS: usize = 2048;

/// Why a document was refused; the registry sends it as `MalformedPolicyException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

fn malformed<T>(message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError(message.into()))
}

/// The policy language version a document declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyLanguageVersion {
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17` (also when `Version` is absent): `${...}` is literal text.
    V2008_10_17,
}

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// The actions a statement covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionMatch {
    /// `Action`: these patterns.
    Action(Vec<String>),
    /// `NotAction`: everything but these patterns.
    NotAction(Vec<String>),
}

/// The resources a statement covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceMatch {
    /// `Resource`: these patterns.
    Resource(Vec<String>),
    /// `NotResource`: everything but these patterns.
    NotResource(Vec<String>),
}

/// A set qualifier of a condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// `ForAllValues:`
    ForAllValues,
    /// `ForAnyValue:`
    ForAnyValue,
}

/// A condition operator such as `StringLike` or `ForAnyValue:StringEqualsIfExists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionOperator {
    /// The operator without qualifier and suffix, e.g. `StringEquals`.
    pub base: String,
    /// `ForAllValues:` / `ForAnyValue:`, if given.
    pub qualifier: Option<SetQualifier>,
    /// Whether it ends in `IfExists`.
    pub if_exists: bool,
}

/// One condition: an operator applied to a context key and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator.
    pub operator: ConditionOperator,
    /// The context key, e.g. `iot:ClientId`.
    pub key: String,
    /// The values, as strings.
    pub values: Vec<String>,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`, if given.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action` or `NotAction`.
    pub actions: ActionMatch,
    /// `Resource` or `NotResource`.
    pub resources: ResourceMatch,
    /// The conditions, all of which must hold (empty when there is no `Condition`).
    pub conditions: Vec<Condition>,
}

/// A checked IoT policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    /// `Version`.
    pub version: PolicyLanguageVersion,
    /// `Id`, if given.
    pub id: Option<String>,
    /// The statements, in document order (at least one).
    pub statements: Vec<Statement>,
}

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

impl PolicyDocument {
    /// Parses and checks a policy document.
    ///
    /// # Errors
    /// [`PolicyError`] saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        Self::parse_with_limit(text, MAX_POLICY_DOCUMENT_CHARS)
    }

    /// Parses and checks a document of at most `max_chars` characters besides whitespace
    /// (IAM's limits differ by the kind of policy).
    ///
    /// # Errors
    /// [`PolicyError`] saying what is wrong.
    pub fn parse_with_limit(text: &str, max_chars: usize) -> Result<Self, PolicyError> {
        let size = text.chars().filter(|c| !c.is_whitespace()).count();
        if size == 0 {
            return malformed("The policy document is empty");
        }
        if size > max_chars {
            return malformed(format!(
                "The policy document has {size} characters besides whitespace; the limit is \
                 {max_chars}"
            ));
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| PolicyError(format!("The policy document is not valid JSON: {e}")))?;
        let Value::Object(top) = value else {
            return malformed("The policy document must be a JSON object");
        };
        for key in top.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return malformed(format!("Unsupported policy element: {key}"));
            }
        }
        let version = match top.get("Version") {
            None => PolicyLanguageVersion::V2008_10_17,
            Some(Value::String(v)) if v == "2012-10-17" => PolicyLanguageVersion::V2012_10_17,
            Some(Value::String(v)) if v == "2008-10-17" => PolicyLanguageVersion::V2008_10_17,
            Some(other) => {
                return malformed(format!(
                    "Version must be \"2012-10-17\" or \"2008-10-17\", not {other}"
                ))
            }
        };
        let id = optional_string(&top, "Id")?;
        let statements = match top.get("Statement") {
            None => return malformed("The policy document has no Statement"),
            Some(Value::Object(statement)) => vec![parse_statement(statement)?],
            Some(Value::Array(items)) if items.is_empty() => {
                return malformed("Statement must not be an empty list")
            }
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::Object(statement) => parse_statement(statement),
                    other => malformed(format!("Each statement must be an object, not {other}")),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return malformed(format!(
                    "Statement must be an object or a list, not {other}"
                ))
            }
        };
        Ok(Self {
            version,
            id,
            statements,
        })
    }
}

fn optional_string(object: &Map<String, Value>, key: &str) -> Result<Option<String>, PolicyError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => malformed(format!("{key} must be a string, not {other}")),
    }
}

fn parse_statement(statement: &Map<String, Value>) -> Result<Statement, PolicyError> {
    for key in statement.keys() {
        if !matches!(
            key.as_str(),
            "Sid" | "Effect" | "Action" | "NotAction" | "Resource" | "NotResource" | "Condition"
        ) {
            return malformed(format!("Unsupported element {key} in a policy statement"));
        }
    }
    let sid = optional_string(statement, "Sid")?;
    let effect = match statement.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => return malformed(format!("Effect must be Allow or Deny, not {other}")),
        None => return malformed("A policy statement has no Effect"),
    };
    let actions = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(v), None) => ActionMatch::Action(patterns("Action", v, check_action)?),
        (None, Some(v)) => ActionMatch::NotAction(patterns("NotAction", v, check_action)?),
        (Some(_), Some(_)) => return malformed("A statement has both Action and NotAction"),
        (None, None) => return malformed("A policy statement has no Action or NotAction"),
    };
    let resources = match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(v), None) => ResourceMatch::Resource(patterns("Resource", v, check_resource)?),
        (None, Some(v)) => ResourceMatch::NotResource(patterns("NotResource", v, check_resource)?),
        (Some(_), Some(_)) => return malformed("A statement has both Resource and NotResource"),
        (None, None) => return malformed("A policy statement has no Resource or NotResource"),
    };
    let conditions = match statement.get("Condition") {
        None => Vec::new(),
        Some(Value::Object(block)) => parse_conditions(block)?,
        Some(other) => return malformed(format!("Condition must be an object, not {other}")),
    };
    Ok(Statement {
        sid,
        effect,
        actions,
        resources,
        conditions,
    })
}

fn patterns(
    element: &str,
    value: &Value,
    check: fn(&str) -> bool,
) -> Result<Vec<String>, PolicyError> {
    let list: Vec<&Value> = match value {
        Value::Array(items) if items.is_empty() => {
            return malformed(format!("{element} must not be an empty list"))
        }
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    list.into_iter()
        .map(|item| match item {
            Value::String(s) if check(s) => Ok(s.clone()),
            Value::String(s) => malformed(format!("Invalid {element} value: {s:?}")),
            other => malformed(format!("{element} values must be strings, not {other}")),
        })
        .collect()
}

fn check_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'?' | b'_' | b'-' | b'.'))
}

fn check_resource(resource: &str) -> bool {
    resource == "*" || resource.starts_with("arn:")
}

fn parse_operator(name: &str) -> Result<ConditionOperator, PolicyError> {
    let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (Some(SetQualifier::ForAllValues), rest)
    } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (Some(SetQualifier::ForAnyValue), rest)
    } else {
        (None, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) if base != "Null" => (base, true),
        _ => (rest, false),
    };
    if !OPERATORS.contains(&base) {
        return malformed(format!("Unknown condition operator: {name}"));
    }
    Ok(ConditionOperator {
        base: base.to_string(),
        qualifier,
        if_exists,
    })
}

fn condition_value(key: &str, value: &Value) -> Result<String, PolicyError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => malformed(format!(
            "Condition values of {key} must be strings, numbers or booleans, not {other}"
        )),
    }
}

/// The conditions of a `Condition` block (also what a role's trust policy is given).
pub(crate) fn parse_conditions(block: &Map<String, Value>) -> Result<Vec<Condition>, PolicyError> {
    let mut conditions = Vec::new();
    for (name, keys) in block {
        let operator = parse_operator(name)?;
        let Value::Object(keys) = keys else {
            return malformed(format!("Condition {name} must map keys to values"));
        };
        for (key, values) in keys {
            let values = match values {
                // An empty set is meaningful with a set qualifier: AWS's own "only default
                // features" connect example uses `ForAllValues:StringEquals` with `[]`.
                Value::Array(items) if items.is_empty() && operator.qualifier.is_none() => {
                    return malformed(format!("Condition key {key} has no values"))
                }
                Value::Array(items) => items
                    .iter()
                    .map(|v| condition_value(key, v))
                    .collect::<Result<Vec<_>, _>>()?,
                single => vec![condition_value(key, single)?],
            };
            conditions.push(Condition {
                operator: operator.clone(),
                key: key.clone(),
                values,
            });
        }
    }
    Ok(conditions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PolicyDocument, PolicyError> {
        PolicyDocument::parse(text)
    }

    #[test]
    fn a_typical_device_policy_parses_into_statements() {
        let doc = parse(
            r#"{
              "Version": "2012-10-17",
              "Statement": [
                {"Effect": "Allow", "Action": "iot:Connect",
                 "Resource": "arn:aws:iot:us-east-1:000000000000:client/${iot:Connection.Thing.ThingName}"},
                {"Sid": "pub", "Effect": "Deny", "Action": ["iot:Publish", "iot:Receive"],
                 "Resource": ["arn:aws:iot:*:*:topic/secret/*"],
                 "Condition": {"StringLike": {"iot:ClientId": ["dev-*", "x"]},
                               "Bool": {"iot:Connection.Thing.IsAttached": true}}}
              ]
            }"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.version, PolicyLanguageVersion::V2012_10_17);
        assert_eq!(doc.statements.len(), 2);
        let deny = &doc.statements[1];
        assert_eq!(deny.effect, Effect::Deny);
        assert_eq!(deny.sid.as_deref(), Some("pub"));
        assert_eq!(
            deny.actions,
            ActionMatch::Action(vec!["iot:Publish".into(), "iot:Receive".into()])
        );
        assert_eq!(deny.conditions.len(), 2);
        let bool_condition = deny
            .conditions
            .iter()
            .find(|c| c.operator.base == "Bool")
            .unwrap_or_else(|| panic!("Bool condition"));
        assert_eq!(bool_condition.values, vec!["true".to_string()]);
    }

    #[test]
    fn single_statement_objects_and_not_elements_are_accepted() {
        let doc = parse(
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","NotAction":"iot:Publish","NotResource":"*"}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.version, PolicyLanguageVersion::V2008_10_17);
        assert_eq!(
            doc.statements[0].resources,
            ResourceMatch::NotResource(vec!["*".into()])
        );
        let no_version = parse(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#);
        assert!(no_version.is_ok());
    }

    #[test]
    fn empty_value_sets_need_a_set_qualifier() {
        let with_qualifier = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"ForAllValues:StringEquals":{"iot:ConnectAttributes":[]}}}]}"#;
        assert!(PolicyDocument::parse(with_qualifier).is_ok());
        let without = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"StringEquals":{"iot:ClientId":[]}}}]}"#;
        assert!(PolicyDocument::parse(without).is_err());
    }

    #[test]
    fn condition_operators_take_qualifiers_and_if_exists() {
        let doc = parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*",
               "Condition":{"ForAnyValue:StringEqualsIfExists":{"k":"v"},"Null":{"k2":"true"}}}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let ops: Vec<_> = doc.statements[0]
            .conditions
            .iter()
            .map(|c| {
                (
                    c.operator.base.as_str(),
                    c.operator.qualifier,
                    c.operator.if_exists,
                )
            })
            .collect();
        assert!(ops.contains(&("StringEquals", Some(SetQualifier::ForAnyValue), true)));
        assert!(ops.contains(&("Null", None, false)));
    }

    #[test]
    fn malformed_documents_are_refused() {
        let cases = [
            "",
            "   ",
            "not json",
            "[]",
            r#"{"Version":"2012-10-17"}"#,
            r#"{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":[]}"#,
            r#"{"Version":"2012-10-17","Statement":[1]}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"*","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Action":"*","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"publish","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"topic/a"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Foo":{"k":"v"}}}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"k":null}}}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":"x"}}"#,
            r#"{"Version":"2012-10-17","Extra":1,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        ];
        for text in cases {
            assert!(parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn size_excludes_whitespace() {
        let resource = format!(
            "arn:aws:iot:us-east-1:000000000000:topic/{}",
            "a".repeat(1900)
        );
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"iot:Publish","Resource":"{resource}"}}}}"#
        );
        let spaced = doc.replace(",\"", ",\n  \"").replace("{\"", "{ \"");
        assert!(parse(&spaced).is_ok());
        let too_big = doc.replace("aaaa", "aaaaaaaa");
        assert!(parse(&too_big).is_err());
    }
}
