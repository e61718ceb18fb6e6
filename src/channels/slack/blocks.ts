/**
 * Block Kit rendering of a request. Every value from the request goes through escape.ts; labels
 * and enums are ours. Long values are split across blocks with "part i/n"; parts that do not fit
 * in the message go to its thread (never cut silently).
 */
import {
  actionSummaries,
  describeCommand,
  distinctCommands,
  effectiveContext,
  middleEllipsis,
  whereOf,
} from '../summary.js';
import type { RequestView } from '../types.js';
import { visibleDeep } from '../../util/visible.js';
import { code, escapeText, splitEscaped } from './escape.js';
import { isOpen } from '../../request/state.js';
import { offeredChoices } from '../scope-choice.js';
import { visibleText } from '../../util/visible.js';

/** Whitespace runs as one space: for the one-line notification text. */
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

export const ACTION_APPROVE = 'guard_approve';
export const ACTION_DENY = 'guard_deny';
export const ACTION_ASK = 'guard_ask';
/** Prefix of the wider-grant buttons' action ids (one per choice; the value is `<request id> <token>`). */
export const ACTION_APPROVE_SCOPE = 'guard_approve_scope';
/** Section text limit is 3000; leave room for the label and fences. */
const PART_CHARS = 2800;
/** Command parts shown in the message itself at most; the rest go to the thread. */
const INLINE_PARTS = 3;
/**
 * Characters of block text per message. Slack documents 50 blocks and 3,000 characters a section;
 * the cumulative limit behind `msg_blocks_too_long` is undocumented and was measured by others at
 * 11,000–13,000 (slackapi/bolt-js#2509, #2867), so guard keeps every message under 10,000.
 */
export const MESSAGE_TEXT_BUDGET = 10_000;
/** Header blocks take plain text up to 150 characters. */
const HEADER_CHARS = 150;
/** The notification fallback text: one line. */
const FALLBACK_CHARS = 300;
const FIELD_CHARS = 200;
const REASON_CHARS = 600;
const MAX_ACTIONS = 6;
const MAX_PARTS = 12;
const MAX_RULES = 15;
/** Thread parts at most; beyond, the message says how much was not posted. */
const MAX_THREAD_PARTS = 60;

/** Block Kit JSON as we build it (plain objects; the Slack types are too narrow for generic helpers). */
export type Block = Record<string, unknown> & { type: string };

export interface RenderedMessage {
  text: string;
  blocks: Block[];
  /** Further command parts (already mrkdwn) to post in the thread, in order. */
  threadParts: string[];
}

const TITLES: Record<RequestView['state'], string> = {
  pending: '🔒 Approval needed',
  needs_info: '❓ Question asked — waiting for the requester',
  approved: '✅ Approved',
  denied: '⛔ Denied',
  expired: '⌛ Expired — denied',
  cancelled: '🚫 Cancelled',
  revoked: '🚫 Revoked',
};

export { isOpen };

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text, verbatim: true } };
}

/** Label + code-block parts of a long value, "part i/n" stated when split. */
function longValue(label: string, value: string): string[] {
  const parts = splitEscaped(value, PART_CHARS);
  return parts.map(
    (p, i) => `*${label}*${parts.length > 1 ? ` (part ${i + 1}/${parts.length})` : ''}\n\`\`\`${p}\`\`\``,
  );
}

function field(label: string, value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : `*${label}:* ${code(middleEllipsis(value, FIELD_CHARS))}`;
}

function contextLines(view: RequestView): string[] {
  const r = view.requester;
  const { context } = effectiveContext(view);
  const lines = [
    field(
      'Requester',
      r.user + (r.onBehalfOf !== undefined && r.onBehalfOf !== r.user ? ` (for ${r.onBehalfOf})` : ''),
    ),
    field('Agent', r.agent),
    field('Host', r.host),
    field('Directory', view.cwd),
    // every context entry, whatever its name (values the command sets itself replace the client's)
    ...Object.keys(context)
      .sort()
      .map((k) => field(k, context[k])),
  ];
  return lines.filter((l): l is string => l !== undefined);
}

/** The five-second part: where, why, then what it will do. */
function summaryLines(view: RequestView): string[] {
  const lines: string[] = [];
  const where = whereOf(view);
  if (where !== '') lines.push(`*Where:* ${code(middleEllipsis(where, FIELD_CHARS))}`);
  if (view.reason !== undefined && view.reason !== '') {
    const long = [...view.reason].length > REASON_CHARS;
    lines.push(
      `*Reason:* ${code(middleEllipsis(view.reason, REASON_CHARS))}${long ? ' _(in full in this thread)_' : ''}`,
    );
  } else lines.push('*Reason:* _(none given)_');
  if (view.intent !== undefined) {
    lines.push(`*Intent* _(${view.intent.label})_`);
    for (const [label, text] of [
      ['User said', view.intent.userMessage],
      ['Agent said', view.intent.agentExplanation],
    ] as const)
      if (text !== undefined && text !== '') lines.push(`*${label}:* ${code(middleEllipsis(text, REASON_CHARS))}`);
  }
  const p = view.preview;
  if (p !== undefined)
    lines.push(
      `*Preview: ${escapeText(p.title)}* (${escapeText(p.status)}) _(${escapeText(p.label)})_ ${code(middleEllipsis(p.text, REASON_CHARS))}`,
    );
  const ticket = field('Ticket', view.ticket);
  if (ticket !== undefined) lines.push(ticket);
  const actions = actionSummaries(view);
  const shown = actions.slice(0, MAX_ACTIONS);
  if (shown.length > 0) lines.push('*Will:*');
  for (const a of shown) lines.push(`• *${a.risk.toUpperCase()}* ${code(a.text)}${a.count > 1 ? ` ×${a.count}` : ''}`);
  if (actions.length > shown.length) lines.push(`_…and ${actions.length - shown.length} more (see Matched rules)_`);
  return lines;
}

/** The simple commands, each described (program, subcommand, target), repeats folded. */
function partLines(view: RequestView): string[] {
  const parts = distinctCommands(view);
  if (parts.length <= 1 && (parts.length === 0 || parts[0]?.text === view.command.trim())) return [];
  const shown = parts.slice(0, MAX_PARTS);
  const lines = shown.map((p, i) => `${i + 1}. ${code(describeCommand(p.text))}${p.count > 1 ? ` ×${p.count}` : ''}`);
  if (parts.length > shown.length) lines.push(`_…and ${parts.length - shown.length} more distinct commands_`);
  return lines;
}

/** Matched rules, identical ones folded (a rule that matched 2,000 times is one line ×2000). */
function ruleLines(view: RequestView): string[] {
  const folded = new Map<string, { line: string; count: number }>();
  for (const rule of view.rules) {
    const line = `• ${code(rule.id)} (${rule.effect}, ${rule.risk}): ${code(middleEllipsis(rule.description, FIELD_CHARS))}`;
    const seen = folded.get(line);
    if (seen !== undefined) seen.count++;
    else folded.set(line, { line, count: 1 });
  }
  const all = [...folded.values()].map((f) => (f.count > 1 ? `${f.line} ×${f.count}` : f.line));
  const shown = all.slice(0, MAX_RULES);
  if (all.length > shown.length) shown.push(`_…and ${all.length - shown.length} more rules_`);
  return shown;
}

/** Lines into one section of at most PART_CHARS; lines that do not fit are counted, never cut. */
function packOne(label: string | undefined, lines: string[]): Block | undefined {
  if (lines.length === 0) return undefined;
  let text = label === undefined ? '' : `*${label}*`;
  let left = 0;
  for (const line of lines) {
    if (left > 0 || text.length + 1 + line.length > PART_CHARS - 80) left++;
    else text += text === '' ? line : '\n' + line;
  }
  if (left > 0) text += `\n_…${left} more not shown here: review with \`guard tui\`_`;
  return section(text);
}

function statusLine(view: RequestView, nowMs: number): string {
  const expires = Math.floor(Date.parse(view.expiresAt) / 1000);
  const left = Math.max(0, Math.round((expires * 1000 - nowMs) / 60_000));
  const when = `<!date^${expires}^{date_short_pretty} {time}|${escapeText(view.expiresAt)}>`;
  const approvers = view.approvals.map((a) => `${code(a.approver)} via ${escapeText(a.channel)}`).join(', ');
  const time = isOpen(view) ? `expires ${when} (${left} min left)` : `expired/closed at ${when}`;
  return `Request ${code(view.id)} · risk *${view.risk}* · ${time} · approvals ${view.approvals.length}/${view.quorum}${approvers === '' ? '' : ` (${approvers})`}`;
}

function outcome(view: RequestView): string | undefined {
  if (view.state === 'needs_info') {
    const reply =
      view.reply === undefined
        ? '\n_Waiting for `guard reply`._'
        : `\n*Reply:* ${code(middleEllipsis(view.reply, REASON_CHARS))}`;
    const who = view.askedBy === undefined ? '' : ` (asked by ${code(view.askedBy)})`;
    return `*Question*${who}: ${code(middleEllipsis(view.question ?? '', REASON_CHARS))}${reply}`;
  }
  if (isOpen(view)) return undefined;
  const by = view.decidedBy === undefined ? '' : ` by ${code(view.decidedBy)}`;
  const why =
    view.decisionReason === undefined ? '' : `\n*Reason:* ${code(middleEllipsis(view.decisionReason, REASON_CHARS))}`;
  return `*${TITLES[view.state]}*${by}${why}`;
}

function actions(view: RequestView): Block {
  const button = (text: string, actionId: string, style?: string): Block => ({
    type: 'button',
    text: { type: 'plain_text', text, emoji: true },
    action_id: actionId,
    value: view.id,
    ...(style === undefined ? {} : { style }),
  });
  return {
    type: 'actions',
    block_id: 'guard_actions',
    elements: [
      button('Approve', ACTION_APPROVE, 'primary'),
      button('Deny…', ACTION_DENY, 'danger'),
      button('Ask…', ACTION_ASK),
    ],
  };
}

/**
 * One section per wider grant the rule allows, its exact scope text beside an "Approve …" button
 * (the Approve button in the actions block stays "once"). None when the rule allows no scope.
 */
function scopeBlocks(original: RequestView): Block[] {
  const choices = offeredChoices(original);
  if (choices.length < 2) return [];
  const intro = section(
    `*Approve* grants ${escapeText(choices[0]!.label)}. This rule also allows a wider grant; each button grants exactly the text beside it:`,
  );
  return [
    intro,
    ...choices.slice(1).map((c, i) => ({
      ...section(`*${escapeText(c.label)}:* ${code(visibleText(c.grant!.scope))}`),
      block_id: `guard_scope_${i + 1}`,
      accessory: {
        type: 'button',
        text: { type: 'plain_text', text: `Approve ${c.label}`, emoji: true },
        action_id: `${ACTION_APPROVE_SCOPE}_${i + 1}`,
        value: `${original.id} ${c.token}`,
      },
    })),
  ];
}

/** Action id of the "Extend" button of an approved grant (decision 1091). */
export const ACTION_EXTEND = 'guard_extend';

const usesText = (n: number): string => `${n} use${n === 1 ? '' : 's'}`;

/**
 * An approved grant its rule lets one approver extend: the grant now and the extension, beside an
 * "Extend" button whose value names both (`<request id> <uses> <expiry> <uses> <expiry>`); the
 * daemon applies it only while the grant is still exactly as shown, within the rule's bounds.
 */
function extendBlocks(view: RequestView): Block[] {
  const o = view.extendOffer;
  if (o === undefined || view.state !== 'approved') return [];
  return [
    {
      ...section(
        `*Grant:* ${usesText(o.from.usesLeft)} left until ${o.from.expiresAt}. *Extend* to ${usesText(o.to.usesLeft)} until ${o.to.expiresAt} (the most this rule allows).`,
      ),
      block_id: 'guard_extend',
      accessory: {
        type: 'button',
        text: { type: 'plain_text', text: 'Extend', emoji: true },
        action_id: ACTION_EXTEND,
        value: [view.id, o.from.usesLeft, o.from.expiresAt, o.to.usesLeft, o.to.expiresAt].join(' '),
      },
    },
  ];
}

/** Action id of the "Revoke" button of an approved, live grant (decision 1094). */
export const ACTION_REVOKE = 'guard_revoke';

/**
 * A live grant any mapped approver may revoke: a "Revoke" button (value: the request id) behind
 * Slack's confirmation dialog. The daemon checks the clicker and that there is still something to revoke.
 */
function revokeBlocks(view: RequestView): Block[] {
  if (view.revocable !== true || view.state !== 'approved') return [];
  return [
    {
      type: 'actions',
      block_id: 'guard_revoke',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Revoke', emoji: true },
          action_id: ACTION_REVOKE,
          value: view.id,
          style: 'danger',
          confirm: {
            title: { type: 'plain_text', text: 'Revoke this grant?' },
            text: { type: 'plain_text', text: 'Its remaining uses end now; the next run asks for approval again.' },
            confirm: { type: 'plain_text', text: 'Revoke' },
            deny: { type: 'plain_text', text: 'Keep it' },
            style: 'danger',
          },
        },
      ],
    },
  ];
}

/** Sections for a long value: the first `inline` parts in the message, the rest queued for the thread. */
function spill(label: string, value: string, inline: number, thread: string[]): Block[] {
  const parts = longValue(label, value);
  const blocks = parts.slice(0, inline).map(section);
  const rest = parts.slice(inline);
  if (rest.length === 0) return blocks;
  const room = Math.max(0, MAX_THREAD_PARTS - thread.length);
  thread.push(...rest.slice(0, room));
  const posted = Math.min(rest.length, room);
  if (posted > 0)
    blocks.push(
      section(`_${label} continues in this thread: parts ${inline + 1}–${inline + posted} of ${parts.length}._`),
    );
  if (rest.length > room)
    blocks.push(
      section(
        `*${label} not shown in Slack:* parts ${inline + posted + 1}–${parts.length} (${value.length} characters in all). Review it with \`guard approve\` before deciding.`,
      ),
    );
  return blocks;
}

/** Total characters of every text in the blocks (what Slack counts for msg_blocks_too_long). */
export function blockTextLength(blocks: Block[]): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (typeof v === 'string') return;
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v === 'object' && v !== null)
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') n += x.length;
        else walk(x);
      }
  };
  walk(blocks);
  return n;
}

export function renderMessage(original: RequestView, nowMs: number): RenderedMessage {
  // every value shown with its invisible characters written out (src/util/visible.ts)
  const view = visibleDeep(original);
  const head = `${TITLES[view.state]} · ${view.risk.toUpperCase()}`;
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: middleEllipsis(head, HEADER_CHARS), emoji: true } },
  ];
  const result = outcome(view);
  if (result !== undefined) blocks.push(section(result));
  const summary = packOne(undefined, summaryLines(view));
  if (summary !== undefined) blocks.push(summary);
  const threadParts: string[] = [];
  if (view.reason !== undefined && [...view.reason].length > REASON_CHARS)
    threadParts.push(...longValue('Reason', view.reason).slice(0, MAX_THREAD_PARTS));
  const tail: Block[] = [];
  const parts = packOne('Simple commands', partLines(view));
  if (parts !== undefined) tail.push(parts);
  const context = packOne('Context', contextLines(view));
  if (context !== undefined) tail.push(context);
  const rules = packOne('Matched rules', ruleLines(view));
  if (rules !== undefined) tail.push(rules);
  tail.push({ type: 'context', elements: [{ type: 'mrkdwn', text: statusLine(view, nowMs), verbatim: true }] });
  if (isOpen(view)) {
    // wider grants only when each fits a section and the message keeps room for the command
    const scopes = scopeBlocks(original);
    const fits =
      scopes.every((b) => blockTextLength([b]) <= PART_CHARS) &&
      blockTextLength([...blocks, ...tail, ...scopes]) + PART_CHARS + 200 <= MESSAGE_TEXT_BUDGET;
    if (fits) tail.push(...scopes);
    else if (scopes.length > 0)
      tail.push(
        section(
          '_This rule also allows wider grants, too long to show here: choose one in `guard tui` or with `guard approve --uses/--for`._',
        ),
      );
    tail.push(actions(view));
  } else tail.push(...extendBlocks(view), ...revokeBlocks(view));
  // the command gets what the budget leaves (at least its first part); the rest goes to the thread
  const room = MESSAGE_TEXT_BUDGET - blockTextLength([...blocks, ...tail]) - 200;
  const inline = Math.max(1, Math.min(INLINE_PARTS, Math.floor(room / PART_CHARS)));
  blocks.push(...spill('Command', view.command, inline, threadParts));
  blocks.push(...tail);
  const where = whereOf(view);
  const text = middleEllipsis(
    `guard: ${TITLES[view.state]} (${view.risk}) — request ${view.id}${where === '' ? '' : ` · ${where}`} · ${oneLine(view.command)}`,
    FALLBACK_CHARS,
  );
  return { text: escapeText(text), blocks, threadParts };
}
