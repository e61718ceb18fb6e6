/**
 * Level 3: an approval under `approval: { identity: step-up }` carries a fresh IdP login whose
 * nonce names the request (id, fingerprint) and the view the approver was shown. The daemon checks
 * it against its own provider keys; the approval record keeps the token and the JWKS it was checked
 * against, so `checkStepUpRecord` can re-check it offline, as of the approval, years later.
 */
import type { ApproverRecord } from '../approval/types.js';
import { GuardError } from '../errors.js';
import type { JsonValue } from '../ledger/types.js';
import { requireIdentity } from './load.js';
import { cachedIdentityMetadata, jwksSchema, refreshIdentityMetadata, type Jwks } from './metadata.js';
import { stepUpNonce } from './nonce.js';
import { checkIdToken, type IdTokenExpectations } from './verify.js';

export interface StepUpProof {
  idToken: string;
  /** sha256 hex of the view text the approver was shown. */
  viewHash: string;
}

/** What the approval record keeps: everything an offline check needs. */
export interface StepUpRecord {
  idToken: string;
  viewHash: string;
  issuer: string;
  clientId: string;
  subject: string;
  /** auth_time had to be at or after this (the request's creation). */
  authAfter: string;
  /** When the daemon checked the token (the offline check judges it as of then). */
  checkedAt: string;
  groupsClaim: string;
  anyOfGroups: string[];
  acrValues: string[] | null;
  skewSeconds: number;
  jwks: Jwks;
}

export type StepUpCheck = { ok: true; record: StepUpRecord } | { ok: false; code: string; reason: string };

/** The facts of the request the token must name. */
export interface StepUpRequest {
  id: string;
  fingerprint: string;
  createdAt: string;
  groups: string[];
}

/** The daemon's check of a step-up approval. Total: every failure is a refusal code, never a throw. */
export async function checkStepUp(
  env: NodeJS.ProcessEnv,
  r: StepUpRequest,
  approver: ApproverRecord | undefined,
  proof: StepUpProof | undefined,
  now: Date,
): Promise<StepUpCheck> {
  if (proof === undefined)
    return {
      ok: false,
      code: 'step-up-missing',
      reason: 'this request needs a fresh IdP login (identity: step-up) and the approval carries none',
    };
  if (approver?.idp === undefined)
    return {
      ok: false,
      code: 'step-up-not-enrolled',
      reason: `approver ${approver?.name ?? '(unknown)'} has no enrolled IdP identity (enroll with --idp)`,
    };
  try {
    const { cfg, home } = requireIdentity(env);
    if (approver.idp.issuer !== cfg.issuer)
      return {
        ok: false,
        code: 'step-up-wrong-issuer',
        reason: `the approver is enrolled with ${approver.idp.issuer}, not ${cfg.issuer}`,
      };
    const meta = await refreshIdentityMetadata(cfg, home).catch(() => cachedIdentityMetadata(cfg, home));
    if (meta === undefined)
      return {
        ok: false,
        code: 'step-up-no-keys',
        reason: 'the identity provider cannot be reached and no keys of it are cached',
      };
    const record: StepUpRecord = {
      idToken: proof.idToken,
      viewHash: proof.viewHash,
      issuer: cfg.issuer,
      clientId: cfg.client_id,
      subject: approver.idp.subject,
      authAfter: r.createdAt,
      checkedAt: now.toISOString(),
      groupsClaim: cfg.groups_claim,
      anyOfGroups: r.groups,
      acrValues: cfg.acr_values ?? null,
      skewSeconds: cfg.max_clock_skew_seconds,
      jwks: meta.jwks,
    };
    const c = await checkIdToken(expectations(record, r.id, r.fingerprint));
    return c.ok
      ? { ok: true, record }
      : { ok: false, code: `step-up-${c.code}`, reason: `step-up login refused: ${c.reason}` };
  } catch (err) {
    if (err instanceof GuardError) return { ok: false, code: 'step-up-config', reason: err.message };
    throw err;
  }
}

function expectations(s: StepUpRecord, requestId: string, fingerprint: string): IdTokenExpectations {
  return {
    token: s.idToken,
    jwks: s.jwks,
    issuer: s.issuer,
    clientId: s.clientId,
    nonce: stepUpNonce(requestId, fingerprint, s.viewHash),
    at: new Date(s.checkedAt),
    authAfter: new Date(s.authAfter),
    skewSeconds: s.skewSeconds,
    subject: s.subject,
    groupsClaim: s.groupsClaim,
    anyOfGroups: s.anyOfGroups.length > 0 ? s.anyOfGroups : undefined,
    acrValues: s.acrValues ?? undefined,
  };
}

/**
 * Offline re-check of an `approval` record's step-up proof (no network: the record's own JWKS).
 * Undefined when the record has no proof or it holds; else why it fails.
 */
export async function checkStepUpRecord(payload: Record<string, JsonValue>): Promise<string | undefined> {
  const s = payload['stepUp'];
  if (s === undefined) return undefined;
  const p = s as unknown as StepUpRecord;
  const requestId = payload['requestId'];
  const fingerprint = payload['fingerprint'];
  if (
    typeof requestId !== 'string' ||
    typeof fingerprint !== 'string' ||
    s === null ||
    typeof s !== 'object' ||
    typeof p.idToken !== 'string' ||
    typeof p.viewHash !== 'string' ||
    typeof p.checkedAt !== 'string' ||
    typeof p.authAfter !== 'string' ||
    !Array.isArray(p.anyOfGroups) ||
    !jwksSchema.safeParse(p.jwks).success
  )
    return 'the step-up proof is malformed';
  const c = await checkIdToken(expectations(p, requestId, fingerprint));
  return c.ok ? undefined : `${c.code}: ${c.reason}`;
}

/**
 * The first approval record (raw ledger bytes) whose step-up proof fails offline, with the reason.
 * `seqs[i]` is the sequence number of `records[i]` when they are not the whole ledger from record 1.
 */
export async function firstStepUpFailure(
  records: Buffer[],
  seqs?: number[],
): Promise<{ seq: number; reason: string } | undefined> {
  for (const [i, bytes] of records.entries()) {
    const rec = JSON.parse(bytes.toString('utf8')) as { type?: unknown; payload?: unknown };
    if (rec.type !== 'approval' || rec.payload === null || typeof rec.payload !== 'object') continue;
    const reason = await checkStepUpRecord(rec.payload as Record<string, JsonValue>);
    if (reason !== undefined) return { seq: seqs?.[i] ?? i + 1, reason };
  }
  return undefined;
}
