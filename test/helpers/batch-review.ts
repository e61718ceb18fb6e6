/**
 * Batch review checks shared by the CLI and TUI tests: the proof that each recorded decision is
 * signed over its own request's fingerprint.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { verifyDecision } from '../../src/approval/decision.js';
import { loadApprovers } from '../../src/approval/registry.js';
import type { Rig } from '../daemon/helpers.js';

export async function fingerprintOf(rig: Rig, id: string): Promise<string> {
  return (JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as { fingerprint: string }).fingerprint;
}

export async function stateOf(rig: Rig, id: string): Promise<string> {
  return (JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as { view: { state: string } }).view.state;
}

/**
 * The batch of `ids` was decided: the ledger's `approval` records of `action` are exactly one per
 * id, each with the batch's signed reason, over its own request's fingerprint, with a signature of
 * `approver` that verifies (and would not over another request's); each is now approved / denied,
 * and every request in `untouched` is still pending.
 */
export async function expectBatchDecided(
  rig: Rig,
  o: { action: 'approve' | 'deny'; approver: string; reason: string },
  ids: string[],
  untouched: string[],
): Promise<void> {
  const fingerprints = new Map<string, string>();
  for (const id of ids) fingerprints.set(id, await fingerprintOf(rig, id));
  expect(new Set(fingerprints.values()).size).toBe(ids.length);
  const other = await fingerprintOf(rig, untouched[0]!);
  const records = (await rig.ledger()).filter((x) => x.type === 'approval' && x.payload['action'] === o.action);
  expect(records.map((r) => r.payload['requestId']).sort()).toEqual([...fingerprints.keys()].sort());
  const key = loadApprovers(join(rig.env['GUARD_HOME']!, 'approvers')).find((a) => a.name === o.approver)!;
  for (const a of records) {
    const p = a.payload as Record<string, string>;
    expect(p['fingerprint']).toBe(fingerprints.get(p['requestId']!));
    expect(p['reason']).toBe(o.reason);
    const signed = {
      v: 1 as const,
      requestId: p['requestId']!,
      fingerprint: p['fingerprint']!,
      action: o.action,
      reason: p['reason'],
      at: p['at']!,
      approver: o.approver,
      signature: p['signature']!,
    };
    expect(verifyDecision(signed, key)).toBe(true);
    expect(verifyDecision({ ...signed, fingerprint: other }, key)).toBe(false);
  }
  expect(new Set(records.map((a) => a.payload['signature'])).size).toBe(records.length);
  for (const id of ids) expect(await stateOf(rig, id)).toBe(o.action === 'approve' ? 'approved' : 'denied');
  for (const id of untouched) expect(await stateOf(rig, id)).toBe('pending');
}
