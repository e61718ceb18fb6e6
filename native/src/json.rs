//! The little JSON this client needs, written by hand (standard library only).
//!
//! Encoding matches `JSON.stringify` for the values the client sends (strings, booleans,
//! integers, finite numbers, arrays, objects in insertion order). Parsing is strict RFC 8259:
//! anything malformed, a lone surrogate, nesting deeper than `MAX_DEPTH` or trailing bytes is an
//! error, and the caller then hands the command to the Node client.

use std::fmt::Write as _;

const MAX_DEPTH: usize = 64;

/// A parsed JSON value. Objects keep their members in order; a repeated key keeps the last value
/// (as `JSON.parse` does) when read with `get`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Append `s` as a JSON string literal, escaped exactly as `JSON.stringify` does.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds a JSON object member by member, in order.
pub struct Obj {
    buf: String,
    first: bool,
}

impl Obj {
    pub fn new() -> Obj {
        Obj {
            buf: String::from("{"),
            first: true,
        }
    }
    fn key(&mut self, k: &str) {
        if !self.first {
            self.buf.push(',');
        }
        self.first = false;
        write_str(&mut self.buf, k);
        self.buf.push(':');
    }
    pub fn str(&mut self, k: &str, v: &str) -> &mut Obj {
        self.key(k);
        write_str(&mut self.buf, v);
        self
    }
    pub fn opt_str(&mut self, k: &str, v: Option<&str>) -> &mut Obj {
        if let Some(v) = v {
            self.str(k, v);
        }
        self
    }
    pub fn int(&mut self, k: &str, v: i64) -> &mut Obj {
        self.key(k);
        let _ = write!(self.buf, "{}", v);
        self
    }
    /// A finite, non-negative number (a duration); printed in plain decimal notation.
    pub fn num(&mut self, k: &str, v: f64) -> &mut Obj {
        self.key(k);
        let v = if v.is_finite() && v >= 0.0 { v } else { 0.0 };
        let _ = write!(self.buf, "{}", v);
        self
    }
    pub fn bool(&mut self, k: &str, v: bool) -> &mut Obj {
        self.key(k);
        self.buf.push_str(if v { "true" } else { "false" });
        self
    }
    pub fn null(&mut self, k: &str) -> &mut Obj {
        self.key(k);
        self.buf.push_str("null");
        self
    }
    /// A member whose value is already encoded JSON.
    pub fn raw(&mut self, k: &str, json: &str) -> &mut Obj {
        self.key(k);
        self.buf.push_str(json);
        self
    }
    pub fn str_array(&mut self, k: &str, items: &[String]) -> &mut Obj {
        self.key(k);
        self.buf.push('[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            write_str(&mut self.buf, s);
        }
        self.buf.push(']');
        self
    }
    pub fn finish(&mut self) -> String {
        let mut s = std::mem::take(&mut self.buf);
        s.push('}');
        s
    }
}

/// Parse one complete JSON text.
pub fn parse(text: &[u8]) -> Result<Value, String> {
    parse_js(text, MAX_DEPTH).map_err(|e| match e {
        JsError::Invalid(m) | JsError::Unsupported(m) => m,
    })
}

/// Why a text did not parse: `Invalid` where `JSON.parse` would throw too; `Unsupported` where
/// `JSON.parse` may accept it (nesting deeper than the bound, a lone surrogate a Rust string cannot
/// hold), so a caller that must agree with JavaScript has to let JavaScript decide.
#[derive(Debug, PartialEq)]
pub enum JsError {
    Invalid(String),
    Unsupported(String),
}

/// Parse one complete JSON text, nesting at most `max_depth` deep.
pub fn parse_js(text: &[u8], max_depth: usize) -> Result<Value, JsError> {
    parse_with(text, max_depth, false)
}

/// Parse one complete JSON text, a lone surrogate escape read as U+FFFD: what a JavaScript
/// string holding it becomes when written out as UTF-8 (for text that is only ever printed).
pub fn parse_lossy(text: &[u8]) -> Result<Value, JsError> {
    parse_with(text, MAX_DEPTH, true)
}

fn parse_with(text: &[u8], max_depth: usize, lossy: bool) -> Result<Value, JsError> {
    let mut p = Parser {
        b: text,
        i: 0,
        max_depth,
        unsupported: false,
        lossy,
    };
    let r = (|| {
        p.ws();
        let v = p.value(0)?;
        p.ws();
        if p.i != p.b.len() {
            return Err(format!("trailing bytes at {}", p.i));
        }
        Ok(v)
    })();
    match r {
        Ok(v) => Ok(v),
        Err(m) if p.unsupported => Err(JsError::Unsupported(m)),
        Err(m) => Err(JsError::Invalid(m)),
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    max_depth: usize,
    /// Set when the error is one JavaScript would not make (see JsError::Unsupported).
    unsupported: bool,
    /// Read a lone surrogate as U+FFFD instead of refusing it.
    lossy: bool,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn lit(&mut self, word: &str, v: Value) -> Result<Value, String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(format!("bad literal at {}", self.i))
        }
    }
    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > self.max_depth {
            self.unsupported = true;
            return Err("nested too deeply".into());
        }
        match self.peek() {
            None => Err("unexpected end".into()),
            Some(b'n') => self.lit("null", Value::Null),
            Some(b't') => self.lit("true", Value::Bool(true)),
            Some(b'f') => self.lit("false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::Str),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::Array(items));
                        }
                        _ => return Err(format!("expected , or ] at {}", self.i)),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Value::Object(members));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(format!("expected a key at {}", self.i));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(format!("expected : at {}", self.i));
                    }
                    self.i += 1;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    members.push((k, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::Object(members));
                        }
                        _ => return Err(format!("expected , or }} at {}", self.i)),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(c) => Err(format!("unexpected byte {} at {}", c, self.i)),
        }
    }
    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }
    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(format!("bad number at {}", start)),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(format!("bad fraction at {}", start));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(format!("bad exponent at {}", start));
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| "bad number")?;
        text.parse::<f64>()
            .map(Value::Number)
            .map_err(|_| format!("bad number at {}", start))
    }
    fn hex4(&mut self) -> Result<u32, String> {
        if self.i + 4 > self.b.len() {
            return Err("short \\u escape".into());
        }
        let mut v = 0u32;
        for _ in 0..4 {
            let d = (self.b[self.i] as char)
                .to_digit(16)
                .ok_or("bad \\u escape")?;
            v = v * 16 + d;
            self.i += 1;
        }
        Ok(v)
    }
    /// After the escape of surrogate `hi`: the pair's code point when a low surrogate escape
    /// follows (consumed), else U+FFFD (nothing more consumed).
    fn pair_or_replacement(&mut self, hi: u32) -> u32 {
        if hi < 0xDC00 && self.b[self.i..].starts_with(b"\\u") {
            let at = self.i;
            self.i += 2;
            match self.hex4() {
                Ok(lo) if (0xDC00..0xE000).contains(&lo) => {
                    return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                }
                _ => self.i = at,
            }
        }
        0xFFFD
    }
    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            let chunk = std::str::from_utf8(&self.b[start..self.i])
                .map_err(|_| "invalid UTF-8 in a string")?;
            out.push_str(chunk);
            match self.peek() {
                None => return Err("unterminated string".into()),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let e = self.peek().ok_or("unterminated escape")?;
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if self.lossy && (0xD800..0xE000).contains(&hi) {
                                self.pair_or_replacement(hi)
                            } else if (0xD800..0xDC00).contains(&hi) {
                                if !self.b[self.i..].starts_with(b"\\u") {
                                    self.unsupported = true;
                                    return Err("lone surrogate".into());
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    self.unsupported = true;
                                    return Err("lone surrogate".into());
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                self.unsupported = true;
                                return Err("lone surrogate".into());
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).ok_or("bad code point")?);
                        }
                        _ => return Err("bad escape".into()),
                    }
                }
                Some(_) => return Err("control character in a string".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_json_stringify() {
        let mut s = String::new();
        write_str(
            &mut s,
            "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é\u{2028}😀",
        );
        assert_eq!(
            s,
            "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\u{7f}é\u{2028}😀\""
        );
    }

    #[test]
    fn builds_objects_in_order() {
        let j = Obj::new()
            .str("type", "exec")
            .str_array("argv", &["a".into(), "b c".into()])
            .bool("noWait", false)
            .int("id", 1)
            .null("signal")
            .num("durationMs", 1.5)
            .finish();
        assert_eq!(
            j,
            r#"{"type":"exec","argv":["a","b c"],"noWait":false,"id":1,"signal":null,"durationMs":1.5}"#
        );
        assert_eq!(Obj::new().finish(), "{}");
    }

    #[test]
    fn reads_lone_surrogates_as_replacement_when_lossy() {
        let v = parse_lossy(br#""\ud800a\udfff\ud83d\ude00\ud800\ud800\udc00\ud83d""#).unwrap();
        assert_eq!(v, Value::Str("\u{fffd}a\u{fffd}😀\u{fffd}𐀀\u{fffd}".into()));
        assert!(matches!(
            parse_js(br#""\ud800""#, 8),
            Err(JsError::Unsupported(_))
        ));
    }

    #[test]
    fn round_trips_what_it_writes() {
        let nasty = "x\"\\\u{0}\u{1b}\u{10ffff}";
        let mut s = String::new();
        write_str(&mut s, nasty);
        assert_eq!(parse(s.as_bytes()).unwrap(), Value::Str(nasty.into()));
    }

    #[test]
    fn parses_a_daemon_answer() {
        let v = parse(br#" {"re":1,"type":"result","data":{"outcome":"run","execId":"e1","requestId":"r\u00e9\ud83d\ude00","n":[1,-2.5e3,0,true,null]}} "#)
            .unwrap();
        assert_eq!(v.get("type").and_then(Value::as_str), Some("result"));
        assert_eq!(v.get("re"), Some(&Value::Number(1.0)));
        let d = v.get("data").unwrap();
        assert_eq!(d.get("requestId").and_then(Value::as_str), Some("ré😀"));
        assert_eq!(
            d.get("n"),
            Some(&Value::Array(vec![
                Value::Number(1.0),
                Value::Number(-2500.0),
                Value::Number(0.0),
                Value::Bool(true),
                Value::Null
            ]))
        );
    }

    #[test]
    fn last_duplicate_key_wins() {
        let v = parse(br#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(v.get("a"), Some(&Value::Number(2.0)));
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"a\":1,}",
            b"[1,]",
            b"01",
            b"1.",
            b"1e",
            b"-",
            b"+1",
            b"\"a",
            b"\"\\x\"",
            b"\"\\ud800\"",
            b"\"\\udc00\"",
            b"\"\\ud800\\u0041\"",
            b"\"a\nb\"",
            b"\"\xff\"",
            b"nul",
            b"truex",
            b"{} {}",
            b"{'a':1}",
            b"NaN",
            b"Infinity",
            b"[1 2]",
            b"{\"a\" 1}",
        ] {
            assert!(
                parse(bad).is_err(),
                "accepted {:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn bounds_nesting() {
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(parse(deep.as_bytes()).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
    }
}
