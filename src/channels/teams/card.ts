/**
 * The Teams Adaptive Card: the shipped template (channels/teams-card.template.json, Adaptive
 * Cards Templating syntax) filled by a small renderer. Every value from the request goes into a
 * TextRun, which Teams never interprets as markdown, so nothing in a command can format, link or
 * mention. Cards are limited to ~28 KB: a longer command is shortened *with a visible note*.
 */
import type { RequestView } from '../types.js';
import { isFinal } from '../webhook/payload.js';
import template from '../../../channels/teams-card.template.json' with { type: 'json' };

/** Characters of command shown in the card; beyond this the card says what was left out. */
export const CARD_COMMAND_CHARS = 12_000;
const PART = 2000;

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

export function cardData(view: RequestView): Data {
  const r = view.requester;
  const facts = [
    ['Requester', r.user + (r.onBehalfOf !== undefined && r.onBehalfOf !== r.user ? ` (for ${r.onBehalfOf})` : '')],
    ['Agent', r.agent],
    ['Host', r.host],
    ['Repository', view.context['repo']],
    ['Branch', view.context['branch']],
    ['Ticket', view.ticket],
    ['Directory', view.cwd],
    ['Reason', view.reason],
  ]
    .filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '')
    .map(([label, value]) => ({ label, value }));
  const shown = [...view.command].slice(0, CARD_COMMAND_CHARS).join('');
  const chunks: string[] = [];
  for (let i = 0; i < shown.length; i += PART) chunks.push(shown.slice(i, i + PART));
  const commandParts = chunks.map((text, i) => ({
    label: chunks.length > 1 ? `part ${i + 1}/${chunks.length}\n` : '',
    text,
  }));
  const total = [...view.command].length;
  if (total > CARD_COMMAND_CHARS)
    commandParts.push({
      label: '',
      text: `[Not shown in Teams: characters ${CARD_COMMAND_CHARS + 1}–${total} of ${total}. Review the full command with guard approve before deciding.]`,
    });
  let outcome = '';
  if (view.state === 'needs_info')
    outcome = `Question: ${view.question ?? ''}${view.reply === undefined ? '' : `\nReply: ${view.reply}`}`;
  else if (isFinal(view))
    outcome = `${TITLES[view.state]}${view.decidedBy === undefined ? '' : ` by ${view.decidedBy}`}${view.decisionReason === undefined ? '' : `: ${view.decisionReason}`}`;
  return {
    title: `${TITLES[view.state]} · ${view.risk.toUpperCase()}`,
    outcome,
    facts,
    commandParts,
    rules: view.rules.map((rule) => ({ ...rule, impact: rule.impact === undefined ? '' : ` Impact: ${rule.impact}` })),
    footer: `Request ${view.id} · expires ${view.expiresAt} · approvals ${view.approvals.length}/${view.quorum}${view.approvals.length === 0 ? '' : ` (${view.approvals.map((a) => a.approver).join(', ')})`}`,
  };
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

export function renderCard(view: RequestView): Record<string, unknown> {
  return renderTemplate(template, cardData(view)) as Record<string, unknown>;
}
