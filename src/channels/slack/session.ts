/**
 * The session message (decision 1114): one Slack message per agent session with two or more open
 * requests, listing each (id, command, rules, risk, intent label) with "Approve all N" / "Deny
 * all N". Both buttons' value names the exact set shown: the session and, per request, its id and
 * the hash of the view it showed (`shownViewHash`, as the web page's batch form). When that does
 * not fit a button value, the value is a digest of the set and the channel keeps the set.
 */
import { createHash } from 'node:crypto';
import { batchExclusion } from '../../approval/batch.js';
import { middleEllipsis } from '../summary.js';
import type { PendingRequest } from '../types.js';
import { visibleDeep, visibleText } from '../../util/visible.js';
import { code, escapeText, splitEscaped } from './escape.js';
import type { Block } from './blocks.js';

export const ACTION_BATCH_APPROVE = 'guard_batch_approve';
export const ACTION_BATCH_DENY = 'guard_batch_deny';
/** Requests listed at most; the rest keep their own messages (and the web page's batch). */
export const MAX_LISTED = 20;
/** Slack's limit on a button's value. */
export const VALUE_CHARS = 2000;
/** Characters of block text in the whole message (as blocks.ts: under Slack's cumulative limit). */
const BUDGET = 9_000;
const FIELD_CHARS = 60;
/** Header plain text: 150 characters; the emoji counts two UTF-16 units. */
const HEADER_CHARS = 148;
const ID = /^rq-[0-9a-f]{12}$/;
const HASH = /^[0-9a-f]{64}$/;

/** The set a session message shows and its buttons decide: each request with the view hash shown. */
export interface BatchSet {
  session: string;
  items: { id: string; viewHash: string }[];
}

export interface SessionMessage {
  text: string;
  blocks: Block[];
  /** What the buttons carry: the set itself, or `digest:<sha256>` of it when that is too long. */
  value: string;
  /** The digest when `value` is one (the channel keeps the set under it). */
  digest?: string | undefined;
  set: BatchSet;
}

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text, verbatim: true } };
}

/** The set written out: `{"s":session,"r":[[id,hash],…]}`. */
export function encodeSet(set: BatchSet): string {
  return JSON.stringify({ s: set.session, r: set.items.map((i) => [i.id, i.viewHash]) });
}

/** sha256 hex of the set written out: the key a too-long set is kept under. */
export function digestOf(set: BatchSet): string {
  return createHash('sha256').update(encodeSet(set)).digest('hex');
}

/** A button value read back: the set it names, a digest to look up, or undefined when malformed. */
export function decodeValue(value: string): { set: BatchSet } | { digest: string } | undefined {
  const digest = /^digest:([0-9a-f]{64})$/.exec(value);
  if (digest !== null) return { digest: digest[1]! };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const p = parsed as { s?: unknown; r?: unknown };
  if (typeof p.s !== 'string' || p.s === '' || !Array.isArray(p.r) || p.r.length === 0 || p.r.length > MAX_LISTED)
    return undefined;
  const items: BatchSet['items'] = [];
  for (const pair of p.r as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const [id, viewHash] = pair as unknown[];
    if (typeof id !== 'string' || !ID.test(id) || typeof viewHash !== 'string' || !HASH.test(viewHash))
      return undefined;
    items.push({ id, viewHash });
  }
  if (new Set(items.map((i) => i.id)).size !== items.length) return undefined;
  return { set: { session: p.s, items } };
}

/** The command as a code block of at most `limit` escaped characters, the cut named. */
function commandText(command: string, limit: number): string {
  const shown = splitEscaped(command, limit)[0] ?? '';
  const chars = [...shown.replace(/&amp;|&lt;|&gt;/g, 'x').replace(/\u200b/g, '')].length;
  const total = [...command].length;
  const cut =
    chars < total ? `\n_(command cut: first ${chars} of ${total} characters; in full on its own message)_` : '';
  return `\`\`\`${shown}\`\`\`${cut}`;
}

function requestText(p: PendingRequest, n: number, session: string, commandChars: number): string {
  const view = visibleDeep(p.detail.view);
  const ids = [...new Set(view.rules.map((r) => r.id))];
  const rules = ids.slice(0, 3).map((id) => code(middleEllipsis(id, FIELD_CHARS)));
  if (ids.length > 3) rules.push(`and ${ids.length - 3} more`);
  const intent =
    view.intent === undefined ? '' : ` · intent _(${escapeText(middleEllipsis(view.intent.label, FIELD_CHARS))})_`;
  const stepUp = batchExclusion(p.detail, 'approve', session);
  const note = stepUp === undefined ? '' : `\n_Not part of Approve all: ${escapeText(stepUp)}_`;
  return `*${n}.* ${code(view.id)} · risk *${view.risk}* · rule ${rules.join(', ') || '_(none)_'}${intent}\n${commandText(view.command, commandChars)}${note}`;
}

/**
 * The session message for `open` (the session's open requests, oldest first). Lists the first
 * MAX_LISTED; the buttons decide exactly those listed.
 */
export function renderSession(session: string, open: PendingRequest[]): SessionMessage {
  const listed = open.slice(0, MAX_LISTED);
  const shownSession = visibleText(session);
  const set: BatchSet = { session, items: listed.map((p) => ({ id: p.detail.view.id, viewHash: p.viewHash })) };
  const approvable = listed.filter((p) => batchExclusion(p.detail, 'approve', session) === undefined).length;
  const header = middleEllipsis(`🗂 ${open.length} open requests of agent session ${shownSession}`, HEADER_CHARS);
  const intro = section(
    `*${open.length} open requests of agent session* ${code(middleEllipsis(shownSession, 200))}. ` +
      `The buttons decide exactly the ${listed.length} listed here, each as its own vote bound to the view listed; ` +
      'a request arriving later is added to this message and needs a new click. Each request keeps its own message.',
  );
  const commandChars = Math.max(80, Math.min(2400, Math.floor((BUDGET - 1500) / listed.length) - 300));
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: header, emoji: true } },
    intro,
    ...listed.map((p, i) => section(requestText(p, i + 1, session, commandChars))),
  ];
  if (open.length > listed.length)
    blocks.push(
      section(
        `_…and ${open.length - listed.length} more not listed here, not decided by these buttons: decide them on their own messages._`,
      ),
    );
  const whole = encodeSet(set);
  const digest = whole.length > VALUE_CHARS ? digestOf(set) : undefined;
  const value = digest === undefined ? whole : `digest:${digest}`;
  const button = (text: string, actionId: string, style: string): Block => ({
    type: 'button',
    text: { type: 'plain_text', text, emoji: true },
    action_id: actionId,
    value,
    style,
  });
  blocks.push({
    type: 'actions',
    block_id: 'guard_batch',
    elements: [
      ...(approvable > 0 ? [button(`Approve all ${approvable}`, ACTION_BATCH_APPROVE, 'primary')] : []),
      button(`Deny all ${listed.length}…`, ACTION_BATCH_DENY, 'danger'),
    ],
  });
  const text = escapeText(middleEllipsis(`guard: ${open.length} open requests of agent session ${shownSession}`, 300));
  return { text, blocks, value, digest, set };
}

/** The session message once fewer than two requests are open: no buttons. */
export function renderSessionClosed(session: string, open: number): { text: string; blocks: Block[] } {
  const shown = visibleText(session);
  const line = `Agent session ${code(middleEllipsis(shown, 200))}: ${open === 0 ? 'no request' : 'one request'} open now; ${open === 0 ? 'nothing to decide here' : 'decide it on its own message'}.`;
  return {
    text: escapeText(middleEllipsis(`guard: agent session ${shown}: ${open} open`, 300)),
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: middleEllipsis(`🗂 Agent session ${shown}`, HEADER_CHARS), emoji: true },
      },
      section(line),
    ],
  };
}
