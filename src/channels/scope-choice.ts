/**
 * The scope menu on the remote approval surfaces (Slack, Teams, the web page): the choices of
 * src/approval/grant-choices.ts, each sent out with a short token and read back from the token the
 * surface returns. The surface's user controls what comes back (a forged button value, a hand-made
 * form), so a token only says "this many uses within this many seconds, for the request's own
 * session or not"; the grant is rebuilt against the request's view, and the daemon checks it
 * against the rule's bounds like a signed grant (src/request/vote.ts). Pure.
 */
import { grantChoices, type GrantChoice } from '../approval/grant-choices.js';
import { scopeFacts, scopeText, type GrantRequest } from '../approval/scope.js';
import type { RequestView } from '../request/state.js';

export const ONCE = 'once';
/** Uses and seconds of at most 9 digits each: anything larger is a forgery the daemon refuses anyway. */
const TOKEN = /^u([1-9][0-9]{0,8})-t([1-9][0-9]{0,8})(-session)?$/;

export interface OfferedChoice extends GrantChoice {
  /** What the surface sends back for this choice. */
  token: string;
}

export function choiceToken(grant: GrantRequest | undefined): string {
  if (grant === undefined) return ONCE;
  return `u${grant.uses}-t${grant.ttlSeconds}${grant.session === undefined ? '' : '-session'}`;
}

/** The choices to offer for a request, "once" first (only "once" when its rules allow no scope). */
export function offeredChoices(view: RequestView): OfferedChoice[] {
  return grantChoices(view).map((c) => ({ ...c, token: choiceToken(c.grant) }));
}

/**
 * The grant a returned token asks for on this request (undefined: once), or why it cannot be read.
 * Bounds are not checked here: the daemon does, and records a refusal.
 */
export function grantOfToken(
  view: RequestView,
  token: string,
): { ok: true; grant: GrantRequest | undefined } | { ok: false; reason: string } {
  if (token === ONCE) return { ok: true, grant: undefined };
  const m = TOKEN.exec(token);
  if (m === null) return { ok: false, reason: 'the chosen grant is not one guard offers (malformed choice)' };
  if (m[3] !== undefined && view.session === undefined)
    return { ok: false, reason: `request ${view.id} names no agent session to grant` };
  const g = {
    uses: Number(m[1]),
    ttlSeconds: Number(m[2]),
    ...(m[3] === undefined ? {} : { session: view.session }),
  };
  return { ok: true, grant: { ...g, scope: scopeText(scopeFacts(view), g) } };
}
