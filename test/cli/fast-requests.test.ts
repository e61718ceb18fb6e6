/**
 * `guard requests` through the commander-free fast path (src/cli/fast-requests.ts, decision 0033)
 * prints exactly what the full CLI prints: the same bytes on stdout and stderr and the same exit
 * code, for text and --json, an empty list, one page, several pages, `--all`, a request whose
 * fields carry control and invisible characters, a daemon that is down and a daemon whose answer
 * is malformed. The parser accepts only what commander accepts; the rest goes to the full CLI.
 * Each case runs three ways: the built CLI as a child process (the fast path), the fast path
 * in-process, and the full CLI in-process (runGuard); and a fourth, `bin/guard requests` (the
 * wrapper users run: the native client when it was built, decision 0042).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRequestsArgs, fastRequests } from '../../src/cli/fast-requests.js';
import { processIo } from '../../src/cli/io.js';
import { buildProgram } from '../../src/cli/program.js';
import { encodeFrame, FrameReader } from '../../src/daemon/framing.js';
import { ExitCode } from '../../src/errors.js';
import { BIN, copyRequest, raiseHeld, Rig } from '../daemon/helpers.js';
import { guardInProcess, inProcess } from '../helpers/inprocess.js';

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The full CLI (commander) in-process. */
function full(rig: Rig, args: string[], env = rig.env): Promise<Out> {
  return guardInProcess(['requests', ...args], { env, cwd: rig.home });
}

/** The fast path in-process (exit code -1: it declined). */
function fast(rig: Rig, args: string[], env = rig.env): Promise<Out> {
  return inProcess(async (io) => (await fastRequests(args, io)) ?? -1, { env, cwd: rig.home });
}

/**
 * The built CLI as a child process, its output decoded once it is whole (a character split across
 * two pipe reads stays one character).
 */
function built(rig: Rig, args: string[], env = rig.env, command = [process.execPath, BIN]): Promise<Out> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), 'requests', ...args], {
      env,
      cwd: rig.home,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}

/** All three agree; returns the built CLI's output. */
async function sameEverywhere(rig: Rig, args: string[], env = rig.env): Promise<Out> {
  const child = await built(rig, args, env);
  const slow = await full(rig, args, env);
  const quick = await fast(rig, args, env);
  const wrapped = await built(rig, args, env, [join(BIN, '..', 'guard')]);
  expect(brief(child)).toEqual(brief(slow));
  expect(brief(quick)).toEqual(brief(slow));
  expect(brief(wrapped)).toEqual(brief(slow));
  return child;
}

/** Exit code, stderr, and stdout's length and digest: a difference reads in a few lines. */
function brief(o: Out): { code: number | null; stderr: string; bytes: number; sha256: string } {
  return {
    code: o.code,
    stderr: o.stderr,
    bytes: o.stdout.length,
    sha256: createHash('sha256').update(o.stdout).digest('hex'),
  };
}

/** What commander makes of `guard requests ARGS`: the options the command receives. */
async function viaCommander(args: string[]): Promise<Record<string, unknown> | 'error'> {
  const io = { ...processIo(), stdout: new PassThrough(), stderr: new PassThrough() };
  const program = buildProgram(io, { code: 0 });
  const cmd = program.commands.find((c) => c.name() === 'requests')!;
  let seen: Record<string, unknown> | undefined;
  cmd.action((_opts: unknown, c: Command) => {
    seen = c.opts();
  });
  try {
    await program.parseAsync(['requests', ...args], { from: 'user' });
  } catch {
    return 'error';
  }
  return seen ?? 'error';
}

describe('fast requests parser', () => {
  const accepted: string[][] = [
    [],
    ['--json'],
    ['--all'],
    ['--all', '--json'],
    ['--json', '--all'],
    ['--json', '--json'],
  ];
  for (const args of accepted) {
    it(`agrees with commander on ${JSON.stringify(args)}`, async () => {
      const slow = await viaCommander(args);
      expect(slow).not.toBe('error');
      expect(parseRequestsArgs(args)).toEqual(slow);
    });
  }

  const declined: string[][] = [
    ['--help'],
    ['-h'],
    ['rq-0123456789ab'],
    ['--bogus'],
    ['--json=1'],
    ['--json-errors'],
    ['--'],
    ['-'],
    ['--json', 'extra'],
    ['-j'],
  ];
  for (const args of declined) {
    it(`leaves ${JSON.stringify(args)} to the full CLI`, () => {
      expect(parseRequestsArgs(args)).toBeUndefined();
    });
  }
});

describe('guard requests: the fast path prints what the full CLI prints', () => {
  let rig: Rig;
  let odd: string;
  beforeAll(async () => {
    rig = new Rig();
  });
  afterAll(async () => {
    await rig.cleanup();
  });

  it('the daemon down: the same error and exit code', async () => {
    const r = await sameEverywhere(rig, []);
    expect(r.code).toBe(ExitCode.INTERNAL);
    expect(r.stderr).toMatch(/daemon is not reachable/);
    expect((await sameEverywhere(rig, ['--json'])).code).toBe(r.code);
  });

  it('unknown options and arguments reach the full CLI and its usual error', async () => {
    for (const args of [['--bogus'], ['rq-0123456789ab'], ['--json=1']]) {
      const r = await built(rig, args);
      expect(brief(r)).toEqual(brief(await full(rig, args)));
      expect(r.code).toBe(ExitCode.USAGE);
      expect(r.stderr).toMatch(/^guard: error: /);
    }
    const help = await built(rig, ['--help']);
    expect(brief(help)).toEqual(brief(await full(rig, ['--help'])));
    expect(help.stdout).toMatch(/^Usage: guard requests/);
  });

  it('an empty list, text and --json, with and without --all', async () => {
    await rig.startDaemon();
    expect((await sameEverywhere(rig, [])).stdout).toBe('nothing waiting for approval\n');
    expect((await sameEverywhere(rig, ['--json'])).stdout).toBe('{"requests":[]}\n');
    expect((await sameEverywhere(rig, ['--all'])).stdout).toBe('no requests yet\n');
    expect((await sameEverywhere(rig, ['--all', '--json'])).stdout).toBe('{"requests":[]}\n');
  });

  it('one page holding a request whose words carry control and invisible characters', async () => {
    odd = await raiseHeld(rig, [
      '\x1b[31mred\x1b[0m',
      'new\nline',
      'bell\x07',
      'rtl\u202eexe.txt',
      'zero\u200bwidth',
      'del\x7f',
    ]);
    const text = await sameEverywhere(rig, []);
    expect(text.code).toBe(0);
    // written out as decision 0715 says, newlines too: no control, bidi or zero-width character
    // reaches the terminal, and the request takes exactly its two lines
    const lines = text.stdout.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^${odd}  pending `));
    expect(lines[0]).toContain('<U+001B>[31mred<U+001B>[0m');
    expect(lines[0]).toContain('new<U+000A>line');
    expect(lines[0]).toContain('rtl<U+202E>exe.txt');
    expect(lines[0]).toContain('zero<U+200B>width');
    // eslint-disable-next-line no-control-regex -- the characters that must not reach the terminal
    expect(text.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u200b\u202e]/);
    // --json keeps the exact text (JSON escapes the controls; the rest is the daemon's view as sent)
    const json = await sameEverywhere(rig, ['--json']);
    const doc = JSON.parse(json.stdout) as { requests: { view: { id: string; argv: string[] } }[] };
    expect(doc.requests.map((d) => d.view.id)).toEqual([odd]);
    expect(doc.requests[0]!.view.argv).toContain('rtl\u202eexe.txt');
    // eslint-disable-next-line no-control-regex -- JSON writes every control character escaped
    expect(json.stdout.slice(0, -1)).not.toMatch(/[\x00-\x1f]/);
    await sameEverywhere(rig, ['--all']);
    await sameEverywhere(rig, ['--all', '--json']);
  });

  it('several pages (first page, then full pages): every request once, in order', async () => {
    await rig.stopAll();
    copyRequest(rig, odd, 480);
    await rig.startDaemon();
    const text = await sameEverywhere(rig, []);
    expect(text.stdout.split('\n').filter((l) => l.startsWith('rq-'))).toHaveLength(481);
    const json = await sameEverywhere(rig, ['--json']);
    const ids = (JSON.parse(json.stdout) as { requests: { view: { id: string } }[] }).requests.map((d) => d.view.id);
    expect(new Set(ids).size).toBe(481);
    expect(json.stdout.endsWith(']}\n')).toBe(true);
    await sameEverywhere(rig, ['--all', '--json']);
  }, 120_000);
});

describe('guard requests: a malformed answer', () => {
  let rig: Rig;
  let server: Server;
  let answer: unknown;
  beforeAll(async () => {
    rig = new Rig();
    server = createServer((s) => {
      const reader = new FrameReader();
      s.on('data', (chunk: Buffer) => {
        for (const m of reader.push(chunk) as { id: number }[])
          s.write(encodeFrame({ re: m.id, type: 'result', data: answer }));
      });
    });
    await new Promise<void>((r) => server.listen(join(rig.home, 'fake.sock'), r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rig.cleanup();
  });

  const view = {
    id: 'rq-0123456789ab',
    state: 'pending',
    command: 'rm -rf /srv/x',
    argv: ['rm', '-rf', '/srv/x'],
    cwd: '/srv',
    risk: 'high',
    requester: { user: 'dev' },
    rules: [],
    commands: ['rm -rf /srv/x'],
    context: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:05:00.000Z',
    quorum: 1,
    approvals: [],
  };
  const detail = { view, fingerprint: 'f', votes: [] };
  const cases: [string, unknown, number][] = [
    ['a well-formed page', { requests: [detail] }, 0],
    ['a field newer than this client', { requests: [{ ...detail, later: { x: 1 } }] }, 0],
    ['an unknown state', { requests: [{ ...detail, view: { ...view, state: 'bogus' } }] }, 1],
    ['a missing fingerprint', { requests: [{ view, votes: [] }] }, 1],
    ['a number for a text', { requests: [{ ...detail, view: { ...view, cwd: 7 } }] }, 1],
    ['no page at all', [], 1],
    ['a cursor of the wrong type', { requests: [], next: 3 }, 1],
  ];
  for (const [name, data, ok] of cases) {
    it(`${name}: the same output and exit code`, async () => {
      answer = data;
      const env = { ...rig.env, GUARD_SOCKET: join(rig.home, 'fake.sock') };
      for (const args of [[], ['--json']]) {
        const r = await sameEverywhere(rig, args, env);
        if (ok === 0) expect(r.code).toBe(0);
        else {
          expect(r.code).toBe(ExitCode.INTERNAL);
          expect(r.stderr).toMatch(/the daemon's answer to list is malformed/);
        }
      }
    });
  }
});
