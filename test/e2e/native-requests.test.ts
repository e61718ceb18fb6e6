/**
 * `guard requests` in the native client (dist/guard-native, decision 0042): the same bytes as the
 * Node client for every form it takes (text, --json, --all; empty, one page, several pages; text
 * that must be written out), the Node client's own output for everything it hands over, and the
 * Node client's ending when the daemon fails a listing half printed. Real daemon and processes; a
 * scripted socket server stands in for the daemon only for answers a real daemon never gives.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/daemon/client.js';
import { encodeFrame } from '../../src/daemon/framing.js';
import { fits, REQUEST_PAGE } from '../../src/daemon/reply-shapes.js';
import { ask, parseReply } from '../../src/daemon/replies.js';
import { copyRequest, MARK, raiseHeld, Rig, TEST_POLICY } from '../daemon/helpers.js';
import { FakeDaemon } from '../helpers/fake-daemon.js';
import { BIN, collect, NATIVE_BIN, NATIVE_BUILT, ROOT, withClosedReader, type CliResult } from '../helpers/cli.js';

const HANDED = /guard-native: handing over to the Node client/;
const FORMS = [[], ['--json'], ['--all'], ['--all', '--json', '--all']];

function native(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return collect(spawn(NATIVE_BIN, ['requests', ...args], { env: { ...env, GUARD_NATIVE_TRACE: '1' } }));
}

function node(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return collect(spawn(process.execPath, [BIN, 'requests', ...args], { env }));
}

/** What a user sees: stdout, stderr and the exit status. */
const seen = (r: CliResult) => ({ status: r.status, stdout: r.stdout.toString('hex'), stderr: r.stderr.toString() });

/** The native client listed itself (no hand-over) and printed exactly what the Node client prints. */
async function same(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const [a, b] = [await node(args, env), await native(args, env)];
  expect(b.stderr.toString()).not.toMatch(HANDED);
  expect(seen(b)).toEqual(seen(a));
  return b;
}

const suite = NATIVE_BUILT ? describe : describe.skip;
const title = NATIVE_BUILT ? 'native requests' : 'native requests (SKIPPED: not built, no Rust toolchain)';

describe('the native page shape', () => {
  // after a change to REQUEST_PAGE: write JSON.stringify(REQUEST_PAGE) to the file (then
  // `npx prettier --write` it) and rebuild; the native client checks pages against the file
  it('is REQUEST_PAGE of src/daemon/reply-shapes.ts', () => {
    const file = join(ROOT, 'native', 'src', 'request-page-shape.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(REQUEST_PAGE)));
  });
});

suite(`${title}: with the real daemon`, () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = new Rig(TEST_POLICY.replace('approval: { timeout: 10m }', 'approval: { timeout: 2h }'));
    await rig.startDaemon();
  }, 120_000);
  afterAll(() => rig.cleanup());

  it('empty: the same words, and the wrapper users run picks the native client', async () => {
    for (const form of FORMS) await same(form, rig.env);
    const wrapper = await collect(
      spawn(join(ROOT, 'bin', 'guard'), ['requests'], { env: { ...rig.env, GUARD_NATIVE_TRACE: '1' } }),
    );
    expect(seen(wrapper)).toEqual({
      status: 0,
      stdout: Buffer.from('nothing waiting for approval\n').toString('hex'),
      stderr: '',
    });
  });

  it('one page with text that must be written out: the same bytes, text and --json', async () => {
    const odd = join(rig.home, 'dir\nwith\u202enew\u200blines é');
    mkdirSync(odd);
    const c = await DaemonClient.connect(join(rig.env['GUARD_HOME']!, 'run', 'guard.sock'));
    try {
      const o = await ask(c, {
        type: 'exec',
        argv: [
          MARK,
          '/dev/null',
          'approve-me',
          'a\nb',
          '\u2028\u2029',
          '\u0007\u001b[31m',
          'x\u0000y',
          '😀\ud800\udfff',
          '\u00a0',
        ],
        cwd: odd,
        context: { requester: { user: 'agent', agent: 'bot\u202e\n\u0085' } },
        noWait: true,
      });
      expect('requestId' in o).toBe(true);
    } finally {
      c.close();
    }
    await raiseHeld(rig, ['plain']);
    const text = await same([], rig.env);
    expect(text.stdout.toString()).toContain('<U+202E>');
    expect(text.stdout.toString().split('\n')).toHaveLength(5);
    const json = await same(['--json'], rig.env);
    expect((JSON.parse(json.stdout.toString()) as { requests: unknown[] }).requests).toHaveLength(2);
    for (const form of FORMS) await same(form, rig.env);
  });

  it('several pages (300+ requests): the same bytes in every form', async () => {
    const template = await raiseHeld(rig, ['template']);
    await rig.stopAll();
    copyRequest(rig, template, 300);
    await rig.startDaemon();
    for (const form of FORMS) await same(form, rig.env);
    const json = await native(['--json'], rig.env);
    expect((JSON.parse(json.stdout.toString()) as { requests: unknown[] }).requests).toHaveLength(303);
  }, 120_000);

  it('hands help, unknown flags and arguments to the Node client: its words, its exit codes', async () => {
    for (const args of [['--help'], ['-h'], ['--bogus'], ['extra'], ['--json', '--json=1']]) {
      const [a, b] = [await node(args, rig.env), await native(args, rig.env)];
      expect(b.stderr.toString()).toMatch(HANDED);
      expect(seen({ ...b, stderr: Buffer.from(b.stderr.toString().replace(/^guard-native: .*\n/, '')) })).toEqual(
        seen(a),
      );
    }
  });
  it('hands non-UTF-8 arguments and environment to the Node client', async () => {
    const viaBash = (script: string, program: string) =>
      collect(
        spawn('/bin/bash', ['-c', script], {
          env: { ...rig.env, PROGRAM: program, NODE: process.execPath, GUARD_NATIVE_TRACE: '1' },
        }),
      );
    const arg = await viaBash(`exec "$PROGRAM" requests $'\\xff'`, NATIVE_BIN);
    expect(arg.stderr.toString()).toMatch(/handing over to the Node client: an argument that is not UTF-8/);
    const argNode = await viaBash(`exec "$NODE" "$PROGRAM" requests $'\\xff'`, BIN);
    expect(arg.status).toBe(argNode.status);
    expect(arg.stderr.toString().replace(/^guard-native: .*\n/, '')).toBe(argNode.stderr.toString());
    const env = await viaBash(`export ODD=$'\\xfe'; exec "$PROGRAM" requests`, NATIVE_BIN);
    expect(env.stderr.toString()).toMatch(/handing over to the Node client: an environment variable that is not UTF-8/);
    expect(env.status).toBe(0);
    expect(env.stdout.toString()).toBe((await node([], rig.env)).stdout.toString());
  });
});

suite(`${title}: without a daemon`, () => {
  it('hands over, and the Node client says the daemon is not reachable (no socket, connection refused)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gnq-'));
    try {
      const env = { ...process.env, GUARD_HOME: home, GUARD_NO_AUTOSTART: '1' };
      const refusing = join(home, 'refusing.sock');
      writeFileSync(refusing, '');
      for (const [form, e] of [
        ...FORMS.map((f) => [f, env] as const),
        [[], { ...env, GUARD_SOCKET: refusing }] as const,
      ]) {
        const [a, b] = [await node([...form], e), await native([...form], e)];
        expect(b.stderr.toString()).toMatch(HANDED);
        expect(a.status).toBe(70);
        expect(b.status).toBe(70);
        expect(b.stderr.toString().replace(/^guard-native: .*\n/, '')).toBe(a.stderr.toString());
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

/** A request as the daemon lists it. */
function detail(i: number, command = `cmd ${i}`): Record<string, unknown> {
  const id = `rq-${i.toString(16).padStart(12, '0')}`;
  return {
    view: {
      id,
      state: 'pending',
      command,
      argv: [command],
      cwd: '/w',
      risk: 'high',
      requester: { user: 'ann', agent: 'bot' },
      rules: [],
      commands: [command],
      context: {},
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T00:10:00.000Z',
      quorum: 1,
      approvals: [],
    },
    fingerprint: 'f',
    votes: [],
  };
}

/** A request with every optional field of REQUEST_DETAIL present. */
function fullDetail(): Record<string, unknown> {
  const d = detail(7);
  Object.assign(d['view'] as object, {
    requester: { user: 'ann', agent: 'bot', host: 'h', onBehalfOf: 'o' },
    reason: 'r',
    ticket: 't',
    rules: [{ id: 'r1', effect: 'approve', risk: 'high', description: 'd', impact: 'i', controls: ['c'] }],
    context: { k: 'v' },
    approvals: [{ approver: 'bob', channel: 'cli', at: 'a' }],
    decidedBy: 'x',
    decisionReason: 'y',
    question: 'q',
    askedBy: 'b',
    reply: 'r',
    session: 's',
    intent: { userMessage: 'u', agentExplanation: 'e', source: 's', label: 'l', sha256: 'h' },
    escalatedTo: 'e',
    preview: { kind: 'k', title: 't', status: 'ok', text: 'x', label: 'l', sha256: 'h' },
    grantBounds: { maxUses: 1, maxTtlSeconds: 2, ttlSeconds: 3 },
    extendOffer: { from: { usesLeft: 1, expiresAt: 'a' }, to: { usesLeft: 2, expiresAt: 'b' } },
    revocable: true,
    liveGrant: { usesLeft: 1, expiresAt: 'a', scope: 's', scopeOmitted: 2 },
  });
  return {
    ...d,
    grant: { usesLeft: 2, expiresAt: 'e', revoked: false },
    votes: [{ approver: 'a', action: 'approve', channel: 'c', at: 't' }],
    stepUp: true,
  };
}

/** Every path to a value inside `v` (object keys and array indexes). */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...at, i], ...paths(x, [...at, i])]);
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).flatMap(([k, x]) => [[...at, k], ...paths(x, [...at, k])]);
  return [];
}

const MUTATIONS: [string, unknown][] = [
  ['removed', undefined],
  ['a number', 1],
  ['a text', 'x'],
  ['null', null],
  ['true', true],
  ['an array', []],
  ['an object', {}],
];

function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined && !Array.isArray(o)) delete o[last];
  else o[last] = value === undefined ? null : value;
}

const result = (m: Record<string, unknown>, data: unknown) => encodeFrame({ re: m['id'], type: 'result', data });

suite(`${title}: answers a real daemon never gives`, () => {
  let fake: FakeDaemon | undefined;
  afterEach(() => fake?.stop());

  /** A scripted daemon answering each `list` (n counts them over all connections). */
  async function scripted(answer: (m: Record<string, unknown>, n: number, sock: Socket) => void): Promise<FakeDaemon> {
    fake?.stop();
    fake = new FakeDaemon(answer, 'list');
    await fake.start();
    return fake;
  }

  it('asks for the same pages as the Node client', async () => {
    const f = await scripted((m, _n, sock) =>
      sock.write(
        result(m, m['cursor'] === undefined ? { requests: [detail(1)], next: 'c2' } : { requests: [detail(2)] }),
      ),
    );
    await same(['--all'], f.env());
    const [a, b] = [f.received.slice(0, 2), f.received.slice(2)];
    expect(b).toEqual(a);
    expect(a).toEqual([
      { type: 'list', all: true, limit: 50, id: 1 },
      { type: 'list', all: true, cursor: 'c2', limit: 200, id: 2 },
    ]);
  });

  it('awkward strings escaped by the daemon (lone surrogates, U+2028, controls, emoji): the same bytes', async () => {
    const awkward = ['\ud800', 'a\udfffb', '\u2028\u2029', '\u0000\u001f\u007f\u0085', '😀👩‍👩‍👧', '"\\/', '\ud83d'];
    const f = await scripted((m, _n, sock) => {
      const d = detail(1, awkward.join(' '));
      const view = d['view'] as Record<string, unknown>;
      view['context'] = { b: awkward[0], '10': 'x', '2': awkward[1], a: 'y' };
      view['requester'] = { user: awkward[2], agent: awkward[6] };
      view['cwd'] = awkward[3];
      sock.write(result(m, { requests: [d, detail(2)], extra: awkward }));
    });
    for (const form of FORMS) await same(form, f.env());
  });

  it('numbers as JavaScript writes them (exponents, fractions, -0, beyond 2^53): the same bytes', async () => {
    const numbers = [
      1e21,
      1.5e-7,
      0.1 + 0.2,
      -0,
      2 ** 53 + 2,
      123456789.125,
      5e-324,
      -1e300,
      1e-6,
      999999999999999900000,
    ];
    const f = await scripted((m, _n, sock) => {
      const requests = numbers.map((q, i) => {
        const d = detail(i);
        (d['view'] as Record<string, unknown>)['quorum'] = q;
        d['grant'] = { usesLeft: numbers[numbers.length - 1 - i], expiresAt: 'e', revoked: false };
        if (i % 2 === 0)
          (d['view'] as Record<string, unknown>)['approvals'] = [{ approver: 'a', channel: 'c', at: 't' }];
        return d;
      });
      sock.write(result(m, { requests }));
    });
    for (const form of FORMS) await same(form, f.env());
    expect((await native([], f.env())).stdout.toString()).toContain(
      'approvals 1/1e+21 grant 999999999999999900000 use(s)',
    );
  });

  it('every code point is written out (or not) as visibleText writes it', async () => {
    const chunks: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp += 4096) {
      let s = '';
      for (let c = cp; c < Math.min(cp + 4096, 0x110000); c++)
        if (c < 0xd800 || c > 0xdfff) s += String.fromCodePoint(c);
      chunks.push(s);
    }
    // a page holds each string three times (command, argv, commands): 8 requests stay below a frame
    const PER_PAGE = 8;
    const f = await scripted((m, _n, sock) => {
      const from = m['cursor'] === undefined ? 0 : Number(m['cursor']);
      const to = Math.min(from + PER_PAGE, chunks.length);
      const requests = chunks.slice(from, to).map((s, i) => detail(from + i, s));
      sock.write(result(m, { requests, ...(to < chunks.length ? { next: String(to) } : {}) }));
    });
    const r = await same([], f.env());
    expect(r.stdout.toString()).toContain('<U+E01EF>');
  }, 120_000);

  it('an answer of the wrong shape on the first page: handed over, the Node client refuses it', async () => {
    for (const bad of [
      { ...detail(1), fingerprint: 3 },
      { ...detail(1), view: { ...(detail(1)['view'] as object), quorum: '1' } },
      { ...detail(1), view: { ...(detail(1)['view'] as object), state: 'held' } },
      { ...detail(1), grant: { usesLeft: 1, expiresAt: 'e' } },
    ]) {
      const f = await scripted((m, _n, sock) => sock.write(result(m, { requests: [detail(0), bad] })));
      for (const form of [[], ['--json']]) {
        const [a, b] = [await node(form, f.env()), await native(form, f.env())];
        expect(b.stderr.toString()).toMatch(HANDED);
        expect(b.status).toBe(70);
        expect(b.stdout.toString()).toBe('');
        expect(b.stderr.toString().replace(/^guard-native: .*\n/, '')).toBe(a.stderr.toString());
      }
    }
  });

  it('takes a page exactly when fits(REQUEST_PAGE) does, and words a misfit as zod does: every field of a full request broken in seven ways', async () => {
    // the binary alone, without bin/guard.js next to it: a hand-over ends at once (exit 70)
    const alone = mkdtempSync(join(tmpdir(), 'gnq-alone-'));
    mkdirSync(join(alone, 'dist'));
    copyFileSync(NATIVE_BIN, join(alone, 'dist', 'guard-native'));
    const run = (args: string[]) =>
      collect(
        spawn(join(alone, 'dist', 'guard-native'), ['requests', ...args], {
          env: { ...f.env(), GUARD_NATIVE_TRACE: '1' },
        }),
      );
    // a fine first page, then the broken one
    let page: unknown;
    const f = await scripted((m, _n, sock) =>
      sock.write(result(m, m['cursor'] === undefined ? { requests: [detail(0)], next: 'c' } : page)),
    );
    try {
      const cases: { what: string; page: unknown }[] = [];
      const full = fullDetail();
      for (const path of paths(full))
        for (const [name, value] of MUTATIONS) {
          const broken = structuredClone(full);
          setAt(broken, path, value);
          cases.push({ what: `${path.join('.')} ${name}`, page: { requests: [detail(1), broken] } });
        }
      cases.push({ what: 'next: 1', page: { requests: [], next: 1 } });
      cases.push({ what: 'no requests', page: { next: 'c' } });
      const firstLines = (await run([])).stdout.toString().split('\n').slice(0, 2).join('\n');
      let refused = 0;
      for (const c of cases) {
        page = JSON.parse(JSON.stringify(c.page));
        const fit = fits(REQUEST_PAGE, page);
        if (!fit) refused++;
        // --json: handed over exactly when it does not fit
        const json = await run(['--json']);
        expect({ what: c.what, handed: HANDED.test(json.stderr.toString()) }).toEqual({ what: c.what, handed: !fit });
        if (fit) continue;
        // text, the misfit on the second page: the first page's lines, then parseReply's words
        let zod = '';
        try {
          parseReply('list', page);
        } catch (err) {
          zod = (err as Error).message;
        }
        const text = await run([]);
        expect({
          what: c.what,
          status: text.status,
          stdout: text.stdout.toString(),
          stderr: text.stderr.toString(),
        }).toEqual({
          what: c.what,
          status: 70,
          stdout: `${firstLines}\n`,
          stderr: `guard: ${zod}\nguard: this guard and the running daemon may be different versions: restart the daemon\n`,
        });
      }
      // most breaks are misfits, some (an optional field removed, text for text) are not
      expect(refused).toBeGreaterThan(cases.length / 2);
      expect(refused).toBeLessThan(cases.length);
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  }, 240_000);

  it('an error answer or a bad frame on the first page: handed over', async () => {
    for (const write of [
      (m: Record<string, unknown>, sock: Socket) =>
        sock.write(encodeFrame({ re: m['id'], type: 'error', code: 'internal', message: 'boom', hint: 'h' })),
      (_m: Record<string, unknown>, sock: Socket) => sock.write(encodeFrame({ hello: 1 })),
      (_m: Record<string, unknown>, sock: Socket) => sock.end(Buffer.from([0, 0, 0, 3, 0x7b, 0x7b, 0x7b])),
    ]) {
      const f = await scripted((m, _n, sock) => write(m, sock));
      const [a, b] = [await node([], f.env()), await native([], f.env())];
      expect(b.stderr.toString()).toMatch(HANDED);
      expect(b.stderr.toString().replace(/^guard-native: .*\n/, '')).toBe(a.stderr.toString());
      expect(b.status).toBe(a.status);
      expect(b.stdout.toString()).toBe('');
    }
  });

  it('--json of an answer not written as JSON.stringify writes it: handed over, the same document', async () => {
    const body = JSON.stringify({ requests: [detail(1)] }).replace('"quorum":1', '"quorum": 1.0');
    const f = await scripted((m, _n, sock) => {
      const text = Buffer.from(`{"re":${String(m['id'])},"type":"result","data":${body}}`);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(text.length);
      sock.write(Buffer.concat([head, text]));
    });
    const [a, b] = [await node(['--json'], f.env()), await native(['--json'], f.env())];
    expect(b.stderr.toString()).toMatch(/handing over to the Node client: an answer not as JSON.stringify writes it/);
    expect(b.stdout.toString()).toBe(a.stdout.toString());
    expect(JSON.parse(b.stdout.toString())).toEqual({ requests: [detail(1)] });
    // text needs no such bytes: listed natively
    await same([], f.env());
  });

  /** First page fine (with a next), every later page ended by `later`. */
  function failingLater(later: (m: Record<string, unknown>, sock: Socket) => void) {
    return (m: Record<string, unknown>, _n: number, sock: Socket) => {
      if (m['cursor'] === undefined) sock.write(result(m, { requests: [detail(1), detail(2)], next: 'c' }));
      else later(m, sock);
    };
  }

  it('the daemon lost mid-listing: text lines printed stay, then the Node client’s error and 70', async () => {
    const f = await scripted(failingLater((_m, sock) => sock.destroy()));
    const r = await same([], f.env());
    expect(r.status).toBe(70);
    expect(r.stdout.toString().split('\n')).toHaveLength(5);
    expect(r.stderr.toString()).toBe(
      'guard: lost the guard daemon: the daemon closed the connection\nguard: check `guard daemon status`\n',
    );
  });

  it('the daemon gone between pages (closed after the first): the same lines, words and exit code', async () => {
    const f = await scripted((m, _n, sock) => sock.end(result(m, { requests: [detail(1)], next: 'c' })));
    const r = await same([], f.env());
    expect(r.status).toBe(70);
    expect(r.stderr.toString()).toMatch(/^guard: lost the guard daemon: the daemon closed the connection$/m);
  });

  it('the daemon lost mid-listing with --json: no document at all, handed over, the Node client fails', async () => {
    const f = await scripted(failingLater((_m, sock) => sock.destroy()));
    const b = await native(['--json'], f.env());
    expect(b.stderr.toString()).toMatch(HANDED);
    expect(b.stdout.toString()).toBe('');
    expect(b.status).toBe(70);
    expect(b.stderr.toString()).toMatch(/^guard: lost the guard daemon: the daemon closed the connection$/m);
  });

  it('an error answer on a later page: lines printed stay, the Node client’s words and exit code', async () => {
    for (const [code, status] of [
      ['internal', 70],
      ['refused', 77],
      ['bad_request', 64],
    ] as const) {
      const f = await scripted(
        failingLater((m, sock) =>
          sock.write(encodeFrame({ re: m['id'], type: 'error', code, message: 'no \u202e', hint: 'h' })),
        ),
      );
      const r = await same([], f.env());
      expect(r.status).toBe(status);
    }
  });

  it('a wrong shape on a later page: lines printed stay, nothing unchecked is printed, the Node client’s words, 70', async () => {
    const f = await scripted(
      failingLater((m, sock) => sock.write(result(m, { requests: [{ ...detail(3), votes: 'x' }, detail(4)] }))),
    );
    const r = await same([], f.env());
    expect(r.status).toBe(70);
    expect(r.stdout.toString()).not.toContain('cmd 4');
    expect(r.stderr.toString()).toMatch(/^guard: the daemon's answer to list is malformed: requests.0.votes: /);
  });

  it('a reader that goes away (`| head -1`) ends it with 141, nothing said', async () => {
    const f = await scripted((m, n, sock) =>
      sock.write(
        result(m, {
          requests: Array.from({ length: 200 }, (_, i) => detail(n * 1000 + i)),
          ...(n < 200 ? { next: 'c' } : {}),
        }),
      ),
    );
    expect(await withClosedReader(NATIVE_BIN, ['requests'], f.env())).toEqual({ code: 141, stderr: '' });
  });
});
