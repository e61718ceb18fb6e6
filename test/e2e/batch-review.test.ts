/**
 * Batch review: the open requests of one agent session approved with one passphrase; the daemon
 * receives and checks one signed decision per request, each over that request's own fingerprint.
 * Requests of another session are not touched, and a changed batch is refused before signing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rig } from '../daemon/helpers.js';
import { expectBatchDecided, stateOf } from '../helpers/batch-review.js';
import { heldIn } from '../helpers/scoped-rule.js';

// one daemon for the file: each test uses sessions of its own
const rig = new Rig();
beforeAll(async () => {
  await rig.startDaemon();
  await rig.enroll('alice', ['ops']);
});
afterAll(() => rig.cleanup());

const held = (session: string, n: number): Promise<string> => heldIn(rig, session, 'approve-me', `n${n}`);

const batch = (action: string, session: string, extra: string[] = []) =>
  rig.guard([action, '--session', session, '--as', 'alice', '--passphrase-file', rig.passFile('alice'), ...extra]);

describe('batch review of one agent session', () => {
  it('approves five requests with one decision that signs five fingerprints', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await held('sess-A', i));
    const other = await held('sess-B', 9);
    const wrongCount = await batch('approve', 'sess-A', ['--expect', '4']);
    expect(wrongCount.code).not.toBe(0);
    expect(wrongCount.stderr).toMatch(/has 5 open requests, not 4; nothing was signed/);

    const r = await batch('approve', 'sess-A', ['--expect', '5', '--json']);
    expect(r.stderr).toContain('approve these 5 requests of session sess-A');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: { id: string; state: string }[] };
    expect(out.results.map((x) => x.id).sort()).toEqual([...ids].sort());
    expect(out.results.every((x) => x.state === 'approved')).toBe(true);

    // each approval is over its own request's fingerprint, with its own signature that verifies
    // the other session's request is untouched
    await expectBatchDecided(
      rig,
      { action: 'approve', approver: 'alice', reason: 'batch approve of 5 requests in session sess-A' },
      ids,
      [other],
    );
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
    for (const id of ids) expect(await stateOf(rig, id)).toBe('denied');
  });
});
