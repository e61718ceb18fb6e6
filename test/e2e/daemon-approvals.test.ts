/**
 * Approvals nobody can fake: quorum of distinct humans, and every self-approval attempt (no key,
 * wrong passphrase, forged signature, replayed signature, another command's fingerprint) refused
 * and recorded in the ledger; the ledger exported after the scenario verifies.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unlockApproverKey } from '../../src/approval/keys.js';
import type { SignedDecision } from '../../src/approval/types.js';
import { DaemonClient } from '../../src/daemon/client.js';
import { canonicalBytes } from '../../src/util/canonical.js';
import { hasExecEnds, Rig } from '../daemon/helpers.js';
import { ask } from '../../src/daemon/replies.js';

const like = (re: RegExp): unknown => expect.stringMatching(re);

let rig: Rig;
beforeEach(async () => {
  rig = new Rig();
  await rig.startDaemon();
  await rig.enroll('alice', ['ops']);
  await rig.enroll('bob', ['ops'], 'alice');
});
afterEach(() => rig.cleanup());

const ID = /request (rq-[0-9a-f]{12}) is waiting/;

async function send(body: SignedDecision): Promise<unknown> {
  const c = await DaemonClient.connect(join(rig.env['GUARD_HOME']!, 'run', 'guard.sock'));
  try {
    return await ask(c, { type: 'decide', signed: body });
  } finally {
    c.close();
  }
}

async function fingerprint(id: string): Promise<string> {
  return (JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as { fingerprint: string }).fingerprint;
}

function aliceKey() {
  const encrypted = readFileSync(join(rig.env['GUARD_APPROVER_HOME']!, 'alice.key'), 'utf8');
  return unlockApproverKey(encrypted, Buffer.from(readFileSync(rig.passFile('alice'), 'utf8').trimEnd()));
}

describe('approvals', () => {
  it('needs two distinct approvers for a quorum of two; the same approver twice counts once', async () => {
    const p = rig.exec('quorum-me');
    const [, id] = await p.waitFor(ID);
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    const twice = await rig.approve(id!, 'alice');
    expect(twice.code).toBe(0);
    expect(twice.stderr).toMatch(/1 of 2/);
    expect(rig.marks()).toEqual([]);
    expect((await rig.approve(id!, 'bob')).code).toBe(0);
    expect((await p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const decision = (await rig.ledger()).find((x) => x.type === 'decision' && x.payload['source'] === 'quorum');
    expect(decision?.payload).toMatchObject({ requestId: id, state: 'approved', approvers: ['alice', 'bob'] });
  });

  it('refuses and records every approval attempt made without the approver secret', async () => {
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    const fp = await fingerprint(id!);

    // 1. no key: the agent's account has no key for this approver
    const noKey = await rig.guard(['approve', id!, '--as', 'mallory', '--passphrase-file', rig.passFile('alice')]);
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toMatch(/no approver key/);

    // 2. wrong passphrase
    const wrong = join(rig.home, 'wrong-pass');
    writeFileSync(wrong, 'guessing\n');
    const bad = await rig.guard(['approve', id!, '--as', 'alice', '--passphrase-file', wrong]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/wrong passphrase/);

    // 3. forged signature: claims to be alice, signed with another key
    const { privateKey } = generateKeyPairSync('ed25519');
    const statement = {
      v: 1 as const,
      requestId: id!,
      fingerprint: fp,
      action: 'approve' as const,
      at: new Date().toISOString(),
      approver: 'alice',
    };
    const forged = { ...statement, signature: sign(null, canonicalBytes(statement), privateKey).toString('base64') };
    await expect(send(forged)).rejects.toMatchObject({ code: 'refused', message: like(/signature/) });

    // 4. alice's real signature, but over another command's fingerprint
    const key = aliceKey();
    const otherFp = key.sign({ ...statement, fingerprint: 'f'.repeat(64) });
    await expect(send(otherFp)).rejects.toMatchObject({
      code: 'refused',
      message: like(/different command/),
    });

    // 5. alice's real approval of another request, replayed for this one
    const other = await rig.exec('approve-me', ['--no-wait', '--reason', 'other']).done;
    const otherId = other.stdout.trim();
    const forOther = key.sign({ ...statement, requestId: otherId, fingerprint: await fingerprint(otherId) });
    await expect(send({ ...forOther, requestId: id! })).rejects.toMatchObject({ code: 'refused' });
    // ...and the same signed approval sent twice for its own request counts once, the replay is refused
    await send(forOther);
    await expect(send(forOther)).rejects.toMatchObject({ code: 'refused' });
    key.dispose();

    expect(rig.marks()).toEqual([]);
    const refused = (await rig.ledger()).filter((x) => x.type === 'approval_refused');
    const codes = refused.map((x) => x.payload['code']);
    expect(codes).toEqual([
      'client-reported',
      'client-reported',
      'bad-signature',
      'wrong-fingerprint',
      'bad-signature',
      'not-pending',
    ]);
    expect(refused[0]!.payload['reason']).toMatch(/no approver key/);
    expect(refused[1]!.payload['reason']).toMatch(/wrong passphrase/);
    // nothing was approved: the request is still pending, and revoking it ends the wait
    expect((await rig.guard(['revoke', id!])).code).toBe(0);
    expect((await p.done).code).toBe(76);
    expect(rig.marks()).toEqual([]);
  });

  it('refuses an approver outside the rule groups and records it', async () => {
    await rig.enroll('carol', ['dev'], 'alice');
    const p = rig.exec('quorum-me');
    const [, id] = await p.waitFor(ID);
    const r = await rig.approve(id!, 'carol');
    expect(r.code).toBe(77);
    expect(r.stderr).toMatch(/not in group ops/);
    const refused = (await rig.ledger()).filter((x) => x.type === 'approval_refused');
    expect(refused.map((x) => x.payload['code'])).toEqual(['ineligible']);
    p.child.kill('SIGTERM');
    await p.done;
    expect(rig.marks()).toEqual([]);
  });

  it('leaves a ledger that exports and verifies with every step in order', async () => {
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    expect((await p.done).code).toBe(0);
    expect((await rig.exec('deny-me').done).code).toBe(77);
    const pub = join(rig.home, 'ledger.pub');
    const bundle = join(rig.home, 'bundle.tar');
    expect((await rig.guard(['ledger', 'pubkey', '--out', pub])).code).toBe(0);
    const ex = await rig.guard(['ledger', 'export', '--out', bundle]);
    expect(ex.code, ex.stderr).toBe(0);
    const v = await rig.guard(['ledger', 'verify', bundle, '--pubkey', pub, '--json']);
    expect(v.code, v.stderr + v.stdout).toBe(0);
    const types = (await rig.ledger(hasExecEnds(1)))
      // the approvers this suite enrolled through the running daemon are recorded too (approver-enroll-daemon.test.ts)
      .filter((x) => x.type !== 'ledger_open' && x.type !== 'approver_enrolled')
      .map((x) => `${x.type}${typeof x.payload['source'] === 'string' ? `:${x.payload['source']}` : ''}`);
    expect(types).toEqual([
      'request',
      'decision:policy',
      'approval',
      'decision:quorum',
      'exec_start',
      'exec_end',
      'request',
      'decision:policy',
    ]);
  });
});
