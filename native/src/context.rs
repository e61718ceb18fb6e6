//! The quick request context, built exactly as src/context/gather.ts builds it with
//! `quick: true` (no program digest, no work-tree scan). Where an exact copy would need more
//! than this file does (a tool's config file to read, text the TypeScript would treat in a way
//! not reproduced here), `Err(Hand)` hands the command to the Node client instead.

use crate::json::Obj;
use crate::paths::{dirname, is_absolute, join, resolve};
use crate::ticket::ticket_from_branch;
use crate::{sys, Env, Hand};
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;

const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// The quick context reads packed-refs only up to this size: its cost stays flat with 200k refs.
pub const QUICK_PACKED_REFS_MAX: u64 = 256 * 1024;
const O_NONBLOCK: i32 = 0o4000;

/// Programs whose context comes from tool config files: the Node client gathers those.
const FILE_CONTEXT_PROGRAMS: &[&str] = &[
    "kubectl",
    "helm",
    "oc",
    "kustomize",
    "flux",
    "argocd",
    "k9s",
    "kubectx",
    "kubens",
    "skaffold",
    "helmfile",
    "velero",
    "istioctl",
    "linkerd",
    "kubeseal",
    "aws",
    "sam",
    "cdk",
    "eksctl",
    "terraform",
    "tofu",
    "terragrunt",
    "pulumi",
    "copilot",
    "chalice",
    "serverless",
    "sls",
    "gcloud",
    "gsutil",
    "bq",
];

/// JavaScript's WhiteSpace and LineTerminator (what `String.prototype.trim` and `\s` match).
pub fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

pub fn js_trim(s: &str) -> &str {
    s.trim_matches(js_space)
}

/// The first `n` UTF-16 units of `s` (String.prototype.slice(0, n)); Hand when that would split a pair.
fn js_prefix(s: &str, n: usize) -> Result<String, Hand> {
    let mut units = 0;
    let mut out = String::new();
    for c in s.chars() {
        let w = c.len_utf16();
        if units + w > n {
            if units < n {
                return Err(Hand("a value would be cut inside a character"));
            }
            break;
        }
        units += w;
        out.push(c);
    }
    Ok(out)
}

/// Does any argv word name a program whose context lives in config files? Splits on a superset
/// of the TypeScript separators (every non-ASCII character too), so it never says no where the
/// TypeScript says yes.
pub fn mentions_file_context_program(argv: &[String]) -> bool {
    argv.iter().any(|a| {
        a.split(|c: char| js_space(c) || ";&|()'\"`".contains(c) || !c.is_ascii())
            .filter(|w| !w.is_empty())
            .any(|w| FILE_CONTEXT_PROGRAMS.contains(&&w[w.rfind('/').map_or(0, |i| i + 1)..]))
    })
}

/// A small regular file as text (lossy UTF-8); None when missing, not a file, too big or binary.
pub fn read_small(path: &str, max: u64) -> Option<String> {
    let mut f: File = OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
        .ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() || meta.len() > max {
        return None;
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.by_ref().take(meta.len()).read_to_end(&mut buf).ok()?;
    if buf.contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The INI reader of src/context/fsutil.ts: sections in the order their first key appears.
pub struct Ini(Vec<(String, Vec<(String, String)>)>);

impl Ini {
    pub fn parse(text: &str) -> Ini {
        let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut section = String::new();
        for raw in text.split('\n') {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let line = js_trim(raw);
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if line.len() >= 2 && line.starts_with('[') && line.ends_with(']') {
                let inner = &line[1..line.len() - 1];
                let n = inner.encode_utf16().count();
                if !inner.contains(']') && (1..=200).contains(&n) {
                    section = js_trim(inner).to_string();
                    continue;
                }
            }
            let eq = match line.find('=') {
                Some(e) if e > 0 => e,
                _ => continue,
            };
            let key = js_trim(&line[..eq]).to_lowercase();
            let mut value = js_trim(&line[eq + 1..]);
            if value.encode_utf16().count() >= 2 && value.starts_with('"') && value.ends_with('"') {
                value = &value[1..value.len() - 1];
            }
            let idx = match out.iter().position(|(s, _)| *s == section) {
                Some(i) => i,
                None => {
                    out.push((section.clone(), Vec::new()));
                    out.len() - 1
                }
            };
            let keys = &mut out[idx].1;
            match keys.iter_mut().find(|(k, _)| *k == key) {
                Some(kv) => kv.1 = value.to_string(),
                None => keys.push((key, value.to_string())),
            }
        }
        Ini(out)
    }
    pub fn has(&self, section: &str) -> bool {
        self.0.iter().any(|(s, _)| s == section)
    }
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        let (_, keys) = self.0.iter().find(|(s, _)| s == section)?;
        keys.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    fn sections(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(s, _)| s.as_str())
    }
}

fn is_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

struct Repo {
    root: String,
    git_dir: String,
    common_dir: String,
}

/// `^gitdir:\s*(.+?)\s*$` with the m flag: the first line that has it.
fn gitdir_line(text: &str) -> Result<Option<String>, Hand> {
    for line in text.split(['\n', '\r', '\u{2028}', '\u{2029}']) {
        if let Some(rest) = line.strip_prefix("gitdir:") {
            let v = js_trim(rest);
            if !v.is_empty() {
                return Ok(Some(v.to_string()));
            }
            if !rest.is_empty() {
                return Err(Hand("a .git file with a blank gitdir"));
            }
        }
    }
    Ok(None)
}

fn find_repo(cwd: &str) -> Result<Option<Repo>, Hand> {
    let mut dir = resolve("/", cwd);
    for _ in 0..64 {
        let dot_git = join(&dir, ".git");
        if let Ok(meta) = fs::metadata(&dot_git) {
            if meta.is_dir() {
                return Ok(Some(Repo {
                    root: dir,
                    git_dir: dot_git.clone(),
                    common_dir: dot_git,
                }));
            }
            if meta.is_file() {
                let text = read_small(&dot_git, 4096).unwrap_or_default();
                let Some(target) = gitdir_line(&text)? else {
                    return Ok(None);
                };
                let git_dir = if is_absolute(&target) {
                    target
                } else {
                    resolve(&dir, &target)
                };
                let common =
                    read_small(&join(&git_dir, "commondir"), 4096).map(|s| js_trim(&s).to_string());
                let common_dir = match common {
                    None => git_dir.clone(),
                    Some(c) if c.is_empty() => git_dir.clone(),
                    Some(c) if is_absolute(&c) => c,
                    Some(c) => resolve(&git_dir, &c),
                };
                return Ok(Some(Repo {
                    root: dir,
                    git_dir,
                    common_dir,
                }));
            }
        }
        let up = dirname(&dir);
        if up == dir {
            return Ok(None);
        }
        dir = up;
    }
    Ok(None)
}

fn read_ref(repo: &Repo, r: &str, packed_max: u64) -> Option<String> {
    let tail = r.strip_prefix("refs/")?;
    let n = tail.len();
    if !(1..=240).contains(&n)
        || !tail
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b))
        || r.contains("..")
    {
        return None;
    }
    for dir in [&repo.git_dir, &repo.common_dir] {
        if let Some(v) = read_small(&join(dir, r), 4096) {
            let v = js_trim(&v);
            if is_sha(v) {
                return Some(v.to_string());
            }
        }
    }
    let packed = read_small(&join(&repo.common_dir, "packed-refs"), packed_max)?;
    for line in packed.split('\n') {
        if let Some(sp) = line.find(' ') {
            if sp > 0 && js_trim(&line[sp + 1..]) == r && is_sha(&line[..sp]) {
                return Some(line[..sp].to_string());
            }
        }
    }
    None
}

/// stripUrlCredentials of src/context/git.ts.
pub fn strip_url_credentials(url: &str) -> String {
    let Some(colon) = url.find("://") else {
        return url.to_string();
    };
    let scheme = &url[..colon];
    let mut sb = scheme.bytes();
    let scheme_ok = sb.next().is_some_and(|b| b.is_ascii_alphabetic())
        && sb.all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b));
    if !scheme_ok {
        return url.to_string();
    }
    let rest = &url[colon + 3..];
    let run_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..run_end].rfind('@') else {
        return url.to_string();
    };
    let userinfo = &rest[..at];
    let s = scheme.to_ascii_lowercase();
    let ssh = s == "ssh" || s == "git+ssh" || s == "ssh+git";
    if ssh && !userinfo.contains(':') {
        return url.to_string();
    }
    format!("{}{}", &url[..colon + 3], &rest[at + 1..])
}

/// `^ref:\s*(refs\/\S+)$` on the trimmed HEAD.
fn head_ref(head: &str) -> Option<&str> {
    let r = head.strip_prefix("ref:")?.trim_start_matches(js_space);
    (r.starts_with("refs/") && r.len() > 5 && !r.chars().any(js_space)).then_some(r)
}

fn git_info(cwd: &str) -> Result<Option<String>, Hand> {
    let Some(repo) = find_repo(cwd)? else {
        return Ok(None);
    };
    let mut branch: Option<String> = None;
    let mut commit: Option<String> = None;
    if let Some(head) = read_small(&join(&repo.git_dir, "HEAD"), 4096) {
        let head = js_trim(&head);
        if let Some(r) = head_ref(head) {
            branch = Some(r.strip_prefix("refs/heads/").unwrap_or(r).to_string());
            commit = read_ref(&repo, r, QUICK_PACKED_REFS_MAX);
        } else if is_sha(head) {
            commit = Some(head.to_string());
        }
    }
    let config = Ini::parse(
        &read_small(&join(&repo.common_dir, "config"), MAX_CONFIG_BYTES).unwrap_or_default(),
    );
    let upstream = branch
        .as_ref()
        .and_then(|b| config.get(&format!("branch \"{}\"", b), "remote"));
    let remote_name: Option<String> = match upstream {
        Some(u) => Some(u.to_string()),
        None if config.has("remote \"origin\"") => Some("origin".into()),
        None => match config.sections().find(|s| s.starts_with("remote \"")) {
            None => None,
            Some(s) => {
                let mut name: Vec<char> = s[8..].chars().collect();
                match name.pop() {
                    Some(c) if c.len_utf16() == 2 => {
                        return Err(Hand("a remote name ending in an astral character"))
                    }
                    _ => {}
                }
                Some(name.into_iter().collect())
            }
        },
    };
    let url = remote_name.and_then(|n| {
        config
            .get(&format!("remote \"{}\"", n), "url")
            .map(str::to_owned)
    });
    let mut o = Obj::new();
    o.str("root", &repo.root);
    o.opt_str("branch", branch.as_deref());
    o.opt_str("commit", commit.as_deref());
    if let Some(u) = url.filter(|u| !u.is_empty()) {
        o.str("remote", &strip_url_credentials(&u));
    }
    // the ticket comes from the branch
    Ok(Some(
        o.finish()
            + "\u{0}"
            + &branch
                .map(|b| ticket_from_branch(&b).unwrap_or_default())
                .unwrap_or_default(),
    ))
}

struct Proc {
    pid: i32,
    name: String,
    args: Vec<String>,
}

fn read_proc(pid: i32) -> Option<(Proc, i32)> {
    let stat = String::from_utf8_lossy(&fs::read(format!("/proc/{}/stat", pid)).ok()?).into_owned();
    let close = stat.rfind(')')?;
    let open = stat.find('(')?;
    if close < open {
        return None;
    }
    let after = stat.get(close + 2..).unwrap_or("");
    let field = after.split(' ').nth(1)?;
    let ppid: i32 = if field.is_empty() {
        0
    } else if field.bytes().all(|b| b.is_ascii_digit()) && field.len() < 10 {
        field.parse().ok()?
    } else {
        return None;
    };
    let cmdline = fs::read(format!("/proc/{}/cmdline", pid)).unwrap_or_default();
    let text = String::from_utf8_lossy(&cmdline[..cmdline.len().min(4096)]).into_owned();
    let args = text
        .split('\0')
        .take(2)
        .filter(|a| !a.is_empty())
        .map(|a| a[a.rfind('/').map_or(0, |i| i + 1)..].to_string())
        .collect();
    Some((
        Proc {
            pid,
            name: stat[open + 1..close].to_string(),
            args,
        },
        ppid,
    ))
}

fn parent_chain(pid: i32) -> Vec<Proc> {
    let mut out = Vec::new();
    let mut next = read_proc(pid).map_or(0, |(_, ppid)| ppid);
    let mut seen = vec![pid];
    while next > 0 && out.len() < 10 && !seen.contains(&next) {
        seen.push(next);
        let Some((p, ppid)) = read_proc(next) else {
            break;
        };
        out.push(p);
        next = ppid;
    }
    out
}

fn tty_of(pid: i32) -> Option<String> {
    let target = fs::read_link(format!("/proc/{}/fd/0", pid)).ok()?;
    let t = target.to_str()?;
    let rest = t.strip_prefix("/dev/")?;
    let ok = if let Some(n) = rest.strip_prefix("pts/") {
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    } else if let Some(w) = rest.strip_prefix("tty") {
        w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    } else {
        false
    };
    ok.then(|| t.to_string())
}

fn set(env: &Env, k: &str) -> bool {
    env.get(k).is_some_and(|v| !v.is_empty() && v != "0")
}

struct EnvRule {
    agent: &'static str,
    when: fn(&Env) -> bool,
    session: &'static [&'static str],
}

const ENV_RULES: &[EnvRule] = &[
    EnvRule {
        agent: "claude-code",
        when: |e| set(e, "CLAUDECODE") || set(e, "CLAUDE_CODE_ENTRYPOINT"),
        session: &["CLAUDE_CODE_SESSION_ID", "CLAUDE_SESSION_ID"],
    },
    EnvRule {
        agent: "codex",
        when: |e| {
            set(e, "CODEX_SANDBOX")
                || set(e, "CODEX_SANDBOX_NETWORK_DISABLED")
                || set(e, "CODEX_THREAD_ID")
                || set(e, "CODEX_CI")
        },
        session: &["CODEX_THREAD_ID"],
    },
    EnvRule {
        agent: "gemini",
        when: |e| set(e, "GEMINI_CLI"),
        session: &["GEMINI_SESSION_ID"],
    },
    EnvRule {
        agent: "cursor",
        when: |e| {
            set(e, "CURSOR_AGENT") || e.get("CURSOR_EXTENSION_HOST_ROLE") == Some("agent-exec")
        },
        session: &[],
    },
    EnvRule {
        agent: "cline",
        when: |e| set(e, "CLINE_ACTIVE"),
        session: &[],
    },
    EnvRule {
        agent: "opencode",
        when: |e| set(e, "OPENCODE") || set(e, "OPENCODE_CLIENT"),
        session: &[],
    },
    EnvRule {
        agent: "augment",
        when: |e| set(e, "AUGMENT_AGENT"),
        session: &[],
    },
];

/// The PROCESS_NAMES table of src/context/agent.ts.
fn agent_by_name(n: &str) -> Option<&'static str> {
    let n = [".js", ".mjs", ".cjs", ".py"]
        .iter()
        .find_map(|s| n.strip_suffix(s))
        .unwrap_or(n);
    match n {
        "claude" | "claude-code" => Some("claude-code"),
        "codex" => Some("codex"),
        _ if n.strip_prefix("codex-").is_some_and(|w| {
            !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }) =>
        {
            Some("codex")
        }
        "gemini" => Some("gemini"),
        "cursor-agent" => Some("cursor"),
        "aider" => Some("aider"),
        "goose" => Some("goose"),
        "opencode" => Some("opencode"),
        "amp" => Some("amp"),
        "cline" => Some("cline"),
        _ => None,
    }
}

fn detect_agent(env: &Env, parents: &[Proc]) -> Result<(Option<String>, Option<String>), Hand> {
    let with_session = |agent: String, keys: &[&str]| -> (Option<String>, Option<String>) {
        let session = match env.get("GUARD_AGENT_SESSION") {
            Some(s) => Some(s.to_string()),
            None => keys
                .iter()
                .filter_map(|k| env.get(k))
                .find(|v| !v.is_empty())
                .map(str::to_owned),
        };
        (Some(agent), session.filter(|s| !s.is_empty()))
    };
    let rule = ENV_RULES.iter().find(|r| (r.when)(env));
    if let Some(explicit) = env.get("GUARD_AGENT").filter(|v| !v.is_empty()) {
        return Ok(with_session(
            js_prefix(explicit, 64)?,
            rule.map_or(&[][..], |r| r.session),
        ));
    }
    if let Some(r) = rule {
        return Ok(with_session(r.agent.to_string(), r.session));
    }
    for p in parents {
        for n in std::iter::once(&p.name).chain(p.args.iter()) {
            if let Some(a) = agent_by_name(n) {
                return Ok(with_session(a.to_string(), &[]));
            }
        }
    }
    Ok((None, None))
}

/// detectCi of src/context/agent.ts, as encoded JSON.
fn detect_ci(env: &Env) -> Option<String> {
    let pick = |o: &mut Obj, k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            o.str(k, v);
        }
    };
    let mut o = Obj::new();
    if env.get("GITHUB_ACTIONS") == Some("true") {
        let server = env.get("GITHUB_SERVER_URL").unwrap_or("https://github.com");
        let url = match (env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")) {
            (Some(repo), Some(run)) => Some(format!("{}/{}/actions/runs/{}", server, repo, run)),
            _ => None,
        };
        o.str("provider", "github-actions");
        pick(&mut o, "job", env.get("GITHUB_JOB"));
        pick(&mut o, "run", env.get("GITHUB_RUN_ID"));
        pick(&mut o, "url", url.as_deref());
    } else if env.get("GITLAB_CI") == Some("true") {
        o.str("provider", "gitlab-ci");
        pick(&mut o, "job", env.get("CI_JOB_NAME"));
        pick(&mut o, "run", env.get("CI_PIPELINE_ID"));
        pick(&mut o, "url", env.get("CI_JOB_URL"));
    } else if env.get("BUILDKITE") == Some("true") {
        o.str("provider", "buildkite");
        pick(
            &mut o,
            "job",
            env.get("BUILDKITE_LABEL").or(env.get("BUILDKITE_STEP_KEY")),
        );
        pick(&mut o, "run", env.get("BUILDKITE_BUILD_NUMBER"));
        pick(&mut o, "url", env.get("BUILDKITE_BUILD_URL"));
    } else if env.get("CIRCLECI") == Some("true") {
        o.str("provider", "circleci");
        pick(&mut o, "job", env.get("CIRCLE_JOB"));
        pick(&mut o, "run", env.get("CIRCLE_BUILD_NUM"));
        pick(&mut o, "url", env.get("CIRCLE_BUILD_URL"));
    } else if env.get("JENKINS_URL").is_some() && env.get("BUILD_ID").is_some() {
        o.str("provider", "jenkins");
        pick(&mut o, "job", env.get("JOB_NAME"));
        pick(&mut o, "run", env.get("BUILD_ID"));
        pick(&mut o, "url", env.get("BUILD_URL"));
    } else {
        let ci = env.get("CI")?.to_lowercase();
        if ci != "true" && ci != "1" {
            return None;
        }
        o.str("provider", "ci");
    }
    Some(o.finish())
}

fn on_behalf_of(env: &Env) -> Result<Option<String>, Hand> {
    for k in [
        "GUARD_ON_BEHALF_OF",
        "GITHUB_ACTOR",
        "GITLAB_USER_LOGIN",
        "BUILDKITE_BUILD_CREATOR_EMAIL",
        "SUDO_USER",
    ] {
        if let Some(v) = env.get(k).filter(|v| !v.is_empty()) {
            return Ok(Some(js_prefix(v, 200)?));
        }
    }
    Ok(None)
}

/// flagValue of src/context/fsutil.ts for long names.
fn flag_value(argv: &[String], name: &str) -> Option<String> {
    let mut found: Option<&str> = None;
    let prefix = format!("{}=", name);
    for (i, a) in argv.iter().enumerate() {
        if a == name && i + 1 < argv.len() {
            found = Some(&argv[i + 1]);
        } else if let Some(v) = a.strip_prefix(&prefix) {
            found = Some(v);
        }
    }
    found.filter(|f| !f.is_empty()).map(str::to_owned)
}

fn non_empty<'a>(env: &'a Env, k: &str) -> Option<&'a str> {
    env.get(k).filter(|v| !v.is_empty())
}

/// The quick context as encoded JSON.
pub fn quick_context(env: &Env, cwd: &str, argv: &[String], pid: i32) -> Result<String, Hand> {
    if mentions_file_context_program(argv) {
        return Err(Hand(
            "the command names a tool whose context is read from its config files",
        ));
    }
    let uid = sys::uid();
    let user = sys::user_name(uid).ok_or(Hand("the user database has no name for this uid"))?;
    let host = sys::hostname().unwrap_or_else(|| "unknown".into());
    let parents = parent_chain(pid);
    let tty = tty_of(pid);
    let git = git_info(cwd)?;
    let (agent, session) = detect_agent(env, &parents)?;
    let ci = detect_ci(env);
    let behalf = on_behalf_of(env)?;
    let terminal = [env.get("TERM_PROGRAM"), tty.as_deref()]
        .into_iter()
        .flatten()
        .filter(|x| !x.is_empty())
        .collect::<Vec<_>>()
        .join(" ");

    let mut parents_json = String::from("[");
    for (i, p) in parents.iter().enumerate() {
        if i > 0 {
            parents_json.push(',');
        }
        parents_json.push_str(
            &Obj::new()
                .int("pid", p.pid as i64)
                .str("name", &p.name)
                .finish(),
        );
    }
    parents_json.push(']');
    let mut req = Obj::new();
    req.str("user", &user)
        .int("uid", uid as i64)
        .str("host", &host)
        .int("pid", pid as i64);
    req.raw("parents", &parents_json);
    match (&agent, &ci) {
        (Some(a), _) => {
            req.str("agent", a);
        }
        (None, Some(_)) => {
            req.str("agent", "ci");
        }
        _ => {}
    }
    req.opt_str("agentSession", session.as_deref());
    req.opt_str("onBehalfOf", behalf.as_deref());

    let mut o = Obj::new();
    o.raw("requester", &req.finish());
    if let Some(ci) = &ci {
        o.raw("ci", ci);
    }
    if !terminal.is_empty() {
        o.str("terminal", &terminal);
    }
    o.str("cwd", cwd);
    let mut ticket = None;
    if let Some(g) = git {
        let (json, t) = g.split_once('\u{0}').unwrap_or((&g, ""));
        o.raw("git", json);
        ticket = Some(t.to_string()).filter(|t| !t.is_empty());
    }
    let profile = flag_value(argv, "--profile")
        .or_else(|| non_empty(env, "AWS_PROFILE").map(str::to_owned))
        .or_else(|| non_empty(env, "AWS_DEFAULT_PROFILE").map(str::to_owned));
    let region = flag_value(argv, "--region")
        .or_else(|| non_empty(env, "AWS_REGION").map(str::to_owned))
        .or_else(|| non_empty(env, "AWS_DEFAULT_REGION").map(str::to_owned));
    if profile.is_some() || region.is_some() {
        o.raw(
            "aws",
            &Obj::new()
                .opt_str("profile", profile.as_deref())
                .opt_str("region", region.as_deref())
                .finish(),
        );
    }
    let project = flag_value(argv, "--project")
        .or_else(|| non_empty(env, "CLOUDSDK_CORE_PROJECT").map(str::to_owned));
    if let Some(p) = project {
        o.raw("gcloud", &Obj::new().str("project", &p).finish());
    }
    if let Some(ws) = non_empty(env, "TF_WORKSPACE") {
        o.raw("terraform", &Obj::new().str("workspace", ws).finish());
    }
    o.opt_str("ticket", ticket.as_deref());
    Ok(o.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_credentials_like_the_typescript() {
        let cases = [
            ("https://user:pw@host/x", "https://host/x"),
            ("https://ghp_token@github.com/o/r", "https://github.com/o/r"),
            ("ssh://git@host/x", "ssh://git@host/x"),
            ("SSH://u:p@host/x", "SSH://host/x"),
            ("git@github.com:o/r.git", "git@github.com:o/r.git"),
            ("https://a@b@host/p@q", "https://host/p@q"),
            ("https://host/x", "https://host/x"),
            ("1http://u@h", "1http://u@h"),
        ];
        for (url, want) in cases {
            assert_eq!(strip_url_credentials(url), want, "{}", url);
        }
    }

    #[test]
    fn parses_ini_like_the_typescript() {
        let ini = Ini::parse(
            "[core]\n bare = false\r\n[remote \"up\"]\nurl = \"x\"\n[branch \"main\"]\n\tremote = up\n; c\n[empty]\n[core]\nBare=true\n",
        );
        assert_eq!(ini.get("core", "bare"), Some("true"));
        assert_eq!(ini.get("remote \"up\"", "url"), Some("x"));
        assert!(!ini.has("empty"));
        assert_eq!(
            ini.sections().collect::<Vec<_>>(),
            vec!["core", "remote \"up\"", "branch \"main\""]
        );
    }

    #[test]
    fn finds_tool_names_anywhere_in_argv() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(mentions_file_context_program(&v(&[
            "bash",
            "-c",
            "echo hi; /usr/bin/kubectl get pods"
        ])));
        assert!(mentions_file_context_program(&v(&[
            "x",
            "é\u{a0}terraform"
        ])));
        assert!(!mentions_file_context_program(&v(&[
            "bash",
            "-c",
            "echo kubectlx awsome"
        ])));
    }

    #[test]
    fn trims_javascript_whitespace() {
        assert_eq!(js_trim("\u{feff}\u{a0} x \u{3000}\n"), "x");
        assert_eq!(js_trim("\u{85}x"), "\u{85}x");
        assert_eq!(
            js_prefix("ab😀", 3).err().map(|h| h.0),
            Some("a value would be cut inside a character")
        );
        assert_eq!(js_prefix("ab😀", 4).ok().as_deref(), Some("ab😀"));
    }
}
