//! The delta state ("Device Shadow service documents" → "Delta state"): every field of
//! `desired` whose value differs from `reported`, found by walking `desired`. A field missing
//! from `reported` is in the delta; a field only in `reported` is not; nested objects differ
//! field by field and the delta keeps the path to the root; arrays are values, so a differing
//! array is copied whole. The delta's metadata is the desired metadata of the same fields.

use serde_json::{Map, Number, Value};

/// The delta between `desired` and `reported`; `None` when they agree on every desired field.
pub fn compute_delta(
    desired: &Map<String, Value>,
    reported: Option<&Map<String, Value>>,
) -> Option<Map<String, Value>> {
    let delta: Map<String, Value> = desired
        .iter()
        .filter_map(|(key, want)| {
            let have = reported.and_then(|r| r.get(key));
            field_delta(want, have).map(|d| (key.clone(), d))
        })
        .collect();
    (!delta.is_empty()).then_some(delta)
}

fn field_delta(want: &Value, have: Option<&Value>) -> Option<Value> {
    match (want, have) {
        (_, None) => Some(want.clone()),
        (Value::Object(want), Some(Value::Object(have))) => {
            compute_delta(want, Some(have)).map(Value::Object)
        }
        (_, Some(have)) if json_equal(want, have) => None,
        _ => Some(want.clone()),
    }
}

/// The metadata of a delta: for each delta field, the metadata of the same desired field.
pub fn delta_metadata(
    delta: &Map<String, Value>,
    desired_metadata: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    delta
        .iter()
        .map(|(key, value)| {
            let meta = desired_metadata.and_then(|m| m.get(key));
            (key.clone(), field_metadata(value, meta))
        })
        .collect()
}

fn field_metadata(value: &Value, meta: Option<&Value>) -> Value {
    match (value, meta) {
        (Value::Object(fields), Some(Value::Object(meta))) => {
            Value::Object(delta_metadata(fields, Some(meta)))
        }
        (_, Some(meta)) => meta.clone(),
        (_, None) => Value::Object(Map::new()),
    }
}

/// JSON equality with numbers compared by value, so `1` and `1.0` are equal.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, x)| y.get(k).is_some_and(|y| json_equal(x, y)))
        }
        _ => a == b,
    }
}

fn numbers_equal(x: &Number, y: &Number) -> bool {
    if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
        return x == y;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn delta_holds_the_desired_fields_that_differ() {
        let cases = [
            // "Delta state": desired-only fields are in, reported-only fields are not.
            (
                json!({"color": "RED", "state": "STOP"}),
                Some(json!({"color": "GREEN", "engine": "ON"})),
                Some(json!({"color": "RED", "state": "STOP"})),
            ),
            // "Delta state": nested objects keep the path to the root.
            (
                json!({"lights": {"color": {"r": 255, "g": 255, "b": 255}}}),
                Some(json!({"lights": {"color": {"r": 255, "g": 0, "b": 255}}})),
                Some(json!({"lights": {"color": {"g": 255}}})),
            ),
            // "Delta state": arrays are values, copied whole when they differ.
            (
                json!({"colors": ["RED", "GREEN"]}),
                Some(json!({"colors": ["RED"]})),
                Some(json!({"colors": ["RED", "GREEN"]})),
            ),
            (json!({"a": 1}), Some(json!({"a": 1})), None),
            (json!({"a": 1}), Some(json!({"a": 1.0})), None),
            (
                json!({"a": [1, {"b": 2}]}),
                Some(json!({"a": [1.0, {"b": 2}]})),
                None,
            ),
            (json!({"a": 1}), None, Some(json!({"a": 1}))),
            (json!({"a": 1}), Some(json!({})), Some(json!({"a": 1}))),
            (
                json!({"a": "1"}),
                Some(json!({"a": 1})),
                Some(json!({"a": "1"})),
            ),
            (
                json!({"a": {"b": 1}}),
                Some(json!({"a": 5})),
                Some(json!({"a": {"b": 1}})),
            ),
            (
                json!({"a": 5}),
                Some(json!({"a": {"b": 1}})),
                Some(json!({"a": 5})),
            ),
            (
                json!({"a": {"b": 1}}),
                Some(json!({"a": {"b": 1, "c": 2}})),
                None,
            ),
            (json!({"a": {}}), None, Some(json!({"a": {}}))),
            (json!({"a": {}}), Some(json!({"a": {"x": 1}})), None),
            (
                json!({"a": -1}),
                Some(json!({"a": u64::MAX})),
                Some(json!({"a": -1})),
            ),
            (json!({}), Some(json!({"a": 1})), None),
        ];
        for (desired, reported, expected) in cases {
            let reported = reported.map(map);
            let got = compute_delta(&map(desired.clone()), reported.as_ref());
            assert_eq!(
                got.map(Value::Object),
                expected,
                "{desired} vs {reported:?}"
            );
        }
    }

    #[test]
    fn delta_metadata_is_the_desired_metadata_of_the_same_fields() {
        let delta = map(json!({"lights": {"color": "RED"}, "colors": ["A", "B"]}));
        let desired_meta = map(json!({
            "lights": {"color": {"timestamp": 123456}, "size": {"timestamp": 1}},
            "colors": [{"timestamp": 5}, {"timestamp": 5}],
            "engine": {"timestamp": 123456}
        }));
        assert_eq!(
            Value::Object(delta_metadata(&delta, Some(&desired_meta))),
            json!({"lights": {"color": {"timestamp": 123456}},
                   "colors": [{"timestamp": 5}, {"timestamp": 5}]})
        );
        assert_eq!(
            Value::Object(delta_metadata(&map(json!({"x": 1})), None)),
            json!({"x": {}})
        );
    }
}
