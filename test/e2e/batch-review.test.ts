/**
 * Batch review: the open requests of one agent session approved with one passphrase; the daemon
 * receives and checks one signed decision per request, each over that request's own fingerprint.
 * Requests of another session are not touched, and a changed batch is refused before signing.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDecision } from '../../src/approval/decision.js';
import { loadApprovers } from '../../src/approval/registry.js';
import { MARK, Rig } from '../daemon/helpers.js';

// one daemon for the file: each test uses sessions of its own
const rig = new Rig();
beforeAll(async () => {
  await rig.startDaemon();
  await rig.enroll('alice', ['ops']);
});
afterAll(() => rig.cleanup());

/** A held `guard exec --no-wait` from an agent session; resolves with its request id. */
async function held(session: string, n: number): Promise<string> {
  const env = { ...rig.env, GUARD_AGENT: 'claude-code', GUARD_AGENT_SESSION: session };
  const p = rig.spawnGuard(['exec', '--no-wait', '--', MARK, rig.marker, 'approve-me', `n${n}`], { env });
  const [, id] = await p.waitFor(/request (rq-[0-9a-f]{12}) is pending/);
  await p.done;
  return id!;
}

const batch = (action: string, session: string, extra: string[] = []) =>
  rig.guard([action, '--session', session, '--as', 'alice', '--passphrase-file', rig.passFile('alice'), ...extra]);

describe('batch review of one agent session', () => {
  it('approves five requests with one decision that signs five fingerprints', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await held('sess-A', i));
    const other = await held('sess-B', 9);
    const fingerprints = new Map<string, string>();
    for (const id of [...ids, other])
      fingerprints.set(
        id,
        (JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as { fingerprint: string }).fingerprint,
      );
    expect(new Set(fingerprints.values()).size).toBe(6);

    const wrongCount = await batch('approve', 'sess-A', ['--expect', '4']);
    expect(wrongCount.code).not.toBe(0);
    expect(wrongCount.stderr).toMatch(/has 5 open requests, not 4; nothing was signed/);

    const r = await batch('approve', 'sess-A', ['--expect', '5', '--json']);
    expect(r.stderr).toContain('approve these 5 requests of session sess-A');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: { id: string; state: string }[] };
    expect(out.results.map((x) => x.id).sort()).toEqual([...ids].sort());
    expect(out.results.every((x) => x.state === 'approved')).toBe(true);

    const ledger = await rig.ledger();
    const approvals = ledger.filter((x) => x.type === 'approval');
    expect(approvals).toHaveLength(5);
    const alice = loadApprovers(join(rig.env['GUARD_HOME']!, 'approvers')).find((a) => a.name === 'alice')!;
    for (const a of approvals) {
      const p = a.payload as Record<string, string>;
      // each approval is over its own request's fingerprint, with its own signature that verifies
      expect(p['fingerprint']).toBe(fingerprints.get(p['requestId']!));
      const signed = {
        v: 1 as const,
        requestId: p['requestId']!,
        fingerprint: p['fingerprint']!,
        action: 'approve' as const,
        reason: p['reason'],
        at: p['at']!,
        approver: 'alice',
        signature: p['signature']!,
      };
      expect(verifyDecision(signed, alice)).toBe(true);
      expect(verifyDecision({ ...signed, fingerprint: fingerprints.get(other)! }, alice)).toBe(false);
      expect(p['reason']).toBe('batch approve of 5 requests in session sess-A');
    }
    expect(new Set(approvals.map((a) => a.payload['signature'])).size).toBe(5);
    // the other session's request is untouched
    const shown = JSON.parse((await rig.guard(['show', other, '--json'])).stdout) as { view: { state: string } };
    expect(shown.view.state).toBe('pending');
    // nothing left to approve in session A
    const again = await batch('approve', 'sess-A');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/no open request in session sess-A/);
  });

  it('denies a session with one reason; refuses under an agent', async () => {
    const ids = [await held('sess-C', 11), await held('sess-C', 12)];
    const agent = await rig.guard(['deny', '--session', 'sess-C', '--reason', 'no', '--as', 'alice'], {
      env: { ...rig.env, CLAUDECODE: '1' },
    });
    expect(agent.code).not.toBe(0);
    const r = await batch('deny', 'sess-C', ['--reason', 'not today']);
    expect(r.code).toBe(0);
    for (const id of ids) {
      const v = (JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as { view: { state: string } }).view;
      expect(v.state).toBe('denied');
    }
  });
});
