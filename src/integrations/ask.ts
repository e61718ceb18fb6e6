/**
 * The hook asks the daemon to judge (and record) a shell call: the `check` message. The daemon
 * holds the loaded policy, so the hook loads none — no YAML, no rule examples, no shell parser.
 * Everything that is not a well-formed answer is an error (the hook then blocks).
 */
import { hostname, userInfo } from 'node:os';
import type { DaemonClient } from '../daemon/client.js';
import type { CheckMessage } from '../daemon/messages.js';
import { FailClosedError } from '../errors.js';
import type { HookIntent } from './intent.js';
import { recordEffects, type AllowedMode, type Judgement } from './decide.js';
import type { AgentName, ShellCall } from './types.js';

export interface AskOptions {
  agent: AgentName;
  mode: AllowedMode;
  canRewrite: boolean;
}

/** The requester and hook context the daemon records (what the hook knows without looking around). */
export function hookContext(agent: AgentName, call: ShellCall): Record<string, unknown> {
  const me = userInfo();
  return {
    requester: {
      user: me.username,
      uid: me.uid,
      host: hostname(),
      pid: process.pid,
      agent,
      ...(call.session === undefined ? {} : { agentSession: call.session }),
    },
    cwd: call.cwd,
    hook: { agent, ...(call.session === undefined ? {} : { session: call.session }) },
  };
}

export function checkMessage(call: ShellCall, o: AskOptions, intent?: HookIntent): CheckMessage {
  return {
    ...(intent === undefined ? {} : { intent }),
    type: 'check',
    shell: call.command,
    cwd: call.cwd,
    context: hookContext(o.agent, call),
    agent: o.agent,
    ...(call.note === undefined ? {} : { reason: call.note }),
    record: true,
    recordEffects: recordEffects(o.mode, o.canRewrite),
  };
}

/** Send `check` and return the checked judgement. */
export async function askDaemon(
  client: DaemonClient,
  call: ShellCall,
  o: AskOptions,
  intent?: HookIntent,
): Promise<Judgement> {
  return client.call(checkMessage(call, o, intent), judgementOf);
}

const EFFECTS: ReadonlySet<unknown> = new Set(['allow', 'approve', 'deny']);

/** Validate the daemon's answer to `check` (only the fields the hook acts on). */
export function judgementOf(data: unknown): Judgement {
  const bad = (what: string): FailClosedError =>
    new FailClosedError(`the daemon's answer to check is malformed (${what})`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('not an object');
  const o = data as Record<string, unknown>;
  const effect = o['effect'];
  if (!EFFECTS.has(effect)) throw bad(`effect ${JSON.stringify(effect)}`);
  const reasons = o['reasons'];
  if (!Array.isArray(reasons) || !reasons.every((r) => typeof r === 'string')) throw bad('reasons');
  const a = o['approval'];
  let approval: Judgement['approval'];
  if (a !== undefined && a !== null) {
    const s = a as Record<string, unknown>;
    if (typeof s['timeoutSeconds'] !== 'number' || typeof s['quorum'] !== 'number') throw bad('approval');
    approval = { timeoutSeconds: s['timeoutSeconds'], quorum: s['quorum'] };
  }
  const c = o['commands'];
  let commands: Judgement['commands'];
  if (c !== undefined) {
    const ok =
      Array.isArray(c) &&
      c.every((x: { argv?: unknown; text?: unknown } | null) => {
        if (typeof x !== 'object' || x === null) return false;
        const { argv, text } = x;
        return typeof text === 'string' && Array.isArray(argv) && argv.every((a) => typeof a === 'string');
      });
    if (!ok) throw bad('commands');
    commands = c as Judgement['commands'];
  }
  return { effect: effect as Judgement['effect'], reasons, approval, commands };
}
