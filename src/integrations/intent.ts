/**
 * Intent: why the agent wants to run a command, as the agent itself reports it — the last message
 * the user typed and the agent's own explanation before the call. Read from what the hook input
 * provides: Claude Code and Codex give `transcript_path` (JSON lines: Claude's `{type, message}`
 * entries, Codex's rollout `response_item` / `event_msg` entries), Gemini CLI a JSON conversation
 * file; Claude and Gemini also put the model's `description` of the call in `tool_input`.
 *
 * Everything here is agent-supplied text: shown to the reviewer, labelled so, never used for the
 * decision. Reading it never blocks a command: a missing, unreadable, special or malformed file
 * just gives no intent. The file is read as a bounded tail, opened non-blocking (a FIFO cannot hang
 * the hook) and only when it is a regular file.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** What the hook sends with `check` (plain text; the daemon redacts it). */
export interface HookIntent {
  userMessage?: string | undefined;
  agentExplanation?: string | undefined;
  /** Where it came from: 'transcript', 'tool_input', or both joined with '+'. */
  source: string;
}

/** The most of a transcript read: its last bytes (the latest turn is at the end). */
export const TRANSCRIPT_TAIL_BYTES = 512 * 1024;
/** The most kept of each text (longer text keeps its start and end). */
export const INTENT_TEXT_CHARS = 2000;

type Entry = { role: 'user' | 'agent'; text: string };

/** Read a regular file's last `max` bytes; undefined when it is not a readable regular file. */
function readTail(path: string, max: number): { text: string; whole: boolean } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const size = st.size;
    const start = Math.max(0, size - max);
    const buf = Buffer.alloc(Math.min(size, max));
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return { text: buf.subarray(0, got).toString('utf8'), whole: start === 0 };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text parts of a message's content (a string, or blocks with `text`); tool blocks are not text. */
function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const parts = content
    .filter(isObj)
    .filter((b) => ['text', 'input_text', 'output_text', undefined].includes(b['type'] as string | undefined))
    .map((b) => b['text'])
    .filter((t): t is string => typeof t === 'string');
  return parts.length === 0 ? undefined : parts.join('\n');
}

/** One transcript entry → a user or agent text, for the Claude, Codex and Gemini shapes. */
function entryOf(o: Record<string, unknown>): Entry | undefined {
  // Claude Code: {type: 'user'|'assistant', message: {role, content}}; tool results are `user` entries without text
  if ((o['type'] === 'user' || o['type'] === 'assistant') && isObj(o['message'])) {
    if (o['isMeta'] === true) return undefined;
    const text = textOf(o['message']['content']);
    return text === undefined ? undefined : { role: o['type'] === 'user' ? 'user' : 'agent', text };
  }
  // Codex rollout: {type: 'response_item', payload: {type: 'message', role, content}}
  const p = o['payload'];
  if (o['type'] === 'response_item' && isObj(p) && p['type'] === 'message') {
    const text = textOf(p['content']);
    if (text === undefined) return undefined;
    if (p['role'] === 'user') return { role: 'user', text };
    return p['role'] === 'assistant' ? { role: 'agent', text } : undefined;
  }
  // Gemini CLI conversation record: {type: 'user'|'gemini', content}
  if ((o['type'] === 'gemini' || o['type'] === 'model') && o['content'] !== undefined) {
    const text = textOf(o['content']);
    return text === undefined ? undefined : { role: 'agent', text };
  }
  if (o['type'] === 'user' && o['content'] !== undefined) {
    const text = textOf(o['content']);
    return text === undefined ? undefined : { role: 'user', text };
  }
  return undefined;
}

/** Codex's environment and instructions arrive as `user` messages in tags; they are not what the user typed. */
const SYSTEM_TEXT = /^\s*<(?:environment_context|user_instructions|permissions instructions|INSTRUCTIONS)/i;

function entries(text: string, whole: boolean): Entry[] {
  const trimmed = text.trim();
  if (whole && trimmed.startsWith('{') && !trimmed.includes('\n{')) {
    // one JSON document (Gemini CLI): its `messages`
    try {
      const doc = JSON.parse(trimmed) as unknown;
      if (isObj(doc) && Array.isArray(doc['messages']))
        return doc['messages'].filter(isObj).flatMap((m) => entryOf(m) ?? []);
    } catch {
      // not one document: read it as lines
    }
  }
  const lines = text.split('\n');
  if (!whole) lines.shift(); // the first line of a tail is cut
  const out: Entry[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const o = JSON.parse(line) as unknown;
      const e = isObj(o) ? entryOf(o) : undefined;
      if (e !== undefined && !(e.role === 'user' && SYSTEM_TEXT.test(e.text))) out.push(e);
    } catch {
      // a torn or foreign line: skipped
    }
  }
  return out;
}

/** Keep the start and end of a long text. */
export function clipText(s: string, max = INTENT_TEXT_CHARS): string {
  const chars = [...s.trim()];
  if (chars.length <= max) return chars.join('');
  const half = Math.floor((max - 3) / 2);
  return `${chars.slice(0, half).join('')} … ${chars.slice(chars.length - half).join('')}`;
}

/** The last user message and the agent's texts after it, from a transcript file. */
export function transcriptIntent(path: string): Pick<HookIntent, 'userMessage' | 'agentExplanation'> {
  const tail = readTail(path, TRANSCRIPT_TAIL_BYTES);
  if (tail === undefined) return {};
  const all = entries(tail.text, tail.whole);
  let lastUser = -1;
  for (let i = all.length - 1; i >= 0; i--)
    if (all[i]!.role === 'user') {
      lastUser = i;
      break;
    }
  const said = all
    .slice(lastUser + 1)
    .map((e) => e.text.trim())
    .filter((t) => t !== '');
  return {
    userMessage: lastUser === -1 ? undefined : clipText(all[lastUser]!.text),
    agentExplanation: said.length === 0 ? undefined : clipText(said.join('\n')),
  };
}

/** The intent of a hook call: transcript first, the tool's own `description` as the explanation otherwise. */
export function hookIntent(
  transcriptPath: string | undefined,
  toolInput: Record<string, unknown>,
): HookIntent | undefined {
  const fromFile = transcriptPath === undefined || transcriptPath === '' ? {} : transcriptIntent(transcriptPath);
  const description = typeof toolInput['description'] === 'string' ? toolInput['description'].trim() : '';
  const sources: string[] = [];
  if (fromFile.userMessage !== undefined || fromFile.agentExplanation !== undefined) sources.push('transcript');
  let agentExplanation = fromFile.agentExplanation;
  if (description !== '') {
    sources.push('tool_input');
    agentExplanation = clipText(
      agentExplanation === undefined ? description : `${agentExplanation}\n(tool description) ${description}`,
    );
  }
  if (sources.length === 0) return undefined;
  return { userMessage: fromFile.userMessage, agentExplanation, source: sources.join('+') };
}
