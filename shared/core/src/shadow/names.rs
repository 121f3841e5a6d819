//! Thing and shadow names, as the AWS IoT data-plane API constrains them: a thing name is 1–128
//! characters of `[a-zA-Z0-9:_-]`, a shadow name 1–64 characters of `[$a-zA-Z0-9:_-]` (the `$`
//! is for AWS's reserved shadows such as `$package`). No shadow name means the classic
//! (unnamed) shadow.

use super::{ShadowError, ShadowLimits};

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-')
}

/// Checks a thing name against the API's pattern and the length limit.
///
/// # Errors
/// 400 with an "Invalid thingName" message when the name is empty, too long, or holds a
/// character outside `[a-zA-Z0-9:_-]`.
pub fn validate_thing_name(name: &str, limits: &ShadowLimits) -> Result<(), ShadowError> {
    let ok = !name.is_empty()
        && name.len() <= limits.max_thing_name_len
        && name.bytes().all(is_name_byte);
    if ok {
        Ok(())
    } else {
        Err(ShadowError::invalid_thing_name(limits.max_thing_name_len))
    }
}

/// Checks a shadow name against the API's pattern and the length limit.
///
/// # Errors
/// 400 with an "Invalid shadowName" message when the name is empty, too long, or holds a
/// character outside `[$a-zA-Z0-9:_-]`.
pub fn validate_shadow_name(name: &str, limits: &ShadowLimits) -> Result<(), ShadowError> {
    let ok = !name.is_empty()
        && name.len() <= limits.max_shadow_name_len
        && name.bytes().all(|b| b == b'$' || is_name_byte(b));
    if ok {
        Ok(())
    } else {
        Err(ShadowError::invalid_shadow_name(limits.max_shadow_name_len))
    }
}

/// The name AWS quotes in "No shadow exists with name: …": the shadow's name, or the thing's
/// for the classic shadow.
pub fn display_name<'a>(thing_name: &'a str, shadow_name: Option<&'a str>) -> &'a str {
    shadow_name.unwrap_or(thing_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thing_names_follow_the_api_pattern_and_length() {
        let limits = ShadowLimits::default();
        let long_ok = "a".repeat(128);
        let too_long = "a".repeat(129);
        let cases = [
            ("myLightBulb", true),
            ("thing:with_all-chars09", true),
            (long_ok.as_str(), true),
            ("", false),
            (too_long.as_str(), false),
            ("has space", false),
            ("has/slash", false),
            ("$dollar", false),
            ("plus+", false),
            ("hash#", false),
            ("ünïcode", false),
        ];
        for (name, ok) in cases {
            let result = validate_thing_name(name, &limits);
            assert_eq!(result.is_ok(), ok, "{name:?}");
            if let Err(error) = result {
                assert_eq!(error.code, 400);
                assert!(error.message.starts_with("Invalid thingName"));
            }
        }
    }

    #[test]
    fn shadow_names_allow_dollar_and_at_most_64_characters() {
        let limits = ShadowLimits::default();
        let long_ok = "s".repeat(64);
        let too_long = "s".repeat(65);
        let cases = [
            ("Limits", true),
            ("$package", true),
            ("a:b_c-d", true),
            (long_ok.as_str(), true),
            ("", false),
            (too_long.as_str(), false),
            ("a/b", false),
            ("a b", false),
            ("+", false),
        ];
        for (name, ok) in cases {
            let result = validate_shadow_name(name, &limits);
            assert_eq!(result.is_ok(), ok, "{name:?}");
            if let Err(error) = result {
                assert!(error.message.starts_with("Invalid shadowName"));
            }
        }
    }

    #[test]
    fn the_classic_shadow_is_named_after_its_thing() {
        assert_eq!(display_name("lamp", None), "lamp");
        assert_eq!(display_name("lamp", Some("Limits")), "Limits");
    }
}
