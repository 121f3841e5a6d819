//! The built-in functions of AWS's "Functions" page, one file per family, and the table the
//! parser checks names and argument counts against (an unknown function or a wrong count is a
//! parse error, as AWS refuses such a rule at `CreateTopicRule`).
//!
//! Functions that call other services are not evaluated here: the parser recognises them
//! ([`EXTERNAL`]) and the evaluator hands them to [`super::ExternalFunctions`].

pub(crate) mod cast;
pub(crate) mod context;
pub(crate) mod hashing;
pub(crate) mod json;
pub(crate) mod math;
pub(crate) mod regexp;
pub(crate) mod string;
pub(crate) mod time;
pub(crate) mod time_pattern;

use std::cell::Cell;

use context::CtxFn;
use hashing::HashFn;
use json::JsonFn;
use math::MathFn;
use regexp::RegexFn;
use string::StrFn;

use super::ast::{Call, Expr, Literal};
use super::eval::Env;
use super::value::Value;

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Math(MathFn),
    Str(StrFn),
    Regex(RegexFn),
    Hash(HashFn),
    Encode,
    Decode,
    ParseTime,
    TimeToEpoch,
    Json(JsonFn),
    Ctx(CtxFn),
}

/// A function's name, arity and the SQL version that introduced it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub(crate) name: &'static str,
    pub(crate) func: Func,
    pub(crate) min: usize,
    pub(crate) max: usize,
    /// Introduced with 2016-03-23 ("Supported by SQL version 2016-03-23 and later").
    pub(crate) since_2016: bool,
}

const fn spec(name: &'static str, func: Func, min: usize, max: usize, since_2016: bool) -> Spec {
    Spec {
        name,
        func,
        min,
        max,
        since_2016,
    }
}

use Func::{Ctx, Hash, Json, Math, Regex, Str};

/// Every built-in function, by AWS's name.
pub(crate) static BUILTINS: &[Spec] = &[
    spec("abs", Math(MathFn::Abs), 1, 1, false),
    spec("accountid", Ctx(CtxFn::AccountId), 0, 0, false),
    spec("acos", Math(MathFn::Acos), 1, 1, false),
    spec("asin", Math(MathFn::Asin), 1, 1, false),
    spec("atan", Math(MathFn::Atan), 1, 1, false),
    spec("atan2", Math(MathFn::Atan2), 2, 2, false),
    spec("bitand", Math(MathFn::BitAnd), 2, 2, false),
    spec("bitnot", Math(MathFn::BitNot), 1, 1, false),
    spec("bitor", Math(MathFn::BitOr), 2, 2, false),
    spec("bitxor", Math(MathFn::BitXor), 2, 2, false),
    spec("ceil", Math(MathFn::Ceil), 1, 1, false),
    spec("chr", Str(StrFn::Chr), 1, 1, false),
    spec("clientid", Ctx(CtxFn::ClientId), 0, 0, false),
    spec("concat", Str(StrFn::Concat), 0, usize::MAX, false),
    spec("cos", Math(MathFn::Cos), 1, 1, false),
    spec("cosh", Math(MathFn::Cosh), 1, 1, false),
    spec("decode", Func::Decode, 2, 2, true),
    spec("encode", Func::Encode, 2, 2, true),
    spec("endswith", Str(StrFn::EndsWith), 2, 2, false),
    spec("exp", Math(MathFn::Exp), 1, 1, false),
    spec("floor", Math(MathFn::Floor), 1, 1, false),
    spec("get", Json(JsonFn::Get), 2, 2, false),
    spec("get_mqtt_property", Ctx(CtxFn::GetMqttProperty), 1, 1, true),
    spec("get_or_default", Json(JsonFn::GetOrDefault), 2, 2, true),
    spec(
        "get_user_properties",
        Ctx(CtxFn::GetUserProperties),
        0,
        1,
        true,
    ),
    spec("indexof", Str(StrFn::IndexOf), 2, 2, true),
    spec("isnull", Json(JsonFn::IsNull), 1, 1, false),
    spec("isundefined", Json(JsonFn::IsUndefined), 1, 1, true),
    spec("length", Str(StrFn::Length), 1, 1, true),
    spec("ln", Math(MathFn::Ln), 1, 1, false),
    spec("log", Math(MathFn::Log), 1, 1, false),
    spec("lower", Str(StrFn::Lower), 1, 1, false),
    spec("lpad", Str(StrFn::Lpad), 2, 2, false),
    spec("ltrim", Str(StrFn::Ltrim), 1, 1, false),
    spec("md2", Hash(HashFn::Md2), 1, 1, false),
    spec("md5", Hash(HashFn::Md5), 1, 1, false),
    spec("mod", Math(MathFn::Mod), 2, 2, false),
    spec("nanvl", Math(MathFn::Nanvl), 2, 2, false),
    spec("newuuid", Ctx(CtxFn::NewUuid), 0, 0, false),
    spec("numbytes", Str(StrFn::NumBytes), 1, 1, true),
    spec("parse_time", Func::ParseTime, 2, 3, true),
    spec("power", Math(MathFn::Power), 2, 2, false),
    spec("principal", Ctx(CtxFn::Principal), 0, 0, false),
    spec("rand", Math(MathFn::Rand), 0, 0, false),
    spec("regexp_matches", Regex(RegexFn::Matches), 2, 2, false),
    spec("regexp_replace", Regex(RegexFn::Replace), 3, 3, false),
    spec("regexp_substr", Regex(RegexFn::Substr), 2, 2, false),
    spec("remainder", Math(MathFn::Mod), 2, 2, false),
    spec("replace", Str(StrFn::Replace), 3, 3, false),
    spec("round", Math(MathFn::Round), 1, 1, false),
    spec("rpad", Str(StrFn::Rpad), 2, 2, false),
    spec("rtrim", Str(StrFn::Rtrim), 1, 1, false),
    spec("sha1", Hash(HashFn::Sha1), 1, 1, false),
    spec("sha224", Hash(HashFn::Sha224), 1, 1, false),
    spec("sha256", Hash(HashFn::Sha256), 1, 1, false),
    spec("sha384", Hash(HashFn::Sha384), 1, 1, false),
    spec("sha512", Hash(HashFn::Sha512), 1, 1, false),
    spec("sign", Math(MathFn::Sign), 1, 1, false),
    spec("sin", Math(MathFn::Sin), 1, 1, false),
    spec("sinh", Math(MathFn::Sinh), 1, 1, false),
    spec("sourceip", Ctx(CtxFn::SourceIp), 0, 0, false),
    spec("sql_version", Ctx(CtxFn::SqlVersion), 0, 0, false),
    spec("sqrt", Math(MathFn::Sqrt), 1, 1, false),
    spec("startswith", Str(StrFn::StartsWith), 2, 2, false),
    spec("substring", Str(StrFn::Substring), 2, 3, false),
    spec("tan", Math(MathFn::Tan), 1, 1, false),
    spec("tanh", Math(MathFn::Tanh), 1, 1, false),
    spec("time_to_epoch", Func::TimeToEpoch, 2, 2, true),
    spec("timestamp", Ctx(CtxFn::Timestamp), 0, 0, false),
    spec("topic", Ctx(CtxFn::Topic), 0, 1, false),
    spec("traceid", Ctx(CtxFn::TraceId), 0, 0, false),
    spec("transform", Json(JsonFn::Transform), 3, 3, true),
    spec("trim", Str(StrFn::Trim), 1, 1, false),
    spec("trunc", Math(MathFn::Trunc), 2, 2, false),
    spec("upper", Str(StrFn::Upper), 1, 1, false),
];

/// A function that calls another service: name, the argument counts it takes, and whether
/// it needs 2016-03-23.
pub(crate) struct ExternalSpec {
    pub(crate) name: &'static str,
    pub(crate) arities: &'static [usize],
    pub(crate) since_2016: bool,
}

/// The functions evaluated by [`super::ExternalFunctions`]. `decode` with six arguments (the
/// `'proto'` scheme, which reads a descriptor from S3) goes there too.
pub(crate) static EXTERNAL: &[ExternalSpec] = &[
    ExternalSpec {
        name: "aws_lambda",
        arities: &[2],
        since_2016: false,
    },
    ExternalSpec {
        name: "get_dynamodb",
        arities: &[4, 6],
        since_2016: true,
    },
    // get_registry_data('DescribeThing' | 'ListThingGroupsForThing', thingName, roleArn).
    ExternalSpec {
        name: "get_registry_data",
        arities: &[3],
        since_2016: true,
    },
    ExternalSpec {
        name: "get_secret",
        arities: &[3, 4],
        since_2016: true,
    },
    ExternalSpec {
        name: "get_thing_shadow",
        arities: &[2, 3],
        since_2016: true,
    },
    ExternalSpec {
        name: "machinelearning_predict",
        arities: &[3],
        since_2016: false,
    },
];

/// The registry APIs `get_registry_data(api, thingName, roleArn)` may call; `api` must be one
/// of these string literals.
pub(crate) static REGISTRY_DATA_APIS: &[&str] = &["DescribeThing", "ListThingGroupsForThing"];

/// The built-in function called `name`, in any case (AWS's examples write `Round`, `Ltrim`).
pub(crate) fn builtin(name: &str) -> Option<&'static Spec> {
    BUILTINS.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// The external function called `name`, in any case.
pub(crate) fn external(name: &str) -> Option<&'static ExternalSpec> {
    EXTERNAL.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// The `i`th argument, or `Undefined` past the end.
pub(crate) fn arg<'a, 'v>(args: &'a [Value<'v>], i: usize) -> &'a Value<'v> {
    const UNDEFINED: &Value<'static> = &Value::Undefined;
    args.get(i).unwrap_or(UNDEFINED)
}

/// The next number of a SplitMix64 stream: cheap, deterministic from the context's seed.
pub(crate) fn next_random(state: &Cell<u64>) -> u64 {
    let s = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
    state.set(s);
    let mut z = s;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Calls a built-in function on evaluated arguments.
pub(crate) fn call<'v>(call: &'v Call, args: &mut [Value<'v>], env: &Env<'v, '_>) -> Value<'v> {
    let shared = env.shared;
    match call.func {
        Func::Math(f) => math::call(f, args, &shared.rng),
        Func::Str(f) => string::call(f, args),
        Func::Regex(f) => {
            let literal = matches!(call.args.get(1), Some(Expr::Lit(Literal::Str(_))));
            let cached = literal.then_some(call.regex.as_ref());
            regexp::call(f, args, cached)
        }
        Func::Hash(f) => hashing::hash(f, arg(args, 0)),
        Func::Encode => {
            let raw = matches!(call.args.first(), Some(Expr::Payload)) && env.at_top;
            hashing::encode(arg(args, 0), arg(args, 1), raw.then_some(shared.raw))
        }
        Func::Decode => hashing::decode(arg(args, 0), arg(args, 1), shared.version.is_2016()),
        Func::ParseTime => time::parse_time(arg(args, 0), arg(args, 1), arg(args, 2)),
        Func::TimeToEpoch => time::time_to_epoch(arg(args, 0), arg(args, 1)),
        Func::Json(f) => json::call(f, args),
        Func::Ctx(f) => context::call(f, args, shared.ctx, shared.version, &shared.rng),
    }
}
