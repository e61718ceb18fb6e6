/**
 * The webhook wire format: what guard POSTs, and the decision a receiver returns (inline in the
 * response, by callback, or from the poll Location). Documented in docs/channels.md.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { lazily } from '../../util/lazily.js';
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

const decisionSchema = lazily(() =>
  z
    .object({
      request_id: z.string().min(1).max(200).optional(),
      action: z.enum(['approve', 'deny', 'ask']),
      approver: z.string().trim().min(1).max(200),
      reason: z.string().max(2000).optional(),
      question: z.string().min(1).max(2000).optional(),
    })
    .strict()
    .refine((d) => d.action !== 'ask' || d.question !== undefined, { message: 'action "ask" needs a question' }),
);

export type WireDecision = z.infer<typeof decisionSchema>;

/** Parses a decision object; throws a message naming the first problem. */
export function parseDecision(value: unknown): WireDecision {
  return parsed(decisionSchema, value);
}

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `invalid decision: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'malformed'}`,
    );
  }
  return result.data;
}

/** What may be done with a live grant by signed callback (decision 1107). */
export const GRANT_ACTIONS = ['extend', 'revoke'] as const;
export type GrantAction = (typeof GRANT_ACTIONS)[number];

const grantJson = {
  type: 'object',
  required: ['usesLeft', 'expiresAt'],
  additionalProperties: false,
  properties: { usesLeft: { type: 'integer', minimum: 1 }, expiresAt: { type: 'string', format: 'date-time' } },
} as const;

/**
 * JSON Schema sent with a live grant to a callback endpoint: revoke it, or extend it to the offer
 * (`from` and `to` as in `request.extendOffer`; the daemon applies it only while the grant is as shown).
 */
export const GRANT_ACTION_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  oneOf: [
    {
      type: 'object',
      required: ['request_id', 'action', 'approver'],
      additionalProperties: false,
      properties: {
        request_id: { type: 'string' },
        action: { const: 'revoke' },
        approver: { type: 'string', minLength: 1, maxLength: 200, description: 'Identity the receiver authenticated.' },
      },
    },
    {
      type: 'object',
      required: ['request_id', 'action', 'approver', 'from', 'to'],
      additionalProperties: false,
      properties: {
        request_id: { type: 'string' },
        action: { const: 'extend' },
        approver: { type: 'string', minLength: 1, maxLength: 200, description: 'Identity the receiver authenticated.' },
        from: { ...grantJson, description: 'The grant as shown: request.extendOffer.from.' },
        to: { ...grantJson, description: 'The grant asked for: request.extendOffer.to.' },
      },
    },
  ],
} as const;

const grantShape = lazily(() =>
  z.object({ usesLeft: z.number().int().min(1), expiresAt: z.string().min(1).max(64) }).strict(),
);
const grantActionSchema = lazily(() =>
  z.discriminatedUnion('action', [
    z
      .object({
        request_id: z.string().min(1).max(200),
        action: z.literal('revoke'),
        approver: z.string().trim().min(1).max(200),
      })
      .strict(),
    z
      .object({
        request_id: z.string().min(1).max(200),
        action: z.literal('extend'),
        approver: z.string().trim().min(1).max(200),
        from: grantShape,
        to: grantShape,
      })
      .strict(),
  ]),
);

export type WireGrantAction = z.infer<typeof grantActionSchema>;
/** What a signed callback may carry: a decision on an open request, or an action on a live grant. */
export type WireCallback = WireDecision | WireGrantAction;

/** Parses a callback body: a grant action when its `action` is one, else a decision; throws naming the first problem. */
export function parseCallback(value: unknown): WireCallback {
  const action = typeof value === 'object' && value !== null ? (value as { action?: unknown }).action : undefined;
  return (GRANT_ACTIONS as readonly unknown[]).includes(action)
    ? parsed(grantActionSchema, value)
    : parsed(decisionSchema, value);
}

export function isGrantAction(c: WireCallback): c is WireGrantAction {
  return (GRANT_ACTIONS as readonly string[]).includes(c.action);
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
  /** What the endpoint may answer now: a decision while the request is open, a grant action on a live grant (callback only). */
  decision_schema?: typeof DECISION_SCHEMA | typeof GRANT_ACTION_SCHEMA;
  /** How this endpoint may answer: 'inline' (200 body), 'poll' (202 + Location), 'callback'. */
  reply_modes: string[];
  /** An approved request whose grant is live, at a callback endpoint: what a callback may do with it (decision 1107). */
  grant_actions?: GrantAction[];
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
  // a live grant can be acted on only later, by callback: inline and polled answers belong to a delivery
  const actions = grantActions(view);
  if (opts.decisions && opts.callbackUrl !== undefined && actions.length > 0) {
    envelope.decision_schema = GRANT_ACTION_SCHEMA;
    envelope.reply_modes = ['callback'];
    envelope.callback_url = opts.callbackUrl;
    envelope.grant_actions = actions;
  }
  return envelope;
}

/** The grant actions a view offers: revoke while the grant is live (decision 1094), extend when the daemon offers one (1091). */
function grantActions(view: RequestView): GrantAction[] {
  if (view.state !== 'approved' || view.revocable !== true) return [];
  return view.extendOffer === undefined ? ['revoke'] : ['extend', 'revoke'];
}
