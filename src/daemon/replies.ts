/**
 * The daemon's answers, one zod schema per client message type: the one source of the reply types
 * (ReplyOf<K> and the named types re-exported by messages.ts) and of their check on the client.
 * Anything arriving over the socket is untrusted, the daemon's answers included: a reply of the
 * wrong shape is refused with DaemonProtocolError naming the message type and the first bad field.
 *
 * Zod is not loaded on the `guard exec` / `guard hook` path (test/daemon/thin-client.test.ts):
 * those import only the types from here and check the few fields they act on themselves.
 */
import { z } from 'zod';
import { lazily } from '../util/lazily.js';
import { approverRecordSchema } from '../approval/schema.js';
import type { ApproverRecord } from '../approval/types.js';
import { REQUEST_STATES, type RequestView } from '../request/state.js';
import { DaemonProtocolError, type DaemonClient } from './client.js';
import type { ClientBody, ClientType } from './messages.js';

/** True when A and B are the same type (a compile-time check; both directions, optional fields included). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const str = lazily(() => z.string());
const risk = lazily(() => z.enum(['low', 'medium', 'high', 'critical']));
const effect = lazily(() => z.enum(['allow', 'approve', 'deny']));
const state = lazily(() => z.enum(REQUEST_STATES));

export const requestViewSchema = lazily(() =>
  z.object({
    id: str,
    state,
    command: str,
    argv: z.array(str),
    cwd: str,
    risk,
    requester: z.object({ user: str, agent: str.optional(), host: str.optional(), onBehalfOf: str.optional() }),
    reason: str.optional(),
    ticket: str.optional(),
    rules: z.array(
      z.object({ id: str, effect: str, risk, description: str, impact: str.optional(), controls: z.array(str) }),
    ),
    commands: z.array(str),
    context: z.record(str, str),
    createdAt: str,
    expiresAt: str,
    quorum: z.number(),
    approvals: z.array(z.object({ approver: str, channel: str, at: str })),
    decidedBy: str.optional(),
    decisionReason: str.optional(),
    question: str.optional(),
    askedBy: str.optional(),
    reply: str.optional(),
    session: str.optional(),
    intent: z
      .object({
        userMessage: str.optional(),
        agentExplanation: str.optional(),
        source: str,
        label: str,
        sha256: str,
      })
      .optional(),
    escalatedTo: str.optional(),
    preview: z
      .object({
        kind: str,
        title: str,
        status: z.enum(['ok', 'failed', 'timeout', 'skipped']),
        text: str,
        label: str,
        sha256: str,
      })
      .optional(),
    grantBounds: z.object({ maxUses: z.number(), maxTtlSeconds: z.number(), ttlSeconds: z.number() }).optional(),
    extendOffer: z
      .object({
        from: z.object({ usesLeft: z.number(), expiresAt: str }),
        to: z.object({ usesLeft: z.number(), expiresAt: str }),
      })
      .optional(),
    revocable: z.boolean().optional(),
    liveGrant: z
      .object({ usesLeft: z.number(), expiresAt: str, scope: str, scopeOmitted: z.number().optional() })
      .optional(),
  }),
);
// RequestView is declared by the request core (src/request/state.ts); the wire form must match it
const viewAgrees: Equal<z.infer<typeof requestViewSchema>, RequestView> = true;
// the enrolment answer is the registry's record
const approverAgrees: Equal<z.infer<typeof approverRecordSchema>, ApproverRecord> = true;
void [viewAgrees, approverAgrees];

const executorRun = lazily(() => z.object({ env: z.array(str), token: str }));

/** The first answer to an exec message. */
const execOutcome = lazily(() =>
  z.discriminatedUnion('outcome', [
    z.object({
      outcome: z.literal('run'),
      execId: str,
      requestId: str,
      grant: str.optional(),
      /** Run this argv instead (same program): the saved plan an approved preview made (decision 1086). */
      argv: z.array(str).min(1).optional(),
      executor: executorRun.optional(),
    }),
    z.object({ outcome: z.literal('deny'), requestId: str, reasons: z.array(str), rules: z.array(str), hint: str }),
    z.object({
      outcome: z.literal('pending'),
      requestId: str,
      view: requestViewSchema,
      /** Where approvers see it: channel names plus "guard approve" on this host. */
      channels: z.array(str),
      waitUntil: str,
    }),
    z.object({ outcome: z.literal('closed'), requestId: str, state, reason: str }),
    /** Only for a partial-context exec that needs approval: send again with the full context. */
    z.object({
      outcome: z.literal('need_context'),
      /** Variables the policy reads: their values go in the full request's `env` (decision 1026). */
      env: z.array(str).optional(),
    }),
  ]),
);

/** Events on a waiting exec (or `wait`) connection. */
const waitEvent = lazily(() =>
  z.discriminatedUnion('event', [
    z.object({ event: z.literal('update'), view: requestViewSchema }),
    z.object({
      event: z.literal('run'),
      execId: str,
      requestId: str,
      approvedBy: z.array(str).optional(),
      /** Run this argv instead (same program): the saved plan an approved preview made (decision 1086). */
      argv: z.array(str).min(1).optional(),
      executor: executorRun.optional(),
    }),
    z.object({ event: z.literal('approved'), requestId: str, view: requestViewSchema }),
    z.object({ event: z.literal('closed'), requestId: str, state, reason: str }),
  ]),
);

/** Events on an `exec_run` message; its result is `{exitCode, signal}` once the command ended. */
const executorEvent = lazily(() =>
  z.discriminatedUnion('event', [
    // stdio travels on the command's own stream connections (decision 1027)
    z.object({ event: z.literal('started') }),
  ]),
);

const grantShown = lazily(() => z.object({ usesLeft: z.number(), expiresAt: str, revoked: z.boolean() }));

/** `show` answer: the view plus what an approver signs over. */
const requestDetail = lazily(() =>
  z.object({
    view: requestViewSchema,
    fingerprint: str,
    grant: grantShown.optional(),
    votes: z.array(z.object({ approver: str, action: str, channel: str, at: str })),
    /** Approving needs a fresh IdP login (identity: step-up). */
    stepUp: z.boolean().optional(),
  }),
);

/** The answer to `check`. Texts are redacted as in the ledger. */
const checkOutcome = lazily(() =>
  z.object({
    effect,
    risk,
    reasons: z.array(str),
    matches: z.array(z.object({ ruleId: str, effect, risk, description: str, impact: str.optional() })),
    unresolved: z.array(z.object({ kind: str, detail: str })),
    policyDigest: str,
    /** For effect `approve`: how long a request may wait, and how many humans it needs. */
    approval: z.object({ timeoutSeconds: z.number(), quorum: z.number() }).optional(),
    /** The id of the recorded request; absent when nothing was recorded. */
    requestId: str.optional(),
    /**
     * The simple commands the line was judged as (argv as written, and source text): the hook
     * applies an agent client's own rules to them before it rewrites a held command.
     */
    commands: z.array(z.object({ argv: z.array(str), text: str })).optional(),
  }),
);

/** Enforced mode only (a runner user is configured): see src/daemon/enforced-status.ts. */
const enforcedStatus = lazily(() =>
  z.object({
    runner: str,
    credentials: z.array(z.object({ name: str, kind: str, target: str })),
    /** Files and directories whose contents the agent must not read. */
    private: z.array(str),
    /** Set when the credential index could not be read. */
    error: str.optional(),
  }),
);

const daemonStatus = lazily(() =>
  z.object({
    pid: z.number(),
    version: str,
    protocol: z.number(),
    startedAt: str,
    home: str,
    socket: str,
    policy: z.object({ digest: str, files: z.array(str), lastError: str.optional() }),
    requests: z.object({ pending: z.number(), needsInfo: z.number(), grants: z.number() }),
    /** How many approvers the registry holds; error when it cannot be loaded (fails closed). */
    approvers: z.object({ enrolled: z.number(), error: str.optional() }).optional(),
    channels: z.array(z.object({ name: str, ok: z.boolean(), detail: str })),
    enforced: enforcedStatus.optional(),
  }),
);

const decided = lazily(() => z.object({ state, view: requestViewSchema }));
const recorded = lazily(() => z.object({ recorded: z.literal(true) }));
const credentialShown = lazily(() =>
  z.object({
    name: str,
    kind: z.enum(['env', 'file', 'mint']),
    target: str,
    version: z.number(),
    hash: str,
  }),
);

/** The result of each client message type (events are described beside the types that send them). */
export const replySchemas = lazily(
  () =>
    ({
      ping: z.object({ pong: z.literal(true), pid: z.number(), version: str, protocol: z.number() }),
      exec: execOutcome,
      exec_end: recorded,
      check: checkOutcome,
      decide: decided,
      report_refusal: recorded,
      reply: decided,
      revoke: decided,
      grant_extend: z.object({ state, view: requestViewSchema, grant: grantShown }),
      /** Approved (a grant is ready for a re-run), the final state, `used`, or `timeout`. */
      wait: z.object({ state: str, reason: str, view: requestViewSchema, grant: grantShown.optional() }),
      /** One page; `next` is the cursor of the following page, absent on the last. */
      list: z.object({ requests: z.array(requestDetail), next: str.optional() }),
      show: requestDetail,
      /** A subscription is never answered with a result, only with events. */
      subscribe: z.never(),
      /** Live grants, oldest first; `more` when the reply was cut to stay under the frame limit. */
      grants: z.object({
        grants: z.array(
          z.object({
            requestId: str,
            usesLeft: z.number(),
            expiresAt: str,
            scope: str.optional(),
            extendOffer: requestViewSchema.shape.extendOffer,
          }),
        ),
        more: z.boolean(),
      }),
      history: z.object({ records: z.array(z.unknown()), more: z.boolean() }),
      status: daemonStatus,
      enroll: approverRecordSchema,
      approver_remove: approverRecordSchema,
      approver_change: approverRecordSchema,
      approver_get: approverRecordSchema,
      shutdown: z.object({ stopping: z.literal(true), pid: z.number() }),
      credential: z.union([z.object({ store: str, credentials: z.array(credentialShown) }), credentialShown]),
      exec_run: z.object({ exitCode: z.number(), signal: str.nullable() }),
      exec_stream: z.null(),
      exec_signal: z.null(),
    }) as const satisfies { [K in ClientType]: z.ZodType },
);

/** The event schemas, for the message types that receive events. */
export const eventSchemas = lazily(() => ({ exec: waitEvent, wait: waitEvent, exec_run: executorEvent }) as const);

/** The result type of each client message type. */
export type ReplyOf<K extends ClientType> = z.infer<(typeof replySchemas)[K]>;
export type ExecOutcome = z.infer<typeof execOutcome>;
export type WaitEvent = z.infer<typeof waitEvent>;
export type ExecutorEvent = z.infer<typeof executorEvent>;
export type ExecutorRun = z.infer<typeof executorRun>;
export type CheckOutcome = z.infer<typeof checkOutcome>;
export type DaemonStatus = z.infer<typeof daemonStatus>;
export type EnforcedStatus = z.infer<typeof enforcedStatus>;
export type RequestDetail = z.infer<typeof requestDetail>;
export type RequestPage = ReplyOf<'list'>;

/**
 * The value itself once the schema accepts it: the schemas transform nothing, so an accepted value
 * has the schema's type, and the caller sees the daemon's fields in the daemon's order (what
 * `--json` output prints), a field newer than this client included.
 */
function check<T>(schema: z.ZodType<T>, what: string, data: unknown): T {
  const r = schema.safeParse(data);
  if (r.success) return data as T;
  const first = r.error.issues[0];
  const where = first?.path.join('.') ?? '';
  throw new DaemonProtocolError(
    `${what} is malformed: ${where === '' ? '' : `${where}: `}${first?.message ?? 'invalid'}`,
  );
}

/** The daemon's result for a message of this type, checked against its schema. */
export function parseReply<K extends ClientType>(type: K, data: unknown): ReplyOf<K> {
  return check(replySchemas[type] as z.ZodType<ReplyOf<K>>, `the daemon's answer to ${type}`, data);
}

/** An event on an exec or wait message, checked against its schema. */
export function parseWaitEvent(data: unknown): WaitEvent {
  return check(waitEvent, 'an event from the daemon', data);
}

/** Send one message and resolve with its result, checked (rejects with DaemonProtocolError when malformed). */
export function ask<B extends ClientBody>(client: DaemonClient, body: B): Promise<ReplyOf<B['type']>> {
  return client.call(body, (data) => parseReply<B['type']>(body.type, data));
}
