/**
 * Build the command line that runs an agent's command through `guard exec`. The original command
 * becomes one single-quoted word (`bash -c '<command>'`), so the agent's shell passes it to guard
 * byte for byte; `guard exec` then sends argv ['bash', '-c', command] to the daemon, which judges
 * and records it exactly as the hook did.
 */

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
}

/** The rewritten command line. Every interpolated word is single-quoted. */
export function execCommandLine(r: ExecRewrite): string {
  const words = [
    `GUARD_AGENT=${shQuote(r.agent)}`,
    ...(r.session === undefined || r.session === '' ? [] : [`GUARD_AGENT_SESSION=${shQuote(r.session)}`]),
    ...r.guard.map(shQuote),
    'exec',
    '--reason',
    shQuote(r.reason),
    '--',
    'bash',
    '-c',
    shQuote(r.command),
  ];
  return words.join(' ');
}
