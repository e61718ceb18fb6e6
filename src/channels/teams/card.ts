/**
 * The Teams Adaptive Card: the shipped template (channels/teams-card.template.json, Adaptive
 * Cards Templating syntax) filled by a small renderer. Every value from the request goes into a
 * TextRun, which Teams does not interpret as markdown, so nothing in a command can format, link
 * or mention; TextRuns do go through the DATE/TIME formatter, so `{{` in a value is broken up
 * (`{`, zero-width space, `{`) and `{{DATE(…)}}` stays text. Invisible characters are written out
 * (src/util/visible.ts). Every card is bounded in bytes (Workflows refuses messages over ~28 KB):
 * the command gets what the rest leaves, and the card says what was left out.
 */
import { utf8Length } from '../../util/bytes.js';
import { visibleDeep } from '../../util/visible.js';
import {
  actionSummaries,
  describeCommand,
  distinctCommands,
  effectiveContext,
  middleEllipsis,
  whereOf,
} from '../summary.js';
import type { RequestView } from '../types.js';
import { isFinal } from '../webhook/payload.js';
import template from '../../../channels/teams-card.template.json' with { type: 'json' };
import { offeredChoices } from '../scope-choice.js';
import { visibleText } from '../../util/visible.js';
import { grantChoices } from './grant-action.js';

/** Characters of command shown in the card at most; beyond this the card says what was left out. */
export const CARD_COMMAND_CHARS = 12_000;
/** Bytes of card JSON at most: under the ~28 KB Workflows limit with room for the message around it. */
export const CARD_MAX_BYTES = 24_000;
/** Bytes of the whole message posted to the Workflow at most (card + the `guard` summary). */
export const MESSAGE_MAX_BYTES = 28_000;
const PART = 2000;
/** How much of everything but the command a card shows; a smaller level is used when a card would be too big. */
interface Level {
  field: number;
  reason: number;
  actions: number;
  parts: number;
  rules: number;
  facts: number;
}
const LEVELS: Level[] = [
  { field: 200, reason: 1000, actions: 6, parts: 12, rules: 15, facts: 30 },
  { field: 100, reason: 400, actions: 4, parts: 6, rules: 6, facts: 12 },
  { field: 60, reason: 200, actions: 3, parts: 3, rules: 3, facts: 6 },
];
/** Bytes kept for the command whatever else the card holds. */
const COMMAND_MIN_BYTES = 6000;

type Data = Record<string, unknown>;

const TITLES: Record<RequestView['state'], string> = {
  pending: 'Approval needed',
  needs_info: 'Question asked: waiting for the requester',
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired: denied',
  cancelled: 'Cancelled',
  revoked: 'Revoked',
};

/** `{{` broken up so the Adaptive Cards DATE/TIME formatter never sees a function in request text. */
export function inertBraces(s: string): string {
  return s.replace(/\{\{/g, '{\u200b{');
}

function inertDeep<T>(value: T): T {
  if (typeof value === 'string') return inertBraces(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => inertDeep(v)) as T;
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inertDeep(v)])) as T;
  return value;
}

const clip = (s: string | undefined, n: number): string | undefined =>
  s === undefined || s === '' ? undefined : middleEllipsis(s, n);

function pairs(list: [string, string | undefined][]): { label: string; value: string }[] {
  return list
    .filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '')
    .map(([label, value]) => ({ label, value }));
}

/** Command parts whose JSON fits in `bytes`, plus a note for what is left out. */
function commandParts(command: string, bytes: number): { label: string; text: string }[] {
  const all = [...command];
  const chunks: string[] = [];
  let used = 0;
  let taken = 0;
  while (taken < all.length && taken < CARD_COMMAND_CHARS) {
    let chunk = all.slice(taken, Math.min(taken + PART, CARD_COMMAND_CHARS)).join('');
    // each part costs its JSON-escaped text plus ~120 bytes of RichTextBlock around it
    let cost = utf8Length(JSON.stringify(inertBraces(chunk))) + 160;
    while (used + cost > bytes && chunk.length > 0) {
      chunk = [...chunk].slice(0, Math.floor([...chunk].length / 2)).join('');
      cost = utf8Length(JSON.stringify(inertBraces(chunk))) + 160;
    }
    if (chunk.length === 0) break;
    chunks.push(chunk);
    used += cost;
    taken += [...chunk].length;
  }
  const parts = chunks.map((text, i) => ({
    label: chunks.length > 1 ? `part ${i + 1}/${chunks.length}\n` : '',
    text: inertBraces(text),
  }));
  if (taken < all.length)
    parts.push({
      label: '',
      text: `[Not shown in Teams: characters ${taken + 1}–${all.length} of ${all.length}. Review the full command with guard approve before deciding.]`,
    });
  return parts;
}

/** Agent-supplied intent, labelled as such in each field's name. */
function intentPairs(view: RequestView, L: Level): [string, string | undefined][] {
  const i = view.intent;
  if (i === undefined) return [];
  return [
    ['User said (agent-supplied)', clip(i.userMessage, L.reason)],
    ['Agent said (agent-supplied)', clip(i.agentExplanation, L.reason)],
  ];
}

/** Everything but the command, at one level of detail. */
function cardFields(view: RequestView, L: Level): Data {
  const r = view.requester;
  const { context } = effectiveContext(view);
  const summary = pairs([
    ['Where', clip(whereOf(view), L.field)],
    ['Reason', clip(view.reason, L.reason) ?? '(none given)'],
    ['Ticket', clip(view.ticket, L.field)],
    ...intentPairs(view, L),
    ...(view.preview === undefined
      ? []
      : [
          [`Preview: ${view.preview.title} (${view.preview.status})`, clip(view.preview.text, L.reason)] as [
            string,
            string | undefined,
          ],
        ]),
  ]);
  const found = actionSummaries(view);
  const actions = found.slice(0, L.actions).map((a) => ({
    risk: a.risk.toUpperCase(),
    text: `${a.text}${a.count > 1 ? ` (×${a.count})` : ''}`,
  }));
  if (found.length > L.actions)
    actions.push({ risk: '…', text: `and ${found.length - L.actions} more (see Matched rules)` });
  const distinct = distinctCommands(view);
  const listed = distinct.length > 1 || (distinct.length === 1 && distinct[0]?.text !== view.command.trim());
  const parts = listed
    ? distinct.slice(0, L.parts).map((p, i) => ({
        label: `${i === 0 ? `Simple commands (${distinct.length} distinct):\n` : ''}${i + 1}. `,
        text: `${middleEllipsis(describeCommand(p.text), L.field)}${p.count > 1 ? ` ×${p.count}` : ''}`,
      }))
    : [];
  if (listed && distinct.length > L.parts)
    parts.push({ label: '', text: `…and ${distinct.length - L.parts} more distinct commands` });
  const facts = pairs([
    ['Requester', r.user + (r.onBehalfOf !== undefined && r.onBehalfOf !== r.user ? ` (for ${r.onBehalfOf})` : '')],
    ['Agent', clip(r.agent, L.field)],
    ['Host', clip(r.host, L.field)],
    ['Directory', clip(view.cwd, L.field)],
    // every context entry, whatever its name (values the command sets itself replace the client's)
    ...Object.keys(context)
      .sort()
      .slice(0, L.facts)
      .map((k): [string, string | undefined] => [clip(k, 60) ?? k, clip(context[k], L.field)]),
  ]);
  const folded = new Map<string, Data & { count: number }>();
  for (const rule of view.rules) {
    const key = `${rule.id}\0${rule.effect}\0${rule.risk}\0${rule.description}`;
    const seen = folded.get(key);
    if (seen !== undefined) seen.count++;
    else
      folded.set(key, {
        id: clip(rule.id, 80),
        effect: rule.effect,
        risk: rule.risk,
        description: clip(rule.description, L.field),
        impact: rule.impact === undefined ? '' : ` Impact: ${middleEllipsis(rule.impact, L.field)}`,
        count: 1,
      });
  }
  const rules: Data[] = [...folded.values()].slice(0, L.rules).map(({ count, ...rule }) => ({
    ...rule,
    impact: `${String(rule['impact'])}${count > 1 ? ` (×${count})` : ''}`,
  }));
  if (folded.size > L.rules)
    rules.push({
      id: '…',
      effect: 'more',
      risk: '-',
      description: `${folded.size - L.rules} more rules`,
      impact: '',
    });
  let outcome = '';
  if (view.state === 'needs_info')
    outcome = `Question${view.askedBy === undefined ? '' : ` from ${view.askedBy}`}: ${clip(view.question, L.reason) ?? ''}${view.reply === undefined ? '' : `\nReply: ${clip(view.reply, L.reason)}`}`;
  else if (isFinal(view))
    outcome = `${TITLES[view.state]}${view.decidedBy === undefined ? '' : ` by ${view.decidedBy}`}${view.decisionReason === undefined ? '' : `: ${clip(view.decisionReason, L.reason)}`}`;
  const data: Data = {
    title: `${TITLES[view.state]} · ${view.risk.toUpperCase()}`,
    outcome,
    summary,
    actions,
    commandParts: [],
    parts,
    facts,
    rules,
    footer: `Request ${view.id} · expires ${view.expiresAt} · approvals ${view.approvals.length}/${view.quorum}${view.approvals.length === 0 ? '' : ` (${view.approvals.map((a) => a.approver).join(', ')})`}`,
  };
  return data;
}

/** Characters of a scope choice's title at most: a longer one (a long command) is not offered on the card. */
const SCOPE_TITLE_CHARS = 1000;

/**
 * The `guard_scope` choice set of an approval card (decision 1089): the grants the rule allows,
 * each titled with its exact scope text, "once" preselected. Empty when the rule allows none;
 * when a title would be too long, none is offered and the card says so.
 */
function scopeData(original: RequestView, offer: boolean): { data: Data; note?: [string, string] } {
  const choices = offer && original.state === 'pending' ? offeredChoices(original) : [];
  if (choices.length < 2) return { data: { scopeLabel: '', scopeChoices: [] } };
  const titles = choices.map((c) => (c.grant === undefined ? c.label : `${c.label}: ${visibleText(c.grant.scope)}`));
  if (titles.some((t) => t.length > SCOPE_TITLE_CHARS))
    return {
      data: { scopeLabel: '', scopeChoices: [] },
      note: [
        'Wider grants',
        'allowed by the rule, too long to show here: choose one in guard tui or with guard approve --uses/--for',
      ],
    };
  return {
    data: {
      scopeLabel: 'Grant (exactly what approving grants)',
      scopeChoices: choices.map((c, i) => ({ title: titles[i], value: c.token })),
    },
  };
}

/** A card about an approved grant (decision 1111): `live` offers extend/revoke; `ended` is the final card, saying why. */
export type GrantCard = { kind: 'live' } | { kind: 'ended'; why: string };

/**
 * What a grant card adds: the grant exactly as approved (the daemon's `liveGrant`, already cut to
 * its budget with the cut named), uses left and expiry as posted, how the card answers, and the
 * `guard_grant_action` choices (src/channels/teams/grant-action.ts).
 */
function grantData(view: RequestView, grant: GrantCard | undefined): { data: Data; lead: [string, string][] } {
  const live = view.liveGrant;
  if (grant?.kind === 'ended')
    return {
      data: { title: `Grant ended · ${view.risk.toUpperCase()}` },
      lead: [['Grant ended', `${grant.why}. Nothing more can be done with it from this card.`]],
    };
  if (grant?.kind !== 'live' || live === undefined) return { data: {}, lead: [] };
  const omitted =
    live.scopeOmitted === undefined
      ? ''
      : ` [${live.scopeOmitted} more characters not shown; the command below is whole]`;
  return {
    data: {
      title: `Grant live · ${view.risk.toUpperCase()}`,
      grantLabel: 'Extend or revoke this grant',
      grantChoices: grantChoices(view),
    },
    lead: [
      ['Grant (exactly as approved)', `${live.scope}${omitted}`],
      ['Uses left', `${live.usesLeft} when this card was posted`],
      ['Grant expires', live.expiresAt],
      [
        'This card answers once',
        'after an extension guard posts a new card and no longer reads this one; after a revocation, or when the grant is used up or expires, guard posts a final card. guard checks the answer against the grant as it is when the answer arrives.',
      ],
    ],
  };
}

export function cardData(
  original: RequestView,
  maxBytes = CARD_MAX_BYTES,
  offerScopes = false,
  grant: GrantCard | undefined = undefined,
): Data {
  const view = visibleDeep(original);
  const scopes = scopeData(original, offerScopes);
  const granted = grantData(view, grant);
  let data: Data = {};
  let rest = 0;
  for (const level of LEVELS) {
    data = inertDeep({ ...cardFields(view, level), ...scopes.data, ...granted.data });
    if (scopes.note !== undefined)
      (data['summary'] as { label: string; value: string }[]).push({ label: scopes.note[0], value: scopes.note[1] });
    (data['summary'] as { label: string; value: string }[]).unshift(
      ...granted.lead.map(([label, value]) => inertDeep({ label, value })),
    );
    rest = utf8Length(JSON.stringify(renderTemplate(template, data)));
    if (rest + COMMAND_MIN_BYTES <= maxBytes) break;
  }
  data['commandParts'] = commandParts(view.command, Math.max(0, maxBytes - rest - 400));
  return data;
}

function scalar(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** Minimal Adaptive Cards Templating: `${name}` in strings, `$data` arrays, `$when` on `x != ''`. */
export function renderTemplate(node: unknown, data: Data): unknown {
  if (typeof node === 'string') return node.replace(/\$\{([A-Za-z]+)\}/g, (_, key: string) => scalar(data[key]));
  if (Array.isArray(node)) {
    return node.flatMap((item: unknown) => {
      if (typeof item !== 'object' || item === null) return [renderTemplate(item, data)];
      const { $data, $when, ...rest } = item as Record<string, unknown>;
      if (typeof $when === 'string') {
        const key = /^\$\{(\w+) != ''\}$/.exec($when)?.[1];
        if (key !== undefined && (data[key] ?? '') === '') return [];
      }
      if (typeof $data === 'string') {
        const list = data[/^\$\{(\w+)\}$/.exec($data)?.[1] ?? ''];
        return Array.isArray(list) ? list.map((entry) => renderTemplate(rest, entry as Data)) : [];
      }
      return [renderTemplate(rest, data)];
    });
  }
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, renderTemplate(v, data)]));
  }
  return node;
}

/** The card; `offerScopes`: an approval card, which offers the grants the rule allows; `grant`: a grant card (decision 1111). */
export function renderCard(view: RequestView, offerScopes = false, grant?: GrantCard): Record<string, unknown> {
  return renderTemplate(template, cardData(view, CARD_MAX_BYTES, offerScopes, grant)) as Record<string, unknown>;
}

/** The whole message posted to the Workflow: the card, and a short summary for flows that do not show it. */
export function messageBody(
  event: 'request.created' | 'request.updated',
  view: RequestView,
  wantsApproval: boolean,
  offerScopes = false,
  grant?: GrantCard,
): string {
  const v = visibleDeep(view);
  return JSON.stringify({
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: renderCard(view, offerScopes, grant),
      },
    ],
    guard: {
      version: 1,
      event,
      wants_approval: wantsApproval,
      // a live-grant card: the flow posts it and waits for its guard_grant_action (channels/teams-grant-flow.json)
      ...(grant?.kind === 'live' ? { card: 'live_grant' } : {}),
      request_id: v.id,
      state: v.state,
      risk: v.risk,
      title: middleEllipsis(`guard: ${v.risk} risk command from ${v.requester.user} (${v.id})`, 300),
      details: `Command: ${middleEllipsis(v.command, 1000)}\nReason: ${middleEllipsis(v.reason ?? '-', 500)}`,
      expires_at: v.expiresAt,
    },
  });
}
