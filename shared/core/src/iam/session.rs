//! Temporary credentials: how long a session lasts (`DurationSeconds`), what a session may be
//! called (`RoleSessionName`), when it has expired, and the timestamps AWS writes.

use super::IamError;

/// The shortest session any STS call grants.
pub const MIN_DURATION_SECS: u32 = 900;
/// A role session's length when `DurationSeconds` is not given.
pub const DEFAULT_ROLE_DURATION_SECS: u32 = 3600;
/// A `GetSessionToken` session's length when `DurationSeconds` is not given.
pub const DEFAULT_SESSION_TOKEN_DURATION_SECS: u32 = 43_200;
/// The longest `GetSessionToken` session.
pub const MAX_SESSION_TOKEN_DURATION_SECS: u32 = 129_600;
/// A role's `MaxSessionDuration` when not given.
pub const DEFAULT_MAX_SESSION_DURATION_SECS: u32 = 3600;

fn too_short(requested: i64) -> IamError {
    IamError::constraint(
        &requested.to_string(),
        "durationSeconds",
        "Member must have value greater than or equal to 900",
    )
}

/// The length of a role session: `requested`, or one hour, within 900 seconds and the role's
/// `MaxSessionDuration`.
///
/// # Errors
/// `ValidationError` outside those bounds, in AWS's words.
pub fn role_duration(requested: Option<i64>, max_session_secs: u32) -> Result<u32, IamError> {
    let Some(requested) = requested else {
        return Ok(DEFAULT_ROLE_DURATION_SECS.min(max_session_secs));
    };
    if requested < i64::from(MIN_DURATION_SECS) {
        return Err(too_short(requested));
    }
    if requested > i64::from(max_session_secs) {
        return Err(IamError::Validation(format!(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role. \
             ({requested} > {max_session_secs})"
        )));
    }
    u32::try_from(requested).map_err(|_| too_short(requested))
}

/// The longest session a role session may get by assuming another role (role chaining).
pub const MAX_CHAINED_DURATION_SECS: u32 = 3600;

/// The length of a session of a role assumed by a role session (role chaining): as
/// [`role_duration`], but never more than an hour.
///
/// # Errors
/// `ValidationError` below 900 or above the hour or the role's maximum.
pub fn chained_role_duration(
    requested: Option<i64>,
    max_session_secs: u32,
) -> Result<u32, IamError> {
    let duration = role_duration(requested, max_session_secs)?;
    if duration > MAX_CHAINED_DURATION_SECS {
        return Err(IamError::Validation(format!(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by \
             role chaining. ({duration} > {MAX_CHAINED_DURATION_SECS})"
        )));
    }
    Ok(duration)
}

/// The length of a `GetSessionToken` session: 900 to 129,600 seconds, 12 hours by default.
///
/// # Errors
/// `ValidationError` outside the bounds.
pub fn session_token_duration(requested: Option<i64>) -> Result<u32, IamError> {
    let Some(requested) = requested else {
        return Ok(DEFAULT_SESSION_TOKEN_DURATION_SECS);
    };
    if requested < i64::from(MIN_DURATION_SECS) {
        return Err(too_short(requested));
    }
    if requested > i64::from(MAX_SESSION_TOKEN_DURATION_SECS) {
        return Err(IamError::constraint(
            &requested.to_string(),
            "durationSeconds",
            "Member must have value less than or equal to 129600",
        ));
    }
    u32::try_from(requested).map_err(|_| too_short(requested))
}

/// A role's `MaxSessionDuration`: 3,600 to 43,200 seconds, an hour by default.
///
/// # Errors
/// `ValidationError` outside the bounds.
pub fn max_session_duration(requested: Option<i64>) -> Result<u32, IamError> {
    match requested {
        None => Ok(DEFAULT_MAX_SESSION_DURATION_SECS),
        Some(n) if (3600..=43_200).contains(&n) => {
            Ok(u32::try_from(n).unwrap_or(DEFAULT_MAX_SESSION_DURATION_SECS))
        }
        Some(n) => Err(IamError::constraint(
            &n.to_string(),
            "maxSessionDuration",
            "Member must have value less than or equal to 43200 and greater than or equal to 3600",
        )),
    }
}

/// Checks a `RoleSessionName`: 2 to 64 characters of `[\w+=,.@-]`.
///
/// # Errors
/// `ValidationError`.
pub fn check_session_name(name: &str) -> Result<(), IamError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-'));
    if !(2..=64).contains(&name.chars().count()) || !ok_chars {
        return Err(IamError::constraint(
            name,
            "roleSessionName",
            "Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length \
             between 2 and 64",
        ));
    }
    Ok(())
}

/// Whether credentials expiring at `expires_at` (epoch seconds) have expired at `now`.
pub fn is_expired(expires_at: u64, now: u64) -> bool {
    now >= expires_at
}

/// Epoch seconds as AWS's ISO 8601 timestamp, `2026-12-07T10:00:00Z`.
pub fn iso8601(epoch_secs: u64) -> String {
    let days = i64::try_from(epoch_secs / 86_400).unwrap_or(0);
    let rem = epoch_secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_sessions_last_an_hour_by_default_within_900_and_the_roles_maximum() {
        assert_eq!(role_duration(None, 3600), Ok(3600));
        assert_eq!(role_duration(Some(900), 3600), Ok(900));
        assert_eq!(role_duration(Some(7200), 7200), Ok(7200));
        assert_eq!(
            role_duration(Some(899), 3600).map_err(|e| e.code()),
            Err("ValidationError")
        );
        let error = role_duration(Some(3601), 3600).expect_err("over the role's maximum");
        assert!(error.to_string().contains("MaxSessionDuration"));
    }

    #[test]
    fn chained_role_sessions_last_at_most_an_hour() {
        assert_eq!(chained_role_duration(None, 43_200), Ok(3600));
        assert_eq!(chained_role_duration(Some(1800), 43_200), Ok(1800));
        let error = chained_role_duration(Some(7200), 43_200).expect_err("over an hour");
        assert!(error.to_string().contains("role chaining"));
    }

    #[test]
    fn session_tokens_and_role_maxima_have_their_bounds() {
        assert_eq!(session_token_duration(None), Ok(43_200));
        assert!(session_token_duration(Some(129_601)).is_err());
        assert_eq!(max_session_duration(None), Ok(3600));
        assert_eq!(max_session_duration(Some(43_200)), Ok(43_200));
        assert!(max_session_duration(Some(3599)).is_err());
    }

    #[test]
    fn session_names_are_2_to_64_name_characters() {
        assert!(check_session_name("ci-run@42").is_ok());
        assert!(check_session_name("a").is_err());
        assert!(check_session_name("a b").is_err());
        assert!(check_session_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn expiry_is_at_the_second_and_timestamps_are_iso_8601() {
        assert!(!is_expired(100, 99));
        assert!(is_expired(100, 100));
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_796_638_468), "2026-12-07T10:14:28Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
    }
}
