//! Functions on values and objects: `get`, `get_or_default`, `isNull`, `isUndefined` and
//! `transform('enrichArray', object, array)`.

use std::borrow::Cow;

use crate::sql::value::{element, Many, Member, Value};

/// A function on values and objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonFn {
    Get,
    GetOrDefault,
    IsNull,
    IsUndefined,
    Transform,
}

/// Applies `f` to `args`.
pub(crate) fn call<'v>(f: JsonFn, args: &mut [Value<'v>]) -> Value<'v> {
    let mut taken = args.iter_mut().map(std::mem::take);
    let a = taken.next().unwrap_or_default();
    let b = taken.next().unwrap_or_default();
    match f {
        JsonFn::Get => element(a, &b),
        JsonFn::GetOrDefault => match a {
            Value::Undefined => b,
            v => v,
        },
        JsonFn::IsNull => Value::Bool(matches!(a, Value::Null)),
        JsonFn::IsUndefined => Value::Bool(matches!(a, Value::Undefined)),
        JsonFn::Transform => transform(&a, b, taken.next().unwrap_or_default()),
    }
}

/// The members of an object as an owned list, viewing borrowed ones without copying.
fn members<'v>(m: Many<'v, Member<'v>>) -> Vec<Member<'v>> {
    match m {
        Many::Borrowed(s) => s
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_ref()), v.reborrow()))
            .collect(),
        Many::Owned(v) => v,
    }
}

/// `transform('enrichArray', object, array)`: each object of the array with the object's
/// members added (they win over the element's own). Elements that are not objects pass
/// through unchanged. Any other mode, or arguments of other types, give `Undefined`.
fn transform<'v>(mode: &Value<'_>, object: Value<'v>, array: Value<'v>) -> Value<'v> {
    let (Value::String(mode), Value::Object(extra), Value::Array(items)) = (mode, object, array)
    else {
        return Value::Undefined;
    };
    if mode != "enrichArray" {
        return Value::Undefined;
    }
    let extra = members(extra);
    let items: Vec<Value<'v>> = match items {
        Many::Borrowed(s) => s.iter().map(Value::reborrow).collect(),
        Many::Owned(v) => v,
    };
    let out = items
        .into_iter()
        .map(|item| match item {
            Value::Object(m) => {
                let mut own = members(m);
                own.extend(extra.iter().cloned());
                Value::Object(Many::Owned(own))
            }
            other => other,
        })
        .collect();
    Value::Array(Many::Owned(out))
}
