import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claude } from './integrations.js';
import { fmt, interleaved, median, timeCommand } from './lib.js';
import type { Suite } from './suites.js';

/**
 * `guard exec -- true` with a warm daemon, by the Node client and by the native client, against
 * baselines measured in the same run: `node -e 0` (the issue's yardstick), `true`, and a minimal
 * ES-module client that connects to the same socket and spawns `true` (what any Node client must
 * pay). Then an allowed agent command (the Claude Code hook, then the rewritten command it
 * returns). Every series runs twice: with NODE_EXTRA_CA_CERTS unset (Node then parses no extra CA
 * bundle at start-up) and set (as on machines that export it). Allowed commands per second with 32
 * concurrent clients are measured by bench/throughput.ts.
 */
const CA_DEFAULT = '/etc/ssl/certs/ca-certificates.crt';

/**
 * The hook's answer for an allowed command: the rewritten command line, or (no output, exit 0)
 * the command itself, which the agent then runs on its own (Claude Code's allowed commands pass).
 */
function hookRewrite(
  bin: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  native?: string,
): { ms: number; line: string; rewritten: boolean } {
  // the hook as installed: the native client when built (decision 0036), else the Node entry
  const [cmd, args] = native === undefined ? [process.execPath, [bin]] : [native, []];
  const t0 = performance.now();
  const r = spawnSync(cmd, [...args, 'hook', 'claude-code'], { env, input: claude('true', cwd) });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`hook refused an allowed command: ${r.stderr.toString()}`);
  if (r.stdout.length === 0) return { ms, line: 'true', rewritten: false };
  const answer = JSON.parse(r.stdout.toString()) as {
    hookSpecificOutput?: { updatedInput?: { command?: string } };
  };
  const line = answer.hookSpecificOutput?.updatedInput?.command;
  if (line === undefined) throw new Error(`hook gave no rewrite: ${r.stdout.toString()}`);
  return { ms, line, rewritten: true };
}

export const startupSuite: Suite = {
  name: 'startup',
  async run() {
    const runs = Number(process.env['BENCH_RUNS'] ?? 20);
    const bin = join(process.cwd(), 'bin', 'guard.js');
    const native = join(process.cwd(), 'dist', 'guard-native');
    const hasNative = existsSync(native);
    const floor = join(process.cwd(), 'bench', 'fixtures', 'floor-client.mjs');
    const ca = process.env['NODE_EXTRA_CA_CERTS'] ?? (existsSync(CA_DEFAULT) ? CA_DEFAULT : undefined);
    const base: NodeJS.ProcessEnv = { ...process.env };
    delete base['NODE_EXTRA_CA_CERTS'];
    const variants: [string, NodeJS.ProcessEnv][] = [['NODE_EXTRA_CA_CERTS unset', base]];
    if (ca !== undefined) variants.push([`NODE_EXTRA_CA_CERTS=${ca}`, { ...base, NODE_EXTRA_CA_CERTS: ca }]);
    if (!hasNative) process.stdout.write('native exec client not built (no Rust toolchain): its figures are skipped\n');

    for (const [label, outer] of variants) {
      const home = mkdtempSync(join(tmpdir(), 'guard-bench-'));
      const env = { ...outer, GUARD_HOME: home, GUARD_SELF: bin };
      const socket = join(home, 'run', 'guard.sock');
      try {
        timeCommand(process.execPath, [bin, 'daemon', 'start'], env);
        const hook = hookRewrite(bin, env, home);
        const hookLine = hook.line;
        const cases: Record<string, () => number> = {
          node: () => timeCommand(process.execPath, ['-e', '0'], env),
          true: () => timeCommand('true', [], env),
          floor: () => timeCommand(process.execPath, [floor, socket, 'true'], env),
          guard: () => timeCommand(process.execPath, [bin, 'exec', '--', 'true'], env),
          hookExec: () => {
            const h = hookRewrite(bin, env, home);
            return h.ms + timeCommand('/bin/bash', ['-c', h.line], env);
          },
        };
        if (hasNative) {
          cases['native'] = () => timeCommand(native, ['exec', '--', 'true'], env);
          cases['hookExecNative'] = () => {
            const h = hookRewrite(bin, env, home, native);
            return h.ms + timeCommand('/bin/bash', ['-c', h.line], env);
          };
        }
        for (const f of Object.values(cases)) f(); // warm the page cache and the daemon
        const r = interleaved(runs, cases);
        const m = (k: string): number => median(r[k]!);
        const out = (s: string): boolean => process.stdout.write(`${s}\n`);
        out(`\n[${label}] runs per case: ${runs} (interleaved), warm daemon`);
        out(`  node -e 0                                    median ${fmt(m('node'))} ms`);
        out(`  true                                         median ${fmt(m('true'))} ms`);
        out(`  minimal ESM socket+spawn client              median ${fmt(m('floor'))} ms`);
        out(`  guard exec -- true (Node client)             median ${fmt(m('guard'))} ms`);
        if (hasNative) out(`  guard exec -- true (native client)           median ${fmt(m('native'))} ms`);
        out(`  allowed agent command: hook + rewritten exec median ${fmt(m('hookExec'))} ms`);
        if (hasNative) out(`  the same, native hook                        median ${fmt(m('hookExecNative'))} ms`);
        out(
          `  hook answer: ${!hook.rewritten ? 'pass (the agent runs the command itself; the daemon recorded the decision)' : `rewrite to the ${hookLine.includes('guard-native') ? 'native' : 'Node'} client`}`,
        );
        out(
          `  ratio guard(Node)/node -e 0:   ${fmt(m('guard') / m('node'))}  (floor/node: ${fmt(m('floor') / m('node'))})`,
        );
        if (hasNative) {
          out(`  ratio guard(native)/node -e 0: ${fmt(m('native') / m('node'))}  (target ≤ 0.3)`);
          out(`  ratio guard(native)/true:      ${fmt(m('native') / m('true'))}  (target ≤ 5)`);
        }
        out(`  ratio hook+exec/node -e 0:     ${fmt(m('hookExec') / m('node'))}  (Node hook)`);
        if (hasNative)
          out(`  ratio hook+exec/node -e 0:     ${fmt(m('hookExecNative') / m('node'))}  (native hook; target ≤ 1.5)`);
      } finally {
        spawnSync(process.execPath, [bin, 'daemon', 'stop'], { env, stdio: 'ignore' });
        rmSync(home, { recursive: true, force: true });
      }
    }
  },
};
