/**
 * `list` pages through a large open set exactly: with 10,000+ pending requests (many sharing one
 * creation time, so the id breaks ties), paging with a small limit returns every request once, in
 * (created, id) order, with no gaps; a request closing between pages shifts nothing; and
 * `guard requests --json` (which pages the same way) lists them all.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/daemon/client.js';
import type { RequestDetail } from '../../src/daemon/messages.js';
import { BIN, copyRequest, raiseHeld, Rig, TEST_POLICY } from './helpers.js';
import { ask } from '../../src/daemon/replies.js';
import { collect, withClosedReader } from '../helpers/cli.js';

const SEEDED = 10_000;
let rig: Rig;
let sock: string;
let raised: string[];

async function listAll(c: DaemonClient, limit: number): Promise<RequestDetail[]> {
  const out: RequestDetail[] = [];
  let cursor: string | undefined;
  do {
    const page = await ask(c, { type: 'list', all: false, cursor, limit });
    expect(page.requests.length).toBeLessThanOrEqual(limit);
    out.push(...page.requests);
    cursor = page.next;
  } while (cursor !== undefined);
  return out;
}

const key = (d: RequestDetail): string => `${d.view.createdAt}|${d.view.id}`;

beforeAll(async () => {
  rig = new Rig(TEST_POLICY.replace('approval: { timeout: 10m }', 'approval: { timeout: 2h }'));
  sock = join(rig.env['GUARD_HOME']!, 'run', 'guard.sock');
  await rig.enroll('bob', ['ops']);
  await rig.startDaemon();
  const template = await raiseHeld(rig, ['template']);
  await rig.stopAll();
  // 10,000 copies of a real stored request (same creation time, fresh ids) written while the
  // daemon is down: raising them one by one would take minutes on a loaded machine
  copyRequest(rig, template, SEEDED);
  await rig.startDaemon();
  // and some raised after the restart, with later creation times
  raised = [];
  for (let i = 0; i < 5; i++) raised.push(await raiseHeld(rig, [`late-${i}`]));
}, 600_000);

afterAll(async () => {
  await rig.cleanup();
});

describe('paging through 10,000+ pending requests', () => {
  it('a reader that goes away after the first lines ends `guard requests` as a closed pipe ends a command (141), with no stack trace', async () => {
    expect(await withClosedReader(process.execPath, [BIN, 'requests'], rig.env)).toEqual({ code: 141, stderr: '' });
  });

  it('returns each exactly once, in (created, id) order, with no gaps', async () => {
    const c = await DaemonClient.connect(sock);
    try {
      const all = await listAll(c, 700);
      const ids = all.map((d) => d.view.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(SEEDED + 1 + raised.length);
      const keys = all.map(key);
      expect(keys).toEqual([...keys].sort());
      // the raised ones come last, in the order they were raised
      expect(ids.slice(-raised.length)).toEqual(raised);
      // the same set whatever the page size (a page boundary inside a run of equal creation times)
      const again = await listAll(c, 333);
      expect(again.map((d) => d.view.id)).toEqual(ids);
    } finally {
      c.close();
    }
  }, 300_000);

  it('a request closing between pages shifts nothing: the next page starts right after the cursor', async () => {
    const c = await DaemonClient.connect(sock);
    try {
      const before = await listAll(c, 1000);
      const first = await ask(c, { type: 'list', all: false, limit: 100 });
      expect(first.next).toBeDefined();
      // deny one on the first page (already listed) and one not yet listed
      const listedGone = first.requests[50]!.view.id;
      const unlistedGone = before[150]!.view.id;
      for (const id of [listedGone, unlistedGone])
        expect(
          (await rig.guard(['deny', id, '--as', 'bob', '--passphrase-file', rig.passFile('bob'), '--reason', 'paging']))
            .code,
        ).toBe(0);
      const rest: RequestDetail[] = [];
      let cursor = first.next;
      while (cursor !== undefined) {
        const page = await ask(c, { type: 'list', all: false, cursor, limit: 100 });
        rest.push(...page.requests);
        cursor = page.next;
      }
      const expected = before.slice(100).filter((d) => d.view.id !== unlistedGone);
      expect(rest.map((d) => d.view.id)).toEqual(expected.map((d) => d.view.id));
    } finally {
      c.close();
    }
  }, 300_000);

  it('`guard requests --json` lists every one of them', async () => {
    const c = await DaemonClient.connect(sock);
    const expected = (await listAll(c, 1000)).map((d) => d.view.id);
    c.close();
    const r = await rig.guard(['requests', '--json']);
    expect(r.code).toBe(0);
    const got = (JSON.parse(r.stdout) as { requests: RequestDetail[] }).requests.map((d) => d.view.id);
    expect(got).toEqual(expected);
    // the wrapper users run (the native client when built, decision 0042): the same document, and
    // the same text listing
    for (const args of [['requests', '--json'], ['requests']]) {
      const wrapped = await collect(spawn(join(BIN, '..', 'guard'), args, { env: rig.env }));
      const node = await collect(spawn(process.execPath, [BIN, ...args], { env: rig.env }));
      expect(wrapped.status).toBe(0);
      expect(wrapped.stdout.equals(node.stdout)).toBe(true);
    }
  }, 300_000);
});
