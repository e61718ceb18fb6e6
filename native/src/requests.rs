//! `guard requests [--json] [--all]` at native speed: the same `list` pages as the Node client
//! (src/cli/commands/requests.ts), the same bytes out. Anything it does not handle goes to the
//! Node client before anything was printed: another argument, a daemon that does not answer, an
//! error answer, an answer whose shape it does not fully check. Once text lines were printed a
//! failing later page cannot go there (the listing would start again): it ends as the Node client
//! ends then, with `guard: ...` on stderr and its exit code. `--json` prints only a complete
//! document, so it hands over whenever anything fails. See docs/decisions/0042.

use crate::canon;
use crate::json::{self, Obj, Value};
use crate::visible::push_shown;
use crate::{Env, Hand};
use std::io::Write;
use std::os::unix::net::UnixStream;

const FIRST_PAGE: i64 = 50;
const LIST_PAGE: i64 = 200;

/// REQUEST_PAGE of src/daemon/reply-shapes.ts, as JSON (test/e2e/native-requests.test.ts keeps
/// the two equal).
const PAGE_SHAPE: &str = include_str!("request-page-shape.json");

pub struct Opts {
    pub json: bool,
    pub all: bool,
}

/// parseRequestsArgs of src/cli/fast-requests.ts: `--json` and `--all`, any order, repeated.
pub fn parse_args(args: &[String]) -> Result<Opts, Hand> {
    if args.first().map(String::as_str) != Some("requests") {
        return Err(Hand("not a requests command"));
    }
    let mut o = Opts {
        json: false,
        all: false,
    };
    for a in &args[1..] {
        match a.as_str() {
            "--json" => o.json = true,
            "--all" => o.all = true,
            _ => return Err(Hand("an argument the native client does not take")),
        }
    }
    Ok(o)
}

/// What zod calls a value it did not expect (`received …`).
fn received(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(_)) => "boolean".into(),
        Some(Value::Number(n)) if n.is_nan() => "NaN".into(),
        Some(Value::Number(n)) if n.is_infinite() && *n > 0.0 => "Infinity".into(),
        Some(Value::Number(n)) if n.is_infinite() => "-Infinity".into(),
        Some(Value::Number(_)) => "number".into(),
        Some(Value::Str(_)) => "string".into(),
        Some(Value::Array(_)) => "array".into(),
        Some(Value::Object(_)) => "object".into(),
    }
}

/// `fits` of src/daemon/reply-shapes.ts, negated and saying where: the first place where `v` (None
/// where JavaScript reads `undefined`) does not fit `shape` and what zod says there (its first issue: the
/// schema's fields in order, depth first), e.g. `requests.1.votes: Invalid input: expected array,
/// received string`; None when it fits. `path` is where `v` is. A key repeated in a record is
/// checked every time it occurs (stricter than JavaScript, which keeps the last).
pub fn misfit(shape: &Value, v: Option<&Value>, path: &mut Vec<String>) -> Option<String> {
    let at = |path: &[String], msg: String| {
        Some(if path.is_empty() {
            msg
        } else {
            format!("{}: {}", path.join("."), msg)
        })
    };
    let expected =
        |what: &str| format!("Invalid input: expected {}, received {}", what, received(v));
    match shape {
        Value::Str(t) => {
            let ok = match (t.as_str(), v) {
                ("string", Some(Value::Str(_))) => true,
                ("number", Some(Value::Number(n))) => n.is_finite(),
                ("boolean", Some(Value::Bool(_))) => true,
                _ => false,
            };
            if ok {
                None
            } else {
                at(path, expected(t))
            }
        }
        Value::Object(_) => {
            if let Some(Value::Array(names)) = shape.get("enum") {
                if matches!(v, Some(Value::Str(s)) if names.iter().any(|n| n.as_str() == Some(s))) {
                    return None;
                }
                let mut one_of = String::new();
                for (i, n) in names.iter().enumerate() {
                    if i > 0 {
                        one_of.push('|');
                    }
                    json::write_str(&mut one_of, n.as_str().unwrap_or(""));
                }
                return at(path, format!("Invalid option: expected one of {}", one_of));
            }
            if let Some(inner) = shape.get("optional") {
                return v.and_then(|_| misfit(inner, v, path));
            }
            if let Some(inner) = shape.get("array") {
                let Some(Value::Array(items)) = v else {
                    return at(path, expected("array"));
                };
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    let m = misfit(inner, Some(item), path);
                    path.pop();
                    if m.is_some() {
                        return m;
                    }
                }
                return None;
            }
            let record = shape.get("record");
            let Some(obj @ Value::Object(members)) = v else {
                return at(
                    path,
                    expected(if record.is_some() { "record" } else { "object" }),
                );
            };
            let fields: Vec<(&str, &Value, Option<&Value>)> = match (record, shape.get("object")) {
                (Some(inner), _) => members
                    .iter()
                    .map(|(k, x)| (k.as_str(), inner, Some(x)))
                    .collect(),
                (None, Some(Value::Object(fields))) => fields
                    .iter()
                    .map(|(k, s)| (k.as_str(), s, obj.get(k)))
                    .collect(),
                _ => return at(path, "a shape this client does not know".into()),
            };
            for (k, s, x) in fields {
                path.push(k.to_string());
                let m = misfit(s, x, path);
                path.pop();
                if m.is_some() {
                    return m;
                }
            }
            None
        }
        _ => at(path, "a shape this client does not know".into()),
    }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn n(v: &Value, path: &[&str]) -> Option<String> {
    match path.iter().try_fold(v, |v, k| v.get(k))? {
        Value::Number(x) => canon::js_number(*x),
        _ => None,
    }
}

/// `line()` of src/cli/commands/requests.ts for one checked request, newline-terminated; None
/// when a field is missing or a number is not finite (the shape check has refused both).
pub fn line(d: &Value) -> Option<String> {
    let v = d.get("view")?;
    let quorum = n(v, &["quorum"])?;
    let approvals = match v.get("approvals")? {
        Value::Array(a) => a.len(),
        _ => return None,
    };
    let votes = if approvals > 0 {
        format!(" approvals {}/{}", approvals, quorum)
    } else {
        format!(" needs {}", quorum)
    };
    let grant = match d.get("grant") {
        None => String::new(),
        Some(g) if g.get("revoked") == Some(&Value::Bool(true)) => " grant revoked".into(),
        Some(g) => format!(
            " grant {} use(s) until {}",
            n(g, &["usesLeft"])?,
            s(g, &["expiresAt"])?
        ),
    };
    let mut requester = s(v, &["requester", "user"])?.to_string();
    if let Some(agent) = s(v, &["requester", "agent"]).filter(|a| !a.is_empty()) {
        requester.push('/');
        requester.push_str(agent);
    }
    let first = format!(
        "{}  {:<10} {:<8} {}  {}",
        s(v, &["id"])?,
        s(v, &["state"])?,
        s(v, &["risk"])?,
        requester,
        s(v, &["command"])?
    );
    let second = format!(
        "    {}  created {}  expires {}{}{}",
        s(v, &["cwd"])?,
        s(v, &["createdAt"])?,
        s(v, &["expiresAt"])?,
        votes,
        grant
    );
    let mut out = String::with_capacity(first.len() + second.len() + 2);
    push_shown(&mut out, &first);
    out.push('\n');
    push_shown(&mut out, &second);
    out.push('\n');
    Some(out)
}

/// How the Node client ends a listing that fails (src/cli/commands/daemon-call.ts mapDaemonError,
/// src/cli/report.ts), and why the native client would rather have handed it over.
struct Trouble {
    why: &'static str,
    code: i32,
    message: String,
    hint: Option<String>,
}

fn lost(why: &'static str, what: String) -> Trouble {
    Trouble {
        why,
        code: 70,
        message: format!("lost the guard daemon: {}", what),
        hint: Some("check `guard daemon status`".into()),
    }
}

/// A page that does not fit, as parseReply words it: `the daemon's answer to list is malformed:
/// <where>: <zod's message>`.
fn malformed(why: &'static str, detail: Option<String>) -> Trouble {
    let mut message = String::from("the daemon's answer to list is malformed");
    if let Some(d) = detail {
        message.push_str(": ");
        message.push_str(&d);
    }
    Trouble {
        why,
        code: 70,
        message,
        hint: Some(
            "this guard and the running daemon may be different versions: restart the daemon"
                .into(),
        ),
    }
}

/// An error answer, as mapDaemonError turns it into guard's error (message and hint as sent).
fn refused(m: &Value) -> Trouble {
    let why = "an error answer";
    let (Some(code), Some(message)) = (
        m.get("code").and_then(Value::as_str),
        m.get("message").and_then(Value::as_str),
    ) else {
        return malformed(why, None);
    };
    let hint = match m.get("hint") {
        None => None,
        Some(Value::Str(h)) => Some(h.clone()),
        Some(_) => return malformed(why, None),
    };
    let (code, message) = match code {
        "refused" => (77, format!("refused: {}", message)),
        "not_found" | "conflict" | "bad_request" => (64, message.to_string()),
        _ => (70, message.to_string()),
    };
    Trouble {
        why,
        code,
        message,
        hint,
    }
}

/// One page: its requests (checked) with their bytes in the frame, and the cursor of the next.
struct Page {
    frame: Vec<u8>,
    requests: Vec<Value>,
    spans: Option<Vec<(usize, usize)>>,
    next: Option<String>,
}

fn request_page(
    stream: &mut UnixStream,
    shape: &Value,
    id: i64,
    cursor: Option<&str>,
    all: bool,
) -> Result<Page, Trouble> {
    let mut msg = Obj::new();
    msg.str("type", "list")
        .bool("all", all)
        .opt_str("cursor", cursor)
        .int(
            "limit",
            if cursor.is_none() {
                FIRST_PAGE
            } else {
                LIST_PAGE
            },
        )
        .int("id", id);
    let body = crate::frame(&msg.finish()).map_err(|h| lost(h.0, h.0.into()))?;
    // a daemon gone between pages: the Node client learns it from the closed connection first
    stream.write_all(&body).map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => lost(
            "the daemon went away",
            "the daemon closed the connection".into(),
        ),
        _ => lost("the daemon went away", node_error("write", &e)),
    })?;
    loop {
        let frame = match crate::read_raw(stream) {
            crate::Raw::Body(b) => b,
            crate::Raw::TooLarge(len) => {
                return Err(lost(
                    "a frame larger than the protocol allows",
                    format!(
                        "bad frame from daemon: frame of {} bytes exceeds the {}-byte limit",
                        len,
                        crate::MAX_FRAME_BYTES
                    ),
                ))
            }
            crate::Raw::Lost(e) => {
                return Err(lost("the daemon went away", node_error("read", &e)))
            }
        };
        let m = match json::parse_lossy(&frame) {
            Ok(m) => m,
            Err(json::JsError::Invalid(_)) => {
                return Err(lost(
                    "a frame that is not JSON",
                    "bad frame from daemon: frame body is not valid JSON".into(),
                ))
            }
            Err(json::JsError::Unsupported(_)) => {
                return Err(malformed("a frame nested too deeply", None))
            }
        };
        if !crate::is_daemon_message(&m) {
            return Err(lost(
                "not a daemon message",
                "malformed message from daemon".into(),
            ));
        }
        // answers to other messages and events are not this answer (as DaemonClient.call reads)
        if m.get("re") != Some(&Value::Number(id as f64))
            || m.get("type").and_then(Value::as_str) == Some("event")
        {
            continue;
        }
        if m.get("type").and_then(Value::as_str) == Some("error") {
            return Err(refused(&m));
        }
        let data = m.get("data");
        if let Some(detail) = misfit(shape, data, &mut Vec::new()) {
            return Err(malformed(
                "an answer that does not fit REQUEST_PAGE",
                Some(detail),
            ));
        }
        let requests = match data.and_then(|d| d.get("requests")) {
            Some(Value::Array(r)) => r.clone(),
            _ => return Err(malformed("no requests", None)),
        };
        let data = data.ok_or_else(|| malformed("no data", None))?;
        let next = data.get("next").and_then(Value::as_str).map(str::to_owned);
        return Ok(Page {
            spans: canon::request_spans(&frame),
            frame,
            requests,
            next,
        });
    }
}

/// The message Node's socket gives for an error (`read ECONNRESET`), where the code is known.
fn node_error(op: &str, e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        UnexpectedEof => "the daemon closed the connection".into(),
        ConnectionReset => format!("{} ECONNRESET", op),
        _ => e.to_string(),
    }
}

/// Write to stdout; a reader that went away ends the listing as it ends the Node client's: 141,
/// nothing said (ExitCode.CLOSED_PIPE).
fn out(bytes: &[u8]) {
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_all(bytes).and_then(|_| o.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        let _ = writeln!(std::io::stderr(), "guard: cannot write the listing: {}", e);
        std::process::exit(70);
    }
}

/// List the requests; Err (hand over) only while nothing was printed.
pub fn requests(opts: &Opts, env: &Env) -> Result<i32, Hand> {
    let shape =
        json::parse(PAGE_SHAPE.as_bytes()).map_err(|_| Hand("the page shape does not read"))?;
    let socket = crate::socket_path(env)?;
    let mut stream =
        UnixStream::connect(&socket).map_err(|_| Hand("the daemon does not answer"))?;
    let mut cursor: Option<String> = None;
    let mut id = 0;
    let mut printed = false;
    let mut count = 0usize;
    let mut doc: Vec<u8> = Vec::new();
    loop {
        id += 1;
        let page = match request_page(&mut stream, &shape, id, cursor.as_deref(), opts.all) {
            Ok(p) => p,
            Err(t) if !printed => return Err(Hand(t.why)),
            Err(t) => {
                crate::report(false, "", t.code, &t.message, t.hint.as_deref(), &[]);
                return Ok(t.code);
            }
        };
        if opts.json {
            // the daemon's bytes for each request, where they are exactly JSON.stringify's
            let spans = page
                .spans
                .as_ref()
                .ok_or(Hand("an answer not as JSON.stringify writes it"))?;
            if spans.len() != page.requests.len() {
                return Err(Hand("an answer whose requests cannot be told apart"));
            }
            for &(a, b) in spans {
                doc.push(if count == 0 { b'[' } else { b',' });
                doc.extend_from_slice(&page.frame[a..b]);
                count += 1;
            }
        } else {
            // a page is printed whole or not at all
            let text: Option<String> = page.requests.iter().map(line).collect();
            let Some(text) = text else {
                if !printed {
                    return Err(Hand("a request it cannot write"));
                }
                let t = malformed("a request it cannot write", None);
                crate::report(false, "", t.code, &t.message, t.hint.as_deref(), &[]);
                return Ok(t.code);
            };
            count += page.requests.len();
            if !text.is_empty() {
                out(text.as_bytes());
                printed = true;
            }
        }
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    drop(stream);
    if opts.json {
        let mut all = Vec::with_capacity(doc.len() + 16);
        all.extend_from_slice(b"{\"requests\":");
        if count == 0 {
            all.extend_from_slice(b"[");
        }
        all.extend_from_slice(&doc);
        all.extend_from_slice(b"]}\n");
        out(&all);
    } else if count == 0 {
        out(if opts.all {
            b"no requests yet\n"
        } else {
            b"nothing waiting for approval\n"
        });
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::v;

    fn shape() -> Value {
        json::parse(PAGE_SHAPE.as_bytes()).unwrap()
    }

    fn fits(shape: &Value, v: Option<&Value>) -> bool {
        misfit(shape, v, &mut Vec::new()).is_none()
    }

    const DETAIL: &str = r#"{"view":{"id":"rq-0123456789ab","state":"pending","command":"rm -rf /tmp/x","argv":["rm"],"cwd":"/w","risk":"high","requester":{"user":"ann","agent":"claude"},"rules":[],"commands":["rm -rf /tmp/x"],"context":{"k":"v"},"createdAt":"2026-01-01T00:00:00.000Z","expiresAt":"2026-01-01T00:10:00.000Z","quorum":2,"approvals":[{"approver":"bob","channel":"cli","at":"t"}]},"fingerprint":"f","votes":[]}"#;

    #[test]
    fn takes_the_fast_requests_forms_only() {
        for ok in [
            &["requests"][..],
            &["requests", "--json"],
            &["requests", "--all", "--json", "--all"],
        ] {
            assert!(parse_args(&v(ok)).is_ok(), "{:?}", ok);
        }
        for bad in [
            &["requests", "--help"][..],
            &["requests", "-h"],
            &["requests", "x"],
            &["requests", "--json=1"],
            &["exec"],
        ] {
            assert!(parse_args(&v(bad)).is_err(), "{:?}", bad);
        }
        let o = parse_args(&v(&["requests", "--all"])).unwrap();
        assert!(o.all && !o.json);
    }

    #[test]
    fn writes_a_line_as_the_node_client_does() {
        let d = json::parse(DETAIL.as_bytes()).unwrap();
        assert!(fits(
            &shape(),
            Some(&json::parse(format!(r#"{{"requests":[{}]}}"#, DETAIL).as_bytes()).unwrap())
        ));
        assert_eq!(
            line(&d).unwrap(),
            "rq-0123456789ab  pending    high     ann/claude  rm -rf /tmp/x\n    /w  created 2026-01-01T00:00:00.000Z  expires 2026-01-01T00:10:00.000Z approvals 1/2\n"
        );
        let odd = DETAIL
            .replace("rm -rf /tmp/x\",\"argv", "a\\nb\\u202e\\u0000\",\"argv")
            .replace(r#""agent":"claude""#, r#""agent":"""#)
            .replace(
                r#""votes":[]"#,
                r#""votes":[],"grant":{"usesLeft":3,"expiresAt":"e","revoked":false}"#,
            );
        let got = line(&json::parse(odd.as_bytes()).unwrap()).unwrap();
        assert!(
            got.starts_with(
                "rq-0123456789ab  pending    high     ann  a<U+000A>b<U+202E><U+0000>\n"
            ),
            "{}",
            got
        );
        assert!(
            got.ends_with(" approvals 1/2 grant 3 use(s) until e\n"),
            "{}",
            got
        );
    }

    #[test]
    fn checks_every_field_against_the_shape() {
        let page = |d: &str| json::parse(format!(r#"{{"requests":[{}]}}"#, d).as_bytes()).unwrap();
        for bad in [
            DETAIL.replace(r#""quorum":2"#, r#""quorum":"2""#),
            DETAIL.replace(r#""state":"pending""#, r#""state":"held""#),
            DETAIL.replace(r#""agent":"claude""#, r#""agent":null"#),
            DETAIL.replace(r#""cwd":"/w","#, ""),
            DETAIL.replace(r#""context":{"k":"v"}"#, r#""context":{"k":1}"#),
            DETAIL.replace(
                r#""votes":[]"#,
                r#""votes":[],"grant":{"usesLeft":1,"expiresAt":"e"}"#,
            ),
        ] {
            assert!(!fits(&shape(), Some(&page(&bad))), "{}", bad);
        }
        assert!(!fits(&shape(), None));
        let bad = page(&DETAIL.replace(r#""votes":[]"#, r#""votes":"x""#));
        assert_eq!(
            misfit(&shape(), Some(&bad), &mut Vec::new()).as_deref(),
            Some("requests.0.votes: Invalid input: expected array, received string")
        );
        let bad = page(&DETAIL.replace(r#""risk":"high""#, r#""risk":3"#));
        assert_eq!(
            misfit(&shape(), Some(&bad), &mut Vec::new()).as_deref(),
            Some(
                r#"requests.0.view.risk: Invalid option: expected one of "low"|"medium"|"high"|"critical""#
            )
        );
        assert!(!fits(
            &shape(),
            Some(&json::parse(br#"{"requests":[],"next":1}"#).unwrap())
        ));
    }
}
