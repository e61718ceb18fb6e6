/**
 * Intent on the daemon side: the hook's agent-supplied text (last user message, the agent's own
 * explanation) redacted like everything else, labelled, hashed for the ledger, and carried from the
 * hook's `check` to the `guard exec` request its rewrite raises. Never read by the policy: intent is
 * attached after the decision and only to what humans see and what the ledger records.
 *
 * The hook and the exec are two connections; the exec's request finds the intent of the check by
 * the verified peer uid, the agent session and the exact command text. Another user's check can
 * never lend its text to a request (the uid is the kernel's), and the cache is bounded by count.
 */
import { createHash } from 'node:crypto';
import type { RequestIntent } from '../channels/types.js';
import type { JsonValue } from '../ledger/types.js';
import { redactText } from '../redact/index.js';
import { canonicalize } from '../util/canonical.js';

/** The wire form (CheckMessage.intent). */
export interface WireIntent {
  userMessage?: string | undefined;
  agentExplanation?: string | undefined;
  source: string;
}

export const INTENT_LABEL = 'agent-supplied: not verified, not used for the decision';

/** Intent as shown (`view`) and the salted-hash records of what redaction removed from it. */
export interface ShownIntent {
  view: RequestIntent;
  findings: JsonValue[];
}

/** Redact, label and hash; findings are the salted-hash records for the ledger's `secrets`. */
export function displayIntent(w: WireIntent): ShownIntent {
  const findings: JsonValue[] = [];
  const red = (s: string | undefined, key: string): string | undefined => {
    if (s === undefined || s.trim() === '') return undefined;
    const r = redactText(s);
    for (const f of r.findings)
      findings.push({ where: 'intent', index: f.index, key, kind: f.kind, hash: f.hash, salt: f.salt });
    return r.value;
  };
  const shown = {
    userMessage: red(w.userMessage, 'userMessage'),
    agentExplanation: red(w.agentExplanation, 'agentExplanation'),
    source: w.source,
  };
  // the hash covers the redacted display form: a hash of the raw text would let anyone who sees
  // the display (everything but the secret) test guesses of the secret against the ledger
  const sha256 = createHash('sha256')
    .update(canonicalize(JSON.parse(JSON.stringify(shown)) as unknown))
    .digest('hex');
  return { view: { ...JSON.parse(JSON.stringify(shown)), label: INTENT_LABEL, sha256 } as RequestIntent, findings };
}

/** The ledger form, as extra request-payload fields: display text, its hash, redaction findings. */
export function intentExtra(i: ShownIntent | undefined): { intent?: JsonValue } {
  if (i === undefined) return {};
  return { intent: JSON.parse(JSON.stringify({ ...i.view, secrets: i.findings })) as JsonValue };
}

const MAX_ENTRIES = 512;

function key(uid: number | undefined, session: string | undefined, command: string): string {
  const c = createHash('sha256').update(command).digest('hex');
  return `${uid ?? 'none'}\0${session ?? ''}\0${c}`;
}

/** The command text a hook's rewrite hands to guard exec: argv ['bash', '-c', text]. */
export function shellTextOf(argv: readonly string[]): string | undefined {
  return argv.length === 3 && argv[0] === 'bash' && argv[1] === '-c' ? argv[2] : undefined;
}

/** The agent session the client reported (`context.requester.agentSession`). */
export function sessionOf(context: Record<string, unknown>): string | undefined {
  const r = context['requester'];
  if (typeof r !== 'object' || r === null) return undefined;
  const s = (r as Record<string, unknown>)['agentSession'];
  return typeof s === 'string' && s !== '' ? s : undefined;
}

/** The reported session for the view (redacted like any client text), when there is one. */
export function sessionView(context: Record<string, unknown>): { session?: string } {
  const s = sessionOf(context);
  return s === undefined ? {} : { session: redactText(s.slice(0, 200)).value };
}

/** Keep a check's intent for the exec its rewrite raises (only shell text is ever rewritten). */
export function rememberIntent(
  cache: IntentCache,
  uid: number | undefined,
  context: Record<string, unknown>,
  argv: readonly string[],
  intent: ShownIntent,
): void {
  const text = shellTextOf(argv);
  if (text !== undefined) cache.put(uid, sessionOf(context), text, intent);
}

/** Intent of recent hook checks, by verified uid, agent session and command text. */
export class IntentCache {
  private readonly entries = new Map<string, ShownIntent>();

  put(uid: number | undefined, session: string | undefined, command: string, intent: ShownIntent): void {
    const k = key(uid, session, command);
    this.entries.delete(k);
    this.entries.set(k, intent);
    while (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** The intent for a command (kept: a re-run of the same command in the same session shows it again). */
  find(uid: number | undefined, session: string | undefined, argv: readonly string[]): ShownIntent | undefined {
    const text = shellTextOf(argv);
    return text === undefined ? undefined : this.entries.get(key(uid, session, text));
  }
}
