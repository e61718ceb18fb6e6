/**
 * The exec client sends a quick context (no program digest) and the full one only when the daemon
 * holds the command: allowed commands never pay for hashing the program, and a held command's
 * request — and so its grant fingerprint — binds the SHA-256 of the binary that will run.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasExecEnds, MARK, Rig } from '../daemon/helpers.js';

let rig: Rig;
beforeEach(async () => {
  rig = new Rig();
  await rig.startDaemon();
});
afterEach(() => rig.cleanup());

const requestContext = (payload: Record<string, unknown>): Record<string, unknown> =>
  payload['context'] as Record<string, unknown>;

describe('exec context', () => {
  it('records an allowed command without hashing its program', async () => {
    expect((await rig.exec('hello').done).code).toBe(0);
    const recs = await rig.ledger(hasExecEnds(1));
    const request = recs.find((r) => r.type === 'request')!;
    expect(JSON.stringify(requestContext(request.payload))).not.toMatch(/sha256/);
    expect(rig.marks()).toHaveLength(1);
  });

  it('sends the full context, with the program digest, for a command that needs approval', async () => {
    await rig.enroll('alice', ['ops']);
    const p = rig.exec('approve-me');
    const id = (await p.waitFor(/request (rq-[0-9a-f]{12}) is waiting/))[1]!;
    const recs = await rig.ledger((rs) => rs.some((r) => r.type === 'request'));
    const requests = recs.filter((r) => r.type === 'request');
    // exactly one request: the quick attempt recorded nothing
    expect(requests).toHaveLength(1);
    const digest = createHash('sha256').update(readFileSync(MARK)).digest('hex');
    expect(JSON.stringify(requestContext(requests[0]!.payload))).toContain(digest);
    expect((await rig.approve(id, 'alice')).code).toBe(0);
    expect((await p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
  });
});
