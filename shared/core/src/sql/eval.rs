//! Evaluates a parsed [`Statement`] against one message.
//!
//! The payload is parsed once (and only if the statement reads it); SET variables are
//! computed in order; WHERE is evaluated before SELECT, and a WHERE that is not `true` stops
//! there without building any output. Values borrow from the payload and the statement.

use std::borrow::Cow;
use std::cell::Cell;

use super::access::PayloadAccess;
use super::ast::{BinOp, Call, Expr, Literal, Select, SelectItem, Statement, Step, SubQuery};
use super::context::{EvalContext, ExternalFunctions};
use super::error::EvalError;
use super::functions::{self, cast::cast, math::modulo};
use super::payload::{parse_payload, parse_payload_keys};
use super::value::{decimal, element, field, num_cmp, sql_eq, Many, Member, Value};
use super::SqlVersion;

/// What a rule's SELECT produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A JSON payload: an object, or with `SELECT VALUE` any JSON value.
    Json(serde_json::Value),
    /// Raw bytes: `SELECT *` (or `SELECT VALUE *`) of a payload that is not JSON, a `Binary`
    /// value, or the empty payload that an `Undefined` `SELECT VALUE` serializes to.
    Binary(Vec<u8>),
}

impl Output {
    /// The payload bytes to publish or hand to an action.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Output::Json(j) => serde_json::to_vec(j).unwrap_or_default(),
            Output::Binary(b) => b.clone(),
        }
    }
}

/// What every expression of one evaluation shares.
pub(crate) struct Shared<'v> {
    pub(crate) ctx: &'v EvalContext,
    pub(crate) ext: &'v dyn ExternalFunctions,
    /// The payload's raw bytes, for `encode(*, ...)`.
    pub(crate) raw: &'v [u8],
    pub(crate) version: SqlVersion,
    /// The state of the random stream behind `newuuid()` and `rand()`.
    pub(crate) rng: Cell<u64>,
}

/// Where an expression is evaluated: the current document (the payload, or an element in a
/// nested query) and what is in scope.
pub(crate) struct Env<'v, 's> {
    pub(crate) doc: &'v Value<'v>,
    /// A nested query's `AS alias` and the element it names.
    pub(crate) alias: Option<(&'v str, &'v Value<'v>)>,
    pub(crate) vars: &'s [Value<'v>],
    pub(crate) shared: &'s Shared<'v>,
    /// Whether `*` is the message payload (not an element of a nested query).
    pub(crate) at_top: bool,
}

impl<'v> Shared<'v> {
    pub(crate) fn new(
        ctx: &'v EvalContext,
        ext: &'v dyn ExternalFunctions,
        raw: &'v [u8],
        version: SqlVersion,
    ) -> Self {
        Self {
            ctx,
            ext,
            raw,
            version,
            rng: Cell::new(ctx.random_seed),
        }
    }
}

impl<'v, 's> Env<'v, 's> {
    /// The environment of the statement itself: `*` is the payload.
    pub(crate) fn top(doc: &'v Value<'v>, vars: &'s [Value<'v>], shared: &'s Shared<'v>) -> Self {
        Self {
            doc,
            alias: None,
            vars,
            shared,
            at_top: true,
        }
    }
}

/// The payload as the statement sees it; not parsed at all when nothing reads it.
pub(crate) fn document(payload: &[u8], needs_payload: bool, version: SqlVersion) -> Value<'_> {
    if needs_payload {
        parse_payload(payload, version.is_2016())
    } else {
        Value::Undefined
    }
}

/// Computes the SET variables in order; each sees the ones before it.
pub(crate) fn compute_vars<'v>(
    sets: &'v [(String, Expr)],
    doc: &'v Value<'v>,
    shared: &Shared<'v>,
) -> Result<Vec<Value<'v>>, EvalError> {
    let mut vars = Vec::with_capacity(sets.len());
    for (_, e) in sets {
        let v = eval(e, &Env::top(doc, &vars, shared))?;
        vars.push(v);
    }
    Ok(vars)
}

/// Evaluates `statement` against one message: `Ok(None)` when WHERE is not `true`.
pub(crate) fn evaluate_statement(
    statement: &Statement,
    payload: &[u8],
    ctx: &EvalContext,
    external: &dyn ExternalFunctions,
) -> Result<Option<Output>, EvalError> {
    let whole_to_int = statement.version.is_2016();
    let doc = match &statement.access {
        PayloadAccess::Nothing => Value::Undefined,
        PayloadAccess::Keys(keys) => parse_payload_keys(payload, whole_to_int, keys),
        PayloadAccess::Whole => parse_payload(payload, whole_to_int),
    };
    let shared = Shared::new(ctx, external, payload, statement.version);
    let vars = compute_vars(&statement.sets, &doc, &shared)?;
    let env = Env::top(&doc, &vars, &shared);
    if let Some(w) = &statement.where_ {
        if !matches!(eval(w, &env)?, Value::Bool(true)) {
            return Ok(None);
        }
    }
    let out = match &statement.select {
        Select::Value(e) => match eval(e, &env)? {
            Value::Undefined => Output::Binary(Vec::new()),
            Value::Binary(b) => Output::Binary(b.into_owned()),
            v => Output::Json(v.to_json_with(whole_to_int).unwrap_or_default()),
        },
        Select::Items(items) => match (items.as_slice(), &doc) {
            ([SelectItem::Star], Value::Binary(b)) => Output::Binary(b.to_vec()),
            _ => Output::Json(
                select_object(items, &env)?
                    .to_json_with(whole_to_int)
                    .unwrap_or_default(),
            ),
        },
    };
    Ok(Some(out))
}

/// Builds the value of a SELECT list: the document itself for a lone `*`, else an object.
fn select_object<'v>(items: &'v [SelectItem], env: &Env<'v, '_>) -> Result<Value<'v>, EvalError> {
    if let [SelectItem::Star] = items {
        return Ok(env.doc.reborrow());
    }
    let mut members: Vec<Member<'v>> = Vec::new();
    for item in items {
        match item {
            SelectItem::Star => match env.doc {
                Value::Object(m) => members.extend(
                    m.as_slice()
                        .iter()
                        .map(|(k, v)| (Cow::Borrowed(k.as_ref()), v.reborrow())),
                ),
                // An empty payload has nothing to add ("Binary payloads").
                Value::Binary(b) if b.is_empty() => {}
                Value::Binary(_) => return Err(EvalError::BinaryPayloadMerge),
                _ => return Err(EvalError::NonObjectPayloadMerge),
            },
            SelectItem::Expr { expr, name } => {
                let v = eval(expr, env)?;
                if !v.is_undefined() {
                    insert_path(&mut members, name, v);
                }
            }
        }
    }
    Ok(Value::Object(Many::Owned(members)))
}

/// Sets `path` in `members` to `v`, replacing a key that is there and creating the objects
/// on the way (`AS a.b`).
fn insert_path<'v>(members: &mut Vec<Member<'v>>, path: &'v [String], v: Value<'v>) {
    let Some((key, rest)) = path.split_first() else {
        return;
    };
    let slot = members
        .iter()
        .rposition(|(k, _)| k.as_ref() == key.as_str());
    if rest.is_empty() {
        match slot.and_then(|i| members.get_mut(i)) {
            Some(m) => m.1 = v,
            None => members.push((Cow::Borrowed(key.as_str()), v)),
        }
        return;
    }
    let existing = slot
        .and_then(|i| members.get_mut(i))
        .map(|m| std::mem::take(&mut m.1));
    let mut inner: Vec<Member<'v>> = match existing {
        Some(Value::Object(Many::Owned(m))) => m,
        Some(Value::Object(Many::Borrowed(m))) => m.to_vec(),
        _ => Vec::new(),
    };
    insert_path(&mut inner, rest, v);
    let obj = Value::Object(Many::Owned(inner));
    match slot.and_then(|i| members.get_mut(i)) {
        Some(m) => m.1 = obj,
        None => members.push((Cow::Borrowed(key.as_str()), obj)),
    }
}

/// Evaluates an expression.
pub(crate) fn eval<'v>(e: &'v Expr, env: &Env<'v, '_>) -> Result<Value<'v>, EvalError> {
    Ok(match e {
        Expr::Lit(l) => match l {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Int(i) => Value::Int(*i),
            Literal::Dec(d) => Value::Decimal(*d),
            Literal::Str(s) => Value::String(Cow::Borrowed(s.as_str())),
        },
        Expr::Payload => env.doc.reborrow(),
        Expr::Ident(name) => match env.alias {
            Some((alias, v)) if alias == name => v.reborrow(),
            _ => env.doc.get(name).map_or(Value::Undefined, Value::reborrow),
        },
        Expr::Var(i) => env.vars.get(*i).cloned().unwrap_or_default(),
        Expr::Path { base, steps } => {
            let mut v = eval(base, env)?;
            for step in steps {
                if v.is_undefined() {
                    break;
                }
                v = match step {
                    Step::Field(name) => field(v, name),
                    Step::Index(ix) => {
                        let key = eval(ix, env)?;
                        element(v, &key)
                    }
                };
            }
            v
        }
        Expr::Neg(x) => match eval(x, env)?.to_num() {
            Some(super::value::Num::Int(i)) => i
                .checked_neg()
                .map_or_else(|| decimal(-(i as f64)), Value::Int),
            Some(super::value::Num::Dec(d)) => decimal(-d),
            None => Value::Undefined,
        },
        Expr::Not(x) => eval(x, env)?
            .to_bool()
            .map_or(Value::Undefined, |b| Value::Bool(!b)),
        Expr::Chain { first, rest } => {
            let mut acc = eval(first, env)?;
            for (op, rhs) in rest {
                let r = eval(rhs, env)?;
                acc = binop(*op, acc, r);
            }
            acc
        }
        Expr::And(items) => logic(items, env, true)?,
        Expr::Or(items) => logic(items, env, false)?,
        Expr::In { needle, haystack } => {
            let n = eval(needle, env)?;
            match (n, eval(haystack, env)?) {
                (Value::Undefined, _) => Value::Undefined,
                (n, Value::Array(items)) => {
                    Value::Bool(items.as_slice().iter().any(|x| sql_eq(&n, x) == Some(true)))
                }
                _ => Value::Undefined,
            }
        }
        Expr::Case {
            operand,
            whens,
            otherwise,
        } => return case(operand.as_deref(), whens, otherwise.as_deref(), env),
        Expr::Call(call) => return call_builtin(call, env),
        Expr::External { name, args } => {
            let values = args
                .iter()
                .map(|a| eval(a, env))
                .collect::<Result<Vec<_>, _>>()?;
            env.shared.ext.call(name, &values)?
        }
        Expr::Cast { expr, to } => cast(eval(expr, env)?, *to, env.shared.version.is_2016()),
        Expr::Array(items) => Value::Array(Many::Owned(
            items
                .iter()
                .map(|x| eval(x, env))
                .collect::<Result<_, _>>()?,
        )),
        Expr::Object(members) => Value::Object(Many::Owned(
            members
                .iter()
                .map(|(k, x)| Ok((Cow::Borrowed(k.as_str()), eval(x, env)?)))
                .collect::<Result<_, EvalError>>()?,
        )),
        Expr::SubQuery(q) => return subquery(q, env),
        Expr::Exists(q) => Value::Bool(match subquery(q, env)? {
            Value::Undefined => false,
            Value::Array(a) => !a.as_slice().is_empty(),
            _ => true,
        }),
    })
}

/// AND (`all`) or OR over operands that are Booleans or "true"/"false" strings; any other
/// operand makes the result Undefined ("Operators").
fn logic<'v>(items: &'v [Expr], env: &Env<'v, '_>, all: bool) -> Result<Value<'v>, EvalError> {
    let mut acc = all;
    let mut defined = true;
    for item in items {
        match eval(item, env)?.to_bool() {
            Some(b) => acc = if all { acc && b } else { acc || b },
            None => defined = false,
        }
    }
    Ok(if defined {
        Value::Bool(acc)
    } else {
        Value::Undefined
    })
}

fn case<'v>(
    operand: Option<&'v Expr>,
    whens: &'v [(Expr, Expr)],
    otherwise: Option<&'v Expr>,
    env: &Env<'v, '_>,
) -> Result<Value<'v>, EvalError> {
    match operand {
        Some(op) => {
            let v = eval(op, env)?;
            if v.is_undefined() {
                return Ok(Value::Undefined);
            }
            for (when, then) in whens {
                if sql_eq(&v, &eval(when, env)?) == Some(true) {
                    return eval(then, env);
                }
            }
        }
        None => {
            for (when, then) in whens {
                if matches!(eval(when, env)?, Value::Bool(true)) {
                    return eval(then, env);
                }
            }
        }
    }
    otherwise.map_or(Ok(Value::Undefined), |e| eval(e, env))
}

fn call_builtin<'v>(call: &'v Call, env: &Env<'v, '_>) -> Result<Value<'v>, EvalError> {
    let n = call.args.len();
    if n <= 4 {
        // Up to four arguments live on the stack: no allocation per call.
        let mut buf: [Value<'v>; 4] = Default::default();
        for (slot, a) in buf.iter_mut().zip(&call.args) {
            *slot = eval(a, env)?;
        }
        let args = buf.get_mut(..n).unwrap_or_default();
        Ok(functions::call(call, args, env))
    } else {
        let mut args = call
            .args
            .iter()
            .map(|a| eval(a, env))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(functions::call(call, &mut args, env))
    }
}

/// A nested query: over an array, the array of per-element results; over an object, the one
/// result for it; over anything else, Undefined.
fn subquery<'v>(q: &'v SubQuery, env: &Env<'v, '_>) -> Result<Value<'v>, EvalError> {
    Ok(match eval(&q.from, env)? {
        Value::Array(Many::Borrowed(items)) => Value::Array(Many::Owned(rows(q, items, env)?)),
        Value::Array(Many::Owned(items)) => Value::Array(Many::Owned(
            rows(q, &items, env)?
                .into_iter()
                .map(Value::into_owned)
                .collect(),
        )),
        object @ Value::Object(_) => rows(q, std::slice::from_ref(&object), env)?
            .pop()
            .map_or(Value::Undefined, Value::into_owned),
        _ => Value::Undefined,
    })
}

fn rows<'w>(
    q: &'w SubQuery,
    items: &'w [Value<'w>],
    env: &Env<'w, '_>,
) -> Result<Vec<Value<'w>>, EvalError> {
    let mut out = Vec::new();
    for item in items {
        let child = Env {
            doc: item,
            alias: q.alias.as_deref().map(|a| (a, item)),
            vars: env.vars,
            shared: env.shared,
            at_top: false,
        };
        if let Some(w) = &q.where_ {
            if !matches!(eval(w, &child)?, Value::Bool(true)) {
                continue;
            }
        }
        match &q.select {
            Select::Value(e) => {
                let v = eval(e, &child)?;
                if !v.is_undefined() {
                    out.push(v);
                }
            }
            Select::Items(sel) => out.push(select_object(sel, &child)?),
        }
    }
    Ok(out)
}

/// Applies an arithmetic or comparison operator with the type rules of "Operators".
fn binop<'v>(op: BinOp, a: Value<'v>, b: Value<'v>) -> Value<'v> {
    let cmp = |pred: fn(std::cmp::Ordering) -> bool| {
        num_cmp(&a, &b).map_or(Value::Undefined, |o| Value::Bool(pred(o)))
    };
    match op {
        BinOp::Add => add(&a, &b),
        BinOp::Sub | BinOp::Mul | BinOp::Div => arithmetic(op, &a, &b),
        BinOp::Mod => modulo(&a, &b),
        BinOp::Eq => sql_eq(&a, &b).map_or(Value::Undefined, Value::Bool),
        BinOp::Ne => sql_eq(&a, &b).map_or(Value::Undefined, |e| Value::Bool(!e)),
        BinOp::Lt => cmp(|o| o.is_lt()),
        BinOp::Le => cmp(|o| o.is_le()),
        BinOp::Gt => cmp(|o| o.is_gt()),
        BinOp::Ge => cmp(|o| o.is_ge()),
    }
}

/// `+`: concatenation when either side is a String (the other converted to a string);
/// otherwise `Int + Int` is an Int and other numbers add as Decimals.
fn add(a: &Value<'_>, b: &Value<'_>) -> Value<'static> {
    if a.is_undefined() || b.is_undefined() {
        return Value::Undefined;
    }
    if matches!(a, Value::String(_)) || matches!(b, Value::String(_)) {
        return match (a.to_str(), b.to_str()) {
            (Some(x), Some(y)) => Value::string(format!("{x}{y}")),
            _ => Value::Undefined,
        };
    }
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x
            .checked_add(*y)
            .map_or_else(|| decimal(*x as f64 + *y as f64), Value::Int),
        (Value::Int(_) | Value::Decimal(_), Value::Int(_) | Value::Decimal(_)) => {
            match (a.to_f64(), b.to_f64()) {
                (Some(x), Some(y)) => decimal(x + y),
                _ => Value::Undefined,
            }
        }
        _ => Value::Undefined,
    }
}

/// `-`, `*`, `/`: `Int op Int` is an Int (division truncates; by zero is Undefined);
/// numbers and decimal strings otherwise give a Decimal.
fn arithmetic(op: BinOp, a: &Value<'_>, b: &Value<'_>) -> Value<'static> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        let (x, y) = (*x, *y);
        let exact = match op {
            BinOp::Sub => x.checked_sub(y),
            BinOp::Mul => x.checked_mul(y),
            _ if y == 0 => return Value::Undefined,
            _ => x.checked_div(y),
        };
        if let Some(r) = exact {
            return Value::Int(r);
        }
    }
    match (a.to_f64(), b.to_f64()) {
        (Some(x), Some(y)) => match op {
            BinOp::Sub => decimal(x - y),
            BinOp::Mul => decimal(x * y),
            _ if y == 0.0 => Value::Undefined,
            _ => decimal(x / y),
        },
        _ => Value::Undefined,
    }
}
