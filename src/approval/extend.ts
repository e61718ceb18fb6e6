/**
 * Extending a live grant (decision 1087): an approver signs "grant of request R, which now has U
 * uses left until T, shall have U' uses left until T'". The statement names the grant as it was
 * shown (`from`), so it applies once: replayed after a use, or a second time, `from` no longer
 * matches. Only an approver who could approve the request alone may extend it (its groups and
 * four-eyes, a quorum of one), and never beyond the policy's `max_uses` / `max_ttl`. Pure.
 */
import { z } from 'zod';
import { lazily } from '../util/lazily.js';
import type { ApprovalSettings, Requester } from '../policy/types.js';
import { decodeBase64, parseTime } from './encoding.js';
import type { Grant } from './grants.js';
import { eligibility } from './quorum.js';
import { APPROVER_NAME, firstIssue } from './schema.js';
import { verifyStatement } from './statement.js';
import type { ApproverRecord } from './types.js';

const time = lazily(() => z.string().refine((s) => parseTime(s) !== undefined, 'an ISO-8601 time with a zone'));
const state = lazily(() => z.strictObject({ usesLeft: z.number().int().min(0).max(1_000_000), expiresAt: time }));

export const extendStatementSchema = lazily(() =>
  z.strictObject({
    v: z.literal(1),
    kind: z.literal('grant_extend'),
    requestId: z.string().regex(/^rq-[0-9a-f]{12}$/),
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    approver: z.string().regex(APPROVER_NAME),
    at: time,
    from: state,
    to: state,
    reason: z.string().min(1).max(4096).optional(),
  }),
);

export type ExtendStatement = z.infer<typeof extendStatementSchema>;
export type SignedExtension = ExtendStatement & { signature: string };

/** Exactly the signed fields, undefined ones dropped. */
export function extendStatement(s: ExtendStatement): ExtendStatement {
  const { v, kind, requestId, fingerprint, approver, at, from, to, reason } = s;
  const out: ExtendStatement = { v, kind, requestId, fingerprint, approver, at, from: { ...from }, to: { ...to } };
  return reason === undefined ? out : { ...out, reason };
}

/** The grant as an extension names it. */
export const grantState = (g: Pick<Grant, 'usesLeft' | 'expiresAt'>): ExtendStatement['from'] => ({
  usesLeft: g.usesLeft,
  expiresAt: g.expiresAt,
});

export interface ExtendTarget {
  id: string;
  fingerprint: string;
  state: string;
  grant?: Grant | undefined;
  settings: ApprovalSettings;
  requester: Requester;
}

export type ExtendCheck =
  | { ok: true; approver: ApproverRecord; grant: Grant }
  | { ok: false; code: 'malformed' | 'unknown-approver' | 'bad-signature' | 'stale' | 'grant-refused'; reason: string };

/** Clock tolerance for the signing time, as for decisions. */
const SKEW_MS = 300_000;

/** Is this signed extension from an eligible approver, for this live grant as it stands, within bounds? */
export function checkExtension(signed: unknown, r: ExtendTarget, approvers: ApproverRecord[], now: Date): ExtendCheck {
  const parsed = extendStatementSchema.extend({ signature: z.string() }).safeParse(signed);
  if (!parsed.success)
    return { ok: false, code: 'malformed', reason: `malformed extension: ${firstIssue(parsed.error)}` };
  const { signature, ...statement } = parsed.data;
  const approver = approvers.find((a) => a.name === statement.approver);
  if (approver === undefined)
    return { ok: false, code: 'unknown-approver', reason: `"${statement.approver}" is not an enrolled approver` };
  if (
    decodeBase64(signature, 64) === undefined ||
    !verifyStatement(extendStatement(statement), signature, approver.publicKey)
  )
    return { ok: false, code: 'bad-signature', reason: `the signature is not ${approver.name}'s` };
  const refuse = (reason: string): ExtendCheck => ({ ok: false, code: 'grant-refused', reason });
  if (statement.requestId !== r.id || statement.fingerprint !== r.fingerprint)
    return refuse('signed for another request or command');
  if (Math.abs(Date.parse(statement.at) - now.getTime()) > SKEW_MS)
    return { ok: false, code: 'stale', reason: `signed at ${statement.at}, too far from now` };
  const c = extensionCheck(r, approver, statement.from, statement.to, now);
  return c.ok ? { ok: true, approver, grant: c.grant } : refuse(c.reason);
}

/**
 * The checks an extension passes whoever asks for it (a signed statement, or a channel's verified
 * identity, decision 1091): a live grant exactly as shown (`from`), extendable by one eligible
 * approver, only more uses or time, within `max_uses` / `max_ttl` from now.
 */
export function extensionCheck(
  r: ExtendTarget,
  approver: ApproverRecord,
  from: ExtendStatement['from'],
  to: ExtendStatement['to'],
  now: Date,
): { ok: true; grant: Grant } | { ok: false; reason: string } {
  const refuse = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
  const g = r.grant;
  if (
    r.state !== 'approved' ||
    g === undefined ||
    g.revoked ||
    g.usesLeft < 1 ||
    Date.parse(g.expiresAt) <= now.getTime()
  )
    return refuse(`request ${r.id} has no live grant to extend (${r.state})`);
  if (from.usesLeft !== g.usesLeft || Date.parse(from.expiresAt) !== Date.parse(g.expiresAt))
    return refuse(
      `the grant changed since it was shown (now ${g.usesLeft} use(s) until ${g.expiresAt}); nothing was extended`,
    );
  const s = r.settings;
  if (s.maxUses === undefined || s.maxTtlSeconds === undefined)
    return refuse('the policy allows no extension of this grant (no max_uses / max_ttl)');
  if (s.quorum > 1) return refuse(`the rule needs ${s.quorum} approvers: one approver cannot extend its grant`);
  const e = eligibility(approver, r.settings, r.requester);
  if (!e.ok) return refuse(e.reason);
  const until = Date.parse(to.expiresAt);
  if (to.usesLeft < g.usesLeft || until < Date.parse(g.expiresAt))
    return refuse('an extension only adds uses or time (revoke to end a grant)');
  if (to.usesLeft === g.usesLeft && until === Date.parse(g.expiresAt)) return refuse('nothing to extend');
  if (to.usesLeft > s.maxUses) return refuse(`at most ${s.maxUses} uses (policy max_uses)`);
  if (until > now.getTime() + s.maxTtlSeconds * 1000)
    return refuse(`the grant may last at most ${s.maxTtlSeconds} s from now (policy max_ttl)`);
  return { ok: true, grant: { ...g, usesLeft: to.usesLeft, expiresAt: new Date(until).toISOString() } };
}
