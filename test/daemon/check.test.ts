/**
 * `check`: judge and record without running anything. A real daemon (in this process, so the test
 * can close its ledger), a real socket and a real SQLite ledger; the hook itself runs in-process
 * against it for the fail-closed case.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DaemonClient, DaemonReplyError } from '../../src/daemon/client.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon/daemon.js';
import type { CheckMessage, CheckOutcome } from '../../src/daemon/messages.js';
import { guardInProcess } from '../helpers/inprocess.js';
import { BIN, MARK, Rig, type LedgerRow } from './helpers.js';
import { ask } from '../../src/daemon/replies.js';

let rig: Rig;
let handle: DaemonHandle;
let client: DaemonClient;
beforeEach(async () => {
  rig = new Rig();
  handle = await startDaemon({ env: rig.env, policyFiles: [rig.policy] });
  client = await DaemonClient.connect(handle.paths.socket);
});
afterEach(async () => {
  client.close();
  await handle.stop('test over');
  await rig.cleanup();
});

const requester = { user: 'alice', agent: 'claude-code', host: 'box' };
const check = (over: Partial<CheckMessage>): Promise<CheckOutcome> =>
  ask(client, {
    type: 'check',
    shell: `${MARK} ${rig.marker} hello`,
    cwd: rig.home,
    context: { requester },
    agent: 'claude-code',
    ...over,
  });
const of = (recs: LedgerRow[], id: string | undefined): LedgerRow[] =>
  recs.filter((r) => r.payload['requestId'] === id);

describe('check', () => {
  it('judges a shell line, records request + decision before answering, and runs nothing', async () => {
    const before = (await rig.ledger()).length;
    const o = await check({ shell: `echo hi && ${MARK} ${rig.marker} deny-me` });
    expect(o).toMatchObject({ effect: 'deny', risk: 'high' });
    expect(o.matches.map((m) => m.ruleId)).toEqual(['t.deny']);
    expect(o.reasons[0]).toMatch(/t\.deny/);
    expect(o.policyDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(o.requestId).toMatch(/^rq-[0-9a-f]{12}$/);
    // the answer came after the commit: the records are there at once
    const recs = await rig.ledger();
    expect(recs.length).toBe(before + 2);
    const [request, decision] = of(recs, o.requestId);
    expect(request).toMatchObject({ type: 'request', payload: { via: 'hook:claude-code', requester } });
    expect(request!.payload['argv']).toEqual(['bash', '-c', `echo hi && ${MARK} ${rig.marker} deny-me`]);
    expect(decision).toMatchObject({
      type: 'decision',
      payload: { effect: 'deny', rules: ['t.deny'], source: 'policy', via: 'hook:claude-code' },
    });
    expect(rig.marks()).toEqual([]);
  });

  it('judges an argv like exec does, with approval settings, and labels a plain caller `check`', async () => {
    const o = await check({ shell: undefined, argv: [MARK, rig.marker, 'approve-me'], agent: undefined });
    expect(o).toMatchObject({ effect: 'approve', approval: { timeoutSeconds: 600, quorum: 1 } });
    expect(o.matches[0]).toMatchObject({
      ruleId: 't.approve',
      impact: expect.stringContaining('marks a file') as unknown,
    });
    const [request, decision] = of(await rig.ledger(), o.requestId);
    expect(request!.payload).toMatchObject({ via: 'check', argv: [MARK, rig.marker, 'approve-me'] });
    expect(decision!.payload).toMatchObject({ effect: 'approve', via: 'check' });
    // no request is held open: nothing to approve, nothing in `guard requests`
    expect(await ask(client, { type: 'list', all: true })).toEqual({ requests: [] });
  });

  it('records nothing with record: false, or when the effect is not among recordEffects', async () => {
    const before = (await rig.ledger()).length;
    const quiet = await check({ record: false, shell: `${MARK} x deny-me` });
    expect(quiet.effect).toBe('deny');
    expect(quiet.requestId).toBeUndefined();
    const allowed = await check({ recordEffects: ['deny'] });
    expect(allowed.effect).toBe('allow');
    expect(allowed.requestId).toBeUndefined();
    expect((await rig.ledger()).length).toBe(before);
    const denied = await check({ recordEffects: ['deny'], shell: `${MARK} x deny-me` });
    expect(of(await rig.ledger(), denied.requestId)).toHaveLength(2);
  });

  it('never records a secret in clear, nor sends it back', async () => {
    const token = `ghp_${'A1b2C3d4'.repeat(5)}`;
    const o = await check({ shell: `${MARK} x deny-me --token ${token}`, reason: `using ${token}` });
    expect(JSON.stringify(o)).not.toContain(token);
    const recs = of(await rig.ledger(), o.requestId);
    expect(recs).toHaveLength(2);
    expect(JSON.stringify(recs)).not.toContain(token);
    expect(JSON.stringify(recs)).toContain('github-token');
  });

  it.each([
    ['both argv and shell', { argv: ['ls'] }, /exactly one of argv or shell/],
    ['neither argv nor shell', { shell: undefined }, /exactly one of argv or shell/],
    ['a relative cwd', { cwd: 'rel' }, /absolute path/],
    ['an unknown field', { run: true }, /run|unrecognized/i],
    ['a bad effect', { recordEffects: ['maybe'] }, /recordEffects/],
  ])('answers a malformed check (%s) with an error frame and closes the connection', async (_n, over, why) => {
    const err = await check(over as Partial<CheckMessage>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonReplyError);
    expect((err as DaemonReplyError).code).toBe('bad_request');
    expect((err as Error).message).toMatch(why);
    await new Promise<void>((r) => client.onClose(() => r()));
    expect(client.closed).toBe(true);
    client = await DaemonClient.connect(handle.paths.socket);
    expect(await ask(client, { type: 'ping' })).toMatchObject({ pong: true });
  });

  it('refuses a check without a requester', async () => {
    await expect(check({ context: {} })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('answers an error, not a decision, when the ledger cannot be written — and the hook blocks', async () => {
    await handle.ledger.close();
    const err = await check({ shell: `${MARK} x deny-me` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonReplyError);
    expect((err as DaemonReplyError).code).not.toBe('bad_request');
    const hookInput = JSON.stringify({
      session_id: 's',
      cwd: rig.home,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: `${MARK} ${rig.marker} deny-me` },
    });
    const env = { ...rig.env, GUARD_SELF: BIN };
    const r = await guardInProcess(['hook', 'claude-code'], { env, cwd: rig.home, stdin: hookInput });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^guard: guard could not judge this command, so it was blocked: the daemon could not decide/,
    );
    // record: false needs no ledger: the daemon still judges
    expect((await check({ record: false })).effect).toBe('allow');
  });
});
