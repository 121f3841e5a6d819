//! Condition operators, compiled once and evaluated per request (IAM "Condition operators",
//! "Creating a condition with multiple keys or values").
//!
//! - Several values for one key: any may match (OR); a negated operator (`StringNotEquals`,
//!   `NotIpAddress`, ...) holds when none matches (NOR).
//! - A key absent from the context: the condition is false, or true for a negated operator;
//!   `...IfExists` makes it true; `ForAllValues:` is true and `ForAnyValue:` false; `Null`
//!   tests exactly this.
//! - A multi-valued key (`iot:Certificate.*.List`, `iot:ConnectAttributes`): `ForAnyValue:`
//!   needs one value to satisfy the operator, `ForAllValues:` all of them (an empty set
//!   satisfies it); without a qualifier a positive operator needs one value to match and a
//!   negated one needs none to.
//! - Policy variables are substituted in string, ARN and `Bool` values only. A value whose
//!   variable cannot be resolved, or that does not parse for its operator (a number, date or
//!   CIDR), matches nothing; in a negated operator it makes the condition false, so that it
//!   never widens what the statement covers.
//! - An operator thingcore does not know (only possible for a document built by hand, as
//!   [`PolicyDocument::parse`](super::PolicyDocument::parse) refuses them) fails closed: the
//!   condition is false in an `Allow` statement and true in a `Deny` one.

use std::net::IpAddr;

use base64::Engine as _;

use super::context::{AuthContext, Request};
use super::document::{Condition, Effect, PolicyLanguageVersion, SetQualifier};
use super::matching::{arn_like, glob, AsPiece, Piece};
use super::variables::{lookup, ContextKey, KeyValue, Syntax, Template};

/// How a numeric or date operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn holds(self, request: f64, policy: f64) -> bool {
        match self {
            Self::Equal => request == policy,
            Self::Less => request < policy,
            Self::LessOrEqual => request <= policy,
            Self::Greater => request > policy,
            Self::GreaterOrEqual => request >= policy,
        }
    }
}

/// An operator without its negation, qualifier and `IfExists`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operator {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    Binary,
    IpAddress,
    Arn,
    Null,
    Unsupported,
}

/// Parses an operator's base name into the operator and whether it is negated.
fn operator(base: &str) -> (Operator, bool) {
    use Comparison::*;
    match base {
        "StringEquals" => (Operator::StringEquals, false),
        "StringNotEquals" => (Operator::StringEquals, true),
        "StringEqualsIgnoreCase" => (Operator::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Operator::StringEqualsIgnoreCase, true),
        "StringLike" => (Operator::StringLike, false),
        "StringNotLike" => (Operator::StringLike, true),
        "NumericEquals" => (Operator::Numeric(Equal), false),
        "NumericNotEquals" => (Operator::Numeric(Equal), true),
        "NumericLessThan" => (Operator::Numeric(Less), false),
        "NumericLessThanEquals" => (Operator::Numeric(LessOrEqual), false),
        "NumericGreaterThan" => (Operator::Numeric(Greater), false),
        "NumericGreaterThanEquals" => (Operator::Numeric(GreaterOrEqual), false),
        "DateEquals" => (Operator::Date(Equal), false),
        "DateNotEquals" => (Operator::Date(Equal), true),
        "DateLessThan" => (Operator::Date(Less), false),
        "DateLessThanEquals" => (Operator::Date(LessOrEqual), false),
        "DateGreaterThan" => (Operator::Date(Greater), false),
        "DateGreaterThanEquals" => (Operator::Date(GreaterOrEqual), false),
        "Bool" => (Operator::Bool, false),
        "BinaryEquals" => (Operator::Binary, false),
        "IpAddress" => (Operator::IpAddress, false),
        "NotIpAddress" => (Operator::IpAddress, true),
        "ArnEquals" | "ArnLike" => (Operator::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Operator::Arn, true),
        "Null" => (Operator::Null, false),
        _ => (Operator::Unsupported, false),
    }
}

/// An address range: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Self { network, prefix })
    }

    fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

/// Parses a date as IAM accepts it: epoch seconds, or a W3C ISO 8601 date or date-time (UTC
/// when no offset is given). Returns epoch seconds.
pub(crate) fn parse_date(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return seconds.is_finite().then_some(seconds);
    }
    let timestamp = if let Ok(t) = text.parse::<jiff::Timestamp>() {
        t
    } else if let Ok(dt) = text.parse::<jiff::civil::DateTime>() {
        dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp()
    } else {
        text.parse::<jiff::civil::Date>()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
    };
    Some(timestamp.as_second() as f64 + f64::from(timestamp.subsec_nanosecond()) / 1e9)
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// One policy value of a condition, compiled for its operator.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    /// String, ARN and `Bool` values (may hold variables).
    Text(Template),
    /// A numeric or date value (dates as epoch seconds).
    Number(f64),
    /// An `IpAddress` range.
    Range(Cidr),
    /// A `BinaryEquals` value, decoded.
    Bytes(Vec<u8>),
    /// A `Null` value.
    Flag(bool),
    /// A value that does not parse for its operator: matches nothing.
    Invalid,
}

/// A condition ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompiledCondition {
    operator: Operator,
    negated: bool,
    qualifier: Option<SetQualifier>,
    if_exists: bool,
    key: ContextKey,
    values: Vec<Value>,
    /// The operator as written, for reports.
    name: String,
}

/// A policy value that could not be used (unresolved variable or invalid value) in a negated
/// operator: the condition is false.
struct Unusable;

impl CompiledCondition {
    /// Compiles a parsed condition of a document of `version`.
    pub(crate) fn compile(condition: &Condition, version: PolicyLanguageVersion) -> Self {
        let (operator, negated) = operator(&condition.operator.base);
        let variables = version == PolicyLanguageVersion::V2012_10_17
            && matches!(
                operator,
                Operator::StringEquals
                    | Operator::StringEqualsIgnoreCase
                    | Operator::StringLike
                    | Operator::Arn
                    | Operator::Bool
            );
        let syntax = Syntax {
            wildcards: matches!(operator, Operator::StringLike | Operator::Arn),
            variables,
        };
        let values = condition
            .values
            .iter()
            .map(|text| match operator {
                Operator::Numeric(_) => parse_number(text).map_or(Value::Invalid, Value::Number),
                Operator::Date(_) => parse_date(text).map_or(Value::Invalid, Value::Number),
                Operator::IpAddress => Cidr::parse(text).map_or(Value::Invalid, Value::Range),
                Operator::Binary => base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_or(Value::Invalid, Value::Bytes),
                Operator::Null => parse_bool(text).map_or(Value::Invalid, Value::Flag),
                Operator::Unsupported => Value::Invalid,
                _ => Value::Text(Template::compile(text, syntax)),
            })
            .collect();
        let qualifier = match condition.operator.qualifier {
            Some(SetQualifier::ForAllValues) => "ForAllValues:",
            Some(SetQualifier::ForAnyValue) => "ForAnyValue:",
            None => "",
        };
        let suffix = if condition.operator.if_exists {
            "IfExists"
        } else {
            ""
        };
        Self {
            operator,
            negated,
            qualifier: condition.operator.qualifier,
            if_exists: condition.operator.if_exists,
            key: ContextKey::parse(&condition.key),
            values,
            name: format!("{qualifier}{}{suffix}", condition.operator.base),
        }
    }

    /// The operator's name if thingcore cannot evaluate it.
    pub(crate) fn unsupported(&self) -> Option<&str> {
        (self.operator == Operator::Unsupported).then_some(self.name.as_str())
    }

    /// Whether the condition holds for this request, in a statement with `effect`.
    pub(crate) fn holds(&self, effect: Effect, ctx: &AuthContext, request: &Request<'_>) -> bool {
        if self.operator == Operator::Unsupported {
            return effect == Effect::Deny;
        }
        if let (Operator::IpAddress, ContextKey::SourceIp, Some(address)) =
            (&self.operator, &self.key, ctx.source_ip)
        {
            // The common case, without rendering the address as text.
            return self.address_holds(address);
        }
        let found = lookup(&self.key, ctx, request);
        let absent = match &found {
            KeyValue::Absent => true,
            KeyValue::Many(values) => values.is_empty() && self.operator == Operator::Null,
            KeyValue::One(_) => false,
        };
        if self.operator == Operator::Null {
            return self.values.contains(&Value::Flag(absent));
        }
        let single: [&str; 1];
        let values: &[&str] = match &found {
            KeyValue::Absent => {
                return self.if_exists
                    || match self.qualifier {
                        Some(SetQualifier::ForAllValues) => true,
                        Some(SetQualifier::ForAnyValue) => false,
                        None => self.negated,
                    }
            }
            KeyValue::One(value) => {
                single = [value.as_ref()];
                &single
            }
            KeyValue::Many(values) => values,
        };
        let (mut any, mut all) = (false, true);
        for value in values {
            match self.matches_any(value, ctx, request) {
                Ok(matched) => {
                    let satisfied = matched != self.negated;
                    any |= satisfied;
                    all &= satisfied;
                }
                Err(Unusable) => return false,
            }
        }
        match self.qualifier {
            Some(SetQualifier::ForAnyValue) => any,
            Some(SetQualifier::ForAllValues) => all,
            None if self.negated => all,
            None => any,
        }
    }

    /// `IpAddress`/`NotIpAddress` for one address (any qualifier means the same for one value).
    fn address_holds(&self, address: IpAddr) -> bool {
        let mut matched = false;
        for value in &self.values {
            match value {
                Value::Range(range) => matched |= range.contains(address),
                _ if self.negated => return false,
                _ => {}
            }
        }
        matched != self.negated
    }

    /// Whether one request value matches any policy value (before negation).
    fn matches_any(
        &self,
        actual: &str,
        ctx: &AuthContext,
        request: &Request<'_>,
    ) -> Result<bool, Unusable> {
        let mut matched = false;
        for value in &self.values {
            match self.matches(value, actual, ctx, request) {
                Some(true) => matched = true,
                Some(false) => {}
                None if self.negated => return Err(Unusable),
                None => {}
            }
        }
        Ok(matched)
    }

    /// Whether `actual` matches one policy value; `None` if the value is unusable.
    fn matches(
        &self,
        value: &Value,
        actual: &str,
        ctx: &AuthContext,
        request: &Request<'_>,
    ) -> Option<bool> {
        Some(match (&self.operator, value) {
            (_, Value::Invalid) => return None,
            (Operator::StringEquals, Value::Text(t)) => t.render(ctx, request)? == actual,
            (Operator::StringEqualsIgnoreCase, Value::Text(t)) => {
                let expected = t.render(ctx, request)?;
                expected
                    .chars()
                    .flat_map(char::to_lowercase)
                    .eq(actual.chars().flat_map(char::to_lowercase))
            }
            (Operator::StringLike, Value::Text(t)) => {
                if t.has_vars() {
                    let values = t.variable_values(ctx, request)?;
                    glob(&t.resolve(&values), actual, false)
                } else {
                    glob(t.tokens(), actual, false)
                }
            }
            (Operator::Arn, Value::Text(t)) => {
                let values = t.variable_values(ctx, request)?;
                let pieces: Vec<Piece<'_>> = if t.has_vars() {
                    t.resolve(&values)
                } else {
                    t.tokens().iter().map(AsPiece::piece).collect()
                };
                arn_like(&pieces, actual)
            }
            (Operator::Bool, Value::Text(t)) => {
                let expected = parse_bool(&t.render(ctx, request)?)?;
                parse_bool(actual) == Some(expected)
            }
            (Operator::Numeric(cmp), Value::Number(n)) => {
                parse_number(actual).is_some_and(|a| cmp.holds(a, *n))
            }
            (Operator::Date(cmp), Value::Number(d)) => {
                parse_date(actual).is_some_and(|a| cmp.holds(a, *d))
            }
            (Operator::IpAddress, Value::Range(range)) => actual
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|address| range.contains(address)),
            (Operator::Binary, Value::Bytes(bytes)) => actual.as_bytes() == bytes.as_slice(),
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_ranges_contain_what_iam_says() {
        let cases = [
            ("203.0.113.0/24", "203.0.113.255", true),
            ("203.0.113.0/24", "203.0.114.1", false),
            ("123.45.167.89", "123.45.167.89", true),
            ("123.45.167.89", "123.45.167.90", false),
            ("0.0.0.0/0", "8.8.8.8", true),
            ("2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", true),
            ("2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", false),
            ("10.0.0.0/8", "::ffff:10.1.2.3", true),
            ("10.0.0.0/8", "::1", false),
        ];
        for (range, address, expected) in cases {
            let cidr = Cidr::parse(range).unwrap_or_else(|| panic!("{range}"));
            let address: IpAddr = address.parse().unwrap_or_else(|_| panic!("{address}"));
            assert_eq!(cidr.contains(address), expected, "{range} {address}");
        }
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("not an address").is_none());
    }

    #[test]
    fn dates_parse_as_epoch_or_iso_8601() {
        assert_eq!(parse_date("2020-01-01T00:00:01Z"), Some(1_577_836_801.0));
        assert_eq!(parse_date("2020-01-01T00:00:01"), Some(1_577_836_801.0));
        assert_eq!(parse_date("2020-01-01"), Some(1_577_836_800.0));
        assert_eq!(
            parse_date("2020-01-01T01:00:00+01:00"),
            Some(1_577_836_800.0)
        );
        assert_eq!(parse_date("1577836800"), Some(1_577_836_800.0));
        assert_eq!(parse_date("yesterday"), None);
    }
}
