/**
 * Fail-closed paths that need a failure injected into a real daemon (run in this process so the
 * test can reach it): a ledger that cannot be written, a broken project policy layer, and a
 * "daemon" that answers garbage. In every case the built CLI exits 70 and nothing runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonHandle } from '../../src/daemon/daemon.js';
import { DaemonClient } from '../../src/daemon/client.js';
import { MARK, Rig } from './helpers.js';
import { ask } from '../../src/daemon/replies.js';

let rig: Rig;
let handle: DaemonHandle | undefined;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await handle?.stop('test over');
  handle = undefined;
  await rig.cleanup();
});

describe('fail closed', () => {
  it('runs nothing when the ledger cannot be written, and the daemon stays up', async () => {
    handle = await startDaemon({ env: rig.env, policyFiles: [rig.policy] });
    expect((await rig.exec('hello').done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    await handle.ledger.close();
    const allowed = await rig.exec('hello').done;
    expect(allowed.code).toBe(70);
    expect(allowed.stderr).toMatch(/could not decide/);
    const held = await rig.exec('approve-me').done;
    expect(held.code).toBe(70);
    expect(rig.marks()).toHaveLength(1);
    const c = await DaemonClient.connect(handle.paths.socket);
    expect(await ask(c, { type: 'ping' })).toMatchObject({ pong: true });
    c.close();
  });

  it('runs nothing in a project whose policy layer is broken', async () => {
    handle = await startDaemon({ env: rig.env });
    const project = join(rig.home, 'project');
    mkdirSync(join(project, '.git'), { recursive: true });
    mkdirSync(join(project, '.guard'), { recursive: true });
    writeFileSync(join(project, '.guard', 'policy.yaml'), 'version: 1\nrules: [ {id: x\n');
    const r = await rig.guard(['exec', '--', MARK, rig.marker, 'hello'], { cwd: project });
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/policy\.yaml/);
    expect(rig.marks()).toEqual([]);
    expect((await rig.exec('hello').done).code).toBe(0);
  });

  it('runs nothing when the socket answers with garbage', async () => {
    const runDir = join(rig.env['GUARD_HOME']!, 'run');
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const server = createServer((s) => {
      s.on('data', () => s.write(Buffer.from([0, 0, 0, 5, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b])));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(join(runDir, 'guard.sock'), r));
    try {
      const r = await rig.exec('hello').done;
      expect(r.code).toBe(70);
      expect(rig.marks()).toEqual([]);
      const ok = createServer((s) => {
        s.on('data', () => s.write(Buffer.from([0, 0, 0, 2, 0x7b, 0x7d])));
        s.on('error', () => undefined);
      });
      server.close();
      await new Promise<void>((r) => ok.listen(join(runDir, 'guard.sock'), r));
      const r2 = await rig.exec('hello').done;
      expect(r2.code).toBe(70);
      expect(rig.marks()).toEqual([]);
      ok.close();
    } finally {
      server.close();
    }
  });
});
