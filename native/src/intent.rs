//! The hook's intent, as src/integrations/intent.ts reads it: the last message the user typed and
//! the agent's own words after it, from the transcript the hook input names, plus the tool's
//! `description`. Agent-supplied text, never part of the decision; reading it never blocks a
//! command. The result must equal the TypeScript's exactly (it is recorded), so anything read here
//! that JavaScript could read differently — nesting deeper than the bound, a lone surrogate —
//! returns Hand and the Node hook decides.

use crate::context::js_trim;
use crate::json::{self, JsError, Obj, Value};
use crate::Hand;
use std::os::unix::fs::{FileExt, OpenOptionsExt};

/// TRANSCRIPT_TAIL_BYTES and INTENT_TEXT_CHARS of intent.ts.
const TAIL_BYTES: u64 = 512 * 1024;
const TEXT_CHARS: usize = 2000;
/// Deep enough for any transcript line seen; deeper goes to JavaScript.
const MAX_DEPTH: usize = 512;

#[derive(Debug, PartialEq)]
enum Role {
    User,
    Agent,
}

struct Entry {
    role: Role,
    text: String,
}

/// readTail: a regular file's last `max` bytes, decoded as Node decodes UTF-8 (invalid bytes
/// become U+FFFD), and whether that is the whole file; None when it is not a readable regular file.
fn read_tail(path: &str) -> Option<(String, bool)> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(crate::sys::O_NONBLOCK | crate::sys::O_NOCTTY)
        .open(path)
        .ok()?;
    let st = f.metadata().ok()?;
    if !st.is_file() {
        return None;
    }
    let size = st.len();
    let start = size.saturating_sub(TAIL_BYTES);
    let mut buf = vec![0u8; size.min(TAIL_BYTES) as usize];
    let mut got = 0;
    while got < buf.len() {
        match f.read_at(&mut buf[got..], start + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
    buf.truncate(got);
    Some((String::from_utf8_lossy(&buf).into_owned(), start == 0))
}

fn is_obj(v: &Value) -> bool {
    matches!(v, Value::Object(_))
}

/// `o[k]` of a parsed object: undefined (None) when absent.
fn field<'a>(o: &'a Value, k: &str) -> Option<&'a Value> {
    o.get(k)
}

fn is_str(v: Option<&Value>, s: &str) -> bool {
    v.and_then(Value::as_str) == Some(s)
}

/// textOf: a string, or the `text` of the text blocks of an array; tool blocks are not text.
fn text_of(content: Option<&Value>) -> Option<String> {
    match content? {
        Value::Str(s) => Some(s.clone()),
        Value::Array(items) => {
            let parts: Vec<&str> = items
                .iter()
                .filter(|b| is_obj(b))
                .filter(|b| match field(b, "type") {
                    None => true,
                    Some(Value::Str(t)) => {
                        matches!(t.as_str(), "text" | "input_text" | "output_text")
                    }
                    Some(_) => false,
                })
                .filter_map(|b| field(b, "text").and_then(Value::as_str))
                .collect();
            if parts.is_empty() {
                None
            } else {
                Some(parts.join("\n"))
            }
        }
        _ => None,
    }
}

fn entry(role: Role, text: Option<String>) -> Option<Entry> {
    text.map(|text| Entry { role, text })
}

/// entryOf: one transcript entry in the Claude, Codex or Gemini shape.
fn entry_of(o: &Value) -> Option<Entry> {
    let ty = field(o, "type");
    let message = field(o, "message");
    if (is_str(ty, "user") || is_str(ty, "assistant")) && message.is_some_and(is_obj) {
        if field(o, "isMeta") == Some(&Value::Bool(true)) {
            return None;
        }
        let role = if is_str(ty, "user") {
            Role::User
        } else {
            Role::Agent
        };
        return entry(role, text_of(message.and_then(|m| field(m, "content"))));
    }
    let p = field(o, "payload");
    if is_str(ty, "response_item")
        && p.is_some_and(is_obj)
        && p.is_some_and(|p| is_str(field(p, "type"), "message"))
    {
        let p = p?;
        let text = text_of(field(p, "content"))?;
        let role = field(p, "role");
        if is_str(role, "user") {
            return Some(Entry {
                role: Role::User,
                text,
            });
        }
        return if is_str(role, "assistant") {
            Some(Entry {
                role: Role::Agent,
                text,
            })
        } else {
            None
        };
    }
    let content = field(o, "content");
    if (is_str(ty, "gemini") || is_str(ty, "model")) && content.is_some() {
        return entry(Role::Agent, text_of(content));
    }
    if is_str(ty, "user") && content.is_some() {
        return entry(Role::User, text_of(content));
    }
    None
}

/// SYSTEM_TEXT: /^\s*<(?:environment_context|user_instructions|permissions instructions|INSTRUCTIONS)/i
fn is_system_text(text: &str) -> bool {
    let rest = text.trim_start_matches(crate::context::js_space);
    let Some(rest) = rest.strip_prefix('<') else {
        return false;
    };
    [
        "environment_context",
        "user_instructions",
        "permissions instructions",
        "instructions",
    ]
    .iter()
    .any(|w| rest.len() >= w.len() && rest.as_bytes()[..w.len()].eq_ignore_ascii_case(w.as_bytes()))
}

/// JSON.parse of one text, or None where it throws; Hand where JavaScript might not throw.
fn parse(text: &str) -> Result<Option<Value>, Hand> {
    match json::parse_js(text.as_bytes(), MAX_DEPTH) {
        Ok(v) => Ok(Some(v)),
        Err(JsError::Invalid(_)) => Ok(None),
        Err(JsError::Unsupported(_)) => Err(Hand("a transcript JavaScript may read differently")),
    }
}

fn entries(text: &str, whole: bool) -> Result<Vec<Entry>, Hand> {
    let trimmed = js_trim(text);
    if whole && trimmed.starts_with('{') && !trimmed.contains("\n{") {
        // one JSON document (Gemini CLI): its `messages`
        if let Some(doc) = parse(trimmed)? {
            if let Some(Value::Array(messages)) = field(&doc, "messages") {
                return Ok(messages
                    .iter()
                    .filter(|m| is_obj(m))
                    .filter_map(entry_of)
                    .collect());
            }
        }
    }
    let mut out = Vec::new();
    let mut lines = text.split('\n');
    if !whole {
        lines.next(); // the first line of a tail is cut
    }
    for line in lines {
        if js_trim(line).is_empty() {
            continue;
        }
        if let Some(o) = parse(line)? {
            if !is_obj(&o) {
                continue;
            }
            if let Some(e) = entry_of(&o) {
                if !(e.role == Role::User && is_system_text(&e.text)) {
                    out.push(e);
                }
            }
        }
    }
    Ok(out)
}

/// clipText: the trimmed text, or its first and last code points around ` … ` when longer.
pub fn clip_text(s: &str) -> String {
    let chars: Vec<char> = js_trim(s).chars().collect();
    if chars.len() <= TEXT_CHARS {
        return chars.into_iter().collect();
    }
    let half = (TEXT_CHARS - 3) / 2;
    let head: String = chars[..half].iter().collect();
    let tail: String = chars[chars.len() - half..].iter().collect();
    format!("{} … {}", head, tail)
}

/// transcriptIntent: (userMessage, agentExplanation).
fn transcript_intent(path: &str) -> Result<(Option<String>, Option<String>), Hand> {
    let Some((text, whole)) = read_tail(path) else {
        return Ok((None, None));
    };
    let all = entries(&text, whole)?;
    let last_user = all.iter().rposition(|e| e.role == Role::User);
    let said: Vec<&str> = all[last_user.map_or(0, |i| i + 1)..]
        .iter()
        .map(|e| js_trim(&e.text))
        .filter(|t| !t.is_empty())
        .collect();
    Ok((
        last_user.map(|i| clip_text(&all[i].text)),
        if said.is_empty() {
            None
        } else {
            Some(clip_text(&said.join("\n")))
        },
    ))
}

/// hookIntent as encoded JSON (`{userMessage?, agentExplanation?, source}`), None when there is none.
pub fn hook_intent(transcript: Option<&str>, tool_input: &Value) -> Result<Option<String>, Hand> {
    let (user, mut explanation) = match transcript {
        Some(p) if !p.is_empty() => transcript_intent(p)?,
        _ => (None, None),
    };
    let description = match field(tool_input, "description") {
        Some(Value::Str(d)) => js_trim(d).to_string(),
        _ => String::new(),
    };
    let mut sources = Vec::new();
    if user.is_some() || explanation.is_some() {
        sources.push("transcript");
    }
    if !description.is_empty() {
        sources.push("tool_input");
        explanation = Some(clip_text(&match explanation {
            None => description,
            Some(e) => format!("{}\n(tool description) {}", e, description),
        }));
    }
    if sources.is_empty() {
        return Ok(None);
    }
    let mut o = Obj::new();
    o.opt_str("userMessage", user.as_deref())
        .opt_str("agentExplanation", explanation.as_deref())
        .str("source", &sources.join("+"));
    Ok(Some(o.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_like_the_typescript() {
        assert_eq!(clip_text("  a  "), "a");
        let long: String = "é".repeat(2001);
        let c = clip_text(&long);
        assert_eq!(c.chars().count(), 998 * 2 + 3);
        assert!(c.contains(" … "));
    }

    #[test]
    fn knows_system_text() {
        assert!(is_system_text("  <environment_context>"));
        assert!(is_system_text("<Instructions>x"));
        assert!(is_system_text("\u{feff}<permissions instructions>"));
        assert!(!is_system_text("hello <environment_context>"));
        assert!(!is_system_text("<env"));
    }

    #[test]
    fn reads_entries_of_each_shape() {
        let t = concat!(
            r#"{"type":"user","message":{"role":"user","content":"do it"}}"#,
            "\n",
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"ok"},{"type":"tool_use","text":"no"}]}}"#,
            "\n",
            r#"{"type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"codex"}]}}"#,
            "\n",
            r#"{"type":"user","message":{"content":"meta"},"isMeta":true}"#,
            "\n{torn\n"
        );
        let e = entries(t, true).unwrap();
        let texts: Vec<&str> = e.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["do it", "ok", "codex"]);
        assert!(entries(&format!("{}\n", "[".repeat(600)), true).is_err());
        assert!(entries("{\"type\":\"user\",\"content\":\"\\ud800\"}\n", true).is_err());
    }
}
