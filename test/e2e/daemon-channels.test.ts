/**
 * Remote decisions through a real channel: the daemon raises the request at a local webhook
 * receiver (the channel tests' independent implementation of the wire contract), which
 * answers inline with a signed decision. The identity maps to an enrolled approver (by e-mail)
 * and the command runs; an identity nobody enrolled is refused and recorded.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Receiver } from '../channels/receiver.js';
import { hasExecEnds, Rig } from '../daemon/helpers.js';

const SECRET = 'webhook-secret-for-the-daemon-test';
const ID = /request (rq-[0-9a-f]{12}) is waiting/;
let rig: Rig;
let receiver: Receiver;

beforeEach(async () => {
  rig = new Rig();
  receiver = new Receiver(SECRET, (req) => {
    const request = req.json?.['request'] as { reason?: string } | undefined;
    if (req.json?.['event'] !== 'request.created' || request === undefined) return { status: 200, body: '{}' };
    const approver = request.reason === 'stranger' ? 'mallory@example.com' : 'alice@example.com';
    return { status: 200, body: JSON.stringify({ action: 'approve', approver }), signWith: SECRET };
  });
  await receiver.start();
  const secretFile = join(rig.home, 'webhook.secret');
  writeFileSync(secretFile, SECRET, { mode: 0o600 });
  mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(rig.env['GUARD_HOME']!, 'config.yaml'),
    `channels:\n  retry: { attempts: 2, base_ms: 50, max_ms: 100 }\n  webhooks:\n    - name: ops\n      url: ${receiver.url}/hook\n      secret_ref: file:${secretFile}\n      mode: inline\n`,
  );
  await rig.enroll('alice', ['ops'], undefined, ['--email', 'alice@example.com']);
  await rig.startDaemon();
});
afterEach(async () => {
  await rig.cleanup();
  await receiver.stop();
});

describe('channels', () => {
  it('runs a command approved through a webhook by an enrolled approver, and records who', async () => {
    const p = rig.exec('approve-me', ['--reason', 'deploy']);
    const r = await p.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /approvers can decide in the terminal UI \(`guard tui`\) or `guard approve rq-[0-9a-f]+`, or in webhook:ops;/,
    );
    expect(r.stderr).toMatch(/approved by alice — running/);
    expect(rig.marks()).toHaveLength(1);
    const approval = (await rig.ledger(hasExecEnds(1))).find((x) => x.type === 'approval');
    expect(approval?.payload).toMatchObject({
      approver: 'alice',
      channel: 'webhook',
      identity: 'alice@example.com',
      verifiedBy: 'webhook:ops',
    });
    expect(receiver.received.every((x) => x.signatureValid)).toBe(true);
  });

  it('refuses and records a decision from an identity nobody enrolled; nothing runs', async () => {
    const p = rig.exec('approve-me', ['--reason', 'stranger']);
    const [, id] = await p.waitFor(ID);
    const recs = await rig.ledger((x) => x.some((y) => y.type === 'approval_refused'));
    const refused = recs.filter((x) => x.type === 'approval_refused');
    expect(refused.map((x) => x.payload)).toEqual([
      expect.objectContaining({ requestId: id, code: 'unknown-approver', identity: 'mallory@example.com' }) as unknown,
    ]);
    expect((await rig.guard(['revoke', id!])).code).toBe(0);
    expect((await p.done).code).toBe(76);
    expect(rig.marks()).toEqual([]);
  });
});
