/**
 * The webhook wire format: what guard POSTs, and the decision a receiver returns (inline in the
 * response, by callback, or from the poll Location). Documented in docs/channels.md.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RequestView } from '../types.js';
import { visibleDeep } from '../../util/visible.js';

export const FINAL_STATES = new Set(['approved', 'denied', 'expired', 'cancelled', 'revoked']);

export function isFinal(view: RequestView): boolean {
  return FINAL_STATES.has(view.state);
}

/** JSON Schema sent in every decision-capable delivery so a receiver knows what to answer. */
export const DECISION_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['action', 'approver'],
  additionalProperties: false,
  properties: {
    request_id: { type: 'string', description: 'Required in callbacks; optional inline and when polling.' },
    action: { enum: ['approve', 'deny', 'ask'] },
    approver: { type: 'string', minLength: 1, maxLength: 200, description: 'Identity the receiver authenticated.' },
    reason: { type: 'string', maxLength: 2000 },
    question: { type: 'string', maxLength: 2000, description: 'Required when action is "ask".' },
  },
} as const;

const decisionSchema = z
  .object({
    request_id: z.string().min(1).max(200).optional(),
    action: z.enum(['approve', 'deny', 'ask']),
    approver: z.string().trim().min(1).max(200),
    reason: z.string().max(2000).optional(),
    question: z.string().min(1).max(2000).optional(),
  })
  .strict()
  .refine((d) => d.action !== 'ask' || d.question !== undefined, { message: 'action "ask" needs a question' });

export type WireDecision = z.infer<typeof decisionSchema>;

/** Parses a decision object; throws a message naming the first problem. */
export function parseDecision(value: unknown): WireDecision {
  const result = decisionSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `invalid decision: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'malformed'}`,
    );
  }
  return result.data;
}

export interface Envelope {
  version: 1;
  event: 'request.created' | 'request.updated';
  endpoint: string;
  /** Stable across retries of the same delivery: receivers dedupe on it. */
  delivery_id: string;
  sent_at: string;
  request: RequestView;
  /** Present when decisions are accepted by signed callback to the daemon's listener. */
  callback_url?: string;
  /** Present unless the endpoint is notify-only. */
  decision_schema?: typeof DECISION_SCHEMA;
  /** How this endpoint may answer: 'inline' (200 body), 'poll' (202 + Location), 'callback'. */
  reply_modes: string[];
}

export function buildEnvelope(
  event: Envelope['event'],
  endpoint: string,
  view: RequestView,
  opts: { callbackUrl: string | undefined; decisions: boolean; nowMs: number },
): Envelope {
  const envelope: Envelope = {
    version: 1,
    event,
    endpoint,
    delivery_id: randomUUID(),
    sent_at: new Date(opts.nowMs).toISOString(),
    // display text: invisible and reordering characters written out as <U+XXXX> (src/util/visible.ts)
    request: visibleDeep(view),
    reply_modes: [],
  };
  if (opts.decisions && !isFinal(view)) {
    envelope.decision_schema = DECISION_SCHEMA;
    envelope.reply_modes = ['inline', 'poll'];
    if (opts.callbackUrl !== undefined) {
      envelope.callback_url = opts.callbackUrl;
      envelope.reply_modes.push('callback');
    }
  }
  return envelope;
}
