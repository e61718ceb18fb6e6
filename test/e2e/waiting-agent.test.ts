/**
 * What the waiting agent is told, through the built CLI and a real daemon: every way to decide
 * (terminal UI, CLI, configured channels), who approved before the command runs, and a Ctrl-C that
 * withdraws the request — announced, recorded as cancelled, nothing run.
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, MARK, Rig } from '../daemon/helpers.js';

let rig: Rig;
beforeEach(async () => {
  rig = new Rig();
  await rig.startDaemon();
  await rig.enroll('alice', ['ops']);
});
afterEach(() => rig.cleanup());

const ID = /request (rq-[0-9a-f]{12}) is waiting/;

describe('the waiting agent', () => {
  it('is told where approvers decide, and who approved before the command runs', async () => {
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    await p.waitFor(/Ctrl-C withdraws the request/);
    const told = p.output().stderr;
    expect(told).toContain(`approvers can decide in the terminal UI (\`guard tui\`) or \`guard approve ${id}\``);
    expect(told).toContain('Ctrl-C withdraws the request; nothing runs unless it is approved');
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    const r = await p.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('guard: approved by alice — running');
    expect(rig.marks()).toHaveLength(1);
  });

  it('Ctrl-C while held is announced, the request is cancelled, and nothing runs', async () => {
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(/Ctrl-C withdraws the request/).then(() => p.waitFor(ID));
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code, r.stderr).toBe(76);
    expect(r.stderr).toContain(
      `guard: cancelled with Ctrl-C while waiting for approval of ${id}; the request is withdrawn and nothing was run`,
    );
    const recs = await rig.ledger((rs) => rs.some((x) => x.type === 'cancelled'));
    expect(recs.find((x) => x.type === 'cancelled')?.payload).toMatchObject({ requestId: id });
    expect(rig.marks()).toHaveLength(0);
  });

  it('on a terminal, a status line counts the time left (util-linux script gives the pty)', async () => {
    const cmd = [process.execPath, BIN, 'exec', '--', MARK, rig.marker, 'approve-me'].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: rig.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const seen = new Promise<string>((res) =>
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /waiting for (rq-[0-9a-f]{12}): \S+ left \(Ctrl-C withdraws\)/.exec(out);
        if (m !== null) res(m[1]!);
      }),
    );
    const closed = new Promise<number | null>((res) => child.on('close', res));
    const id = await seen;
    expect((await rig.approve(id, 'alice')).code).toBe(0);
    expect(await closed).toBe(0);
    // the status line is erased before the next message
    expect(out).toContain('\r\u001b[Kguard: approved by alice — running');
  });
});
