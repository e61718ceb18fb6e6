/**
 * Schemas for everything the approval core accepts from outside (files, sockets, other
 * processes). Objects are strict: an unknown key is malformed, so the signed bytes are exactly
 * the fields a verifier knows about.
 */
import { z } from 'zod';
import { lazily } from '../util/lazily.js';
import { decodeBase64, parseTime } from './encoding.js';

/** Approver names become file names: a short, path-safe token. */
export const APPROVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const TEXT_MAX = 4096;

const name = lazily(() =>
  z.string().regex(APPROVER_NAME, 'a name: letters, digits, . _ - (max 64), not starting with a symbol'),
);
const group = lazily(() => z.string().regex(GROUP, 'a group: letters, digits, . _ : - (max 64)'));
const time = lazily(() => z.string().refine((s) => parseTime(s) !== undefined, 'an ISO-8601 time with a zone'));
const publicKey = lazily(() =>
  z.string().refine((s) => decodeBase64(s, 32) !== undefined, 'base64 of a 32-byte Ed25519 public key'),
);
const signature = lazily(() =>
  z.string().refine((s) => decodeBase64(s, 64) !== undefined, 'base64 of a 64-byte Ed25519 signature'),
);
const sha256hex = lazily(() => z.string().regex(/^[0-9a-f]{64}$/, 'sha256 hex'));
const optText = (max: number) => z.string().min(1).max(max).optional();

export const approverRecordSchema = lazily(() =>
  z.strictObject({
    name,
    groups: z.array(group).min(1).max(32),
    publicKey,
    fingerprint: sha256hex,
    osUser: optText(256),
    slackUserId: optText(64),
    email: optText(320),
    enrolledAt: time,
    endorsedBy: name.optional(),
    endorsement: z.lazy(() => endorsementSchema).optional(),
    idp: z
      .strictObject({
        issuer: z.url().max(512),
        subject: z.string().min(1).max(255),
        idToken: z.string().min(1).max(16_384),
      })
      .optional(),
    /** Signed changes since enrolment, oldest first (src/approval/changes.ts). */
    changes: z
      .array(z.lazy(() => approverChangeSchema))
      .max(256)
      .optional(),
    /** A removed approver stays in the registry (its endorsements keep the chain) but counts for nothing. */
    removed: z.strictObject({ at: time, reason: z.string().min(1).max(TEXT_MAX) }).optional(),
  }),
);

/** The fields of an approver that a change replaces; everything a decision or four-eyes reads. */
export const approverFieldsSchema = lazily(() =>
  z.strictObject({
    groups: z.array(group).min(1).max(32),
    publicKey,
    osUser: optText(256),
    slackUserId: optText(64),
    email: optText(320),
  }),
);

export const approverChangeStatementSchema = lazily(() =>
  z.strictObject({
    v: z.literal(1),
    /** update: identities or groups, signed by another approver; rotate: a new key, signed by the old and the new key. */
    kind: z.enum(['update', 'rotate']),
    name,
    before: approverFieldsSchema,
    after: approverFieldsSchema,
    signer: name,
    at: time,
  }),
);

export const approverChangeSchema = lazily(() =>
  approverChangeStatementSchema.extend({
    signature,
    /** rotate only: the new key's signature over the same statement (proof of possession). */
    newKeySignature: signature.optional(),
  }),
);

export const decisionStatementSchema = lazily(() =>
  z.strictObject({
    v: z.literal(1),
    requestId: z.string().min(1).max(128),
    fingerprint: sha256hex,
    action: z.enum(['approve', 'deny', 'ask']),
    reason: optText(TEXT_MAX),
    question: optText(TEXT_MAX),
    at: time,
    approver: name,
    /** A scoped grant asked for (src/approval/scope.ts); signed with the rest. */
    grant: z.lazy(() => grantRequestSchema).optional(),
    /** sha256 of the effect preview shown (src/preview); signed with the rest. */
    preview: sha256hex.optional(),
  }),
);

/** The scoped grant inside a signed decision. */
export const grantRequestSchema = lazily(() =>
  z.strictObject({
    uses: z.number().int().min(1).max(1000),
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600),
    session: optText(200),
    scope: z.string().min(1).max(TEXT_MAX),
  }),
);

export const signedDecisionSchema = lazily(() =>
  decisionStatementSchema
    .extend({ signature })
    .refine((d) => d.action !== 'ask' || d.question !== undefined, 'an ask carries a question'),
);

export const endorsementStatementSchema = lazily(() =>
  z.strictObject({
    v: z.literal(1),
    kind: z.literal('enroll'),
    name,
    groups: z.array(group).min(1).max(32),
    publicKey,
    osUser: optText(256),
    slackUserId: optText(64),
    email: optText(320),
    endorser: name,
    at: time,
  }),
);

export const endorsementSchema = lazily(() => endorsementStatementSchema.extend({ signature }));

/** First issue of a zod error as one line: `field: message`. */
export function firstIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
