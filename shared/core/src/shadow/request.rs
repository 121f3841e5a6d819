//! Request state documents ("Device Shadow service documents" → "Request state document"):
//! `{"state": {"desired": {…}, "reported": {…}}, "version": N, "clientToken": "…"}`, decoded
//! and checked before anything is merged, so a rejected request changes nothing.
//!
//! Top-level keys other than `state`, `version` and `clientToken` are ignored, as AWS does
//! ("JSON content … outside of those sections is ignored", "Diagnosing problems with shadows").

use serde_json::{Map, Value};

use super::{ShadowError, ShadowLimits};

/// What an update does to one section (`desired` or `reported`).
#[derive(Debug, Clone, PartialEq)]
pub enum SectionPatch {
    /// The section is not in the request: left as it is.
    Absent,
    /// The section is `null` (or `state` is): the whole section is removed.
    Clear,
    /// The section is an object: merged key by key into the stored one.
    Merge(Map<String, Value>),
}

/// A decoded, validated update request.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateRequest {
    /// The request's `state` exactly as sent, echoed in `/update/accepted`.
    pub state: Value,
    /// What happens to `desired`.
    pub desired: SectionPatch,
    /// What happens to `reported`.
    pub reported: SectionPatch,
    /// The version the client expects the shadow to be at, if it sent one.
    pub version: Option<u64>,
    /// The client token to echo, if the client sent one.
    pub client_token: Option<String>,
}

impl UpdateRequest {
    /// Decodes and validates an update payload.
    ///
    /// # Errors
    /// 413 for a payload over [`ShadowLimits::max_request_bytes`]; 415 for bytes that are not
    /// UTF-8; 400 for anything malformed, with AWS's message: not JSON, not an object, a bad
    /// `clientToken` or `version`, no `state`, a `state`, `desired` or `reported` that is not
    /// an object, an unknown key in `state`, nesting deeper than [`ShadowLimits::max_depth`],
    /// or `null` inside an array. Errors after the client token was read echo it.
    pub fn parse(payload: &[u8], limits: &ShadowLimits) -> Result<UpdateRequest, ShadowError> {
        let mut doc = match parse_object(payload, limits)? {
            Some(doc) => doc,
            None => return Err(ShadowError::payload_invalid_json()),
        };
        let client_token = client_token(&doc, limits)?;
        let token = client_token.as_deref();
        let version = match doc.get("version") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                value
                    .as_u64()
                    .ok_or_else(|| ShadowError::invalid_version().with_client_token(token))?,
            ),
        };
        let state = doc
            .remove("state")
            .ok_or_else(|| ShadowError::missing_state().with_client_token(token))?;
        let (desired, reported) =
            sections(&state, limits).map_err(|e| e.with_client_token(token))?;
        Ok(UpdateRequest {
            state,
            desired,
            reported,
            version,
            client_token,
        })
    }
}

/// The client token of a get or delete request's payload, which AWS otherwise ignores: `None`
/// for an empty payload or one that is not a JSON object.
///
/// # Errors
/// 400 "Invalid clientToken" when the payload is a JSON object whose `clientToken` is not a
/// string or is longer than [`ShadowLimits::max_client_token_bytes`].
pub fn parse_client_token(
    payload: &[u8],
    limits: &ShadowLimits,
) -> Result<Option<String>, ShadowError> {
    match parse_object(payload, limits) {
        Ok(Some(doc)) => client_token(&doc, limits),
        Ok(None) | Err(_) => Ok(None),
    }
}

/// The payload as a JSON object; `Ok(None)` when it is not JSON at all.
fn parse_object(
    payload: &[u8],
    limits: &ShadowLimits,
) -> Result<Option<Map<String, Value>>, ShadowError> {
    if payload.len() > limits.max_request_bytes {
        return Err(ShadowError::payload_too_large());
    }
    let text = std::str::from_utf8(payload).map_err(|_| ShadowError::unsupported_encoding())?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) => Ok(Some(doc)),
        Ok(_) => Err(ShadowError::invalid_json()),
        // serde_json stops at 128 levels; that is a nesting error, not a syntax one.
        Err(e) if e.to_string().contains("recursion limit") => {
            Err(ShadowError::too_deep(limits.max_depth))
        }
        Err(_) => Ok(None),
    }
}

fn client_token(
    doc: &Map<String, Value>,
    limits: &ShadowLimits,
) -> Result<Option<String>, ShadowError> {
    match doc.get("clientToken") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(token)) if token.len() <= limits.max_client_token_bytes => {
            Ok(Some(token.clone()))
        }
        Some(_) => Err(ShadowError::invalid_client_token()),
    }
}

fn sections(
    state: &Value,
    limits: &ShadowLimits,
) -> Result<(SectionPatch, SectionPatch), ShadowError> {
    let state = match state {
        // `{"state": null}` clears the shadow and keeps it ("Deleting shadow data").
        Value::Null => return Ok((SectionPatch::Clear, SectionPatch::Clear)),
        Value::Object(state) => state,
        _ => return Err(ShadowError::state_not_object()),
    };
    if let Some(key) = state.keys().find(|k| *k != "desired" && *k != "reported") {
        return Err(ShadowError::invalid_state_node(key));
    }
    let desired = section(
        state.get("desired"),
        ShadowError::desired_not_object,
        limits,
    )?;
    let reported = section(
        state.get("reported"),
        ShadowError::reported_not_object,
        limits,
    )?;
    Ok((desired, reported))
}

fn section(
    value: Option<&Value>,
    not_object: fn() -> ShadowError,
    limits: &ShadowLimits,
) -> Result<SectionPatch, ShadowError> {
    match value {
        None => Ok(SectionPatch::Absent),
        Some(Value::Null) => Ok(SectionPatch::Clear),
        Some(value @ Value::Object(map)) => {
            if depth(value) > limits.max_depth {
                return Err(ShadowError::too_deep(limits.max_depth));
            }
            if has_null_in_array(value, false) {
                return Err(ShadowError::null_in_array());
            }
            Ok(SectionPatch::Merge(map.clone()))
        }
        Some(_) => Err(not_object()),
    }
}

/// Levels of nesting: 0 for a scalar, one more than the deepest member for an object or array.
pub(crate) fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn has_null_in_array(value: &Value, in_array: bool) -> bool {
    match value {
        Value::Null => in_array,
        Value::Object(map) => map.values().any(|v| has_null_in_array(v, in_array)),
        Value::Array(items) => items.iter().any(|v| has_null_in_array(v, true)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        (0..levels).fold(json!(1), |inner, _| json!({ "k": inner }))
    }

    #[test]
    fn every_bad_request_gets_aws_code_and_message() {
        let limits = ShadowLimits::default();
        let long_token = "t".repeat(65);
        let too_deep = json!({"state": {"desired": nested(7)}}).to_string();
        let very_deep = format!(r#"{{"state":{}{}}}"#, "[".repeat(200), "]".repeat(200));
        let oversized = vec![b' '; limits.max_request_bytes + 1];
        let long_token_doc = json!({"state": {}, "clientToken": long_token}).to_string();
        let cases: Vec<(&[u8], u16, &str)> = vec![
            (b"not json", 400, "Payload contains invalid json"),
            (b"", 400, "Payload contains invalid json"),
            (b"{\"state\": {", 400, "Payload contains invalid json"),
            (
                &[0xff, 0xfe, 0x7b],
                415,
                "Unsupported documented encoding; supported encoding is UTF-8",
            ),
            (b"[1, 2]", 400, "Invalid JSON"),
            (b"\"state\"", 400, "Invalid JSON"),
            (b"null", 400, "Invalid JSON"),
            (b"{}", 400, "Missing required node: state"),
            (b"{\"version\": 1}", 400, "Missing required node: state"),
            (b"{\"state\": 5}", 400, "State node must be an object"),
            (b"{\"state\": []}", 400, "State node must be an object"),
            (b"{\"state\": \"on\"}", 400, "State node must be an object"),
            (
                b"{\"state\": {\"desired\": 1}}",
                400,
                "Desired node must be an object",
            ),
            (
                b"{\"state\": {\"desired\": [1]}}",
                400,
                "Desired node must be an object",
            ),
            (
                b"{\"state\": {\"reported\": \"x\"}}",
                400,
                "Reported node must be an object",
            ),
            (
                b"{\"state\": {\"delta\": {}}}",
                400,
                "State contains an invalid node: 'delta'",
            ),
            (
                b"{\"state\": {\"desired\": {}, \"foo\": 1}}",
                400,
                "State contains an invalid node: 'foo'",
            ),
            (
                b"{\"state\": {}, \"version\": \"3\"}",
                400,
                "Invalid version",
            ),
            (b"{\"state\": {}, \"version\": -1}", 400, "Invalid version"),
            (b"{\"state\": {}, \"version\": 1.5}", 400, "Invalid version"),
            (
                b"{\"state\": {}, \"clientToken\": 5}",
                400,
                "Invalid clientToken",
            ),
            (long_token_doc.as_bytes(), 400, "Invalid clientToken"),
            (
                too_deep.as_bytes(),
                400,
                "JSON contains too many levels of nesting; maximum is 6",
            ),
            (
                very_deep.as_bytes(),
                400,
                "JSON contains too many levels of nesting; maximum is 6",
            ),
            (
                b"{\"state\": {\"desired\": {\"c\": [null, \"RED\"]}}}",
                400,
                "Invalid JSON: arrays cannot contain null values",
            ),
            (
                b"{\"state\": {\"reported\": {\"c\": [[1, {\"x\": null}]]}}}",
                400,
                "Invalid JSON: arrays cannot contain null values",
            ),
            (
                &oversized,
                413,
                "The payload exceeds the maximum size allowed",
            ),
        ];
        for (payload, code, message) in cases {
            let error = UpdateRequest::parse(payload, &limits).expect_err(message);
            assert_eq!(
                (error.code, error.message.as_str()),
                (code, message),
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
    }

    #[test]
    fn six_levels_are_allowed_and_arrays_count_as_levels() {
        let limits = ShadowLimits::default();
        let six = json!({"state": {"reported": nested(6)}}).to_string();
        assert!(UpdateRequest::parse(six.as_bytes(), &limits).is_ok());
        let array_level = json!({"state": {"reported": {"a": {"b": {"c": {"d": [[[1]]]}}}}}});
        let error = UpdateRequest::parse(array_level.to_string().as_bytes(), &limits)
            .expect_err("seven levels with arrays");
        assert_eq!(error.code, 400);
    }

    #[test]
    fn a_valid_client_token_is_echoed_by_later_errors() {
        let limits = ShadowLimits::default();
        let error = UpdateRequest::parse(br#"{"clientToken": "abc", "version": 2}"#, &limits)
            .expect_err("no state");
        assert_eq!(error.client_token.as_deref(), Some("abc"));
        let error = UpdateRequest::parse(br#"{"clientToken": "abc", "state": {"x": 1}}"#, &limits)
            .expect_err("bad node");
        assert_eq!(error.client_token.as_deref(), Some("abc"));
        let token = "t".repeat(65);
        let doc = json!({"state": {}, "clientToken": token}).to_string();
        let error = UpdateRequest::parse(doc.as_bytes(), &limits).expect_err("long token");
        assert_eq!(error.client_token, None);
    }

    #[test]
    fn sections_decode_to_patches_and_extra_top_level_keys_are_ignored() {
        let limits = ShadowLimits::default();
        let request = UpdateRequest::parse(
            br#"{"state": {"desired": {"color": "RED"}, "reported": null},
                 "version": 10, "clientToken": "tok", "metadata": {"x": 1}, "timestamp": 5}"#,
            &limits,
        )
        .expect("valid");
        assert_eq!(
            request.desired,
            SectionPatch::Merge(
                json!({"color": "RED"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
            )
        );
        assert_eq!(request.reported, SectionPatch::Clear);
        assert_eq!(request.version, Some(10));
        assert_eq!(request.client_token.as_deref(), Some("tok"));

        let cleared = UpdateRequest::parse(br#"{"state": null}"#, &limits).expect("valid");
        assert_eq!(
            (cleared.desired, cleared.reported),
            (SectionPatch::Clear, SectionPatch::Clear)
        );
        let empty =
            UpdateRequest::parse(br#"{"state": {}, "version": null}"#, &limits).expect("valid");
        assert_eq!(
            (empty.desired, empty.reported, empty.version),
            (SectionPatch::Absent, SectionPatch::Absent, None)
        );
    }

    #[test]
    fn get_and_delete_payloads_only_yield_a_client_token() {
        let limits = ShadowLimits::default();
        type Expected<'a> = Result<Option<&'a str>, &'a str>;
        let cases: Vec<(&[u8], Expected)> = vec![
            (b"", Ok(None)),
            (b"garbage", Ok(None)),
            (b"[1]", Ok(None)),
            (&[0xff], Ok(None)),
            (b"{}", Ok(None)),
            (br#"{"clientToken": "abc"}"#, Ok(Some("abc"))),
            (br#"{"clientToken": 1}"#, Err("Invalid clientToken")),
        ];
        for (payload, expected) in cases {
            let got = parse_client_token(payload, &limits);
            let got = got
                .as_ref()
                .map(|t| t.as_deref())
                .map_err(|e| e.message.as_str());
            assert_eq!(got, expected, "{}", String::from_utf8_lossy(payload));
        }
    }
}
