/**
 * Signed policy files (decision 0121). A file that loosens the policy (disable, allow rule, a
 * replaced rule, a looser default, a replaced default pack) counts only when `<file>.sig` beside
 * it holds an enrolled approver's Ed25519 signature over the file's SHA-256; otherwise the file
 * may only tighten. I/O edge: reads the signature file and the approver registry.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadApprovers } from '../../approval/registry.js';
import { verifyStatement } from '../../approval/statement.js';
import type { ApproverRecord } from '../../approval/types.js';

export const SIGNATURE_SUFFIX = '.sig';

/** What an approver signs for a policy file: its exact bytes, by hash. */
export function policyFileStatement(text: string): { v: 1; kind: 'guard-policy-file'; sha256: string } {
  return { v: 1, kind: 'guard-policy-file', sha256: createHash('sha256').update(text, 'utf8').digest('hex') };
}

export interface PolicySignature {
  approver: string;
  signature: string;
}

export type SignatureCheck = { signedBy: string } | { unsigned: true; problem?: string };

/** Checks signatures of policy files against one approver registry, read at most once. */
export class SignatureChecker {
  private approvers: ApproverRecord[] | Error | undefined;

  constructor(private readonly approversDir: string) {}

  check(file: string, text: string): SignatureCheck {
    let raw: string;
    try {
      raw = readFileSync(file + SIGNATURE_SUFFIX, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { unsigned: true };
      return { unsigned: true, problem: `cannot read ${file}${SIGNATURE_SUFFIX}: ${(err as Error).message}` };
    }
    let sig: Partial<PolicySignature>;
    try {
      sig = JSON.parse(raw) as Partial<PolicySignature>;
    } catch {
      return { unsigned: true, problem: `${file}${SIGNATURE_SUFFIX} is not JSON` };
    }
    if (typeof sig.approver !== 'string' || typeof sig.signature !== 'string')
      return { unsigned: true, problem: `${file}${SIGNATURE_SUFFIX} lacks approver or signature` };
    const approvers = this.registry();
    if (approvers instanceof Error)
      return { unsigned: true, problem: `cannot check ${file}${SIGNATURE_SUFFIX}: ${approvers.message}` };
    const rec = approvers.find((a) => a.name === sig.approver);
    if (rec === undefined)
      return { unsigned: true, problem: `${file}${SIGNATURE_SUFFIX} names ${sig.approver}, who is not enrolled` };
    if (!verifyStatement(policyFileStatement(text), sig.signature, rec.publicKey))
      return {
        unsigned: true,
        problem: `${file}${SIGNATURE_SUFFIX} does not verify with ${sig.approver}'s key (the file changed after signing?)`,
      };
    return { signedBy: rec.name };
  }

  private registry(): ApproverRecord[] | Error {
    if (this.approvers === undefined) {
      try {
        this.approvers = loadApprovers(this.approversDir);
      } catch (err) {
        this.approvers = err instanceof Error ? err : new Error(String(err));
      }
    }
    return this.approvers;
  }
}
