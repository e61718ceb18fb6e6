/**
 * The hook's decision, the same for every agent: judge the command with the policy engine, then
 * pass it, refuse it, or rewrite it to run through `guard exec`. Pure: the policy evaluation and
 * the guard command are given; nothing here reads files, the clock or the network.
 */
import type { Decision, PolicyRequest, Requester } from '../policy/types.js';
import { execCommandLine } from './rewrite.js';
import type { AgentName, ShellCall, Verdict } from './types.js';

/**
 * What happens to commands policy allows. `record` (default): they too run through `guard exec`,
 * so every run reaches the ledger with its exit status. `pass`: they run unchanged in the agent's
 * shell (its cwd and shell functions carry over) and are not on the ledger.
 */
export type AllowedMode = 'record' | 'pass';

export interface DecideDeps {
  evaluate(req: PolicyRequest): Decision;
  /** Absolute command that starts guard (e.g. ['/usr/local/bin/guard']). */
  guard: string[];
  agent: AgentName;
  requester: Requester;
  mode: AllowedMode;
  canRewrite: boolean;
}

/** The argv guard exec will send for a rewritten command; the hook judges exactly this. */
export function shellArgv(command: string): string[] {
  return ['bash', '-c', command];
}

/**
 * Variables that choose which guard judges a command (its home, its policy layers, itself).
 * A command that sets, exports or unsets one could send an inner `guard exec` to a daemon of the
 * agent's making, so the hook refuses any mention other than reading it (`$GUARD_HOME`). The
 * policy engine drops bare assignments and `export`, so this is a check on the text.
 */
const GUARD_SETTINGS =
  /(?<![$\w{])(?:GUARD_(?:HOME|DEFAULT_POLICIES|SYSTEM_POLICIES|SELF|NO_AUTOSTART)|XDG_STATE_HOME)(?!\w)/;

export function touchesGuardSettings(command: string): boolean {
  return GUARD_SETTINGS.test(command);
}

export function decide(call: ShellCall, d: DecideDeps): Verdict {
  if (touchesGuardSettings(call.command)) {
    return {
      kind: 'block',
      cause: 'policy',
      reason:
        "refused: the command changes guard's own settings (GUARD_HOME, its policy directories or XDG_STATE_HOME), which would let it bypass this guard. Nothing ran. Run the command without those variables.",
    };
  }
  const decision = d.evaluate({
    argv: shellArgv(call.command),
    shell: call.command,
    cwd: call.cwd,
    requester: d.requester,
  });
  if (isOwnExec(decision, d.guard)) return { kind: 'pass', reason: 'already runs through guard exec' };
  const why = summary(decision);
  if (decision.effect === 'deny') {
    return {
      kind: 'block',
      cause: 'policy',
      reason: `denied by policy: ${why}. Nothing ran. Do not retry this command; if it is really needed, ask a human to change the guard policy.`,
    };
  }
  const rewrite = (reason: string): string =>
    execCommandLine({
      guard: d.guard,
      command: call.command,
      agent: d.agent,
      session: call.session,
      reason,
    });
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
  if (d.mode === 'pass' || !d.canRewrite) return { kind: 'pass', reason: `allowed by policy: ${why}` };
  return {
    kind: 'rewrite',
    command: rewrite(`${d.agent} command`),
    waitsForApproval: false,
    reason: `allowed by policy (${why}); it runs through guard exec so that it is recorded`,
  };
}

/** The strictest reasons, one line, bounded. */
function summary(d: Decision): string {
  const text = d.reasons.length === 0 ? `policy default (${d.effect})` : d.reasons.slice(0, 3).join('; ');
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

/**
 * The command is exactly one call of this guard's `exec` (as handed back to an agent that cannot
 * rewrite): guard exec judges and records it itself. Only the absolute guard path counts, and no
 * variable assignment other than GUARD_AGENT (GUARD_HOME=… would point exec at another daemon).
 */
export function isOwnExec(d: Decision, guard: string[]): boolean {
  if (d.commands.length !== 1 || d.unresolved.length > 0 || guard.length === 0) return false;
  const c = d.commands[0]!;
  if (c.programPath === undefined) return false;
  const words = [c.programPath, ...c.args];
  const expected = [...guard, 'exec'];
  if (!expected.every((w, i) => words[i] === w)) return false;
  if (c.via.some((v) => !/^(ba)?sh -c$/.test(v))) return false;
  return Object.keys(c.assignments).every((k) => k === 'GUARD_AGENT' || k === 'GUARD_AGENT_SESSION');
}
