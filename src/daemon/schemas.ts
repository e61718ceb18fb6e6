/**
 * One zod schema per client message type (daemon side). Anything arriving over the socket is
 * untrusted: unknown types, missing fields, extra fields and oversized strings are refused.
 */
import { z } from 'zod';
import { lazily } from '../util/lazily.js';
import {
  approverChangeSchema,
  approverRecordSchema,
  endorsementSchema,
  grantRequestSchema,
} from '../approval/schema.js';
import { REQUEST_ID_PATTERN } from './ids.js';
import type { CheckMessage, ClientMessage, ExecMessage } from './messages.js';
import type { Equal } from './replies.js';

const id = lazily(() => z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));
const requestId = lazily(() => z.string().regex(REQUEST_ID_PATTERN, 'not a request id'));
const text = (max: number) => z.string().max(max);
const ARG_MAX = 128 * 1024;
const effect = lazily(() => z.enum(['allow', 'approve', 'deny']));

const signed = lazily(() =>
  z.strictObject({
    v: z.literal(1),
    requestId,
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    action: z.enum(['approve', 'deny', 'ask']),
    reason: text(4096).optional(),
    question: text(4096).optional(),
    at: text(64),
    approver: text(64),
    grant: grantRequestSchema.optional(),
    preview: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    signature: text(200),
  }),
);

const bodies = lazily(
  () =>
    ({
      ping: z.strictObject({ type: z.literal('ping') }),
      exec: z.strictObject({
        type: z.literal('exec'),
        argv: z.array(text(ARG_MAX)).min(1).max(4096),
        rawArgvB64: z
          .array(text(ARG_MAX * 2))
          .max(4096)
          .optional(),
        cwd: text(4096).min(1),
        env: z.record(text(256), text(ARG_MAX)).optional(),
        context: z.record(z.string(), z.unknown()),
        reason: text(4096).optional(),
        ticket: text(200).optional(),
        timeoutSeconds: z
          .number()
          .positive()
          .max(7 * 24 * 3600)
          .optional(),
        noWait: z.boolean(),
        attach: requestId.optional(),
        partialContext: z.boolean().optional(),
        envNames: z.array(text(256)).max(65536).optional(),
        binding: z
          .strictObject({
            env: z.record(text(256), z.string().regex(/^[0-9a-f]{64}$/)),
            targets: z.array(text(4096).nullable()).max(4096),
          })
          .optional(),
      }),
      check: z
        .strictObject({
          type: z.literal('check'),
          argv: z.array(text(ARG_MAX)).min(1).max(4096).optional(),
          shell: text(ARG_MAX).min(1).optional(),
          cwd: text(4096).regex(/^\//, 'must be an absolute path'),
          env: z.record(text(256), text(ARG_MAX)).optional(),
          context: z.record(z.string(), z.unknown()),
          agent: z
            .string()
            .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'an agent name: lower-case letters, digits, . _ -')
            .optional(),
          reason: text(4096).optional(),
          ticket: text(200).optional(),
          record: z.boolean().optional(),
          recordEffects: z.array(effect).max(3).optional(),
          intent: z
            .strictObject({
              userMessage: text(8192).optional(),
              agentExplanation: text(8192).optional(),
              source: z.string().regex(/^[a-z_+]{1,64}$/),
            })
            .optional(),
        })
        .refine((m) => (m.argv === undefined) !== (m.shell === undefined), {
          message: 'give exactly one of argv or shell',
          path: ['argv'],
        }),
      exec_end: z.strictObject({
        type: z.literal('exec_end'),
        execId: text(64),
        exitCode: z.number().int().min(0).max(512),
        signal: text(32).nullable().optional(),
        durationMs: z.number().nonnegative(),
      }),
      decide: z.strictObject({
        type: z.literal('decide'),
        signed,
        /** Which local surface sent it (recorded as the channel; a claim, like the rest of the message). */
        via: z.enum(['cli', 'tui']).optional(),
        /** Level 3: a fresh IdP login for this request and the view shown (src/identity/step-up.ts). */
        stepUp: z.strictObject({ idToken: text(16_384), viewHash: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
      }),
      report_refusal: z.strictObject({
        type: z.literal('report_refusal'),
        requestId,
        approver: text(200),
        reason: text(500),
      }),
      reply: z.strictObject({ type: z.literal('reply'), requestId, message: text(4096).min(1) }),
      revoke: z.strictObject({
        type: z.literal('revoke'),
        requestId,
        reason: text(4096).optional(),
        /** Which local surface sent it (recorded as the channel; a claim, beside the kernel's peer identity). */
        via: z.enum(['cli', 'tui']).optional(),
      }),
      /** A signed extension of an approved grant (src/approval/extend.ts checks every field of it). */
      grant_extend: z.strictObject({ type: z.literal('grant_extend'), signed: z.record(text(64), z.unknown()) }),
      wait: z.strictObject({
        type: z.literal('wait'),
        requestId,
        timeoutSeconds: z
          .number()
          .positive()
          .max(7 * 24 * 3600)
          .optional(),
      }),
      list: z.strictObject({
        type: z.literal('list'),
        all: z.boolean(),
        cursor: text(200).optional(),
        limit: z.number().int().positive().max(10_000).optional(),
      }),
      show: z.strictObject({ type: z.literal('show'), requestId }),
      subscribe: z.strictObject({ type: z.literal('subscribe') }),
      /** The live grants this connection may read, each with the extension its rule allows (decision 1100). */
      grants: z.strictObject({ type: z.literal('grants') }),
      history: z.strictObject({
        type: z.literal('history'),
        requestId: requestId.optional(),
        sinceSeq: z.number().int().nonnegative().optional(),
        limit: z.number().int().positive().max(10_000).optional(),
      }),
      status: z.strictObject({ type: z.literal('status') }),
      enroll: z.strictObject({
        type: z.literal('enroll'),
        candidate: approverRecordSchema.pick({
          name: true,
          groups: true,
          publicKey: true,
          osUser: true,
          slackUserId: true,
          email: true,
          idp: true,
        }),
        endorsement: endorsementSchema.optional(),
      }),
      approver_remove: z.strictObject({
        type: z.literal('approver_remove'),
        name: approverRecordSchema.shape.name,
        reason: text(4096),
      }),
      approver_change: z.strictObject({ type: z.literal('approver_change'), change: approverChangeSchema }),
      approver_get: z.strictObject({ type: z.literal('approver_get'), name: approverRecordSchema.shape.name }),
      shutdown: z.strictObject({ type: z.literal('shutdown') }),
      credential: z.strictObject({
        type: z.literal('credential'),
        op: z.enum(['add', 'rotate', 'remove', 'list']),
        name: text(64).optional(),
        kind: z.enum(['env', 'file', 'mint']).optional(),
        target: text(128).optional(),
        valueB64: text(400 * 1024).optional(),
        ttlSeconds: z.number().int().positive().max(86_400).optional(),
      }),
      exec_run: z.strictObject({
        type: z.literal('exec_run'),
        execId: text(64),
        env: z.record(text(256), text(ARG_MAX)),
        cols: z.number().int().positive().max(10_000).optional(),
      }),
      exec_stream: z.strictObject({
        type: z.literal('exec_stream'),
        execId: text(64),
        token: text(64),
        stream: z.enum(['stdin', 'stdout', 'stderr']),
      }),
      exec_signal: z.strictObject({ type: z.literal('exec_signal'), execId: text(64), signal: text(32) }),
    }) as const,
);

/** Each client message body as its schema accepts it (messages.ts derives ClientBody from these). */
export type ClientBodies = { [K in keyof typeof bodies]: z.infer<(typeof bodies)[K]> };

// exec and check are also declared in messages.ts, with what each field means: they must agree
const execAgrees: Equal<ClientBodies['exec'], ExecMessage> = true;
const checkAgrees: Equal<ClientBodies['check'], CheckMessage> = true;
void [execAgrees, checkAgrees];

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; id: number | undefined; error: string };

/** Validate one decoded frame. The id is recovered when possible so the error can be correlated. */
export function parseClientMessage(value: unknown): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: undefined, error: 'a message must be a JSON object' };
  }
  const { id: rawId, ...body } = value as Record<string, unknown>;
  const idResult = id.safeParse(rawId);
  const msgId = idResult.success ? idResult.data : undefined;
  if (msgId === undefined) return { ok: false, id: undefined, error: 'missing or invalid message id' };
  const type = body['type'];
  if (typeof type !== 'string' || !Object.hasOwn(bodies, type)) {
    return { ok: false, id: msgId, error: `unknown message type ${JSON.stringify(type)}` };
  }
  const schema = bodies[type as keyof typeof bodies];
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.join('.') ?? '';
    return {
      ok: false,
      id: msgId,
      error: `invalid ${type} message: ${where ? `${where}: ` : ''}${first?.message ?? 'invalid'}`,
    };
  }
  return { ok: true, message: { ...(parsed.data as object), id: msgId } as ClientMessage };
}
