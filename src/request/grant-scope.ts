/**
 * Scoped grants in the daemon: the grant an approval with a signed scope yields, and the probe a
 * later command is compared with (src/approval/scope.ts holds the rules).
 */
import type { Grant } from '../approval/grants.js';
import { scopeFacts, type ScopeProbe } from '../approval/scope.js';
import type { Decision, Requester } from '../policy/types.js';
import { redactText } from '../redact/index.js';
import type { StoredRequest } from './state.js';

/**
 * The grant of an approved request when its approving votes signed one and the same scope
 * (with a quorum, every approver must have chosen it); undefined: the policy's default grant.
 */
export function grantFromVotes(r: StoredRequest, now: Date): Grant | undefined {
  const approving = r.votes.filter((v) => v.action === 'approve');
  const first = approving[0]?.grant;
  if (first === undefined || !approving.every((v) => v.grant?.scope === first.scope)) return undefined;
  const facts = scopeFacts(r.view);
  return {
    requestId: r.id,
    fingerprint: r.fingerprint,
    expiresAt: new Date(now.getTime() + first.ttlSeconds * 1000).toISOString(),
    usesLeft: first.uses,
    revoked: false,
    ...(first.session === undefined
      ? {}
      : {
          scope: {
            session: first.session,
            rules: facts.rules,
            user: facts.user,
            agent: facts.agent,
            cwd: facts.cwd,
            text: first.scope,
          },
        }),
  };
}

/** What a new command looks like to a session grant (redacted as the view is). */
export function probeOf(d: Decision, requester: Requester, cwd: string, session: string | undefined): ScopeProbe {
  return {
    session,
    rules: d.matches.filter((m) => m.effect === 'approve').map((m) => m.ruleId),
    user: requester.user,
    agent: requester.agent,
    cwd: redactText(cwd).value,
  };
}
