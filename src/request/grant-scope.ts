/**
 * Scoped grants in the daemon: the grant an approval with a signed scope yields, and the probe a
 * later command is compared with (src/approval/scope.ts holds the rules).
 */
import type { Grant } from '../approval/grants.js';
import { scopeFacts, scopeText, type GrantRequest, type ScopeProbe } from '../approval/scope.js';
import type { Decision, Requester } from '../policy/types.js';
import { redactText } from '../redact/index.js';
import type { LiveGrantView, StoredRequest } from './state.js';

/** The scoped grant the approving votes all chose (with a quorum, every approver must have); undefined: none. */
function chosenGrant(r: StoredRequest): GrantRequest | undefined {
  const approving = r.votes.filter((v) => v.action === 'approve');
  const first = approving[0]?.grant;
  return first !== undefined && approving.every((v) => v.grant?.scope === first.scope) ? first : undefined;
}

/**
 * The grant of an approved request when its approving votes signed one and the same scope
 * (with a quorum, every approver must have chosen it); undefined: the policy's default grant.
 */
export function grantFromVotes(r: StoredRequest, now: Date): Grant | undefined {
  const first = chosenGrant(r);
  if (first === undefined) return undefined;
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

/**
 * UTF-8 bytes of scope text a channel view carries at most (decision 1107): a scope names the
 * command, which can be up to the daemon's frame limit and is already whole in the view's `command`.
 */
export const SCOPE_MAX_BYTES = 4096;

/**
 * The scope of an approved request's grant in words, as approved: the text its approvers chose and
 * signed, else the policy's default grant in the same words (src/approval/scope.ts), naming `command`.
 */
function approvedScope(r: StoredRequest, command: string): string {
  return (
    chosenGrant(r)?.scope ??
    scopeText(
      { ...scopeFacts(r.view), command },
      { uses: r.settings.grantUses, ttlSeconds: r.settings.grantTtlSeconds },
    )
  );
}

/** An approved request's grant for a channel view: its state now and its scope, cut to SCOPE_MAX_BYTES (the cut named). */
export function liveGrantView(r: StoredRequest): LiveGrantView | undefined {
  if (r.grant === undefined) return undefined;
  const grant = { usesLeft: r.grant.usesLeft, expiresAt: r.grant.expiresAt };
  // A default grant's scope names the whole command: it is built from the command's first
  // SCOPE_MAX_BYTES units only (a megabyte command is not copied on every update); those alone
  // exceed the budget, so the cut falls inside them and the rest is counted as not shown.
  const command = r.view.command;
  const clip = chosenGrant(r) === undefined ? unitsWithin(command, SCOPE_MAX_BYTES) : command.length;
  const scope = approvedScope(r, command.slice(0, clip));
  const beyond = codePoints(command, clip);
  if (beyond === 0 && Buffer.byteLength(scope, 'utf8') <= SCOPE_MAX_BYTES) return { ...grant, scope };
  // "…" is 3 bytes
  const kept = fitBytes(scope, SCOPE_MAX_BYTES - 3);
  return { ...grant, scope: `${kept}…`, scopeOmitted: codePoints(scope, kept.length) + beyond };
}

/** At most `max` UTF-16 units of `text`, never ending inside a surrogate pair. */
function unitsWithin(text: string, max: number): number {
  if (text.length <= max) return text.length;
  const c = text.charCodeAt(max - 1);
  return c >= 0xd800 && c <= 0xdbff ? max - 1 : max;
}

/** The longest prefix of `text` within `max` UTF-8 bytes, never splitting a code point. */
function fitBytes(text: string, max: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > max) break;
    end += ch.length;
  }
  return text.slice(0, end);
}

/** Code points in `text` from UTF-16 index `from` on: its units less one per surrogate pair (no array of a megabyte's characters). */
function codePoints(text: string, from: number): number {
  const rest = text.slice(from);
  return rest.length - (rest.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}
