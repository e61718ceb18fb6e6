/**
 * Is any approver enrolled? With none, the first `guard approver enroll` — by anyone who can run
 * it as this user, an agent included — becomes the bootstrap approver and can approve every held
 * command. `guard init` and `guard doctor` say so loudly. The daemon's count (status) is preferred:
 * in hardened mode the client cannot read the registry.
 */
import { loadApprovers } from '../../approval/registry.js';
import { guardPaths } from '../../config/paths.js';
import type { DaemonStatus } from '../../daemon/messages.js';
import type { Check } from './check.js';

export const NO_APPROVER_WARNING =
  'NO APPROVER IS ENROLLED: nothing that needs approval can run, and whoever enrolls first — an agent ' +
  'running as this user included — becomes the bootstrap approver. Enroll yourself now.';

export function approverCheck(env: NodeJS.ProcessEnv, status: DaemonStatus | undefined): Check {
  let enrolled: number;
  try {
    enrolled = status?.approvers?.enrolled ?? loadApprovers(guardPaths(env).approversDir).length;
    if (status?.approvers?.error !== undefined) throw new Error(status.approvers.error);
  } catch (err) {
    return {
      name: 'approvers',
      status: 'fail',
      detail: `the approver registry cannot be read: ${(err as Error).message}`,
      hint: 'remove approver records written by hand; enroll with `guard approver enroll`',
    };
  }
  if (enrolled > 0) return { name: 'approvers', status: 'ok', detail: `${enrolled} enrolled` };
  return {
    name: 'approvers',
    status: 'warn',
    detail: NO_APPROVER_WARNING,
    hint: 'guard approver enroll --name YOU --group ops (from your own terminal, not the agent’s)',
  };
}
