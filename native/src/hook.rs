//! `guard hook <agent>` at native speed, for the common cases only: a shell tool call (Claude Code
//! or Codex `PreToolUse` Bash, Gemini CLI `BeforeTool` run_shell_command) that the daemon allows,
//! with the allowed command passed to the agent unchanged, or that it denies. The Node hook answers
//! the first with no output and exit 0 and the second with the agent's JSON refusal; so does this
//! one, after asking the daemon the same `check` (src/integrations/ask.ts) with the same context,
//! intent and recorded effects (docs/decisions/0031: a refusal is judged and recorded once).
//!
//! Everything else goes to the Node hook (src/cli/commands/hook.ts), exec'd in this process with
//! the same arguments and, on fd 0, exactly the bytes already read: other agents, options or
//! tools, `--allowed record` for Gemini, input that is malformed, oversized, not UTF-8 or nested
//! deeper than the bound, a command that may mention guard's settings or its own exec, a daemon
//! that does not answer, and every answer but a well-formed `allow` or `deny` (held, errors). A
//! held command is not recorded by the check (its guard exec records it), so handing it over
//! records nothing twice. The one case answered here besides those is the hook's deadline
//! passing: the agent gets the Node hook's blocking answer (exit 2). See docs/decisions/0036.

use crate::json::{self, Obj, Value};
use crate::{context::js_trim, intent, paths, sys, Env, Hand};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// MAX_INPUT_BYTES, MAX_COMMAND_BYTES and HOOK_DEADLINE_MS of the Node hook.
const MAX_INPUT_BYTES: usize = 1024 * 1024;
const MAX_COMMAND_BYTES: usize = 100 * 1024;
const DEFAULT_DEADLINE_MS: u64 = 20_000;
const STDIN_TIMEOUT_MS: u64 = 5_000;
/// Hook input nests a few levels; anything deeper goes to JavaScript.
const INPUT_DEPTH: usize = 64;

/// Why the hook goes to the Node hook, and the stdin bytes it already consumed (None: untouched).
pub struct HandHook(pub &'static str, pub Option<Vec<u8>>);

impl From<Hand> for HandHook {
    fn from(h: Hand) -> Self {
        HandHook(h.0, None)
    }
}

struct Agent {
    name: &'static str,
    event: &'static str,
    tool: &'static str,
    /// tool_input fields that move the command into a subdirectory (Gemini's).
    dir_keys: &'static [&'static str],
}

const AGENTS: [Agent; 3] = [
    Agent {
        name: "claude-code",
        event: "PreToolUse",
        tool: "Bash",
        dir_keys: &[],
    },
    Agent {
        name: "codex",
        event: "PreToolUse",
        tool: "Bash",
        dir_keys: &[],
    },
    Agent {
        name: "gemini",
        event: "BeforeTool",
        tool: "run_shell_command",
        dir_keys: &["dir_path", "directory"],
    },
];

/// parseHookArgs + parseHookOptions, for the forms whose answer for an allowed command is "pass".
fn parse_args(args: &[String]) -> Result<(&'static Agent, u64), Hand> {
    let mut agent: Option<&str> = None;
    let mut allowed = "pass".to_string();
    let mut deadline = DEFAULT_DEADLINE_MS.to_string();
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if !a.starts_with('-') {
            if agent.is_some() {
                return Err(Hand("two agents"));
            }
            agent = Some(a);
        } else {
            let (name, value) = crate::take_valued(args, &mut i)?;
            match name {
                "--allowed" => allowed = value,
                "--deadline-ms" => deadline = value,
                _ => return Err(Hand("an option the native hook does not take")),
            }
        }
        i += 1;
    }
    let agent = agent.ok_or(Hand("no agent"))?;
    let agent = AGENTS
        .iter()
        .find(|a| a.name == agent)
        .ok_or(Hand("an agent the native hook does not answer for"))?;
    // Claude Code and Codex pass allowed commands whatever was asked (allowedModeFor); Gemini
    // rewrites them with `record`, which the Node hook does
    match (allowed.as_str(), agent.name) {
        ("pass", _) | ("record", "claude-code" | "codex") => {}
        _ => return Err(Hand("an --allowed mode that rewrites")),
    }
    if deadline.is_empty() || deadline.len() > 6 || !deadline.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Hand("a --deadline-ms the native hook does not read"));
    }
    let ms: u64 = deadline
        .parse()
        .map_err(|_| Hand("a --deadline-ms out of range"))?;
    if !(100..=600_000).contains(&ms) {
        return Err(Hand("a --deadline-ms out of range"));
    }
    Ok((agent, ms))
}

/// The Node hook's blocking answer for a timer of its that fired (exit 2, reason on stderr).
fn blocked(why: &str) -> i32 {
    let _ = writeln!(
        std::io::stderr().lock(),
        "guard: guard could not judge this command, so it was blocked: internal error: {}",
        why
    );
    2
}

fn blocked_by_deadline(ms: u64) -> i32 {
    blocked(&format!("guard did not reach a decision within {} ms", ms))
}

enum Input {
    Bytes(Vec<u8>),
    /// The Node hook's stdin timer or deadline would fire first: its answer, given here.
    TimedOut(i32),
}

/// Read all of stdin, at most MAX_INPUT_BYTES + 1 bytes, within the Node hook's stdin bound.
fn read_input(deadline_ms: u64, start: Instant) -> Result<Input, HandHook> {
    let bound = Duration::from_millis(deadline_ms.min(STDIN_TIMEOUT_MS));
    let mut buf = Vec::new();
    // fd 0 itself, unbuffered: poll must see every byte not yet read
    // SAFETY: fd 0 stays open for the process's life; ManuallyDrop never closes it.
    let mut stdin = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(0) });
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let left = bound.saturating_sub(start.elapsed());
        if left.is_zero() || !sys::stdin_ready(left.as_millis().min(i32::MAX as u128) as i32) {
            if deadline_ms <= STDIN_TIMEOUT_MS {
                return Ok(Input::TimedOut(blocked_by_deadline(deadline_ms)));
            }
            return Ok(Input::TimedOut(blocked(&format!(
                "hook input did not end within {} ms",
                STDIN_TIMEOUT_MS
            ))));
        }
        match stdin.read(&mut chunk) {
            Ok(0) => return Ok(Input::Bytes(buf)),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > MAX_INPUT_BYTES {
                    return Err(HandHook(
                        "hook input larger than the Node hook takes",
                        Some(buf),
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(HandHook("stdin could not be read", Some(buf))),
        }
    }
}

/// optionalString: absent or null is None; a string is Some; anything else the Node hook refuses.
fn optional_str<'a>(o: &'a Value, k: &str) -> Result<Option<&'a str>, Hand> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        Some(_) => Err(Hand("a field that is not a string")),
    }
}

/// The shell call of the hook input, as parseToolHook + checkCommand + resolveCwd read it.
struct Call<'a> {
    command: &'a str,
    cwd: String,
    tool_input: &'a Value,
    session: Option<&'a str>,
    transcript: Option<&'a str>,
}

fn parse_call<'a>(root: &'a Value, agent: &Agent) -> Result<Call<'a>, Hand> {
    if !matches!(root, Value::Object(_)) {
        return Err(Hand("hook input that is not an object"));
    }
    if let Some(ev) = optional_str(root, "hook_event_name")? {
        if ev != agent.event {
            return Err(Hand("another hook event"));
        }
    }
    if optional_str(root, "tool_name")? != Some(agent.tool) {
        return Err(Hand("another tool"));
    }
    let tool_input = root.get("tool_input").ok_or(Hand("no tool_input"))?;
    if !matches!(tool_input, Value::Object(_)) {
        return Err(Hand("tool_input that is not an object"));
    }
    let mut dir = None;
    for k in agent.dir_keys {
        let v = optional_str(tool_input, k)?;
        if dir.is_none() {
            dir = v;
        }
    }
    let command = match tool_input.get("command") {
        Some(Value::Str(c)) => c.as_str(),
        _ => return Err(Hand("a command that is not a string")),
    };
    if js_trim(command).is_empty() || command.contains('\0') || command.len() > MAX_COMMAND_BYTES {
        return Err(Hand("a command the Node hook refuses"));
    }
    let reported = optional_str(root, "cwd")?;
    let base = match reported {
        Some(r) if !r.is_empty() => {
            if !paths::is_absolute(r) {
                return Err(Hand("a relative cwd"));
            }
            r.to_string()
        }
        _ => own_cwd()?,
    };
    let cwd = match dir {
        Some(d) if !d.is_empty() => paths::resolve(&base, d),
        _ => base,
    };
    let session = optional_str(root, "session_id")?;
    let transcript = root
        .get("transcript_path")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty());
    Ok(Call {
        command,
        cwd,
        tool_input,
        session,
        transcript,
    })
}

fn own_cwd() -> Result<String, Hand> {
    std::env::current_dir()
        .ok()
        .and_then(|p| p.to_str().map(str::to_owned))
        .ok_or(Hand("no current directory in UTF-8"))
}

/// A superset of touchesGuardSettings (src/integrations/decide.ts): true wherever it is true.
/// Its readings only drop quotes, `$`, backslashes and backslash-newlines, or decode escapes;
/// none of those characters is part of a variable name, so a name in any reading is a substring
/// of the text with all of them dropped — unless an escape decodes, and any backslash that may
/// start one (after dropping quotes and `$`) counts as a mention.
pub fn may_touch_settings(command: &str) -> bool {
    let dropped: String = command
        .replace("\\\n", "")
        .chars()
        .filter(|c| !matches!(c, '\'' | '"' | '$' | '\\'))
        .collect();
    if dropped.contains("GUARD_") || dropped.contains("XDG_STATE_HOME") {
        return true;
    }
    let kept: Vec<char> = command
        .chars()
        .filter(|c| !matches!(c, '\'' | '"' | '$'))
        .collect();
    kept.windows(2)
        .any(|w| w[0] == '\\' && matches!(w[1], 'x' | 'u' | 'U' | '0'..='7'))
}

/// A superset of isOwnExec (src/integrations/own-exec.ts): the line, unquoted, names this guard.
pub fn may_be_own_exec(command: &str, guard: &str) -> bool {
    let strip = |s: &str| -> String { s.chars().filter(|c| !matches!(c, '\'' | '\\')).collect() };
    strip(command).contains(&strip(guard))
}

fn basename(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    &t[t.rfind('/').map_or(0, |i| i + 1)..]
}

/// execClient(guardSelf(env, argv[1], cwd)) of the Node hook this process would hand over to.
fn guard_client(env: &Env, entry: &str) -> Result<String, Hand> {
    let candidate = match env.get("GUARD_SELF").filter(|s| !s.is_empty()) {
        Some(s) if paths::is_absolute(s) => s,
        Some(_) => return Err(Hand("GUARD_SELF is not absolute")),
        None => entry,
    };
    // guardSelf checks the name as given, then the resolved path
    if !matches!(basename(candidate), "guard" | "guard.js") {
        return Err(Hand("guard's own path does not name a guard"));
    }
    let path = paths::resolve("/", candidate);
    if !sys::executable(&path) {
        return Err(Hand("guard's own path is not executable"));
    }
    if basename(&path) == "guard.js" {
        let native = paths::resolve(&paths::dirname(&path), "../dist/guard-native");
        if sys::executable(&native) {
            return Ok(native);
        }
    }
    Ok(path)
}

/// judgementOf (src/integrations/ask.ts): the effect of a well-formed answer, else None.
fn effect_of(data: Option<&Value>) -> Option<&str> {
    let d = data.filter(|d| matches!(d, Value::Object(_)))?;
    let effect = d
        .get("effect")
        .and_then(Value::as_str)
        .filter(|e| matches!(*e, "allow" | "approve" | "deny"))?;
    match d.get("reasons") {
        Some(Value::Array(r)) if r.iter().all(|x| x.as_str().is_some()) => {}
        _ => return None,
    }
    match d.get("approval") {
        None | Some(Value::Null) => {}
        Some(a @ Value::Object(_)) => {
            let num = |k| matches!(a.get(k), Some(Value::Number(_)));
            if !num("timeoutSeconds") || !num("quorum") {
                return None;
            }
        }
        Some(_) => return None,
    }
    match d.get("commands") {
        None => {}
        Some(Value::Array(c)) => {
            let ok = c.iter().all(|x| {
                matches!(x, Value::Object(_))
                    && x.get("text").and_then(Value::as_str).is_some()
                    && matches!(x.get("argv"), Some(Value::Array(a)) if a.iter().all(|w| w.as_str().is_some()))
            });
            if !ok {
                return None;
            }
        }
        Some(_) => return None,
    }
    Some(effect)
}

/// The reasons of an answer effect_of accepted.
fn reasons_of(data: Option<&Value>) -> Vec<&str> {
    match data.and_then(|d| d.get("reasons")) {
        Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `summary` of decide.ts as a JSON string body: the first three reasons joined by "; ", cut to
/// 600 UTF-16 units and "…" after that. A cut through a surrogate pair leaves JavaScript a lone
/// high surrogate, which JSON.stringify writes as `\udXXX`: so is it written here.
fn summary_json(reasons: &[&str]) -> String {
    let text = if reasons.is_empty() {
        "policy default (deny)".to_string()
    } else {
        reasons
            .iter()
            .take(3)
            .copied()
            .collect::<Vec<_>>()
            .join("; ")
    };
    let units: usize = text.chars().map(char::len_utf16).sum();
    let mut out = String::new();
    if units <= 600 {
        json::write_str(&mut out, &text);
    } else {
        let mut kept = String::new();
        let mut n = 0;
        let mut lone: Option<u16> = None;
        for c in text.chars() {
            let w = c.len_utf16();
            if n + w > 600 {
                if n < 600 {
                    let mut pair = [0u16; 2];
                    lone = Some(c.encode_utf16(&mut pair)[0]);
                }
                break;
            }
            kept.push(c);
            n += w;
        }
        json::write_str(&mut out, &kept);
        out.pop();
        if let Some(high) = lone {
            out.push_str(&format!("\\u{:04x}", high));
        }
        out.push('…');
        out.push('"');
    }
    // the body only: without the quotes write_str put around it
    out[1..out.len() - 1].to_string()
}

/// The Node hook's answer to a denied shell call (decide.ts `decide`, then the agent's
/// `toolHookRender` deny): one JSON line on stdout, exit 0.
fn deny_answer(agent: &Agent, reasons: &[&str]) -> String {
    let reason = format!(
        "\"denied by policy: {}. Nothing ran. Do not retry this command; if it is really needed, ask a human to change the guard policy.\"",
        summary_json(reasons)
    );
    let mut o = Obj::new();
    if agent.name == "gemini" {
        o.str("decision", "deny").raw("reason", &reason);
    } else {
        let mut h = Obj::new();
        h.str("hookEventName", agent.event)
            .str("permissionDecision", "deny")
            .raw("permissionDecisionReason", &reason);
        o.raw("hookSpecificOutput", &h.finish());
    }
    format!("{}\n", o.finish())
}

fn env_of(names: &[&str]) -> Result<Env, Hand> {
    let mut vars = HashMap::new();
    for k in names {
        if let Some(v) = std::env::var_os(k) {
            let v = v
                .into_string()
                .map_err(|_| Hand("an environment variable that is not UTF-8"))?;
            vars.insert(k.to_string(), v);
        }
    }
    Ok(Env(vars))
}

/// Answer the hook: Ok(exit code) once answered, Err to hand it to the Node hook.
pub fn hook(args: &[String], entry: &str) -> Result<i32, HandHook> {
    let start = Instant::now();
    let (agent, deadline_ms) = parse_args(args)?;
    let env = env_of(&[
        "GUARD_SELF",
        "GUARD_SOCKET",
        "GUARD_HOME",
        "XDG_STATE_HOME",
        "HOME",
    ])?;
    let bytes = match read_input(deadline_ms, start)? {
        Input::Bytes(b) => b,
        Input::TimedOut(code) => return Ok(code),
    };
    match answer(agent, deadline_ms, start, &env, entry, &bytes) {
        Ok(code) => Ok(code),
        Err(Hand(why)) => Err(HandHook(why, Some(bytes))),
    }
}

fn answer(
    agent: &Agent,
    deadline_ms: u64,
    start: Instant,
    env: &Env,
    entry: &str,
    bytes: &[u8],
) -> Result<i32, Hand> {
    let root = json::parse_js(bytes, INPUT_DEPTH)
        .map_err(|_| Hand("hook input the native hook cannot read"))?;
    let call = parse_call(&root, agent)?;
    if may_touch_settings(call.command) {
        return Err(Hand("a command that may name guard's settings"));
    }
    let guard = guard_client(env, entry)?;
    if may_be_own_exec(call.command, &guard) {
        return Err(Hand("a command that may be guard's own exec"));
    }
    let socket = crate::socket_path(env)?;
    let mut stream =
        UnixStream::connect(&socket).map_err(|_| Hand("the daemon does not answer"))?;
    let intent = intent::hook_intent(call.transcript, call.tool_input)?;
    let uid = sys::uid();
    let user = sys::user_name(uid).ok_or(Hand("the user database has no name for this uid"))?;
    let host = sys::hostname().ok_or(Hand("no host name"))?;

    // checkMessage + hookContext (src/integrations/ask.ts), then the client's id
    let mut requester = Obj::new();
    requester
        .str("user", &user)
        .int("uid", uid as i64)
        .str("host", &host)
        .int("pid", std::process::id() as i64)
        .str("agent", agent.name)
        .opt_str("agentSession", call.session);
    let mut hook = Obj::new();
    hook.str("agent", agent.name)
        .opt_str("session", call.session);
    let mut context = Obj::new();
    context
        .raw("requester", &requester.finish())
        .str("cwd", &call.cwd)
        .raw("hook", &hook.finish());
    let mut msg = Obj::new();
    if let Some(i) = &intent {
        msg.raw("intent", i);
    }
    msg.str("type", "check")
        .str("shell", call.command)
        .str("cwd", &call.cwd)
        .raw("context", &context.finish())
        .str("agent", agent.name)
        .bool("record", true)
        // recordEffects("pass", true) of decide.ts: the answers settled here (allow, deny) are
        // recorded with this check; a held command is recorded by the guard exec it is rewritten to
        .str_array("recordEffects", &["deny".to_string(), "allow".to_string()])
        .int("id", 1);
    stream
        .write_all(&crate::frame(&msg.finish())?)
        .map_err(|_| Hand("the daemon went away before the check"))?;

    let deadline = Duration::from_millis(deadline_ms);
    loop {
        let left = deadline.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Ok(blocked_by_deadline(deadline_ms));
        }
        let _ = stream.set_read_timeout(Some(left));
        let m = match crate::read_frame(&mut stream) {
            crate::Read1::Msg(m) => m,
            crate::Read1::TimedOut => return Ok(blocked_by_deadline(deadline_ms)),
            crate::Read1::Bad | crate::Read1::Closed(_) => {
                return Err(Hand("no readable answer to check"))
            }
        };
        if !crate::is_daemon_message(&m) {
            return Err(Hand("not a daemon message"));
        }
        // answers to other ids and events are not the answer (the Node client ignores them)
        if m.get("re") != Some(&Value::Number(1.0))
            || m.get("type").and_then(Value::as_str) == Some("event")
        {
            continue;
        }
        if m.get("type").and_then(Value::as_str) != Some("result") {
            return Err(Hand("an error answer to check"));
        }
        return match effect_of(m.get("data")) {
            // allowedModeFor is "pass" here: the agent runs the command itself, nothing printed
            Some("allow") => Ok(0),
            // the daemon judged and recorded the refusal: word it here, never ask again (0031)
            Some("deny") => {
                let reasons = reasons_of(m.get("data"));
                let answer = deny_answer(agent, &reasons);
                let mut out = std::io::stdout().lock();
                match out.write_all(answer.as_bytes()).and_then(|_| out.flush()) {
                    Ok(()) => Ok(0),
                    Err(_) => Ok(blocked("the refusal could not be written")),
                }
            }
            Some(_) => Err(Hand("a decision the Node hook words")),
            None => Err(Hand("a malformed answer to check")),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::v;

    #[test]
    fn takes_the_plain_forms() {
        let (a, d) = parse_args(&v(&["hook", "claude-code"])).unwrap();
        assert_eq!((a.name, d), ("claude-code", 20_000));
        let (a, d) = parse_args(&v(&[
            "hook",
            "--deadline-ms=300",
            "codex",
            "--allowed",
            "record",
        ]))
        .unwrap();
        assert_eq!((a.name, d), ("codex", 300));
        assert_eq!(
            parse_args(&v(&["hook", "gemini", "--allowed=pass"]))
                .unwrap()
                .0
                .name,
            "gemini"
        );
        for bad in [
            &["hook"][..],
            &["hook", "cursor"],
            &["hook", "nope"],
            &["hook", "gemini", "--allowed", "record"],
            &["hook", "claude-code", "--allowed", "x"],
            &["hook", "claude-code", "codex"],
            &["hook", "claude-code", "--help"],
            &["hook", "claude-code", "-"],
            &["hook", "claude-code", "--deadline-ms"],
            &["hook", "claude-code", "--deadline-ms", "99"],
            &["hook", "claude-code", "--deadline-ms", "1e3"],
            &["hook", "claude-code", "--deadline-ms", " 300"],
            &["hook", "claude-code", "--deadline-ms", "600001"],
        ] {
            assert!(parse_args(&v(bad)).is_err(), "{:?}", bad);
        }
    }

    #[test]
    fn settings_superset() {
        for yes in [
            "GUARD_HOME=/x ls",
            "export GUARD_SOCK''ET=/s",
            "GUARD_\\\nHOME=1 true",
            "printf '\\x47UARD_SOCKET=x'",
            "echo $'\\107'",
            "echo \\u0047",
            "unset XDG_STATE_HOME",
            "echo $GUARD_HOME",
            "G\"\"UARD_HOME=1",
        ] {
            assert!(may_touch_settings(yes), "{}", yes);
        }
        for no in [
            "ls -la",
            "echo guard_home",
            "printf 'a\\nb'",
            "git commit -m 'x'",
        ] {
            assert!(!may_touch_settings(no), "{}", no);
        }
    }

    #[test]
    fn names_guard_as_guard_self_does() {
        let env = |v: &str| {
            Env([("GUARD_SELF".to_string(), v.to_string())]
                .into_iter()
                .collect())
        };
        for bad in ["/bin/guard/.", "bin/guard", "/bin/sh", "/nonexistent/guard"] {
            assert!(guard_client(&env(bad), "/x").is_err(), "{}", bad);
        }
    }

    #[test]
    fn own_exec_superset() {
        let g = "/opt/guard/dist/guard-native";
        assert!(may_be_own_exec(
            "'/opt/guard/dist/guard-native' exec -- ls",
            g
        ));
        assert!(may_be_own_exec(
            "/opt/gu''ard/dist/guard-native exec -- ls",
            g
        ));
        assert!(!may_be_own_exec("ls /opt", g));
    }

    #[test]
    fn words_a_refusal_as_the_node_hook_does() {
        let claude = &AGENTS[0];
        let gemini = &AGENTS[2];
        let tail = ". Nothing ran. Do not retry this command; if it is really needed, ask a human to change the guard policy.";
        assert_eq!(
            deny_answer(claude, &["deny (r, high): \"x\"\n\u{1}"]),
            format!(
                "{{\"hookSpecificOutput\":{{\"hookEventName\":\"PreToolUse\",\"permissionDecision\":\"deny\",\"permissionDecisionReason\":\"denied by policy: deny (r, high): \\\"x\\\"\\n\\u0001{}\"}}}}\n",
                tail
            )
        );
        assert_eq!(
            deny_answer(gemini, &[]),
            format!(
                "{{\"decision\":\"deny\",\"reason\":\"denied by policy: policy default (deny){}\"}}\n",
                tail
            )
        );
        // three reasons at most, joined by "; "
        assert_eq!(summary_json(&["a", "b", "c", "d"]), "a; b; c");
        // 600 UTF-16 units, then "…"; a pair cut in two leaves its high surrogate, escaped
        let long = format!("{}😀z", "é".repeat(599));
        assert_eq!(
            summary_json(&[&long]),
            format!("{}\\ud83d…", "é".repeat(599))
        );
        let fits = format!("{}😀", "é".repeat(598));
        assert_eq!(summary_json(&[&fits]), fits);
        let over = format!("{}😀z", "é".repeat(598));
        assert_eq!(summary_json(&[&over]), format!("{}😀…", "é".repeat(598)));
    }

    #[test]
    fn reads_answers_like_judgement_of() {
        let p = |s: &str| json::parse(s.as_bytes()).unwrap();
        assert_eq!(
            effect_of(Some(&p(r#"{"effect":"allow","reasons":[]}"#))),
            Some("allow")
        );
        assert_eq!(
            effect_of(Some(&p(
                r#"{"effect":"allow","reasons":["r"],"approval":null,"commands":[{"argv":["a"],"text":"a"}]}"#
            ))),
            Some("allow")
        );
        for bad in [
            r#"{"effect":"allow"}"#,
            r#"{"effect":"ALLOW","reasons":[]}"#,
            r#"{"effect":"allow","reasons":[1]}"#,
            r#"{"effect":"allow","reasons":[],"approval":{"quorum":1}}"#,
            r#"{"effect":"allow","reasons":[],"approval":1}"#,
            r#"{"effect":"allow","reasons":[],"commands":[{"argv":[1],"text":"a"}]}"#,
            r#"{"effect":"allow","reasons":[],"commands":null}"#,
            r#"[]"#,
        ] {
            assert_eq!(effect_of(Some(&p(bad))), None, "{}", bad);
        }
        assert_eq!(effect_of(None), None);
    }
}
