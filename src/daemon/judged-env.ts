/**
 * The environment values an exec request is judged on (decisions 1025, 1026). A full request
 * carries a sha256 of every variable in `binding.env`, the values of the bound variables for the
 * reviewer (`context.env`, src/context/binding.ts) and, in `env`, the values of the variables the
 * policy reads (the names the daemon's `need_context` asked for). A value counts only when its hash
 * is the one the binding carries — the binding is what the executor checks the command's
 * environment against and what an approval binds — so a policy `env:` rule holds for the values the
 * command runs with. A quick request carries only the names of its variables (`envNames`).
 */
import { createHash } from 'node:crypto';
import type { ExecMessage, ExecOutcome } from './messages.js';
import { ReplyError } from './server.js';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The policy's `env:` keys that name one variable (a glob key matches only the line's assignments). */
export function readEnvNames(policyNames: readonly string[]): string[] {
  return policyNames.filter((n) => !/[*?[]/.test(n));
}

/**
 * A quick request must be sent again with the full context when a variable the policy reads is set
 * in the environment the client runs the command with, or when the client did not say which are.
 */
export function quickNeedsValues(msg: Pick<ExecMessage, 'partialContext' | 'envNames'>, read: string[]): boolean {
  if (msg.partialContext !== true || read.length === 0) return false;
  if (msg.envNames === undefined) return true;
  const set = new Set(msg.envNames);
  return read.some((n) => set.has(n));
}

/** `need_context`, naming the variables whose values the full request must carry in `env`. */
export function needContext(read: string[]): ExecOutcome {
  return { outcome: 'need_context', ...(read.length === 0 ? {} : { env: read }) };
}

export function judgedEnv(
  msg: Pick<ExecMessage, 'env' | 'binding' | 'context'>,
  policyNames: readonly string[],
): Record<string, string> | undefined {
  if (msg.binding === undefined) return msg.env;
  const bound = msg.binding.env;
  const out: Record<string, string> = {};
  const shown = msg.context['env'];
  if (typeof shown === 'object' && shown !== null)
    for (const [name, value] of Object.entries(shown as Record<string, unknown>))
      if (typeof value === 'string' && bound[name] === sha256(value)) out[name] = value;
  // an explicit env field is judged only where it agrees with what the command will run with (a
  // name the binding does not carry is unset there)
  for (const [name, value] of Object.entries(msg.env ?? {})) {
    if (bound[name] !== sha256(value))
      throw new ReplyError('refused', `the value of ${name} judged differs from its binding; nothing was run`);
    out[name] = value;
  }
  // a variable the policy reads, set, without its value: judging it unset would be a lie
  for (const name of readEnvNames(policyNames))
    if (bound[name] !== undefined && out[name] === undefined)
      throw new ReplyError(
        'refused',
        `the policy reads ${name}, and the request does not carry the value its binding hashes; nothing was run`,
      );
  return out;
}
