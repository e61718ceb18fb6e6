/**
 * A first check of the daemon's answers that describe requests (`list`, `show`) without loading
 * zod, whose code costs a cold `guard requests` more than the listing itself (decision 0033).
 *
 * A shape here mirrors the zod schema of the same answer (src/daemon/replies.ts); the schema stays
 * the authority: an answer the shape does not fit is checked again with zod, which refuses it with
 * its usual message or accepts it. So a shape may be stricter than its schema, never looser.
 * test/daemon/reply-shapes.test.ts derives each shape from its schema and compares them, and checks
 * that no answer fits a shape that its schema refuses.
 */
import { REQUEST_STATES } from '../request/state.js';

export type Shape =
  | 'string'
  | 'number'
  | 'boolean'
  | { readonly enum: readonly string[] }
  | { readonly array: Shape }
  | { readonly record: Shape }
  | { readonly optional: Shape }
  | { readonly object: { readonly [key: string]: Shape } };

/** True when `value` has the shape; unknown object keys are allowed (zod's default objects strip them). */
export function fits(shape: Shape, value: unknown): boolean {
  if (shape === 'string') return typeof value === 'string';
  if (shape === 'number') return typeof value === 'number' && Number.isFinite(value);
  if (shape === 'boolean') return typeof value === 'boolean';
  if ('enum' in shape) return typeof value === 'string' && shape.enum.includes(value);
  if ('optional' in shape) return value === undefined || fits(shape.optional, value);
  if ('array' in shape) return Array.isArray(value) && value.every((v) => fits(shape.array, v));
  if (!isPlainObject(value)) return false;
  if ('record' in shape) return Object.values(value).every((v) => fits(shape.record, v));
  for (const [k, s] of Object.entries(shape.object)) if (!fits(s, value[k])) return false;
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const str = 'string';
const num = 'number';
const opt = (s: Shape): Shape => ({ optional: s });
const risk: Shape = { enum: ['low', 'medium', 'high', 'critical'] };

const requestView: Shape = {
  object: {
    id: str,
    state: { enum: REQUEST_STATES },
    command: str,
    argv: { array: str },
    cwd: str,
    risk,
    requester: { object: { user: str, agent: opt(str), host: opt(str), onBehalfOf: opt(str) } },
    reason: opt(str),
    ticket: opt(str),
    rules: {
      array: {
        object: { id: str, effect: str, risk, description: str, impact: opt(str), controls: { array: str } },
      },
    },
    commands: { array: str },
    context: { record: str },
    createdAt: str,
    expiresAt: str,
    quorum: num,
    approvals: { array: { object: { approver: str, channel: str, at: str } } },
    decidedBy: opt(str),
    decisionReason: opt(str),
    question: opt(str),
    askedBy: opt(str),
    reply: opt(str),
    session: opt(str),
    intent: opt({
      object: { userMessage: opt(str), agentExplanation: opt(str), source: str, label: str, sha256: str },
    }),
    escalatedTo: opt(str),
    preview: opt({
      object: {
        kind: str,
        title: str,
        status: { enum: ['ok', 'failed', 'timeout', 'skipped'] },
        text: str,
        label: str,
        sha256: str,
      },
    }),
    grantBounds: opt({ object: { maxUses: num, maxTtlSeconds: num, ttlSeconds: num } }),
    extendOffer: opt({
      object: {
        from: { object: { usesLeft: num, expiresAt: str } },
        to: { object: { usesLeft: num, expiresAt: str } },
      },
    }),
    revocable: opt('boolean'),
    liveGrant: opt({ object: { usesLeft: num, expiresAt: str, scope: str, scopeOmitted: opt(num) } }),
  },
};

/** The answer to `show`. */
export const REQUEST_DETAIL: Shape = {
  object: {
    view: requestView,
    fingerprint: str,
    grant: opt({ object: { usesLeft: num, expiresAt: str, revoked: 'boolean' } }),
    votes: { array: { object: { approver: str, action: str, channel: str, at: str } } },
    stepUp: opt('boolean'),
  },
};

/** The answer to `list`: one page. */
export const REQUEST_PAGE: Shape = { object: { requests: { array: REQUEST_DETAIL }, next: opt(str) } };
