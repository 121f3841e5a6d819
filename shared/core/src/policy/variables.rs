//! Policy variables: `${key}` in `Resource`/`NotResource` and in condition values, replaced by
//! the value of a context key when the policy is evaluated (AWS IoT Core policy variables; IAM
//! "Policy elements: Variables and tags").
//!
//! The rules, from those pages:
//! - Only documents with `Version` `2012-10-17` substitute; under `2008-10-17` `${...}` is
//!   literal text.
//! - `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$`.
//! - `${key, 'default'}` uses `default` when the key has no value.
//! - Key names are case-insensitive (IAM); a thing attribute's name (`Attributes[name]`) is not.
//! - Text substituted for a variable is literal: a client id `*` matches only `*`.
//! - A variable that cannot be resolved (key absent, multi-valued, unknown, or a certificate
//!   attribute AWS refuses to substitute) leaves its pattern unresolved; what that does to the
//!   statement is decided in [`super::eval`].
//! - Certificate attributes (X.509 Certificate AWS IoT Core policy variables, "limitations"):
//!   a value containing `*`, `$`, `+`, `?` or `#`, or longer than 1024 characters, is not
//!   substituted; attributes keep at most five values; `.N` picks the value at zero-based
//!   index N (the page's example: `.1` is the second), `.List` all of them (a multi-valued key,
//!   usable only as a condition key).

use std::borrow::Cow;

use super::context::{alt_kind_index, dn_attribute_index, AuthContext, Principal, Request};
use super::matching::{AsPiece, Piece};

/// Certificate attributes hold at most this many values (AWS: "Array fields").
const MAX_CERT_VALUES: usize = 5;
/// Longer certificate values are not substituted (AWS: "String length").
const MAX_CERT_VALUE_CHARS: usize = 1024;
/// Certificate values with these characters are not substituted (AWS: "Wildcards").
const CERT_WILDCARDS: &[char] = &['*', '$', '+', '?', '#'];

/// Which value of a multi-valued certificate attribute a key means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Selector {
    /// No suffix: the first value.
    First,
    /// `.N`: the value at zero-based index N.
    Index(usize),
    /// `.List`: all values.
    List,
}

/// A context key, parsed once when the policy is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ContextKey {
    /// `iot:ClientId`.
    ClientId,
    /// `aws:SourceIp`.
    SourceIp,
    /// `iot:DomainName`.
    DomainName,
    /// `iot:CertificateId`.
    CertificateId,
    /// `cognito-identity.amazonaws.com:sub`.
    CognitoSub,
    /// `iot:Connection.Thing.ThingName`.
    ThingName,
    /// `iot:Connection.Thing.ThingTypeName`.
    ThingTypeName,
    /// `iot:Connection.Thing.Attributes[name]`.
    ThingAttribute(String),
    /// `iot:Connection.Thing.IsAttached`.
    ThingIsAttached,
    /// `iot:Certificate.{Subject|Issuer}.{attribute}[.N|.List]`.
    CertName {
        issuer: bool,
        attribute: usize,
        selector: Selector,
    },
    /// `iot:Certificate.{Subject|Issuer}.AlternativeName.{kind}[.N|.List]`.
    CertAltName {
        issuer: bool,
        kind: usize,
        selector: Selector,
    },
    /// `iot:Certificate.SerialNumber`.
    CertSerialNumber,
    /// `aws:CurrentTime`.
    CurrentTime,
    /// `aws:EpochTime`.
    EpochTime,
    /// Any other key, looked up in the request's keys (lowercased name).
    Other(String),
}

impl ContextKey {
    /// Parses a key name as a policy writes it.
    pub(crate) fn parse(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "iot:clientid" => return Self::ClientId,
            "aws:sourceip" => return Self::SourceIp,
            "iot:domainname" => return Self::DomainName,
            "iot:certificateid" => return Self::CertificateId,
            "cognito-identity.amazonaws.com:sub" => return Self::CognitoSub,
            "iot:connection.thing.thingname" => return Self::ThingName,
            "iot:connection.thing.thingtypename" => return Self::ThingTypeName,
            "iot:connection.thing.isattached" => return Self::ThingIsAttached,
            "iot:certificate.serialnumber" => return Self::CertSerialNumber,
            "aws:currenttime" => return Self::CurrentTime,
            "aws:epochtime" => return Self::EpochTime,
            _ => {}
        }
        const ATTRIBUTES: &str = "iot:connection.thing.attributes[";
        if lower.starts_with(ATTRIBUTES) && name.ends_with(']') {
            if let Some(attribute) = name.get(ATTRIBUTES.len()..name.len() - 1) {
                return Self::ThingAttribute(attribute.to_string());
            }
        }
        if let Some(rest) = lower.strip_prefix("iot:certificate.") {
            if let Some(key) = Self::parse_certificate(rest) {
                return key;
            }
        }
        Self::Other(lower)
    }

    fn parse_certificate(rest: &str) -> Option<Self> {
        let (issuer, rest) = if let Some(rest) = rest.strip_prefix("subject.") {
            (false, rest)
        } else {
            (true, rest.strip_prefix("issuer.")?)
        };
        let (name, selector) = match rest.rsplit_once('.') {
            Some((name, "list")) => (name, Selector::List),
            Some((name, index))
                if !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (name, Selector::Index(index.parse().ok()?))
            }
            _ => (rest, Selector::First),
        };
        if let Some(kind) = name.strip_prefix("alternativename.") {
            let kind = alt_kind_index(kind)?;
            return Some(Self::CertAltName {
                issuer,
                kind,
                selector,
            });
        }
        let attribute = dn_attribute_index(name)?;
        Some(Self::CertName {
            issuer,
            attribute,
            selector,
        })
    }
}

/// The value of a context key in one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyValue<'a> {
    /// The key is not in the request context.
    Absent,
    /// One value.
    One(Cow<'a, str>),
    /// A set of values (a multi-valued key; may be empty).
    Many(Vec<&'a str>),
}

fn one(value: Option<&str>) -> KeyValue<'_> {
    value.map_or(KeyValue::Absent, |v| KeyValue::One(Cow::Borrowed(v)))
}

fn certificate_values(values: &[String], selector: Selector) -> KeyValue<'_> {
    let values = &values[..values.len().min(MAX_CERT_VALUES)];
    match selector {
        Selector::First => one(values.first().map(String::as_str)),
        Selector::Index(i) => one(values.get(i).map(String::as_str)),
        Selector::List => KeyValue::Many(values.iter().map(String::as_str).collect()),
    }
}

/// Looks a key up in the context and the request.
pub(crate) fn lookup<'a>(
    key: &ContextKey,
    ctx: &'a AuthContext,
    request: &Request<'a>,
) -> KeyValue<'a> {
    let attached_thing = ctx.thing.as_ref().filter(|thing| thing.is_attached);
    match key {
        ContextKey::ClientId => one(ctx.client_id.as_deref()),
        ContextKey::SourceIp => ctx.source_ip.map_or(KeyValue::Absent, |ip| {
            KeyValue::One(Cow::Owned(ip.to_string()))
        }),
        ContextKey::DomainName => one(ctx.domain_name.as_deref()),
        ContextKey::CertificateId => match &ctx.principal {
            Principal::Certificate { id } => one(Some(id)),
            _ => KeyValue::Absent,
        },
        ContextKey::CognitoSub => match &ctx.principal {
            Principal::CognitoIdentity { identity_id } => one(Some(identity_id)),
            _ => KeyValue::Absent,
        },
        ContextKey::ThingName => one(attached_thing.map(|thing| thing.name.as_str())),
        ContextKey::ThingTypeName => {
            one(attached_thing.and_then(|thing| thing.type_name.as_deref()))
        }
        ContextKey::ThingAttribute(name) => {
            one(attached_thing.and_then(|thing| thing.attributes.get(name).map(String::as_str)))
        }
        ContextKey::ThingIsAttached => {
            let attached = if attached_thing.is_some() {
                "true"
            } else {
                "false"
            };
            KeyValue::One(Cow::Borrowed(attached))
        }
        ContextKey::CertName {
            issuer,
            attribute,
            selector,
        } => match &ctx.certificate {
            Some(cert) => {
                let name = if *issuer { &cert.issuer } else { &cert.subject };
                certificate_values(name.attribute_at(*attribute), *selector)
            }
            None => KeyValue::Absent,
        },
        ContextKey::CertAltName {
            issuer,
            kind,
            selector,
        } => match &ctx.certificate {
            Some(cert) => {
                let names = if *issuer {
                    &cert.issuer_alternative_names
                } else {
                    &cert.subject_alternative_names
                };
                certificate_values(names.kind_at(*kind), *selector)
            }
            None => KeyValue::Absent,
        },
        ContextKey::CertSerialNumber => one(ctx
            .certificate
            .as_ref()
            .and_then(|cert| cert.serial_number.as_deref())),
        ContextKey::CurrentTime => jiff::Timestamp::from_second(ctx.now)
            .map_or(KeyValue::Absent, |t| {
                KeyValue::One(Cow::Owned(t.to_string()))
            }),
        ContextKey::EpochTime => KeyValue::One(Cow::Owned(ctx.now.to_string())),
        ContextKey::Other(name) => request
            .keys
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(name))
            .map_or(KeyValue::Absent, |k| match k.values {
                [single] => KeyValue::One(Cow::Borrowed(*single)),
                values => KeyValue::Many(values.to_vec()),
            }),
    }
}

/// The value a variable stands for, if it can be substituted.
pub(crate) fn substitute<'a>(
    key: &ContextKey,
    ctx: &'a AuthContext,
    request: &Request<'a>,
) -> Option<Cow<'a, str>> {
    let KeyValue::One(value) = lookup(key, ctx, request) else {
        return None;
    };
    let certificate = matches!(
        key,
        ContextKey::CertName { .. } | ContextKey::CertAltName { .. } | ContextKey::CertSerialNumber
    );
    if certificate
        && (value.contains(CERT_WILDCARDS) || value.chars().count() > MAX_CERT_VALUE_CHARS)
    {
        return None;
    }
    Some(value)
}

/// One element of a compiled policy string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// Literal text.
    Lit(String),
    /// `*`.
    AnyRun,
    /// `?`.
    AnyOne,
    /// `${key}` or `${key, 'default'}`.
    Var {
        key: ContextKey,
        default: Option<String>,
    },
}

impl AsPiece for Token {
    fn piece(&self) -> Piece<'_> {
        match self {
            Token::Lit(text) => Piece::Lit(text),
            Token::AnyRun => Piece::AnyRun,
            Token::AnyOne => Piece::AnyOne,
            // Only reached if a caller matched without resolving; match nothing.
            Token::Var { .. } => Piece::Never,
        }
    }
}

/// A policy string (resource pattern or condition value) compiled into tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    tokens: Vec<Token>,
    has_vars: bool,
}

/// How to read a policy string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (resources, `StringLike`, `ArnLike`); else literal.
    pub wildcards: bool,
    /// `${...}` is substituted (`2012-10-17` and an operator that allows variables).
    pub variables: bool,
}

impl Template {
    /// Compiles `text`.
    pub(crate) fn compile(text: &str, syntax: Syntax) -> Self {
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables && rest.starts_with("${") {
                if let Some(end) = rest.find('}') {
                    let inner = &rest[2..end];
                    rest = &rest[end + 1..];
                    match inner {
                        "*" | "?" | "$" => literal.push_str(inner),
                        _ => {
                            flush(&mut tokens, &mut literal);
                            tokens.push(parse_variable(inner));
                        }
                    }
                    continue;
                }
            }
            rest = &rest[c.len_utf8()..];
            let wildcard = match c {
                '*' if syntax.wildcards => Token::AnyRun,
                '?' if syntax.wildcards => Token::AnyOne,
                _ => {
                    literal.push(c);
                    continue;
                }
            };
            flush(&mut tokens, &mut literal);
            tokens.push(wildcard);
        }
        flush(&mut tokens, &mut literal);
        let has_vars = tokens.iter().any(|t| matches!(t, Token::Var { .. }));
        Self { tokens, has_vars }
    }

    /// Whether the template has variables to resolve.
    pub(crate) fn has_vars(&self) -> bool {
        self.has_vars
    }

    /// The tokens; usable as pattern pieces directly when there are no variables.
    pub(crate) fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// The pattern with its variables replaced by `values` (from
    /// [`Template::variable_values`]), as literal pieces.
    pub(crate) fn resolve<'t>(&'t self, values: &'t [Cow<'t, str>]) -> Vec<Piece<'t>> {
        let mut next = values.iter();
        self.tokens
            .iter()
            .map(|token| match token {
                Token::Var { .. } => next.next().map_or(Piece::Never, |v| Piece::Lit(v)),
                other => other.piece(),
            })
            .collect()
    }

    /// The values of the template's variables, in order, or `None` if one cannot be resolved.
    pub(crate) fn variable_values<'a>(
        &'a self,
        ctx: &'a AuthContext,
        request: &Request<'a>,
    ) -> Option<Vec<Cow<'a, str>>> {
        self.tokens
            .iter()
            .filter_map(|token| match token {
                Token::Var { key, default } => Some(
                    substitute(key, ctx, request).or_else(|| default.as_deref().map(Cow::Borrowed)),
                ),
                _ => None,
            })
            .collect()
    }

    /// The template as one string, variables resolved and wildcards written back as `*`/`?`
    /// (for operators that compare whole strings), or `None` if a variable cannot be resolved.
    pub(crate) fn render<'a>(
        &'a self,
        ctx: &'a AuthContext,
        request: &Request<'a>,
    ) -> Option<Cow<'a, str>> {
        if let [Token::Lit(text)] = self.tokens.as_slice() {
            return Some(Cow::Borrowed(text));
        }
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                Token::Lit(text) => out.push_str(text),
                Token::AnyRun => out.push('*'),
                Token::AnyOne => out.push('?'),
                Token::Var { key, default } => {
                    let value = substitute(key, ctx, request)
                        .or_else(|| default.as_deref().map(Cow::Borrowed))?;
                    out.push_str(&value);
                }
            }
        }
        Some(Cow::Owned(out))
    }
}

fn flush(tokens: &mut Vec<Token>, literal: &mut String) {
    if !literal.is_empty() {
        tokens.push(Token::Lit(std::mem::take(literal)));
    }
}

/// Parses the inside of `${...}`: `key` or `key, 'default'` (IAM "Specifying default values";
/// `''` inside the quotes is one `'`).
fn parse_variable(inner: &str) -> Token {
    if let Some((key, default)) = inner.split_once(',') {
        let default = default.trim();
        if let Some(quoted) = default
            .strip_prefix('\'')
            .and_then(|d| d.strip_suffix('\''))
        {
            return Token::Var {
                key: ContextKey::parse(key.trim()),
                default: Some(quoted.replace("''", "'")),
            };
        }
    }
    Token::Var {
        key: ContextKey::parse(inner.trim()),
        default: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: Syntax = Syntax {
        wildcards: true,
        variables: true,
    };

    #[test]
    fn templates_split_into_literals_wildcards_and_variables() {
        let t = Template::compile("topic/${iot:ClientId}/*/x?${*}${?}${$}$", FULL);
        assert_eq!(
            t.tokens(),
            &[
                Token::Lit("topic/".into()),
                Token::Var {
                    key: ContextKey::ClientId,
                    default: None
                },
                Token::Lit("/".into()),
                Token::AnyRun,
                Token::Lit("/x".into()),
                Token::AnyOne,
                Token::Lit("*?$$".into()),
            ]
        );
        let literal = Template::compile(
            "a*${iot:ClientId}",
            Syntax {
                wildcards: false,
                variables: false,
            },
        );
        assert_eq!(literal.tokens(), &[Token::Lit("a*${iot:ClientId}".into())]);
        let unterminated = Template::compile("a/${iot:ClientId", FULL);
        assert_eq!(
            unterminated.tokens(),
            &[Token::Lit("a/${iot:ClientId".into())]
        );
    }

    #[test]
    fn keys_parse_case_insensitively_except_attribute_names() {
        assert_eq!(ContextKey::parse("IOT:clientID"), ContextKey::ClientId);
        assert_eq!(
            ContextKey::parse("iot:Connection.Thing.Attributes[Floor]"),
            ContextKey::ThingAttribute("Floor".into())
        );
        assert_eq!(
            ContextKey::parse("iot:Certificate.Subject.CommonName.2"),
            ContextKey::CertName {
                issuer: false,
                attribute: 0,
                selector: Selector::Index(2)
            }
        );
        assert_eq!(
            ContextKey::parse("iot:Certificate.Issuer.AlternativeName.DNSName.List"),
            ContextKey::CertAltName {
                issuer: true,
                kind: 1,
                selector: Selector::List
            }
        );
        assert_eq!(
            ContextKey::parse("iot:Certificate.Subject.Nickname"),
            ContextKey::Other("iot:certificate.subject.nickname".into())
        );
        assert_eq!(
            ContextKey::parse("iot:Thing.ThingName"),
            ContextKey::Other("iot:thing.thingname".into())
        );
    }

    #[test]
    fn defaults_are_quoted_and_unescaped() {
        let t = Template::compile("${iot:ClientId, 'it''s'}", FULL);
        assert_eq!(
            t.tokens(),
            &[Token::Var {
                key: ContextKey::ClientId,
                default: Some("it's".into())
            }]
        );
    }
}
