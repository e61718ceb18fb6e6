/**
 * Messages from the daemon are untrusted input: request views and ledger records are validated
 * here before they reach the state. Anything malformed is dropped (and reported), never shown as
 * something that could be approved.
 */
import { z } from 'zod';
import type { RequestView } from '../channels/types.js';
import type { GrantInfo, HistoryItem } from './model.js';
import { REQUEST_STATES } from '../request/state.js';

const str = z.string().max(256 * 1024);
const optStr = str
  .optional()
  .nullable()
  .transform((v) => v ?? undefined);

const viewSchema = z.object({
  id: z.string().regex(/^rq-[0-9a-f]{12}$/),
  state: z.enum(REQUEST_STATES),
  command: str,
  argv: z.array(str),
  cwd: str,
  risk: z.string().max(32),
  requester: z.object({ user: str, agent: optStr, host: optStr, onBehalfOf: optStr }),
  reason: optStr,
  ticket: optStr,
  rules: z.array(
    z.object({
      id: str,
      effect: str,
      risk: z.string().max(32),
      description: str,
      impact: optStr,
      controls: z.array(str),
    }),
  ),
  commands: z.array(str),
  context: z.record(z.string(), str),
  createdAt: str,
  expiresAt: str,
  quorum: z.number().int().nonnegative(),
  approvals: z.array(z.object({ approver: str, channel: str, at: str })),
  decidedBy: optStr,
  decisionReason: optStr,
  question: optStr,
  askedBy: optStr,
  reply: optStr,
  session: optStr,
  grantBounds: z
    .object({
      maxUses: z.number().int().positive(),
      maxTtlSeconds: z.number().int().positive(),
      ttlSeconds: z.number().int().positive(),
    })
    .optional()
    .nullable()
    .transform((v) => v ?? undefined),
});

const grantStateSchema = z.object({
  usesLeft: z.number().int().nonnegative(),
  expiresAt: z.string().refine((t) => Number.isFinite(Date.parse(t)), 'a time'),
});

const grantsSchema = z.object({
  grants: z.array(
    grantStateSchema.extend({
      requestId: z.string().regex(/^rq-[0-9a-f]{12}$/),
      scope: optStr,
      extendOffer: z
        .object({ from: grantStateSchema, to: grantStateSchema })
        .optional()
        .nullable()
        .transform((v) => v ?? undefined),
    }),
  ),
});

/** The `grants` answer (decision 1100): every live grant, or undefined when any part is malformed. */
export function parseGrants(data: unknown): GrantInfo[] | undefined {
  const r = grantsSchema.safeParse(data);
  return r.success ? r.data.grants : undefined;
}

export function parseView(v: unknown): RequestView | undefined {
  const r = viewSchema.safeParse(v);
  return r.success ? (r.data as RequestView) : undefined;
}

export type SubscribeEvent =
  | { kind: 'snapshot'; views: RequestView[]; dropped: number }
  | { kind: 'update'; view: RequestView }
  | { kind: 'invalid'; detail: string };

/** A `subscribe` event: `{event: 'snapshot', requests}` or `{event: 'update', view}`. */
export function parseSubscribeEvent(data: unknown): SubscribeEvent {
  if (typeof data !== 'object' || data === null) return { kind: 'invalid', detail: 'event is not an object' };
  const d = data as Record<string, unknown>;
  if (d['event'] === 'snapshot' && Array.isArray(d['requests'])) {
    const views = d['requests'].map(parseView);
    const ok = views.filter((v): v is RequestView => v !== undefined);
    return { kind: 'snapshot', views: ok, dropped: views.length - ok.length };
  }
  if (d['event'] === 'update') {
    const view = parseView(d['view']);
    return view === undefined
      ? { kind: 'invalid', detail: 'malformed request view in update' }
      : { kind: 'update', view };
  }
  return { kind: 'invalid', detail: `unknown event ${JSON.stringify(d['event'])}` };
}

/** Record types the history view shows: the decisions and what ended requests. */
export const HISTORY_TYPES: ReadonlySet<string> = new Set([
  'approval',
  'decision',
  'approval_refused',
  'expired',
  'cancelled',
  'grant_revoked',
  // "did it run?": the command's start and exit, recorded by the daemon
  'exec_start',
  'exec_end',
  // nobody decided in time: the request was widened to another group (policy `escalate`)
  'request_escalated',
  'request_reminder',
  // an approver gave a grant more uses or time (decision 1087)
  'grant_extended',
]);

/** `1 use until 10:00 → 3 uses until 10:30` from a `grant_extended` record's from/to. */
function extendedText(from: unknown, to: unknown): string {
  const one = (g: unknown): string => {
    const o = (typeof g === 'object' && g !== null ? g : {}) as Record<string, unknown>;
    const n = typeof o['usesLeft'] === 'number' ? o['usesLeft'] : '?';
    return `${n} use${n === 1 ? '' : 's'} until ${s(o['expiresAt']) ?? '?'}`;
  };
  return `grant ${one(from)} → ${one(to)}`;
}

/** An approver's vote shown as what it was: a denial is never labelled "approval". */
const VOTE_LABEL: Record<string, string> = { approve: 'approval', deny: 'denial', ask: 'question' };

const recordSchema = z.object({ seq: z.number().int(), ts: z.string(), type: z.string(), payload: z.unknown() });

function s(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The display form of a `request` record's command (redacted by the daemon): `{requestId, command}`. */
const requestPayloadSchema = z.object({ requestId: z.string().regex(/^rq-[0-9a-f]{12}$/), command: str });

/** A `request` record's id and command, or undefined for any other or malformed record. */
export function requestCommand(raw: unknown): { requestId: string; command: string } | undefined {
  const r = recordSchema.safeParse(raw);
  if (!r.success || r.data.type !== 'request') return undefined;
  const p = requestPayloadSchema.safeParse(r.data.payload);
  return p.success ? { requestId: p.data.requestId, command: p.data.command } : undefined;
}

/**
 * A ledger record as one history line, or undefined when it is not a decision-type record.
 * `all`: any record type (a request's chain shows every record it has).
 */
export function historyItem(raw: unknown, all = false): HistoryItem | undefined {
  const r = recordSchema.safeParse(raw);
  if (!r.success || (!all && !HISTORY_TYPES.has(r.data.type))) return undefined;
  const p = (typeof r.data.payload === 'object' && r.data.payload !== null ? r.data.payload : {}) as Record<
    string,
    unknown
  >;
  const approvers = Array.isArray(p['approvers'])
    ? p['approvers'].filter((a): a is string => typeof a === 'string').join(', ')
    : undefined;
  const who = s(p['approver']) ?? s(p['by']) ?? s(approvers) ?? (p['source'] === 'policy' ? 'policy' : undefined);
  const bits: string[] = [];
  const action = s(p['action']) ?? s(p['state']) ?? (p['source'] === 'policy' ? s(p['effect']) : undefined);
  if (p['source'] === 'policy' && Array.isArray(p['rules']))
    bits.push(`rules ${p['rules'].filter((x) => typeof x === 'string').join(', ')}:`);
  if (r.data.type === 'request') {
    const req = p['requester'] as Record<string, unknown> | undefined;
    const by = [s(req?.['user']), s(req?.['agent'])].filter((x) => x !== undefined).join(' · ');
    if (by !== '') bits.push(`by ${by}`);
    if (s(p['cwd']) !== undefined) bits.push(`in ${s(p['cwd'])}`);
    if (s(p['ticket']) !== undefined) bits.push(`ticket ${s(p['ticket'])}`);
  }
  if (r.data.type === 'exec_start') bits.push('command started');
  if (r.data.type === 'grant_extended') bits.push(extendedText(p['from'], p['to']));
  if (r.data.type === 'request_escalated' && s(p['to']) !== undefined) bits.push(`escalated to ${s(p['to'])}`);
  if (r.data.type === 'exec_end')
    bits.push(
      typeof p['signal'] === 'string'
        ? `command ended by ${p['signal']}`
        : `command exited ${typeof p['exitCode'] === 'number' ? p['exitCode'] : '?'}`,
    );
  if (action !== undefined) bits.push(action);
  if (s(p['channel']) !== undefined) bits.push(`via ${s(p['channel'])}`);
  if (s(p['code']) !== undefined) bits.push(`[${s(p['code'])}]`);
  const text = s(p['reason']) ?? s(p['question']) ?? s(p['message']);
  if (text !== undefined) bits.push(`— ${text}`);
  return {
    seq: r.data.seq,
    ts: r.data.ts,
    type: r.data.type === 'approval' ? (VOTE_LABEL[s(p['action']) ?? ''] ?? 'approval') : r.data.type,
    requestId: s(p['requestId']),
    who,
    summary: bits.join(' '),
    command: requestCommand(raw)?.command,
  };
}

/** The `history` result: `{records: LedgerRecord[]}` → items (newest first) and the highest seq seen. */
export function parseHistory(data: unknown): { items: HistoryItem[]; lastSeq: number; count: number } | undefined {
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { records?: unknown }).records))
    return undefined;
  const records = (data as { records: unknown[] }).records;
  let lastSeq = 0;
  for (const rec of records) {
    const seq = (rec as { seq?: unknown } | null)?.seq;
    if (typeof seq === 'number' && seq > lastSeq) lastSeq = seq;
  }
  const items = records.map((r) => historyItem(r)).filter((i): i is HistoryItem => i !== undefined);
  return { items: items.reverse(), lastSeq, count: records.length };
}

/** A request's chain (`history` with a requestId): every record, oldest first, or undefined when malformed. */
export function parseChain(data: unknown, requestId: string): HistoryItem[] | undefined {
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { records?: unknown }).records))
    return undefined;
  return (data as { records: unknown[] }).records
    .map((r) => historyItem(r, true))
    .filter((i): i is HistoryItem => i !== undefined && i.requestId === requestId);
}
