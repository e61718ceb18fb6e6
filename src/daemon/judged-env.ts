/**
 * The environment values an exec request is judged on (decision 1025). The real client sends no
 * `env` field; its full request carries the values of the bound variables (src/context/binding.ts)
 * in `context.env` and a sha256 of every variable in `binding.env`. A value counts only when its
 * hash is the one the binding carries — the binding is what the executor checks the command's
 * environment against — so a policy `env:` rule holds for the values the command runs with.
 */
import { createHash } from 'node:crypto';
import { isBoundEnvName } from '../context/binding.js';
import type { ExecMessage } from './messages.js';
import { ReplyError } from './server.js';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export function judgedEnv(
  msg: Pick<ExecMessage, 'env' | 'binding' | 'context'>,
  policyNames: readonly string[],
): Record<string, string> | undefined {
  if (msg.binding === undefined) return msg.env;
  const bound = msg.binding.env;
  if (msg.env !== undefined) {
    // an explicit env field is judged only where it agrees with what the command will run with
    for (const [name, value] of Object.entries(msg.env))
      if (bound[name] !== undefined && bound[name] !== sha256(value))
        throw new ReplyError('refused', `the value of ${name} judged differs from its binding; nothing was run`);
    return msg.env;
  }
  const shown = msg.context['env'];
  const out: Record<string, string> = {};
  if (typeof shown === 'object' && shown !== null)
    for (const [name, value] of Object.entries(shown as Record<string, unknown>))
      if (typeof value === 'string' && bound[name] === sha256(value)) out[name] = value;
  // a bound variable the policy reads, set, without its value: judging it unset would be a lie
  for (const name of policyNames)
    if (isBoundEnvName(name) && bound[name] !== undefined && out[name] === undefined)
      throw new ReplyError(
        'refused',
        `the policy reads ${name}, and the request does not carry the value its binding hashes; nothing was run`,
      );
  return out;
}
