//! Wildcard matching as IAM defines it: `*` matches any run of characters (including none, and
//! including `/` and `:`), `?` exactly one character; everything else, MQTT's `+` and `#`
//! included, is literal. Actions compare ASCII-case-insensitively, resources and condition
//! values case-sensitively.
//!
//! Patterns are sequences of [`Piece`]s rather than strings, so that text substituted for a
//! policy variable stays literal even when it contains `*` or `?`.

/// One element of a wildcard pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Text that must appear as is.
    Lit(&'a str),
    /// `*`: any run of characters.
    AnyRun,
    /// `?`: exactly one character.
    AnyOne,
    /// Matches nothing at all (stands for a part that could not be resolved).
    Never,
}

/// Something that reads as a [`Piece`].
pub(crate) trait AsPiece {
    /// This element as a piece.
    fn piece(&self) -> Piece<'_>;
}

impl AsPiece for Piece<'_> {
    fn piece(&self) -> Piece<'_> {
        *self
    }
}

/// The length in bytes of the UTF-8 character that starts with `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

fn starts_with_at(text: &[u8], pos: usize, lit: &[u8], fold_case: bool) -> bool {
    let Some(window) = text.get(pos..pos + lit.len()) else {
        return false;
    };
    if fold_case {
        window.eq_ignore_ascii_case(lit)
    } else {
        window == lit
    }
}

/// Whether `text` matches `pattern` as a whole. With `fold_case`, ASCII letters compare
/// case-insensitively. Linear in practice (one backtracking point, the last `*`).
pub(crate) fn glob<P: AsPiece>(pattern: &[P], text: &str, fold_case: bool) -> bool {
    let text = text.as_bytes();
    let mut index = 0;
    let mut pos = 0;
    // Where to resume after the last `*`: the piece after it and the text position it had
    // swallowed up to.
    let mut resume: Option<(usize, usize)> = None;
    loop {
        let advanced = match pattern.get(index).map(AsPiece::piece) {
            Some(Piece::AnyRun) => {
                index += 1;
                resume = Some((index, pos));
                continue;
            }
            Some(Piece::AnyOne) => match text.get(pos) {
                Some(&lead) => {
                    pos = (pos + char_len(lead)).min(text.len());
                    true
                }
                None => false,
            },
            Some(Piece::Lit(lit)) => {
                let lit = lit.as_bytes();
                if starts_with_at(text, pos, lit, fold_case) {
                    pos += lit.len();
                    true
                } else {
                    false
                }
            }
            Some(Piece::Never) => false,
            None if pos == text.len() => return true,
            None => false,
        };
        if advanced {
            index += 1;
            continue;
        }
        // Mismatch: let the last `*` swallow one more character, or give up.
        match resume {
            Some((after_star, swallowed)) if swallowed < text.len() => {
                let next = (swallowed + char_len(text[swallowed])).min(text.len());
                resume = Some((after_star, next));
                index = after_star;
                pos = next;
            }
            _ => return false,
        }
    }
}

/// The six colon-separated components of an ARN (`arn`, partition, service, region, account,
/// resource); the resource keeps any further colons.
const ARN_COMPONENTS: usize = 6;

/// `ArnLike`/`ArnEquals`: each colon-separated component of the ARN is matched separately, so
/// a `*` does not run across a `:` in the first five. A pattern with fewer components matches
/// the rest of the ARN with its last one (so `*` and `arn:aws:iot:*` still match everything).
pub(crate) fn arn_like(pattern: &[Piece<'_>], arn: &str) -> bool {
    let segments = split_pattern(pattern);
    let mut rest = arn;
    let count = segments.len();
    for (i, segment) in segments.iter().enumerate() {
        if i + 1 == count {
            return glob(segment, rest, false);
        }
        let Some((component, tail)) = rest.split_once(':') else {
            return false;
        };
        if !glob(segment, component, false) {
            return false;
        }
        rest = tail;
    }
    false
}

/// Splits pattern pieces at the colons of their literal text, into at most
/// [`ARN_COMPONENTS`] segments.
fn split_pattern<'a>(pattern: &[Piece<'a>]) -> Vec<Vec<Piece<'a>>> {
    let mut segments = vec![Vec::new()];
    for piece in pattern {
        let Piece::Lit(mut text) = *piece else {
            if let Some(last) = segments.last_mut() {
                last.push(*piece);
            }
            continue;
        };
        while segments.len() < ARN_COMPONENTS {
            let Some((head, tail)) = text.split_once(':') else {
                break;
            };
            if let Some(last) = segments.last_mut() {
                if !head.is_empty() {
                    last.push(Piece::Lit(head));
                }
            }
            segments.push(Vec::new());
            text = tail;
        }
        if !text.is_empty() {
            if let Some(last) = segments.last_mut() {
                last.push(Piece::Lit(text));
            }
        }
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `pattern` (a policy string, `*` and `?` wildcards, nothing else special) matches
    /// `text`; for actions, which are ASCII and have no variables.
    fn glob_str(pattern: &str, text: &str, fold_case: bool) -> bool {
        let pieces = pieces_of(pattern);
        glob(&pieces, text, fold_case)
    }

    /// Splits a policy string into pieces, `*` and `?` being wildcards.
    fn pieces_of(pattern: &str) -> Vec<Piece<'_>> {
        let mut pieces = Vec::new();
        let mut start = 0;
        for (at, c) in pattern.char_indices() {
            let wildcard = match c {
                '*' => Piece::AnyRun,
                '?' => Piece::AnyOne,
                _ => continue,
            };
            if start < at {
                pieces.push(Piece::Lit(&pattern[start..at]));
            }
            pieces.push(wildcard);
            start = at + 1;
        }
        if start < pattern.len() {
            pieces.push(Piece::Lit(&pattern[start..]));
        }
        pieces
    }

    #[test]
    fn star_and_question_mark_follow_iam() {
        let cases = [
            ("*", "", true),
            ("*", "anything/at:all", true),
            ("a*", "a", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("?", "é", true),
            ("??", "é", false),
            ("*b*", "aaabaaa", true),
            ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("a/+/#", "a/+/#", true),
            ("a/+/#", "a/b/c", false),
            ("topic/*/x", "topic/a/b/x", true),
            ("", "", true),
            ("", "a", false),
            ("abc", "ab", false),
            ("ab", "abc", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                glob_str(pattern, text, false),
                expected,
                "{pattern} vs {text}"
            );
        }
    }

    #[test]
    fn folding_is_ascii_only_and_optional() {
        assert!(glob_str("iot:publish", "IOT:PUBLISH", true));
        assert!(glob_str("iot:*Shadow", "iot:getthingshadow", true));
        assert!(!glob_str("iot:publish", "iot:Publish", false));
    }

    #[test]
    fn arn_like_matches_component_by_component() {
        // The example of IAM's "Amazon Resource Name (ARN) condition operators".
        let pattern = pieces_of("arn:aws:someservice:*:111122223333:finance/*");
        let arn = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        assert!(!arn_like(&pattern, arn));
        assert!(glob(&pattern, arn, false), "StringLike matches it");
        let cases = [
            (
                "arn:aws:iot:*:*:topic/a/*",
                "arn:aws:iot:us-east-1:1:topic/a/b:c",
                true,
            ),
            (
                "arn:aws:iot:*:topic/a",
                "arn:aws:iot:us-east-1:1:topic/a",
                false,
            ),
            ("*", "arn:aws:iot:us-east-1:1:topic/a", true),
            ("arn:aws:iot:*", "arn:aws:iot:us-east-1:1:topic/a", true),
            ("arn:aws:iot:us-east-1:1:topic/a", "arn:aws:iot", false),
        ];
        for (pattern, arn, expected) in cases {
            assert_eq!(
                arn_like(&pieces_of(pattern), arn),
                expected,
                "{pattern} vs {arn}"
            );
        }
    }
}
