/**
 * Build the command line that runs an agent's command through `guard exec`; `guard exec` then sends
 * argv ['bash', '-c', command] to the daemon, which judges and records it exactly as the hook did.
 * Two forms: the hand-off line an agent is told to run (`execCommandLine`: one line of literal
 * words, the command single-quoted) and the rewrite a hook answers with (`execRewriteLine`: the
 * command verbatim in a here-document, so the line grows by a constant, never by its quotes).
 */
import { createHash } from 'node:crypto';

/** POSIX single-quote one word: everything literal, `'` written as `'\''`. */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface ExecRewrite {
  /** How to start guard: an absolute path (and, optionally, the node binary before it). */
  guard: string[];
  command: string;
  /** Agent name exported to guard exec as GUARD_AGENT (the requester's agent). */
  agent: string;
  /** The agent's session id, exported as GUARD_AGENT_SESSION (shown to approvers). */
  session?: string | undefined;
  /** Shown to approvers and recorded (`guard exec --reason`). */
  reason: string;
  /**
   * Variables that name guard's daemon, given to guard exec explicitly (GUARD_HOME, GUARD_SOCKET):
   * an agent that strips its shell's environment (Gemini CLI in CI) must not send the command to
   * another daemon than the one the hook asked.
   */
  pin?: Record<string, string> | undefined;
}

function guardWords(r: ExecRewrite): string[] {
  return [
    `GUARD_AGENT=${shQuote(r.agent)}`,
    ...(r.session === undefined || r.session === '' ? [] : [`GUARD_AGENT_SESSION=${shQuote(r.session)}`]),
    ...Object.entries(r.pin ?? {}).map(([k, v]) => `${k}=${shQuote(v)}`),
    ...r.guard.map(shQuote),
    'exec',
    '--reason',
    shQuote(r.reason),
    '--',
  ];
}

/** A here-document delimiter that is no line of the command. */
export function heredocTag(command: string): string {
  const lines = new Set(command.split('\n'));
  const base = `GUARD_CMD_${createHash('sha256').update(command).digest('hex').slice(0, 16)}`;
  let tag = base;
  for (let i = 0; lines.has(tag); i++) tag = `${base}_${i}`;
  return tag;
}

/**
 * The rewrite: `{ IFS= read -r -d '' guard_command <&3; … guard exec … -- bash -c "${guard_command%?}"; }
 * 3<<'TAG'`, the command verbatim between the here-document lines. A quoted delimiter makes the
 * body literal (no expansion); `read -d ''` takes all of it; `%?` drops the one newline the
 * here-document adds, so the command arrives byte for byte. No command substitution (Gemini CLI
 * refuses `$(…)` in a command), and unlike a quoted word the command's own quotes are not escaped,
 * so the line is the command plus a constant: whatever the agent could run, it can run through
 * guard (a command full of `'` no longer grows past the kernel's argument limit).
 */
export function execRewriteLine(r: ExecRewrite): string {
  const tag = heredocTag(r.command);
  const head = `{ IFS= read -r -d '' guard_command <&3; ${guardWords(r).join(' ')} bash -c "\${guard_command%?}" 3<&-; }`;
  return `${head} 3<<'${tag}'\n${r.command}\n${tag}`;
}

/** The rewritten command line. Every interpolated word is single-quoted. */
export function execCommandLine(r: ExecRewrite): string {
  return [...guardWords(r), 'bash', '-c', shQuote(r.command)].join(' ');
}
