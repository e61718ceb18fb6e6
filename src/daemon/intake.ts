/**
 * Turn an exec message and the policy's decision into what the daemon keeps and records: the
 * redacted view humans see, the `request` and `decision` ledger payloads. Only redacted text
 * leaves this module; the real argv is used for the fingerprint and the policy and then dropped.
 */
import type { RequestView } from '../channels/types.js';
import type { JsonValue } from '../ledger/types.js';
import type { Decision, Requester } from '../policy/types.js';
import { redactArgv, redactDeep, redactText } from '../redact/index.js';
import type { ExecMessage } from './messages.js';

export interface Intake {
  requester: Requester;
  programSha256: string | undefined;
  displayArgv: string[];
  command: string;
  context: Record<string, string>;
  reason: string | undefined;
  ticket: string | undefined;
  /** Redaction findings (salted hashes, never the secret), for the ledger. */
  secrets: JsonValue[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The requester as the client reported it (`context.requester`). */
export function requesterOf(context: Record<string, unknown>): Requester | undefined {
  const r = context['requester'];
  if (typeof r !== 'object' || r === null) return undefined;
  const o = r as Record<string, unknown>;
  const user = str(o['user']);
  if (user === undefined) return undefined;
  return { user, agent: str(o['agent']), host: str(o['host']), onBehalfOf: str(o['onBehalfOf']) };
}

export function programSha256Of(context: Record<string, unknown>): string | undefined {
  const p = context['program'];
  if (typeof p !== 'object' || p === null) return undefined;
  const sha = (p as Record<string, unknown>)['sha256'];
  return typeof sha === 'string' && /^[0-9a-f]{64}$/.test(sha) ? sha : undefined;
}

/** POSIX-shell quoting, for display only (nothing ever executes this string). */
export function shellQuote(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Flatten the client's context to `section.key: value` strings (requester excluded). */
function flatten(context: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(context)) {
    if (k === 'requester' || v === undefined || v === null) continue;
    if (typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) {
        if (v2 === undefined || v2 === null) continue;
        out[`${k}.${k2}`] = typeof v2 === 'string' ? v2 : JSON.stringify(v2);
      }
    } else out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function finding(f: {
  where: string;
  index: number;
  key?: string | undefined;
  kind: string;
  hash: string;
  salt: string;
}): JsonValue {
  return {
    where: f.where,
    index: f.index,
    ...(f.key === undefined ? {} : { key: f.key }),
    kind: f.kind,
    hash: f.hash,
    salt: f.salt,
  };
}

/** What intake reads of a message (`exec` and `check` share it). */
export type IntakeInput = Pick<ExecMessage, 'argv' | 'context' | 'reason' | 'ticket'>;

export function intake(msg: IntakeInput, requester: Requester): Intake {
  const argv = redactArgv(msg.argv);
  const ctx = redactDeep(flatten(msg.context));
  const reason = msg.reason === undefined ? undefined : redactText(msg.reason);
  const ticket = msg.ticket === undefined ? undefined : redactText(msg.ticket);
  const secrets = [...argv.findings, ...ctx.findings, ...(reason?.findings ?? []), ...(ticket?.findings ?? [])].map(
    finding,
  );
  return {
    requester,
    programSha256: programSha256Of(msg.context),
    displayArgv: argv.value,
    command: shellQuote(argv.value),
    context: ctx.value,
    reason: reason?.value,
    ticket: ticket?.value,
    secrets,
  };
}

const clean = (o: Record<string, unknown>): JsonValue =>
  JSON.parse(JSON.stringify(o)) as JsonValue; /* drops undefined: the ledger refuses it */

export function requestPayload(
  id: string,
  msg: Pick<ExecMessage, 'cwd'> & { noWait?: boolean | undefined },
  t: Intake,
  fingerprint: string,
  extra: Record<string, unknown> = {},
): JsonValue {
  const cwd = redactText(msg.cwd); // a directory may be named like a token
  return clean({
    requestId: id,
    argv: t.displayArgv,
    command: t.command,
    cwd: cwd.value,
    requester: t.requester,
    programSha256: t.programSha256,
    context: t.context,
    reason: t.reason,
    ticket: t.ticket,
    fingerprint,
    noWait: msg.noWait,
    secrets: [...t.secrets, ...cwd.findings.map((f) => finding({ ...f, key: 'cwd' }))],
    ...extra,
  });
}

export function decisionPayload(id: string, d: Decision, extra: Record<string, unknown> = {}): JsonValue {
  return clean({
    requestId: id,
    source: 'policy',
    effect: d.effect,
    risk: d.risk,
    rules: d.matches.map((m) => m.ruleId),
    reasons: d.reasons.map((r) => redactText(r).value),
    unresolved: d.unresolved.map((u) => u.kind),
    policyDigest: d.policyDigest,
    approval: d.approval,
    // script files judged by content, and the digests an approval binds (decision 0125)
    ...(d.scripts === undefined
      ? {}
      : {
          scripts: d.scripts.map((s) => ({ path: redactText(s.path).value, kind: s.kind, sha256: s.sha256 ?? null })),
        }),
    ...extra,
  });
}

export function buildView(
  id: string,
  msg: ExecMessage,
  t: Intake,
  d: Decision,
  createdAt: string,
  expiresAt: string,
): RequestView {
  return {
    id,
    state: 'pending',
    command: t.command,
    argv: t.displayArgv,
    cwd: redactText(msg.cwd).value,
    risk: d.risk,
    requester: t.requester,
    reason: t.reason,
    ticket: t.ticket,
    rules: d.matches.map((m) => ({
      id: m.ruleId,
      effect: m.effect,
      risk: m.risk,
      description: redactText(m.description).value,
      impact: m.impact === undefined ? undefined : redactText(m.impact).value,
      controls: m.controls,
    })),
    commands: d.commands.map((c) => redactText(c.text).value),
    context: t.context,
    createdAt,
    expiresAt,
    quorum: d.approval?.quorum ?? 1,
    approvals: [],
  };
}
