/**
 * The hook's decision, the same for every agent: given the daemon's judgement of the command
 * (`check`), pass it, refuse it, or rewrite it to run through `guard exec`. Pure: the judgement and
 * the guard command are given; nothing here reads files, the clock or the network.
 */
import type { CheckOutcome } from '../daemon/messages.js';
import type { Effect } from '../policy/types.js';
import { execCommandLine, execRewriteLine } from './rewrite.js';
import type { AgentAdapter, AgentName, ShellCall, Verdict } from './types.js';

/**
 * What happens to commands policy allows. `pass` (default): they run unchanged in the agent's
 * shell (its cwd and shell functions carry over, its own checks see the command); the daemon
 * records the hook's decision only. `record`: they too run through `guard exec`, so every run
 * reaches the ledger with its exit status (Gemini CLI's own policy then sees the rewritten line).
 */
export type AllowedMode = 'record' | 'pass';

/** What the hook needs of the daemon's answer. */
export type Judgement = Pick<CheckOutcome, 'effect' | 'reasons' | 'approval' | 'commands'>;

export interface DecideDeps {
  /** Absolute command that starts guard (e.g. ['/usr/local/bin/guard']). */
  guard: string[];
  agent: AgentName;
  mode: AllowedMode;
  canRewrite: boolean;
  /** GUARD_HOME / GUARD_SOCKET of the daemon the hook asked, pinned in rewrites (see ExecRewrite.pin). */
  pin?: Record<string, string> | undefined;
}

/**
 * The mode the hook uses for an agent: `pass` whenever a rewrite would switch off the agent's own
 * permission checks (its rules would see `guard exec …` instead of the command, and its "allow"
 * would skip its prompt), whatever was asked for. The strictest of guard and the agent wins.
 */
export function allowedModeFor(adapter: Pick<AgentAdapter, 'rewriteSkipsOwnChecks'>, asked: AllowedMode): AllowedMode {
  return adapter.rewriteSkipsOwnChecks ? 'pass' : asked;
}

/**
 * The effects whose decision the hook has the daemon record: those the hook settles itself.
 * A rewritten command is recorded by the guard exec it runs through (request, decision, run, exit).
 */
export function recordEffects(mode: AllowedMode, canRewrite: boolean): Effect[] {
  if (!canRewrite) return ['deny', 'approve', 'allow'];
  return mode === 'pass' ? ['deny', 'allow'] : ['deny'];
}

/**
 * Variables that choose which guard judges a command (its home, its socket, its policy layers,
 * itself). A command that sets, exports or unsets one — or writes one into a file a later shell
 * reads, such as ~/.bashrc — could send an inner `guard exec` to a daemon of the agent's making, so
 * the hook refuses any mention other than reading it (`$GUARD_HOME`, `${GUARD_HOME}`). The policy
 * engine drops bare assignments and `export`, so this is a check on the text: on the text as
 * written, and on the text with the shell's quoting removed and escapes decoded, so that
 * `GUARD_SOCK''ET`, `GUARD_\HOME` or `printf '\x47UARD_SOCKET=…'` name the variable too.
 */
const GUARD_SETTINGS =
  /(?<![$\w{])(?:GUARD_(?:HOME|SOCKET|DEFAULT_POLICIES|SYSTEM_POLICIES|SELF|NO_AUTOSTART)|XDG_STATE_HOME)(?!\w)/;

/** The `\xHH`, `\uHHHH`, `\UHHHHHHHH` and octal `\NNN` / `\0NNN` escapes of printf, echo -e and $'…', decoded. */
function decodeEscapes(text: string): string {
  const escape = /\\(?:x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{1,4})|U([0-9A-Fa-f]{1,8})|0?([0-7]{1,3}))/g;
  return text.replace(escape, (m: string, x?: string, u?: string, U?: string, o?: string) => {
    const hex = x ?? u ?? U;
    const code = hex !== undefined ? parseInt(hex, 16) : parseInt(o ?? '', 8);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}

/** The readings of a command the settings check looks at (as written; unquoted; escapes decoded). */
export function settingsReadings(command: string): string[] {
  // quotes, $'…'/$"…" markers and backslash-newline join words in the shell: drop them
  const unquoted = command
    .replace(/\\\n/g, '')
    .replace(/\$(?=['"])/g, '')
    .replace(/['"]/g, '');
  const decoded = decodeEscapes(command.replace(/\$(?=['"])/g, '').replace(/['"]/g, ''));
  return [command, unquoted, unquoted.replace(/\\/g, ''), decoded, decoded.replace(/\\/g, '')];
}

export function touchesGuardSettings(command: string): boolean {
  return settingsReadings(command).some((text) => GUARD_SETTINGS.test(text));
}

/** Refused before any policy: the command changes which guard judges it. */
export function settingsRefusal(call: ShellCall): Verdict | undefined {
  if (!touchesGuardSettings(call.command)) return undefined;
  return {
    kind: 'block',
    cause: 'policy',
    reason:
      "refused: the command changes guard's own settings (GUARD_HOME, GUARD_SOCKET, its policy directories or XDG_STATE_HOME), however quoted or escaped, which would let it bypass this guard. Nothing ran. Run the command without those variables.",
  };
}

export function decide(call: ShellCall, decision: Judgement, d: DecideDeps): Verdict {
  const why = summary(decision);
  if (decision.effect === 'deny') {
    return {
      kind: 'block',
      cause: 'policy',
      reason: `denied by policy: ${why}. Nothing ran. Do not retry this command; if it is really needed, ask a human to change the guard policy.`,
    };
  }
  // an agent that rewrites gets the here-document form; one that cannot is told a one-line hand-off
  const rewrite = (reason: string): string =>
    d.canRewrite
      ? execRewriteLine({
          guard: d.guard,
          command: call.command,
          agent: d.agent,
          session: call.session,
          reason,
          pin: d.pin,
        })
      : execCommandLine({ guard: d.guard, command: call.command, agent: d.agent, session: call.session, reason });
  if (decision.effect === 'approve') {
    const ask = `${d.agent} asks to run this${call.session === undefined ? '' : ` (session ${call.session})`}`;
    const minutes = Math.max(1, Math.round((decision.approval?.timeoutSeconds ?? 0) / 60));
    if (!d.canRewrite) {
      return {
        kind: 'block',
        cause: 'policy',
        reason: `needs human approval: ${why}. Run it through guard instead, exactly as: ${rewrite(ask)} — guard will hold it until a human approves (up to ${minutes} min) and then run it.`,
      };
    }
    return {
      kind: 'rewrite',
      command: rewrite(ask),
      waitsForApproval: true,
      reason: `needs human approval: ${why}. It now runs through guard exec, which waits until a human approves (up to ${minutes} min) or refuses.`,
    };
  }
  if (decision.effect !== 'allow') {
    // never reached with a checked answer; an effect guard does not know is a refusal
    return { kind: 'block', cause: 'guard', reason: `unknown policy effect ${JSON.stringify(decision.effect)}` };
  }
  if (d.mode === 'pass' || !d.canRewrite) return { kind: 'pass', reason: `allowed by policy: ${why}` };
  return {
    kind: 'rewrite',
    command: rewrite(`${d.agent} command`),
    waitsForApproval: false,
    reason: `allowed by policy (${why}); it runs through guard exec so that it is recorded`,
  };
}

/** The strictest reasons, one line, bounded. */
function summary(d: Judgement): string {
  const text = d.reasons.length === 0 ? `policy default (${d.effect})` : d.reasons.slice(0, 3).join('; ');
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}
