//! The SQL layer's errors: [`ParseError`] for a statement AWS would refuse at `CreateTopicRule`
//! (its `SqlParseException`), [`EvalError`] for the few evaluation failures that are not
//! simply `Undefined`, and [`SubstitutionError`] for substitution templates.

/// A statement or template that does not parse: what is wrong, and where.
///
/// `line` and `column` are 1-based and point at the first character of the offending token
/// (columns count Unicode scalar values, not bytes). AWS IoT reports the same failures as
/// `SqlParseException` from `CreateTopicRule`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (line {line}, column {column})")]
pub struct ParseError {
    /// What is wrong, in words.
    pub message: String,
    /// 1-based line of the offending token.
    pub line: usize,
    /// 1-based column (in characters) of the offending token.
    pub column: usize,
}

impl ParseError {
    /// An error at byte `offset` of `src`: the offset becomes a line and a column.
    pub(crate) fn at(src: &str, offset: usize, message: impl Into<String>) -> Self {
        let offset = offset.min(src.len());
        let mut line = 1;
        let mut column = 1;
        for (i, c) in src.char_indices() {
            if i >= offset {
                break;
            }
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        Self {
            message: message.into(),
            line,
            column,
        }
    }
}

/// Why an evaluation failed. Type mismatches are not errors: AWS IoT evaluates them to
/// `Undefined`, and so do we. These are the failures that stop a rule (AWS runs the rule's
/// error action for them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// `SELECT *, expr ...` on a payload that is not JSON ("Binary payloads": the SELECT must
    /// have `*` as its only item, or only functions).
    #[error(
        "the payload is not JSON: `*` must be the only SELECT item (or use encode(*, 'base64'))"
    )]
    BinaryPayloadMerge,
    /// `SELECT *, expr ...` on a JSON payload that is an array, which has no keys to add to.
    #[error("the payload is a JSON array: `*` cannot be combined with other SELECT items")]
    NonObjectPayloadMerge,
    /// A function that calls another service (`aws_lambda`, `get_dynamodb`, ...) failed.
    #[error("{name} failed: {message}")]
    External {
        /// The SQL function, e.g. `get_dynamodb`.
        name: String,
        /// What the service said.
        message: String,
    },
    /// A function that calls another service, where no implementation is wired in.
    #[error("{name} calls another service, and none is available here")]
    ExternalUnavailable {
        /// The SQL function, e.g. `aws_lambda`.
        name: String,
    },
}

/// Why a substitution template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstitutionError {
    /// The template, or an expression in one of its `${...}`, does not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// An expression failed to evaluate (only external functions can fail).
    #[error(transparent)]
    Eval(#[from] EvalError),
}
