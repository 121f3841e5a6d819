//! Turns SQL text into tokens, each with the byte span it came from, so that every parse
//! error can name a line and a column.
//!
//! Strings are quoted with `'` or `"` (AWS's examples use both); inside them a backslash
//! escapes as in JSON (`\n`, `\"`, `\u00e9`, ...) and a doubled quote stands for itself.
//! Identifiers are `[A-Za-z_][A-Za-z0-9_]*`; keys with other characters need `get()` ("JSON
//! extensions"). Keywords are identifiers compared without regard to case.

use super::error::ParseError;

/// A token's kind and payload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A name or keyword; its text is the token's span.
    Ident,
    /// `@name`; its name is the span without the `@`.
    Var,
    /// A quoted string, unescaped.
    Str(String),
    /// A whole number that fits 64 bits.
    Int(i64),
    /// A number with a fraction or exponent (or too large for 64 bits).
    Dec(f64),
    Star,
    Comma,
    Dot,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Colon,
    Plus,
    Minus,
    Slash,
    Percent,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// The end of the input.
    Eof,
}

/// A token and the bytes `start..end` of the source it spans.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits the bytes `start..end` of `src` into tokens; spans and errors refer to all of `src`.
pub(crate) fn tokenize_range(
    src: &str,
    start: usize,
    end: usize,
) -> Result<Vec<Token>, ParseError> {
    let end = end.min(src.len());
    let mut lx = Lexer {
        src,
        pos: start.min(end),
        end,
    };
    let mut out = Vec::new();
    loop {
        let t = lx.next()?;
        let done = t.tok == Tok::Eof;
        out.push(t);
        if done {
            return Ok(out);
        }
    }
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    end: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..self.end).unwrap_or_default()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn err(&self, at: usize, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.src, at, msg)
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
        let start = self.pos;
        let Some(c) = self.bump() else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
        };
        let tok = match c {
            '*' => Tok::Star,
            ',' => Tok::Comma,
            '.' => Tok::Dot,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            '{' => Tok::LBrace,
            '}' => Tok::RBrace,
            ':' => Tok::Colon,
            '+' => Tok::Plus,
            '-' => Tok::Minus,
            '/' => Tok::Slash,
            '%' => Tok::Percent,
            '=' => Tok::Eq,
            '<' => match self.peek() {
                Some('>') => {
                    self.bump();
                    Tok::Ne
                }
                Some('=') => {
                    self.bump();
                    Tok::Le
                }
                _ => Tok::Lt,
            },
            '>' => {
                if self.peek() == Some('=') {
                    self.bump();
                    Tok::Ge
                } else {
                    Tok::Gt
                }
            }
            '!' if self.peek() == Some('=') => {
                self.bump();
                Tok::Ne
            }
            '|' if self.peek() == Some('|') => {
                return Err(self.err(
                    start,
                    "`||` is not an AWS IoT SQL operator; concatenate with concat(a, b) or a + b",
                ));
            }
            '`' => {
                return Err(self.err(
                    start,
                    "backquoted names are not part of AWS IoT SQL; read such keys with get(object, 'key')",
                ));
            }
            '\'' | '"' => self.string(c, start)?,
            '@' => {
                if !self.peek().is_some_and(is_ident_start) {
                    return Err(self.err(start, "expected a variable name after `@`"));
                }
                while self.peek().is_some_and(is_ident_char) {
                    self.bump();
                }
                Tok::Var
            }
            c if c.is_ascii_digit() => self.number(start)?,
            c if is_ident_start(c) => {
                while self.peek().is_some_and(is_ident_char) {
                    self.bump();
                }
                Tok::Ident
            }
            c => return Err(self.err(start, format!("unexpected character {c:?}"))),
        };
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }

    fn number(&mut self, start: usize) -> Result<Tok, ParseError> {
        let mut is_dec = false;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        if self.peek() == Some('.') && self.peek2().is_some_and(|c| c.is_ascii_digit()) {
            is_dec = true;
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let sign = matches!(self.peek2(), Some('+' | '-'));
            let after = self.rest().chars().nth(1 + usize::from(sign));
            if after.is_some_and(|c| c.is_ascii_digit()) {
                is_dec = true;
                self.bump();
                if sign {
                    self.bump();
                }
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.bump();
                }
            }
        }
        if self.peek().is_some_and(is_ident_char) {
            return Err(self.err(self.pos, "a number must not run into a name"));
        }
        let text = self.src.get(start..self.pos).unwrap_or_default();
        if !is_dec {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Tok::Int(i));
            }
        }
        match text.parse::<f64>() {
            Ok(d) if d.is_finite() => Ok(Tok::Dec(d)),
            _ => Err(self.err(start, format!("number {text} is out of range"))),
        }
    }

    fn string(&mut self, quote: char, start: usize) -> Result<Tok, ParseError> {
        let mut out = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => return Err(self.err(start, "unterminated string")),
                Some(c) if c == quote => {
                    if self.peek() == Some(quote) {
                        self.bump();
                        out.push(quote);
                    } else {
                        return Ok(Tok::Str(out));
                    }
                }
                Some('\\') => {
                    let c = self
                        .bump()
                        .ok_or_else(|| self.err(start, "unterminated string"))?;
                    match c {
                        '\\' | '\'' | '"' | '/' => out.push(c),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => out.push(self.unicode_escape(at)?),
                        other => {
                            return Err(self.err(at, format!("unknown escape \\{other} in string")))
                        }
                    }
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn hex4(&mut self, at: usize) -> Result<u32, ParseError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self
                .bump()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(|| self.err(at, "\\u must be followed by four hex digits"))?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn unicode_escape(&mut self, at: usize) -> Result<char, ParseError> {
        let hi = self.hex4(at)?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.rest().starts_with("\\u") {
                return Err(self.err(at, "a high surrogate must be followed by a low one"));
            }
            self.bump();
            self.bump();
            let lo = self.hex4(at)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err(at, "invalid low surrogate"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.err(at, "\\u escape is not a character"))
    }
}
