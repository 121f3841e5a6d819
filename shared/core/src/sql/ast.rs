//! The parsed statement. Built once by the parser, then evaluated many times without change.
//!
//! Chains of operators of one precedence (`a + b - c`, `x AND y AND z`) are kept flat, so a
//! long chain is a long vector rather than a deep tree: the evaluator's recursion is bounded by
//! the statement's nesting (limited to 64 levels by the parser), not by its length.

use std::fmt;
use std::str::FromStr;

use super::functions::Func;

/// The `awsIotSqlVersion` of a rule ("SQL versions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqlVersion {
    /// The original version.
    V2015_10_08,
    /// The recommended version, and ours by default.
    #[default]
    V2016_03_23,
    /// AWS's moving beta; here it behaves as 2016-03-23.
    Beta,
}

impl SqlVersion {
    /// The version as AWS writes it, e.g. `"2016-03-23"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SqlVersion::V2015_10_08 => "2015-10-08",
            SqlVersion::V2016_03_23 => "2016-03-23",
            SqlVersion::Beta => "beta",
        }
    }

    /// Whether the features of 2016-03-23 (literals, nested queries, newer functions) exist.
    pub(crate) fn is_2016(self) -> bool {
        !matches!(self, SqlVersion::V2015_10_08)
    }
}

impl fmt::Display for SqlVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `awsIotSqlVersion` that AWS does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SQL version {0:?}; expected 2015-10-08, 2016-03-23 or beta")]
pub struct UnknownSqlVersion(pub String);

impl FromStr for SqlVersion {
    type Err = UnknownSqlVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "2015-10-08" => Ok(SqlVersion::V2015_10_08),
            "2016-03-23" => Ok(SqlVersion::V2016_03_23),
            "beta" => Ok(SqlVersion::Beta),
            other => Err(UnknownSqlVersion(other.to_owned())),
        }
    }
}

/// A parsed rule statement: `[SET ...] SELECT ... [FROM 'filter'] [WHERE ...]`.
#[derive(Debug, Clone)]
pub struct Statement {
    pub(crate) version: SqlVersion,
    /// `SET @name = expr`, in order; `Expr::Var` indexes this list.
    pub(crate) sets: Vec<(String, Expr)>,
    pub(crate) select: Select,
    pub(crate) from: Option<String>,
    pub(crate) where_: Option<Expr>,
    /// Whether anything reads the parsed payload (a name or `*`); if not, the payload is
    /// never parsed.
    pub(crate) needs_payload: bool,
    /// Which parts of the payload an evaluation parses (worked out from the above).
    pub(crate) access: super::access::PayloadAccess,
}

impl Statement {
    /// The topic filter of the FROM clause (e.g. `sensors/+/temp`), by which a rules engine
    /// indexes its rules. Empty when the statement has no FROM clause, which AWS allows only
    /// for rules reached through Basic Ingest (`$aws/rules/{rule}`).
    pub fn topic_filter(&self) -> &str {
        self.from.as_deref().unwrap_or("")
    }

    /// The SQL version the statement was parsed for.
    pub fn version(&self) -> SqlVersion {
        self.version
    }

    /// Whether the statement has a WHERE clause.
    pub fn has_where(&self) -> bool {
        self.where_.is_some()
    }
}

/// The SELECT clause.
#[derive(Debug, Clone)]
pub(crate) enum Select {
    /// `SELECT VALUE expr`: the payload is that value, whatever its type.
    Value(Expr),
    /// `SELECT a, b AS c, *`: the payload is an object.
    Items(Vec<SelectItem>),
}

/// One item of a SELECT list.
#[derive(Debug, Clone)]
pub(crate) enum SelectItem {
    /// `*`: every key of the payload (or the payload itself, when it is the only item).
    Star,
    /// An expression and the key path it is written under (`AS a.b` nests).
    Expr { expr: Expr, name: Vec<String> },
}

/// A nested query, `(SELECT ... FROM expr [AS alias] [WHERE ...])` ("Nested object queries").
#[derive(Debug, Clone)]
pub(crate) struct SubQuery {
    pub(crate) select: Select,
    pub(crate) from: Expr,
    pub(crate) alias: Option<String>,
    pub(crate) where_: Option<Expr>,
}

/// A literal constant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Dec(f64),
    Str(String),
}

/// One step of a path: `.name` or `[expr]`.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Field(String),
    Index(Expr),
}

/// A binary operator of the arithmetic and comparison levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A target type of `cast(x AS type)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CastType {
    String,
    Int,
    /// `Double`: a decimal with double precision.
    Double,
    /// `Decimal` (2016-03-23).
    Decimal,
    /// `Bool` / `Boolean` (2016-03-23).
    Bool,
}

/// An expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Lit(Literal),
    /// `*`: the whole payload (or the current element in a nested query).
    Payload,
    /// A name: a key of the current document, or a nested query's alias.
    Ident(String),
    /// `@name`: the index of a SET variable.
    Var(usize),
    Path {
        base: Box<Expr>,
        steps: Vec<Step>,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    /// `first op1 e1 op2 e2 ...`, evaluated left to right.
    Chain {
        first: Box<Expr>,
        rest: Vec<(BinOp, Expr)>,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    In {
        needle: Box<Expr>,
        haystack: Box<Expr>,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Call(Box<Call>),
    /// A function that calls another service, by its lower-case name.
    External {
        name: &'static str,
        args: Vec<Expr>,
    },
    Cast {
        expr: Box<Expr>,
        to: CastType,
    },
    Array(Vec<Expr>),
    Object(Vec<(String, Expr)>),
    SubQuery(Box<SubQuery>),
    Exists(Box<SubQuery>),
}

/// A call of a built-in function.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) func: Func,
    pub(crate) args: Vec<Expr>,
    /// For `regexp_*` with a literal pattern: the pattern, compiled once at parse time.
    /// `None` also when the literal is not a valid pattern (the call is then Undefined).
    pub(crate) regex: Option<regex::Regex>,
}
