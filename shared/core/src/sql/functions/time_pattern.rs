//! Date-time patterns in the letters of Joda-Time and `java.time` (`yyyy-MM-dd HH:mm:ss.SSS
//! z`), which `parse_time` formats with and `time_to_epoch` parses with.
//!
//! Letters: `G` era, `y`/`u`/`Y` year (`yy` two digits), `M`/`L` month (`MMM` Jan, `MMMM`
//! January), `d` day, `D` day of year, `E` weekday (`EEE` Mon, `EEEE` Monday), `e` ISO weekday
//! number, `a` AM/PM, `H` `k` `K` `h` hours, `m`, `s`, `S` fraction, `z` zone abbreviation
//! (`zzzz`: zone id), `Z` offset (`+0100`; `ZZ` `+01:00`; `ZZZ` zone id), `X`/`x` ISO offsets,
//! `V` zone id. Text in `'...'` is literal, `''` is a quote. Other letters are refused (the
//! function is then Undefined), as Java refuses them.

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// A pattern letter and how many times it repeats.
    Field(char, usize),
    /// Text to copy (formatting) or to match (parsing).
    Lit(String),
}

const LETTERS: &str = "GyuYMLdDEeaHkKhmsSzZXxV";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Splits a pattern into items; `None` for an unknown letter or an unclosed quote.
pub(crate) fn compile(pattern: &str) -> Option<Vec<Item>> {
    let mut items = Vec::new();
    let mut lit = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                lit.push('\'');
                continue;
            }
            loop {
                match chars.next()? {
                    '\'' if chars.peek() == Some(&'\'') => {
                        chars.next();
                        lit.push('\'');
                    }
                    '\'' => break,
                    other => lit.push(other),
                }
            }
        } else if c.is_ascii_alphabetic() {
            if !LETTERS.contains(c) {
                return None;
            }
            if !lit.is_empty() {
                items.push(Item::Lit(std::mem::take(&mut lit)));
            }
            let mut n = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                n += 1;
            }
            items.push(Item::Field(c, n));
        } else {
            lit.push(c);
        }
    }
    if !lit.is_empty() {
        items.push(Item::Lit(lit));
    }
    Some(items)
}

/// The fields of a moment in a zone, ready to format.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub(crate) year: i32,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) day_of_year: u32,
    /// 1 = Monday ... 7 = Sunday.
    pub(crate) weekday: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
    pub(crate) nanos: u32,
    pub(crate) offset_seconds: i32,
    pub(crate) abbreviation: String,
    pub(crate) zone_id: String,
}

fn pad(out: &mut String, n: i64, width: usize) {
    if n < 0 {
        out.push('-');
    }
    out.push_str(&format!("{:0width$}", n.unsigned_abs(), width = width));
}

fn offset_text(out: &mut String, secs: i32, colon: bool, zulu: bool, short: bool) {
    if secs == 0 && zulu {
        out.push('Z');
        return;
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    let (h, m) = (abs / 3600, abs % 3600 / 60);
    out.push(sign);
    out.push_str(&format!("{h:02}"));
    if short && m == 0 {
        return;
    }
    if colon {
        out.push(':');
    }
    out.push_str(&format!("{m:02}"));
}

/// Formats `f` with `items`.
pub(crate) fn format(items: &[Item], f: &Fields) -> String {
    let mut out = String::new();
    for item in items {
        let (c, n) = match item {
            Item::Lit(s) => {
                out.push_str(s);
                continue;
            }
            Item::Field(c, n) => (*c, *n),
        };
        match c {
            'G' if n >= 4 => out.push_str(if f.year > 0 {
                "Anno Domini"
            } else {
                "Before Christ"
            }),
            'G' => out.push_str(if f.year > 0 { "AD" } else { "BC" }),
            'y' | 'u' | 'Y' => {
                let year = if c == 'u' || f.year > 0 {
                    f.year
                } else {
                    1 - f.year
                };
                if n == 2 {
                    pad(&mut out, i64::from(year.rem_euclid(100)), 2);
                } else {
                    pad(&mut out, i64::from(year), n);
                }
            }
            'M' | 'L' => match n {
                1 | 2 => pad(&mut out, i64::from(f.month), n),
                _ => {
                    let name = MONTHS
                        .get(f.month.saturating_sub(1) as usize)
                        .copied()
                        .unwrap_or("");
                    out.push_str(if n == 3 {
                        name.get(..3).unwrap_or(name)
                    } else {
                        name
                    });
                }
            },
            'd' => pad(&mut out, i64::from(f.day), n),
            'D' => pad(&mut out, i64::from(f.day_of_year), n),
            'E' => {
                let name = DAYS
                    .get(f.weekday.saturating_sub(1) as usize)
                    .copied()
                    .unwrap_or("");
                out.push_str(if n >= 4 {
                    name
                } else {
                    name.get(..3).unwrap_or(name)
                });
            }
            'e' => pad(&mut out, i64::from(f.weekday), n),
            'a' => out.push_str(if f.hour < 12 { "AM" } else { "PM" }),
            'H' => pad(&mut out, i64::from(f.hour), n),
            'k' => pad(
                &mut out,
                i64::from(if f.hour == 0 { 24 } else { f.hour }),
                n,
            ),
            'K' => pad(&mut out, i64::from(f.hour % 12), n),
            'h' => pad(
                &mut out,
                i64::from(if f.hour % 12 == 0 { 12 } else { f.hour % 12 }),
                n,
            ),
            'm' => pad(&mut out, i64::from(f.minute), n),
            's' => pad(&mut out, i64::from(f.second), n),
            'S' => {
                let digits = format!("{:09}", f.nanos);
                out.push_str(digits.get(..n.min(9)).unwrap_or(&digits));
                out.extend(std::iter::repeat_n('0', n.saturating_sub(9)));
            }
            'z' if n >= 4 => out.push_str(&f.zone_id),
            'z' => out.push_str(&f.abbreviation),
            'Z' if n >= 3 => out.push_str(&f.zone_id),
            'Z' => offset_text(&mut out, f.offset_seconds, n == 2, false, false),
            'X' => offset_text(&mut out, f.offset_seconds, n >= 3, true, n == 1),
            'x' => offset_text(&mut out, f.offset_seconds, n >= 3, false, n == 1),
            'V' => out.push_str(&f.zone_id),
            _ => {}
        }
    }
    out
}

/// What parsing a text found; absent fields take their defaults (1970-01-01, midnight, UTC).
#[derive(Debug, Clone, Default)]
pub(crate) struct Parsed {
    pub(crate) year: Option<i32>,
    pub(crate) month: Option<u32>,
    pub(crate) day: Option<u32>,
    pub(crate) hour: Option<u32>,
    pub(crate) hour12: Option<u32>,
    pub(crate) pm: Option<bool>,
    pub(crate) minute: Option<u32>,
    pub(crate) second: Option<u32>,
    pub(crate) nanos: Option<u32>,
    pub(crate) bc: bool,
    /// A fixed offset in seconds (`Z`, `X`, `x`).
    pub(crate) offset: Option<i32>,
    /// A zone id or abbreviation (`z`, `V`).
    pub(crate) zone: Option<String>,
}

fn is_numeric(item: Option<&Item>) -> bool {
    matches!(item, Some(Item::Field(c, n)) if "yuYdDHkKhmsSe".contains(*c) || ("ML".contains(*c) && *n <= 2))
}

fn take_digits(text: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let len = text
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if len < min || len == 0 {
        return None;
    }
    let (digits, rest) = text.split_at(len);
    Some((digits.parse().ok()?, rest))
}

fn take_name<'t>(text: &'t str, names: &[&str]) -> Option<(usize, &'t str)> {
    // Full names first, so "May" and "March" are not cut short by their abbreviations.
    for full in [true, false] {
        for (i, name) in names.iter().enumerate() {
            let name = if full {
                *name
            } else {
                name.get(..3).unwrap_or(name)
            };
            if let Some(head) = text.get(..name.len()) {
                if head.eq_ignore_ascii_case(name) {
                    return Some((i, text.get(name.len()..).unwrap_or_default()));
                }
            }
        }
    }
    None
}

fn take_offset(text: &str, zulu: bool) -> Option<(i32, &str)> {
    if zulu {
        if let Some(rest) = text.strip_prefix('Z') {
            return Some((0, rest));
        }
    }
    let sign = match text.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let rest = text.get(1..)?;
    let (h, mut rest) = take_digits(rest, 2, 2)?;
    let mut m = 0;
    let after_colon = rest.strip_prefix(':').unwrap_or(rest);
    if let Some((mm, r)) = take_digits(after_colon, 2, 2) {
        m = mm;
        rest = r;
    }
    if h > 18 || m > 59 {
        return None;
    }
    Some((sign * (h * 3600 + m * 60) as i32, rest))
}

/// Parses `text` against `items`; `None` when it does not match or text is left over.
pub(crate) fn parse(items: &[Item], text: &str) -> Option<Parsed> {
    let mut p = Parsed::default();
    let mut rest = text;
    for (i, item) in items.iter().enumerate() {
        let (c, n) = match item {
            Item::Lit(s) => {
                rest = rest.strip_prefix(s.as_str())?;
                continue;
            }
            Item::Field(c, n) => (*c, *n),
        };
        // Adjacent numeric fields ("yyyyMMdd") take exactly their width.
        let fixed = is_numeric(items.get(i + 1));
        let width = |default_max: usize| {
            if fixed {
                (n, n)
            } else {
                (1, default_max.max(n))
            }
        };
        match c {
            'y' | 'u' | 'Y' if n == 2 => {
                let (v, r) = take_digits(rest, 2, 2)?;
                p.year = Some(2000 + v as i32);
                rest = r;
            }
            'y' | 'u' | 'Y' | 'M' | 'L' | 'd' | 'D' | 'e' | 'H' | 'k' | 'K' | 'h' | 'm' | 's'
                if !("ML".contains(c) && n >= 3) =>
            {
                let (min, max) = width(if c == 'y' || c == 'u' || c == 'Y' {
                    9
                } else {
                    2
                });
                let (v, r) = take_digits(rest, min, max)?;
                rest = r;
                match c {
                    'y' | 'u' | 'Y' => p.year = Some(i32::try_from(v).ok()?),
                    'M' | 'L' => p.month = Some(v),
                    'd' => p.day = Some(v),
                    'H' => p.hour = Some(v),
                    'k' => p.hour = Some(if v == 24 { 0 } else { v }),
                    'K' => p.hour12 = Some(v),
                    'h' => p.hour12 = Some(if v == 12 { 0 } else { v }),
                    'm' => p.minute = Some(v),
                    's' => p.second = Some(v),
                    _ => {}
                }
            }
            'M' | 'L' => {
                let (m, r) = take_name(rest, &MONTHS)?;
                p.month = Some(m as u32 + 1);
                rest = r;
            }
            'E' => rest = take_name(rest, &DAYS)?.1,
            'a' => {
                let head = rest.get(..2)?;
                p.pm = Some(if head.eq_ignore_ascii_case("PM") {
                    true
                } else if head.eq_ignore_ascii_case("AM") {
                    false
                } else {
                    return None;
                });
                rest = rest.get(2..)?;
            }
            'G' => {
                let head = rest.get(..2)?;
                p.bc = head.eq_ignore_ascii_case("BC");
                if !p.bc && !head.eq_ignore_ascii_case("AD") {
                    return None;
                }
                rest = rest.get(2..)?;
            }
            'S' => {
                let (min, max) = if fixed { (n, n) } else { (1, 9) };
                let len = rest
                    .bytes()
                    .take(max)
                    .take_while(u8::is_ascii_digit)
                    .count();
                if len < min {
                    return None;
                }
                let (digits, r) = rest.split_at(len);
                let padded = format!("{digits:0<9}");
                p.nanos = Some(padded.get(..9)?.parse().ok()?);
                rest = r;
            }
            'Z' | 'X' | 'x' if !(c == 'Z' && n >= 3) => {
                let (off, r) = take_offset(rest, c != 'x')?;
                p.offset = Some(off);
                rest = r;
            }
            _ => {
                // z, V, ZZZ: a zone id, abbreviation or "UTC+01:00".
                let len = rest
                    .char_indices()
                    .find(|(_, ch)| !(ch.is_ascii_alphanumeric() || "/_+-:".contains(*ch)))
                    .map_or(rest.len(), |(at, _)| at);
                if len == 0 {
                    return None;
                }
                let (zone, r) = rest.split_at(len);
                p.zone = Some(zone.to_owned());
                rest = r;
            }
        }
    }
    rest.is_empty().then_some(p)
}
