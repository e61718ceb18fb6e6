/**
 * Block Kit rendering of a request. Every value from the request goes through escape.ts; labels
 * and enums are ours. Long values are split across blocks with "part i/n"; parts that do not fit
 * in the message go to its thread (never cut silently).
 */
import type { RequestView } from '../types.js';
import { code, escapeText, splitEscaped } from './escape.js';

export const ACTION_APPROVE = 'guard_approve';
export const ACTION_DENY = 'guard_deny';
export const ACTION_ASK = 'guard_ask';
/** Section text limit is 3000; leave room for the label and fences. */
const PART_CHARS = 2800;
/** Command parts shown in the message itself; the rest go to the thread. */
const INLINE_PARTS = 4;
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

export function isOpen(view: RequestView): boolean {
  return view.state === 'pending' || view.state === 'needs_info';
}

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
  return value === undefined || value === '' ? undefined : `*${label}:* ${code(value)}`;
}

function contextLines(view: RequestView): string[] {
  const r = view.requester;
  const lines = [
    field(
      'Requester',
      r.user + (r.onBehalfOf !== undefined && r.onBehalfOf !== r.user ? ` (for ${r.onBehalfOf})` : ''),
    ),
    field('Agent', r.agent),
    field('Host', r.host),
    field('Repository', view.context['repo']),
    field('Branch', view.context['branch']),
    field('Ticket', view.ticket),
    field('Directory', view.cwd),
  ];
  return lines.filter((l): l is string => l !== undefined);
}

function ruleLines(view: RequestView): string[] {
  return view.rules.map((rule) => {
    const impact = rule.impact === undefined ? '' : `\n    ↳ impact: ${code(rule.impact)}`;
    return `• ${code(rule.id)} (${rule.effect}, ${rule.risk}): ${code(rule.description)}${impact}`;
  });
}

/** Packs lines into sections of at most PART_CHARS; a line longer than that becomes split parts. */
function packSections(label: string, lines: string[]): Block[] {
  const blocks: Block[] = [];
  let current = `*${label}*`;
  for (const line of lines) {
    if (line.length > PART_CHARS) {
      blocks.push(section(current));
      current = '';
      for (const part of longValue(label, line)) blocks.push(section(part));
      continue;
    }
    if (current.length + line.length + 1 > PART_CHARS) {
      blocks.push(section(current));
      current = `*${label} (continued)*`;
    }
    current += '\n' + line;
  }
  if (current !== '') blocks.push(section(current));
  return blocks;
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
    const reply = view.reply === undefined ? '\n_Waiting for `guard reply`._' : `\n*Reply:* ${code(view.reply)}`;
    return `*Question:* ${code(view.question ?? '')}${reply}`;
  }
  if (isOpen(view)) return undefined;
  const by = view.decidedBy === undefined ? '' : ` by ${code(view.decidedBy)}`;
  const why = view.decisionReason === undefined ? '' : `\n*Reason:* ${code(view.decisionReason)}`;
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

export function renderMessage(view: RequestView, nowMs: number): RenderedMessage {
  const blocks: Block[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: `${TITLES[view.state]} · ${view.risk.toUpperCase()}`, emoji: true },
    },
  ];
  const result = outcome(view);
  if (result !== undefined) blocks.push(section(result));
  blocks.push(...packSections('Context', contextLines(view)));
  const threadParts: string[] = [];
  if (view.reason !== undefined && view.reason !== '') blocks.push(...spill('Reason', view.reason, 2, threadParts));
  blocks.push(...spill('Command', view.command, INLINE_PARTS, threadParts));
  if (view.rules.length > 0) blocks.push(...packSections('Matched rules', ruleLines(view)));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: statusLine(view, nowMs), verbatim: true }] });
  if (isOpen(view)) blocks.push(actions(view));
  const text = `guard: ${TITLES[view.state]} (${view.risk}) — request ${escapeText(view.id)}`;
  return { text, blocks, threadParts };
}
