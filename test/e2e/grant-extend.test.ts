/**
 * Extending a grant end to end with the real daemon (decision 1087): an approver extends an
 * approved grant with `guard extend` (signed, shown before the passphrase); the daemon records
 * `grant_extended` and `guard show` and the TUI's history show it. The agent cannot extend: not
 * through the CLI (no approver key, and the agent environment is refused), not with a statement it
 * signs with a key of its own, not by replaying the approver's signed extension; and no approver can
 * go beyond the policy's max_uses / max_ttl or extend a rule without them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extendStatement, type SignedExtension } from '../../src/approval/extend.js';
import { createApproverKey, unlockApproverKey } from '../../src/approval/keys.js';
import { DaemonClient } from '../../src/daemon/client.js';
import { ask } from '../../src/daemon/replies.js';
import { historyItem } from '../../src/tui/wire.js';
import { MARK, Rig, TEST_POLICY } from '../daemon/helpers.js';

const POLICY = `${TEST_POLICY}  - id: t.extend
    description: Test rule whose grants may be extended
    effect: approve
    match: { program: mark, any_arg: [extend-me] }
    approval: { max_uses: 5, max_ttl: 1h }
`;

const rig = new Rig(POLICY);
beforeAll(async () => {
  await rig.startDaemon();
  await rig.enroll('alice', ['ops']);
});
afterAll(() => rig.cleanup());

const socket = (): string => join(rig.env['GUARD_HOME']!, 'run', 'guard.sock');
const extend = (id: string, extra: string[]) =>
  rig.guard(['extend', id, '--as', 'alice', '--passphrase-file', rig.passFile('alice'), ...extra]);
const grantOf = async (id: string) =>
  (JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as { grant?: { usesLeft: number; expiresAt: string } })
    .grant;

/** An approved grant of one use, as `--no-wait` and an approval leave it. */
async function approved(label: string, tag: string): Promise<string> {
  const first = await rig.guard(['exec', '--no-wait', '--', MARK, rig.marker, label, tag]);
  expect(first.code).toBe(75);
  const id = first.stdout.trim();
  expect((await rig.approve(id, 'alice')).code).toBe(0);
  return id;
}

describe('grant extension', () => {
  it('an approver extends a grant: more uses and a later expiry, signed, recorded and shown', async () => {
    const id = await approved('extend-me', 'one');
    const before = (await grantOf(id))!;
    expect(before.usesLeft).toBe(1);

    const ok = await extend(id, ['--uses', '3', '--for', '30m', '--reason', 'rollout']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(
      new RegExp(`extend the grant of ${id} \\(.*extend-me one\\): 1 use until \\S+ → 3 uses until \\S+`),
    );
    const after = (await grantOf(id))!;
    expect(after.usesLeft).toBe(3);
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.parse(before.expiresAt));

    const rec = (await rig.ledger()).find((r) => r.type === 'grant_extended' && r.payload['requestId'] === id);
    expect(rec?.payload).toMatchObject({
      approver: 'alice',
      from: { usesLeft: 1, expiresAt: before.expiresAt },
      to: { usesLeft: 3, expiresAt: after.expiresAt },
      reason: 'rollout',
    });
    expect(rec?.payload['signature']).toEqual(expect.any(String));
    // the TUI's history shows it
    expect(historyItem(rec)).toMatchObject({ type: 'grant_extended', who: 'alice' });
    expect(historyItem(rec)?.summary).toContain('grant 1 use until');
    expect(historyItem(rec)?.summary).toContain('→ 3 uses until');

    // the three uses run the same command at once
    for (let i = 0; i < 3; i++)
      expect((await rig.guard(['exec', '--', MARK, rig.marker, 'extend-me', 'one'])).code).toBe(0);
    expect(rig.marks()).toHaveLength(3);
  });

  it('beyond max_uses or max_ttl, or for a rule without them, the extension is refused and recorded', async () => {
    const id = await approved('extend-me', 'two');
    const tooMany = await extend(id, ['--uses', '9']);
    expect(tooMany.code).not.toBe(0);
    expect(tooMany.stderr).toContain('at most 5 uses (policy max_uses)');
    const tooLong = await extend(id, ['--for', '2h']);
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stderr).toContain('at most 3600 s from now (policy max_ttl)');
    const plain = await approved('approve-me', 'two');
    const none = await extend(plain, ['--uses', '2']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('the policy allows no extension of this grant');
    const refused = (await rig.ledger()).filter(
      (r) => r.type === 'approval_refused' && r.payload['action'] === 'extend',
    );
    expect(refused.map((r) => r.payload['code'])).toEqual(['extend-refused', 'extend-refused', 'extend-refused']);
    expect((await grantOf(id))!.usesLeft).toBe(1);
  });

  it('the agent cannot extend: no CLI under the agent, no key of its own, no replay', async () => {
    const id = await approved('extend-me', 'three');
    const underAgent = await rig.guard(
      ['extend', id, '--uses', '3', '--as', 'alice', '--passphrase-file', rig.passFile('alice')],
      { env: { ...rig.env, CLAUDECODE: '1' } },
    );
    expect(underAgent.code).not.toBe(0);
    expect((await grantOf(id))!.usesLeft).toBe(1);

    const detail = JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as {
      fingerprint: string;
      grant: { usesLeft: number; expiresAt: string };
    };
    const statement = extendStatement({
      v: 1,
      kind: 'grant_extend',
      requestId: id,
      fingerprint: detail.fingerprint,
      approver: 'alice',
      at: new Date().toISOString(),
      from: { usesLeft: detail.grant.usesLeft, expiresAt: detail.grant.expiresAt },
      to: { usesLeft: 5, expiresAt: detail.grant.expiresAt },
    });
    const c = await DaemonClient.connect(socket());
    try {
      // a key the agent made itself, naming the approver
      const own = createApproverKey(Buffer.from('agent passphrase'));
      const mine = unlockApproverKey(own.encrypted, Buffer.from('agent passphrase'));
      const forged: SignedExtension = { ...statement, signature: mine.signBytes(statement) };
      mine.dispose();
      await expect(ask(c, { type: 'grant_extend', signed: forged })).rejects.toThrow(/signature is not alice's/);

      // the approver's own signed extension counts once; sent again it is refused
      const passphrase = Buffer.from(readFileSync(rig.passFile('alice'), 'utf8').trimEnd());
      const key = unlockApproverKey(
        readFileSync(join(rig.env['GUARD_APPROVER_HOME']!, 'alice.key'), 'utf8'),
        passphrase,
      );
      const real: SignedExtension = { ...statement, signature: key.signBytes(statement) };
      key.dispose();
      expect((await ask(c, { type: 'grant_extend', signed: real })).grant.usesLeft).toBe(5);
      expect((await rig.guard(['exec', '--', MARK, rig.marker, 'extend-me', 'three'])).code).toBe(0);
      await expect(ask(c, { type: 'grant_extend', signed: real })).rejects.toThrow(
        /the grant changed since it was shown/,
      );
      expect((await grantOf(id))!.usesLeft).toBe(4);
    } finally {
      c.close();
    }
    const codes = (await rig.ledger())
      .filter((r) => r.type === 'approval_refused' && r.payload['action'] === 'extend' && r.payload['requestId'] === id)
      .map((r) => r.payload['code']);
    expect(codes).toEqual(['bad-signature', 'extend-refused']);
  });
});
