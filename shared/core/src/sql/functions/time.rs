//! `parse_time(pattern, millis[, zone])` and `time_to_epoch(text, pattern)`.
//!
//! Zones are IANA names (`America/Los_Angeles`, from the time-zone database compiled into
//! the binary, so no file is read), `UTC`/`GMT`/`Z`, fixed offsets (`+01:00`, `UTC+01:00`),
//! and the US abbreviations `EST`/`EDT`, `CST`/`CDT`, `MST`/`MDT`, `PST`/`PDT` when parsing.
//! Anything that cannot be read or formatted gives `Undefined`.

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

use super::time_pattern::{self, Fields};
use crate::sql::value::Value;

/// The zone a name stands for.
pub(crate) fn zone(name: &str) -> Option<TimeZone> {
    let name = name.trim();
    for prefix in ["UTC", "GMT", "UT"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            if rest.is_empty() {
                return Some(TimeZone::UTC);
            }
            if rest.starts_with(['+', '-']) {
                return fixed(rest);
            }
        }
    }
    if name == "Z" {
        return Some(TimeZone::UTC);
    }
    if name.starts_with(['+', '-']) {
        return fixed(name);
    }
    let iana = match name {
        "EST" | "EDT" => "America/New_York",
        "CST" | "CDT" => "America/Chicago",
        "MST" | "MDT" => "America/Denver",
        "PST" | "PDT" => "America/Los_Angeles",
        other => other,
    };
    TimeZone::get(iana).ok()
}

/// `+01`, `+0100`, `+01:00`, `-5`: a fixed offset.
fn fixed(text: &str) -> Option<TimeZone> {
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let digits: String = text.get(1..)?.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 4 {
        return None;
    }
    let (h, m) = if digits.len() <= 2 {
        (digits.parse::<i32>().ok()?, 0)
    } else {
        let split = digits.len() - 2;
        (
            digits.get(..split)?.parse::<i32>().ok()?,
            digits.get(split..)?.parse::<i32>().ok()?,
        )
    };
    if h > 18 || m > 59 {
        return None;
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60))
        .ok()
        .map(TimeZone::fixed)
}

/// `parse_time(pattern, millis[, zone])`: the moment formatted in the zone (default UTC).
pub(crate) fn parse_time(
    pattern: &Value<'_>,
    millis: &Value<'_>,
    zone_name: &Value<'_>,
) -> Value<'static> {
    format_millis(pattern, millis, zone_name).map_or(Value::Undefined, Value::string)
}

fn format_millis(pattern: &Value<'_>, millis: &Value<'_>, zone_name: &Value<'_>) -> Option<String> {
    let items = time_pattern::compile(&pattern.to_str()?)?;
    let ms = millis.to_int_floor()?;
    let (tz, zone_id) = match zone_name {
        Value::Undefined => (TimeZone::UTC, "UTC".to_owned()),
        other => {
            let name = other.to_str()?;
            (zone(&name)?, name.trim().to_owned())
        }
    };
    let ts = Timestamp::from_millisecond(ms).ok()?;
    let info = tz.to_offset_info(ts);
    let offset = info.offset();
    let abbreviation = info.abbreviation().to_owned();
    let dt = offset.to_datetime(ts);
    let fields = Fields {
        year: i32::from(dt.year()),
        month: u32::try_from(dt.month()).ok()?,
        day: u32::try_from(dt.day()).ok()?,
        day_of_year: u32::try_from(dt.day_of_year()).ok()?,
        weekday: u32::try_from(dt.weekday().to_monday_one_offset()).ok()?,
        hour: u32::try_from(dt.hour()).ok()?,
        minute: u32::try_from(dt.minute()).ok()?,
        second: u32::try_from(dt.second()).ok()?,
        nanos: u32::try_from(dt.subsec_nanosecond()).ok()?,
        offset_seconds: offset.seconds(),
        abbreviation,
        zone_id: tz.iana_name().map_or(zone_id, str::to_owned),
    };
    Some(time_pattern::format(&items, &fields))
}

/// `time_to_epoch(text, pattern)`: milliseconds since the epoch; UTC unless the text names
/// a zone or offset.
pub(crate) fn time_to_epoch(text: &Value<'_>, pattern: &Value<'_>) -> Value<'static> {
    epoch_millis(text, pattern).map_or(Value::Undefined, Value::Int)
}

fn epoch_millis(text: &Value<'_>, pattern: &Value<'_>) -> Option<i64> {
    let items = time_pattern::compile(&pattern.to_str()?)?;
    let p = time_pattern::parse(&items, &text.to_str()?)?;
    let mut year = p.year.unwrap_or(1970);
    if p.bc {
        year = 1 - year;
    }
    let hour = match (p.hour, p.hour12, p.pm) {
        (Some(h), _, _) => h,
        (None, Some(h), Some(true)) => h + 12,
        (None, Some(h), _) => h,
        (None, None, Some(true)) => 12,
        (None, None, _) => 0,
    };
    let small = |v: u32| i8::try_from(v).ok();
    let dt = DateTime::new(
        i16::try_from(year).ok()?,
        small(p.month.unwrap_or(1))?,
        small(p.day.unwrap_or(1))?,
        small(hour)?,
        small(p.minute.unwrap_or(0))?,
        small(p.second.unwrap_or(0))?,
        i32::try_from(p.nanos.unwrap_or(0)).ok()?,
    )
    .ok()?;
    let tz = match (&p.zone, p.offset) {
        (Some(name), _) => zone(name)?,
        (None, Some(secs)) => TimeZone::fixed(Offset::from_seconds(secs).ok()?),
        (None, None) => TimeZone::UTC,
    };
    let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
    Some(ts.as_millisecond())
}
