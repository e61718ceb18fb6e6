/**
 * The native client answering `guard hook <agent>` (dist/guard-native hook …, decision 0036): for
 * an allowed shell command it prints what the Node hook prints (nothing, exit 0) after asking the
 * daemon the same check; everything else it hands to the Node hook with the exact stdin bytes it
 * read. Real daemon and real processes for the corpus; a scripted socket server stands in for the
 * daemon where a test needs answers a real daemon never gives; a stub Node entry shows what a
 * hand-over passes on.
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/daemon/framing.js';
import { hookContext } from '../../src/integrations/ask.js';
import { claudeAdapter } from '../../src/integrations/claude.js';
import { codexAdapter } from '../../src/integrations/codex.js';
import { geminiAdapter } from '../../src/integrations/gemini.js';
import { touchesGuardSettings } from '../../src/integrations/decide.js';
import { parseJson } from '../../src/integrations/input.js';
import { hookIntent } from '../../src/integrations/intent.js';
import { isOwnExec } from '../../src/integrations/own-exec.js';
import { BIN, collect, NATIVE_BIN, NATIVE_BUILT, type CliResult } from '../helpers/cli.js';
import { FakeDaemon } from '../helpers/fake-daemon.js';
import { claudeInput, codexInput, geminiInput, installWithDaemon, ledgerRecords } from '../integrations/helpers.js';

const ADAPTERS = { 'claude-code': claudeAdapter, codex: codexAdapter, gemini: geminiAdapter } as const;

const TRACE = /^guard-native: handing over to the Node client: .*\n/m;

/** Run to completion; a hook that stops reading early (oversized input) is not a test error. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, input: string | Buffer, cwd: string) {
  const child = spawn(file, args, { env, cwd });
  child.stdin.on('error', () => undefined);
  return collect(child, input);
}

function nodeHook(args: string[], env: NodeJS.ProcessEnv, input: string | Buffer, cwd: string): Promise<CliResult> {
  return run(process.execPath, [BIN, 'hook', ...args], env, input, cwd);
}

function nativeHook(
  args: string[],
  env: NodeJS.ProcessEnv,
  input: string | Buffer,
  cwd: string,
  bin = NATIVE_BIN,
): Promise<CliResult> {
  return run(bin, ['hook', ...args], { ...env, GUARD_NATIVE_TRACE: '1' }, input, cwd);
}

const suite = NATIVE_BUILT ? describe : describe.skip;
const title = NATIVE_BUILT ? 'native hook' : 'native hook (SKIPPED: not built, no Rust toolchain)';

/** A Claude Code transcript with every shape intent.ts reads, odd whitespace and a long reply. */
function transcript(dir: string): string {
  const file = join(dir, 'transcript.jsonl');
  const lines = [
    { type: 'user', message: { role: 'user', content: 'an older request' } },
    { type: 'user', message: { role: 'user', content: '\ufeff please list the files\u00a0' } },
    { type: 'user', message: { content: 'meta' }, isMeta: true },
    { type: 'response_item', payload: { type: 'message', role: 'user', content: '<environment_context>x' } },
    {
      type: 'assistant',
      message: { content: [{ type: 'text', text: `I will look ${'é'.repeat(2100)} 😀` }, { type: 'tool_use' }] },
    },
    { type: 'gemini', content: [{ text: 'from gemini' }] },
  ].map((l) => JSON.stringify(l));
  writeFileSync(
    file,
    Buffer.concat([Buffer.from(`${lines.join('\n')}\n{torn`), Buffer.from([0xff, 0xc3, 0x0a]), Buffer.from('\n')]),
  );
  return file;
}

/** `json` with the text MARK replaced by raw bytes. */
function withBytes(json: string, bytes: number[]): Buffer {
  const [a, b] = json.split('MARK');
  return Buffer.concat([Buffer.from(a!), Buffer.from(bytes), Buffer.from(b!)]);
}

interface Case {
  name: string;
  /** allowed or denied: answered natively; every other case is handed to the Node hook. */
  native: boolean;
  args: string[];
  input: string | Buffer;
}

suite(`${title}: byte for byte against the Node hook, real daemon`, () => {
  const rig = installWithDaemon();

  it('answers the corpus exactly as the Node hook does, and records each decision once', async () => {
    const { inst } = rig;
    const w = inst.work;
    const t = transcript(w);
    const claude = (command: string, over: Record<string, unknown> = {}) => claudeInput(command, w, over);
    const cases: Case[] = [
      { name: 'allowed', native: true, args: ['claude-code'], input: claude('ls -la') },
      {
        name: 'allowed, transcript',
        native: true,
        args: ['claude-code'],
        input: claude('git status', { transcript_path: t }),
      },
      {
        name: 'allowed, unicode, no cwd, unknown fields',
        native: true,
        args: ['claude-code', '--deadline-ms=5000', '--allowed', 'record'],
        input: claude("printf 'é 中文 😀\\n'", { cwd: undefined, extra: { a: [1, null] }, session_id: null }),
      },
      { name: 'allowed, codex', native: true, args: ['codex'], input: codexInput('echo hi', w) },
      { name: 'allowed, gemini dir', native: true, args: ['gemini'], input: geminiInput('ls', w, 'sub/../x') },
      { name: 'denied', native: true, args: ['claude-code'], input: claude('shred secrets.txt') },
      { name: 'denied, codex', native: true, args: ['codex'], input: codexInput('shred secrets.txt', w) },
      { name: 'denied, gemini', native: true, args: ['gemini'], input: geminiInput('shred a.txt', w) },
      { name: 'held', native: false, args: ['claude-code'], input: claude('terraform apply') },
      { name: 'held, gemini', native: false, args: ['gemini'], input: geminiInput('terraform apply', w) },
      { name: 'gemini record', native: false, args: ['gemini', '--allowed', 'record'], input: geminiInput('ls', w) },
      { name: 'settings', native: false, args: ['claude-code'], input: claude("export GUARD_SOCK''ET=/tmp/x") },
      { name: 'other tool', native: false, args: ['claude-code'], input: claude('x', { tool_name: 'Read' }) },
      {
        name: 'file tool',
        native: false,
        args: ['claude-code'],
        input: claude('x', { tool_name: 'Write', tool_input: { file_path: join(w, 'f'), content: 'x' } }),
      },
      {
        name: 'other event',
        native: false,
        args: ['claude-code'],
        input: claude('ls', { hook_event_name: 'PostToolUse' }),
      },
      { name: 'not JSON', native: false, args: ['claude-code'], input: '{"tool_name":' },
      { name: 'empty', native: false, args: ['claude-code'], input: '' },
      { name: 'array', native: false, args: ['claude-code'], input: '[]' },
      {
        name: 'command not a string',
        native: false,
        args: ['claude-code'],
        input: claude('x', { tool_input: { command: 1 } }),
      },
      { name: 'NUL', native: false, args: ['claude-code'], input: claude('ls\u0000-la') },
      { name: 'relative cwd', native: false, args: ['claude-code'], input: claude('ls', { cwd: 'rel' }) },
      { name: 'invalid UTF-8', native: false, args: ['claude-code'], input: withBytes(claude('echo MARK'), [0xff]) },
      { name: 'BOM', native: false, args: ['claude-code'], input: `\ufeff${claude('ls')}` },
      {
        name: 'lone surrogate',
        native: false,
        args: ['claude-code'],
        input: claude('echo MARK').replace('MARK', '\\ud800'),
      },
      {
        name: 'deep nesting',
        native: false,
        args: ['claude-code'],
        input: claude('ls', { deep: JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) as unknown }),
      },
      { name: 'oversized', native: false, args: ['claude-code'], input: claude(`echo ${'x'.repeat(1024 * 1024)}`) },
      {
        name: 'command too large',
        native: false,
        args: ['claude-code'],
        input: claude(`echo ${'x'.repeat(100 * 1024)}`),
      },
      { name: 'cursor', native: false, args: ['cursor'], input: claude('ls') },
      { name: 'bad deadline', native: false, args: ['claude-code', '--deadline-ms', '50'], input: claude('ls') },
      { name: 'no agent', native: false, args: [], input: claude('ls') },
    ];
    const requests = async (): Promise<Record<string, unknown>[]> =>
      (await ledgerRecords(inst.env)).filter((r) => r.type === 'request').map((r) => r.payload);
    for (const c of cases) {
      const before = (await requests()).length;
      const viaNode = await nodeHook(c.args, inst.env, c.input, w);
      const between = (await requests()).length;
      const viaNative = await nativeHook(c.args, inst.env, c.input, w);
      const traced = viaNative.stderr.toString();
      expect(TRACE.test(traced), `${c.name}: handed over`).toBe(!c.native);
      expect(viaNative.status, c.name).toBe(viaNode.status);
      expect(viaNative.stdout.toString('hex'), c.name).toBe(viaNode.stdout.toString('hex'));
      expect(traced.replace(TRACE, ''), c.name).toBe(viaNode.stderr.toString());
      // each run records what the Node hook records: never twice for a handed-over refusal
      const all = await requests();
      const [byNode, byNative] = [all.slice(before, between), all.slice(between)];
      expect(byNative.length, c.name).toBe(byNode.length);
      if (c.native) {
        expect(byNative, c.name).toHaveLength(1);
        const strip = ({ requestId: _r, fingerprint: _f, ...rest }: Record<string, unknown>) => rest;
        expect(strip(byNative[0]!), c.name).toEqual(strip(byNode[0]!));
      }
      // a refusal: one request and one decision, written by the check the native client sent
      if (c.name.startsWith('denied')) {
        expect(byNative, c.name).toHaveLength(1);
        const decisions = (await ledgerRecords(inst.env)).filter(
          (r) => r.type === 'decision' && r.payload['requestId'] === byNative[0]!['requestId'],
        );
        expect(
          decisions.map((d) => d.payload['effect']),
          c.name,
        ).toEqual(['deny']);
      }
    }
  }, 240_000);
});

/** The scripted daemon's environment for a hook: its socket, and guard's own entry. */
const hookEnv = (fake: FakeDaemon, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv =>
  fake.env({ GUARD_SELF: BIN, ...extra });

const allow = (m: Record<string, unknown>) => ({
  re: m['id'],
  type: 'result',
  data: { effect: 'allow', reasons: ['scripted'], commands: [{ argv: ['ls'], text: 'ls' }] },
});

suite(`${title}: the guard command`, () => {
  it('bin/guard sends hook to the native client, which hands a call it does not answer to the Node hook', async () => {
    const work = realpathSync(mkdtempSync(join(tmpdir(), 'gnb-')));
    try {
      const env = { ...process.env, GUARD_HOME: join(work, 'h'), GUARD_NO_AUTOSTART: '1', GUARD_NATIVE_TRACE: '1' };
      const input = claudeInput('x', work, { tool_name: 'Read', tool_input: { file_path: '/etc/hostname' } });
      const r = await run(join(BIN, '..', 'guard'), ['hook', 'claude-code'], env, input, work);
      expect(r.stderr.toString()).toMatch(/^guard-native: handing over to the Node client: another tool\n$/);
      expect(r.status).toBe(0);
      expect(r.stdout.toString()).toBe('');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

suite(`${title}: protocol`, () => {
  let fake: FakeDaemon | undefined;
  afterEach(() => fake?.stop());

  it('asks the same check as the Node hook (context, intent and recorded effects included)', async () => {
    fake = new FakeDaemon((m, _n, sock) => sock.write(encodeFrame(allow(m))), 'check');
    await fake.start();
    const work = realpathSync(mkdtempSync(join(tmpdir(), 'gnw-')));
    try {
      const input = claudeInput('git log --oneline', work, { transcript_path: transcript(work) });
      const viaNode = await nodeHook(['claude-code'], hookEnv(fake), input, work);
      const viaNative = await nativeHook(['claude-code'], hookEnv(fake), input, work);
      expect(viaNode.status).toBe(0);
      expect(viaNative.status).toBe(0);
      expect(viaNative.stderr.toString()).toBe('');
      expect(viaNative.stdout.length + viaNode.stdout.length).toBe(0);
      const [a, b] = fake.received;
      const strip = (m: Record<string, unknown>) => {
        const c = structuredClone(m) as { context: { requester: Record<string, unknown> } };
        delete c.context.requester['pid'];
        return c;
      };
      expect(strip(b!)).toEqual(strip(a!));
      expect(b!['recordEffects']).toEqual(['deny', 'allow']);
      expect((b!['intent'] as Record<string, string>)['source']).toBe('transcript+tool_input');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('words a refusal as the Node hook does (quotes, controls, the 600-unit cut through a pair), without handing over', async () => {
    const sets: string[][] = [
      [],
      ['deny (x, high): "quoted" \\ back\nline\u0001 \u2028 tab\t'],
      ['a', 'b', 'c', 'd'],
      [`${'é'.repeat(599)}😀z`],
      [`${'é'.repeat(598)}😀`],
      [`${'é'.repeat(598)}😀z`, 'second'],
    ];
    const work = realpathSync(mkdtempSync(join(tmpdir(), 'gnd-')));
    try {
      for (const [i, reasons] of sets.entries()) {
        fake = new FakeDaemon(
          (m, _n, s) => s.write(encodeFrame({ re: m['id'], type: 'result', data: { effect: 'deny', reasons } })),
          'check',
        );
        await fake.start();
        for (const [agent, input] of [
          ['claude-code', claudeInput('rm -rf /', work)],
          ['codex', codexInput('rm -rf /', work)],
          ['gemini', geminiInput('rm -rf /', work)],
        ] as const) {
          const viaNode = await nodeHook([agent], hookEnv(fake), input, work);
          const viaNative = await nativeHook([agent], hookEnv(fake), input, work);
          expect(viaNative.stderr.toString(), `${agent} ${i}`).toBe('');
          expect(viaNative.status, `${agent} ${i}`).toBe(viaNode.status);
          expect(viaNative.stdout.toString('hex'), `${agent} ${i}`).toBe(viaNode.stdout.toString('hex'));
          expect(viaNode.stdout.toString(), `${agent} ${i}`).toMatch(/denied by policy/);
        }
        // one check per hook run: the native client asked once and did not hand the refusal over
        expect(fake.received, `set ${i}`).toHaveLength(6);
        fake.stop();
        fake = undefined;
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  it('hands every answer but a well-formed allow or deny to the Node hook, which blocks (exit 2)', async () => {
    const bad: ((m: Record<string, unknown>, sock: Socket) => void)[] = [
      (m, s) => s.write(encodeFrame({ re: m['id'], type: 'error', code: 'internal', message: 'ledger full' })),
      (m, s) => s.write(encodeFrame({ re: m['id'], type: 'result', data: { effect: 'ALLOW', reasons: [] } })),
      (m, s) => s.write(encodeFrame({ re: m['id'], type: 'result', data: { effect: 'allow' } })),
      (m, s) =>
        s.write(encodeFrame({ re: m['id'], type: 'result', data: { effect: 'allow', reasons: [], approval: 1 } })),
      (m, s) => s.write(encodeFrame({ re: String(m['id']), type: 'result', data: allow(m).data })),
      (_m, s) => s.end(),
      (_m, s) => s.write(Buffer.from([0, 0, 0, 3, 0x7b, 0x7b, 0x7b])),
      (_m, s) => s.write(Buffer.from([0x7f, 0xff, 0xff, 0xff])),
    ];
    for (const [i, answer] of bad.entries()) {
      fake = new FakeDaemon((m, _n, s) => answer(m, s), 'check');
      await fake.start();
      const r = await nativeHook(['claude-code'], hookEnv(fake), claudeInput('ls', fake.dir), fake.dir);
      expect(r.stderr.toString(), `answer ${i}`).toMatch(TRACE);
      expect(r.status, `answer ${i}`).toBe(2);
      expect(r.stdout.toString(), `answer ${i}`).toBe('');
      fake.stop();
      fake = undefined;
    }
  }, 120_000);

  it('skips events and answers to other ids, as the Node client does', async () => {
    fake = new FakeDaemon((m, _n, s) => {
      s.write(encodeFrame({ re: 99, type: 'result', data: { effect: 'deny', reasons: [] } }));
      s.write(encodeFrame({ re: m['id'], type: 'event', data: { event: 'x' } }));
      s.write(encodeFrame(allow(m)));
    }, 'check');
    await fake.start();
    const r = await nativeHook(['codex'], hookEnv(fake), codexInput('ls', fake.dir), fake.dir);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
  });

  it("blocks with the Node hook's words when the daemon does not answer before the deadline", async () => {
    fake = new FakeDaemon(() => undefined, 'check');
    await fake.start();
    const args = ['claude-code', '--deadline-ms', '300'];
    const input = claudeInput('ls', fake.dir);
    const viaNative = await nativeHook(args, hookEnv(fake), input, fake.dir);
    const viaNode = await nodeHook(args, hookEnv(fake), input, fake.dir);
    expect(viaNative.status).toBe(2);
    expect(viaNative.stderr.toString()).toBe(viaNode.stderr.toString());
    expect(viaNative.stderr.toString()).toMatch(/did not reach a decision within 300 ms/);
  });
});

suite(`${title}: hostile input, fuzzed`, () => {
  let fake: FakeDaemon;
  let root: string;
  let stubNative: string;
  beforeAll(async () => {
    fake = new FakeDaemon((m, _n, sock) => sock.write(encodeFrame(allow(m))), 'check');
    await fake.start();
    // a copy of the native client whose Node entry is a stub that shows what it was handed
    root = realpathSync(mkdtempSync(join(tmpdir(), 'gnz-')));
    mkdirSync(join(root, 'dist'));
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'work'));
    stubNative = join(root, 'dist', 'guard-native');
    copyFileSync(NATIVE_BIN, stubNative);
    chmodSync(stubNative, 0o755);
    writeFileSync(join(root, 'bin', 'guard.js'), '#!/bin/sh\nprintf "HANDED %s\\n" "$*"\nexec cat\n');
    chmodSync(join(root, 'bin', 'guard.js'), 0o755);
  });
  afterAll(() => {
    fake.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const pieces = [
    'ls',
    ' ',
    '-la',
    "'",
    '"',
    '\\',
    '\n',
    '$',
    '{',
    '}',
    'GUARD_',
    'HOME',
    'SOCKET',
    'XDG_STATE_HOME',
    'x47',
    'UARD_HOME',
    '107',
    'u0047',
    '=',
    ';',
    '|',
    'é',
    '😀',
    '\u2028',
    '\ufeff',
    '\t',
    'exec',
    'guard-native',
  ];
  const command = fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 12 }).map((p) => p.join(''));
  const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), command, fc.constant(' \ufeff\u00a0 '));
  const line = fc.oneof(
    text.map((t) => JSON.stringify({ type: 'user', message: { content: t } })),
    text.map((t) =>
      JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: t }, { text: t }] } }),
    ),
    text.map((t) =>
      JSON.stringify({
        type: 'response_item',
        payload: { type: 'message', role: 'user', content: `<user_instructions>${t}` },
      }),
    ),
    text.map((t) => JSON.stringify({ type: 'gemini', content: t })),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.constant('{"type":"user","content":"\\udc00"}'),
    fc.constant('{torn'),
  );
  const transcriptBytes = fc
    .tuple(fc.array(line, { maxLength: 6 }), fc.uint8Array({ maxLength: 4 }))
    .map(([ls, junk]) => Buffer.concat([Buffer.from(ls.join('\n')), Buffer.from(junk)]));
  const field = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }));
  const input = fc.oneof(
    fc.record({
      agent: fc.constantFrom('claude-code', 'codex', 'gemini'),
      dir: fc.oneof(fc.constant(undefined), fc.constantFrom('', 'sub', '../up', '/abs/x/', 'a//b/./c/..'), field),
      dirKey: fc.constantFrom('dir_path', 'directory'),
      command,
      cwd: fc.oneof(fc.constant(undefined), fc.constant(''), fc.constant('/tmp/a/../b/'), fc.constant('rel'), field),
      session: fc.oneof(fc.constant('s'), field),
      description: fc.oneof(text, field),
      transcript: fc.option(transcriptBytes),
      event: fc.oneof(fc.constant('own'), fc.constant(undefined), field),
    }),
    fc.tuple(command, fc.nat(400), fc.uint8Array({ minLength: 1, maxLength: 3 })),
  );

  it('never crashes, never answers for input the Node hook would not ask about (Claude Code, Codex, Gemini), and hands over the exact bytes', async () => {
    let n = 0;
    const seenBy = { native: 0, node: 0 };
    await fc.assert(
      fc.asyncProperty(input, async (gen) => {
        const work = join(root, 'work');
        let bytes: Buffer;
        let agent: keyof typeof ADAPTERS = 'claude-code';
        if (Array.isArray(gen)) {
          // byte-level damage to a well-formed input
          const [cmd, at, junk] = gen;
          const base = Buffer.from(claudeInput(cmd, work));
          const i = at % base.length;
          bytes = Buffer.concat([base.subarray(0, i), Buffer.from(junk), base.subarray(i + 1)]);
        } else {
          let transcriptPath: string | undefined;
          if (gen.transcript !== null) {
            transcriptPath = join(work, `t${n++}.jsonl`);
            writeFileSync(transcriptPath, gen.transcript);
          }
          agent = gen.agent;
          const gemini = agent === 'gemini';
          bytes = Buffer.from(
            JSON.stringify({
              session_id: gen.session,
              transcript_path: transcriptPath,
              cwd: gen.cwd,
              hook_event_name: gen.event === 'own' ? (gemini ? 'BeforeTool' : 'PreToolUse') : gen.event,
              tool_name: gemini ? 'run_shell_command' : 'Bash',
              tool_input: { command: gen.command, description: gen.description, [gen.dirKey]: gen.dir },
            }),
          );
        }
        const seen = fake.received.length;
        const r = await nativeHook([agent], hookEnv(fake, { GUARD_SELF: '' }), bytes, work, stubNative);
        expect(r.signal).toBeNull();
        if (r.stdout.toString().startsWith('HANDED ')) {
          expect(r.stdout.equals(Buffer.concat([Buffer.from(`HANDED hook ${agent}\n`), bytes]))).toBe(true);
          seenBy.node++;
          return;
        }
        seenBy.native++;
        // answered natively: exactly what the Node hook would have asked, and nothing printed
        expect(r.status).toBe(0);
        expect(r.stdout.length + r.stderr.length).toBe(0);
        const msg = fake.received[seen]!;
        const parsed = ADAPTERS[agent].parse(parseJson(bytes), work);
        if (parsed.kind !== 'shell') throw new Error('answered a call the Node hook has no opinion on');
        const { call } = parsed;
        expect(touchesGuardSettings(call.command)).toBe(false);
        expect(isOwnExec(call.command, [stubNative])).toBe(false);
        expect(msg['shell']).toBe(call.command);
        expect(msg['cwd']).toBe(call.cwd);
        const context = structuredClone(msg['context']) as { requester: Record<string, unknown> };
        const expected = hookContext(agent, call) as { requester: Record<string, unknown> };
        delete context.requester['pid'];
        delete expected.requester['pid'];
        expect(context).toEqual(expected);
        expect(msg['intent']).toEqual(hookIntent(call.transcriptPath, call.toolInput));
      }),
      { numRuns: Number(process.env['GUARD_FUZZ_RUNS'] ?? 200) },
    );
    // both paths were exercised (a generator that only ever reached one would prove little)
    expect(seenBy.native).toBeGreaterThan(10);
    expect(seenBy.node).toBeGreaterThan(10);
  }, 300_000);

  it('hands over input larger than the Node hook takes, passing on every byte it read', async () => {
    const big = Buffer.from(claudeInput(`echo ${'y'.repeat(2 * 1024 * 1024)}`, root));
    const r = await nativeHook(['claude-code'], hookEnv(fake, { GUARD_SELF: '' }), big, root, stubNative);
    expect(r.stderr.toString()).toMatch(/handing over to the Node client: hook input larger/);
    const out = r.stdout;
    const head = Buffer.from('HANDED hook claude-code\n');
    expect(out.subarray(0, head.length).toString()).toBe(head.toString());
    const passed = out.subarray(head.length);
    expect(passed.length).toBeGreaterThan(1024 * 1024);
    expect(passed.equals(big.subarray(0, passed.length))).toBe(true);
  });
});
