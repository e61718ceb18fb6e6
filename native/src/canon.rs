//! Is a JSON text exactly what `JSON.stringify(JSON.parse(text))` gives back? Then its bytes can be
//! passed on as they are where the Node client re-serialises the parsed value (`guard requests
//! --json`). The daemon writes every frame with `JSON.stringify`, so a real daemon's answers are;
//! anything else (whitespace, another escape, a number JavaScript writes differently, a repeated
//! key, array-index keys out of JavaScript's order, nesting deeper than this client reads) is not,
//! and the caller lets the Node client decide.

const MAX_DEPTH: usize = 64;

/// Where a value sits on the way to the listed requests (`data.requests[i]` of the answer).
#[derive(Clone, Copy, PartialEq)]
enum At {
    Top,
    Data,
    Requests,
    Other,
}

/// For a canonical answer frame: the byte ranges of the elements of `data.requests` (an empty list
/// when there is no such array); None when the frame is not canonical.
pub fn request_spans(b: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut s = Scan {
        b,
        i: 0,
        spans: Vec::new(),
    };
    s.value(0, At::Top)?;
    (s.i == b.len()).then_some(s.spans)
}

/// How JavaScript writes a finite number (`String(x)`): "0" for zero, plain decimals from 1e-6 to
/// below 1e21, else the exponent form with its sign (`1e+21`, `1.5e-7`); the digits are the
/// shortest that read back as `x`, which Rust's formatting also gives. None for NaN and infinities.
pub fn js_number(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    if x == 0.0 {
        return Some("0".into());
    }
    if (1e-6..1e21).contains(&x.abs()) {
        return Some(format!("{}", x));
    }
    let e = format!("{:e}", x);
    Some(match e.find("e-") {
        Some(_) => e,
        None => e.replacen('e', "e+", 1),
    })
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    spans: Vec<(usize, usize)>,
}

/// "0" or a number without leading zero below 2^32 - 1: a key JavaScript orders first, ascending.
fn array_index(key: &[u8]) -> Option<u64> {
    let digits = key.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    (n < 4_294_967_295).then_some(n)
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }
    fn value(&mut self, depth: usize, at: At) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string(),
            b'{' => self.object(depth, at),
            b'[' => self.array(depth, at),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }
    fn word(&mut self, w: &[u8]) -> Option<()> {
        self.b[self.i..].starts_with(w).then(|| self.i += w.len())
    }
    fn object(&mut self, depth: usize, at: At) -> Option<()> {
        self.i += 1;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut keys: Vec<&[u8]> = Vec::new();
        let mut last_index: Option<u64> = None;
        let mut named = false;
        loop {
            let start = self.i;
            if self.peek()? != b'"' {
                return None;
            }
            self.string()?;
            let key = &self.b[start..self.i];
            if keys.contains(&key) {
                return None;
            }
            match array_index(key) {
                Some(n) if named || last_index.is_some_and(|l| l >= n) => return None,
                Some(n) => last_index = Some(n),
                None => named = true,
            }
            keys.push(key);
            self.eat(b':')?;
            let child = match (at, key) {
                (At::Top, b"\"data\"") => At::Data,
                (At::Data, b"\"requests\"") => At::Requests,
                _ => At::Other,
            };
            self.value(depth + 1, child)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
    fn array(&mut self, depth: usize, at: At) -> Option<()> {
        self.i += 1;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            let start = self.i;
            self.value(depth + 1, At::Other)?;
            if at == At::Requests {
                self.spans.push((start, self.i));
            }
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
    fn number(&mut self) -> Option<()> {
        let start = self.i;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).ok()?;
        // a JSON number that `JSON.parse` reads and `JSON.stringify` writes back unchanged
        let grammar = crate::json::parse(text.as_bytes()).ok()?;
        let crate::json::Value::Number(x) = grammar else {
            return None;
        };
        (js_number(x)? == text).then_some(())
    }
    fn hex4(&mut self) -> Option<u32> {
        let h = self.b.get(self.i..self.i + 4)?;
        // JSON.stringify writes lowercase hex digits
        if !h.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }
    fn string(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            let run = self.i;
            while matches!(self.peek(), Some(c) if c != b'"' && c != b'\\' && c >= 0x20) {
                self.i += 1;
            }
            std::str::from_utf8(&self.b[run..self.i]).ok()?;
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    self.i += 1;
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => match self.hex4()? {
                            // the control characters without a short escape
                            0x0..=0x7 | 0xb | 0xe..=0x1f => {}
                            // a lone high surrogate (a pair is written as the character itself)
                            0xd800..=0xdbff => {
                                let next = self.b.get(self.i..self.i + 4);
                                if next.is_some_and(|n| {
                                    n.starts_with(b"\\ud") && matches!(n[3], b'c'..=b'f')
                                }) {
                                    return None;
                                }
                            }
                            // a low surrogate is lone here: a high one before it was refused above
                            0xdc00..=0xdfff => {}
                            _ => return None,
                        },
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_listed_requests_of_a_canonical_answer() {
        let f = br#"{"re":1,"type":"result","data":{"requests":[{"a":1},{"b":["x"]}],"next":"c"}}"#;
        let spans = request_spans(f).unwrap();
        let got: Vec<&[u8]> = spans.iter().map(|&(a, b)| &f[a..b]).collect();
        assert_eq!(got, vec![&br#"{"a":1}"#[..], &br#"{"b":["x"]}"#[..]]);
        assert_eq!(
            request_spans(br#"{"re":1,"data":{"x":[1]}}"#).unwrap(),
            vec![]
        );
    }

    #[test]
    fn accepts_what_json_stringify_writes() {
        for ok in [
            r#"{"s":"\"\\\b\f\n\r\t\u0000\u001f\u007f é\u2028😀\ud800x\udfff"}"#,
            r#"{"0":1,"2":2,"10":3,"a":-1.5,"b":0.000001,"c":123456789012345680000,"d":[true,false,null],"e":1e+21,"f":1e-7}"#,
            r#"{"__proto__":{}}"#,
        ] {
            let ok = ok
                .replace("\\u007f", "\u{7f}")
                .replace("\\u2028", "\u{2028}");
            assert!(request_spans(ok.as_bytes()).is_some(), "{}", ok);
        }
    }

    #[test]
    fn refuses_what_it_does_not_write() {
        for bad in [
            r#"{ "a":1}"#,
            r#"{"a":1} "#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":"\ud83d\ude00"}"#,
            r#"{"a":"\u2028"}"#,
            r#"{"a":1.0}"#,
            r#"{"a":-0}"#,
            r#"{"a":1e3}"#,
            r#"{"a":1e21}"#,
            r#"{"a":1E+21}"#,
            r#"{"a":0.0000001}"#,
            r#"{"a":01}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"b":1,"0":2}"#,
            r#"{"2":1,"1":2}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x"#,
        ] {
            assert!(request_spans(bad.as_bytes()).is_none(), "{}", bad);
        }
        assert!(request_spans(b"{\"a\":\"\xff\"}").is_none());
        let deep = format!("{}{}", "[".repeat(70), "]".repeat(70));
        assert!(request_spans(deep.as_bytes()).is_none());
    }

    #[test]
    fn writes_numbers_as_javascript_does() {
        assert_eq!(js_number(-0.0).as_deref(), Some("0"));
        assert_eq!(js_number(2.0).as_deref(), Some("2"));
        assert_eq!(js_number(0.1 + 0.2).as_deref(), Some("0.30000000000000004"));
        assert_eq!(js_number(1e20).as_deref(), Some("100000000000000000000"));
        assert_eq!(js_number(1e21).as_deref(), Some("1e+21"));
        assert_eq!(js_number(-1.5e300).as_deref(), Some("-1.5e+300"));
        assert_eq!(js_number(1e-7).as_deref(), Some("1e-7"));
        assert_eq!(js_number(1.25e-7).as_deref(), Some("1.25e-7"));
        assert_eq!(js_number(5e-324).as_deref(), Some("5e-324"));
        assert_eq!(js_number(f64::NAN), None);
    }
}
