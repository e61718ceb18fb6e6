//! `guard exec` at native speed. Handles the two answers that need nothing else — the daemon
//! allows the command (run it, report its exit) or denies it (say why) — and hands every other
//! case to the Node client by exec'ing `bin/guard.js` with the same arguments, in the same
//! process, before anything was printed: held commands (`need_context`), `--help`, `--timeout`,
//! unknown or malformed flags, arguments or environment that are not UTF-8, a daemon that does
//! not answer (the Node client starts one or says how), an answer it does not understand.
//! It never runs a command the daemon did not answer `run` for. See docs/decisions/0020.
//! `guard hook` (hook.rs, decision 0036) and `guard requests` (requests.rs, decision 0042) follow
//! the same pattern.

#[cfg(not(target_os = "linux"))]
compile_error!("the native exec client reads /proc and uses Linux signal numbers; other platforms use the Node client");

mod canon;
mod context;
mod hook;
mod intent;
mod json;
mod paths;
mod requests;
mod run;
mod sys;
mod ticket;
mod visible;

use json::{Obj, Value};
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

pub(crate) const MAX_FRAME_BYTES: usize = 1024 * 1024;
const SOCKET_PATH_MAX: usize = 107;

/// Why the command goes to the Node client.
#[derive(Debug)]
pub struct Hand(pub &'static str);

/// The environment, every variable valid UTF-8 (else the Node client takes the command).
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }
}

struct Opts {
    command: Vec<String>,
    reason: Option<String>,
    ticket: Option<String>,
    no_wait: bool,
    json_errors: bool,
}

/// `--name value` or `--name=value` at `args[*i]` (takeValued of src/cli/fast-options.ts): the
/// name and the value; `*i` moves to the last word taken.
fn take_valued<'a>(args: &'a [String], i: &mut usize) -> Result<(&'a str, String), Hand> {
    let a = &args[*i];
    match a.find('=') {
        Some(eq) => Ok((&a[..eq], a[eq + 1..].to_string())),
        None => {
            *i += 1;
            let v = args
                .get(*i)
                .cloned()
                .ok_or(Hand("an option without its value"))?;
            Ok((a.as_str(), v))
        }
    }
}

/// parseExecArgs of src/cli/fast-exec.ts, less `--timeout` (the Node client parses durations).
fn parse_args(args: &[String]) -> Result<Opts, Hand> {
    if args.first().map(String::as_str) != Some("exec") {
        return Err(Hand("not an exec command"));
    }
    let args = &args[1..];
    let mut o = Opts {
        command: vec![],
        reason: None,
        ticket: None,
        no_wait: false,
        json_errors: false,
    };
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        if a == "--no-wait" {
            o.no_wait = true;
        } else if a == "--json-errors" {
            o.json_errors = true;
        } else {
            let (name, value) = take_valued(args, &mut i)?;
            let value = Some(value).filter(|v| !v.is_empty());
            match name {
                "--reason" => o.reason = value,
                "--ticket" => o.ticket = value,
                _ => return Err(Hand("an option the native client does not take")),
            }
        }
        i += 1;
    }
    o.command = args[i..].to_vec();
    if o.command.is_empty() || o.command[0].is_empty() {
        return Err(Hand("no command"));
    }
    Ok(o)
}

/// The daemon socket, as src/config/paths.ts names it.
pub(crate) fn socket_path(env: &Env) -> Result<String, Hand> {
    let socket = match env.get("GUARD_SOCKET").filter(|s| !s.is_empty()) {
        Some(s) if paths::is_absolute(s) => paths::normalize(s),
        Some(_) => return Err(Hand("GUARD_SOCKET is not absolute")),
        None => {
            let home = match (
                env.get("GUARD_HOME").filter(|s| !s.is_empty()),
                env.get("XDG_STATE_HOME"),
            ) {
                (Some(h), _) => h.to_string(),
                (None, Some(x)) if !x.is_empty() => paths::join(x, "guard"),
                _ => match env.get("HOME") {
                    Some(h) => paths::join(&paths::join(h, ".local/state"), "guard"),
                    None => return Err(Hand("HOME is not set")),
                },
            };
            paths::join(&paths::join(&home, "run"), "guard.sock")
        }
    };
    if socket.len() > SOCKET_PATH_MAX {
        return Err(Hand("the socket path is too long"));
    }
    Ok(socket)
}

pub(crate) fn frame(body: &str) -> Result<Vec<u8>, Hand> {
    if body.len() > MAX_FRAME_BYTES {
        return Err(Hand("the request is larger than one frame"));
    }
    let mut f = Vec::with_capacity(body.len() + 4);
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(body.as_bytes());
    Ok(f)
}

/// One frame's bytes as read from the daemon.
pub(crate) enum Raw {
    Body(Vec<u8>),
    /// Its length is larger than the protocol allows.
    TooLarge(usize),
    Lost(std::io::Error),
}

pub(crate) fn read_raw(s: &mut UnixStream) -> Raw {
    let mut head = [0u8; 4];
    if let Err(e) = s.read_exact(&mut head) {
        return Raw::Lost(e);
    }
    let len = u32::from_be_bytes(head) as usize;
    if len > MAX_FRAME_BYTES {
        return Raw::TooLarge(len);
    }
    let mut body = vec![0u8; len];
    match s.read_exact(&mut body) {
        Ok(()) => Raw::Body(body),
        Err(e) => Raw::Lost(e),
    }
}

enum Read1 {
    Msg(Value),
    Closed(String),
    Bad,
    /// The socket's read timeout passed (the hook sets one; exec does not).
    TimedOut,
}

fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

fn read_frame(s: &mut UnixStream) -> Read1 {
    match read_raw(s) {
        Raw::Body(body) => match json::parse(&body) {
            Ok(v) => Read1::Msg(v),
            Err(_) => Read1::Bad,
        },
        Raw::TooLarge(_) => Read1::Bad,
        Raw::Lost(e) if timed_out(&e) => Read1::TimedOut,
        Raw::Lost(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Read1::Closed("the daemon closed the connection".into())
        }
        Raw::Lost(e) => Read1::Closed(e.to_string()),
    }
}

/// What the daemon answered to the exec message.
enum Answer {
    Run {
        exec_id: String,
    },
    Deny {
        request_id: String,
        reasons: Vec<String>,
        rules: Vec<String>,
        hint: Option<String>,
    },
}

fn strings(v: Option<&Value>) -> Result<Vec<String>, Hand> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or(Hand("a non-string in a list"))
            })
            .collect(),
        _ => Err(Hand("a missing list in the answer")),
    }
}

/// `{re: number, type: result|error|event}`, as isDaemonMessage in src/daemon/client.ts.
pub(crate) fn is_daemon_message(m: &Value) -> bool {
    matches!(m.get("re"), Some(Value::Number(_)))
        && matches!(
            m.get("type").and_then(Value::as_str),
            Some("result" | "error" | "event")
        )
}

fn answer(m: &Value) -> Result<Answer, Hand> {
    if m.get("re") != Some(&Value::Number(1.0)) {
        return Err(Hand("an answer to another message"));
    }
    if m.get("type").and_then(Value::as_str) != Some("result") {
        return Err(Hand("an error or event answer"));
    }
    let d = m.get("data").ok_or(Hand("an answer without data"))?;
    let s = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_owned);
    match d.get("outcome").and_then(Value::as_str) {
        Some("run") => {
            let exec_id = s("execId")
                .filter(|e| !e.is_empty())
                .ok_or(Hand("run without an exec id"))?;
            s("requestId").ok_or(Hand("run without a request id"))?;
            Ok(Answer::Run { exec_id })
        }
        Some("deny") => {
            let request_id = s("requestId").ok_or(Hand("deny without a request id"))?;
            let hint = match d.get("hint") {
                None => None,
                Some(Value::Str(h)) => Some(h.clone()),
                Some(_) => return Err(Hand("a hint that is not text")),
            };
            Ok(Answer::Deny {
                request_id,
                reasons: strings(d.get("reasons"))?,
                rules: strings(d.get("rules"))?,
                hint,
            })
        }
        _ => Err(Hand("an outcome the native client does not handle")),
    }
}

/// Print a guard error as src/cli/report.ts does.
pub(crate) fn report(
    json_errors: bool,
    kind: &str,
    code: i32,
    message: &str,
    hint: Option<&str>,
    details: &[(&str, String)],
) {
    let mut err = std::io::stderr().lock();
    if json_errors {
        let mut o = Obj::new();
        o.str("guard", kind)
            .int("exit_code", code as i64)
            .str("message", message)
            .opt_str("hint", hint);
        for (k, v) in details {
            o.raw(k, v);
        }
        let _ = writeln!(err, "{}", o.finish());
    } else {
        let _ = writeln!(err, "guard: {}", message);
        if let Some(h) = hint {
            let _ = writeln!(err, "guard: {}", h);
        }
    }
}

fn quoted(s: &str) -> String {
    let mut out = String::new();
    json::write_str(&mut out, s);
    out
}

fn errno_name(e: i32) -> String {
    match e {
        1 => "EPERM".into(),
        2 => "ENOENT".into(),
        7 => "E2BIG".into(),
        8 => "ENOEXEC".into(),
        12 => "ENOMEM".into(),
        13 => "EACCES".into(),
        20 => "ENOTDIR".into(),
        21 => "EISDIR".into(),
        26 => "ETXTBSY".into(),
        36 => "ENAMETOOLONG".into(),
        40 => "ELOOP".into(),
        n => format!("errno {}", n),
    }
}

/// The Node client next to this binary: `<root>/bin/guard.js` for `<root>/dist/guard-native`.
fn node_entry() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.parent()
                .and_then(|d| d.parent())
                .map(|root| root.join("bin").join("guard.js"))
        })
        .unwrap_or_else(|| PathBuf::from("/nonexistent/guard.js"))
}

/// Hand the whole invocation to the Node client (same process, same arguments, same
/// environment); `fail` is the exit code when it cannot be started (the hook's is 2, which every
/// agent treats as "blocked").
fn hand_over(args: &[OsString], why: &str, fail: i32) -> ! {
    if std::env::var_os("GUARD_NATIVE_TRACE").is_some_and(|v| v == "1") {
        eprintln!("guard-native: handing over to the Node client: {}", why);
    }
    let entry = node_entry();
    let err = std::process::Command::new(&entry).args(args).exec();
    eprintln!(
        "guard: cannot start the Node client {}: {}; nothing was run",
        entry.display(),
        err
    );
    std::process::exit(fail)
}

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "hook") {
        run_hook(&args);
    }
    if args.first().is_some_and(|a| a == "requests") {
        let code = match list_requests(&args) {
            Ok(code) => code,
            Err(Hand(why)) => hand_over(&args, why, 70),
        };
        std::process::exit(code)
    }
    let code = match exec(&args) {
        Ok(code) => code,
        Err(Hand(why)) => hand_over(&args, why, 70),
    };
    std::process::exit(code)
}

/// `guard hook`: answered here (hook.rs) or handed to the Node hook with the stdin already read.
fn run_hook(raw: &[OsString]) -> ! {
    let args: Option<Vec<String>> = raw.iter().map(|a| a.to_str().map(str::to_owned)).collect();
    let entry = node_entry();
    let result = match (args, entry.to_str()) {
        (Some(args), Some(entry)) => hook::hook(&args, entry),
        _ => Err(hook::HandHook(
            "an argument or path that is not UTF-8",
            None,
        )),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(hook::HandHook(why, read)) => {
            if let Some(bytes) = read {
                if let Err(e) = sys::stdin_from(&bytes) {
                    eprintln!(
                        "guard: guard could not judge this command, so it was blocked: cannot pass the hook input on: {}",
                        e
                    );
                    std::process::exit(2);
                }
            }
            hand_over(raw, why, 2)
        }
    }
}

fn utf8_args(raw_args: &[OsString]) -> Result<Vec<String>, Hand> {
    raw_args
        .iter()
        .map(|a| {
            a.to_str()
                .map(str::to_owned)
                .ok_or(Hand("an argument that is not UTF-8"))
        })
        .collect()
}

fn utf8_env() -> Result<HashMap<String, String>, Hand> {
    let mut vars = HashMap::new();
    for (k, v) in std::env::vars_os() {
        match (k.into_string(), v.into_string()) {
            (Ok(k), Ok(v)) => {
                vars.insert(k, v);
            }
            _ => return Err(Hand("an environment variable that is not UTF-8")),
        }
    }
    Ok(vars)
}

/// `guard requests`: listed here (requests.rs) or handed to the Node client.
fn list_requests(raw_args: &[OsString]) -> Result<i32, Hand> {
    let opts = requests::parse_args(&utf8_args(raw_args)?)?;
    requests::requests(&opts, &Env(utf8_env()?))
}

fn exec(raw_args: &[OsString]) -> Result<i32, Hand> {
    let args = utf8_args(raw_args)?;
    let opts = parse_args(&args)?;
    let vars = utf8_env()?;
    // the names of the variables set: the daemon asks for the full context (the Node client) when
    // the policy reads one of them (docs/decisions/1026-env-rules-on-the-quick-path.md)
    let mut env_names: Vec<String> = vars.keys().cloned().collect();
    env_names.sort();
    let env = Env(vars);
    let path_var = env.get("PATH").ok_or(Hand("PATH is not set"))?.to_string();
    let cwd_os = std::env::current_dir().map_err(|_| Hand("no current directory"))?;
    let cwd = cwd_os
        .to_str()
        .ok_or(Hand("a current directory that is not UTF-8"))?
        .to_string();
    if cwd.is_empty() || cwd.as_bytes().contains(&0) || cwd_os.as_os_str().as_bytes().len() > 4096 {
        return Err(Hand("an unusual current directory"));
    }
    let socket = socket_path(&env)?;
    let mut stream =
        UnixStream::connect(&socket).map_err(|_| Hand("the daemon does not answer"))?;
    let context = context::quick_context(&env, &cwd, &opts.command, std::process::id() as i32)?;

    let mut msg = Obj::new();
    msg.str("type", "exec")
        .str_array("argv", &opts.command)
        .str("cwd", &cwd)
        .raw("context", &context);
    msg.opt_str("reason", opts.reason.as_deref())
        .opt_str("ticket", opts.ticket.as_deref());
    msg.bool("noWait", opts.no_wait)
        .bool("partialContext", true)
        .str_array("envNames", &env_names)
        .int("id", 1);
    let body = msg.finish();
    stream
        .write_all(&frame(&body)?)
        .map_err(|_| Hand("the daemon went away before the request"))?;

    let reply = loop {
        match read_frame(&mut stream) {
            // an answer to another message is ignored, as the Node client ignores it; anything that
            // is not a daemon message at all goes to the Node client (which fails closed on it)
            Read1::Msg(m) if !is_daemon_message(&m) => return Err(Hand("not a daemon message")),
            Read1::Msg(m) if m.get("re") != Some(&Value::Number(1.0)) => continue,
            Read1::Msg(m) => break answer(&m)?,
            Read1::Bad => return Err(Hand("a frame the native client cannot read")),
            // never reached (exec sets no read timeout); like a lost daemon, it fails closed
            Read1::TimedOut => {
                report(
                    opts.json_errors,
                    "fail_closed",
                    70,
                    "lost the guard daemon: no answer; nothing was run",
                    Some("check `guard daemon status` and GUARD_HOME/daemon.log"),
                    &[],
                );
                return Ok(70);
            }
            Read1::Closed(why) => {
                report(
                    opts.json_errors,
                    "fail_closed",
                    70,
                    &format!("lost the guard daemon: {}; nothing was run", why),
                    Some("check `guard daemon status` and GUARD_HOME/daemon.log"),
                    &[],
                );
                return Ok(70);
            }
        }
    };
    let exec_id = match reply {
        Answer::Deny {
            request_id,
            reasons,
            rules,
            hint,
        } => {
            let why = reasons.first().cloned().unwrap_or_else(|| rules.join(", "));
            let list = |v: &[String]| {
                let mut o = Obj::new();
                o.str_array("x", v);
                let s = o.finish();
                s[5..s.len() - 1].to_string()
            };
            report(
                opts.json_errors,
                "denied",
                77,
                &format!("denied by policy: {}; nothing was run", why),
                hint.as_deref(),
                &[
                    ("requestId", quoted(&request_id)),
                    ("rules", list(&rules)),
                    ("reasons", list(&reasons)),
                ],
            );
            return Ok(77);
        }
        Answer::Run { exec_id } => exec_id,
    };

    // From here the daemon has recorded exec_start: the command runs and nothing is handed over.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        run::kill_child();
        default_hook(info);
    }));
    let file = &opts.command[0];
    let (exit_code, signal, duration_ms, failure) = match run::run(&opts.command, Some(&path_var)) {
        run::Spawned::Exited {
            exit_code,
            signal,
            duration_ms,
        } => (exit_code, signal, duration_ms, None),
        run::Spawned::Failed(errno) => {
            let name = errno_name(errno);
            let f = match errno {
                2 => (
                    127,
                    "command_not_found",
                    format!("command not found: {}", file),
                    Some("check the program name and PATH".to_string()),
                    vec![("program", quoted(file))],
                ),
                1 | 8 | 13 | 21 => (
                    126,
                    "not_executable",
                    format!("cannot execute {}: {}", file, name),
                    None,
                    vec![("program", quoted(file)), ("code", quoted(&name))],
                ),
                _ => (
                    70,
                    "fail_closed",
                    format!("could not run {}: spawn {} {}", file, file, name),
                    None,
                    vec![],
                ),
            };
            (f.0, None, 0.0, Some(f))
        }
    };
    let mut end = Obj::new();
    end.str("type", "exec_end")
        .str("execId", &exec_id)
        .int("exitCode", exit_code as i64);
    match signal {
        Some(s) => end.str("signal", s),
        None => end.null("signal"),
    };
    end.num("durationMs", duration_ms).int("id", 2);
    let sent = frame(&end.finish())
        .map_err(|h| std::io::Error::other(h.0))
        .and_then(|f| stream.write_all(&f))
        .and_then(|_| stream.shutdown(std::net::Shutdown::Write));
    if let Err(e) = sent {
        eprintln!(
            "guard: the command ran, but its exit could not be reported: {}",
            e
        );
    }
    if let Some((code, kind, message, hint, details)) = failure {
        report(
            opts.json_errors,
            kind,
            code,
            &message,
            hint.as_deref(),
            &details,
        );
    }
    Ok(exit_code)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_the_fast_exec_forms() {
        let o = parse_args(&v(&[
            "exec",
            "--reason",
            "r",
            "--ticket=T-1",
            "--no-wait",
            "--json-errors",
            "--",
            "ls",
            "-l",
        ]))
        .unwrap();
        assert_eq!(o.command, v(&["ls", "-l"]));
        assert_eq!(o.reason.as_deref(), Some("r"));
        assert_eq!(o.ticket.as_deref(), Some("T-1"));
        assert!(o.no_wait && o.json_errors);
        let o = parse_args(&v(&["exec", "ls", "--reason", "x"])).unwrap();
        assert_eq!(o.command, v(&["ls", "--reason", "x"]));
        assert_eq!(
            parse_args(&v(&["exec", "--reason=", "-"])).unwrap().reason,
            None
        );
    }

    #[test]
    fn hands_over_everything_else() {
        for a in [
            &["exec"][..],
            &["exec", "--"],
            &["exec", "--help"],
            &["exec", "-h", "ls"],
            &["exec", "--timeout", "5s", "ls"],
            &["exec", "--reason"],
            &["exec", "--bogus", "ls"],
            &["exec", "--", ""],
            &["status"],
            &[],
        ] {
            assert!(parse_args(&v(a)).is_err(), "{:?}", a);
        }
    }

    #[test]
    fn reads_only_the_answers_it_knows() {
        let p = |s: &str| json::parse(s.as_bytes()).unwrap();
        assert!(matches!(
            answer(&p(
                r#"{"re":1,"type":"result","data":{"outcome":"run","execId":"e","requestId":"r"}}"#
            )),
            Ok(Answer::Run { .. })
        ));
        assert!(matches!(
            answer(&p(
                r#"{"re":1,"type":"result","data":{"outcome":"deny","requestId":"r","reasons":[],"rules":["a"],"hint":"h"}}"#
            )),
            Ok(Answer::Deny { .. })
        ));
        for bad in [
            r#"{"re":1,"type":"result","data":{"outcome":"need_context"}}"#,
            r#"{"re":1,"type":"result","data":{"outcome":"pending","requestId":"r"}}"#,
            r#"{"re":1,"type":"result","data":{"outcome":"run","requestId":"r"}}"#,
            r#"{"re":1,"type":"result","data":{"outcome":"run","execId":"","requestId":"r"}}"#,
            r#"{"re":1,"type":"result","data":{"outcome":"deny","requestId":"r","reasons":[1],"rules":[]}}"#,
            r#"{"re":1,"type":"error","code":"bad_request","message":"m"}"#,
            r#"{"re":1,"type":"event","data":{"event":"run","execId":"e","requestId":"r"}}"#,
            r#"{"re":2,"type":"result","data":{"outcome":"run","execId":"e","requestId":"r"}}"#,
            r#"{"re":"1","type":"result","data":{"outcome":"run","execId":"e","requestId":"r"}}"#,
            r#"[]"#,
        ] {
            assert!(answer(&p(bad)).is_err(), "{}", bad);
        }
    }

    #[test]
    fn knows_a_daemon_message() {
        let p = |s: &str| json::parse(s.as_bytes()).unwrap();
        assert!(is_daemon_message(&p(
            r#"{"re":7,"type":"event","data":{}}"#
        )));
        for bad in [
            r#"{"re":"1","type":"result"}"#,
            r#"{"type":"result"}"#,
            r#"{"re":1,"type":"x"}"#,
            "[]",
            "1",
        ] {
            assert!(!is_daemon_message(&p(bad)), "{}", bad);
        }
    }

    #[test]
    fn names_the_socket_like_the_node_client() {
        let env = |pairs: &[(&str, &str)]| {
            Env(pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect())
        };
        assert_eq!(
            socket_path(&env(&[("GUARD_HOME", "/g/"), ("HOME", "/h")])).unwrap(),
            "/g/run/guard.sock"
        );
        assert_eq!(
            socket_path(&env(&[("GUARD_SOCKET", "/run//x/../s.sock")])).unwrap(),
            "/run/s.sock"
        );
        assert!(socket_path(&env(&[("GUARD_SOCKET", "rel.sock")])).is_err());
        assert_eq!(
            socket_path(&env(&[("XDG_STATE_HOME", "/x")])).unwrap(),
            "/x/guard/run/guard.sock"
        );
        assert_eq!(
            socket_path(&env(&[("HOME", "/h")])).unwrap(),
            "/h/.local/state/guard/run/guard.sock"
        );
        assert!(socket_path(&env(&[])).is_err());
        assert!(socket_path(&env(&[("GUARD_HOME", &"/x".repeat(60))])).is_err());
    }
}
