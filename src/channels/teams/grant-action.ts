/**
 * The `guard_grant_action` choice of a Teams live-grant card (decision 1111): what the card offers
 * and how the value the flow returns is read. A value names its request and, for an extension, the
 * grant as the card showed it and the grant asked for (as Slack's Extend button does, decision
 * 1091): the flow's answer is the flow owner's to forge, so a value only names what to ask the
 * daemon, which checks the responder, the grant as shown (compare-and-set) and the rule's bounds
 * again and records any refusal. A value for another request is refused here. Pure.
 */
import type { RequestView } from '../types.js';

/** Characters of a returned value at most (an extension's value is about 110). */
export const GRANT_ACTION_MAX_CHARS = 200;

const ISO = '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,3})?Z';
const USES = '[0-9]{1,7}';
const ID = '[A-Za-z0-9][A-Za-z0-9@._-]{0,99}';
const EXTEND = new RegExp(`^extend (${ID}) (${USES}) (${ISO}) (${USES}) (${ISO})$`);
const REVOKE = new RegExp(`^revoke (${ID})$`);

export interface GrantChoice {
  title: string;
  value: string;
}

export type GrantAction =
  | { ok: true; kind: 'revoke' }
  | {
      ok: true;
      kind: 'extend';
      from: { usesLeft: number; expiresAt: string };
      to: { usesLeft: number; expiresAt: string };
    }
  | { ok: false; reason: string };

const usesText = (n: number): string => `${n} use${n === 1 ? '' : 's'}`;

/** A live-grant card's choices: the daemon's extension offer (when its rule allows one), and revoke. */
export function grantChoices(view: RequestView): GrantChoice[] {
  const o = view.extendOffer;
  const extend =
    o === undefined
      ? []
      : [
          {
            title: `Extend to ${usesText(o.to.usesLeft)} left until ${o.to.expiresAt} (the most this rule allows)`,
            value: `extend ${view.id} ${o.from.usesLeft} ${o.from.expiresAt} ${o.to.usesLeft} ${o.to.expiresAt}`,
          },
        ];
  return [...extend, { title: 'Revoke the grant now', value: `revoke ${view.id}` }];
}

/**
 * What a returned value asks of request `requestId` (the request whose card answered), or why it
 * is refused: not a value guard offers, or one naming another request (a value moved between cards).
 */
export function readGrantAction(value: string, requestId: string): GrantAction {
  const extend = EXTEND.exec(value);
  const revoke = REVOKE.exec(value);
  const named = extend?.[1] ?? revoke?.[1];
  if (named === undefined) return { ok: false, reason: 'the grant action is not one guard offers (malformed choice)' };
  if (named !== requestId)
    return { ok: false, reason: `the grant action names request ${named}, not ${requestId} whose card answered` };
  if (extend === null) return { ok: true, kind: 'revoke' };
  return {
    ok: true,
    kind: 'extend',
    from: { usesLeft: Number(extend[2]), expiresAt: extend[3]! },
    to: { usesLeft: Number(extend[4]), expiresAt: extend[5]! },
  };
}
