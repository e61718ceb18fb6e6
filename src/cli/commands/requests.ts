/**
 * `guard requests` and `guard show ID`: read-only views for humans (text) and agents (--json).
 * Neither loads zod while the daemon's answers fit their shapes (decision 0033).
 */
import { connectDaemon } from '../../daemon/connect.js';
import type { RequestDetail } from '../../daemon/messages.js';
import { REQUEST_DETAIL, REQUEST_PAGE } from '../../daemon/reply-shapes.js';
import { codePointLabel, visibleText } from '../../util/visible.js';
import { writeLine, type Io } from '../io.js';
import { callShaped, checkRequestId } from './daemon-call.js';
import type { RequestsOptions, ShowRequestOptions } from '../specs/requests.js';

/**
 * One line of the listing: invisible and deceptive characters written out (decision 0715), and a
 * newline too, which would otherwise start a line of its own that may read as another request.
 */
export function shown(s: string): string {
  return visibleText(s).replaceAll('\n', codePointLabel);
}

function line(d: RequestDetail): string {
  const v = d.view;
  const votes = v.approvals.length > 0 ? ` approvals ${v.approvals.length}/${v.quorum}` : ` needs ${v.quorum}`;
  const grant =
    d.grant !== undefined
      ? ` grant ${d.grant.revoked ? 'revoked' : `${d.grant.usesLeft} use(s) until ${d.grant.expiresAt}`}`
      : '';
  const requester = `${v.requester.user}${v.requester.agent ? `/${v.requester.agent}` : ''}`;
  const first = `${v.id}  ${v.state.padEnd(10)} ${v.risk.padEnd(8)} ${requester}  ${v.command}`;
  return `${shown(first)}\n${shown(`    ${v.cwd}  created ${v.createdAt}  expires ${v.expiresAt}${votes}${grant}`)}`;
}

/**
 * Requests per `list` page the CLI asks for: the first lines appear at once, however many wait.
 * The first page is smaller still: its round trip is on the way to the first line (decision 0033).
 */
const FIRST_PAGE = 50;
const LIST_PAGE = 200;

// reads: they never start a daemon (with none running there is nothing to list)
export async function listRequests(io: Io, opts: RequestsOptions): Promise<number> {
  const json = opts.json === true;
  const client = await connectDaemon(io.env, { autostart: false });
  let count = 0;
  const docs: string[] = [];
  try {
    // the daemon answers in pages; text lines are written as each page arrives, the JSON document
    // only once complete (a daemon lost mid-listing must not leave a truncated document)
    let cursor: string | undefined;
    do {
      const limit = cursor === undefined ? FIRST_PAGE : LIST_PAGE;
      const body = { type: 'list', all: opts.all === true, cursor, limit } as const;
      const page = await callShaped(client, body, REQUEST_PAGE, false);
      for (const d of page.requests) {
        if (json) docs.push(JSON.stringify(d));
        else writeLine(io.stdout, line(d));
        count++;
      }
      cursor = page.next;
    } while (cursor !== undefined);
  } finally {
    client.close();
  }
  // the same bytes as `JSON.stringify({ requests })`, without holding the parsed list twice
  if (json) writeLine(io.stdout, `{"requests":[${docs.join(',')}]}`);
  else if (count === 0) writeLine(io.stdout, opts.all === true ? 'no requests yet' : 'nothing waiting for approval');
  return 0;
}

/**
 * The full text of one request, as `guard show` prints it and `guard approve`, `deny` and a batch
 * show it before the passphrase (and as a step-up login names it by hash, src/daemon/shown-view.ts).
 * Every piece of request text is in visible form, one line each as in the listing: an escape
 * sequence, a bidi override or a newline in a command, a reason or a context value would otherwise
 * reach the approver's terminal and could redraw or fake the lines around it (decision 0045). The
 * preview keeps its lines, each in visible form after its `  | ` margin.
 */
export function formatDetail(d: RequestDetail): string {
  const v = d.view;
  const r = v.requester;
  const out = [
    `request   ${shown(v.id)}  (${shown(v.state)})`,
    `command   ${shown(v.command)}`,
    `cwd       ${shown(v.cwd)}`,
    `requester ${shown(`${r.user}${r.agent ? ` via ${r.agent}` : ''}${r.host ? ` on ${r.host}` : ''}${r.onBehalfOf ? ` for ${r.onBehalfOf}` : ''}`)}`,
    `risk      ${shown(v.risk)}`,
  ];
  if (v.reason) out.push(`reason    ${shown(v.reason)}`);
  if (v.ticket) out.push(`ticket    ${shown(v.ticket)}`);
  for (const rule of v.rules)
    out.push(
      `rule      ${shown(`${rule.id} (${rule.effect}, ${rule.risk}): ${rule.impact ?? rule.description}${rule.controls.length ? ` [${rule.controls.join(', ')}]` : ''}`)}`,
    );
  if (v.commands.length > 1) for (const c of v.commands) out.push(`  runs    ${shown(c)}`);
  for (const [k, val] of Object.entries(v.context)) out.push(`context   ${shown(`${k}: ${val}`)}`);
  if (v.preview !== undefined) {
    const p = v.preview;
    out.push(`preview   ${shown(`${p.title} (${p.status}; ${p.label}) sha256 ${p.sha256}`)}`);
    for (const l of p.text.split('\n')) out.push(`  | ${visibleText(l)}`);
  }
  out.push(shown(`created   ${v.createdAt}; expires ${v.expiresAt}; quorum ${v.quorum}`));
  for (const vote of d.votes)
    out.push(shown(`vote      ${vote.action} by ${vote.approver} via ${vote.channel} at ${vote.at}`));
  if (v.question) out.push(`question  ${shown(v.question)}`);
  if (v.reply) out.push(`reply     ${shown(v.reply)}`);
  if (v.decidedBy) out.push(`decided   by ${shown(v.decidedBy)}`);
  if (v.decisionReason) out.push(`why       ${shown(v.decisionReason)}`);
  if (d.grant)
    out.push(
      shown(`grant     ${d.grant.revoked ? 'revoked' : `${d.grant.usesLeft} use(s) left, until ${d.grant.expiresAt}`}`),
    );
  out.push(`fingerprint ${shown(d.fingerprint)}`);
  return out.join('\n');
}

export async function showRequest(io: Io, id: string, opts: ShowRequestOptions): Promise<number> {
  checkRequestId(id);
  const client = await connectDaemon(io.env, { autostart: false });
  const d = await callShaped(client, { type: 'show', requestId: id }, REQUEST_DETAIL);
  writeLine(io.stdout, opts.json === true ? JSON.stringify(d) : formatDetail(d));
  return 0;
}
