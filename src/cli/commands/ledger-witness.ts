/**
 * `guard ledger verify --witness VKEY`: after the ledger verifies, each named witness must have
 * cosigned at least one of its checkpoints, and every line under that witness's key must verify.
 * A checkpoint rewritten after it was cosigned carries a line that no longer verifies (the body
 * changed), or no line at all: either way verification fails (decision 1046).
 */
import { TrustAnchorError, VerifyFailedError } from '../../ledger/errors.js';
import { signatureBy } from '../../ledger/note.js';
import type { VerifyResult } from '../../ledger/verify.js';
import { cosignedBy, parseWitnessVkey, type WitnessKey } from '../../hub/witness.js';

export function loadWitnesses(option: unknown, usage: string): WitnessKey[] {
  if (option === undefined) return [];
  const texts = Array.isArray(option) ? (option as unknown[]) : [option];
  return texts.map((t) => {
    const k = typeof t === 'string' ? parseWitnessVkey(t) : 'not a string';
    if (typeof k === 'string') throw new TrustAnchorError(`--witness ${String(t)}: ${k}`, { hint: usage });
    return k;
  });
}

/** The largest cosigned size per witness; throws VerifyFailedError when a witness is missing or a line is bad. */
export function requireWitnesses(result: VerifyResult, witnesses: WitnessKey[]): { witness: string; size: number }[] {
  return witnesses.map((k) => {
    const label = `${k.name}+${k.keyId.toString('hex')}`;
    let size = 0;
    for (const c of result.cosigned) {
      if (signatureBy(c, k) === undefined) continue;
      if (!cosignedBy(c, k))
        throw new VerifyFailedError(
          `the checkpoint at size ${c.size} carries a cosignature by witness ${label} that does not verify: it was changed after it was cosigned`,
          { details: { checkpoint: c.size, witness: label }, hint: 'the ledger was rewritten; do not rely on it' },
        );
      size = Math.max(size, c.size);
    }
    if (size === 0)
      throw new VerifyFailedError(`no checkpoint carries a cosignature by witness ${label}`, {
        details: { witness: label },
        hint: 'the ledger was never cosigned by this witness, or its cosigned checkpoints were replaced',
      });
    return { witness: label, size };
  });
}
