/**
 * The detail pane's content as pre-wrapped lines: everything an approver needs, the full command
 * never cut (it wraps; the pane scrolls), redactions marked.
 */
import { actionSummaries, describeCommand, distinctCommands, effectiveContext, whereOf } from '../channels/summary.js';
import type { RequestView } from '../channels/types.js';
import { grantText, noOfferReason, usesText } from './grants.js';
import type { GrantInfo } from './model.js';
import {
  age,
  commandSegments,
  fleetHostOf,
  longDuration,
  quorumText,
  redactionSegments,
  riskLabel,
  riskStyle,
  timeLeft,
  wrapSegments,
  type Line,
  type Segment,
} from './format.js';

/** Longest label ("Decided by:") plus one space. */
const LABEL_WIDTH = 12;
/** Destructive actions listed before the command; the rest are under Rules. */
const MAX_ACTIONS = 5;
/** Preview lines in the detail pane; the rest is in `guard show`. */
const MAX_PREVIEW_LINES = 12;

function field(label: string, value: Segment[], width: number): Line[] {
  const head: Segment = { text: `${label}:`.padEnd(LABEL_WIDTH), style: 'label' };
  return wrapSegments([head, ...value], width, ' '.repeat(LABEL_WIDTH));
}

function plainField(label: string, value: string | undefined, width: number): Line[] {
  return value === undefined || value === '' ? [] : field(label, redactionSegments(value), width);
}

function heading(text: string): Line {
  return [{ text, style: 'label' }];
}

/**
 * The context as it applies to the command (values the command sets itself replace the
 * client's), grouped for display. Unknown entries are listed generically, whatever their name.
 */
function contextLines(view: RequestView, width: number): Line[] {
  const { context: ctx } = effectiveContext(view);
  const keys = Object.keys(ctx)
    .filter((k) => ctx[k] !== '' && !(k === 'cwd' && ctx[k] === view.cwd))
    .sort();
  const git = keys.filter((k) => k.startsWith('git.'));
  const session = keys.filter((k) => /(^|\.)session/.test(k) && !k.startsWith('git.'));
  const rest = keys.filter((k) => !git.includes(k) && !session.includes(k));
  const out: Line[] = [];
  if (git.length > 0) out.push(...field('Git', redactionSegments(gitText(ctx, git)), width));
  for (const k of session) out.push(...plainField('Session', ctx[k], width));
  if (rest.length > 0) {
    out.push(heading('Context:'));
    for (const k of rest)
      out.push(
        ...wrapSegments([{ text: `  ${k}: `, style: 'dim' }, ...redactionSegments(ctx[k] ?? '')], width, '    '),
      );
  }
  return out;
}

/** "main @ e098ef28f568 (uncommitted changes) · /work/repo", then any other git.* fields. */
function gitText(ctx: Record<string, string>, keys: string[]): string {
  const get = (k: string) => (ctx[k] !== undefined && ctx[k] !== '' ? ctx[k] : undefined);
  const branch = get('git.branch') ?? '(detached)';
  const commit = get('git.commit');
  const head = `${branch}${commit === undefined ? '' : ` @ ${commit.slice(0, 12)}`}${get('git.dirty') === 'true' ? ' (uncommitted changes)' : ''}`;
  const where = get('git.repo') ?? get('git.remote') ?? get('git.root');
  const known = new Set(['git.branch', 'git.commit', 'git.dirty', 'git.repo', 'git.remote', 'git.root']);
  const extra = keys.filter((k) => !known.has(k) && get(k) !== undefined).map((k) => `${k.slice(4)} ${ctx[k]}`);
  return [head, where, ...extra].filter((x): x is string => x !== undefined).join(' · ');
}

/**
 * An approved request's grant exactly as the daemon reports it (decision 1100): uses left and
 * expiry, its scope, and what the rule lets the approver extend it to; or that it is over.
 */
function grantLines(view: RequestView, grant: GrantInfo | undefined, now: number, width: number): Line[] {
  if (view.state !== 'approved') return [];
  if (grant === undefined)
    return field('Grant', [{ text: 'not live: used up, revoked or expired', style: 'dim' }], width);
  const left = Date.parse(grant.expiresAt) - now;
  const out = field(
    'Grant',
    [
      { text: grantText(grant), style: 'bold' },
      { text: ` (${longDuration(left)} left)`, style: 'dim' },
    ],
    width,
  );
  out.push(
    ...field(
      'Scope',
      grant.scope === undefined ? [{ text: 'exactly this command (its fingerprint)' }] : redactionSegments(grant.scope),
      width,
    ),
  );
  const o = grant.extendOffer;
  out.push(
    ...field(
      'Extend',
      o === undefined
        ? [{ text: `not offered: ${noOfferReason(view)}`, style: 'dim' }]
        : [
            {
              text: `e — up to ${usesText(o.to.usesLeft)} left, until ${o.to.expiresAt} (the rule's max_uses / max_ttl)`,
            },
          ],
      width,
    ),
  );
  out.push(...field('Revoke', [{ text: 'R — ends the grant now (asks first)' }], width));
  return out;
}

/** All detail lines for a request, wrapped at `width`. `banner` (why it cannot be acted on) comes first. */
export function detailLines(
  view: RequestView,
  opts: { width: number; now: number; banner?: string | undefined; grant?: GrantInfo | undefined },
): Line[] {
  const { width, now } = opts;
  const open = view.state === 'pending' || view.state === 'needs_info';
  const out: Line[] = [];
  if (opts.banner !== undefined) out.push(...wrapSegments([{ text: `■ ${opts.banner}`, style: 'warn' }], width, '  '));
  out.push(
    ...wrapSegments(
      [
        { text: view.id, style: 'bold' },
        { text: '  ' },
        { text: view.state.toUpperCase(), style: view.state === 'pending' ? 'warn' : 'bold' },
        { text: '  risk ' },
        { text: riskLabel(view.risk), style: riskStyle(view.risk) },
        { text: `  approvals ${quorumText(view)}` },
        { text: `  age ${age(view, now)}  ` },
        {
          text: !open ? '' : timeLeft(view, now, true) === 'expired' ? 'expired' : `${timeLeft(view, now, true)} left`,
          style: 'dim',
        },
      ],
      width,
    ),
  );
  const host = fleetHostOf(view);
  if (host !== undefined) out.push(...field('Host', [{ text: host, style: 'bold' }], width));
  const where = whereOf(view);
  if (where !== '') out.push(...field('Where', [{ text: where, style: 'bold' }], width));
  // what an approved request may still run comes before how it got there
  out.push(...grantLines(view, opts.grant, now, width));
  out.push(
    ...field(
      'Reason',
      view.reason === undefined || view.reason === ''
        ? [{ text: '(none given)', style: 'dim' }]
        : redactionSegments(view.reason),
      width,
    ),
  );
  if (view.intent !== undefined) {
    out.push(heading(`Intent (${view.intent.label}):`));
    out.push(...plainField('User said', view.intent.userMessage, width));
    out.push(...plainField('Agent said', view.intent.agentExplanation, width));
  }
  if (view.preview !== undefined) {
    out.push(heading(`Preview: ${view.preview.title} (${view.preview.status}; ${view.preview.label}):`));
    for (const l of view.preview.text.split('\n').slice(0, MAX_PREVIEW_LINES))
      out.push(...wrapSegments(redactionSegments(l === '' ? ' ' : l), width, '  '));
    const more = view.preview.text.split('\n').length - MAX_PREVIEW_LINES;
    if (more > 0) out.push([{ text: `  …${more} more line(s): guard show ${view.id}`, style: 'dim' }]);
  }
  out.push(...plainField('Ticket', view.ticket, width));
  if (view.question !== undefined && view.question !== '')
    out.push(
      ...field(
        'Question',
        [
          ...(view.askedBy === undefined ? [] : [{ text: `${view.askedBy} asks: `, style: 'bold' as const }]),
          ...redactionSegments(view.question),
        ],
        width,
      ),
    );
  out.push(...plainField('Reply', view.reply, width));
  const actions = actionSummaries(view);
  if (actions.length > 0) {
    out.push(heading(actions.length === 1 ? 'Will:' : `Will (${actions.length} actions):`));
    for (const a of actions.slice(0, MAX_ACTIONS))
      out.push(
        ...wrapSegments(
          [
            { text: '  ' },
            { text: riskLabel(a.risk), style: riskStyle(a.risk) },
            { text: ' ' },
            ...commandSegments(a.text),
            ...(a.count > 1 ? [{ text: ` (×${a.count})`, style: 'dim' as const }] : []),
          ],
          width,
          '       ',
        ),
      );
  }
  if (actions.length > MAX_ACTIONS)
    out.push([{ text: `  …and ${actions.length - MAX_ACTIONS} more: every rule is listed under Rules`, style: 'dim' }]);
  out.push(heading('Command:'));
  out.push(...wrapSegments([{ text: '  ' }, ...commandSegments(view.command)], width, '  '));
  const parts = distinctCommands(view);
  if (parts.length > 1 || (parts.length === 1 && parts[0]?.text !== view.command.trim())) {
    const total = parts.reduce((n, p) => n + p.count, 0);
    out.push(heading(`Simple commands (${total}${parts.length < total ? `, ${parts.length} distinct` : ''}):`));
    parts.forEach((p, i) => {
      out.push(
        ...wrapSegments(
          [
            { text: `  ${i + 1}. `, style: 'dim' },
            ...commandSegments(describeCommand(p.text)),
            ...(p.count > 1 ? [{ text: ` ×${p.count}`, style: 'dim' as const }] : []),
          ],
          width,
          '     ',
        ),
      );
    });
  }
  out.push(heading(view.rules.length === 0 ? 'Rules: none matched (policy default)' : `Rules (${view.rules.length}):`));
  // a rule that matched many simple commands is one line with a count
  const folded = new Map<string, { rule: RequestView['rules'][number]; count: number }>();
  for (const r of view.rules) {
    const key = JSON.stringify([r.id, r.effect, r.risk, r.description, r.controls]);
    const seen = folded.get(key);
    if (seen !== undefined) seen.count++;
    else folded.set(key, { rule: r, count: 1 });
  }
  for (const { rule: r, count } of folded.values()) {
    out.push(
      ...wrapSegments(
        [
          { text: '  ' },
          { text: riskLabel(r.risk), style: riskStyle(r.risk) },
          { text: ` ${r.id} `, style: 'bold' },
          { text: `(${r.effect}) ` },
          { text: r.description },
          ...(count > 1 ? [{ text: ` ×${count}`, style: 'dim' as const }] : []),
        ],
        width,
        '    ',
      ),
    );
    if (r.controls.length > 0)
      out.push(
        ...wrapSegments([{ text: '    ISO 27001: ', style: 'dim' }, { text: r.controls.join(', ') }], width, '      '),
      );
  }
  const rq = view.requester;
  const who = [
    rq.agent !== undefined ? `agent ${rq.agent}` : 'agent unknown',
    `user ${rq.user}`,
    rq.host !== undefined ? `host ${rq.host}` : undefined,
    rq.onBehalfOf !== undefined ? `on behalf of ${rq.onBehalfOf}` : undefined,
  ].filter((s): s is string => s !== undefined);
  out.push(...field('Requester', [{ text: who.join(' · ') }], width));
  out.push(...field('Cwd', redactionSegments(view.cwd), width));
  out.push(...contextLines(view, width));
  const approvals = view.approvals.map((a) => `${a.approver} via ${a.channel} at ${a.at}`);
  out.push(
    ...field(
      'Approvals',
      [{ text: `${quorumText(view)}${approvals.length > 0 ? ` — ${approvals.join('; ')}` : ''}` }],
      width,
    ),
  );
  out.push(...plainField('Decided by', view.decidedBy, width));
  out.push(...plainField('Outcome', view.decisionReason, width));
  if (open)
    out.push(
      ...field(
        'Expires',
        [
          {
            text: `${view.expiresAt} (${timeLeft(view, now, true)}${timeLeft(view, now) === 'expired' ? '' : ' left'})`,
          },
        ],
        width,
      ),
    );
  return out;
}
